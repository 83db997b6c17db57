"""OrderTicket with the fake session and the real OrderCommands: fields, validation,
transmit (non-blocking), quantity presets, cash sizing, tick steppers, side colours,
account kind header and LIVE frame, bracket validation, OCA group."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette

from app.commands import OrderCommands, PlaceBracket
from app.domain import AccountKind, Action, OrderType
from app.ui.ticket import OrderTicket
from app.viewmodels.ticket import TicketModel
from tests.fakes import FakeSession
from tests.support import run_for, wait_until


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


def _send(aloop, t):
    """Transmit and wait for the outcome (the ticket never blocks the GUI)."""
    return aloop.run_until_complete(t.transmit())


def test_place_lmt_reaches_session(qtbot, setup, aloop):
    s, t, asked = setup
    t.limit.setValue(187.5)
    assert t.transmit_button.text() == "BUY 100 AAPL LMT 187.50 DAY"
    assert t.transmit_button.isEnabled() and t.problem.isHidden()
    qtbot.mouseClick(t.transmit_button, Qt.LeftButton)
    aloop.run_until_complete(t.sending)
    assert asked == ["BUY 100 AAPL LMT 187.50 DAY, about 18,750 USD"]
    (req,) = _placed(s)
    assert (req.action, req.quantity, req.order_type, req.limit_price) == (Action.BUY, 100, OrderType.LMT, 187.5)
    assert "Placed order 1" in t.result.text()


def test_confirmation_declined_sends_nothing(qtbot, setup, aloop):
    s, t, asked = setup
    t.confirm = lambda text: False
    assert _send(aloop, t) is None
    assert _placed(s) == []
    assert "declined" in t.result.text()


def test_confirmation_off_skips_dialog(qtbot, setup, aloop):
    s, t, asked = setup
    t.confirm_orders = False
    assert _send(aloop, t).ok
    assert asked == [] and len(_placed(s)) == 1


def test_confirmation_toggles_per_order_type(qtbot, setup, aloop):
    s, t, asked = setup
    t.confirm_type_boxes["LMT"].setChecked(False)
    assert t.confirm_orders and t.confirm_box.isChecked()  # other kinds still ask
    assert _send(aloop, t).ok and asked == []
    t.order_type.setCurrentText("MKT")
    t._end_hold()  # the double-send guard holds Transmit for a moment after a send
    assert _send(aloop, t).ok
    assert asked == ["BUY 100 AAPL MKT DAY, about 18,751 USD at the ask 187.51"]
    # the master box turns every kind off and on (what the chart's order lines follow)
    t.confirm_box.click()
    assert not t.confirm_orders and not any(b.isChecked() for b in t.confirm_type_boxes.values())
    t.confirm_box.click()
    assert all(t.toggles.flags.values())


def test_confirm_toggles_persist(qtbot, setup, tmp_path):
    from PySide6.QtCore import QSettings
    s, t, asked = setup
    settings = QSettings(str(tmp_path / "t.ini"), QSettings.IniFormat)
    t.set_confirm_kind("MKT", False)
    t.set_confirm_kind("BRACKET", False)
    t.save_confirm_settings(settings)
    settings.sync()
    t2 = OrderTicket(TicketModel(s, t.model.commands))
    qtbot.addWidget(t2)
    t2.load_confirm_settings(QSettings(str(tmp_path / "t.ini"), QSettings.IniFormat))
    assert t2.toggles.flags == {"MKT": False, "LMT": True, "STP": True, "STP LMT": True, "BRACKET": False}
    assert not t2.confirm_type_boxes["MKT"].isChecked() and t2.confirm_type_boxes["LMT"].isChecked()


@pytest.mark.parametrize("edit, reason", [
    (lambda t: t.quantity.setValue(0), "Quantity must be positive"),
    (lambda t: t.limit.setValue(0), "Limit price is required for a LMT order"),
    (lambda t: (t.order_type.setCurrentText("STP"), t.stop.setValue(0)), "Stop price is required for a STP order"),
    (lambda t: t.model.set_limit_price(187.555), "not a multiple of the tick size"),
    (lambda t: t.model.session.disconnect(), "not connected"),
])
def test_validation_messages_disable_transmit(qtbot, setup, aloop, edit, reason):
    s, t, asked = setup
    edit(t)
    assert reason in t.problem.text() and t.problem.isVisible()
    assert not t.transmit_button.isEnabled()
    assert _send(aloop, t) is None
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


def test_ctrl_enter_transmits(qtbot, setup, aloop):
    s, t, asked = setup
    t.quantity.setFocus()
    qtbot.keyClick(t.quantity, Qt.Key_Return, Qt.ControlModifier)
    wait_until(aloop, lambda: len(_placed(s)) == 1, what="order placed")
    assert len(asked) == 1


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
    wait_until(aloop, lambda: len(_placed(s)) == 1, what="first order")
    aloop.run_until_complete(t.transmit())
    assert len(_placed(s)) == 1 and not t.transmit_button.isEnabled()
    wait_until(aloop, lambda: t.transmit_button.isEnabled(), timeout=3, what="button back")
    _send(aloop, t)
    assert len(_placed(s)) == 2


def test_second_transmit_while_confirming_is_ignored(qtbot, setup, aloop):
    """A confirmation is open (a future not answered yet): another Transmit does nothing."""
    import asyncio
    s, t, asked = setup
    answer = aloop.create_future()
    t.confirm = lambda text: answer
    first = t.transmit()
    wait_until(aloop, lambda: t.busy, what="confirmation open")
    assert not t.transmit_button.isEnabled()
    assert _send(aloop, t) is None
    answer.set_result(True)
    assert aloop.run_until_complete(first).ok
    assert len(_placed(s)) == 1 and not t.busy
    assert isinstance(first, asyncio.Task)


def test_quantity_presets(qtbot, setup):
    s, t, asked = setup
    assert [b.text() for b in t.preset_buttons] == ["1", "10", "100", "500", "1,000"]
    qtbot.mouseClick(t.preset_buttons[3], Qt.LeftButton)
    assert t.model.quantity == 500 and t.quantity.value() == 500
    t.model.set_presets([5, 25, 2500])
    assert [b.text() for b in t.preset_buttons] == ["5", "25", "2,500"]
    qtbot.mouseClick(t.preset_buttons[2], Qt.LeftButton)
    assert t.model.quantity == 2500
    assert not t.apply_preset(4) and "No quantity preset 5" in t.result.text()
    with pytest.raises(ValueError, match="positive"):
        t.model.set_presets([10, -1])


def test_size_by_cash(qtbot, setup):
    s, t, asked = setup
    t.limit.setValue(187.5)
    t.cash.setValue(10000)
    qtbot.mouseClick(t.cash_button, Qt.LeftButton)
    assert t.model.quantity == 53 and t.quantity.value() == 53  # floor(10000 / 187.50)
    assert t.cash_result.text() == "10,000 USD at 187.50 = 53"
    # MKT: a BUY is sized at the ask, a SELL at the bid
    t.order_type.setCurrentText("MKT")
    assert t.size_by_cash(18751) and t.model.quantity == 100  # 18751 / 187.51
    qtbot.mouseClick(t.sell, Qt.LeftButton)
    assert t.size_by_cash(187.49 * 7) and t.model.quantity == 7
    assert not t.size_by_cash(100.0) and "less than one share" in t.cash_result.text()
    assert t.model.quantity == 7


def test_size_by_cash_without_price(qtbot, aloop):
    s = FakeSession()
    t = OrderTicket(TicketModel(s, OrderCommands(s)))
    qtbot.addWidget(t)
    t.set_instrument(s.contracts["MSFT"])  # no quote: nothing to size with
    t.order_type.setCurrentText("MKT")
    assert not t.size_by_cash(5000)
    assert t.cash_result.text() == "Cannot size 5,000 USD: no price (set a limit price or wait for the ask)"
    assert t.model.quantity == 100


def test_price_steppers_step_by_tick(qtbot, setup, aloop):
    s, t, asked = setup
    t.limit.setValue(187.5)
    t.limit.stepUp()
    assert t.model.limit_price == pytest.approx(187.51)
    t.tp_box.setChecked(True)
    assert t.tp.isEnabled() and t.tp.singleStep() == 0.01
    before = t.model.take_profit
    t.tp.stepDown()
    assert t.model.take_profit == pytest.approx(before - 0.01)
    t.set_instrument(s.contracts["EUR.USD"])
    for spin in (t.limit, t.stop, t.tp, t.sl):
        assert spin.singleStep() == 0.00005 and spin.decimals() == 5


def test_side_colours_blue_buy_red_sell(qtbot, setup):
    s, t, asked = setup
    img = t.grab().toImage()
    buy = img.pixelColor(t.width() // 2, t.height() - 12)
    assert buy.blue() > buy.red()  # blue tint for BUY
    qtbot.mouseClick(t.sell, Qt.LeftButton)
    img = t.grab().toImage()
    sell = img.pixelColor(t.width() // 2, t.height() - 12)
    assert sell.red() > sell.blue()  # red tint for SELL
    # subtle: light enough for black text
    assert min(buy.lightness(), sell.lightness()) > 200


def test_account_header_and_live_frame(qtbot, aloop):
    s = FakeSession(account_id="U7654321")  # not DU: a LIVE account
    t = OrderTicket(TicketModel(s, OrderCommands(s)))
    qtbot.addWidget(t)
    t.show()
    assert "LIVE" in t.header.text() and "U7654321" in t.header.text()
    assert t.live_frame
    corner = t.grab().toImage().pixelColor(1, t.height() // 2)
    assert corner.red() > 150 and corner.green() < 80  # the red frame
    t.model.set_account_kind(AccountKind.SIMULATED)
    assert not t.live_frame and t.header.text().startswith("SIMULATED")
    corner = t.grab().toImage().pixelColor(1, t.height() // 2)
    assert not (corner.red() > 150 and corner.green() < 80)


def test_paper_account_header(qtbot, setup):
    s, t, asked = setup
    assert t.header.text() == "PAPER  ·  DU1234567" and not t.live_frame


@pytest.mark.parametrize("side, tp, sl, reason", [
    ("BUY", 187.0, 186.0, "Take profit 187.00 must be above the entry 187.50 for a BUY"),
    ("BUY", 189.0, 188.0, "Stop loss 188.00 must be below the entry 187.50 for a BUY"),
    ("SELL", 189.0, 186.0, "Take profit 189.00 must be below the entry 187.50 for a SELL"),
    ("SELL", 186.0, 187.0, "Stop loss 187.00 must be above the entry 187.50 for a SELL"),
    ("BUY", 189.005, 186.0, "Take profit 189.005 is not a multiple of the tick size"),
])
def test_bracket_validation(qtbot, setup, aloop, side, tp, sl, reason):
    s, t, asked = setup
    t.model.set_action(side)
    t.limit.setValue(187.5)
    t.tp_box.setChecked(True)
    t.sl_box.setChecked(True)
    t.model.set_take_profit(True, tp)
    t.model.set_stop_loss(True, sl)
    assert reason in t.problem.text() and not t.transmit_button.isEnabled()
    assert _send(aloop, t) is None and _placed(s) == []


def test_bracket_sent_as_place_bracket(qtbot, setup, aloop):
    s, t, asked = setup
    sent = []
    real = t.model.commands.execute
    t.model.commands.execute = lambda cmd, **kw: sent.append(cmd) or real(cmd, **kw)
    t.limit.setValue(187.5)
    t.tp_box.setChecked(True)
    t.sl_box.setChecked(True)
    assert t.model.take_profit == 189.38 and t.model.stop_loss == 185.63  # 1 % defaults, on tick
    t.model.set_take_profit(True, 190.0)
    t.model.set_stop_loss(True, 185.0)
    assert t.problem.isHidden(), t.problem.text()
    assert _send(aloop, t).ok
    (cmd,) = sent
    assert isinstance(cmd, PlaceBracket) and (cmd.take_profit, cmd.stop_loss) == (190.0, 185.0)
    assert asked == ["BUY 100 AAPL LMT 187.50 DAY, about 18,750 USD; take profit 190.00, stop loss 185.00"]
    # a bracket asks by the "Bracket" toggle, not the parent's type
    t.set_confirm_kind("BRACKET", False)
    t._end_hold()
    assert _send(aloop, t).ok and len(asked) == 1


def test_oca_group_goes_into_the_request(qtbot, setup, aloop):
    s, t, asked = setup
    t.confirm_orders = False
    t.oca.setText("exit-1")
    assert t.model.request().oca_group == "exit-1" and t.model.request().oca_type == 1
    assert _send(aloop, t).ok
    (req,) = _placed(s)
    assert (req.oca_group, req.oca_type) == ("exit-1", 1)
    t.oca.setText("")
    assert t.model.request().oca_group == "" and t.model.request().oca_type == 0


def test_master_confirm_box_and_single_kinds(qtbot, setup):
    s, t, asked = setup
    t.confirm_box.setChecked(False)  # what panels.py and the settings do
    assert not t.confirm_orders and not any(t.toggles.flags.values())
    t.confirm_type_boxes["STP"].setChecked(True)  # one kind back on: only that one
    assert t.toggles.flags == {"MKT": False, "LMT": False, "STP": True, "STP LMT": False, "BRACKET": False}
    assert t.confirm_box.isChecked() and t.confirm_orders
    t.confirm_type_boxes["STP"].setChecked(False)
    assert not t.confirm_box.isChecked()


def test_cancelling_a_transmit_closes_its_dialog(qtbot, aloop):
    s = FakeSession()
    t = OrderTicket(TicketModel(s, OrderCommands(s)))
    qtbot.addWidget(t)
    t.set_instrument(s.contracts["MSFT"])
    t.model.set_limit_price(400.0)
    t.show()
    task = t.transmit()
    wait_until(aloop, lambda: t.dialog is not None and t.dialog.isVisible(), what="dialog")
    dialog = t.dialog
    task.cancel()
    run_for(aloop, 0.05)
    from shiboken6 import isValid
    assert task.cancelled() and _placed(s) == [] and not t.busy
    assert t.transmit_button.isEnabled()
    assert not isValid(dialog) or not dialog.isVisible()


@pytest.mark.parametrize("where", ["left", "middle", "right"])
@pytest.mark.parametrize("typed, value", [("12345", 12345), ("10000", 10000), ("19000", 19000),
                                          ("2500000", 2_500_000)])
def test_typing_into_the_empty_cash_field_keeps_the_digits_in_order(qtbot, setup, typed, value,
                                                                    where):
    """A trader clicks the empty Cash field and types an amount: the digits stay in the order
    typed (the cursor jumped to the start after the first key: 12345 became 23451 USD) and
    the ticket sizes from exactly that amount, shown with separators and the currency."""
    s, t, asked = setup
    t.limit.setValue(187.5)
    edit = t.cash.lineEdit()
    x = {"left": 3, "middle": edit.width() // 2, "right": edit.width() - 3}[where]
    qtbot.mouseClick(edit, Qt.LeftButton, pos=QPoint(x, edit.height() // 2))
    qtbot.keyClicks(t.cash, typed)          # keys go to the focused spin box, as in the app
    assert t.cash.value() == value
    qtbot.keyClick(t.cash.lineEdit(), Qt.Key_Return)
    assert t.model.quantity == value // 187.5
    assert t.cash_result.text().startswith(f"{value:,} USD at 187.50 = ")
    assert t.cash.text() == f"{value:,} USD"


@pytest.mark.parametrize("where", ["left", "middle", "right"])
@pytest.mark.parametrize("field, otype", [("stop", "STP"), ("limit", "LMT"), ("tp", "LMT"),
                                          ("sl", "LMT")])
def test_typing_into_an_empty_price_field_keeps_the_digits_in_order(qtbot, setup, field, otype,
                                                                    where):
    """An empty price field (stop, limit, take profit, stop loss) takes 190.5 as typed
    wherever it was clicked (a click at the left made it 90.51)."""
    s, t, asked = setup
    t.order_type.setCurrentText(otype)
    if field in ("tp", "sl"):
        (t.tp_box if field == "tp" else t.sl_box).setChecked(True)
    spin = getattr(t, field)
    spin.setValue(0)
    assert spin.isEnabled() and spin.text() == " "
    edit = spin.lineEdit()
    x = {"left": 3, "middle": edit.width() // 2, "right": edit.width() - 3}[where]
    qtbot.mouseClick(edit, Qt.LeftButton, pos=QPoint(x, edit.height() // 2))
    qtbot.keyClicks(spin, "190.5")
    assert spin.value() == 190.5
