"""Matching engine through the SimExchange facade: fill rules, life cycle, errors, events."""

from __future__ import annotations

import math

import pytest

from app.sim.types import FillEvent, OrderErrorEvent, OrderEvent, PortfolioEvent, SimError
from tests.unit.sim.helpers import AAPL, EURUSD, T0, make, ny
from tests.unit.sim.orderhelp import q, statuses, tk


def test_market_buy_fills_at_ask_with_event_order(mk):
    ex, ev = mk
    o = ex.place(1, 10, AAPL, tk("BUY", 100, "MKT"), ex.now)
    assert o.status == "Filled" and o.filled == 100 and o.remaining == 0 and o.avg_fill_price == 230.02
    kinds = [type(e).__name__ for e in ev]
    assert kinds == ["OrderEvent", "OrderEvent", "FillEvent", "OrderEvent", "PortfolioEvent"]
    assert statuses(ev) == ["PendingSubmit", "Submitted", "Filled"]
    first_fill = next(i for i, e in enumerate(ev) if isinstance(e, FillEvent))
    perm_seen = [e for e in ev[:first_fill] if isinstance(e, OrderEvent) and e.order.perm_id > 0]
    fill = ev[first_fill].fill
    assert perm_seen and perm_seen[0].order.perm_id == fill.perm_id == o.perm_id
    assert (fill.side, fill.shares, fill.price, fill.cum_qty, fill.commission) == ("BOT", 100, 230.02, 100, 1.00)
    assert fill.exec_id.count(".") == 3 and fill.account == "SIM0001"
    pe = ev[-1]
    assert isinstance(pe, PortfolioEvent) and pe.positions[0].position == 100
    assert ("NetLiquidation", f"{1_000_000 - 1.0 - 100 * (230.02 - 230.01):.2f}", "USD") in pe.account_values


def test_market_sell_fills_at_bid(mk):
    ex, ev = mk
    o = ex.place(1, 11, AAPL, tk("SELL", 50, "MKT"), ex.now)
    assert o.status == "Filled" and o.avg_fill_price == 230.00
    assert ex.executions()[0].side == "SLD"
    assert [p.position for p in ex.positions()] == [-50]


def test_limit_buy_rests_then_fills_at_better_ask(mk):
    ex, ev = mk
    o = ex.place(1, 12, AAPL, tk("BUY", 100, "LMT", 229.95), ex.now)
    assert o.status == "Submitted" and o.filled == 0
    q(ex, 229.94, 229.96)                      # ask still above the limit: must NOT fill
    assert o.status == "Submitted" and o.filled == 0
    q(ex, 229.90, 229.93)                      # ask through the limit: fills at the ask
    assert o.status == "Filled" and o.avg_fill_price == 229.93
    assert statuses(ev, 12) == ["PendingSubmit", "Submitted", "Filled"]


def test_marketable_limit_fills_at_ask_on_placement(mk):
    ex, _ = mk
    o = ex.place(1, 13, AAPL, tk("BUY", 100, "LMT", 231.00), ex.now)
    assert o.status == "Filled" and o.avg_fill_price == 230.02
    s = ex.place(1, 14, AAPL, tk("SELL", 100, "LMT", 229.00), ex.now)
    assert s.status == "Filled" and s.avg_fill_price == 230.00


def test_limit_sell_rule(mk):
    ex, _ = mk
    o = ex.place(1, 15, AAPL, tk("SELL", 100, "LMT", 230.05), ex.now)
    q(ex, 230.04, 230.06)
    assert o.filled == 0
    q(ex, 230.07, 230.09)
    assert o.status == "Filled" and o.avg_fill_price == 230.07


def test_partial_fill_at_touch_only_displayed_size(mk):
    ex, ev = mk
    q(ex, 230.00, 230.02, as_=300)
    o = ex.place(1, 16, AAPL, tk("BUY", 500, "LMT", 230.02), ex.now)
    assert (o.status, o.filled, o.remaining) == ("Submitted", 300, 200)
    # same quote again: the displayed size is used up, nothing more fills
    ex.engine.match_instrument(AAPL, ex.now)
    assert o.filled == 300
    q(ex, 230.00, 230.02, as_=100)
    assert (o.filled, o.remaining, o.status) == (400, 100, "Submitted")
    q(ex, 230.00, 230.02, as_=1000)
    assert (o.filled, o.remaining, o.status) == (500, 0, "Filled")
    fills = ex.executions()
    assert [f.shares for f in fills] == [300, 100, 100]
    assert [f.cum_qty for f in fills] == [300, 400, 500]
    # per-order commission: 0.005 x 300 = 1.50, then 2.00 total, then 2.50 total
    assert [f.commission for f in fills] == [1.50, 0.50, 0.50]
    other = ex.place(2, 1, AAPL, tk("BUY", 1000, "LMT", 230.02), ex.now)
    assert other.filled == 900                # order 16 took 100 of the 1,000 displayed


