"""Price tags on a pane's right axis, and label stacking (TWS / TradingView style).

``AxisTags`` draws small filled boxes with a price ("150.25") on the right axis
of a pyqtgraph ``PlotItem``: one per order line, the position, the current
value of an RSI/MACD pane. A tag whose price is above or below the visible
range sits at the top or bottom edge of the axis with an arrow ("▲ 250.00"),
so an order outside the view is still seen. Tags that would overlap are pushed
apart (:func:`spread`), nearest the price first. They are child items of the
axis, laid out in pixels again when the view's range or size changes.

:func:`stack_labels` places labels inside the view (order lines, the position
line) so that none covers another: a label that would collide moves right of
the one it hits.

Prices in instrument currency (y of the plot); positions in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsSimpleTextItem

#: padding of a tag's text, pixels
TAG_PAD_X, TAG_PAD_Y = 3.0, 1.0
#: gap between stacked labels, pixels
LABEL_GAP = 6.0
ARROW_UP, ARROW_DOWN = "▲", "▼"


def spread(centres: list[float], height: float, top: float, bottom: float) -> list[float]:
    """Centres (pixels, y down) moved as little as needed so boxes of ``height`` do not overlap
    and stay within ``top``..``bottom``. Input order is kept in the output; ties keep input order."""
    if not centres:
        return []
    order = sorted(range(len(centres)), key=lambda i: (centres[i], i))
    lo, hi = top + height / 2, bottom - height / 2
    ys = [min(max(centres[i], lo), hi) for i in order]
    for k in range(1, len(ys)):  # push down
        ys[k] = max(ys[k], ys[k - 1] + height)
    if ys[-1] > hi:  # no room below: push up from the bottom
        ys[-1] = hi
        for k in range(len(ys) - 2, -1, -1):
            ys[k] = min(ys[k], ys[k + 1] - height)
    out = [0.0] * len(centres)
    for k, i in enumerate(order):
        out[i] = ys[k]
    return out


def stack_labels(boxes: list[tuple[float, float, float, float]], gap: float = LABEL_GAP) -> list[float]:
    """Left edges (pixels) for labels given as ``(x, y, width, height)`` (x = wanted left edge,
    y = top) so no two overlap: in the given order (first wins its place), a label that
    overlaps one already placed moves right of it, again until it is free."""
    placed: list[QRectF] = []
    out = []
    for x, y, w, h in boxes:
        r = QRectF(x, y, w, h)
        moved = True
        while moved:
            moved = False
            for p in placed:
                if r.intersects(p):
                    r.moveLeft(p.right() + gap)
                    moved = True
        placed.append(r)
        out.append(r.left())
    return out


@dataclass
class _Tag:
    price: float
    text: str
    box: QGraphicsRectItem
    label: QGraphicsSimpleTextItem
    edge: bool


class AxisTags:
    """Tags on ``plot``'s right axis (see the module docstring).

    :meth:`set` adds or moves one (``key`` any hashable), :meth:`remove` drops it;
    ``tags`` (read-only use) maps key -> state; :meth:`tag_rect` and :meth:`tag_text` tell
    where a tag is and what it reads now (tests).
    """

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.axis = plot.getAxis("right")
        self.vb = plot.getViewBox()
        self.tags: dict[object, _Tag] = {}
        self.vb.sigRangeChanged.connect(self.relayout)
        self.vb.sigResized.connect(self.relayout)

    def set(self, key, price: float, text: str, fill, text_color="#ffffff", *, edge: bool = True,
            tooltip: str = "") -> None:
        """Show ``text`` (the price as shown) in a box of ``fill`` at ``price``. ``edge``: keep the tag
        at the top/bottom edge with an arrow when the price is out of view (else hide it)."""
        tag = self.tags.get(key)
        if tag is None:
            box = QGraphicsRectItem(self.axis)
            box.setPen(QPen(Qt.PenStyle.NoPen))
            box.setZValue(60)
            label = QGraphicsSimpleTextItem(box)
            tag = self.tags[key] = _Tag(price, text, box, label, edge)
        tag.price, tag.text, tag.edge = float(price), text, edge
        tag.box.setBrush(QBrush(QColor(fill)))
        tag.label.setBrush(QBrush(QColor(text_color)))
        tag.box.setToolTip(tooltip)
        self.relayout()

    def remove(self, key) -> None:
        tag = self.tags.pop(key, None)
        if tag is not None:
            tag.box.setParentItem(None)
            scene = tag.box.scene()
            if scene is not None:
                scene.removeItem(tag.box)
            self.relayout()

    def clear(self) -> None:
        for key in list(self.tags):
            self.remove(key)

    def tag_rect(self, key) -> QRectF | None:
        """The tag's box in the axis's coordinates (pixels), None when hidden or unknown."""
        tag = self.tags.get(key)
        if tag is None or not tag.box.isVisible():
            return None
        return tag.box.mapRectToParent(tag.box.rect())

    def tag_text(self, key) -> str:
        tag = self.tags.get(key)
        return tag.label.text() if tag is not None else ""

    def relayout(self, *_args) -> None:
        """Place every tag for the current view range and size (pixels of the axis)."""
        if not self.tags:
            return
        height_px = float(self.axis.geometry().height())
        width = float(self.axis.width())
        font = self.axis.font() if hasattr(self.axis, "font") else None
        shown, centres = [], []
        for tag in self.tags.values():
            if font is not None:
                tag.label.setFont(font)
            y = self.axis.mapFromScene(self.vb.mapViewToScene(QPointF(0.0, tag.price))).y()
            text = tag.text
            if y < 0 or y > height_px:
                if not tag.edge:
                    tag.box.setVisible(False)
                    continue
                text = f"{ARROW_UP if y < 0 else ARROW_DOWN} {tag.text}"
            tag.label.setText(text)
            tag.box.setVisible(True)
            shown.append(tag)
            centres.append(y)
        if not shown:
            return
        h = max(t.label.boundingRect().height() for t in shown) + 2 * TAG_PAD_Y
        for tag, y in zip(shown, spread(centres, h, 0.0, max(h, height_px))):
            tag.box.setRect(QRectF(0.0, 0.0, width, h))
            tag.box.setPos(0.0, y - h / 2)
            tag.label.setPos(TAG_PAD_X, TAG_PAD_Y)
