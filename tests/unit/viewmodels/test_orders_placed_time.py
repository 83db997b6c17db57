"""The blotter's Time is when the order was placed, not when this session saw it again
(issue 14 item 6): after a restart the journal's first record of the permId wins; without
one, the first sighting; a reconnect never moves it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.domain import Action, OrderRecord, OrderStatus, OrderType
from app.journal import Journal
from app.viewmodels.orders import OrdersModel
from tests.fakes import FakeSession


def _order(s, oid, perm, created):
    return OrderRecord(oid, perm, 7, s.contracts["AAPL"], Action.BUY, 10, OrderType.LMT, 100.0, None,
                       "DAY", OrderStatus.SUBMITTED, remaining=10, created=created, updated=created)


def test_time_is_the_journals_first_record_not_the_restart(qtbot, tmp_path):
    journal = Journal(tmp_path / "journal.sqlite", client_id=7)
    journal.record("api", call="placeOrder", order_id=41, client_id=7, symbol="AAPL")  # no permId yet
    journal.record("openOrder", order_id=41, perm_id=9001, client_id=7, symbol="AAPL")
    assert journal.flush()
    placed = journal.first_seen([9001])[9001]
    assert abs(placed - datetime.now(timezone.utc)) < timedelta(seconds=5)
    # the next day the terminal restarts and sees the order again
    s = FakeSession()
    seen = placed + timedelta(days=1)
    model = OrdersModel(s, placed_times=journal.first_seen)
    s.add_order(_order(s, 41, 9001, seen))
    s.add_order(_order(s, 42, 9002, seen))               # the journal never saw this one
    qtbot.waitUntil(lambda: model.find(41, 7).created == placed)
    assert model.find(42, 7).created == seen
    col = model.column_index("time")
    row = next(r for r in range(len(model)) if model.record(r).order_id == 41)
    assert model.index(row, col).data() == model.columns[col].text(placed, model.record(row))
    # a later update (status, reconnect) of the same order keeps the placed time
    s.add_order(_order(s, 41, 9001, seen + timedelta(hours=1)).copy(status=OrderStatus.FILLED))
    assert model.find(41, 7).created == placed and model.find(41, 7).status is OrderStatus.FILLED
    journal.close()


def test_a_journal_that_cannot_be_read_leaves_the_first_sighting(qtbot):
    s = FakeSession()
    seen = datetime(2026, 1, 5, 14, 30, tzinfo=timezone.utc)

    def broken(perm_ids):
        import sqlite3
        raise sqlite3.OperationalError("disk I/O error")

    model = OrdersModel(s, placed_times=broken)
    s.add_order(_order(s, 43, 9003, seen))
    qtbot.wait(20)
    assert model.find(43, 7).created == seen


def test_an_order_without_orderid_shows_a_dash_and_its_permid(qtbot):
    """A completed order from an earlier connection (reqCompletedOrders) or a TWS order has
    no API orderId: the cell reads "—" (it read "0") and the tooltip names its permId."""
    s = FakeSession()
    model = OrdersModel(s)
    now = datetime.now(timezone.utc)
    s.add_order(_order(s, 0, 9003, now).copy(status=OrderStatus.FILLED, filled=10, remaining=0))
    qtbot.waitUntil(lambda: len(model) == 1)
    col = model.column_index("order_id")
    cell = model.index(0, col)
    assert cell.data() == "—"
    from PySide6.QtCore import Qt
    assert "permId 9003" in cell.data(Qt.ToolTipRole)


def test_a_completed_order_without_an_average_price_leaves_the_cell_empty(qtbot):
    """reqCompletedOrders gives the filled quantity but no average price: the cell is empty
    (it read 0.00), while an order with fills shows its price."""
    s = FakeSession()
    model = OrdersModel(s)
    now = datetime.now(timezone.utc)
    s.add_order(_order(s, 0, 9004, now).copy(status=OrderStatus.FILLED, filled=10, remaining=0))
    s.add_order(_order(s, 5, 9005, now).copy(status=OrderStatus.FILLED, filled=10, remaining=0,
                                              avg_fill_price=99.5))
    qtbot.waitUntil(lambda: len(model) == 2)
    col = model.column_index("avg_price")
    texts = {model.record(r).perm_id: model.index(r, col).data() for r in range(2)}
    assert texts == {9004: "", 9005: "99.50"}
