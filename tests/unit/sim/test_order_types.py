"""Order types and TIFs of the matching engine: each rule with a case that must NOT fill/trigger."""

from __future__ import annotations

import pytest

from app.sim.types import SimError
from tests.unit.sim.helpers import AAPL, EURUSD, make, ny
from tests.unit.sim.orderhelp import errors, q, statuses, tk


# ---------------------------------------------------------------- stops and touches
def test_stop_triggers_on_last_and_not_before(mk):
    ex, ev = mk
    o = ex.place(1, 1, AAPL, tk("BUY", 100, "STP", aux=230.50), ex.now)
    assert o.status == "PreSubmitted"
    q(ex, 230.40, 230.42, last=230.49)                   # below the stop: no trigger
    assert o.status == "PreSubmitted" and o.filled == 0
    q(ex, 230.50, 230.52, last=230.50)
    assert o.status == "Filled" and o.avg_fill_price == 230.52
    assert statuses(ev, 1) == ["PendingSubmit", "PreSubmitted", "Submitted", "Filled"]


def test_stop_limit_triggers_then_works_as_limit(mk):
    ex, ev = mk
    o = ex.place(1, 2, AAPL, tk("SELL", 100, "STP LMT", lmt=229.50, aux=229.60), ex.now)
    q(ex, 229.40, 229.42, last=229.45)                   # triggered, but bid 229.40 < limit 229.50
    assert o.triggered and o.status == "Submitted" and o.filled == 0
    q(ex, 229.55, 229.57, last=229.55)
    assert o.status == "Filled" and o.avg_fill_price == 229.55


def test_mit_buy_triggers_when_market_falls_to_trigger(mk):
    ex, ev = mk
    o = ex.place(1, 3, AAPL, tk("BUY", 100, "MIT", aux=229.00), ex.now)
    assert o.status == "PreSubmitted"
    q(ex, 229.50, 229.52, last=229.51)
    assert o.filled == 0                                  # not yet touched
    q(ex, 228.98, 229.00, last=229.00)
    assert o.status == "Filled" and o.avg_fill_price == 229.00


def test_lit_sell_triggers_on_touch_then_limit(mk):
    ex, ev = mk
    o = ex.place(1, 4, AAPL, tk("SELL", 100, "LIT", lmt=231.00, aux=231.00), ex.now)
    q(ex, 230.90, 230.92, last=230.95)
    assert not o.triggered and o.status == "PreSubmitted"
    q(ex, 230.98, 231.00, last=231.00)                   # triggered; bid 230.98 below the limit
    assert o.triggered and o.filled == 0 and o.status == "Submitted"
    q(ex, 231.01, 231.03, last=231.02)
    assert o.status == "Filled" and o.avg_fill_price == 231.01


def test_trail_amount_follows_up_never_back_then_triggers(mk):
    ex, ev = mk
    o = ex.place(1, 5, AAPL, tk("SELL", 100, "TRAIL", aux=1.00), ex.now)
    assert o.trail_stop == pytest.approx(229.01) and o.status == "PreSubmitted"
    q(ex, 231.00, 231.02, last=231.01)
    assert o.trail_stop == pytest.approx(230.01)
    q(ex, 230.50, 230.52, last=230.51)                   # market falls back: stop stays
    assert o.trail_stop == pytest.approx(230.01) and o.filled == 0
    q(ex, 230.00, 230.02, last=230.01)
    assert o.status == "Filled" and o.avg_fill_price == 230.00


def test_trail_percent_and_initial_trail_stop_price(mk):
    ex, ev = mk
    o = ex.place(1, 6, AAPL, tk("BUY", 100, "TRAIL", trailing_percent=1.0), ex.now)
    assert o.trail_stop == pytest.approx(232.32)         # ceil(230.01 * 1.01)
    q(ex, 228.00, 228.02, last=228.01)
    assert o.trail_stop == pytest.approx(230.30) and o.filled == 0
    p = ex.place(1, 7, AAPL, tk("SELL", 100, "TRAIL", aux=2.0, trail_stop_price=227.00), ex.now)
    assert p.trail_stop == 227.00