def test_stop_buy_triggers_on_last_and_fills_as_market(mk):
    ex, ev = mk
    o = ex.place(1, 20, AAPL, tk("BUY", 100, "STP", aux=230.50), ex.now)
    assert o.status == "PreSubmitted"
    q(ex, 230.40, 230.45, last=230.49)         # below the stop: must NOT trigger
    assert o.status == "PreSubmitted" and o.filled == 0
    q(ex, 230.50, 230.53, last=230.50)
    assert o.status == "Filled" and o.avg_fill_price == 230.53
    assert statuses(ev, 20) == ["PendingSubmit", "PreSubmitted", "Submitted", "Filled"]


def test_stop_sell_triggers_on_last(mk):
    ex, _ = mk
    o = ex.place(1, 21, AAPL, tk("SELL", 100, "STP", aux=229.50), ex.now)
    q(ex, 229.55, 229.57, last=229.51)
    assert o.status == "PreSubmitted"
    q(ex, 229.45, 229.48, last=229.50)
    assert o.status == "Filled" and o.avg_fill_price == 229.45


def test_stop_limit_triggers_then_works_as_limit(mk):
    ex, _ = mk
    o = ex.place(1, 22, AAPL, tk("BUY", 100, "STP LMT", lmt=230.55, aux=230.50), ex.now)
    assert o.status == "PreSubmitted"
    q(ex, 230.55, 230.60, last=230.52)         # triggered, but ask above limit
    assert o.status == "Submitted" and o.triggered and o.filled == 0
    q(ex, 230.50, 230.54)
    assert o.status == "Filled" and o.avg_fill_price == 230.54


def test_modify_price_and_qty(mk):
    ex, ev = mk
    o = ex.place(1, 30, AAPL, tk("BUY", 100, "LMT", 229.00), ex.now)
    o2 = ex.place(1, 30, AAPL, tk("BUY", 200, "LMT", 229.50), ex.now)
    assert o2 is o and o.remaining == 200 and o.ticket.lmt_price == 229.50 and o.status == "Submitted"
    ex.place(1, 30, AAPL, tk("BUY", 200, "LMT", 230.05), ex.now)   # now marketable
    assert o.status == "Filled" and o.filled == 200
    with pytest.raises(SimError) as e:
        ex.place(1, 30, AAPL, tk("BUY", 200, "LMT", 230.05), ex.now)
    assert e.value.code == 103 and e.value.text == "Duplicate order id"


def test_modify_errors(mk):
    ex, ev = mk
    o = ex.place(1, 31, AAPL, tk("BUY", 100, "LMT", 229.00), ex.now)
    with pytest.raises(SimError) as e:
        ex.place(1, 31, EURUSD, tk("BUY", 100, "LMT", 1.05), ex.now)
    assert e.value.code == 105
    ev.clear()
    ex.place(1, 31, AAPL, tk("BUY", 100, "LMT", 229.005), ex.now)     # off tick: rejected modify
    assert [(type(x), x.code) for x in ev] == [(OrderErrorEvent, 110)]
    assert o.ticket.lmt_price == 229.00 and o.status == "Submitted"


def test_cancel_and_its_errors(mk):
    ex, ev = mk
    o = ex.place(1, 40, AAPL, tk("BUY", 100, "LMT", 229.00), ex.now)
    with pytest.raises(SimError) as e:
        ex.cancel(2, 40, ex.now)                 # another client's order
    assert e.value.code == 10147
    ev.clear()
    assert ex.cancel(1, 40, ex.now) is o and o.status == "Cancelled"
    assert statuses(ev) == ["PendingCancel", "Cancelled"]
    assert isinstance(ev[-1], OrderErrorEvent) and ev[-1].code == 202
    with pytest.raises(SimError) as e:
        ex.cancel(1, 40, ex.now)
    assert e.value.code == 10148
    assert e.value.text == "OrderId 40 that needs to be cancelled cannot be cancelled, state: Cancelled."
    with pytest.raises(SimError) as e:
        ex.cancel(1, 999, ex.now)
    assert (e.value.code, e.value.text) == (10147, "OrderId 999 that needs to be cancelled is not found.")
    ex.place(1, 41, AAPL, tk("BUY", 1, "MKT"), ex.now)
    with pytest.raises(SimError) as e:
        ex.cancel(1, 41, ex.now)
    assert e.value.code == 10148 and e.value.text.endswith("state: Filled.")
    with pytest.raises(SimError) as e:
        ex.place(1, 40, AAPL, tk("BUY", 100, "LMT", 229.00), ex.now)
    assert e.value.code == 103
    assert {x.order_id for x in ex.completed_orders()} == {40, 41}


