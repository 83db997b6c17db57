"""Staleness of market and account data, as every panel shows it.

:class:`StaleWatch` follows one Session: it goes stale on ``staleEvent(True,
reason)`` (socket lost, reconnecting, IB 1100, a data farm down, a dead link) and
on ``stateEvent`` DISCONNECTED / LOST / FAILED / RECONNECTING (a manual
Disconnect greys prices too, as TWS does); it goes live on ``staleEvent(False)``
or on ``stateEvent`` CONNECTED when the session itself does not say its data is
stale (``Session.data_stale``). It knows since when (``since``, monotonic
seconds) and why (``reason``), and while stale ticks once a second (``tick``) so
a view can refresh the age it shows without repainting per quote.

Going live does not make a value fresh: each panel keeps every value it showed
grey until that value is updated after the link is live again
(:class:`StaleRows` for record tables, a flag per value elsewhere).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont

from app.domain import ConnectionState
from app.ui import theme
from app.viewmodels.table import FIRST_CUSTOM_ROLE

#: True for a cell whose value is not live (``StaleRows``); watchlist's FLASH_ROLE is FIRST_CUSTOM_ROLE
STALE_ROLE = FIRST_CUSTOM_ROLE + 1
#: the roles a stale cell answers differently
_STALE_ROLES = frozenset({Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole,
                          Qt.ItemDataRole.ToolTipRole, STALE_ROLE})
#: text colour of a value that is not live in the light theme (TWS greys stale prices);
#: models and views ask ``theme.qcolor("stale_text")`` / ``$stale_text`` for the current one
STALE_TEXT = theme.ROLES["stale_text"][0]
#: background of the "stale" badges and flags (amber, as the RECONNECTING state)
STALE_BADGE = theme.FILLS["stale"][0]
#: connection states in which nothing shown is live
STALE_STATES = frozenset({ConnectionState.DISCONNECTED, ConnectionState.LOST, ConnectionState.FAILED,
                          ConnectionState.RECONNECTING})
#: how often the age of stale data is refreshed, in milliseconds
TICK_MS = 1000


def fmt_age(seconds: float) -> str:
    """A short age: "0 s", "12 s", "3 min 05 s", "2 h 07 min"."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class StaleWatch(QObject):
    """Whether ``session``'s data is stale now, since when and why.

    Signals: ``changed(bool stale)`` when the flag flips; ``tick()`` once a second
    while stale (refresh the age shown). ``clock`` (monotonic seconds) is
    injectable for tests.
    """

    changed = Signal(bool)
    tick = Signal()

    def __init__(self, session, parent: QObject | None = None, *,
                 clock: Callable[[], float] = time.monotonic, tick_ms: int = TICK_MS):
        super().__init__(parent)
        self.session = session
        self.clock = clock
        self.stale = False
        self.reason = ""
        #: monotonic seconds when the data went stale (None while live)
        self.since: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.tick)
        state = getattr(session, "state", None)
        #: a state change greys data only once there was data (not a failed first connect)
        self._had_link = bool(getattr(session, "is_connected", True))
        if getattr(session, "data_stale", False):
            self._set(True, "Data may be out of date")
        elif state in (ConnectionState.LOST, ConnectionState.RECONNECTING):
            self._set(True, str(state.value))
        self._events = [(e, h) for e, h in ((getattr(session, "staleEvent", None), self._on_stale),
                                             (getattr(session, "stateEvent", None), self._on_state))
                        if e is not None]  # a partial session stand-in may lack one
        for event, handler in self._events:
            event += handler

    def close(self) -> None:
        """Stop listening to the session."""
        if shiboken6.isValid(self._timer):
            self._timer.stop()
        for event, handler in self._events:
            event -= handler
        self._events = []

    def _gone(self) -> bool:
        """True (and detached from the session) once the Qt object was deleted with its parent."""
        if shiboken6.isValid(self):
            return False
        self.close()
        return True

    def _on_stale(self, stale: bool, reason: str = "") -> None:
        if self._gone():
            return
        self._set(bool(stale), reason or ("Data may be out of date" if stale else ""))

    def _on_state(self, state, message: str = "") -> None:
        if self._gone():
            return
        if state in STALE_STATES:
            if self._had_link:
                self._set(True, str(state.value))
        elif state is ConnectionState.CONNECTED:
            self._had_link = True
            if not getattr(self.session, "data_stale", False):
                self._set(False, "")

    def _set(self, stale: bool, reason: str) -> None:
        if stale:
            self.reason = reason  # the latest step ("Reconnecting") but the age from the first
            if self.stale:
                self.tick.emit()
                return
            self.stale, self.since = True, self.clock()
            self._timer.start()
        else:
            if not self.stale:
                return
            self.stale, self.since, self.reason = False, None, ""
            self._timer.stop()
        self.changed.emit(self.stale)

    def age(self) -> float:
        """Seconds since the data went stale (0 while live)."""
        return 0.0 if self.since is None else max(0.0, self.clock() - self.since)

    def text(self) -> str:
        """"Stale for 12 s: Connection lost" while stale, "" while live."""
        if not self.stale:
            return ""
        return f"Stale for {fmt_age(self.age())}" + (f": {self.reason}" if self.reason else "")


