"""Orders, order states and executions, with IB's names.

Sources: IB API docs "Order Types", "Order Management" and "Possible Order
States" (PendingSubmit, PendingCancel, PreSubmitted, Submitted, ApiCancelled,
Cancelled, Filled, Inactive); ib_async ``OrderStatus`` (adds ApiPending and
ValidationError).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from app.domain.instruments import Instrument


class Action(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    """Order types the terminal places (IB ``Order.orderType`` strings; IB "Order Types"
    pages: Market, Limit, Stop, Stop Limit, Trailing Stop, Trailing Stop Limit, Market on
    Close, Limit on Close, Market if Touched, Limit if Touched)."""

    MKT = "MKT"
    LMT = "LMT"
    STP = "STP"
    STP_LMT = "STP LMT"
    TRAIL = "TRAIL"
    TRAIL_LIMIT = "TRAIL LIMIT"
    MOC = "MOC"
    LOC = "LOC"
    MIT = "MIT"
    LIT = "LIT"

    @property
    def needs_limit(self) -> bool:
        """True when the type carries a limit price (IB ``lmtPrice``): LMT, STP LMT, LOC, LIT.
        (TRAIL LIMIT works its limit at ``lmtPriceOffset`` from the moving stop instead.)"""
        return self in (OrderType.LMT, OrderType.STP_LMT, OrderType.LOC, OrderType.LIT)

    @property
    def needs_stop(self) -> bool:
        """True when the type carries a trigger price in IB ``auxPrice``: the stop of STP and
        STP LMT, the touch price of MIT and LIT. (TRAIL's auxPrice is a distance.)"""
        return self in (OrderType.STP, OrderType.STP_LMT, OrderType.MIT, OrderType.LIT)

    @property
    def is_trailing(self) -> bool:
        """TRAIL and TRAIL LIMIT: the stop follows the market by an amount or a percent."""
        return self in (OrderType.TRAIL, OrderType.TRAIL_LIMIT)

    @property
    def at_close(self) -> bool:
        """MOC and LOC: executed in the closing auction."""
        return self in (OrderType.MOC, OrderType.LOC)

    @property
    def stop_name(self) -> str:
        """What ``auxPrice`` is called for this type: "Trigger price" (MIT, LIT) or "Stop price"."""
        return "Trigger price" if self in (OrderType.MIT, OrderType.LIT) else "Stop price"


class TimeInForce(StrEnum):
    """IB ``Order.tif`` values the terminal offers (IB "Time in Force"): DAY, GTC, IOC
    (fill what can fill at once, cancel the rest), FOK (fill all at once or cancel), GTD
    (until ``goodTillDate``), OPG (the opening auction: MKT -> MOO, LMT -> LOO)."""

    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTD = "GTD"
    OPG = "OPG"


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
    instrument currency (IB ``lmtPrice`` / ``auxPrice``; ``stop_price`` is the stop of
    STP / STP LMT and the touch price of MIT / LIT); the price a type does not use must be
    None. ``oca_group`` (IB ``ocaGroup``, "" = none) joins the order to a One-Cancels-All
    group; ``oca_type`` is IB's ``ocaType`` (0 = not set, 1 = cancel the other orders with
    block, 2 = reduce the others with block, 3 = reduce without block; IB API docs
    "One-Cancels-All (OCA)").

    Trailing orders (TRAIL, TRAIL LIMIT; IB "Trailing Stop"): ``trailing_amount`` (instrument
    currency, sent as ``auxPrice``) or ``trailing_percent`` (% of the price, IB
    ``trailingPercent``), exactly one; ``trail_stop_price`` the optional initial stop (IB
    ``trailStopPrice``); TRAIL LIMIT also ``limit_offset`` (IB ``lmtPriceOffset``: the limit
    works this far beyond the stop). ``good_till`` (tz-aware) is the expiry of a GTD order
    (IB ``goodTillDate``, see :func:`ib_good_till`). ``outside_rth`` is IB ``outsideRth``.
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
    trailing_amount: float | None = None
    trailing_percent: float | None = None
    trail_stop_price: float | None = None
    limit_offset: float | None = None
    good_till: datetime | None = None

    def describe(self) -> str:
        """The order in words: "BUY 100 AAPL LMT 187.50 DAY", "SELL 100 AAPL TRAIL 1.50 GTC
        outside RTH", "BUY 100 AAPL LIT trigger 187.00 limit 187.10 GTD 2026-12-08 16:00
        America/New_York"."""
        tick = self.instrument.min_tick
        ot = self.order_type
        parts = [self.action.value, _fmt_qty(self.quantity), self.instrument.display_symbol, ot.value]
        if ot.needs_stop and self.stop_price is not None:
            parts.append(f"{'trigger' if ot.stop_name == 'Trigger price' else 'stop'} "
                         f"{_fmt_price(self.stop_price, tick)}")
        if ot.needs_limit and self.limit_price is not None:
            parts.append(f"{'limit ' if ot.needs_stop else ''}"
                         f"{_fmt_price(self.limit_price, tick)}")
        if ot.is_trailing:
            if self.trailing_percent is not None:
                parts.append(f"{_fmt_num(self.trailing_percent)} %")
            elif self.trailing_amount is not None:
                parts.append(_fmt_price(self.trailing_amount, tick))
            if self.trail_stop_price is not None:
                parts.append(f"stop {_fmt_price(self.trail_stop_price, tick)}")
            if self.limit_offset is not None:
                parts.append(f"offset {_fmt_price(self.limit_offset, tick)}")
        parts.append(self.tif.value)
        if self.good_till is not None:   # what was asked, also on a request that is not valid
            parts.append(fmt_good_till(self.good_till))
        if self.outside_rth:
            parts.append("outside RTH")
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


