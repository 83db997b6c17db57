"""Pre-trade risk rules of app.commands.risk, pinned rule by rule: which orders each rule
refuses (by rule name, soft or hard), the exact boundaries, one-sided and missing quotes,
several symbols (AAPL, MSFT, EUR.USD with tick 0.00005) and a real-sized monotonic clock."""

from __future__ import annotations

import math

import pytest

from app.commands import Limit, OrderCommands, PlaceOrder, RiskLimits
from app.commands.risk import (
    LIMIT_RULES, RISK_RULES, check_duplicate, check_rate, evaluate, notional_price,
    order_signature, side_price,
)
from app.domain import Action, Instrument, OrderRequest, OrderType, Quote
from tests.fakes import CONTRACTS, FakeSession

BUY, SELL = Action.BUY, Action.SELL
AAPL, MSFT, EUR = CONTRACTS["AAPL"], CONTRACTS["MSFT"], CONTRACTS["EUR.USD"]
#: an instrument whose contract details gave no min tick (0): the band uses 0.01
NOTICK = Instrument("XYZ", "STK", "SMART", "USD", "NYSE", 0, 0.0)

#: a monotonic clock after ~81 days of uptime (time.monotonic()-like, not 1000)
T0 = 7_000_000.0

HARD, SOFT = True, False


def lim(value, hard=HARD):
    return Limit(True, value, hard)


def quote(inst=AAPL, bid=None, ask=None, last=None):
    return Quote(inst.key, bid=bid, ask=ask, last=last)


def lmt(qty=100, price=187.50, action=BUY, inst=AAPL):
    return OrderRequest(inst, action, qty, OrderType.LMT, limit_price=price)


def mkt(qty=100, action=BUY, inst=AAPL):
    return OrderRequest(inst, action, qty, OrderType.MKT)


def stp(qty=100, stop=190.0, action=BUY, inst=AAPL):
    return OrderRequest(inst, action, qty, OrderType.STP, stop_price=stop)


def stp_lmt(qty=100, stop=190.0, limit=190.5, action=BUY, inst=AAPL):
    return OrderRequest(inst, action, qty, OrderType.STP_LMT, limit_price=limit, stop_price=stop)


def run(req, limits, *, q=None, position=0.0, recent=(), sent_times=(), now=T0, **kw):
    return evaluate(req, limits, quote=q, position=position, recent=recent,
                    sent_times=sent_times, now=now, **kw)


def verdict(failures):
    """(rule, soft) of each failure, in evaluate's order."""
    return [(f.rule, f.soft) for f in failures]


def one(failures):
    assert len(failures) == 1, verdict(failures)
    return failures[0]


# ---------------------------------------------------------------- Limit / RiskLimits


def test_limit_defaults_are_off_zero_and_hard():
    """A Limit() is disabled with value 0 and hard; a Limit switched on is hard unless told."""
    assert Limit() == Limit(False, 0.0, True)
    assert Limit().hard is True and Limit().enabled is False and Limit().value == 0
    assert Limit(True, 10).hard is True


def test_risk_limits_default_has_every_limit_off_and_flatten_5_ticks():
    """RiskLimits() switches every limit off (each a default Limit) and flattens 5 ticks through."""
    r = RiskLimits()
    assert list(r.limits().values()) == [Limit()] * 11
    assert r.flatten_ticks == 5


def test_recommended_values_and_hard_soft_of_each_limit():
    """Recommended defaults: exact values, all on, bands and duplicates soft, the rest hard."""
    r = RiskLimits.recommended()
    assert r.limits() == {
        "max_order_quantity": Limit(True, 1_000, True),
        "max_order_notional": Limit(True, 100_000, True),
        "max_position": Limit(True, 5_000, True),
        "max_fx_order_quantity": Limit(True, 100_000, True),
        "max_fx_position": Limit(True, 500_000, True),
        "max_future_order_quantity": Limit(True, 10, True),
        "max_future_position": Limit(True, 20, True),
        "price_band_percent": Limit(True, 5.0, False),
        "price_band_ticks": Limit(True, 20, False),
        "duplicate_order": Limit(True, 2.0, False),
        "max_orders_per_minute": Limit(True, 30, True),
    }
    assert [(n, lim_.hard) for n, lim_ in r.limits().items()] == [
        ("max_order_quantity", True), ("max_order_notional", True), ("max_position", True),
        ("max_fx_order_quantity", True), ("max_fx_position", True), ("max_future_order_quantity", True),
        ("max_future_position", True), ("price_band_percent", False), ("price_band_ticks", False), ("duplicate_order", False),
        ("max_orders_per_minute", True)]
    assert r.flatten_ticks == 5 and type(r.flatten_ticks) is int
    assert r.problems() == []


def test_limits_keys_are_the_rule_names_in_order():
    """limits() lists exactly the eleven limits, in the order the dialog shows them."""
    names = ["max_order_quantity", "max_order_notional", "max_position", "max_fx_order_quantity",
             "max_fx_position", "max_future_order_quantity", "max_future_position", "price_band_percent", "price_band_ticks", "duplicate_order",
             "max_orders_per_minute"]
    assert list(RiskLimits().limits()) == names == list(LIMIT_RULES)
    assert RISK_RULES == ("max_order_quantity", "max_order_notional", "max_position",
                          "price_band", "duplicate_order", "max_orders_per_minute")


def test_with_limit_replaces_one_limit_and_refuses_unknown_names():
    """with_limit replaces only the named limit; an unknown name is a KeyError."""
    r = RiskLimits.recommended()
    new = r.with_limit("max_position", Limit(True, 250, False))
    assert new.max_position == Limit(True, 250, False)
    assert {n: v for n, v in new.limits().items() if n != "max_position"} == \
        {n: v for n, v in r.limits().items() if n != "max_position"}
    assert r.max_position == Limit(True, 5_000, True)        # the original is unchanged
    for bad in ("max_positions", "flatten_ticks", "price_band", ""):
        with pytest.raises(KeyError) as ei:
            r.with_limit(bad, Limit(True, 1))
        assert ei.value.args == (f"Unknown limit {bad!r}",)


