"""Volume bars of the chart's lower pane (x = bar index, y = shares).

:class:`VolumeItem` uses the same visible-range slicing, merging (volumes of a
merged group are summed) and path cache as the candles
(:class:`app.ui.chart.candles.BarSeriesItem`). Bars are coloured by direction
of their candle (close >= open: up colour). Negative volumes (IB sends -1 when
it has none, e.g. FX) are drawn as 0.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QColor, QPainterPath

from app.ui.chart.candles import BODY_FRACTION, BarSeriesItem, rect_list, segment_path
from app.ui.chart.merge import MergedBars


class VolumeItem(BarSeriesItem):
    """Volume bars from 0 to the bar's volume; part "history" or "last" (see the base)."""

    def _y_bounds(self, start: int, stop: int) -> tuple[float, float]:
        if stop - start == 1:  # the live bar, on every tick: a plain float
            v1 = float(self._v[start])
            return 0.0, v1 if v1 > 0 else 0.0  # NaN and IB's -1 -> 0
        v = self._v[start:stop]
        hi = float(np.nanmax(v)) if v.size and np.isfinite(v).any() else 0.0
        return 0.0, max(hi, 0.0)

    def _build(self, m: MergedBars):
        half = BODY_FRACTION * m.width / 2.0
        if len(m) == 1:  # the live bar, on every tick: plain Qt objects, no array round trip
            return self._build_one(float(m.x[0]), float(m.open[0]), float(m.close[0]),
                                   float(m.volume[0]), half)
        up = m.close >= m.open
        vol = np.clip(np.nan_to_num(m.volume, nan=0.0), 0.0, None)
        layers = []
        for mask, color in ((up, self._up), (~up, self._down)):
            if not mask.any():
                continue
            x = m.x[mask]
            fill = QColor(color)
            fill.setAlpha(160)
            if self.thin:  # about a pixel wide: a segment, no sub-pixel fill
                layers.append((self._pen(fill), None, segment_path(x, np.zeros(x.shape[0]), vol[mask])))
            else:
                rects = rect_list(x - half, x + half, np.zeros(x.shape[0]), vol[mask])
                layers.append((self._pen(fill), QBrush(fill), rects))
        return layers

    def _build_one(self, x: float, o: float, c: float, v: float, half: float):
        """Layers of one volume bar (same drawing as the vectorised path of :meth:`_build`)."""
        v = v if math.isfinite(v) and v > 0 else 0.0
        fill = QColor(self._up if c >= o else self._down)
        fill.setAlpha(160)
        if self.thin:
            path = QPainterPath()
            path.moveTo(x, 0.0)
            path.lineTo(x, v)
            return [(self._pen(fill), None, path)]
        return [(self._pen(fill), QBrush(fill), [QRectF(x - half, 0.0, 2 * half, v)])]


def volume_text(v: float) -> str:
    """Short volume text for the axis: 950, 12.5K, 3M, 1.2B (shares)."""
    a = abs(v)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.0f}"


class VolumeAxisItem(pg.AxisItem):
    """Volume axis with K/M/B labels instead of pyqtgraph's scientific notation.

    Ticks (and grid lines) of two levels only: pyqtgraph's third, densest
    level of grid lines doubled the paint time of a frame (profiled with
    tests/benchmarks/bench_chart.py).
    """

    def __init__(self, orientation: str = "right", **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self.setStyle(maxTickLevel=1)

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph name)
        return [volume_text(v * scale) for v in values]
