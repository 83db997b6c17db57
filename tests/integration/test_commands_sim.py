"""The command layer (OrderCommands + real Session) against the simulated gateway:
bracket with OCA children, whatIf, GlobalCancel across clients, Flatten, KillSwitch,
stale orderIds after a reconnect."""

from __future__ import annotations

import asyncio

from app.broker import Session
from app.commands import (
    Flatten, GlobalCancel, KillSwitch, OrderCommands, PlaceBracket, PlaceOrder,
)
from app.commands import CancelOrder, ModifyOrder
from app.domain import Action, OrderRequest, OrderStatus, OrderType, round_to_tick
from tests.integration.sim_support import make_gateway, next_client_id, until

import pytest


@pytest.fixture(scope="module")
def gw():
    with make_gateway() as g:
        yield g


async def _session(gw) -> Session:
    s = Session("127.0.0.1", gw.port, next_client_id(), connect_timeout=5)
    await s.connect()
    return s


async def _mid(s: Session, inst) -> float:
    s.subscribe_quotes(inst)
    await until(lambda: (q := s.quote(inst.key)) is not None and q.bid and q.ask, 5, "quote")
    q = s.quote(inst.key)
    return (q.bid + q.ask) / 2


def run(coro_fn, gw, timeout=40):
    async def main():
        s = await _session(gw)
        try:
            await coro_fn(s)
        finally:
            s.disconnect()
    asyncio.run(asyncio.wait_for(main(), timeout))


def test_bracket_children_presubmitted_tp_fill_cancels_sl(gw):
    async def body(s):
        c = OrderCommands(s)
        aapl = await s.resolve("AAPL")
        mid = await _mid(s, aapl)
        q = s.quote(aapl.key)
        # a SELL bracket: entry well above the market (rests), take profit below, stop above
        res = c.execute(PlaceBracket(OrderRequest(aapl, Action.SELL, 10, OrderType.LMT,
                                                  limit_price=round_to_tick(mid * 1.2, aapl.min_tick)),
                                     take_profit=round_to_tick(mid * 0.8, aapl.min_tick),
                                     stop_loss=round_to_tick(mid * 1.4, aapl.min_tick)))
        assert res.ok, res.message
        parent, tpo, slo = res.orders
        await until(lambda: s.order(tpo.order_id).status is OrderStatus.PRE_SUBMITTED
                     and s.order(slo.order_id).status is OrderStatus.PRE_SUBMITTED, 5, "children PreSubmitted")
        assert s.order(parent.order_id).status is OrderStatus.SUBMITTED
        # move the parent to a marketable price: it fills, then the take profit (far below) fills too
        assert c.execute(ModifyOrder(parent.order_id, limit_price=round_to_tick(q.bid - 0.5, aapl.min_tick))).ok
        await until(lambda: s.order(parent.order_id).status is OrderStatus.FILLED, 8, "parent filled")
        # take profit BUY at 0.8 x mid is below the market: move it up to fill
        await until(lambda: s.pending_action(parent.order_id) is None, 5, "modify answered")
        assert c.execute(ModifyOrder(tpo.order_id, limit_price=round_to_tick(q.ask + 0.5, aapl.min_tick))).ok
        await until(lambda: s.order(tpo.order_id).status is OrderStatus.FILLED, 8, "take profit filled")
        await until(lambda: s.order(slo.order_id).status is OrderStatus.CANCELLED, 8, "stop loss cancelled (OCA)")
    run(body, gw)


def test_what_if_returns_margin_and_commission(gw):
    async def body(s):
        aapl = await s.resolve("AAPL")
        mid = await _mid(s, aapl)
        w = await s.what_if(OrderRequest(aapl, Action.BUY, 100, OrderType.LMT,
                                         limit_price=round_to_tick(mid, aapl.min_tick)))
        assert w.init_margin_change is not None and w.init_margin_change > 0
        assert w.commission is not None and w.commission > 0 and w.commission_currency
        assert not [o for o in s.orders() if o.client_id == s.client_id]   # nothing placed
    run(body, gw)


def test_global_cancel_cancels_another_clients_order(gw):
    async def body(s):
        other = await _session(gw)
        try:
            aapl = await other.resolve("AAPL")
            far = round_to_tick((await _mid(other, aapl)) * 0.5, aapl.min_tick)
            theirs = other.place_order(OrderRequest(aapl, Action.BUY, 3, OrderType.LMT, limit_price=far))
            await until(lambda: other.order(theirs.order_id).status is OrderStatus.SUBMITTED, 5, "working")
            res = OrderCommands(s).execute(GlobalCancel())
            assert res.ok, res.message
            await until(lambda: other.order(theirs.order_id).status is OrderStatus.CANCELLED, 5,
                         "other client's order cancelled")
        finally:
            other.disconnect()
    run(body, gw)


