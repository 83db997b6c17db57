"""Indicators drawn over the candles or in panes of their own, and crossover signal markers.

- ``IndicatorOverlay``: the lines of one ``app.viewmodels.indicators.Indicator``
  on the price plot (SMA, EMA, Bollinger, VWAP, crossover SMAs) or on a pane of
  its own below the volume pane sharing the x axis (RSI with 30/70 guides,
  MACD with its histogram). Each line is a history ``PlotDataItem`` of the
  visible points, decimated to about two per pixel column (cost ~ the screen,
  not the series) and cached as a device pixmap, plus a light
  :class:`app.ui.chart.light.TailItem` for the live bar's end of the line.
- ``CrossoverMarkers``: ▲ under the bar where SMA fast crosses above SMA slow,
  ▼ above the bar where it crosses below.
- ``ChartIndicators``: the chart's manager of the above (what ``ChartView``
  delegates to). Orders, fills and the position are drawn by
  :mod:`app.ui.chart.trading`.

x is the bar index (the chart plots on bar index to skip nights and weekends).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem

from app.ui.chart.axis_tags import AxisTags
from app.ui.chart.legend import LinkedTimeAxis, PaneLegend, format_value
from app.ui.chart.light import TailItem
from app.ui.chart.styles import TAG_TEXT
from app.viewmodels.indicators import RSI, Crossover, Indicator, Series, crossovers, make_indicator

#: colours of successive indicator lines (Okabe-Ito, readable on dark and light)
LINE_COLORS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")
BUY_MARK = QColor("#2e7d32")
SELL_MARK = QColor("#c62828")


def _line(plot: pg.PlotItem, color: str, width: float = 1.2, style=Qt.PenStyle.SolidLine) -> pg.PlotDataItem:
    item = pg.PlotDataItem(pen=pg.mkPen(color, width=width, style=style))
    item.setSkipFiniteCheck(False)
    plot.addItem(item)
    return item


def decimate(y: np.ndarray, start: int, stop: int, group: int) -> tuple[np.ndarray, np.ndarray]:
    """Points drawing ``y[start:stop]`` with about two per ``group`` bars: each group's
    minimum then maximum (NaN-aware: ``np.fmin``/``np.fmax``), so peaks survive zooming out.

    ``start`` must be a multiple of ``group``. Returns ``(x, y)`` float64 (x = bar index).
    """
    seg = y[start:stop]
    if group <= 1:
        return np.arange(start, start + seg.shape[0], dtype=np.float64), np.array(seg, dtype=np.float64)
    k = -(-seg.shape[0] // group)
    pad = k * group - seg.shape[0]
    if pad:
        seg = np.concatenate((seg, np.full(pad, np.nan)))
    body = seg.reshape(k, group)
    lo = np.fmin.reduce(body, axis=1)
    hi = np.fmax.reduce(body, axis=1)
    xc = start + np.arange(k, dtype=np.float64) * group
    xs = np.empty(2 * k)
    ys = np.empty(2 * k)
    xs[0::2] = xc + 0.25 * group
    xs[1::2] = xc + 0.75 * group
    ys[0::2], ys[1::2] = lo, hi
    return xs, ys


class IndicatorOverlay:
    """Draws one indicator; ``plot`` is the price plot or the indicator's own pane.

    Only the visible bars are handed to Qt, decimated to about two points per
    pixel column (:func:`decimate`), and a live-bar update recomputes only the
    last group, so the cost depends on the screen, not on the series length.
    ``refresh(changed_from)`` redraws from ``indicator.values`` (the caller runs
    ``indicator.compute``/``update`` first); ``changed_from`` is the first bar
    index whose value changed (None = everything).
    """

    def __init__(self, indicator: Indicator, plot: pg.PlotItem, color_index: int = 0):
        self.indicator = indicator
        self.plot = plot
        self.items: dict[str, pg.PlotDataItem] = {}
        self.tails: dict[str, TailItem] = {}  # the live group's segment of each line
        self._hist: dict[str, tuple] = {}  # name -> (window, points) the history item holds
        self.guides: list[pg.InfiniteLine] = []
        self._cache: dict[str, tuple[tuple[int, int, int], np.ndarray, np.ndarray]] = {}
        c = LINE_COLORS[color_index % len(LINE_COLORS)]
        for k, name in enumerate(indicator.outputs):
            if name == "histogram":
                item = pg.PlotDataItem(fillLevel=0, pen=pg.mkPen(QColor(128, 128, 128, 160)),
                                       brush=pg.mkBrush(QColor(128, 128, 128, 110)))
                plot.addItem(item)
                self.items[name] = item
                continue
            style = Qt.PenStyle.DashLine if name in ("upper", "lower") else Qt.PenStyle.SolidLine
            color = c if (k == 0 or name in ("upper", "lower")) else LINE_COLORS[(color_index + k) % len(LINE_COLORS)]
            self.items[name] = _line(plot, color, style=style)
        for name, item in self.items.items():
            # the history of a line changes with the view or on a new bar, not on a tick: kept as
            # a device pixmap, so the strip a tick repaints is a blit (as the candles, see candles.py)
            item.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            opts = item.opts
            fill = opts.get("fillLevel")
            tail = TailItem(pg.mkPen(opts["pen"]), fill, pg.mkBrush(opts["fillBrush"]) if fill is not None else None)
            plot.addItem(tail, ignoreBounds=True)
            self.tails[name] = tail
        if isinstance(indicator, RSI):
            for level in (30, 70):
                g = pg.InfiniteLine(pos=level, angle=0, movable=False,
                                    pen=pg.mkPen(QColor(128, 128, 128, 150), style=Qt.PenStyle.DotLine))
                plot.addItem(g, ignoreBounds=True)
                self.guides.append(g)
            plot.setYRange(0, 100, padding=0.02)
        self._vb = plot.getViewBox()
        self._vb.sigXRangeChanged.connect(self._on_range)

    def _on_range(self, *_args) -> None:
        self.refresh()

    def window(self) -> tuple[int, int, int]:
        """``(start, stop, group)`` of the bars to draw now (start aligned to group)."""
        n = len(self.indicator)
        (x0, x1), _ = self._vb.viewRange()
        start = max(0, int(math.floor(x0)) - 1)
        stop = min(n, int(math.ceil(x1)) + 2)
        px = max(1.0, float(self._vb.width()))
        ratio = max(1.0, (stop - start) / px)
        group = 1 if ratio <= 1.0 else 1 << int(math.ceil(math.log2(ratio)))
        return start - start % group, max(stop, start), group

    def refresh(self, changed_from: int | None = None) -> None:
        """Redraw from ``indicator.values``; ``changed_from`` = first changed bar (None = all).

        Each line is two items: the history (every point before the group that
        holds the live bar) and a short tail from the last history point to the
        live bar. A tick changes only the tail, so it costs a few points, not a
        redraw of the visible line.
        """
        values = self.indicator.values
        win = self.window()
        start, stop, group = win
        per = 1 if group == 1 else 2
        n = len(self.indicator)
        tail_first = start + max(0, (n - 1 - start) // group) * group  # first bar of the live group
        for name, item in self.items.items():
            y = values.get(name)
            if y is None:
                continue
            cached = self._cache.get(name)
            live = changed_from is not None and cached is not None and cached[0] == win and changed_from >= start
            if live:
                k = (changed_from - start) // group
                first = start + k * group
                xs_t, ys_t = decimate(y, first, stop, group)
                xs = np.concatenate((cached[1][: k * per], xs_t))
                ys = np.concatenate((cached[2][: k * per], ys_t))
            elif stop > start:
                xs, ys = decimate(y, start, stop, group)
            else:
                xs = ys = np.empty(0)
            self._cache[name] = (win, xs, ys)
            cut = min(len(xs), (tail_first - start) // group * per)
            if not (live and changed_from >= tail_first and self._hist.get(name) == (win, cut)):
                item.setData(xs[:cut], ys[:cut], connect="finite")
                self._hist[name] = (win, cut)
            j = max(0, cut - 1)  # the tail starts at the last history point: one joined line
            self.tails[name].set_data(xs[j:], ys[j:])

    def drawn(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of output ``name`` as drawn now (history and live tail together)."""
        cached = self._cache.get(name)
        if cached is None:
            return np.empty(0), np.empty(0)
        return cached[1], cached[2]

    def visible_extremes(self) -> tuple[float, float] | None:
        """(min, max) of the drawn points, None when nothing finite is drawn."""
        ys = [c[2] for c in self._cache.values() if c[2].size]
        ys = [y[np.isfinite(y)] for y in ys]
        ys = [y for y in ys if y.size]
        if not ys:
            return None
        return min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)

    def remove(self) -> None:
        try:
            self._vb.sigXRangeChanged.disconnect(self._on_range)
        except (RuntimeError, TypeError):
            pass
        for item in (*self.items.values(), *self.tails.values(), *self.guides):
            self.plot.removeItem(item)
        self.items.clear()
        self.tails.clear()
        self.guides.clear()