@pytest.mark.parametrize("value, problem", [
    (math.inf, "the value must be a number, got inf"),
    (-math.inf, "the value must be a number, got -inf"),
    (math.nan, "the value must be a number, got nan"),
    (True, "the value must be a number, got True"),
    (False, "the value must be a number, got False"),
    ("100", "the value must be a number, got '100'"),
    (None, "the value must be a number, got None"),
    (0, "the value must be positive, got 0"),
    (0.0, "the value must be positive, got 0"),
    (-1, "the value must be positive, got -1"),
    (-0.5, "the value must be positive, got -0.5"),
])
def test_problems_refuses_non_numbers_and_non_positive_values(value, problem):
    """An enabled limit needs a finite number > 0; each problem names the limit."""
    for name in LIMIT_RULES:
        r = RiskLimits().with_limit(name, Limit(True, value, True))
        assert r.problems() == [f"{name.replace('_', ' ')}: {problem}"]


def test_problems_accepts_a_disabled_zero_but_never_a_non_number():
    """A disabled limit may hold 0 but never nan, inf or a bool."""
    for name in LIMIT_RULES:
        assert RiskLimits().with_limit(name, Limit(False, 0, True)).problems() == []
        assert RiskLimits().with_limit(name, Limit(False, 0.0, False)).problems() == []
        for v in (math.nan, math.inf, True):
            assert RiskLimits().with_limit(name, Limit(False, v)).problems() == [
                f"{name.replace('_', ' ')}: the value must be a number, got {v!r}"]


def test_problems_smallest_positive_values_pass():
    """Any value above 0 passes: 0.5 s duplicates, 0.01 % band, one share, one order a minute."""
    r = RiskLimits(max_order_quantity=lim(1), max_order_notional=lim(0.01), max_position=lim(1),
                   price_band_percent=lim(0.01), price_band_ticks=lim(1),
                   duplicate_order=lim(0.5), max_orders_per_minute=lim(1))
    assert r.problems() == []


@pytest.mark.parametrize("name", ["max_orders_per_minute", "price_band_ticks"])
def test_problems_counts_and_ticks_must_be_whole_numbers(name):
    """Orders a minute and band ticks must be whole numbers (also while disabled)."""
    label = name.replace("_", " ")
    assert RiskLimits().with_limit(name, lim(30.5)).problems() == [
        f"{label}: the value must be a whole number, got 30.5"]
    assert RiskLimits().with_limit(name, Limit(False, 2.5)).problems() == [
        f"{label}: the value must be a whole number, got 2.5"]
    assert RiskLimits().with_limit(name, lim(30.0)).problems() == []
    assert RiskLimits().with_limit(name, lim(30)).problems() == []


@pytest.mark.parametrize("name", ["max_order_quantity", "max_order_notional", "max_position",
                                  "price_band_percent", "duplicate_order"])
def test_problems_other_limits_may_be_fractional(name):
    """Quantities (FX, fractional shares), notionals, percents and seconds may be fractional."""
    assert RiskLimits().with_limit(name, lim(2.5)).problems() == []


def test_problems_percent_band_at_most_100():
    """The percent band is at most 100 %; other limits have no upper bound."""
    r = RiskLimits()
    assert r.with_limit("price_band_percent", lim(100)).problems() == []
    assert r.with_limit("price_band_percent", lim(100.5)).problems() == [
        "price band percent: at most 100 %, got 100.5"]
    assert r.with_limit("price_band_percent", lim(101)).problems() == [
        "price band percent: at most 100 %, got 101"]
    assert r.with_limit("price_band_ticks", lim(101)).problems() == []
    assert r.with_limit("duplicate_order", lim(1000.0)).problems() == []


@pytest.mark.parametrize("ft, ok", [(0, True), (1, True), (5, True), (1000, True),
                                    (-1, False), (1001, False), (5.0, False), (True, False),
                                    (False, False), ("5", False), (None, False)])
def test_problems_flatten_ticks_whole_number_0_to_1000(ft, ok):
    """flatten_ticks must be an int (not a bool, not a float) from 0 to 1000 inclusive."""
    problems = RiskLimits(flatten_ticks=ft).problems()
    assert problems == ([] if ok else [f"flatten ticks: a whole number from 0 to 1000, got {ft!r}"])


def test_problems_lists_every_problem_in_limit_order_then_flatten_ticks():
    """Each invalid limit gives one sentence, in limit order, flatten ticks last."""
    r = RiskLimits(max_order_quantity=lim(-5), price_band_percent=lim(150),
                   price_band_ticks=lim(2.5), duplicate_order=lim(math.nan),
                   max_orders_per_minute=lim(0), flatten_ticks=-2)
    assert r.problems() == [
        "max order quantity: the value must be positive, got -5",
        "price band percent: at most 100 %, got 150",
        "price band ticks: the value must be a whole number, got 2.5",
        "duplicate order: the value must be a number, got nan",
        "max orders per minute: the value must be positive, got 0",
        "flatten ticks: a whole number from 0 to 1000, got -2",
    ]


# ---------------------------------------------------------------- max_order_quantity


@pytest.mark.parametrize("hard", [True, False])
def test_max_order_quantity_equal_passes_one_more_fails(hard):
    """Quantity equal to the limit passes, one share more is refused as hard / soft as the limit."""
    limits = RiskLimits(max_order_quantity=lim(1000, hard))
    assert run(lmt(qty=1000), limits) == []
    f = one(run(lmt(qty=1001), limits))
    assert (f.rule, f.soft) == ("max_order_quantity", not hard)
    assert f.reason == "Order quantity 1,001 exceeds the maximum of 1,000 shares per order"


@pytest.mark.parametrize("hard", [True, False])
def test_max_fx_order_quantity_in_base_units(hard):
    """FX orders meet the FX quantity limit, in base-currency units, and the message says so;
    the rule is the same "max_order_quantity" (one override, one skip set)."""
    limits = RiskLimits(max_fx_order_quantity=lim(100_000, hard))
    assert run(lmt(qty=100_000, price=1.1, inst=EUR), limits) == []
    f = one(run(lmt(qty=100_001, price=1.1, inst=EUR), limits))
    assert (f.rule, f.soft) == ("max_order_quantity", not hard)
    assert f.reason == "Order quantity 100,001 exceeds the maximum of 100,000 units of EUR per order"


