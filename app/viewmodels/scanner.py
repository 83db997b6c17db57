"""The market scanner view-model: one live IB scan and its results as a table.

The user picks a scan code (from the gateway's scanner parameters: code + display name),
a location, the filters price above / below (instrument currency), volume above (shares)
and market cap above / below (millions of USD, IB's ``marketCapAbove1e6`` /
``marketCapBelow1e6``: only when the gateway's parameters list them; typed text is read by
:func:`parse_market_cap`), and the number of rows (1..50); :meth:`ScannerModel.start` opens the scan
(``Session.start_scan``, IB reqScannerSubscription), :meth:`ScannerModel.stop` ends it.
IB re-sends the whole list when it changes; :class:`ScanResultsModel` is keyed by rank
and updated in place (``RecordTableModel.upsert``: only changed cells repaint; rows
beyond the new length are removed, never a reset per refresh).

Each listed instrument's quote is followed (``Session.subscribe_quotes``, counted, so
the watchlist's own subscriptions are not disturbed) for the Last, Change % (against
the previous close) and Volume columns; the subscriptions follow the list.

:meth:`ScannerModel.choose` resolves a row's contract (``Session.resolve``, IB
reqContractDetails) and emits ``instrumentChosen(Instrument)`` so the window can load
it in the linked panels. IB's errors of the scan (162: refused / ended; 165: nothing
matches) come as ``message`` text. Source: IB API docs "Market Scanners"; TWS Market
Scanner window.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app.domain import ConnectionState, Instrument, Quote
from app.domain.scanner import (
    MARKET_CAP_ABOVE, MARKET_CAP_BELOW, MAX_SCAN_ROWS, ScannerParameters, ScanRequest, ScanRow,
)
from app.ui.format import fmt_pct, fmt_price, fmt_volume, is_missing, sign_colour
from app.viewmodels.instrument_mime import InstrumentDragRows
from app.viewmodels.table import Column, RecordTableModel, with_samples

log = logging.getLogger("ibdesk.scanner")

#: rows asked by default
DEFAULT_ROWS = 25
#: IB 165: the scan matches nothing right now (the subscription stays)
SCANNER_EMPTY = 165
#: the largest market cap a filter takes, millions of USD ($100 trillion: more than any company)
MAX_MARKET_CAP_M = 100_000_000


def parse_market_cap(text: str, label: str = "Market cap") -> float | None:
    """A market cap bound typed by the user, in millions of USD: ``""`` (blank) -> None (no
    bound); ``"2000"``, ``"2,000"``, ``"1 500.5"`` -> the number. ``ValueError`` with a message
    naming ``label`` for text that is not a number, a bound not above 0 or above
    :data:`MAX_MARKET_CAP_M`."""
    raw = (text or "").strip()
    if not raw:
        return None
    try:
        v = float(raw.replace(",", "").replace(" ", "").replace("_", ""))
    except ValueError:
        raise ValueError(f"{label}: {raw[:20]!r} is not a number (millions of USD, e.g. 2000 "
                         f"for $2B; blank = no bound)") from None
    if not v > 0:
        raise ValueError(f"{label} must be above 0 (millions of USD; blank = no bound)")
    if v > MAX_MARKET_CAP_M:
        raise ValueError(f"{label}: {v:,.0f} million is more than any company's market cap "
                         f"(at most {MAX_MARKET_CAP_M:,})")
    return v


@dataclass(frozen=True)
class ScanLine:
    """One table row: the scanner's row and the latest quote of its instrument (None
    until one arrives)."""

    row: ScanRow
    quote: Quote | None = None

    @property
    def last(self) -> float | None:
        v = self.quote.last if self.quote else None
        return None if is_missing(v) else v

    @property
    def change_pct(self) -> float | None:
        """Last against the previous close, percent; None without both."""
        q = self.quote
        if q is None or is_missing(q.last) or is_missing(q.close) or not q.close:
            return None
        return (q.last - q.close) / q.close * 100.0

    @property
    def volume(self) -> float | None:
        v = self.quote.volume if self.quote else None
        return None if is_missing(v) or v < 0 else v


COLUMNS: tuple[Column[ScanLine], ...] = with_samples((
    Column("rank", "#", lambda s: s.row.rank + 1, lambda v, s: str(v), numeric=True,
           header_tip="Rank in the scan (1 = first)"),
    Column("symbol", "Symbol", lambda s: s.row.symbol),
    Column("exchange", "Exch", lambda s: s.row.primary_exchange or s.row.exchange),
    Column("last", "Last", lambda s: s.last, lambda v, s: fmt_price(v), numeric=True),
    Column("change_pct", "Chg %", lambda s: s.change_pct, lambda v, s: fmt_pct(v), numeric=True,
           foreground=lambda v, s: sign_colour(v), header_tip="Last against the previous close"),
    Column("volume", "Volume", lambda s: s.volume, lambda v, s: fmt_volume(v), numeric=True,
           header_tip="Day volume (shares)"),
    Column("currency", "Ccy", lambda s: s.row.currency),
    Column("sec_type", "Type", lambda s: s.row.sec_type),
), {"rank": "88", "symbol": "GOOGL", "exchange": "NASDAQ", "last": "8,888.88",
    "change_pct": "+88.88%", "volume": "888M", "currency": "USD", "sec_type": "STK"})


def row_instrument(row: ScanRow) -> Instrument:
    """The (not yet fully resolved) ``Instrument`` of a scanner row: symbol, type, routing
    exchange, currency, conId, local symbol and primary exchange as IB sent them."""
    return Instrument(row.symbol, row.sec_type or "STK", row.exchange or "SMART",
                      row.currency or "USD", row.primary_exchange, row.con_id,
                      local_symbol=row.local_symbol)


class ScanResultsModel(InstrumentDragRows, RecordTableModel[ScanLine]):
    """The scan's rows keyed by rank (0 = first), :data:`COLUMNS`; ``set_rows`` applies a
    full list in place, ``on_quotes`` fills Last / Chg % / Volume. A row drags out as its
    instrument (:func:`row_instrument`, ``app.viewmodels.instrument_mime``)."""

    def __init__(self, parent: QObject | None = None, **kw):
        super().__init__(COLUMNS, parent, **kw)
        self._quotes: dict[str, Quote] = {}

    def drag_instrument(self, row: int) -> Instrument:
        """The instrument of table row ``row`` as IB listed it (InstrumentDragRows)."""
        return row_instrument(self.record(row).row)

    def set_rows(self, rows: list[ScanRow]) -> None:
        """Show ``rows`` (a full list from IB, any order): rank r's row is replaced in
        place, ranks not in the list are removed."""
        ranks = {r.rank for r in rows}
        for key in [k for k in self.keys() if k not in ranks]:
            self.remove(key)
        for r in sorted(rows, key=lambda r: r.rank):
            self.upsert(r.rank, ScanLine(r, self._quotes.get(r.key)))

    def on_quotes(self, quotes: list[Quote]) -> None:
        """Keep the latest quote of each listed instrument and update its row."""
        by_key = {}
        for line in self.records():
            by_key.setdefault(line.row.key, []).append(line)
        for q in quotes:
            lines = by_key.get(q.key)
            if not lines:
                continue
            self._quotes[q.key] = q
            for line in lines:
                self.upsert(line.row.rank, ScanLine(line.row, q))

    def forget_quote(self, key: str) -> None:
        """Drop the kept quote of instrument ``key`` (no longer followed)."""
        self._quotes.pop(key, None)


class ScannerModel(QObject):
    """One scanner panel's state over ``session`` (``app.broker.session.Session`` or a
    fake): ``scanner_parameters()``, ``start_scan`` / ``stop_scan``, ``scanEvent``,
    ``scanErrorEvent``, ``subscribe_quotes`` / ``unsubscribe_quotes``, ``quotesEvent``,
    ``resolve``. The results are :attr:`table` (:class:`ScanResultsModel`)."""

    #: the scanner parameters arrived (``ScannerParameters``)
    parametersChanged = Signal(object)
    #: the scan started (True) or stopped (False)
    runningChanged = Signal(bool)
    #: a status or error text for the user ("" = none)
    message = Signal(str)
    #: a row was chosen and its instrument resolved (``Instrument``)
    instrumentChosen = Signal(object)

    def __init__(self, session, parent: QObject | None = None, **kw):
        super().__init__(parent)
        self.session = session
        self.table = ScanResultsModel(self, **kw)
        self.request = ScanRequest("TOP_PERC_GAIN", rows=DEFAULT_ROWS)
        self._params: ScannerParameters | None = None
        self._scan_id: int | None = None
        self._followed: dict[str, Instrument] = {}      # key -> instrument with a quote subscription
        self._tasks: set[asyncio.Future] = set()
        session.scanEvent += self.on_scan
        session.scanErrorEvent += self.on_scan_error
        session.quotesEvent += self.table.on_quotes
        session.stateEvent += self._on_state
        self._loading: asyncio.Future | None = None

    # ------------------------------------------------------------ state

    @property
    def parameters(self) -> ScannerParameters | None:
        """The gateway's scanner parameters once :meth:`load_parameters` has run."""
        return self._params

    @property
    def running(self) -> bool:
        return self._scan_id is not None

    def offers_filter(self, code: str) -> bool:
        """True once the gateway's parameters list filter ``code`` (False before they arrive
        and for a gateway that does not offer it)."""
        return self._params is not None and self._params.offers_filter(code)

    def followed(self) -> dict[str, Instrument]:
        """Instruments whose quotes the panel follows now, by key."""
        return dict(self._followed)

    # ------------------------------------------------------------ user intents

    async def load_parameters(self) -> ScannerParameters | None:
        """Ask the session for the scanner parameters (IB reqScannerParameters, cached by the
        session) and emit ``parametersChanged``. On failure (not connected, timeout, bad
        XML) emits ``message`` and returns None."""
        try:
            params = await self.session.scanner_parameters()
        except Exception as e:     # noqa: BLE001 - shown to the user, the panel keeps working
            self.message.emit(f"Scanner parameters not available: {e}")
            return None
        self._params = params
        self.parametersChanged.emit(params)
        return params

    def ensure_parameters(self) -> asyncio.Future | None:
        """Load the parameters in the background (a task on the running loop) unless they
        are loaded or loading, or the session is not connected; returns the task or None.
        Called by the view when shown and by the model when the session connects."""
        if self._params is not None or not self.session.is_connected:
            return None
        if self._loading is None or self._loading.done():
            self._loading = asyncio.ensure_future(self.load_parameters())
        return self._loading

    def start(self, request: ScanRequest | None = None) -> None:
        """Start ``request`` (default: :attr:`request`), ending the running scan first; the
        table is cleared. ``rows`` is clamped to 1..50. ``ValueError`` (nothing is sent)
        when price above is not below price below, a market cap bound is not above 0, min is
        not below max, or a market cap bound is set while the gateway's parameters do not
        list its filter (not loaded yet, or a TWS without it)."""
        req = request or self.request
        if req.price_above is not None and req.price_below is not None \
                and req.price_above >= req.price_below:
            raise ValueError(f"price above {req.price_above:g} must be below price below "
                             f"{req.price_below:g}")
        self._check_market_cap(req)
        from dataclasses import replace
        req = replace(req, rows=max(1, min(MAX_SCAN_ROWS, int(req.rows))))
        self.stop()
        self.request = req
        self._scan_id = self.session.start_scan(req)
        name = self._params.code_name(req.code) if self._params else req.code
        self.message.emit(f"Scanning {name}…")
        self.runningChanged.emit(True)

    def _check_market_cap(self, req: ScanRequest) -> None:
        for code, label, v in ((MARKET_CAP_ABOVE, "Market cap min", req.market_cap_above),
                               (MARKET_CAP_BELOW, "Market cap max", req.market_cap_below)):
            if v is None:
                continue
            if not v > 0:
                raise ValueError(f"{label} must be above 0 (millions of USD)")
            if not self.offers_filter(code):
                raise ValueError(f"{label}: the gateway does not offer the market cap filter "
                                 f"({code})")
        lo, hi = req.market_cap_above, req.market_cap_below
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError(f"Market cap min {lo:,g} must be below max {hi:,g} (millions of USD)")

    def stop(self) -> None:
        """End the running scan (IB cancelScannerSubscription) and the quote subscriptions;
        the rows stay on screen. Not running: no-op."""
        if self._scan_id is None:
            return
        self.session.stop_scan(self._scan_id)
        self._scan_id = None
        self._follow([])
        self.runningChanged.emit(False)

    def choose(self, row: int) -> asyncio.Future | None:
        """Resolve the instrument of table row ``row`` (``Session.resolve``) and emit
        ``instrumentChosen``; returns the task (None for a row that does not exist). A
        failed lookup emits ``message``."""
        if not 0 <= row < len(self.table):
            return None
        task = asyncio.ensure_future(self._choose(self.table.record(row).row))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _choose(self, row: ScanRow) -> Instrument | None:
        try:
            inst = await self.session.resolve(row_instrument(row))
        except Exception as e:     # noqa: BLE001 - shown to the user
            self.message.emit(f"{row.symbol}: {e}")
            return None
        self.instrumentChosen.emit(inst)
        return inst

    def close(self) -> None:
        """Stop the scan and stop listening (the panel goes away)."""
        self.stop()
        self.session.scanEvent -= self.on_scan
        self.session.scanErrorEvent -= self.on_scan_error
        self.session.quotesEvent -= self.table.on_quotes
        self.session.stateEvent -= self._on_state
        if self._loading is not None:
            self._loading.cancel()
        for t in list(self._tasks):
            t.cancel()

    # ------------------------------------------------------------ session events

    def on_scan(self, scan_id: int, rows: list[ScanRow]) -> None:
        """Session ``scanEvent`` handler: show the running scan's new list."""
        if scan_id != self._scan_id:
            return
        self.table.set_rows(rows)
        self._follow(rows)
        name = self._params.code_name(self.request.code) if self._params else self.request.code
        self.message.emit(f"{name}: {len(rows)} rows" if rows else f"{name}: no matches")

    def on_scan_error(self, scan_id: int, code: int, message: str) -> None:
        """Session ``scanErrorEvent`` handler: 165 (nothing matches, the scan stays live)
        empties the table; any other code ends the scan. Both are shown as ``message``."""
        if scan_id != self._scan_id:
            return
        if code == SCANNER_EMPTY:
            self.table.set_rows([])
            self._follow([])
            self.message.emit(f"No matches (IB {code})")
            return
        self._scan_id = None
        self._follow([])
        self.runningChanged.emit(False)
        self.message.emit(f"Scan refused (IB {code}): {message}")

    # ------------------------------------------------------------ internals

    def _on_state(self, state, message: str = "") -> None:
        if state is ConnectionState.CONNECTED and self._params is None:
            try:
                self.ensure_parameters()
            except RuntimeError:      # no event loop (a test without one)
                pass

    def _follow(self, rows: list[ScanRow]) -> None:
        want = {r.key: row_instrument(r) for r in rows if r.con_id}
        for key in [k for k in self._followed if k not in want]:
            self.session.unsubscribe_quotes(self._followed.pop(key))
            self.table.forget_quote(key)
        for key, inst in want.items():
            if key not in self._followed:
                self._followed[key] = inst
                q = self.session.quote(key)
                self.session.subscribe_quotes(inst)
                if q is not None:
                    self.table.on_quotes([q])
