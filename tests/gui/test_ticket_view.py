"""OrderTicket with the fake session and the real OrderCommands."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette

from app.commands import OrderCommands
from app.domain import Action, OrderType
from app.ui.ticket import OrderTicket
from app.viewmodels.ticket import TicketModel
from tests.fakes import FakeSession
from tests.support import wait_until


@pytest.fixture
def setup(qtbot, aloop):
    s = FakeSession()
    cmds = OrderCommands(s)
    t = OrderTicket(TicketModel(s, cmds))
    qtbot.addWidget(t)
    t.show()
    asked = []
    t.confirm = lambda text: asked.append(text) or True
    s.subscribe_quotes(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=187.49, ask=187.51)
    t.set_instrument(s.contracts["AAPL"])
    return s, t, asked


def _placed(s):
    return [c[1][0] for c in s.calls if c[0] == "place_order"]


def test_place_lmt_reaches_session(qtbot, setup):
    s, t, asked = setup
    t.limit.setValue(187.5)
    assert t.transmit_button.text() == "BUY 100 AAPL LMT 187.50 DAY"
    assert t.transmit_button.isEnabled() and t.problem.isHidden()
    qtbot.mouseClick(t.transmit_button, Qt.LeftButton)
    assert asked == ["BUY 100 AAPL LMT 187.50 DAY"]
    (req,) = _placed(s)
    assert (req.action, req.quantity, req.order_type, req.limit_price) == (Action.BUY, 100, OrderType.LMT, 187.5)
    assert "Placed order 1" in t.result.text()


def test_confirmation_declined_sends_nothing(qtbot, setup):
    s, t, asked = setup
    t.confirm = lambda text: False
    qtbot.mouseClick(t.transmit_button, Qt.LeftButton)
    assert _placed(s) == []
    assert "declined" in t.result.text()


def test_confirmation_off_skips_dialog(qtbot, setup):
    s, t, asked = setup
    t.confirm_orders = False
    qtbot.mouseClick(t.transmit_button, Qt.LeftButton)
    assert asked == [] and len(_placed(s)) == 1


@pytest.mark.parametrize("edit, reason", [
    (lambda t: t.quantity.setValue(0), "Quantity must be positive"),
    (lambda t: t.limit.setValue(0), "Limit price is required for a LMT order"),
    (lambda t: (t.order_type.setCurrentText("STP"), t.stop.setValue(0)), "Stop price is required for a STP order"),
    (lambda t: t.model.set_limit_price(187.555), "not a multiple of the tick size"),
    (lambda t: t.model.session.disconnect(), "not connected"),
])
def test_validation_messages_disable_transmit(qtbot, setup, edit, reason):
    s, t, asked = setup
    edit(t)
    assert reason in t.problem.text() and t.problem.isVisible()
    assert not t.transmit_button.isEnabled()
    t.transmit()
    assert _placed(s) == []


def test_fields_enabled_by_type_and_tint(qtbot, setup):
    s, t, asked = setup
    t.order_type.setCurrentText("MKT")
    assert not t.limit.isEnabled() and not t.stop.isEnabled()
    t.order_type.setCurrentText("STP LMT")
    assert t.limit.isEnabled() and t.stop.isEnabled()
    buy_bg = t.palette().color(QPalette.Window).name()
    qtbot.mouseClick(t.sell, Qt.LeftButton)
    assert t.model.action is Action.SELL
    assert t.palette().color(QPalette.Window).name() != buy_bg == "#e3edff"
    assert t.transmit_button.text().startswith("SELL 100 AAPL STP LMT")


def test_click_bid_sets_limit_and_quote_updates(qtbot, setup):
    s, t, asked = setup
    s.push_quote("AAPL", bid=186.0, ask=186.02)
    assert t.bid.text() == "Bid 186.00"
    qtbot.mouseClick(t.ask, Qt.LeftButton)
    assert t.model.limit_price == 186.02 and abs(t.limit.value() - 186.02) < 1e-9


def test_typed_symbol_and_fx_tick(qtbot, setup, aloop):
    s, t, asked = setup
    t.symbol.setText("EUR.USD")
    qtbot.keyClick(t.symbol, Qt.Key_Return)
    wait_until(aloop, lambda: t.model.instrument.symbol == "EUR", what="EUR.USD")
    assert t.limit.decimals() == 5 and t.limit.singleStep() == 0.00005
    t.symbol.setText("NOPE")
    qtbot.keyClick(t.symbol, Qt.Key_Return)
    wait_until(aloop, lambda: "No security definition for 'NOPE'" in t.result.text(), what="error")


def test_prefill_public_api(qtbot, setup):
    s, t, asked = setup
    t.prefill("SELL", "STP", 180.004)
    assert t.order_type.currentText() == "STP" and abs(t.stop.value() - 180.0) < 1e-9
    assert t.sell.isChecked()


def test_ctrl_enter_transmits(qtbot, setup):
    s, t, asked = setup
    t.quantity.setFocus()
    qtbot.keyClick(t.quantity, Qt.Key_Return, Qt.ControlModifier)
    assert len(_placed(s)) == 1 and len(asked) == 1


def test_typing_price_keeps_text(qtbot, setup):
    s, t, asked = setup
    t.limit.lineEdit().selectAll()
    qtbot.keyClicks(t.limit, "186.75")
    assert t.limit.text() == "186.75" and t.model.limit_price == 186.75
    t.quantity.lineEdit().selectAll()
    qtbot.keyClicks(t.quantity, "2500")
    assert t.model.quantity == 2500
    assert t.transmit_button.text() == "BUY 2,500 AAPL LMT 186.75 DAY"


def test_double_click_sends_one_order(qtbot, setup, aloop):
    s, t, asked = setup
    t.confirm_orders = False
    qtbot.mouseDClick(t.transmit_button, Qt.LeftButton)
    qtbot.mouseClick(t.transmit_button, Qt.LeftButton)
    t.transmit()
    assert len(_placed(s)) == 1 and not t.transmit_button.isEnabled()
    wait_until(aloop, lambda: t.transmit_button.isEnabled(), timeout=3, what="button back")
    t.transmit()
    assert len(_placed(s)) == 2
