"""The blotter panel: tabs "Orders" and "Executions".

Orders: every order the session sees (:class:`~app.viewmodels.orders.OrdersModel`),
filter "Working only" / "All", sorted on raw values. Actions on the selected
order: Modify (button, context menu, double-click; opens
:class:`~app.ui.modify_dialog.ModifyDialog` prefilled) and Cancel (button,
context menu, Delete key; asks first unless :attr:`BlotterView.confirm_cancels`
is off). Both go through ``OrderCommands.execute`` (``ModifyOrder`` /
``CancelOrder``); a rejection's reason is shown inline under the table.
Executions: every fill (:class:`~app.viewmodels.executions.ExecutionsModel`).

Injectable for tests: ``confirm`` (``callable(text) -> bool``) and
``edit_order`` (``callable(order) -> ModifyOrder | None``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel, QMenu, QMessageBox,
    QPushButton, QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from app.commands import CancelOrder, CommandRejected, ModifyOrder
from app.domain import OrderRecord
from app.ui.format import ERROR_TEXT, OK_TEXT, fmt_qty
from app.ui.modify_dialog import ModifyDialog
from app.viewmodels.executions import ExecutionsModel
from app.viewmodels.orders import OrderFilterProxy, OrdersModel
from app.viewmodels.table import SORT_ROLE

log = logging.getLogger(__name__)


def _table(model) -> QTableView:
    t = QTableView()
    t.setModel(model)
    t.setSelectionBehavior(QAbstractItemView.SelectRows)
    t.setSelectionMode(QAbstractItemView.SingleSelection)
    t.setSortingEnabled(True)
    t.setAlternatingRowColors(True)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(22)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class BlotterView(QWidget):
    """Orders and executions tabs with Modify / Cancel actions through ``commands`` (OrderCommands)."""

    def __init__(self, orders: OrdersModel, executions: ExecutionsModel, commands,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.orders_model = orders
        self.executions_model = executions
        self.commands = commands
        self.confirm: Callable[[str], bool] = self._ask
        self.edit_order: Callable[[OrderRecord], ModifyOrder | None] = self._open_modify_dialog
        self._confirm_cancels = True

        # ---- orders tab
        self.orders_proxy = OrderFilterProxy(self)
        self.orders_proxy.setSourceModel(orders)
        self.orders_table = _table(self.orders_proxy)
        self.orders_table.sortByColumn(orders.column_index("order_id"), Qt.DescendingOrder)
        self.orders_table.doubleClicked.connect(lambda _idx: self.modify_selected())
        self.orders_table.setContextMenuPolicy(Qt.CustomContextMenu)
        self.orders_table.customContextMenuRequested.connect(self._orders_menu)
        self.orders_table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        # bound methods (not lambdas): Qt disconnects them when this view is destroyed
        orders.dataChanged.connect(self._update_buttons)
        orders.rowsInserted.connect(self._update_buttons)
        orders.rowsInserted.connect(self._size_columns_once)
        self._sized = False

        self.cancel_action = QAction("Cancel order", self.orders_table)
        self.cancel_action.setShortcut(QKeySequence.Delete)
        self.cancel_action.setShortcutContext(Qt.WidgetShortcut)
        self.cancel_action.triggered.connect(self.cancel_selected)
        self.orders_table.addAction(self.cancel_action)
        self.modify_action = QAction("Modify order…", self.orders_table)
        self.modify_action.setShortcut(QKeySequence(Qt.Key_Return))
        self.modify_action.setShortcutContext(Qt.WidgetShortcut)
        self.modify_action.triggered.connect(self.modify_selected)
        self.orders_table.addAction(self.modify_action)

        self.filter = QComboBox()
        self.filter.addItems(["All", "Working only"])
        self.filter.setToolTip("Show all orders or only working ones")
        self.filter.currentIndexChanged.connect(lambda i: self.orders_proxy.set_working_only(i == 1))
        self.modify_button = QPushButton("Modify…")
        self.modify_button.clicked.connect(self.modify_selected)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the selected order (Delete)")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.filter)
        bar.addStretch(1)
        bar.addWidget(self.modify_button)
        bar.addWidget(self.cancel_button)
        orders_page = QWidget()
        ol = QVBoxLayout(orders_page)
        ol.setContentsMargins(2, 2, 2, 2)
        ol.addLayout(bar)
        ol.addWidget(self.orders_table, 1)
        ol.addWidget(self.message)

        # ---- executions tab
        self.executions_proxy = QSortFilterProxyModel(self)
        self.executions_proxy.setSourceModel(executions)
        self.executions_proxy.setSortRole(SORT_ROLE)
        self.executions_table = _table(self.executions_proxy)
        self.executions_table.sortByColumn(executions.column_index("time"), Qt.DescendingOrder)

        self.tabs = QTabWidget()
        self.tabs.addTab(orders_page, "Orders")
        self.tabs.addTab(self.executions_table, "Executions")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)
        self.setMinimumSize(480, 160)
        self._update_buttons()
        if len(orders):
            self._size_columns_once()

    # ---- settings ------------------------------------------------------------
    @property
    def confirm_cancels(self) -> bool:
        """Ask before cancelling an order (persisted by the main window)."""
        return self._confirm_cancels

    @confirm_cancels.setter
    def confirm_cancels(self, on: bool) -> None:
        self._confirm_cancels = bool(on)

    # ---- selection -------------------------------------------------------------
    def selected_order(self) -> OrderRecord | None:
        """The order on the current row (its latest record), or None."""
        idx = self.orders_table.selectionModel().currentIndex()
        if not idx.isValid():
            return None
        return self.orders_proxy.order_at(idx.row())

    def select_order(self, order_id: int) -> bool:
        """Make the row of API ``order_id`` current; False when it is not shown."""
        for r in range(self.orders_proxy.rowCount()):
            o = self.orders_proxy.order_at(r)
            if o is not None and o.order_id == order_id:
                idx = self.orders_proxy.index(r, 0)
                self.orders_table.setCurrentIndex(idx)
                self.orders_table.selectRow(r)
                return True
        return False

    def _size_columns_once(self, *_args) -> None:
        """Fit the columns to the first orders shown; later the user's widths are kept."""
        if not self._sized:
            self._sized = True
            self.orders_table.resizeColumnsToContents()
            self.executions_table.resizeColumnsToContents()

    def _update_buttons(self, *_args) -> None:
        o = self.selected_order()
        own = getattr(self.orders_model.session, "client_id", None)
        working = o is not None and o.is_working and o.client_id == own
        for w in (self.modify_button, self.cancel_button, self.modify_action, self.cancel_action):
            w.setEnabled(working)

    # ---- actions ---------------------------------------------------------------
    def show_message(self, ok: bool, text: str) -> None:
        """Show a command's result inline under the orders table."""
        self.message.setStyleSheet(f"color: {OK_TEXT if ok else ERROR_TEXT};")
        self.message.setText(text)

    def modify_selected(self) -> bool:
        """Open the modify dialog for the selected order and execute the ModifyOrder it returns."""
        o = self.selected_order()
        if o is None:
            self.show_message(False, "Select an order to modify")
            return False
        try:  # modify and cancel share the preconditions (own order, working, connected)
            self.commands.check(CancelOrder(o.order_id))
        except CommandRejected as e:
            self.show_message(False, e.reason.replace("Cannot cancel", "Cannot modify", 1))
            return False
        cmd = self.edit_order(o)
        if cmd is None:
            return False
        return self._execute(cmd)

    def cancel_selected(self) -> bool:
        """Cancel the selected order (after confirmation unless turned off)."""
        o = self.selected_order()
        if o is None:
            self.show_message(False, "Select an order to cancel")
            return False
        text = (f"Cancel order {o.order_id}: {o.action} {fmt_qty(o.quantity)} "
                f"{o.instrument.display_symbol} {o.order_type} ({o.status})?")
        if self.confirm_cancels and not self.confirm(text):
            return False
        return self._execute(CancelOrder(o.order_id))

    def _execute(self, cmd) -> bool:
        try:
            result = self.commands.execute(cmd)
        except Exception as e:  # execute never raises for a rejection; anything else is shown
            log.exception("blotter command %r failed", cmd)
            self.show_message(False, f"{type(cmd).__name__} failed: {e}")
            return False
        if result.ok:
            verb = "Cancel requested for" if isinstance(cmd, CancelOrder) else "Modify sent for"
            self.show_message(True, result.message or f"{verb} order {cmd.order_id}")
        else:
            self.show_message(False, result.message)
        return bool(result.ok)

    def _orders_menu(self, pos) -> None:
        idx: QModelIndex = self.orders_table.indexAt(pos)
        if not idx.isValid():
            return
        self.orders_table.setCurrentIndex(idx)
        menu = QMenu(self)
        menu.addAction(self.modify_action)
        menu.addAction(self.cancel_action)
        menu.popup(self.orders_table.viewport().mapToGlobal(pos))

    # ---- default dialogs -------------------------------------------------------
    def _open_modify_dialog(self, order: OrderRecord) -> ModifyOrder | None:
        dlg = ModifyDialog(order, self.commands, self)
        if dlg.exec() != QDialog.Accepted:
            return None
        return dlg.command()

    def _ask(self, text: str) -> bool:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Question)
        box.setWindowTitle("Cancel order")
        box.setText(text)
        box.setStandardButtons(QMessageBox.Yes | QMessageBox.No)
        box.setDefaultButton(QMessageBox.No)
        return box.exec() == QMessageBox.Yes