def test_trail_limit_works_offset_below_stop(mk):
    ex, ev = mk
    o = ex.place(1, 8, AAPL, tk("SELL", 100, "TRAIL LIMIT", aux=0.50, lmt_price_offset=0.10), ex.now)
    assert o.trail_stop == pytest.approx(229.51)
    q(ex, 229.20, 229.22, last=229.50)                   # triggers; limit 229.41 > bid 229.20
    assert o.triggered and o.filled == 0
    q(ex, 229.45, 229.47, last=229.45)
    assert o.status == "Filled" and o.avg_fill_price == 229.45


# ---------------------------------------------------------------- auctions
def test_moc_fills_at_the_closing_price_not_before():
    ex, ev = make(now=ny(2025, 11, 21, 15, 0))
    q(ex, 230.00, 230.02, last=230.01)
    o = ex.place(1, 1, AAPL, tk("BUY", 100, "MOC"), ex.now)
    assert o.status == "PreSubmitted"
    ex.advance(ny(2025, 11, 21, 15, 59, 50))
    assert o.filled == 0
    ex.advance(ny(2025, 11, 21, 16, 5))
    close_px = ex.market.tape(AAPL).last_trade_before(ny(2025, 11, 21, 16, 0) + 1e-6).price
    assert o.status == "Filled" and o.avg_fill_price == close_px


def test_moc_after_cutoff_is_rejected():
    ex, ev = make(now=ny(2025, 11, 21, 15, 55))
    o = ex.place(1, 1, AAPL, tk("BUY", 100, "MOC"), ex.now)
    assert o.status == "Inactive" and errors(ev) == [201]


def test_loc_not_filled_when_close_is_worse_than_limit():
    ex, ev = make(now=ny(2025, 11, 21, 15, 0))
    q(ex, 230.00, 230.02, last=230.01)
    o = ex.place(1, 1, AAPL, tk("BUY", 100, "LOC", lmt=200.00), ex.now)
    ex.advance(ny(2025, 11, 21, 16, 1))
    assert o.status == "Cancelled" and o.filled == 0
    p = ex.place(1, 2, AAPL, tk("SELL", 100, "LOC", lmt=0.01), ny(2025, 11, 24, 15, 0))
    ex.advance(ny(2025, 11, 24, 16, 1))
    assert p.status == "Filled"


def test_opg_fills_at_the_open_only():
    ex, ev = make(now=ny(2025, 11, 21, 8, 0))
    o = ex.place(1, 1, AAPL, tk("BUY", 100, "MKT", tif="OPG"), ex.now)
    lo = ex.place(1, 2, AAPL, tk("BUY", 100, "LMT", lmt=1.00, tif="OPG"), ex.now)
    ex.advance(ny(2025, 11, 21, 9, 29))
    assert o.filled == 0 and o.status == "PreSubmitted"
    ex.advance(ny(2025, 11, 21, 9, 31))
    assert o.status == "Filled" and lo.status == "Cancelled" and lo.filled == 0


def test_auction_orders_unsupported_for_fx(mk):
    ex, ev = mk
    o = ex.place(1, 9, EURUSD, tk("BUY", 20000, "MOC"), ex.now)
    assert o.status == "Inactive" and errors(ev) == [387]


# ---------------------------------------------------------------- TIFs
def test_ioc_fills_what_it_can_then_cancels(mk):
    ex, ev = mk
    o = ex.place(1, 10, AAPL, tk("BUY", 1500, "LMT", lmt=230.02, tif="IOC"), ex.now)
    assert o.filled == 1000 and o.status == "Cancelled"


def test_fok_all_or_nothing(mk):
    ex, ev = mk
    o = ex.place(1, 11, AAPL, tk("BUY", 1500, "LMT", lmt=230.02, tif="FOK"), ex.now)
    assert o.filled == 0 and o.status == "Cancelled" and ex.executions() == []
    p = ex.place(1, 12, AAPL, tk("BUY", 800, "LMT", lmt=230.02, tif="FOK"), ex.now)
    assert p.filled == 800 and p.status == "Filled"


def test_gtd_expires_at_good_till_date_not_before(mk):
    ex, ev = mk
    o = ex.place(1, 13, AAPL, tk("BUY", 100, "LMT", lmt=200.00, tif="GTD",
                                 good_till_date="20251121 11:00:00 US/Eastern"), ex.now)
    ex.advance(ny(2025, 11, 21, 10, 59))
    assert o.status == "Submitted"
    ex.advance(ny(2025, 11, 21, 11, 0, 30))
    assert o.status == "Cancelled"


