"""Each new order type and time in force placed through the command layer and the real
Session (ib_async) against the simulated gateway over a real socket (issue 14 item 17):
the order the gateway received (orderType, auxPrice, trailing fields, tif, goodTillDate,
outsideRth), what came back to the client (openOrder -> OrderRecord), and the status and
fill behaviour the gateway simulates (a trailing stop that moves, IOC / FOK at once, MOC
and LOC in the closing auction, GTD expiry, OPG held for the open)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.broker import Session
from app.commands import ModifyOrder, OrderCommands, PlaceOrder
from app.domain import Action, OrderRequest, OrderStatus, OrderType, TimeInForce, round_to_tick
from app.sim.server import GatewayThread
from tests.integration.sim_support import make_gateway, next_client_id, until

NY = ZoneInfo("America/New_York")
BUY, SELL = Action.BUY, Action.SELL


@pytest.fixture(scope="module")
def gw():
    with make_gateway(seed=11) as g:
        yield g


def gateway_orders(gw) -> dict[int, tuple]:
    """orderId -> (ticket copy, status, current trail stop) of every order the gateway holds,
    read on the gateway's own loop (its dictionaries change there)."""
    async def read():
        return {o.order_id: (dataclasses.replace(o.ticket), o.status, o.trail_stop)
                for o in gw.exchange.orders(working_only=False)}
    return asyncio.run_coroutine_threadsafe(read(), gw.loop).result(5)


def run(gw, body, timeout=60):
    async def main():
        s = Session("127.0.0.1", gw.port, next_client_id(), connect_timeout=5)
        await s.connect()
        try:
            c = OrderCommands(s)
            aapl = await s.resolve("AAPL")
            s.subscribe_quotes(aapl)
            await until(lambda: (q := s.quote(aapl.key)) is not None and q.bid and q.ask and q.last, 8, "quote")
            await body(s, c, aapl)
        finally:
            s.disconnect()
    asyncio.run(asyncio.wait_for(main(), timeout))


def place(c: OrderCommands, req: OrderRequest) -> int:
    res = c.execute(PlaceOrder(req))
    assert res.ok, res.message
    return res.order.order_id


def test_trailing_stop_by_amount_received_moves_and_is_modified(gw):
    async def body(s, c, aapl):
        last = s.quote(aapl.key).last
        amount = round_to_tick(last * 0.05, aapl.min_tick)            # far: it will not trigger
        oid = place(c, OrderRequest(aapl, SELL, 10, OrderType.TRAIL, trailing_amount=amount,
                                    tif=TimeInForce.GTC, outside_rth=True))
        await until(lambda: s.order(oid).status is OrderStatus.PRE_SUBMITTED
                    and s.order(oid).stop_price is not None, 8, "TRAIL PreSubmitted with its stop")
        t, status, stop = gateway_orders(gw)[oid]
        assert (t.order_type, t.aux_price, t.trailing_percent, t.tif, t.outside_rth) == (
            "TRAIL", amount, None, "GTC", True)
        rec = s.order(oid)
        assert (rec.order_type, rec.trailing_amount, rec.trailing_percent, rec.tif, rec.outside_rth) == (
            OrderType.TRAIL, amount, None, "GTC", True)
        assert rec.stop_price == pytest.approx(stop)                # trailStopPrice: where the stop is
        # the market drifts: a SELL stop follows it up, a BUY stop down (never back), and the
        # client hears of each move (openOrder with the new trailStopPrice)
        buy = place(c, OrderRequest(aapl, BUY, 10, OrderType.TRAIL, trailing_amount=amount))
        await until(lambda: s.order(buy).stop_price is not None, 8, "BUY TRAIL with its stop")
        first = {oid: s.order(oid).stop_price, buy: s.order(buy).stop_price}
        await until(lambda: s.order(oid).stop_price > first[oid] + 1e-9
                    or s.order(buy).stop_price < first[buy] - 1e-9, 40, "a trailing stop moves")
        for o in (oid, buy):
            assert s.order(o).stop_price == pytest.approx(gateway_orders(gw)[o][2], abs=0.05)
        assert s.order(oid).stop_price >= first[oid] and s.order(buy).stop_price <= first[buy]
        # modify the trailing amount: the gateway gets the new auxPrice and restarts the stop
        new = round_to_tick(amount / 2, aapl.min_tick)
        assert c.execute(ModifyOrder(oid, trailing_amount=new)).ok
        await until(lambda: s.pending_action(oid) is None, 8, "modify answered")
        assert gateway_orders(gw)[oid][0].aux_price == new and s.order(oid).trailing_amount == new
        assert c.execute(ModifyOrder(oid, quantity=20)).ok
        await until(lambda: s.pending_action(oid) is None, 8, "quantity modify answered")
        t = gateway_orders(gw)[oid][0]
        assert (t.total_qty, t.aux_price, t.order_type) == (20, new, "TRAIL")
    run(gw, body)


