"""Orders, order states and executions, with IB's names.

Sources: IB API docs "Order Types", "Order Management" and "Possible Order
States" (PendingSubmit, PendingCancel, PreSubmitted, Submitted, ApiCancelled,
Cancelled, Filled, Inactive); ib_async ``OrderStatus`` (adds ApiPending and
ValidationError).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from app.domain.instruments import Instrument


class Action(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    """Order types the terminal places (IB ``Order.orderType`` strings)."""

    MKT = "MKT"
    LMT = "LMT"
    STP = "STP"
    STP_LMT = "STP LMT"

    @property
    def needs_limit(self) -> bool:
        return self in (OrderType.LMT, OrderType.STP_LMT)

    @property
    def needs_stop(self) -> bool:
        return self in (OrderType.STP, OrderType.STP_LMT)


class TimeInForce(StrEnum):
    """IB ``Order.tif`` values the terminal offers."""

    DAY = "DAY"
    GTC = "GTC"


class OrderStatus(StrEnum):
    """IB order states ("Possible Order States" in the IB API docs)."""

    API_PENDING = "ApiPending"
    PENDING_SUBMIT = "PendingSubmit"
    PENDING_CANCEL = "PendingCancel"
    PRE_SUBMITTED = "PreSubmitted"
    SUBMITTED = "Submitted"
    API_CANCELLED = "ApiCancelled"
    CANCELLED = "Cancelled"
    FILLED = "Filled"
    INACTIVE = "Inactive"
    VALIDATION_ERROR = "ValidationError"
    #: not an IB state: the connection was lost before the gateway acknowledged the
    #: order, and after reconnecting the gateway reports it neither open nor completed
    #: (``app.broker.reconcile``); ibdesk never re-sends it by itself
    NOT_SENT = "Not sent"
    #: not an IB state: the gateway had acknowledged the order (it has a permId) but
    #: reported it neither open nor completed after the reconnect; check TWS
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, text: str) -> "OrderStatus":
        """Map an IB status string to the enum; unknown text -> PENDING_SUBMIT."""
        try:
            return cls(text)
        except ValueError:
            return cls.PENDING_SUBMIT


WORKING_STATUSES = frozenset({
    OrderStatus.API_PENDING, OrderStatus.PENDING_SUBMIT, OrderStatus.PENDING_CANCEL,
    OrderStatus.PRE_SUBMITTED, OrderStatus.SUBMITTED,
})
DONE_STATUSES = frozenset({
    OrderStatus.API_CANCELLED, OrderStatus.CANCELLED, OrderStatus.FILLED,
    OrderStatus.INACTIVE, OrderStatus.VALIDATION_ERROR,
    OrderStatus.NOT_SENT, OrderStatus.UNKNOWN,
})


class OrderValidationError(ValueError):
    """An order request or modification is invalid; ``str(e)`` is the reason for the user."""


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What the trader asked for: one order, not yet sent.

    ``quantity`` in shares (FX: base units), ``limit_price`` / ``stop_price`` in
    instrument currency (IB ``lmtPrice`` / ``auxPrice``); the price a type does
    not use must be None. ``oca_group`` (IB ``ocaGroup``, "" = none) joins the
    order to a One-Cancels-All group; ``oca_type`` is IB's ``ocaType`` (0 = not
    set, 1 = cancel the other orders with block, 2 = reduce the others with
    block, 3 = reduce without block; IB API docs "One-Cancels-All (OCA)").
    """

    instrument: Instrument
    action: Action
    quantity: float
    order_type: OrderType
    limit_price: float | None = None
    stop_price: float | None = None
    tif: TimeInForce = TimeInForce.DAY
    outside_rth: bool = False
    oca_group: str = ""
    oca_type: int = 0

    def describe(self) -> str:
        """The order in words: "BUY 100 AAPL LMT 187.50 DAY"."""
        parts = [self.action.value, _fmt_qty(self.quantity), self.instrument.display_symbol,
                 self.order_type.value]
        if self.order_type.needs_stop and self.stop_price is not None:
            parts.append(f"stop {_fmt_price(self.stop_price, self.instrument.min_tick)}")
        if self.order_type.needs_limit and self.limit_price is not None:
            parts.append(f"{'limit ' if self.order_type is OrderType.STP_LMT else ''}"
                         f"{_fmt_price(self.limit_price, self.instrument.min_tick)}")
        parts.append(self.tif.value)
        if self.oca_group:
            parts.append(f"OCA {self.oca_group}")
        return " ".join(parts)


#: numbers at or above this are written with an exponent in :meth:`OrderRequest.describe`
#: (an unvalidated request must never read as a 300-digit number)
_PLAIN_LIMIT = 1e15


