"""The Watchlist dock with several named lists: a tab bar over one
:class:`~app.ui.watchlist.WatchlistView` per list (a ``QStackedWidget``).

"+" adds a list; a double-click on a tab renames it; a tab's context menu renames,
removes (not the last list; asks first when the list has symbols), imports or exports
CSV; the "Import…" / "Export…" buttons do the same for CSV files. Rows are reordered by
dragging them within a list (the model moves the row; the order is what is saved). A row
dragged out carries its instrument (onto a panel with an ``app.ui.symbol_drag``
drop target it loads there; onto another list it is added there) and stays; an instrument
(a scanner or position row) or symbol text dropped on a list is added to it.
Signal ``instrumentSelected(Instrument)`` from whichever list's row is selected;
``viewCreated(WatchlistView)`` for each list's view (the owner restores its columns).

Dialogs go through small overridable methods (:meth:`ask_name`, :meth:`confirm_remove`,
:meth:`ask_open_path`, :meth:`ask_save_path`) so tests act on the widgets without
modal dialogs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QMenu, QMessageBox,
    QStackedWidget, QTabBar, QToolButton, QVBoxLayout, QWidget,
)

from app.ui import theme
from app.ui.watchlist import WatchlistView
from app.viewmodels.watchlist import WatchlistError
from app.viewmodels.watchlists import WatchlistSet

log = logging.getLogger(__name__)


class WatchlistTabs(QWidget):
    """The Watchlist dock's widget over a :class:`WatchlistSet` (see the module doc)."""

    instrumentSelected = Signal(object)
    viewCreated = Signal(object)

    def __init__(self, lists: WatchlistSet, parent: QWidget | None = None):
        super().__init__(parent)
        self.lists = lists
        self.views: list[WatchlistView] = []

        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tabs.setMovable(False)
        self.tabs.setDocumentMode(True)
        self.tabs.setContextMenuPolicy(Qt.CustomContextMenu)
        self.tabs.customContextMenuRequested.connect(self._tab_menu)
        self.tabs.tabBarDoubleClicked.connect(self.rename_tab)
        self.add_button = self._tool("+", "New watchlist", self.add_list)
        self.import_button = self._tool("Import…", "Import a CSV file as a new watchlist "
                                        "(a 'symbol' column or one symbol per row)", self.import_csv)
        self.export_button = self._tool("Export…", "Export this watchlist as CSV", self.export_csv)
        self.stack = QStackedWidget()
        #: the result of the last import / export ("" hides it)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextSelectableByMouse)
        theme.style(self.notice, "color: $unresolved_text;")
        self.notice.hide()

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        bar.setSpacing(2)
        bar.addWidget(self.tabs, 1)
        for b in (self.add_button, self.import_button, self.export_button):
            bar.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(bar)
        lay.addWidget(self.notice)
        lay.addWidget(self.stack, 1)

        for i in range(len(lists)):
            self._insert(i)
        self.tabs.setCurrentIndex(lists.current)
        self.stack.setCurrentIndex(lists.current)
        self.tabs.currentChanged.connect(self._tab_changed)
        lists.listAdded.connect(self._insert)
        lists.listRemoved.connect(self._removed)
        lists.listRenamed.connect(self.tabs.setTabText)
        lists.currentChanged.connect(self._show)

    def _tool(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.clicked.connect(slot)
        return b

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        """The shown list's size hint (the main window sizes the dock from it)."""
        return self.current_view.sizeHint() if self.views else super().sizeHint()

    @property
    def current_view(self) -> WatchlistView:
        """The shown list's WatchlistView."""
        return self.views[self.lists.current]

    @property
    def table(self):
        """The shown list's table (hotkey "Focus watchlist" gives it the keyboard)."""
        return self.current_view.table

    # ---- following the lists ----------------------------------------------------
    def _insert(self, i: int) -> None:
        view = WatchlistView(self.lists.model(i))
        view.table.setDragEnabled(True)
        view.table.setAcceptDrops(True)
        view.table.setDropIndicatorShown(True)
        view.table.setDragDropMode(QAbstractItemView.DragDrop)
        view.table.setDefaultDropAction(Qt.CopyAction)   # the model moves the row itself
        view.table.setDragDropOverwriteMode(False)
        view.instrumentSelected.connect(self.instrumentSelected)
        self.views.insert(i, view)
        self.stack.insertWidget(i, view)
        self.tabs.insertTab(i, self.lists.names()[i])
        self.viewCreated.emit(view)

    def _removed(self, i: int) -> None:
        view = self.views.pop(i)
        self.stack.removeWidget(view)
        view.deleteLater()
        blocked = self.tabs.blockSignals(True)
        self.tabs.removeTab(i)
        self.tabs.blockSignals(blocked)

    def _show(self, i: int) -> None:
        if 0 <= i < len(self.views):
            blocked = self.tabs.blockSignals(True)
            self.tabs.setCurrentIndex(i)
            self.tabs.blockSignals(blocked)
            self.stack.setCurrentIndex(i)

    def _tab_changed(self, i: int) -> None:
        if 0 <= i < len(self.lists):
            self.lists.set_current(i)
            self.stack.setCurrentIndex(i)

    # ---- dialogs (overridden in tests) -----------------------------------------------
    def ask_name(self, title: str, current: str) -> str | None:
        """Ask for a list name; None when cancelled."""
        text, ok = QInputDialog.getText(self, title, "Watchlist name:", text=current)
        return text if ok else None

    def confirm_remove(self, name: str, count: int) -> bool:
        """Ask before removing a list that has ``count`` symbols."""
        answer = QMessageBox.question(self, "Remove watchlist",
                                      f"Remove the watchlist '{name}' with {count} symbol(s)?")
        return answer == QMessageBox.Yes

    def ask_open_path(self) -> str:
        """A CSV file to import ("" when cancelled)."""
        return QFileDialog.getOpenFileName(self, "Import watchlist", "", "CSV files (*.csv);;All files (*)")[0]

    def ask_save_path(self, name: str) -> str:
        """Where to export the list ``name`` ("" when cancelled)."""
        return QFileDialog.getSaveFileName(self, "Export watchlist", f"{name}.csv", "CSV files (*.csv)")[0]

    def show_notice(self, text: str) -> None:
        """Show the result of an import / export above the table ("" hides it)."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # ---- user actions ------------------------------------------------------------
    def add_list(self) -> int | None:
        """"+": ask for a name (default "List 2"…), add the list and show it; the index or None."""
        name = self.ask_name("New watchlist", self.lists.unique_name())
        if name is None:
            return None
        try:
            i, _ = self.lists.add_list(name)
        except WatchlistError as e:
            self.show_notice(str(e))
            return None
        self.lists.set_current(i)
        self.current_view.entry.setFocus()
        return i

    def rename_tab(self, i: int) -> bool:
        """Rename tab ``i`` (a double-click); False when cancelled, refused or no tab."""
        if not 0 <= i < len(self.lists):
            return False
        name = self.ask_name("Rename watchlist", self.lists.names()[i])
        if name is None:
            return False
        try:
            self.lists.rename_list(i, name)
        except WatchlistError as e:
            self.show_notice(str(e))
            return False
        return True

    def remove_tab(self, i: int) -> bool:
        """Remove tab ``i`` (context menu), asking first when it has symbols; False when
        refused (the last list) or cancelled."""
        if not 0 <= i < len(self.lists) or len(self.lists) == 1:
            return False
        count = len(self.lists.model(i))
        if count and not self.confirm_remove(self.lists.names()[i], count):
            return False
        self.lists.remove_list(i)
        return True

    def export_csv(self, i: int | None = None) -> str | None:
        """Write list ``i`` (default: the shown one) to a CSV file; the path or None."""
        i = self.lists.current if i is None or isinstance(i, bool) else i
        name = self.lists.names()[i]
        path = self.ask_save_path(name)
        if not path:
            return None
        try:
            Path(path).write_text(self.lists.export_csv(i), encoding="utf-8")
        except OSError as e:
            self.show_notice(f"Export failed: {e}")
            return None
        self.show_notice(f"Exported '{name}' ({len(self.lists.model(i))} symbols) to {path}")
        return path

    def import_csv(self) -> int | None:
        """Read a CSV file into a new list (named after the file) and show it; skipped rows
        are listed in the notice. The new index or None."""
        path = self.ask_open_path()
        if not path:
            return None
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
            i, skipped = self.lists.import_csv(text, Path(path).stem)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            self.show_notice(f"Import failed: {e}")
            return None
        self.lists.set_current(i)
        n = len(self.lists.model(i))
        msg = f"Imported {n} symbol(s) into '{self.lists.names()[i]}'"
        if skipped:
            msg += f"; skipped {len(skipped)}: " + "; ".join(skipped)
        msg += ". Symbols IB does not know turn red once connected."
        self.show_notice(msg)
        return i

    def _tab_menu(self, pos) -> None:
        i = self.tabs.tabAt(pos)
        menu = QMenu(self)
        if i >= 0:
            menu.addAction("Rename…").triggered.connect(lambda: self.rename_tab(i))
            remove = menu.addAction("Remove list…")
            remove.setEnabled(len(self.lists) > 1)
            remove.triggered.connect(lambda: self.remove_tab(i))
            menu.addAction("Export CSV…").triggered.connect(lambda: self.export_csv(i))
            menu.addSeparator()
        menu.addAction("New list…").triggered.connect(self.add_list)
        menu.addAction("Import CSV…").triggered.connect(self.import_csv)
        menu.popup(self.tabs.mapToGlobal(pos))
