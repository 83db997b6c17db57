"""The command layer's pre-trade rules (app/commands/validation.py), pinned by rule name and
by the exact sentence the trader reads: whose order it is, whether it still works, and what
a modification may change."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.commands.validation import (
    CommandRejected,
    check_modification,
    check_working,
    find_own_order,
    fmt_number,
)
from app.domain import Action, Instrument, OrderRecord, OrderStatus, OrderType
from tests.fakes import CONTRACTS

AAPL, MSFT, EURUSD = CONTRACTS["AAPL"], CONTRACTS["MSFT"], CONTRACTS["EUR.USD"]
#: an instrument not yet resolved against the gateway: no min tick known (0 -> 0.01 is used)
UNRESOLVED = Instrument("NVDA", min_tick=0)
T0 = datetime(2026, 3, 9, 14, 30, tzinfo=timezone.utc)

FINISHED = [OrderStatus.API_CANCELLED, OrderStatus.CANCELLED, OrderStatus.FILLED,
            OrderStatus.INACTIVE, OrderStatus.VALIDATION_ERROR, OrderStatus.NOT_SENT,
            OrderStatus.UNKNOWN]
LIVE = [OrderStatus.API_PENDING, OrderStatus.PENDING_SUBMIT, OrderStatus.PRE_SUBMITTED,
        OrderStatus.SUBMITTED]


def rec(order_id=12, client_id=1, *, inst=AAPL, order_type=OrderType.LMT, qty=100.0, lmt=150.0,
        stp=None, filled=0.0, status=OrderStatus.SUBMITTED, account="DU111111") -> OrderRecord:
    return OrderRecord(order_id, 880_000 + order_id, client_id, inst, Action.BUY, qty, order_type,
                       lmt, stp, "DAY", status, filled, qty - filled, created=T0, updated=T0,
                       account=account)


def rejected(fn, *args) -> CommandRejected:
    with pytest.raises(CommandRejected) as info:
        fn(*args)
    return info.value


# --- CommandRejected -------------------------------------------------------------------------

def test_command_rejected_carries_reason_rule_and_soft_flag():
    """A rejection's text is its reason; rule defaults to "" and soft to False."""
    e = CommandRejected("Cannot place order: halted")
    assert str(e) == "Cannot place order: halted" and e.args == ("Cannot place order: halted",)
    assert e.reason == "Cannot place order: halted"
    assert e.rule == "" and e.soft is False
    e2 = CommandRejected("over the band", rule="price_band", soft=1)
    assert e2.rule == "price_band" and e2.soft is True


# --- fmt_number ------------------------------------------------------------------------------

@pytest.mark.parametrize("x, text", [
    (150.0, "150"), (150, "150"), (100, "100"), (1.10005, "1.10005"), (0.00005, "0.00005"),
    (1e-07, "0.0000001"), (-0.5, "-0.5"), (187.5, "187.5"), (0.01, "0.01"),
    (1e16, "10000000000000000"), (123456789012345678, "123456789012345678"),
    (float("nan"), "NaN"), (float("inf"), "Infinity"), (-0.0, "0"),
])
def test_fmt_number_writes_numbers_as_a_trader_does(x, text):
    """Numbers in messages: no exponent, no trailing zeros, whole floats without ".0"."""
    assert fmt_number(x) == text


@pytest.mark.parametrize("x, text", [(None, "None"), ("150", "'150'"), (True, "True")])
def test_fmt_number_writes_non_numbers_by_repr(x, text):
    """Something that is not a number (None, text, a bool) is written as Python shows it."""
    assert fmt_number(x) == text


# --- find_own_order --------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [0, -3, True, False, 12.0, "12", None])
def test_order_id_must_be_a_positive_whole_number(bad):
    """orderId 0, negative, bool, float or text: rule order_id, even when a record is given."""
    e = rejected(find_own_order, bad, "cancel", 1, rec(), [rec()])
    assert e.rule == "order_id" and e.soft is False
    assert e.reason == f"Cannot cancel order {bad!r}: an orderId is a positive whole number"


