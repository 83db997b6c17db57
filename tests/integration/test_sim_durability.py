"""``kill -9`` of ``python -m app.sim --state F`` mid-trading, ten times: nothing a client saw is
lost, a cancelled order stays cancelled, permIds and execIds are never issued twice.

Each cycle starts the gateway from the same state file, checks everything the client had
seen before the previous kill against what the restarted gateway reports (open orders,
completed orders, executions, position), trades (a market order that fills, a GTC limit
that works, a limit that is cancelled), sends a burst of orders and a cancel, and kills the
process with SIGKILL a few milliseconds later, while those are in flight. What the client
received before the socket died counts as acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ib_async import IB, LimitOrder, MarketOrder, Stock

from tests.integration.sim_support import arun, next_client_id, rth_start_time, until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)
AAPL = Stock("AAPL", "SMART", "USD")
KILLS = 10
DONE = ("Filled", "Cancelled", "ApiCancelled", "Inactive")


def launch(state: Path, start: float) -> tuple[subprocess.Popen, int]:
    p = subprocess.Popen([sys.executable, "-m", "app.sim", "--port", "0", "--log-level", "WARNING",
                          "--state", str(state), "--start-time", repr(start)], cwd=ROOT,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    assert line.startswith("IBDESK-SIM LISTENING "), (line, p.stderr.read() if p.poll() is not None else "")
    return p, int(line.rsplit(":", 1)[1])


class Ledger:
    """What the client saw over all runs: permId -> (orderId, last status), execId -> fill."""

    def __init__(self):
        self.orders: dict[int, tuple[int, str]] = {}
        self.fills: dict[str, tuple[int, float, float]] = {}
        self.position = 0.0
        self.duplicates: list[str] = []

    def listen(self, ib: IB) -> None:
        """Record every order status and execution as ``ib`` receives it (ib_async resets its
        own lists when the socket dies, so they are recorded from the events)."""
        ib.orderStatusEvent += self.on_trade
        ib.openOrderEvent += self.on_trade
        ib.execDetailsEvent += lambda trade, fill: self.on_fill(fill)

    def on_trade(self, t) -> None:
        perm = t.order.permId
        if not perm or not t.orderStatus.status:
            return
        prev = self.orders.get(perm)
        oid = t.order.orderId or (prev[0] if prev else 0)   # completed orders carry orderId 0
        if prev is not None and prev[0] and oid != prev[0]:
            self.duplicates.append(f"permId {perm}: orderId {prev[0]} and {oid}")
        self.orders[perm] = (oid, t.orderStatus.status)

    def on_fill(self, f) -> None:
        e = f.execution
        fill = (e.permId, e.shares, e.price)
        prev = self.fills.get(e.execId)
        if prev is not None and prev != fill:
            self.duplicates.append(f"execId {e.execId}: {prev} and {fill}")
        self.fills[e.execId] = fill


async def check_restored(ib: IB, ledger: Ledger, con_id: int) -> dict[str, int]:
    """Compare the restarted gateway with everything acknowledged before; returns counts."""
    completed = {t.order.permId: t.orderStatus.status for t in await ib.reqCompletedOrdersAsync(False)}
    working = {t.order.permId: t.orderStatus.status for t in ib.openTrades()}
    execs = {f.execution.execId: (f.execution.permId, f.execution.shares, f.execution.price)
             for f in await ib.reqExecutionsAsync()}
    lost = [p for p in ledger.orders if p not in completed and p not in working]
    assert not lost, f"acknowledged orders lost by the kill: {lost}"
    for perm, (_oid, status) in ledger.orders.items():
        if status in ("Cancelled", "ApiCancelled"):
            assert perm not in working, f"cancelled order {perm} came back as {working[perm]}"
            assert completed[perm] in ("Cancelled", "ApiCancelled"), (perm, completed[perm])
        if status == "Filled":
            assert completed.get(perm) == "Filled", (perm, completed.get(perm), working.get(perm))
    missing = [x for x in ledger.fills if x not in execs]
    assert not missing, f"acknowledged executions lost by the kill: {missing}"
    for x, fill in ledger.fills.items():
        assert execs[x] == fill, (x, execs[x], fill)
    # the position is exactly the sum of every execution the gateway has (all BUY)
    pos = {p.contract.conId: p.position for p in ib.positions()}.get(con_id, 0.0)
    assert pos == sum(s for (_p, s, _px) in execs.values())
    return {"working": len(working), "completed": len(completed), "execs": len(execs)}


def test_ten_kill9_mid_trading_lose_nothing_acknowledged(tmp_path):
    state = tmp_path / "state.sqlite"
    cid = next_client_id()
    ledger = Ledger()
    rnd = random.Random(11)
    t0 = rth_start_time()
    counts: dict[str, int] = {}
    for k in range(KILLS + 1):
        p, port = launch(state, t0 + 90.0 * k)
        try:
            async def cycle() -> tuple[dict[str, int], int | None]:
                ib = IB()
                await ib.connectAsync("127.0.0.1", port, clientId=cid, timeout=5)
                try:
                    (c,) = await ib.qualifyContractsAsync(AAPL)
                    got = await check_restored(ib, ledger, c.conId) if k else {}
                    ledger.listen(ib)
                    if k == KILLS:
                        return got, None
                    buy = ib.placeOrder(c, MarketOrder("BUY", 1 + k % 3))
                    gtc = ib.placeOrder(c, LimitOrder("BUY", 1, 1.00 + k / 100, tif="GTC"))
                    cxl = ib.placeOrder(c, LimitOrder("BUY", 1, 2.00, tif="GTC"))
                    await until(lambda: cxl.orderStatus.status == "Submitted", 5, "the limit to work")
                    ib.cancelOrder(cxl.order)
                    await until(lambda: buy.orderStatus.status == "Filled"
                                and gtc.orderStatus.status == "Submitted"
                                and cxl.orderStatus.status == "Cancelled", 5, "fill, working, cancel")
                    await until(lambda: len(ib.fills()) and all(f.commissionReport.execId for f in ib.fills()),
                                5, "commission reports")
                    # in flight at the kill: new orders, a modify-free cancel of an older GTC
                    ib.placeOrder(c, MarketOrder("BUY", 1))
                    ib.placeOrder(c, LimitOrder("BUY", 1, 1.50, tif="GTC"))
                    older = [t for t in ib.openTrades() if t is not gtc]
                    if older:
                        ib.cancelOrder(older[0].order)
                    ib.placeOrder(c, MarketOrder("BUY", 2))
                    await asyncio.sleep(rnd.uniform(0.0, 0.03))
                    os.kill(p.pid, signal.SIGKILL)
                    await asyncio.sleep(0.3)            # what arrived before the socket died
                    return got, c.conId
                finally:
                    ib.disconnect()

            got, _ = arun(cycle(), 40)
            counts = got or counts
        finally:
            if p.poll() is None:
                p.kill()
            p.wait(10)
            for f in (p.stdin, p.stdout, p.stderr):
                f.close()
        if k < KILLS:
            assert p.returncode == -signal.SIGKILL
    assert not ledger.duplicates, ledger.duplicates
    perms = list(ledger.orders)
    assert len(perms) == len(set(perms))
    n_cancelled = sum(1 for _o, s in ledger.orders.values() if s in ("Cancelled", "ApiCancelled"))
    assert n_cancelled >= KILLS and len(ledger.fills) >= KILLS
    print(f"\n{KILLS} kill -9: {len(ledger.orders)} orders acknowledged ({n_cancelled} cancelled), "
          f"{len(ledger.fills)} fills, 0 lost; restored: {counts}")
