"""The ladder's price table: a thin ``QTableView`` turning mouse gestures into signals.

- a press and release on the same cell: ``cellClicked(row, column)``;
- a press on an own order (Buy / Sell column) released on another row:
  ``orderDragged(from_row, column, to_row)``;
- the wheel: ``wheelTicks(n)`` (n > 0 = towards higher prices, one tick per wheel step);
- a resize: ``rowsFit(n)``, the number of whole rows the viewport shows (the model shows that
  many prices, so re-centring follows what the trader sees).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from app.viewmodels.ladder import COL_BUYS, COL_SELLS


class LadderTable(QTableView):
    """Table view of a ``LadderModel`` (no selection, no scroll bars: the wheel moves the
    model's price window). Signals ``cellClicked(int, int)``, ``orderDragged(int, int, int)``,
    ``wheelTicks(int)``, ``rowsFit(int)``."""

    cellClicked = Signal(int, int)
    orderDragged = Signal(int, int, int)
    wheelTicks = Signal(int)
    rowsFit = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("ladderTable")
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setMouseTracking(False)
        self._press: tuple[int, int] | None = None
        self._wheel_rest = 0

    def mousePressEvent(self, event) -> None:
        idx = self.indexAt(event.position().toPoint())
        self._press = (idx.row(), idx.column()) if idx.isValid() and \
            event.button() == Qt.MouseButton.LeftButton else None
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        press, self._press = self._press, None
        idx = self.indexAt(event.position().toPoint())
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        row, col = press
        if idx.isValid() and (idx.row(), idx.column()) == press:
            self.cellClicked.emit(row, col)
        elif col in (COL_BUYS, COL_SELLS) and idx.isValid() and idx.row() != row:
            self.orderDragged.emit(row, col, idx.row())
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        event.accept()      # a double click counts as one click (its second press is ignored)

    def wheelEvent(self, event) -> None:
        self._wheel_rest += event.angleDelta().y()
        steps = int(self._wheel_rest / 120)
        if steps:
            self._wheel_rest -= steps * 120
            self.wheelTicks.emit(steps)
        event.accept()

    def rows_that_fit(self) -> int:
        """Whole rows the viewport shows at the current height (at least 3)."""
        return max(3, self.viewport().height() // max(1, self.verticalHeader().defaultSectionSize()))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.rowsFit.emit(self.rows_that_fit())
