"""The watchlist view-model: one row per instrument with its live quote.

Fed by ``Session.quotesEvent`` (one batch per socket read, ib_async
``pendingTickersEvent``); changed cells are coalesced into at most ~30
``dataChanged`` flushes per second. A price that ticks up or down "flashes"
(:data:`FLASH_ROLE` is +1 / -1 for ``FLASH_MS`` milliseconds, 0 otherwise, and
``BackgroundRole`` is green / red meanwhile, painted by Qt's own delegate). Change and change % are coloured by
sign. Symbols are resolved with ``Session.resolve`` (IB reqContractDetails) and
quoted with ``Session.subscribe_quotes`` (IB reqMktData).

The symbol list persists through :meth:`WatchlistModel.symbols` /
:meth:`WatchlistModel.set_symbols` (display symbols such as "AAPL", "EUR.USD").
Rows may exist before the session is connected ("unresolved"); :meth:`start`
resolves and subscribes them; the model runs it itself on ``stateEvent``
CONNECTED (calling it again is harmless). Each row holds one counted quote
subscription (``Session.subscribe_quotes``), which the Session re-requests
after a reconnect.

Drag and drop: a dragged row carries its number in its own list (:data:`ROW_MIME`) and its
instrument (``app.viewmodels.instrument_mime``); dropped on its own list it moves, anywhere
else it is a copy (the row stays). Instruments or symbol text dropped on the list are
added (:meth:`WatchlistModel.add_instrument` / :meth:`WatchlistModel.add_symbol`).

Staleness (:class:`~app.viewmodels.staleness.StaleRows`): when the session's
data goes stale (``staleEvent`` True, or a lost / closed connection) every row's
quote cells turn grey (``ForegroundRole``, :data:`~app.viewmodels.staleness.STALE_ROLE`, a tooltip "Stale
for 12 s: Connection lost" with the age of the row's last quote) in one
``dataChanged`` over the table, and nothing flashes; a row is live again on its
first quote after the data is live again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QMimeData, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor

from app.domain import ConnectionState, Instrument, Quote
from app.domain.futures import is_front_month
from app.ui import theme
from app.ui.format import (
    fmt_pct, fmt_price, fmt_qty, fmt_signed, fmt_volume, is_missing,
    sign_colour, tick_decimals,
)
from app.viewmodels.instrument_mime import (
    InstrumentDragRows, instruments_from_mime, symbols_from_mime,
)
from app.viewmodels.staleness import StaleRows
from app.viewmodels.coalesce import FLUSH_INTERVAL_MS
from app.viewmodels.table import FIRST_CUSTOM_ROLE, Column, RecordTableModel

log = logging.getLogger(__name__)

#: +1 (ticked up), -1 (ticked down) or 0 for a price cell
FLASH_ROLE = FIRST_CUSTOM_ROLE
#: how long a price change flashes, in milliseconds
FLASH_MS = 500
#: the drag-and-drop format of a watchlist row ("<list token>:<row number>", ASCII): rows move
#: only within their own list; the drag also carries the row's instrument (INSTRUMENT_MIME)
ROW_MIME = "application/x-ibdesk-watchlist-row"
_DRAG_TOKENS = itertools.count(1)
#: the list a new profile starts with
DEFAULT_SYMBOLS: tuple[str, ...] = ("AAPL", "MSFT", "NVDA", "SPY", "EUR.USD")


class WatchlistError(ValueError):
    """A symbol cannot be added; ``str(e)`` is the message to show inline."""


@dataclass(slots=True)
class WatchRow:
    """One watchlist row: the instrument (``con_id`` 0 while unresolved), its
    latest quote, the per-column flash state (column -> (direction, monotonic
    expiry seconds)), the last error text ("" when fine) and, for a row typed as a
    front month, that text ("/ES": the row is saved so and rolls to the next contract;
    ``app.domain.futures``)."""

    instrument: Instrument
    quote: Quote | None = None
    flash: dict[int, tuple[int, float]] = field(default_factory=dict)
    error: str = ""
    front_month: str = ""

    @property
    def resolved(self) -> bool:
        return bool(self.instrument.con_id)


def _q(attr: str):
    def get(r: WatchRow):
        v = getattr(r.quote, attr) if r.quote is not None else None
        return None if is_missing(v) else v
    return get


def _price(v, r: WatchRow) -> str:
    return fmt_price(v, r.instrument.min_tick)


def _symbol_tip(v, r: WatchRow) -> str | None:
    i = r.instrument
    if r.error:
        return r.error
    if not r.resolved:
        return f"{i.display_symbol}: not resolved yet (waiting for the connection)"
    parts = [i.long_name or i.display_symbol, f"{i.sec_type} {i.exchange}"
             + (f" ({i.primary_exchange})" if i.primary_exchange else ""),
             f"{i.currency}, conId {i.con_id}, tick {i.min_tick}"]
    if r.front_month:
        parts.append(f"{r.front_month}: the front month, {i.display_symbol} until its last trade date "
                     f"{i.expiry}; then the next contract (at the next connect)")
    return "\n".join(parts)


def _symbol_colour(v, r: WatchRow) -> QColor | None:
    if r.error:
        return theme.qcolor("error_text")
    if not r.resolved:
        return theme.qcolor("unresolved_text")
    return None


def _size_tip(side: str):
    def tip(v, r: WatchRow) -> str | None:
        if r.quote is None:
            return None
        size = getattr(r.quote, f"{side}_size")
        return f"{side.title()} size: {fmt_qty(size)}" if not is_missing(size) else None
    return tip


#: the widest price a column is sized for ("88,888.88"; FX "1.23456" is narrower)
PRICE_SAMPLE = "88,888.88"

COLUMNS: tuple[Column[WatchRow], ...] = (
    Column("symbol", "Symbol", lambda r: r.instrument.display_symbol,
           tooltip=_symbol_tip, foreground=_symbol_colour, sample="EUR.USD"),
    Column("bid_size", "Bid Sz", _q("bid_size"), lambda v, r: fmt_qty(v), numeric=True,
           header_tip="Bid size (shares)", sample="888,800"),
    Column("bid", "Bid", _q("bid"), _price, numeric=True, tooltip=_size_tip("bid"), sample=PRICE_SAMPLE),
    Column("ask", "Ask", _q("ask"), _price, numeric=True, tooltip=_size_tip("ask"), sample=PRICE_SAMPLE),
    Column("ask_size", "Ask Sz", _q("ask_size"), lambda v, r: fmt_qty(v), numeric=True,
           header_tip="Ask size (shares)", sample="888,800"),
    Column("last", "Last", _q("last"), _price, numeric=True, sample=PRICE_SAMPLE),
    Column("change", "Change", lambda r: r.quote.change if r.quote else None,
           lambda v, r: fmt_signed(v, tick_decimals(r.instrument.min_tick)), numeric=True,
           foreground=lambda v, r: sign_colour(v), header_tip="Mark minus previous close",
           sample="+8,888.88"),
    Column("change_pct", "Chg %", lambda r: r.quote.change_pct if r.quote else None,
           lambda v, r: fmt_pct(v), numeric=True, foreground=lambda v, r: sign_colour(v),
           header_tip="Change in percent of the previous close", sample="+88.88%"),
    Column("volume", "Volume", _q("volume"), lambda v, r: fmt_volume(v), numeric=True,
           header_tip="Day volume (shares; K = thousand, M = million, B = billion)", sample="88.8M"),
)

_FLASH_COLUMNS = tuple(i for i, c in enumerate(COLUMNS) if c.key in ("bid", "ask", "last"))
#: the cells that come from the quote (greyed while stale): every column but the symbol
QUOTE_COLUMNS = tuple(i for i, c in enumerate(COLUMNS) if c.key != "symbol")




def _row_key(instrument: Instrument) -> str:
    return instrument.display_symbol.upper()


def _front_text(instrument: Instrument) -> str:
    """"/ES" for an unresolved front-month future, else ""."""
    return instrument.display_symbol if is_front_month(instrument) else ""


class WatchlistModel(InstrumentDragRows, StaleRows, RecordTableModel[WatchRow]):
    """Watchlist rows keyed by display symbol ("AAPL", "EUR.USD").

    ``session`` follows the Session contract (``resolve``, ``subscribe_quotes``,
    ``unsubscribe_quotes``, ``quote``, ``quotesEvent``, ``is_connected``,
    ``staleEvent``, ``stateEvent``). Signals: ``message(str)`` for inline notices
    (errors of background resolves). ``staleness`` is the model's
    :class:`~app.viewmodels.staleness.StaleWatch` (``clock`` is injectable for tests).
    """

    message = Signal(str)

    def __init__(self, session, parent: QObject | None = None, *, flash_ms: int = FLASH_MS,
                 interval_ms: int | None = None, clock=time.monotonic):
        kw = {} if interval_ms is None else {"interval_ms": interval_ms}
        super().__init__(COLUMNS, parent, **kw)
        self.session = session
        self.flash_ms = flash_ms
        self._by_quote_key: dict[str, str] = {}
        self._pending_resolve: set[str] = set()
        self._start_task: asyncio.Future | None = None
        self._flashing: set[str] = set()     # keys of rows with a flashing cell
        #: tells this list's dragged rows from another list's (ROW_MIME "<token>:<row>")
        self._drag_token = f"{os.getpid()}.{next(_DRAG_TOKENS)}"
        #: background adds of dropped instruments / symbols (:meth:`dropMimeData`)
        self.drops: set[asyncio.Future] = set()
        #: passes of the flash expiry timer (tests and benchmarks)
        self.flash_passes = 0
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.timeout.connect(self._expire_flashes)
        session.quotesEvent += self.on_quotes
        session.stateEvent += self._on_state
        self._init_stale(session, QUOTE_COLUMNS, clock=clock)

    def close(self) -> None:
        """Stop listening to the session and release every quote subscription."""
        self.unsubscribe_all()
        self.session.quotesEvent -= self.on_quotes
        self.session.stateEvent -= self._on_state
        self.staleness.close()

    def _stale_changed(self, stale: bool) -> None:
        """Going stale ends every flash (no flashes on prices that are not live)."""
        if stale:
            for row in self.records():
                row.flash.clear()
            self._flashing.clear()
            self._flash_timer.stop()
        super()._stale_changed(stale)

    def _on_state(self, state, message: str = "") -> None:
        """On CONNECTED, resolve and subscribe rows added while offline (runs :meth:`start`)."""
        if state is ConnectionState.CONNECTED and len(self):
            asyncio.ensure_future(self._start_logged())

    # ---- symbols ----------------------------------------------------------
    def symbols(self) -> list[str]:
        """Symbols in row order, for QSettings: the display symbol, or the front-month text
        ("/ES") of a row typed so, which resolves to the front month again at each start."""
        return [r.front_month or r.instrument.display_symbol for r in self.records()]

    def instruments(self) -> list[Instrument]:
        """The rows' instruments in row order (con_id 0 while unresolved)."""
        return [r.instrument for r in self.records()]

    def set_symbols(self, symbols: list[str] | tuple[str, ...]) -> list[str]:
        """Replace the rows with ``symbols`` (unresolved until :meth:`start` or now if connected).

        Text that ``Instrument.parse`` rejects and duplicates are skipped;
        returns the list of skipped entries with reasons.
        """
        self.unsubscribe_all()
        self.clear()
        self._by_quote_key.clear()
        for key in list(self._updated_at):
            self.forget(key)
        skipped: list[str] = []
        for text in symbols:
            try:
                inst = Instrument.parse(str(text))
            except ValueError as e:
                skipped.append(f"{text}: {e}")
                continue
            if self.row_of(_row_key(inst)) is not None:
                skipped.append(f"{text}: duplicate")
                continue
            self.upsert(_row_key(inst), WatchRow(inst, front_month=_front_text(inst)))
        if getattr(self.session, "is_connected", False):
            asyncio.ensure_future(self._start_logged())
        return skipped

    def contains(self, text: str) -> bool:
        """True when the symbol ``text`` (as typed) already has a row."""
        try:
            return self.row_of(_row_key(Instrument.parse(text))) is not None
        except ValueError:
            return False

    async def add_symbol(self, text: str) -> Instrument:
        """Resolve ``text`` (IB reqContractDetails), add a row and subscribe its quotes.

        Returns the resolved Instrument. Raises :class:`WatchlistError` with a
        message for the user: malformed text, duplicate, "No security definition
        for 'XYZ'" (IB error 200), not connected, or the session's error text.
        """
        try:
            inst = Instrument.parse(text)
        except ValueError as e:
            raise WatchlistError(str(e)) from None
        return await self.add_instrument(inst)

    async def add_instrument(self, inst: Instrument) -> Instrument:
        """Resolve ``inst`` (IB reqContractDetails with its conId, exchange and currency as
        given: a row dragged from the scanner or the positions) and add it as
        :meth:`add_symbol` does; the same :class:`WatchlistError` messages."""
        key = _row_key(inst)
        if self.row_of(key) is not None or key in self._pending_resolve:
            raise WatchlistError(f"{inst.display_symbol} is already in the watchlist")
        if not getattr(self.session, "is_connected", False):
            raise WatchlistError(f"Cannot add {inst.display_symbol}: not connected")
        self._pending_resolve.add(key)
        try:
            resolved = await self.session.resolve(inst)
        except LookupError:  # app.broker.errors.UnknownSymbolError (IB error 200)
            raise WatchlistError(f"No security definition for '{inst.display_symbol}'") from None
        except (ValueError, ConnectionError) as e:
            raise WatchlistError(f"Cannot add {inst.display_symbol}: {e}") from None
        finally:
            self._pending_resolve.discard(key)
        front = _front_text(inst)
        rkey = key if front else _row_key(resolved)      # "/ES" stays "/ES": it rolls
        if self.row_of(rkey) is not None or (resolved.con_id and str(resolved.con_id) in self._by_quote_key):
            raise WatchlistError(f"{resolved.display_symbol} is already in the watchlist")
        self.upsert(rkey, WatchRow(resolved, self.session.quote(resolved.key), front_month=front))
        self.touch(rkey)  # grey at once when added while the data is stale
        self._subscribe(rkey, resolved)
        return resolved

    def remove_symbol(self, symbol: str) -> bool:
        """Remove a row by display symbol and unsubscribe its quotes; False if absent."""
        try:
            key = _row_key(Instrument.parse(symbol))
        except ValueError:
            key = symbol.strip().upper()
        row = self.record_for(key)
        if row is None:   # a front-month row ("/ES") named by its contract ("ESZ6")
            key = next((k for k, r in zip(self.keys(), self.records())
                        if r.front_month and _row_key(r.instrument) == key), key)
            row = self.record_for(key)
        if row is None:
            return False
        self._release(row.instrument)
        self.forget(key)
        return self.remove(key)

    def move_symbol(self, src: int, dst: int) -> bool:
        """Move the row at ``src`` to row ``dst`` (a drag in the view); the new order is what
        :meth:`symbols` returns (and what is saved). False when nothing moved."""
        return self.move_row(src, dst)

    # ---- drag and drop ----------------------------------------------------------
    # A dragged row carries ROW_MIME ("<list token>:<row>") and the row's instrument
    # (app.viewmodels.instrument_mime: INSTRUMENT_MIME JSON + text/plain). Dropped on its
    # own list it moves; dropped on another list or panel it is a copy (the drag offers
    # CopyAction only, so no view ever removes the source row); instruments or symbol
    # text from elsewhere are added to this list.
    def flags(self, index):  # noqa: D102 (Qt override)
        f = super().flags(index)   # InstrumentDragRows: a row drags (as a copy)
        return f if index.isValid() else f | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self):  # noqa: N802, D102
        # Copy: the view must not remove the dragged row after the drop; dropMimeData moves it
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def drag_instrument(self, row: int) -> Instrument:
        """The instrument of row ``row`` (InstrumentDragRows)."""
        return self.record(row).instrument

    def mimeTypes(self) -> list[str]:  # noqa: N802, D102
        return [ROW_MIME, *super().mimeTypes()]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        """The dragged row (one row: the view selects single rows): its number in this list
        (:data:`ROW_MIME`) and its instrument (``INSTRUMENT_MIME`` + the symbol as text)."""
        data = super().mimeData(indexes)
        rows = self.drag_rows(indexes)
        if rows:
            data.setData(ROW_MIME, f"{self._drag_token}:{rows[0]}".encode("ascii"))
        return data

    def _own_row(self, data: QMimeData) -> int | None:
        """The row number of a row dragged from this very list, else None."""
        if not data.hasFormat(ROW_MIME):
            return None
        token, _, row = bytes(data.data(ROW_MIME)).decode("ascii", "replace").partition(":")
        if token != self._drag_token or not row.isdigit():
            return None
        return int(row)

    def _dropped_items(self, data: QMimeData) -> list[Instrument] | list[str]:
        return instruments_from_mime(data) or symbols_from_mime(data)

    def canDropMimeData(self, data: QMimeData, action, row: int, column: int,  # noqa: N802
                        parent: QModelIndex) -> bool:
        """A row of this list, instruments or symbol text (the view's drag highlight)."""
        if action == Qt.DropAction.IgnoreAction:
            return False
        return self._own_row(data) is not None or bool(self._dropped_items(data))

    def dropMimeData(self, data: QMimeData, action, row: int, column: int,  # noqa: N802
                     parent: QModelIndex) -> bool:
        """A row of this list is moved before ``row`` (or onto ``parent``'s row; at the end
        when both are -1 / invalid). Instruments dragged from elsewhere (another list, the
        scanner, a position) or dropped symbol text are added at the end, resolved as
        :meth:`add_instrument` does (in the background: errors such as "AAPL is already in
        the watchlist" come as ``message``); the task is kept in :attr:`drops`. Anything
        else is refused (False)."""
        if action == Qt.DropAction.IgnoreAction:
            return False
        src = self._own_row(data)
        if src is not None:
            if not 0 <= src < len(self):
                return False
            if row < 0:
                row = parent.row() if parent.isValid() else len(self)
            dst = row - 1 if row > src else row      # "before row" in the old numbering
            self.move_symbol(src, dst)
            return True
        items = self._dropped_items(data)
        if not items:
            return False
        task = asyncio.ensure_future(self._add_dropped(items))
        self.drops.add(task)
        task.add_done_callback(self.drops.discard)
        return True

    async def _add_dropped(self, items: list[Instrument] | list[str]) -> None:
        for item in items:
            name = item.display_symbol if isinstance(item, Instrument) else item
            try:
                if isinstance(item, Instrument):
                    await self.add_instrument(item)
                else:
                    await self.add_symbol(item)
            except WatchlistError as e:
                self.message.emit(str(e))
            except Exception as e:  # shown, never lost
                log.exception("adding dropped %s failed", name)
                self.message.emit(f"Cannot add {name}: {e}")

    def _subscribe(self, key: str, inst: Instrument) -> None:
        """Hold one quote subscription per row (the Session counts subscriptions and
        re-requests them itself after a reconnect)."""
        if inst.key in self._by_quote_key:
            return
        self._by_quote_key[inst.key] = key
        self.session.subscribe_quotes(inst)

    def unsubscribe_all(self) -> None:
        """Release the quote subscription of every row (on shutdown or before replacing the list)."""
        for r in self.records():
            self._release(r.instrument)
        self._by_quote_key.clear()

    def _release(self, inst: Instrument) -> None:
        """Give back a row's quote subscription, if it holds one (a gateway error is logged,
        never lets a removed row stay)."""
        if self._by_quote_key.pop(inst.key, None) is not None:
            try:
                self.session.unsubscribe_quotes(inst)
            except Exception as e:  # noqa: BLE001
                log.warning("unsubscribe %s failed: %s", inst.display_symbol, e)

    async def start(self) -> list[str]:
        """After a (re)connect: resolve unresolved rows and subscribe rows not yet
        subscribed (calling it again is harmless: a row holds one subscription, and
        a call while another runs waits for that one instead of resolving twice).

        Returns error messages for rows that failed (also kept in the row's
        tooltip and emitted on ``message``).
        """
        if self._start_task is None or self._start_task.done():
            self._start_task = asyncio.ensure_future(self._start_rows())
        return list(await asyncio.shield(self._start_task))

    async def _start_rows(self) -> list[str]:
        errors: list[str] = []
        for key in list(self.keys()):
            row = self.record_for(key)
            if row is None:
                continue
            inst = row.instrument
            if row.front_month and row.resolved and await self._roll(key, row):
                continue
            if row.resolved and inst.key in self._by_quote_key:
                continue  # already streaming; the Session re-requests it after a reconnect
            if not row.resolved:
                try:
                    inst = await self.session.resolve(inst)
                except LookupError:
                    msg = f"No security definition for '{inst.display_symbol}'"
                except Exception as e:
                    msg = f"Cannot resolve {inst.display_symbol}: {e}"
                else:
                    msg = ""
                if msg:
                    errors.append(msg)
                    if self.record_for(key) is not None:
                        self.upsert(key, WatchRow(inst, None, {}, msg, row.front_month))
                        self.refresh(key)     # the symbol turns red: not a column value
                    continue
            if self.record_for(key) is None:  # removed while resolving
                continue
            self.upsert(key, WatchRow(inst, self.session.quote(inst.key), front_month=row.front_month))
            self.refresh(key)                 # resolved: the grey symbol turns black
            self._subscribe(key, inst)
        for e in errors:
            self.message.emit(e)
        return errors

    async def _roll(self, key: str, row: WatchRow) -> bool:
        """Resolve a front-month row's text again ("/ES", at each connect: IB gateways
        reconnect at least daily); True when the front month changed and the row now shows
        and streams the new contract (the old one's quotes released). A failed lookup keeps
        the row's contract (logged)."""
        old = row.instrument
        try:
            new = await self.session.resolve(Instrument.parse(row.front_month))
        except Exception as e:  # noqa: BLE001 - the row keeps streaming its contract
            log.warning("%s: front month not looked up again: %s", row.front_month, e)
            return False
        current = self.record_for(key)
        if current is None or current.instrument.con_id != old.con_id or new.con_id == old.con_id:
            return False
        if new.key in self._by_quote_key:        # the next month is already a row of its own
            self.message.emit(f"{row.front_month} is now {new.display_symbol}, already in the watchlist: "
                              f"{old.display_symbol} is kept (remove one of the rows)")
            return False
        self._release(old)
        self.upsert(key, WatchRow(new, self.session.quote(new.key), front_month=row.front_month))
        self.refresh(key)
        self._subscribe(key, new)
        self.message.emit(f"{row.front_month} rolled from {old.display_symbol} to {new.display_symbol}")
        return True

    async def _start_logged(self) -> None:
        try:
            await self.start()
        except Exception as e:  # shown, never lost
            log.exception("watchlist start failed")
            self.message.emit(f"Watchlist: {e}")

    # ---- quotes -----------------------------------------------------------
    def on_quotes(self, quotes: list[Quote]) -> None:
        """Session ``quotesEvent`` handler: update rows in place, mark changed cells."""
        now = time.monotonic()
        expiry = now + self.flash_ms / 1000.0
        flashed = False
        stale = self.staleness.stale
        for q in quotes:
            key = self._by_quote_key.get(q.key)
            if key is None:
                continue
            row = self.record_for(key)
            if row is None:
                continue
            old = row.quote
            if old is not None and not stale:
                for col in _FLASH_COLUMNS:
                    attr = COLUMNS[col].key
                    a, b = getattr(old, attr), getattr(q, attr)
                    if is_missing(a) or is_missing(b) or a == b:
                        continue
                    row.flash[col] = (1 if b > a else -1, expiry)
                    flashed = True
                    self._flashing.add(key)
            row.quote = q
            self.upsert(key, row)
            self.touch(key)
        if flashed and not self._flash_timer.isActive():
            self._flash_timer.start(self.flash_ms)

    def _expire_flashes(self) -> None:
        """End the flashes due within the next frame, on the flashing rows only (a busy feed
        keeps hundreds of cells flashing: one pass per frame at most, not one per expiry)."""
        self.flash_passes += 1
        now = time.monotonic()
        horizon = now + FLUSH_INTERVAL_MS / 1000.0
        soonest = None
        for key in list(self._flashing):
            row = self.record_for(key)
            if row is None or not row.flash:
                self._flashing.discard(key)
                continue
            done = [c for c, (_, exp) in row.flash.items() if exp <= horizon]
            for c in done:
                del row.flash[c]
            if done:
                self.dirty.mark(self.row_of(key), min(done), max(done))   # the values are unchanged
            if not row.flash:
                self._flashing.discard(key)
                continue
            for _, exp in row.flash.values():
                soonest = exp if soonest is None else min(soonest, exp)
        if soonest is not None:
            self._flash_timer.start(max(FLUSH_INTERVAL_MS, int((soonest - now) * 1000)))

    def flash(self, row: int, column: int) -> int:
        """+1 / -1 while the cell flashes, else 0."""
        f = self.record(row).flash.get(column)
        return f[0] if f else 0

    def extra_data(self, row: int, column: int, role: int):
        if role == Qt.ItemDataRole.BackgroundRole:
            # the flash is the cell's background: Qt's own delegate paints it (no Python paint per cell)
            f = self.record(row).flash.get(column)
            return None if not f else theme.qcolor("flash_up_bg" if f[0] > 0 else "flash_down_bg")
        if role == FLASH_ROLE:
            return self.flash(row, column)
        return None

    def background_for(self, flash: int) -> QColor | None:
        """The flash colour a view paints for a :data:`FLASH_ROLE` value."""
        return theme.qcolor("flash_up_bg") if flash > 0 else theme.qcolor("flash_down_bg") if flash < 0 else None

    def is_ready(self) -> bool:
        """True when every row is resolved and has a quote (used by screenshot mode)."""
        recs = self.records()
        return bool(recs) and all(r.resolved and r.quote is not None for r in recs)
