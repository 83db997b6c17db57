"""Seconds bars of the simulated exchange (app.sim.seconds): aggregation to the 1-min bars,
determinism, IB's duration limits, useRTH, the live tape minute and replayed data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.sim.seconds import bridge_pieces, check_keep_up_to_date
from app.sim.types import SimError
from tests.unit.sim.helpers import AAPL, EURUSD, MSFT, T0, make, ny

SIZES = (1, 5, 10, 15, 30)
MAX_S = {1: 1800, 5: 3600, 10: 14400, 15: 14400, 30: 28800}


def _by_minute(bars):
    out: dict[float, list] = {}
    for b in bars:
        out.setdefault(math.floor(b.time / 60) * 60, []).append(b)
    return out


def _assert_aggregates(seconds, minutes):
    """Every minute wholly inside both requests: open/close/high/low/volume/count agree exactly
    (the first, partly requested minute of the seconds window is not a 1-min bar there)."""
    by_min = {b.time: b for b in minutes}
    groups = {k: g for k, g in _by_minute(seconds).items() if k in by_min}
    assert len(groups) >= len(minutes) - 1 and groups
    for k, grp in groups.items():
        m = by_min[k]
        assert grp[0].open == m.open, (k, grp[0], m)
        assert grp[-1].close == m.close, (k, grp[-1], m)
        assert max(b.high for b in grp) == m.high
        assert min(b.low for b in grp) == m.low
        if m.volume >= 0:                                   # TRADES (quote bars carry -1)
            assert sum(b.volume for b in grp) == m.volume
            assert sum(b.count for b in grp) == m.count
        for b in grp:
            assert b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), minute=st.integers(2, 300), size=st.sampled_from(SIZES),
       cid=st.sampled_from([AAPL, MSFT, EURUSD]))
def test_seconds_bars_aggregate_exactly_to_the_minute_bar(seed, minute, size, cid):
    ex, _ = make(seed=seed)
    end = math.floor(T0 / 60) * 60 - 60 * minute          # a generated history minute boundary
    what = "MIDPOINT" if cid == EURUSD else "TRADES"
    dur = min(MAX_S[size], 600)
    secs = ex.history(cid, end=end, duration=f"{dur} S", bar_size=f"{size} secs", what_to_show=what)
    mins = ex.history(cid, end=end, duration=f"{dur} S", bar_size="1 min", what_to_show=what)
    assert all(end - dur <= b.time < end for b in secs)
    assert all(b.time % size == 0 for b in secs)
    _assert_aggregates(secs, mins)
    tick = ex.contract(cid).min_tick
    for b in secs:
        for p in (b.open, b.high, b.low, b.close):
            assert abs(p / tick - round(p / tick)) < 1e-6, (b, tick)


def test_seconds_bars_are_deterministic_and_window_independent():
    a, _ = make(seed=11)
    b, _ = make(seed=11)
    c, _ = make(seed=12)
    end = T0 - 600
    ha = a.history(AAPL, end=end, duration="600 S", bar_size="5 secs")
    hb = b.history(AAPL, end=end, duration="300 S", bar_size="5 secs")
    assert ha[-60:] == hb                                     # same minutes, same seconds bars
    assert ha != c.history(AAPL, end=end, duration="600 S", bar_size="5 secs")
    # 5 secs bars are the aggregate of the 1 secs bars
    ones = a.history(AAPL, end=end, duration="300 S", bar_size="1 secs")
    fives = {x.time: x for x in hb}
    groups: dict[float, list] = {}
    for x in ones:
        groups.setdefault(x.time - x.time % 5, []).append(x)
    for t, grp in groups.items():
        f = fives[t]
        assert (grp[0].open, max(g.high for g in grp), min(g.low for g in grp), grp[-1].close) == \
            (f.open, f.high, f.low, f.close)
        assert sum(g.volume for g in grp) == f.volume


@pytest.mark.parametrize("size", SIZES)
def test_ib_duration_limits_answer_162_invalid_step(size):
    ex, _ = make()
    ok = ex.history(AAPL, end=None, duration=f"{MAX_S[size]} S", bar_size=f"{size} secs")
    assert ok and ok[-1].time <= ex.now
    for dur in (f"{MAX_S[size] + 1} S", "1 D", "1 W"):
        with pytest.raises(SimError) as ei:
            ex.history(AAPL, end=None, duration=dur, bar_size=f"{size} secs")
        assert ei.value.code == 162
        assert ei.value.text == f"Historical Market Data Service error message:invalid step: {size}"


def test_keep_up_to_date_refuses_one_second_bars_only():
    with pytest.raises(SimError) as ei:
        check_keep_up_to_date("1 secs")
    assert ei.value.code == 321
    for size in ("5 secs", "10 secs", "30 secs", "1 min"):
        check_keep_up_to_date(size)


def test_use_rth_keeps_regular_hours_only():
    ex, _ = make(now=ny(2025, 11, 21, 9, 40))
    bars = ex.history(AAPL, end=None, duration="1800 S", bar_size="5 secs", use_rth=True)
    allb = ex.history(AAPL, end=None, duration="1800 S", bar_size="5 secs", use_rth=False)
    open_t = ny(2025, 11, 21, 9, 30)
    assert bars and all(b.time >= open_t for b in bars)
    assert any(b.time < open_t for b in allb)
    assert [b for b in allb if b.time >= open_t] == bars


def test_live_minute_comes_from_the_tape_and_matches_the_live_bar():
    ex, _ = make(seed=3)
    for i in range(1, 400):
        ex.advance(T0 + i * 0.37)
    now = ex.now
    secs = ex.history(AAPL, end=None, duration="300 S", bar_size="5 secs")
    mins = ex.history(AAPL, end=None, duration="300 S", bar_size="1 min")
    _assert_aggregates(secs, mins)
    # bars after the start minute are exactly the prints of the tape
    k0 = T0                                                   # T0 is a minute boundary
    prints = ex.trades_since(AAPL, k0 - 1e-9)
    live = [b for b in secs if b.time >= k0]
    assert sum(b.volume for b in live) == sum(p.size for p in prints)
    assert sum(b.count for b in live) == len(prints)
    slots = {math.floor(p.time / 5) * 5 for p in prints}
    assert {b.time for b in live} == slots                    # no bar where nothing printed
    # keepUpToDate's bar is the last history bar and closes at the last trade
    lb = ex.live_bar(AAPL, "5 secs")
    assert lb == secs[-1]
    assert lb.close == ex.top(AAPL).last
    assert lb.time == math.floor(prints[-1].time / 5) * 5 and lb.time <= now
    # before T0: generated history, a bar every 5 s
    hist = [b for b in secs if b.time < T0]
    assert hist and all(y.time - x.time == 5 for x, y in zip(hist, hist[1:]))


def test_start_minute_is_history_part_then_prints():
    t0 = T0 + 23.5                                          # start inside a minute
    ex, _ = make(seed=5, now=t0)
    for i in range(1, 150):
        ex.advance(t0 + i * 0.3)
    secs = ex.history(AAPL, end=None, duration="120 S", bar_size="1 secs")
    mins = ex.history(AAPL, end=None, duration="120 S", bar_size="1 min")
    _assert_aggregates(secs, mins)
    k = math.floor(t0 / 60) * 60
    before = [b for b in secs if k <= b.time < t0]
    after = [b for b in secs if math.ceil(t0) <= b.time < k + 60]
    assert len(before) == 24 and after                      # bridge to t0, then the tape
    prints = ex.trades_since(AAPL, math.ceil(t0) - 1e-9)
    assert sum(b.volume for b in after) == sum(p.size for p in prints if p.time < k + 60)


def test_bridge_pieces_respect_the_bar():
    rng = np.random.default_rng(1)
    t, o, h, lo, c, v, n = bridge_pieces(rng, 100.0, 160.0, 10.00, 10.07, 9.95, 10.02, 12_300, 41, 0.01)
    assert len(t) == 60 and t[0] == 100.0 and t[-1] == 159.0
    assert o[0] == 10.00 and c[-1] == 10.02 and h.max() == 10.07 and lo.min() == 9.95
    assert v.sum() == 12_300 and np.all(v % 100 == 0) and n.sum() == 41
    assert np.all(lo <= np.minimum(o, c)) and np.all(h >= np.maximum(o, c))
    one = bridge_pieces(rng, 0.0, 0.4, 5.0, 5.5, 4.5, 5.1, 7, 1, 0.1)
    assert len(one[0]) == 1 and (one[1][0], one[2][0], one[3][0], one[4][0]) == (5.0, 5.5, 4.5, 5.1)


def test_replayed_daily_data_has_no_invented_seconds(tmp_path):
    rows = ["Date,Open,High,Low,Close,Volume"]
    p = 100.0
    for i in range(40):
        d = np.datetime64("2024-01-01") + np.timedelta64(i, "D")
        rows.append(f"{d},{p},{p + 2},{p - 2},{p + 1},1000000")
        p += 1
    (tmp_path / "ZZZ.csv").write_text("\n".join(rows))
    ex, _ = make(bars_dir=str(tmp_path))
    cid = ex.lookup(symbol="ZZZ")[0].con_id
    assert ex.history(cid, end=None, duration="1 D", bar_size="1 min")      # minutes still served
    with pytest.raises(SimError) as ei:
        ex.history(cid, end=None, duration="1800 S", bar_size="5 secs")
    assert ei.value.code == 162 and "HMDS query returned no data" in ei.value.text
    # the simulator's own live prints do have seconds bars
    for i in range(1, 300):
        ex.advance(T0 + i * 0.5)
    live = ex.history(cid, end=None, duration="300 S", bar_size="5 secs")
    assert live and all(b.time >= T0 for b in live)          # T0 is a minute boundary
    assert sum(b.volume for b in live) == sum(p.size for p in ex.trades_since(cid, T0 - 1e-9))
