"""The command layer with the trailing, auction and touch order types and the new TIFs:
what reaches the session, the rule of each refusal (modify of a trailing amount, a trigger
price, a bracket whose children cannot take the parent's TIF), word for word."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.commands import Limit, ModifyOrder, OrderCommands, PlaceBracket, PlaceOrder, RiskLimits
from app.commands.intents import describe_change
from app.commands.validation import CommandRejected, check_modification
from app.domain import Action, OrderRequest, OrderType, TimeInForce
from app.domain.orders import bracket_children
from tests.unit.commands.test_order_commands_pinned import AAPL, EUR, Clock, new_session, place, rejected, sent

BUY, SELL = Action.BUY, Action.SELL
NY = ZoneInfo("America/New_York")


def trail(**kw) -> OrderRequest:
    kw.setdefault("trailing_amount", 1.5)
    kw.setdefault("tif", TimeInForce.GTC)
    return OrderRequest(AAPL, SELL, 100, OrderType.TRAIL, **kw)


def test_trail_order_reaches_the_session_with_its_fields():
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    req = trail(trail_stop_price=148.0, outside_rth=True)
    res = c.execute(PlaceOrder(req))
    assert res.ok and res.message == f"Placed order {res.order.order_id}: SELL 100 AAPL TRAIL 1.50 stop 148.00 GTC outside RTH"
    assert sent(s) == [("place_order", (req,))]


@pytest.mark.parametrize("req, message", [
    (OrderRequest(AAPL, SELL, 100, OrderType.TRAIL), "Cannot place order: A TRAIL order needs a trailing amount or a trailing percent"),
    (OrderRequest(AAPL, BUY, 100, OrderType.MOC, tif=TimeInForce.GTC),
     "Cannot place order: A MOC order must be a DAY order (it executes in today's closing auction), not GTC"),
    (OrderRequest(AAPL, BUY, 100, OrderType.MKT, outside_rth=True),
     "Cannot place order: Outside RTH does not apply to a MKT order: IB fills market orders in regular "
     "trading hours only (use a LMT order outside RTH)"),
    (OrderRequest(AAPL, BUY, 100, OrderType.LMT, limit_price=150.0, tif=TimeInForce.GTD,
                  good_till=datetime(2020, 1, 2, 16, 0, tzinfo=NY)),
     "Cannot place order: The GTD expiry 2020-01-02 16:00 America/New_York is not in the future"),
    (trail(trailing_amount=1.005), "Cannot place order: Trailing amount 1.005 is not a multiple of the "
     "tick size 0.01 (nearest: 1.01)"),
])
def test_invalid_new_type_orders_are_refused_and_not_sent(req, message):
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    rule = "tick_size" if "tick size" in message else "invalid_order"
    res = rejected(c, PlaceOrder(req), rule)
    assert res.message == message
    assert sent(s) == []


# ---------------------------------------------------------------- modify

def test_modify_message_writes_prices_on_the_instruments_tick():
    """"Modify sent" writes the new price with the instrument's decimals: 1.10005 for EUR.USD
    (its tick 0.00005), not rounded to the cents of the 0.01 default."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, OrderRequest(EUR, BUY, 25_000, OrderType.LMT, limit_price=1.1))
    res = c.execute(ModifyOrder(oid, limit_price=1.10005))
    assert (res.ok, res.message) == (True, f"Modify sent for order {oid}: limit 1.10005")


def test_modify_trailing_amount_reaches_the_session_as_its_own_argument():
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, trail())
    res = c.execute(ModifyOrder(oid, trailing_amount=2.0))
    assert (res.ok, res.message) == (True, f"Modify sent for order {oid}: trailing amount 2.00")
    assert sent(s)[1:] == [("modify_order", (oid, None, None, None, 2.0))]
    assert s.order(oid).trailing_amount == 2.0


def test_modify_quantity_of_a_trail_order_sends_no_trailing_argument():
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, trail())
    assert c.execute(ModifyOrder(oid, quantity=50)).ok
    assert sent(s)[1:] == [("modify_order", (oid, 50, None, None))]


def test_modify_trailing_amount_rules():
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, trail())
    assert rejected(c, ModifyOrder(oid, trailing_amount=1.5), "no_change").message == \
        f"Cannot modify order {oid}: nothing changes (quantity 100, trailing amount 1.5)"
    assert rejected(c, ModifyOrder(oid, trailing_amount=1.505), "tick_size").message == \
        f"Cannot modify order {oid}: trailing amount 1.505 is not a multiple of the tick size 0.01 (nearest: 1.51)"
    assert rejected(c, ModifyOrder(oid, trailing_amount=0.0), "invalid_modify").message == \
        f"Cannot modify order {oid}: trailing amount must be positive, got 0"
    assert rejected(c, ModifyOrder(oid, stop_price=140.0), "invalid_modify").message == \
        f"Cannot modify order {oid}: a TRAIL order has no stop price"
    pct = place(c, s, trail(trailing_amount=None, trailing_percent=1.0, tif=TimeInForce.DAY))
    assert rejected(c, ModifyOrder(pct, trailing_amount=1.0), "invalid_modify").message == \
        f"Cannot modify order {pct}: a TRAIL order has no trailing amount by an amount (it trails by a percent)"
    lmt = place(c, s, OrderRequest(AAPL, BUY, 100, OrderType.LMT, limit_price=150.0))
    assert rejected(c, ModifyOrder(lmt, trailing_amount=1.0), "invalid_modify").message == \
        f"Cannot modify order {lmt}: a LMT order has no trailing amount"
    assert len(sent(s)) == 3


