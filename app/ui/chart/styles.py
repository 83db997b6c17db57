"""Chart styles: Candle, OHLC bar, Line and Heikin-Ashi items, and a factory.

Every style is a :class:`app.ui.chart.candles.BarSeriesItem`, so each draws
only the visible range from numpy arrays, merges to about one bar per pixel
column with true extremes (power-of-two pyramid) and has a "history" and a
"last" (live bar) part. Use :func:`make_bar_item` (``style`` one of
:data:`STYLES`) to create the price items; the volume pane is unchanged.

Heikin-Ashi (definition: IB TWS "Heikin-Ashi" chart type / the usual formula)::

    HA close = (O + H + L + C) / 4
    HA open  = (previous HA open + previous HA close) / 2, first = (O0 + C0) / 2
    HA high  = max(H, HA open, HA close);  HA low = min(L, HA open, HA close)

The HA open recursion is an exponential average with alpha 1/2, computed
with ``pandas.Series.ewm(alpha=0.5, adjust=False)`` over the whole series
once; later calls recompute only the bars after ``keep`` (a live tick: one bar).
Prices in instrument currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtGui import QPainterPath

from app.ui.chart.candles import BODY_FRACTION, BarSeriesItem, CandleItem, segment_path
from app.ui.chart.merge import MergedBars

#: style names accepted by :func:`make_bar_item`, in menu order
STYLES = ("Candle", "OHLC", "Line", "Heikin-Ashi")

# ---- named colours of the chart's texts, tags and order lines (one place for a theme) ----
# (texts beside the chart, error / ok / the empty chart's message, take app.ui.theme's roles)
#: order lines, their labels' and price tags' background: buy / sell (white text on them)
ORDER_BUY = "#1565c0"
ORDER_SELL = "#c62828"
#: text on a filled label or tag
TAG_TEXT = "#ffffff"
#: the position (average cost) line, label and tag
POSITION_COLOR = "#8e24aa"
#: background of the legends' box per theme (the window's base at 80 %; the names keep each
#: line's colour) and the legend text other than the line names
LEGEND_FILL = {"light": (255, 255, 255, 205), "dark": (30, 30, 30, 205)}
LEGEND_TEXT = {"light": "#212121", "dark": "#e0e0e0"}


def heikin_ashi(open_, high, low, close, prev_open: float | None = None,
                prev_close: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Heikin-Ashi (open, high, low, close) float64 arrays of the given bars (module docstring).

    ``prev_open``/``prev_close`` are the HA open/close of the bar before the
    first one (to continue a series); without them the first HA open is
    ``(O0 + C0) / 2``. NaN prices propagate. Raises ``ValueError`` for arrays
    of different lengths.
    """
    o, h, lo, c = (np.asarray(a, dtype=np.float64) for a in (open_, high, low, close))
    n = o.shape[0]
    if not (h.shape[0] == lo.shape[0] == c.shape[0] == n):
        raise ValueError("open, high, low and close must have the same length")
    if n == 0:
        e = np.empty(0, dtype=np.float64)
        return e, e.copy(), e.copy(), e.copy()
    ha_c = (o + h + lo + c) / 4.0
    seed = (o[0] + c[0]) / 2.0 if prev_open is None or prev_close is None else (prev_open + prev_close) / 2.0
    # y0 = seed, y_i = (y_{i-1} + ha_c_{i-1}) / 2  ==  ewm(alpha=1/2, adjust=False) over [seed, ha_c0, ...]
    seq = np.empty(n, dtype=np.float64)
    seq[0] = seed
    seq[1:] = ha_c[:-1]
    ha_o = pd.Series(seq).ewm(alpha=0.5, adjust=False, ignore_na=False).mean().to_numpy()
    ha_h = np.fmax(h, np.fmax(ha_o, ha_c))
    ha_l = np.fmin(lo, np.fmin(ha_o, ha_c))
    return ha_o, ha_h, ha_l, ha_c


