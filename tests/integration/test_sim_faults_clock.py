"""Accelerated clock (--speed), restart with persisted state (--state) and the firehose load
mode, through real ib_async clients. Assertions use simulated timestamps, never tight wall
time bounds."""

from __future__ import annotations

import asyncio
import time

import pytest
from ib_async import IB, Contract, LimitOrder, MarketOrder, Stock

from tests.integration.sim_support import arun, next_client_id, rth_start_time, wait_for

pytestmark = pytest.mark.timeout(60)
AAPL = Stock("AAPL", "SMART", "USD")


async def connected(port: int, client_id=None) -> IB:
    ib = IB()
    cid = next_client_id() if client_id is None else client_id      # 0 is a real client id
    await ib.connectAsync("127.0.0.1", port, clientId=cid, timeout=3)
    return ib


def test_speed_60_runs_the_sim_clock_and_bars_a_minute_per_second():
    from app.sim.server import GatewayThread

    start = rth_start_time()
    with GatewayThread(seed=7, start_time=start, speed=60) as g:
        async def go():
            ib = await connected(g.port)
            try:
                t_a = (await ib.reqCurrentTimeAsync()).timestamp()
                (c,) = await ib.qualifyContractsAsync(AAPL)
                bars = await ib.reqHistoricalDataAsync(c, "", "1800 S", "1 min", "TRADES", False,
                                                       keepUpToDate=True, formatDate=2)
                first = bars[-1].date.timestamp()
                await asyncio.sleep(3.0)
                t_b = (await ib.reqCurrentTimeAsync()).timestamp()
                ib.cancelHistoricalData(bars)
                return t_a, t_b, first, list(bars)
            finally:
                ib.disconnect()

        t_a, t_b, first, bars = arun(go())
    # >= 3 s of wall time at 60x: at least ~2 simulated minutes passed
    assert t_b - t_a >= 120, (t_a, t_b)
    assert start <= t_a < start + 120
    new = [b for b in bars if b.date.timestamp() > first]
    assert len(new) >= 2, "keepUpToDate should have started new 1-min bars every wall second"
    times = [b.date.timestamp() for b in bars]
    assert all(b - a == 60 for a, b in zip(times, times[1:])), "bars must be consecutive minutes"
    for b in new:
        assert b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high
        assert b.volume > 0          # sub-stepped pump: every simulated minute gets ticks


def test_speed_1200_replays_the_last_real_eurusd_hour_in_seconds(tmp_path):
    """--bars replay at --speed: the held-back real hourly bar (EURUSD.csv, last row
    O 1.23427 H 1.23444 L 1.22904 C 1.22904) is walked in a few wall seconds; the streamed
    quotes stay within it and the minute bars of the replayed hour reach its high and low.
    The test waits on the simulated market's time, not on wall time (a loaded machine runs
    fewer pump passes, each over more simulated time)."""
    from tests.conftest import SHARED_DATA, require_shared

    src = require_shared(SHARED_DATA / "EURUSD.csv")
    bars = tmp_path / "bars"
    bars.mkdir()
    (bars / "EURUSD.csv").write_text(src.read_text())
    from ib_async import Forex

    from app.sim.server import GatewayThread

    start = rth_start_time()
    with GatewayThread(seed=7, bars_dir=str(bars), start_time=start, speed=1200) as g:
        async def go():
            ib = await connected(g.port)
            try:
                (c,) = await ib.qualifyContractsAsync(Forex("EURUSD"))
                t = ib.reqMktData(c)
                mids = []
                # (simulated time, mid): after the replayed hour the market walks on by itself,
                # so only the quotes of the hour are compared with its range
                t.updateEvent += lambda tk: mids.append((g.exchange.now, (tk.bid + tk.ask) / 2))
                t_a = time.monotonic()
                while g.exchange.now < start + 3600 + 60:     # the market has passed the hour
                    await asyncio.sleep(0.1)
                wall = time.monotonic() - t_a
                hist = await ib.reqHistoricalDataAsync(c, "", "10800 S", "1 min", "MIDPOINT", False,
                                                       formatDate=2)
                return wall, [m for now, m in mids if m == m and now < start + 3600], hist
            finally:
                ib.disconnect()

        wall, mids, hist = arun(go())
    hi, lo = 1.23444, 1.22904  # the last real hour's high and low (EURUSD.csv)
    assert wall < 30, "1200x: the simulated hour must pass in seconds"
    assert mids, "quotes must stream during the replay"
    assert lo - 0.0005 <= min(mids) and max(mids) <= hi + 0.0005
    hour = [b for b in hist if start <= b.date.timestamp() < start + 3600]
    assert len(hour) == 60, [b.date for b in hour]
    assert min(b.low for b in hour) == pytest.approx(lo, abs=1e-4), "the replay must reach the bar's low"
    assert max(b.high for b in hour) == pytest.approx(hi, abs=1e-4), "and its high"


