"""Order rules of the domain (app/domain/orders.py), pinned exactly: which types carry which
price, which states are working, tick rounding and the order's description in words."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from app.domain import (
    DONE_STATUSES,
    WORKING_STATUSES,
    Action,
    Instrument,
    OrderRecord,
    OrderRequest,
    OrderStatus,
    OrderType,
    OrderValidationError,
    TimeInForce,
    round_to_tick,
    validate_order_request,
)
from app.domain.orders import MAX_PRICE, is_on_tick, price_problem, quantity_problem
from tests.fakes import CONTRACTS

AAPL, MSFT, EURUSD = CONTRACTS["AAPL"], CONTRACTS["MSFT"], CONTRACTS["EUR.USD"]
NINTENDO = Instrument("7974", "STK", "SMART", "JPY", "TSEJ", 13905, 1.0)
#: not yet resolved against the gateway: no min tick (0 -> a 0.01 tick is used)
UNRESOLVED = Instrument("NVDA", min_tick=0)
T0 = datetime(2026, 3, 9, 14, 30, tzinfo=timezone.utc)
T1 = datetime(2026, 3, 9, 14, 31, tzinfo=timezone.utc)


def req(inst=AAPL, action=Action.BUY, qty=100, otype=OrderType.LMT, lmt=None, stp=None,
        tif=TimeInForce.DAY, **kw) -> OrderRequest:
    return OrderRequest(inst, action, qty, otype, lmt, stp, tif, **kw)


def invalid(r: OrderRequest) -> str:
    with pytest.raises(OrderValidationError) as info:
        validate_order_request(r)
    return str(info.value)


# --- order types and states -----------------------------------------------------------------

@pytest.mark.parametrize("otype, limit, stop", [
    (OrderType.MKT, False, False), (OrderType.LMT, True, False),
    (OrderType.STP, False, True), (OrderType.STP_LMT, True, True),
    (OrderType.TRAIL, False, False), (OrderType.TRAIL_LIMIT, False, False),
    (OrderType.MOC, False, False), (OrderType.LOC, True, False),
    (OrderType.MIT, False, True), (OrderType.LIT, True, True),
])
def test_which_prices_each_order_type_needs(otype, limit, stop):
    """MKT no price, LMT a limit, STP a stop, STP LMT both; LOC a limit; MIT a trigger (auxPrice),
    LIT both; TRAIL / TRAIL LIMIT / MOC no lmtPrice or trigger price."""
    assert otype.needs_limit is limit and otype.needs_stop is stop
    assert otype.is_trailing is (otype in (OrderType.TRAIL, OrderType.TRAIL_LIMIT))
    assert otype.at_close is (otype in (OrderType.MOC, OrderType.LOC))
    assert otype.stop_name == ("Trigger price" if otype in (OrderType.MIT, OrderType.LIT) else "Stop price")


def test_order_type_and_tif_strings_are_ibs():
    """The enum values are IB's orderType / tif strings."""
    assert [t.value for t in OrderType] == ["MKT", "LMT", "STP", "STP LMT", "TRAIL", "TRAIL LIMIT",
                                            "MOC", "LOC", "MIT", "LIT"]
    assert [t.value for t in TimeInForce] == ["DAY", "GTC", "IOC", "FOK", "GTD", "OPG"]
    assert [a.value for a in Action] == ["BUY", "SELL"]


def test_working_and_done_status_sets_exactly():
    """Working: ApiPending, PendingSubmit, PendingCancel, PreSubmitted, Submitted; every other state is done."""
    assert WORKING_STATUSES == {OrderStatus.API_PENDING, OrderStatus.PENDING_SUBMIT,
                                OrderStatus.PENDING_CANCEL, OrderStatus.PRE_SUBMITTED,
                                OrderStatus.SUBMITTED}
    assert DONE_STATUSES == {OrderStatus.API_CANCELLED, OrderStatus.CANCELLED, OrderStatus.FILLED,
                             OrderStatus.INACTIVE, OrderStatus.VALIDATION_ERROR,
                             OrderStatus.NOT_SENT, OrderStatus.UNKNOWN}
    assert WORKING_STATUSES | DONE_STATUSES == set(OrderStatus)
    assert not WORKING_STATUSES & DONE_STATUSES


