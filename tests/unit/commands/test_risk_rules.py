"""Pre-trade rules of OrderCommands (app.commands.risk): for each rule the case that
must be refused and the case that must pass, with the fake session of tests/fakes.py."""

from __future__ import annotations

import pytest

from app.commands import (
    CancelOrder, CommandRejected, Limit, ModifyOrder, OrderCommands, PlaceOrder, RiskLimits,
)
from app.domain import Action, OrderRequest, OrderType
from tests.fakes import FakeSession, ListJournal


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def s():
    s = FakeSession(auto_submit=False)
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.5)
    s.push_quote("EUR.USD", bid=1.1, ask=1.10005)
    return s


AAPL = FakeSession().contracts["AAPL"]
EUR = FakeSession().contracts["EUR.USD"]


def lmt(qty=100, price=187.50, action=Action.BUY, inst=AAPL):
    return OrderRequest(inst, action, qty, OrderType.LMT, limit_price=price)


def mkt(qty=100, action=Action.BUY, inst=AAPL):
    return OrderRequest(inst, action, qty, OrderType.MKT)


def only(**limits) -> RiskLimits:
    return RiskLimits(**limits)


def placed(s):
    return [c[1][0] for c in s.calls if c[0] == "place_order"]


def rejected(cmds, cmd, rule, *fragments, soft=False):
    with pytest.raises(CommandRejected) as ei:
        cmds.check(cmd)
    assert ei.value.rule == rule and ei.value.soft is soft, (ei.value.rule, ei.value.reason)
    for f in fragments:
        assert f in ei.value.reason, ei.value.reason
    res = cmds.execute(cmd)
    assert not res.ok and res.rule == rule and res.soft is soft and res.message == ei.value.reason
    return res


def test_max_order_quantity(s):
    c = OrderCommands(s, limits=only(max_order_quantity=Limit(True, 1000, True)))
    rejected(c, PlaceOrder(lmt(qty=5000)), "max_order_quantity",
             "Order quantity 5,000 exceeds the maximum of 1,000 shares per order")
    assert placed(s) == []
    assert c.execute(PlaceOrder(lmt(qty=1000))).ok


def test_max_order_notional_uses_limit_price(s):
    c = OrderCommands(s, limits=only(max_order_notional=Limit(True, 18_000, True)))
    rejected(c, PlaceOrder(lmt(qty=100)), "max_order_notional", "18,750 USD", "18,000 USD")
    assert c.execute(PlaceOrder(lmt(qty=96))).ok   # 18,000


def test_max_order_notional_mkt_uses_ask_for_buy_and_bid_for_sell(s):
    c = OrderCommands(s, limits=only(max_order_notional=Limit(True, 18_750, True)))
    rejected(c, PlaceOrder(mkt(qty=100)), "max_order_notional", "187.51")       # 18,751 at the ask
    assert c.execute(PlaceOrder(mkt(qty=100, action=Action.SELL))).ok           # 18,749 at the bid


def test_max_order_notional_fx_in_quote_currency(s):
    c = OrderCommands(s, limits=only(max_order_notional=Limit(True, 100_000, True)))
    rejected(c, PlaceOrder(lmt(qty=100_000, price=1.1, inst=EUR)), "max_order_notional",
             "110,000 USD")
    assert c.execute(PlaceOrder(lmt(qty=90_000, price=1.1, inst=EUR))).ok


def test_max_order_notional_mkt_without_quote_is_as_hard_as_the_limit(s):
    """No quote to value a MKT order: a hard limit refuses it for good (never passed
    unchecked), a soft one asks for an override."""
    msft = s.contracts["MSFT"]
    c = OrderCommands(s, limits=only(max_order_notional=Limit(True, 100_000, True)))
    rejected(c, PlaceOrder(mkt(inst=msft)), "max_order_notional", "No quote", "use a limit order", soft=False)
    assert not c.execute(PlaceOrder(mkt(inst=msft)), override=True).ok
    soft = OrderCommands(s, limits=only(max_order_notional=Limit(True, 100_000, False)))
    res = rejected(soft, PlaceOrder(mkt(inst=msft)), "max_order_notional", "No quote", soft=True)
    assert res.soft and placed(s) == []
    assert soft.execute(PlaceOrder(mkt(inst=msft)), override=True).ok


def test_max_position_counts_current_position(s):
    c = OrderCommands(s, limits=only(max_position=Limit(True, 1000, True)))
    s.set_position("AAPL", 800, 180.0)
    rejected(c, PlaceOrder(lmt(qty=300)), "max_position", "would be 1,100", "maximum of 1,000")
    assert c.execute(PlaceOrder(lmt(qty=200))).ok
    # reducing a position beyond the limit always passes
    s.set_position("AAPL", 3000, 180.0)
    assert c.execute(PlaceOrder(lmt(qty=500, action=Action.SELL))).ok


