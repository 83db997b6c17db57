"""app.domain.live_position: a position valued at the live quote between IB's updates."""

from __future__ import annotations

import pytest

from app.domain import Instrument, Position, PositionPnL, live_position

AAPL = Instrument("AAPL", con_id=265598)


def _pos(qty=100.0, avg=238.72, mark=238.70):
    return Position("DU1", AAPL, qty, avg, mark, qty * mark, (mark - avg) * qty, 0.0)


def test_without_pnl_unrealized_comes_from_the_mark_and_daily_is_unknown():
    p = live_position(_pos(), None, 239.00)
    assert p.market_price == 239.00 and p.market_value == pytest.approx(23_900.0)
    assert p.unrealized_pnl == pytest.approx(28.0) and p.daily_pnl is None


def test_ib_pnl_moves_with_the_quote_and_float_noise_is_zero():
    pnl = PositionPnL("DU1", 265598, 100.0, daily=-5.0, unrealized=-5.0, realized=0.0, value=23_867.0)
    p = live_position(_pos(), pnl, 238.72)          # IB valued at 238.67; now 238.72
    assert p.daily_pnl == 0.0 and str(p.daily_pnl) == "0.0"      # not -1e-12
    assert p.unrealized_pnl == 0.0
    q = live_position(_pos(), pnl, 238.50)
    assert q.daily_pnl == pytest.approx(-22.0) and q.unrealized_pnl == pytest.approx(-22.0)


def test_a_pnl_for_another_quantity_is_not_extrapolated_and_no_price_keeps_the_row():
    stale = PositionPnL("DU1", 265598, 50.0, daily=1.0, unrealized=1.0, realized=0.0, value=11_935.0)
    p = live_position(_pos(), stale, 239.0)
    assert p.unrealized_pnl == pytest.approx(28.0) and p.daily_pnl is None
    bare = Position("DU1", AAPL, 100.0, 238.72)
    assert live_position(bare, None, None) is bare


def test_fmt_money_never_shows_minus_zero():
    from app.ui.format import fmt_money
    assert fmt_money(-0.0) == "0.00" and fmt_money(-0.004) == "0.00" and fmt_money(-0.006) == "-0.01"
    assert fmt_money(-1234.5) == "-1,234.50"
