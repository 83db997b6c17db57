"""The ladder's header as a trader uses it (pytest-qt, keys and clicks on the widgets): the
"Cum." toggle, the symbol field with IB's symbol search, and the ladder's keys from the
trader's HotkeyRegistry (rebound in the hotkey editor, local to the ladder)."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from app.commands import OrderCommands
from app.ui.hotkeys import CheatSheet, HotkeyEditor, HotkeyRegistry
from app.viewmodels.ladder import COL_ASK, COL_BID, RawRole
from tests.fakes import CONTRACTS
from tests.fakes_search import SearchFakeSession
from tests.support import run_for, wait_until

AAPL = CONTRACTS["AAPL"]
BIDS = [(100.00, 100.0), (99.99, 200.0), (99.98, 300.0)]
ASKS = [(100.01, 50.0), (100.02, 150.0), (100.03, 25.0)]


@pytest.fixture
def desk(qtbot, aloop, tmp_path):
    """A shown, active window: the ladder (on AAPL, a 3-level book) above another text field;
    the ladder's questions are recorded and answered no."""
    from app.ui.ladder import LadderPanel

    session = SearchFakeSession()
    win = QWidget()
    panel = LadderPanel(session, OrderCommands(session), rows=21)
    elsewhere = QLineEdit()
    elsewhere.setObjectName("elsewhere")
    lay = QVBoxLayout(win)
    lay.addWidget(panel, 1)
    lay.addWidget(elsewhere)
    qtbot.addWidget(win)
    win.resize(520, 800)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    panel.set_instrument(AAPL)
    session.push_book(AAPL, BIDS, ASKS)
    asked: list[str] = []
    panel.confirm = lambda text, req, warnings: asked.append(text) or False
    panel.ask = lambda title, text: asked.append(text) or False
    registry = HotkeyRegistry(QSettings(str(tmp_path / "keys.ini"), QSettings.IniFormat))
    yield session, panel, elsewhere, registry, asked
    panel.close_model()


def _bid(panel, price):
    return panel.model.data(panel.model.index(panel.model.row_of(price), COL_BID), RawRole)


# ---- cumulative depth ---------------------------------------------------------------------
def test_cum_toggle_switches_the_size_columns(desk, qtbot):
    session, panel, elsewhere, registry, asked = desk
    header = panel.table.horizontalHeader()
    assert not panel.cumulative.isChecked() and _bid(panel, 99.98) == 300.0
    qtbot.mouseClick(panel.cumulative, Qt.MouseButton.LeftButton)
    assert panel.model.cumulative
    assert [_bid(panel, p) for p in (100.00, 99.99, 99.98)] == [100.0, 300.0, 600.0]
    ask_row = panel.model.row_of(100.03)
    assert panel.model.data(panel.model.index(ask_row, COL_ASK)) == "225"
    assert header.model().headerData(COL_BID, Qt.Orientation.Horizontal) == "Σ Bid"
    session.push_book(AAPL, [(100.00, 1000.0)] + BIDS[1:], ASKS)      # live updates stay cumulative
    assert _bid(panel, 99.98) == 1500.0
    qtbot.mouseClick(panel.cumulative, Qt.MouseButton.LeftButton)
    assert not panel.model.cumulative and _bid(panel, 99.98) == 300.0
    panel.model.set_cumulative(True)          # set from elsewhere: the box follows
    assert panel.cumulative.isChecked()


# ---- the symbol field ---------------------------------------------------------------------
def _type_symbol(qtbot, panel, text: str, *keys) -> list:
    """The trader clicks into the symbol field, types ``text`` over what it shows, then presses
    ``keys``; returns the list that collects ``instrumentChosen``."""
    chosen: list = []
    panel.instrumentChosen.connect(chosen.append)
    panel.symbol.setFocus()
    panel.symbol.selectAll()
    qtbot.keyClicks(panel.symbol, text)
    for key in keys:
        qtbot.keyClick(panel.symbol, key)
    return chosen


def test_typing_a_symbol_and_enter_loads_the_ladder(desk, qtbot, aloop):
    session, panel, elsewhere, registry, asked = desk
    assert panel.symbol.text() == "AAPL"
    chosen = _type_symbol(qtbot, panel, "msft", Qt.Key.Key_Return)
    wait_until(aloop, lambda: chosen, what="MSFT chosen")
    msft = session.contracts["MSFT"]
    assert chosen == [msft] and panel.model.instrument == msft
    assert panel.symbol.text() == "MSFT" and panel.symbol_problem.isHidden()
    assert session.depth_refs.get(AAPL.key) == 0 and session.depth_refs[msft.key] == 1
    assert asked == [] and not session.orders()     # the letters typed fired no ladder key


def test_picking_a_match_from_the_completer(desk, qtbot, aloop):
    session, panel, elsewhere, registry, asked = desk
    c = panel.symbol_search
    chosen = _type_symbol(qtbot, panel, "NV")
    wait_until(aloop, lambda: c.is_open() and c.search.matches.rowCount() == 1, what="NVDA offered")
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Enter):        # highlight the match, take it
        qtbot.keyClick(panel.symbol, key)
    wait_until(aloop, lambda: chosen, what="NVDA chosen")
    assert chosen[0].symbol == "NVDA" and panel.model.instrument.symbol == "NVDA"
    assert not c.is_open() and asked == []


