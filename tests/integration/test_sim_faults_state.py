"""Gateway process restarts with --state (saved at exit, loaded at start) and the
--reject-next-order flag, through `python -m app.sim` and real ib_async clients."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ib_async import IB, LimitOrder, MarketOrder, Stock

from tests.integration.sim_support import arun, next_client_id, rth_start_time, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)
AAPL = Stock("AAPL", "SMART", "USD")


def launch(*args) -> tuple[subprocess.Popen, int]:
    p = subprocess.Popen([sys.executable, "-m", "app.sim", "--port", "0", "--log-level", "WARNING",
                          "--start-time", repr(rth_start_time()), *args], cwd=ROOT,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline().strip()
    assert line.startswith("IBDESK-SIM LISTENING "), (line, p.stderr.read() if p.poll() else "")
    return p, int(line.rsplit(":", 1)[1])


def terminate(p: subprocess.Popen) -> int:
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_state_survives_a_process_restart(tmp_path):
    state = tmp_path / "state.sqlite"
    cid = next_client_id()
    p, port = launch("--state", str(state))
    try:
        async def before():
            ib = IB()
            await ib.connectAsync("127.0.0.1", port, clientId=cid, timeout=5)
            try:
                (c,) = await ib.qualifyContractsAsync(AAPL)
                fill = ib.placeOrder(c, MarketOrder("BUY", 12))
                assert await wait_for(lambda: fill.orderStatus.status == "Filled", 5)
                gtc = ib.placeOrder(c, LimitOrder("BUY", 4, 1.00, tif="GTC"))
                day = ib.placeOrder(c, LimitOrder("BUY", 4, 1.01, tif="DAY"))
                assert await wait_for(lambda: gtc.orderStatus.status == "Submitted"
                                      and day.orderStatus.status == "Submitted", 3)
                await asyncio.sleep(0.3)
                return (c.conId, {p.contract.conId: p.position for p in ib.positions()}[c.conId],
                        gtc.order.permId, [f.execution.execId for f in ib.fills()])
            finally:
                ib.disconnect()

        con_id, pos, gtc_perm, exec_ids = arun(before())
    finally:
        assert terminate(p) == 0
    assert state.exists() and state.stat().st_size > 0

    p, port = launch("--state", str(state))
    try:
        async def after():
            ib = IB()
            await ib.connectAsync("127.0.0.1", port, clientId=cid, timeout=5)
            try:
                await asyncio.sleep(0.3)
                execs = await ib.reqExecutionsAsync()
                return ({p.contract.conId: p.position for p in ib.positions()}.get(con_id),
                        [t.order for t in ib.openTrades()], [f.execution.execId for f in execs])
            finally:
                ib.disconnect()

        pos2, orders, execs = arun(after())
    finally:
        assert terminate(p) == 0
    assert pos2 == pos
    assert [o.permId for o in orders if o.tif == "GTC"] == [gtc_perm]
    assert set(exec_ids) <= set(execs)


def test_unreadable_state_file_exits_2(tmp_path):
    bad = tmp_path / "state.sqlite"
    bad.write_bytes(b"this is not an SQLite database" * 10)
    r = subprocess.run([sys.executable, "-m", "app.sim", "--state", str(bad)], cwd=ROOT,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    assert "--state" in r.stderr and "LISTENING" not in r.stdout


def test_reject_next_order_flag_rejects_only_the_first_order():
    p, port = launch("--reject-next-order", "201")
    try:
        async def go():
            ib = IB()
            await ib.connectAsync("127.0.0.1", port, clientId=next_client_id(), timeout=5)
            errors = []
            ib.errorEvent += lambda reqId, code, msg, c: errors.append((reqId, code))
            try:
                (c,) = await ib.qualifyContractsAsync(AAPL)
                first = ib.placeOrder(c, LimitOrder("BUY", 1, 1.00))
                assert await wait_for(lambda: (first.order.orderId, 201) in errors, 3)
                assert await wait_for(lambda: first.orderStatus.status in ("Inactive", "Cancelled"))
                second = ib.placeOrder(c, LimitOrder("BUY", 1, 1.00))
                assert await wait_for(lambda: second.orderStatus.status == "Submitted", 3)
            finally:
                ib.disconnect()

        arun(go())
    finally:
        terminate(p)
