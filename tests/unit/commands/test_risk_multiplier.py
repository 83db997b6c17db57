"""Risk limits with a contract multiplier: the order value limit counts price x quantity x
multiplier (1 option at 2.50 is 250 USD, 1 ES at 6,000 is 300,000 USD); quantity and position
limits stay in contracts."""

from __future__ import annotations

import pytest

from app.commands import Limit, RiskLimits
from app.commands.risk import check_notional, evaluate
from app.domain import Action, Instrument, OrderRequest, OrderType, Quote

CALL = Instrument("AAPL", "OPT", con_id=9001, multiplier=100.0, expiry="20261218", strike=200.0, right="C")
ES = Instrument("ES", "FUT", "CME", con_id=7001, min_tick=0.25, local_symbol="ESZ6", multiplier=50.0,
                expiry="20261218")
AAPL = Instrument("AAPL", con_id=265598)


def test_option_notional_counts_the_multiplier():
    lim = Limit(True, 1_000)
    assert check_notional(OrderRequest(CALL, Action.BUY, 4, OrderType.LMT, limit_price=2.5), None, lim) is None
    r = check_notional(OrderRequest(CALL, Action.BUY, 5, OrderType.LMT, limit_price=2.5), None,
                       Limit(True, 1_249.99))
    assert r is not None and r.rule == "max_order_notional" and not r.soft
    assert r.reason == ("Order notional 1,250 USD (5 x 2.50 x 100) exceeds the maximum of 1,250 USD per order")


def test_option_notional_equal_to_the_limit_passes():
    # 3 x 0.07 x 100 = 21.000000000000004 in floats: exactly the limit
    assert check_notional(OrderRequest(CALL, Action.BUY, 3, OrderType.LMT, limit_price=0.07), None,
                          Limit(True, 21)) is None


def test_future_market_order_notional_at_the_ask():
    q = Quote("7001", bid=5999.75, ask=6000.0)
    r = check_notional(OrderRequest(ES, Action.BUY, 1, OrderType.MKT), q, Limit(True, 100_000))
    assert r.reason == ("Order notional 300,000 USD (1 x 6000.00 x 50) exceeds the maximum of "
                        "100,000 USD per order")


def test_stock_notional_message_has_no_multiplier():
    r = check_notional(OrderRequest(AAPL, Action.BUY, 100, OrderType.LMT, limit_price=187.5), None,
                       Limit(True, 10_000))
    assert r.reason == "Order notional 18,750 USD (100 x 187.50) exceeds the maximum of 10,000 USD per order"


def test_quantity_and_position_limits_stay_in_contracts():
    limits = RiskLimits(max_order_quantity=Limit(True, 10), max_position=Limit(True, 20))
    req = OrderRequest(CALL, Action.BUY, 10, OrderType.LMT, limit_price=2.5)   # 1,000 shares' worth
    assert evaluate(req, limits, quote=None, position=10, recent=(), sent_times=(), now=0.0) == []
    over = evaluate(OrderRequest(CALL, Action.BUY, 11, OrderType.LMT, limit_price=2.5), limits, quote=None,
                    position=10, recent=(), sent_times=(), now=0.0)
    assert [f.rule for f in over] == ["max_order_quantity", "max_position"]
    assert "11 exceeds the maximum of 10" in over[0].reason


@pytest.mark.parametrize("qty, ok", [(40, True), (41, False)])
def test_recommended_order_value_limit_on_options(qty, ok):
    # 100,000 USD per order: 40 contracts at 25.00 = 100,000 pass, 41 do not
    req = OrderRequest(CALL, Action.BUY, qty, OrderType.LMT, limit_price=25.0)
    failed = {f.rule for f in evaluate(req, RiskLimits(max_order_notional=Limit(True, 100_000)), quote=None,
                                       position=0, recent=(), sent_times=(), now=0.0)}
    assert ("max_order_notional" not in failed) is ok
