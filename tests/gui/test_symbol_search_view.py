"""The symbol completer on the watchlist's add field and the ticket's symbol field: type
"AA", see AAPL, Down + Enter adds it; Esc closes; Enter without a highlight keeps the
field's own path and its error."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.commands import OrderCommands
from app.ui.ticket import OrderTicket
from app.viewmodels.ticket import TicketModel
from tests.fakes_search import SearchFakeSession
from tests.gui.watchlist_support import show_watchlist
from tests.support import wait_until


def _watchlist(qtbot, aloop):
    s = SearchFakeSession()
    m, v = show_watchlist(qtbot, aloop, s, ["MSFT"])
    v.entry.setFocus()
    return s, m, v


def test_type_aa_pick_aapl_with_down_enter(qtbot, aloop):
    s, m, v = _watchlist(qtbot, aloop)
    c = v.symbol_search
    qtbot.keyClicks(v.entry, "AA")
    wait_until(aloop, lambda: c.is_open() and c.search.matches.rowCount() >= 1, what="popup with AAPL")
    assert s.search_calls == ["AA"]                     # debounced: one query for two keys
    assert c.list.model().index(0, 0).data().startswith("AAPL  APPLE INC")
    qtbot.keyClick(v.entry, Qt.Key.Key_Down)
    assert c.search.current == 0 and c.list.currentIndex().row() == 0
    qtbot.keyClick(v.entry, Qt.Key.Key_Return)
    wait_until(aloop, lambda: m.symbols() == ["MSFT", "AAPL"], what="AAPL added")
    assert not c.is_open() and v.entry.text() == ""


def test_escape_closes_and_enter_without_highlight_keeps_the_fields_error(qtbot, aloop):
    s, m, v = _watchlist(qtbot, aloop)
    c = v.symbol_search
    qtbot.keyClicks(v.entry, "XQ")
    wait_until(aloop, lambda: c.is_open() and c.search.message, what="no-match message")
    assert c.message.text() == "No symbol matches 'XQ'"
    qtbot.keyClick(v.entry, Qt.Key.Key_Escape)
    assert not c.is_open() and v.entry.text() == "XQ"
    qtbot.keyClick(v.entry, Qt.Key.Key_Return)
    wait_until(aloop, lambda: v.message.isVisible(), what="the watchlist's own error")
    assert v.message.text() == "No security definition for 'XQ'" and m.symbols() == ["MSFT"]


def test_ticket_symbol_field_picks_a_match(qtbot, aloop):
    s = SearchFakeSession()
    t = TicketModel(s, OrderCommands(s))
    v = OrderTicket(t)
    qtbot.addWidget(v)
    v.show()
    v.symbol.setFocus()
    qtbot.keyClicks(v.symbol, "NV")
    c = v.symbol_search
    wait_until(aloop, lambda: c.is_open() and c.search.matches.rowCount() == 1, what="NVDA")
    qtbot.keyClick(v.symbol, Qt.Key.Key_Down)
    qtbot.keyClick(v.symbol, Qt.Key.Key_Enter)
    wait_until(aloop, lambda: t.instrument is not None and t.instrument.symbol == "NVDA", what="ticket on NVDA")
