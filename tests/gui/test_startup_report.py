"""app.startup_report: off without IBDESK_REPORT_STARTUP; with it, the first watchlist paint
with a quote and the first chart paint with loaded bars are written once each."""

from __future__ import annotations

import json
from types import SimpleNamespace

from PySide6.QtWidgets import QTableView

from app import startup_report


def _panels():
    wl_table, chart_plots = QTableView(), QTableView()
    rows = [SimpleNamespace(quote=None)]
    chart = SimpleNamespace(loading=True, count=0)
    panels = SimpleNamespace(watchlist=SimpleNamespace(table=wl_table),
                             chart_view=SimpleNamespace(plots=chart_plots),
                             watchlist_model=SimpleNamespace(records=lambda: rows), chart_model=chart)
    return panels, rows, chart


def _paint(qtbot, widget) -> None:
    widget.viewport().update()
    qtbot.wait(30)


def test_off_by_default(qapp, monkeypatch):
    monkeypatch.delenv(startup_report.ENV_VAR, raising=False)
    panels, _, _ = _panels()
    assert startup_report.install(panels) is None


def test_moments_written_once_when_reached(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "s.jsonl"
    monkeypatch.setenv(startup_report.ENV_VAR, str(path))
    panels, rows, chart = _panels()
    for w in (panels.watchlist.table, panels.chart_view.plots):
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
    ticks = iter(range(100, 200))
    report = startup_report.StartupReport(path, panels, clock=lambda: float(next(ticks)))
    _paint(qtbot, panels.watchlist.table)
    _paint(qtbot, panels.chart_view.plots)
    assert not path.exists()  # no quote, chart still loading
    rows[0].quote = object()
    chart.loading, chart.count = False, 1801
    for _ in range(3):
        _paint(qtbot, panels.watchlist.table)
        _paint(qtbot, panels.chart_view.plots)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["event"] for x in lines] == ["first_quote_paint", "first_chart_frame"]
    assert lines[1]["bars"] == 1801 and lines[0]["monotonic"] < lines[1]["monotonic"]
    assert report.written == {"first_quote_paint", "first_chart_frame"}
