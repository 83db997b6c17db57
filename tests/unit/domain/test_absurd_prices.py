"""Issue 11 item 9: with risk limits off, a limit price of 1e308 must not reach the
confirmation or the gateway; the domain rule (shared by the ticket, the command layer and the
Session) refuses it in words, and no order text is ever a 300-digit number."""

from __future__ import annotations

import pytest

from app.domain import Action, OrderRequest, OrderType, validate_order_request
from app.domain.orders import MAX_PRICE, OrderValidationError, price_problem
from tests.fakes import DEFAULT_CONTRACTS, FakeSession

AAPL = DEFAULT_CONTRACTS[0]


@pytest.mark.parametrize("price", [1e308, 1.7e308, 1e20, MAX_PRICE])
def test_absurd_price_is_refused_with_a_short_message(price):
    problem = price_problem("Limit price", price, 0.01)
    assert problem is not None and "not a plausible price" in problem
    assert len(problem) < 160                        # never the number written out in full
    with pytest.raises(OrderValidationError, match="plausible"):
        validate_order_request(OrderRequest(AAPL, Action.BUY, 100, OrderType.STP_LMT,
                                            limit_price=187.5, stop_price=price))


def test_the_dearest_real_prices_pass():
    assert price_problem("Limit price", 750_000.0, 0.01) is None       # BRK.A
    assert price_problem("Limit price", 999_999_999.99, 0.01) is None


def test_describe_never_writes_a_300_digit_number():
    req = OrderRequest(AAPL, Action.BUY, 1e300, OrderType.LMT, limit_price=1e308)
    text = req.describe()
    assert len(text) < 60 and "1e+308" in text


def test_command_layer_refuses_it_with_limits_off_and_sends_nothing():
    from app.commands import OrderCommands, PlaceOrder

    session = FakeSession()
    result = OrderCommands(session).execute(PlaceOrder(OrderRequest(AAPL, Action.BUY, 100, OrderType.LMT,
                                                                    limit_price=1e308)))
    assert not result.ok and "not a plausible price" in result.message and len(result.message) < 160
    assert [c for c in session.calls if c[0] == "place_order"] == []


def test_modify_to_an_absurd_price_is_refused(aloop):
    from app.commands import ModifyOrder, OrderCommands, PlaceOrder

    session = FakeSession()
    cmds = OrderCommands(session)
    placed = cmds.execute(PlaceOrder(OrderRequest(AAPL, Action.BUY, 100, OrderType.LMT, limit_price=100.0)))
    assert placed.ok
    result = cmds.execute(ModifyOrder(placed.order.order_id, limit_price=1e308))
    assert not result.ok and "plausible" in result.message and len(result.message) < 160
