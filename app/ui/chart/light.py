"""Light chart items for what changes on every live tick.

pyqtgraph's general items (``PlotCurveItem``, ``InfiniteLine``) recompute
their data bounds, pixel vectors and paths in Python on each ``setData``;
at a tick rate that is most of a tick's event-loop time. These items hold a
few points as plain floats and keep the view geometry they need (x range,
size of a device pixel) until the view's range or size changes.

- :class:`LightItem`: the base, a ``pyqtgraph.GraphicsObject`` with
  :meth:`LightItem.view_geom` cached per view range/size.
- :class:`TailItem`: the live end of an indicator line (the last few points),
  optionally filled down to a level (MACD histogram).

x is the bar index, y the plot's unit (price in instrument currency, or the
indicator's own unit).
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPen, QPolygonF


class LightItem(pg.GraphicsObject):
    """Base of the light items: ``view_geom()`` -> ``(x0, x1, px, py)`` or None.

    ``x0..x1`` is the view's x range, ``px``/``py`` the size of one device
    pixel in view units (0 before the view is laid out). Cached until
    pyqtgraph reports a range or transform change (then :meth:`geometry_changed`
    runs, where subclasses recompute their bounds).
    """

    def __init__(self) -> None:
        super().__init__()
        self._geom: tuple[float, float, float, float] | None = None

    def view_geom(self) -> tuple[float, float, float, float] | None:
        if self._geom is None:
            vb = self.getViewBox()
            if not isinstance(vb, pg.ViewBox):  # not (yet) in a plot: pyqtgraph gives the view widget
                return None
            (x0, x1), _ = vb.viewRange()
            self._geom = (x0, x1, self.pixelWidth() or 0.0, self.pixelHeight() or 0.0)
        return self._geom

    def geometry_changed(self) -> None:
        """The view's range or size changed (the cached geometry is already dropped)."""

    def viewRangeChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self._geom = None
        self.geometry_changed()

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph hook: resize)
        self._geom = None
        self.geometry_changed()


class TailItem(LightItem):
    """A short polyline through ``(x, y)`` points; NaN breaks it (as ``connect="finite"``).

    ``set_data(xs, ys)`` takes sequences of equal length (float, NaN allowed).
    With ``fill_level`` and ``brush`` the area between the line and
    ``y = fill_level`` is filled. ``getData()`` returns what is drawn as two
    lists. Raises ``ValueError`` for sequences of different lengths.
    """

    def __init__(self, pen: QPen, fill_level: float | None = None, brush: QBrush | None = None) -> None:
        super().__init__()
        self._pen = QPen(pen)
        self._pen.setCosmetic(True)
        self._fill_level = fill_level
        self._brush = QBrush(brush) if brush is not None else None
        self._xs: list[float] = []
        self._ys: list[float] = []
        self._runs: list[QPolygonF] = []
        self._extent: tuple[float, float, float, float] | None = None  # x0, x1, y0, y1 of the points
        self._bounds = QRectF()

    def set_data(self, xs, ys) -> None:
        xs = [float(v) for v in xs]
        ys = [float(v) for v in ys]
        if len(xs) != len(ys):
            raise ValueError(f"x and y must have the same length, got {len(xs)} and {len(ys)}")
        if xs == self._xs and ys == self._ys:
            return
        self._xs, self._ys = xs, ys
        runs, run = [], []
        for x, y in zip(xs, ys):
            if math.isfinite(x) and math.isfinite(y):
                run.append(QPointF(x, y))
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        self._runs = [QPolygonF(r) for r in runs]
        fin = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
        if fin:
            fx = [p[0] for p in fin]
            fy = [p[1] for p in fin]
            if self._fill_level is not None:
                fy.append(self._fill_level)
            self._extent = (min(fx), max(fx), min(fy), max(fy))
        else:
            self._extent = None
        self._update_bounds()

    def getData(self) -> tuple[list[float], list[float]]:  # noqa: N802 (pyqtgraph naming)
        return list(self._xs), list(self._ys)

    def geometry_changed(self) -> None:
        self._update_bounds()

    def _update_bounds(self) -> None:
        rect = QRectF()
        geom = self.view_geom()
        if self._extent is not None:
            x0, x1, y0, y1 = self._extent
            px, py = (geom[2], geom[3]) if geom is not None else (0.0, 0.0)
            pad = max(1.0, self._pen.widthF()) + 1.0  # pen width and a pixel, in device pixels
            rect = QRectF(x0 - pad * px, y0 - pad * py, (x1 - x0) + 2 * pad * px, (y1 - y0) + 2 * pad * py)
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        return QRectF(self._bounds)

    def paint(self, p: QPainter, *args) -> None:
        if not self._runs:
            return
        if self._fill_level is not None and self._brush is not None:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(self._brush)
            for poly in self._runs:
                area = QPolygonF(poly)
                area.append(QPointF(poly.last().x(), self._fill_level))
                area.append(QPointF(poly.first().x(), self._fill_level))
                p.drawPolygon(area)
        p.setPen(self._pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for poly in self._runs:
            if poly.size() == 1:
                p.drawPoint(poly.first())
            else:
                p.drawPolyline(poly)
