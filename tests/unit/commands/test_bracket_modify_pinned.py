"""PlaceBracket and ModifyOrder pinned by what reaches the session and by rule name: every
bracket shape and its price rules, modify risk (max position on growth, band at the new
prices), pending / stale / foreign orders, local pending marks and their timeout, reconnect."""

from __future__ import annotations

import pytest

from app.commands import (
    CancelOrder, Limit, ModifyOrder, OrderCommands, PlaceBracket, PlaceOrder, RiskLimits,
)
from app.commands.orders import PENDING_TIMEOUT
from app.domain import Action, ConnectionState, Instrument, OrderRequest, OrderStatus, OrderType
from tests.fakes import FakeSession, ListJournal
from tests.unit.commands.test_order_commands_pinned import (
    AAPL, ACCOUNT, EUR, MSFT, T0, Clock, add_position, lmt, new_session, place, rejected, sent,
)

BUY, SELL = Action.BUY, Action.SELL


def order(otype: OrderType, action=BUY, qty=100, limit=None, stop=None, inst=AAPL) -> OrderRequest:
    return OrderRequest(inst, action, qty, otype, limit_price=limit, stop_price=stop)


# ---------------------------------------------------------------- bracket shapes

SHAPES = [
    # entry, take profit, stop loss, the children's text in the journal
    (order(OrderType.LMT, BUY, limit=150.0), 151.0, 149.0,
     ["BUY 100 AAPL LMT limit 150", "SELL 100 AAPL LMT limit 151", "SELL 100 AAPL STP stop 149"]),
    (order(OrderType.LMT, BUY, limit=150.0), 150.01, None,
     ["BUY 100 AAPL LMT limit 150", "SELL 100 AAPL LMT limit 150.01"]),
    (order(OrderType.LMT, BUY, limit=150.0), None, 149.99,
     ["BUY 100 AAPL LMT limit 150", "SELL 100 AAPL STP stop 149.99"]),
    (order(OrderType.LMT, SELL, limit=150.0), 149.99, 150.01,
     ["SELL 100 AAPL LMT limit 150", "BUY 100 AAPL LMT limit 149.99", "BUY 100 AAPL STP stop 150.01"]),
    (order(OrderType.LMT, SELL, limit=150.0), 149.0, None,
     ["SELL 100 AAPL LMT limit 150", "BUY 100 AAPL LMT limit 149"]),
    (order(OrderType.LMT, SELL, limit=150.0), None, 151.0,
     ["SELL 100 AAPL LMT limit 150", "BUY 100 AAPL STP stop 151"]),
    (order(OrderType.MKT, BUY), 149.0, 148.99,
     ["BUY 100 AAPL MKT", "SELL 100 AAPL LMT limit 149", "SELL 100 AAPL STP stop 148.99"]),
    (order(OrderType.MKT, SELL), 151.0, 151.01,
     ["SELL 100 AAPL MKT", "BUY 100 AAPL LMT limit 151", "BUY 100 AAPL STP stop 151.01"]),
    (order(OrderType.MKT, SELL), None, 140.0,       # no entry price: nothing to compare with
     ["SELL 100 AAPL MKT", "BUY 100 AAPL STP stop 140"]),
    (order(OrderType.STP, BUY, stop=150.0), 150.01, 149.99,
     ["BUY 100 AAPL STP stop 150", "SELL 100 AAPL LMT limit 150.01", "SELL 100 AAPL STP stop 149.99"]),
    (order(OrderType.STP, SELL, stop=150.0), 149.99, 150.01,
     ["SELL 100 AAPL STP stop 150", "BUY 100 AAPL LMT limit 149.99", "BUY 100 AAPL STP stop 150.01"]),
    (order(OrderType.STP_LMT, BUY, limit=150.5, stop=150.0), 150.51, 150.49,
     ["BUY 100 AAPL STP LMT limit 150.5 stop 150", "SELL 100 AAPL LMT limit 150.51",
      "SELL 100 AAPL STP stop 150.49"]),
    (order(OrderType.LMT, BUY, qty=20000, limit=1.1, inst=EUR), 1.10005, 1.09995,
     ["BUY 20000 EUR.USD LMT limit 1.1", "SELL 20000 EUR.USD LMT limit 1.10005",
      "SELL 20000 EUR.USD STP stop 1.09995"]),
]


