"""Replay of real OHLCV files (``bars_dir``): shapes and prices kept, shifted to end now."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.sim.history import load_bars_dir
from tests.unit.sim.helpers import AAPL, EURUSD, NY, SHARED_DATA, T0, make


@pytest.fixture(scope="module")
def shared():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not present (the team's ../shared folder is not beside this clone)")
    return SHARED_DATA, load_bars_dir(SHARED_DATA)


def _ohlc(rows):
    return [(r.open, r.high, r.low, r.close) for r in rows]


def test_goog_daily_replay_keeps_prices_and_ends_today(shared):
    folder, data = shared
    ex, _ = make(bars_dir=str(folder))
    goog = ex.lookup(symbol="GOOG")[0].con_id
    real = data["GOOG"]
    bars = ex.history(goog, end=None, duration="2 Y", bar_size="1 day")
    n = len(bars)
    assert n > 480
    tail = real.tail(n)
    assert _ohlc(bars) == list(zip(tail.open, tail.high, tail.low, tail.close))
    assert [b.volume for b in bars] == pytest.approx(list(tail.volume))
    days = [datetime.fromtimestamp(b.time, NY) for b in bars]
    assert days[-1].date().isoformat() == "2025-11-21"
    assert all(d.weekday() < 5 for d in days)
    assert ex.top(goog).last == real.close.iloc[-1]
    # the live stream continues from the last real close, and history follows it
    for i in range(1, 300):
        ex.advance(T0 + i * 0.1)
    assert ex.history(goog, end=None, duration="1 D", bar_size="1 min")[-1].close == ex.top(goog).last


def test_eurusd_hourly_replay_hours_match_real_bars(shared):
    folder, data = shared
    ex, _ = make(bars_dir=str(folder))
    real = data["EURUSD"].iloc[-101:-1]                 # the last real bar is held back as the next one
    bars = ex.history(EURUSD, end=None, duration="2 W", bar_size="1 hour", what_to_show="MIDPOINT")[-100:]
    assert _ohlc(bars) == list(zip(real.open, real.high, real.low, real.close))
    assert bars[-1].time == T0 - 3600                     # the last history hour ends at "now"
    mins = ex.history(EURUSD, end=None, duration="3600 S", bar_size="1 min", what_to_show="MIDPOINT")
    assert len(mins) == 60 and mins[0].open == real.open.iloc[-1] and mins[-1].close == real.close.iloc[-1]
    assert max(b.high for b in mins) == real.high.iloc[-1] and min(b.low for b in mins) == real.low.iloc[-1]
    assert ex.top(EURUSD).last == real.close.iloc[-1]


def test_eurusd_live_walks_through_the_next_real_bar(shared):
    folder, data = shared
    ex, _ = make(bars_dir=str(folder))
    nxt = data["EURUSD"].iloc[-1]
    tick = ex.contract(EURUSD).min_tick
    mids = []
    for i in range(1, 720):                               # one hour in 5 s steps
        ex.advance(T0 + i * 5.0)
        t = ex.top(EURUSD)
        mids.append((t.bid + t.ask) / 2)
    assert max(mids) == pytest.approx(nxt.high, abs=2 * tick)
    assert min(mids) == pytest.approx(nxt.low, abs=2 * tick)
    assert mids[-1] == pytest.approx(nxt.close, abs=4 * tick)
    hour = ex.live_bar(EURUSD, "1 hour")
    assert hour.time == T0 and hour.close == ex.top(EURUSD).last


def test_coarse_steps_still_reach_the_real_bars_extremes(shared):
    """A starved pump or a fast clock advances the market in big jumps: the replayed bar's
    corners are quoted anyway, so the hour's minute bars reach the real high and low."""
    folder, data = shared
    ex, _ = make(bars_dir=str(folder))
    ex.max_step = 1e9                                     # no sub-steps: 7 jumps over the hour
    nxt = data["EURUSD"].iloc[-1]
    tick = ex.contract(EURUSD).min_tick
    for i in range(1, 8):
        ex.advance(T0 + i * 557.0)
    mins = [b for b in ex.history(EURUSD, end=None, duration="7200 S", bar_size="1 min",
                                  what_to_show="MIDPOINT") if T0 <= b.time < T0 + 3600]
    assert len(mins) == 60
    assert max(b.high for b in mins) == pytest.approx(nxt.high, abs=tick)
    assert min(b.low for b in mins) == pytest.approx(nxt.low, abs=tick)


def test_multi_ticker_file_adds_new_stock_and_replaces_aapl(shared):
    folder, data = shared
    ex, _ = make(bars_dir=str(folder))
    fb = ex.lookup(symbol="FB", sec_type="STK")
    assert len(fb) == 1 and fb[0].currency == "USD" and fb[0].min_tick == 0.01
    assert ex.top(fb[0].con_id).last == data["FB"].close.iloc[-1]
    assert ex.top(AAPL).last == data["AAPL"].close.iloc[-1]
    assert ex.history(AAPL, end=None, duration="1 D", bar_size="1 day")[-1].close == data["AAPL"].close.iloc[-1]


def test_small_private_folder(tmp_path):
    (tmp_path / "ZZZZ.csv").write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2020-01-02,10,11,9.5,10.5,1000\n2020-01-03,10.5,10.8,10.1,10.2,2000\n"
        "2020-01-06,10.2,10.4,9.9,10.0,1500\n")
    ex, _ = make(bars_dir=str(tmp_path))
    cid = ex.lookup(symbol="zzzz")[0].con_id
    bars = ex.history(cid, end=None, duration="1 M", bar_size="1 day")
    assert _ohlc(bars) == [(10, 11, 9.5, 10.5), (10.5, 10.8, 10.1, 10.2), (10.2, 10.4, 9.9, 10.0)]
    assert [b.volume for b in bars] == [1000, 2000, 1500]
    assert ex.top(cid).last == 10.0


def test_bad_folder_and_file(tmp_path):
    with pytest.raises(ValueError):
        make(bars_dir=str(tmp_path / "missing"))
    (tmp_path / "BAD.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="needs columns"):
        make(bars_dir=str(tmp_path))
