"""Fault injection through the admin interface (app.sim.control) against real ib_async clients.

Each test drives the gateway over the admin TCP socket, as a test tool or a trainer would,
and asserts on what the unmodified ib_async client decoded.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from ib_async import IB, LimitOrder, Stock

from tests.integration.sim_support import admin_command, arun, next_client_id, rth_start_time, wait_for

pytestmark = pytest.mark.timeout(60)
AAPL = Stock("AAPL", "SMART", "USD")


def admin(gw, line: str) -> str:
    """Send one command over the admin TCP socket; return the reply line."""
    return admin_command(gw.admin_port, line, token=gw.admin_token)


@pytest.fixture(scope="module")
def gw():
    from app.sim.server import GatewayThread

    g = GatewayThread(seed=7, start_time=rth_start_time(), admin_port=0)
    yield g
    g.stop()


async def connected(gw, client_id=None, timeout=3) -> IB:
    ib = IB()
    cid = next_client_id() if client_id is None else client_id      # 0 is a real client id
    await ib.connectAsync("127.0.0.1", gw.port, clientId=cid, timeout=timeout)
    return ib


def test_help_status_and_bad_commands(gw):
    assert admin(gw, "help").startswith("OK commands:")
    st = admin(gw, "status")
    assert st.startswith("OK ") and f"port={gw.port}" in st and "connectivity=ok" in st
    assert admin(gw, "frobnicate").startswith("ERR unknown command")
    assert admin(gw, "delay soon").startswith("ERR delay: expected seconds")
    assert admin(gw, "delay -1").startswith("ERR delay: seconds must be")
    assert admin(gw, "pause-accept").startswith("ERR usage: pause-accept")
    assert admin(gw, "connectivity sideways").startswith("ERR connectivity: unknown state")
    assert admin(gw, "manual-order AAPL HOLD 10 MKT").startswith("ERR manual-order: action")
    assert admin(gw, "restart").startswith("ERR restart needs a state file")
    # several commands on one admin session, each answered in order
    with socket.create_connection(("127.0.0.1", gw.admin_port), timeout=5) as s:
        s.sendall(f"auth {gw.admin_token}\nhelp\nstatus\nquit\n".encode())
        s.settimeout(5)
        data = b""
        while data.count(b"\n") < 4:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    lines = data.decode().splitlines()
    assert lines[0] == "OK authenticated"
    assert lines[1].startswith("OK commands") and lines[2].startswith("OK port=")
    assert lines[3] == "OK bye"


def test_drop_closes_every_client_and_reconnect_works(gw):
    async def go():
        a, b = await connected(gw), await connected(gw)
        gone = []
        a.disconnectedEvent += lambda: gone.append("a")
        b.disconnectedEvent += lambda: gone.append("b")
        reply = await asyncio.to_thread(admin, gw, "drop")
        assert reply.startswith("OK dropped ") and int(reply.split()[2]) >= 2
        assert await wait_for(lambda: sorted(gone) == ["a", "b"], 3)
        assert not a.isConnected() and not b.isConnected()
        c = await connected(gw)
        try:
            assert c.isConnected() and c.managedAccounts() == [gw.exchange.account_id]
        finally:
            c.disconnect()

    arun(go())


def test_pause_accept_refuses_then_accepts_and_keeps_existing_clients(gw):
    async def go():
        ib = await connected(gw)
        try:
            reply = await asyncio.to_thread(admin, gw, "pause-accept 1.5")
            assert reply == "OK not accepting connections for 1.5 s"
            t0 = time.monotonic()
            refused = IB()
            with pytest.raises((ConnectionError, OSError, asyncio.TimeoutError, TimeoutError)):
                await refused.connectAsync("127.0.0.1", gw.port, clientId=next_client_id(),
                                           timeout=1)
            refused.disconnect()
            assert "accepting=no" in await asyncio.to_thread(admin, gw, "status")
            # the existing client still works while new ones are refused
            now = await ib.reqCurrentTimeAsync()
            assert now is not None
            await asyncio.sleep(max(0.0, 1.6 - (time.monotonic() - t0)))
            again = await connected(gw)
            assert again.isConnected()
            again.disconnect()
            # 0 lifts a pause at once
            await asyncio.to_thread(admin, gw, "pause-accept 30")
            assert await asyncio.to_thread(admin, gw, "pause-accept 0") == "OK accepting connections"
            (await connected(gw)).disconnect()
        finally:
            ib.disconnect()

    arun(go())


def test_connectivity_codes_reach_error_event_and_lost_stops_market_data(gw):
    async def go():
        ib = await connected(gw)
        errors: list[tuple[int, int, str]] = []
        ib.errorEvent += lambda reqId, code, msg, c: errors.append((reqId, code, msg))
        try:
            (c,) = await ib.qualifyContractsAsync(AAPL)
            t = ib.reqMktData(c)
            assert await wait_for(lambda: t.bid == t.bid and t.bid > 0, 3)
            reply = await asyncio.to_thread(admin, gw, "connectivity lost")
            assert reply.startswith("OK sent 1100 to ")
            assert await wait_for(lambda: any(e[1] == 1100 for e in errors), 3)
            await asyncio.sleep(0.3)                      # a pump pass in flight may land
            seen = []
            t.updateEvent += lambda tk: seen.append(1)
            await asyncio.sleep(1.5)                      # ~6 conflation periods
            assert seen == [], "market data flowed while connectivity was lost"
            assert "connectivity=lost" in await asyncio.to_thread(admin, gw, "status")
            await asyncio.to_thread(admin, gw, "connectivity restored")
            assert await wait_for(lambda: any(e[1] == 1102 for e in errors), 3)
            assert await wait_for(lambda: len(seen) > 0, 5), "data did not resume after 1102"
            await asyncio.to_thread(admin, gw, "connectivity restored-data-lost")
            assert await wait_for(lambda: any(e[1] == 1101 for e in errors), 3)
            codes = [e[1] for e in errors if e[1] in (1100, 1101, 1102)]
            assert codes == [1100, 1102, 1101]
            assert all(e[0] == -1 for e in errors if e[1] in (1100, 1101, 1102))
            texts = {e[1]: e[2] for e in errors}
            assert texts[1100] == "Connectivity between IB and TWS has been lost."
            assert texts[1101].endswith("restored - data lost.")
            assert texts[1102].endswith("restored - data maintained.")
            # 1101: subscriptions are gone (IB: resubmit them); a new one streams again
            await asyncio.sleep(0.5)
            seen.clear()
            await asyncio.sleep(1.0)
            assert seen == [], "1101 must drop market data subscriptions"
            ib.cancelMktData(c)
            await asyncio.sleep(0.1)
            seen.clear()
            t2 = ib.reqMktData(c)
            t2.updateEvent += lambda tk: seen.append(2)
            assert await wait_for(lambda: len(seen) > 0, 3), "resubscribing after 1101 failed"
        finally:
            ib.disconnect()

    arun(go())


def test_delay_delays_responses_in_order(gw):
    async def go():
        ib = await connected(gw)
        try:
            t0 = time.monotonic()
            await ib.reqCurrentTimeAsync()
            base = time.monotonic() - t0
            assert (await asyncio.to_thread(admin, gw, "delay 0.6")) == \
                "OK responses delayed by 0.6 s"
            t0 = time.monotonic()
            await ib.reqCurrentTimeAsync()
            delayed = time.monotonic() - t0
            # several requests: answers keep their order
            order = []
            (c,) = await ib.qualifyContractsAsync(AAPL)
            t1 = asyncio.ensure_future(ib.reqCurrentTimeAsync())
            t2 = asyncio.ensure_future(ib.reqContractDetailsAsync(c))
            t1.add_done_callback(lambda _f: order.append("time"))
            t2.add_done_callback(lambda _f: order.append("details"))
            await asyncio.gather(t1, t2)
            # a client connecting while the delay is on is delayed too
            t0 = time.monotonic()
            ib2 = await connected(gw, timeout=5)
            connect_time = time.monotonic() - t0
            ib2.disconnect()
        finally:
            await asyncio.to_thread(admin, gw, "delay 0")
            ib.disconnect()
        assert delayed >= 0.55 and delayed > base
        assert order == ["time", "details"]
        assert connect_time >= 0.55

    arun(go())


def test_delay_off_again_is_fast(gw):
    async def go():
        await asyncio.to_thread(admin, gw, "delay 0")
        ib = await connected(gw)
        try:
            t0 = time.monotonic()
            await ib.reqCurrentTimeAsync()
            return time.monotonic() - t0
        finally:
            ib.disconnect()

    assert arun(go()) < 0.5


def test_reject_next_makes_the_next_order_inactive_with_the_code(gw):
    async def go():
        ib = await connected(gw)
        errors = []
        ib.errorEvent += lambda reqId, code, msg, c: errors.append((reqId, code, msg))
        try:
            (c,) = await ib.qualifyContractsAsync(AAPL)
            reply = await asyncio.to_thread(admin, gw, "reject-next 201 Order rejected - reason:test")
            assert reply == "OK next order will be rejected with 201"
            tr = ib.placeOrder(c, LimitOrder("BUY", 1, 1.00))
            assert await wait_for(lambda: tr.orderStatus.status in ("Inactive", "Cancelled"), 3)
            assert await wait_for(lambda: any(e[0] == tr.order.orderId and e[1] == 201
                                              for e in errors), 3)
            # only the next one: the following order works
            tr2 = ib.placeOrder(c, LimitOrder("BUY", 1, 1.00))
            assert await wait_for(lambda: tr2.orderStatus.status in ("Submitted", "PreSubmitted"), 3)
            ib.cancelOrder(tr2.order)
            assert await wait_for(lambda: tr2.orderStatus.status == "Cancelled", 3)
        finally:
            ib.disconnect()

    arun(go())


def test_manual_order_is_a_tws_order_seen_by_client_0(gw):
    async def go():
        ib0 = await connected(gw, client_id=0)        # sends reqAutoOpenOrders(True)
        try:
            reply = await asyncio.to_thread(admin, gw, "manual-order AAPL BUY 3 LMT 1.00")
            assert reply.startswith("OK manual order "), reply
            assert await wait_for(lambda: any(t.order.totalQuantity == 3 and
                                              t.order.lmtPrice == 1.0 for t in ib0.openTrades()), 3)
            assert (await asyncio.to_thread(admin, gw, "manual-order NOPE BUY 3 MKT")) \
                .startswith("ERR manual-order: unknown symbol")
        finally:
            for t in ib0.openTrades():
                ib0.cancelOrder(t.order)
            await asyncio.sleep(0.2)
            ib0.disconnect()

    arun(go())


def test_official_ibapi_client_gets_1100_1102_and_sees_drop(gw):
    """The same faults through the official ibapi EClient/EWrapper."""
    import threading

    from ibapi.client import EClient
    from ibapi.wrapper import EWrapper

    closed = threading.Event()

    class A(EWrapper, EClient):
        def __init__(self):
            EClient.__init__(self, self)
            self.errors: list[tuple] = []
            self.next_id = None

        def nextValidId(self, orderId):
            self.next_id = orderId

        def error(self, reqId, errorTime, errorCode, errorString, advancedOrderRejectJson=""):
            self.errors.append(("error", reqId, errorCode, errorString))

        def of(self, name):
            return list(self.errors)

        def wait(self, pred, timeout=3.0):
            end = time.monotonic() + timeout
            while time.monotonic() < end and not pred():
                time.sleep(0.02)
            return bool(pred())

        def connectionClosed(self):
            closed.set()

    a = A()
    a.connect("127.0.0.1", gw.port, next_client_id())
    th = threading.Thread(target=a.run, daemon=True)
    th.start()
    try:
        assert a.wait(lambda: a.next_id is not None, 5)
        assert admin(gw, "connectivity lost").startswith("OK sent 1100")
        assert admin(gw, "connectivity restored").startswith("OK sent 1102")
        assert a.wait(lambda: [e[2] for e in a.of("error") if e[2] in (1100, 1102)] == [1100, 1102])
        texts = {e[2]: (e[1], e[3]) for e in a.of("error")}
        assert texts[1100] == (-1, "Connectivity between IB and TWS has been lost.")
        assert admin(gw, "drop").startswith("OK dropped")
        assert closed.wait(5), "ibapi did not see the connection close"
    finally:
        a.disconnect()
        th.join(3)
