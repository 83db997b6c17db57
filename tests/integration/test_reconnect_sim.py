"""Issue 11 against the simulated gateway: the terminal's Session, command layer and
ConnectionSupervisor recover by themselves from drops, restarts, 1100/1101/1102 and a
dead link, and settle every order whose answer was lost to the gateway's truth.

A "dead socket" (the link is gone but the client has not noticed yet) is made by
swallowing what ib_async writes (``swallow_sends``) before the gateway drops the
client: exactly what happens to a request written into a half-open TCP connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from app.broker.supervisor import ConnectionSupervisor
from app.commands import CancelOrder, OrderCommands, PlaceOrder
from app.domain import Action, ConnectionState, Instrument, OrderRequest, OrderStatus, OrderType
from tests.integration.sim_support import arun, rth_start_time, sim_session, until

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    from app.sim.server import GatewayThread

    state = tmp_path_factory.mktemp("reconnect") / "state.sqlite"
    g = GatewayThread(seed=7, start_time=rth_start_time(), state_path=str(state))
    yield g
    g.stop()


def fast_supervisor(session, **kw) -> ConnectionSupervisor:
    kw = {"first_delay": 0.2, "fast_delay": 0.3, "max_delay": 2.0, "jitter": 0.0,
          "heartbeat_interval": 0.5, "heartbeat_timeout": 2.0, **kw}
    return ConnectionSupervisor(session, **kw)


@contextlib.contextmanager
def swallow_sends(session):
    """What ib_async writes goes nowhere (a half-open socket), until the block ends."""
    conn = session.ib.client.conn
    real = conn.sendMsg
    conn.sendMsg = lambda msg: None
    try:
        yield
    finally:
        conn.sendMsg = real


def admin(gw, line: str) -> str:
    reply = gw.admin_command(line)
    assert reply.startswith("OK"), reply
    return reply


async def connected_session(gw):
    s = sim_session(gw)
    await s.connect()
    return s


@contextlib.asynccontextmanager
async def terminal(gw, supervise: bool = True, **sup_kw):
    """A connected Session, its OrderCommands and (``supervise``) a started fast
    supervisor; everything closed at the end."""
    s = await connected_session(gw)
    sup = fast_supervisor(s, **sup_kw)
    if supervise:
        sup.start()
    try:
        yield s, OrderCommands(s), sup
    finally:
        sup.close()
        s.disconnect()
        await asyncio.to_thread(gw.admin_command, "delay 0")


async def aapl(s):
    return await s.resolve("AAPL")


def far_limit(inst, action=Action.BUY, qty=10):
    quote_side = 1.0 if action is Action.BUY else 100000.0
    return OrderRequest(inst, action, qty, OrderType.LMT, limit_price=quote_side)


def test_reconnects_by_itself_after_a_drop_and_data_goes_stale_then_live(gw):
    """Item 1: after a drop the app reconnects with no click; staleEvent True then False."""
    async def go():
        async with terminal(gw) as (s, cmds, sup):
            states, stale = [], []
            s.stateEvent += lambda st, msg: states.append(st)
            s.staleEvent += lambda flag, why: stale.append(flag)
            t0 = time.monotonic()
            await asyncio.to_thread(admin, gw, "drop")
            await until(lambda: ConnectionState.LOST in states, 3, "lost")
            await until(lambda: s.is_connected, 5, "reconnected by itself")
            took = time.monotonic() - t0
            assert took < 2.0, took
            assert ConnectionState.RECONNECTING in states
            assert stale[:1] == [True] and stale[-1] is False and not s.data_stale
    arun(go(), 20)


def test_manual_disconnect_is_not_undone(gw):
    async def go():
        async with terminal(gw) as (s, cmds, sup):
            s.disconnect()
            await asyncio.sleep(1.0)
            assert not s.is_connected and sup.attempts == 0
            assert s.data_stale        # TWS greys prices after Disconnect too
    arun(go(), 10)


def test_cancel_lost_in_a_drop_does_not_lock_the_order(gw):
    """Item 2: a cancel written into a dead socket, reconnect, cancel again: accepted."""
    async def go():
        async with terminal(gw) as (s, cmds, sup):
            inst = await aapl(s)
            placed = cmds.execute(PlaceOrder(far_limit(inst)))
            assert placed.ok, placed.message
            oid = placed.order.order_id
            await until(lambda: s.order(oid).status is OrderStatus.SUBMITTED, 5, "submitted")
            with swallow_sends(s):
                first = cmds.execute(CancelOrder(oid))
                assert first.ok, first.message
                await asyncio.to_thread(admin, gw, "drop")
                await until(lambda: not s.is_connected, 3, "lost")
            await until(lambda: s.is_connected, 5, "reconnected")
            # the gateway never got the cancel: the order is working there, and here
            await until(lambda: s.order(oid).status is OrderStatus.SUBMITTED, 5, "truth: Submitted")
            again = cmds.execute(CancelOrder(oid))
            assert again.ok, again.message
            await until(lambda: s.order(oid).status is OrderStatus.CANCELLED, 5, "cancelled")
    arun(go(), 30)


def test_order_sent_into_a_dead_socket_becomes_not_sent_and_is_not_resent(gw):
    """Item 3: PendingSubmit forever before; now "Not sent (connection lost)"."""
    async def go():
        async with terminal(gw) as (s, cmds, sup):
            inst = await aapl(s)
            with swallow_sends(s):
                placed = cmds.execute(PlaceOrder(far_limit(inst)))
                assert placed.ok, placed.message
                oid = placed.order.order_id
                await asyncio.to_thread(admin, gw, "drop")
                await until(lambda: not s.is_connected, 3, "lost")
            await until(lambda: s.is_connected, 5, "reconnected")
            await until(lambda: s.order(oid).status is OrderStatus.NOT_SENT, 5, "not sent")
            rec = s.order(oid)
            assert "Not sent" in rec.message and not rec.is_working
            await asyncio.sleep(0.5)
            status = await asyncio.to_thread(gw.admin_command, "status")
            # never re-sent by itself: the gateway has no order with that id for this client
            assert all(not (o.order_id == oid and o.client_id == s.client_id)
                       for o in s.orders() if o.is_working)
            assert status.startswith("OK")
            refused = cmds.execute(CancelOrder(oid))
            assert not refused.ok
    arun(go(), 30)


def test_unacknowledged_order_globally_cancelled_while_away_is_cancelled(gw):
    """Item 3: the completed order has no orderId; the orderRef finds it."""
    from tests.integration.sim_support import next_client_id
    from app.broker.session import Session

    async def go():
        s = await connected_session(gw)
        cmds = OrderCommands(s)
        try:
            inst = await aapl(s)
            await asyncio.to_thread(admin, gw, "delay 2")
            placed = cmds.execute(PlaceOrder(far_limit(inst)))
            oid = placed.order.order_id
            await asyncio.sleep(0.3)          # the gateway has it; its answer is 2 s away
            await asyncio.to_thread(admin, gw, "drop")
            await until(lambda: not s.is_connected, 3, "lost")
            await asyncio.to_thread(admin, gw, "delay 0")
            assert s.order(oid).status is OrderStatus.PENDING_SUBMIT
            other = Session("127.0.0.1", gw.port, next_client_id(), connect_timeout=5)
            await other.connect()
            other.global_cancel()
            await asyncio.sleep(0.5)
            other.disconnect()
            await s.connect()
            await until(lambda: s.order(oid).status is OrderStatus.CANCELLED, 5, "cancelled")
            assert s.order(oid).perm_id
            # one record for it, not a second one keyed by permId
            assert sum(1 for o in s.orders() if o.perm_id == s.order(oid).perm_id) == 1
        finally:
            s.disconnect()
            await asyncio.to_thread(gw.admin_command, "delay 0")
    arun(go(), 30)


def test_cancel_in_flight_then_gateway_restart_settles(gw):
    """Item 3: PendingCancel across a restart ends as the gateway says."""
    async def go():
        async with terminal(gw) as (s, cmds, sup):
            inst = await aapl(s)
            placed = cmds.execute(PlaceOrder(far_limit(inst)))
            oid = placed.order.order_id
            await until(lambda: s.order(oid).status is OrderStatus.SUBMITTED, 5, "submitted")
            await asyncio.to_thread(admin, gw, "delay 2")
            assert cmds.execute(CancelOrder(oid)).ok
            assert s.order(oid).status is OrderStatus.PENDING_CANCEL
            await asyncio.to_thread(admin, gw, "restart")
            await asyncio.to_thread(admin, gw, "delay 0")
            await until(lambda: s.is_connected, 8, "reconnected")
            await until(lambda: s.order(oid).status in (OrderStatus.CANCELLED, OrderStatus.SUBMITTED),
                        5, "settled")
            if s.order(oid).status is OrderStatus.SUBMITTED:
                assert cmds.execute(CancelOrder(oid)).ok
                await until(lambda: s.order(oid).status is OrderStatus.CANCELLED, 5, "cancelled")
    arun(go(), 40)


def test_executions_reloaded_on_every_connect(gw):
    """Item 6: a terminal (re)started after fills sees them in its Executions tab."""
    from app.broker.session import Session

    async def go():
        s = await connected_session(gw)
        inst = await aapl(s)
        rec = s.place_order(OrderRequest(inst, Action.BUY, 5, OrderType.MKT))
        await until(lambda: s.order(rec.order_id).status is OrderStatus.FILLED, 5, "filled")
        cid = s.client_id
        s.disconnect()
        fresh = Session("127.0.0.1", gw.port, cid, connect_timeout=5)
        seen = []
        fresh.executionEvent += seen.append
        await fresh.connect()
        try:
            assert any(e.order_id == rec.order_id for e in seen), seen
        finally:
            fresh.disconnect()
    arun(go(), 20)


def test_1101_requests_every_quote_again_and_1100_1102_mark_stale(gw):
    """Item 4: after 1101 quotes flow again; 1100 makes data stale, 1102 live."""
    async def go():
        async with terminal(gw) as (s, cmds, sup):
            quotes, stale = [], []
            s.quotesEvent += lambda batch: quotes.extend(batch)
            s.staleEvent += lambda flag, why: stale.append((flag, why))
            inst = await aapl(s)
            s.subscribe_quotes(inst)
            await until(lambda: quotes, 5, "first quotes")
            await asyncio.to_thread(admin, gw, "connectivity lost")
            await until(lambda: s.data_stale, 3, "stale after 1100")
            assert "1100" in stale[-1][1]
            await asyncio.to_thread(admin, gw, "connectivity restored")
            await until(lambda: not s.data_stale, 3, "live after 1102")
            await asyncio.to_thread(admin, gw, "connectivity lost")
            await until(lambda: s.data_stale, 3, "stale again")
            await asyncio.to_thread(admin, gw, "connectivity restored-data-lost")
            await until(lambda: not s.data_stale, 3, "live after 1101")
            quotes.clear()
            await until(lambda: quotes, 5, "quotes again after 1101")
            assert s.is_connected and sup.attempts == 0
    arun(go(), 30)


def test_dead_link_is_dropped_and_reconnected(gw):
    """A link that stops answering (reqCurrentTime) is dropped and reconnected."""
    async def go():
        async with terminal(gw, heartbeat_interval=0.3, heartbeat_timeout=0.4) as (s, cmds, sup):
            states = []
            s.stateEvent += lambda st, msg: states.append((st, msg))
            await asyncio.to_thread(admin, gw, "delay 3")
            await until(lambda: any(st is ConnectionState.LOST for st, _ in states), 6, "dropped")
            assert any("dead link" in m for st, m in states if st is ConnectionState.LOST)
            await asyncio.to_thread(admin, gw, "delay 0")
            await until(lambda: s.is_connected, 15, "reconnected")
    arun(go(), 40)


def test_account_confirmed_live_after_reconnect_and_positions_closed_while_away_removed(gw):
    """Values the gateway sends again unchanged are emitted again once live (the panels
    un-grey them); a position closed by another client while away is emitted as closed."""
    from app.broker.session import Session
    from tests.integration.sim_support import next_client_id

    async def go():
        async with terminal(gw) as (s, cmds, sup):
            inst = await s.resolve("MSFT")
            buy = s.place_order(OrderRequest(inst, Action.BUY, 7, OrderType.MKT))
            await until(lambda: s.order(buy.order_id).status is OrderStatus.FILLED, 5, "bought")
            await until(lambda: any(p.instrument.symbol == "MSFT" for p in s.positions()), 5, "pos")
            held = sum(p.quantity for p in s.positions() if p.instrument.symbol == "MSFT")
            s.disconnect()
            other = Session("127.0.0.1", gw.port, next_client_id(), connect_timeout=5)
            await other.connect()
            sell = other.place_order(OrderRequest(inst, Action.SELL, held, OrderType.MKT))
            await until(lambda: other.order(sell.order_id).status is OrderStatus.FILLED, 5, "sold")
            other.disconnect()
            values, positions = [], []
            s.accountValueEvent += values.append
            s.positionEvent += positions.append
            await s.connect()
            await until(lambda: values, 5, "account values re-emitted")
            await asyncio.sleep(0.2)
            # every value the gateway confirmed, changed or not (the panels un-grey each one)
            assert {(v.tag, v.currency) for v in values} >= \
                {(v.tag, v.currency) for v in s.account_values()}
            closed = [p for p in positions if p.instrument.symbol == "MSFT"]
            assert closed and closed[-1].quantity == 0, closed
            assert not any(p.instrument.symbol == "MSFT" for p in s.positions())
    arun(go(), 30)