def test_share_and_fx_quantity_limits_do_not_cross():
    """The share limit never refuses an FX order (25,000 EUR is IDEALPRO's usual minimum) and
    the FX limit never refuses a stock order (issue 14: every FX ticket was refused)."""
    limits = RiskLimits(max_order_quantity=lim(1_000), max_fx_order_quantity=lim(100_000),
                        max_position=lim(5_000), max_fx_position=lim(500_000))
    assert run(lmt(qty=25_000, price=1.1, inst=EUR), limits, position=400_000) == []
    f = one(run(lmt(qty=1_001), limits))
    assert f.rule == "max_order_quantity" and "1,000 shares" in f.reason
    f = one(run(lmt(qty=1_000), limits, position=4_500))
    assert f.rule == "max_position" and "5,000 shares" in f.reason
    assert [f.rule for f in run(lmt(qty=100_001, price=1.1, inst=EUR), limits, position=400_000)] \
        == ["max_order_quantity", "max_position"]


def test_recommended_limits_pass_a_standard_fx_ticket():
    """The defaults a new installation starts with let the FX ticket's default 25,000 EUR
    through (it was refused by the 1,000-share limit) and still bound FX size."""
    rec = RiskLimits.recommended()
    assert rec.max_fx_order_quantity == Limit(True, 100_000)
    assert rec.max_fx_position == Limit(True, 500_000)
    assert run(lmt(qty=25_000, price=1.1, inst=EUR), rec, q=quote(EUR, 1.09995, 1.10005)) == []


def test_max_order_quantity_disabled_never_refuses():
    """A disabled quantity limit refuses nothing, whatever its value."""
    assert run(lmt(qty=1_000_000), RiskLimits(max_order_quantity=Limit(False, 1))) == []


# ---------------------------------------------------------------- max_order_notional


NBBO = dict(bid=187.25, ask=187.75)


@pytest.mark.parametrize("hard", [True, False])
def test_max_order_notional_limit_price_equal_passes(hard):
    """LMT notional = quantity x limit price: equal to the limit passes, one cent more fails."""
    limits = RiskLimits(max_order_notional=lim(18_750, hard))
    assert run(lmt(qty=100, price=187.50), limits, q=quote(**NBBO)) == []
    f = one(run(lmt(qty=100, price=187.51), limits, q=quote(**NBBO)))
    assert (f.rule, f.soft) == ("max_order_notional", not hard)
    assert f.reason == ("Order notional 18,751 USD (100 x 187.51) exceeds the maximum of "
                        "18,750 USD per order")


def test_max_order_notional_mkt_buy_at_ask_sell_at_bid():
    """A MKT order is valued at the side it trades against: a BUY at the ask, a SELL at the bid."""
    q = quote(**NBBO)
    assert run(mkt(100, BUY), RiskLimits(max_order_notional=lim(18_775)), q=q) == []
    f = one(run(mkt(100, BUY), RiskLimits(max_order_notional=lim(18_774)), q=q))
    assert f.rule == "max_order_notional"
    assert f.reason == ("Order notional 18,775 USD (100 x 187.75) exceeds the maximum of "
                        "18,774 USD per order")
    assert run(mkt(100, SELL), RiskLimits(max_order_notional=lim(18_725)), q=q) == []
    f = one(run(mkt(100, SELL), RiskLimits(max_order_notional=lim(18_724)), q=q))
    assert "(100 x 187.25)" in f.reason and f.rule == "max_order_notional"


def test_max_order_notional_stp_with_quote_uses_nbbo_side_not_stop():
    """A STP order with a quote is valued at the NBBO side, not at its stop price."""
    q = quote(**NBBO)
    buy = stp(100, stop=190.00, action=BUY)
    assert notional_price(buy, q) == 187.75
    assert run(buy, RiskLimits(max_order_notional=lim(18_775)), q=q) == []   # 19,000 at the stop
    sell = stp(100, stop=185.00, action=SELL)
    assert notional_price(sell, q) == 187.25
    f = one(run(sell, RiskLimits(max_order_notional=lim(18_724)), q=q))  # 18,500 at the stop
    assert f.rule == "max_order_notional" and "(100 x 187.25)" in f.reason


def test_max_order_notional_stp_without_quote_uses_stop_price():
    """A STP order without a quote is valued at its stop price."""
    buy = stp(100, stop=190.00)
    assert notional_price(buy, None) == 190.0
    assert run(buy, RiskLimits(max_order_notional=lim(19_000))) == []
    f = one(run(buy, RiskLimits(max_order_notional=lim(18_999))))
    assert f.rule == "max_order_notional" and not f.soft
    assert f.reason == ("Order notional 19,000 USD (100 x 190.00) exceeds the maximum of "
                        "18,999 USD per order")
    # a quote with the other side only: still no price on the traded side -> the stop
    assert notional_price(buy, quote(bid=187.25)) == 190.0
    assert notional_price(stp(100, 185.0, SELL), quote(ask=187.75)) == 185.0


def test_notional_price_of_each_order_type():
    """Notional price: limit price for LMT / STP LMT, else the NBBO side; unused prices ignored."""
    q = quote(**NBBO)
    assert notional_price(lmt(price=180.0), q) == 180.0
    assert notional_price(lmt(price=180.0), None) == 180.0
    assert notional_price(stp_lmt(stop=190.0, limit=190.5), q) == 190.5
    assert notional_price(stp_lmt(stop=190.0, limit=190.5), None) == 190.5
    assert notional_price(mkt(action=BUY), q) == 187.75
    assert notional_price(mkt(action=SELL), q) == 187.25
    assert notional_price(mkt(action=BUY), None) is None
    assert notional_price(mkt(action=BUY), quote(bid=187.25)) is None
    assert notional_price(mkt(action=SELL), quote(ask=187.75)) is None
    assert notional_price(mkt(action=SELL), quote(last=187.5)) is None
    stray = OrderRequest(AAPL, BUY, 100, OrderType.MKT, limit_price=1.0, stop_price=2.0)
    assert notional_price(stray, q) == 187.75
    assert notional_price(stray, None) is None
    # a stop-limit order without its limit price has no notional price (no stop fallback)
    broken = OrderRequest(AAPL, BUY, 100, OrderType.STP_LMT, stop_price=190.0)
    assert notional_price(broken, None) is None
    assert notional_price(broken, q) == 187.75


def test_side_price_is_ask_for_buy_bid_for_sell():
    """The NBBO side an order trades against: ask for a BUY, bid for a SELL, None without a quote."""
    q = quote(bid=1.1, ask=1.10005, inst=EUR)
    assert side_price(mkt(action=BUY, inst=EUR), q) == 1.10005
    assert side_price(mkt(action=SELL, inst=EUR), q) == 1.1
    assert side_price(mkt(action=BUY, inst=EUR), None) is None


