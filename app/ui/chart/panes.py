"""The chart's panes (a mixin of ``ChartView``): the volume pane hidden for bars without
volume, the time axis under the lowest pane, and the centred message of an empty chart.

- Bars without volume (``ChartViewModel.has_volume`` False: FX MIDPOINT) hide the
  volume pane: the history has none and a live volume would flatten it.
- The panes share x; only the lowest visible one shows the time axis
  (:func:`app.ui.chart.legend.time_axis_on_last`).
- With no bars the panes and axes are hidden and ``empty_label`` says why, centred:
  "Not connected", "Loading AAPL 1 min…", "No data for AAPL 1 min", "Choose a symbol
  in the watchlist" (:meth:`ChartPanesMixin.empty_text`).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent

from app.ui.chart.legend import time_axis_on_last


class ChartPanesMixin:
    """Needs the view's ``view_model``, ``plots``, ``price_plot``, ``volume_plot``,
    ``indicator_set``, ``avg_cost``, ``order_lines`` and ``empty_label`` (a ``QLabel`` child
    of ``plots``)."""

    def _show_volume(self, show: bool) -> None:
        """Show the volume pane, or hide it for bars without volume (FX MIDPOINT: none in the
        history, and a live volume would flatten the pane)."""
        if self.volume_plot.isVisible() == show:
            return
        self.volume_plot.setVisible(show)
        self.plots.ci.layout.setRowStretchFactor(1, 1 if show else 0)
        self.volume_plot.setMaximumHeight(16777215 if show else 0)
        self._panes_changed()

    def _panes_changed(self) -> None:
        """The time axis goes under the lowest visible pane; the others hide theirs."""
        panes = [self.price_plot, self.volume_plot, *self.indicator_set.panes.values()]
        time_axis_on_last(panes)

    # ---- the empty chart's message -------------------------------------------------------------
    def empty_text(self) -> str:
        """Why the chart shows no bars: "Not connected", "Loading AAPL 1 min…", "No data for AAPL
        1 min" (or the load's error), "Choose a symbol"; "" when there are bars."""
        vm = self.view_model
        if vm.count:
            return ""
        inst = vm.instrument
        what = f"{inst.display_symbol} {vm.bar_size}" if inst is not None else ""
        if not vm.connected:
            return "Not connected"
        if inst is None:
            return "Choose a symbol in the watchlist"
        if vm.loading:
            return f"Loading {what}…"
        return f"No data for {what}"

    def _update_empty(self) -> None:
        text = self.empty_text()
        empty = bool(text)
        self.empty_label.setText(text)
        self.empty_label.setVisible(empty)
        if empty:
            self.empty_label.setGeometry(self.plots.rect())
            self.empty_label.raise_()
        for plot in (self.price_plot, self.volume_plot, *self.indicator_set.panes.values()):
            plot.getViewBox().setVisible(not empty)
            plot.getAxis("right").setVisible(not empty)
        self.plots.setToolTip(text)
        if not empty:
            self._panes_changed()
            for line in (self.avg_cost.line, *self.order_lines.lines.values()):
                line.label.valueChanged()  # pyqtgraph skips a hidden label's text: set it now
        else:
            for plot in (self.price_plot, self.volume_plot, *self.indicator_set.panes.values()):
                plot.hideAxis("bottom")

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 (Qt name)
        if obj is self.plots and ev.type() == QEvent.Type.Resize:
            self.empty_label.setGeometry(self.plots.rect())
        elif ev.type() == QEvent.Type.Leave and obj in (self.plots, self.plots.viewport()):
            self._mouse_left()      # no crosshair or readout of a bar the mouse has left
        return super().eventFilter(obj, ev)
