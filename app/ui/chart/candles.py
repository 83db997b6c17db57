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

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen, QPixmapCache
from PySide6.QtWidgets import QGraphicsItem

from app.ui.chart.merge import MergedBars, MergePyramid, group_for, merge_ohlcv, visible_slice

#: fraction of a bar slot covered by a candle body / volume bar
BODY_FRACTION = 0.8
#: bodies narrower than this many pixels are drawn as segments, not filled rectangles
THIN_PX = 2.0

UP_LIGHT, DOWN_LIGHT = "#1b8a3a", "#c62828"
UP_DARK, DOWN_DARK = "#26a69a", "#ef5350"

_RECT_CONNECT = np.array([1, 1, 1, 1, 0], dtype=np.int32)

#: QPixmapCache limit (KiB) the chart needs: Qt keeps the item pixmaps of
#: ``DeviceCoordinateCache`` there, and a pane of a 4K screen is ~30 MB
#: (Qt's default limit is 10 MB; past it the pixmaps are evicted and redrawn on every paint)
PIXMAP_CACHE_KIB = 96 * 1024


def ensure_pixmap_cache() -> None:
    """Raise ``QPixmapCache``'s limit to :data:`PIXMAP_CACHE_KIB` if it is lower (never lowers it)."""
    if QPixmapCache.cacheLimit() < PIXMAP_CACHE_KIB:
        QPixmapCache.setCacheLimit(PIXMAP_CACHE_KIB)