@pytest.mark.parametrize("req, tp, sl, texts", SHAPES)
def test_bracket_shapes_are_sent_as_asked(req, tp, sl, texts):
    """Every bracket shape (BUY / SELL; LMT, MKT, STP, STP LMT entry; TP, SL or both) reaches
    place_bracket with exactly (request, take profit, stop loss); result and journal list
    parent and children."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, journal=j, clock=Clock())
    cmd = PlaceBracket(req, take_profit=tp, stop_loss=sl)
    c.check(cmd)
    res = c.execute(cmd)
    assert sent(s) == [("place_bracket", (req, tp, sl))]
    n = len(texts)
    ids = list(range(1, n + 1))
    assert res.ok and [r.order_id for r in res.orders] == ids and res.order is res.orders[0]
    assert res.message == f"Placed bracket of {n} orders ({', '.join(map(str, ids))}): " + (
        ", ".join([f"Bracket: {req.describe()}"] + ([f"take profit {tp:g}"] if tp else [])
                  + ([f"stop loss {sl:g}"] if sl else [])))
    cid = j.rows[0][1]["command_id"]
    assert [f for k, f in j.rows if k == "api"] == [
        {"call": "placeOrder", "order_id": i, "perm_id": 0, "client_id": 1,
         "symbol": req.instrument.display_symbol, "text": t, "parent_id": 1, "command_id": cid}
        for i, t in zip(ids, texts)]


BOUNDARY = [
    (order(OrderType.LMT, BUY, limit=150.0), 150.0, None,
     "Cannot place bracket: the take profit 150 must be above the entry 150 of a BUY"),
    (order(OrderType.LMT, BUY, limit=150.0), None, 150.0,
     "Cannot place bracket: the stop loss 150 must be below the entry 150 of a BUY"),
    (order(OrderType.LMT, SELL, limit=150.0), 150.0, 149.0,
     "Cannot place bracket: the take profit 150 must be below the entry 150 of a SELL"),
    (order(OrderType.LMT, SELL, limit=150.0), 149.0, 150.0,
     "Cannot place bracket: the stop loss 150 must be above the entry 150 of a SELL"),
    (order(OrderType.STP, BUY, stop=150.0), 150.0, 149.0,
     "Cannot place bracket: the take profit 150 must be above the entry 150 of a BUY"),
    (order(OrderType.STP, SELL, stop=150.0), 149.0, 150.0,
     "Cannot place bracket: the stop loss 150 must be above the entry 150 of a SELL"),
    (order(OrderType.STP_LMT, BUY, limit=150.5, stop=150.0), 150.5, 149.0,
     "Cannot place bracket: the take profit 150.5 must be above the entry 150.5 of a BUY"),
    (order(OrderType.LMT, BUY, limit=150.0), 149.0, 148.0,
     "Cannot place bracket: the take profit 149 must be above the entry 150 of a BUY"),
    (order(OrderType.MKT, BUY), 149.0, 149.0,
     "Cannot place bracket: take profit 149 and stop loss 149 are the wrong way round for a BUY"),
    (order(OrderType.MKT, BUY), 149.0, 151.0,
     "Cannot place bracket: take profit 149 and stop loss 151 are the wrong way round for a BUY"),
    (order(OrderType.MKT, SELL), 149.0, 149.0,
     "Cannot place bracket: take profit 149 and stop loss 149 are the wrong way round for a SELL"),
    (order(OrderType.MKT, SELL), 151.0, 149.0,
     "Cannot place bracket: take profit 151 and stop loss 149 are the wrong way round for a SELL"),
]


@pytest.mark.parametrize("req, tp, sl, message", BOUNDARY)
def test_bracket_prices_on_the_wrong_side_are_refused(req, tp, sl, message):
    """TP / SL equal to the entry, on the wrong side, or TP / SL the wrong way round: rule bracket."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    assert rejected(c, PlaceBracket(req, tp, sl), "bracket").message == message
    assert sent(s) == []


