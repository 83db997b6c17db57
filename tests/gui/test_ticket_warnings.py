"""Issue 14, driven as a trader does: soft risk limits shown in the ticket and in the
confirmation as one decision (item 4), result lines that stay true (item 8), the bracket
reset on a new symbol (item 9), FX defaults and the IDEALPRO minimum (item 11)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.commands import KillSwitch, OrderCommands
from app.commands.risk import Limit, RiskLimits
from app.ui.confirm import ConfirmDialog
from app.ui.ticket import OrderTicket
from app.viewmodels.ticket import TicketModel
from tests.fakes import CONTRACTS, FakeSession, ListJournal
from tests.support import wait_until

RAW_RULE = re.compile(r"\b(price_band|max_\w+|duplicate_order)\b")


@pytest.fixture
def desk(qtbot, aloop):
    s = FakeSession()
    journal = ListJournal()
    cmds = OrderCommands(s, limits=RiskLimits.recommended(), journal=journal)
    t = OrderTicket(TicketModel(s, cmds))
    qtbot.addWidget(t)
    t.show()
    s.subscribe_quotes(CONTRACTS["AAPL"])
    s.push_quote("AAPL", bid=221.40, ask=221.60, last=221.50)
    t.set_instrument(CONTRACTS["AAPL"])
    overrides = []
    t.ask_override = lambda rule, msg: overrides.append((rule, msg)) or True
    return s, t, journal, overrides


def _placed(s):
    return [c[1][0] for c in s.calls if c[0] in ("place_order", "place_bracket")]


def _type(qtbot, spin, text):
    """Select the field's text and type ``text`` into it, as a trader does."""
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)


def _confirm_dialog(aloop) -> ConfirmDialog:
    wait_until(aloop, lambda: isinstance(QApplication.activeModalWidget(), ConfirmDialog),
               what="the confirmation")
    return QApplication.activeModalWidget()


