"""Pure domain rules: symbol parsing, tick rounding, order validation, account kinds, quotes."""

import math

import pytest

from app.domain import (
    AccountKind, Action, Instrument, OrderRequest, OrderStatus, OrderType, OrderValidationError,
    Quote, TimeInForce, account_kind, round_to_tick, validate_order_request,
)

AAPL = Instrument("AAPL", con_id=265598, min_tick=0.01)
EURUSD = Instrument("EUR", "CASH", "IDEALPRO", "USD", con_id=12087792, min_tick=0.00005,
                    local_symbol="EUR.USD")


@pytest.mark.parametrize("text, sec_type, symbol, display", [
    ("aapl", "STK", "AAPL", "AAPL"),
    ("  msft ", "STK", "MSFT", "MSFT"),
    ("EUR.USD", "CASH", "EUR", "EUR.USD"),
    ("usd.jpy", "CASH", "USD", "USD.JPY"),
    ("BRK.B", "STK", "BRK B", "BRK B"),
])
def test_parse_symbols(text, sec_type, symbol, display):
    i = Instrument.parse(text)
    assert (i.sec_type, i.symbol, i.display_symbol) == (sec_type, symbol, display)


@pytest.mark.parametrize("text, message", [
    ("", "Enter a symbol"), ("AA PL", "contain no spaces"), ("AAPL$", "letters and digits"),
    ("ABCDEFGHIJKLMN", "letters and digits"),
])
def test_parse_rejects_bad_text(text, message):
    with pytest.raises(ValueError, match=message):
        Instrument.parse(text)


def test_round_to_tick_is_exact():
    assert round_to_tick(187.504, 0.01) == 187.5
    assert round_to_tick(187.505, 0.01) == 187.51
    assert round_to_tick(1.08437, 0.00005) == 1.08435
    assert round_to_tick(151.2374, 0.005) == 151.235
    with pytest.raises(ValueError):
        round_to_tick(1.0, 0)


def lmt(price, qty=100, inst=AAPL, **kw):
    return OrderRequest(inst, Action.BUY, qty, OrderType.LMT, limit_price=price, **kw)


def test_valid_orders_pass():
    validate_order_request(lmt(187.5))
    validate_order_request(OrderRequest(AAPL, Action.SELL, 5, OrderType.MKT))
    validate_order_request(OrderRequest(AAPL, Action.SELL, 5, OrderType.STP_LMT, 180.0, 181.0,
                                        TimeInForce.GTC))
    validate_order_request(lmt(1.08435, 20000, EURUSD))


@pytest.mark.parametrize("req, message", [
    (lmt(187.5, 0), "Quantity must be positive, got 0"),
    (lmt(187.5, -10), "Quantity must be positive"),
    (lmt(187.5, 10.5), "whole shares"),
    (lmt(187.5, math.nan), "must be a number"),
    (lmt(None), "Limit price is required for a LMT order"),
    (lmt(-1.0), "Limit price must be positive"),
    (lmt(187.503), "not a multiple of the tick size 0.01 \\(nearest: 187.50\\)"),
    (lmt(1.08437, 20000, EURUSD), "tick size 0.00005"),
    (OrderRequest(AAPL, Action.BUY, 1, OrderType.STP), "Stop price is required for a STP order"),
    (OrderRequest(AAPL, Action.BUY, 1, OrderType.MKT, limit_price=5.0), "A MKT order takes no limit price"),
    (OrderRequest(AAPL, Action.BUY, 1, OrderType.LMT, 5.0, 4.0), "A LMT order takes no stop price"),
])
def test_invalid_orders_are_refused_with_reason(req, message):
    with pytest.raises(OrderValidationError, match=message):
        validate_order_request(req)


def test_describe_order_in_words():
    assert lmt(187.5).describe() == "BUY 100 AAPL LMT 187.50 DAY"
    stp = OrderRequest(AAPL, Action.SELL, 1000, OrderType.STP_LMT, 180.0, 181.0, TimeInForce.GTC)
    assert stp.describe() == "SELL 1,000 AAPL STP LMT stop 181.00 limit 180.00 GTC"
    assert lmt(1.08435, 20000, EURUSD).describe() == "BUY 20,000 EUR.USD LMT 1.08435 DAY"


def test_account_kinds():
    assert account_kind("SIM0001") is AccountKind.SIMULATED
    assert account_kind("DU1234567") is AccountKind.PAPER
    assert account_kind("U1234567") is AccountKind.LIVE
    assert account_kind("") is AccountKind.LIVE  # unknown is treated as the dangerous case


def test_quote_change_and_mark():
    q = Quote("1", bid=99.0, ask=101.0, close=95.0)
    assert q.mid == 100.0 and q.mark == 100.0 and q.change == 5.0
    assert q.change_pct == pytest.approx(100 * 5 / 95)
    q.last = 102.0
    assert q.mark == 102.0
    assert Quote("1").change is None


def test_status_parse_and_sets():
    assert OrderStatus.parse("PreSubmitted") is OrderStatus.PRE_SUBMITTED
    assert OrderStatus.parse("bogus") is OrderStatus.PENDING_SUBMIT