ZERO_TICK = Instrument("XYZ", "STK", "SMART", "USD", "NYSE", 1234, 0.0, "XYZ")


@pytest.mark.parametrize("req, tp, sl, rule, message", [
    (order(OrderType.LMT, BUY, limit=150.0), 151.005, 149.0, "tick_size",
     "Cannot place bracket: Take-profit price 151.005 is not a multiple of the tick size 0.01 "
     "(nearest: 151.01)"),
    (order(OrderType.LMT, BUY, limit=150.0), 151.0, 149.005, "tick_size",
     "Cannot place bracket: Stop-loss price 149.005 is not a multiple of the tick size 0.01 "
     "(nearest: 149.01)"),
    (order(OrderType.LMT, BUY, qty=20000, limit=1.1, inst=EUR), 1.10012, None, "tick_size",
     "Cannot place bracket: Take-profit price 1.10012 is not a multiple of the tick size 0.00005 "
     "(nearest: 1.1001)"),
    (order(OrderType.LMT, SELL, qty=20000, limit=1.1, inst=EUR), None, 1.10003, "tick_size",
     "Cannot place bracket: Stop-loss price 1.10003 is not a multiple of the tick size 0.00005 "
     "(nearest: 1.10005)"),
    (order(OrderType.LMT, BUY, limit=150.0, inst=ZERO_TICK), 151.005, None, "tick_size",
     "Cannot place bracket: Take-profit price 151.005 is not a multiple of the tick size 0.01 "
     "(nearest: 151.01)"),
    (order(OrderType.LMT, BUY, limit=150.0), float("nan"), None, "bracket",
     "Cannot place bracket: Take-profit price must be a number, got nan"),
    (order(OrderType.LMT, BUY, limit=150.0), None, True, "bracket",
     "Cannot place bracket: Stop-loss price must be a number, got True"),
    (order(OrderType.MKT, SELL), None, -1.0, "bracket",
     "Cannot place bracket: Stop-loss price must be positive, got -1"),
    (order(OrderType.LMT, BUY, limit=150.0), None, None, "bracket",
     "A bracket needs a take-profit or a stop-loss price"),
    (order(OrderType.LMT, BUY, limit=150.005), 151.0, None, "tick_size",
     "Cannot place order: Limit price 150.005 is not a multiple of the tick size 0.01 (nearest: 150.01)"),
])
def test_bracket_invalid_prices_refused(req, tp, sl, rule, message):
    """Off-tick TP / SL are rule tick_size (the instrument's tick, 0.01 when it has none);
    a missing, non-number or non-positive price is rule bracket."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    assert rejected(c, PlaceBracket(req, tp, sl), rule).message == message
    assert sent(s) == []


class _OddBracketSession(FakeSession):
    """The gateway reports the children with a type ibdesk does not model and an unset price."""

    def place_bracket(self, req, take_profit, stop_loss):
        parent, child = super().place_bracket(req, take_profit, stop_loss)
        return [parent, child.copy(order_type="TRAIL", limit_price=float("nan"))]


def test_bracket_journal_text_of_children_the_gateway_reports_oddly():
    """A child of unknown type (text) and an unset (NaN) price is journaled as reported."""
    s = _OddBracketSession(auto_submit=False)
    j = ListJournal()
    c = OrderCommands(s, journal=j, clock=Clock())
    res = c.execute(PlaceBracket(order(OrderType.LMT, BUY, limit=150.0), 151.0, None))
    assert res.ok and len(res.orders) == 2
    assert [f["text"] for k, f in j.rows if k == "api"] == ["BUY 100 AAPL LMT limit 150",
                                                            "SELL 100 AAPL TRAIL"]


def test_bracket_on_an_instrument_without_tick_uses_a_cent():
    """An instrument without min_tick: TP / SL on a 0.01 grid pass."""
    s = FakeSession(auto_submit=False, contracts=(ZERO_TICK,))
    c = OrderCommands(s, clock=Clock())
    req = order(OrderType.LMT, BUY, limit=150.0, inst=ZERO_TICK)
    assert c.execute(PlaceBracket(req, 151.01, 149.99)).ok
    assert sent(s) == [("place_bracket", (req, 151.01, 149.99))]


def test_bracket_counts_one_plus_its_children_against_the_rate_limit():
    """A bracket counts 1 + its children against max orders per minute, before and after it is sent."""
    s = new_session()
    clock = Clock()
    c = OrderCommands(s, limits=RiskLimits(max_orders_per_minute=Limit(True, 3, True)), clock=clock)
    place(c, s, lmt(qty=1))
    req = order(OrderType.LMT, BUY, limit=150.0)
    clock.t = T0 + 1.0
    rejected(c, PlaceBracket(req, 151.0, 149.0), "max_orders_per_minute")     # 1 + 3 > 3
    assert c.execute(PlaceBracket(req, 151.0, None)).ok                        # 1 + 2 = 3
    clock.t = T0 + 60.5                                   # the single order is out, the bracket's 2 in
    place(c, s, lmt(qty=2))                               # 2 + 1 = 3
    rejected(c, PlaceOrder(lmt(qty=3)), "max_orders_per_minute")
    assert [x[0] for x in sent(s)] == ["place_order", "place_bracket", "place_order"]


def test_bracket_soft_failure_overridden_and_journaled():
    """A bracket's soft failure (entry outside the band) goes with override, journaled."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, limits=RiskLimits(price_band_ticks=Limit(True, 5, False)), journal=j,
                      clock=Clock())
    req = order(OrderType.LMT, BUY, limit=149.0)
    cmd = PlaceBracket(req, 151.0, 148.0)
    r = rejected(c, cmd, "price_band", soft=True)
    assert c.execute(cmd, override=True).ok
    assert sent(s) == [("place_bracket", (req, 151.0, 148.0))]
    assert [f["rule"] for k, f in j.rows if k == "override"] == ["price_band"]
    assert [f["text"] for k, f in j.rows if k == "override"] == [r.message]


