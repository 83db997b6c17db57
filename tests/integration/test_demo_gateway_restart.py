"""Demo mode: a simulated gateway child that dies (kill -9) is started again on the same
port from its state file, and the terminal's supervisor reconnects to it with its orders."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from app.application import keep_gateway_alive
from app.broker.session import Session
from app.broker.supervisor import ConnectionSupervisor
from app.domain import Action, OrderRequest, OrderStatus, OrderType
from app.simlauncher import SimulatedGatewayProcess
from tests.integration.sim_support import arun, next_client_id, rth_start_time, until

pytestmark = pytest.mark.timeout(120)


def test_killed_demo_gateway_comes_back_and_the_terminal_reconnects(tmp_path):
    gw = SimulatedGatewayProcess(seed=7, start_time=rth_start_time(), state_path=tmp_path / "s.sqlite")
    port = gw.start()
    said = []

    async def go():
        s = Session("127.0.0.1", port, next_client_id(), connect_timeout=5)
        await s.connect()
        sup = ConnectionSupervisor(s, first_delay=0.2, fast_delay=0.3)
        sup.start()
        dog = asyncio.ensure_future(keep_gateway_alive(gw, lambda lvl, text: said.append(text),
                                                       interval=0.2))
        try:
            inst = await s.resolve("AAPL")
            rec = s.place_order(OrderRequest(inst, Action.BUY, 3, OrderType.LMT, limit_price=1.0))
            await until(lambda: s.order(rec.order_id).status is OrderStatus.SUBMITTED, 5, "working")
            os.kill(gw.proc.pid, signal.SIGKILL)
            await until(lambda: not s.is_connected, 5, "lost")
            await until(lambda: s.is_connected, 30, "reconnected to the restarted gateway")
            assert gw.port == port and gw.restarts == 1
            assert "--start-time" not in gw.command()      # the clock continues from the state
            await until(lambda: s.order(rec.order_id).status is OrderStatus.SUBMITTED, 5, "order back")
            assert any("exited" in t for t in said) and any("back on port" in t for t in said)
        finally:
            dog.cancel()
            sup.close()
            s.disconnect()

    try:
        arun(go(), 60)
    finally:
        gw.stop()
