"""Shared setup of the chart GUI tests."""

from __future__ import annotations

from app.ui.chart.view import ChartView
from app.viewmodels.chart import ChartViewModel


def show_chart(qtbot, session, bar_size: str = "5 mins", **vm_kw) -> tuple[ChartViewModel, ChartView]:
    """A ChartViewModel over ``session`` (with ``vm_kw``, e.g. ``clock``) and its ChartView,
    900x600, shown and exposed."""
    vm = ChartViewModel(session, bar_size=bar_size, **vm_kw)
    view = ChartView(vm)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    return vm, view
