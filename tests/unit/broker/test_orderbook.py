"""OrderBook keys: a completed order (orderId 0, permId known) stays the API order it was."""

from __future__ import annotations

from ib_async import Order, OrderStatus, Stock, Trade

from app.broker.orderbook import OrderBook
from app.domain import Instrument

AAPL = Instrument("AAPL", con_id=265598, min_tick=0.01)


def _trade(order_id: int, perm_id: int, status: str, client_id: int = 1) -> Trade:
    order = Order(orderId=order_id, clientId=client_id, permId=perm_id, action="BUY",
                  totalQuantity=100, orderType="LMT", lmtPrice=187.5)
    st = OrderStatus(orderId=order_id, status=status, permId=perm_id, clientId=client_id)
    return Trade(Stock("AAPL", "SMART", "USD", conId=265598), order, st)


def test_completed_order_without_order_id_keeps_its_order_id():
    book = OrderBook(lambda contract: AAPL)
    first = book.update(_trade(7, 990001, "Submitted"))
    assert first.order_id == 7 and first.client_id == 1
    # reconnect: reqCompletedOrders reports it Cancelled with orderId 0 and the same permId
    done = book.update(_trade(0, 990001, "Cancelled", client_id=0))
    assert done is not None and done.order_id == 7 and done.client_id == 1
    assert book.record(1, 7).status.value == "Cancelled"
    assert len(book.records()) == 1


def test_manual_tws_order_is_keyed_by_perm_id():
    book = OrderBook(lambda contract: AAPL)
    rec = book.update(_trade(0, 990002, "Submitted", client_id=0))
    assert rec.order_id == 0 and len(book.records()) == 1
