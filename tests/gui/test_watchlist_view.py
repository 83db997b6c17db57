"""WatchlistView with the fake session: add, unknown symbol, quotes, flash paint, remove, select."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from tests.fakes import FakeSession
from tests.gui.watchlist_support import show_watchlist
from tests.support import wait_until


def _view(qtbot, aloop, symbols=("AAPL", "MSFT")):
    s = FakeSession()
    return (s, *show_watchlist(qtbot, aloop, s, symbols))


def test_add_symbol_with_enter(qtbot, aloop):
    s, m, v = _view(qtbot, aloop)
    qtbot.keyClicks(v.entry, "nvda")
    qtbot.keyClick(v.entry, Qt.Key_Return)
    wait_until(aloop, lambda: m.symbols() == ["AAPL", "MSFT", "NVDA"], what="NVDA added")
    assert v.entry.text() == "" and v.message.isHidden()
    assert "4815747" in s.subscribed


def test_unknown_symbol_message_inline(qtbot, aloop):
    s, m, v = _view(qtbot, aloop)
    v.entry.setText("XYZ")
    qtbot.mouseClick(v.add_button, Qt.LeftButton)
    wait_until(aloop, lambda: v.message.isVisible(), what="message")
    assert v.message.text() == "No security definition for 'XYZ'"
    assert m.symbols() == ["AAPL", "MSFT"]
    v.entry.setText("AAPL")
    v.add_from_entry()
    wait_until(aloop, lambda: "already" in v.message.text(), what="duplicate message")


def test_quotes_shown_and_flash_painted(qtbot, aloop):
    s, m, v = _view(qtbot, aloop)
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.5, close=190.0, volume=1500)
    s.push_quote("AAPL", bid=187.52)
    wait_until(aloop, lambda: not m.dirty.pending, what="flush")
    row = m.row_of("AAPL")
    px = m.index(row, m.column_index("bid"))
    assert px.data() == "187.52"
    assert m.index(row, m.column_index("change")).data() == "-2.50"
    rect = v.table.visualRect(px)
    img = v.table.viewport().grab(rect).toImage()
    assert QColor(img.pixel(2, 2)).name() == "#b9f6ca"  # flash-up background painted


def test_delete_key_removes_and_selection_emits(qtbot, aloop):
    s, m, v = _view(qtbot, aloop)
    selected = []
    v.instrumentSelected.connect(selected.append)
    v.table.setFocus()
    assert v.select_symbol("MSFT")
    assert selected[-1].symbol == "MSFT"
    qtbot.keyClick(v.table, Qt.Key_Delete)
    assert m.symbols() == ["AAPL"]
    assert "272093" not in s.subscribed


def test_entry_error_shows_at_the_entry(qtbot, aloop):
    """The error for a typed symbol appears right under the entry field, above the table,
    not ~850 px below it at the bottom of a tall watchlist."""
    s, m, v = _view(qtbot, aloop)
    v.resize(400, 900)
    v.entry.setText("XYZ")
    qtbot.mouseClick(v.add_button, Qt.LeftButton)
    wait_until(aloop, lambda: v.message.isVisible(), what="message")
    entry_bottom = v.entry.mapTo(v, v.entry.rect().bottomLeft()).y()
    message_top = v.message.mapTo(v, v.message.rect().topLeft()).y()
    table_top = v.table.mapTo(v, v.table.rect().topLeft()).y()
    assert 0 <= message_top - entry_bottom <= 12 and message_top < table_top


def test_the_symbol_column_widens_for_a_longer_symbol_added_later(qtbot, aloop):
    """Columns are fitted once to the first rows; an option added afterwards
    ("AAPL 20261218 200 C") was cut to "AAPL 2026…". The symbol column grows to fit a row
    the trader adds (never shrinks; the other columns keep their widths)."""
    from tests.fakes import FakeSession
    from tests.gui.watchlist_support import show_watchlist
    s = FakeSession()
    m, v = show_watchlist(qtbot, aloop, s, ("AAPL", "MSFT"))
    col = m.column_index("symbol")
    header = v.table.horizontalHeader()
    qtbot.waitUntil(lambda: v.columns.fitted and header.sectionSize(col) > 0)
    qtbot.wait(20)
    before = header.sectionSize(col)
    bid_before = header.sectionSize(m.column_index("bid"))
    aloop.run_until_complete(m.add_symbol("AAPL 20261218 200 C"))
    text = v.table.fontMetrics().horizontalAdvance("AAPL 20261218 200 C")
    qtbot.waitUntil(lambda: header.sectionSize(col) >= text, timeout=2000)
    assert header.sectionSize(col) > before
    assert header.sectionSize(m.column_index("bid")) == bid_before
    aloop.run_until_complete(m.add_symbol("NVDA"))
    qtbot.wait(20)
    assert header.sectionSize(col) >= text                       # never narrower