def test_bracket_duplicate_of_an_order_sent_at_the_same_instant():
    """A bracket whose parent repeats an order just sent is a duplicate (same instant)."""
    s = new_session()
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=Limit(True, 2.0, False)), clock=Clock())
    req = order(OrderType.LMT, BUY, limit=150.0)
    assert c.execute(PlaceBracket(req, 151.0, None)).ok
    rejected(c, PlaceOrder(req), "duplicate_order", soft=True)


# ---------------------------------------------------------------- modify: what is sent

def stp_lmt_order(c, s, action=BUY, inst=AAPL, qty=100, limit=150.0, stop=149.9) -> int:
    return place(c, s, order(OrderType.STP_LMT, action, qty, limit, stop, inst))


@pytest.mark.parametrize("kw, call, change", [
    (dict(quantity=101), (101, None, None), "quantity 101"),
    (dict(limit_price=150.01), (None, 150.01, None), "limit 150.01"),
    (dict(stop_price=149.91), (None, None, 149.91), "stop 149.91"),
    (dict(quantity=99, limit_price=149.99, stop_price=149.89), (99, 149.99, 149.89),
     "quantity 99, limit 149.99, stop 149.89"),
])
def test_modify_values_reach_the_session_exactly(kw, call, change):
    """One share, one tick, stop only, or everything: modify_order gets exactly the new values."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, journal=j, clock=Clock())
    oid = stp_lmt_order(c, s)
    j.rows.clear()
    res = c.execute(ModifyOrder(oid, **kw))
    assert sent(s)[1:] == [("modify_order", (oid,) + call)]
    assert (res.ok, res.message, res.order, res.orders) == (
        True, f"Modify sent for order {oid}: {change}", s.order(oid), (s.order(oid),))
    cid = j.rows[0][1]["command_id"]
    assert j.rows[2:] == [("api", {"call": "placeOrder", "order_id": oid, "perm_id": 1_000_000 + oid,
                                   "client_id": 1, "symbol": "AAPL", "text": f"modify: {change}",
                                   "command_id": cid})]


def test_fx_modify_by_one_tick_is_sent():
    """EUR.USD: a modify by one 0.00005 tick is a change and is sent."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt(EUR, 20000, 1.1))
    assert c.execute(ModifyOrder(oid, limit_price=1.10005)).ok
    assert sent(s)[-1] == ("modify_order", (oid, None, 1.10005, None))


