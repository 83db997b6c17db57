"""Planning of the bulk commands (CancelAll, GlobalCancel, Flatten, Reverse,
KillSwitch): which orders to cancel and which closing orders to send.

Pure functions over ``OrderRecord`` / ``Position`` / ``Quote`` lists; the
sending and the risk checks happen in ``OrderCommands``. Quantities in shares
(FX: base units), prices in instrument currency.

Which pre-trade rules the orders of a bulk command pass (``BULK_SKIP``):

- Flatten: max order quantity, max notional,
  max position and max orders per minute are NOT applied: the size is set by
  the position and closing risk must never be blocked by a size or rate limit.
  The price band applies to a marketable limit; the duplicate guard applies
  (a second Flatten before the first has filled would open a position the
  other way). Flatten is allowed while halted (it reduces risk).
- Reverse: every rule except max position (|position| stays the same); it is
  a new position, so it is refused while halted.
- The kill switch's closing orders (``KillSwitch(flatten=True)``, MKT): the Flatten
  rules, but soft failures are not overridden (no one is asked) and an order the kill
  switch cancels is no duplicate of its replacement. So an earlier Flatten's closing
  order that is still working is cancelled and replaced, while one that has filled (its
  position not reported yet) is not sent twice: the duplicate is reported instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.commands.validation import CommandRejected, fmt_number
from app.domain import (
    Action, Instrument, OrderRecord, OrderRequest, OrderType, Position, Quote, round_to_tick,
)

#: rules of ``app.commands.risk.evaluate`` skipped for the orders of each bulk command
BULK_SKIP: dict[str, frozenset[str]] = {
    "flatten": frozenset({"max_order_quantity", "max_order_notional", "max_position",
                          "max_orders_per_minute"}),
    "reverse": frozenset({"max_position"}),
}


def cancellable_orders(orders: list[OrderRecord], client_id: int,
                       instrument_key: str | None = None) -> list[OrderRecord]:
    """Working orders placed by ``client_id`` (optionally of one instrument key), oldest
    orderId first. IB: a client can cancel only its own API orders (error 10147)."""
    out = [o for o in orders if o.client_id == client_id and o.is_working and o.order_id > 0
           and (instrument_key is None or o.instrument.key == instrument_key)]
    return sorted(out, key=lambda o: o.order_id)


@dataclass(frozen=True)
class Holding:
    """The net position in one instrument (summed over the session's account rows)."""

    instrument: Instrument
    quantity: float


def holdings(positions: list[Position], account: str = "",
             instrument_key: str | None = None) -> list[Holding]:
    """Net non-zero positions per instrument key, of ``account`` when given (rows of
    other accounts are left out: orders go to the session's account)."""
    net: dict[str, Holding] = {}
    for p in positions:
        if account and p.account and p.account != account:
            continue
        if instrument_key is not None and p.instrument.key != instrument_key:
            continue
        h = net.get(p.instrument.key)
        net[p.instrument.key] = Holding(p.instrument, (h.quantity if h else 0.0) + p.quantity)
    return [h for h in net.values() if h.quantity]


def closing_request(holding: Holding, quantity: float, style: str, quote: Quote | None,
                    ticks: int) -> OrderRequest:
    """One order on the other side of ``holding`` for ``quantity``.

    ``style`` "MKT" -> market order; "LMT" -> marketable limit at ask + ``ticks``
    ticks for a buy, bid - ``ticks`` ticks for a sell (rounded to the min tick).
    Raises ``CommandRejected`` (rule "no_quote") when a marketable limit has no
    NBBO side, or the sell limit would not be positive; rule "invalid_order" for
    an unknown style.
    """
    inst = holding.instrument
    action = Action.SELL if holding.quantity > 0 else Action.BUY
    if style == "MKT":
        return OrderRequest(inst, action, quantity, OrderType.MKT)
    if style != "LMT":
        raise CommandRejected(f"Unknown flatten style {style!r}: use MKT or LMT", rule="invalid_order")
    tick = inst.min_tick or 0.01
    side = None if quote is None else (quote.ask if action is Action.BUY else quote.bid)
    if side is None:
        raise CommandRejected(
            f"Cannot flatten {inst.display_symbol} with a marketable limit: no "
            f"{'ask' if action is Action.BUY else 'bid'} quote to price it from", rule="no_quote")
    price = round_to_tick(side + ticks * tick if action is Action.BUY else side - ticks * tick, tick)
    if price <= 0:
        raise CommandRejected(f"Cannot flatten {inst.display_symbol} with a marketable limit: bid "
                              f"{fmt_number(side)} - {ticks} ticks is not a positive price",
                              rule="no_quote")
    return OrderRequest(inst, action, quantity, OrderType.LMT, limit_price=price)


def reverse_request(holding: Holding) -> OrderRequest:
    """One MKT order for twice the position on the other side."""
    action = Action.SELL if holding.quantity > 0 else Action.BUY
    return OrderRequest(holding.instrument, action, abs(holding.quantity) * 2, OrderType.MKT)
