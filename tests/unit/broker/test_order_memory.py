"""Memory held per order of another client (issue 12: 10,000 TWS orders of a master client),
through ib_async's decoder, the Session's order book and the blotter's OrdersModel: equal
values are held once (strings, contracts, instruments, row labels). Before: ~3,830 B per
order; now ~2,470."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from app.broker import tradeslim
from app.viewmodels.orders import COLUMNS, OrdersModel
from tests.unit.broker.test_tradeslim import (feed_tws_orders, open_order_fields,
                                              order_status_fields, session)


def _held_per_order(s, n: int) -> float:
    """Bytes held per TWS order of ``n`` new ones (permIds 90000...), openOrder then orderStatus."""
    interpret = s.ib.client.decoder.interpret
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            interpret(open_order_fields(0, 0, 90_000 + i, 1.0 + i / 100))
            interpret(order_status_fields(0, 0, 90_000 + i, "Submitted"))
        gc.collect()
        return (tracemalloc.get_traced_memory()[0] - before) / n
    finally:
        tracemalloc.stop()


def test_bytes_held_per_order_through_session_and_blotter(qapp, monkeypatch):
    s = session(True, monkeypatch)
    model = OrdersModel(s)
    feed_tws_orders(s, 20, status="Submitted")      # first-time tables (interned texts, contract)
    held = _held_per_order(s, 500)
    assert model.rowCount() == 520
    print(f"{held:.0f} bytes held per order")
    assert held < 2900, f"{held:.0f} bytes held per order"


def test_equal_values_of_other_clients_orders_are_held_once(qapp, monkeypatch):
    s = session(True, monkeypatch)
    model = OrdersModel(s)
    feed_tws_orders(s, 3, status="Submitted")
    a, b, c = s.ib.trades()
    assert a.contract is b.contract is c.contract            # one AAPL contract
    assert a.order.account is b.order.account and a.order.orderType is c.order.orderType
    assert a.order.totalQuantity is b.order.totalQuantity
    assert a.order.conditions is tradeslim.EMPTY_LIST == [] and repr(b.order.algoParams) == "[]"
    ra, rb = s.orders()[:2]
    assert ra.instrument is rb.instrument
    keys = [c.key for c in COLUMNS]
    va, vb = model._raw_values(ra), model._raw_values(rb)
    for col in ("side", "type", "status", "symbol", "tif"):
        assert va[keys.index(col)] is vb[keys.index(col)], col
    assert model.rowCount() == 3


def test_shared_values_refuse_changes_and_keep_types():
    with pytest.raises(TypeError, match="tradeslim"):
        tradeslim.EMPTY_LIST.append(1)
    with pytest.raises(TypeError, match="tradeslim"):
        tradeslim.EMPTY_LIST += [1]
    assert tradeslim.EMPTY_LIST == [] and isinstance(tradeslim.EMPTY_LIST, list)
    x = float("1.25")
    assert tradeslim.shared_value(float("1.25")) is tradeslim.shared_value(x)
    neg = tradeslim.shared_value(-0.0)
    assert str(neg) == "-0.0" and str(tradeslim.shared_value(0.0)) == "0.0"
    assert tradeslim.shared_value(float("0")) is tradeslim.shared_value(float("0.0"))
    nan = float("nan")
    assert tradeslim.shared_value(nan) is nan
    assert tradeslim.shared_value(5) == 5 and type(tradeslim.shared_value(True)) is bool
