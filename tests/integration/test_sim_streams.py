"""Issue-3 wire features through ib_async against a real gateway socket: symbol search,
market rules, depth, real-time bars, tick-by-tick, historical ticks, head timestamp,
PnL, account summary, whatIf, delayed market data, pacing, message log, master client.

The gateway runs the real SimExchange at 20x speed so
5-second bars arrive every 0.25 s of wall time.
"""

from __future__ import annotations

import asyncio
import struct
import time

import pytest
from ib_async import IB, Forex, LimitOrder, MarketOrder, Stock
from ib_async.objects import TickByTickAllLast, TickByTickBidAsk, TickByTickMidPoint

from app.sim.server import GatewayThread
from tests.integration.sim_support import (arun, next_client_id, raw_connect,
                                           read_frames_until_closed, rth_start_time, wait_for)
from app.sim.exchange import SimExchange

pytestmark = pytest.mark.timeout(60)
MASTER = 999
LOG: list[tuple] = []


@pytest.fixture(scope="module")
def gw():
    t0 = rth_start_time()
    ex = SimExchange(seed=7, now=t0)
    g = GatewayThread(exchange=ex, start_time=t0, speed=20.0, master_client_id=MASTER)
    g.gateway.message_log = lambda *a: LOG.append(a)
    yield g
    g.stop()


async def connected(gw, client_id=None) -> IB:
    ib = IB()
    await ib.connectAsync("127.0.0.1", gw.port,
                          clientId=next_client_id() if client_id is None else client_id,
                          timeout=3)
    return ib