def test_max_order_notional_without_price_is_as_hard_as_the_limit():
    """No price to value an order: refused as hard or soft as the notional limit."""
    f = one(run(mkt(100, inst=MSFT), RiskLimits(max_order_notional=lim(100_000, HARD))))
    assert (f.rule, f.soft) == ("max_order_notional", False)
    assert f.reason == ("No quote for MSFT to compute the notional of a MKT order against the "
                        "maximum of 100,000 USD (hard limit: use a limit order, or change it in "
                        "Trading > Risk limits)")
    f = one(run(mkt(100, inst=MSFT), RiskLimits(max_order_notional=lim(100_000, SOFT))))
    assert (f.rule, f.soft) == ("max_order_notional", True)
    assert f.reason == ("No quote for MSFT to compute the notional of a MKT order against the "
                        "maximum of 100,000 USD")
    # a BUY with only a bid (nothing on the side it buys from) is as unpriced
    f = one(run(mkt(100), RiskLimits(max_order_notional=lim(100_000)), q=quote(bid=187.25)))
    assert (f.rule, f.soft) == ("max_order_notional", False)


def test_max_order_notional_fx_in_quote_currency():
    """EUR.USD notional is in USD; 100,000 x 1.1 equals a 110,000 limit despite float noise."""
    limits = RiskLimits(max_order_notional=lim(110_000))
    assert run(lmt(100_000, 1.1, inst=EUR), limits) == []
    f = one(run(lmt(100_000, 1.10005, inst=EUR), limits))
    assert f.reason == ("Order notional 110,005 USD (100,000 x 1.10005) exceeds the maximum of "
                        "110,000 USD per order")


def test_max_order_notional_disabled_needs_no_quote():
    """A disabled notional limit passes a MKT order without a quote."""
    assert run(mkt(10_000), RiskLimits(max_order_notional=Limit(False, 1))) == []


# ---------------------------------------------------------------- max_position


@pytest.mark.parametrize("hard", [True, False])
def test_max_position_equal_passes_one_more_fails(hard):
    """|position + order| equal to the limit passes, one share beyond fails."""
    limits = RiskLimits(max_position=lim(1000, hard))
    assert run(lmt(200), limits, position=800) == []
    f = one(run(lmt(201), limits, position=800))
    assert (f.rule, f.soft) == ("max_position", not hard)
    assert f.reason == ("Position in AAPL would be 1,001 (800 now + 201), beyond the maximum "
                        "of 1,000 shares")


def test_max_position_short_side():
    """Selling deeper into a short is checked the same way."""
    limits = RiskLimits(max_position=lim(1000))
    assert run(lmt(200, action=SELL), limits, position=-800) == []
    f = one(run(lmt(201, action=SELL), limits, position=-800))
    assert f.rule == "max_position"
    assert f.reason == ("Position in AAPL would be -1,001 (-800 now - 201), beyond the maximum "
                        "of 1,000 shares")


def test_max_position_reducing_always_passes():
    """An order that makes |position| smaller passes even beyond the limit."""
    limits = RiskLimits(max_position=lim(1000))
    assert run(lmt(500, action=SELL), limits, position=3000) == []
    assert run(lmt(500, action=BUY), limits, position=-3000) == []
    assert run(lmt(1, action=SELL), limits, position=1001) == []


def test_max_position_flip_through_zero():
    """A flip through zero is checked on the new side; the same size the other way passes."""
    limits = RiskLimits(max_position=lim(1000))
    f = one(run(lmt(1700, action=SELL), limits, position=600))
    assert f.rule == "max_position"
    assert f.reason == ("Position in AAPL would be -1,100 (600 now - 1,700), beyond the maximum "
                        "of 1,000 shares")
    assert run(lmt(1600, action=SELL), limits, position=600) == []
    assert run(lmt(2400, action=SELL), limits, position=1200) == []
    assert run(lmt(2400, action=BUY), limits, position=-1200) == []
    f = one(run(lmt(2401, action=BUY), limits, position=-1200))
    assert "would be 1,201 (-1,200 now + 2,401)" in f.reason


def test_max_position_fx_units():
    """FX positions meet the FX position limit, in base units, and the message names them."""
    f = one(run(lmt(60_000, 1.1, inst=EUR), RiskLimits(max_fx_position=lim(100_000)), position=50_000))
    assert f.reason == ("Position in EUR.USD would be 110,000 (50,000 now + 60,000), beyond the "
                        "maximum of 100,000 units of EUR")


def test_max_position_disabled():
    """A disabled position limit refuses nothing."""
    assert run(lmt(5000), RiskLimits(max_position=Limit(False, 1)), position=10_000) == []


def test_max_position_is_per_symbol_long_aapl_and_short_msft_do_not_cancel():
    """Max position is per symbol: a short MSFT makes no room for more AAPL."""
    s = FakeSession(auto_submit=False)
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.5)
    s.push_quote("MSFT", bid=410.0, ask=410.02, last=410.01)
    s.set_position("AAPL", 900, 180.0)
    s.set_position("MSFT", -900, 400.0)
    c = OrderCommands(s, limits=RiskLimits(max_position=lim(1000)), clock=lambda: T0)
    aapl, msft = s.contracts["AAPL"], s.contracts["MSFT"]
    res = c.execute(PlaceOrder(lmt(200, inst=aapl)))
    assert not res.ok and res.rule == "max_position" and not res.soft
    res = c.execute(PlaceOrder(lmt(200, 410.0, SELL, inst=msft)))
    assert not res.ok and res.rule == "max_position"
    assert [c_ for c_ in s.calls if c_[0] == "place_order"] == []
    assert c.execute(PlaceOrder(lmt(100, inst=aapl))).ok
    assert c.execute(PlaceOrder(lmt(200, 410.0, BUY, inst=msft))).ok
    sent = [c_[1][0] for c_ in s.calls if c_[0] == "place_order"]
    assert [(r.instrument.symbol, r.action, r.quantity) for r in sent] == [
        ("AAPL", BUY, 100), ("MSFT", BUY, 200)]


# ---------------------------------------------------------------- price band


PCT = "price_band_percent"


def band(pct=None, ticks=None):
    """RiskLimits with only the band limits given ((value, hard) or a Limit)."""
    def mk(x):
        if x is None:
            return Limit()
        return x if isinstance(x, Limit) else Limit(True, *x)
    return RiskLimits(price_band_percent=mk(pct), price_band_ticks=mk(ticks))