def test_own_order_record_is_returned():
    """The session's own record is returned as it is (the same object)."""
    own = rec(12, 1)
    assert find_own_order(12, "modify", 1, own, [rec(12, 7), own]) is own
    assert find_own_order(1, "cancel", 1, rec(1, 1), []).order_id == 1


def test_order_of_another_client_is_not_own_and_every_client_is_named():
    """Same orderId placed by clients 7 and 3 (not by us, client 1): rule not_own_order."""
    others = [rec(12, 7), rec(12, 3), rec(12, 7, inst=MSFT), rec(13, 1)]
    e = rejected(find_own_order, 12, "modify", 1, None, others)
    assert e.rule == "not_own_order" and e.soft is False
    assert e.reason == ("Cannot modify order 12: it was placed by client id 3, 7, "
                        "not by this session (client id 1)")
    e1 = rejected(find_own_order, 12, "cancel", 5, None, iter([rec(12, 0)]))
    assert e1.reason == ("Cannot cancel order 12: it was placed by client id 0, "
                         "not by this session (client id 5)")


def test_unknown_order_id_is_unknown_order():
    """No record of the orderId at all (only other ids): rule unknown_order."""
    e = rejected(find_own_order, 44, "cancel", 1, None, [rec(12, 1), rec(45, 2)])
    assert e.rule == "unknown_order" and e.soft is False
    assert e.reason == "Cannot cancel order 44: no such order in this session"
    assert rejected(find_own_order, 44, "modify", 1, None, []).rule == "unknown_order"


# --- check_working ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", FINISHED)
@pytest.mark.parametrize("verb", ["cancel", "modify"])
def test_finished_order_is_order_done(status, verb):
    """Every finished state (Filled, Cancelled, Inactive, Not sent, ...): rule order_done."""
    e = rejected(check_working, rec(31, status=status), verb, None)
    assert e.rule == "order_done"
    assert e.reason == f"Cannot {verb} order 31: it is {status.value}"


@pytest.mark.parametrize("status", LIVE)
@pytest.mark.parametrize("verb", ["cancel", "modify"])
@pytest.mark.parametrize("in_flight", [None, False, ""])
def test_working_order_without_anything_in_flight_passes(status, verb, in_flight):
    """A working order (PreSubmitted included) with nothing in flight may be changed."""
    assert check_working(rec(status=status), verb, in_flight) is None


@pytest.mark.parametrize("verb", ["cancel", "modify"])
def test_pending_cancel_status_is_pending(verb):
    """Status PendingCancel: rule pending for a cancel and for a modify."""
    e = rejected(check_working, rec(31, status=OrderStatus.PENDING_CANCEL), verb, None)
    assert e.rule == "pending"
    assert e.reason == f"Cannot {verb} order 31: a cancel is already pending"


@pytest.mark.parametrize("in_flight", [True, "cancel"])
@pytest.mark.parametrize("verb", ["cancel", "modify"])
def test_cancel_in_flight_is_pending(in_flight, verb):
    """A cancel not yet answered by the gateway (True or "cancel"): rule pending."""
    e = rejected(check_working, rec(31, status=OrderStatus.PRE_SUBMITTED), verb, in_flight)
    assert e.rule == "pending"
    assert e.reason == f"Cannot {verb} order 31: a cancel is already pending"


def test_modify_in_flight_blocks_a_modify_but_not_a_cancel():
    """A modification in flight: another modify is pending, a cancel goes through."""
    e = rejected(check_working, rec(31), "modify", "modify")
    assert e.rule == "pending"
    assert e.reason == ("Cannot modify order 31: a modification is already pending "
                        "(waiting for the gateway to confirm it)")
    assert check_working(rec(31), "cancel", "modify") is None


def test_finished_order_is_done_before_pending():
    """A Filled order with a cancel in flight is reported as done, not as pending."""
    assert rejected(check_working, rec(status=OrderStatus.FILLED), "cancel", True).rule == "order_done"


# --- check_modification: quantity ------------------------------------------------------------