def _fmt_num(x: float) -> str:
    """A plain number as typed: 2 -> "2", 1.5 -> "1.5" (no exponent below 1e15)."""
    if abs(x) >= _PLAIN_LIMIT:
        return f"{x:.6g}"
    return format(Decimal(repr(float(x))).normalize(), "f")


def zone_name(t: datetime) -> str:
    """The zone of a tz-aware datetime as IB writes it: the IANA key ("America/New_York",
    "US/Eastern"), "UTC" for UTC, else the tzname ("CET"), else the offset ("UTC+0100")."""
    key = getattr(t.tzinfo, "key", None)
    if key:
        return key
    if t.utcoffset() == timedelta(0):
        return "UTC"
    return t.tzname() or t.strftime("UTC%z")


def ib_good_till(t: datetime) -> str:
    """IB ``goodTillDate`` text of a tz-aware expiry: "YYYYMMDD-HH:MM:SS" in UTC for a UTC
    time, else "YYYYMMDD HH:MM:SS <IANA zone>" (IB API docs "Orders", date/time fields since
    TWS 10.17: UTC "yyyymmdd-hh:mm:ss" or exchange/operator zone "yyyymmdd hh:mm:ss zone").
    A fixed-offset zone without a name is converted to UTC. Raises ``ValueError`` for a
    naive datetime."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("goodTillDate needs a time zone")
    if getattr(t.tzinfo, "key", None) is None:
        return t.astimezone(timezone.utc).strftime("%Y%m%d-%H:%M:%S")
    return f"{t.strftime('%Y%m%d %H:%M:%S')} {t.tzinfo.key}"


def fmt_good_till(t: datetime) -> str:
    """A GTD expiry as a trader reads it: "2026-12-08 16:00 America/New_York" (seconds only
    when not zero)."""
    fmt = "%Y-%m-%d %H:%M" + (":%S" if t.second else "")
    return f"{t.strftime(fmt)} {zone_name(t)}"


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
    quantity, or None: it must be a finite number > 0, whole shares for stocks, whole
    contracts for options and futures (IB trades no fractions of a contract).

    Shared by :func:`validate_order_request` and the modify command (app.commands).
    """
    q = quantity
    if q is None or isinstance(q, bool) or not isinstance(q, (int, float)) or not math.isfinite(q):
        return f"Quantity must be a number, got {q!r}"
    if q <= 0:
        return f"Quantity must be positive, got {_fmt_qty(q)}"
    if instrument.sec_type == "STK" and not float(q).is_integer():
        return f"Stock quantity must be whole shares, got {q}"
    if instrument.sec_type in ("OPT", "FUT") and not float(q).is_integer():
        kind = "Option" if instrument.sec_type == "OPT" else "Future"
        return f"{kind} quantity must be whole contracts, got {q}"
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


#: the order types an OPG (opening auction) order may have: MKT (MOO) and LMT (LOO)
OPG_TYPES = frozenset({OrderType.MKT, OrderType.LMT})
#: order types that wait for a trigger or an auction, so IOC / FOK would cancel them unfilled
_WAITING_TYPES = frozenset({OrderType.STP, OrderType.STP_LMT, OrderType.TRAIL, OrderType.TRAIL_LIMIT,
                            OrderType.MIT, OrderType.LIT})


