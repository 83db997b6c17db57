"""Order commands (the trader's intents) and their result.

Every order action of the terminal is one of these frozen dataclasses, checked
and executed by ``OrderCommands.execute`` (DESIGN.md, "user intent ->
app.commands"). Quantities in shares (FX: base currency units), prices in the
instrument's currency, instrument keys are ``Instrument.key`` (conId as text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.domain import OrderRecord, OrderRequest
from app.commands.validation import fmt_number
from app.domain.orders import price_text


@dataclass(frozen=True)
class PlaceOrder:
    """Send a new order (IB placeOrder with a new orderId). ``source`` names who sent it
    when it is not the trader's click (e.g. "strategy sma_cross AAPL 5 mins"); it is written
    into every journal entry of the command ("" = the trader)."""

    request: OrderRequest
    source: str = ""


@dataclass(frozen=True)
class PlaceBracket:
    """A parent order with a take-profit LMT and/or a stop-loss STP child on the other
    side, same quantity and TIF (IB "Bracket Orders"; ib_async ``IB.bracketOrder``).

    ``take_profit`` / ``stop_loss`` are prices in instrument currency (None = leave
    that child out; at least one is required). The children carry parentId and
    join one OCA group, so a fill of one cancels the other; only the last order
    is transmitted, so the gateway holds the family until it is complete.
    """

    request: OrderRequest
    take_profit: float | None = None
    stop_loss: float | None = None


@dataclass(frozen=True)
class ModifyOrder:
    """Change a working order of this client (IB placeOrder with the same orderId).

    ``quantity`` in shares, prices in instrument currency; None = unchanged.
    ``stop_price`` is the auxPrice of STP / STP LMT (stop) and MIT / LIT (trigger);
    ``trailing_amount`` the auxPrice of a TRAIL / TRAIL LIMIT order that trails by an
    amount (IB recomputes the stop from the market).
    """

    order_id: int
    quantity: float | None = None
    limit_price: float | None = None
    stop_price: float | None = None
    trailing_amount: float | None = None


@dataclass(frozen=True)
class CancelOrder:
    """Cancel a working order of this client (IB cancelOrder); ``source`` as in
    :class:`PlaceOrder`."""

    order_id: int
    source: str = ""


@dataclass(frozen=True)
class CancelAll:
    """Cancel every working order of this client (one IB cancelOrder each), or only
    those of ``instrument_key`` (``Instrument.key``) when given."""

    instrument_key: str | None = None


@dataclass(frozen=True)
class GlobalCancel:
    """Cancel every open order of every client and of TWS itself (IB
    reqGlobalCancel). Stronger than ``CancelAll``: the UI must warn."""


@dataclass(frozen=True)
class Flatten:
    """Close the position of ``instrument_key`` (None = every open position) with one
    order per instrument on the other side. ``style`` "MKT" (market order) or
    "LMT" (marketable limit: ask + N ticks for a buy, bid - N ticks for a sell,
    N = ``RiskLimits.flatten_ticks``)."""

    instrument_key: str | None = None
    style: str = "MKT"


@dataclass(frozen=True)
class Reverse:
    """Turn the position of ``instrument_key`` around: one MKT order for twice the
    position on the other side (long 100 -> SELL 200 -> short 100)."""

    instrument_key: str


@dataclass(frozen=True)
class KillSwitch:
    """Halt trading (new orders refused until ``OrderCommands.halted`` is cleared),
    cancel every working order of this client and, with ``flatten``, close every
    open position with MKT orders."""

    flatten: bool = False


Command = (PlaceOrder | PlaceBracket | ModifyOrder | CancelOrder | CancelAll | GlobalCancel
           | Flatten | Reverse | KillSwitch)


@dataclass(frozen=True)
class CommandResult:
    """Outcome of ``OrderCommands.execute``.

    ``ok`` and a sentence for the trader; ``order`` the new/updated record on
    success (the existing one, if any, on a rejection); ``orders`` every record
    sent by a command that sends several orders (bracket, bulk commands).
    On a rejection ``rule`` names the rule and ``soft=True`` means the trader may
    override it (re-run with ``execute(cmd, override=True)``).
    """

    ok: bool
    message: str
    order: OrderRecord | None = None
    orders: tuple[OrderRecord, ...] = ()
    rule: str = ""
    soft: bool = False


def _orders_word(n: int) -> str:
    """"all 3 working orders", but "1 working order" and "0 working orders"."""
    return f"{'all ' if n > 1 else ''}{n} working order{'' if n == 1 else 's'}"


def _symbol_of(key: str | None, session: Any) -> str:
    """The display symbol of an instrument key, from the session's orders/positions."""
    if key is None:
        return ""
    if session is not None:
        for p in session.positions():
            if p.instrument.key == key:
                return p.instrument.display_symbol
        for o in session.orders():
            if o.instrument.key == key:
                return o.instrument.display_symbol
    return f"conId {key}"


