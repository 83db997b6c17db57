"""OrdersModel in-place edit rules and OrderFilterProxy status/symbol filters and numeric sort, without a view."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from app.domain import Action, OrderRecord, OrderRequest, OrderStatus, OrderType, TimeInForce
from app.viewmodels.orders import OrderFilterProxy, OrdersModel
from app.viewmodels.table import SORT_ROLE, VALUE_ROLE
from tests.fakes import FakeSession

T0 = datetime(2026, 11, 18, 16, 0, tzinfo=timezone.utc)


def _place(s, qty=100, price=187.5, symbol="AAPL", otype=OrderType.LMT, stop=None):
    return s.place_order(OrderRequest(s.contracts[symbol], Action.BUY, qty, otype,
                                      price if otype.needs_limit else None, stop, TimeInForce.DAY))


def _foreign(s, oid=9, client=5, status=OrderStatus.SUBMITTED, symbol="SPY"):
    rec = OrderRecord(oid, 700 + oid, client, s.contracts[symbol], Action.SELL, 10, OrderType.LMT, 500.0, None,
                      "DAY", status, created=T0)
    s.add_order(rec)
    return rec


@pytest.fixture
def model(qapp):
    s = FakeSession(auto_submit=False)
    m = OrdersModel(s)
    return s, m


def _idx(m, oid, col, client=1):
    return m.index(m.row_of(("id", client, oid)), m.column_index(col))


def test_editable_cells_only_for_own_working_orders_and_used_prices(model):
    s, m = model
    lmt = _place(s)
    stp = _place(s, 10, None, "MSFT", OrderType.STP, stop=400.0)
    filled = _place(s, 5, 100.0, "NVDA")
    s.submit(filled.order_id)
    s.fill(filled.order_id)
    _foreign(s)
    assert not _idx(m, lmt.order_id, "limit").flags() & Qt.ItemIsEditable  # no handler yet: read-only
    edits = []
    m.edit_handler = lambda o, key, v: edits.append((o.order_id, key, v)) or True
    assert _idx(m, lmt.order_id, "limit").flags() & Qt.ItemIsEditable
    assert _idx(m, lmt.order_id, "quantity").flags() & Qt.ItemIsEditable
    assert not _idx(m, lmt.order_id, "stop").flags() & Qt.ItemIsEditable
    assert m.edit_block(s.order(lmt.order_id), "stop") == "a LMT order has no stop price"
    assert _idx(m, stp.order_id, "stop").flags() & Qt.ItemIsEditable
    assert not _idx(m, stp.order_id, "limit").flags() & Qt.ItemIsEditable
    assert not _idx(m, lmt.order_id, "symbol").flags() & Qt.ItemIsEditable
    assert not _idx(m, filled.order_id, "quantity").flags() & Qt.ItemIsEditable
    assert _idx(m, filled.order_id, "quantity").data(Qt.ToolTipRole) == f"Not editable: order {filled.order_id} is Filled"
    tip = _idx(m, 9, "limit", client=5).data(Qt.ToolTipRole)
    assert tip == "Not editable: order 9 was placed by client id 5, not by this session (client id 1)"
    assert _idx(m, lmt.order_id, "limit").data(Qt.ToolTipRole) == "Double-click or F2 to edit"
    s.submit(lmt.order_id)
    s.cancel_order(lmt.order_id)
    assert m.edit_block(s.order(lmt.order_id), "limit") == f"a cancel of order {lmt.order_id} is pending"


def test_set_data_goes_to_handler_and_never_changes_the_row(model):
    s, m = model
    o = _place(s)
    edits = []
    m.edit_handler = lambda rec, key, v: edits.append((rec.order_id, key, v)) or True
    idx = _idx(m, o.order_id, "limit")
    assert idx.data(Qt.EditRole) == 187.5
    assert m.setData(idx, 190.0, Qt.EditRole)
    assert edits == [(o.order_id, "limit", 190.0)]
    assert idx.data() == "187.50" and idx.data(VALUE_ROLE) == 187.5  # the real value stays
    assert not m.setData(_idx(m, o.order_id, "symbol"), "MSFT", Qt.EditRole)
    assert not m.setData(idx, 191.0, Qt.DisplayRole)
    assert len(edits) == 1


def test_status_filters_and_symbol_prefix_combined(model):
    s, m = model
    working = _place(s)                       # AAPL PendingSubmit
    filled = _place(s, 5, 400.0, "MSFT")
    s.submit(filled.order_id)
    s.fill(filled.order_id)
    cancelled = _place(s, 7, 180.0, "AAPL")
    s.submit(cancelled.order_id)
    s.cancel_order(cancelled.order_id)
    s.confirm_cancel(cancelled.order_id)
    _foreign(s, 9, status=OrderStatus.INACTIVE)
    eur = _place(s, 20000, 1.1, "EUR.USD")
    p = OrderFilterProxy()
    p.setSourceModel(m)

    def shown():
        return sorted(p.order_at(r).order_id for r in range(p.rowCount()))

    assert shown() == sorted([working.order_id, filled.order_id, cancelled.order_id, 9, eur.order_id])
    p.set_status_filter("working")
    assert shown() == sorted([working.order_id, eur.order_id])
    p.set_status_filter("filled")
    assert shown() == [filled.order_id]
    p.set_status_filter("cancelled")
    assert shown() == [cancelled.order_id]
    p.set_status_filter("rejected")
    assert shown() == [9]
    p.set_status_filter("all")
    p.set_symbol_filter("aa")
    assert shown() == sorted([working.order_id, cancelled.order_id])
    p.set_symbol_filter(" eur")
    assert shown() == [eur.order_id]
    p.set_symbol_filter("AAPL")
    p.set_status_filter("working")
    assert shown() == [working.order_id]  # combined: AAPL and working
    p.set_symbol_filter("ZZ")
    assert shown() == []
    with pytest.raises(ValueError, match="unknown status filter 'open'"):
        p.set_status_filter("open")
    p.set_working_only(False)
    assert p.status_filter == "all"


def test_sort_is_numeric_for_quantities_prices_times_and_ids(model):
    s, m = model
    for q, px in ((5, 9.5), (1200, 100.25), (40, 10.0), (100, 2.75)):
        _place(s, q, px)
    for i, o in enumerate(s.orders()):  # distinct creation times, reversed vs orderId
        s._orders[o.order_id] = o.copy(created=T0 - timedelta(minutes=i))
        m.on_order(s._orders[o.order_id])
    for i in range(8, 12):
        _foreign(s, i * 1, client=5)  # orderIds 8..11: "10" < "8" as text
    p = OrderFilterProxy()
    p.setSourceModel(m)

    def column(key, order=Qt.AscendingOrder):
        p.sort(m.column_index(key), order)
        return [p.index(r, m.column_index(key)).data(SORT_ROLE) for r in range(p.rowCount())]

    qty = [v for v in column("quantity") if v != 10]
    assert qty == [5, 40, 100, 1200]
    lim = column("limit")
    assert lim == sorted(lim) and lim[0] == 2.75 and lim[-1] == 500.0
    ids = column("order_id")
    assert ids == sorted(ids) and ids[-4:] == [8, 9, 10, 11]
    p.sort(m.column_index("time"), Qt.AscendingOrder)
    times = [p.order_at(r).created for r in range(p.rowCount())]
    assert times == sorted(times)
    assert p.index(0, m.column_index("quantity")).data(SORT_ROLE) != "1,200"
