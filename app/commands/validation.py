"""Pre-trade rule checks of the command layer (pure functions, no I/O).

Each check raises ``CommandRejected`` whose ``reason`` names the rule and the
values, e.g. "Cannot modify order 12: it is Filled". Rules follow IB's order
handling (IB API docs "Order Management" / "Modifying Orders": a modification
is a placeOrder with the same orderId and contract; only the placing client may
modify or cancel; finished orders cannot change) and PROTOCOL.md.
"""

from __future__ import annotations

import math
from typing import Iterable

from app.domain import OrderRecord, OrderStatus, OrderType
from app.domain.orders import fmt_number, price_problem, quantity_problem


class CommandRejected(Exception):
    """A command broke a rule.

    ``reason`` is the sentence shown to the trader (names the rule and the
    values); ``rule`` the rule's machine name ("read_only", "halted",
    "max_order_quantity", "max_order_notional", "max_position", "price_band",
    "tick_size", "duplicate_order", "max_orders_per_minute", "pending",
    "stale_order_id", "not_connected", "order_id", "unknown_order",
    "not_own_order", "order_done", "invalid_order", "invalid_modify",
    "no_change", "no_quote", "no_position", "nothing_to_do", "bracket",
    "unknown_command"); ``soft=True`` means the trader may override it after an
    explicit question (``OrderCommands.execute(cmd, override=True)``).
    """

    def __init__(self, reason: str, *, rule: str = "", soft: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.rule = rule
        self.soft = bool(soft)


def _lower_first(text: str) -> str:
    """A domain rule's sentence continued after "Cannot modify order N: "."""
    return text[:1].lower() + text[1:]


def find_own_order(order_id: int, verb: str, own_client_id: int, own: OrderRecord | None,
                   all_orders: Iterable[OrderRecord]) -> OrderRecord:
    """The record of ``order_id`` placed by ``own_client_id``.

    ``own`` is the session's record for (own client id, order_id) or None.
    Raises ``CommandRejected`` for an unknown id or an order of another client
    (IB: orderIds are per client; cancel/modify affect own orders only, error 10147).
    """
    if not isinstance(order_id, int) or isinstance(order_id, bool) or order_id <= 0:
        raise CommandRejected(f"Cannot {verb} order {order_id!r}: an orderId is a positive whole number",
                              rule="order_id")
    if own is not None:
        return own
    others = sorted({o.client_id for o in all_orders if o.order_id == order_id})
    if others:
        ids = ", ".join(str(c) for c in others)
        raise CommandRejected(
            f"Cannot {verb} order {order_id}: it was placed by client id {ids}, "
            f"not by this session (client id {own_client_id})", rule="not_own_order")
    raise CommandRejected(f"Cannot {verb} order {order_id}: no such order in this session",
                          rule="unknown_order")


def check_working(rec: OrderRecord, verb: str, in_flight: str | bool | None) -> None:
    """Reject finished orders (Filled, Cancelled, ApiCancelled, Inactive, ...; rule
    "order_done") and orders with a previous modify or cancel still in flight
    (rule "pending": status PendingCancel, or ``in_flight`` "cancel" / "modify" /
    True (= a cancel) meaning the gateway has not answered it yet). IB API docs
    "Modifying Orders": a new modification before the previous one is
    acknowledged may be rejected or applied out of order. A *cancel* while a
    modification is in flight is allowed: IB handles the two in order, the cancel
    wins, and refusing a cancel is the more dangerous mistake (kill switch).
    """
    if not rec.is_working:
        raise CommandRejected(f"Cannot {verb} order {rec.order_id}: it is {rec.status.value}",
                              rule="order_done")
    if rec.status is OrderStatus.PENDING_CANCEL or in_flight is True or in_flight == "cancel":
        raise CommandRejected(f"Cannot {verb} order {rec.order_id}: a cancel is already pending",
                              rule="pending")
    if in_flight == "modify" and verb != "cancel":
        raise CommandRejected(f"Cannot {verb} order {rec.order_id}: a modification is already "
                              "pending (waiting for the gateway to confirm it)", rule="pending")


def check_modification(rec: OrderRecord, quantity: float | None, limit_price: float | None,
                       stop_price: float | None, trailing_amount: float | None = None) -> None:
    """Check a modification of working order ``rec`` (None = unchanged).

    Quantity: a finite number > 0, not below the filled quantity, whole shares
    for stocks. Prices: only those the order type uses (LMT, LOC: limit; STP: stop;
    MIT: trigger; STP LMT, LIT: both; TRAIL / TRAIL LIMIT trailing by an amount: the
    trailing amount; MKT, MOC: none), positive, on the instrument's tick (IB error 110).
    At least one value must differ from the order's current one.
    """
    oid = rec.order_id
    otype = rec.order_type
    if quantity is not None:
        problem = quantity_problem(quantity, rec.instrument)
        if problem:
            raise CommandRejected(f"Cannot modify order {oid}: {_lower_first(problem)}",
                                  rule="invalid_modify")
        if quantity < rec.filled:
            raise CommandRejected(f"Cannot modify order {oid}: quantity {fmt_number(quantity)} is below the "
                                  f"{fmt_number(rec.filled)} already filled", rule="invalid_modify")
    tick = rec.instrument.min_tick or 0.01
    known = isinstance(otype, OrderType)
    uses_limit = known and otype.needs_limit
    uses_stop = known and otype.needs_stop
    uses_trail = known and otype.is_trailing and rec.trailing_amount is not None
    type_name = str(otype)   # an OrderType (StrEnum) prints its value: "STP LMT"
    stop_name = otype.stop_name.lower() if known else "stop price"
    for name, value, used in (("limit price", limit_price, uses_limit),
                              (stop_name, stop_price, uses_stop),
                              ("trailing amount", trailing_amount, uses_trail)):
        if value is None:
            continue
        if not used:
            how = " by an amount (it trails by a percent)" if name == "trailing amount" and known \
                and otype.is_trailing else ""
            raise CommandRejected(f"Cannot modify order {oid}: a {type_name} order has no {name}{how}",
                                  rule="invalid_modify")
        problem = price_problem(name.capitalize(), value, tick, fmt=fmt_number)
        if problem:
            rule = "tick_size" if "tick size" in problem else "invalid_modify"
            raise CommandRejected(f"Cannot modify order {oid}: {_lower_first(problem)}", rule=rule)
    changes = (
        quantity is not None and not math.isclose(quantity, rec.quantity, rel_tol=0, abs_tol=1e-9),
        limit_price is not None and (rec.limit_price is None or
                                     not math.isclose(limit_price, rec.limit_price, rel_tol=0,
                                                      abs_tol=tick * 1e-6)),
        stop_price is not None and (rec.stop_price is None or
                                    not math.isclose(stop_price, rec.stop_price, rel_tol=0,
                                                     abs_tol=tick * 1e-6)),
        trailing_amount is not None and not math.isclose(trailing_amount, rec.trailing_amount,
                                                         rel_tol=0, abs_tol=tick * 1e-6),
    )
    if not any(changes):
        now = ", ".join(f"{name} {fmt_number(v)}" for name, v in (
            ("quantity", rec.quantity), ("limit", rec.limit_price), ("stop", rec.stop_price),
            ("trailing amount", rec.trailing_amount))
            if v is not None)
        raise CommandRejected(f"Cannot modify order {oid}: nothing changes ({now})", rule="no_change")
