"""The depth ladder (BookTrader-style price ladder) as a table model, tested without a widget.

One row per price tick of the instrument (``Instrument.min_tick``; FX ticks such as
0.00005 work exactly because prices are held as integer tick indices), highest price at
row 0, a fixed number of rows around the inside market. Columns (:data:`COLUMNS`):

======  ==========================================================================
Buy     this client's working BUY orders with their limit at that price (remaining qty)
Bid     bid size of the book at that price (IB reqMktDepth, ``Session.depthEvent``); cumulative
        (:attr:`LadderModel.cumulative`): the sum of the bid sizes from the best bid down to that
        price
Price   the row's price (the last trade's row is highlighted)
Ask     ask size at that price; cumulative: the sum from the best ask up to that price
Sell    this client's working SELL orders at that price
Last    the last trade's size, on the last trade's row (IB tick types 4/5, ``quotesEvent``)
======  ==========================================================================

The window re-centres on the inside market on demand (:meth:`LadderModel.recentre`) and
by itself when the best bid or ask leaves the rows; :meth:`LadderModel.scroll` moves it
by whole ticks (the view's wheel). Updates are coalesced (``app.viewmodels.coalesce``):
each session event only marks the cells it changed; ``dataChanged`` is emitted at most
once per frame over the smallest ranges, never ``modelReset`` per update (only a new
instrument resets the model).

The model also turns the trader's gestures into command-layer intents
(:meth:`LadderModel.click_intent`, :meth:`LadderModel.move_intent`); sending them
(confirmation, one-click, overrides) is the widget's job.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal

from app.commands.intents import CancelOrder, ModifyOrder, PlaceOrder
from app.domain import Action, Instrument, OrderRecord, OrderRequest, OrderType
from app.domain.depth import DepthBook
from app.domain.orders import price_text
from app.viewmodels.coalesce import FLUSH_INTERVAL_MS, DirtyCells

COL_BUYS, COL_BID, COL_PRICE, COL_ASK, COL_SELLS, COL_LAST = range(6)
#: column headers, by column number
COLUMNS: tuple[str, ...] = ("Buy", "Bid", "Price", "Ask", "Sell", "Last")
#: the Bid / Ask headers while the sizes are cumulative
CUMULATIVE_HEADERS = {1: "Σ Bid", 3: "Σ Ask"}
#: default number of price rows
DEFAULT_ROWS = 41
#: the raw value of a cell (float size / price, or None) for tests and sorting
RawRole = Qt.ItemDataRole.UserRole + 1


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_RAW = int(RawRole)
_ROLES = frozenset({_DISPLAY, _ALIGN, _BACKGROUND, _FOREGROUND, _TOOLTIP, _RAW})
_CENTRE = int(Qt.AlignmentFlag.AlignCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def tick_decimals(tick: float) -> int:
    """Decimals of a tick size: 0.01 -> 2, 0.00005 -> 5, 0.25 -> 2, 1 -> 0."""
    exp = Decimal(repr(float(tick))).normalize().as_tuple().exponent
    return max(0, -int(exp))


def tick_index(price: float, tick: float) -> int:
    """The index of the tick nearest ``price`` (``price / tick`` rounded half away from 0),
    exact for decimal ticks: ``tick_index(1.08455, 0.00005) == 21691``."""
    return int(math.floor(price / tick + 0.5)) if price >= 0 else -int(math.floor(-price / tick + 0.5))


def tick_price(index: int, tick: float) -> float:
    """The price of tick ``index`` with the tick's decimals (no float noise: 21691 ticks of
    0.00005 -> 1.08455)."""
    return round(index * tick, tick_decimals(tick))


def cumulate(sizes: dict[int, float], *, downward: bool) -> dict[int, float]:
    """Cumulative sizes of one side of a book (tick index -> size) from the inside market
    outward: ``downward`` (the bids) sums from the highest index down, else (the asks) from
    the lowest up. Only the indices present get a value: ``{100: 5, 99: 3, 97: 2}`` ->
    ``{100: 5, 99: 8, 97: 10}`` downward."""
    out: dict[int, float] = {}
    total = 0.0
    for idx in sorted(sizes, reverse=downward):
        total += sizes[idx]
        out[idx] = total
    return out


def _size_text(size: float) -> str:
    return f"{size:,.0f}" if float(size).is_integer() else f"{size:,.2f}"


class LadderModel(QAbstractTableModel):
    """Price ladder of one instrument over a Session (the ``SessionEvents`` contract plus
    ``subscribe_depth`` / ``unsubscribe_depth`` / ``depth`` / ``subscribe_quotes`` /
    ``unsubscribe_quotes`` / ``quote`` / ``orders`` / ``client_id``).

    ``rows`` price rows (highest price first). ``colours`` (role name -> QColor, set by the
    widget from ``app.ui.theme``) colours the cells: ``"bid_bg"``, ``"ask_bg"``,
    ``"last_bg"``, ``"buy"``, ``"sell"``, ``"stale"`` (book sizes while :attr:`stale`); absent
    names leave Qt's default.
    Signal ``recentred()`` after the window moved (the view may scroll to the middle);
    ``cumulativeChanged(bool)`` after :meth:`set_cumulative` changed the mode.
    """

    recentred = Signal()
    cumulativeChanged = Signal(bool)

    def __init__(self, session: Any, *, rows: int = DEFAULT_ROWS,
                 interval_ms: int = FLUSH_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        if rows < 3:
            raise ValueError(f"a ladder needs at least 3 rows, got {rows}")
        self.session = session
        self.instrument: Instrument | None = None
        self.colours: dict[str, Any] = {}
        self._rows = int(rows)
        self._tick = 0.01
        self._top = 0                                   # tick index of row 0
        self._centred = False
        self._bids: dict[int, float] = {}               # tick index -> size
        self._asks: dict[int, float] = {}
        self._cumulative = False
        self._bid_shown: dict[int, float] = {}          # what the Bid / Ask columns show:
        self._ask_shown: dict[int, float] = {}          # the sizes, or their cumulative sums
        self._buys: dict[int, list[OrderRecord]] = {}   # tick index -> own working BUY orders
        self._sells: dict[int, list[OrderRecord]] = {}
        self._last: int | None = None
        self._last_size: float | None = None
        self._quote = None
        self._lookups = 0               # counts instrument choices: a late lookup is dropped
        self._stale = False             # the book may be out of date (``staleEvent``)
        self._live = True               # the link is live again (stale clears on the next book)
        self.dirty = DirtyCells(self._flush, interval_ms=interval_ms, parent=self)
        session.depthEvent += self._on_depth
        session.quotesEvent += self._on_quotes
        session.orderEvent += self._on_order
        session.staleEvent += self._on_stale

    def close(self) -> None:
        """Unsubscribe from the session (the model is unusable afterwards)."""
        self._unsubscribe()
        self.session.depthEvent -= self._on_depth
        self.session.quotesEvent -= self._on_quotes
        self.session.orderEvent -= self._on_order
        self.session.staleEvent -= self._on_stale
        self.dirty.clear()

    # ---- instrument ---------------------------------------------------------------------
    @property
    def tick(self) -> float:
        """The price increment of the rows (instrument currency)."""
        return self._tick

    def set_instrument(self, instrument: Instrument | None) -> None:
        """Show ``instrument`` (resolved: con_id and min_tick known): subscribes its depth and
        quotes (and drops the previous instrument's), resets the model once and centres on its
        market as soon as it is known. None empties the ladder. A symbol lookup still running
        (:meth:`set_symbol_text`) is superseded: its answer is dropped."""
        self._lookups += 1
        if instrument == self.instrument:
            return
        self.beginResetModel()
        self._unsubscribe()
        self.dirty.clear()
        self.instrument = instrument
        self._tick = float(instrument.min_tick) if instrument and instrument.min_tick > 0 else 0.01
        self._bids, self._asks, self._buys, self._sells = {}, {}, {}, {}
        self._bid_shown, self._ask_shown = {}, {}
        self._last = self._last_size = self._quote = None
        self._centred = False
        if instrument is not None:
            self.session.subscribe_depth(instrument)
            self.session.subscribe_quotes(instrument)
            book = self.session.depth(instrument.key)
            if book is not None:
                self._take_book(book)
            q = self.session.quote(instrument.key)
            if q is not None:
                self._take_quote(q)
            self._take_orders()
            self._centred = self._centre_index() is not None
            if self._centred:
                self._top = self._centre_index() + self._rows // 2
        self.dirty.clear()      # the reset repaints everything
        self.endResetModel()

    async def set_symbol_text(self, text: str) -> Instrument | None:
        """Resolve what the trader typed ("aapl", "EUR.USD") with ``Session.resolve`` (IB
        reqContractDetails) and show it. Returns the instrument shown; the current one when
        ``text`` names it already (no lookup); None when a later choice (another lookup,
        :meth:`set_instrument`) superseded this one before IB answered.

        Raises ``ValueError`` with the message for the trader: malformed text (from
        ``Instrument.parse``), not connected, or the gateway's answer for an unknown symbol
        ("Unknown symbol XQ: No security definition has been found for the request", IB error
        200); the ladder keeps its instrument then.
        """
        inst = Instrument.parse(text)       # ValueError with the reason
        sym = inst.display_symbol
        if self.instrument is not None and self.instrument.display_symbol == sym:
            return self.instrument
        if not getattr(self.session, "is_connected", False):
            raise ValueError(f"Cannot look up {sym}: not connected")
        self._lookups += 1
        mine = self._lookups
        try:
            resolved = await self.session.resolve(inst)
        except LookupError as e:            # app.broker.errors.UnknownSymbolError: IB's text
            if mine != self._lookups:
                return None
            raise ValueError(str(e)) from None
        except ConnectionError as e:        # NotConnectedError, a lost link
            if mine != self._lookups:
                return None
            raise ValueError(f"Cannot look up {sym}: {e}") from None
        if mine != self._lookups:
            return None
        self.set_instrument(resolved)
        return resolved

    def _unsubscribe(self) -> None:
        if self.instrument is not None:
            self.session.unsubscribe_depth(self.instrument)
            self.session.unsubscribe_quotes(self.instrument)

    # ---- geometry -----------------------------------------------------------------------
    def set_row_count(self, rows: int) -> None:
        """Show ``rows`` price rows (at least 3; the view fits them to its height), keeping
        the centre price in the middle row. A model reset, so only on a resize."""
        rows = max(3, int(rows))
        if rows == self._rows:
            return
        centre = self._top - self._rows // 2
        self.beginResetModel()
        self.dirty.clear()
        self._rows = rows
        self._top = centre + rows // 2
        self.endResetModel()

    def price_at(self, row: int) -> float:
        """The price of ``row`` (instrument currency)."""
        return tick_price(self._top - row, self._tick)

    def row_of(self, price: float) -> int | None:
        """The row of ``price`` (rounded to the tick), or None outside the window."""
        row = self._top - tick_index(price, self._tick)
        return row if 0 <= row < self._rows else None

    def _row(self, idx: int) -> int | None:
        row = self._top - idx
        return row if 0 <= row < self._rows else None

    def best_bid(self) -> float | None:
        """The inside bid: the book's best, else the quote's (None when neither is known)."""
        if self._bids:
            return tick_price(max(self._bids), self._tick)
        return self._quote.bid if self._quote is not None and self._quote.bid else None

    def best_ask(self) -> float | None:
        """The inside ask: the book's best, else the quote's."""
        if self._asks:
            return tick_price(min(self._asks), self._tick)
        return self._quote.ask if self._quote is not None and self._quote.ask else None

    def _inside(self) -> tuple[int | None, int | None]:
        bid, ask = self.best_bid(), self.best_ask()
        return (None if bid is None else tick_index(bid, self._tick),
                None if ask is None else tick_index(ask, self._tick))

    def _centre_index(self) -> int | None:
        b, a = self._inside()
        if b is not None and a is not None:
            return (b + a) // 2
        if b is not None or a is not None:
            return b if b is not None else a
        return self._last

    def recentre(self) -> bool:
        """Put the inside market (mid of best bid and ask; else one side, else the last
        trade) in the middle row. Returns False when nothing is known yet."""
        centre = self._centre_index()
        if centre is None:
            return False
        self._centred = True
        self._move_to(centre + self._rows // 2)
        return True

    def scroll(self, ticks: int) -> None:
        """Move the window ``ticks`` up (positive: higher prices come into view)."""
        if ticks:
            self._move_to(self._top + int(ticks))

    def _move_to(self, top: int) -> None:
        if top == self._top:
            return
        self._top = top
        self.dirty.mark(0, 0, len(COLUMNS) - 1)
        self.dirty.mark(self._rows - 1, 0, len(COLUMNS) - 1)
        for r in range(1, self._rows - 1):
            self.dirty.mark(r, 0, len(COLUMNS) - 1)
        self.recentred.emit()

    def _follow(self) -> None:
        """Re-centre when the inside market left the rows (or on its first appearance)."""
        b, a = self._inside()
        if not self._centred:
            self.recentre()
            return
        for idx in (b, a):
            if idx is not None and self._row(idx) is None:
                self.recentre()
                return

    # ---- cumulative depth ---------------------------------------------------------------------
    @property
    def cumulative(self) -> bool:
        """True when the Bid / Ask columns show cumulative sizes from the inside market outward
        (the bids summed from the best bid down, the asks from the best ask up, as IB's
        BookTrader can); False (the default): each price level's own size."""
        return self._cumulative

    def set_cumulative(self, on: bool) -> None:
        """Switch the Bid / Ask columns between per-level and cumulative sizes; marks only the
        visible cells whose value changes (and the two headers)."""
        on = bool(on)
        if on == self._cumulative:
            return
        self._cumulative = on
        self._show_sizes()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, COL_BID, COL_ASK)
        self.cumulativeChanged.emit(on)

    def _show_sizes(self) -> None:
        """Recompute what the Bid / Ask columns show and mark the cells that changed."""
        if self._cumulative:
            bids, asks = cumulate(self._bids, downward=True), cumulate(self._asks, downward=False)
        else:
            bids, asks = self._bids, self._asks
        self._mark_diff(self._bid_shown, bids, COL_BID)
        self._mark_diff(self._ask_shown, asks, COL_ASK)
        self._bid_shown, self._ask_shown = bids, asks

    # ---- session events ---------------------------------------------------------------------
    def _take_book(self, book: DepthBook) -> None:
        t = self._tick
        self._bids = {tick_index(p, t): s for p, s in book.bids if s > 0}
        self._asks = {tick_index(p, t): s for p, s in book.asks if s > 0}
        self._show_sizes()

    def _mark_diff(self, old: dict, new: dict, col: int, sig=lambda v: v) -> None:
        """Mark ``col`` of the visible rows whose value differs between ``old`` and ``new``
        (tick index -> value, compared through ``sig``)."""
        for idx in old.keys() | new.keys():
            if sig(old.get(idx)) != sig(new.get(idx)):
                row = self._row(idx)
                if row is not None:
                    self.dirty.mark(row, col)

    def _mine(self, items) -> list:
        """The items of a session batch (DepthBook / Quote) that belong to the instrument."""
        key = self.instrument.key if self.instrument is not None else None
        return [x for x in items if x.key == key] if key is not None else []

    def _on_depth(self, books: list[DepthBook]) -> None:
        for book in self._mine(books):
            self._take_book(book)
            if self._stale and self._live:
                self._set_stale(False)
            self._follow()

    @property
    def stale(self) -> bool:
        """True while the book shown may be out of date: from ``staleEvent(True)`` (link lost,
        IB 1100, a farm down) until the first book after ``staleEvent(False)``; the sizes are
        then drawn in the ``"stale"`` colour."""
        return self._stale

    def _on_stale(self, stale: bool, _reason: str = "") -> None:
        self._live = not stale
        if stale:
            self._set_stale(True)

    def _set_stale(self, on: bool) -> None:
        if on != self._stale:
            self._stale = on
            if self.instrument is not None:
                for r in range(self._rows):
                    self.dirty.mark(r, COL_BID, COL_ASK)

    def _take_quote(self, q) -> None:
        self._quote = q
        last = q.last if q.last is not None and not math.isnan(q.last) and q.last > 0 else None
        idx = None if last is None else tick_index(last, self._tick)
        size = q.last_size if q.last_size is not None and not math.isnan(q.last_size) else None
        if idx != self._last or size != self._last_size:
            for i in {idx, self._last} - {None}:
                row = self._row(i)
                if row is not None:
                    self.dirty.mark(row, COL_PRICE, COL_LAST)
            self._last, self._last_size = idx, size

    def _on_quotes(self, quotes) -> None:
        for q in self._mine(quotes):
            self._take_quote(q)
            if not self._bids and not self._asks:
                self._follow()

    def _own(self, o: OrderRecord) -> bool:
        return (self.instrument is not None and o.instrument.key == self.instrument.key
                and o.client_id == self.session.client_id and o.is_working
                and o.limit_price is not None and o.order_id > 0)

    def _take_orders(self) -> None:
        buys: dict[int, list[OrderRecord]] = {}
        sells: dict[int, list[OrderRecord]] = {}
        for o in self.session.orders():
            if self._own(o):
                side = buys if o.action is Action.BUY else sells
                side.setdefault(tick_index(o.limit_price, self._tick), []).append(o)
        self._mark_diff(self._buys, buys, COL_BUYS, _order_sig)
        self._mark_diff(self._sells, sells, COL_SELLS, _order_sig)
        self._buys, self._sells = buys, sells

    def _on_order(self, order: OrderRecord) -> None:
        if self.instrument is not None and order.instrument.key == self.instrument.key:
            self._take_orders()

    def _flush(self, top: int, left: int, bottom: int, right: int) -> None:
        self.dataChanged.emit(self.index(top, left), self.index(bottom, right))

    # ---- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() or self.instrument is None else self._rows

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            if self._cumulative and section in CUMULATIVE_HEADERS:
                return CUMULATIVE_HEADERS[section]
            return COLUMNS[section]
        return None

    def raw(self, row: int, col: int):
        """The value of a cell: sizes (float; cumulative while :attr:`cumulative`), the price,
        the own orders' total remaining quantity, the last size; None for an empty cell."""
        idx = self._top - row
        if col == COL_PRICE:
            return tick_price(idx, self._tick)
        if col == COL_BID:
            return self._bid_shown.get(idx)
        if col == COL_ASK:
            return self._ask_shown.get(idx)
        if col in (COL_BUYS, COL_SELLS):
            orders = (self._buys if col == COL_BUYS else self._sells).get(idx)
            return sum(o.remaining or o.quantity for o in orders) if orders else None
        if col == COL_LAST:
            return self._last_size if idx == self._last else None
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        role = int(role)
        if role not in _ROLES or self.instrument is None or not index.isValid():
            return None     # the roles a delegate asks for and the ladder leaves to Qt: fast
        row, col = index.row(), index.column()
        if role == _DISPLAY:
            v = self.raw(row, col)
            if v is None:
                return None
            if col == COL_PRICE:
                return price_text(v, self._tick)
            if col == COL_BUYS:
                return f"B {_size_text(v)}"
            if col == COL_SELLS:
                return f"S {_size_text(v)}"
            return _size_text(v)
        if role == _ALIGN:
            return _CENTRE if col == COL_PRICE else _RIGHT
        if role == _BACKGROUND:
            name = self._background(row, col)
            return self.colours.get(name) if name else None
        if role == _FOREGROUND:
            if self._stale and col in (COL_BID, COL_ASK):
                return self.colours.get("stale")
            if col in (COL_BUYS, COL_SELLS) and self.raw(row, col) is not None:
                return self.colours.get("buy" if col == COL_BUYS else "sell")
            return None
        if role == _RAW:
            return self.raw(row, col)
        if role == _TOOLTIP and col in (COL_BUYS, COL_SELLS):
            orders = self.orders_at(row, col)
            if orders:
                return "\n".join(f"#{o.order_id} {o.action.value} {_size_text(o.remaining or o.quantity)} "
                                 f"LMT {price_text(o.limit_price, self._tick)} (click: cancel; drag: move)"
                                 for o in orders)
        if role == _TOOLTIP and self._cumulative and col in (COL_BID, COL_ASK):
            idx = self._top - row
            own = (self._bids if col == COL_BID else self._asks).get(idx)
            if own is not None:
                side = "bid" if col == COL_BID else "ask"
                return (f"{_size_text(own)} at {price_text(tick_price(idx, self._tick), self._tick)}; "
                        f"{_size_text(self.raw(row, col))} from the best {side} to here")
        return None

    def _background(self, row: int, col: int) -> str | None:
        idx = self._top - row
        if col == COL_PRICE and idx == self._last:
            return "last_bg"
        if col == COL_BID and idx in self._bids:
            return "bid_bg"
        if col == COL_ASK and idx in self._asks:
            return "ask_bg"
        return None

    def flags(self, index: QModelIndex):
        return Qt.ItemFlag.ItemIsEnabled if index.isValid() else Qt.ItemFlag.NoItemFlags

    # ---- gestures -> intents -------------------------------------------------------------------
    def orders_at(self, row: int, col: int) -> list[OrderRecord]:
        """This client's working orders shown in a cell (the Buy or Sell column), oldest first."""
        if col not in (COL_BUYS, COL_SELLS):
            return []
        side = self._buys if col == COL_BUYS else self._sells
        return sorted(side.get(self._top - row, ()), key=lambda o: o.order_id)

    def click_intent(self, row: int, col: int, quantity: float):
        """The command a click means: Bid column -> ``PlaceOrder`` BUY LMT ``quantity`` at the
        row's price, Ask column -> SELL LMT; an own order's cell -> ``CancelOrder`` of its
        newest order; anything else None. ``quantity`` in shares (FX: base units)."""
        if self.instrument is None or not 0 <= row < self._rows:
            return None
        if col in (COL_BID, COL_ASK):
            if quantity <= 0:
                return None
            action = Action.BUY if col == COL_BID else Action.SELL
            return PlaceOrder(OrderRequest(self.instrument, action, float(quantity), OrderType.LMT,
                                           limit_price=self.price_at(row)))
        orders = self.orders_at(row, col)
        return CancelOrder(orders[-1].order_id) if orders else None

    def move_intent(self, from_row: int, col: int, to_row: int):
        """The command dragging an own order from ``(from_row, col)`` to ``to_row`` means:
        ``ModifyOrder`` of its newest order with the new row's price as limit; None when no
        order is there or the row is the same."""
        orders = self.orders_at(from_row, col)
        if not orders or to_row == from_row or not 0 <= to_row < self._rows:
            return None
        return ModifyOrder(orders[-1].order_id, limit_price=self.price_at(to_row))


def _order_sig(orders: list[OrderRecord] | None):
    return None if not orders else tuple((o.order_id, o.remaining, o.quantity) for o in orders)


__all__ = ["COLUMNS", "CUMULATIVE_HEADERS", "COL_ASK", "COL_BID", "COL_BUYS", "COL_LAST", "COL_PRICE", "COL_SELLS",
           "LadderModel", "RawRole", "cumulate", "tick_decimals", "tick_index", "tick_price"]
