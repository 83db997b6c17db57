"""The order ticket's fields for the trailing, auction and touch order types and the
time-in-force details (the part of :class:`~app.viewmodels.ticket.TicketModel` that only
some types use), and the order in a trader's words for the confirmation.

Fields (IB names in brackets): trail by amount (``auxPrice``) or percent
(``trailingPercent``), an optional initial stop (``trailStopPrice``), the limit offset of a
TRAIL LIMIT (``lmtPriceOffset``), the GTD expiry (``goodTillDate``) as a local wall time
plus a zone, and outside RTH (``outsideRth``). :meth:`OrderTypeFields.request_fields`
gives the :class:`~app.domain.OrderRequest` keyword arguments the current type and TIF
use, and leaves the others out, so a value typed for one type never travels with another.
Sources: IB "Order Types" (Trailing Stop, Trailing Stop Limit, MOC, LOC, MIT, LIT), IB
"Time in Force".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.domain import Action, OrderRequest, OrderType, Quote, TimeInForce, round_to_tick
from app.domain.orders import fmt_good_till, outside_rth_problem
from app.ui.format import fmt_price, is_missing

#: the zones a GTD expiry may be written in: the US exchanges' zone, UTC (IB's
#: "yyyymmdd-hh:mm:ss" form) and the computer's own (IANA name from the system, if known)
EXCHANGE_ZONE = "America/New_York"
GTD_ZONES: tuple[str, ...] = (EXCHANGE_ZONE, "UTC")
#: the default trailing percent of a new trailing order
DEFAULT_TRAIL_PERCENT = 1.0


def _positive(v) -> float | None:
    return None if v is None or is_missing(v) or v <= 0 else float(v)


def reference_price(quote: Quote | None, sec_type: str) -> float | None:
    """The price a trailing stop follows: the last trade for stocks (IB's default trigger
    method for US stocks), the bid/ask midpoint for FX (no trades); the other when one is
    missing. None without a quote."""
    if quote is None:
        return None
    last = _positive(quote.last)
    bid, ask = _positive(quote.bid), _positive(quote.ask)
    mid = (bid + ask) / 2 if bid is not None and ask is not None else (bid or ask)
    if sec_type == "CASH":
        return mid or last
    return last or mid


def trailing_stop_now(req: OrderRequest, quote: Quote | None) -> float | None:
    """Where the stop of a TRAIL / TRAIL LIMIT order ``req`` starts: its trail stop price when
    given, else the :func:`reference_price` minus the distance for a SELL (plus for a BUY),
    rounded away from the market to the tick. None when not a trailing order or no price."""
    if not req.order_type.is_trailing:
        return None
    if req.trail_stop_price is not None:
        return req.trail_stop_price
    price = reference_price(quote, req.instrument.sec_type)
    if price is None:
        return None
    if req.trailing_percent is not None:
        dist = price * req.trailing_percent / 100
    elif req.trailing_amount is not None:
        dist = req.trailing_amount
    else:
        return None
    tick = req.instrument.min_tick or 0.01
    steps = (math.ceil((price + dist) / tick - 1e-9) if req.action is Action.BUY
             else math.floor((price - dist) / tick + 1e-9))
    return round_to_tick(steps * tick, tick)


def _trail_words(req: OrderRequest, tick: float, stop_now: float | None) -> str:
    away = "above" if req.action is Action.BUY else "below"
    dist = (f"{req.trailing_percent:g} %" if req.trailing_percent is not None
            else fmt_price(req.trailing_amount, tick))
    text = f"trailing stop {dist} {away} the market"
    if stop_now is not None:
        text += f" ({'stop starts at' if req.trail_stop_price is not None else 'stop now'} " \
                f"{fmt_price(stop_now, tick)})"
    if req.order_type is OrderType.TRAIL_LIMIT and req.limit_offset is not None:
        text += f", then a limit {fmt_price(req.limit_offset, tick)} {away} the stop"
    return text


_TIF_WORDS = {
    TimeInForce.DAY: "DAY", TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "immediate or cancel (IOC: what does not fill at once is cancelled)",
    TimeInForce.FOK: "fill or kill (FOK: all at once or nothing)",
    TimeInForce.OPG: "in the opening auction (OPG)",
}


def explain(req: OrderRequest, quote: Quote | None = None) -> str:
    """The order as a trader reads it, for the confirmation: "Sell 100 AAPL trailing stop
    1.50 below the market (stop now 187.20), GTC, outside RTH", "Buy 100 AAPL at the market
    on the close (MOC), DAY", "Sell 100 AAPL limit 188.10 once the market touches 188.00
    (LIT), good till 2026-12-08 16:00 America/New_York (GTD)". Prices with the instrument's
    tick; ``quote`` gives a trailing order's current stop."""
    tick = req.instrument.min_tick or 0.01
    ot = req.order_type
    lmt = fmt_price(req.limit_price, tick) if req.limit_price is not None else "?"
    aux = fmt_price(req.stop_price, tick) if req.stop_price is not None else "?"
    what = {
        OrderType.MKT: "at the market",
        OrderType.LMT: f"limit {lmt}",
        OrderType.STP: f"stop {aux} (then at the market)",
        OrderType.STP_LMT: f"stop {aux}, then limit {lmt}",
        OrderType.MOC: "at the market on the close (MOC)",
        OrderType.LOC: f"limit {lmt} on the close (LOC)",
        OrderType.MIT: f"at the market once it touches {aux} (MIT)",
        OrderType.LIT: f"limit {lmt} once the market touches {aux} (LIT)",
    }.get(ot)
    if what is None:   # TRAIL, TRAIL LIMIT
        what = _trail_words(req, tick, trailing_stop_now(req, quote))
    if req.tif is TimeInForce.GTD:
        tif = f"good till {fmt_good_till(req.good_till) if req.good_till else '?'} (GTD)"
    else:
        tif = _TIF_WORDS[req.tif]
    qty = f"{req.quantity:,.0f}" if float(req.quantity).is_integer() else f"{req.quantity:,}"
    text = f"{req.action.value.capitalize()} {qty} {req.instrument.display_symbol} {what}, {tif}"
    return text + (", outside RTH" if req.outside_rth else "")