# ---------------------------------------------------------------- modify: risk

def test_modify_growth_checked_against_max_position_with_current_position():
    """A modify that grows the order checks max position for the growth on top of the
    current position (this account and instrument); at the limit passes, one over fails."""
    s = new_session()
    add_position(s, ACCOUNT, AAPL, 100)
    add_position(s, "DU999", AAPL, 5000)
    add_position(s, ACCOUNT, MSFT, -5000)
    c = OrderCommands(s, limits=RiskLimits(max_position=Limit(True, 300, True)), clock=Clock())
    oid = place(c, s, lmt(qty=100))
    r = rejected(c, ModifyOrder(oid, quantity=301), "max_position")
    assert r.message == ("Position in AAPL would be 301 (100 now + 201), beyond the maximum of "
                         "300 shares")
    assert rejected(c, ModifyOrder(oid, quantity=301), "max_position", override=True).soft is False
    assert c.execute(ModifyOrder(oid, quantity=300)).ok
    assert sent(s)[1:] == [("modify_order", (oid, 300, None, None))]


def test_modify_growth_of_one_share_over_the_limit_refused_for_buy_and_sell():
    """Growing an order by one share beyond max position is refused, on either side."""
    s = new_session()
    s.set_position("AAPL", 300, 150.0)
    s.set_position("MSFT", -300, 400.0)
    c = OrderCommands(s, clock=Clock())
    buy = place(c, s, lmt(qty=100))
    sell = place(c, s, lmt(MSFT, 100, 400.0, SELL))
    c.limits = RiskLimits(max_position=Limit(True, 300, True))
    rejected(c, ModifyOrder(buy, quantity=101), "max_position")
    rejected(c, ModifyOrder(sell, quantity=101), "max_position")
    assert c.execute(ModifyOrder(buy, quantity=99)).ok
    assert len(sent(s)) == 3


def test_modify_shrinking_is_not_checked_against_max_position():
    """A modify that makes the order smaller passes even when the position is beyond the limit."""
    s = new_session()
    s.set_position("AAPL", 1000, 150.0)
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt(qty=100))
    c.limits = RiskLimits(max_position=Limit(True, 300, True))
    assert c.execute(ModifyOrder(oid, quantity=50)).ok
    assert sent(s)[-1] == ("modify_order", (oid, 50, None, None))


def test_modify_soft_max_position_needs_override_and_is_journaled():
    """A soft max-position failure of a growing modify passes with override, journaled."""
    s = new_session()
    j = ListJournal()
    s.set_position("AAPL", 250, 150.0)
    c = OrderCommands(s, limits=RiskLimits(max_position=Limit(True, 300, False)), journal=j,
                      clock=Clock())
    oid = place(c, s, lmt(qty=10))
    r = rejected(c, ModifyOrder(oid, quantity=61), "max_position", soft=True)
    j.rows.clear()
    assert c.execute(ModifyOrder(oid, quantity=61), override=True).ok
    assert sent(s)[-1] == ("modify_order", (oid, 61, None, None))
    assert [(k, f["rule"], f["text"], f["order_id"]) for k, f in j.rows if k == "override"] == [
        ("override", "max_position", r.message, oid)]


def test_modify_stop_is_band_checked_at_its_new_price():
    """A moved stop (and limit) is checked against the price band at the NEW price."""
    s = new_session()   # AAPL 150.00 / 150.02, band 5 ticks: 149.95 - 150.07
    c = OrderCommands(s, clock=Clock())
    stp = place(c, s, order(OrderType.STP, SELL, stop=149.96))
    lim = place(c, s, lmt(MSFT, 10, 400.0))
    c.limits = RiskLimits(price_band_ticks=Limit(True, 5, True))
    rejected(c, ModifyOrder(stp, stop_price=149.94), "price_band")
    rejected(c, ModifyOrder(lim, limit_price=400.11), "price_band")
    assert c.execute(ModifyOrder(stp, stop_price=149.95)).ok
    assert c.execute(ModifyOrder(lim, limit_price=400.1)).ok
    assert sent(s)[2:] == [("modify_order", (stp, None, None, 149.95)),
                           ("modify_order", (lim, None, 400.1, None))]


