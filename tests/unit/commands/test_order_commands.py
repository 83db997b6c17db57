"""Command layer rules (app/commands): each rule has a case that must be refused
and a case that passes. The session is a small fake following the Session contract."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.commands import (
    CancelOrder,
    CommandRejected,
    CommandResult,
    ModifyOrder,
    OrderCommands,
    PlaceOrder,
)
from app.domain import (
    Action,
    Instrument,
    OrderRecord,
    OrderRequest,
    OrderStatus,
    OrderType,
)

AAPL = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL", "Apple Inc")
EURUSD = Instrument("EUR", "CASH", "IDEALPRO", "USD", "", 12087792, 0.00005, "EUR.USD")
T0 = datetime(2026, 1, 23, 15, 30, tzinfo=timezone.utc)


def rec(order_id=12, client_id=1, status=OrderStatus.SUBMITTED, order_type=OrderType.LMT,
        qty=100.0, lmt=150.0, stp=None, filled=0.0, inst=AAPL) -> OrderRecord:
    return OrderRecord(order_id, 9000 + order_id, client_id, inst, Action.BUY, qty, order_type,
                       lmt, stp, "DAY", status, filled, qty - filled, created=T0, updated=T0)


class FakeSession:
    """Records calls; keeps orders keyed by (clientId, orderId) like Session."""

    def __init__(self, client_id=1, connected=True):
        self.client_id = client_id
        self.is_connected = connected
        self.records: dict[tuple[int, int], OrderRecord] = {}
        self.calls: list[tuple] = []
        self.next_id = 100
        self.fail_with: Exception | None = None

    def add(self, r: OrderRecord) -> OrderRecord:
        self.records[(r.client_id, r.order_id)] = r
        return r

    def orders(self):
        return list(self.records.values())

    def order(self, order_id, client_id=None):
        return self.records.get((self.client_id if client_id is None else client_id, order_id))

    def place_order(self, req):
        if self.fail_with:
            raise self.fail_with
        self.calls.append(("place", req))
        self.next_id += 1
        return self.add(OrderRecord(self.next_id, 0, self.client_id, req.instrument, req.action,
                                    req.quantity, req.order_type, req.limit_price, req.stop_price,
                                    req.tif.value, OrderStatus.PENDING_SUBMIT, 0, req.quantity))

    def modify_order(self, order_id, quantity, limit_price, stop_price):
        self.calls.append(("modify", order_id, quantity, limit_price, stop_price))
        r = self.order(order_id)
        return self.add(r.copy(quantity=quantity if quantity is not None else r.quantity,
                               limit_price=limit_price if limit_price is not None else r.limit_price))

    def cancel_order(self, order_id):
        self.calls.append(("cancel", order_id))
        return self.add(self.order(order_id).copy(status=OrderStatus.PENDING_CANCEL))


@pytest.fixture
def s():
    return FakeSession()


@pytest.fixture
def cmds(s):
    return OrderCommands(s)


def lmt(price=150.0, qty=100, inst=AAPL):
    return OrderRequest(inst, Action.BUY, qty, OrderType.LMT, limit_price=price)


def refused(cmds, cmd, *fragments):
    with pytest.raises(CommandRejected) as ei:
        cmds.check(cmd)
    res = cmds.execute(cmd)
    assert isinstance(res, CommandResult) and not res.ok
    assert res.message == ei.value.reason
    for f in fragments:
        assert f in res.message, res.message
    return res


# ---------------------------------------------------------------- place

def test_place_passes_and_calls_session(cmds, s):
    cmds.check(PlaceOrder(lmt()))
    res = cmds.execute(PlaceOrder(lmt()))
    assert res.ok and res.order.order_id == 101 and res.order.status is OrderStatus.PENDING_SUBMIT
    assert "Placed order 101: BUY 100 AAPL LMT 150.00 DAY" == res.message
    assert s.calls == [("place", lmt())]


@pytest.mark.parametrize("req, fragment", [
    (lmt(qty=0), "Quantity must be positive"),
    (lmt(qty=10.5), "whole shares"),
    (lmt(price=150.001), "not a multiple of the tick size"),
    (OrderRequest(AAPL, Action.BUY, 1, OrderType.LMT), "Limit price is required"),
    (OrderRequest(AAPL, Action.BUY, 1, OrderType.MKT, limit_price=1.0), "takes no limit price"),
    (OrderRequest(AAPL, Action.SELL, 1, OrderType.STP), "Stop price is required"),
])
def test_place_invalid_request_refused_without_sending(cmds, s, req, fragment):
    refused(cmds, PlaceOrder(req), "Cannot place order", fragment)
    assert s.calls == []


def test_place_refused_when_not_connected(cmds, s):
    s.is_connected = False
    refused(cmds, PlaceOrder(lmt()), "not connected")
    assert s.calls == []


def test_place_refused_in_read_only_mode(s):
    c = OrderCommands(s, read_only=True)
    refused(c, PlaceOrder(lmt()), "read-only")
    c.read_only = False
    assert c.execute(PlaceOrder(lmt())).ok


def test_session_failure_becomes_result_not_exception(cmds, s):
    s.fail_with = ConnectionError("Cannot place BUY 100 AAPL: not connected to 127.0.0.1:4002")
    res = cmds.execute(PlaceOrder(lmt()))
    assert not res.ok and "not connected" in res.message


# ---------------------------------------------------------------- modify

def test_modify_passes(cmds, s):
    s.add(rec())
    res = cmds.execute(ModifyOrder(12, limit_price=151.0))
    assert res.ok and res.order.limit_price == 151.0
    assert s.calls == [("modify", 12, None, 151.0, None)]


def test_modify_unknown_order_refused(cmds, s):
    res = refused(cmds, ModifyOrder(99, limit_price=1.0), "Cannot modify order 99: no such order in this session")
    assert res.order is None and s.calls == []


def test_modify_other_clients_order_refused(cmds, s):
    s.add(rec(order_id=12, client_id=3))
    refused(cmds, ModifyOrder(12, limit_price=151.0), "placed by client id 3", "client id 1")


@pytest.mark.parametrize("status", [OrderStatus.FILLED, OrderStatus.CANCELLED,
                                    OrderStatus.API_CANCELLED, OrderStatus.INACTIVE])
def test_modify_finished_order_refused(cmds, s, status):
    s.add(rec(status=status))
    res = refused(cmds, ModifyOrder(12, limit_price=151.0), f"Cannot modify order 12: it is {status.value}")
    assert res.order.order_id == 12 and s.calls == []


def test_modify_with_cancel_pending_refused(cmds, s):
    s.add(rec(status=OrderStatus.PENDING_CANCEL))
    refused(cmds, ModifyOrder(12, limit_price=151.0), "a cancel is already pending")


def test_modify_after_cancel_sent_refused_even_before_status_changes(cmds, s):
    s.add(rec())
    assert cmds.execute(CancelOrder(12)).ok
    s.add(rec())  # gateway has not answered yet: status still Submitted
    refused(cmds, ModifyOrder(12, limit_price=151.0), "a cancel is already pending")


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(quantity=0), "quantity must be positive"),
    (dict(quantity=-5), "quantity must be positive"),
    (dict(quantity=10.5), "whole shares"),
    (dict(quantity=float("nan")), "quantity must be a number"),
    (dict(quantity=30), "below the 40 already filled"),
    (dict(limit_price=151.005), "not a multiple of the tick size 0.01"),
    (dict(limit_price=-1.0), "limit price must be positive"),
    (dict(stop_price=140.0), "a LMT order has no stop price"),
    (dict(), "nothing changes"),
    (dict(quantity=100, limit_price=150.0), "nothing changes"),
])
def test_modify_invalid_values_refused(cmds, s, kwargs, fragment):
    s.add(rec(filled=40.0, status=OrderStatus.SUBMITTED))
    refused(cmds, ModifyOrder(12, **kwargs), "Cannot modify order 12", fragment)
    assert s.calls == []


def test_modify_quantity_down_to_filled_passes(cmds, s):
    s.add(rec(filled=40.0))
    assert cmds.execute(ModifyOrder(12, quantity=40)).ok


def test_modify_mkt_order_has_no_prices(cmds, s):
    s.add(rec(order_type=OrderType.MKT, lmt=None))
    refused(cmds, ModifyOrder(12, limit_price=150.0), "a MKT order has no limit price")


def test_modify_stop_limit_both_prices_pass(cmds, s):
    s.add(rec(order_type=OrderType.STP_LMT, lmt=150.0, stp=149.0))
    cmds.check(ModifyOrder(12, limit_price=151.0, stop_price=150.5))


def test_modify_fx_uses_fx_tick(cmds, s):
    s.add(rec(inst=EURUSD, qty=20000, lmt=1.1))
    cmds.check(ModifyOrder(12, limit_price=1.10005, quantity=25000.5 - 0.5))
    refused(cmds, ModifyOrder(12, limit_price=1.10001), "tick size 0.00005 (nearest: 1.1)")


def test_modify_refused_when_not_connected_or_read_only(cmds, s):
    s.add(rec())
    s.is_connected = False
    refused(cmds, ModifyOrder(12, limit_price=151.0), "not connected")
    s.is_connected = True
    cmds.read_only = True
    refused(cmds, ModifyOrder(12, limit_price=151.0), "read-only")


@pytest.mark.parametrize("bad", [0, -1, True, "12"])
def test_modify_bad_order_id_refused(cmds, bad):
    refused(cmds, ModifyOrder(bad, limit_price=1.0), "orderId is a positive whole number")


# ---------------------------------------------------------------- cancel

def test_cancel_passes_then_second_cancel_refused(cmds, s):
    s.add(rec())
    res = cmds.execute(CancelOrder(12))
    assert res.ok and res.message == "Cancel sent for order 12"
    assert res.order.status is OrderStatus.PENDING_CANCEL
    refused(cmds, CancelOrder(12), "Cannot cancel order 12: a cancel is already pending")
    assert s.calls == [("cancel", 12)]


def test_cancel_unknown_order_refused(cmds):
    refused(cmds, CancelOrder(99), "Cannot cancel order 99: no such order in this session")


def test_cancel_other_client_refused(cmds, s):
    s.add(rec(client_id=0))
    refused(cmds, CancelOrder(12), "placed by client id 0")


def test_cancel_filled_refused(cmds, s):
    s.add(rec(status=OrderStatus.FILLED, filled=100.0))
    refused(cmds, CancelOrder(12), "Cannot cancel order 12: it is Filled")


def test_cancel_refused_when_not_connected(cmds, s):
    s.add(rec())
    s.is_connected = False
    refused(cmds, CancelOrder(12), "not connected")
    assert s.calls == []


def test_unknown_command_refused(cmds):
    refused(cmds, object(), "Unknown command")