def test_modify_of_a_touch_order_names_its_trigger_price():
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    mit = place(c, s, OrderRequest(AAPL, BUY, 100, OrderType.MIT, stop_price=149.0))
    assert rejected(c, ModifyOrder(mit, limit_price=149.0), "invalid_modify").message == \
        f"Cannot modify order {mit}: a MIT order has no limit price"
    assert rejected(c, ModifyOrder(mit, stop_price=149.005), "tick_size").message == \
        f"Cannot modify order {mit}: trigger price 149.005 is not a multiple of the tick size 0.01 (nearest: 149.01)"
    assert c.execute(ModifyOrder(mit, stop_price=148.5)).ok
    assert sent(s)[-1] == ("modify_order", (mit, None, None, 148.5))


def test_modify_of_an_unknown_type_string_keeps_the_stop_name():
    rec = new_session().__class__  # noqa: F841 - keeps the import list honest
    from app.domain import OrderRecord, OrderStatus
    r = OrderRecord(5, 1, 1, AAPL, BUY, 100, "VWAP", None, None, "DAY", OrderStatus.SUBMITTED)
    with pytest.raises(CommandRejected) as e:
        check_modification(r, None, None, 150.0)
    assert e.value.reason == "Cannot modify order 5: a VWAP order has no stop price"
    with pytest.raises(CommandRejected) as e:
        check_modification(r, None, None, None, 1.0)
    assert e.value.reason == "Cannot modify order 5: a VWAP order has no trailing amount"


def test_modify_risk_of_a_trailing_order_ignores_its_moving_stop():
    """The record's stop of a TRAIL order is where IB's stop is now: no price band check on it."""
    s = new_session()
    band = RiskLimits(price_band_percent=Limit(True, 1.0))
    c = OrderCommands(s, clock=Clock(), limits=band)
    oid = place(c, s, trail())
    s._orders[oid] = s.order(oid).copy(stop_price=100.0)   # far outside the 1 % band
    assert c.execute(ModifyOrder(oid, quantity=120)).ok
    lit = place(c, s, OrderRequest(AAPL, SELL, 100, OrderType.LIT, stop_price=150.5, limit_price=150.4))
    res = c.execute(ModifyOrder(lit, stop_price=160.0))
    assert (res.ok, res.rule) == (False, "price_band")


def test_describe_change_names_the_trailing_amount():
    assert describe_change(ModifyOrder(1, quantity=200, trailing_amount=0.00005)) == \
        "quantity 200, trailing amount 0.00005"


# ---------------------------------------------------------------- bracket

def test_bracket_children_take_the_parents_tif_expiry_and_outside_rth():
    gtd = datetime.now(timezone.utc) + timedelta(days=2)
    parent = OrderRequest(AAPL, BUY, 100, OrderType.LMT, limit_price=150.0, tif=TimeInForce.GTD,
                          good_till=gtd, outside_rth=True)
    tp, sl = bracket_children(parent, 151.0, 149.0)
    assert tp == OrderRequest(AAPL, SELL, 100, OrderType.LMT, limit_price=151.0, tif=TimeInForce.GTD,
                              good_till=gtd, outside_rth=True)
    assert sl == OrderRequest(AAPL, SELL, 100, OrderType.STP, stop_price=149.0, tif=TimeInForce.GTD,
                              good_till=gtd, outside_rth=True)
    assert bracket_children(parent, None, 149.0) == [sl]
    assert bracket_children(parent, 151.0, None) == [tp]
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    assert c.execute(PlaceBracket(parent, 151.0, 149.0)).ok
    assert sent(s) == [("place_bracket", (parent, 151.0, 149.0))]


@pytest.mark.parametrize("tif, tp, sl, message", [
    (TimeInForce.IOC, None, 149.0, "Cannot place bracket: its STP child takes the parent's TIF: IOC fills "
     "at once or cancels, but a STP order waits for its trigger: it would be cancelled before it triggers "
     "(use DAY or GTC)"),
    (TimeInForce.OPG, 151.0, 149.0, "Cannot place bracket: its STP child takes the parent's TIF: OPG (the "
     "opening auction) is for MKT and LMT orders only, not STP"),
])
def test_bracket_whose_child_cannot_take_the_parents_tif_is_refused(tif, tp, sl, message):
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    parent = OrderRequest(AAPL, BUY, 100, OrderType.LMT, limit_price=150.0, tif=tif)
    res = rejected(c, PlaceBracket(parent, tp, sl), "bracket")
    assert res.message == message
    assert sent(s) == []


def test_bracket_take_profit_only_with_ioc_passes():
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    parent = OrderRequest(EUR, BUY, 20000, OrderType.LMT, limit_price=1.1, tif=TimeInForce.IOC)
    assert c.execute(PlaceBracket(parent, 1.10005, None)).ok


def test_modify_trailing_amount_change_is_measured_absolutely():
    """One tick is a change; float noise is not; a cent on 20 M (relative 5e-10) is."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, trail())
    assert c.execute(ModifyOrder(oid, trailing_amount=1.51)).ok
    assert sent(s)[-1] == ("modify_order", (oid, None, None, None, 1.51))
    s.answer(oid)
    s._orders[oid] = s.order(oid).copy(trailing_amount=0.1 + 0.2)
    assert rejected(c, ModifyOrder(oid, trailing_amount=0.3), "no_change").message == \
        f"Cannot modify order {oid}: nothing changes (quantity 100, trailing amount 0.30000000000000004)"
    s._orders[oid] = s.order(oid).copy(trailing_amount=20_000_000.0)
    assert c.execute(ModifyOrder(oid, trailing_amount=20_000_000.01)).ok
