"""The news view-model: IB news bulletins, newest first, bounded.

The model subscribes to the session's bulletins for its whole life
(``Session.subscribe_bulletins(all_messages=True)``: IB reqNewsBulletins with the day's
bulletins first; counted, sent once the session is connected and again after a
reconnect) and shows each ``bulletinEvent`` as a row at the top (one
``beginInsertRows`` per bulletin: they are rare); past ``capacity`` the oldest row goes.
Each bulletin is also offered to the terminal's log as ``logLine(level, text)`` (level
"WARN" for an exchange that became unavailable, else "INFO"), the signature of
``LogPanel.add``. Columns: Time (received, by the one clock rule), Type, Exchange,
Text. Source: IB API docs "News Bulletins"; TWS's bulletin window.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from app.domain.scanner import BulletinType, NewsBulletin
from app.viewmodels.table import LEFT, RECORD_ROLE, SORT_ROLE, VALUE_ROLE
from app.viewmodels.timedisplay import TIME_DISPLAY, TimeDisplay

#: bulletins kept by default
DEFAULT_CAPACITY = 500
COLUMNS: tuple[tuple[str, str], ...] = (
    ("received", "Time"), ("type", "Type"), ("exchange", "Exch"), ("text", "Bulletin"),
)
#: the widest text each column normally shows (a view sizes the columns from it)
SAMPLES = {"received": "88:88:88 ET", "type": "Exchange unavailable", "exchange": "NASDAQ"}
#: log level per bulletin type (``LogPanel.add`` levels)
LOG_LEVELS = {BulletinType.EXCHANGE_UNAVAILABLE: "WARN"}


def log_text(b: NewsBulletin) -> str:
    """The one-line log text of a bulletin: "IB bulletin (Exchange unavailable, ARCA): ..."."""
    where = f", {b.exchange}" if b.exchange else ""
    return f"IB bulletin ({b.type.label}{where}): {b.text}"


class NewsModel(QAbstractTableModel):
    """The last ``capacity`` bulletins of ``session`` (``subscribe_bulletins`` /
    ``unsubscribe_bulletins`` and ``bulletinEvent``: ``app.broker.session.Session`` or a
    fake), newest in row 0. Roles: ``DisplayRole``, :data:`RECORD_ROLE` (the
    ``NewsBulletin``), :data:`VALUE_ROLE` / :data:`SORT_ROLE` (raw value),
    ``ToolTipRole`` (full text, UTC time, msgId). Raises ``ValueError`` for
    ``capacity`` < 1."""

    #: ``(level, text)`` for the terminal's log, once per bulletin
    logLine = Signal(str, str)
    #: a bulletin arrived (``NewsBulletin``)
    bulletinAdded = Signal(object)

    def __init__(self, session, parent: QObject | None = None, *, capacity: int = DEFAULT_CAPACITY,
                 time_display: TimeDisplay | None = None):
        super().__init__(parent)
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.session = session
        self.capacity = int(capacity)
        self._time = time_display or TIME_DISPLAY
        self._rows: deque[NewsBulletin] = deque()       # newest first
        session.bulletinEvent += self.on_bulletin
        session.subscribe_bulletins(True)
        self._subscribed = True
        self._time.changed.connect(self._retext_times)

    def bulletin(self, row: int) -> NewsBulletin:
        """The bulletin in ``row`` (0 = newest). ``IndexError`` outside the rows."""
        if not 0 <= row < len(self._rows):
            raise IndexError(row)
        return self._rows[row]

    def on_bulletin(self, b: NewsBulletin) -> None:
        """Session ``bulletinEvent`` handler: a row at the top, the oldest dropped past
        ``capacity``; ``logLine`` and ``bulletinAdded`` emitted."""
        if len(self._rows) >= self.capacity:
            last = len(self._rows) - 1
            self.beginRemoveRows(QModelIndex(), last, last)
            self._rows.pop()
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.appendleft(b)
        self.endInsertRows()
        self.bulletinAdded.emit(b)
        self.logLine.emit(LOG_LEVELS.get(b.type, "INFO"), log_text(b))

    def clear(self) -> None:
        """Remove every row (a user action)."""
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()

    def close(self) -> None:
        """End the bulletin subscription and stop listening (the panel goes away)."""
        if not self._subscribed:
            return
        self._subscribed = False
        self.session.bulletinEvent -= self.on_bulletin
        self.session.unsubscribe_bulletins()
        try:
            self._time.changed.disconnect(self._retext_times)
        except (RuntimeError, TypeError):
            pass

    def _retext_times(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    # ------------------------------------------------------------ Qt model

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 (Qt)
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section][0] == "received":
            return "When the bulletin arrived (IB sends no time); View → Times"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        b = self._rows[index.row()]
        name = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if name == "received":
                return self._time.text(b.received)
            if name == "type":
                return b.type.label
            return getattr(b, name)
        if role == RECORD_ROLE:
            return b
        if role in (VALUE_ROLE, SORT_ROLE):
            v = getattr(b, name)
            return int(v) if name == "type" else v
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{b.text}\n{b.received.isoformat()} (UTC), IB msgId {b.msg_id}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return LEFT
        return None
