"""Gateway restart with state (``GatewayThread(state_path=...)``, SQLite): what every client sees
after reconnecting to a restarted gateway: the working GTC order (same orderId and permId),
positions, and the executions of the previous run."""

from __future__ import annotations

import pytest

from tests.conformance.conftest import CLIENTS, Market, make_driver, rth_start_time
from tests.conformance.scenarios import q, stk

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("kind", CLIENTS)
def test_restart_preserves_gtc_positions_executions(tmp_path, kind):
    from app.sim.server import GatewayThread

    state = str(tmp_path / "sim_state.sqlite")
    client_id = 41
    gw = GatewayThread(seed=7, start_time=rth_start_time(), state_path=state)
    d = make_driver(kind)
    try:
        d.connect(gw.port, client_id)
        market = Market(gw)
        con = gw.exchange.lookup(symbol="AAPL", sec_type="STK")[0].con_id
        market.set_quote(con, **q(100.00, 100.02))
        filled = d.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 12, "orderType": "MKT"})
        assert d.wait_status(filled, "Filled")
        assert d.wait(lambda: all(x["commission"] for x in d.executions(filled)) and d.executions(filled))
        exec_ids = {x["execId"] for x in d.executions(filled)}
        gtc = d.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 5, "orderType": "LMT", "lmtPrice": 80.0,
                                    "tif": "GTC"})
        day = d.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 5, "orderType": "LMT", "lmtPrice": 80.0,
                                    "tif": "DAY"})
        assert d.wait_status(gtc, "Submitted") and d.wait_status(day, "Submitted")
        gtc_perm = d.order_state(gtc)["permId"]
        positions = d.positions()
    finally:
        d.disconnect()
        gw.stop()

    gw2 = GatewayThread(seed=7, start_time=rth_start_time(), state_path=state)
    d2 = make_driver(kind)
    try:
        d2.connect(gw2.port, client_id)
        orders = {o["permId"]: o for o in d2.open_orders()}
        assert gtc_perm in orders and orders[gtc_perm]["orderId"] == gtc
        assert d2.positions()[con][0] == positions[con][0]
        assert exec_ids <= {x["execId"] for x in d2.req_executions()}
        nxt = d2.next_order_id()
        assert nxt > max(gtc, day)                       # ids of the previous run are not reused
    finally:
        d2.disconnect()
        gw2.stop()