def outside_rth_problem(order_type: OrderType, tif: TimeInForce) -> str | None:
    """Why ``outsideRth`` cannot apply to an order of ``order_type`` / ``tif`` (None when it can).

    IB ignores outsideRth for market orders on most exchanges (warning 2109, "Outside
    Regular Trading Hours is ignored based on the order type and destination"): a MKT order
    waits for the regular session. MOC / LOC and OPG orders execute only in an auction.
    """
    if order_type is OrderType.MKT:
        return ("Outside RTH does not apply to a MKT order: IB fills market orders in regular "
                "trading hours only (use a LMT order outside RTH)")
    if order_type.at_close:
        return f"Outside RTH does not apply to a {order_type.value} order: it executes in the closing auction"
    if tif is TimeInForce.OPG:
        return "Outside RTH does not apply to an OPG order: it executes in the opening auction"
    return None


def tif_problem(order_type: OrderType, tif: TimeInForce, sec_type: str) -> str | None:
    """Why ``tif`` cannot go with ``order_type`` on an instrument of ``sec_type`` (None when
    it can). IB "Time in Force" and the order-type pages: MOC / LOC are DAY orders; OPG is
    for MKT and LMT only; auctions (MOC, LOC, OPG) exist for stocks, not FX; IOC / FOK
    act at once, so an order that waits for a trigger (STP, TRAIL, MIT, ...) would be
    cancelled before it triggers."""
    if (order_type.at_close or tif is TimeInForce.OPG) and sec_type != "STK":
        what = order_type.value if order_type.at_close else "OPG"
        return f"{what} orders are for stocks: FX has no opening or closing auction"
    if order_type.at_close and tif is not TimeInForce.DAY:
        return (f"A {order_type.value} order must be a DAY order (it executes in today's closing "
                f"auction), not {tif.value}")
    if tif is TimeInForce.OPG and order_type not in OPG_TYPES:
        return f"OPG (the opening auction) is for MKT and LMT orders only, not {order_type.value}"
    if tif in (TimeInForce.IOC, TimeInForce.FOK) and order_type in _WAITING_TYPES:
        return (f"{tif.value} fills at once or cancels, but a {order_type.value} order waits for its "
                "trigger: it would be cancelled before it triggers (use DAY or GTC)")
    return None


def good_till_problem(tif: TimeInForce, good_till, now: datetime) -> str | None:
    """Why ``good_till`` is not a usable expiry for ``tif`` at ``now`` (UTC), or None: a GTD
    order needs a tz-aware expiry after ``now`` (IB rejects a goodTillDate in the past);
    any other TIF takes none."""
    if tif is not TimeInForce.GTD:
        if good_till is not None:
            return f"Only a GTD order takes an expiry date and time (TIF is {tif.value})"
        return None
    if good_till is None:
        return "A GTD order needs the date and time it expires"
    if not isinstance(good_till, datetime) or good_till.tzinfo is None or good_till.utcoffset() is None:
        return "The GTD expiry needs a time zone"
    if good_till <= now:
        return f"The GTD expiry {fmt_good_till(good_till)} is not in the future"
    return None


def _trailing_problems(req: OrderRequest, tick: float) -> str | None:
    """The trailing fields of ``req``: TRAIL / TRAIL LIMIT need exactly one of trailing amount
    (on the tick) and trailing percent (above 0, below 100); the initial stop is optional;
    TRAIL LIMIT needs a limit offset of 0 or more, on the tick. Other types take none."""
    ot = req.order_type
    fields = (("trailing amount", req.trailing_amount), ("trailing percent", req.trailing_percent),
              ("trail stop price", req.trail_stop_price), ("limit offset", req.limit_offset))
    if not ot.is_trailing:
        for name, value in fields:
            if value is not None:
                return f"A {ot.value} order takes no {name}"
        return None
    amount, pct = req.trailing_amount, req.trailing_percent
    if amount is None and pct is None:
        return f"A {ot.value} order needs a trailing amount or a trailing percent"
    if amount is not None and pct is not None:
        return "Give a trailing amount or a trailing percent, not both"
    if amount is not None:
        problem = price_problem("Trailing amount", amount, tick)
        if problem:
            return problem
    elif isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 < pct < 100:
        return f"Trailing percent must be above 0 and below 100, got {pct!r}"
    if req.trail_stop_price is not None:
        problem = price_problem("Trail stop price", req.trail_stop_price, tick)
        if problem:
            return problem
    off = req.limit_offset
    if ot is not OrderType.TRAIL_LIMIT:
        if off is not None:
            return "A TRAIL order takes no limit offset (TRAIL LIMIT does)"
        return None
    if off is None:
        return "A TRAIL LIMIT order needs a limit offset (how far beyond the stop the limit is)"
    if off != 0:
        problem = price_problem("Limit offset", off, tick)
        if problem:
            return problem
    return None