def test_speed_is_validated():
    from app.sim.clock import make_clock

    with pytest.raises(ValueError, match="speed"):
        make_clock(0.0, 0)
    with pytest.raises(ValueError, match="speed"):
        make_clock(0.0, float("nan"))


def test_restart_preserves_account_positions_gtc_orders_and_executions(tmp_path):
    from app.sim.server import GatewayThread

    state = str(tmp_path / "sim-state.sqlite")
    with GatewayThread(seed=7, start_time=rth_start_time(), state_path=state, admin_port=0) as g:
        cid = next_client_id()

        async def before():
            ib = await connected(g.port, cid)
            try:
                (c,) = await ib.qualifyContractsAsync(AAPL)
                buy = ib.placeOrder(c, MarketOrder("BUY", 7))
                assert await wait_for(lambda: buy.orderStatus.status == "Filled", 5)
                gtc = LimitOrder("BUY", 5, 1.00, tif="GTC")
                tr = ib.placeOrder(c, gtc)
                assert await wait_for(lambda: tr.orderStatus.status == "Submitted", 3)
                await asyncio.sleep(0.3)
                pos = {p.contract.conId: p.position for p in ib.positions()}[c.conId]
                cash = {v.tag: v.value for v in ib.accountValues() if v.currency == "USD"}
                return (c.conId, pos, cash["TotalCashValue"], tr.order.orderId, tr.order.permId,
                        [f.execution.execId for f in ib.fills()])
            finally:
                ib.disconnect()

        con_id, pos, cash, gtc_id, gtc_perm, exec_ids = arun(before())
        reply = g.admin_command("restart")
        assert reply.startswith("OK restarted from "), reply
        assert g.port and g.gateway.stats["restarts"] == 1

        async def after():
            ib = await connected(g.port, cid)
            try:
                await asyncio.sleep(0.3)
                pos2 = {p.contract.conId: p.position for p in ib.positions()}.get(con_id)
                cash2 = {v.tag: v.value for v in ib.accountValues()
                         if v.currency == "USD"}["TotalCashValue"]
                trades = {t.order.orderId: t for t in ib.openTrades()}
                execs = [f.execution.execId for f in await ib.reqExecutionsAsync()]
                nid = ib.client.getReqId()
                return pos2, cash2, trades, execs, nid
            finally:
                ib.disconnect()

        pos2, cash2, trades, execs, nid = arun(after())
    assert pos2 == pos
    assert float(cash2) == pytest.approx(float(cash), abs=0.01)
    assert gtc_id in trades and trades[gtc_id].order.permId == gtc_perm
    assert trades[gtc_id].order.tif == "GTC"
    assert set(exec_ids) <= set(execs)
    assert nid > gtc_id


def test_firehose_reaches_its_rate_within_a_factor_of_two():
    from app.sim.server import GatewayThread

    n, rate = 10, 400.0
    with GatewayThread(seed=7, start_time=rth_start_time(), firehose=(n, rate)) as g:
        async def go():
            ib = await connected(g.port)
            try:
                contracts = g.exchange.contracts()[:n]
                tickers = []
                for sc in contracts:
                    (c,) = await ib.qualifyContractsAsync(
                        Contract(conId=sc.con_id, exchange=sc.exchange))
                    tickers.append(ib.reqMktData(c))
                await asyncio.sleep(0.5)
                changes = [0]

                def count(ts):
                    for t in ts:
                        changes[0] += sum(1 for tk in t.ticks if tk.tickType in (1, 2, 0, 3))

                ib.pendingTickersEvent += count
                t0 = time.monotonic()
                await asyncio.sleep(2.0)
                return changes[0] / (time.monotonic() - t0), g.gateway.tick_rate()
            finally:
                ib.disconnect()

        client_rate, server_rate = arun(go())
    assert rate / 2 <= server_rate <= rate * 2, server_rate
    # a quote change is at least one bid/ask price or size tick at the client
    assert client_rate >= rate / 2, client_rate
