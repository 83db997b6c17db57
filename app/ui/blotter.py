"""The blotter panel: tabs "Orders" and "Executions".

Orders (:class:`~app.viewmodels.orders.OrdersModel` behind an
:class:`~app.viewmodels.orders.OrderFilterProxy`): filter by status group (combo)
and symbol prefix (line edit), combined; sorted on raw values (numbers and
times, not text); several rows may be selected.

* Modify in place: the quantity, limit and stop cells of a working order of this
  client id are editable (double-click or F2; :mod:`app.ui.blotter_edit`). Enter
  sends exactly one ``ModifyOrder``; Escape cancels; after a rejection the
  reason is shown under the table and the cell keeps the order's real value.
  The Modify dialog (button, context menu, Return, double-click on another
  cell) works as before.
* Cancel selected (button, context menu, Delete): one ``CancelOrder`` per
  selected working order of this client after one confirmation; the message
  says how many were sent and why any were refused. "Cancel all" sends
  ``CancelAll()`` (this client's working orders) after a confirmation.
* Export CSV: the current tab as shown (filtered and sorted), via
  :mod:`app.ui.blotter_export`.

Every command goes through ``OrderCommands.execute``; a soft rejection
(``CommandResult.soft``) asks "Override <rule>? <message>" and re-executes with
``override=True`` only on Yes. Confirmation and override decisions are journaled
through ``commands.record``. Settings for the main window to persist:
:attr:`BlotterView.confirm_cancels`, :attr:`BlotterView.confirm_modifies`,
:attr:`BlotterView.status_filter`, :attr:`BlotterView.symbol_filter`.

Injectable for tests: ``confirm(text) -> bool`` (cancel / modify confirmations),
``ask_override(text) -> bool``, ``edit_order(order) -> ModifyOrder | None`` and
``choose_export_path(kind, suggested_name) -> str | None``; each may also return an
awaitable of that answer. The defaults open their dialogs with ``open()`` and await
them (:func:`app.ui.confirm.run_dialog`): no ``exec()``, no nested event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu,
    QPushButton, QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from app.commands import ModifyOrder
from app.domain import OrderRecord
from app.ui.blotter_actions import BlotterActions
from app.ui.blotter_edit import OrderEditDelegate
from app.ui.columns import TableColumns
from app.ui.confirm import ask_yes_no, run_dialog
from app.ui.modify_dialog import ModifyDialog
from app.viewmodels.executions import ExecutionsModel
from app.viewmodels.orders import EDITABLE_FIELDS, STATUS_FILTERS, OrderFilterProxy, OrdersModel
from app.viewmodels.table import SORT_ROLE

log = logging.getLogger(__name__)

#: order columns a new blotter does not show (the header's context menu shows them): the
#: remaining quantity is Qty - Filled; permId and client id matter when several clients trade
ORDERS_HIDDEN_BY_DEFAULT = ("remaining", "perm_id", "client_id")


def _table(model) -> QTableView:
    t = QTableView()
    t.setModel(model)
    t.setSelectionBehavior(QAbstractItemView.SelectRows)
    t.setSelectionMode(QAbstractItemView.ExtendedSelection)
    t.setEditTriggers(QAbstractItemView.NoEditTriggers)
    t.setSortingEnabled(True)
    t.setAlternatingRowColors(True)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(22)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class BlotterView(BlotterActions, QWidget):
    """Orders and executions tabs; every order action through ``commands`` (OrderCommands)."""

    def __init__(self, orders: OrdersModel, executions: ExecutionsModel, commands,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.orders_model = orders
        self.executions_model = executions
        self.commands = commands
        self.confirm: Callable[[str], bool] = self._ask
        self.ask_override: Callable[[str], bool] = self._ask_override
        self.edit_order: Callable[[OrderRecord], ModifyOrder | None] = self._open_modify_dialog
        self.choose_export_path: Callable[[str, str], str | None] = self._choose_export_path
        self._confirm_cancels = True
        self._confirm_modifies = False
        self._pending_edits: dict[tuple[int, str], float] = {}
        #: soft risk limits the Modify dialog showed when OK was clicked (OK overrides them)
        self.edit_accepted: frozenset[str] = frozenset()
        self._action_tasks: set = set()     # running actions (asyncio tasks), see blotter_actions

        # ---- orders tab
        self.orders_proxy = OrderFilterProxy(self)
        self.orders_proxy.setSourceModel(orders)
        self.orders_table = _table(self.orders_proxy)
        self.orders_table.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed)
        self.edit_delegate = OrderEditDelegate([c.key for c in orders.columns], self.orders_table)
        for key in EDITABLE_FIELDS:
            self.orders_table.setItemDelegateForColumn(orders.column_index(key), self.edit_delegate)
        orders.edit_handler = self._on_cell_edit
        self.orders_table.sortByColumn(orders.column_index("order_id"), Qt.DescendingOrder)
        self.orders_table.doubleClicked.connect(self._on_double_click)
        self.orders_table.setContextMenuPolicy(Qt.CustomContextMenu)
        self.orders_table.customContextMenuRequested.connect(self._orders_menu)
        self.orders_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.orders_table.selectionModel().currentRowChanged.connect(self._update_buttons)
        # bound methods (not lambdas): Qt disconnects them when this view is destroyed
        orders.dataChanged.connect(self._update_buttons)
        orders.rowsInserted.connect(self._update_buttons)
        #: the orders' columns: fitted to the first rows once, chosen in the header's menu
        self.orders_columns = TableColumns(self.orders_table, orders.columns, "orders",
                                           hidden=ORDERS_HIDDEN_BY_DEFAULT, fixed=("symbol",))

        self.cancel_action = QAction("Cancel selected orders", self.orders_table)
        self.cancel_action.setShortcut(QKeySequence.Delete)
        self.cancel_action.setShortcutContext(Qt.WidgetShortcut)
        self.cancel_action.triggered.connect(self.cancel_selected)
        self.orders_table.addAction(self.cancel_action)
        self.modify_action = QAction("Modify order…", self.orders_table)
        self.modify_action.setShortcut(QKeySequence(Qt.Key_Return))
        self.modify_action.setShortcutContext(Qt.WidgetShortcut)
        self.modify_action.triggered.connect(self.modify_selected)
        self.orders_table.addAction(self.modify_action)

        self.filter = QComboBox()  # status filter; item data = STATUS_FILTERS key
        for key, (label, _statuses) in STATUS_FILTERS.items():
            self.filter.addItem(label, key)
        self.filter.setToolTip("Show orders of one status group")
        self.filter.currentIndexChanged.connect(
            lambda i: self.orders_proxy.set_status_filter(self.filter.itemData(i)))
        self.symbol_edit = QLineEdit()
        self.symbol_edit.setPlaceholderText("Symbol")
        self.symbol_edit.setClearButtonEnabled(True)
        self.symbol_edit.setMaximumWidth(120)
        self.symbol_edit.setToolTip("Show orders whose symbol starts with this text (any case)")
        self.symbol_edit.textChanged.connect(self.orders_proxy.set_symbol_filter)
        self.modify_button = QPushButton("Modify…")
        self.modify_button.setToolTip("Modify the current order (Return); or edit quantity/price in the row (F2)")
        self.modify_button.clicked.connect(self.modify_selected)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the selected orders (Delete)")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.cancel_all_button = QPushButton("Cancel all")
        self.cancel_all_button.setToolTip("Cancel every working order of this client id")
        self.cancel_all_button.clicked.connect(self.cancel_all)
        self.cancel_all_action = QAction("Cancel all orders of this client…", self.orders_table)
        self.cancel_all_action.triggered.connect(self.cancel_all)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.filter)
        bar.addWidget(self.symbol_edit)
        bar.addStretch(1)
        for w in (self.modify_button, self.cancel_button, self.cancel_all_button):
            bar.addWidget(w)
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
        self.executions_columns = TableColumns(self.executions_table, executions.columns, "executions",
                                               fixed=("symbol",))

        self.tabs = QTabWidget()
        self.tabs.addTab(orders_page, "Orders")
        self.tabs.addTab(self.executions_table, "Executions")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the rows shown in this tab (filtered and sorted) as CSV")
        self.export_button.clicked.connect(self.export_current)
        self.tabs.setCornerWidget(self.export_button, Qt.TopRightCorner)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)
        self.setMinimumSize(480, 160)
        self._update_buttons()

    # ---- settings (persisted by the main window) ------------------------------
    @property
    def confirm_cancels(self) -> bool:
        """Ask before cancelling orders (default True)."""
        return self._confirm_cancels

    @confirm_cancels.setter
    def confirm_cancels(self, on: bool) -> None:
        self._confirm_cancels = bool(on)

    @property
    def confirm_modifies(self) -> bool:
        """Ask before transmitting a modification (dialog or in place; default False)."""
        return self._confirm_modifies

    @confirm_modifies.setter
    def confirm_modifies(self, on: bool) -> None:
        self._confirm_modifies = bool(on)

    @property
    def status_filter(self) -> str:
        """The status group shown: "all", "working", "filled", "cancelled" or "rejected"."""
        return self.orders_proxy.status_filter

    @status_filter.setter
    def status_filter(self, name: str) -> None:
        i = self.filter.findData(name)
        if i < 0:
            raise ValueError(f"unknown status filter {name!r}; expected one of {', '.join(STATUS_FILTERS)}")
        self.filter.setCurrentIndex(i)

    @property
    def symbol_filter(self) -> str:
        """The symbol prefix filter as typed ("" = all symbols)."""
        return self.symbol_edit.text()

    @symbol_filter.setter
    def symbol_filter(self, text: str) -> None:
        self.symbol_edit.setText(str(text or ""))

    # ---- selection -------------------------------------------------------------
    def selected_order(self) -> OrderRecord | None:
        """The order on the current row (its latest record), or None."""
        idx = self.orders_table.selectionModel().currentIndex()
        if not idx.isValid():
            return None
        return self.orders_proxy.order_at(idx.row())

    def selected_orders(self) -> list[OrderRecord]:
        """The orders on the selected rows in view order (the current one when none is selected)."""
        rows = sorted(i.row() for i in self.orders_table.selectionModel().selectedRows())
        found = [o for o in (self.orders_proxy.order_at(r) for r in rows) if o is not None]
        if not found and (o := self.selected_order()) is not None:
            found = [o]
        return found

    def select_order(self, order_id: int) -> bool:
        """Make the row of API ``order_id`` current and the only selected one; False when not shown."""
        return self.select_orders([order_id])

    def select_orders(self, order_ids) -> bool:
        """Select the rows of the API ``order_ids`` (the first becomes current); False if any is not shown."""
        wanted = list(order_ids)
        rows = {}
        for r in range(self.orders_proxy.rowCount()):
            o = self.orders_proxy.order_at(r)
            if o is not None and o.order_id in wanted and o.order_id not in rows:
                rows[o.order_id] = r
        sm = self.orders_table.selectionModel()
        sel = QItemSelection()
        for oid in wanted:
            if oid in rows:
                sel.select(self.orders_proxy.index(rows[oid], 0), self.orders_proxy.index(rows[oid], 0))
        if wanted and wanted[0] in rows:
            sm.setCurrentIndex(self.orders_proxy.index(rows[wanted[0]], 0), QItemSelectionModel.NoUpdate)
        sm.select(sel, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
        return len(rows) == len(set(wanted))

    def _own_working(self, o: OrderRecord | None) -> bool:
        return o is not None and o.is_working and o.client_id == getattr(self.orders_model.session, "client_id", None)

    def _update_buttons(self, *_args) -> None:
        current = self._own_working(self.selected_order())
        self.modify_button.setEnabled(current)
        self.modify_action.setEnabled(current)
        any_selected = any(self._own_working(o) for o in self.selected_orders())
        self.cancel_button.setEnabled(any_selected)
        self.cancel_action.setEnabled(any_selected)
        own_working = self.orders_model.working_count() > 0   # O(1): counted by the model
        self.cancel_all_button.setEnabled(own_working)
        self.cancel_all_action.setEnabled(own_working)

    def _orders_menu(self, pos) -> None:
        idx: QModelIndex = self.orders_table.indexAt(pos)
        if not idx.isValid():
            return
        if not self.orders_table.selectionModel().isRowSelected(idx.row(), idx.parent()):
            self.orders_table.setCurrentIndex(idx)
        menu = QMenu(self)
        menu.addAction(self.modify_action)
        menu.addAction(self.cancel_action)
        menu.addAction(self.cancel_all_action)
        menu.popup(self.orders_table.viewport().mapToGlobal(pos))

    # ---- default dialogs (non-blocking: open() and await, never exec()) ---------
    async def _open_modify_dialog(self, order: OrderRecord) -> ModifyOrder | None:
        dlg = ModifyDialog(order, self.commands, self)
        if await run_dialog(dlg) != QDialog.Accepted:
            return None
        self.edit_accepted = dlg.shown_rules
        return dlg.command()

    async def _choose_export_path(self, kind: str, suggested: str) -> str | None:
        dlg = QFileDialog(self, f"Export {kind}", "", "CSV files (*.csv)")
        dlg.setAcceptMode(QFileDialog.AcceptSave)
        dlg.setDefaultSuffix("csv")
        dlg.selectFile(suggested)
        if await run_dialog(dlg) != QDialog.Accepted or not dlg.selectedFiles():
            return None
        return dlg.selectedFiles()[0] or None

    async def _ask(self, text: str) -> bool:
        return await ask_yes_no(self, "Confirm", text, danger=False)

    async def _ask_override(self, text: str) -> bool:
        return await ask_yes_no(self, "Override a risk limit", text)