def test_global_cancel(mk):
    ex, _ = mk
    a = ex.place(1, 50, AAPL, tk("BUY", 100, "LMT", 229.00), ex.now)
    b = ex.place(2, 50, AAPL, tk("SELL", 100, "LMT", 231.00), ex.now)
    assert len(ex.orders()) == 2 and len(ex.orders(1)) == 1
    ex.global_cancel(ex.now)
    assert a.status == b.status == "Cancelled" and ex.orders() == []
    assert len(ex.orders(working_only=False)) == 2


@pytest.mark.parametrize("ticket,code", [
    (tk("BUY", 0, "MKT"), 434), (tk("BUY", -5, "MKT"), 434), (tk("BUY", math.nan, "MKT"), 434),
    (tk("BUY", math.inf, "MKT"), 434), (tk("BUY", 100, "TRAIL"), 321), (tk("BUY", 100, "FOO"), 387),
    (tk("BUY", 100, "LMT"), 321), (tk("BUY", 100, "LMT", 1.7976931348623157e308), 321),
    (tk("BUY", 100, "LMT", 229.005), 110), (tk("BUY", 100, "STP"), 321),
    (tk("BUY", 100, "STP", aux=230.001), 110), (tk("HOLD", 100, "MKT"), 201),
    (tk("BUY", 100, "MKT", tif="XYZ"), 201), (tk("BUY", 50_000, "MKT"), 201),
])
def test_inactive_rejections(mk, ticket, code):
    ex, ev = mk
    o = ex.place(1, 60, AAPL, ticket, ex.now)
    assert o.status == "Inactive" and o.filled == 0
    errs = [e for e in ev if isinstance(e, OrderErrorEvent)]
    assert [(e.client_id, e.order_id, e.code) for e in errs] == [(1, 60, code)]
    assert ex.executions() == [] and ex.positions() == []
    if code == 434:
        assert errs[0].text == "The order size cannot be zero."
    with pytest.raises(SimError) as e:
        ex.place(1, 60, AAPL, tk("BUY", 1, "MKT"), ex.now)
    assert e.value.code == 103


def test_unknown_contract(mk):
    ex, _ = mk
    with pytest.raises(SimError) as e:
        ex.place(1, 70, 424242, tk("BUY", 1, "MKT"), ex.now)
    assert e.value.code == 200


def test_day_order_expires_at_close_gtc_stays():
    ex, ev = make()
    q(ex, 230.00, 230.02)
    day = ex.place(1, 80, AAPL, tk("BUY", 100, "LMT", 200.00), ex.now)
    gtc = ex.place(1, 81, AAPL, tk("BUY", 100, "LMT", 200.00, tif="GTC"), ex.now)
    ext = ex.place(1, 82, AAPL, tk("BUY", 100, "LMT", 200.00, outside_rth=True), ex.now)
    ex.advance(ny(2025, 11, 21, 15, 59, 59))
    assert day.status == "Submitted"
    ex.advance(ny(2025, 11, 21, 16, 0, 1))
    assert day.status == "Cancelled" and gtc.status == "Submitted" and ext.status == "Submitted"
    ex.advance(ny(2025, 11, 21, 20, 0, 1))
    assert ext.status == "Cancelled" and gtc.status == "Submitted"


def test_outside_rth_rules():
    ex, ev = make(now=ny(2025, 11, 21, 8, 0))          # pre-market
    q(ex, 230.00, 230.05)
    held = ex.place(1, 90, AAPL, tk("BUY", 10, "MKT"), ex.now)
    assert held.status == "PreSubmitted" and held.filled == 0
    ok = ex.place(1, 91, AAPL, tk("BUY", 10, "MKT", outside_rth=True), ex.now)
    assert ok.status == "Filled" and ok.avg_fill_price == 230.05
    ex.set_quote(AAPL, ny(2025, 11, 21, 9, 30, 1), bid=231.00, ask=231.02)
    assert held.status == "Filled" and held.avg_fill_price == 231.02
    assert statuses(ev, 90) == ["PendingSubmit", "PreSubmitted", "Submitted", "Filled"]


