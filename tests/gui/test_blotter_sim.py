"""The blotter against the simulated gateway: real Session (ib_async over a socket),
real OrderCommands, real matching engine, real widgets.

Edit the limit cell of a working order in place -> the gateway holds the new price
after exactly one modification; select two working orders and cancel them -> both
Cancelled at the gateway and in the blotter; a market order fills -> the CSV
exports of the orders and executions tabs agree with the gateway's fill.

The gateway's clock starts inside regular trading hours of a past weekday.
"""

from __future__ import annotations

import csv
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox

from app.domain import Action, OrderRequest, OrderStatus, OrderType, TimeInForce, round_to_tick
from tests.support import run_for, wait_until

from tests.integration.sim_support import gateway_fixture, sim_session

gateway = gateway_fixture(seed=23)  # clock in regular trading hours of a past Wednesday


@pytest.fixture
def blotter(qtbot, aloop, gateway):
    """A BlotterView over a real Session connected to the gateway, with a quote on MSFT."""
    from app.commands import OrderCommands
    from app.ui.blotter import BlotterView
    from app.viewmodels.executions import ExecutionsModel
    from app.viewmodels.orders import OrdersModel

    session = sim_session(gateway)
    aloop.run_until_complete(session.connect())
    commands = OrderCommands(session)
    orders, executions = OrdersModel(session), ExecutionsModel(session)
    view = BlotterView(orders, executions, commands)
    qtbot.addWidget(view)
    view.show()
    msft = aloop.run_until_complete(session.resolve("MSFT"))
    session.subscribe_quotes(msft)
    wait_until(aloop, lambda: (q := session.quote(msft.key)) is not None and q.bid and q.ask, 10,
               what="MSFT bid/ask")
    modifies = []
    real_modify = session.modify_order

    def counting_modify(*args, **kw):
        modifies.append(args)
        return real_modify(*args, **kw)

    session.modify_order = counting_modify
    yield view, session, commands, msft, modifies
    orders.close()
    executions.close()
    session.unsubscribe_quotes(msft)
    session.disconnect()
    run_for(aloop, 0.05)


def _place_lmt(commands, session, inst, qty, limit):
    from app.commands import PlaceOrder

    res = commands.execute(PlaceOrder(OrderRequest(inst, Action.BUY, qty, OrderType.LMT, limit, None,
                                                   TimeInForce.DAY)))
    assert res.ok, res.message
    return res.order


def _gw_order(gw, client_id, order_id):
    return next(o for o in gw.exchange.orders(client_id, working_only=False) if o.order_id == order_id)


def _cell(view, order_id, key):
    for r in range(view.orders_proxy.rowCount()):
        if view.orders_proxy.order_at(r).order_id == order_id:
            return view.orders_proxy.index(r, view.orders_model.column_index(key))
    raise AssertionError(f"order {order_id} not in the blotter")


def test_edit_limit_cell_modifies_the_gateway_order_once(blotter, gateway, aloop, qtbot):
    view, session, commands, msft, modifies = blotter
    bid = session.quote(msft.key).bid
    limit = round_to_tick(bid * 0.95, 0.01)
    order = _place_lmt(commands, session, msft, 100, limit)
    wait_until(aloop, lambda: (o := view.orders_model.find(order.order_id)) is not None
               and o.status == OrderStatus.SUBMITTED, 10, what="order Submitted in the blotter")

    idx = _cell(view, order.order_id, "limit")
    t = view.orders_table
    pos = t.visualRect(idx).center()
    qtbot.mouseClick(t.viewport(), Qt.LeftButton, pos=pos)
    qtbot.mouseDClick(t.viewport(), Qt.LeftButton, pos=pos)
    editor = t.indexWidget(idx)
    assert isinstance(editor, QDoubleSpinBox) and editor.value() == pytest.approx(limit)
    new_limit = round_to_tick(limit - 0.37, 0.01)
    editor.lineEdit().selectAll()
    qtbot.keyClicks(editor.lineEdit(), f"{new_limit:.2f}")
    qtbot.keyClick(editor.lineEdit(), Qt.Key_Return)

    wait_until(aloop, lambda: _gw_order(gateway, session.client_id, order.order_id).ticket.lmt_price
               == pytest.approx(new_limit), 10, what="new limit at the gateway")
    wait_until(aloop, lambda: _cell(view, order.order_id, "limit").data() == f"{new_limit:,.2f}", 10,
               what="new limit in the blotter")
    run_for(aloop, 0.2)
    assert len(modifies) == 1, modifies
    assert _gw_order(gateway, session.client_id, order.order_id).is_working
    assert "Modify sent" in view.message.text()