def band_check(req, limits, q):
    """None if the band passes, else (rule, soft, reason)."""
    fs = run(req, limits, q=q)
    if not fs:
        return None
    f = one(fs)
    return f.rule, f.soft, f.reason


@pytest.mark.parametrize("price, ok", [(89.50, True), (89.49, False), (105.0, True),
                                       (120.50, True), (120.51, False)])
def test_price_band_percent_of_mid_edges(price, ok):
    """Percent band: bid - pct x mid .. ask + pct x mid inclusive; one cent beyond fails."""
    r = band_check(lmt(price=price), band(pct=(10, HARD)), quote(bid=100.0, ask=110.0))
    if ok:
        assert r is None
    else:
        assert r == ("price_band", False,
                     {89.49: "Limit 89.49 is 10.5 % below the bid 100.00 (band 10 %: 89.50 - 120.50)",
                      120.51: "Limit 120.51 is 9.6 % above the ask 110.00 (band 10 %: 89.50 - 120.50)",
                      }[price])


@pytest.mark.parametrize("price, ok", [(187.39, True), (187.38, False), (187.61, True),
                                       (187.62, False)])
def test_price_band_ticks_edges(price, ok):
    """Ticks band: 10 ticks of 0.01 outside 187.49 / 187.51 -> 187.39 .. 187.61 inclusive."""
    r = band_check(lmt(price=price), band(ticks=(10, SOFT)), quote(bid=187.49, ask=187.51))
    if ok:
        assert r is None
    else:
        assert r == ("price_band", True,
                     {187.38: "Limit 187.38 is 0.1 % below the bid 187.49 (band 10 ticks: 187.39 - 187.61)",
                      187.62: "Limit 187.62 is 0.1 % above the ask 187.51 (band 10 ticks: 187.39 - 187.61)",
                      }[price])


@pytest.mark.parametrize("price, ok", [(1.099, True), (1.09895, False), (1.10105, True),
                                       (1.1011, False)])
def test_price_band_eur_usd_tick_edges(price, ok):
    """EUR.USD (tick 0.00005): band edges pass despite float noise, one tick beyond fails."""
    r = band_check(lmt(100_000, price, inst=EUR), band(ticks=(20, HARD)),
                   quote(EUR, bid=1.1, ask=1.10005))
    if ok:
        assert r is None
    else:
        assert r == ("price_band", False,
                     {1.09895: "Limit 1.09895 is 0.1 % below the bid 1.10000 (band 20 ticks: 1.09900 - 1.10105)",
                      1.1011: "Limit 1.10110 is 0.1 % above the ask 1.10005 (band 20 ticks: 1.09900 - 1.10105)",
                      }[price])


def test_price_band_edge_tolerance_is_a_millionth_of_a_tick():
    """A price within a millionth of a tick of a band edge counts as on the edge."""
    limits = band(ticks=(50, HARD))            # 0.50 outside 100.50 / 100.60 -> 100.00 .. 101.10
    q = quote(bid=100.5, ask=100.6)
    lo, hi = 100.5 - 50 * 0.01, 100.6 + 50 * 0.01
    assert band_check(lmt(price=lo - 0.01 * 1e-6), limits, q) is None
    assert band_check(lmt(price=hi + 0.01 * 1e-6), limits, q) is None
    assert band_check(lmt(price=lo - 0.01 * 2e-6), limits, q)[0] == "price_band"
    assert band_check(lmt(price=hi + 0.01 * 2e-6), limits, q)[0] == "price_band"
    assert band_check(lmt(price=100.0), limits, q) is None
    assert band_check(lmt(price=101.1), limits, q) is None
    assert band_check(lmt(price=99.99), limits, q)[0] == "price_band"
    assert band_check(lmt(price=101.11), limits, q)[0] == "price_band"


def test_price_band_far_outside_fails():
    """A price far from the quote is refused (no tolerance wider than a hair)."""
    q = quote(bid=187.49, ask=187.51)
    assert band_check(lmt(price=1.0), band(ticks=(10, HARD)), q)[0] == "price_band"
    assert band_check(lmt(price=1000.0), band(pct=(5, HARD)), q)[0] == "price_band"


def test_price_band_is_the_wider_of_the_enabled_limits():
    """With both band limits on, the wider band applies."""
    q = quote(bid=99.99, ask=100.01)
    pct_wider = band(pct=(1, HARD), ticks=(50, HARD))
    assert band_check(lmt(price=101.01), pct_wider, q) is None
    assert band_check(lmt(price=98.99), pct_wider, q) is None
    assert band_check(lmt(price=101.02), pct_wider, q) == (
        "price_band", False, "Limit 101.02 is 1.0 % above the ask 100.01 (band 1 % / 50 ticks: "
                             "98.99 - 101.01)")
    ticks_wider = band(pct=(1, HARD), ticks=(200, HARD))
    assert band_check(lmt(price=102.01), ticks_wider, q) is None
    assert band_check(lmt(price=97.99), ticks_wider, q) is None
    assert band_check(lmt(price=102.02), ticks_wider, q)[0] == "price_band"


def test_price_band_disabled_limit_never_widens_the_band():
    """A disabled band limit's value is ignored: it neither widens nor narrows the band."""
    q = quote(bid=99.99, ask=100.01)
    # percent 0.5 % of 100 = 0.50 on; ticks off with 200 ticks (2.00) stored
    only_pct = band(pct=(0.5, HARD), ticks=Limit(False, 200, HARD))
    assert band_check(lmt(price=100.51), only_pct, q) is None
    assert band_check(lmt(price=100.52), only_pct, q) == (
        "price_band", False, "Limit 100.52 is 0.5 % above the ask 100.01 (band 0.5 %: 99.49 - 100.51)")
    assert band_check(lmt(price=99.48), only_pct, q)[0] == "price_band"
    # ticks 5 (0.05) on; percent off with 50 % stored
    only_ticks = band(pct=Limit(False, 50, HARD), ticks=(5, HARD))
    assert band_check(lmt(price=100.06), only_ticks, q) is None
    assert band_check(lmt(price=100.07), only_ticks, q) == (
        "price_band", False, "Limit 100.07 is 0.1 % above the ask 100.01 (band 5 ticks: 99.94 - 100.06)")
    assert band_check(lmt(price=99.93), only_ticks, q)[0] == "price_band"