class HeikinAshiItem(CandleItem):
    """Candles of the Heikin-Ashi bars (see :func:`heikin_ashi`), live bar included.

    Keeps the HA arrays of the whole series; ``set_data(..., keep=k)``
    recomputes only bars ``k..`` from the stored HA of bar ``k-1``, so a live
    tick costs one bar and an append a few.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ha: list[np.ndarray] | None = None

    def _transform(self, arrays, keep):
        o, h, lo, c, v = arrays
        n = o.shape[0]
        keep = max(0, min(int(keep), n))
        old = self._ha
        if old is None or keep == 0 or old[0].shape[0] < keep:
            ha = list(heikin_ashi(o, h, lo, c))
        else:
            tail = heikin_ashi(o[keep:], h[keep:], lo[keep:], c[keep:], old[0][keep - 1], old[3][keep - 1])
            ha = [np.concatenate([old[i][:keep], tail[i]]) for i in range(4)]
        self._ha = ha
        return [*ha, v]


class OhlcBarItem(BarSeriesItem):
    """OHLC bars: vertical low..high, a left tick at the open and a right tick at the close."""

    def _build(self, m: MergedBars):
        half = BODY_FRACTION * m.width / 2.0
        layers = []
        for mask, _color, pen in self._directions(m):
            x = m.x[mask]
            layers.append((pen, None, segment_path(x, m.low[mask], m.high[mask])))
            if self.thin:
                continue
            o, c = m.open[mask], m.close[mask]
            xs = np.stack([x - half, x, x, x + half], axis=1).ravel()
            ys = np.stack([o, o, c, c], axis=1).ravel()
            layers.append((pen, None, pg.arrayToQPath(xs, ys, connect="pairs")))
        return layers


class LineItem(BarSeriesItem):
    """A line through the closes; the "last" part joins the previous close.

    The item feeds its pyramid bars whose open/high/low/close are all the close,
    so a merged group (zoomed out) knows its first, lowest, highest and last
    close: each group is drawn as two points, its lowest and highest close in
    the order the group moved (up: low then high), so the line keeps the true
    extremes of the closes at any zoom instead of sampling one close per group.
    The y range is the closes' range. Colour: the up colour.
    """

    def _transform(self, arrays: list[np.ndarray], keep: int) -> list[np.ndarray]:
        c = arrays[3]
        return [c, c, c, c, arrays[4]]

    def _build(self, m: MergedBars):
        if m.width > 1 and len(m):
            up = m.close >= m.open  # first close -> last close of each group
            x = np.empty(2 * len(m))
            y = np.empty(2 * len(m))
            x[0::2], x[1::2] = m.x - 0.25 * m.width, m.x + 0.25 * m.width
            y[0::2] = np.where(up, m.low, m.high)
            y[1::2] = np.where(up, m.high, m.low)
        else:
            x, y = m.x, m.close
        if self.part == "last" and self.count >= 2:  # join the live bar to the previous close
            i = self.count - 2
            x = np.concatenate([[float(i)], x])
            y = np.concatenate([[self._c[i]], y])
        if x.shape[0] < 2:
            path = QPainterPath()
            if x.shape[0] == 1 and np.isfinite(y[0]):
                path.addEllipse(float(x[0]) - 0.1, float(y[0]), 0.2, 0.0)
            return [(self._pen(self._up), None, path)]
        connect = np.isfinite(y).astype(np.int32)  # break the line at missing closes
        return [(self._pen(self._up), None, pg.arrayToQPath(x, np.nan_to_num(y), connect=connect))]


_CLASSES = {"Candle": CandleItem, "OHLC": OhlcBarItem, "Line": LineItem, "Heikin-Ashi": HeikinAshiItem}


def make_bar_item(style: str, part: str = "history", up_color: str | None = None,
                  down_color: str | None = None) -> BarSeriesItem:
    """A new price item of ``style`` (one of :data:`STYLES`) for ``part`` ("history" or "last").

    Raises ``ValueError`` naming the accepted styles for an unknown one.
    """
    try:
        cls = _CLASSES[style]
    except KeyError:
        raise ValueError(f"unknown chart style {style!r}; expected one of {', '.join(STYLES)}") from None
    kwargs = {}
    if up_color is not None:
        kwargs["up_color"] = up_color
    if down_color is not None:
        kwargs["down_color"] = down_color
    return cls(part, **kwargs)


__all__ = ["STYLES", "HeikinAshiItem", "LineItem", "OhlcBarItem", "CandleItem", "heikin_ashi", "make_bar_item"]
