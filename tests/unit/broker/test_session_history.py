"""Session.history on a big history: converted in slices with the event loop running between
them, the ib_async bar list trimmed to its last bar afterwards (the bars are held once, in the
returned table), and the same table as a bar-by-bar conversion.

ib_async's ``reqHistoricalDataAsync`` is replaced by a coroutine returning a ``BarDataList``
as ib_async builds it (``BarData`` with tz-aware UTC dates, ``formatDate=2``).
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
from ib_async.objects import BarData, BarDataList

from app.broker import Session, convert
from app.broker import session as session_module
from app.domain import BAR_COLUMNS, Instrument

EUR = Instrument("EUR", "CASH", "IDEALPRO", "USD", con_id=12087792, min_tick=0.00005)
T0 = datetime(2026, 1, 5, 0, 0, tzinfo=timezone.utc)


def bar_list(n: int, req_id: int = 7) -> BarDataList:
    bars = BarDataList()
    bars.reqId = req_id
    for i in range(n):
        p = 1.1 + i * 1e-5
        bars.append(BarData(date=T0 + timedelta(minutes=i), open=p, high=p + 2e-4, low=p - 2e-4,
                            close=p + 1e-4, volume=-1.0 if i % 7 else float(i), average=p, barCount=3))
    return bars


def fake_session(bars: BarDataList) -> Session:
    s = Session("127.0.0.1", 4002, 1)
    s._require_connected = lambda what: None

    async def req(*args, **kwargs):
        return bars
    s.ib.reqHistoricalDataAsync = req
    return s


def test_big_history_yields_to_the_loop_between_slices(monkeypatch):
    monkeypatch.setattr(session_module, "HISTORY_SLICE", 1000)
    bars = bar_list(5500)
    s = fake_session(bars)
    ran_during = []

    async def body():
        task = asyncio.ensure_future(s.history(EUR, "1 min"))
        while not task.done():       # another callback of the loop, as a timer or a paint is
            ran_during.append(1)
            await asyncio.sleep(0)
        return task.result()

    sub_id, frame = asyncio.run(body())
    assert sub_id == 7 and len(frame) == 5500
    assert len(ran_during) >= 5          # 6 slices: the loop ran between them
    assert len(bars) == 1 and bars[0].date == T0 + timedelta(minutes=5499)  # only the live bar kept


def test_history_table_matches_bar_by_bar_conversion():
    bars = bar_list(1234)
    expected = [convert.bar_to_domain(b) for b in bars]
    _, frame = asyncio.run(fake_session(bars).history(EUR, "1 min", keep_up_to_date=False))
    assert tuple(frame.columns) == BAR_COLUMNS and str(frame["time"].dtype) == "datetime64[ns, UTC]"
    assert list(frame["time"].dt.to_pydatetime()) == [b.time for b in expected]
    for col in BAR_COLUMNS[1:]:
        np.testing.assert_array_equal(frame[col].to_numpy(), [getattr(b, col) for b in expected])
    assert len(bars) == 0                # not kept up to date: nothing left in ib_async's list


def test_table_columns_share_one_block_no_copy():
    times = np.arange(3, dtype=np.int64) * 60
    ohlcv = np.arange(15, dtype=np.float64).reshape(5, 3)
    frame = convert.columns_to_frame(times, ohlcv)
    for i, col in enumerate(BAR_COLUMNS[1:]):
        assert np.shares_memory(frame[col].to_numpy(), ohlcv[i])
    assert frame["time"].iloc[2] == pd.Timestamp(120, unit="s", tz="UTC")


def test_unset_volumes_are_zero_as_bar_to_domain():
    bars = bar_list(4)
    for b, v in zip(bars, (math.nan, 1.7976931348623157e308, 2**31 - 1, 5.0)):
        b.volume = v
    frame = convert.bars_to_frame(bars)
    assert frame["volume"].tolist() == [convert.bar_to_domain(b).volume for b in bars] == [0, 0, 0, 5]


def test_live_bar_update_trims_the_list_to_the_last_bar():
    bars = bar_list(3)
    s = fake_session(bars)
    seen = []
    s.barEvent += lambda sub, bar, new: seen.append((sub, bar.time, new))

    async def body():
        await s.history(EUR, "1 min")
        bars.append(BarData(date=T0 + timedelta(minutes=3), open=1, high=1, low=1, close=1, volume=1))
        s.ib.barUpdateEvent.emit(bars, True)

    asyncio.run(body())
    assert seen == [(7, T0 + timedelta(minutes=3), True)]
    assert len(bars) == 1