@pytest.mark.parametrize("qty, reason", [
    (0, "Cannot modify order 12: quantity must be positive, got 0"),
    (-50, "Cannot modify order 12: quantity must be positive, got -50"),
    (float("nan"), "Cannot modify order 12: quantity must be a number, got nan"),
    (float("inf"), "Cannot modify order 12: quantity must be a number, got inf"),
    (True, "Cannot modify order 12: quantity must be a number, got True"),
    ("200", "Cannot modify order 12: quantity must be a number, got '200'"),
    (150.5, "Cannot modify order 12: stock quantity must be whole shares, got 150.5"),
])
def test_invalid_quantity_is_invalid_modify(qty, reason):
    """Quantity not a finite positive number, or fractional shares: rule invalid_modify."""
    e = rejected(check_modification, rec(12), qty, None, None)
    assert e.rule == "invalid_modify" and e.reason == reason


def test_fractional_quantity_is_fine_for_fx():
    """FX quantities (base currency units) may be fractional."""
    assert check_modification(rec(inst=EURUSD, qty=20000.0, lmt=1.1), 20000.5, None, None) is None


def test_quantity_below_filled_is_invalid_modify():
    """The new quantity may not go below what already filled; equal to it is fine."""
    r = rec(12, qty=300.0, filled=120.0)
    e = rejected(check_modification, r, 119, None, None)
    assert e.rule == "invalid_modify"
    assert e.reason == "Cannot modify order 12: quantity 119 is below the 120 already filled"
    assert check_modification(r, 120, None, None) is None
    fx = rec(13, inst=EURUSD, qty=50000.0, lmt=1.1, filled=25000.5)
    e2 = rejected(check_modification, fx, 25000.25, None, None)
    assert e2.reason == "Cannot modify order 13: quantity 25000.25 is below the 25000.5 already filled"


def test_one_share_more_or_less_is_a_change():
    """100 -> 101 and 100 -> 99 shares are changes, not "nothing changes"."""
    assert check_modification(rec(qty=100.0), 101, None, None) is None
    assert check_modification(rec(qty=100.0), 99, None, None) is None


def test_one_share_on_a_huge_order_is_a_change():
    """A one-share change of a 2,000,000,000 share order is still a change (no relative tolerance)."""
    assert check_modification(rec(qty=2_000_000_000.0), 2_000_000_001, None, None) is None


def test_tiny_fx_quantity_change_is_a_change():
    """FX 20000 -> 20000.00001 units is a change (no relative tolerance on quantities)."""
    assert check_modification(rec(inst=EURUSD, qty=20000.0, lmt=1.1), 20000.00001, None, None) is None


# --- check_modification: which prices a type has ---------------------------------------------

@pytest.mark.parametrize("otype, limit, stop, reason", [
    (OrderType.MKT, 150.0, None, "Cannot modify order 12: a MKT order has no limit price"),
    (OrderType.MKT, None, 140.0, "Cannot modify order 12: a MKT order has no stop price"),
    (OrderType.LMT, None, 140.0, "Cannot modify order 12: a LMT order has no stop price"),
    (OrderType.STP, 150.0, None, "Cannot modify order 12: a STP order has no limit price"),
    ("TRAIL", 150.0, None, "Cannot modify order 12: a TRAIL order has no limit price"),
    ("TRAIL", None, 140.0, "Cannot modify order 12: a TRAIL order has no stop price"),
])
def test_price_the_order_type_does_not_use_is_invalid_modify(otype, limit, stop, reason):
    """A price the order type does not have (MKT any, LMT stop, STP limit, unknown type): invalid_modify."""
    r = rec(12, order_type=otype, lmt=None, stp=None)
    e = rejected(check_modification, r, None, limit, stop)
    assert e.rule == "invalid_modify" and e.reason == reason