async def aapl(ib):
    (c,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    return c


def run(gw, body, client_id=None):
    async def go():
        ib = await connected(gw, client_id)
        try:
            await body(ib)
        finally:
            ib.disconnect()
    arun(go(), 30)


def test_matching_symbols_and_contract_details_in_full(gw):
    async def body(ib):
        found = await ib.reqMatchingSymbolsAsync("AA")
        assert found and found[0].contract.symbol == "AAPL"
        assert len(found) <= 16 and all(d.contract.conId > 0 for d in found)
        assert found[0].contract.description            # long name (v176+ field)
        (cd,) = await ib.reqContractDetailsAsync(Stock("AAPL", "SMART", "USD"))
        assert cd.longName and cd.industry and cd.timeZoneId
        assert cd.tradingHours and cd.liquidHours and cd.minTick == 0.01
        rule_ids = [int(x) for x in cd.marketRuleIds.split(",") if x]
        incs = await ib.reqMarketRuleAsync(rule_ids[0])
        assert incs and incs[0].lowEdge == 0.0 and incs[0].increment > 0
    run(gw, body)


def test_depth_is_consistent_with_top_of_book(gw):
    async def body(ib):
        c = await aapl(ib)
        exchanges = await ib.reqMktDepthExchangesAsync()
        assert any(e.exchange and e.secType == "STK" for e in exchanges)
        t = ib.reqMktDepth(c, numRows=10)
        assert await wait_for(lambda: len(t.domBids) == 10 and len(t.domAsks) == 10, 3)
        top = gw.exchange.top(c.conId)
        bids, asks = gw.exchange.depth(c.conId, 10)
        assert await wait_for(lambda: [(d.price, d.size) for d in t.domBids]
                              == [tuple(x) for x in gw.exchange.depth(c.conId, 10)[0]], 3)
        assert bids[0][0] == top.bid or gw.exchange.top(c.conId).bid != top.bid
        assert all(t.domBids[i].price > t.domBids[i + 1].price for i in range(9))
        assert all(t.domAsks[i].price < t.domAsks[i + 1].price for i in range(9))
        ib.cancelMktDepth(c)
    run(gw, body)


def test_realtime_bars_every_five_sim_seconds(gw):
    async def body(ib):
        c = await aapl(ib)
        bars = ib.reqRealTimeBars(c, 5, "TRADES", False)
        assert await wait_for(lambda: len(bars) >= 3, 5)
        times = [b.time.timestamp() for b in bars]
        assert all(b - a == 5 for a, b in zip(times, times[1:]))
        assert all(b.low <= min(b.open_, b.close) and b.high >= max(b.open_, b.close)
                   for b in bars)
        ib.cancelRealTimeBars(bars)
        mids = ib.reqRealTimeBars(c, 5, "MIDPOINT", False)
        assert await wait_for(lambda: len(mids) >= 1, 5)
        ib.cancelRealTimeBars(mids)
    run(gw, body)


def test_tick_by_tick_all_types(gw):
    async def body(ib):
        c = await aapl(ib)
        ts = {k: ib.reqTickByTickData(c, k) for k in ("Last", "AllLast", "BidAsk", "MidPoint")}
        ticker = ts["Last"]                   # ib_async: one Ticker per contract

        def of(cls):
            return [x for x in ticker.tickByTicks if isinstance(x, cls)]

        assert await wait_for(lambda: of(TickByTickAllLast) and of(TickByTickBidAsk)
                               and of(TickByTickMidPoint), 8)
        ba = of(TickByTickBidAsk)[-1]
        assert ba.bidPrice < ba.askPrice and ba.bidSize > 0
        assert of(TickByTickMidPoint)[-1].midPoint > 0
        last = of(TickByTickAllLast)[-1]
        assert last.tickType in (1, 2) and last.price > 0 and last.size > 0 and last.exchange
        for k in ts:
            ib.cancelTickByTickData(c, k)
    run(gw, body)


def test_head_timestamp_and_historical_ticks(gw):
    async def body(ib):
        c = await aapl(ib)
        head = await ib.reqHeadTimeStampAsync(c, "TRADES", True, 1)
        assert head.year > 2000
        await asyncio.sleep(1.0)              # let some prints happen
        trades = await ib.reqHistoricalTicksAsync(c, "", time.strftime(
            "%Y%m%d-%H:%M:%S", time.gmtime(gw.gateway.clock())), 10, "TRADES", False)
        assert trades and all(t.price > 0 for t in trades)
        quotes = await ib.reqHistoricalTicksAsync(c, "", time.strftime(
            "%Y%m%d-%H:%M:%S", time.gmtime(gw.gateway.clock())), 10, "BID_ASK", False)
        assert quotes and all(q.priceBid < q.priceAsk for q in quotes)
        mids = await ib.reqHistoricalTicksAsync(c, "", time.strftime(
            "%Y%m%d-%H:%M:%S", time.gmtime(gw.gateway.clock())), 10, "MIDPOINT", False)
        assert mids and all(m.price > 0 for m in mids)
    run(gw, body)


def test_pnl_streams_after_a_fill(gw):
    async def body(ib):
        c = await aapl(ib)
        acct = ib.managedAccounts()[0]
        trade = ib.placeOrder(c, MarketOrder("BUY", 10))
        assert await wait_for(lambda: trade.orderStatus.status == "Filled", 5)
        p = ib.reqPnL(acct)
        ps = ib.reqPnLSingle(acct, "", c.conId)
        assert await wait_for(lambda: p.unrealizedPnL == p.unrealizedPnL
                              and ps.position == ps.position, 3)
        exp = gw.exchange.pnl_single(c.conId)
        assert ps.position == exp[0]
        ib.cancelPnL(acct)
        ib.cancelPnLSingle(acct, "", c.conId)
        sell = ib.placeOrder(c, MarketOrder("SELL", 10))
        assert await wait_for(lambda: sell.orderStatus.status == "Filled", 5)
    run(gw, body)


def test_account_summary_and_whatif(gw):
    async def body(ib):
        rows = await ib.accountSummaryAsync()
        tags = {r.tag for r in rows}
        assert {"NetLiquidation", "TotalCashValue", "BuyingPower"} <= tags
        c = await aapl(ib)
        state = await ib.whatIfOrderAsync(c, LimitOrder("BUY", 100, 100.0))
        assert state.initMarginChange and float(state.initMarginChange) > 0
        assert state.commission == state.commission and state.commission > 0
        assert not ib.openTrades()                         # no order was created
    run(gw, body)


def test_delayed_market_data_uses_delayed_ticks(gw):
    n0 = len(LOG)

    async def body(ib):
        ib.reqMarketDataType(3)
        c = await aapl(ib)
        t = ib.reqMktData(c)
        assert await wait_for(lambda: t.bid == t.bid and t.bid > 0, 3)
        assert t.marketDataType == 3
    run(gw, body)
    ticks = {int(a[3][3]) for a in LOG[n0:] if a[0] == "->" and a[2] == "tickPrice"}
    assert 66 in ticks and 67 in ticks and not ticks & {1, 2, 4}    # delayed bid/ask only


def test_message_log_records_both_directions(gw):
    n0 = len(LOG)
    run(gw, lambda ib: ib.reqCurrentTimeAsync())
    new = LOG[n0:]
    assert ("<-", None, "startApi") in [(a[0], a[1], a[2]) for a in new]
    assert any(a[0] == "<-" and a[2] == "reqCurrentTime" for a in new)
    assert any(a[0] == "->" and a[2] == "currentTime" and a[3][0] == "49" for a in new)


def test_master_client_sees_every_order_live(gw):
    async def go():
        master = await connected(gw, MASTER)
        trader = await connected(gw)
        try:
            c = await aapl(trader)
            tk = trader.reqMktData(c)
            assert await wait_for(lambda: tk.bid == tk.bid and tk.bid > 0, 3)
            trade = trader.placeOrder(c, LimitOrder("BUY", 1, round(tk.bid * 0.7, 2)))
            assert await wait_for(lambda: trade.orderStatus.status == "Submitted", 3)
            perm = trade.order.permId
            assert await wait_for(lambda: any(t.order.permId == perm
                                              for t in master.openTrades()), 3)
            trader.cancelOrder(trade.order)
            seen = next(t for t in master.trades() if t.order.permId == perm)
            assert await wait_for(lambda: seen.orderStatus.status == "Cancelled", 3)
        finally:
            master.disconnect()
            trader.disconnect()
    arun(go(), 20)


def test_pacing_error_100_and_other_clients_unaffected(gw):
    s = raw_connect(gw.port, next_client_id())
    read_frames_until_closed(s, 0.2)
    msg = b"49\x001\x00"
    s.sendall((struct.pack(">I", len(msg)) + msg) * 120)
    frames = read_frames_until_closed(s, 1.0)
    s.close()
    times = [f for f in frames if f[0] == "49"]
    errors = [f for f in frames if f[0] == "4" and f[3] == "100"]
    # 50 messages in the first second after startApi are served, the rest refused
    assert len(times) == 50 and len(errors) == 70
    assert "Max rate of messages per second" in errors[0][4]
    run(gw, lambda ib: ib.reqCurrentTimeAsync())


def test_fx_realtime_trades_is_refused_with_162(gw):
    async def body(ib):
        (c,) = await ib.qualifyContractsAsync(Forex("EURUSD"))
        errs = []
        ib.errorEvent += lambda rid, code, msg, *a: errs.append(code)
        ib.reqRealTimeBars(c, 5, "TRADES", False)
        assert await wait_for(lambda: 162 in errs, 3)
    run(gw, body)


def test_identical_historical_ticks_request_gets_162(gw):
    """IB's historical pacing: an identical request within 15 s is a pacing violation."""
    async def body(ib):
        c = await aapl(ib)
        errs = []
        ib.errorEvent += lambda rid, code, msg, *a: errs.append((code, msg))
        end = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(gw.gateway.clock() - 1))
        first = await ib.reqHistoricalTicksAsync(c, "", end, 7, "BID_ASK", False)
        assert first
        again = await ib.reqHistoricalTicksAsync(c, "", end, 7, "BID_ASK", False)
        assert not again
        assert any(code == 162 and "pacing violation" in msg for code, msg in errs)
    run(gw, body)


