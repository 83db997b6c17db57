"""BlotterView with the fake session and the real OrderCommands: modify, cancel, rejections, executions."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.commands import ModifyOrder, OrderCommands, PlaceOrder
from app.domain import Action, OrderRequest, OrderType, TimeInForce
from app.ui.blotter import BlotterView
from app.ui.modify_dialog import ModifyDialog
from app.viewmodels.executions import ExecutionsModel
from app.viewmodels.orders import OrdersModel
from tests.fakes import FakeSession
from tests.support import wait_until


@pytest.fixture
def setup(qtbot, aloop):
    s = FakeSession()
    cmds = OrderCommands(s)
    b = BlotterView(OrdersModel(s), ExecutionsModel(s), cmds)
    qtbot.addWidget(b)
    b.show()
    req = OrderRequest(s.contracts["AAPL"], Action.BUY, 100, OrderType.LMT, 187.5, None, TimeInForce.DAY)
    rec = cmds.execute(PlaceOrder(req)).order
    wait_until(aloop, lambda: s.order(rec.order_id).status == "Submitted", what="Submitted")
    asked = []
    b.confirm = lambda text: asked.append(text) or True
    return s, b, rec, asked


def _calls(s, name):
    return [c[1] for c in s.calls if c[0] == name]


def test_modify_sends_new_price(qtbot, setup, aloop):
    s, b, rec, asked = setup
    seen = []

    def edit(order):
        seen.append(order)
        return ModifyOrder(order.order_id, limit_price=188.0)

    b.edit_order = edit
    assert b.select_order(rec.order_id)
    assert b.modify_button.isEnabled()
    qtbot.mouseClick(b.modify_button, Qt.LeftButton)
    assert seen[0].limit_price == 187.5
    assert _calls(s, "modify_order") == [(rec.order_id, None, 188.0, None)]
    assert "Modify sent for order 1" in b.message.text()
    wait_until(aloop, lambda: b.orders_model.find(1).limit_price == 188.0, what="row updated")


def test_double_click_opens_prefilled_dialog(qtbot, setup, monkeypatch):
    s, b, rec, asked = setup
    opened = []

    def fake_exec(dlg):
        opened.append(dlg)
        dlg.limit.setValue(186.25)
        return ModifyDialog.Accepted

    monkeypatch.setattr(ModifyDialog, "exec", fake_exec)
    b.select_order(rec.order_id)
    idx = b.orders_table.currentIndex()
    pos = b.orders_table.visualRect(idx).center()
    qtbot.mouseClick(b.orders_table.viewport(), Qt.LeftButton, pos=pos)  # item views need the press first
    qtbot.mouseDClick(b.orders_table.viewport(), Qt.LeftButton, pos=pos)
    (dlg,) = opened
    assert dlg.quantity.value() == 100 and not dlg.stop.isEnabled()
    assert _calls(s, "modify_order") == [(rec.order_id, None, 186.25, None)]


def test_modify_dialog_shows_rejection(qtbot, setup):
    s, b, rec, asked = setup
    dlg = ModifyDialog(s.order(rec.order_id), b.commands)
    qtbot.addWidget(dlg)
    assert "nothing changes" in dlg.problem.text()
    dlg.limit.setValue(188.0)
    assert dlg.problem.text() == "" and dlg.command() == ModifyOrder(1, None, 188.0, None)
    dlg.quantity.setValue(0)
    assert "quantity must be positive" in dlg.problem.text()


def test_cancel_via_delete_key(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.select_order(rec.order_id)
    b.orders_table.setFocus()
    qtbot.keyClick(b.orders_table, Qt.Key_Delete)
    assert asked and "Cancel order 1" in asked[0]
    assert _calls(s, "cancel_order") == [(1,)]
    wait_until(aloop, lambda: b.orders_model.find(1).status == "Cancelled", what="Cancelled")


def test_cancel_declined_and_confirm_off(qtbot, setup):
    s, b, rec, asked = setup
    b.select_order(rec.order_id)
    b.confirm = lambda text: False
    assert not b.cancel_selected()
    assert _calls(s, "cancel_order") == []
    b.confirm_cancels = False
    b.confirm = lambda text: pytest.fail("must not ask")
    assert b.cancel_selected()
    assert _calls(s, "cancel_order") == [(1,)]


def test_rejected_command_reason_shown(qtbot, setup, aloop):
    s, b, rec, asked = setup
    s.fill(rec.order_id, 100, 187.5)
    wait_until(aloop, lambda: b.orders_model.find(1).status == "Filled", what="Filled")
    b.filter.setCurrentIndex(0)
    b.select_order(rec.order_id)
    assert not b.cancel_button.isEnabled()
    b.cancel_selected()
    assert b.message.text() == "Cannot cancel order 1: it is Filled"
    assert _calls(s, "cancel_order") == []


def test_working_filter_and_executions_tab(qtbot, setup, aloop):
    s, b, rec, asked = setup
    s.fill(rec.order_id, 100, 187.5, commission=1.0)
    wait_until(aloop, lambda: b.executions_proxy.rowCount() == 1, what="execution row")
    ex = b.executions_model
    assert b.executions_proxy.index(0, ex.column_index("shares")).data() == "100"
    assert b.executions_proxy.index(0, ex.column_index("commission")).data() == "1.00 USD"
    assert b.orders_proxy.rowCount() == 1
    b.filter.setCurrentText("Working only")
    assert b.orders_proxy.rowCount() == 0


def test_modify_of_other_clients_order_refused_before_dialog(qtbot, setup):
    s, b, rec, asked = setup
    from datetime import datetime, timezone

    from app.domain import OrderRecord, OrderStatus
    s.add_order(OrderRecord(9, 777, 5, s.contracts["SPY"], Action.SELL, 10, OrderType.LMT, 500.0, None,
                            "DAY", OrderStatus.SUBMITTED, created=datetime.now(timezone.utc)))
    b.edit_order = lambda o: pytest.fail("dialog must not open")
    b.select_order(9)
    assert not b.modify_button.isEnabled() and not b.cancel_button.isEnabled()
    assert not b.modify_selected()
    assert b.message.text() == ("Cannot modify order 9: it was placed by client id 5, "
                                "not by this session (client id 1)")
