"""The watchlist panel: a symbol entry line and the quote table.

Shows a :class:`~app.viewmodels.watchlist.WatchlistModel` directly (no proxy: the
model answers a cell's roles in one ``multiData`` call and sorts itself on raw values
when a header is clicked). Price cells
that just ticked have a green (up) or red (down) background (the model's
``BackgroundRole``, painted by Qt's own delegate: no Python paint per cell);
cells whose quote is not live (``STALE_ROLE``) are drawn grey and italic, and while the data is stale a line above the table says
"Stale for 12 s: Connection lost" (refreshed once a second). Enter or "Add" resolves and adds a symbol (errors such as
"No security definition for 'XYZ'" appear inline under the table); the Delete
key or the context menu removes the selected symbol. Selecting a row emits
``instrumentSelected(Instrument)``.
"""

from __future__ import annotations

import asyncio
import logging

import shiboken6
from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton,
    QTableView, QVBoxLayout, QWidget,
)

from app.domain import Instrument
from app.domain.futures import FUTURES_HINT
from app.ui.columns import TableColumns, shown_columns_width, visible_source_rows
from app.ui import theme
from app.ui.stale_label import stale_label
from app.ui.symbol_search import attach_symbol_search
from app.viewmodels.table import RECORD_ROLE
from app.viewmodels.watchlist import WatchlistError, WatchlistModel

log = logging.getLogger(__name__)


#: Columns a new watchlist does not show (the header's context menu shows them).
HIDDEN_BY_DEFAULT = ("bid_size", "ask_size")