def test_gtd_in_the_past_is_rejected(mk):
    ex, ev = mk
    o = ex.place(1, 14, AAPL, tk("BUY", 100, "LMT", lmt=200.00, tif="GTD", good_till_date="20200101 10:00:00"),
                 ex.now)
    assert o.status == "Inactive" and errors(ev) == [201]


def test_day_outside_rth_expires_at_2000_gtc_persists():
    ex, ev = make(now=ny(2025, 11, 21, 15, 0))
    d = ex.place(1, 1, AAPL, tk("BUY", 100, "LMT", lmt=1.00, outside_rth=True), ex.now)
    g = ex.place(1, 2, AAPL, tk("BUY", 100, "LMT", lmt=1.00, tif="GTC"), ex.now)
    ex.advance(ny(2025, 11, 21, 17, 0))
    assert d.status == "Submitted"
    ex.advance(ny(2025, 11, 21, 20, 1))
    assert d.status == "Cancelled" and g.status in ("Submitted", "PreSubmitted")


# ---------------------------------------------------------------- brackets, transmit, OCA
def test_bracket_with_transmit_false_is_held_until_last_child(mk):
    ex, ev = mk
    p = ex.place(1, 20, AAPL, tk("BUY", 100, "LMT", lmt=230.02, transmit=False), ex.now)
    tp = ex.place(1, 21, AAPL, tk("SELL", 100, "LMT", lmt=231.00, parent_id=20, transmit=False), ex.now)
    assert p.filled == 0 and p.held and ev == []        # nothing reaches the API yet
    sl = ex.place(1, 22, AAPL, tk("SELL", 100, "STP", aux=229.00, parent_id=20), ex.now)
    assert p.status == "Filled" and tp.status == "Submitted" and sl.status == "PreSubmitted"
    assert [e.order.order_id for e in ev if type(e).__name__ == "OrderEvent"][:2] == [20, 20]
    q(ex, 231.00, 231.02, last=231.01)
    assert tp.status == "Filled" and sl.status == "Cancelled"


def test_bracket_children_do_not_work_before_parent_fills(mk):
    ex, ev = mk
    p = ex.place(1, 23, AAPL, tk("BUY", 100, "LMT", lmt=220.00), ex.now)
    tp = ex.place(1, 24, AAPL, tk("SELL", 100, "LMT", lmt=225.00, parent_id=23), ex.now)
    assert tp.status == "PreSubmitted" and tp.filled == 0   # marketable, but held by its parent
    ex.cancel(1, 23, ex.now)
    assert p.status == "Cancelled" and tp.status == "Cancelled" and ex.executions() == []


def test_cancel_of_untransmitted_order_is_api_cancelled(mk):
    ex, ev = mk
    o = ex.place(1, 25, AAPL, tk("BUY", 100, "LMT", lmt=200.00, transmit=False), ex.now)
    ex.cancel(1, 25, ex.now)
    assert o.status == "ApiCancelled" and statuses(ev) == ["ApiCancelled"] and errors(ev) == [202]


@pytest.mark.parametrize("oca_type,other_left,other_status", [(1, 300, "Cancelled"), (2, 200, "PreSubmitted"),
                                                             (3, 200, "PreSubmitted")])
def test_oca_types(mk, oca_type, other_left, other_status):
    ex, ev = mk
    a = ex.place(1, 30, AAPL, tk("SELL", 300, "LMT", lmt=231.00, oca_group="g", oca_type=oca_type), ex.now)
    b = ex.place(1, 31, AAPL, tk("SELL", 300, "STP", aux=228.00, oca_group="g", oca_type=oca_type), ex.now)
    q(ex, 231.00, 231.02, last=231.01, bs=100)          # a partially fills 100 at the touch
    assert a.filled == 100 and b.filled == 0
    assert b.status == other_status and (b.remaining == other_left if oca_type != 1 else True)