def test_price_band_each_limit_alone_is_checked():
    """Either band limit on by itself is enough for the band to be checked."""
    q = quote(bid=187.49, ask=187.51)
    assert band_check(lmt(price=150.0), band(pct=(5, HARD)), q)[0] == "price_band"
    assert band_check(lmt(price=150.0), band(ticks=(20, HARD)), q)[0] == "price_band"
    assert band_check(lmt(price=150.0), band(), q) is None
    assert band_check(lmt(price=150.0), band(pct=Limit(False, 5), ticks=Limit(False, 20)), q) is None


@pytest.mark.parametrize("pct, ticks, soft", [
    ((5, HARD), (20, HARD), False),
    ((5, HARD), (20, SOFT), True),
    ((5, SOFT), (20, HARD), True),
    ((5, SOFT), (20, SOFT), True),
    ((5, HARD), Limit(False, 20, SOFT), False),
    (Limit(False, 5, SOFT), (20, HARD), False),
    ((5, SOFT), Limit(False, 20, HARD), True),
    (Limit(False, 5, HARD), (20, SOFT), True),
])
def test_price_band_hard_only_if_every_enabled_band_limit_is_hard(pct, ticks, soft):
    """A band failure is hard only when every enabled band limit is hard."""
    limits = band(pct=pct, ticks=ticks)
    assert band_check(lmt(price=150.0), limits, quote(bid=187.49, ask=187.51))[:2] == \
        ("price_band", soft)
    assert band_check(lmt(price=150.0), limits, None)[:2] == ("price_band", soft)


def test_price_band_bid_only_quote_uses_the_bid_for_both_sides():
    """Only a bid (and a different last): the band is around the bid, the last is ignored."""
    q = quote(bid=187.00, last=190.00)
    limits = band(ticks=(10, HARD))
    assert band_check(lmt(price=187.10), limits, q) is None
    assert band_check(lmt(price=186.90), limits, q) is None
    assert band_check(lmt(price=187.11), limits, q) == (
        "price_band", False, "Limit 187.11 is 0.1 % above the bid 187.00 (band 10 ticks: 186.90 - 187.10)")
    assert band_check(lmt(price=186.89), limits, q)[0] == "price_band"
    assert band_check(lmt(price=190.00), limits, q)[0] == "price_band"


def test_price_band_ask_only_quote_uses_the_ask_for_both_sides():
    """Only an ask (and a different last): the band is around the ask."""
    q = quote(ask=188.00, last=185.00)
    limits = band(ticks=(10, HARD))
    assert band_check(lmt(price=187.90, action=SELL), limits, q) is None
    assert band_check(lmt(price=188.10, action=SELL), limits, q) is None
    assert band_check(lmt(price=187.89, action=SELL), limits, q) == (
        "price_band", False, "Limit 187.89 is 0.1 % below the ask 188.00 (band 10 ticks: 187.90 - 188.10)")
    assert band_check(lmt(price=185.00, action=SELL), limits, q)[0] == "price_band"


def test_price_band_last_only_quote_uses_the_last_price():
    """Neither bid nor ask: the band is around the last price; percent of it as the mid."""
    q = quote(last=190.00)
    assert band_check(lmt(price=190.10), band(ticks=(10, HARD)), q) is None
    assert band_check(lmt(price=189.90), band(ticks=(10, HARD)), q) is None
    assert band_check(lmt(price=190.11), band(ticks=(10, HARD)), q) == (
        "price_band", False, "Limit 190.11 is 0.1 % above the last 190.00 (band 10 ticks: 189.90 - 190.10)")
    assert band_check(lmt(price=199.50), band(pct=(5, HARD)), q) is None
    assert band_check(lmt(price=199.51), band(pct=(5, HARD)), q)[0] == "price_band"


@pytest.mark.parametrize("q", [None, quote(), Quote("265598")])
def test_price_band_without_any_price_fails_as_hard_as_the_band(q):
    """No bid, ask or last: the band cannot be checked -> refused (hard / soft as the band)."""
    assert band_check(lmt(price=187.50), band(pct=(5, HARD)), q) == (
        "price_band", False, "No quote for AAPL to check the price band against")
    assert band_check(lmt(price=187.50), band(ticks=(20, SOFT)), q) == (
        "price_band", True, "No quote for AAPL to check the price band against")


def test_price_band_mkt_order_has_no_price_to_check():
    """A MKT order has no limit or stop price: the band passes it, with or without a quote."""
    limits = band(pct=(5, HARD), ticks=(20, HARD))
    assert run(mkt(), limits) == []
    assert run(mkt(), limits, q=quote(bid=187.49, ask=187.51)) == []


def test_price_band_checks_stop_price_and_limit_first():
    """STP: the stop price is checked; STP LMT: the limit price first, then the stop price."""
    q = quote(bid=187.49, ask=187.51)
    limits = band(ticks=(10, HARD))
    assert band_check(stp(stop=187.61), limits, q) is None
    assert band_check(stp(stop=187.62), limits, q) == (
        "price_band", False, "Stop 187.62 is 0.1 % above the ask 187.51 (band 10 ticks: 187.39 - 187.61)")
    assert band_check(stp_lmt(stop=187.60, limit=187.61), limits, q) is None
    assert band_check(stp_lmt(stop=187.70, limit=187.61), limits, q)[2].startswith("Stop 187.70 ")
    assert band_check(stp_lmt(stop=187.60, limit=187.70), limits, q)[2].startswith("Limit 187.70 ")
    assert band_check(stp_lmt(stop=187.80, limit=187.90), limits, q)[2].startswith("Limit 187.90 ")


def test_price_band_without_min_tick_uses_one_cent():
    """An instrument without a known min tick counts a band tick as 0.01."""
    q = quote(NOTICK, bid=100.0, ask=100.0)
    limits = band(ticks=(10, HARD))
    assert band_check(lmt(price=100.10, inst=NOTICK), limits, q) is None
    assert band_check(lmt(price=99.90, inst=NOTICK), limits, q) is None
    assert band_check(lmt(price=100.11, inst=NOTICK), limits, q) == (
        "price_band", False, "Limit 100.11 is 0.1 % above the ask 100.00 (band 10 ticks: 99.90 - 100.10)")


