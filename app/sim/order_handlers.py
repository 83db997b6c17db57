"""Order requests of one API client: placeOrder (incl. whatIf), cancelOrder,
reqGlobalCancel, open/all-open/auto-open orders, completed orders, executions.

A mixin of :class:`app.sim.connection.ClientConnection` (uses ``self.ex``,
``self.gw``, ``self.send``, ``self._resolve``). Rules: IB TWS API docs "Placing
Orders", "Open Orders", "Binding TWS orders", "Executions and Commissions";
whatIf answers carry the OrderState margin/commission block and no orderStatus.
"""

from __future__ import annotations

from app.sim import encode as E
from app.sim import encode_market as M
from app.sim import encode_orders as EO
from app.sim.types import SimError, SimOrder

_ACTION_OF_SIDE = {"BOT": "BUY", "SLD": "SELL"}


class OrderHandlers:
    """``on_<request>`` handlers for orders (mixin)."""

    def on_placeOrder(self, req) -> None:
        oid = req.req_id
        if oid <= 0:
            raise SimError(103, f"Duplicate order id: invalid orderId {oid}")
        if not req.contract.exchange.strip():
            # TWS validates the order before it looks the contract up: no exchange is 321,
            # whatever the symbol (recorded v176 session, request 3_220), never 200
            raise SimError(321, "Error validating request.-'bN' : cause - Missing order "
                                "exchange.")
        c = self._resolve(req.contract)
        self.gw.note_order_id(self.client_id, oid)
        if req.params.get("whatIf"):
            # IB answers a whatIf order with one openOrder carrying the OrderState margin
            # and commission impact; no orderStatus, no order is created.
            state = self.ex.what_if(self.client_id, oid, c.con_id, req.ticket,
                                    self.gw.clock())
            o = SimOrder(oid, self.client_id, 0, c.con_id, req.ticket,
                         status=getattr(state, "status", "PreSubmitted") or "PreSubmitted",
                         remaining=req.ticket.total_qty)
            self.send(EO.open_order(o, c, self.ex.account_id, state, version=self.server_version))
            return
        self.gw.call_exchange(self.ex.place, self.client_id, oid, c.con_id, req.ticket,
                              self.gw.clock())

    def on_cancelOrder(self, req) -> None:
        self.gw.call_exchange(self.ex.cancel, self.client_id, req.req_id, self.gw.clock())

    def on_reqGlobalCancel(self, req) -> None:
        self.gw.call_exchange(self.ex.global_cancel, self.gw.clock())

    def _send_open_orders(self, orders) -> None:
        acct = self.ex.account_id
        for o in orders:
            self.send(EO.open_order(o, self.ex.contract(o.con_id), acct,
                                    version=self.server_version))
            self.send(EO.order_status(o))
        self.send(EO.open_order_end())

    def _is_master(self) -> bool:
        master = getattr(self.gw, "master_client_id", None)
        return master is not None and self.client_id == master

    def on_reqOpenOrders(self, req) -> None:
        """Own working orders; client 0 also gets TWS (manual) orders, the master client
        id every client's (IB docs "Open Orders")."""
        if self._is_master():
            orders = self.ex.orders(None, working_only=True)
        elif self.client_id == 0:
            orders = [o for o in self.ex.orders(None, working_only=True)
                      if o.client_id in (0, -1)]
        else:
            orders = self.ex.orders(self.client_id, working_only=True)
        self._send_open_orders(orders)

    def on_reqAllOpenOrders(self, req) -> None:
        """Every client's working orders, once (IB: not a subscription)."""
        self._send_open_orders(self.ex.orders(None, working_only=True))

    def on_reqAutoOpenOrders(self, req) -> None:
        """Client 0 only: with autoBind, TWS manual orders are bound to this client
        (orderBound + openOrder/orderStatus) and future ones are delivered to it
        (IB docs "Binding TWS orders"; error 321 for another client id)."""
        if self.client_id != 0:
            self.send_error(-1, 321,
                              "Error validating request: reqAutoOpenOrders is only valid "
                              "for client id 0")
            return
        self.auto_open_orders = req.params["autoBind"]
        if self.auto_open_orders and hasattr(self.ex, "bind_manual_orders"):
            acct = self.ex.account_id
            for o in self.ex.bind_manual_orders(0):
                self.send(M.order_bound(o.perm_id, 0, o.order_id))
                self.send(EO.open_order(o, self.ex.contract(o.con_id), acct,
                                        version=self.server_version))
                self.send(EO.order_status(o))

    def on_reqCompletedOrders(self, req) -> None:
        acct = self.ex.account_id
        for o in self.ex.completed_orders():
            c = self.ex.contract(o.con_id)
            self.send(EO.completed_order(o, c, acct, E.ib_datetime(o.created, c.time_zone_id),
                                         version=self.server_version))
        self.send(EO.completed_orders_end())

    def on_reqExecutions(self, req) -> None:
        p = req.params
        fills = self.ex.executions(None if self.client_id == 0 else self.client_id)
        for f in fills:
            c = self.ex.contract(f.con_id)
            if p["symbol"] and p["symbol"].upper() != c.symbol.upper():
                continue
            if p["secType"] and p["secType"].upper() != c.sec_type:
                continue
            if p["side"] and p["side"].upper() not in (f.side, _ACTION_OF_SIDE.get(f.side)):
                continue
            self.send(E.exec_details(req.req_id, c, f, E.ib_datetime(f.time, c.time_zone_id),
                                     version=self.server_version))
            self.send(E.commission_report(f))
        self.send(E.exec_details_end(req.req_id))
