"""Legends of the chart's panes and the time axis under the last pane.

``PaneLegend`` sits at the top left of a pane (a ``pyqtgraph.LabelItem`` on the
pane's ``ViewBox``, so it stays put while the view pans) on a light box: one
line per indicator drawn in that pane, its name and parameters in the line's
colour and the values of the bar under the cursor (the last bar otherwise),
e.g. "SMA 20  101.23" or "MACD 12 26 9  0.123  0.101  0.022".

``LinkedTimeAxis`` is a bottom axis that reads the bar times of the chart's own
time axis, so every pane can carry one; :func:`time_axis_on_last` shows it only
under the lowest visible pane (the panes share x).

Values in the indicator's unit (prices in instrument currency; RSI 0..100).
"""

from __future__ import annotations

import html
import math

import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor

from app.ui.chart.axis import TimeAxisItem
from app.ui import theme
from app.ui.chart.styles import LEGEND_FILL, LEGEND_TEXT


def format_value(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals, "—" when it is not defined yet (NaN)."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{decimals}f}"


class PaneLegend(pg.LabelItem):
    """The legend of one pane (see the module docstring); :meth:`set_lines` sets its content,
    ``lines`` keeps it as plain ``(name, color, [values])`` for tests."""

    def __init__(self, plot: pg.PlotItem):
        super().__init__("", justify="left", size="9pt")
        self.plot = plot
        self.lines: list[tuple[str, str, list[str]]] = []
        self.setParentItem(plot.getViewBox())
        self.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(4, 2))
        self.setZValue(45)
        self._fill = QBrush(QColor(*LEGEND_FILL[theme.current()]))
        self.setVisible(False)
        theme.notifier().changed.connect(self._restyle)

    def _restyle(self, name: str) -> None:
        """The theme changed (``theme.notifier``): the box and the value text in its colours."""
        self._fill = QBrush(QColor(*LEGEND_FILL[name]))
        lines, self.lines = self.lines, []
        self.set_lines(lines)
        self.update()

    def set_lines(self, lines: list[tuple[str, str, list[str]]]) -> None:
        """``[(name, "#rrggbb", ["101.23", ...]), ...]``: one legend line each; hidden when empty."""
        if lines == self.lines:
            return
        self.lines = list(lines)
        rows = [f'<span style="color:{c}; font-weight:600">{html.escape(n)}</span>'
                f'<span style="color:{LEGEND_TEXT[theme.current()]}">&nbsp;&nbsp;{"&nbsp;&nbsp;".join(map(html.escape, v))}</span>'
                for n, c, v in lines]
        self.setText("<br>".join(rows))
        self.setVisible(bool(lines))

    def text_lines(self) -> list[str]:
        """The legend as plain text lines ("SMA 20  101.23")."""
        return ["  ".join([n, *v]) for n, _c, v in self.lines]

    def paint(self, p, *args) -> None:  # noqa: D102 (Qt)
        p.setPen(pg.mkPen(None))
        p.setBrush(self._fill)
        p.drawRect(self.boundingRect())
        super().paint(p, *args)


class LinkedTimeAxis(TimeAxisItem):
    """A bottom time axis showing the bar times of ``master`` (the chart's ``TimeAxisItem``):
    no times of its own to keep in step."""

    def __init__(self, master: TimeAxisItem):
        self._master = master
        super().__init__("bottom")

    @property
    def _times(self):
        return self._master._times

    @_times.setter
    def _times(self, _value) -> None:
        pass  # the master's times are used

    @property
    def _tz(self):
        return self._master._tz

    @_tz.setter
    def _tz(self, _value) -> None:
        pass


def time_axis_on_last(plots: list[pg.PlotItem]) -> pg.PlotItem | None:
    """Show the bottom (time) axis of the last visible plot of ``plots`` (top to bottom), hide
    the others'; returns the plot that shows it."""
    visible = [p for p in plots if p.isVisible()]
    last = visible[-1] if visible else None
    for p in plots:
        if p is last:
            p.showAxis("bottom")
        else:
            p.hideAxis("bottom")
    return last
