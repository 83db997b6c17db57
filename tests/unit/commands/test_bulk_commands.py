"""Bulk commands (CancelAll, GlobalCancel, Flatten, Reverse, KillSwitch) and PlaceBracket
with the fake session of tests/fakes.py."""

from __future__ import annotations

import pytest

from app.commands import (
    CancelAll, Flatten, GlobalCancel, KillSwitch, Limit, OrderCommands, PlaceBracket, PlaceOrder,
    Reverse, RiskLimits, describe_command,
)
from app.domain import Action, OrderRequest, OrderStatus, OrderType
from tests.fakes import FakeSession, ListJournal


@pytest.fixture
def s():
    s = FakeSession(auto_submit=False)
    s.push_quote("AAPL", bid=187.49, ask=187.51)
    return s


def lmt(s, sym="AAPL", qty=100, price=187.0, action=Action.BUY):
    return OrderRequest(s.contracts[sym], action, qty, OrderType.LMT, limit_price=price)


def working(c, s, *reqs):
    ids = []
    for r in reqs:
        oid = c.execute(PlaceOrder(r)).order.order_id
        s.submit(oid)
        ids.append(oid)
    return ids


def test_cancel_all_only_own_and_optionally_one_symbol(s):
    c = OrderCommands(s)
    a, m = working(c, s, lmt(s), lmt(s, "MSFT", price=400.0))
    assert describe_command(CancelAll(s.contracts["AAPL"].key), s) == "Cancel 1 working order of AAPL"
    res = c.execute(CancelAll(s.contracts["AAPL"].key))
    assert res.ok and [o.order_id for o in res.orders] == [a] and "1 order" in res.message
    res = c.execute(CancelAll())
    assert res.ok and [o.order_id for o in res.orders] == [m]     # a is already pending cancel
    res = c.execute(CancelAll())
    assert not res.ok and res.rule == "nothing_to_do"


def test_global_cancel_reaches_every_client(s):
    c = OrderCommands(s)
    (a,) = working(c, s, lmt(s))
    other = s.order(a).copy(order_id=7, client_id=9)
    s.add_order(other)
    res = c.execute(GlobalCancel())
    assert res.ok and ("global_cancel", ()) in s.calls and len(res.orders) == 2
    assert s.order(a).status is OrderStatus.CANCELLED
    assert s.order(7, client_id=9).status is OrderStatus.CANCELLED


def test_flatten_mkt_and_marketable_limit(s):
    c = OrderCommands(s, limits=RiskLimits(flatten_ticks=5))
    s.set_position("AAPL", 300, 180.0)
    res = c.execute(Flatten(s.contracts["AAPL"].key, style="LMT"))
    assert res.ok, res.message
    (req,) = [x[1][0] for x in s.calls if x[0] == "place_order"]
    assert (req.action, req.quantity, req.order_type, req.limit_price) == (Action.SELL, 300, OrderType.LMT, 187.44)
    s.set_position("AAPL", -50, 180.0)
    res = c.execute(Flatten(s.contracts["AAPL"].key))
    assert res.ok and res.orders[0].action is Action.BUY and res.orders[0].order_type is OrderType.MKT


def test_flatten_refused_without_quote_for_marketable_limit_or_without_position(s):
    c = OrderCommands(s)
    s.set_position("MSFT", 10, 400.0)
    res = c.execute(Flatten(s.contracts["MSFT"].key, style="LMT"))
    assert not res.ok and res.rule == "no_quote" and "no bid quote" in res.message
    res = c.execute(Flatten(s.contracts["NVDA"].key))
    assert not res.ok and res.rule == "no_position"


def test_flatten_skips_size_limits_but_not_duplicates_and_works_while_halted(s):
    c = OrderCommands(s, limits=RiskLimits(max_order_quantity=Limit(True, 10, True),
                                          duplicate_order=Limit(True, 60, True)))
    s.set_position("AAPL", 500, 180.0)
    c.halted = True
    assert c.execute(Flatten(s.contracts["AAPL"].key)).ok
    res = c.execute(Flatten(s.contracts["AAPL"].key))
    assert not res.ok and res.rule == "duplicate_order"


def test_reverse_is_one_order_of_twice_the_position(s):
    c = OrderCommands(s, limits=RiskLimits(max_position=Limit(True, 100, True)))
    s.set_position("AAPL", 100, 180.0)
    res = c.execute(Reverse(s.contracts["AAPL"].key))
    assert res.ok and len(res.orders) == 1
    o = res.orders[0]
    assert (o.action, o.quantity, o.order_type) == (Action.SELL, 200, OrderType.MKT)
    big = OrderCommands(s, limits=RiskLimits(max_order_quantity=Limit(True, 150, True)))
    res = big.execute(Reverse(s.contracts["AAPL"].key))
    assert not res.ok and res.rule == "max_order_quantity"
    big.halted = True
    assert big.execute(Reverse(s.contracts["AAPL"].key)).rule == "halted"


def test_kill_switch_halts_cancels_and_flattens(s):
    j = ListJournal()
    rows = j.rows
    c = OrderCommands(s, journal=j)
    a, b = working(c, s, lmt(s), lmt(s, qty=5))
    s.set_position("AAPL", 40, 180.0)
    res = c.execute(KillSwitch(flatten=True))
    assert res.ok and c.halted
    assert [o.order_id for o in res.orders][:2] == [a, b] and len(res.orders) == 3
    assert "2 orders" in res.message and "1 closing order" in res.message
    assert res.orders[2].action is Action.SELL and res.orders[2].quantity == 40
    assert any(k == "kill_switch" and f.get("engaged") for k, f in rows)
    nxt = c.execute(PlaceOrder(lmt(s, qty=1)))
    assert not nxt.ok and nxt.rule == "halted"


def test_bracket_children_on_other_side_with_oca(s):
    c = OrderCommands(s)
    res = c.execute(PlaceBracket(lmt(s, price=187.0), take_profit=190.0, stop_loss=185.0))
    assert res.ok, res.message
    parent, tp, sl = res.orders
    assert (tp.action, tp.order_type, tp.limit_price) == (Action.SELL, OrderType.LMT, 190.0)
    assert (sl.action, sl.order_type, sl.stop_price) == (Action.SELL, OrderType.STP, 185.0)
    assert s.parents == {tp.order_id: parent.order_id, sl.order_id: parent.order_id}
    assert s.oca[tp.order_id] == s.oca[sl.order_id] == f"ibdesk-{parent.order_id}"


@pytest.mark.parametrize("tp, sl, fragment", [
    (186.0, 185.0, "take profit 186 must be above the entry 187"),
    (190.0, 188.0, "stop loss 188 must be below the entry 187"),
    (190.001, 185.0, "tick size"),
    (None, None, "needs a take-profit or a stop-loss"),
])
def test_bracket_refused(s, tp, sl, fragment):
    res = OrderCommands(s).execute(PlaceBracket(lmt(s, price=187.0), take_profit=tp, stop_loss=sl))
    assert not res.ok and fragment in res.message
    assert not [x for x in s.calls if x[0] == "place_bracket"]


def test_bracket_counts_three_orders_for_the_rate_limit(s):
    c = OrderCommands(s, limits=RiskLimits(max_orders_per_minute=Limit(True, 2, True)))
    res = c.execute(PlaceBracket(lmt(s), take_profit=190.0, stop_loss=185.0))
    assert not res.ok and res.rule == "max_orders_per_minute"
    assert c.execute(PlaceBracket(lmt(s), take_profit=190.0)).ok