def test_connection_faults_interface_delay_send_error_close(gw):
    async def body(ib):
        errs = []
        ib.errorEvent += lambda rid, code, msg, *a: errs.append(code)
        (conn,) = [c for c in gw.gateway.connections if c.client_id == ib.client.clientId]
        conn.delay = 0.4
        t = time.monotonic()
        await ib.reqCurrentTimeAsync()
        assert time.monotonic() - t >= 0.35
        conn.delay = 0.0
        t = time.monotonic()
        await ib.reqCurrentTimeAsync()
        assert time.monotonic() - t < 0.3
        gw.loop.call_soon_threadsafe(conn.send_error, -1, 1100,
                                     "Connectivity between IB and Trader Workstation has been lost.")
        gw.loop.call_soon_threadsafe(conn.flush)
        assert await wait_for(lambda: 1100 in errs, 2)
        gw.loop.call_soon_threadsafe(conn.close)
        assert await wait_for(lambda: not ib.isConnected(), 2)
    run(gw, body)


def test_client_zero_with_auto_open_orders_gets_manual_tws_orders(gw):
    from app.sim.types import OrderTicket

    async def go():
        other = await connected(gw)
        zero = await connected(gw, 0)              # ib_async sends reqAutoOpenOrders(True)
        try:
            c = await aapl(zero)
            bid = gw.exchange.top(c.conId).bid
            ticket = OrderTicket("BUY", 3, "LMT", round(bid * 0.7, 2), None, "GTC")
            fut = asyncio.run_coroutine_threadsafe(_on_loop(
                lambda: gw.exchange.place_manual(c.conId, ticket, gw.gateway.clock())), gw.loop)
            o = fut.result(2)
            assert await wait_for(lambda: any(t.order.permId == o.perm_id
                                              for t in zero.openTrades()), 3)
            assert not any(t.order.permId == o.perm_id for t in other.openTrades())
        finally:
            zero.disconnect()
            other.disconnect()
    arun(go(), 20)


async def _on_loop(fn):
    return fn()