def validate_order_request(req: OrderRequest, now: datetime | None = None) -> OrderRequest:
    """Check an order request against IB's order rules.

    Rules: quantity positive, finite, whole for stocks; ocaType 0-3; LMT, STP LMT, LOC and
    LIT need a positive limit price, STP and STP LMT a stop price and MIT / LIT a trigger
    price, on the instrument's tick (IB rejects off-tick prices, error 110); MKT, MOC and
    TRAIL carry no price; the trailing fields (:func:`_trailing_problems`); TIF with type
    and instrument (:func:`tif_problem`); a GTD expiry after ``now`` (default: the current
    UTC time; :func:`good_till_problem`); outside RTH only where it applies
    (:func:`outside_rth_problem`). Returns the request; raises ``OrderValidationError``
    naming the field and value otherwise. Source: IB API docs "Order Types" (required
    fields), "Time in Force".
    """
    problem = quantity_problem(req.quantity, req.instrument)
    if problem:
        raise OrderValidationError(problem)
    if not isinstance(req.oca_group, str):
        raise OrderValidationError(f"OCA group must be text, got {req.oca_group!r}")
    if isinstance(req.oca_type, bool) or req.oca_type not in (0, 1, 2, 3):
        raise OrderValidationError(f"OCA type must be 0, 1, 2 or 3 (IB ocaType), got {req.oca_type!r}")
    tick = req.instrument.min_tick or 0.01
    ot = req.order_type
    for name, needed, value in (
        ("Limit price", ot.needs_limit, req.limit_price),
        (ot.stop_name, ot.needs_stop, req.stop_price),
    ):
        if needed:
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                raise OrderValidationError(f"{name} is required for a {ot.value} order")
            problem = price_problem(name, value, tick)
            if problem:
                raise OrderValidationError(problem)
        elif value is not None:
            raise OrderValidationError(f"A {ot.value} order takes no {name.lower()}")
    problem = (_trailing_problems(req, tick) or tif_problem(ot, req.tif, req.instrument.sec_type)
               or good_till_problem(req.tif, req.good_till, now or datetime.now(timezone.utc)))
    if problem:
        raise OrderValidationError(problem)
    if req.outside_rth:
        problem = outside_rth_problem(ot, req.tif)
        if problem:
            raise OrderValidationError(problem)
    return req


def bracket_children(req: OrderRequest, take_profit: float | None,
                     stop_loss: float | None) -> list[OrderRequest]:
    """The child orders of a bracket on ``req`` (IB "Bracket Orders"; ib_async
    ``IB.bracketOrder``): a take-profit LMT at ``take_profit`` and a stop-loss STP at
    ``stop_loss`` (instrument currency; None = no such child) on the other side, with the
    parent's quantity, TIF, GTD expiry and outside RTH."""
    other = Action.SELL if req.action is Action.BUY else Action.BUY
    out = []
    for otype, price, key in ((OrderType.LMT, take_profit, "limit_price"),
                              (OrderType.STP, stop_loss, "stop_price")):
        if price is not None:
            out.append(OrderRequest(req.instrument, other, req.quantity, otype, tif=req.tif,
                                    outside_rth=req.outside_rth, good_till=req.good_till,
                                    **{key: price}))
    return out


@dataclass(slots=True)
class OrderRecord:
    """The terminal's view of one order, merged from openOrder and orderStatus.

    ``order_id`` is the API orderId (unique per client id), ``perm_id`` IB's
    permanent id (0 until TWS assigns it), ``client_id`` the API client that
    placed it (0 for TWS manual orders). Quantities in shares; prices in
    instrument currency; ``created``/``updated`` UTC. ``message`` holds the last
    error or warning text the gateway sent for this order. ``stop_price`` is IB's
    ``auxPrice`` for STP / STP LMT / MIT / LIT and the current stop (``trailStopPrice``) of a
    TRAIL / TRAIL LIMIT order; ``trailing_amount`` / ``trailing_percent`` /
    ``limit_offset`` as in :class:`OrderRequest`; ``good_till`` IB's ``goodTillDate`` text.
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
    outside_rth: bool = False
    trailing_amount: float | None = None
    trailing_percent: float | None = None
    limit_offset: float | None = None
    good_till: str = ""

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
