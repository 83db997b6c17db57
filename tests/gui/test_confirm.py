"""The pre-transmit confirmation: the real (non-blocking) ConfirmDialog from the ticket,
whatIf shown while open, accept / decline journalled, LIVE in red, soft-limit override."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from app.commands import OrderCommands
from app.commands.risk import Limit, RiskLimits
from app.domain import AccountKind, WhatIf
from app.ui.confirm import ConfirmDialog, ConfirmToggles, ask_choice, execute_with_override, what_if_lines
from app.ui.ticket import OrderTicket
from app.viewmodels.ticket import TicketModel, describe_with_notional
from tests.fakes import FakeSession, ListJournal
from tests.support import run_for, wait_until


WHAT_IF = WhatIf(init_margin_change=4687.5, maint_margin_change=4218.75, equity_with_loan_change=-1.0,
                 commission=1.0, commission_currency="USD")


@pytest.fixture
def setup(qtbot, aloop):
    s = FakeSession()
    journal = ListJournal()
    cmds = OrderCommands(s, journal=journal)
    t = OrderTicket(TicketModel(s, cmds))
    qtbot.addWidget(t)
    t.show()
    s.subscribe_quotes(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=187.49, ask=187.51)
    t.set_instrument(s.contracts["AAPL"])
    t.limit.setValue(187.5)
    return s, t, journal


def _placed(s):
    return [c[1][0] for c in s.calls if c[0] == "place_order"]


def _slow_what_if(gate: asyncio.Future, result=WHAT_IF):
    async def what_if(request):
        await gate
        if isinstance(result, Exception):
            raise result
        return result
    return what_if


def test_real_dialog_accept_shows_what_if_and_journals(setup, aloop):
    s, t, journal = setup
    gate = aloop.create_future()
    s.what_if = _slow_what_if(gate)
    task = t.transmit()
    wait_until(aloop, lambda: t.dialog is not None and t.dialog.isVisible(), what="dialog open")
    dlg = t.dialog
    assert dlg.order_label.text() == "BUY 100 AAPL LMT 187.50 DAY, about 18,750 USD"
    assert dlg.account_label.text() == "PAPER  ·  account DU1234567"
    # the margin check is pending and the GUI keeps running (quotes still reach the ticket)
    assert dlg.impact_label.text() == "checking margin…"
    s.push_quote("AAPL", bid=187.40, ask=187.60)
    run_for(aloop, 0.05)
    assert t.bid.text() == "Bid 187.40" and not task.done()
    gate.set_result(None)
    wait_until(aloop, lambda: "Initial margin" in dlg.impact_label.text(), what="whatIf numbers")
    assert dlg.impact_label.text().splitlines() == [
        "Initial margin change: +4,687.50", "Maintenance margin change: +4,218.75",
        "Equity with loan change: -1.00", "Commission: 1.00 USD"]
    assert _placed(s) == []
    dlg.transmit_button.click()
    result = aloop.run_until_complete(task)
    assert result.ok and len(_placed(s)) == 1
    (c,) = journal.of("confirm")
    assert c["decision"] == "accepted" and c["symbol"] == "AAPL" and c["text"].startswith("BUY 100 AAPL LMT")


def test_real_dialog_decline_sends_nothing(setup, aloop):
    s, t, journal = setup
    s.what_if = _slow_what_if(aloop.create_future())  # never answers
    task = t.transmit()
    wait_until(aloop, lambda: t.dialog is not None and t.dialog.isVisible(), what="dialog open")
    assert t.dialog.cancel_button.isDefault()  # Enter alone does not send
    t.dialog.cancel_button.click()
    assert aloop.run_until_complete(task) is None
    assert _placed(s) == [] and "declined" in t.result.text()
    assert journal.of("confirm")[0]["decision"] == "declined"


@pytest.mark.parametrize("failure, shown", [
    (ConnectionError("Not connected: cannot preview"), "not available (Not connected: cannot preview)"),
    (None, "not available (no answer within 0.2 s)"),
])
def test_what_if_error_or_timeout_says_not_available(setup, aloop, monkeypatch, failure, shown):
    import app.ui.confirm as confirm
    monkeypatch.setattr(confirm, "WHATIF_TIMEOUT_S", 0.2)
    s, t, journal = setup
    gate = aloop.create_future()
    if failure is not None:
        gate.set_result(None)
    s.what_if = _slow_what_if(gate, failure or WHAT_IF)
    task = t.transmit()
    wait_until(aloop, lambda: t.dialog is not None and t.dialog.impact_label.text() != "checking margin…",
               what="whatIf outcome")
    assert t.dialog.impact_label.text() == "Margin impact: " + shown
    t.dialog.transmit_button.click()
    assert aloop.run_until_complete(task).ok  # the preview is information, not a gate


def test_live_account_is_red_in_the_dialog(qtbot, aloop):
    dlg = ConfirmDialog("SELL 5 AAPL MKT DAY, about 937 USD at the bid 187.49", account="U1234567",
                        kind=AccountKind.LIVE)
    qtbot.addWidget(dlg)
    assert dlg.account_label.text() == "LIVE  ·  account U1234567  —  REAL MONEY"
    assert "#c62828" in dlg.account_label.styleSheet()
    assert dlg.impact_label.text() == "Margin impact: not available"


def test_notional_words():
    s = FakeSession()
    from app.domain import Action, OrderRequest, OrderType
    aapl = s.contracts["AAPL"]
    lmt = OrderRequest(aapl, Action.BUY, 100, OrderType.LMT, limit_price=187.5)
    assert describe_with_notional(lmt, 187.49, 187.51) == "BUY 100 AAPL LMT 187.50 DAY, about 18,750 USD"
    mkt = OrderRequest(aapl, Action.SELL, 10, OrderType.MKT)
    assert describe_with_notional(mkt, 187.49, 187.51) == \
        "SELL 10 AAPL MKT DAY, about 1,875 USD at the bid 187.49"
    assert describe_with_notional(mkt, None, None) == "SELL 10 AAPL MKT DAY, value unknown (no bid yet)"
    eur = OrderRequest(s.contracts["EUR.USD"], Action.BUY, 20000, OrderType.STP, stop_price=1.0825)
    assert describe_with_notional(eur, None, None).endswith("about 21,650 USD")


def test_what_if_lines_only_given_fields():
    assert what_if_lines(WhatIf(min_commission=1.0, max_commission=2.5, commission_currency="USD",
                                warning="Order exceeds buying power")) == [
        "Commission: 1.00 – 2.50 USD", "Warning: Order exceeds buying power"]
    assert what_if_lines(WhatIf()) == []


def test_what_if_warning_hard_wrapped_by_tws_is_one_paragraph():
    """TWS wraps its odd-lot note at ~75 columns with newlines (recorded v176 whatIf); the
    dialog wraps to its own width, so the line breaks go (mid-sentence breaks read badly)."""
    tws = ("Important Note: Your order size is below the EUR 20000 IdealPro minimum.\n"
           "You may cancel and increase the order size if you wish to route to IdealPro\n"
           "or select the Transmit button to route as an odd lot order.")
    assert what_if_lines(WhatIf(warning=tws)) == [
        "Warning: Important Note: Your order size is below the EUR 20000 IdealPro minimum. You "
        "may cancel and increase the order size if you wish to route to IdealPro or select the "
        "Transmit button to route as an odd lot order."]


def test_toggles_model(tmp_path):
    t = ConfirmToggles(MKT=False)
    assert not t.needs("MKT") and t.needs("STP LMT") and t.needs("MKT", bracket=True)
    with pytest.raises(ValueError, match="Unknown confirmation kind"):
        t.set("MOC", True)
    st = QSettings(str(tmp_path / "c.ini"), QSettings.IniFormat)
    t.save(st)
    u = ConfirmToggles()
    u.load(st)
    assert u.flags == t.flags


# ---- soft limits ---------------------------------------------------------------------
@pytest.fixture
def soft(setup):
    s, t, journal = setup
    t.model.commands.limits = RiskLimits(max_order_quantity=Limit(True, 50, hard=False))
    t.confirm_orders = False
    return s, t, journal


def test_soft_limit_override_yes_sends(soft, aloop):
    s, t, journal = soft
    asked = []
    t.ask_override = lambda rule, msg: asked.append((rule, msg)) or True
    assert t.transmit_button.isEnabled()  # a soft limit is asked about, not a blocker
    result = aloop.run_until_complete(t.transmit())
    assert result.ok and len(_placed(s)) == 1
    assert asked and asked[0][0] == "max_order_quantity" and "50" in asked[0][1]
    (o,) = [f for f in journal.of("override") if "decision" in f]  # the command layer adds its own row
    assert o["decision"] == "accepted" and o["rule"] == "max_order_quantity"


def test_soft_limit_override_no_sends_nothing(soft, aloop):
    s, t, journal = soft
    t.ask_override = lambda rule, msg: False
    result = aloop.run_until_complete(t.transmit())
    assert not result.ok and _placed(s) == []
    assert "override declined" in t.result.text()
    assert journal.of("override")[0]["decision"] == "declined"


def test_soft_limit_real_question(soft, aloop):
    """The default question is a non-blocking QMessageBox: only "Override and send" sends."""
    s, t, journal = soft
    for label, sent in (("Do not send", 0), ("Override and send", 1)):
        t._end_hold()
        task = t.transmit()
        wait_until(aloop, lambda: isinstance(QApplication.activeModalWidget(), QMessageBox), what="question")
        box = QApplication.activeModalWidget()
        assert box.text() == ("Order quantity limit: Order quantity 100 exceeds the maximum of 50 "
                              "shares per order\n\nSend it anyway?")   # no rule id
        next(b for b in box.buttons() if b.text() == label).click()
        aloop.run_until_complete(task)
        assert len(_placed(s)) == sent


def test_hard_limit_is_not_offered_an_override(setup, aloop):
    s, t, journal = setup
    t.model.commands.limits = RiskLimits(max_order_quantity=Limit(True, 50, hard=True))
    asked = []
    result = aloop.run_until_complete(execute_with_override(
        t.model.commands, t.model.command(), lambda r, m: asked.append(r) or True))
    assert not result.ok and result.rule == "max_order_quantity" and asked == []
    assert "50" in t.model.problem()  # a hard limit blocks Transmit with the reason


def test_ask_choice_back_and_answer(qtbot, aloop):
    for label, expected in (("Back", None), ("Cancel all only", "cancel")):
        task = asyncio.ensure_future(ask_choice(None, "Kill switch", "Halt trading?",
                                                [("flatten", "Cancel all and flatten"),
                                                 ("cancel", "Cancel all only")]))
        wait_until(aloop, lambda: isinstance(QApplication.activeModalWidget(), QMessageBox), what="box")
        box = QApplication.activeModalWidget()
        next(b for b in box.buttons() if b.text() == label).click()
        assert aloop.run_until_complete(task) == expected


@pytest.mark.parametrize("point_size", [9, 13, 20])
def test_every_what_if_line_is_visible_when_it_arrives(qtbot, aloop, point_size):
    """The dialog is shown while "checking margin…" and grows when the margin, equity,
    commission and warning lines arrive: each line is inside the dialog, above the buttons,
    at any font size (it kept its first size: "Equity with loan change" was cut in half
    and "Commission" invisible)."""
    from PySide6.QtGui import QFont
    arrived = asyncio.Event()

    async def what_if():
        await arrived.wait()
        return WhatIf(init_margin_change=5971.5, maint_margin_change=5971.5,
                      equity_with_loan_change=-1.0, commission=1.0, commission_currency="USD",
                      warning="Your order may be subject to a regulatory fee")

    dlg = ConfirmDialog("BUY 100 AAPL LMT 238.86 DAY, about 23,886 USD", account="SIM0001",
                        kind=AccountKind.SIMULATED, what_if=what_if, currency="USD")
    f = QFont(dlg.font())
    f.setPointSize(point_size)
    dlg.setFont(f)
    qtbot.addWidget(dlg)
    task = asyncio.ensure_future(dlg.ask(), loop=aloop)
    wait_until(aloop, dlg.isVisible, what="dialog open")
    aloop.run_until_complete(asyncio.sleep(0.05))
    arrived.set()
    wait_until(aloop, lambda: "Commission" in dlg.impact_label.text(), what="whatIf lines")
    aloop.run_until_complete(asyncio.sleep(0.05))
    label = dlg.impact_label
    assert len(label.text().splitlines()) == 5
    need = label.heightForWidth(label.width())
    assert label.height() >= need, (label.height(), need)
    assert label.geometry().bottom() < dlg.buttons.geometry().top()
    assert dlg.buttons.geometry().bottom() <= dlg.rect().bottom()
    dlg.cancel_button.click()
    assert aloop.run_until_complete(task) is False