class StaleRows:
    """Mixin for a :class:`~app.viewmodels.table.RecordTableModel` whose rows go grey while stale.

    Call :meth:`_init_stale` from ``__init__`` with the session and the column
    numbers holding market or account values. When the data goes stale every row
    is marked stale (one ``dataChanged`` over the whole table); a row becomes live
    again on :meth:`touch` (the model's update of that row) once the data is
    live. For stale cells ``data`` answers ``ForegroundRole`` grey,
    :data:`STALE_ROLE` True and a tooltip with the age. :meth:`touch` also keeps
    the time of each row's last update (``updated_at``).
    """

    def _init_stale(self, session, columns: Iterable[int], *,
                    clock: Callable[[], float] = time.monotonic) -> None:
        self.staleness = StaleWatch(session, self, clock=clock)
        self._stale_columns = frozenset(columns)
        self._stale_keys: set[Hashable] = set()
        self._updated_at: dict[Hashable, float] = {}
        self.staleness.changed.connect(self._stale_changed)
        if self.staleness.stale:
            self._stale_changed(True)

    def _stale_changed(self, stale: bool) -> None:
        if stale:
            self._stale_keys = set(self.keys())
            self.dirty.flush_now()
            if len(self):
                self.dataChanged.emit(self.index(0, 0), self.index(len(self) - 1, len(self.columns) - 1))

    def touch(self, key: Hashable) -> None:
        """The row ``key`` was just updated: keep the time; live again unless the data is stale."""
        self._updated_at[key] = self.staleness.clock()
        if self.staleness.stale:
            self._stale_keys.add(key)  # a value that arrives while stale is not trusted either
        elif key in self._stale_keys:
            self._stale_keys.discard(key)
            row = self.row_of(key)
            if row is not None:
                self.dirty.mark_columns(row, self._stale_columns)

    def forget(self, key: Hashable) -> None:
        """Drop what is kept about a removed row."""
        self._stale_keys.discard(key)
        self._updated_at.pop(key, None)

    def is_stale(self, key: Hashable) -> bool:
        """True while the row ``key`` shows values that are not live."""
        return key in self._stale_keys

    def updated_at(self, key: Hashable) -> float | None:
        """Monotonic seconds of the row's last update (None if never)."""
        return self._updated_at.get(key)

    def stale_tip(self, key: Hashable) -> str:
        """Tooltip of a stale row: "Stale for 12 s: Connection lost" and the age of its last update."""
        watch = self.staleness
        head = watch.text() or "Not updated since the connection came back"
        t = self._updated_at.get(key)
        return head + (f"\nLast update {fmt_age(watch.clock() - t)} ago" if t is not None else "")

    def _special_row(self, row: int) -> bool:
        """A stale row's paint roles come from :meth:`data` (grey, italic), not the table's
        fast path (``RecordTableModel.multiData``)."""
        return bool(self._stale_keys) and 0 <= row < len(self._keys) and self._keys[row] in self._stale_keys

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        """For stale cells: ``ForegroundRole`` grey, ``FontRole`` italic, :data:`STALE_ROLE`
        True and the stale tooltip. While nothing is stale it adds one set test to the
        table's ``data`` (the watchlist asks for every cell's roles on each repaint)."""
        if (self._stale_keys and role in _STALE_ROLES and index.isValid()
                and index.column() in self._stale_columns and 0 <= index.row() < len(self)):
            key = self._keys[index.row()]
            if key in self._stale_keys:
                if role == STALE_ROLE:
                    return True
                if role == Qt.ItemDataRole.ForegroundRole:
                    return theme.qcolor("stale_text")
                if role == Qt.ItemDataRole.FontRole:
                    font = QFont(super().data(index, role) or QFont())
                    font.setItalic(True)
                    return font
                tip = super().data(index, role)
                return self.stale_tip(key) + (f"\n{tip}" if tip else "")
        if role == STALE_ROLE:
            return False
        return super().data(index, role)
