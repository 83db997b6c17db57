"""app.broker.tradeslim: other clients' orders held in ~2 KB instead of ~10 KB, same data.

Orders reach the Session as the gateway sends them: openOrder fields of the recorded
v178 vector (``/work/shared/protocol/openorder_v178_labeled.txt``, decoded by ib_async's
own decoder) with orderId / clientId / permId / price changed, then orderStatus.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import tracemalloc
from datetime import datetime, timezone

import ib_async
import pytest

from app.broker import Session, tradeslim
from tests.conftest import SHARED_PROTOCOL, require_shared

OWN_CLIENT = 7
T0 = datetime(2026, 1, 2, 15, 30, tzinfo=timezone.utc)
FIELDS = {"orderId": 1, "clientId": 24, "permId": 25, "lmtPrice": 16, "status": 85}


def open_order_fields(order_id: int, client_id: int, perm_id: int, price: float) -> list[str]:
    path = require_shared(SHARED_PROTOCOL / "openorder_v178_labeled.txt")
    fields = [line[37:].strip().strip("'") if len(line) > 37 else ""
              for line in path.read_text().splitlines()]
    for name, value in (("orderId", order_id), ("clientId", client_id), ("permId", perm_id),
                        ("lmtPrice", price)):
        fields[FIELDS[name]] = str(value)
    return fields


def order_status_fields(order_id: int, client_id: int, perm_id: int, status: str) -> list[str]:
    # orderStatus (3) at v178: id, status, filled, remaining, avgFillPrice, permId, parentId,
    # lastFillPrice, clientId, whyHeld, mktCapPrice
    return ["3", str(order_id), status, "0", "100", "0", str(perm_id), "0", "0", str(client_id),
            "", "0"]


def session(slim: bool, monkeypatch) -> Session:
    if not slim:
        monkeypatch.setattr(tradeslim, "install", lambda ib, own: False)
    s = Session("127.0.0.1", 1, OWN_CLIENT)
    monkeypatch.undo()
    s.ib.client.decoder.serverVersion = 178
    s.ib.wrapper.lastTime = T0                # the trade log's times (tcpDataArrived sets them)
    return s


def feed_tws_orders(s: Session, n: int, client_id: int = 0, status: str = "Cancelled") -> None:
    """``n`` orders of ``client_id`` (0 = TWS, orderId 0), each openOrder then orderStatus."""
    interpret = s.ib.client.decoder.interpret
    for i in range(n):
        order_id = 0 if client_id == 0 else 100 + i
        interpret(open_order_fields(order_id, client_id, 5000 + i, 1.0 + i / 100))
        interpret(order_status_fields(order_id, client_id, 5000 + i, status))


def test_other_clients_trades_hold_a_fifth_of_the_memory(monkeypatch):
    held = {}
    for slim in (False, True):
        s = session(slim, monkeypatch)
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        feed_tws_orders(s, 500)
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        assert len(s.ib.trades()) == 500 and len(s.orders()) == 500
        held[slim] = sum(d.size_diff for d in after.compare_to(before, "filename")) / 500
    assert held[False] > 9000                 # bytes per order, ib_async as is
    assert held[True] < held[False] - 6000


@pytest.mark.parametrize("client_id", [0, 3])
def test_session_records_are_the_same_with_slim_trades(monkeypatch, client_id):
    records = {}
    for slim in (False, True):
        s = session(slim, monkeypatch)
        seen = []
        s.orderEvent += seen.append
        feed_tws_orders(s, 20, client_id, status="Submitted")
        records[slim] = (seen, s.orders())
    assert len(records[True][1]) == 20 and records[True] == records[False]


def test_slim_order_reads_every_field_like_the_original(monkeypatch):
    s = session(False, monkeypatch)
    feed_tws_orders(s, 1, client_id=3)
    order = s.ib.trades()[0].order
    slim = tradeslim.slim_order(order)
    assert len(vars(slim)) < 30 < len(vars(order))
    for f in dataclasses.fields(order):
        a, b = getattr(order, f.name), getattr(slim, f.name)
        assert a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)), f.name
    assert repr(slim) == repr(order)           # (ib_async: Order == is identity)
    assert ib_async.util.dataclassAsDict(slim) == ib_async.util.dataclassAsDict(order)
    slim.lmtPrice = 2.5                       # ib_async updates fields of known orders
    assert slim.lmtPrice == 2.5 and type(order).lmtPrice != 2.5


def test_own_orders_stay_whole_and_others_are_slimmed(monkeypatch):
    s = session(True, monkeypatch)
    feed_tws_orders(s, 2, client_id=OWN_CLIENT)
    feed_tws_orders(s, 2, client_id=3)
    feed_tws_orders(s, 2, client_id=0)
    by_client = {}
    for t in s.ib.trades():
        by_client.setdefault(t.order.clientId, []).append(t)
    assert all(t.statusEvent is not tradeslim.NO_LISTENERS and len(vars(t.order)) > 100
               for t in by_client[OWN_CLIENT])
    assert all(t.statusEvent is tradeslim.NO_LISTENERS and len(vars(t.order)) < 30
               for c in (0, 3) for t in by_client[c])
    s.ib.wrapper.setEventsDone()             # ib_async's disconnect path still works


def test_slim_trade_events_refuse_listeners_and_a_listened_trade_stays_whole(monkeypatch):
    s = session(True, monkeypatch)
    feed_tws_orders(s, 1)
    trade = s.ib.trades()[0]
    with pytest.raises(RuntimeError, match="tradeslim"):
        trade.fillEvent += print
    whole = ib_async.Trade(order=ib_async.Order(clientId=3))
    whole.statusEvent += print
    assert tradeslim.slim_trade(whole).statusEvent is not tradeslim.NO_LISTENERS


def test_completed_orders_of_other_clients_are_slimmed(monkeypatch):
    s = session(True, monkeypatch)
    w = s.ib.wrapper
    w._results["completedOrders"] = []
    order = ib_async.Order(clientId=3, orderId=9, permId=777, action="BUY", totalQuantity=5)
    w.completedOrder(ib_async.Stock("AAPL", "SMART", "USD"), order,
                     ib_async.OrderState(status="Filled"))
    assert w.permId2Trade[777].statusEvent is tradeslim.NO_LISTENERS
    assert w.permId2Trade[777].order.totalQuantity == 5


def test_falls_back_when_ib_async_is_not_2x(monkeypatch, caplog):
    monkeypatch.setattr(ib_async, "__version_info__", (3, 0, 0))
    with caplog.at_level(logging.WARNING, logger="ibdesk.broker.tradeslim"):
        ib = ib_async.IB()
        assert not tradeslim.install(ib, lambda: OWN_CLIENT)
    assert "is not 2.x" in caplog.text and "openOrder" not in vars(ib.wrapper)
