"""Hotkeys and trading actions with the fake session and the real OrderCommands: each action
fires from its key, persistence, conflict refusal, editor and cheat sheet, one-click armed vs
not, read-only refusal, cancel last / all / flatten, kill switch."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox

from app.commands import OrderCommands
from app.domain import Action, OrderStatus, OrderType
from app.ui.hotkeys import (
    HOTKEY_ACTIONS, LADDER, LADDER_ACTIONS, WINDOW_ACTIONS, CheatSheet, HotkeyConflict, HotkeyEditor,
    HotkeyRegistry, key_problem,
)
from app.ui.trading_actions import ARMED_TEXT, passive_round
from tests.fakes import FakeSession, ListJournal
from tests.gui.desk_support import build_desk
from tests.support import run_for, wait_until


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "hotkeys.ini"), QSettings.IniFormat)


@pytest.fixture
def env(qtbot, aloop, settings):
    s = FakeSession()
    journal = ListJournal()
    desk = build_desk(qtbot, s, OrderCommands(s, journal=journal), settings)
    s.subscribe_quotes(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=187.49, ask=187.51)
    desk.ticket.set_instrument(s.contracts["AAPL"])
    return s, desk.actions, desk.ticket, desk.messages, desk.confirmations, journal


def _placed(s):
    return [c[1][0] for c in s.calls if c[0] == "place_order"]


def _run(aloop, task):
    return aloop.run_until_complete(task) if task is not None else None


def test_every_action_has_its_key_in_the_menu(env):
    s, ta, ticket, messages, asked, journal = env
    groups = ta.menu_actions()
    assert list(groups) == ["Orders", "Cancel", "Focus", "Quantity", "Safety", "Help"]
    assert sum(len(v) for v in groups.values()) == len(WINDOW_ACTIONS)
    for spec in WINDOW_ACTIONS:
        assert ta.actions[spec.id].shortcut() == QKeySequence(spec.default), spec.id
    # the ladder's keys are its own local shortcuts, not window-wide menu actions
    assert len(LADDER_ACTIONS) == 7 and not any(a.id in ta.actions for a in LADDER_ACTIONS)
    with pytest.raises(KeyError):
        ta.trigger("ladder_buy_bid")
    assert ta.actions["preset_4"].text() == "Quantity preset 4 (500)"


@pytest.mark.parametrize("key, mod, check", [
    (Qt.Key_F5, Qt.NoModifier, lambda t, m: t.model.action is Action.BUY and t.model.limit_price == 187.51),
    (Qt.Key_F3, Qt.NoModifier, lambda t, m: t.model.action is Action.BUY and t.model.limit_price == 187.49),
    (Qt.Key_F4, Qt.NoModifier, lambda t, m: t.model.limit_price == 187.5),
    (Qt.Key_F8, Qt.NoModifier, lambda t, m: t.model.action is Action.SELL and t.model.limit_price == 187.51),
    (Qt.Key_F6, Qt.NoModifier, lambda t, m: t.model.action is Action.SELL and t.model.limit_price == 187.49),
    (Qt.Key_F7, Qt.NoModifier, lambda t, m: t.model.action is Action.SELL and t.model.limit_price == 187.5),
    (Qt.Key_2, Qt.AltModifier, lambda t, m: t.model.quantity == 10),
    (Qt.Key_5, Qt.AltModifier, lambda t, m: t.model.quantity == 1000),
    (Qt.Key_3, Qt.ControlModifier, lambda t, m: t.quantity.hasFocus()),
    (Qt.Key_F9, Qt.NoModifier, lambda t, m: m and m[-1] == (False, "Cancel last: no working order of this client")),
])
def test_keys_fire_their_actions(env, qtbot, aloop, key, mod, check):
    s, ta, ticket, messages, asked, journal = env
    ticket.model.set_action("SELL" if key == Qt.Key_F5 else "BUY")
    ticket.model.set_quantity(7)
    qtbot.keyClick(ta.window, key, mod)
    run_for(aloop, 0.05)
    assert check(ticket, messages), messages
    assert _placed(s) == []  # not armed: nothing is sent by a hotkey


def test_not_armed_prefills_and_focuses_only(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    ticket.model.set_quantity(25)
    _run(aloop, ta.trigger("buy_ask"))
    assert _placed(s) == [] and asked == []
    assert ticket.model.order_type is OrderType.LMT and ticket.model.limit_price == 187.51
    assert ticket.quantity.hasFocus()
    assert messages[-1] == (True, "Ticket ready: BUY 25 AAPL LMT 187.51 DAY (Ctrl+Enter transmits; "
                                  "one-click trading is not armed)")


def test_armed_buy_at_ask_transmits_once_through_confirmation(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    states = []
    ta.armedChanged.connect(states.append)
    _run(aloop, ta.trigger("arm_one_click"))
    assert ta.armed and states == [True] and ta.actions["arm_one_click"].isChecked()
    assert ta.armed_label.text() == ARMED_TEXT and not ta.armed_label.isHidden()
    ticket.model.set_quantity(30)
    result = _run(aloop, ta.trigger("buy_ask"))
    assert result.ok
    (req,) = _placed(s)
    assert (req.action, req.quantity, req.order_type, req.limit_price) == (Action.BUY, 30, OrderType.LMT, 187.51)
    assert asked == ["BUY 30 AAPL LMT 187.51 DAY, about 5,625 USD"]  # the LMT confirmation still applies
    # turned off by the trader: armed hotkeys send without a question
    ticket.set_confirm_kind("LMT", False)
    ticket._end_hold()
    assert _run(aloop, ta.trigger("sell_bid")).ok and len(_placed(s)) == 2 and len(asked) == 1


def test_arming_asks_and_a_no_keeps_it_disarmed(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    ta.ask = lambda title, text: False
    _run(aloop, ta.trigger("arm_one_click"))
    assert not ta.armed and not ta.actions["arm_one_click"].isChecked()
    _run(aloop, ta.trigger("buy_ask"))
    assert _placed(s) == []
    want = {"decision": "declined", "text": "arm one-click trading", "symbol": "", "client_id": 1}
    assert any(k == "confirm" and want.items() <= f.items() for k, f in journal.rows), journal.rows


def test_disconnect_disarms(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    ta.set_armed(True)
    s.drop_connection()
    assert not ta.armed and not ta.actions["arm_one_click"].isChecked()
    assert "disarmed" in messages[-1][1]
    _run(aloop, ta.trigger("arm_one_click"))  # cannot arm while disconnected
    assert not ta.armed and messages[-1] == (False, "Cannot arm one-click trading: not connected")


def test_read_only_refuses_armed_orders_with_a_message(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    flags = []
    ta.readOnlyChanged.connect(flags.append)
    ta.set_armed(True)
    ta.trigger("read_only")
    assert ta.commands.read_only and flags == [True] and ta.actions["read_only"].isChecked()
    _run(aloop, ta.trigger("buy_ask"))
    assert _placed(s) == []
    assert not messages[-1][0] and "read-only" in messages[-1][1]
    # leaving read-only asks; "no" keeps it on
    ta.ask = lambda title, text: False
    _run(aloop, ta.trigger("read_only"))
    assert ta.commands.read_only and ta.actions["read_only"].isChecked()
    ta.ask = lambda title, text: True
    _run(aloop, ta.trigger("read_only"))
    assert not ta.commands.read_only and flags == [True, False]


def _rest(s, n=2):
    from app.domain import OrderRequest
    recs = []
    for i in range(n):
        req = OrderRequest(s.contracts["AAPL"], Action.BUY, 10 + i, OrderType.LMT, limit_price=180.0 + i)
        recs.append(s.place_order(req))
    return recs


def test_cancel_last_cancels_the_newest_own_order(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    a, b = _rest(s)
    run_for(aloop, 0.02)
    result = _run(aloop, ta.trigger("cancel_last"))
    assert result.ok and s.calls[-1] == ("cancel_order", (b.order_id,))
    wait_until(aloop, lambda: s.order(b.order_id).status is OrderStatus.CANCELLED, what="cancelled")
    _run(aloop, ta.trigger("cancel_last"))
    assert s.calls[-1] == ("cancel_order", (a.order_id,))


def test_cancel_all_for_the_symbol(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    recs = _rest(s, 3)
    run_for(aloop, 0.02)
    assert _run(aloop, ta.trigger("cancel_all_symbol")).ok
    assert {c[1][0] for c in s.calls if c[0] == "cancel_order"} == {r.order_id for r in recs}


def test_flatten_asks_first(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    s.set_position("AAPL", 40, 180.0)
    questions = []
    ta.ask = lambda title, text: questions.append(text) or False
    _run(aloop, ta.trigger("flatten_symbol"))
    assert _placed(s) == [] and "Flatten AAPL" in questions[0] and "position 40" in questions[0]
    ta.ask = lambda title, text: True
    result = _run(aloop, ta.trigger("flatten_symbol"))
    assert result.ok, result.message
    (req,) = _placed(s)
    assert (req.action, req.quantity) == (Action.SELL, 40)


@pytest.mark.parametrize("choice", [None, "cancel", "flatten"])
def test_kill_switch_one_question(env, aloop, choice):
    s, ta, ticket, messages, asked, journal = env
    s.set_position("AAPL", 40, 180.0)
    recs = _rest(s)
    run_for(aloop, 0.02)
    ta.set_armed(True)
    questions = []
    ta.ask_kill = lambda text: questions.append(text) or choice
    _run(aloop, ta.trigger("kill_switch"))
    assert questions == ["Kill switch: halt trading and cancel 2 working orders; 1 open position."]
    cancels = {c[1][0] for c in s.calls if c[0] == "cancel_order"}
    if choice is None:
        assert not ta.commands.halted and cancels == set() and ta.armed
        return
    assert ta.commands.halted and cancels == {r.order_id for r in recs} and not ta.armed
    flattened = [r for r in _placed(s) if r.order_type is OrderType.MKT]
    assert len(flattened) == (1 if choice == "flatten" else 0)
    # the next order is refused, with the reason on the ticket and in the message
    ta.set_armed(True)
    before = len(_placed(s))
    _run(aloop, ta.trigger("buy_ask"))
    assert len(_placed(s)) == before and not messages[-1][0] and "halt" in messages[-1][1].lower()
    # resume asks, then orders pass again
    _run(aloop, ta.trigger("resume_trading"))
    assert not ta.commands.halted and ticket.model.problem() == ""


def test_passive_mid_rounding():
    assert passive_round(187.505, 0.01, Action.BUY) == 187.5
    assert passive_round(187.505, 0.01, Action.SELL) == 187.51
    assert passive_round(1.082525, 0.00005, Action.BUY) == 1.0825
    assert passive_round(187.5, 0.01, Action.SELL) == 187.5


# ---- registry, editor, cheat sheet --------------------------------------------------------
def test_keys_persist_and_rebind(env, settings):
    s, ta, ticket, messages, asked, journal = env
    ta.hotkeys.set_key("buy_ask", "Ctrl+Alt+B")
    assert ta.actions["buy_ask"].shortcut() == QKeySequence("Ctrl+Alt+B")
    settings.sync()
    assert settings.value("hotkeys/buy_ask") == "Ctrl+Alt+B"
    again = HotkeyRegistry(QSettings(settings.fileName(), QSettings.IniFormat))
    assert again.key("buy_ask") == QKeySequence("Ctrl+Alt+B") and again.key("sell_ask") == QKeySequence("F8")
    ta.hotkeys.restore_defaults()
    assert ta.actions["buy_ask"].shortcut() == QKeySequence("F5")


@pytest.mark.parametrize("action_id, key, reason", [
    ("buy_ask", "F8", "F8 is used by both Buy at ask and Sell at ask"),
    ("buy_ask", "B", "would fire while typing"),
    ("kill_switch", "Ctrl+Q", "Ctrl+Q is reserved for Quit"),
])
def test_conflicting_key_refused(env, action_id, key, reason):
    s, ta, ticket, messages, asked, journal = env
    with pytest.raises(HotkeyConflict, match=re.escape(reason)):
        ta.hotkeys.set_key(action_id, key)
    assert ta.hotkeys.key(action_id) == QKeySequence(
        next(a.default for a in HOTKEY_ACTIONS if a.id == action_id))


def test_stored_conflict_is_not_applied(settings):
    settings.setValue("hotkeys/buy_ask", "F8")
    reg = HotkeyRegistry(settings)
    assert reg.key("buy_ask") == QKeySequence("F5")  # defaults kept


def test_editor_conflict_message_and_restore(qtbot, settings):
    reg = HotkeyRegistry(settings)
    ed = HotkeyEditor(reg)
    qtbot.addWidget(ed)
    ok = ed.buttons.button(QDialogButtonBox.Ok)
    ed.edits["cancel_last"].setKeySequence(QKeySequence("F3"))
    assert not ok.isEnabled() and "F3 is used by both Buy at bid and Cancel last order" in ed.problem.text()
    assert not ed.apply() and reg.key("cancel_last") == QKeySequence("F9")
    ed.edits["buy_bid"].setKeySequence(QKeySequence("Ctrl+F3"))
    assert ok.isEnabled() and ed.problem.isHidden()
    assert ed.apply()
    assert reg.key("cancel_last") == QKeySequence("F3") and reg.key("buy_bid") == QKeySequence("Ctrl+F3")
    ed2 = HotkeyEditor(reg)
    qtbot.addWidget(ed2)
    ed2.restore_defaults()
    assert ed2.apply() and reg.key("buy_bid") == QKeySequence("F3")


def test_cheat_sheet_lists_every_action(qtbot, settings):
    reg = HotkeyRegistry(settings)
    sheet = CheatSheet(reg)
    qtbot.addWidget(sheet)
    assert sheet.table.rowCount() == len(HOTKEY_ACTIONS)
    rows = {sheet.table.item(r, 1).text(): sheet.table.item(r, 2).text() for r in range(sheet.table.rowCount())}
    assert rows["Kill switch…"] == QKeySequence("Ctrl+Shift+K").toString(QKeySequence.NativeText)
    assert rows["Edit hotkeys…"] == "—"
    reg.set_key("edit_hotkeys", "Ctrl+Alt+H")
    rows = {sheet.table.item(r, 1).text(): sheet.table.item(r, 2).text() for r in range(sheet.table.rowCount())}
    assert rows["Edit hotkeys…"] != "—"
    groups = {sheet.table.item(r, 1).text(): sheet.table.item(r, 0).text() for r in range(sheet.table.rowCount())}
    assert rows["Ladder: buy at ask"] == QKeySequence("Shift+B").toString(QKeySequence.NativeText)
    assert groups["Ladder: buy at ask"] == "Ladder"
    reg.set_key("ladder_buy_ask", "Ctrl+B")
    rows = {sheet.table.item(r, 1).text(): sheet.table.item(r, 2).text() for r in range(sheet.table.rowCount())}
    assert rows["Ladder: buy at ask"] == QKeySequence("Ctrl+B").toString(QKeySequence.NativeText)


def test_key_problem():
    assert key_problem("Shift+A") and key_problem("Space") and not key_problem("F9")
    assert not key_problem("Ctrl+Shift+A") and not key_problem("")
    # the ladder's keys are local to it: letters and Space, not what its fields need
    assert not key_problem("B", LADDER) and not key_problem("Shift+S", LADDER) and not key_problem("Space", LADDER)
    assert "needed by the ladder's fields" in key_problem("Return", LADDER)
    assert key_problem("Down", LADDER) and key_problem("Tab", LADDER) and key_problem("Escape", LADDER)
    assert key_problem("Ctrl+K, B", LADDER)
    with pytest.raises(ValueError, match="Unknown hotkey scope 'chart'"):
        key_problem("B", "chart")


def test_ladder_defaults_and_plain_letters(settings):
    reg = HotkeyRegistry(settings)
    assert {a.id: reg.key(a.id).toString() for a in LADDER_ACTIONS} == {
        "ladder_buy_bid": "B", "ladder_buy_ask": "Shift+B", "ladder_sell_ask": "S", "ladder_sell_bid": "Shift+S",
        "ladder_flatten": "F", "ladder_cancel_all": "C", "ladder_recentre": "Space"}
    reg.set_key("ladder_buy_bid", "X")
    settings.sync()
    assert settings.value("hotkeys/ladder_buy_bid") == "X"
    again = HotkeyRegistry(QSettings(settings.fileName(), QSettings.IniFormat))
    assert again.key("ladder_buy_bid") == QKeySequence("X")
    with pytest.raises(HotkeyConflict, match="would fire while typing"):   # window-wide: still refused
        reg.set_key("buy_bid", "X")


@pytest.mark.parametrize("action_id, key, reason", [
    ("ladder_buy_bid", "F5", "F5 is used by both Buy at ask and Ladder: buy at bid "
                             "(a window-wide key is live in the ladder too)"),
    ("kill_switch", "C", "would fire while typing"),
    ("ladder_buy_bid", "S", "S is used by both Ladder: buy at bid and Ladder: sell at ask"),
    ("ladder_recentre", "Return", "needed by the ladder's fields"),
    ("ladder_flatten", "Ctrl+Q", "Ctrl+Q is reserved for Quit"),
])
def test_ladder_key_conflicts_refused(settings, action_id, key, reason):
    reg = HotkeyRegistry(settings)
    with pytest.raises(HotkeyConflict, match=re.escape(reason)):
        reg.set_key(action_id, key)
    assert reg.keys() == HotkeyRegistry().keys()            # nothing changed


def test_ladder_key_taken_by_a_window_action_is_refused(settings):
    reg = HotkeyRegistry(settings)
    reg.set_key("ladder_flatten", "Ctrl+Shift+L")
    with pytest.raises(HotkeyConflict, match=re.escape(
            "Ctrl+Shift+L is used by both Flatten the symbol… and Ladder: flatten the symbol… "
            "(a window-wide key is live in the ladder too)")):
        reg.set_key("flatten_symbol", "Ctrl+Shift+L")


def test_reverse_flatten_all_cancel_all_and_global_cancel_ask_first(env, aloop):
    """The bulk actions of the Trading menu: each asks once (declined = nothing sent), then
    runs its command through the command layer; global cancel warns that it reaches every
    client's orders."""
    s, ta, ticket, messages, asked, journal = env
    s.set_position("AAPL", 40, 180.0)
    s.set_position("MSFT", -5, 400.0)
    recs = _rest(s)
    run_for(aloop, 0.02)
    before = len(_placed(s))
    questions = []
    ta.ask = lambda title, text: questions.append((title, text)) or False
    for action_id in ("reverse_symbol", "cancel_all", "flatten_all", "global_cancel"):
        assert _run(aloop, ta.trigger(action_id)) is None
    assert len(_placed(s)) == before and not [c for c in s.calls if "cancel" in c[0]]
    titles = [t for t, _ in questions]
    assert titles == ["Reverse", "Cancel all", "Flatten all", "Global cancel"]
    assert "position 40" in questions[0][1] and "every open order" in questions[3][1].lower()
    ta.ask = lambda title, text: True
    result = _run(aloop, ta.trigger("reverse_symbol"))
    assert result.ok, result.message
    rev = _placed(s)[-1]
    assert (rev.action, rev.quantity, rev.order_type) == (Action.SELL, 80, OrderType.MKT)
    result = _run(aloop, ta.trigger("cancel_all"))
    assert result.ok and {c[1][0] for c in s.calls if c[0] == "cancel_order"} >= {r.order_id for r in recs}
    result = _run(aloop, ta.trigger("global_cancel"))
    assert result.ok and ("global_cancel", ()) in s.calls
    n = len(_placed(s))
    result = _run(aloop, ta.trigger("flatten_all"))
    assert result.ok, result.message
    flat = _placed(s)[n:]
    assert sorted((r.instrument.symbol, r.action, r.quantity) for r in flat) == [
        ("AAPL", Action.SELL, 40), ("MSFT", Action.BUY, 5)]
    decisions = [f["decision"] for k, f in journal.rows if k == "confirm"]
    assert decisions[:4] == ["declined"] * 4 and decisions[4:] == ["accepted"] * 4