def plain_order(req: OrderRequest) -> bool:
    """True for the orders the ticket always described as IB writes them (MKT, LMT, STP,
    STP LMT; DAY or GTC; regular hours): their confirmation keeps that form."""
    return (req.order_type in (OrderType.MKT, OrderType.LMT, OrderType.STP, OrderType.STP_LMT)
            and req.tif in (TimeInForce.DAY, TimeInForce.GTC) and not req.outside_rth)


class OrderTypeFields:
    """The values of the type-specific ticket fields; ``on_change()`` runs after each change.

    ``trail_by`` "amount" or "percent"; ``trailing_amount`` / ``trail_stop_price`` /
    ``limit_offset`` in instrument currency (None = empty); ``trailing_percent`` in %;
    ``expiry`` a naive wall time read in ``expiry_zone`` (an IANA name); ``outside_rth``.
    """

    def __init__(self, on_change: Callable[[], None] = lambda: None):
        self._on_change = on_change
        self.trail_by = "amount"
        self.trailing_amount: float | None = None
        self.trailing_percent: float | None = DEFAULT_TRAIL_PERCENT
        self.trail_stop_price: float | None = None
        self.limit_offset: float | None = None
        self.expiry: datetime | None = None
        self.expiry_zone = EXCHANGE_ZONE
        self.outside_rth = False

    def set(self, name: str, value) -> None:
        """Set field ``name`` (``AttributeError`` for an unknown one); ``trail_by`` must be
        "amount" or "percent" and ``expiry_zone`` a zone ``ZoneInfo`` knows (``ValueError``)."""
        if not hasattr(self, name) or name.startswith("_"):
            raise AttributeError(f"no ticket field {name!r}")
        if name == "trail_by" and value not in ("amount", "percent"):
            raise ValueError(f"trail by 'amount' or 'percent', not {value!r}")
        if name == "expiry_zone":
            try:
                ZoneInfo(value)
            except (ValueError, KeyError, TypeError):   # ZoneInfoNotFoundError is a KeyError
                raise ValueError(f"unknown time zone {value!r}") from None
        if getattr(self, name) != value:
            setattr(self, name, value)
            self._on_change()

    def good_till(self) -> datetime | None:
        """The GTD expiry as a tz-aware datetime (``expiry`` read in ``expiry_zone``), or None."""
        if self.expiry is None:
            return None
        return self.expiry.replace(tzinfo=ZoneInfo(self.expiry_zone))

    def request_fields(self, order_type: OrderType, tif: TimeInForce) -> dict:
        """The ``OrderRequest`` keyword arguments ``order_type`` and ``tif`` use: the trailing
        distance (amount or percent, the one chosen), the initial stop, the TRAIL LIMIT
        offset, the GTD expiry, and outside RTH where it applies (a box ticked for a LMT
        order does not travel with a MKT order: IB would ignore it, warning 2109)."""
        out: dict = {}
        if order_type.is_trailing:
            if self.trail_by == "percent":
                out["trailing_percent"] = self.trailing_percent
            else:
                out["trailing_amount"] = self.trailing_amount
            out["trail_stop_price"] = self.trail_stop_price
            if order_type is OrderType.TRAIL_LIMIT:
                out["limit_offset"] = self.limit_offset
        if tif is TimeInForce.GTD:
            out["good_till"] = self.good_till()
        if self.outside_rth and outside_rth_problem(order_type, tif) is None:
            out["outside_rth"] = True
        return out

    def prefill(self, order_type: OrderType, price: float | None, tick: float) -> bool:
        """Fill empty trailing fields from ``price`` (the market): amount 1 % of it, the
        TRAIL LIMIT offset 0.1 %, each at least one tick and on it; the expiry at the end of
        today's session (16:00 New York, tomorrow once that has passed). True if anything
        changed (no ``on_change`` call: the caller emits once)."""
        changed = False
        price = _positive(price)
        if order_type.is_trailing and price is not None:
            if self.trailing_amount is None:
                self.trailing_amount = max(tick, round_to_tick(price * 0.01, tick))
                changed = True
            if order_type is OrderType.TRAIL_LIMIT and self.limit_offset is None:
                self.limit_offset = max(tick, round_to_tick(price * 0.001, tick))
                changed = True
        return changed

    def default_expiry(self, now: datetime) -> datetime:
        """The next 16:00 in ``expiry_zone`` after ``now`` (tz-aware), as a naive wall time."""
        local = now.astimezone(ZoneInfo(self.expiry_zone)).replace(tzinfo=None)
        close = local.replace(hour=16, minute=0, second=0, microsecond=0)
        return close if close > local else close + timedelta(days=1)