def test_modify_quantity_checks_the_order_at_its_current_prices():
    """A quantity-only modify is checked as the order it becomes: its kept prices too."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    far_stop = place(c, s, order(OrderType.STP_LMT, BUY, limit=150.0, stop=150.9))
    far_limit = place(c, s, order(OrderType.STP_LMT, BUY, limit=151.0, stop=150.0))
    plain = place(c, s, lmt(price=149.0))
    c.limits = RiskLimits(price_band_ticks=Limit(True, 5, True))
    for oid in (far_stop, far_limit, plain):
        rejected(c, ModifyOrder(oid, quantity=101), "price_band")
    assert c.execute(ModifyOrder(far_stop, quantity=101, stop_price=150.05)).ok
    assert c.execute(ModifyOrder(far_limit, quantity=101, limit_price=150.05)).ok
    assert sent(s)[3:] == [("modify_order", (far_stop, 101, None, 150.05)),
                           ("modify_order", (far_limit, 101, 150.05, None))]


def test_modify_soft_band_failure_overridden_and_journaled():
    """A soft band failure of a modify goes with override and is journaled as override."""
    s = new_session()
    j = ListJournal()
    c = OrderCommands(s, journal=j, clock=Clock())
    oid = place(c, s, lmt())
    c.limits = RiskLimits(price_band_ticks=Limit(True, 5, False))
    rejected(c, ModifyOrder(oid, limit_price=151.0), "price_band", soft=True)
    assert c.execute(ModifyOrder(oid, limit_price=151.0), override=True).ok
    assert sent(s)[-1] == ("modify_order", (oid, None, 151.0, None))
    assert [f["rule"] for k, f in j.rows if k == "override"] == ["price_band"]


def test_modified_buy_market_order_notional_priced_at_the_ask():
    """A BUY MKT modify's notional is quantity x ask (the side it trades against)."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, order(OrderType.MKT, BUY, qty=100))
    c.limits = RiskLimits(max_order_notional=Limit(True, 15151, True))  # 101 x 150 <= 15151 < 101 x 150.02
    rejected(c, ModifyOrder(oid, quantity=101), "max_order_notional")
    c.limits = RiskLimits(max_order_notional=Limit(True, 15152.02, True))
    assert c.execute(ModifyOrder(oid, quantity=101)).ok


def test_modify_is_not_a_duplicate_nor_counted_by_the_rate_limit():
    """A modify is never refused as a duplicate or by orders per minute."""
    s = new_session()
    limits = RiskLimits(duplicate_order=Limit(True, 10.0, True),
                        max_orders_per_minute=Limit(True, 2, True))
    c = OrderCommands(s, limits=limits, clock=Clock())
    place(c, s, lmt(price=150.0))
    other = place(c, s, lmt(price=150.01))
    rejected(c, PlaceOrder(lmt(qty=1)), "max_orders_per_minute")
    assert c.execute(ModifyOrder(other, limit_price=150.0)).ok   # now the same as the first
    assert sent(s)[-1] == ("modify_order", (other, None, 150.0, None))
    rejected(c, PlaceOrder(lmt(qty=1)), "max_orders_per_minute")


