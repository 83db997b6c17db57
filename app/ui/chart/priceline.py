"""``PriceLine``: the chart's last-price line, a dashed horizontal line with the price
in a filled box at the right edge of the view.

Drawn by one small item instead of pyqtgraph's ``InfiniteLine`` + ``InfLineLabel``
(two items, signals and a text document per move): a live tick moves it with
one geometry change and repaints one strip, so it stays cheap at any tick rate.
Price in instrument currency (y of the price plot).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QApplication

from app.ui.chart.light import LightItem

#: padding around the label text, in pixels
PAD_X, PAD_Y = 4.0, 1.0


class PriceLine(LightItem):
    """A horizontal line at ``value()`` across the view, labelled at the right edge.

    ``set_value(price, text)`` moves it and sets the label in one geometry
    change; ``set_colors(line, text)`` sets the colours (line and label box share the
    first). Add it to a plot with ``ignoreBounds=True`` so it never changes the
    auto range. The view geometry it needs (x range, pixel size, label height)
    is cached and refreshed only when the view's range or size changes, so a
    move costs a rectangle and a repaint of the old and new strip.
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
        self._font = QFont()
        self._fm = QFontMetricsF(self._font)
        self.setZValue(50)

    # ---- state ---------------------------------------------------------------------
    def value(self) -> float:
        """The price the line is at (NaN before the first ``set_value``)."""
        return self._value

    def text(self) -> str:
        return self._text

    def set_value(self, price: float, text: str) -> None:
        """Move the line to ``price`` with the label ``text`` (one repaint of the old and new strip)."""
        price = float(price)
        if price == self._value and text == self._text:
            return
        self._value, self._text = price, text
        self._update_bounds()

    def set_colors(self, line: QColor | str, text: QColor | str) -> None:
        """Line and label-box colour, label text colour."""
        self._line, self._text_color = QColor(line), QColor(text)
        self._pen.setColor(self._line)
        self.update()

    # ---- geometry --------------------------------------------------------------------
    def _update_bounds(self) -> None:
        geom = self.view_geom() if math.isfinite(self._value) else None
        rect = QRectF()
        if geom is not None:
            x0, x1, px, py = geom
            font = self.font()
            if font != self._font:
                self._font, self._fm = QFont(font), QFontMetricsF(font)
            half = (self._fm.height() + 2 * PAD_Y + 2) * py / 2
            rect = QRectF(x0 - px, self._value - half, (x1 - x0) + 2 * px, 2 * half)
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect
        self.update()

    def font(self) -> QFont:
        """The label font (the application font)."""
        return QApplication.font()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        return QRectF(self._bounds)

    def geometry_changed(self) -> None:
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
        fm = self._fm
        w, h = fm.horizontalAdvance(self._text) + 2 * PAD_X, fm.height() + 2 * PAD_Y
        box = QRectF(right.x() - w - 1, right.y() - h / 2, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._line)
        p.drawRect(box)
        p.setPen(self._text_color)
        p.setFont(self._font)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, self._text)
        p.setTransform(tr)
