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


def test_market_cap_fields_appear_with_the_gateways_filters_and_are_sent(qtbot, aloop):
    s = FakeSession()
    m = ScannerModel(s)
    v = ScannerView(m)
    qtbot.addWidget(v)
    assert v.market_cap_row.isHidden()                   # before the parameters arrive
    v.show()
    wait_until(aloop, lambda: v.market_cap_row.isVisible(), what="the market cap row")
    assert v.market_cap_min.isEnabled() and v.market_cap_max.isEnabled()
    assert v.minimumSizeHint().width() <= 340            # still fits the watchlist's column
    v.code.setCurrentIndex(v.code.findData("MOST_ACTIVE"))
    qtbot.keyClicks(v.market_cap_min, "10,000")
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    req = list(s.scans().values())[-1]
    assert (req.market_cap_above, req.market_cap_below) == (10_000.0, None)
    assert ("marketCapAbove1e6", "10000") in req.filter_tags()
    v.shutdown()


def test_bad_market_cap_is_shown_at_the_field_and_nothing_is_sent(qtbot, aloop):
    s, m, v = _view(qtbot, aloop)
    qtbot.keyClicks(v.market_cap_max, "ten billion")
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    assert not s.scans()
    assert "Market cap max" in v.status.text() and "not a number" in v.status.text()
    assert "not a number" in v.market_cap_max.toolTip() and v.market_cap_max.styleSheet()
    v.market_cap_max.clear()
    qtbot.keyClicks(v.market_cap_max, "500")             # typing clears the mark
    assert v.market_cap_max.styleSheet() == "" and "millions of USD" in v.market_cap_max.toolTip()
    qtbot.keyClicks(v.market_cap_min, "2000")
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    assert not s.scans() and "must be below max" in v.status.text() and v.market_cap_min.styleSheet()
    v.market_cap_min.clear()
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    assert [r.market_cap_below for r in s.scans().values()] == [500.0]
    v.shutdown()


def test_a_tws_without_the_market_cap_filter_shows_no_fields(qtbot, aloop):
    from app.sim.scanner import parameters_xml

    s = FakeSession()
    s.scanner_xml = parameters_xml().replace("marketCap", "otherFilter")
    m = ScannerModel(s)
    v = ScannerView(m)
    qtbot.addWidget(v)
    v.show()
    wait_until(aloop, lambda: m.parameters is not None, what="the scanner parameters")
    assert v.market_cap_row.isHidden()
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    req = list(s.scans().values())[-1]
    assert req.market_cap_above is None and req.market_cap_below is None
    v.shutdown()
