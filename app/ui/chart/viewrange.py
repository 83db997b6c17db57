"""The chart's view range (mixed into ``ChartView``): zoom, pan, y fit, older history.

x is the bar index (gaps such as nights take no room); y always fits the bars
in view: the price pane to their lows/highs, the volume pane to their (merged)
volumes, indicator panes to their values. A live tick only changes a y range
when the live bar leaves it, so a tick does not redraw the axes and the
scene. Showing the empty margin left of bar 0 asks the view-model for older
bars (``ChartViewModel.load_older``).
"""

from __future__ import annotations

import math

import numpy as np

from app.ui.chart.merge import group_for

#: bars shown after a load and after a double-click
DEFAULT_VISIBLE_BARS = 150
#: empty bar slots kept right of the last bar (room for the last-price label)
RIGHT_MARGIN_BARS = 10


class ChartRangeMixin:
    """View-range methods of ``ChartView``; needs ``view_model``, ``price_plot``,
    ``volume_plot``, ``candles``, ``volume``, ``indicator_set`` and ``_fitted_volume``."""

    # ---- view range ----------------------------------------------------------------
    def reset_view(self, bars: int = DEFAULT_VISIBLE_BARS) -> None:
        """Show the last ``bars`` bars (and a small margin right of the live bar)."""
        n = self.view_model.count
        if not n:
            return
        self.price_plot.setXRange(max(-0.5, n - bars - 0.5), n - 0.5 + RIGHT_MARGIN_BARS, padding=0)
        self._fit_y()

    def visible_index_range(self) -> tuple[int, int]:
        """Half-open range of the bar indices whose centre is inside the current x range."""
        n = self.view_model.count
        x0, x1 = self.price_plot.getViewBox().viewRange()[0]
        start = min(n, max(0, math.ceil(x0 - 1e-9)))
        stop = max(start, min(n, math.floor(x1 + 1e-9) + 1))
        return start, stop

    def _fit_y(self, *args, live: bool = False) -> None:
        """Fit the y ranges of the price, volume and indicator panes to the visible bars.

        ``live=True`` (a tick of the live bar): the price range is only set when
        the live bar leaves the shown range, and the volume pane only grows (with
        25% headroom), so most ticks leave the ranges, the axes and the rest of
        the scene alone (no full repaint per tick).
        """
        if live and self._live_bar_inside():
            return
        self._maybe_load_older()
        start, stop = self.visible_index_range()
        if stop <= start:
            return
        # O(candles on screen), not O(visible bars): the items read their merge pyramids
        lo, hi = self.candles.visible_extremes(start, stop)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return
        if hi <= lo:
            pad = abs(lo) * 0.001 or 1.0
            lo, hi = lo - pad, hi + pad
        y0, y1 = self.price_plot.getViewBox().viewRange()[1]
        if not live or not (y0 <= lo and hi <= y1):  # a tick inside the shown range: leave it
            self.price_plot.setYRange(lo, hi, padding=0.05)
        # the volume pane shows merged (summed) volumes when zoomed out: fit to those
        group = group_for(self.volume_plot.getViewBox().viewPixelSize()[0])
        vmax = self.volume.visible_volume_max(start, stop, group)
        vtop = vmax if vmax > 0 else 1.0
        if not live:
            self._fitted_volume = vtop
            self.volume_plot.setYRange(0, vtop, padding=0.05)
        elif vtop > self._fitted_volume:
            self._fitted_volume = vtop * 1.25
            self.volume_plot.setYRange(0, self._fitted_volume, padding=0.05)
        self.indicator_set.fit_panes(start, stop, live=live)

    def _live_bar_inside(self) -> bool:
        """True when a tick needs no new y range: the live bar is out of view, or its
        high/low lie inside the price range and its volume under the volume range
        shown (O(1); own indicator panes are checked by ``fit_panes``)."""
        bars = self.view_model.bars
        n = len(bars)
        if not n:
            return True
        start, stop = self.visible_index_range()
        if not (start <= n - 1 < stop):
            self.indicator_set.fit_panes(start, stop, live=True)
            return True
        y0, y1 = self.price_plot.getViewBox().viewRange()[1]
        lo, hi, vol = bars.lows[-1], bars.highs[-1], bars.volumes[-1]
        inside = (not (math.isfinite(lo) and math.isfinite(hi)) or (y0 <= lo and hi <= y1))
        if inside and (not math.isfinite(vol) or vol <= self._fitted_volume):
            if self.indicator_set.items:
                self.indicator_set.fit_panes(start, stop, live=True)
            return True
        return False

    def _maybe_load_older(self) -> None:
        vm = self.view_model
        if vm.count and not vm.loading and not vm.loading_older:
            x0 = self.price_plot.getViewBox().viewRange()[0][0]
            if x0 < -1:  # the left margin before bar 0 is in view (reset_view starts at -0.5)
                vm.load_older()

    def pan(self, fraction: float) -> None:
        """Move the x range by ``fraction`` of its width (negative = back in time)."""
        x0, x1 = self.price_plot.getViewBox().viewRange()[0]
        d = (x1 - x0) * fraction
        self.price_plot.setXRange(x0 + d, x1 + d, padding=0)

    def zoom(self, factor: float, center: float | None = None) -> None:
        """Scale the visible width by ``factor`` (< 1 zooms in) around ``center`` (bar index;
        default the right edge of the view, i.e. the live bar side)."""
        x0, x1 = self.price_plot.getViewBox().viewRange()[0]
        c = x1 if center is None else center
        self.price_plot.setXRange(c - (c - x0) * factor, c + (x1 - c) * factor, padding=0)
