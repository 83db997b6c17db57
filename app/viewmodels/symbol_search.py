"""Symbol search for a symbol field: debounced, cancellable IB reqMatchingSymbols.

:class:`SymbolSearch` takes the field's text on every edit (:meth:`SymbolSearch.set_text`)
and asks ``session.matching_symbols`` once the typing pauses for ``delay_ms`` (default
250 ms: one request per pause in the typing, not per keystroke). A newer query cancels
the older one's task, and an answer that arrives for a query that is no longer the
latest is dropped (a generation number), so the list always belongs to the text in the
field. The matches are a list model (:class:`SymbolMatchesModel`: symbol, name, type,
exchange, currency) with a current row moved by :meth:`SymbolSearch.move` (Up / Down) and
taken by :meth:`SymbolSearch.pick` (Enter), so the search is usable from the keyboard
alone. Problems are a one-line :attr:`SymbolSearch.message` for the field: not
connected, no answer, nothing found. Source: IB API docs "Stock Symbol Search".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal

from app.broker.errors import NotConnectedError
from app.domain import SymbolMatch
from app.domain.futures import FRONT_MONTH_PREFIX, parse_future

log = logging.getLogger(__name__)

#: wait after the last keystroke before asking the gateway (ms)
DEBOUNCE_MS = 250
#: the security types a symbol field takes (``Instrument.parse``: stocks and currency pairs)
DEFAULT_SEC_TYPES = ("STK", "CASH")
#: the ``SymbolMatch`` of a row
MATCH_ROLE = Qt.ItemDataRole.UserRole + 1



def names_a_future(text: str) -> bool:
    """True for text the terminal resolves as a future without searching: "/ES" (the front-month
    shortcut, even of an unknown root: Enter says why) or a local symbol "ESZ6"
    (``app.domain.futures``)."""
    text = text.strip().upper()
    return text.startswith(FRONT_MONTH_PREFIX) or parse_future(text) is not None

class SymbolMatchesModel(QAbstractListModel):
    """The matches of the latest query, one row each. ``DisplayRole``: "AAPL  APPLE INC ·
    STK NASDAQ USD"; :data:`MATCH_ROLE`: the ``SymbolMatch``; ``ToolTipRole``: the conId and
    derivative types."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[SymbolMatch] = []

    def set_matches(self, matches: list[SymbolMatch]) -> None:
        """Replace the rows (a reset: one per answered query, not per keystroke)."""
        self.beginResetModel()
        self._rows = list(matches)
        self.endResetModel()

    def match_at(self, row: int) -> SymbolMatch:
        """The match of ``row``; ``IndexError`` outside the rows."""
        return self._rows[row]

    def matches(self) -> list[SymbolMatch]:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        m = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            where = " ".join(x for x in (m.sec_type, m.primary_exchange, m.currency) if x)
            return f"{m.display_symbol}  {m.name} · {where}" if m.name else f"{m.display_symbol} · {where}"
        if role == MATCH_ROLE:
            return m
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"conId {m.con_id}"
            return tip + (f"; derivatives: {', '.join(m.derivative_types)}" if m.derivative_types else "")
        return None