def test_flatten_closes_position_and_kill_switch_refuses_next(gw):
    async def body(s):
        c = OrderCommands(s)
        msft = await s.resolve("MSFT")
        mid = await _mid(s, msft)
        assert c.execute(PlaceOrder(OrderRequest(msft, Action.BUY, 7, OrderType.MKT))).ok
        await until(lambda: any(p.instrument.key == msft.key and p.quantity == 7 for p in s.positions()),
                     8, "position 7")
        res = c.execute(Flatten(msft.key, style="LMT"))
        assert res.ok, res.message
        await until(lambda: not any(p.instrument.key == msft.key for p in s.positions()), 8, "flat")
        far = round_to_tick(mid * 0.5, msft.min_tick)
        oid = c.execute(PlaceOrder(OrderRequest(msft, Action.BUY, 2, OrderType.LMT, limit_price=far))).order.order_id
        await until(lambda: s.order(oid).status is OrderStatus.SUBMITTED, 5, "working")
        res = c.execute(KillSwitch())
        assert res.ok and c.halted and oid in [o.order_id for o in res.orders]
        await until(lambda: s.order(oid).status is OrderStatus.CANCELLED, 5, "cancelled by kill switch")
        nxt = c.execute(PlaceOrder(OrderRequest(msft, Action.BUY, 1, OrderType.LMT, limit_price=far)))
        assert not nxt.ok and nxt.rule == "halted"
    run(body, gw)


def test_stale_order_id_after_reconnect():
    """The gateway restarts without its state: the order placed before is not reported
    again, so modify/cancel of its orderId are refused; new orders get fresh ids."""
    from tests.integration.sim_support import make_gateway as mk

    async def body():
        g1 = mk()
        g1.__enter__()
        port = g1.port
        s = Session("127.0.0.1", port, next_client_id(), connect_timeout=5)
        try:
            await s.connect()
            c = OrderCommands(s)
            aapl = await s.resolve("AAPL")
            far = round_to_tick((await _mid(s, aapl)) * 0.5, aapl.min_tick)
            oid = c.execute(PlaceOrder(OrderRequest(aapl, Action.BUY, 4, OrderType.LMT,
                                                    limit_price=far))).order.order_id
            await until(lambda: s.order(oid).status is OrderStatus.SUBMITTED, 5, "working")
            await asyncio.get_running_loop().run_in_executor(None, g1.stop)
            await until(lambda: not s.is_connected, 5, "connection lost")
            from app.sim.server import GatewayThread
            from tests.integration.sim_support import rth_start_time
            with GatewayThread(port=port, seed=7, start_time=rth_start_time()):
                await s.connect()
                assert oid in s.stale_order_ids()
                for cmd in (CancelOrder(oid), ModifyOrder(oid, quantity=5)):
                    res = c.execute(cmd)
                    assert not res.ok and res.rule == "stale_order_id", res.message
                new = c.execute(PlaceOrder(OrderRequest(aapl, Action.BUY, 1, OrderType.LMT,
                                                        limit_price=far)))
                assert new.ok and new.order.order_id > oid   # id floor above the old orderIds
                await until(lambda: s.order(new.order.order_id).status is OrderStatus.SUBMITTED, 5,
                             "new order working")
                assert c.execute(CancelOrder(new.order.order_id)).ok
                s.disconnect()
        finally:
            s.disconnect()
            g1.stop()
    asyncio.run(asyncio.wait_for(body(), 40))


def test_order_cancelled_while_disconnected_is_not_stale(gw):
    async def body(s):
        c = OrderCommands(s)
        aapl = await s.resolve("AAPL")
        far = round_to_tick((await _mid(s, aapl)) * 0.5, aapl.min_tick)
        oid = c.execute(PlaceOrder(OrderRequest(aapl, Action.BUY, 4, OrderType.LMT, limit_price=far))).order.order_id
        await until(lambda: s.order(oid).status is OrderStatus.SUBMITTED, 5, "working")
        s.disconnect()
        other = await _session(gw)          # meanwhile the order is cancelled by another client
        other.global_cancel()
        await asyncio.sleep(0.3)
        other.disconnect()
        await s.connect()
        assert oid not in s.stale_order_ids()
        res = c.execute(CancelOrder(oid))
        assert not res.ok and res.rule == "order_done", res.message
    run(body, gw)
