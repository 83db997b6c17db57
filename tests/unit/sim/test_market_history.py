"""Market model, contracts and history of the simulated exchange."""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pytest

from app.sim.types import SimError
from tests.unit.sim.helpers import AAPL, EURUSD, MSFT, NY, SPY, T0, USDJPY, make, ny


def _run(ex, n=50, step=0.1, start=None):
    start = ex.now if start is None else start
    for i in range(1, n + 1):
        ex.advance(start + i * step)


def test_same_seed_same_prices_other_seed_differs():
    a, _ = make(seed=7)
    b, _ = make(seed=7)
    c, _ = make(seed=8)
    for ex in (a, b, c):
        _run(ex, 80)
    assert a.top(AAPL) == b.top(AAPL)
    assert a.top(EURUSD) == b.top(EURUSD)
    assert a.top(AAPL) != c.top(AAPL)
    ha = a.history(AAPL, end=None, duration="1 D", bar_size="1 min")
    hb = b.history(AAPL, end=None, duration="1 D", bar_size="1 min")
    assert ha == hb


def test_advance_is_idempotent_and_reports_changes():
    ex, _ = make()
    changed = ex.advance(T0 + 1.0)
    assert changed and set(changed) <= {c.con_id for c in ex.contracts() + ex.futures.contracts()}
    snap = ex.top(AAPL)
    assert ex.advance(T0 + 1.0) == []
    assert ex.advance(T0 + 0.5) == []
    assert ex.top(AAPL) == snap


def test_quotes_are_sane_and_on_tick():
    ex, _ = make()
    _run(ex, 100)
    for cid in (AAPL, SPY, EURUSD, USDJPY):
        t = ex.top(cid)
        tick = ex.contract(cid).min_tick
        assert 0 < t.bid < t.ask
        assert round((t.ask - t.bid) / tick, 6) >= 1
        for p in (t.bid, t.ask):
            assert abs(p / tick - round(p / tick)) < 1e-6
        assert t.low <= t.last <= t.high
        assert t.volume > 0 and t.bid_size > 0 and t.ask_size > 0
    assert 150 < ex.top(AAPL).last < 320          # near the ~230 reference level
    assert 1.0 < ex.top(EURUSD).last < 1.2


def test_market_closed_on_weekend_no_ticks():
    ex, _ = make(now=ny(2025, 11, 22, 12, 0))     # Saturday
    for i in range(1, 30):
        assert ex.advance(ny(2025, 11, 22, 12, 0) + i) == []


def test_startup_is_fast():
    t = time.perf_counter()
    ex, _ = make()
    ex.advance(T0 + 0.1)                          # builds every instrument's history
    assert time.perf_counter() - t < 3.0


def test_lookup_rules():
    ex, _ = make()
    assert [c.con_id for c in ex.lookup(con_id=AAPL, symbol="MSFT")] == [AAPL]
    assert [c.con_id for c in ex.lookup(symbol="aapl")] == [AAPL]
    assert [c.con_id for c in ex.lookup(symbol="AAPL", sec_type="STK", currency="USD", exchange="SMART")] == [AAPL]
    assert [c.con_id for c in ex.lookup(symbol="MSFT", exchange="NASDAQ")] == [MSFT]
    assert ex.lookup(symbol="AAPL", exchange="IDEALPRO") == []
    assert ex.lookup(symbol="AAPL", currency="EUR") == []
    assert [c.con_id for c in ex.lookup(symbol="EUR", sec_type="CASH", exchange="IDEALPRO")] == [EURUSD]
    assert [c.con_id for c in ex.lookup(local_symbol="EUR.USD")] == [EURUSD]
    assert ex.lookup(symbol="NOPE") == []
    with pytest.raises(SimError) as e:
        ex.contract(999)
    assert e.value.code == 200
    c = ex.contract(USDJPY)
    assert c.min_tick == 0.005 and c.exchange == "IDEALPRO" and c.local_symbol == "USD.JPY"
    assert ex.contract(SPY).primary_exchange == "ARCA"
    assert len([c for c in ex.contracts() if c.sec_type == "STK"]) == 20
    assert ex.contract(AAPL).trading_hours.startswith("20251121:0400-20251121:2000")
    assert ex.contract(AAPL).liquid_hours.startswith("20251121:0930-20251121:1600")


def _local(t):
    return datetime.fromtimestamp(t, NY)


def test_daily_history_two_years_ordered_weekdays():
    ex, _ = make()
    bars = ex.history(AAPL, end=None, duration="2 Y", bar_size="1 day")
    assert len(bars) >= 500
    times = [b.time for b in bars]
    assert times == sorted(times) and len(set(times)) == len(times)
    for b in bars:
        d = _local(b.time)
        assert d.hour == 0 and d.minute == 0 and d.weekday() < 5
        assert b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high
    assert _local(bars[-1].time).date().isoformat() == "2025-11-21"


