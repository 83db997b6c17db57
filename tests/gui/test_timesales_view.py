"""TimeSalesView with the fake session: rows coloured by the theme's roles, the minimum
size spin box, Pause / Resume, the symbol following set_instrument, the dock."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from app.ui import theme
from app.ui.timesales import TimeSalesView, make_timesales_dock
from app.viewmodels.timesales import TimeSalesModel
from tests.fakes_ticks import TickFakeSession
from tests.support import wait_until


def _view(qtbot):
    s = TickFakeSession()
    m = TimeSalesModel(s)
    v = TimeSalesView(m)
    qtbot.addWidget(v)
    v.show()
    v.set_instrument(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=100.00, ask=100.02)
    return s, m, v


def _texts(v, col):
    p = v.table.model()
    return [p.index(r, col).data() for r in range(p.rowCount())]


def test_rows_show_newest_first_in_theme_colours(qtbot, aloop):
    s, m, v = _view(qtbot)
    assert v.symbol.text() == "AAPL"
    s.push_prints("AAPL", (100.02, 100), (100.00, 200), (100.01, 300), (100.05, 400), (99.9, 500))
    wait_until(aloop, lambda: v.table.model().rowCount() == 5, what="rows")
    p = v.table.model()
    assert _texts(v, 1) == ["99.90", "100.05", "100.01", "100.00", "100.02"]
    fg = [p.index(r, 1).data(Qt.ItemDataRole.ForegroundRole) for r in range(5)]
    assert fg == [theme.qcolor("down"), theme.qcolor("up"), theme.qcolor("secondary_text"),
                  theme.qcolor("down"), theme.qcolor("up")]
    bg = [p.index(r, 0).data(Qt.ItemDataRole.BackgroundRole) for r in range(5)]
    assert bg == [theme.qcolor("flash_down_bg"), theme.qcolor("flash_up_bg"), None, None, None]
    v.table.viewport().repaint()      # paints with the proxy's colours without error


def test_min_size_spin_box_filters(qtbot, aloop):
    s, m, v = _view(qtbot)
    s.push_prints("AAPL", (100.01, 100), (100.01, 1_000), (100.01, 50))
    wait_until(aloop, lambda: v.table.model().rowCount() == 3, what="rows")
    v.min_size.setValue(500)
    assert m.min_size == 500 and _texts(v, 2) == ["1,000"]
    v.min_size.setValue(0)
    assert v.min_size.text() == "All sizes" and v.table.model().rowCount() == 3


def test_pause_button_freezes_and_resume_shows_the_latest(qtbot, aloop):
    s, m, v = _view(qtbot)
    s.push_prints("AAPL", (100.01, 1))
    wait_until(aloop, lambda: v.table.model().rowCount() == 1, what="row")
    qtbot.mouseClick(v.pause, Qt.MouseButton.LeftButton)
    assert m.paused and v.pause.isChecked()
    s.push_prints("AAPL", (100.02, 2), (100.03, 3))
    aloop.run_until_complete(__import__("asyncio").sleep(0.05))
    assert v.table.model().rowCount() == 1 and v.pause.text() == "Resume (2 new)"
    qtbot.mouseClick(v.pause, Qt.MouseButton.LeftButton)
    assert not m.paused and v.pause.text() == "Pause"
    assert _texts(v, 1) == ["100.03", "100.02", "100.01"]


def test_symbol_follows_the_instrument_and_the_dock(qtbot):
    s = TickFakeSession()
    win = QMainWindow()
    qtbot.addWidget(win)
    dock = make_timesales_dock(s, win)
    win.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    assert isinstance(dock, QDockWidget) and dock.objectName() == "dock.timesales"
    assert dock.windowTitle() == "Time & Sales"
    dock.timesales.set_instrument(s.contracts["MSFT"])
    assert dock.timesales.symbol.text() == "MSFT" and s.print_refs == {s.contracts["MSFT"].key: 1}
    dock.timesales.set_instrument(s.contracts["AAPL"])
    assert dock.timesales.symbol.text() == "AAPL" and s.print_refs == {s.contracts["AAPL"].key: 1}
    dock.timesales.shutdown()
    assert not s.print_refs and dock.timesales.symbol.text() == "—"