def test_price_band_penny_stock_lower_edge_shown_as_zero():
    """Penny prices: a band reaching below zero is shown from 0; one tick above the top fails."""
    q = quote(bid=0.05, ask=0.06)
    limits = band(ticks=(20, HARD))
    assert band_check(lmt(1000, 0.01), limits, q) is None
    assert band_check(lmt(1000, 0.26), limits, q) is None
    assert band_check(lmt(1000, 0.27), limits, q) == (
        "price_band", False, "Limit 0.27 is 350.0 % above the ask 0.06 (band 20 ticks: 0.00 - 0.26)")


# ---------------------------------------------------------------- duplicate_order


def sig_at(t, req):
    return (t, order_signature(req))


def test_duplicate_at_the_same_clock_instant_is_refused():
    """The same order sent at the same clock instant (a double click) is a duplicate."""
    req = lmt(100, 187.50)
    f = one(run(req, RiskLimits(duplicate_order=lim(2.0, SOFT)), recent=[sig_at(T0, req)], now=T0))
    assert (f.rule, f.soft) == ("duplicate_order", True)
    assert f.reason == ("Same order as one sent 0.0 s ago (BUY 100 AAPL LMT 187.50 DAY); "
                        "duplicates within 2 s are refused")


def test_duplicate_window_is_half_open():
    """Refused while now - sent < limit; exactly limit seconds later it passes."""
    req = lmt(100, 187.50)
    limits = RiskLimits(duplicate_order=lim(2.0, HARD))
    recent = [sig_at(T0, req)]
    f = one(run(req, limits, recent=recent, now=T0 + 1.5))
    assert (f.rule, f.soft) == ("duplicate_order", False)
    assert f.reason.startswith("Same order as one sent 1.5 s ago")
    assert run(req, limits, recent=recent, now=T0 + 2.0) == []
    assert run(req, limits, recent=recent, now=T0 + 60.0) == []
    # a record from "the future" (t > now) is no duplicate
    assert run(req, limits, recent=[sig_at(T0 + 1.0, req)], now=T0) == []


@pytest.mark.parametrize("other", [
    lmt(100, 187.50, SELL), lmt(101, 187.50), lmt(100, 187.51), lmt(100, 187.50, inst=MSFT),
    mkt(100), stp(100, 187.50), stp_lmt(100, stop=187.50, limit=187.50),
])
def test_duplicate_differs_in_side_quantity_price_or_symbol(other):
    """Another side, quantity, price, stop or symbol is not a duplicate."""
    req = lmt(100, 187.50)
    limits = RiskLimits(duplicate_order=lim(5.0))
    assert run(other, limits, recent=[sig_at(T0, req)], now=T0) == []
    assert run(req, limits, recent=[sig_at(T0, other)], now=T0) == []


def test_duplicate_finds_the_matching_order_among_others():
    """Other orders sent in the window do not hide the duplicate; an old copy does not count."""
    req = stp_lmt(100, stop=190.0, limit=190.5)
    recent = [sig_at(T0 - 30.0, req), sig_at(T0 - 1.0, lmt(5)), sig_at(T0 - 0.25, req),
              sig_at(T0, lmt(7))]
    f = one(run(req, RiskLimits(duplicate_order=lim(2.0)), recent=recent, now=T0))
    assert f.reason.startswith("Same order as one sent 0.2 s ago (BUY 100 AAPL STP LMT stop "
                               "190.00 limit 190.50 DAY)")
    assert run(req, RiskLimits(duplicate_order=lim(2.0)), recent=recent[:2], now=T0) == []


def test_duplicate_signature_ignores_int_or_float_quantity_and_tif():
    """order_signature: instrument key, side, quantity, limit and stop price."""
    assert order_signature(lmt(100, 187.5)) == ("265598", "BUY", 100.0, 187.5, None)
    assert order_signature(stp(50, 190.0, SELL, inst=EUR)) == ("12087792", "SELL", 50.0, None, 190.0)
    assert order_signature(lmt(100.0)) == order_signature(lmt(100))


def test_duplicate_disabled_or_accepts_a_generator():
    """A disabled duplicate guard refuses nothing; recent may be any iterable."""
    req = lmt()
    assert run(req, RiskLimits(duplicate_order=Limit(False, 5.0)), recent=[sig_at(T0, req)]) == []
    assert check_duplicate(req, iter([sig_at(T0, req)]), T0, lim(5.0)).rule == "duplicate_order"


def test_duplicate_at_the_same_instant_through_order_commands():
    """A second identical click at the same clock instant is refused; one order is sent."""
    s = FakeSession(auto_submit=False)
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.5)
    c = OrderCommands(s, limits=RiskLimits(duplicate_order=lim(2.0, HARD)), clock=lambda: T0)
    aapl = s.contracts["AAPL"]
    assert c.execute(PlaceOrder(lmt(inst=aapl))).ok
    res = c.execute(PlaceOrder(lmt(inst=aapl)))
    assert not res.ok and res.rule == "duplicate_order" and not res.soft
    assert len([x for x in s.calls if x[0] == "place_order"]) == 1


# ---------------------------------------------------------------- max_orders_per_minute


@pytest.mark.parametrize("hard", [True, False])
def test_rate_counts_orders_in_the_last_60_seconds(hard):
    """Orders sent in (now - 60, now] count: one sent exactly 60 s ago no longer does."""
    limits = RiskLimits(max_orders_per_minute=lim(3, hard))
    times = [T0 - 60.0, T0 - 59.5, T0 - 10.0]          # two in the window
    assert run(lmt(), limits, sent_times=times, now=T0) == []
    times.append(T0)                                    # one more at this very instant
    f = one(run(lmt(), limits, sent_times=times, now=T0))
    assert (f.rule, f.soft) == ("max_orders_per_minute", not hard)
    assert f.reason == ("3 orders sent in the last 60 s; 1 more would exceed the maximum of 3 "
                        "orders per minute")
    assert run(lmt(), limits, sent_times=times, now=T0 + 0.5) == []    # T0 - 59.5 left


def test_rate_n_new_for_brackets():
    """A bracket sends up to 3 orders: 27 sent + 3 = 30 passes, 28 + 3 fails."""
    limits = RiskLimits(max_orders_per_minute=lim(30))
    times27 = [T0 - i for i in range(27)]
    assert run(lmt(), limits, sent_times=times27, now=T0, n_orders=3) == []
    f = one(run(lmt(), limits, sent_times=times27 + [T0 - 30.0], now=T0, n_orders=3))
    assert f.reason == ("28 orders sent in the last 60 s; 3 more would exceed the maximum of 30 "
                        "orders per minute")
    # evaluate's default is one order
    assert run(lmt(), limits, sent_times=times27 + [T0 - 30.0, T0 - 31.0], now=T0) == []