def test_orders_in_other_oca_group_untouched(mk):
    ex, ev = mk
    a = ex.place(1, 32, AAPL, tk("BUY", 100, "MKT", oca_group="x", oca_type=1), ex.now)
    b = ex.place(1, 33, AAPL, tk("BUY", 100, "LMT", lmt=200.0, oca_group="y", oca_type=1), ex.now)
    assert a.status == "Filled" and b.status == "Submitted"


def test_order_ref_kept_on_order_and_fill(mk):
    ex, ev = mk
    o = ex.place(1, 34, AAPL, tk("BUY", 100, "MKT", order_ref="strat-7"), ex.now)
    assert o.ticket.order_ref == "strat-7" and ex.executions()[0].order_ref == "strat-7"


def test_what_if_creates_no_order(mk):
    ex, ev = mk
    st = ex.what_if(1, 35, AAPL, tk("BUY", 100, "LMT", lmt=230.00), ex.now)
    assert st.init_margin_change == pytest.approx(100 * 230.00 * 0.25)
    assert st.commission == 1.00 and st.status == "PreSubmitted"
    assert st.init_margin_after == pytest.approx(st.init_margin_before + st.init_margin_change)
    assert ex.orders(working_only=False) == [] and ev == []
    with pytest.raises(SimError) as e:
        ex.what_if(1, 35, AAPL, tk("BUY", 0, "LMT", lmt=230.00), ex.now)
    assert e.value.code == 434
    with pytest.raises(SimError):
        ex.place(1, 36, AAPL, tk("BUY", 100, "MKT", what_if=True), ex.now)
    assert ex.orders(working_only=False) == []


def test_untransmitted_order_released_by_modify_with_transmit(mk):
    ex, ev = mk
    o = ex.place(1, 40, AAPL, tk("BUY", 100, "LMT", lmt=230.02, transmit=False), ex.now)
    q(ex, 230.00, 230.02, last=230.01)
    assert o.filled == 0 and ev == []                      # marketable, but never worked while held
    ex.place(1, 40, AAPL, tk("BUY", 100, "LMT", lmt=230.02), ex.now)
    assert o.status == "Filled" and statuses(ev, 40) == ["PendingSubmit", "Submitted", "Filled"]


def test_modify_working_stop_to_new_price(mk):
    ex, ev = mk
    o = ex.place(1, 41, AAPL, tk("SELL", 100, "STP", aux=225.00), ex.now)
    q(ex, 226.00, 226.02, last=226.01)
    assert o.filled == 0
    ex.place(1, 41, AAPL, tk("SELL", 100, "STP", aux=227.00), ex.now)   # now above the market: triggers
    q(ex, 226.00, 226.02, last=226.01)
    assert o.status == "Filled" and o.avg_fill_price == 226.00


def test_a_moving_trail_stop_is_reported_and_a_standing_one_is_not(mk):
    """TWS re-sends the order (openOrder) with the new trailStopPrice when the stop moves; the
    status stays PreSubmitted; a market that falls back (stop unchanged) sends nothing."""
    from app.sim.types import OrderEvent

    ex, ev = mk
    o = ex.place(1, 9, AAPL, tk("SELL", 100, "TRAIL", aux=1.00), ex.now)
    n = len(ev)
    q(ex, 231.00, 231.02, last=231.01)
    moved = [e.order for e in ev[n:] if isinstance(e, OrderEvent)]
    assert [(m.status, m.trail_stop) for m in moved] == [("PreSubmitted", pytest.approx(230.01))]
    n = len(ev)
    q(ex, 230.50, 230.52, last=230.51)
    assert [e for e in ev[n:] if isinstance(e, OrderEvent)] == []
    assert o.filled == 0


def test_open_and_completed_order_carry_the_moving_stop_and_the_gtd(mk):
    from app.sim.encode_orders import completed_order, open_order

    ex, ev = mk
    o = ex.place(1, 10, AAPL, tk("SELL", 100, "TRAIL LIMIT", aux=0.50, lmt_price_offset=0.10, tif="GTD",
                                 good_till_date="20991231 16:00:00 America/New_York"), ex.now)
    c = ex.contract(AAPL)
    for msg in (open_order(o, c, "SIM1"), completed_order(o, c, "SIM1", "20261207 10:00:00")):
        fields = msg[4:].split(b"\0")
        assert b"20991231 16:00:00 America/New_York" in fields
        assert str(o.trail_stop).encode() in fields and b"0.1" in fields
