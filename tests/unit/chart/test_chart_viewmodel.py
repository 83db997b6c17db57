"""ChartViewModel: history load, live bars, stale loads, errors, coalescing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from app.domain import Bar, Instrument
from app.viewmodels.chart import BarArrays, ChartViewModel, bar_epoch_seconds
from tests.support import run_for, wait_until
from tests.unit.chart.chart_fakes import FakeHistorySession, make_bars

AAPL = Instrument("AAPL", con_id=265598)
MSFT = Instrument("MSFT", con_id=272093)


class Recorder:
    def __init__(self, vm: ChartViewModel):
        self.events: list[tuple] = []
        vm.barsReset.connect(lambda: self.events.append(("reset",)))
        vm.barAppended.connect(lambda: self.events.append(("appended",)))
        vm.lastBarChanged.connect(lambda: self.events.append(("last",)))
        vm.loadingChanged.connect(lambda b: self.events.append(("loading", b)))
        vm.errorChanged.connect(lambda s: self.events.append(("error", s)))

    def count(self, name: str) -> int:
        return sum(1 for e in self.events if e[0] == name)


@pytest.fixture
def setup(aloop):
    session = FakeHistorySession()
    vm = ChartViewModel(session, bar_size="5 mins")
    rec = Recorder(vm)
    yield aloop, session, vm, rec
    vm.shutdown()


def _loaded(aloop, session, vm, frame, index=0):
    wait_until(aloop, lambda: len(session.requests) > index, what="history request")
    session.answer(index, frame)
    wait_until(aloop, lambda: not vm.loading, what="load finished")


def _bar(t: datetime, o=1.0, h=2.0, lo=0.5, c=1.5, v=10.0) -> Bar:
    return Bar(t, o, h, lo, c, v)


def test_bar_arrays_grow_by_doubling_and_keep_values():
    arr = BarArrays(capacity=4)
    for i in range(1000):
        arr.append(i, i, i + 1, i - 1, i + 0.5, 10 * i)
    assert len(arr) == 1000
    assert arr.capacity == 1024  # 256 minimum, then doubling
    np.testing.assert_array_equal(arr.times, np.arange(1000))
    np.testing.assert_array_equal(arr.highs, np.arange(1000) + 1.0)
    assert arr.row(-1) == (999, 999.0, 1000.0, 998.0, 999.5, 9990.0)
    arr.set_last(1, 2, 0, 1.5, 7)
    assert arr.row(999)[1:] == (1.0, 2.0, 0.0, 1.5, 7.0)
    with pytest.raises(IndexError):
        arr.row(1000)
    with pytest.raises(IndexError):
        BarArrays().set_last(1, 1, 1, 1, 1)


def test_bar_arrays_load_sorts_and_converts_time_to_utc_seconds():
    frame = make_bars(5)
    shuffled = frame.iloc[[3, 0, 4, 1, 2]].reset_index(drop=True)
    shuffled["time"] = shuffled["time"].dt.tz_convert("America/New_York")
    arr = BarArrays()
    arr.load(shuffled)
    expected = frame["time"].map(lambda t: int(t.timestamp())).to_numpy()
    np.testing.assert_array_equal(arr.times, expected)
    np.testing.assert_array_equal(arr.closes, frame["close"].to_numpy())
    with pytest.raises(ValueError, match="volume"):
        arr.load(frame.drop(columns=["volume"]))


def test_bar_epoch_seconds():
    assert bar_epoch_seconds(datetime(2024, 1, 5, 14, 30, tzinfo=timezone.utc)) == 1704465000
    assert bar_epoch_seconds(datetime(2024, 1, 5, 14, 30)) == 1704465000  # naive = UTC
    assert bar_epoch_seconds(datetime(2024, 1, 5).date()) == 1704412800
    with pytest.raises(TypeError):
        bar_epoch_seconds("2024-01-05")


def test_history_load_emits_bars_reset(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    assert vm.loading and rec.events[-1] == ("loading", True)
    frame = make_bars(300)
    _loaded(aloop, session, vm, frame)
    req = session.requests[0]
    assert (req.instrument, req.bar_size, req.keep_up_to_date) == (AAPL, "5 mins", True)
    assert vm.count == 300 and vm.sub_id == req.sub_id and vm.is_ready
    assert rec.events[-2:] == [("loading", False), ("reset",)]
    assert vm.last_price == pytest.approx(frame["close"].iloc[-1])


def test_bar_event_updates_last_bar_or_appends(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    frame = make_bars(10)
    _loaded(aloop, session, vm, frame)
    sub = vm.sub_id
    last_time = frame["time"].iloc[-1].to_pydatetime()
    session.barEvent.emit(sub, _bar(last_time, 1, 200, 0.1, 150, 99), False)
    assert vm.count == 10 and vm.bars.row(-1)[1:] == (1.0, 200.0, 0.1, 150.0, 99.0)
    wait_until(aloop, lambda: rec.count("last") == 1, what="lastBarChanged")
    assert rec.count("appended") == 0
    session.barEvent.emit(sub, _bar(last_time + timedelta(minutes=5), c=151), True)
    assert vm.count == 11 and vm.last_price == 151
    wait_until(aloop, lambda: rec.count("appended") == 1, what="barAppended")
    # another subscription's bars and late bars are ignored
    session.barEvent.emit(sub + 1000, _bar(last_time + timedelta(minutes=10)), True)
    session.barEvent.emit(sub, _bar(last_time - timedelta(minutes=5), c=-1), False)
    run_for(aloop, 0.08)
    assert vm.count == 11 and vm.last_price == 151 and rec.count("appended") == 1


def test_live_updates_are_coalesced(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    frame = make_bars(10)
    _loaded(aloop, session, vm, frame)
    t = frame["time"].iloc[-1].to_pydatetime()
    for i in range(500):
        session.barEvent.emit(vm.sub_id, _bar(t, c=100 + i), False)
    assert vm.updates_applied == 500
    run_for(aloop, 0.15)
    assert rec.count("last") == 1 and vm.flushes == 1
    assert vm.last_price == 599


def test_stale_load_is_discarded_and_its_subscription_cancelled(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    wait_until(aloop, lambda: len(session.requests) == 1, what="first request")
    vm.set_instrument(MSFT)
    wait_until(aloop, lambda: len(session.requests) == 2, what="second request")
    msft = make_bars(20, seed=2)
    session.answer(1, msft)
    wait_until(aloop, lambda: vm.count == 20, what="MSFT bars")
    session.answer(0, make_bars(50, seed=1))  # the AAPL answer arrives late
    wait_until(aloop, lambda: session.requests[0].sub_id in session.cancelled, what="stale sub cancelled")
    assert vm.instrument == MSFT and vm.count == 20 and vm.sub_id == session.requests[1].sub_id
    np.testing.assert_array_equal(vm.bars.closes, msft["close"].to_numpy())
    assert not vm.loading


def test_history_error_is_shown(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    wait_until(aloop, lambda: session.requests, what="request")
    session.answer(0, LookupError("Historical Market Data Service error message:No market data permissions"))
    wait_until(aloop, lambda: vm.error, what="error")
    assert "AAPL" in vm.error and "No market data permissions" in vm.error
    assert ("error", vm.error) in rec.events and not vm.loading and vm.sub_id is None
    # a successful reload clears the error
    vm.reload()
    _loaded(aloop, session, vm, make_bars(3), index=1)
    assert vm.error == "" and rec.events[-1] == ("reset",)


def test_malformed_history_is_an_error_not_a_crash(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    _loaded(aloop, session, vm, pd.DataFrame({"time": [], "open": []}))
    assert "malformed" in vm.error and session.requests[0].sub_id in session.cancelled


def test_bar_size_change_cancels_old_subscription_and_reloads(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    _loaded(aloop, session, vm, make_bars(10))
    old = vm.sub_id
    vm.set_bar_size("1 hour")
    assert session.cancelled == [old] and vm.count == 0
    wait_until(aloop, lambda: len(session.requests) == 2, what="new request")
    assert session.requests[1].bar_size == "1 hour"
    vm.set_bar_size("1 hour")  # unchanged: no new request
    run_for(aloop, 0.02)
    assert len(session.requests) == 2
    with pytest.raises(ValueError, match="unsupported bar size"):
        vm.set_bar_size("7 mins")


def test_shutdown_cancels_and_stops_listening(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    _loaded(aloop, session, vm, make_bars(10))
    sub = vm.sub_id
    vm.shutdown()
    assert session.cancelled == [sub]
    assert len(session.barEvent) == 0


def test_unexpected_exception_in_the_load_task_is_shown_not_lost(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    wait_until(aloop, lambda: session.requests, what="request")
    session.answer(0, [1, 2, 3])  # not a DataFrame: AttributeError escapes the load coroutine
    wait_until(aloop, lambda: vm.error, what="error shown")
    assert "AttributeError" in vm.error and not vm.loading


def test_empty_history_says_so_and_live_bars_fill_it(setup):
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    from app.domain import empty_bars
    _loaded(aloop, session, vm, empty_bars())
    assert vm.count == 0 and vm.error == "No 5 mins bars for AAPL yet" and vm.sub_id is not None
    session.barEvent.emit(vm.sub_id, _bar(datetime(2024, 1, 5, 14, 30, tzinfo=timezone.utc)), True)
    assert vm.count == 1 and vm.error == ""
    wait_until(aloop, lambda: rec.count("appended") == 1, what="barAppended")


def test_lost_connection_is_shown_and_reconnect_reloads(setup):
    from app.domain import ConnectionState
    aloop, session, vm, rec = setup
    vm.set_instrument(AAPL)
    _loaded(aloop, session, vm, make_bars(10))
    sub = vm.sub_id
    session.stateEvent.emit(ConnectionState.LOST, "socket closed")
    assert vm.sub_id is None and session.cancelled == [sub]
    assert vm.error == "Connection lost: the chart is not live" and vm.count == 10  # bars stay visible
    session.barEvent.emit(sub, _bar(datetime(2030, 1, 1, tzinfo=timezone.utc)), True)
    assert vm.count == 10  # the dead subscription no longer updates
    session.stateEvent.emit(ConnectionState.CONNECTED, "")
    _loaded(aloop, session, vm, make_bars(12), index=1)
    assert vm.count == 12 and vm.error == "" and vm.sub_id == session.requests[1].sub_id


# ---- older history on demand (issue 4) ------------------------------------------------

def test_bar_arrays_prepend_keeps_only_older_rows_in_order():
    b = BarArrays()
    frame = make_bars(10)
    b.load(frame.iloc[5:])
    added = b.prepend(frame.iloc[:7])  # overlaps two bars: only the 5 older ones go in
    assert added == 5 and len(b) == 10
    np.testing.assert_allclose(b.closes, frame["close"].to_numpy())
    assert np.all(np.diff(b.times) > 0)
    assert b.prepend(frame.iloc[:3]) == 0 and len(b) == 10
    b.append(int(b.times[-1]) + 300, 1, 2, 0.5, 1.5, 10)  # still growable after a prepend
    assert len(b) == 11 and b.row(-1)[4] == 1.5


class EndSession(FakeHistorySession):
    def __init__(self):
        super().__init__()
        self.ends = []
        self.older: list = []

    async def history(self, instrument, bar_size, duration=None, keep_up_to_date=True, end=None):
        if end is None:
            return await super().history(instrument, bar_size, duration, keep_up_to_date)
        assert keep_up_to_date is False
        self.ends.append(end)
        item = self.older.pop(0)
        if isinstance(item, BaseException):
            raise item
        return 0, item


def test_load_older_prepends_and_signals(aloop):
    session = EndSession()
    vm = ChartViewModel(session, bar_size="5 mins")
    got = []
    vm.barsPrepended.connect(got.append)
    frame = make_bars(50)
    vm.set_instrument(AAPL)
    _loaded(aloop, session, vm, frame.iloc[20:].reset_index(drop=True))
    session.older = [frame.iloc[:20].reset_index(drop=True), frame.iloc[:0]]
    assert vm.load_older() and vm.loading_older and not vm.load_older()  # one at a time
    wait_until(aloop, lambda: not vm.loading_older, what="older loaded")
    assert got == [20] and vm.count == 50
    assert session.ends[0] == frame["time"].iloc[20].to_pydatetime()
    assert vm.load_older()
    wait_until(aloop, lambda: not vm.loading_older, what="empty answer")
    assert not vm.load_older() and got == [20] and len(session.ends) == 2  # nothing older: stop asking
    vm.shutdown()


def test_load_older_error_is_shown(aloop):
    from app.broker.errors import HistoryError
    session = EndSession()
    vm = ChartViewModel(session, bar_size="1 day")
    vm.set_instrument(AAPL)
    _loaded(aloop, session, vm, make_bars(5, freq="1D"))
    session.older = [HistoryError("HMDS query returned no data (IB error 162)", 162)]
    vm.load_older()
    wait_until(aloop, lambda: not vm.loading_older, what="failed")
    assert "162" in vm.error and vm.count == 5
    vm.shutdown()


def test_session_history_end_is_ib_end_date_time_without_keep_up_to_date(aloop):
    """app.broker.session.Session.history(end=...) -> reqHistoricalDataAsync(endDateTime=end)."""
    from ib_async.objects import BarDataList

    from app.broker import Session
    from app.domain import ConnectionState

    s = Session("127.0.0.1", 4002, 1)
    calls = []

    async def fake_req(contract, end, duration, bar_size, what, use_rth, **kw):
        calls.append((end, duration, bar_size, kw["keepUpToDate"]))
        bars = BarDataList()
        bars.reqId = 7
        return bars

    s.ib.reqHistoricalDataAsync = fake_req
    s.ib.isConnected = lambda: True
    s._state = ConnectionState.CONNECTED
    end = datetime(2026, 1, 5, 14, 30, tzinfo=timezone.utc)
    sub, frame = aloop.run_until_complete(s.history(AAPL, "5 mins", keep_up_to_date=False, end=end))
    assert calls == [(end, "10 D", "5 mins", False)] and len(frame) == 0
    aloop.run_until_complete(s.history(AAPL, "5 mins"))
    assert calls[-1][0] == "" and calls[-1][3] is True
    with pytest.raises(ValueError, match="keep up to date"):
        aloop.run_until_complete(s.history(AAPL, "5 mins", end=end))


def test_fx_midpoint_live_volume_is_ignored(setup):
    """Issue 14 item 11: FX history (MIDPOINT) has no volume; the live bar's volume (6M in the
    walkthrough) must not grow a volume bar that flattens the pane."""
    aloop, session, vm, rec = setup
    eur = Instrument("EUR", "CASH", "IDEALPRO", "USD", con_id=12087792, local_symbol="EUR.USD")
    vm.set_instrument(eur)
    assert vm.what_to_show == "MIDPOINT" and not vm.has_volume
    frame = make_bars(10)
    frame["volume"] = -1.0
    _loaded(aloop, session, vm, frame)
    last_time = frame["time"].iloc[-1].to_pydatetime()
    session.barEvent.emit(vm.sub_id, _bar(last_time, v=6_000_000), False)
    session.barEvent.emit(vm.sub_id, _bar(last_time + timedelta(minutes=5), v=250_000), True)
    assert vm.bars.volumes[-2] == -1 and vm.bars.volumes[-1] == -1
    vm.set_instrument(AAPL)
    assert vm.what_to_show == "TRADES" and vm.has_volume


def test_one_second_bars_are_loaded_without_keep_up_to_date(aloop):
    """IB keeps only bars of 5 secs and longer up to date (321 otherwise): "1 secs" is loaded once."""
    session = FakeHistorySession()
    vm = ChartViewModel(session, bar_size="1 secs")
    vm.set_instrument(AAPL)
    _loaded(aloop, session, vm, make_bars(50, freq="1s"))
    assert session.requests[0].keep_up_to_date is False
    assert vm.count == 50 and vm.sub_id is None and "not updated live" in vm.error
    vm.set_bar_size("5 secs")
    wait_until(aloop, lambda: len(session.requests) == 2, what="second request")
    assert session.requests[1].keep_up_to_date is True
    vm.shutdown()


def test_a_future_loads_its_own_trades_history(setup):
    """ESZ6 charts TRADES bars with volume, requested for the contract month itself (its conId),
    and its bars are shown."""
    from tests.fakes_futures import FAKE_FUTURES
    aloop, session, vm, rec = setup
    es = FAKE_FUTURES[0]
    vm.set_instrument(es)
    assert vm.what_to_show == "TRADES" and vm.has_volume
    frame = make_bars(10)
    _loaded(aloop, session, vm, frame)
    assert session.requests[0].instrument is es
    assert len(vm.bars) == 10