def test_modify_of_an_order_with_a_non_enum_type_skips_the_limits():
    """An order of a type ibdesk does not know (text) is modified without the risk limits."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt())
    s._orders[oid] = s.order(oid).copy(order_type="TRAIL")
    c.limits = RiskLimits(max_order_quantity=Limit(True, 10, True))
    assert c.execute(ModifyOrder(oid, quantity=500)).ok
    assert sent(s)[-1] == ("modify_order", (oid, 500, None, None))


# ---------------------------------------------------------------- modify / cancel: which orders

def test_modify_or_cancel_of_another_clients_order_refused():
    """Orders of another client id are refused (rule not_own_order), nothing sent."""
    s = new_session()
    other = FakeSession(client_id=7, auto_submit=False)
    other._next_order_id = 5
    s.add_order(other.place_order(lmt()))
    c = OrderCommands(s, clock=Clock())
    r = rejected(c, ModifyOrder(5, quantity=1), "not_own_order")
    assert r.message == ("Cannot modify order 5: it was placed by client id 7, not by this session "
                         "(client id 1)")
    rejected(c, CancelOrder(5), "not_own_order")
    assert sent(s) == []


def test_stale_order_id_refused_for_modify_and_cancel():
    """An orderId from before a reconnect that the gateway did not report again: stale_order_id."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt())
    s.reconnect(lost_orders=(oid,))
    r = rejected(c, ModifyOrder(oid, quantity=1), "stale_order_id")
    assert r.message == (f"Cannot modify order {oid}: its orderId is from before the reconnect and "
                         "the gateway did not report the order again (it may have filled or been "
                         "cancelled meanwhile)")
    rejected(c, CancelOrder(oid), "stale_order_id")
    assert sent(s) == [("place_order", (lmt(),))]


def test_modify_in_flight_refuses_modify_but_not_cancel():
    """While the session reports a modify in flight, another modify is refused (pending);
    a cancel is sent; the gateway's answer ends the wait."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    a, b = place(c, s, lmt()), place(c, s, lmt(qty=5))
    assert c.execute(ModifyOrder(a, quantity=101)).ok
    r = rejected(c, ModifyOrder(a, quantity=102), "pending")
    assert r.message == (f"Cannot modify order {a}: a modification is already pending "
                         "(waiting for the gateway to confirm it)")
    s.answer(a)
    assert c.execute(ModifyOrder(a, quantity=102)).ok     # the session knows: no local wait
    assert c.execute(CancelOrder(a)).ok
    assert c.execute(ModifyOrder(b, quantity=6)).ok
    assert sent(s)[2:] == [("modify_order", (a, 101, None, None)), ("modify_order", (a, 102, None, None)),
                           ("cancel_order", (a,)), ("modify_order", (b, 6, None, None))]


def test_cancel_pending_refuses_modify_and_second_cancel():
    """After a cancel, modify and cancel of the order are refused (pending)."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt())
    assert c.execute(CancelOrder(oid)).ok
    for cmd, verb in ((ModifyOrder(oid, quantity=1), "modify"), (CancelOrder(oid), "cancel")):
        assert rejected(c, cmd, "pending").message == (
            f"Cannot {verb} order {oid}: a cancel is already pending")
    assert sent(s)[1:] == [("cancel_order", (oid,))]