class CrossoverMarkers:
    """▲/▼ markers of a :class:`Crossover` indicator on the price plot.

    ▲ a third of the bar's range under its low (golden cross), ▼ over its high
    (death cross). A live-bar update re-checks only the last bars and redraws
    only when the set of markers changed.
    """

    def __init__(self, crossover: Crossover, plot: pg.PlotItem):
        self.crossover = crossover
        self.plot = plot
        self.scatter = pg.ScatterPlotItem(size=11, pen=None)
        plot.addItem(self.scatter)
        self.indices = np.empty(0, dtype=np.int64)
        self.directions = np.empty(0, dtype=np.int8)
        self._drawn: tuple | None = None

    def refresh(self, lows: np.ndarray, highs: np.ndarray, changed_from: int | None = None) -> None:
        """Place the markers (all, or re-check from bar ``changed_from`` on)."""
        v = self.crossover.values
        if changed_from is None or changed_from < 1:
            idx, d = self.crossover.signals()
        else:
            a = changed_from - 1
            keep = self.indices < changed_from
            ti, td = crossovers(v["fast"][a:], v["slow"][a:])
            idx = np.concatenate((self.indices[keep], ti + a))
            d = np.concatenate((self.directions[keep], td))
        self.indices, self.directions = idx.astype(np.int64), d.astype(np.int8)
        key = (self.indices.size, int(self.indices[-1]) if self.indices.size else -1,
               float(lows[self.indices[-1]]) if self.indices.size else 0.0)
        if key == self._drawn and changed_from is not None:
            return
        self._drawn = key
        if not idx.size:
            self.scatter.setData([], [])
            return
        rng = np.nan_to_num(highs[idx] - lows[idx], nan=0.0)
        y = np.where(d > 0, lows[idx] - rng / 3, highs[idx] + rng / 3)
        self.scatter.setData(
            x=idx.astype(np.float64), y=y,
            symbol=["t1" if k > 0 else "t" for k in d],
            brush=[pg.mkBrush(BUY_MARK if k > 0 else SELL_MARK) for k in d])

    def remove(self) -> None:
        self.plot.removeItem(self.scatter)


