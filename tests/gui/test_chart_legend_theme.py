"""Chart legends follow the theme (issue 14 items 15, 19): the box is the theme's base at 80 %
and the values are in the theme's text colour, re-drawn on a switch."""

from __future__ import annotations

import pyqtgraph as pg

from app.ui import theme
from app.ui.chart.legend import PaneLegend
from app.ui.chart.styles import LEGEND_FILL, LEGEND_TEXT


def test_legend_box_and_text_follow_a_theme_switch(qtbot):
    before = theme.current()
    theme.set_theme("light")
    try:
        widget = pg.GraphicsLayoutWidget()
        qtbot.addWidget(widget)
        legend = PaneLegend(widget.addPlot())
        legend.set_lines([("SMA 20", "#1565c0", ["101.23"])])
        assert legend._fill.color().getRgb() == LEGEND_FILL["light"]
        assert LEGEND_TEXT["light"] in legend.text
        theme.set_theme("dark")
        assert legend._fill.color().getRgb() == LEGEND_FILL["dark"]
        assert LEGEND_TEXT["dark"] in legend.text and LEGEND_TEXT["light"] not in legend.text
        assert legend.text_lines() == ["SMA 20  101.23"]
    finally:
        theme.set_theme(before)
