"""Market model across sessions: outside regular hours quotes widen and activity drops;
closed days are quiet."""

from __future__ import annotations

from tests.unit.sim.helpers import AAPL, make, ny


def _sample(start: float, seconds: int = 600):
    ex, _ = make(now=start)
    spreads, n = [], 0
    for i in range(1, seconds + 1):
        if AAPL in ex.advance(start + i):
            n += 1
            t = ex.top(AAPL)
            spreads.append(round((t.ask - t.bid) / 0.01))
    return ex, spreads, n


def test_extended_hours_wider_quotes_fewer_changes_less_volume():
    rth_ex, rth_spreads, rth_n = _sample(ny(2025, 11, 21, 10, 0))
    ext_ex, ext_spreads, ext_n = _sample(ny(2025, 11, 21, 7, 0))
    assert rth_spreads and ext_spreads
    assert min(ext_spreads) >= 3 * max(1, min(rth_spreads)) - 1e-9 and max(rth_spreads) < min(ext_spreads)
    assert ext_n < rth_n / 3
    vol_rth = sum(t.size for t in rth_ex.trades_since(AAPL, ny(2025, 11, 21, 10, 0)))
    vol_ext = sum(t.size for t in ext_ex.trades_since(AAPL, ny(2025, 11, 21, 7, 0)))
    assert vol_ext < vol_rth / 3
    assert all(t.special_conditions == "T" for t in ext_ex.trades_since(AAPL, ny(2025, 11, 21, 7, 0)))


def test_weekend_is_quiet_for_stocks_and_fx():
    ex, _ = make(now=ny(2025, 11, 22, 12, 0))
    changed = set()
    for i in range(1, 120):
        changed |= set(ex.advance(ny(2025, 11, 22, 12, 0) + 30 * i))
    assert changed == set()


def test_stock_holiday_is_a_closed_day_fx_trades():
    from app.sim.instruments import is_open, session_bounds, trading_hours_string
    from datetime import date
    thanksgiving = date(2025, 11, 27)
    assert session_bounds("STK", thanksgiving) is None and session_bounds("CASH", thanksgiving) is not None
    assert not is_open("STK", ny(2025, 11, 27, 11, 0)) and is_open("CASH", ny(2025, 11, 27, 11, 0))
    assert "20251127:CLOSED" in trading_hours_string("STK", ny(2025, 11, 26, 12, 0), rth=True)
    ex, _ = make(now=ny(2025, 11, 26, 15, 0))
    from tests.unit.sim.orderhelp import tk
    o = ex.place(1, 1, AAPL, tk("BUY", 100, "LMT", lmt=1.0, tif="GTC"), ex.now)
    ex.advance(ny(2025, 11, 27, 12, 0))
    assert o.is_working and o.filled == 0 and AAPL not in ex.advance(ny(2025, 11, 27, 12, 0, 30))