def _fmt_qty(q: float) -> str:
    if abs(q) >= _PLAIN_LIMIT:
        return f"{q:.6g}"
    return f"{q:,.0f}" if float(q).is_integer() else f"{q:,}"


def _decimals(tick: float) -> int:
    """Decimals of ``tick`` (0.00005 -> 5; negative for a tick of 10 or more)."""
    d = Decimal(repr(tick)).normalize()
    return -d.as_tuple().exponent


def _fmt_price(p: float, tick: float) -> str:
    if abs(p) >= _PLAIN_LIMIT:
        return f"{p:.6g}"
    return f"{p:.{max(2, _decimals(tick))}f}"


def price_text(price: float, tick: float | None) -> str:
    """A price in instrument currency with the decimals of the instrument's ``tick`` (at
    least two, no exponent): ``price_text(257.4, 0.01)`` -> "257.40", ``price_text(1.1,
    0.00005)`` -> "1.10000"; a missing tick counts as 0.01."""
    return _fmt_price(price, tick or 0.01)


def fmt_number(x: float) -> str:
    """A number as a trader writes it: 150, 1.10005, 0.00005 (no exponent, no trailing zeros)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return repr(x)   # not a number (a bool's repr "True" is no Decimal)
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return format(Decimal(repr(x)).normalize(), "f")


def round_to_tick(price: float, tick: float) -> float:
    """Round ``price`` to the nearest multiple of ``tick`` (half up), exactly in decimal.

    Raises ``ValueError`` for a non-positive tick.
    """
    if not tick or tick <= 0:
        raise ValueError(f"tick size must be positive, got {tick!r}")
    with localcontext() as ctx:
        # 400 digits: the quotient is exact to well below the half-tick for any price/tick
        # up to 10^380 (and every tick a float can hold); to_integral_value, unlike
        # quantize, never raises InvalidOperation for a longer quotient (1e300 / 1e-100),
        # where the rounding is below the float's own precision anyway
        ctx.prec = 400
        t = Decimal(repr(tick))
        steps = (Decimal(repr(price)) / t).to_integral_value(rounding=ROUND_HALF_UP)
        return float(steps * t)


def is_on_tick(price: float, tick: float) -> bool:
    """True when ``price`` is a whole multiple of ``tick`` (within float noise)."""
    return math.isclose(round_to_tick(price, tick), price, rel_tol=0, abs_tol=tick * 1e-6)


def quantity_problem(quantity, instrument: Instrument) -> str | None:
    """Why ``quantity`` (shares/contracts; FX: base currency units) cannot be an order's
    quantity, or None: it must be a finite number > 0, whole shares for stocks.

    Shared by :func:`validate_order_request` and the modify command (app.commands).
    """
    q = quantity
    if q is None or isinstance(q, bool) or not isinstance(q, (int, float)) or not math.isfinite(q):
        return f"Quantity must be a number, got {q!r}"
    if q <= 0:
        return f"Quantity must be positive, got {_fmt_qty(q)}"
    if instrument.sec_type == "STK" and not float(q).is_integer():
        return f"Stock quantity must be whole shares, got {q}"
    return None


#: Prices at or above this (in the instrument's currency) are refused as typing mistakes. An
#: absolute bound, because the domain knows no quote (the command layer's risk limits compare
#: with the quote when one is known): far above any listed price (BRK.A trades near 10^6 USD,
#: the dearest Japanese and Korean shares near 10^7 JPY / KRW) and the order ticket's field
#: limit, yet small enough that no confirmation prints a 300-digit number (1e308 is a float).
MAX_PRICE = 1e9


def price_problem(name: str, price, tick: float, fmt=None) -> str | None:
    """Why ``price`` (instrument currency) cannot be the order's ``name`` ("Limit price",
    "Stop price"), or None: a finite number > 0, below :data:`MAX_PRICE`, on the instrument's
    tick (IB error 110, "The price does not conform to the minimum price variation for this
    contract").

    ``fmt(number) -> str`` writes the numbers of the message (default: the price and the
    tick as written, never with an exponent: "tick size 0.00005", not "5e-05"; the nearest
    valid price with the tick's decimals).
    """
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price):
        return f"{name} must be a number, got {price!r}"
    if price >= MAX_PRICE:
        return (f"{name} {price:.6g} is not a plausible price: ibdesk accepts prices below "
                f"{MAX_PRICE:,.0f} in the instrument's currency")
    nearest = round_to_tick(price, tick)
    p, t, n = ((fmt(price), fmt(tick), fmt(nearest)) if fmt else
               (fmt_number(price), fmt_number(tick), _fmt_price(nearest, tick)))
    if price <= 0:
        return f"{name} must be positive, got {p}"
    if not is_on_tick(price, tick):
        return f"{name} {p} is not a multiple of the tick size {t} (nearest: {n})"
    return None


def validate_order_request(req: OrderRequest) -> OrderRequest:
    """Check an order request against IB's basic order rules.

    Rules: quantity positive, finite, whole for stocks; ocaType 0-3; LMT and STP LMT need a
    positive limit price, STP and STP LMT a positive stop price, on the
    instrument's tick (IB rejects off-tick prices, error 110); MKT carries no
    price. Returns the request; raises ``OrderValidationError`` naming the field
    and value otherwise. Source: IB API docs "Order Types" (required fields).
    """
    problem = quantity_problem(req.quantity, req.instrument)
    if problem:
        raise OrderValidationError(problem)
    if not isinstance(req.oca_group, str):
        raise OrderValidationError(f"OCA group must be text, got {req.oca_group!r}")
    if isinstance(req.oca_type, bool) or req.oca_type not in (0, 1, 2, 3):
        raise OrderValidationError(f"OCA type must be 0, 1, 2 or 3 (IB ocaType), got {req.oca_type!r}")
    tick = req.instrument.min_tick or 0.01
    for name, needed, value in (
        ("Limit price", req.order_type.needs_limit, req.limit_price),
        ("Stop price", req.order_type.needs_stop, req.stop_price),
    ):
        if needed:
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                raise OrderValidationError(f"{name} is required for a {req.order_type.value} order")
            problem = price_problem(name, value, tick)
            if problem:
                raise OrderValidationError(problem)
        elif value is not None:
            raise OrderValidationError(f"A {req.order_type.value} order takes no {name.lower()}")
    return req


@dataclass(slots=True)
class OrderRecord:
    """The terminal's view of one order, merged from openOrder and orderStatus.

    ``order_id`` is the API orderId (unique per client id), ``perm_id`` IB's
    permanent id (0 until TWS assigns it), ``client_id`` the API client that
    placed it (0 for TWS manual orders). Quantities in shares; prices in
    instrument currency; ``created``/``updated`` UTC. ``message`` holds the last
    error or warning text the gateway sent for this order.
    """

    order_id: int
    perm_id: int
    client_id: int
    instrument: Instrument
    action: Action
    quantity: float
    order_type: OrderType | str
    limit_price: float | None
    stop_price: float | None
    tif: str
    status: OrderStatus
    filled: float = 0.0
    remaining: float = 0.0
    avg_fill_price: float = 0.0
    last_fill_price: float = 0.0
    created: datetime | None = None
    updated: datetime | None = None
    message: str = ""
    account: str = ""

    @property
    def is_working(self) -> bool:
        """True while the order may still fill or be modified/cancelled."""
        return self.status in WORKING_STATUSES

    def copy(self, **changes) -> "OrderRecord":
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill (IB ``Execution`` plus its ``CommissionReport``).

    ``side`` is IB's "BOT" or "SLD"; ``shares`` and ``cum_qty`` in shares;
    ``price`` / ``avg_price`` in instrument currency; ``commission`` in
    ``commission_currency`` (None until the commission report arrives);
    ``time`` UTC.
    """

    exec_id: str
    time: datetime
    order_id: int
    perm_id: int
    client_id: int
    instrument: Instrument
    side: str
    shares: float
    price: float
    cum_qty: float
    avg_price: float
    account: str = ""
    commission: float | None = None
    commission_currency: str = ""
    realized_pnl: float | None = None


@dataclass(frozen=True, slots=True)
class WhatIf:
    """Margin and commission impact of an order, as the gateway previews it
    (IB placeOrder with ``whatIf=True``, answered by openOrder's ``OrderState``;
    ib_async ``IB.whatIfOrderAsync``).

    ``init_margin_change`` / ``maint_margin_change`` / ``equity_with_loan_change``
    are the changes of InitMarginReq / MaintMarginReq / EquityWithLoanValue in the
    account's base currency; ``*_after`` the values after the order;
    ``commission`` (with ``min_commission`` / ``max_commission`` when IB gives a
    range) in ``commission_currency``; ``warning`` IB's warningText. Every number
    is None when the gateway gives none (IB's unset markers).
    """

    init_margin_change: float | None = None
    maint_margin_change: float | None = None
    equity_with_loan_change: float | None = None
    init_margin_after: float | None = None
    maint_margin_after: float | None = None
    equity_with_loan_after: float | None = None
    commission: float | None = None
    min_commission: float | None = None
    max_commission: float | None = None
    commission_currency: str = ""
    warning: str = ""
