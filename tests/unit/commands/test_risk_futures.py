"""Risk limits for futures (pinned messages and boundaries): quantities in contracts against
``max_future_order_quantity`` / ``max_future_position``, the notional with the multiplier
(1 ES at 6,000 x 50 = 300,000 USD), and the share / FX limits never crossing them."""

from __future__ import annotations

import pytest

from app.commands import Limit, RiskLimits
from app.commands.risk import LIMIT_RULES, check_notional, evaluate
from app.domain import Action, Instrument, OrderRequest, OrderType, Quote
from tests.fakes import CONTRACTS
from tests.fakes_futures import FAKE_FUTURES

ES = FAKE_FUTURES[0]
CL = next(f for f in FAKE_FUTURES if f.local_symbol == "CLF7")
OPT = Instrument("AAPL", "OPT", "SMART", "USD", "", 7, 0.01, "", "", multiplier=100.0, expiry="20261218",
                 strike=200.0, right="C")
AAPL, EUR = CONTRACTS["AAPL"], CONTRACTS["EUR.USD"]


def lim(value, hard=True):
    return Limit(True, value, hard)


def lmt(inst, qty, price, action=Action.BUY):
    return OrderRequest(inst, action, qty, OrderType.LMT, limit_price=price)


def run(req, limits, position=0.0, q=None):
    return evaluate(req, limits, quote=q, position=position, recent=(), sent_times=(), now=1000.0)


def one(failures):
    assert len(failures) == 1, failures
    return failures[0]


def test_the_futures_limits_are_listed_with_their_units():
    assert LIMIT_RULES["max_future_order_quantity"] == ("max_future_order_quantity", "contracts per futures order")
    assert LIMIT_RULES["max_future_position"] == ("max_future_position", "contracts per futures contract")
    r = RiskLimits.recommended()
    assert r.max_future_order_quantity == Limit(True, 10, True)
    assert r.max_future_position == Limit(True, 20, True)


@pytest.mark.parametrize("hard", [True, False])
def test_max_future_order_quantity_in_contracts(hard):
    limits = RiskLimits(max_future_order_quantity=lim(10, hard))
    assert run(lmt(ES, 10, 6000.0), limits) == []
    f = one(run(lmt(ES, 11, 6000.0), limits))
    assert (f.rule, f.soft) == ("max_order_quantity", not hard)
    assert f.reason == "Order quantity 11 exceeds the maximum of 10 contracts per order"


@pytest.mark.parametrize("hard", [True, False])
def test_max_future_position_in_contracts(hard):
    limits = RiskLimits(max_future_position=lim(20, hard))
    assert run(lmt(ES, 5, 6000.0), limits, position=15) == []
    f = one(run(lmt(ES, 6, 6000.0), limits, position=15))
    assert (f.rule, f.soft) == ("max_position", not hard)
    assert f.reason == "Position in ESZ6 would be 21 (15 now + 6), beyond the maximum of 20 contracts"
    assert run(lmt(ES, 6, 6000.0, Action.SELL), limits, position=25) == []      # smaller passes


def test_share_fx_and_futures_limits_do_not_cross():
    limits = RiskLimits(max_order_quantity=lim(1), max_position=lim(1), max_fx_order_quantity=lim(1),
                        max_fx_position=lim(1), max_future_order_quantity=lim(100),
                        max_future_position=lim(100))
    assert run(lmt(ES, 50, 6000.0), limits, position=40) == []        # the share / FX limits ignore futures
    futures_only = RiskLimits(max_future_order_quantity=lim(1), max_future_position=lim(1))
    assert run(lmt(AAPL, 500, 187.5), futures_only, position=400) == []
    assert run(lmt(EUR, 25_000, 1.1), futures_only, position=25_000) == []
    assert run(lmt(OPT, 5, 2.5), futures_only, position=3) == []
    f = one(run(lmt(OPT, 5, 2.5), RiskLimits(max_order_quantity=lim(4))))
    assert f.reason == "Order quantity 5 exceeds the maximum of 4 contracts per order"


def test_notional_of_one_es_uses_the_multiplier():
    limit = lim(300_000)
    assert check_notional(lmt(ES, 1, 6000.0), None, limit) is None        # 300,000: equal passes
    f = check_notional(lmt(ES, 1, 6000.25), None, limit)
    assert f.reason == ("Order notional 300,012 USD (1 x 6000.25 x 50) exceeds the maximum of "
                        "300,000 USD per order")
    mkt = OrderRequest(ES, Action.BUY, 2, OrderType.MKT)
    f = check_notional(mkt, Quote(ES.key, bid=5999.75, ask=6000.0), limit)
    assert f.reason.startswith("Order notional 600,000 USD (2 x 6000.00 x 50)")
    assert check_notional(lmt(CL, 4, 75.0), None, lim(300_000)) is None     # 4 x 75 x 1000
    assert check_notional(lmt(CL, 4, 75.01), None, lim(300_000)).rule == "max_order_notional"


def test_the_recommended_notional_blocks_one_es():
    """100,000 USD per order (the default) is a third of one ES: the trader must raise it."""
    f = one(run(lmt(ES, 1, 6000.0), RiskLimits.recommended(), q=Quote(ES.key, bid=5999.75, ask=6000.0)))
    assert f.rule == "max_order_notional" and "(1 x 6000.00 x 50)" in f.reason
