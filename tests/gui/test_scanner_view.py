"""ScannerView with the fake session, acting as a user: the gateway's scan codes fill the
combo, choose Top % Gainers, set filters, Start, see rows, Stop; double-click a row and
the resolved instrument is emitted; IB's refusal shows in the status line."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.ui.scanner import ScannerView
from app.viewmodels.scanner import ScannerModel
from tests.fakes import FakeSession
from tests.support import wait_until


def _view(qtbot, aloop):
    s = FakeSession()
    m = ScannerModel(s)
    v = ScannerView(m)
    qtbot.addWidget(v)
    v.show()                                 # loads the scanner parameters
    wait_until(aloop, lambda: v.code.count() == 6, what="scan codes from the gateway")
    return s, m, v


def _symbols(v):
    t = v.table.model()
    c = t.column_index("symbol")
    return [t.index(r, c).data() for r in range(t.rowCount())]


def test_choose_top_gainers_start_see_rows_and_stop(qtbot, aloop):
    s, m, v = _view(qtbot, aloop)
    assert [v.code.itemText(i) for i in range(3)] == ["Top % Gainers", "Top % Losers", "Most Active"]
    assert v.location.count() == 2 and not v.stop_button.isEnabled()
    v.code.setCurrentIndex(v.code.findText("Top % Gainers"))
    v.rows.setValue(10)
    v.price_above.setValue(5)
    v.volume_above.setValue(100_000)
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    req = list(s.scans().values())[-1]
    assert (req.code, req.rows, req.price_above, req.price_below, req.volume_above) == \
        ("TOP_PERC_GAIN", 10, 5.0, None, 100_000.0)
    assert v.stop_button.isEnabled() and v.start_button.text() == "Restart"
    s.push_scan("NVDA", "AAPL", "MSFT")
    assert _symbols(v) == ["NVDA", "AAPL", "MSFT"] and "3 rows" in v.status.text()
    s.push_quote("NVDA", last=110.0, close=100.0)
    wait_until(aloop, lambda: v.table.model().index(0, 4).data() == "+10.00%", what="change %")
    v.table.viewport().repaint()
    qtbot.mouseClick(v.stop_button, Qt.MouseButton.LeftButton)
    assert not s.scans() and not v.stop_button.isEnabled() and _symbols(v) == ["NVDA", "AAPL", "MSFT"]


def test_double_click_emits_the_resolved_instrument(qtbot, aloop):
    s, m, v = _view(qtbot, aloop)
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    s.push_scan("MSFT", "AAPL")
    chosen = []
    v.instrumentChosen.connect(chosen.append)
    rect = v.table.visualRect(v.table.model().index(1, 1))
    qtbot.mouseClick(v.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(v.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_until(aloop, lambda: chosen, what="instrument chosen")
    assert len(chosen) == 1 and chosen[0].symbol == "AAPL" and chosen[0].con_id == 265598


def test_refusal_and_bad_range_show_in_the_status_line(qtbot, aloop):
    s, m, v = _view(qtbot, aloop)
    v.price_above.setValue(100)
    v.price_below.setValue(50)
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    assert not s.scans() and "must be below" in v.status.text()
    v.price_below.setValue(0)
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    s.fail_scan(162, "Historical Market Data Service error message:Scanner filter x is disabled.")
    assert "disabled" in v.status.text() and v.start_button.text() == "Start"
    v.shutdown()