#: a full indicator compute over more bars than this runs on the worker thread
WORKER_BARS = 200_000
_WORKER: ThreadPoolExecutor | None = None


def _shared_worker() -> ThreadPoolExecutor:
    """One worker thread for every chart's indicator computes (they run one at a time)."""
    global _WORKER
    if _WORKER is None:
        _WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="indicators")
    return _WORKER


class _WorkerDone(QObject):
    """Carries a finished worker compute to the GUI thread (queued signal)."""

    computed = Signal(object)
    drawn = Signal()


class ChartIndicators:
    """The indicators of one chart: computing (``app.viewmodels.indicators``) and drawing.

    ``layout`` is the chart's ``GraphicsLayoutWidget``, ``price_plot`` its price
    plot (x-linked panes are added below row ``first_pane_row - 1``),
    ``bars`` a callable returning the ``BarArrays``.
    ``items``: list of ``(Indicator, IndicatorOverlay)``; ``panes`` and
    ``markers`` keyed by ``id(indicator)``.
    """

    def __init__(self, layout: pg.GraphicsLayoutWidget, price_plot: pg.PlotItem, bars, *,
                 first_pane_row: int = 2, axis_width: int = 72, time_axis=None, decimals=lambda: 2):
        self.layout = layout
        self.price_plot = price_plot
        self._bars = bars
        self._time_axis = time_axis  # the chart's TimeAxisItem: each pane gets a linked one
        self._decimals = decimals  # callable: the instrument's price decimals
        #: legend of the price pane (overlays) and of each own pane, keyed by id(indicator)
        self.price_legend = PaneLegend(price_plot)
        self.legends: dict[int, PaneLegend] = {}
        #: current-value tags on the right axis of each own pane (RSI, MACD), keyed by id(indicator)
        self.value_tags: dict[int, AxisTags] = {}
        self.cursor: int | None = None  # bar under the cursor (None = the last bar)
        self.first_pane_row = first_pane_row
        self.axis_width = axis_width
        self.items: list[tuple[Indicator, IndicatorOverlay]] = []
        self.panes: dict[int, pg.PlotItem] = {}
        self.markers: dict[int, CrossoverMarkers] = {}
        self._pending: dict[int, int] = {}  # id(indicator) -> job of its outstanding worker compute
        self._job = 0
        self._worker = _shared_worker()
        self._done = _WorkerDone(layout)  # deleted with the chart: late results are dropped
        self._done.computed.connect(self._computed, Qt.ConnectionType.QueuedConnection)
        #: emitted after a worker compute was drawn (the view refits the panes)
        self.computed = self._done.drawn

    def _new_pane(self, ind: Indicator) -> pg.PlotItem:
        row = self.first_pane_row + len(self.panes)
        while self.layout.ci.getItem(row, 0) is not None:
            row += 1
        axes = {"bottom": LinkedTimeAxis(self._time_axis)} if self._time_axis is not None else None
        plot = self.layout.addPlot(row=row, col=0, axisItems=axes)
        plot.hideAxis("left")
        plot.showAxis("right")
        plot.getAxis("right").setWidth(self.axis_width)
        plot.hideAxis("bottom")
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.getViewBox().setMouseEnabled(x=True, y=False)
        plot.getViewBox().enableAutoRange(x=False, y=False)  # fitted by fit_panes, not per item change
        plot.getAxis("right").setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        plot.setXLink(self.price_plot)
        self.layout.ci.layout.setRowStretchFactor(row, 1)
        self.legends[id(ind)] = PaneLegend(plot)
        self.value_tags[id(ind)] = AxisTags(plot)
        return plot

    def add(self, name: str, **params) -> Indicator:
        """Add indicator ``name`` (``INDICATORS``); ``ValueError`` for a bad name or parameters."""
        ind = make_indicator(name, **params)
        plot = self.price_plot
        if ind.pane == "own":
            plot = self.panes[id(ind)] = self._new_pane(ind)
        overlay = IndicatorOverlay(ind, plot, len(self.items))
        self.items.append((ind, overlay))
        if isinstance(ind, Crossover):
            self.markers[id(ind)] = CrossoverMarkers(ind, self.price_plot)
        b = self._bars()
        if len(b) > WORKER_BARS:
            self._compute_in_worker(ind, b)
        elif len(b):
            ind.compute(b)
            self._draw(ind, overlay)
        return ind

    def remove(self, ind: Indicator) -> None:
        """Remove ``ind`` with its pane and markers (no-op when not shown)."""
        self._pending.pop(id(ind), None)
        for k, (i, overlay) in enumerate(self.items):
            if i is ind:
                overlay.remove()
                del self.items[k]
                break
        markers = self.markers.pop(id(ind), None)
        if markers is not None:
            markers.remove()
        self.legends.pop(id(ind), None)
        tags = self.value_tags.pop(id(ind), None)
        if tags is not None:
            tags.clear()
        pane = self.panes.pop(id(ind), None)
        if pane is not None:
            self.layout.removeItem(pane)
        self.show_values()

    def _draw(self, ind: Indicator, overlay: IndicatorOverlay, changed_from: int | None = None) -> None:
        overlay.refresh(changed_from)
        self.show_values(ind)
        markers = self.markers.get(id(ind))
        if markers is not None:
            b = self._bars()
            markers.refresh(b.lows, b.highs, changed_from)

    def refresh(self, full: bool) -> None:
        """Recompute everything (new or prepended history) or only the live end (``full`` False).

        A full compute of more than :data:`WORKER_BARS` bars runs on a worker thread (pure
        numpy/pandas, which release the GIL: 1M bars, four indicators ~300 ms that would
        stall the event loop); the indicator keeps its old lines and skips live updates until
        its result is back, then catches up with the bars that arrived meanwhile
        (``Indicator.update``) and is drawn. Computes run one at a time, in order.
        """
        b = self._bars()
        if not len(b):
            return
        for ind, overlay in self.items:
            if full and len(b) > WORKER_BARS:
                self._compute_in_worker(ind, b)
            elif full:
                self._pending.pop(id(ind), None)
                ind.compute(b)
                self._draw(ind, overlay)
            elif id(ind) not in self._pending:
                changed_from = max(0, len(ind) - 1)
                ind.update(b)
                self._draw(ind, overlay, changed_from)

    def _compute_in_worker(self, ind: Indicator, bars) -> None:
        self._job += 1
        self._pending[id(ind)] = self._job
        series = Series.of(bars)  # views of this history's arrays (kept alive by the worker)
        job = self._job
        self._worker.submit(ind.compute, series).add_done_callback(lambda fut: self._deliver((ind, job, fut)))

    def _deliver(self, result) -> None:
        """Worker thread: hand a finished compute to the GUI thread (dropped if the chart is gone)."""
        try:
            self._done.computed.emit(result)
        except RuntimeError:  # the chart widget (and the signal's QObject) was deleted
            pass

    def _computed(self, result) -> None:
        """A worker compute finished (GUI thread): catch up and draw, unless a newer one was asked."""
        ind, job, fut = result
        if self._pending.get(id(ind)) != job:
            return  # removed, or a newer history was handed over meanwhile
        del self._pending[id(ind)]
        overlay = next((ov for i, ov in self.items if i is ind), None)
        if overlay is None:
            return
        if fut.exception() is not None:
            raise fut.exception()
        b = self._bars()
        if len(b):
            ind.update(b)  # the bars that arrived while computing
        self._draw(ind, overlay)
        self.computed.emit()

    # ---- legends and value tags ------------------------------------------------------
    def _value_decimals(self, ind: Indicator) -> int:
        if ind.pane != "own":
            return self._decimals()
        return 2 if isinstance(ind, RSI) else max(3, self._decimals() + 1)

    def legend_line(self, ind: Indicator, overlay: IndicatorOverlay, i: int | None) -> tuple[str, str, list[str]]:
        """``(label, colour, values)`` of ``ind`` at bar ``i`` (None = the last bar)."""
        n = len(ind)
        k = n - 1 if i is None else min(max(int(i), 0), n - 1)
        d = self._value_decimals(ind)
        values = [format_value(float(v[k]) if 0 <= k < len(v) else math.nan, d) for v in ind.values.values()] \
            if n else ["—" for _ in ind.outputs]
        first = next(iter(overlay.items.values()), None)
        color = first.opts["pen"].color().name() if first is not None else "#808080"
        return ind.label, color, values

    def show_values(self, only: Indicator | None = None) -> None:
        """Legends (and the value tags of own panes) at bar ``cursor`` (None = the last bar);
        ``only`` limits the update to that indicator's pane (a live tick)."""
        price_lines = []
        for ind, overlay in self.items:
            line = self.legend_line(ind, overlay, self.cursor)
            if ind.pane != "own":
                price_lines.append(line)
                continue
            if only is not None and ind is not only:
                continue
            legend = self.legends.get(id(ind))
            if legend is not None:
                legend.set_lines([line])
            self._tag_values(ind, overlay)
        if only is None or only.pane != "own":
            self.price_legend.set_lines(price_lines)

    def _tag_values(self, ind: Indicator, overlay: IndicatorOverlay) -> None:
        """The last value of each line of an own pane as a tag on its axis (like the last price)."""
        tags = self.value_tags.get(id(ind))
        if tags is None or not len(ind):
            return
        d = self._value_decimals(ind)
        for name, item in overlay.items.items():
            v = float(ind.values[name][-1])
            if name == "histogram" or not math.isfinite(v):
                tags.remove(name)
                continue
            tags.set(name, v, format_value(v, d), item.opts["pen"].color(), TAG_TEXT, edge=False,
                     tooltip=f"{ind.label} {name}")

    @property
    def computing(self) -> bool:
        """True while a worker compute is outstanding."""
        return bool(self._pending)

    def fit_panes(self, start: int, stop: int, *, live: bool = False) -> None:
        """Fit each own pane's y range to its values on bars ``start:stop`` (RSI stays 0..100).

        ``live=True`` (a tick): a pane's range is only set when the drawn values
        leave the range shown (the axis is not re-rendered on every tick).
        """
        for ind, _ov in self.items:
            pane = self.panes.get(id(ind))
            if pane is None or isinstance(ind, RSI):
                continue
            ext = _ov.visible_extremes()
            if ext is not None and ext[1] > ext[0]:
                if live:
                    y0, y1 = pane.getViewBox().viewRange()[1]
                    if y0 <= ext[0] and ext[1] <= y1:
                        continue
                pane.setYRange(ext[0], ext[1], padding=0.05)