def test_each_type_accepts_its_own_prices():
    """LMT takes a limit, STP a stop, STP LMT both."""
    assert check_modification(rec(order_type=OrderType.LMT, lmt=150.0), None, 150.5, None) is None
    assert check_modification(rec(order_type=OrderType.STP, lmt=None, stp=140.0), None, None, 139.5) is None
    stl = rec(order_type=OrderType.STP_LMT, lmt=139.0, stp=140.0)
    assert check_modification(stl, None, 138.5, 139.5) is None


# --- check_modification: price values --------------------------------------------------------

@pytest.mark.parametrize("field", ["limit", "stop"])
@pytest.mark.parametrize("price, rule, tail", [
    (150.005, "tick_size", "150.005 is not a multiple of the tick size 0.01 (nearest: 150.01)"),
    (150.004, "tick_size", "150.004 is not a multiple of the tick size 0.01 (nearest: 150)"),
    (0.0, "invalid_modify", "must be positive, got 0"),
    (-150.0, "invalid_modify", "must be positive, got -150"),
    (float("nan"), "invalid_modify", "must be a number, got nan"),
    (float("inf"), "invalid_modify", "must be a number, got inf"),
    (True, "invalid_modify", "must be a number, got True"),
    ("150", "invalid_modify", "must be a number, got '150'"),
    (1e9, "invalid_modify", "1e+09 is not a plausible price: ibdesk accepts prices below "
                            "1,000,000,000 in the instrument's currency"),
])
def test_bad_price_names_the_rule(field, price, rule, tail):
    """Off-tick price: rule tick_size; non-positive, NaN, inf, bool, text or absurd: invalid_modify."""
    r = rec(12, order_type=OrderType.STP_LMT, lmt=149.0, stp=150.0)
    args = (None, price, None) if field == "limit" else (None, None, price)
    e = rejected(check_modification, r, *args)
    assert e.rule == rule
    assert e.reason == f"Cannot modify order 12: {field} price {tail}"


def test_off_tick_messages_exactly():
    """The tick-size sentence names the price, the tick and the nearest valid price."""
    r = rec(12, order_type=OrderType.STP_LMT, lmt=149.0, stp=150.0)
    assert rejected(check_modification, r, None, 150.005, None).reason == (
        "Cannot modify order 12: limit price 150.005 is not a multiple of the tick size 0.01 (nearest: 150.01)")
    assert rejected(check_modification, r, None, None, 150.004).reason == (
        "Cannot modify order 12: stop price 150.004 is not a multiple of the tick size 0.01 (nearest: 150)")
    fx = rec(14, inst=EURUSD, qty=20000.0, lmt=1.1)
    e = rejected(check_modification, fx, None, 1.10003, None)
    assert e.rule == "tick_size"
    assert e.reason == ("Cannot modify order 14: limit price 1.10003 is not a multiple of the tick size "
                        "0.00005 (nearest: 1.10005)")
    assert rejected(check_modification, r, None, 0.0, None).reason == \
        "Cannot modify order 12: limit price must be positive, got 0"
    assert rejected(check_modification, r, None, None, float("nan")).reason == \
        "Cannot modify order 12: stop price must be a number, got nan"


def test_price_just_below_max_price_is_fine():
    """999,999,999.99 is a plausible limit price (one tick below the 1e9 bound)."""
    assert check_modification(rec(lmt=150.0), None, 999_999_999.99, None) is None


def test_penny_and_fx_tick_prices_are_fine():
    """0.01 for a stock and 1.10005 for EUR.USD (tick 0.00005) are on the tick."""
    assert check_modification(rec(lmt=0.02), None, 0.01, None) is None
    assert check_modification(rec(inst=EURUSD, qty=20000.0, lmt=1.1), None, 1.10005, None) is None


def test_unresolved_instrument_uses_a_cent_tick():
    """min_tick 0 (not resolved): the tick is 0.01, so 150.25 passes and 150.255 is off tick."""
    r = rec(inst=UNRESOLVED, lmt=150.0)
    assert check_modification(r, None, 150.25, None) is None
    e = rejected(check_modification, r, None, 150.255, None)
    assert e.rule == "tick_size"
    assert e.reason == ("Cannot modify order 12: limit price 150.255 is not a multiple of the tick size "
                        "0.01 (nearest: 150.26)")