def test_trailing_percent_and_trail_limit_fields_received(gw):
    async def body(s, c, aapl):
        last = s.quote(aapl.key).last
        pct = place(c, OrderRequest(aapl, BUY, 10, OrderType.TRAIL, trailing_percent=5.0))
        stop0 = round_to_tick(last * 0.9, aapl.min_tick)
        tl = place(c, OrderRequest(aapl, SELL, 10, OrderType.TRAIL_LIMIT, trailing_amount=1.0,
                                   trail_stop_price=stop0, limit_offset=0.25))
        await until(lambda: s.order(pct).status is OrderStatus.PRE_SUBMITTED
                    and s.order(tl).status is OrderStatus.PRE_SUBMITTED, 8, "both PreSubmitted")
        g = gateway_orders(gw)
        t = g[pct][0]
        assert (t.order_type, t.trailing_percent, t.aux_price) == ("TRAIL", 5.0, None)
        assert g[pct][2] >= last * 1.05 - 0.01                       # BUY: 5 % above the market
        t = g[tl][0]
        assert (t.order_type, t.aux_price, t.trail_stop_price, t.lmt_price_offset, t.lmt_price) == (
            "TRAIL LIMIT", 1.0, stop0, 0.25, None)
        r = s.order(pct)
        assert (r.trailing_percent, r.trailing_amount) == (5.0, None)
        r = s.order(tl)
        assert (r.order_type, r.trailing_amount, r.limit_offset, r.limit_price) == (
            OrderType.TRAIL_LIMIT, 1.0, 0.25, None)
    run(gw, body)


def test_touch_orders_trigger_on_the_touch(gw):
    async def body(s, c, aapl):
        last = s.quote(aapl.key).last
        tick = aapl.min_tick
        # BUY MIT triggers when the market falls to its price: one above the market is touched now
        mit = place(c, OrderRequest(aapl, BUY, 10, OrderType.MIT, stop_price=round_to_tick(last * 1.02, tick)))
        far = round_to_tick(last * 0.8, tick)
        lit = place(c, OrderRequest(aapl, BUY, 10, OrderType.LIT, stop_price=far, limit_price=far))
        await until(lambda: s.order(mit).status is OrderStatus.FILLED, 8, "MIT filled")
        await until(lambda: s.order(lit).status is OrderStatus.PRE_SUBMITTED, 8, "LIT waits")
        g = gateway_orders(gw)
        assert (g[mit][0].order_type, g[mit][0].aux_price) == ("MIT", round_to_tick(last * 1.02, tick))
        assert (g[lit][0].order_type, g[lit][0].aux_price, g[lit][0].lmt_price) == ("LIT", far, far)
        assert (s.order(lit).stop_price, s.order(lit).limit_price) == (far, far)
    run(gw, body)


def test_ioc_and_fok_act_at_once(gw):
    async def body(s, c, aapl):
        q = s.quote(aapl.key)
        tick = aapl.min_tick
        rest = place(c, OrderRequest(aapl, BUY, 10, OrderType.LMT, limit_price=round_to_tick(q.bid * 0.9, tick),
                                     tif=TimeInForce.IOC))
        fok = place(c, OrderRequest(aapl, BUY, 10, OrderType.LMT, limit_price=round_to_tick(q.ask * 1.05, tick),
                                    tif=TimeInForce.FOK))
        await until(lambda: s.order(rest).status is OrderStatus.CANCELLED, 8, "IOC not marketable: cancelled")
        await until(lambda: s.order(fok).status is OrderStatus.FILLED, 8, "FOK marketable: filled")
        assert s.order(rest).filled == 0 and s.order(fok).filled == 10
        g = gateway_orders(gw)
        assert (g[rest][0].tif, g[fok][0].tif) == ("IOC", "FOK")
    run(gw, body)


