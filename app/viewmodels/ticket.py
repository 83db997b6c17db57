"""The order ticket's view-model: the order being composed, its validation and transmission.

Holds the fields of one order (instrument, BUY/SELL, quantity in shares, order
type MKT/LMT/STP/STP LMT, limit and stop price in instrument currency, TIF
DAY/GTC), keeps the instrument's live bid/ask from ``Session.quotesEvent``
(holding one counted quote subscription for its instrument),
and says at every moment whether the order is valid and why not
(:meth:`TicketModel.problem`) using the same rules as the command layer:
``validate_order_request`` (IB "Order Types" required fields, tick size) and
``OrderCommands.check`` (connected, not read-only). Transmission goes through
``OrderCommands.execute(PlaceOrder(...))`` only, never the session directly.
"""

from __future__ import annotations

import logging
import math

from PySide6.QtCore import QObject, Signal

from app.commands import CommandRejected, CommandResult, PlaceOrder
from app.domain import (
    Action, Instrument, OrderRequest, OrderType, OrderValidationError, Quote, TimeInForce,
    round_to_tick, validate_order_request,
)
from app.ui.format import is_missing

log = logging.getLogger(__name__)


class TicketModel(QObject):
    """State of the order ticket.

    ``session`` follows the Session contract (``resolve``, ``quote``,
    ``quotesEvent``); ``commands`` is an ``OrderCommands``. Signals:
    ``changed()`` after any field change, ``quoteChanged()`` when bid/ask of
    the current instrument change, ``transmitted(ok: bool, message: str)``
    after :meth:`transmit`.
    """

    changed = Signal()
    quoteChanged = Signal()
    transmitted = Signal(bool, str)

    def __init__(self, session, commands, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.commands = commands
        self.instrument: Instrument | None = None
        self.action = Action.BUY
        self.quantity: float = 100.0
        self.order_type = OrderType.LMT
        self.limit_price: float | None = None
        self.stop_price: float | None = None
        self.tif = TimeInForce.DAY
        self.quote: Quote | None = None
        self._subscribed: Instrument | None = None
        session.quotesEvent += self._on_quotes
        session.stateEvent += self._on_state

    def close(self) -> None:
        """Release the quote subscription and stop listening to the session."""
        self._release_quotes()
        self.session.quotesEvent -= self._on_quotes
        self.session.stateEvent -= self._on_state

    def _release_quotes(self) -> None:
        if self._subscribed is not None:
            try:
                self.session.unsubscribe_quotes(self._subscribed)
            except Exception as e:  # a failed cancelMktData must not block the ticket
                log.warning("ticket: unsubscribe %s failed: %s", self._subscribed.display_symbol, e)
            self._subscribed = None

    def _on_state(self, state, message: str = "") -> None:
        self.changed.emit()  # connected or not changes whether the order can go

    # ---- fields -------------------------------------------------------------
    @property
    def tick(self) -> float:
        """Price increment of the instrument (0.01 until one is set)."""
        return (self.instrument.min_tick if self.instrument else 0) or 0.01

    def set_instrument(self, instrument: Instrument) -> None:
        """Use ``instrument`` (resolved, con_id set); prices are re-prefilled from its quote."""
        if self.instrument == instrument:
            return
        self._release_quotes()
        self.instrument = instrument
        if instrument.con_id:
            self.session.subscribe_quotes(instrument)  # counted by the Session
            self._subscribed = instrument
        self.quote = self.session.quote(instrument.key) if instrument.con_id else None
        self.limit_price = None
        self.stop_price = None
        self._prefill_prices()
        self.quoteChanged.emit()
        self.changed.emit()

    async def set_symbol_text(self, text: str) -> Instrument:
        """Resolve typed text (IB reqContractDetails via ``Session.resolve``) and use it.

        Raises ``ValueError`` with a message for the user: malformed text,
        "No security definition for 'XYZ'" (IB error 200), or not connected.
        """
        inst = Instrument.parse(text)  # ValueError with the reason for malformed text
        if self.instrument is not None and self.instrument.display_symbol == inst.display_symbol:
            return self.instrument
        if not getattr(self.session, "is_connected", False):
            raise ValueError(f"Cannot look up {inst.display_symbol}: not connected")
        try:
            resolved = await self.session.resolve(inst)
        except LookupError:
            raise ValueError(f"No security definition for '{inst.display_symbol}'") from None
        except ConnectionError as e:
            raise ValueError(f"Cannot look up {inst.display_symbol}: {e}") from None
        self.set_instrument(resolved)
        return resolved

    def set_action(self, action: Action | str) -> None:
        """BUY or SELL (``ValueError`` for other text)."""
        action = Action(action)
        if action is not self.action:
            self.action = action
            self.changed.emit()

    def set_quantity(self, quantity: float) -> None:
        """Quantity in shares (FX: base currency units); checked by :meth:`problem`."""
        if quantity != self.quantity:
            self.quantity = quantity
            self.changed.emit()

    def set_order_type(self, order_type: OrderType | str) -> None:
        """MKT, LMT, STP or "STP LMT" (``ValueError`` otherwise); prefills a needed price."""
        order_type = OrderType(order_type)
        if order_type is not self.order_type:
            self.order_type = order_type
            self._prefill_prices()
            self.changed.emit()

    def set_limit_price(self, price: float | None) -> None:
        """Limit price (IB ``lmtPrice``) in instrument currency; None = not set."""
        if price != self.limit_price:
            self.limit_price = price
            self.changed.emit()

    def set_stop_price(self, price: float | None) -> None:
        """Stop trigger price (IB ``auxPrice``) in instrument currency; None = not set."""
        if price != self.stop_price:
            self.stop_price = price
            self.changed.emit()

    def set_tif(self, tif: TimeInForce | str) -> None:
        """Time in force: DAY or GTC (``ValueError`` otherwise)."""
        tif = TimeInForce(tif)
        if tif is not self.tif:
            self.tif = tif
            self.changed.emit()

    def prefill(self, action: Action | str, order_type: OrderType | str, price: float | None) -> None:
        """Set side, type and price at once (e.g. from a chart right-click at ``price``).

        ``price`` (instrument currency) is rounded to the tick and goes to the
        limit price for LMT, the stop price for STP, both for STP LMT; it is
        ignored for MKT.
        """
        self.action = Action(action)
        self.order_type = OrderType(order_type)
        if price is not None and not is_missing(price) and price > 0:
            p = round_to_tick(price, self.tick)
            self.limit_price = p if self.order_type.needs_limit else self.limit_price
            self.stop_price = p if self.order_type.needs_stop else self.stop_price
        self._prefill_prices()
        self.changed.emit()

    def _prefill_prices(self) -> None:
        """Fill a needed but empty price from the quote: limit at the passive side
        (BUY: bid, SELL: ask), stop at the other side; falls back to last/mark."""
        q = self.quote
        if q is None:
            return
        mark = q.mark
        bid = q.bid if not is_missing(q.bid) and q.bid > 0 else mark
        ask = q.ask if not is_missing(q.ask) and q.ask > 0 else mark
        passive, aggressive = (bid, ask) if self.action is Action.BUY else (ask, bid)
        if self.order_type.needs_limit and self.limit_price is None and passive:
            self.limit_price = round_to_tick(passive, self.tick)
        if self.order_type.needs_stop and self.stop_price is None and aggressive:
            self.stop_price = round_to_tick(aggressive, self.tick)

    # ---- quotes ---------------------------------------------------------------
    def _on_quotes(self, quotes: list[Quote]) -> None:
        if self.instrument is None:
            return
        key = self.instrument.key
        for q in quotes:
            if q.key == key:
                first = self.quote is None
                self.quote = q
                if first:
                    self._prefill_prices()
                    self.changed.emit()
                self.quoteChanged.emit()

    @property
    def bid(self) -> float | None:
        """Latest bid of the instrument (instrument currency) or None."""
        v = self.quote.bid if self.quote else None
        return None if is_missing(v) else v

    @property
    def ask(self) -> float | None:
        """Latest ask of the instrument (instrument currency) or None."""
        v = self.quote.ask if self.quote else None
        return None if is_missing(v) else v

    # ---- the order ------------------------------------------------------------
    def request(self) -> OrderRequest:
        """The ``OrderRequest`` for the current fields (unused prices dropped).

        Raises ``OrderValidationError`` with the reason when it is not valid.
        """
        if self.instrument is None:
            raise OrderValidationError("Choose a symbol first")
        if not self.instrument.con_id:
            raise OrderValidationError(f"{self.instrument.display_symbol} is not resolved yet")
        q = self.quantity
        if q is None or (isinstance(q, float) and math.isnan(q)):
            raise OrderValidationError("Enter a quantity")
        req = OrderRequest(
            instrument=self.instrument, action=self.action, quantity=q, order_type=self.order_type,
            limit_price=self.limit_price if self.order_type.needs_limit else None,
            stop_price=self.stop_price if self.order_type.needs_stop else None,
            tif=self.tif)
        return validate_order_request(req)

    def problem(self) -> str:
        """Why the order cannot be transmitted now ("" when it can)."""
        try:
            req = self.request()
            self.commands.check(PlaceOrder(req))
        except OrderValidationError as e:
            return str(e)
        except CommandRejected as e:
            return getattr(e, "reason", "") or str(e)
        return ""

    def describe(self) -> str:
        """The order in words, "BUY 100 AAPL LMT 187.50 DAY" (as far as the fields allow)."""
        if self.instrument is None:
            return f"{self.action.value} …"
        req = OrderRequest(
            instrument=self.instrument, action=self.action,
            quantity=self.quantity if self.quantity is not None else 0, order_type=self.order_type,
            limit_price=self.limit_price if self.order_type.needs_limit else None,
            stop_price=self.stop_price if self.order_type.needs_stop else None, tif=self.tif)
        return req.describe()

    def transmit(self) -> CommandResult:
        """Send the order with ``OrderCommands.execute(PlaceOrder(...))``.

        Returns the ``CommandResult`` (``ok``, ``message``, ``order``); a
        rejection is a result with ``ok`` False, never an exception. Emits
        ``transmitted(ok, message)``.
        """
        try:
            req = self.request()
        except OrderValidationError as e:
            self.transmitted.emit(False, str(e))
            return CommandResult(False, str(e), None)
        result = self.commands.execute(PlaceOrder(req))
        msg = result.message or (f"Sent: {req.describe()}" if result.ok else "Rejected by the command layer")
        self.transmitted.emit(bool(result.ok), msg)
        return result

