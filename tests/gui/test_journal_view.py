"""JournalView over a real Journal: live refresh from the writer thread, filter by orderId /
permId / symbol, the full history of one order on double-click, read-only table, and the
warning line for a full disk (SQLite max_page_count) that clears when space returns."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from datetime import timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

from app.journal import Journal
from app.ui.journal_view import HEADERS, JournalView

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "j.sqlite", client_id=3, batch_interval=0.01, retry_interval=0.05)
    yield j
    j.close()


@pytest.fixture
def view(qtbot, journal):
    v = JournalView(journal, refresh_ms=10)
    qtbot.addWidget(v)
    v.show()
    yield v
    v.set_journal(None)


def _life_of_order(j):
    j.record("intent", order_id=4, symbol="AAPL", text="BUY 100 AAPL LMT 187.50 DAY")
    j.record("api", order_id=4, symbol="AAPL", text="placeOrder")
    j.record("openOrder", order_id=4, perm_id=9001, symbol="AAPL", text="Submitted", lmtPrice=187.5)
    j.record("intent", order_id=5, symbol="MSFT", text="SELL 10 MSFT MKT")
    j.record("execDetails", order_id=4, perm_id=9001, symbol="AAPL", text="BOT 100 AAPL @ 187.50")
    j.record("commissionReport", perm_id=9001, symbol="AAPL", text="commission 1 USD")
    j.record("connection", text="disconnected")


def _col(view, c):
    m = view.model
    return [m.data(m.index(r, c)) for r in range(m.rowCount())]


def test_rows_follow_commits(qtbot, view, journal):
    assert [view.model.headerData(i, Qt.Horizontal) for i in range(6)] == list(HEADERS)
    assert view.model.rowCount() == 0
    _life_of_order(journal)
    qtbot.waitUntil(lambda: view.model.rowCount() == 7, timeout=3000)
    assert _col(view, 1) == ["intent", "api", "openOrder", "intent", "execDetails", "commissionReport",
                             "connection"]
    assert _col(view, 2)[:3] == ["4", "4", "4"] and _col(view, 3)[2] == "9001" and _col(view, 4)[3] == "MSFT"
    ev = view.model.event_at(2)
    idx = view.model.index(2, 0)
    ny = ev.ts.astimezone(ZoneInfo("America/New_York"))     # exchange time (the default rule)
    assert view.model.data(idx) == ny.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " ET"
    assert ev.ts.astimezone(timezone.utc).isoformat() in view.model.data(idx, Qt.ToolTipRole)  # UTC tooltip
    assert '"lmtPrice": 187.5' in view.model.data(view.model.index(2, 5), Qt.ToolTipRole)
    journal.record("orderStatus", order_id=4, perm_id=9001, symbol="AAPL", text="Cancelled")
    qtbot.waitUntil(lambda: view.model.rowCount() == 8, timeout=3000)


def test_read_only(view, journal, qtbot):
    _life_of_order(journal)
    qtbot.waitUntil(lambda: view.model.rowCount() == 7, timeout=3000)
    idx = view.model.index(0, 5)
    assert not (view.model.flags(idx) & Qt.ItemIsEditable)
    assert view.table.editTriggers() == QAbstractItemView.NoEditTriggers
    assert view.model.setData(idx, "forged") is False


def test_filter_by_order_perm_and_symbol(qtbot, view, journal):
    _life_of_order(journal)
    assert journal.flush(3)
    qtbot.keyClicks(view.filter_edit, "4")
    qtbot.waitUntil(lambda: _col(view, 1) == ["intent", "api", "openOrder", "execDetails"], timeout=3000)
    view.filter_edit.setText("9001")
    qtbot.waitUntil(lambda: _col(view, 1) == ["openOrder", "execDetails", "commissionReport"], timeout=3000)
    view.filter_edit.setText("msft")
    qtbot.waitUntil(lambda: _col(view, 1) == ["intent"], timeout=3000)
    assert "matching 'msft'" in view.status.text()
    journal.record("orderStatus", order_id=5, symbol="MSFT", text="Filled")    # live, filtered
    journal.record("orderStatus", order_id=4, symbol="AAPL", text="Submitted")
    qtbot.waitUntil(lambda: _col(view, 1) == ["intent", "orderStatus"], timeout=3000)
    view.filter_edit.setText("bad;symbol")
    qtbot.waitUntil(lambda: "Type an orderId" in view.status.text(), timeout=3000)


def test_double_click_shows_the_whole_order(qtbot, view, journal):
    _life_of_order(journal)
    qtbot.waitUntil(lambda: view.model.rowCount() == 7, timeout=3000)
    # the first intent has only orderId 4; its history links the permId rows too
    rect = view.table.visualRect(view.model.index(0, 1))
    qtbot.mouseClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())   # Qt 6 needs a click first
    qtbot.mouseDClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: "History of orderId 4" in view.status.text(), timeout=3000)
    assert _col(view, 1) == ["intent", "api", "openOrder", "execDetails", "commissionReport"]
    # from a permId-only row, with the button
    view.show_all()
    assert view.model.rowCount() == 7
    view.table.selectRow(5)
    qtbot.mouseClick(view.history_button, Qt.LeftButton)
    assert _col(view, 1) == ["intent", "api", "openOrder", "execDetails", "commissionReport"]
    assert "permId 9001" in view.status.text()
    journal.record("orderStatus", order_id=4, perm_id=9001, symbol="AAPL", text="Cancelled")
    journal.record("intent", order_id=6, symbol="IBM")
    qtbot.waitUntil(lambda: _col(view, 1)[-1] == "orderStatus", timeout=3000)
    assert "intent" not in _col(view, 1)[1:] and len(_col(view, 1)) == 6
    # a row of no order
    view.show_all()
    qtbot.waitUntil(lambda: view.model.rowCount() == 9, timeout=3000)
    view.show_history_of_row(6)
    assert "belongs to no order" in view.status.text()
    qtbot.mouseClick(view.all_button, Qt.LeftButton)
    assert view.model.rowCount() == 9


def test_warning_line_on_full_disk_and_recovery(qtbot, tmp_path):
    j = Journal(tmp_path / "full.sqlite", batch_interval=0.01, retry_interval=0.05, max_pages=8)
    v = JournalView(j, refresh_ms=10)
    qtbot.addWidget(v)
    v.show()
    try:
        assert not v.warning.isVisible()
        for i in range(1000):
            j.record("api", order_id=i, text="x" * 300)
        qtbot.waitUntil(lambda: v.warning.isVisible(), timeout=3000)
        assert "full" in v.warning.text() and "Trading is not affected" in v.warning.text()
        j.max_pages = None
        qtbot.waitUntil(lambda: not v.warning.isVisible(), timeout=3000)
        qtbot.waitUntil(lambda: v.model.rowCount() == 1000, timeout=3000)
    finally:
        v.set_journal(None)
        j.close()


def test_journal_that_cannot_be_read_yet(qtbot, tmp_path):
    j = Journal(tmp_path / "nofolder-file", batch_interval=10)    # nothing written yet
    (tmp_path / "nofolder-file").unlink(missing_ok=True)
    v = JournalView(j)
    qtbot.addWidget(v)
    try:
        v.reload()
        assert v.model.rowCount() == 0
    finally:
        v.set_journal(None)
        j.close()