@pytest.mark.parametrize("text, status", [
    ("PreSubmitted", OrderStatus.PRE_SUBMITTED), ("Submitted", OrderStatus.SUBMITTED),
    ("ApiCancelled", OrderStatus.API_CANCELLED), ("Filled", OrderStatus.FILLED),
    ("ValidationError", OrderStatus.VALIDATION_ERROR), ("Not sent", OrderStatus.NOT_SENT),
    ("Unknown", OrderStatus.UNKNOWN), ("PendingCancel", OrderStatus.PENDING_CANCEL),
    ("Bogus", OrderStatus.PENDING_SUBMIT), ("", OrderStatus.PENDING_SUBMIT),
    ("filled", OrderStatus.PENDING_SUBMIT),
])
def test_status_parse(text, status):
    """IB status text maps to its state; unknown text (case matters) is PendingSubmit."""
    assert OrderStatus.parse(text) is status


# --- ticks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("price, tick, rounded", [
    (150.005, 0.01, 150.01), (150.004999, 0.01, 150.0), (0.125, 0.01, 0.13), (0.115, 0.01, 0.12),
    (1.100025, 0.00005, 1.10005), (1.100024, 0.00005, 1.1), (8000.5, 1.0, 8001.0),
    (0.1 + 0.2, 0.01, 0.3), (187.5, 0.25, 187.5), (187.625, 0.25, 187.75), (0.0, 0.01, 0.0),
    (1e300, 1e-100, 1e300), (1.7e308, 5e-324, 1.7e308), (2.5, 1, 3.0),
])
def test_round_to_tick_half_up_exactly_in_decimal(price, tick, rounded):
    """Nearest multiple of the tick, half up, exactly as written in decimal (no float drift)."""
    assert round_to_tick(price, tick) == rounded


@pytest.mark.parametrize("tick", [0, 0.0, -0.01, -1, None])
def test_round_to_tick_refuses_a_non_positive_tick(tick):
    """A tick of 0, negative or None is a ValueError naming the tick."""
    with pytest.raises(ValueError) as info:
        round_to_tick(150.0, tick)
    assert str(info.value) == f"tick size must be positive, got {tick!r}"


@pytest.mark.parametrize("price, tick, on", [
    (150.01, 0.01, True), (150.005, 0.01, False), (0.1 + 0.2, 0.01, True), (1.10005, 0.00005, True),
    (1.10003, 0.00005, False), (100_000_000.01, 0.01, True), (100_000_000.005, 0.01, False),
    (999_999_999.99, 0.01, True), (8000.0, 1.0, True), (8000.5, 1.0, False), (0.01, 0.01, True),
])
def test_is_on_tick(price, tick, on):
    """A whole multiple of the tick up to float noise; half a tick at 1e8 is still off tick."""
    assert is_on_tick(price, tick) is on


# --- quantity_problem ------------------------------------------------------------------------

@pytest.mark.parametrize("qty, inst, problem", [
    (None, AAPL, "Quantity must be a number, got None"),
    (True, AAPL, "Quantity must be a number, got True"),
    (False, EURUSD, "Quantity must be a number, got False"),
    ("100", AAPL, "Quantity must be a number, got '100'"),
    (float("nan"), AAPL, "Quantity must be a number, got nan"),
    (float("inf"), EURUSD, "Quantity must be a number, got inf"),
    (float("-inf"), AAPL, "Quantity must be a number, got -inf"),
    (0, AAPL, "Quantity must be positive, got 0"),
    (-100, AAPL, "Quantity must be positive, got -100"),
    (-0.5, EURUSD, "Quantity must be positive, got -0.5"),
    (100.5, AAPL, "Stock quantity must be whole shares, got 100.5"),
    (0.5, UNRESOLVED, "Stock quantity must be whole shares, got 0.5"),
])
def test_quantity_problem_messages(qty, inst, problem):
    """Not a finite number (None, bool, text, NaN, inf), not positive, or fractional shares."""
    assert quantity_problem(qty, inst) == problem


