"""``PriceLine``: the chart's last-price line, a dashed horizontal line with the price
in a filled box at the right edge of the view.

Drawn by one small item instead of pyqtgraph's ``InfiniteLine`` + ``InfLineLabel``
(two items, signals and a text document per move): a live tick moves it with
one geometry change and repaints one strip, so it stays cheap at any tick rate.
Price in instrument currency (y of the price plot).
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QApplication

#: padding around the label text, in pixels
PAD_X, PAD_Y = 4.0, 1.0


class PriceLine(pg.GraphicsObject):
    """A horizontal line at ``value()`` across the view, labelled at the right edge.

    ``setPos(price)`` moves it, ``set_text(text)`` sets the label, ``set_colors(line,
    text)`` the colours (line and label box share the first). Add it to a plot with
    ``ignoreBounds=True`` so it never changes the auto range.
    """

    def __init__(self) -> None:
        super().__init__()
        self._value = math.nan
        self._text = ""
        self._line = QColor("#1e88e5")
        self._text_color = QColor("#ffffff")
        self._pen = QPen(self._line)
        self._pen.setCosmetic(True)
        self._pen.setStyle(Qt.PenStyle.DashLine)
        self._bounds = QRectF()
        self.setZValue(50)

    # ---- state ---------------------------------------------------------------------
    def value(self) -> float:
        """The price the line is at (NaN before the first ``setPos``)."""
        return self._value

    def text(self) -> str:
        return self._text

    def setPos(self, price: float) -> None:  # noqa: N802 (pyqtgraph/Qt naming)
        """Move the line to ``price`` (repaints the old and the new strip only)."""
        price = float(price)
        if price == self._value:
            return
        self._value = price
        self._update_bounds()

    def set_text(self, text: str) -> None:
        """The label shown in the box at the right edge."""
        if text != self._text:
            self._text = text
            self._update_bounds()

    def set_colors(self, line: QColor | str, text: QColor | str) -> None:
        """Line and label-box colour, label text colour."""
        self._line, self._text_color = QColor(line), QColor(text)
        self._pen.setColor(self._line)
        self.update()

    # ---- geometry --------------------------------------------------------------------
    def _update_bounds(self) -> None:
        vb = self.getViewBox()
        rect = QRectF()
        if vb is not None and math.isfinite(self._value):
            (x0, x1), _ = vb.viewRange()
            px, py = self.pixelWidth() or 0.0, self.pixelHeight() or 0.0
            h = (QFontMetricsF(self.font()).height() + 2 * PAD_Y + 2) * py
            rect = QRectF(x0 - px, self._value - h / 2, (x1 - x0) + 2 * px, h)
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect
        self.update()

    def font(self) -> QFont:
        """The label font (the application font)."""
        return QApplication.font()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        return QRectF(self._bounds)

    def viewRangeChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self._update_bounds()

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph hook: resize)
        self._update_bounds()

    # ---- drawing ----------------------------------------------------------------------
    def paint(self, p: QPainter, *args) -> None:
        if self._bounds.isEmpty() or not math.isfinite(self._value):
            return
        y = self._value
        p.setPen(self._pen)
        p.drawLine(QPointF(self._bounds.left(), y), QPointF(self._bounds.right(), y))
        if not self._text:
            return
        # the label in device pixels, right-aligned at the view's right edge
        tr = p.transform()
        right = tr.map(QPointF(self._bounds.right(), y))
        p.resetTransform()
        fm = QFontMetricsF(self.font())
        w, h = fm.horizontalAdvance(self._text) + 2 * PAD_X, fm.height() + 2 * PAD_Y
        box = QRectF(right.x() - w - 1, right.y() - h / 2, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._line)
        p.drawRect(box)
        p.setPen(self._text_color)
        p.setFont(self.font())
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, self._text)
        p.setTransform(tr)