def test_gtd_in_both_ib_forms_and_opg_waits_for_the_open(gw):
    async def body(s, c, aapl):
        q = s.quote(aapl.key)
        low = round_to_tick(q.bid * 0.9, aapl.min_tick)
        ny = (dt.datetime.now(NY) + dt.timedelta(days=3)).replace(hour=16, minute=0, second=0, microsecond=0)
        utc = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).replace(microsecond=0)
        a = place(c, OrderRequest(aapl, BUY, 10, OrderType.LMT, limit_price=low, tif=TimeInForce.GTD, good_till=ny))
        b = place(c, OrderRequest(aapl, BUY, 10, OrderType.LMT, limit_price=low, tif=TimeInForce.GTD, good_till=utc))
        opg = place(c, OrderRequest(aapl, BUY, 10, OrderType.MKT, tif=TimeInForce.OPG))
        await until(lambda: all(s.order(o).status is not OrderStatus.PENDING_SUBMIT for o in (a, b, opg)), 8, "acks")
        g = gateway_orders(gw)
        assert (g[a][0].tif, g[a][0].good_till_date) == ("GTD", ny.strftime("%Y%m%d 16:00:00 America/New_York"))
        assert g[b][0].good_till_date == utc.strftime("%Y%m%d-%H:%M:%S")
        assert s.order(a).good_till == ny.strftime("%Y%m%d 16:00:00 America/New_York")
        assert (s.order(a).status, s.order(b).status) == (OrderStatus.SUBMITTED, OrderStatus.SUBMITTED)
        # OPG: a market-on-open order is held for the next opening auction
        assert (g[opg][0].tif, g[opg][1], s.order(opg).status) == ("OPG", "PreSubmitted", OrderStatus.PRE_SUBMITTED)
    run(gw, body)


def _minutes_before_close(minutes: float) -> float:
    """POSIX time ``minutes`` before 16:00 New York on the last Wednesday (a full session)."""
    d = dt.datetime.now(NY).date() - dt.timedelta(days=1)
    while d.weekday() != 2:
        d -= dt.timedelta(days=1)
    return dt.datetime(d.year, d.month, d.day, 16, 0, tzinfo=NY).timestamp() - minutes * 60


def test_moc_fills_and_loc_out_of_the_money_is_cancelled_at_the_close():
    """A gateway 12 simulated minutes before the close running 60x: MOC / LOC wait
    PreSubmitted, then the 16:00 auction fills the MOC at the closing price and cancels a LOC
    whose limit the close did not reach."""
    with GatewayThread(seed=7, start_time=_minutes_before_close(12), speed=60) as g:
        async def body(s, c, aapl):
            low = round_to_tick(s.quote(aapl.key).last * 0.8, aapl.min_tick)
            moc = place(c, OrderRequest(aapl, BUY, 10, OrderType.MOC))
            loc = place(c, OrderRequest(aapl, BUY, 10, OrderType.LOC, limit_price=low))
            await until(lambda: s.order(moc).status is OrderStatus.PRE_SUBMITTED
                        and s.order(loc).status is OrderStatus.PRE_SUBMITTED, 5, "held for the auction")
            t = gateway_orders(g)
            assert (t[moc][0].order_type, t[loc][0].order_type, t[loc][0].lmt_price) == ("MOC", "LOC", low)
            await until(lambda: s.order(moc).status is OrderStatus.FILLED, 30, "MOC filled at the close")
            await until(lambda: s.order(loc).status is OrderStatus.CANCELLED, 10, "LOC cancelled")
            assert s.order(moc).filled == 10 and s.order(loc).filled == 0
        run(g, body, timeout=60)


def test_gtd_order_is_cancelled_at_its_expiry():
    """A gateway on the real clock (the expiry is checked against it): a resting LMT GTD
    order expiring in 3 s is working, then Cancelled by the gateway at its goodTillDate."""
    with GatewayThread(seed=7) as g:
        async def body(s, c, aapl):
            low = round_to_tick(s.quote(aapl.key).bid * 0.9, aapl.min_tick)
            expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)).replace(microsecond=0)
            expiry += dt.timedelta(seconds=1)
            oid = place(c, OrderRequest(aapl, BUY, 10, OrderType.LMT, limit_price=low, tif=TimeInForce.GTD,
                                        good_till=expiry))
            await until(lambda: s.order(oid).is_working and s.order(oid).status is not OrderStatus.PENDING_SUBMIT,
                        5, "GTD order working")
            assert gateway_orders(g)[oid][0].good_till_date == expiry.strftime("%Y%m%d-%H:%M:%S")
            await until(lambda: s.order(oid).status is OrderStatus.CANCELLED, 10, "GTD order expired")
            assert dt.datetime.now(dt.timezone.utc) >= expiry - dt.timedelta(seconds=0.5)
        run(g, body, timeout=40)
