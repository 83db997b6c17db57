"""BlotterView with the fake session and the real OrderCommands: modify, cancel, rejections, executions."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from PySide6.QtCore import Qt

from app.commands import ModifyOrder, OrderCommands, PlaceOrder
from app.domain import Action, OrderRequest, OrderType, TimeInForce
from app.ui.blotter import BlotterView
from app.ui.modify_dialog import ModifyDialog
from app.viewmodels.executions import ExecutionsModel
from app.viewmodels.orders import OrdersModel
from tests.fakes import FakeSession
from tests.support import run_for, wait_until


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


def _done(aloop, task):
    """The result of a blotter action's task (the actions never block: issue 14 item 16)."""
    return aloop.run_until_complete(task)


def _settle(aloop, b):
    """Wait for the actions a click or key started."""
    while b.running_actions():
        aloop.run_until_complete(asyncio.gather(*b.running_actions()))


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
    _settle(aloop, b)
    assert seen[0].limit_price == 187.5
    assert _calls(s, "modify_order") == [(rec.order_id, None, 188.0, None)]
    assert "Modify sent for order 1" in b.message.text()
    wait_until(aloop, lambda: b.orders_model.find(1).limit_price == 188.0, what="row updated")


def test_double_click_opens_prefilled_dialog(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.select_order(rec.order_id)
    idx = b.orders_table.currentIndex()
    pos = b.orders_table.visualRect(idx).center()
    qtbot.mouseClick(b.orders_table.viewport(), Qt.LeftButton, pos=pos)  # item views need the press first
    qtbot.mouseDClick(b.orders_table.viewport(), Qt.LeftButton, pos=pos)
    wait_until(aloop, lambda: any(d.isVisible() for d in b.findChildren(ModifyDialog)), what="dialog open")
    (dlg,) = [d for d in b.findChildren(ModifyDialog) if d.isVisible()]
    assert dlg.quantity.value() == 100 and not dlg.stop.isEnabled()
    dlg.limit.setValue(186.25)
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    _settle(aloop, b)
    assert _calls(s, "modify_order") == [(rec.order_id, None, 186.25, None)]


def test_modify_dialog_shows_rejection(qtbot, setup):
    """The dialog opens with a hint, not a red "nothing changes ... stop None" error, and OK
    off; a change enables OK; an invalid value shows the rule's reason in red and OK goes
    off again. The message line keeps its height (the fields do not jump)."""
    s, b, rec, asked = setup
    dlg = ModifyDialog(s.order(rec.order_id), b.commands)
    qtbot.addWidget(dlg)
    dlg.show()
    ok = dlg.buttons.button(QDialogButtonBox.Ok)
    top = dlg.buttons.geometry().top()
    assert dlg.problem.text() == "Change the quantity or a price, then OK sends the modification."
    assert "c62828" not in dlg.problem.styleSheet() and not ok.isEnabled()
    dlg.limit.setValue(188.0)
    assert dlg.problem.text() == "" and dlg.command() == ModifyOrder(1, None, 188.0, None)
    assert ok.isEnabled() and dlg.buttons.geometry().top() == top
    dlg.quantity.setValue(0)
    assert "quantity must be positive" in dlg.problem.text()
    assert "c62828" in dlg.problem.styleSheet() and not ok.isEnabled()


def test_cancel_via_delete_key(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.select_order(rec.order_id)
    b.orders_table.setFocus()
    qtbot.keyClick(b.orders_table, Qt.Key_Delete)
    _settle(aloop, b)
    assert asked and "Cancel order 1" in asked[0]
    assert _calls(s, "cancel_order") == [(1,)]
    wait_until(aloop, lambda: b.orders_model.find(1).status == "Cancelled", what="Cancelled")


def test_cancel_declined_and_confirm_off(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.select_order(rec.order_id)
    b.confirm = lambda text: False
    assert not _done(aloop, b.cancel_selected())
    assert _calls(s, "cancel_order") == []
    b.confirm_cancels = False
    b.confirm = lambda text: pytest.fail("must not ask")
    assert _done(aloop, b.cancel_selected())
    assert _calls(s, "cancel_order") == [(1,)]


def test_rejected_command_reason_shown(qtbot, setup, aloop):
    s, b, rec, asked = setup
    s.fill(rec.order_id, 100, 187.5)
    wait_until(aloop, lambda: b.orders_model.find(1).status == "Filled", what="Filled")
    b.filter.setCurrentIndex(0)
    b.select_order(rec.order_id)
    assert not b.cancel_button.isEnabled()
    _done(aloop, b.cancel_selected())
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
    b.filter.setCurrentText("Working")
    assert b.orders_proxy.rowCount() == 0


def test_modify_of_other_clients_order_refused_before_dialog(qtbot, setup, aloop):
    s, b, rec, asked = setup
    from datetime import datetime, timezone

    from app.domain import OrderRecord, OrderStatus
    s.add_order(OrderRecord(9, 777, 5, s.contracts["SPY"], Action.SELL, 10, OrderType.LMT, 500.0, None,
                            "DAY", OrderStatus.SUBMITTED, created=datetime.now(timezone.utc)))
    b.edit_order = lambda o: pytest.fail("dialog must not open")
    b.select_order(9)
    assert not b.modify_button.isEnabled() and not b.cancel_button.isEnabled()
    assert not _done(aloop, b.modify_selected())
    assert b.message.text() == ("Cannot modify order 9: it was placed by client id 5, "
                                "not by this session (client id 1)")


# ---------------------------------------------------------------- issue 5: in-place edit
from PySide6.QtWidgets import QAbstractItemView, QDoubleSpinBox  # noqa: E402

from app.commands import Limit, RiskLimits  # noqa: E402


def _cell(b, order_id, key):
    m = b.orders_model
    for r in range(b.orders_proxy.rowCount()):
        if b.orders_proxy.order_at(r).order_id == order_id:
            return b.orders_proxy.index(r, m.column_index(key))
    raise AssertionError(f"order {order_id} not shown")


def _open_editor(qtbot, b, order_id, key, how="double-click"):
    idx = _cell(b, order_id, key)
    t = b.orders_table
    if how == "double-click":
        pos = t.visualRect(idx).center()
        qtbot.mouseClick(t.viewport(), Qt.LeftButton, pos=pos)
        qtbot.mouseDClick(t.viewport(), Qt.LeftButton, pos=pos)
    else:
        t.setFocus()
        t.setCurrentIndex(idx)
        qtbot.keyClick(t, Qt.Key_F2)
    editor = t.indexWidget(idx)
    assert isinstance(editor, QDoubleSpinBox), f"no editor on {key}"
    return editor


def _commit(qtbot, aloop, editor, text):
    editor.lineEdit().selectAll()
    qtbot.keyClicks(editor.lineEdit(), text)
    qtbot.keyClick(editor.lineEdit(), Qt.Key_Return)
    run_for(aloop, 0.05)


def test_edit_limit_in_place_sends_one_modify(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.edit_order = lambda o: pytest.fail("the dialog must not open for an editable cell")
    editor = _open_editor(qtbot, b, rec.order_id, "limit")
    assert editor.value() == 187.5 and editor.singleStep() == 0.01 and editor.decimals() == 2
    run_for(aloop, 0.02)
    assert editor.lineEdit().selectedText() == "187.50"  # current value selected: typing replaces it
    _commit(qtbot, aloop, editor, "188.01")
    assert _calls(s, "modify_order") == [(rec.order_id, None, 188.01, None)]
    assert b.orders_table.state() != QAbstractItemView.EditingState
    assert "Modify sent for order 1" in b.message.text()
    wait_until(aloop, lambda: _cell(b, rec.order_id, "limit").data() == "188.01", what="new limit shown")
    assert asked == []  # confirm_modifies is off by default


def test_f2_and_escape_cancel_the_edit(qtbot, setup, aloop):
    s, b, rec, asked = setup
    editor = _open_editor(qtbot, b, rec.order_id, "quantity", how="F2")
    assert editor.value() == 100 and editor.decimals() == 0
    qtbot.keyClicks(editor.lineEdit(), "300")
    qtbot.keyClick(editor.lineEdit(), Qt.Key_Escape)
    run_for(aloop, 0.05)
    assert b.orders_table.state() != QAbstractItemView.EditingState
    assert _calls(s, "modify_order") == []
    assert _cell(b, rec.order_id, "quantity").data() == "100"


def test_focus_leaving_the_editor_discards_the_edit(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.activateWindow()
    qtbot.waitUntil(b.isActiveWindow, timeout=2000)
    editor = _open_editor(qtbot, b, rec.order_id, "limit")
    qtbot.keyClicks(editor.lineEdit(), "190")
    b.symbol_edit.setFocus(Qt.MouseFocusReason)
    run_for(aloop, 0.05)
    assert b.orders_table.state() != QAbstractItemView.EditingState
    assert _calls(s, "modify_order") == []


def test_rejected_edit_shows_reason_and_the_real_value(qtbot, setup, aloop):
    s, b, rec, asked = setup
    editor = _open_editor(qtbot, b, rec.order_id, "quantity")
    _commit(qtbot, aloop, editor, "0")
    assert _calls(s, "modify_order") == []
    assert "Cannot modify order 1: quantity must be positive" in b.message.text()
    idx = _cell(b, rec.order_id, "quantity")
    assert idx.data() == "100" and idx.data(Qt.EditRole) == 100


def test_unchanged_edit_sends_nothing(qtbot, setup, aloop):
    s, b, rec, asked = setup
    editor = _open_editor(qtbot, b, rec.order_id, "limit")
    qtbot.keyClick(editor.lineEdit(), Qt.Key_Return)
    run_for(aloop, 0.05)
    assert _calls(s, "modify_order") == [] and b.message.text() == ""


def test_other_clients_and_finished_orders_are_not_editable(qtbot, setup, aloop):
    from datetime import datetime, timezone

    from app.domain import OrderRecord, OrderStatus
    s, b, rec, asked = setup
    s.add_order(OrderRecord(9, 777, 5, s.contracts["SPY"], Action.SELL, 10, OrderType.LMT, 500.0, None,
                            "DAY", OrderStatus.SUBMITTED, created=datetime.now(timezone.utc)))
    run_for(aloop, 0.05)
    foreign = _cell(b, 9, "limit")
    assert not foreign.flags() & Qt.ItemIsEditable
    assert "client id 5" in foreign.data(Qt.ToolTipRole)
    t = b.orders_table
    t.setFocus()
    t.setCurrentIndex(foreign)
    qtbot.keyClick(t, Qt.Key_F2)
    assert t.indexWidget(foreign) is None
    assert not _cell(b, rec.order_id, "stop").flags() & Qt.ItemIsEditable  # a LMT has no stop
    s.fill(rec.order_id, 100, 187.5)
    wait_until(aloop, lambda: b.orders_model.find(1).status == "Filled", what="Filled")
    assert not _cell(b, rec.order_id, "limit").flags() & Qt.ItemIsEditable
    assert _cell(b, rec.order_id, "limit").data(Qt.ToolTipRole) == "Not editable: order 1 is Filled"


def test_confirm_modifies_asks_first(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.confirm_modifies = True
    b.confirm = lambda text: asked.append(text) or False
    editor = _open_editor(qtbot, b, rec.order_id, "limit")
    _commit(qtbot, aloop, editor, "187.75")
    assert asked == ["Modify order 1 (BUY 100 AAPL LMT): limit 187.50 → 187.75?"]
    assert _calls(s, "modify_order") == [] and "declined" in b.message.text()
    assert _cell(b, rec.order_id, "limit").data() == "187.50"
    b.confirm = lambda text: asked.append(text) or True
    editor = _open_editor(qtbot, b, rec.order_id, "limit")
    _commit(qtbot, aloop, editor, "187.75")
    assert len(asked) == 2 and _calls(s, "modify_order") == [(1, None, 187.75, None)]


def test_soft_limit_asks_override_and_reexecutes_only_on_yes(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.commands.limits = RiskLimits(max_order_quantity=Limit(True, 150, hard=False))
    questions = []
    b.ask_override = lambda text: questions.append(text) or False
    editor = _open_editor(qtbot, b, rec.order_id, "quantity")
    _commit(qtbot, aloop, editor, "200")
    assert len(questions) == 1 and questions[0].startswith("Order quantity limit: Order quantity 200 exceeds")
    assert _calls(s, "modify_order") == []
    assert b.message.text().startswith("Not sent: ")
    b.ask_override = lambda text: questions.append(text) or True
    editor = _open_editor(qtbot, b, rec.order_id, "quantity")
    _commit(qtbot, aloop, editor, "200")
    assert len(questions) == 2 and _calls(s, "modify_order") == [(1, 200, None, None)]
    b.commands.limits = RiskLimits(max_order_quantity=Limit(True, 150, hard=True))
    editor = _open_editor(qtbot, b, rec.order_id, "quantity")
    wait_until(aloop, lambda: b.orders_model.find(1).quantity == 200, what="modified")
    _commit(qtbot, aloop, editor, "300")
    assert len(questions) == 2 and len(_calls(s, "modify_order")) == 1  # hard: no question, nothing sent


# ---------------------------------------------------------------- filters and sort
def _place(b, symbol, qty, price, action=Action.BUY):
    s = b.orders_model.session
    req = OrderRequest(s.contracts[symbol], action, qty, OrderType.LMT, price, None, TimeInForce.DAY)
    res = b.commands.execute(PlaceOrder(req))
    assert res.ok, res.message
    return res.order


def test_status_and_symbol_filters_combined_and_persistable(qtbot, setup, aloop):
    s, b, rec, asked = setup
    msft = _place(b, "MSFT", 5, 400.0)
    _place(b, "AAPL", 1200, 180.0)
    wait_until(aloop, lambda: all(o.status == "Submitted" for o in s.orders()), what="all Submitted")
    s.fill(msft.order_id)
    run_for(aloop, 0.05)
    assert b.orders_proxy.rowCount() == 3
    b.filter.setCurrentText("Working")
    assert b.status_filter == "working" and b.orders_proxy.rowCount() == 2
    qtbot.keyClicks(b.symbol_edit, "aa")
    assert b.symbol_filter == "aa" and b.orders_proxy.rowCount() == 2
    b.status_filter = "filled"
    assert b.filter.currentText() == "Filled" and b.orders_proxy.rowCount() == 0
    b.symbol_filter = "MS"
    assert b.orders_proxy.rowCount() == 1 and b.orders_proxy.order_at(0).order_id == msft.order_id
    with pytest.raises(ValueError, match="unknown status filter"):
        b.status_filter = "Working only"


def test_header_click_sorts_quantity_as_numbers(qtbot, setup, aloop):
    s, b, rec, asked = setup
    for q in (5, 1200, 40):
        _place(b, "AAPL", q, 180.0)
    col = b.orders_model.column_index("quantity")
    b.orders_table.sortByColumn(col, Qt.AscendingOrder)
    shown = [b.orders_proxy.index(r, col).data() for r in range(b.orders_proxy.rowCount())]
    assert shown == ["5", "40", "100", "1,200"]


# ---------------------------------------------------------------- cancel selected / cancel all
def test_cancel_selected_sends_one_cancel_per_own_working_order(qtbot, setup, aloop):
    from datetime import datetime, timezone

    from app.domain import OrderRecord, OrderStatus
    s, b, rec, asked = setup
    o2 = _place(b, "MSFT", 5, 400.0)
    o3 = _place(b, "NVDA", 10, 120.0)
    s.add_order(OrderRecord(9, 777, 5, s.contracts["SPY"], Action.SELL, 10, OrderType.LMT, 500.0, None,
                            "DAY", OrderStatus.SUBMITTED, created=datetime.now(timezone.utc)))
    wait_until(aloop, lambda: s.order(o3.order_id).status == "Submitted", what="Submitted")
    t = b.orders_table
    # click the first order, ctrl-click the second and the other client's order
    for i, oid in enumerate((rec.order_id, o2.order_id, 9)):
        pos = t.visualRect(_cell(b, oid, "symbol")).center()
        qtbot.mouseClick(t.viewport(), Qt.LeftButton, Qt.ControlModifier if i else Qt.NoModifier, pos)
    assert sorted(o.order_id for o in b.selected_orders()) == [1, 2, 9]
    assert b.cancel_button.isEnabled()
    assert not _done(aloop, b.cancel_selected())  # not every selected order could be cancelled
    assert len(asked) == 1 and asked[0].startswith("Cancel 2 orders: ")
    assert "#1 BUY 100 AAPL LMT 187.50" in asked[0] and "#2 BUY 5 MSFT LMT 400.00" in asked[0]
    assert sorted(_calls(s, "cancel_order")) == [(1,), (2,)]
    text = b.message.text()
    assert text.startswith("Cancel sent for 2 orders (")
    assert "1 refused: Cannot cancel order 9: it was placed by client id 5" in text
    wait_until(aloop, lambda: s.order(2).status == "Cancelled" and s.order(1).status == "Cancelled",
               what="both Cancelled")
    assert s.order(o3.order_id).status == "Submitted"


def test_cancel_selected_declined_sends_nothing(qtbot, setup, aloop):
    s, b, rec, asked = setup
    o2 = _place(b, "MSFT", 5, 400.0)
    assert b.select_orders([rec.order_id, o2.order_id])
    b.confirm = lambda text: asked.append(text) or False
    assert not _done(aloop, b.cancel_selected())
    assert _calls(s, "cancel_order") == [] and "declined" in b.message.text()


def test_cancel_all_button(qtbot, setup, aloop):
    s, b, rec, asked = setup
    o2 = _place(b, "MSFT", 5, 400.0)
    done = _place(b, "NVDA", 10, 120.0)
    wait_until(aloop, lambda: s.order(done.order_id).status == "Submitted", what="Submitted")
    s.fill(done.order_id)
    run_for(aloop, 0.05)
    assert b.cancel_all_button.isEnabled()
    qtbot.mouseClick(b.cancel_all_button, Qt.LeftButton)
    _settle(aloop, b)
    assert asked == ["Cancel all 2 working orders?"]
    assert sorted(_calls(s, "cancel_order")) == [(rec.order_id,), (o2.order_id,)]
    assert "cancel sent for 2 orders" in b.message.text().lower()
    wait_until(aloop, lambda: not b.cancel_all_button.isEnabled(), what="nothing left to cancel")


# ---------------------------------------------------------------- CSV export
import csv  # noqa: E402
from datetime import datetime as _dt  # noqa: E402

from app.ui import blotter_export  # noqa: E402


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_export_orders_as_shown_unformatted(qtbot, setup, aloop, tmp_path):
    s, b, rec, asked = setup
    big = _place(b, "AAPL", 1200, 180.05)
    _place(b, "MSFT", 5, 400.0)
    wait_until(aloop, lambda: s.order(big.order_id).status == "Submitted", what="Submitted")
    s.fill(big.order_id, 1200, 180.05)
    b.symbol_filter = "aapl"
    b.orders_table.sortByColumn(b.orders_model.column_index("quantity"), Qt.DescendingOrder)
    path = tmp_path / "orders.csv"
    b.choose_export_path = lambda kind, name: str(path) if kind == "orders" and name.endswith(".csv") else None
    b.tabs.setCurrentIndex(0)
    qtbot.mouseClick(b.export_button, Qt.LeftButton)
    _settle(aloop, b)
    assert b.message.text() == f"Exported 2 orders to {path}"
    rows = _read_csv(path)
    m = b.orders_model
    assert rows[0] == [m.headerData(c, Qt.Horizontal) for c in range(m.columnCount())]
    col = {h: i for i, h in enumerate(rows[0])}
    assert [r[col["Symbol"]] for r in rows[1:]] == ["AAPL", "AAPL"]  # the view: filtered and sorted
    first = rows[1]
    assert first[col["Qty"]] == "1200" and first[col["Filled"]] == "1200"
    assert first[col["Limit"]] == "180.05" and first[col["Avg Price"]] == "180.05"
    assert first[col["Stop"]] == "" and first[col["Status"]] == "Filled" and first[col["Side"]] == "BUY"
    t = _dt.fromisoformat(first[col["Time"]])
    assert t.utcoffset().total_seconds() == 0 and t == s.order(big.order_id).created
    assert not [p for p in tmp_path.iterdir() if p.name != "orders.csv"]  # no temp file left


def test_export_executions_match_the_fill(qtbot, setup, aloop, tmp_path):
    s, b, rec, asked = setup
    ex = s.fill(rec.order_id, 100, 187.5, commission=1.25)
    run_for(aloop, 0.05)
    path = tmp_path / "fills.csv"
    assert b.export_executions(str(path))
    header, row = _read_csv(path)
    d = dict(zip(header, row))
    assert d["Exec ID"] == ex.exec_id and d["Order ID"] == "1" and d["Shares"] == "100"
    assert d["Price"] == "187.5" and d["Commission"] == "1.25" and d["Side"] == "BOT"
    assert _dt.fromisoformat(d["Time"]) == ex.time


def test_export_failure_leaves_no_half_file(qtbot, setup, aloop, tmp_path, monkeypatch):
    s, b, rec, asked = setup
    _place(b, "MSFT", 5, 400.0)
    missing = tmp_path / "no-such-dir" / "orders.csv"
    assert not b.export_orders(str(missing))
    assert b.message.text().startswith(f"Export of orders to {missing} failed: ")
    assert not missing.parent.exists()
    target = tmp_path / "orders.csv"
    target.write_text("previous export\n")
    calls = []
    real = blotter_export.csv_cell

    def failing(v):
        calls.append(v)
        if len(calls) > 20:  # fails in the middle of the second data row
            raise OSError(28, "No space left on device")
        return real(v)

    monkeypatch.setattr(blotter_export, "csv_cell", failing)
    assert not b.export_orders(str(target))
    assert "No space left on device" in b.message.text()
    assert target.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["orders.csv"]
    b.choose_export_path = lambda kind, name: None  # the file dialog cancelled
    assert not _done(aloop, b.export_current())


def test_csv_cell_formats():
    from datetime import timedelta, timezone

    from app.domain import OrderStatus
    assert blotter_export.csv_cell(None) == "" and blotter_export.csv_cell(float("nan")) == ""
    assert blotter_export.csv_cell(1200.0) == "1200" and blotter_export.csv_cell(0.00005) == "0.00005"
    assert blotter_export.csv_cell(187.125) == "187.125"
    assert blotter_export.csv_cell(OrderStatus.FILLED) == "Filled"
    ny = timezone(timedelta(hours=-5))
    assert blotter_export.csv_cell(_dt(2026, 11, 18, 11, 0, tzinfo=ny)) == "2026-11-18T16:00:00+00:00"
    assert blotter_export.csv_cell(_dt(2026, 11, 18, 16, 0)) == "2026-11-18T16:00:00+00:00"


def test_modify_dialog_keeps_ok_for_a_soft_limit_and_the_blotter_asks(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.commands.limits = RiskLimits(max_order_quantity=Limit(True, 150, hard=False))
    dlg = ModifyDialog(s.order(rec.order_id), b.commands)
    qtbot.addWidget(dlg)
    dlg.quantity.setValue(200)
    ok = dlg.buttons.button(dlg.buttons.StandardButton.Ok)
    assert dlg.problem.text().startswith("⚠ Order quantity limit: ") and ok.isEnabled()
    b.commands.limits = RiskLimits(max_order_quantity=Limit(True, 150, hard=True))
    dlg.quantity.setValue(210)
    assert not dlg.problem.text().startswith("⚠") and not ok.isEnabled()
    b.commands.limits = RiskLimits(max_order_quantity=Limit(True, 150, hard=False))
    questions = []
    b.ask_override = lambda text: questions.append(text) or True
    b.edit_order = lambda o: ModifyOrder(o.order_id, quantity=200)
    b.select_order(rec.order_id)
    assert _done(aloop, b.modify_selected())
    assert len(questions) == 1 and _calls(s, "modify_order") == [(1, 200, None, None)]


def test_many_orders_do_not_rescan_the_table(qtbot, aloop):
    """Each new or changed order updates the buttons without looking at every order (it
    asked all rows per change: loading 10,000 orders took minutes)."""
    s = FakeSession(auto_submit=False)
    model = OrdersModel(s)
    b = BlotterView(model, ExecutionsModel(s), OrderCommands(s))
    qtbot.addWidget(b)
    b.show()
    scans = [0]
    records = model.records
    model.records = lambda: scans.__setitem__(0, scans[0] + 1) or records()
    for _ in range(300):
        s.place_order(OrderRequest(s.contracts["AAPL"], Action.BUY, 100, OrderType.LMT, 187.5, None,
                                   TimeInForce.DAY))
    model.dirty.flush_now()
    assert scans[0] < 10, scans[0]
    assert b.cancel_all_button.isEnabled()