def test_cancel_two_selected_orders(blotter, gateway, aloop, qtbot):
    view, session, commands, msft, modifies = blotter
    bid = session.quote(msft.key).bid
    a = _place_lmt(commands, session, msft, 10, round_to_tick(bid * 0.9, 0.01))
    b = _place_lmt(commands, session, msft, 20, round_to_tick(bid * 0.91, 0.01))
    keep = _place_lmt(commands, session, msft, 30, round_to_tick(bid * 0.92, 0.01))
    wait_until(aloop, lambda: all((o := view.orders_model.find(x.order_id)) is not None
                                  and o.status == OrderStatus.SUBMITTED for x in (a, b, keep)), 10,
               what="three orders Submitted")
    asked = []
    view.confirm = lambda text: asked.append(text) or True
    t = view.orders_table
    for i, oid in enumerate((a.order_id, b.order_id)):
        pos = t.visualRect(_cell(view, oid, "symbol")).center()
        qtbot.mouseClick(t.viewport(), Qt.LeftButton, Qt.ControlModifier if i else Qt.NoModifier, pos)
    qtbot.mouseClick(view.cancel_button, Qt.LeftButton)
    wait_until(aloop, lambda: not view.running_actions(), what="cancel sent")
    assert len(asked) == 1 and asked[0].startswith("Cancel 2 orders: ")
    wait_until(aloop, lambda: all(_gw_order(gateway, session.client_id, x.order_id).status == "Cancelled"
                                  for x in (a, b)), 10, what="both Cancelled at the gateway")
    wait_until(aloop, lambda: all(view.orders_model.find(x.order_id).status == OrderStatus.CANCELLED
                                  for x in (a, b)), 10, what="both Cancelled in the blotter")
    assert view.message.text().startswith("Cancel sent for 2 orders")
    assert _gw_order(gateway, session.client_id, keep.order_id).status == "Submitted"


def test_csv_export_of_a_filled_order_matches_its_execution(blotter, gateway, aloop, tmp_path):
    from app.commands import PlaceOrder

    view, session, commands, msft, modifies = blotter
    res = commands.execute(PlaceOrder(OrderRequest(msft, Action.BUY, 15, OrderType.MKT, None, None,
                                                   TimeInForce.DAY)))
    assert res.ok, res.message
    oid = res.order.order_id
    wait_until(aloop, lambda: (o := view.orders_model.find(oid)) is not None and o.status == OrderStatus.FILLED,
               10, what="MKT order Filled")
    wait_until(aloop, lambda: any(e.order_id == oid and e.client_id == session.client_id
                                  for e in view.executions_model.records()), 10, what="its execution")
    view.status_filter = "filled"
    orders_csv, fills_csv = tmp_path / "orders.csv", tmp_path / "executions.csv"
    assert view.export_orders(str(orders_csv)), view.message.text()
    assert view.export_executions(str(fills_csv)), view.message.text()

    def rows(path):
        with open(path, newline="", encoding="utf-8") as f:
            r = list(csv.DictReader(f))
        return r

    order_row = next(r for r in rows(orders_csv) if r["Order ID"] == str(oid)
                     and r["Client"] == str(session.client_id))
    fills = [r for r in rows(fills_csv) if r["Order ID"] == str(oid)]
    gw_fills = [f for f in gateway.exchange.executions(session.client_id) if f.order_id == oid]
    assert fills, "execution row exported"
    shares = sum(float(f["Shares"]) for f in fills)
    avg = sum(float(f["Shares"]) * float(f["Price"]) for f in fills) / shares
    assert order_row["Status"] == "Filled" and float(order_row["Filled"]) == shares == 15
    assert float(order_row["Avg Price"]) == pytest.approx(avg, abs=1e-9)
    gw = _gw_order(gateway, session.client_id, oid)
    assert gw.filled == 15 and gw.avg_fill_price == pytest.approx(avg, abs=1e-9)
    assert sorted(f["Exec ID"] for f in fills) == sorted(f.exec_id for f in gw_fills)
    assert sum(f.shares for f in gw_fills) == 15
    assert sorted(float(f["Price"]) for f in fills) == sorted(f.price for f in gw_fills)
    for f in fills:
        t = datetime.fromisoformat(f["Time"])
        assert t.utcoffset().total_seconds() == 0
        assert f["Side"] == "BOT" and "," not in f["Price"]
