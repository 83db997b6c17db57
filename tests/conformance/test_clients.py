"""Client-id semantics (IB "Open Orders", "Binding TWS orders", "Master API client ID"):
the master client id sees every client's orders; client 0 with reqAutoOpenOrders(True)
binds orders entered in TWS (here: ``SimExchange.place_manual``, what the admin interface uses)."""

from __future__ import annotations

import pytest

from tests.conformance.conftest import CLIENTS, Market, make_driver, next_client_id, rth_start_time
from tests.conformance.scenarios import q, stk

pytestmark = pytest.mark.timeout(60)
MASTER = 77


@pytest.fixture(scope="module")
def master_gw():
    from app.sim.server import GatewayThread

    g = GatewayThread(seed=7, start_time=rth_start_time(), master_client_id=MASTER)
    yield g
    g.stop()


@pytest.mark.parametrize("master_kind", CLIENTS)
@pytest.mark.parametrize("placer_kind", CLIENTS)
def test_master_client_sees_all_orders(master_gw, master_kind, placer_kind):
    market = Market(master_gw)
    con = master_gw.exchange.lookup(symbol="AAPL", sec_type="STK")[0].con_id
    market.set_quote(con, **q(100.00, 100.02))
    master, placer = make_driver(master_kind), make_driver(placer_kind)
    master.connect(master_gw.port, MASTER)
    placer.connect(master_gw.port, next_client_id())
    try:
        oid = placer.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 1, "orderType": "LMT", "lmtPrice": 90.0})
        assert placer.wait_status(oid, "Submitted")
        perm = placer.order_state(oid)["permId"]
        assert master.wait(lambda: any(e.args.get("orderId") == oid for e in master.events("orderStatus")))
        assert any(o["permId"] == perm and o["clientId"] == placer.client_id
                   for o in master.open_orders(all_clients=True))
        placer.cancel(oid)
        assert placer.wait_status(oid, "Cancelled")
        assert master.wait(lambda: any(e.args.get("orderId") == oid and e.args.get("status") == "Cancelled"
                                       for e in master.events("orderStatus")))
    finally:
        master.disconnect()
        placer.disconnect()
        _wait_released(master_gw, MASTER)


def _wait_released(gw, client_id: int) -> None:
    """Wait until the gateway has released ``client_id`` (the next test reuses it)."""
    import time

    end = time.monotonic() + 2
    while client_id in gw.gateway.by_client_id and time.monotonic() < end:
        time.sleep(0.02)


@pytest.mark.parametrize("kind", CLIENTS)
def test_client0_auto_binds_manual_orders(master_gw, kind):
    from app.sim.types import OrderTicket

    market = Market(master_gw)
    con = master_gw.exchange.lookup(symbol="MSFT", sec_type="STK")[0].con_id
    market.set_quote(con, **q(100.00, 100.02))
    d = make_driver(kind)
    d.connect(master_gw.port, 0)
    try:
        if kind == "ibapi":
            d.app.reqAutoOpenOrders(True)
        d.wait(lambda: False, 0.3)
        ticket = OrderTicket(action="BUY", total_qty=3, order_type="LMT", lmt_price=91.0)
        manual = market.run(master_gw.exchange.place_manual, con, ticket, market.now())
        assert d.wait(lambda: any(e.args.get("status") in ("Submitted", "PreSubmitted")
                                  for e in d.events("orderStatus")
                                  if e.args.get("orderId") == manual.order_id)), d.events("orderStatus")
        assert manual.order_id < 0          # IB "Binding TWS orders": bound TWS orders get negative ids
        assert any(e.args.get("orderId") == manual.order_id for e in d.events("openOrder"))
        d.cancel(manual.order_id)
        assert d.wait_status(manual.order_id, "Cancelled")
    finally:
        d.disconnect()
        _wait_released(master_gw, 0)
