"""Fast candlestick item (our own pyqtgraph ``GraphicsObject``, DESIGN.md: finplot's ideas).

:class:`BarSeriesItem` draws OHLCV bars given as numpy arrays with x = bar
index. Only the visible index range is drawn; when zoomed out so that several
bars share a pixel column, the bars are merged (:func:`app.ui.chart.merge.merge_ohlcv`,
true high/low kept) to about one candle per pixel. The painter paths are
built with ``pyqtgraph.arrayToQPath`` (vectorised, no per-candle Python
objects) once per view change or data reset, never per paint or per tick.

An item shows one *part* of the series: ``"history"`` = every bar but the
last, ``"last"`` = the live last bar alone. The chart uses one item of each,
so a live tick rebuilds a one-bar path and never the history.

:class:`CandleItem` draws candles (wick low..high, body open..close), up
(close >= open) green and down red. Prices in instrument currency.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen

from app.ui.chart.merge import MergedBars, group_for, merge_ohlcv, visible_slice

#: fraction of a bar slot covered by a candle body / volume bar
BODY_FRACTION = 0.8
#: bodies narrower than this many pixels are drawn as segments, not filled rectangles
THIN_PX = 2.0

UP_LIGHT, DOWN_LIGHT = "#1b8a3a", "#c62828"
UP_DARK, DOWN_DARK = "#26a69a", "#ef5350"

_RECT_CONNECT = np.array([1, 1, 1, 1, 0], dtype=np.int32)


def rect_path(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> QPainterPath:
    """One ``QPainterPath`` holding an axis-aligned rectangle per element (vectorised)."""
    k = x0.shape[0]
    if k == 0:
        return QPainterPath()
    xs = np.stack([x0, x1, x1, x0, x0], axis=1).ravel()
    ys = np.stack([y0, y0, y1, y1, y0], axis=1).ravel()
    return pg.arrayToQPath(xs, ys, connect=np.tile(_RECT_CONNECT, k))


def segment_path(x: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> QPainterPath:
    """One ``QPainterPath`` holding a vertical segment ``(x, y0)-(x, y1)`` per element."""
    if x.shape[0] == 0:
        return QPainterPath()
    xs = np.repeat(x, 2)
    ys = np.stack([y0, y1], axis=1).ravel()
    return pg.arrayToQPath(xs, ys, connect="pairs")


class BarSeriesItem(pg.GraphicsObject):
    """Base of the chart's bar items: data, visible-range slicing, merging, path cache.

    ``set_data(open, high, low, close, volume)`` takes float64 arrays of
    equal length (views are fine; they are not copied, so call ``set_data``
    again after the owner reallocates or changes history). Subclasses
    implement ``_build(m: MergedBars) -> list[(QPen, QBrush | None, QPainterPath)]``
    and ``_y_bounds(start, stop) -> (lo, hi)``.

    State for tests and benchmarks: ``drawn_count`` (candles in the current
    paths), ``drawn_range`` ((start, stop) bar indices), ``group`` (bars per
    candle), ``builds`` (how many times the paths were rebuilt).
    Raises ``ValueError`` for an unknown ``part`` or arrays of different lengths.
    """

    def __init__(self, part: str = "history", up_color: str = UP_LIGHT, down_color: str = DOWN_LIGHT):
        super().__init__()
        if part not in ("history", "last"):
            raise ValueError(f"part must be 'history' or 'last', got {part!r}")
        self.part = part
        empty = np.empty(0, dtype=np.float64)
        self._o = self._h = self._l = self._c = self._v = empty
        self._version = 0
        self._key = None
        self._layers: list[tuple[QPen, QBrush | None, QPainterPath]] = []
        self._bounds = QRectF()
        self.drawn_count = 0
        self.drawn_range = (0, 0)
        self.group = 1
        self.thin = False
        self.builds = 0
        self.set_colors(up_color, down_color)

    # ---- data ----------------------------------------------------------------
    def set_colors(self, up: str, down: str) -> None:
        """Colours (any ``QColor`` name, e.g. "#1b8a3a") of up and down bars; rebuilds the paths."""
        self._up, self._down = QColor(up), QColor(down)
        self._key = None
        self.update()

    def set_data(self, open_, high, low, close, volume) -> None:
        """New series (float64 arrays, equal length, not copied); rebuilds at the next paint."""
        arrays = [np.asarray(a, dtype=np.float64) for a in (open_, high, low, close, volume)]
        if len({a.shape[0] for a in arrays}) != 1:
            raise ValueError("open, high, low, close and volume must have the same length")
        self._o, self._h, self._l, self._c, self._v = arrays
        self._version += 1
        self._key = None
        self.prepareGeometryChange()
        self._bounds = self._compute_bounds()
        self.update()

    @property
    def count(self) -> int:
        """Bars in the whole series (not only this item's part)."""
        return int(self._o.shape[0])

    def part_range(self) -> tuple[int, int]:
        """Index range ``[lo, hi)`` this item is responsible for."""
        n = self.count
        if self.part == "last":
            return (n - 1, n) if n else (0, 0)
        return 0, max(0, n - 1)

    # ---- geometry ----------------------------------------------------------------
    def _compute_bounds(self) -> QRectF:
        lo_i, hi_i = self.part_range()
        if hi_i <= lo_i:
            return QRectF()
        y_lo, y_hi = self._y_bounds(lo_i, hi_i)
        if not (np.isfinite(y_lo) and np.isfinite(y_hi)):
            return QRectF()
        return QRectF(lo_i - 0.5, y_lo, hi_i - lo_i, max(y_hi - y_lo, 1e-12))

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        return QRectF(self._bounds)

    def _y_bounds(self, start: int, stop: int) -> tuple[float, float]:
        raise NotImplementedError

    def _build(self, m: MergedBars) -> list[tuple[QPen, QBrush | None, QPainterPath]]:
        raise NotImplementedError

    # ---- drawing ----------------------------------------------------------------
    def _view_key(self):
        """(start, stop, group, thin) of the bars to draw for the current view.

        ``thin`` is True when a candle body would be under ``THIN_PX`` pixels
        wide: bodies are then drawn as 1-pixel segments (filling thousands of
        sub-pixel rectangles costs ~100 ms a frame).
        """
        lo_i, hi_i = self.part_range()
        px = self.pixelWidth()  # bar-index units per device pixel (0 when not in a view)
        group = group_for(px) if px else 1
        thin = bool(px) and BODY_FRACTION * group / px < THIN_PX
        if hi_i <= lo_i:
            return (0, 0, 1, thin)
        if self.part == "last":
            return (lo_i, hi_i, 1, thin)
        vr = self.viewRect()
        if vr is None or vr.width() <= 0:
            return (lo_i, hi_i, group, thin)
        start, stop = visible_slice(vr.left(), vr.right(), hi_i, group)
        return (max(start, lo_i), stop, group, thin)

    def refresh(self) -> None:
        """Rebuild the paths if the visible range, zoom or data changed (else nothing)."""
        start, stop, group, thin = self._view_key()
        key = (start, stop, group, thin, self._version)
        if key == self._key:
            return
        self._key = key
        m = merge_ohlcv(self._o, self._h, self._l, self._c, self._v, start, stop, group)
        self.thin = thin
        self._layers = self._build(m) if len(m) else []
        self.drawn_count = len(m)
        self.drawn_range = (start, stop)
        self.group = group
        self.builds += 1

    def paint(self, p, *args) -> None:
        """Qt paint: draws the cached paths (rebuilt first only if the view or data changed)."""
        self.refresh()
        for pen, brush, path in self._layers:
            if brush is not None:
                p.fillPath(path, brush)
            p.setPen(pen)
            p.drawPath(path)

    def viewRangeChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self.update()

    def _pen(self, color: QColor) -> QPen:
        pen = QPen(color)
        pen.setCosmetic(True)
        pen.setWidth(1)
        return pen


class CandleItem(BarSeriesItem):
    """Candlesticks: wick from low to high, body from open to close; up green, down red."""

    def _y_bounds(self, start: int, stop: int) -> tuple[float, float]:
        return float(np.nanmin(self._l[start:stop])), float(np.nanmax(self._h[start:stop]))

    def _build(self, m: MergedBars):
        up = m.close >= m.open
        half = BODY_FRACTION * m.width / 2.0
        layers = []
        for mask, color in ((up, self._up), (~up, self._down)):
            if not mask.any():
                continue
            x = m.x[mask]
            o, c = m.open[mask], m.close[mask]
            pen = self._pen(color)
            layers.append((pen, None, segment_path(x, m.low[mask], m.high[mask])))
            if self.thin:  # a body of a pixel or two: the wick already covers it
                continue
            layers.append((pen, QBrush(color), rect_path(x - half, x + half, o, c)))
        return layers
