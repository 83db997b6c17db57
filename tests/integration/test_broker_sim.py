"""Session + OrderCommands against the simulated gateway (real sockets, real ib_async).

The gateway runs on its own thread and loop (``app.sim.server.GatewayThread``);
each test drives the client side with ``asyncio.run``. Tests that need a live
market (quotes, fills) skip with a reason when the simulated market is closed
(weekend: FX and stocks closed; stocks trade 04:00-20:00 New York).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

import pytest

from app.broker import HistoryError, Session, UnknownSymbolError
from app.commands import CancelOrder, ModifyOrder, OrderCommands, PlaceOrder
from app.domain import (
    BAR_COLUMNS,
    Action,
    ConnectionState,
    Instrument,
    OrderRequest,
    OrderStatus,
    OrderType,
    TimeInForce,
    round_to_tick,
)

import app.sim.server as server  # noqa: E402
from app.sim.instruments import is_open  # noqa: E402
from tests.integration.sim_support import next_client_id, until  # noqa: E402


# The gateway's clock starts at Wednesday 2026-11-18 11:00 New York (regular
# trading hours for stocks and FX), so no test depends on when it runs.
START = datetime(2026, 11, 18, 16, 0, tzinfo=timezone.utc).timestamp()
_wall0 = time.time()


def _sim_now() -> float:
    return START + (time.time() - _wall0)


def fx_open() -> bool:
    return is_open("CASH", _sim_now())


def stocks_open() -> bool:
    return is_open("STK", _sim_now())


@pytest.fixture(scope="module")
def gw():
    with server.GatewayThread(start_time=START) as g:
        yield g


def run(coro_fn, gw, client_id=None, timeout=30):
    """Run ``coro_fn(session)`` on a fresh loop with a connected session."""
    async def main():
        s = Session("127.0.0.1", gw.port, client_id or next_client_id(), connect_timeout=5)
        await s.connect()
        try:
            return await asyncio.wait_for(coro_fn(s), timeout)
        finally:
            s.disconnect()
    return asyncio.run(main())


def test_connect_and_resolve(gw):
    async def body(s: Session):
        assert s.is_connected and s.state is ConnectionState.CONNECTED
        assert s.server_version == 178 and s.account_id.startswith("SIM")
        aapl = await s.resolve("aapl")
        assert (aapl.con_id, aapl.min_tick, aapl.sec_type) == (265598, 0.01, "STK")
        assert aapl.primary_exchange == "NASDAQ" and aapl.long_name and aapl.key == "265598"
        eur = await s.resolve("EUR.USD")
        assert eur.sec_type == "CASH" and eur.min_tick == 0.00005 and eur.con_id > 0
        assert eur.display_symbol == "EUR.USD" and eur.local_symbol == "EUR.USD"
        with pytest.raises(UnknownSymbolError) as ei:
            await s.resolve("ZZZZQX")
        assert ei.value.code == 200 and "No security definition" in str(ei.value)
        assert isinstance(ei.value, LookupError)
        with pytest.raises(ValueError):
            await s.resolve("not a symbol")
    run(body, gw)


def test_client_id_in_use_is_refused(gw):
    async def body(s: Session):
        other = Session("127.0.0.1", gw.port, s.client_id, connect_timeout=5)
        with pytest.raises(ConnectionError, match="already in use"):
            await other.connect()
        assert other.state is ConnectionState.FAILED
        assert s.is_connected
    run(body, gw)


def test_quotes_arrive_in_batches(gw):
    assert fx_open(), "the simulated clock should be inside FX trading hours"

    async def body(s: Session):
        eur = await s.resolve("EUR.USD")
        aapl = await s.resolve("AAPL")
        batches = []
        s.quotesEvent += batches.append
        s.subscribe_quotes(eur)
        s.subscribe_quotes(aapl)
        await until(lambda: (q := s.quote(eur.key)) is not None and q.bid and q.ask, 5, "EUR.USD quote")
        q = s.quote(eur.key)
        assert q.bid < q.ask and q.key == eur.key
        assert all(isinstance(b, list) for b in batches)
        assert {x.key for b in batches for x in b} <= {eur.key, aapl.key}
        s.unsubscribe_quotes(eur)
        s.unsubscribe_quotes(aapl)
    run(body, gw)


def test_history_and_live_bars(gw):
    async def body(s: Session):
        eur = await s.resolve("EUR.USD")
        bars_seen = []
        s.barEvent += lambda sub, bar, new: bars_seen.append((sub, bar, new))
        sub_id, df = await s.history(eur, "1 min", "1 D")
        assert tuple(df.columns) == BAR_COLUMNS and len(df) > 10
        assert str(df["time"].dtype) == "datetime64[ns, UTC]"
        assert df["time"].is_monotonic_increasing and (df["high"] >= df["low"]).all()
        if fx_open():
            await until(lambda: bars_seen, 8, "a live bar update")
            sub, bar, _ = bars_seen[0]
            assert sub == sub_id and bar.time >= df["time"].iloc[-1].to_pydatetime()
        s.cancel_history(sub_id)
        n = len(bars_seen)
        await asyncio.sleep(0.6)
        assert len(bars_seen) <= n + 1   # at most one in flight before the cancel arrived
        _, daily = await s.history(eur, "1 day", keep_up_to_date=False)
        assert len(daily) > 100
    run(body, gw)


def test_history_error_is_history_error(gw):
    async def body(s: Session):
        bogus = Instrument("ZZZZQX", "STK", "SMART", "USD", con_id=999999991)
        with pytest.raises(HistoryError):
            await s.history(bogus, "1 hour", keep_up_to_date=False)
    run(body, gw)


async def _price(s: Session, inst: Instrument) -> float:
    _, df = await s.history(inst, "1 day", "5 D", keep_up_to_date=False)
    return float(df["close"].iloc[-1])


def test_limit_order_place_modify_cancel(gw):
    async def body(s: Session):
        cmds = OrderCommands(s)
        aapl = await s.resolve("AAPL")
        far = round_to_tick((await _price(s, aapl)) * 0.5, aapl.min_tick)
        seen = []
        s.orderEvent += seen.append
        res = cmds.execute(PlaceOrder(OrderRequest(aapl, Action.BUY, 10, OrderType.LMT,
                                                   limit_price=far, tif=TimeInForce.GTC)))
        assert res.ok, res.message
        oid = res.order.order_id
        assert res.order.status is OrderStatus.PENDING_SUBMIT and res.order.client_id == s.client_id
        await until(lambda: s.order(oid).status in (OrderStatus.SUBMITTED, OrderStatus.PRE_SUBMITTED),
                    5, "order working")
        assert s.order(oid).perm_id > 0 and s.order(oid).instrument.con_id == 265598
        # a modify that changes nothing is refused; a new price passes
        assert not cmds.execute(ModifyOrder(oid, limit_price=far)).ok
        new = round_to_tick(far - 1, aapl.min_tick)
        res = cmds.execute(ModifyOrder(oid, limit_price=new, quantity=20))
        assert res.ok, res.message
        await until(lambda: s.order(oid).limit_price == new and s.order(oid).quantity == 20
                    and s.order(oid).is_working, 5, "modified order")
        res = cmds.execute(CancelOrder(oid))
        assert res.ok, res.message
        rej = cmds.execute(CancelOrder(oid))
        assert not rej.ok and "already pending" in rej.message
        await until(lambda: s.order(oid).status is OrderStatus.CANCELLED, 5, "Cancelled")
        assert "it is Cancelled" in cmds.execute(ModifyOrder(oid, limit_price=far)).message
        assert "it is Cancelled" in cmds.execute(CancelOrder(oid)).message
        assert any(r.order_id == oid for r in seen)
        assert "no such order" in cmds.execute(CancelOrder(oid + 1000)).message
    run(body, gw)


def test_market_order_fills_with_commission_position_and_account(gw):
    assert fx_open(), "the simulated clock should be inside FX trading hours"

    async def body(s: Session):
        cmds = OrderCommands(s)
        eur = await s.resolve("EUR.USD")
        execs, positions, values = [], [], []
        s.executionEvent += execs.append
        s.positionEvent += positions.append
        s.accountValueEvent += values.append
        s.subscribe_quotes(eur)
        res = cmds.execute(PlaceOrder(OrderRequest(eur, Action.BUY, 20000, OrderType.MKT)))
        assert res.ok, res.message
        oid = res.order.order_id
        await until(lambda: s.order(oid).status is OrderStatus.FILLED, 8, "Filled")
        rec = s.order(oid)
        assert rec.filled == 20000 and rec.remaining == 0 and rec.avg_fill_price > 0
        await until(lambda: any(e.order_id == oid and e.commission is not None for e in execs),
                    5, "commission report")
        mine = [e for e in execs if e.order_id == oid]
        assert mine[-1].side == "BOT" and mine[-1].commission > 0
        assert {e.exec_id for e in s.executions()} >= {e.exec_id for e in mine}
        await until(lambda: any(p.instrument.con_id == eur.con_id for p in positions), 5, "position")
        await until(lambda: any(v.tag == "NetLiquidation" for v in values), 5, "NetLiquidation update")
        assert any(p.instrument.con_id == eur.con_id and p.quantity != 0 for p in s.positions())
        # a filled order cannot be modified or cancelled
        assert "it is Filled" in cmds.execute(CancelOrder(oid)).message
        # flatten
        assert cmds.execute(PlaceOrder(OrderRequest(eur, Action.SELL, 20000, OrderType.MKT))).ok
    run(body, gw)


def test_other_clients_orders_are_seen_but_not_touchable(gw):
    async def body():
        b = Session("127.0.0.1", gw.port, next_client_id(), connect_timeout=5)
        await b.connect()
        aapl = await b.resolve("AAPL")
        far = round_to_tick((await _price(b, aapl)) * 0.5, aapl.min_tick)
        theirs = b.place_order(OrderRequest(aapl, Action.BUY, 3, OrderType.LMT, limit_price=far))
        await until(lambda: b.order(theirs.order_id).is_working
                    and b.order(theirs.order_id).status is not OrderStatus.PENDING_SUBMIT, 5, "working")
        a = Session("127.0.0.1", gw.port, next_client_id(), connect_timeout=5)
        await a.connect()
        try:
            seen = a.order(theirs.order_id, client_id=b.client_id)
            assert seen is not None and seen.client_id == b.client_id and seen.is_working
            assert a.order(theirs.order_id) is None          # not this client's
            cmds = OrderCommands(a)
            for cmd in (CancelOrder(theirs.order_id), ModifyOrder(theirs.order_id, quantity=4)):
                res = cmds.execute(cmd)
                assert not res.ok and f"placed by client id {b.client_id}" in res.message
            assert b.order(theirs.order_id).is_working
            assert OrderCommands(b).execute(CancelOrder(theirs.order_id)).ok
        finally:
            a.disconnect()
            b.disconnect()
    asyncio.run(asyncio.wait_for(body(), 30))


def test_reconnect_keeps_order_keys(gw):
    async def body():
        cid = next_client_id()
        s = Session("127.0.0.1", gw.port, cid, connect_timeout=5)
        await s.connect()
        aapl = await s.resolve("AAPL")
        far = round_to_tick((await _price(s, aapl)) * 0.5, aapl.min_tick)
        rec = s.place_order(OrderRequest(aapl, Action.BUY, 5, OrderType.LMT, limit_price=far))
        await until(lambda: s.order(rec.order_id).perm_id > 0, 5, "permId")
        perm = s.order(rec.order_id).perm_id
        n = len(s.orders())
        s.disconnect()
        assert s.state is ConnectionState.DISCONNECTED
        await s.connect()
        await until(lambda: s.order(rec.order_id).is_working, 5, "order back after reconnect")
        assert len(s.orders()) == n and s.order(rec.order_id).perm_id == perm
        res = OrderCommands(s).execute(CancelOrder(rec.order_id))
        assert res.ok, res.message
        await until(lambda: s.order(rec.order_id).status is OrderStatus.CANCELLED, 5, "Cancelled")
        s.disconnect()
    asyncio.run(asyncio.wait_for(body(), 30))


def test_gateway_stop_is_lost_not_swallowed():
    async def body(g):
        s = Session("127.0.0.1", g.port, 1, connect_timeout=5)
        states = []
        s.stateEvent += lambda st, msg: states.append((st, msg))
        await s.connect()
        await asyncio.get_running_loop().run_in_executor(None, g.stop)
        await until(lambda: s.state is ConnectionState.LOST, 5, "LOST")
        assert "lost" in states[-1][1] and not s.is_connected
        assert [st for st, _ in states] == [ConnectionState.CONNECTING, ConnectionState.CONNECTED,
                                            ConnectionState.LOST]
        with pytest.raises(ConnectionError, match="refused|closed|No answer"):
            await s.connect()
    g = server.GatewayThread()
    try:
        asyncio.run(asyncio.wait_for(body(g), 20))
    finally:
        g.stop()