def test_unknown_symbol_shows_the_gateways_message_and_keeps_the_ladder(desk, qtbot, aloop):
    session, panel, elsewhere, registry, asked = desk
    # Esc closes the "no match" popup, then Enter submits the text as typed
    chosen = _type_symbol(qtbot, panel, "XQZ", Qt.Key.Key_Escape, Qt.Key.Key_Return)
    wait_until(aloop, lambda: panel.symbol_problem.isVisible(), what="the gateway's message")
    assert panel.symbol_problem.text() == \
        "Unknown symbol XQZ: No security definition has been found for the request"
    assert panel.model.instrument == AAPL and panel.symbol.text() == "XQZ" and chosen == []
    panel.set_instrument(session.contracts["SPY"])     # from outside (a link group): no signal
    assert panel.symbol.text() == "SPY" and panel.symbol_problem.isHidden() and chosen == []
    qtbot.keyClicks(panel.symbol, "Q")                  # typing, not submitted: left alone
    panel.set_instrument(AAPL)
    assert panel.model.instrument == AAPL and panel.symbol.text() == "SPYQ"


def test_outside_choice_supersedes_a_pending_lookup(desk, qtbot, aloop):
    session, panel, elsewhere, registry, asked = desk
    spy = session.contracts["SPY"]
    gate = asyncio.Event()
    resolve = session.resolve

    asked_ib = []

    async def slow_resolve(what):
        asked_ib.append(what)
        await gate.wait()
        return await resolve(what)

    session.resolve = slow_resolve
    task = panel._start(panel.choose_symbol("MSFT"))
    wait_until(aloop, lambda: asked_ib, what="the lookup waiting for IB")
    panel.set_instrument(spy)                          # a link group moves the ladder meanwhile
    gate.set()
    assert aloop.run_until_complete(task) is None
    assert panel.model.instrument == spy and panel.symbol.text() == "SPY"


def test_not_connected_and_malformed_input_are_named(desk, aloop):
    session, panel, elsewhere, registry, asked = desk
    assert aloop.run_until_complete(panel.choose_symbol("AA PL")) is None
    assert "symbols contain no spaces" in panel.symbol_problem.text()
    session.disconnect()
    assert aloop.run_until_complete(panel.choose_symbol("MSFT")) is None
    assert panel.symbol_problem.text() == "Cannot look up MSFT: not connected"
    assert panel.model.instrument == AAPL


# ---- hotkeys from the registry ------------------------------------------------------------
def test_default_keys_fire_only_while_the_ladder_has_the_focus(desk, qtbot, aloop):
    session, panel, elsewhere, registry, asked = desk
    elsewhere.setFocus()
    qtbot.keyClick(elsewhere, Qt.Key.Key_B)               # typed into the other field
    run_for(aloop, 0.02)
    assert asked == [] and elsewhere.text() == "b"
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_B)
    wait_until(aloop, lambda: asked and not panel.tasks, what="buy at bid asked")
    assert "BUY 100 AAPL LMT 100.00" in asked[0]


def test_keys_follow_the_registry_and_the_editor(desk, qtbot, aloop):
    session, panel, elsewhere, registry, asked = desk
    panel.bind_hotkeys(registry)
    assert panel.hotkey("ladder_buy_bid") == QKeySequence("B")
    editor = HotkeyEditor(registry)
    qtbot.addWidget(editor)
    editor.edits["ladder_buy_bid"].setKeySequence(QKeySequence("X"))
    editor.edits["ladder_recentre"].setKeySequence(QKeySequence("Ctrl+R"))
    assert editor.apply()
    assert panel.hotkey("ladder_buy_bid") == QKeySequence("X")
    assert "Ctrl+R" in panel.centre.toolTip().replace("⌘", "Ctrl+")
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_B)             # the old key does nothing now
    run_for(aloop, 0.02)
    assert asked == []
    qtbot.keyClick(panel.table, Qt.Key.Key_X)
    wait_until(aloop, lambda: asked and not panel.tasks, what="buy at bid asked")
    assert "BUY 100 AAPL LMT 100.00" in asked[0]
    sheet = CheatSheet(registry)
    qtbot.addWidget(sheet)
    rows = {r[1]: r[2] for r in sheet.rows()}
    assert rows["Ladder: buy at bid"] == "X"
    registry.restore_defaults()
    assert panel.hotkey("ladder_buy_bid") == QKeySequence("B")
    panel.bind_hotkeys(None)                               # unbound: defaults, no longer following
    registry.set_key("ladder_buy_bid", "Y")
    assert panel.hotkey("ladder_buy_bid") == QKeySequence("B")


def test_typing_in_the_ladders_symbol_field_fires_no_ladder_key(desk, qtbot, aloop):
    """S, B, F, C, Space and Shift+S are ladder keys; in the ladder's own text field they type."""
    session, panel, elsewhere, registry, asked = desk
    panel.set_armed(True)
    panel.toggles.set("LMT", False)                       # armed: a fired key would send at once
    panel.symbol.setFocus()
    panel.symbol.clear()
    qtbot.keyClicks(panel.symbol, "SBF C")
    qtbot.keyClick(panel.symbol, Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)
    run_for(aloop, 0.05)
    assert panel.symbol.text().upper() == "SBF CS"       # (QTest types Shift+S as "s")
    assert asked == [] and not session.orders() and not panel.tasks