def test_max_position_short_side(s):
    c = OrderCommands(s, limits=only(max_position=Limit(True, 1000, True)))
    s.set_position("AAPL", -900, 180.0)
    rejected(c, PlaceOrder(lmt(qty=200, action=Action.SELL)), "max_position", "-1,100")
    assert c.execute(PlaceOrder(lmt(qty=200, action=Action.BUY))).ok


@pytest.mark.parametrize("price, ok", [(187.50, True), (196.88, True), (197.00, False),
                                       (178.00, False), (178.20, True)])
def test_price_band_percent(s, price, ok):
    c = OrderCommands(s, limits=only(price_band_percent=Limit(True, 5.0, True)))
    # mid 187.50, 5 % = 9.375 -> band 178.115 .. 196.885
    if ok:
        assert c.execute(PlaceOrder(lmt(price=price))).ok
    else:
        rejected(c, PlaceOrder(lmt(price=price)), "price_band", "5.1 %",
                 "the ask 187.51" if price > 187.5 else "the bid 187.49", "(band 5 %: 178.12 - 196.89)")


def test_price_band_ticks_and_stop_price(s):
    c = OrderCommands(s, limits=only(price_band_ticks=Limit(True, 10, False)))
    stp = OrderRequest(AAPL, Action.SELL, 100, OrderType.STP, stop_price=187.30)
    rejected(c, PlaceOrder(stp), "price_band", "Stop 187.30 is 0.1 % below the bid 187.49", soft=True)
    assert c.execute(PlaceOrder(OrderRequest(AAPL, Action.SELL, 100, OrderType.STP,
                                             stop_price=187.39))).ok


def test_price_band_without_quote_is_as_hard_as_the_band(s):
    msft = s.contracts["MSFT"]
    c = OrderCommands(s, limits=only(price_band_percent=Limit(True, 5.0, True)))
    rejected(c, PlaceOrder(lmt(inst=msft, price=400.0)), "price_band",
             "No quote for MSFT to check the price band against", soft=False)
    assert not c.execute(PlaceOrder(lmt(inst=msft, price=400.0)), override=True).ok
    soft = OrderCommands(s, limits=only(price_band_percent=Limit(True, 5.0, False)))
    rejected(soft, PlaceOrder(lmt(inst=msft, price=400.0)), "price_band",
             "No quote for MSFT to check the price band against", soft=True)
    assert placed(s) == []
    assert soft.execute(PlaceOrder(lmt(inst=msft, price=400.0)), override=True).ok


def test_tick_size_always_enforced(s):
    c = OrderCommands(s)
    rejected(c, PlaceOrder(lmt(price=187.505)), "tick_size", "not a multiple of the tick size 0.01")
    assert c.execute(PlaceOrder(lmt(price=187.5))).ok


def test_duplicate_order_within_window(s):
    clock = Clock()
    c = OrderCommands(s, limits=only(duplicate_order=Limit(True, 5.0, True)), clock=clock)
    assert c.execute(PlaceOrder(lmt())).ok
    clock.t += 4.9
    rejected(c, PlaceOrder(lmt()), "duplicate_order", "Same order as one sent 4.9 s ago")
    assert c.execute(PlaceOrder(lmt(qty=101))).ok          # another quantity is not a duplicate
    clock.t += 0.2                                          # 5.1 s after the first
    assert c.execute(PlaceOrder(lmt())).ok


def test_max_orders_per_minute_sliding_window(s):
    clock = Clock()
    c = OrderCommands(s, limits=only(max_orders_per_minute=Limit(True, 3, True)), clock=clock)
    for i in range(3):
        assert c.execute(PlaceOrder(lmt(qty=100 + i))).ok
        clock.t += 10
    rejected(c, PlaceOrder(lmt(qty=200)), "max_orders_per_minute", "3 orders sent in the last 60 s",
             "maximum of 3 orders per minute")
    clock.t = 1000.0 + 60.0     # the first order leaves the window
    assert c.execute(PlaceOrder(lmt(qty=200))).ok


def test_soft_limit_override_is_journaled_hard_is_not_overridable(s):
    j = ListJournal()
    c = OrderCommands(s, journal=j, limits=only(max_order_quantity=Limit(True, 100, False)))
    res = c.execute(PlaceOrder(lmt(qty=200)))
    assert not res.ok and res.soft and res.rule == "max_order_quantity"
    assert c.execute(PlaceOrder(lmt(qty=200)), override=True).ok
    kinds = [k for k, _ in j.rows]
    assert kinds == ["intent", "check", "intent", "check", "override", "api"]
    assert j.rows[1][1]["result"] == "rejected" and j.rows[1][1]["soft"] is True
    assert j.rows[4][1]["rule"] == "max_order_quantity"
    assert j.rows[5][1]["call"] == "placeOrder" and j.rows[5][1]["order_id"] == 1
    hard = OrderCommands(s, limits=only(max_order_quantity=Limit(True, 100, True)))
    res = hard.execute(PlaceOrder(lmt(qty=200)), override=True)
    assert not res.ok and not res.soft