def test_intraday_only_in_sessions():
    ex, _ = make()
    ext = ex.history(AAPL, end=None, duration="1 M", bar_size="1 min")
    rth = ex.history(AAPL, end=None, duration="1 M", bar_size="1 min", use_rth=True)
    assert len(ext) > 15 * 900 and len(rth) > 15 * 380
    for b in ext:
        d = _local(b.time)
        assert d.weekday() < 5 and 4 <= d.hour < 20
    for b in rth:
        d = _local(b.time)
        assert (d.hour, d.minute) >= (9, 30) and d.hour < 16
    fx = ex.history(EURUSD, end=None, duration="2 W", bar_size="1 hour", what_to_show="MIDPOINT")
    hours = {(_local(b.time).weekday(), _local(b.time).hour) for b in fx}
    assert (6, 17) in hours                       # Sunday 17:00 New York opens the week
    assert not any(wd == 5 for wd, _ in hours)    # nothing on Saturday
    assert not any(wd == 4 and h >= 17 for wd, h in hours)
    assert all(b.volume == -1 for b in fx)


def test_aggregation_consistency_5min_hour_day():
    ex, _ = make()
    _run(ex, 300)
    m1 = ex.history(AAPL, end=None, duration="2 D", bar_size="1 min")
    m5 = ex.history(AAPL, end=None, duration="2 D", bar_size="5 mins")
    by5: dict[float, list] = {}
    for b in m1:
        by5.setdefault(b.time // 300 * 300, []).append(b)
    assert len(by5) == len(m5)
    for b in m5:
        grp = by5[b.time]
        assert b.open == grp[0].open and b.close == grp[-1].close
        assert b.high == max(x.high for x in grp) and b.low == min(x.low for x in grp)
        assert b.volume == pytest.approx(sum(x.volume for x in grp))
    day = ex.history(AAPL, end=None, duration="1 D", bar_size="1 day")[-1]
    today = [b for b in m1 if _local(b.time).date() == _local(T0).date()]
    assert day.open == today[0].open and day.close == today[-1].close
    assert day.high == max(b.high for b in today) and day.low == min(b.low for b in today)
    assert day.volume == pytest.approx(sum(b.volume for b in today))


def test_history_joins_live_stream():
    ex, _ = make()
    h0 = ex.history(AAPL, end=None, duration="60 S", bar_size="1 min")
    assert h0[-1].close == ex.top(AAPL).last      # before any tick
    _run(ex, 605)                                  # a minute of ticks
    last = ex.top(AAPL).last
    for size in ("1 min", "5 mins", "1 hour", "1 day"):
        dur = "1 D" if size != "1 day" else "1 M"
        h = ex.history(AAPL, end=None, duration=dur, bar_size=size)
        assert h[-1].close == last, size
        lb = ex.live_bar(AAPL, size)
        assert lb.close == last and lb.time == h[-1].time and lb == h[-1], size
    m1 = ex.history(AAPL, end=None, duration="1 D", bar_size="1 min")
    assert ex.now - 120 < m1[-1].time <= ex.now   # minutes without a trade have no bar
    t = [b.time for b in m1]
    assert all(b > a for a, b in zip(t, t[1:]))
    assert ex.top(AAPL).volume == pytest.approx(ex.history(AAPL, end=None, duration="1 D", bar_size="1 day")[-1].volume)


def test_history_end_in_past_and_quote_kinds():
    ex, _ = make()
    end = ny(2025, 11, 20, 12, 0)
    h = ex.history(AAPL, end=end, duration="3600 S", bar_size="1 min")
    assert len(h) == 60 and h[-1].time == end - 60 and h[0].time == end - 3600
    mid = ex.history(AAPL, end=end, duration="3600 S", bar_size="1 min", what_to_show="MIDPOINT")
    bid = ex.history(AAPL, end=end, duration="3600 S", bar_size="1 min", what_to_show="BID")
    assert [b.close for b in mid] == [b.close for b in h]
    assert all(b.close < m.close for b, m in zip(bid, mid))
    wk = ex.history(AAPL, end=None, duration="1 Y", bar_size="1 week")
    assert all(_local(b.time).weekday() < 5 for b in wk) and 50 <= len(wk) <= 54


@pytest.mark.parametrize("duration,bar,code", [
    ("2 X", "1 min", 321), ("D", "1 min", 321), ("0 D", "1 min", 321),
    ("1 D", "7 mins", 321), ("1 D", "", 321), ("1 D", "1 sec", 321),
])
def test_history_malformed(duration, bar, code):
    ex, _ = make()
    with pytest.raises(SimError) as e:
        ex.history(AAPL, end=None, duration=duration, bar_size=bar)
    assert e.value.code == code and e.value.text.startswith("Error validating request")


def test_history_no_data_and_fx_trades():
    ex, _ = make()
    with pytest.raises(SimError) as e:
        ex.history(AAPL, end=T0 - 5 * 365 * 86400, duration="1 D", bar_size="1 min")
    assert e.value.code == 162 and "HMDS query returned no data" in e.value.text
    with pytest.raises(SimError) as e:
        ex.history(EURUSD, end=None, duration="1 D", bar_size="1 min", what_to_show="TRADES")
    assert e.value.code == 162
    with pytest.raises(SimError) as e:
        ex.history(AAPL, end=None, duration="1 D", bar_size="1 min", what_to_show="NONSENSE")
    assert e.value.code == 321
    with pytest.raises(SimError) as e:
        ex.history(4242, end=None, duration="1 D", bar_size="1 min")
    assert e.value.code == 200


def test_volatility_is_realistic():
    ex, _ = make()
    d = ex.history(SPY, end=None, duration="2 Y", bar_size="1 day")
    c = np.array([b.close for b in d])
    vol = np.std(np.diff(np.log(c))) * np.sqrt(252)
    assert 0.07 < vol < 0.30                      # SPY ~15 % a year


def test_new_session_resets_day_statistics():
    ex, _ = make(now=ny(2025, 11, 21, 19, 59))
    ex.advance(ny(2025, 11, 21, 19, 59, 30))
    ex.advance(ny(2025, 11, 21, 20, 0))           # the close: later advances add no Friday prints
    friday_last = ex.top(AAPL).last
    for i in range(1, 200):                       # Monday pre-market, 10 s steps
        ex.advance(ny(2025, 11, 24, 4, 0) + i * 10)
    t = ex.top(AAPL)
    assert t.close == friday_last
    assert t.low <= t.open <= t.high and t.low <= t.last <= t.high
    monday = ex.history(AAPL, end=None, duration="1 D", bar_size="1 day")[-1]
    assert t.volume == pytest.approx(monday.volume) and monday.open == t.open
    assert datetime.fromtimestamp(monday.time, NY).date().isoformat() == "2025-11-24"


def test_rth_hour_bars_start_at_0930_like_ib():
    ex, _ = make()
    h = ex.history(AAPL, end=ny(2025, 11, 20, 16, 0), duration="1 D", bar_size="1 hour", use_rth=True)
    assert [(_local(b.time).hour, _local(b.time).minute) for b in h] == \
        [(9, 30), (10, 0), (11, 0), (12, 0), (13, 0), (14, 0), (15, 0)]
    m1 = ex.history(AAPL, end=ny(2025, 11, 20, 10, 0), duration="1800 S", bar_size="1 min", use_rth=True)
    assert h[0].open == m1[0].open and h[0].close == m1[-1].close
    ext = ex.history(AAPL, end=ny(2025, 11, 20, 20, 0), duration="1 D", bar_size="1 hour")
    assert len(ext) == 16 and _local(ext[0].time).hour == 4


def test_a_restarted_gateways_history_agrees_with_its_restored_quotes(tmp_path):
    """After a restart from a state file the history is generated again; it must end at the
    restored last price and the day statistics (the close a watchlist's change is measured
    from, open / high / low) must be the regenerated history's: they were the old run's, so
    AAPL showed -2.1 % against a chart whose previous session closed 10 USD lower."""
    from app.sim.exchange import SimExchange
    from tests.unit.sim.helpers import make
    ex, _ = make()
    ex.advance(ex.now + 3 * 3600)                       # the old run trades for three hours
    ex.set_quote(AAPL, ex.now + 1, bid=251.00, ask=251.02, last=251.01)
    path = tmp_path / "state.sqlite"
    ex.save_state(str(path))
    back = SimExchange.load_state(str(path), now=ex.now + 600)   # restarted ten minutes later
    top = back.top(AAPL)
    assert (top.bid, top.ask, top.last) == (251.00, 251.02, 251.01)
    mins = back.history(AAPL, end=None, duration="2 D", bar_size="1 min")
    assert mins[-1].close == top.last
    day = back.history(AAPL, end=None, duration="2 D", bar_size="1 day")
    assert top.close == day[-2].close                  # the previous session's close
    assert (top.open, top.high, top.low) == (day[-1].open, day[-1].high, day[-1].low)
