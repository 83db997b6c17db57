"""NewsView with the fake session: bulletins appear newest first with the type coloured by
the theme, the count, Clear; the model's log lines reach a log panel as the lead wires it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.ui import theme
from app.ui.log_panel import LogPanel
from app.ui.news import NewsView
from app.viewmodels.news import NewsModel
from tests.fakes import FakeSession


def test_bulletins_show_newest_first_and_reach_the_log(qtbot):
    s = FakeSession()
    m = NewsModel(s)
    v = NewsView(m)
    log = LogPanel()
    qtbot.addWidget(v)
    qtbot.addWidget(log)
    m.logLine.connect(log.add)
    v.show()
    assert v.count.text() == "No bulletins"
    s.push_bulletin("ISLAND is available", type=3, exchange="ISLAND")
    s.push_bulletin("ARCA is unavailable", type=2, exchange="ARCA")
    p = v.table.model()
    assert [p.index(r, 3).data() for r in range(2)] == ["ARCA is unavailable", "ISLAND is available"]
    assert p.index(0, 1).data(Qt.ItemDataRole.ForegroundRole) == theme.qcolor("down")
    assert p.index(1, 1).data(Qt.ItemDataRole.ForegroundRole) == theme.qcolor("up")
    assert p.index(0, 3).data(Qt.ItemDataRole.ForegroundRole) is None
    assert v.count.text() == "2 bulletins"
    v.table.viewport().repaint()
    assert "ARCA is unavailable" in log.toPlainText() and "WARN" in log.toPlainText()
    qtbot.mouseClick(v.clear_button, Qt.MouseButton.LeftButton)
    assert p.rowCount() == 0 and v.count.text() == "No bulletins"
    v.shutdown()
    assert s.bulletin_subscribers() == 0
