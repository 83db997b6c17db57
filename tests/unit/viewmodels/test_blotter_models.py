"""OrdersModel / OrderFilterProxy / ExecutionsModel without a view."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from PySide6.QtCore import Qt

from app.domain import Action, OrderRecord, OrderRequest, OrderStatus, OrderType, TimeInForce
from app.viewmodels.executions import ExecutionsModel
from app.viewmodels.orders import OrderFilterProxy, OrdersModel, status_colour
from tests.fakes import FakeSession
from tests.support import wait_until


def _place(s: FakeSession, qty=100, price=187.5, symbol="AAPL", action=Action.BUY):
    return s.place_order(OrderRequest(s.contracts[symbol], action, qty, OrderType.LMT, price, None,
                                      TimeInForce.DAY))


def _text(m, row, col):
    return m.index(row, m.column_index(col)).data()


def test_orders_update_in_place_by_order_id(aloop):
    s = FakeSession()
    m = OrdersModel(s)
    inserted = []
    m.rowsInserted.connect(lambda *a: inserted.append(a))
    o1 = _place(s)
    o2 = _place(s, 5, 400.0, "MSFT", Action.SELL)
    assert len(m) == 2 and len(inserted) == 2
    assert _text(m, 0, "status") == "PendingSubmit"
    wait_until(aloop, lambda: _text(m, 0, "status") == "Submitted", what="Submitted")
    s.fill(o1.order_id, 40, 187.5)
    m.dirty.flush_now()
    assert len(m) == 2 and len(inserted) == 2  # updated, not appended
    row = m.row_of(("id", 1, o1.order_id))
    assert _text(m, row, "filled") == "40" and _text(m, row, "remaining") == "60"
    assert _text(m, row, "avg_price") == "187.50"
    assert _text(m, row, "perm_id") == str(1_000_000 + o1.order_id)
    assert _text(m, m.row_of(("id", 1, o2.order_id)), "side") == "SELL"
    assert m.find(o2.order_id).quantity == 5


def test_only_changed_cells_repaint(aloop):
    s = FakeSession(auto_submit=False)
    m = OrdersModel(s)
    _place(s)
    _place(s, symbol="MSFT")
    m.dirty.flush_now()
    emitted = []
    m.dataChanged.connect(lambda tl, br: emitted.append((tl.row(), tl.column(), br.row(), br.column())))
    s.submit(2)
    m.dirty.flush_now()
    assert len(emitted) == 1
    top, left, bottom, right = emitted[0]
    assert top == bottom == 1
    assert left <= m.column_index("status") <= right
    assert left > m.column_index("limit")  # the order id .. limit columns did not change


def test_status_colours_and_working_filter(aloop):
    s = FakeSession(auto_submit=False)
    m = OrdersModel(s)
    _place(s)
    o2 = _place(s, symbol="MSFT")
    s.submit(o2.order_id)
    s.fill(o2.order_id)
    assert status_colour(OrderStatus.SUBMITTED).name() == "#1565c0"
    assert status_colour(OrderStatus.FILLED).name() == "#1b7a34"
    assert status_colour(OrderStatus.CANCELLED).name() == "#6b6b6b"
    assert status_colour(OrderStatus.INACTIVE).name() == "#c62828"
    assert m.index(1, m.column_index("status")).data(Qt.ForegroundRole).name() == "#1b7a34"
    proxy = OrderFilterProxy()
    proxy.setSourceModel(m)
    assert proxy.rowCount() == 2
    proxy.set_working_only(True)
    assert proxy.rowCount() == 1 and proxy.order_at(0).order_id == 1


def test_orders_of_other_clients_kept_apart():
    s = FakeSession(auto_submit=False)
    m = OrdersModel(s)
    _place(s)
    now = datetime.now(timezone.utc)
    s.add_order(OrderRecord(1, 555, 7, s.contracts["SPY"], Action.SELL, 10, OrderType.MKT, None, None,
                            "DAY", OrderStatus.SUBMITTED, created=now))
    assert len(m) == 2
    assert m.find(1).instrument.symbol == "AAPL"
    assert m.find(1, client_id=7).instrument.symbol == "SPY"


def test_order_sort_numeric():
    s = FakeSession(auto_submit=False)
    m = OrdersModel(s)
    for price in (9.5, 100.25, 1000.0):
        _place(s, price=price)
    proxy = OrderFilterProxy()
    proxy.setSourceModel(m)
    col = m.column_index("limit")
    proxy.sort(col, Qt.DescendingOrder)
    assert [proxy.index(r, col).data() for r in range(3)] == ["1,000.00", "100.25", "9.50"]


def test_executions_commission_updates_same_row(aloop):
    s = FakeSession(auto_submit=False)
    m = ExecutionsModel(s)
    o = _place(s)
    s.submit(o.order_id)
    s.fill(o.order_id, 100, 187.5, commission=1.25)
    m.dirty.flush_now()
    assert len(m) == 1
    assert _text(m, 0, "commission") == "1.25 USD"
    assert _text(m, 0, "side") == "BOT"
    assert _text(m, 0, "price") == "187.50"
    assert _text(m, 0, "order_id") == str(o.order_id)


def test_working_count_per_client_follows_status(aloop):
    """OrdersModel counts working orders per clientId as rows come and change (the blotter's
    "Cancel all" asked every row of the table on each change: quadratic in the orders)."""
    s = FakeSession(auto_submit=False)
    m = OrdersModel(s)
    for _ in range(3):
        _place(s)
    assert m.working_count() == 3 and m.working_count(99) == 0
    s.submit(1)
    assert m.working_count() == 3            # still working, counted once
    s.cancel_order(2)
    aloop.run_until_complete(asyncio.sleep(0))
    assert m.working_count() == sum(o.is_working for o in m.records())
    s.fill(3)
    assert m.working_count() == sum(o.is_working for o in m.records())
    m.clear()
    assert m.working_count() == 0