@pytest.mark.parametrize("qty, inst", [(1, AAPL), (100.0, AAPL), (2_000_000_000, MSFT),
                                       (20000.5, EURUSD), (0.01, EURUSD)])
def test_quantity_problem_none_for_valid_quantities(qty, inst):
    """Whole shares for stocks, any positive amount for FX."""
    assert quantity_problem(qty, inst) is None


# --- price_problem ---------------------------------------------------------------------------

@pytest.mark.parametrize("price, tick, problem", [
    (True, 0.01, "Limit price must be a number, got True"),
    (None, 0.01, "Limit price must be a number, got None"),
    ("150", 0.01, "Limit price must be a number, got '150'"),
    (float("nan"), 0.01, "Limit price must be a number, got nan"),
    (float("inf"), 0.01, "Limit price must be a number, got inf"),
    (0, 0.01, "Limit price must be positive, got 0"),
    (0.0, 0.01, "Limit price must be positive, got 0"),
    (-1.0, 0.01, "Limit price must be positive, got -1"),
    (0.005, 0.01, "Limit price 0.005 is not a multiple of the tick size 0.01 (nearest: 0.01)"),
    (150.005, 0.01, "Limit price 150.005 is not a multiple of the tick size 0.01 (nearest: 150.01)"),
    (1.10003, 0.00005, "Limit price 1.10003 is not a multiple of the tick size 0.00005 (nearest: 1.10005)"),
    (8000.5, 1.0, "Limit price 8000.5 is not a multiple of the tick size 1 (nearest: 8001.00)"),
    (MAX_PRICE, 0.01, "Limit price 1e+09 is not a plausible price: ibdesk accepts prices below "
                      "1,000,000,000 in the instrument's currency"),
    (1e308, 0.01, "Limit price 1e+308 is not a plausible price: ibdesk accepts prices below "
                  "1,000,000,000 in the instrument's currency"),
])
def test_price_problem_messages(price, tick, problem):
    """Not a number (bool, None, text, NaN, inf), not positive, off tick, or at/above MAX_PRICE."""
    assert price_problem("Limit price", price, tick) == problem


@pytest.mark.parametrize("price, tick", [(0.01, 0.01), (0.5, 0.01), (1, 0.01), (1.0, 0.01),
                                         (999_999_999.99, 0.01), (1.10005, 0.00005),
                                         (0.00005, 0.00005), (8000.0, 1.0), (0.1 + 0.2, 0.01)])
def test_price_problem_none_for_valid_prices(price, tick):
    """Penny prices, prices below 1, just below MAX_PRICE, FX ticks: no problem."""
    assert price_problem("Stop price", price, tick) is None


def test_price_problem_formats_with_the_given_formatter():
    """With fmt, the price, the tick and the nearest valid price are written by it."""
    def fmt(x):
        return f"<{x}>"
    assert price_problem("Stop price", 150.005, 0.01, fmt=fmt) == (
        "Stop price <150.005> is not a multiple of the tick size <0.01> (nearest: <150.01>)")
    assert price_problem("Stop price", -2.0, 0.01, fmt=fmt) == "Stop price must be positive, got <-2.0>"


def test_max_price_is_one_billion():
    """The plausibility bound is 1e9 in the instrument's currency."""
    assert MAX_PRICE == 1e9


# --- validate_order_request ------------------------------------------------------------------

@pytest.mark.parametrize("r", [
    req(otype=OrderType.MKT),
    req(lmt=187.5),
    req(otype=OrderType.STP, stp=150.0, action=Action.SELL),
    req(otype=OrderType.STP_LMT, lmt=149.0, stp=150.0, tif=TimeInForce.GTC),
    req(inst=EURUSD, qty=20000.5, lmt=1.10005),
    req(inst=NINTENDO, lmt=8000.0),
    req(inst=UNRESOLVED, lmt=150.25),
    req(lmt=0.01),
    req(lmt=999_999_999.99),
    req(lmt=150.0, oca_group="OCA-7000000", oca_type=0),
    req(lmt=150.0, oca_group="OCA-7000000", oca_type=1),
    req(lmt=150.0, oca_group="OCA-7000000", oca_type=2),
    req(lmt=150.0, oca_group="OCA-7000000", oca_type=3),
])
def test_valid_requests_are_returned_unchanged(r):
    """Every valid shape (all types, FX, unresolved tick, penny, OCA types 0-3) passes as it is."""
    assert validate_order_request(r) is r