def test_local_cancel_mark_holds_while_the_session_forgets_until_the_order_is_done():
    """A cancel this terminal sent blocks a second cancel / modify even if the session no
    longer reports it and the status still reads Submitted; a finished order ends it."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt())
    c.execute(CancelOrder(oid))
    s._orders[oid] = s.order(oid).copy(status=OrderStatus.SUBMITTED)
    s.in_flight.clear()
    rejected(c, CancelOrder(oid), "pending")
    rejected(c, ModifyOrder(oid, quantity=1), "pending")
    s._orders[oid] = s.order(oid).copy(status=OrderStatus.CANCELLED)
    rejected(c, CancelOrder(oid), "order_done")
    s._orders[oid] = s.order(oid).copy(status=OrderStatus.SUBMITTED)     # e.g. a reused record
    assert c.execute(CancelOrder(oid)).ok
    assert sent(s)[1:] == [("cancel_order", (oid,)), ("cancel_order", (oid,))]


# ---------------------------------------------------------------- local marks (no pending_action)

class NoPendingSession(FakeSession):
    """A session that does not report pending modify / cancel requests."""

    pending_action = None


def no_pending():
    s = NoPendingSession(auto_submit=False)
    s.push_quote("AAPL", bid=150.0, ask=150.02)
    j = ListJournal()
    clock = Clock()
    c = OrderCommands(s, journal=j, clock=clock)
    return s, c, j, clock


def test_local_modify_mark_blocks_until_the_record_changes():
    """Without pending_action a sent modify blocks the next one until the record changes;
    a cancel is still allowed meanwhile."""
    s, c, j, clock = no_pending()
    oid = place(c, s, lmt(), submit=False)
    other = place(c, s, lmt(qty=5), submit=False)
    assert c.execute(ModifyOrder(oid, quantity=101)).ok
    assert c.execute(ModifyOrder(other, quantity=6)).ok
    r = rejected(c, ModifyOrder(oid, quantity=102), "pending")
    assert r.message == (f"Cannot modify order {oid}: a modification is already pending "
                         "(waiting for the gateway to confirm it)")
    s.submit(oid)                                   # the gateway's answer changes the record
    assert c.execute(ModifyOrder(oid, quantity=102)).ok
    assert c.execute(CancelOrder(other)).ok
    assert sent(s)[2:] == [("modify_order", (oid, 101, None, None)), ("modify_order", (other, 6, None, None)),
                           ("modify_order", (oid, 102, None, None)), ("cancel_order", (other,))]


def test_local_modify_mark_times_out_after_30_seconds():
    """An unanswered modify stops blocking after PENDING_TIMEOUT (30 s), not at exactly 30 s."""
    assert PENDING_TIMEOUT == 30.0
    s, c, j, clock = no_pending()
    oid = place(c, s, lmt())
    assert c.execute(ModifyOrder(oid, quantity=101)).ok
    clock.t = T0 + 30.0
    rejected(c, ModifyOrder(oid, quantity=102), "pending")
    clock.t = T0 + 30.25
    assert c.execute(ModifyOrder(oid, quantity=102)).ok
    assert sent(s)[-1] == ("modify_order", (oid, 102, None, None))


def test_local_mark_cleared_when_the_order_finishes():
    """A finished order drops its modify mark (a reconnect then has none to clear)."""
    s, c, j, clock = no_pending()
    oid = place(c, s, lmt())
    c.execute(ModifyOrder(oid, quantity=101))
    s.fill(oid, commission=None)
    rejected(c, ModifyOrder(oid, quantity=102), "order_done")
    j.rows.clear()
    s.reconnect()
    assert [k for k, _ in j.rows] == []


def test_reconnect_clears_local_marks_and_journals_them():
    """A reconnect (CONNECTED) clears the modify / cancel marks and journals pending_cleared
    with the orderIds; a drop alone keeps them; no marks, no row."""
    s, c, j, clock = no_pending()
    a, b, d = place(c, s, lmt()), place(c, s, lmt(qty=5)), place(c, s, lmt(qty=6))
    c.execute(ModifyOrder(d, quantity=7))
    c.execute(ModifyOrder(a, quantity=101))
    c.execute(CancelOrder(b))
    j.rows.clear()
    s.drop_connection()
    assert j.rows == []
    s._set_state(ConnectionState.CONNECTED)
    assert j.rows == [("pending_cleared", {"orders": [a, b, d], "client_id": 1,
                                           "text": "reconnected: unanswered modify/cancel marks cleared"})]
    assert c.execute(ModifyOrder(a, quantity=102)).ok
    j.rows.clear()
    s.reconnect()
    s.reconnect()
    assert [k for k, _ in j.rows] == ["pending_cleared"]


def test_rule_order_of_a_modify():
    """A modify is checked in check()'s order: owner, read-only, connected, stale orderId,
    working / in flight, the new values (tick size), then the limits."""
    s = new_session()
    c = OrderCommands(s, clock=Clock())
    oid = place(c, s, lmt())
    c.limits = RiskLimits(price_band_ticks=Limit(True, 5, True))
    bad = ModifyOrder(oid, limit_price=160.005)              # off tick AND outside the band
    rejected(c, bad, "tick_size")
    assert c.execute(ModifyOrder(oid, quantity=101)).ok       # now a modify is in flight
    rejected(c, bad, "pending")
    s.stale.add(oid)
    rejected(c, bad, "stale_order_id")
    s.drop_connection()
    rejected(c, bad, "not_connected")
    c.read_only = True
    rejected(c, bad, "read_only")
    rejected(c, ModifyOrder(oid + 50, limit_price=160.005), "unknown_order")