def rect_path(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> QPainterPath:
    """One ``QPainterPath`` holding an axis-aligned rectangle per element (vectorised)."""
    k = x0.shape[0]
    if k == 0:
        return QPainterPath()
    xs = np.stack([x0, x1, x1, x0, x0], axis=1).ravel()
    ys = np.stack([y0, y0, y1, y1, y0], axis=1).ravel()
    return pg.arrayToQPath(xs, ys, connect=np.tile(_RECT_CONNECT, k))


def rect_list(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> list[QRectF]:
    """``QRectF`` per element (for ``QPainter.drawRects``: filling a few hundred rectangles
    this way is cheaper than filling one path of as many sub-paths)."""
    lo, hi = np.minimum(y0, y1), np.maximum(y0, y1)
    return [QRectF(a, b, w, h) for a, b, w, h in zip(x0.tolist(), lo.tolist(), (x1 - x0).tolist(), (hi - lo).tolist())]


def segment_path(x: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> QPainterPath:
    """One ``QPainterPath`` holding a vertical segment ``(x, y0)-(x, y1)`` per element."""
    if x.shape[0] == 0:
        return QPainterPath()
    xs = np.repeat(x, 2)
    ys = np.stack([y0, y1], axis=1).ravel()
    return pg.arrayToQPath(xs, ys, connect="pairs")


class BarSeriesItem(pg.GraphicsObject):
    """Base of the chart's bar items: data, visible-range slicing, merging, path cache.

    ``set_data(open, high, low, close, volume, keep=0)`` takes float64 arrays
    of equal length (views are fine; they are not copied, so call ``set_data``
    again after the owner reallocates or changes history). ``keep`` is the
    number of leading bars unchanged since the previous call (an append:
    the old count; a tick: count - 1); 0 (the default) means "all may have
    changed". The "history" part keeps a :class:`MergePyramid` so drawing a
    zoomed-out view costs about one candle per pixel column whatever the
    number of bars (1M bars: the same as 2k). Subclasses
    implement ``_build(m: MergedBars) -> list[(QPen, QBrush | None, QPainterPath)]``
    and ``_y_bounds(start, stop) -> (lo, hi)``.

    The history part is cached as a pixmap in device coordinates
    (``QGraphicsItem.DeviceCoordinateCache``): a live tick repaints the strips
    under the live bar and the last-price line, and there the history is a
    blit of its pixmap instead of a redraw of every visible candle (about
    half of a tick's event-loop time, measured with
    tests/benchmarks/bench_chart.py). Any ``update()`` (new data, new view
    range, colours) re-renders the pixmap.

    State for tests and benchmarks: ``drawn_count`` (candles in the current
    paths), ``drawn_range`` ((start, stop) bar indices), ``group`` (bars per
    candle), ``builds`` (how many times the paths were rebuilt), ``paints``
    (how many times Qt called ``paint``: not on a cached repaint).
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
        self._geom = None  # cached (x0, x1, bar units per pixel) of the view ...
        self._vsig = None  # ... for this (x0, x1, view width)
        self._layers: list[tuple[QPen, QBrush | None, QPainterPath | list[QRectF]]] = []
        self._bounds = QRectF()
        self.drawn_count = 0
        self.drawn_range = (0, 0)
        self.group = 1
        self.thin = False
        self.builds = 0
        self.paints = 0
        self.pyramid = MergePyramid()
        self._owns_pyramid = True
        if part == "history":
            ensure_pixmap_cache()
            self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.set_colors(up_color, down_color)

    # ---- data ----------------------------------------------------------------
    def set_colors(self, up: str, down: str) -> None:
        """Colours (any ``QColor`` name, e.g. "#1b8a3a") of up and down bars; rebuilds the paths."""
        self._up, self._down = QColor(up), QColor(down)
        self._pens: dict[int, QPen] = {}
        self._key = None
        self.update()

    def set_data(self, open_, high, low, close, volume, keep: int = 0) -> None:
        """New series (float64 arrays, equal length, not copied); rebuilds at the next paint.

        ``keep``: leading bars unchanged since the previous call (see the class
        docstring); only the bars after it are re-merged.
        """
        arrays = [np.asarray(a, dtype=np.float64) for a in (open_, high, low, close, volume)]
        if len({a.shape[0] for a in arrays}) != 1:
            raise ValueError("open, high, low, close and volume must have the same length")
        arrays = self._transform(arrays, keep)
        self._o, self._h, self._l, self._c, self._v = arrays
        if self.part == "history" and self._owns_pyramid:
            self.pyramid.sync(*arrays, length=self.part_range()[1], keep=keep)
        self._version += 1
        self._key = None
        bounds = self._compute_bounds()
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.update()

    def share_pyramid(self, pyramid: MergePyramid) -> bool:
        """Read ``pyramid`` instead of keeping a pyramid of its own: the chart keeps one
        pyramid of the raw bars for its price and volume items (1M bars: ~48 MB each). Its
        owner syncs it (``length`` = count - 1, the same ``keep``) before each :meth:`set_data`
        with the same arrays. Returns False, keeping its own, for the "last" part or an item
        that draws derived bars (a ``_transform``: Line, Heikin-Ashi)."""
        if self.part != "history" or type(self)._transform is not BarSeriesItem._transform:
            return False
        self.pyramid, self._owns_pyramid = pyramid, False
        return True

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

    def _transform(self, arrays: list[np.ndarray], keep: int) -> list[np.ndarray]:
        """Hook for styles that draw derived bars (Heikin-Ashi); identity here."""
        return arrays

    def merged(self, start: int, stop: int, group: int) -> MergedBars:
        """Bars ``start..stop-1`` of this item's data merged ``group`` at a time (as drawn).

        The history part reads its pyramid (whole aligned groups, cost ~ the
        number of candles); otherwise :func:`merge_ohlcv`. ``group`` is a power
        of two (see :func:`group_for`).
        """
        if self.part == "history" and group > 1 and stop <= self.pyramid.length:
            return self.pyramid.merged(start, stop, group)
        return merge_ohlcv(self._o, self._h, self._l, self._c, self._v, start, stop, group)

    def visible_extremes(self, start: int, stop: int) -> tuple[float, float]:
        """(min low, max high) of bars ``start..stop-1`` in price units, NaN ignored.

        O(log n) for the history part (pyramid), for fitting the y axis to
        the visible bars at any zoom; (nan, nan) when there is no finite price.
        """
        start, stop = max(0, start), min(self.count, stop)
        if stop <= start:
            return float("nan"), float("nan")
        hist = self.pyramid.length if self.part == "history" else 0
        lows, highs = [], []
        if start < hist:
            lo, hi = self.pyramid.extremes(start, min(stop, hist))
            lows.append(lo)
            highs.append(hi)
        if stop > max(start, hist):
            s0 = max(start, hist)
            lows.append(np.nanmin(self._l[s0:stop]) if np.isfinite(self._l[s0:stop]).any() else np.nan)
            highs.append(np.nanmax(self._h[s0:stop]) if np.isfinite(self._h[s0:stop]).any() else np.nan)
        if not np.isfinite(lows).any():
            return float("nan"), float("nan")
        return float(np.nanmin(lows)), float(np.nanmax(highs))

    def visible_volume_max(self, start: int, stop: int, group: int = 1) -> float:
        """Largest volume (shares) among bars ``start..stop-1`` merged ``group`` at a time, as drawn.

        For fitting the volume pane, whose merged bars show summed volumes.
        Reads the pyramid for the history part (cost ~ candles on screen, not
        bars); the bars after it (the live bar) are merged directly. NaN and
        negative volumes (IB's -1 = none) count as 0; 0.0 for an empty range.
        """
        start, stop = max(0, start), min(self.count, stop)
        if stop <= start:
            return 0.0
        group = max(1, int(group))
        start -= start % group
        hist = self.pyramid.length if self.part == "history" else 0
        best = 0.0
        # the pyramid, when it covers all but the live bar (not while it is being built)
        if start < hist and (group & (group - 1)) == 0 and self.count - hist <= 1:
            v = self.pyramid.merged(start, min(stop, hist), group).volume
            best = float(v.max()) if v.size else 0.0
            if stop > hist:  # the bars after the history (the live bar) are drawn alone
                tail = np.clip(np.nan_to_num(self._v[hist:stop], nan=0.0), 0.0, None)
                best = max(best, float(tail.max()))
            return best
        m = merge_ohlcv(self._o, self._h, self._l, self._c, self._v, start, stop, group)
        v = np.clip(np.nan_to_num(m.volume, nan=0.0), 0.0, None)
        return max(best, float(v.max()) if v.size else 0.0)

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
        """Price extremes of bars ``start..stop`` (the volume item overrides this)."""
        if stop - start == 1:  # the live bar, on every tick: plain floats
            lo, hi = float(self._l[start]), float(self._h[start])
            return (lo, hi) if lo <= hi else (float("nan"), float("nan"))
        return self.visible_extremes(start, stop)

    def _build(self, m: MergedBars) -> list[tuple[QPen, QBrush | None, QPainterPath]]:
        raise NotImplementedError

    def _directions(self, m: MergedBars):
        """``(mask, colour, pen)`` for the up bars (close >= open) and the down bars of ``m``,
        skipping a direction with no bars: the drawing loop every style shares."""
        up = m.close >= m.open
        for mask, color in ((up, self._up), (~up, self._down)):
            if mask.any():
                yield mask, color, self._pen(color)

    # ---- drawing ----------------------------------------------------------------
    def _view_geometry(self):
        """(x0, x1, bar-index units per device pixel) of the view, cached while its x
        range and width stay the same (a tick's repaint then makes no view-geometry
        queries); None outside a view."""
        vb = self.getViewBox()
        if vb is None or not hasattr(vb, "state"):
            return None
        (x0, x1), _ = vb.state["viewRange"]
        sig = (x0, x1, vb.width())
        if sig != self._vsig or self._geom is None:
            vr = self.viewRect()
            px = self.pixelWidth()  # 0 when not yet laid out
            self._geom = (vr.left(), vr.right(), px) if vr is not None and vr.width() > 0 else (None, None, px)
            self._vsig = sig
        return self._geom

    def _view_key(self):
        """(start, stop, group, thin) of the bars to draw for the current view.

        ``thin`` is True when a candle body would be under ``THIN_PX`` pixels
        wide: bodies are then drawn as 1-pixel segments (filling thousands of
        sub-pixel rectangles costs ~100 ms a frame).
        """
        lo_i, hi_i = self.part_range()
        geom = self._view_geometry()
        left, right, px = geom if geom is not None else (None, None, 0.0)
        group = group_for(px) if px else 1
        thin = bool(px) and BODY_FRACTION * group / px < THIN_PX
        if hi_i <= lo_i:
            return (0, 0, 1, thin)
        if self.part == "last":
            return (lo_i, hi_i, 1, thin)
        if left is None:
            return (lo_i, hi_i, group, thin)
        start, stop = visible_slice(left, right, hi_i, group)
        return (max(start, lo_i), stop, group, thin)

    def refresh(self) -> None:
        """Rebuild the paths if the visible range, zoom or data changed (else nothing)."""
        start, stop, group, thin = self._view_key()
        key = (start, stop, group, thin, self._version)
        if key == self._key:
            return
        self._key = key
        m = self.merged(start, stop, group)
        self.thin = thin
        self._layers = self._build(m) if len(m) else []
        self.drawn_count = len(m)
        self.drawn_range = (start, stop)
        self.group = group
        self.builds += 1

    def paint(self, p, *args) -> None:
        """Qt paint: draws the cached paths (rebuilt first only if the view or data changed)."""
        self.paints += 1
        self.refresh()
        no_brush = QBrush()
        for pen, brush, path in self._layers:
            p.setPen(pen)
            p.setBrush(brush if brush is not None else no_brush)
            if isinstance(path, list):
                p.drawRects(path)
            else:
                p.drawPath(path)  # fill and outline in one pass

    def viewRangeChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self.update()

    def _pen(self, color: QColor) -> QPen:
        """A 1-pixel cosmetic pen of ``color``, made once per colour (the live bar asks on every tick)."""
        key = color.rgba()
        pen = self._pens.get(key)
        if pen is None:
            pen = self._pens[key] = QPen(color)
            pen.setCosmetic(True)
            pen.setWidth(1)
        return pen


class CandleItem(BarSeriesItem):
    """Candlesticks: wick from low to high, body from open to close; up green, down red."""

    def _build(self, m: MergedBars):
        half = BODY_FRACTION * m.width / 2.0
        if len(m) == 1:  # the live bar, on every tick: plain Qt objects, no array round trip
            return self._build_one(float(m.x[0]), float(m.open[0]), float(m.high[0]),
                                   float(m.low[0]), float(m.close[0]), half)
        layers = []
        for mask, color, pen in self._directions(m):
            x = m.x[mask]
            layers.append((pen, None, segment_path(x, m.low[mask], m.high[mask])))
            if self.thin:  # a body of a pixel or two: the wick already covers it
                continue
            layers.append((pen, QBrush(color), rect_list(x - half, x + half, m.open[mask], m.close[mask])))
        return layers

    def _build_one(self, x: float, o: float, h: float, lo: float, c: float, half: float):
        """Layers of one candle (same drawing as the vectorised path of :meth:`_build`)."""
        if not all(map(math.isfinite, (x, h, lo))):
            return []
        color = self._up if c >= o else self._down
        pen = self._pen(color)
        wick = QPainterPath()
        wick.moveTo(x, lo)
        wick.lineTo(x, h)
        layers = [(pen, None, wick)]
        if not self.thin and math.isfinite(o) and math.isfinite(c):
            layers.append((pen, QBrush(color), [QRectF(x - half, min(o, c), 2 * half, abs(c - o))]))
        return layers
