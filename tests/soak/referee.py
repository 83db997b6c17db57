"""The referee: an independent official ``ibapi`` client (the gateway's master client id) that
tells the gateway's truth after each fault: every client's working orders
(reqAllOpenOrders), completed orders (reqCompletedOrders), positions (reqPositions), cash
(reqAccountSummary TotalCashValue) and the day's executions (reqExecutions).

Built on :class:`tests.conformance.ibapi_driver.IbapiDriver` (reader thread, every callback
recorded); every call here blocks, so the asyncio harness runs them in an executor.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ibapi.execution import ExecutionFilter

from tests.conformance.common import num as _num

#: order types that carry a limit in lmtPrice / a trigger or trailing distance in auxPrice
#: (IB "Order Types"); a real TWS sends 0.0 for the price a type does not carry
_HAS_LIMIT = {"LMT", "STP LMT", "LOC", "LIT", "TRAIL LIMIT"}
_HAS_AUX = {"STP", "STP LMT", "MIT", "LIT", "TRAIL", "TRAIL LIMIT"}


def _prices(o) -> tuple[float | None, float | None]:
    """(lmtPrice, auxPrice) of an ibapi Order as the referee compares them: None when unset
    or when the order type carries no such price (TWS's 0.0, recorded v176 frames)."""
    lmt, aux = _num(o.lmtPrice), _num(o.auxPrice)
    if o.orderType not in _HAS_LIMIT and not lmt:
        lmt = None
    if o.orderType not in _HAS_AUX and not aux:
        aux = None
    return lmt, aux
from tests.conformance.ibapi_driver import IbapiDriver

WORKING = {"ApiPending", "PendingSubmit", "PendingCancel", "PreSubmitted", "Submitted"}


@dataclass(frozen=True)
class GwOrder:
    """One order as the gateway reports it (prices in instrument currency, sizes in shares)."""

    perm_id: int
    order_id: int | None        # None for completed orders (IB's completedOrder has none)
    client_id: int | None
    con_id: int
    action: str
    quantity: float
    limit_price: float | None
    stop_price: float | None
    status: str
    filled: float | None
    order_ref: str = ""


@dataclass
class Snapshot:
    """The gateway's state at ``t`` (monotonic)."""

    t: float
    open_orders: dict[int, GwOrder] = field(default_factory=dict)       # permId -> order
    completed: dict[int, GwOrder] = field(default_factory=dict)         # permId -> order
    positions: dict[int, tuple[float, float]] = field(default_factory=dict)  # conId -> (qty, avgCost)
    cash: dict[str, float] = field(default_factory=dict)                # currency -> TotalCashValue
    executions: dict[str, tuple[int, int, float]] = field(default_factory=dict)  # execId -> (clientId, permId, shares)

    def order(self, perm_id: int) -> GwOrder | None:
        return self.open_orders.get(perm_id) or self.completed.get(perm_id)


class RefereeError(RuntimeError):
    pass


class Referee:
    """The master-client ibapi connection; reconnects itself (``ensure``) after a fault.

    ``keys`` accumulates, over every connection, permId -> {(clientId, orderId)} from each
    openOrder / orderStatus the referee received (live as master client, or answering
    reqAllOpenOrders): two permIds for one (clientId, orderId) or a permId seen with two
    orderIds are duplicates.
    """

    def __init__(self, port: int, client_id: int = 0, timeout: float = 3.0):
        self.port = port
        self.client_id = client_id
        self.timeout = timeout
        self.driver: IbapiDriver | None = None
        self.keys: dict[int, set[tuple[int, int]]] = {}
        self._harvested = 0
        self._lock = threading.Lock()
        self.connects = 0

    # ------------------------------------------------------------------ connection
    def connected(self) -> bool:
        return self.driver is not None and self.driver.is_connected() and self.driver.crash is None

    def ensure(self, timeout: float = 15.0) -> None:
        """Connected within ``timeout`` s (a new ibapi client per attempt), else RefereeError."""
        with self._lock:
            if self.connected():
                return
            self._drop()
            end = time.monotonic() + timeout
            last = ""
            while time.monotonic() < end:
                d = IbapiDriver(timeout=self.timeout)
                try:
                    d.connect(self.port, self.client_id)
                    self.driver, self._harvested = d, 0
                    self.connects += 1
                    return
                except Exception as e:  # refused, closed during pause-accept, 326 ...
                    last = f"{type(e).__name__}: {e}"
                    try:
                        d.disconnect(wait=False)
                    except Exception:
                        pass
                time.sleep(0.1)
            raise RefereeError(f"referee could not connect to port {self.port}: {last}")

    def _drop(self) -> None:
        if self.driver is not None:
            self._harvest()
            try:
                self.driver.disconnect(wait=False)
            except Exception:
                pass
            self.driver = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    # ------------------------------------------------------------------ requests
    def _slice(self, send, end_name: str, timeout: float | None = None, **match) -> list:
        d = self.driver
        if d is None:
            raise RefereeError("referee not connected")
        with d.app.cond:
            start = len(d.app.log)
        send()

        def ended() -> bool:
            return any(e.name == end_name and all(e.args.get(k) == v for k, v in match.items())
                       for e in d.app.log[start:])
        if not d.wait(ended, timeout or self.timeout):
            raise RefereeError(f"referee: no {end_name} within {timeout or self.timeout} s")
        with d.app.cond:
            part = d.app.log[start:]
        for i, e in enumerate(part):
            if e.name == end_name and all(e.args.get(k) == v for k, v in match.items()):
                return part[:i]
        return part

    def _harvest(self) -> None:
        """permId -> (clientId, orderId) from every openOrder/orderStatus received so far."""
        d = self.driver
        if d is None:
            return
        with d.app.cond:
            new = d.app.log[self._harvested:]
            self._harvested = len(d.app.log)
        for e in new:
            if e.name == "openOrder":
                o = e["order"]
                perm, cid, oid = int(o.permId or 0), int(o.clientId), int(e["orderId"])
            elif e.name == "orderStatus":
                perm, cid, oid = int(e["permId"] or 0), int(e["clientId"]), int(e["orderId"])
            else:
                continue
            if perm:
                self.keys.setdefault(perm, set()).add((cid, oid))

    def snapshot(self) -> Snapshot:
        """Every view of the gateway's truth, in one go (RefereeError on a lost link)."""
        with self._lock:
            if not self.connected():
                raise RefereeError("referee not connected")
            d = self.driver
            snap = Snapshot(time.monotonic())
            part = self._slice(d.app.reqAllOpenOrders, "openOrderEnd")
            status_of: dict[int, dict] = {}
            for e in part:
                if e.name == "orderStatus":
                    status_of[int(e["permId"] or 0)] = e.args
            for e in part:
                if e.name != "openOrder":
                    continue
                o, c, st = e["order"], e["contract"], e["orderState"]
                perm = int(o.permId or 0)
                s = status_of.get(perm, {})
                status = s.get("status") or st.status
                if status not in WORKING:
                    continue
                snap.open_orders[perm] = GwOrder(
                    perm, int(e["orderId"]), int(o.clientId), int(c.conId), o.action,
                    float(o.totalQuantity), *_prices(o), status,
                    _num(s.get("filled")) if s else _num(o.filledQuantity), o.orderRef or "")
            part = self._slice(lambda: d.app.reqCompletedOrders(False), "completedOrdersEnd")
            for e in part:
                if e.name != "completedOrder":
                    continue
                o, c, st = e["order"], e["contract"], e["orderState"]
                perm = int(o.permId or 0)
                snap.completed[perm] = GwOrder(
                    perm, None, None, int(c.conId), o.action, float(o.totalQuantity),
                    *_prices(o), st.status, _num(o.filledQuantity),
                    o.orderRef or "")
            part = self._slice(d.app.reqPositions, "positionEnd")
            d.app.cancelPositions()
            for e in part:
                if e.name == "position":
                    q = float(e["position"])
                    if q:
                        snap.positions[int(e["contract"].conId)] = (q, float(e["avgCost"]))
                    else:
                        snap.positions.pop(int(e["contract"].conId), None)
            rid = d._rid()
            part = self._slice(lambda: d.app.reqAccountSummary(rid, "All", "TotalCashValue"),
                               "accountSummaryEnd", reqId=rid)
            d.app.cancelAccountSummary(rid)
            for e in part:
                if e.name == "accountSummary" and e["reqId"] == rid and e["tag"] == "TotalCashValue":
                    v = _num(e["value"])
                    if v is not None:
                        snap.cash[e["currency"] or "BASE"] = v
            rid = d._rid()
            part = self._slice(lambda: d.app.reqExecutions(rid, ExecutionFilter()),
                               "execDetailsEnd", reqId=rid)
            for e in part:
                if e.name == "execDetails" and e["reqId"] == rid:
                    x = e["execution"]
                    snap.executions[x.execId] = (int(x.clientId), int(x.permId), float(x.shares))
            self._harvest()
            return snap

    def global_cancel(self) -> None:
        """reqGlobalCancel (every client's working orders)."""
        from ibapi.order_cancel import OrderCancel

        with self._lock:
            if not self.connected():
                raise RefereeError("referee not connected")
            self.driver.app.reqGlobalCancel(OrderCancel())
