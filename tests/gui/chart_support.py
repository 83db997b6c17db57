"""Shared setup of the chart GUI tests."""

from __future__ import annotations

from app.ui.chart.view import ChartView
from app.viewmodels.chart import ChartViewModel


def show_chart(qtbot, session, bar_size: str = "5 mins") -> tuple[ChartViewModel, ChartView]:
    """A ChartViewModel over ``session`` and its ChartView, 900x600, shown and exposed."""
    vm = ChartViewModel(session, bar_size=bar_size)
    view = ChartView(vm)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    return vm, view