def test_journal_failure_never_stops_trading(s, caplog):
    class Broken:
        def record(self, kind, **f):
            raise OSError("disk full")

    c = OrderCommands(s, journal=Broken())
    assert c.execute(PlaceOrder(lmt())).ok
    assert c.execute(PlaceOrder(lmt(qty=5))).ok
    assert sum("journal.record" in r.message for r in caplog.records) == 1


def test_modify_passes_risk_checks_as_the_order_it_becomes(s):
    c = OrderCommands(s, limits=only(max_order_quantity=Limit(True, 500, True),
                                     price_band_percent=Limit(True, 5.0, True)))
    oid = c.execute(PlaceOrder(lmt())).order.order_id
    s.submit(oid)
    rejected(c, ModifyOrder(oid, quantity=600), "max_order_quantity")
    rejected(c, ModifyOrder(oid, limit_price=150.0), "price_band")
    assert c.execute(ModifyOrder(oid, quantity=500)).ok


def test_read_only_and_halted(s):
    c = OrderCommands(s, read_only=True)
    rejected(c, PlaceOrder(lmt()), "read_only", "read-only")
    c.read_only = False
    oid = c.execute(PlaceOrder(lmt())).order.order_id
    s.submit(oid)
    c.halted = True
    rejected(c, PlaceOrder(lmt(qty=1)), "halted", "halted by the kill switch")
    assert c.execute(CancelOrder(oid)).ok            # cancels still allowed
    c.halted = False
    assert c.execute(PlaceOrder(lmt(qty=1))).ok


def test_pending_modify_blocks_modify_until_gateway_answers(s):
    c = OrderCommands(s)
    oid = c.execute(PlaceOrder(lmt())).order.order_id
    s.submit(oid)
    assert c.execute(ModifyOrder(oid, limit_price=187.4)).ok
    rejected(c, ModifyOrder(oid, limit_price=187.3), "pending", "modification is already pending")
    assert c.execute(CancelOrder(oid)).ok            # a cancel supersedes a pending modify
    rejected(c, CancelOrder(oid), "pending", "a cancel is already pending")
    s.confirm_cancel(oid)
    rejected(c, CancelOrder(oid), "order_done", "it is Cancelled")


def test_pending_modify_cleared_by_answer(s):
    c = OrderCommands(s)
    oid = c.execute(PlaceOrder(lmt())).order.order_id
    s.submit(oid)
    assert c.execute(ModifyOrder(oid, limit_price=187.4)).ok
    s.answer(oid)
    assert c.execute(ModifyOrder(oid, limit_price=187.3)).ok


def test_stale_order_id_after_reconnect(s):
    c = OrderCommands(s)
    a = c.execute(PlaceOrder(lmt())).order.order_id
    b = c.execute(PlaceOrder(lmt(qty=5))).order.order_id
    s.submit(a), s.submit(b)
    s.reconnect(lost_orders=(a,))
    rejected(c, ModifyOrder(a, limit_price=187.4), "stale_order_id", "before the reconnect")
    rejected(c, CancelOrder(a), "stale_order_id")
    assert c.execute(CancelOrder(b)).ok
    new = c.execute(PlaceOrder(lmt(qty=7))).order.order_id
    assert new > b


def test_recommended_limits_are_valid_and_on():
    r = RiskLimits.recommended()
    assert r.problems() == [] and all(lim.enabled for lim in r.limits().values())
    assert RiskLimits().problems() == [] and not any(l.enabled for l in RiskLimits().limits().values())
    bad = r.with_limit("max_order_quantity", Limit(True, -1, True))
    assert "max order quantity: the value must be positive, got -1" in bad.problems()


def test_one_command_id_links_confirmation_intent_check_and_api(s):
    """Entries of one action share details.command_id (a new order has no orderId at its
    intent); an accepted confirmation joins the next command, a declined one does not."""
    rows = []
    j = type("J", (), {"record": lambda self, kind, **f: rows.append((kind, f))})()
    clock = Clock()
    c = OrderCommands(s, journal=j, clock=clock)
    c.record("confirm", decision="accepted", text="BUY 100 AAPL LMT 187.50 DAY")
    assert c.execute(PlaceOrder(lmt())).ok
    ids = {f["command_id"] for _, f in rows}
    assert len(ids) == 1 and [k for k, _ in rows] == ["confirm", "intent", "check", "api"]
    rows.clear()
    c.record("confirm", decision="declined", text="BUY 100 AAPL LMT 187.40 DAY")
    assert c.execute(PlaceOrder(lmt(price=187.40))).ok  # a later, unconfirmed command
    assert rows[0][1]["command_id"] != rows[1][1]["command_id"] == rows[3][1]["command_id"]
    rows.clear()
    c.record("confirm", decision="accepted", text="stale")
    clock.t += 61  # too long ago to be this command's confirmation
    assert c.execute(PlaceOrder(lmt(price=187.30))).ok
    assert rows[0][1]["command_id"] != rows[1][1]["command_id"]