class WatchlistView(QWidget):
    """Watchlist widget over ``model``. Signal ``instrumentSelected(Instrument)`` (resolved rows only)."""

    instrumentSelected = Signal(object)

    def __init__(self, model: WatchlistModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model

        self.entry = QLineEdit()
        self.entry.setPlaceholderText("Add symbol (AAPL, EUR.USD, ESZ6, /ES)")
        self.entry.setToolTip(FUTURES_HINT)
        self.entry.setClearButtonEnabled(True)
        self.entry.returnPressed.connect(self.add_from_entry)
        self.symbol_search = attach_symbol_search(self.entry, model.session)  # IB symbol lookup popup
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Resolve the symbol and add it (Enter)")
        self.add_button.clicked.connect(self.add_from_entry)

        self.table = QTableView()
        # the model itself, no proxy: a proxy does not pass on multiData (one Python call per
        # cell on repaint instead of one per role); a header click sorts the model
        # (RecordTableModel.sort: raw values, no re-sort per tick)
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        # no sort indicator before sorting is enabled: enabling sorts by the indicator at once
        # (column 0 by default), which would reorder a list built before its view
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        # widths from the fonts once, fitted to the first rows once: ResizeToContents
        # re-measured every row on each tick (issue 12); the header's context menu shows or
        # hides any column (bid/ask sizes, also in the bid/ask tooltips, hidden by default)
        self.columns = TableColumns(self.table, model.columns, "watchlist",
                                    hidden=HIDDEN_BY_DEFAULT, fixed=("symbol",), grow=("symbol",))
        self.table.horizontalHeader().setStretchLastSection(True)
        # a flush repaints only the rows in sight (scrolled-in rows are read fresh)
        model.dirty.set_visible_rows(self._visible_rows)
        self.table.setContextMenuPolicy(Qt.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.table.setAlternatingRowColors(True)

        self.remove_action = QAction("Remove", self.table)
        self.remove_action.setShortcut(QKeySequence.Delete)
        self.remove_action.setShortcutContext(Qt.WidgetShortcut)
        self.remove_action.triggered.connect(self.remove_selected)
        self.table.addAction(self.remove_action)

        self.message = QLabel()
        self.message.setWordWrap(True)
        theme.style(self.message, "color: $error_text;")
        self.message.hide()
        #: "Stale for 12 s: Connection lost" while the data is stale
        self.stale_label = stale_label("watchlistStale")

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.entry, 1)
        top.addWidget(self.add_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.message)        # at the entry it is about, not below the table
        lay.addWidget(self.stale_label)
        lay.addWidget(self.table, 1)
        self.setMinimumSize(320, 200)
        model.message.connect(self.show_message)
        model.staleness.changed.connect(self._show_stale)
        model.staleness.tick.connect(self._show_stale)
        self._adding: asyncio.Future | None = None
        self._show_stale()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        """As wide as the visible columns (the main window sizes the dock from it)."""
        m = self.layout().contentsMargins()
        return QSize(shown_columns_width(self.table) + m.left() + m.right(), super().sizeHint().height())

    def _visible_rows(self) -> set[int] | None:
        """Model rows on screen (DirtyCells' filter); None (every row) once the table is gone
        (the model may outlive this view)."""
        if not shiboken6.isValid(self.table):
            self.model.dirty.set_visible_rows(None)
            return None
        return visible_source_rows(self.table)

    # ---- messages -----------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Show ``text`` inline under the table ("" hides it)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _show_stale(self, *_args) -> None:
        """The stale line: text and age while stale (once a second), hidden while live."""
        text = self.model.staleness.text()
        self.stale_label.setText(text)
        self.stale_label.setToolTip(f"{text}\nGrey prices are not live; each row is live again "
                                    "on its first quote after the connection is back" if text else "")
        self.stale_label.setVisible(bool(text))

    # ---- add / remove -------------------------------------------------------
    def add_from_entry(self) -> None:
        """Start resolving the entry's text (async); the result or error is shown inline."""
        text = self.entry.text().strip()
        if not text:
            self.show_message("Enter a symbol, e.g. AAPL, EUR.USD or ESZ6")
            return
        self.show_message("")
        self._adding = asyncio.ensure_future(self._add(text))

    async def _add(self, text: str) -> None:
        self.add_button.setEnabled(False)
        try:
            inst = await self.model.add_symbol(text)
        except WatchlistError as e:
            self.show_message(str(e))
        except Exception as e:  # shown, never lost
            log.exception("adding %s failed", text)
            self.show_message(f"Cannot add {text}: {e}")
        else:
            if self.entry.text().strip() == text:
                self.entry.clear()
            self.select_symbol(inst.display_symbol)
        finally:
            self.add_button.setEnabled(True)

    def selected_record(self):
        """The WatchRow of the current row, or None."""
        idx = self.table.selectionModel().currentIndex()
        if not idx.isValid():
            return None
        return idx.siblingAtColumn(0).data(RECORD_ROLE)

    def remove_selected(self) -> bool:
        """Remove the selected row (Delete key, context menu); False when none is selected."""
        rec = self.selected_record()
        if rec is None:
            return False
        self.show_message("")
        return self.model.remove_symbol(rec.instrument.display_symbol)

    def select_symbol(self, symbol: str) -> bool:
        """Select the row of ``symbol`` (display symbol); False when absent."""
        for r in range(self.model.rowCount()):
            idx = self.model.index(r, 0)
            rec = idx.data(RECORD_ROLE)
            if rec is not None and rec.instrument.display_symbol.upper() == symbol.upper():
                self.table.setCurrentIndex(idx)
                self.table.selectRow(r)
                return True
        return False

    def _on_current(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not current.isValid():
            return
        rec = current.siblingAtColumn(0).data(RECORD_ROLE)
        if rec is not None and rec.resolved:
            self.instrumentSelected.emit(rec.instrument)

    def hidden_columns(self) -> list[str]:
        """Keys of the hidden columns (for QSettings)."""
        return self.columns.hidden_columns()

    def set_hidden_columns(self, keys: list[str]) -> None:
        """Hide exactly the columns named in ``keys`` (unknown keys are ignored; the symbol stays)."""
        self.columns.set_hidden_columns(keys)

    def _context_menu(self, pos) -> None:
        idx = self.table.indexAt(pos)
        menu = QMenu(self)
        if idx.isValid():
            self.table.setCurrentIndex(idx)
            rec = idx.siblingAtColumn(0).data(RECORD_ROLE)
            act = menu.addAction(f"Remove {rec.instrument.display_symbol}")
            act.triggered.connect(self.remove_selected)
        add = menu.addAction("Add symbol…")
        add.triggered.connect(self.entry.setFocus)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def selected_instrument(self) -> Instrument | None:
        """The Instrument of the current row, or None."""
        rec = self.selected_record()
        return rec.instrument if rec is not None else None