def describe_command(cmd: Any, session: Any = None) -> str:
    """The command in words, for confirmations and the journal: "BUY 100 AAPL LMT
    187.50 DAY", "Cancel all 3 working orders of AAPL", "Flatten AAPL (SELL 100 MKT)".

    With ``session`` (the Session contract) the bulk commands count the orders and
    positions they touch; without it they are described generically.
    """
    if isinstance(cmd, PlaceOrder):
        return cmd.request.describe()
    if isinstance(cmd, PlaceBracket):
        parts = [cmd.request.describe()]
        if cmd.take_profit is not None:
            parts.append(f"take profit {fmt_number(cmd.take_profit)}")
        if cmd.stop_loss is not None:
            parts.append(f"stop loss {fmt_number(cmd.stop_loss)}")
        return "Bracket: " + ", ".join(parts)
    if isinstance(cmd, ModifyOrder):
        return f"Modify order {cmd.order_id}: {describe_change(cmd)}"
    if isinstance(cmd, CancelOrder):
        return f"Cancel order {cmd.order_id}"
    if isinstance(cmd, CancelAll):
        sym = _symbol_of(cmd.instrument_key, session)
        of = f" of {sym}" if sym else ""
        if session is None:
            return f"Cancel all working orders{of} of this client"
        cid = session.client_id
        n = sum(1 for o in session.orders() if o.client_id == cid and o.is_working
                and (cmd.instrument_key is None or o.instrument.key == cmd.instrument_key))
        return f"Cancel {_orders_word(n)}{of}"
    if isinstance(cmd, GlobalCancel):
        if session is None:
            return "Global cancel: every open order of every client and of TWS"
        n = sum(1 for o in session.orders() if o.is_working)
        return f"Global cancel: {_orders_word(n)} of every client and of TWS"
    if isinstance(cmd, Flatten):
        style = "market order" if cmd.style == "MKT" else "marketable limit order"
        if cmd.instrument_key is None:
            if session is None:
                return f"Flatten every position with {style}s"
            syms = list(dict.fromkeys(p.instrument.display_symbol for p in session.positions()
                                      if p.quantity))
            if len(syms) == 1:
                return f"Flatten the {syms[0]} position with a {style}"
            listed = f" ({', '.join(syms)})" if syms else ""
            return f"Flatten {'all ' if len(syms) > 1 else ''}{len(syms)} positions{listed} with {style}s"
        return f"Flatten {_symbol_of(cmd.instrument_key, session)} with {style}s"
    if isinstance(cmd, Reverse):
        return f"Reverse the {_symbol_of(cmd.instrument_key, session)} position (2x the other way, MKT)"
    if isinstance(cmd, KillSwitch):
        return ("Kill switch: halt trading, cancel every working order"
                + (" and flatten every position" if cmd.flatten else ""))
    return repr(cmd)


def describe_change(cmd: ModifyOrder, tick: float | None = None) -> str:
    """The changed values of a modification, written exactly: "quantity 200, limit 151.5",
    "quantity 1234567, limit 10234.55, stop 0.00005", "trailing amount 1.25" (never rounded
    to 6 digits). With the instrument's ``tick`` the prices have its decimals ("limit 200.00";
    a price on the tick loses nothing), else they are written as given."""
    def price(v) -> str:
        on_tick = tick and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        return price_text(v, tick) if on_tick else fmt_number(v)

    return ", ".join(f"{name} {fmt(value)}"
                     for name, value, fmt in (("quantity", cmd.quantity, fmt_number),
                                              ("limit", cmd.limit_price, price),
                                              ("stop", cmd.stop_price, price),
                                              ("trailing amount", cmd.trailing_amount, price))
                     if value is not None)
