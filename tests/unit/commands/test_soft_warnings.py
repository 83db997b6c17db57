"""Soft risk limits shown before sending (issue 14 item 4): ``OrderCommands.soft_failures``
lists every soft failure of a command, ``execute(cmd, override=<rule names>)`` passes only
the soft failures the trader saw, and the messages name no rule ids and print no raw floats."""

from __future__ import annotations

import pytest

from app.commands import (
    CommandRejected, Limit, ModifyOrder, OrderCommands, PlaceBracket, PlaceOrder, RiskLimits,
)
from app.commands.risk import RULE_TITLES, check_price_band, rule_title
from app.domain import Action, OrderRequest, OrderType, Quote
from app.domain.orders import fmt_number, price_problem, price_text
from tests.fakes import CONTRACTS, FakeSession, ListJournal
from tests.unit.commands.test_order_commands_pinned import Clock

AAPL = CONTRACTS["AAPL"]
EUR = CONTRACTS["EUR.USD"]
SOFT_BAND = Limit(True, 5.0, hard=False)
SOFT_DUP = Limit(True, 2.0, hard=False)


@pytest.fixture
def s():
    s = FakeSession(auto_submit=False)
    s.push_quote("AAPL", bid=221.40, ask=221.60, last=221.50)
    return s


def lmt(price, qty=100, action=Action.BUY, inst=AAPL):
    return OrderRequest(inst, action, qty, OrderType.LMT, limit_price=price)


def placed(s):
    return [c[1][0] for c in s.calls if c[0] == "place_order"]


def test_soft_failures_lists_every_soft_failure_in_rule_order(s):
    c = OrderCommands(s, limits=RiskLimits(price_band_percent=SOFT_BAND, duplicate_order=SOFT_DUP),
                      clock=Clock())
    far = PlaceOrder(lmt(257.40))
    assert c.soft_failures(PlaceOrder(lmt(221.50))) == []
    (band,) = c.soft_failures(far)
    assert (band.rule, band.soft) == ("price_band", True)
    assert band.reason == "Limit 257.40 is 16.2 % above the ask 221.60 (band 5 %: 210.33 - 232.67)"
    assert c.execute(far, override=True).ok
    rules = [f.rule for f in c.soft_failures(far)]
    assert rules == ["price_band", "duplicate_order"]
    assert len(placed(s)) == 1   # soft_failures sends nothing


def test_soft_failures_raises_the_hard_failure(s):
    c = OrderCommands(s, limits=RiskLimits(price_band_percent=SOFT_BAND,
                                           max_order_quantity=Limit(True, 50)))
    with pytest.raises(CommandRejected) as e:
        c.soft_failures(PlaceOrder(lmt(257.40)))
    assert (e.value.rule, e.value.soft) == ("max_order_quantity", False)


def test_soft_failures_of_a_bracket_and_a_modify(s):
    c = OrderCommands(s, limits=RiskLimits(price_band_percent=SOFT_BAND))
    br = PlaceBracket(lmt(257.40), take_profit=260.0)
    assert [f.rule for f in c.soft_failures(br)] == ["price_band"]
    rec = c.execute(PlaceOrder(lmt(221.50))).order
    assert [f.rule for f in c.soft_failures(ModifyOrder(rec.order_id, limit_price=257.40))] == ["price_band"]
    assert c.soft_failures(ModifyOrder(rec.order_id, limit_price=221.60)) == []


@pytest.mark.parametrize("override", [{"price_band"}, frozenset({"price_band"}), ["price_band"],
                                      "price_band", ("price_band", "max_position")])
def test_override_by_rule_name_passes_that_rule(s, override):
    j = ListJournal()
    c = OrderCommands(s, limits=RiskLimits(price_band_percent=SOFT_BAND), journal=j)
    res = c.execute(PlaceOrder(lmt(257.40)), override=override)
    assert res.ok, res.message
    assert j.of("intent")[-1]["override"] is True
    assert j.of("intent")[-1]["accepted_rules"] == sorted(
        {override} if isinstance(override, str) else set(override))
    assert [o["rule"] for o in j.of("override")] == ["price_band"]


@pytest.mark.parametrize("override", [(), frozenset(), {"duplicate_order"}, "price", False])
def test_override_naming_other_rules_still_refuses(s, override):
    j = ListJournal()
    c = OrderCommands(s, limits=RiskLimits(price_band_percent=SOFT_BAND), journal=j)
    res = c.execute(PlaceOrder(lmt(257.40)), override=override)
    assert not res.ok and res.soft and res.rule == "price_band"
    assert placed(s) == []
    with pytest.raises(CommandRejected):
        c.check(PlaceOrder(lmt(257.40)), override=override)
    intent = j.of("intent")[-1]
    if override is False:
        assert intent["override"] is False and "accepted_rules" not in intent
    else:
        assert intent["override"] is bool(override)
        assert intent["accepted_rules"] == sorted({override} if isinstance(override, str) else override)


def test_a_new_soft_failure_after_the_confirmation_is_refused(s):
    """The trader accepted the price band; the same order was sent a moment ago (a new
    duplicate): only that new rule stops it, and accepting both sends it."""
    clock = Clock()
    c = OrderCommands(s, limits=RiskLimits(price_band_percent=SOFT_BAND, duplicate_order=SOFT_DUP),
                      clock=clock)
    far = PlaceOrder(lmt(257.40))
    assert c.execute(far, override={"price_band"}).ok
    clock.t += 1
    res = c.execute(far, override={"price_band"})
    assert not res.ok and res.soft and res.rule == "duplicate_order"
    assert c.execute(far, override={"price_band", "duplicate_order"}).ok
    assert len(placed(s)) == 2


