"""Time & sales through the real ib_async client over a socket to the simulated gateway:
tick-by-tick AllLast prints of AAPL arrive as ``TradePrint`` batches with the gateway's trade
time (UTC), counted subscriptions send one request, and the prints come back after a
reconnect by the supervisor; the panel's view-model fills from the same Session."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from app.broker.supervisor import ConnectionSupervisor
from app.domain import ConnectionState, TradePrint
from tests.integration.sim_support import arun, gateway_fixture, rth_start_time, sim_session, until

pytestmark = pytest.mark.timeout(90)

gateway = gateway_fixture(seed=5)


def test_aapl_prints_arrive_with_trade_times_and_counted_subscriptions(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        try:
            aapl = await s.resolve("AAPL")
            batches: list[list[TradePrint]] = []
            s.tradePrintEvent += batches.append
            s.subscribe_trade_prints(aapl)
            s.subscribe_trade_prints(aapl)          # a second subscriber: no second request
            await until(lambda: sum(map(len, batches)) >= 5, 10, "five AAPL prints")
            prints = [p for b in batches for p in b]
            assert all(p.key == aapl.key for p in prints)
            assert all(p.price > 0 and p.size > 0 and p.exchange for p in prints)
            # the gateway's clock runs from rth_start_time(): days before the arrival time
            start = datetime.fromtimestamp(rth_start_time(), timezone.utc)
            for p in prints:
                assert p.time.tzinfo is not None and p.time.microsecond == 0   # IB's whole seconds
                assert start - timedelta(minutes=1) <= p.time <= start + timedelta(hours=1), p.time
            assert len(s.ib.wrapper.ticker2ReqId["AllLast"]) == 1
            s.unsubscribe_trade_prints(aapl)
            assert s.trade_print_subscriptions()
            s.unsubscribe_trade_prints(aapl)
            assert not s.trade_print_subscriptions()
            assert not s.ib.wrapper.ticker2ReqId["AllLast"]
            await asyncio.sleep(0.5)
            batches.clear()
            await asyncio.sleep(1.0)
            assert not batches, "prints after the last unsubscribe"
        finally:
            s.disconnect()
    arun(go(), 40)


def test_prints_come_back_after_a_reconnect(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        sup = ConnectionSupervisor(s, first_delay=0.2, fast_delay=0.3, max_delay=2.0, jitter=0.0,
                                   heartbeat_interval=0.5, heartbeat_timeout=2.0)
        sup.start()
        try:
            aapl = await s.resolve("AAPL")
            batches: list[list[TradePrint]] = []
            s.tradePrintEvent += batches.append
            s.subscribe_trade_prints(aapl)
            await until(lambda: batches, 10, "prints")
            s.ib.client.conn.disconnect()
            await until(lambda: s.state in (ConnectionState.LOST, ConnectionState.RECONNECTING), 5, "lost")
            await until(lambda: s.state is ConnectionState.CONNECTED, 10, "reconnected")
            batches.clear()
            await until(lambda: batches, 10, "prints after the reconnect")
        finally:
            sup.close()
            s.disconnect()
    arun(go(), 40)


def test_the_panel_model_fills_from_the_session_with_classified_prints(gateway, qapp):
    from app.viewmodels.timesales import PrintSide, TimeSalesModel

    async def go():
        s = sim_session(gateway)
        await s.connect()
        m = TimeSalesModel(s)
        try:
            aapl = await s.resolve("AAPL")
            m.set_instrument(aapl)
            await until(lambda: m.collected() >= 10, 10, "ten prints in the model")
            m.flush_now()
            assert m.rowCount() >= 10
            assert m.row(0).trade.time >= m.row(m.rowCount() - 1).trade.time
            sides = {m.row(i).side for i in range(m.rowCount())}
            assert sides - {PrintSide.UNKNOWN}, f"no print classified against a quote: {sides}"
            m.set_instrument(None)
            assert not s.trade_print_subscriptions()
        finally:
            m.close()
            s.disconnect()
    arun(go(), 40)
