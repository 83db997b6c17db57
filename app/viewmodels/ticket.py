"""The order ticket's view-model: the order being composed, its validation and transmission.

Holds the fields of one order (instrument, BUY/SELL, quantity in shares, order
type (``OrderType``: MKT ... LIT), limit and stop / trigger price in instrument
currency, TIF (``TimeInForce``), and in :attr:`TicketModel.type_fields` the trailing,
GTD and outside-RTH fields, ``app.viewmodels.ticket_order_type``), keeps the instrument's live bid/ask from ``Session.quotesEvent``
(holding one counted quote subscription for its instrument),
and says at every moment whether the order is valid and why not
(:meth:`TicketModel.problem`) using the same rules as the command layer:
``validate_order_request`` (IB "Order Types" required fields, tick size) and
``OrderCommands.check`` (connected, not read-only, risk limits). Transmission
goes through ``OrderCommands.execute(PlaceOrder(...))`` (or ``PlaceBracket``)
only, never the session directly.

Speed aids: quantity presets (:attr:`TicketModel.presets`), sizing by a cash
amount (:meth:`TicketModel.size_by_cash`), a bracket (take-profit LMT and
stop-loss STP children, IB "Bracket Orders") and an OCA group (IB "One
Cancels All", ``ocaType`` 1: cancel the other orders of the group on a fill).

Staleness: while the session's data is stale (``staleEvent``, a lost or closed
connection) and until the instrument's next quote after it is live again,
:attr:`TicketModel.quote_stale` is True and :meth:`TicketModel.stale_text` says
"stale for 12 s: Connection lost"; order entry is not blocked by it (the command
layer refuses when disconnected), but sizing by cash and a MKT order's value in
the confirmation say they come from a stale quote.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timezone

from PySide6.QtCore import QObject, Signal

from app.commands import CommandRejected, CommandResult, PlaceBracket, PlaceOrder
from app.domain import (
    AccountKind, Action, Instrument, OrderRequest, OrderType, OrderValidationError, Quote, TimeInForce,
    account_kind, round_to_tick, validate_order_request,
)
from app.domain.orders import price_problem
from app.ui.format import fmt_price, is_missing, tick_decimals
from app.viewmodels.soft_limits import (
    FX_DEFAULT_QUANTITY, FX_PRESETS, idealpro_note, is_fx, soft_warnings, warning_line,
)
from app.viewmodels.staleness import StaleWatch, fmt_age
from app.viewmodels.ticket_order_type import OrderTypeFields, explain, plain_order

log = logging.getLogger(__name__)

#: quantity preset buttons of a new ticket (shares; FX pairs: ``FX_PRESETS``, base units)
DEFAULT_PRESETS: tuple[float, ...] = (1, 10, 100, 500, 1000)
#: a new ticket's quantity in shares (FX pairs: ``FX_DEFAULT_QUANTITY`` base units)
DEFAULT_QUANTITY = 100.0
#: a new ticket's quantity for an option or a future (contracts of ``multiplier`` shares)
CONTRACT_DEFAULT_QUANTITY = 1.0
#: quantity preset buttons for options and futures (contracts: 1,000 ES would be 300 M USD)
CONTRACT_PRESETS: tuple[float, ...] = (1, 2, 5, 10, 20)


def _kind(instrument: Instrument | None) -> str:
    """The quantity kind of ``instrument``: "fx" (base units), "contracts" or "shares"."""
    return "fx" if is_fx(instrument) else "contracts" if _is_contract(instrument) else "shares"


def _is_contract(instrument: Instrument | None) -> bool:
    """True for an option or a future (a quantity in contracts of ``multiplier`` units)."""
    return instrument is not None and (instrument.is_option or instrument.is_future)
#: IB ``ocaType`` the ticket uses: 1 = cancel the remaining orders of the group with block
#: (IB API docs, "One Cancels All")
OCA_TYPE_CANCEL_WITH_BLOCK = 1


def _price(v) -> float | None:
    return None if is_missing(v) or v <= 0 else float(v)


def order_notional(req: OrderRequest, bid: float | None, ask: float | None) -> tuple[float | None, str]:
    """Approximate value of ``req`` in the instrument's currency and the price it is based on.

    LMT and STP LMT use the limit price, STP the stop price, MKT the ask for a
    BUY and the bid for a SELL (the price it would most likely trade at).
    Returns ``(quantity * price * multiplier, basis)`` (1 LMT 2.50 of an option with
    multiplier 100: 250) where ``basis`` is "" for the
    order's own price or "at the ask 187.51" / "at the bid 187.49" for MKT;
    ``(None, reason)`` without a price.
    """
    tick = req.instrument.min_tick or 0.01
    if req.order_type.needs_limit:
        price, basis = req.limit_price, ""
    elif req.order_type.needs_stop:
        price, basis = req.stop_price, ""
    else:
        side = "ask" if req.action is Action.BUY else "bid"
        price = ask if req.action is Action.BUY else bid
        price = _price(price)
        if price is None:
            return None, f"no {side} yet"
        basis = f"at the {side} {fmt_price(price, tick)}"
    price = _price(price)
    if price is None:
        return None, "no price"
    return float(req.quantity) * price * req.instrument.multiplier, basis


def describe_with_notional(req: OrderRequest, bid: float | None, ask: float | None) -> str:
    """The order in words with its value, as the confirmation shows it:
    "BUY 100 AAPL LMT 187.50 DAY, about 18,750 USD" or, for MKT,
    "BUY 100 AAPL MKT DAY, about 18,751 USD at the ask 187.51"; with the multiplier:
    "BUY 1 AAPL 20261218 200 C LMT 2.50 DAY, about 250 USD" (value x multiplier 100)."""
    value, basis = order_notional(req, bid, ask)
    text = req.describe()
    cur = req.instrument.currency
    if value is None:
        return f"{text}, value unknown ({basis})"
    return f"{text}, about {value:,.0f} {cur}" + (f" {basis}" if basis else "")


def bracket_problem(action: Action, entry: float | None, take_profit: float | None,
                    stop_loss: float | None, tick: float) -> str:
    """Why a bracket cannot be attached ("" when it can).

    Prices in instrument currency, each on ``tick`` and positive. A BUY needs
    the take profit above and the stop loss below the entry; a SELL the
    reverse (IB "Bracket Orders": the children close the position at a gain
    or a limited loss). ``entry`` None means the entry price is not known yet.
    """
    if take_profit is None and stop_loss is None:
        return "Bracket: tick Take profit or Stop loss, or neither"
    for name, value in (("Take profit", take_profit), ("Stop loss", stop_loss)):
        if value is not None:
            problem = price_problem(name, value, tick)
            if problem:
                return problem
    if entry is None:
        return "Bracket: no entry price yet (no quote for a MKT order)"
    d = max(2, tick_decimals(tick))
    e = f"{entry:.{d}f}"
    buy = action is Action.BUY
    if take_profit is not None and (take_profit <= entry if buy else take_profit >= entry):
        return (f"Take profit {take_profit:.{d}f} must be {'above' if buy else 'below'} the entry {e} "
                f"for a {action.value}")
    if stop_loss is not None and (stop_loss >= entry if buy else stop_loss <= entry):
        return (f"Stop loss {stop_loss:.{d}f} must be {'below' if buy else 'above'} the entry {e} "
                f"for a {action.value}")
    return ""


class TicketModel(QObject):
    """State of the order ticket.

    ``session`` follows the Session contract (``resolve``, ``quote``,
    ``quotesEvent``); ``commands`` is an ``OrderCommands``. Signals:
    ``changed()`` after any field change, ``quoteChanged()`` when bid/ask of
    the current instrument change, ``transmitted(ok: bool, message: str)``
    after :meth:`transmit` / :meth:`execute`, ``presetsChanged()``.

    Bracket: ``take_profit`` / ``stop_loss`` (instrument currency) are used
    when ``take_profit_on`` / ``stop_loss_on``; ``oca_group`` ("" = none)
    puts the order in an OCA group with ``ocaType`` 1.

    ``staleness`` is the ticket's :class:`~app.viewmodels.staleness.StaleWatch`
    (``clock`` injectable for tests); ``quoteChanged`` is also emitted when the
    quote goes stale and once a second while stale (the age shown).
    """

    changed = Signal()
    quoteChanged = Signal()
    transmitted = Signal(bool, str)
    presetsChanged = Signal()
    #: an order changed (``Session.orderEvent``, the ``OrderRecord``): the view keeps its
    #: result line true ("Placed order 31" after the kill switch cancelled it)
    orderChanged = Signal(object)

    def __init__(self, session, commands, parent: QObject | None = None, *, clock=time.monotonic):
        super().__init__(parent)
        self.session = session
        self.commands = commands
        self.instrument: Instrument | None = None
        self.action = Action.BUY
        self.quantity: float = DEFAULT_QUANTITY
        self.order_type = OrderType.LMT
        self.limit_price: float | None = None
        self.stop_price: float | None = None
        self.tif = TimeInForce.DAY
        self.quote: Quote | None = None
        self.presets: list[float] = list(DEFAULT_PRESETS)
        #: presets per quantity kind (:func:`_kind`), the shown kind's being ``presets``; the
        #: others are kept while away
        self._kind_presets: dict[str, list[float]] = {
            "shares": self.presets, "fx": list(FX_PRESETS), "contracts": list(CONTRACT_PRESETS)}
        self.take_profit_on = False
        self.stop_loss_on = False
        self.take_profit: float | None = None
        self.stop_loss: float | None = None
        self.oca_group = ""
        #: trailing distance, limit offset, GTD expiry, outside RTH (``ticket_order_type``)
        self.type_fields = OrderTypeFields(self.changed.emit)
        self._kind: AccountKind | None = None
        self._subscribed: Instrument | None = None
        #: True while the bid/ask shown may be out of date (until a quote after the link is live)
        self.quote_stale = False
        self._quote_at: float | None = None  # monotonic time of the last quote
        session.quotesEvent += self._on_quotes
        session.stateEvent += self._on_state
        session.orderEvent += self.orderChanged.emit
        self.staleness = StaleWatch(session, self, clock=clock)
        self.staleness.changed.connect(self._on_stale)
        self.staleness.tick.connect(self.quoteChanged)

    def close(self) -> None:
        """Release the quote subscription and stop listening to the session."""
        self._release_quotes()
        self.session.quotesEvent -= self._on_quotes
        self.session.stateEvent -= self._on_state
        self.session.orderEvent -= self.orderChanged.emit
        self.staleness.close()

    def _on_stale(self, stale: bool) -> None:
        if stale and self.quote is not None and not self.quote_stale:
            self.quote_stale = True
            self.quoteChanged.emit()

    def stale_text(self) -> str:
        """Why and since when the quote is not live ("" when it is): "stale for 12 s:
        Connection lost", or "not updated for 40 s" once the link is back before a new quote."""
        if not self.quote_stale:
            return ""
        watch = self.staleness
        if watch.stale:
            return f"stale for {fmt_age(watch.age())}" + (f": {watch.reason}" if watch.reason else "")
        if self._quote_at is None:
            return "stale: no quote since the connection came back"
        return f"not updated for {fmt_age(watch.clock() - self._quote_at)}"

    def quote_note(self) -> str:
        """" (quote stale for 12 s: Connection lost)" when the quote is stale, else ""."""
        text = self.stale_text()
        return f" (quote {text})" if text else ""

    def sizing_from_quote(self) -> bool:
        """True when :meth:`sizing_price` comes from the bid/ask (no limit or stop price of its own)."""
        if self.order_type.needs_limit and self.limit_price:
            return False
        return not (self.order_type.needs_stop and self.stop_price)

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
        """Use ``instrument`` (resolved, con_id set); prices are re-prefilled from its quote.

        A new symbol unticks the bracket (take profit / stop loss) and clears its prices:
        exits of another symbol are never carried over. Going from a stock to an FX pair
        (or back) sets that kind's quantity and presets: FX pairs trade in base units with
        IDEALPRO's minimum near USD 25,000, so 25,000 and 25K..1M (``FX_PRESETS``), stocks
        100 shares and 1..1,000 (a size is never carried across: 25,000 EUR must not
        become 25,000 shares). Likewise between shares and contracts (options, futures:
        multiplier above 1): a contract starts at 1 (``CONTRACT_DEFAULT_QUANTITY``) with the
        presets 1..20 (``CONTRACT_PRESETS``).
        """
        if self.instrument == instrument:
            return
        self._release_quotes()
        was = _kind(self.instrument)
        self.instrument = instrument
        if _kind(instrument) != was:
            # 100 shares must not become 100 contracts (10,000 shares of exposure)
            self._switch_kind(was, _kind(instrument))
        if instrument.con_id:
            self.session.subscribe_quotes(instrument)  # counted by the Session
            self._subscribed = instrument
        self.quote = self.session.quote(instrument.key) if instrument.con_id else None
        self.quote_stale = self.quote is not None and self.staleness.stale
        self._quote_at = None
        self.limit_price = None
        self.stop_price = None
        self.take_profit = None
        self.stop_loss = None
        self.take_profit_on = False
        self.stop_loss_on = False
        self._prefill_prices()
        self.quoteChanged.emit()
        self.changed.emit()

    def _switch_kind(self, was: str, kind: str) -> None:
        self._kind_presets[was] = self.presets
        self.presets = self._kind_presets[kind]
        self.quantity = {"fx": FX_DEFAULT_QUANTITY, "contracts": CONTRACT_DEFAULT_QUANTITY}.get(
            kind, DEFAULT_QUANTITY)
        self.presetsChanged.emit()

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
        """An IB order type (``OrderType``: MKT, LMT, STP, "STP LMT", TRAIL, "TRAIL LIMIT",
        MOC, LOC, MIT, LIT; ``ValueError`` otherwise); prefills a needed price. MOC / LOC
        set the TIF to DAY (IB executes them in today's closing auction only)."""
        order_type = OrderType(order_type)
        if order_type is not self.order_type:
            self.order_type = order_type
            if order_type.at_close:
                self.tif = TimeInForce.DAY
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
        """Time in force: DAY, GTC, IOC, FOK, GTD or OPG (``ValueError`` otherwise); GTD
        starts with an expiry at the next 16:00 of its zone."""
        tif = TimeInForce(tif)
        if tif is not self.tif:
            self.tif = tif
            f = self.type_fields
            if tif is TimeInForce.GTD and f.expiry is None:
                f.expiry = f.default_expiry(datetime.now(timezone.utc))
            self.changed.emit()

    # ---- account ------------------------------------------------------------
    def set_account_kind(self, kind: AccountKind | None) -> None:
        """Force the account kind shown (e.g. SIMULATED for ibdesk's own gateway);
        None = derive it from ``session.account_id`` (``account_kind``)."""
        if kind != self._kind:
            self._kind = None if kind is None else AccountKind(kind)
            self.changed.emit()

    @property
    def account_id(self) -> str:
        """The account orders go to ("" before the first connect)."""
        return str(getattr(self.session, "account_id", "") or "")

    @property
    def account_kind(self) -> AccountKind | None:
        """SIMULATED, PAPER or LIVE (None while no account is known)."""
        if self._kind is not None:
            return self._kind
        return account_kind(self.account_id) if self.account_id else None

    # ---- presets and cash sizing ----------------------------------------------
    def set_presets(self, presets) -> None:
        """Quantity presets of the instrument's kind (shares; FX: base units; options and
        futures: contracts), e.g. ``[1, 10, 100, 500, 1000]``.

        Raises ``ValueError`` for an empty list or a value that is not a
        positive finite number (whole for stocks is checked when applied).
        """
        values = []
        for p in presets:
            try:
                v = float(p)
            except (TypeError, ValueError):
                raise ValueError(f"Quantity preset {p!r} is not a number") from None
            if not math.isfinite(v) or v <= 0:
                raise ValueError(f"Quantity preset {p!r} must be a positive number")
            values.append(v)
        if not values:
            raise ValueError("Give at least one quantity preset")
        if values != self.presets:
            self.presets = values
            self.presetsChanged.emit()

    def apply_preset(self, index: int) -> float:
        """Set the quantity to preset ``index`` (0-based); ``IndexError`` when there is none."""
        if not 0 <= index < len(self.presets):
            raise IndexError(f"No quantity preset {index + 1} (there are {len(self.presets)})")
        self.set_quantity(self.presets[index])
        return self.presets[index]

    def sizing_price(self) -> float | None:
        """The price a cash amount is divided by: the limit price (LMT, STP LMT), the stop
        price (STP), else the ask for a BUY / the bid for a SELL; None when unknown."""
        if self.order_type.needs_limit and self.limit_price:
            return _price(self.limit_price)
        if self.order_type.needs_stop and self.stop_price:
            return _price(self.stop_price)
        return _price(self.ask if self.action is Action.BUY else self.bid)

    def size_by_cash(self, amount: float) -> float:
        """Set the quantity to ``floor(amount / price)`` and return it.

        ``amount`` is in the instrument's currency; the price is
        :meth:`sizing_price` x the multiplier (an option at 2.50: 250 a contract). Raises ``ValueError`` with the reason: no
        instrument, amount not positive, no price, or less than one share.
        """
        if self.instrument is None:
            raise ValueError("Choose a symbol first")
        cur = self.instrument.currency
        if amount is None or is_missing(amount) or amount <= 0:
            raise ValueError(f"Enter a positive amount in {cur}")
        price = self.sizing_price()
        if price is None:
            side = "ask" if self.action is Action.BUY else "bid"
            raise ValueError(f"Cannot size {amount:,.0f} {cur}: no price (set a limit price or wait "
                             f"for the {side})")
        mult = self.instrument.multiplier
        qty = math.floor(amount / (price * mult) + 1e-9)
        if qty < 1:
            unit = "share" if mult == 1 else f"contract (x{mult:g})"
            raise ValueError(f"{amount:,.2f} {cur} buys less than one {unit} at "
                             f"{fmt_price(price, self.tick)}")
        self.set_quantity(float(qty))
        return float(qty)

    # ---- bracket and OCA ---------------------------------------------------------
    def set_take_profit(self, on: bool, price: float | None = None) -> None:
        """Attach (``on``) a take-profit LMT child at ``price`` (None keeps the price;
        a new one defaults to one percent from the entry, on tick)."""
        self.take_profit_on = bool(on)
        if price is not None:
            self.take_profit = price or None
        elif on and self.take_profit is None:
            self.take_profit = self._default_exit(+1)
        self.changed.emit()

    def set_stop_loss(self, on: bool, price: float | None = None) -> None:
        """Attach (``on``) a stop-loss STP child at ``price`` (default one percent against)."""
        self.stop_loss_on = bool(on)
        if price is not None:
            self.stop_loss = price or None
        elif on and self.stop_loss is None:
            self.stop_loss = self._default_exit(-1)
        self.changed.emit()

    def _default_exit(self, direction: int) -> float | None:
        entry = self.entry_price()
        if entry is None:
            return None
        sign = direction if self.action is Action.BUY else -direction
        return round_to_tick(entry * (1 + 0.01 * sign), self.tick)

    def set_oca_group(self, group: str) -> None:
        """OCA group name ("" = none); orders of one group cancel each other (ocaType 1)."""
        group = (group or "").strip()
        if group != self.oca_group:
            self.oca_group = group
            self.changed.emit()

    @property
    def bracket(self) -> bool:
        """True when a take profit or a stop loss is attached."""
        return self.take_profit_on or self.stop_loss_on

    def entry_price(self) -> float | None:
        """The price the bracket is checked against: the limit (LMT, STP LMT), the stop
        (STP), the ask for a MKT BUY / the bid for a MKT SELL."""
        if self.order_type.needs_limit:
            return _price(self.limit_price)
        if self.order_type.needs_stop:
            return _price(self.stop_price)
        return _price(self.ask if self.action is Action.BUY else self.bid)

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
        # a touch order triggers when the market comes to it: on the passive side, as a limit
        trigger = passive if self.order_type in (OrderType.MIT, OrderType.LIT) else aggressive
        if self.order_type.needs_stop and self.stop_price is None and trigger:
            self.stop_price = round_to_tick(trigger, self.tick)
        self.type_fields.prefill(self.order_type, mark or passive, self.tick)
        if self.take_profit_on and self.take_profit is None:  # ticked before the first quote
            self.take_profit = self._default_exit(+1)
        if self.stop_loss_on and self.stop_loss is None:
            self.stop_loss = self._default_exit(-1)

    # ---- quotes ---------------------------------------------------------------
    def _on_quotes(self, quotes: list[Quote]) -> None:
        if self.instrument is None:
            return
        key = self.instrument.key
        for q in quotes:
            if q.key == key:
                first = self.quote is None
                self.quote = q
                self._quote_at = self.staleness.clock()
                self.quote_stale = self.staleness.stale
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
        oca = {"oca_group": self.oca_group, "oca_type": OCA_TYPE_CANCEL_WITH_BLOCK} if self.oca_group else {}
        req = OrderRequest(
            instrument=self.instrument, action=self.action, quantity=q, order_type=self.order_type,
            limit_price=self.limit_price if self.order_type.needs_limit else None,
            stop_price=self.stop_price if self.order_type.needs_stop else None,
            tif=self.tif, **oca, **self.type_fields.request_fields(self.order_type, self.tif))
        return validate_order_request(req)

    def command(self) -> PlaceOrder | PlaceBracket:
        """The command for the current fields: ``PlaceBracket(request, take_profit, stop_loss)``
        when a bracket is attached, else ``PlaceOrder(request)``.

        Raises ``OrderValidationError`` with the reason (order or bracket invalid).
        """
        req = self.request()
        if not self.bracket:
            return PlaceOrder(req)
        tp = self.take_profit if self.take_profit_on else None
        sl = self.stop_loss if self.stop_loss_on else None
        for name, on, price in (("Take profit", self.take_profit_on, tp),
                                ("Stop loss", self.stop_loss_on, sl)):
            if on and price is None:
                raise OrderValidationError(f"{name}: enter a price, or untick {name}")
        problem = bracket_problem(self.action, self.entry_price(), tp, sl, self.tick)
        if problem:
            raise OrderValidationError(problem)
        return PlaceBracket(req, take_profit=tp, stop_loss=sl)

    def problem(self) -> str:
        """Why the order cannot be transmitted now ("" when it can). A soft risk
        limit is not a problem here: it is asked about when transmitting."""
        try:
            self.commands.check(self.command())
        except OrderValidationError as e:
            return str(e)
        except CommandRejected as e:
            if getattr(e, "soft", False):
                return ""
            return getattr(e, "reason", "") or str(e)
        return ""

    def soft_failures(self, cmd: PlaceOrder | PlaceBracket | None = None) -> list[CommandRejected]:
        """The soft risk limits the order (``cmd``, default the current fields) breaks now;
        [] when it is invalid or refused by a hard rule (:meth:`problem` says why)."""
        if cmd is None:
            try:
                cmd = self.command()
            except OrderValidationError:
                return []
        return soft_warnings(self.commands, cmd)

    def warnings(self, cmd: PlaceOrder | PlaceBracket | None = None, failures=None) -> list[str]:
        """What the ticket and the confirmation warn about, one line each: every soft risk
        limit (:meth:`soft_failures`, or ``failures`` when given) and an FX order below
        IDEALPRO's minimum (:func:`~app.viewmodels.soft_limits.idealpro_note`)."""
        if failures is None:
            failures = self.soft_failures(cmd)
        lines = [warning_line(f) for f in failures]
        price = self.sizing_price() if is_fx(self.instrument) else None
        note = idealpro_note(self.instrument, self.quantity, price)
        if note:
            lines.append(note)
        return lines

    def describe(self) -> str:
        """The order in words, "BUY 100 AAPL LMT 187.50 DAY" (as far as the fields allow)."""
        if self.instrument is None:
            return f"{self.action.value} …"
        req = OrderRequest(
            instrument=self.instrument, action=self.action,
            quantity=self.quantity if self.quantity is not None else 0, order_type=self.order_type,
            limit_price=self.limit_price if self.order_type.needs_limit else None,
            stop_price=self.stop_price if self.order_type.needs_stop else None, tif=self.tif,
            **self.type_fields.request_fields(self.order_type, self.tif))
        return req.describe()

    def notional_text(self) -> str:
        """The order's value for a line of the ticket: "about 250 USD" for 1 option at 2.50
        (price x quantity x multiplier, :func:`order_notional`), "about 18,751 USD at the ask
        187.51" for MKT; "" without an instrument, a valid quantity or a price."""
        if self.instrument is None or is_missing(self.quantity) or not self.quantity or self.quantity <= 0:
            return ""
        req = OrderRequest(self.instrument, self.action, float(self.quantity), self.order_type,
                           limit_price=self.limit_price if self.order_type.needs_limit else None,
                           stop_price=self.stop_price if self.order_type.needs_stop else None)
        value, basis = order_notional(req, self.bid, self.ask)
        if value is None:
            return ""
        return f"about {value:,.0f} {self.instrument.currency}" + (f" {basis}" if basis else "")

    def confirm_text(self, cmd: PlaceOrder | PlaceBracket) -> str:
        """What the confirmation shows: the order with its value, then the bracket legs,
        e.g. "BUY 100 AAPL LMT 187.50 DAY, about 18,750 USD; take profit 189.00, stop loss 186.00"."""
        text = describe_with_notional(cmd.request, self.bid, self.ask)
        if not plain_order(cmd.request):   # the trailing, auction, touch types and TIFs in words
            text = explain(cmd.request, self.quote) + text[len(cmd.request.describe()):]
        if cmd.request.order_type is OrderType.MKT:
            text += self.quote_note()
        legs = []
        for name, value in (("take profit", getattr(cmd, "take_profit", None)),
                            ("stop loss", getattr(cmd, "stop_loss", None))):
            if value is not None:
                legs.append(f"{name} {fmt_price(value, self.tick)}")
        if legs:
            text += "; " + ", ".join(legs)
        return text

    def execute(self, cmd: PlaceOrder | PlaceBracket, *, override: bool = False) -> CommandResult:
        """Run ``cmd`` through ``OrderCommands.execute`` (``override=True`` only after the
        trader explicitly overrode a soft limit). Emits ``transmitted(ok, message)``
        unless the result is a soft rejection (the view asks about it first)."""
        result = self.commands.execute(cmd, override=True) if override else self.commands.execute(cmd)
        if not result.ok and getattr(result, "soft", False) and not override:
            return result
        msg = result.message or (f"Sent: {cmd.request.describe()}" if result.ok
                                 else "Rejected by the command layer")
        self.transmitted.emit(bool(result.ok), msg)
        return result

    def transmit(self) -> CommandResult:
        """Send the order (``PlaceOrder`` or ``PlaceBracket``) through ``OrderCommands``.

        No confirmation here (the view asks). Returns the ``CommandResult``
        (``ok``, ``message``, ``order``); a rejection is a result with ``ok``
        False, never an exception. Emits ``transmitted(ok, message)``.
        """
        try:
            cmd = self.command()
        except OrderValidationError as e:
            self.transmitted.emit(False, str(e))
            return CommandResult(False, str(e), None)
        return self.execute(cmd)

