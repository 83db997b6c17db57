"""In-place editing of the blotter's quantity / limit / stop cells.

:class:`OrderEditDelegate` gives an editable cell (see
``OrdersModel.edit_block``) a ``QDoubleSpinBox`` holding the order's current
value, all selected so typing replaces it. Prices step by the instrument's tick
(``Instrument.min_tick``, from IB contract details) with the tick's decimals;
stock quantities step by 100 shares (whole shares), other quantities by 10,000
units like the Modify dialog. Enter (or Tab) commits: the delegate calls
``model.setData(index, value, EditRole)``, which hands the value to the
model's ``edit_handler`` (the blotter sends one ModifyOrder); the model never
stores the typed value. Escape, or focus moving to another widget of the
window, discards the edit: a stray click never sends an order.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemDelegate, QApplication, QDoubleSpinBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget,
)

from app.domain import OrderRecord
from app.ui.format import tabular_font, tick_decimals
from app.viewmodels.table import RECORD_ROLE

#: focus reasons that do not end an edit (another window or a popup took focus for a moment)
_KEEP_EDITING = (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason)


def editor_steps(order: OrderRecord, column_key: str) -> tuple[int, float]:
    """(decimals, single step) of the spin box editing ``column_key`` of ``order``:
    prices on the instrument's tick (default 0.01), stock quantities in whole shares
    stepping by 100, other quantities with 2 decimals stepping by 10,000."""
    inst = order.instrument
    if column_key == "quantity":
        return (0, 100.0) if inst.sec_type == "STK" else (2, 10000.0)
    tick = inst.min_tick or 0.01
    return tick_decimals(tick), float(tick)


class OrderEditDelegate(QStyledItemDelegate):
    """Spin-box editor for the blotter's editable cells; ``column_keys[column]`` names the
    column ("quantity", "limit", "stop") of each column number of the view."""

    def __init__(self, column_keys: list[str], parent: QObject | None = None):
        super().__init__(parent)
        self.column_keys = list(column_keys)

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> QWidget:
        order = index.data(RECORD_ROLE)
        key = self.column_keys[index.column()]
        decimals, step = editor_steps(order, key)
        spin = QDoubleSpinBox(parent)
        spin.setObjectName(f"edit_{key}")
        spin.setFrame(False)
        spin.setRange(0, 1e9)
        spin.setDecimals(decimals)
        spin.setSingleStep(step)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        spin.setFont(tabular_font())
        spin.setKeyboardTracking(False)
        spin.setToolTip("Enter sends the change, Escape cancels")
        return spin

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        editor.setValue(float(value) if value is not None else 0.0)
        editor.selectAll()
        QTimer.singleShot(0, editor, editor.selectAll)  # after the view focuses the editor

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:
        editor.interpretText()
        model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        editor.setGeometry(option.rect)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.FocusOut and isinstance(obj, QWidget)
                and event.reason() not in _KEEP_EDITING):
            popup = QApplication.activePopupWidget()
            if popup is None or not obj.isAncestorOf(popup):
                # Qt's default commits on focus-out; here only Enter/Tab send an order
                self.closeEditor.emit(obj, QAbstractItemDelegate.EndEditHint.NoHint)
                return False
        return super().eventFilter(obj, event)