@pytest.mark.parametrize("r, problem", [
    (req(qty=0, lmt=150.0), "Quantity must be positive, got 0"),
    (req(qty=True, lmt=150.0), "Quantity must be a number, got True"),
    (req(qty=10.5, lmt=150.0), "Stock quantity must be whole shares, got 10.5"),
    (req(lmt=150.0, oca_group=7), "OCA group must be text, got 7"),
    (req(lmt=150.0, oca_group=None), "OCA group must be text, got None"),
    (req(lmt=150.0, oca_type=4), "OCA type must be 0, 1, 2 or 3 (IB ocaType), got 4"),
    (req(lmt=150.0, oca_type=-1), "OCA type must be 0, 1, 2 or 3 (IB ocaType), got -1"),
    (req(lmt=150.0, oca_type=True), "OCA type must be 0, 1, 2 or 3 (IB ocaType), got True"),
    (req(lmt=150.0, oca_type=False), "OCA type must be 0, 1, 2 or 3 (IB ocaType), got False"),
    (req(lmt=150.0, oca_type="1"), "OCA type must be 0, 1, 2 or 3 (IB ocaType), got '1'"),
    (req(otype=OrderType.MKT, lmt=150.0), "A MKT order takes no limit price"),
    (req(otype=OrderType.MKT, stp=150.0), "A MKT order takes no stop price"),
    (req(lmt=150.0, stp=140.0), "A LMT order takes no stop price"),
    (req(otype=OrderType.STP, lmt=150.0, stp=140.0), "A STP order takes no limit price"),
    (req(), "Limit price is required for a LMT order"),
    (req(lmt=float("nan")), "Limit price is required for a LMT order"),
    (req(lmt=float("inf")), "Limit price is required for a LMT order"),
    (req(otype=OrderType.STP), "Stop price is required for a STP order"),
    (req(otype=OrderType.STP_LMT, stp=150.0), "Limit price is required for a STP LMT order"),
    (req(otype=OrderType.STP_LMT, lmt=150.0), "Stop price is required for a STP LMT order"),
    (req(lmt=0.0), "Limit price must be positive, got 0"),
    (req(lmt=True), "Limit price must be a number, got True"),
    (req(lmt=150.005), "Limit price 150.005 is not a multiple of the tick size 0.01 (nearest: 150.01)"),
    (req(inst=UNRESOLVED, lmt=150.255),
     "Limit price 150.255 is not a multiple of the tick size 0.01 (nearest: 150.26)"),
    (req(otype=OrderType.STP_LMT, lmt=150.0, stp=150.005),
     "Stop price 150.005 is not a multiple of the tick size 0.01 (nearest: 150.01)"),
    (req(inst=EURUSD, qty=20000, lmt=1.10003),
     "Limit price 1.10003 is not a multiple of the tick size 0.00005 (nearest: 1.10005)"),
    (req(lmt=1e9), "Limit price 1e+09 is not a plausible price: ibdesk accepts prices below "
                   "1,000,000,000 in the instrument's currency"),
])
def test_invalid_requests_name_the_field_and_value(r, problem):
    """Each broken rule raises OrderValidationError with the sentence the trader reads."""
    assert invalid(r) == problem


def test_order_validation_error_is_a_value_error():
    """Callers catching ValueError also catch an invalid order."""
    assert issubclass(OrderValidationError, ValueError)


# --- describe --------------------------------------------------------------------------------