def test_fx_order_fills_at_night_and_ioc():
    ex, _ = make(now=ny(2025, 11, 20, 23, 0))          # 23:00 New York: FX open, stocks closed
    ex.set_quote(EURUSD, ex.now + 1, bid=1.08000, ask=1.08005)
    o = ex.place(1, 95, EURUSD, tk("BUY", 20_000, "MKT"), ex.now)
    assert o.status == "Filled" and o.avg_fill_price == 1.08005
    f = ex.executions()[-1]
    assert f.commission == 2.00                           # FX minimum
    ioc = ex.place(1, 96, EURUSD, tk("BUY", 20_000, "LMT", 1.07000, tif="IOC"), ex.now)
    assert ioc.status == "Cancelled" and ioc.filled == 0


def test_random_market_fills_resting_orders_eventually():
    ex, _ = make()
    ex.advance(T0 + 0.1)
    a = ex.top(AAPL).ask
    o = ex.place(1, 99, AAPL, tk("BUY", 100, "LMT", round(a - 0.03, 2)), ex.now)
    for i in range(1, 3000):
        ex.advance(T0 + 0.1 + i * 0.1)
        if not o.is_working:
            break
    f = [x for x in ex.executions() if x.order_id == 99]
    assert sum(x.shares for x in f) == o.filled
    assert all(x.price <= o.ticket.lmt_price for x in f)


def test_bad_clock_values_do_not_crash(mk):
    ex, _ = mk
    o = ex.place(1, 100, AAPL, tk("BUY", 1, "MKT"), float("nan"))
    assert o.status == "Filled" and o.created == ex.now
    assert ex.advance(float("nan")) == [] and ex.advance(float("inf")) == []


def test_periodic_portfolio_update_and_hours_roll(mk):
    ex, ev = mk
    ex.place(1, 101, AAPL, tk("BUY", 10, "MKT"), ex.now)
    ev.clear()
    ex.advance(ex.now + 100)
    assert not any(isinstance(e, PortfolioEvent) for e in ev)
    ex.advance(ex.now + 100)
    pe = [e for e in ev if isinstance(e, PortfolioEvent)]
    assert len(pe) == 1 and pe[0].positions[0].position == 10
    assert ex.contract(AAPL).trading_hours.startswith("20251121:")
    ex.advance(ny(2025, 11, 24, 9, 0))
    assert ex.contract(AAPL).trading_hours.startswith("20251124:0400-20251124:2000")
    assert ex.lookup(symbol="AAPL")[0].trading_hours.startswith("20251124:")


def test_bracket_children_wait_for_parent_then_oca(mk):
    ex, ev = mk
    parent = ex.place(1, 200, AAPL, tk("BUY", 100, "LMT", 229.90, transmit=False), ex.now)
    tp = ex.place(1, 201, AAPL, tk("SELL", 100, "LMT", 231.00, parent_id=200, transmit=False), ex.now)
    sl = ex.place(1, 202, AAPL, tk("SELL", 100, "STP", aux=229.00, parent_id=200), ex.now)
    assert parent.status == "Submitted" and tp.status == sl.status == "PreSubmitted"
    q(ex, 231.00, 231.02, last=231.01)        # TP would be marketable, but the parent is not filled
    assert tp.filled == 0 and tp.status == "PreSubmitted"
    q(ex, 229.85, 229.88, last=229.86)        # parent fills; TP works, SL waits for its trigger
    assert parent.status == "Filled" and tp.status == "Submitted" and sl.status == "PreSubmitted"
    q(ex, 231.00, 231.02, last=231.01)
    assert tp.status == "Filled" and tp.avg_fill_price == 231.00
    assert sl.status == "Cancelled"
    assert [p.position for p in ex.positions()] == [0]


def test_bracket_parent_cancel_and_unknown_parent(mk):
    ex, ev = mk
    ex.place(1, 210, AAPL, tk("BUY", 100, "LMT", 229.00), ex.now)
    child = ex.place(1, 211, AAPL, tk("SELL", 100, "LMT", 232.00, parent_id=210), ex.now)
    ex.cancel(1, 210, ex.now)
    assert child.status == "Cancelled"
    orphan = ex.place(1, 212, AAPL, tk("SELL", 100, "LMT", 232.00, parent_id=999), ex.now)
    assert orphan.status == "Inactive"
    assert [e.code for e in ev if isinstance(e, OrderErrorEvent) and e.order_id == 212] == [201]


def test_oca_group_fill_cancels_the_others(mk):
    ex, _ = mk
    a = ex.place(1, 220, AAPL, tk("SELL", 100, "LMT", 230.50, oca_group="g1"), ex.now)
    b = ex.place(1, 221, AAPL, tk("SELL", 100, "STP", aux=229.50, oca_group="g1"), ex.now)
    c = ex.place(1, 222, AAPL, tk("SELL", 100, "LMT", 230.60), ex.now)
    q(ex, 230.55, 230.57)
    assert a.status == "Filled" and b.status == "Cancelled" and c.status == "Submitted"
