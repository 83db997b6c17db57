"""The Modify dialog with the new order types: a trailing order's amount is changed (its
stop shown where it is now, not editable), a touch order's trigger is named so."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout

from app.commands import ModifyOrder, OrderCommands, PlaceOrder
from app.domain import Action, OrderRequest, OrderType
from app.ui.modify_dialog import ModifyDialog
from tests.fakes import FakeSession


@pytest.fixture
def s(aloop):
    return FakeSession()


def _open(qtbot, s, req):
    c = OrderCommands(s)
    res = c.execute(PlaceOrder(req))
    assert res.ok, res.message
    s.submit(res.order.order_id)
    dlg = ModifyDialog(s.order(res.order.order_id), c)
    qtbot.addWidget(dlg)
    dlg.show()
    return c, dlg


def _label(dlg, field) -> str:
    form = dlg.findChild(QFormLayout)
    return form.labelForField(field).text()


def test_trailing_amount_is_modified_and_the_stop_is_shown(qtbot, s):
    aapl = s.contracts["AAPL"]
    c, dlg = _open(qtbot, s, OrderRequest(aapl, Action.SELL, 100, OrderType.TRAIL, trailing_amount=1.5))
    oid = dlg.order.order_id
    assert dlg.trail.isVisible() and dlg.trail.value() == 1.5
    assert _label(dlg, dlg.stop) == "Stop now" and not dlg.stop.isEnabled() and not dlg.limit.isEnabled()
    assert dlg.problem.text() == "Change the quantity or the trailing amount, then OK sends the modification."
    dlg.trail.selectAll()
    qtbot.keyClicks(dlg.trail, "2.25")
    assert dlg.command() == ModifyOrder(oid, trailing_amount=2.25)
    assert dlg.buttons.button(QDialogButtonBox.Ok).isEnabled()
    assert c.execute(dlg.command()).ok
    assert s.order(oid).trailing_amount == 2.25
    assert s.calls[-1] == ("modify_order", (oid, None, None, None, 2.25))


def test_percent_trailing_order_has_no_amount_to_change(qtbot, s):
    aapl = s.contracts["AAPL"]
    _, dlg = _open(qtbot, s, OrderRequest(aapl, Action.SELL, 100, OrderType.TRAIL, trailing_percent=1.0))
    assert not dlg.trail.isVisible()
    dlg.quantity.setValue(50)
    assert dlg.command() == ModifyOrder(dlg.order.order_id, quantity=50)


def test_touch_order_names_its_trigger(qtbot, s):
    aapl = s.contracts["AAPL"]
    _, dlg = _open(qtbot, s, OrderRequest(aapl, Action.BUY, 100, OrderType.LIT, stop_price=150.0, limit_price=150.1))
    assert _label(dlg, dlg.stop) == "Trigger price" and dlg.stop.isEnabled() and dlg.limit.isEnabled()
    assert not dlg.trail.isVisible()
    dlg.stop.setValue(149.5)
    assert dlg.command() == ModifyOrder(dlg.order.order_id, stop_price=149.5)
    assert dlg.problem.text() == ""


def test_blotter_question_names_the_trailing_amount_and_the_trigger(s):
    """The blotter asks "Modify order N (...): trailing amount 2.39 → 1.50" (it asked "...: ?")."""
    from app.domain import OrderRecord, OrderStatus
    from app.ui.blotter_actions import describe_modify

    aapl = s.contracts["AAPL"]
    trail = OrderRecord(4, 1, 1, aapl, Action.SELL, 100, OrderType.TRAIL, None, 236.9, "GTC",
                        OrderStatus.PRE_SUBMITTED, trailing_amount=2.39)
    assert describe_modify(trail, ModifyOrder(4, trailing_amount=1.5)) == \
        "Modify order 4 (SELL 100 AAPL TRAIL): trailing amount 2.39 → 1.50"
    mit = OrderRecord(5, 1, 1, aapl, Action.BUY, 100, OrderType.MIT, None, 150.0, "DAY", OrderStatus.SUBMITTED)
    assert describe_modify(mit, ModifyOrder(5, stop_price=149.5)) == \
        "Modify order 5 (BUY 100 AAPL MIT): trigger 150.00 → 149.50"