# ---- item 4: soft limits in the ticket and in the confirmation ------------------------------
def test_far_limit_warns_in_the_ticket_and_the_confirmation_is_the_one_decision(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    _type(qtbot, t.limit, "257.40")
    assert t.model.limit_price == 257.40
    warning = t.warning.text()
    assert t.warning.isVisible()
    assert "Price band: Limit 257.40 is 16.2 % above the ask 221.60 (band 5 % / 20 ticks:" in warning
    assert not RAW_RULE.search(warning)
    assert t.transmit_button.isEnabled()           # a soft limit does not block

    qtbot.mouseClick(t.transmit_button, Qt.LeftButton)
    dlg = _confirm_dialog(aloop)
    assert "Limit 257.40 is 16.2 % above the ask 221.60" in dlg.warnings_label.text()
    assert dlg.warnings_label.isVisible() and not RAW_RULE.search(dlg.warnings_label.text())
    assert dlg.transmit_button.text().replace("&", "") == "Transmit anyway"
    qtbot.mouseClick(dlg.transmit_button, Qt.LeftButton)
    result = aloop.run_until_complete(t.sending)

    assert result.ok and len(_placed(s)) == 1
    assert overrides == []                         # no second dialog after the confirmation
    accepted = [o for o in journal.of("override") if o.get("decision") == "accepted"]
    assert [o["rule"] for o in accepted] == ["price_band"]
    assert journal.of("intent")[-1]["accepted_rules"] == ["price_band"]


def test_warning_follows_the_quote(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    _type(qtbot, t.limit, "230.00")
    assert not t.warning.isVisible()
    s.push_quote("AAPL", bid=200.00, ask=200.20, last=200.10)
    assert "Limit 230.00 is 14.9 % above the ask 200.20" in t.warning.text()
    s.push_quote("AAPL", bid=229.90, ask=230.10, last=230.00)
    assert not t.warning.isVisible() and t.warning.text() == ""


def test_a_new_soft_limit_at_send_time_is_still_asked_clearly(qtbot, desk, aloop):
    """The band was accepted in the confirmation; while it was open the position grew
    beyond the soft position limit: only that new limit is asked about, once."""
    s, t, journal, overrides = desk
    t.model.commands.limits = RiskLimits(price_band_percent=Limit(True, 5.0, hard=False),
                                         max_position=Limit(True, 1_000, hard=False))
    _type(qtbot, t.limit, "257.40")
    shown = []

    def confirm(text):
        shown.extend(t.pending_warnings)
        s.set_position("AAPL", 1_000, 220.0)       # a fill elsewhere, while the dialog is open
        return True

    t.confirm = confirm
    result = aloop.run_until_complete(t.transmit())
    assert [w.split(":")[0] for w in shown] == ["Price band"]
    assert len(overrides) == 1
    rule, message = overrides[0]
    assert rule == "max_position" and message.startswith("New since you confirmed: Position in AAPL")
    assert result.ok and len(_placed(s)) == 1


def test_declining_the_confirmation_with_a_warning_sends_nothing(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    _type(qtbot, t.limit, "257.40")
    t.transmit()
    dlg = _confirm_dialog(aloop)
    qtbot.mouseClick(dlg.cancel_button, Qt.LeftButton)
    assert aloop.run_until_complete(t.sending) is None
    assert _placed(s) == [] and overrides == []
    assert not [o for o in journal.of("override") if o.get("decision") == "accepted"]


def test_confirmation_off_asks_one_question_naming_every_soft_limit(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    t.model.commands.limits = RiskLimits(price_band_percent=Limit(True, 5.0, hard=False),
                                         max_order_quantity=Limit(True, 50, hard=False))
    t.confirm_orders = False
    _type(qtbot, t.limit, "257.40")
    assert t.warning.text().count("⚠") == 2
    result = aloop.run_until_complete(t.transmit())
    assert result.ok and len(overrides) == 1
    rule, message = overrides[0]
    assert rule == "" and message.splitlines()[0].startswith("Order quantity limit: ")
    assert message.splitlines()[1].startswith("Price band: Limit 257.40")


# ---- item 8: result lines stay true ------------------------------------------------------
def test_placed_order_line_is_replaced_when_the_kill_switch_cancels_it(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    t.confirm_orders = False
    _type(qtbot, t.limit, "221.40")
    assert aloop.run_until_complete(t.transmit()).ok
    assert t.result.text().startswith("Placed order 1")
    t.model.commands.execute(KillSwitch())
    wait_until(aloop, lambda: "Cancelled" in t.result.text(), what="the cancel")
    assert t.result.text() == "Order 1 Cancelled: BUY 100 AAPL LMT 221.40"


def test_result_and_cash_lines_are_cleared_on_another_symbol(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    t.confirm_orders = False
    assert aloop.run_until_complete(t.transmit()).ok
    _type(qtbot, t.cash, "10000")
    qtbot.mouseClick(t.cash_button, Qt.LeftButton)
    assert t.cash_result.text().startswith("10,000 USD at")
    assert t.result.text().startswith("Placed order 1")
    t.set_instrument(CONTRACTS["MSFT"])
    assert t.cash_result.text() == "" and t.result.text() == ""


# ---- item 9: bracket on a new symbol ------------------------------------------------------
def test_bracket_boxes_reset_on_a_new_symbol(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    qtbot.mouseClick(t.tp_box, Qt.LeftButton)
    qtbot.mouseClick(t.sl_box, Qt.LeftButton)
    assert t.tp_box.isChecked() and t.tp.value() > 0
    t.set_instrument(CONTRACTS["MSFT"])
    assert not t.tp_box.isChecked() and not t.sl_box.isChecked()
    assert t.tp.value() == 0 and t.sl.value() == 0 and not t.tp.isEnabled()
    assert "Bracket" not in t.problem.text() and "Take profit" not in t.problem.text()


def test_bracket_ticked_before_the_first_quote_says_what_is_missing(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    t.set_instrument(CONTRACTS["MSFT"])            # no quote yet: a MKT order has no entry price
    t.order_type.setCurrentText("MKT")
    qtbot.mouseClick(t.tp_box, Qt.LeftButton)
    assert t.tp_box.isChecked() and t.model.take_profit is None
    assert t.problem.text() == "Take profit: enter a price, or untick Take profit"
    s.push_quote("MSFT", bid=399.90, ask=400.10)
    assert t.tp_box.isChecked() and t.model.take_profit == 404.1 and t.tp.value() == 404.1
    assert t.problem.text() == "" and t.transmit_button.isEnabled()


# ---- item 11: FX ticket ----------------------------------------------------------------------
def test_fx_ticket_defaults_and_idealpro_minimum(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    s.subscribe_quotes(CONTRACTS["EUR.USD"])
    s.push_quote("EUR.USD", bid=1.10000, ask=1.10005)
    t.set_instrument(CONTRACTS["EUR.USD"])
    assert t.quantity.value() == 25_000 and t.model.quantity == 25_000
    assert [b.text() for b in t.preset_buttons] == ["25K", "50K", "100K", "250K", "1M"]
    assert not t.warning.isVisible()
    _type(qtbot, t.quantity, "20000")
    assert t.model.quantity == 20_000
    assert t.warning.text() == ("⚠ 20,000 EUR is about 22,000 USD, below IDEALPRO's minimum of "
                                "25,000 USD: IB routes it to IDEAL as an odd lot (wider spread)")
    qtbot.mouseClick(t.preset_buttons[2], Qt.LeftButton)
    assert t.model.quantity == 100_000 and not t.warning.isVisible()
    # an off-tick price: the tick written as a trader does, never 5e-05
    _type(qtbot, t.limit, "1.10003")
    assert "tick size 0.00005" in t.problem.text() and "e-05" not in t.problem.text()
    # back to a stock: stock size and presets, never 25,000 shares
    t.set_instrument(CONTRACTS["AAPL"])
    assert t.model.quantity == 100 and [b.text() for b in t.preset_buttons] == ["1", "10", "100", "500", "1,000"]


def test_fx_odd_lot_warning_is_in_the_confirmation(qtbot, desk, aloop):
    s, t, journal, overrides = desk
    s.subscribe_quotes(CONTRACTS["EUR.USD"])
    s.push_quote("EUR.USD", bid=1.10000, ask=1.10005)
    t.set_instrument(CONTRACTS["EUR.USD"])
    t.model.commands.limits = RiskLimits()   # the recommended 1,000 units per order is a stock size
    _type(qtbot, t.quantity, "5000")
    t.transmit()
    dlg = _confirm_dialog(aloop)
    assert "below IDEALPRO's minimum of 25,000 USD" in dlg.warnings_label.text()
    qtbot.mouseClick(dlg.transmit_button, Qt.LeftButton)
    assert aloop.run_until_complete(t.sending).ok


def test_duplicate_warning_goes_away_without_a_new_quote(qtbot, desk, aloop):
    """The duplicate window ages even when no quote arrives: the line is refreshed."""
    s, t, journal, overrides = desk
    t.confirm_orders = False
    assert aloop.run_until_complete(t.transmit()).ok
    t._end_hold()
    assert "Duplicate order: Same order as one sent" in t.warning.text()
    # the recommended window is 2 s; no quote meanwhile: gone within a refresh after it
    wait_until(aloop, lambda: not t.warning.isVisible(), timeout=3.5, what="the warning to end")
    assert "Duplicate order" not in t.warning.text()