def test_check_rate_defaults_to_one_new_order():
    """check_rate without n_new counts the one order being sent."""
    times = [T0 - 1.0, T0 - 2.0]
    assert check_rate(times, T0, lim(3)) is None
    assert check_rate(times + [T0], T0, lim(3)).rule == "max_orders_per_minute"
    assert check_rate(iter(times), T0, lim(3)) is None
    assert check_rate(times * 10, T0, Limit(False, 1)) is None


def test_rate_with_a_real_clock_through_order_commands():
    """With a real-sized clock the per-minute history is kept across sends."""
    t = [T0]
    s = FakeSession(auto_submit=False)
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.5)
    c = OrderCommands(s, limits=RiskLimits(max_orders_per_minute=lim(3)), clock=lambda: t[0])
    aapl = s.contracts["AAPL"]
    for i in range(3):
        assert c.execute(PlaceOrder(lmt(100 + i, inst=aapl))).ok
        t[0] += 10.0
    res = c.execute(PlaceOrder(lmt(200, inst=aapl)))
    assert not res.ok and res.rule == "max_orders_per_minute" and not res.soft
    t[0] = T0 + 60.0
    assert c.execute(PlaceOrder(lmt(200, inst=aapl))).ok
    assert [x[1][0].quantity for x in s.calls if x[0] == "place_order"] == [100, 101, 102, 200]


# ---------------------------------------------------------------- evaluate


def everything_fails():
    """An order and state that fail all six rules (hard and soft mixed)."""
    req = lmt(2000, 150.0)
    limits = RiskLimits(max_order_quantity=lim(1000), max_order_notional=lim(100_000, SOFT),
                        max_position=lim(1500), price_band_percent=lim(5, SOFT),
                        price_band_ticks=lim(20, SOFT), duplicate_order=lim(2.0),
                        max_orders_per_minute=lim(1, SOFT))
    kw = dict(q=quote(bid=187.49, ask=187.51), position=0.0, recent=[sig_at(T0, req)],
              sent_times=[T0 - 1.0], now=T0)
    return req, limits, kw


def test_evaluate_returns_every_failure_in_rule_order():
    """Every failing rule is reported, in RISK_RULES order, each with its own soft flag."""
    req, limits, kw = everything_fails()
    assert verdict(run(req, limits, **kw)) == [
        ("max_order_quantity", False), ("max_order_notional", True), ("max_position", False),
        ("price_band", True), ("duplicate_order", False), ("max_orders_per_minute", True)]


@pytest.mark.parametrize("rule", RISK_RULES)
def test_evaluate_skip_leaves_out_exactly_that_rule(rule):
    """skip= leaves out the named rule and only it."""
    req, limits, kw = everything_fails()
    got = [f.rule for f in run(req, limits, skip=(rule,), **kw)]
    assert got == [r for r in RISK_RULES if r != rule]
    assert [f.rule for f in run(req, limits, skip=iter([rule]), **kw)] == got


def test_evaluate_skip_everything_and_nothing_enabled():
    """Skipping every rule, or no limit enabled, refuses nothing; a limit-free order passes."""
    req, limits, kw = everything_fails()
    assert run(req, limits, skip=RISK_RULES, **kw) == []
    assert run(req, RiskLimits(), **kw) == []
    assert run(lmt(), RiskLimits.recommended(), q=quote(bid=187.49, ask=187.51)) == []


def test_evaluate_accepts_one_shot_iterables():
    """recent and sent_times may be generators (read once each)."""
    req, limits, kw = everything_fails()
    kw["recent"] = iter(kw["recent"])
    kw["sent_times"] = (t for t in kw["sent_times"])
    assert [f.rule for f in run(req, limits, skip=("max_order_quantity",), **kw)] == list(RISK_RULES[1:])


def test_evaluate_passes_each_rule_its_own_inputs():
    """Each rule sees the quote, position, history and clock it was given (not another's)."""
    limits = RiskLimits(max_order_notional=lim(18_775), max_position=lim(1000),
                        price_band_ticks=lim(10), duplicate_order=lim(2.0),
                        max_orders_per_minute=lim(2))
    req = mkt(100)
    q = quote(bid=187.25, ask=187.75)
    assert run(req, limits, q=q, position=900) == []
    assert verdict(run(mkt(101), limits, q=q, position=900)) == [
        ("max_order_notional", False), ("max_position", False)]
    assert verdict(run(req, limits, q=q, position=900, recent=[sig_at(T0 - 1, req)],
                       sent_times=[T0 - 1, T0 - 2], now=T0)) == [
        ("duplicate_order", False), ("max_orders_per_minute", False)]
    assert run(req, limits, q=q, position=900, recent=[sig_at(T0 - 1, req)],
               sent_times=[T0 - 1, T0 - 2], now=T0 + 60) == []
    assert verdict(run(lmt(10, 187.86), limits, q=q)) == [("price_band", False)]
    assert run(lmt(10, 187.85), limits, q=q) == []


def test_notional_is_compared_exactly_one_cent_over_fails_at_any_size():
    """Notional vs limit in decimal: 100,000 x 187.53 = 18,753,000 is one cent over a
    18,752,999.99 limit (a relative float tolerance let it pass), 1,000 x 1.00005 equals a
    1,000.05 limit (the float product 1000.0500000000001 refused it)."""
    big = RiskLimits(max_order_notional=lim(18_752_999.99))
    assert verdict(run(lmt(qty=100_000, price=187.53), big)) == [("max_order_notional", False)]
    assert run(lmt(qty=100_000, price=187.53), RiskLimits(max_order_notional=lim(18_753_000))) == []
    fx = RiskLimits(max_order_notional=lim(1000.05))
    assert run(lmt(qty=1000, price=1.00005, inst=EUR), fx) == []
    assert verdict(run(lmt(qty=1000, price=1.0001, inst=EUR), fx)) == [("max_order_notional", False)]


def test_position_is_summed_exactly_for_fractional_units():
    """|0.1 + 0.2| units is 0.3, not 0.30000000000000004: at a 0.3 limit it passes, 0.35 over fails."""
    limits = RiskLimits(max_fx_position=lim(0.3))
    assert run(mkt(qty=0.2, inst=EUR), limits, position=0.1) == []
    assert verdict(run(mkt(qty=0.25, inst=EUR), limits, position=0.1)) == [("max_position", False)]
