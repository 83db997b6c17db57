"""Live P&L (IB reqPnL / reqPnLSingle) through the real ib_async client over a socket to
the simulated gateway: subscribed when a position appears, updated while the price moves
(about once a second, as TWS), cancelled when the position goes flat, subscribed again
after a reconnect by the supervisor."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.broker.supervisor import ConnectionSupervisor
from app.domain import Action, ConnectionState, OrderRequest, OrderStatus, OrderType
from tests.integration.sim_support import arun, gateway_fixture, sim_session, until

pytestmark = pytest.mark.timeout(90)

gateway = gateway_fixture(seed=3)


async def _buy(s, inst, qty):
    rec = s.place_order(OrderRequest(inst, Action.BUY if qty > 0 else Action.SELL, abs(qty), OrderType.MKT))
    await until(lambda: s.order(rec.order_id).status is OrderStatus.FILLED, 8, "filled")


def test_position_pnl_follows_the_price_about_once_a_second_and_stops_when_flat(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        try:
            aapl = await s.resolve("AAPL")
            singles, accounts = [], []
            s.positionPnlEvent += lambda p: singles.append((time.monotonic(), p))
            s.pnlEvent += accounts.append
            await until(lambda: s.account_pnl() is not None, 5, "reqPnL of the account answered at connect")
            await _buy(s, aapl, 100)
            mine = lambda: [p for _, p in singles if p.con_id == aapl.con_id]  # noqa: E731
            await until(lambda: any(p.position == 100 for p in mine()), 5, "reqPnLSingle for the new position")
            start = len(mine())
            await asyncio.sleep(6.0)
            seen = [(t, p) for t, p in singles if p.con_id == aapl.con_id][start:]
            marks = {p.mark for _, p in seen}
            assert len(marks) >= 2, f"P&L did not follow the price: {seen}"
            # IB sends PnL about once a second, not with every tick
            assert len(seen) <= 7, f"{len(seen)} PnL updates in 6 s"
            last = seen[-1][1]
            pos = next(p for p in s.positions() if p.instrument.con_id == aapl.con_id)
            assert last.unrealized == pytest.approx((last.mark - pos.avg_cost) * 100, abs=0.02)
            assert last.daily is not None and last.account == s.account_id
            assert s.account_pnl() is not None and s.account_pnl().unrealized is not None
            assert s.ib.pnlSingle(s.account_id, "", aapl.con_id)
            await _buy(s, aapl, -100)
            await until(lambda: not any(p.instrument.con_id == aapl.con_id for p in s.positions()), 5, "flat")
            assert not s.ib.pnlSingle(s.account_id, "", aapl.con_id), "reqPnLSingle not cancelled when flat"
        finally:
            s.disconnect()
    arun(go(), 40)


def test_pnl_subscriptions_come_back_after_a_reconnect(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        sup = ConnectionSupervisor(s, first_delay=0.2, fast_delay=0.3, max_delay=2.0, jitter=0.0,
                                   heartbeat_interval=0.5, heartbeat_timeout=2.0)
        sup.start()
        try:
            msft = await s.resolve("MSFT")
            await _buy(s, msft, 10)
            singles, accounts = [], []
            s.positionPnlEvent += singles.append
            s.pnlEvent += accounts.append
            await until(lambda: any(p.con_id == msft.con_id for p in singles), 5, "PnL single")
            s.ib.client.conn.disconnect()            # the socket drops; the supervisor reconnects
            await until(lambda: s.state is ConnectionState.LOST or s.state is ConnectionState.RECONNECTING,
                        5, "lost")
            await until(lambda: s.state is ConnectionState.CONNECTED, 10, "reconnected")
            singles.clear()
            accounts.clear()
            await until(lambda: any(p.con_id == msft.con_id and p.position == 10 for p in singles), 5,
                        "reqPnLSingle again after the reconnect")
            await until(lambda: accounts, 5, "reqPnL again after the reconnect")
            await _buy(s, msft, -10)
        finally:
            sup.close()
            s.disconnect()
    arun(go(), 40)
