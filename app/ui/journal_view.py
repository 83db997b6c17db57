"""Journal view: a read-only table of audit-journal events for a dock.

``JournalView(journal)`` shows the newest events (time by the one clock rule, View → Times:
exchange time with its zone or local time, the UTC value in the tooltip; kind; orderId; permId; symbol; text, with the details JSON in the tooltip). The
filter line takes an orderId or permId (a number matches either) or a symbol. Double-click a
row, or "History of the selected order", to see that order's full life
(``Journal.order_history``: orderId and permId linked); "Show all" goes back. The view follows
the journal: the journal's ``on_commit``/``on_problem`` callbacks run on its writer thread and
only emit Qt signals, which Qt queues to the GUI thread; commits are coalesced by a short
single-shot timer and read incrementally (``after_id``). A journal problem (disk full,
read-only file) shows as a warning line above the table. Nothing here edits the journal.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QTableView, QVBoxLayout, QWidget)

from app.journal import JournalEvent
from app.ui import theme
from app.viewmodels.timedisplay import TIME_DISPLAY

#: Column headers (IB names for the ids).
HEADERS = ("Time", "Kind", "orderId", "permId", "Symbol", "Text")

#: Rows the view keeps (the newest); older ones are dropped from the view, not the journal.
MAX_ROWS = 5000


def _shown_time(ev: JournalEvent) -> str:
    return TIME_DISPLAY.text(ev.ts, with_date=True, ms=True)


class JournalTableModel(QAbstractTableModel):
    """Events as rows (oldest first), read-only. ``set_events`` replaces, ``append_events``
    adds at the end and drops the oldest beyond ``max_rows``."""

    def __init__(self, parent: QObject | None = None, max_rows: int = MAX_ROWS):
        super().__init__(parent)
        self.max_rows = max_rows
        self._rows: list[JournalEvent] = []
        TIME_DISPLAY.changed.connect(self._retime)

    def _retime(self) -> None:
        """The time rule changed: repaint the Time column."""
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation, role=Qt.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def flags(self, index: QModelIndex):
        return Qt.ItemIsSelectable | Qt.ItemIsEnabled if index.isValid() else Qt.NoItemFlags

    def event_at(self, row: int) -> JournalEvent | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def events(self) -> list[JournalEvent]:
        return list(self._rows)

    def data(self, index: QModelIndex, role=Qt.DisplayRole) -> Any:
        ev = self.event_at(index.row()) if index.isValid() else None
        if ev is None:
            return None
        col = index.column()
        if role == Qt.DisplayRole:
            if col == 0:
                return _shown_time(ev)
            if col == 1:
                return ev.kind
            if col == 2:
                return "" if ev.order_id is None else str(ev.order_id)
            if col == 3:
                return "" if ev.perm_id is None else str(ev.perm_id)
            if col == 4:
                return ev.symbol or ""
            text = ev.text or ""
            if ev.details_json and not text:   # decoded for the rows shown only
                details = ev.details
                text = json.dumps(details, sort_keys=True) if details else text
            return text
        if role == Qt.ToolTipRole:
            if col == 0:
                return f"{ev.ts.isoformat()} (UTC)"
            if col == 5 and ev.details_json:
                details = ev.details
                return json.dumps(details, indent=1, sort_keys=True) if details else None
        if role == Qt.TextAlignmentRole and col in (2, 3):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def set_events(self, events: list[JournalEvent]) -> None:
        self.beginResetModel()
        self._rows = list(events[-self.max_rows:])
        self.endResetModel()

    def append_events(self, events: list[JournalEvent]) -> None:
        if not events:
            return
        events = events[-self.max_rows:]
        excess = len(self._rows) + len(events) - self.max_rows
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            del self._rows[:excess]
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(events) - 1)
        self._rows.extend(events)
        self.endInsertRows()


class JournalView(QWidget):
    """The journal dock's widget. ``set_journal(journal)`` (or the constructor) connects an
    ``app.journal.Journal``; ``None`` disconnects. ``reload()`` re-reads the current filter."""

    #: emitted from the journal's writer thread; Qt queues it to this widget's thread
    problemReported = Signal(str)
    committedReported = Signal(int)

    def __init__(self, journal=None, parent: QWidget | None = None, *, refresh_ms: int = 100):
        super().__init__(parent)
        self._journal = None
        self._unsubscribe: list = []
        self._last_id = 0
        self._history: tuple[int | None, int | None, int | None] | None = None  # (orderId, permId, clientId)

        self.warning = QLabel(self)
        self.warning.setObjectName("journalWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("QLabel {{ background: {}; color: {}; padding: 4px; }}".format(
            *theme.FILLS["journal_error"]))
        self.warning.hide()
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter: orderId, permId or symbol")
        self.filter_edit.setClearButtonEnabled(True)
        self.history_button = QPushButton("History of the selected order", self)
        self.all_button = QPushButton("Show all", self)
        self.status = QLabel(self)
        self.model = JournalTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.history_button)
        top.addWidget(self.all_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.warning)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.status)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(refresh_ms)
        self._refresh_timer.timeout.connect(self.refresh)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)
        self._filter_timer.timeout.connect(self._apply_filter)

        self.problemReported.connect(self._show_problem, Qt.QueuedConnection)
        self.committedReported.connect(self._on_committed, Qt.QueuedConnection)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self._apply_filter)
        self.history_button.clicked.connect(self.show_selected_history)
        self.all_button.clicked.connect(self.show_all)
        self.table.doubleClicked.connect(lambda idx: self.show_history_of_row(idx.row()))
        self.set_journal(journal)

    # ------------------------------------------------------------ journal

    def set_journal(self, journal) -> None:
        for undo in self._unsubscribe:
            undo()
        self._unsubscribe = []
        self._journal = journal
        if journal is not None:
            self._unsubscribe = [journal.on_problem(self.problemReported.emit),
                                 journal.on_commit(self.committedReported.emit)]
            self._show_problem(journal.problem)
        else:
            self._show_problem("")
        self.reload()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.set_journal(None)
        super().closeEvent(event)

    @Slot(str)
    def _show_problem(self, text: str) -> None:
        self.warning.setText(f"Journal problem: {text}" if text else "")
        self.warning.setVisible(bool(text))

    @Slot(int)
    def _on_committed(self, _last_id: int) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    # ------------------------------------------------------------ queries

    def _filter_args(self) -> dict | None:
        text = self.filter_edit.text().strip()
        if not text:
            return {}
        if text.lstrip("-").isdigit():
            n = int(text)
            return {"order_id": n, "perm_id": n}
        if len(text) > 32 or not all(ch.isalnum() or ch in "._-/ " for ch in text):
            return None
        return {"symbol": text}

    def _query(self, after_id: int | None) -> list[JournalEvent] | None:
        j = self._journal
        if j is None:
            return []
        try:
            if self._history is not None:
                oid, perm, cid = self._history
                events = j.order_history(order_id=oid, perm_id=perm, client_id=cid)
                return [e for e in events if after_id is None or e.id > after_id]
            args = self._filter_args()
            if args is None:
                self.status.setText("Type an orderId, a permId or a symbol.")
                return None
            return j.events(limit=self.model.max_rows, after_id=after_id, **args)
        except (sqlite3.Error, ValueError, OSError) as e:
            self.status.setText(f"The journal cannot be read: {e}")
            return None

    def _describe(self) -> str:
        n = self.model.rowCount()
        if self._history is not None:
            oid, perm, _ = self._history
            ids = ", ".join(x for x in (f"orderId {oid}" if oid is not None else "",
                                        f"permId {perm}" if perm is not None else "") if x)
            return f"History of {ids}: {n} events"
        text = self.filter_edit.text().strip()
        return f"{n} events" + (f" matching '{text}'" if text else "")

    @Slot()
    def reload(self) -> None:
        """Re-read the current filter (or order history) from the journal."""
        events = self._query(None)
        if events is None:
            return
        self.model.set_events(events)
        self._last_id = max((e.id for e in events), default=0)
        self.status.setText(self._describe())
        self.table.scrollToBottom()

    @Slot()
    def refresh(self) -> None:
        """Append events committed since the last read (keeps the scroll at the bottom when it
        was there)."""
        events = self._query(self._last_id)
        if not events:
            return
        bar = self.table.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.append_events(events)
        self._last_id = max(self._last_id, max(e.id for e in events))
        self.status.setText(self._describe())
        if at_bottom:
            self.table.scrollToBottom()

    @Slot()
    def _apply_filter(self) -> None:
        self._filter_timer.stop()
        self._history = None
        self.reload()

    # ------------------------------------------------------------ order history

    def selected_event(self) -> JournalEvent | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.event_at(rows[0].row()) if rows else None

    @Slot()
    def show_selected_history(self) -> None:
        ev = self.selected_event()
        if ev is None:
            self.status.setText("Select an event of an order first.")
            return
        self._show_history(ev)

    def show_history_of_row(self, row: int) -> None:
        ev = self.model.event_at(row)
        if ev is not None:
            self._show_history(ev)

    def _show_history(self, ev: JournalEvent) -> None:
        if ev.order_id is None and ev.perm_id is None:
            self.status.setText(f"This {ev.kind} event belongs to no order.")
            return
        self._history = (ev.order_id if ev.perm_id is None else None, ev.perm_id,
                         ev.client_id if ev.perm_id is None else None)
        self.reload()

    @Slot()
    def show_all(self) -> None:
        self._history = None
        self.filter_edit.blockSignals(True)
        self.filter_edit.clear()
        self.filter_edit.blockSignals(False)
        self.reload()