# --- check_modification: is anything changing? -----------------------------------------------

def test_nothing_changes_is_no_change():
    """Same quantity, limit and stop (or nothing given): rule no_change, naming the current values
    as a trader writes them (no "150.0", no "stop None" for an order without a stop)."""
    r = rec(12, order_type=OrderType.STP_LMT, qty=100.0, lmt=149.5, stp=150.0)
    e = rejected(check_modification, r, 100, 149.5, 150.0)
    assert e.rule == "no_change" and e.soft is False
    assert e.reason == "Cannot modify order 12: nothing changes (quantity 100, limit 149.5, stop 150)"
    assert rejected(check_modification, r, None, None, None).rule == "no_change"
    assert rejected(check_modification, r, None, None, 150.0).rule == "no_change"
    assert rejected(check_modification, r, None, 149.5, None).rule == "no_change"
    fx = rec(14, inst=EURUSD, qty=20000.5, lmt=1.1)
    assert rejected(check_modification, fx, 20000.5, None, None).reason == (
        "Cannot modify order 14: nothing changes (quantity 20000.5, limit 1.1)")


def test_float_noise_is_no_change():
    """A price equal to the current one up to float noise (0.1 + 0.2 vs 0.3) changes nothing."""
    r = rec(12, order_type=OrderType.STP_LMT, lmt=0.1 + 0.2, stp=0.1 + 0.2)
    assert rejected(check_modification, r, None, 0.3, None).rule == "no_change"
    assert rejected(check_modification, r, None, None, 0.3).rule == "no_change"
    q = rec(13, inst=EURUSD, qty=0.1 + 0.2, lmt=1.1)
    assert rejected(check_modification, q, 0.3, None, None).rule == "no_change"


@pytest.mark.parametrize("field", ["limit", "stop"])
def test_one_tick_is_a_change(field):
    """One tick up or down on the limit or on the stop is a change (stock and FX)."""
    r = rec(order_type=OrderType.STP_LMT, lmt=150.0, stp=150.0)
    for p in (150.01, 149.99):
        args = (None, p, None) if field == "limit" else (None, None, p)
        assert check_modification(r, *args) is None
    fx = rec(inst=EURUSD, qty=20000.0, order_type=OrderType.STP_LMT, lmt=1.1, stp=1.1)
    args = (None, 1.10005, None) if field == "limit" else (None, None, 1.10005)
    assert check_modification(fx, *args) is None


@pytest.mark.parametrize("field", ["limit", "stop"])
def test_one_tick_on_a_huge_price_is_a_change(field):
    """One tick at 100,000,000.00 is a change (no relative tolerance on prices)."""
    r = rec(order_type=OrderType.STP_LMT, lmt=100_000_000.0, stp=100_000_000.0)
    args = (None, 100_000_000.01, None) if field == "limit" else (None, None, 100_000_000.01)
    assert check_modification(r, *args) is None


def test_stop_only_change_on_stop_limit_is_a_change():
    """STP LMT: moving only the stop (limit and quantity as they are) is a change."""
    r = rec(order_type=OrderType.STP_LMT, qty=100.0, lmt=149.5, stp=150.0)
    assert check_modification(r, 100, 149.5, 150.5) is None
    assert check_modification(r, None, None, 149.0) is None


def test_price_on_a_record_without_that_price_is_a_change():
    """A limit for a record whose limit was None (or a stop whose stop was None) is a change."""
    assert check_modification(rec(order_type=OrderType.LMT, lmt=None), None, 150.0, None) is None
    assert check_modification(rec(order_type=OrderType.STP, lmt=None, stp=None), None, None, 150.0) is None


def test_quantity_change_with_same_prices_is_a_change():
    """New quantity, same limit and stop: a change."""
    r = rec(order_type=OrderType.STP_LMT, qty=100.0, lmt=149.5, stp=150.0)
    assert check_modification(r, 200, 149.5, 150.0) is None
