"""OrderRequest OCA fields, WhatIf, and round_to_tick on extreme prices."""

import pytest

from app.domain import Action, Instrument, OrderRequest, OrderType, OrderValidationError, WhatIf
from app.domain import round_to_tick, validate_order_request
from app.domain.orders import price_problem

AAPL = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL")


def test_oca_fields_validated_and_described():
    r = OrderRequest(AAPL, Action.SELL, 10, OrderType.LMT, limit_price=190.0, oca_group="g1", oca_type=1)
    assert validate_order_request(r) is r and r.describe().endswith("DAY OCA g1")
    with pytest.raises(OrderValidationError, match="OCA type must be 0, 1, 2 or 3"):
        validate_order_request(OrderRequest(AAPL, Action.SELL, 10, OrderType.MKT, oca_type=7))


def test_huge_price_is_a_reason_not_a_crash():
    assert round_to_tick(1e26, 0.01) == 1e26
    assert "not a plausible price" in price_problem("Limit price", 1e300, 0.01)  # MAX_PRICE
    assert price_problem("Limit price", 1.005e3 + 0.001, 0.01).startswith("Limit price 1005.001 is not")


def test_whatif_defaults_are_none():
    w = WhatIf()
    assert w.init_margin_change is None and w.commission is None and w.warning == ""