def test_hard_failures_never_pass_a_rule_name_override(s):
    c = OrderCommands(s, limits=RiskLimits(price_band_percent=Limit(True, 5.0, hard=True)))
    res = c.execute(PlaceOrder(lmt(257.40)), override={"price_band"})
    assert not res.ok and not res.soft and placed(s) == []


def test_modify_growing_position_soft_limit_passes_only_when_named(s):
    c = OrderCommands(s, limits=RiskLimits(max_position=Limit(True, 150, hard=False)))
    rec = c.execute(PlaceOrder(lmt(221.50))).order
    s.submit(rec.order_id)
    s.set_position("AAPL", 100, 220.0)
    grow = ModifyOrder(rec.order_id, quantity=200)
    assert [f.rule for f in c.soft_failures(grow)] == ["max_position"]
    assert not c.execute(grow, override={"price_band"}).ok
    res = c.execute(grow, override={"max_position"})
    assert res.ok, res.message


def test_price_band_messages_name_the_reference_side():
    pct = Limit(True, 5.0, hard=False)
    off = Limit()
    req_hi, req_lo = lmt(257.40), lmt(200.00, action=Action.SELL)
    assert check_price_band(req_hi, Quote(AAPL.key, last=221.50), pct, off).reason == (
        "Limit 257.40 is 16.2 % above the last 221.50 (band 5 %: 210.43 - 232.58)")
    assert check_price_band(req_lo, Quote(AAPL.key, ask=221.60), pct, off).reason == (
        "Limit 200.00 is 9.7 % below the ask 221.60 (band 5 %: 210.52 - 232.68)")
    assert check_price_band(req_hi, Quote(AAPL.key, bid=221.40), pct, off).reason == (
        "Limit 257.40 is 16.3 % above the bid 221.40 (band 5 %: 210.33 - 232.47)")
    assert check_price_band(lmt(1.2, 100_000, inst=EUR), Quote(EUR.key, bid=1.1, ask=1.10005),
                            pct, off).reason == (
        "Limit 1.20000 is 9.1 % above the ask 1.10005 (band 5 %: 1.04500 - 1.15505)")
    # a zero reference price: no percentage (no division by zero)
    assert check_price_band(lmt(0.05, 100), Quote(AAPL.key, bid=0.0, ask=0.0), Limit(),
                            Limit(True, 2, hard=False)).reason == (
        "Limit 0.05 is above the ask 0.00 (band 2 ticks: 0.00 - 0.02)")


def test_rule_titles_are_words():
    assert rule_title("price_band") == "Price band"
    assert rule_title("duplicate_order") == "Duplicate order"
    assert rule_title("") == rule_title("nonsense") == "Risk limit"
    assert all("_" not in t for t in RULE_TITLES.values())
    assert set(RULE_TITLES) == {"max_order_quantity", "max_order_notional", "max_position",
                                "price_band", "duplicate_order", "max_orders_per_minute"}


@pytest.mark.parametrize("x, text", [(0.00005, "0.00005"), (1e-07, "0.0000001"), (150.0, "150"),
                                     (1.5, "1.5"), (3, "3"), (True, "True")])
def test_fmt_number_never_uses_an_exponent(x, text):
    assert fmt_number(x) == text


@pytest.mark.parametrize("p, tick, text", [(257.4, 0.01, "257.40"), (1.1, 0.00005, "1.10000"),
                                           (8000.0, 1.0, "8000.00"), (187.5, None, "187.50"),
                                           (0.25, 0.25, "0.25"), (12.125, 0.125, "12.125")])
def test_price_text_uses_the_tick_decimals(p, tick, text):
    assert price_text(p, tick) == text


def test_price_problem_default_format_has_no_exponent():
    assert price_problem("Limit price", 1.10003, 0.00005) == (
        "Limit price 1.10003 is not a multiple of the tick size 0.00005 (nearest: 1.10005)")
    assert price_problem("Limit price", 0.0, 0.01) == "Limit price must be positive, got 0"


def test_describe_change_with_the_tick():
    from app.commands.intents import describe_change
    assert describe_change(ModifyOrder(3, limit_price=200.0), 0.01) == "limit 200.00"
    assert describe_change(ModifyOrder(3, 1_000_000, 1.1, 1.09995), 0.00005) == (
        "quantity 1000000, limit 1.10000, stop 1.09995")
    assert describe_change(ModifyOrder(3, limit_price=200.0)) == "limit 200"
    assert describe_change(ModifyOrder(3, limit_price=True), 0.01) == "limit True"
    assert describe_change(ModifyOrder(3, stop_price=float("nan")), 0.01) == "stop NaN"


def test_modify_sent_message_uses_the_tick(s):
    j = ListJournal()
    c = OrderCommands(s, journal=j)
    rec = c.execute(PlaceOrder(lmt(221.50))).order
    s.submit(rec.order_id)
    res = c.execute(ModifyOrder(rec.order_id, limit_price=221.0))
    assert res.ok and res.message == f"Modify sent for order {rec.order_id}: limit 221.00"
    assert j.of("api")[-1]["text"] == "modify: limit 221.00"