class SymbolSearch(QObject):
    """The search behind one symbol field.

    ``session`` provides ``async matching_symbols(pattern) -> list[SymbolMatch]``
    (``app.broker.session.Session``; a session without it makes the search inert).
    ``delay_ms`` is the debounce, ``sec_types`` the security types kept (None = all),
    ``limit`` the most rows shown. Signals: ``matchesChanged`` (new rows), ``currentChanged(int)``
    (-1 = none), ``messageChanged(str)`` ("" = none), ``picked(SymbolMatch)``.
    """

    matchesChanged = Signal()
    currentChanged = Signal(int)
    messageChanged = Signal(str)
    picked = Signal(object)

    def __init__(self, session, parent: QObject | None = None, *, delay_ms: int = DEBOUNCE_MS,
                 sec_types: tuple[str, ...] | None = DEFAULT_SEC_TYPES, limit: int = 16):
        super().__init__(parent)
        self.session = session
        self.sec_types = sec_types
        self.limit = int(limit)
        self.matches = SymbolMatchesModel(self)
        self._text = ""
        self._current = -1
        self._message = ""
        self._gen = 0
        self._task: asyncio.Task | None = None
        self.queries = 0          # queries sent (for tests)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(0, int(delay_ms)))
        self._timer.timeout.connect(self.search_now)

    @property
    def text(self) -> str:
        return self._text

    @property
    def current(self) -> int:
        """The highlighted row, -1 for none."""
        return self._current

    @property
    def message(self) -> str:
        return self._message

    @property
    def pending(self) -> bool:
        """True while a query waits for its debounce or its answer."""
        return self._timer.isActive() or (self._task is not None and not self._task.done())

    def set_text(self, text: str) -> None:
        """The field's text changed (the user typed): search again after the debounce.
        Blank text, a future's local symbol ("ESZ6") or the front-month shortcut ("/ES") clears
        the matches and the message at once (IB's symbol search lists no futures: Enter resolves
        them)."""
        self._text = text.strip()
        self._abandon()
        if not self._text or names_a_future(self._text):
            self._show([], "")
            return
        self._timer.start()

    def search_now(self) -> None:
        """Send the query for the current text now (the debounce's end)."""
        self._timer.stop()
        self._abandon()
        if not self._text or not hasattr(self.session, "matching_symbols"):
            return
        self._gen += 1
        self.queries += 1
        self._task = asyncio.ensure_future(self._run(self._gen, self._text))

    def cancel(self) -> None:
        """Stop waiting (the field was submitted or closed): pending queries are dropped."""
        self._timer.stop()
        self._abandon()

    def clear(self) -> None:
        """Forget the matches and the message (the popup closed)."""
        self.cancel()
        self._show([], "")

    def move(self, delta: int) -> int:
        """Move the highlight by ``delta`` rows (Down = +1, Up = -1), wrapping; returns it."""
        n = self.matches.rowCount()
        if n:
            self._set_current(0 if self._current < 0 and delta > 0 else
                              n - 1 if self._current < 0 else (self._current + delta) % n)
        return self._current

    def set_current(self, row: int) -> None:
        """Highlight ``row`` (-1 = none; out of range = none)."""
        self._set_current(row if 0 <= row < self.matches.rowCount() else -1)

    def pick(self) -> SymbolMatch | None:
        """The highlighted match (emitted on ``picked``), or None when nothing is highlighted;
        pending queries are dropped."""
        if self._current < 0:
            return None
        m = self.matches.match_at(self._current)
        self.cancel()
        self.picked.emit(m)
        return m

    def _abandon(self) -> None:
        self._gen += 1                       # an answer on its way is now stale
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    async def _run(self, gen: int, text: str) -> None:
        try:
            found = await self.session.matching_symbols(text)
        except asyncio.CancelledError:
            return
        except NotConnectedError:
            if gen == self._gen:
                self._show([], "Not connected: type the whole symbol and press Enter")
            return
        except Exception as e:  # noqa: BLE001 - every failure is a message at the field
            log.info("symbol search for %r failed: %s", text, e)
            if gen == self._gen:
                self._show([], f"Symbol search failed: {e}")
            return
        if gen != self._gen:
            return                           # a newer query owns the list
        if self.sec_types is not None:
            found = [m for m in found if m.sec_type in self.sec_types]
        found = found[:self.limit]
        self._show(found, "" if found else f"No symbol matches '{text}'")

    def _show(self, found: list[SymbolMatch], message: str) -> None:
        if found or self.matches.rowCount():
            self.matches.set_matches(found)
            self._current = -1
            self.matchesChanged.emit()
            self.currentChanged.emit(-1)
        if message != self._message:
            self._message = message
            self.messageChanged.emit(message)

    def _set_current(self, row: int) -> None:
        if row != self._current:
            self._current = row
            self.currentChanged.emit(row)