@pytest.mark.parametrize("r, text", [
    (req(lmt=187.5), "BUY 100 AAPL LMT 187.50 DAY"),
    (req(otype=OrderType.MKT, action=Action.SELL, qty=1500), "SELL 1,500 AAPL MKT DAY"),
    (req(otype=OrderType.STP, stp=150.0, action=Action.SELL), "SELL 100 AAPL STP stop 150.00 DAY"),
    (req(otype=OrderType.STP_LMT, lmt=149.0, stp=150.0, tif=TimeInForce.GTC),
     "BUY 100 AAPL STP LMT stop 150.00 limit 149.00 GTC"),
    (req(inst=EURUSD, qty=20000.5, lmt=1.10005), "BUY 20,000.5 EUR.USD LMT 1.10005 DAY"),
    (req(inst=EURUSD, qty=25000, lmt=1.1), "BUY 25,000 EUR.USD LMT 1.10000 DAY"),
    (req(inst=NINTENDO, lmt=8000.0), "BUY 100 7974 LMT 8000.00 DAY"),
    (req(inst=Instrument("BIG", min_tick=10.0), lmt=8000.0), "BUY 100 BIG LMT 8000.00 DAY"),
    (req(inst=Instrument("T", min_tick=0.1), lmt=8.5), "BUY 100 T LMT 8.50 DAY"),
    (req(inst=Instrument("P", min_tick=0.001), lmt=0.125), "BUY 100 P LMT 0.125 DAY"),
    (req(qty=100.0, lmt=0.01), "BUY 100 AAPL LMT 0.01 DAY"),
    (req(qty=0.5, otype=OrderType.MKT), "BUY 0.5 AAPL MKT DAY"),
    (req(qty=1e15, lmt=1e15), "BUY 1e+15 AAPL LMT 1e+15 DAY"),
    (req(qty=-1e15, lmt=-1e15), "BUY -1e+15 AAPL LMT -1e+15 DAY"),
    (req(qty=999_999_999_999_999, lmt=99_999_999_999_999.5),
     "BUY 999,999,999,999,999 AAPL LMT 99999999999999.50 DAY"),
    (req(lmt=150.0, oca_group="OCA-7000000", oca_type=1), "BUY 100 AAPL LMT 150.00 DAY OCA OCA-7000000"),
    # prices the type does not use are not described (an unvalidated request)
    (req(lmt=150.0, stp=140.0), "BUY 100 AAPL LMT 150.00 DAY"),
    (req(otype=OrderType.STP, lmt=150.0, stp=140.0), "BUY 100 AAPL STP stop 140.00 DAY"),
    (req(otype=OrderType.MKT, lmt=150.0, stp=140.0), "BUY 100 AAPL MKT DAY"),
    (req(otype=OrderType.STP_LMT), "BUY 100 AAPL STP LMT DAY"),
])
def test_describe_in_words(r, text):
    """The confirmation's words: action, quantity, symbol, type, stop/limit with the tick's decimals, TIF, OCA."""
    assert r.describe() == text


# --- OrderRecord -----------------------------------------------------------------------------

def _record(status: OrderStatus) -> OrderRecord:
    return OrderRecord(7, 990_001, 1, AAPL, Action.BUY, 100.0, OrderType.LMT, 150.0, None, "DAY",
                       status, created=T0, updated=T0, account="DU111111")


@pytest.mark.parametrize("status", list(OrderStatus))
def test_record_is_working_follows_the_working_states(status):
    """A record is working exactly in the working states (PreSubmitted and PendingCancel included)."""
    assert _record(status).is_working is (status in WORKING_STATUSES)


def test_record_defaults_and_copy():
    """Defaults are zero/empty; copy changes only the named fields and leaves the original."""
    r = _record(OrderStatus.SUBMITTED)
    assert (r.filled, r.remaining, r.avg_fill_price, r.last_fill_price, r.message) == (0.0, 0.0, 0.0, 0.0, "")
    c = r.copy(status=OrderStatus.FILLED, filled=100.0, updated=T1)
    assert c is not r
    assert (c.status, c.filled, c.updated, c.created, c.limit_price) == (OrderStatus.FILLED, 100.0, T1, T0, 150.0)
    assert (r.status, r.filled, r.updated) == (OrderStatus.SUBMITTED, 0.0, T0)
    assert r.copy() == r and not math.isnan(c.avg_fill_price)
