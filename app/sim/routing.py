"""Routing of exchange events to API clients, and the gateway's message log.

``dispatch_event(gateway, event)`` is called by ``SimGateway._on_event`` for every
SimExchange event. Who receives an order's events follows IB (TWS API docs "Open
Orders", "Binding TWS orders", "Master API client ID"): the placing client; the
master client id for every order; client 0 with reqAutoOpenOrders(True) for TWS
manual orders. reqAllOpenOrders is a one-time snapshot, not a subscription.
"""

from __future__ import annotations

from app.sim import encode as E
from app.sim import encode_orders as EO
from app.sim.types import FillEvent, OrderErrorEvent, OrderEvent, PortfolioEvent
from app.sim.wire import split_fields

#: Message names for the message log (ibapi ``message.IN``), by server message id.
_OUT_NAMES = {
    1: "tickPrice", 2: "tickSize", 3: "orderStatus", 4: "error", 5: "openOrder",
    6: "updateAccountValue", 7: "updatePortfolio", 8: "updateAccountTime", 9: "nextValidId",
    10: "contractDetails", 11: "execDetails", 12: "updateMktDepth", 13: "updateMktDepthL2",
    15: "managedAccounts", 17: "historicalData", 49: "currentTime", 50: "realtimeBar",
    52: "contractDetailsEnd", 53: "openOrderEnd", 54: "accountDownloadEnd",
    55: "execDetailsEnd", 57: "tickSnapshotEnd", 58: "marketDataType",
    59: "commissionReport", 61: "position", 62: "positionEnd", 63: "accountSummary",
    64: "accountSummaryEnd", 73: "accountUpdateMulti", 74: "accountUpdateMultiEnd",
    79: "symbolSamples", 80: "mktDepthExchanges", 81: "tickReqParams", 88: "headTimestamp",
    90: "historicalDataUpdate", 93: "marketRule", 94: "pnl", 95: "pnlSingle",
    96: "historicalTicks", 97: "historicalTicksBidAsk", 98: "historicalTicksLast",
    99: "tickByTick", 100: "orderBound", 101: "completedOrder", 102: "completedOrdersEnd",
}


def log_outgoing(log_fn, client_id, msg: bytes) -> None:
    """Pass one framed outgoing message to the message log as (name, fields)."""
    fields = split_fields(msg[4:])
    try:
        name = _OUT_NAMES.get(int(fields[0]), f"msg{fields[0]}") if len(fields) > 2 \
            else "handshake"
    except ValueError:
        name = "handshake"
    if fields and len(fields) == 2 and not fields[0].isdigit():
        name = "handshake"
    log_fn("->", client_id, name, fields)



def order_targets(gw, client_id: int) -> list:
    """Connections that receive the events of an order placed by ``client_id``:
    the owner; the master client id (``gw.master_client_id``) for every order;
    client 0 with reqAutoOpenOrders(True) for TWS manual orders (client id -1, or
    bound to 0). Source: IB docs "Open Orders", "Binding TWS orders", "Master
    API client ID"."""
    out: list = []
    master = getattr(gw, "master_client_id", None)
    for c in list(gw.connections):
        if not c.ready or c.closed:
            continue
        if c.client_id == client_id and gw.by_client_id.get(client_id) is c:
            out.append(c)
        elif master is not None and c.client_id == master:
            out.append(c)
        elif client_id in (-1, 0) and c.client_id == 0 and c.auto_open_orders:
            out.append(c)
    return out


def dispatch_event(gw, ev) -> None:
    """Fan one exchange event out to the connections of ``gw`` (a SimGateway).

    OrderEvent -> openOrder (not for Cancelled/ApiCancelled, as IB) + orderStatus,
    then error 202 once per cancelled order; FillEvent -> execDetails (reqId -1)
    now and commissionReport deferred to the end of the burst (``gw._deferred``);
    PortfolioEvent -> every ready connection's subscriptions; OrderErrorEvent ->
    error message for the orderId. Raises nothing it can avoid: the caller logs.
    """
    ex = gw.exchange
    if isinstance(ev, OrderEvent):
        o = ev.order
        contract = ex.contract(o.con_id)
        targets = order_targets(gw, o.client_id)
        for c in targets:
            if o.status not in ("Cancelled", "ApiCancelled"):
                c.send(EO.open_order(o, contract, ex.account_id, version=c.server_version))
            c.send(EO.order_status(o))
        if o.status in ("Cancelled", "ApiCancelled"):
            key = (o.client_id, o.order_id)
            if key not in gw._cancel_notified:
                gw._cancel_notified.add(key)
                for c in targets:
                    c.send_error(o.order_id, 202, "Order Canceled - reason:")
    elif isinstance(ev, FillEvent):
        f = ev.fill
        contract = ex.contract(f.con_id)
        for c in order_targets(gw, f.client_id):
            c.send(E.exec_details(-1, contract, f, E.ib_datetime(f.time, contract.time_zone_id),
                                  version=c.server_version))
            gw._deferred.append((c, E.commission_report(f)))
    elif isinstance(ev, PortfolioEvent):
        for c in list(gw.connections):
            if c.ready:
                c.on_portfolio(ev)
    elif isinstance(ev, OrderErrorEvent):
        if ev.code == 202:
            key = (ev.client_id, ev.order_id)
            if key in gw._cancel_notified:
                return
            gw._cancel_notified.add(key)
        for c in order_targets(gw, ev.client_id):
            c.send_error(ev.order_id, ev.code, ev.text)
