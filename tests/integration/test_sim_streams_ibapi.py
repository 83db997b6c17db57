"""Issue-3 wire features through the official ibapi client (EClient/EWrapper) over a
real socket: every new message must reach its EWrapper callback with the values the
exchange holds (a field too many or too few and ibapi drops or misreads it)."""

from __future__ import annotations

import time

import pytest
from ibapi.client import EClient
from ibapi.order import Order
from ibapi.wrapper import EWrapper

from app.sim.server import GatewayThread
from tests.integration.sim_support import RecordingApp, ibapi_stock, running_ibapi, rth_start_time
from app.sim.exchange import SimExchange

pytestmark = pytest.mark.timeout(60)


class App(RecordingApp, EWrapper, EClient):
    """Records the callbacks below as (name, *args) tuples."""

    def symbolSamples(self, reqId, descs):
        self._rec("symbolSamples", reqId, descs)

    def marketRule(self, marketRuleId, increments):
        self._rec("marketRule", marketRuleId, increments)

    def mktDepthExchanges(self, descs):
        self._rec("mktDepthExchanges", 0, descs)

    def updateMktDepth(self, reqId, position, operation, side, price, size):
        self._rec("updateMktDepth", reqId, position, operation, side, price, size)

    def updateMktDepthL2(self, reqId, position, mm, operation, side, price, size, smart):
        self._rec("updateMktDepthL2", reqId, position, mm, operation, side, price, size, smart)

    def realtimeBar(self, reqId, t, o, h, low, c, v, wap, count):
        self._rec("realtimeBar", reqId, t, o, h, low, c, v, wap, count)

    def tickByTickAllLast(self, reqId, tickType, t, price, size, attrib, exch, cond):
        self._rec("tickByTickAllLast", reqId, tickType, t, price, size, exch)

    def tickByTickBidAsk(self, reqId, t, bid, ask, bid_size, ask_size, attrib):
        self._rec("tickByTickBidAsk", reqId, t, bid, ask, bid_size, ask_size)

    def tickByTickMidPoint(self, reqId, t, mid):
        self._rec("tickByTickMidPoint", reqId, t, mid)

    def headTimestamp(self, reqId, stamp):
        self._rec("headTimestamp", reqId, stamp)

    def historicalTicks(self, reqId, ticks, done):
        self._rec("historicalTicks", reqId, ticks, done)

    def historicalTicksBidAsk(self, reqId, ticks, done):
        self._rec("historicalTicksBidAsk", reqId, ticks, done)

    def historicalTicksLast(self, reqId, ticks, done):
        self._rec("historicalTicksLast", reqId, ticks, done)

    def pnl(self, reqId, daily, unrealized, realized):
        self._rec("pnl", reqId, daily, unrealized, realized)

    def pnlSingle(self, reqId, pos, daily, unrealized, realized, value):
        self._rec("pnlSingle", reqId, pos, daily, unrealized, realized, value)

    def accountSummary(self, reqId, account, tag, value, currency):
        self._rec("accountSummary", reqId, tag, value)

    def accountSummaryEnd(self, reqId):
        self._rec("accountSummaryEnd", reqId)

    def openOrder(self, orderId, contract, order, state):
        self._rec("openOrder", orderId, order, state)

    def orderStatus(self, orderId, status, *rest):
        self._rec("orderStatus", orderId, status)

    def tickPrice(self, reqId, tickType, price, attrib):
        self._rec("tickPrice", reqId, tickType, price)

    def marketDataType(self, reqId, t):
        self._rec("marketDataType", reqId, t)


@pytest.fixture(scope="module")
def gw():
    t0 = rth_start_time()
    g = GatewayThread(exchange=SimExchange(seed=7, now=t0), start_time=t0, speed=20.0)
    yield g
    g.stop()


@pytest.fixture
def app(gw):
    with running_ibapi(App(), gw.port) as a:
        yield a


def test_symbols_rules_depth_exchanges(app, gw):
    app.reqMatchingSymbols(1, "MSF")
    assert app.wait(lambda: app.of("symbolSamples", 1))
    descs = app.of("symbolSamples", 1)[0][2]
    assert descs[0].contract.symbol == "MSFT" and descs[0].contract.conId > 0
    app.reqMarketRule(26)
    assert app.wait(lambda: app.of("marketRule", 26))
    incs = app.of("marketRule", 26)[0][2]
    assert [(i.lowEdge, i.increment) for i in incs] == [tuple(map(float, x))
                                                         for x in gw.exchange.market_rule(26)]
    app.reqMktDepthExchanges()
    assert app.wait(lambda: app.of("mktDepthExchanges"))
    got = app.of("mktDepthExchanges")[0][2]
    assert [(d.exchange, d.secType, d.listingExch, d.serviceDataType, d.aggGroup)
            for d in got] == [tuple(r) for r in gw.exchange.depth_exchanges()]


@pytest.mark.parametrize("smart", [False, True])
def test_depth_builds_the_book(app, gw, smart):
    rid = 20 + smart
    app.reqMktDepth(rid, ibapi_stock(), 10, smart, [])
    name = "updateMktDepthL2" if smart else "updateMktDepth"
    assert app.wait(lambda: len(app.of(name, rid)) >= 20)
    book = {0: {}, 1: {}}
    for e in app.of(name, rid):
        pos, op, side, price, size = (e[2], e[4], e[5], e[6], e[7]) if smart else e[2:7]
        if op == 2:
            book[side].pop(pos, None)
        else:
            book[side][pos] = (price, float(size))
    bids = [book[1][i] for i in sorted(book[1])]
    assert len(bids) == 10 and all(bids[i][0] > bids[i + 1][0] for i in range(9))
    app.cancelMktDepth(rid, smart)


def test_realtime_bars_and_tick_by_tick(app, gw):
    app.reqRealTimeBars(30, ibapi_stock(), 5, "TRADES", False, [])
    for rid, kind in ((31, "Last"), (32, "AllLast"), (33, "BidAsk"), (34, "MidPoint")):
        app.reqTickByTickData(rid, ibapi_stock(), kind, 0, False)
    assert app.wait(lambda: len(app.of("realtimeBar", 30)) >= 2, 6)
    b = app.of("realtimeBar", 30)[-1]
    assert b[2] % 5 == 0 and b[5] <= min(b[3], b[6]) and b[4] >= max(b[3], b[6])
    assert app.wait(lambda: app.of("tickByTickAllLast", 31) and app.of("tickByTickAllLast", 32)
                    and app.of("tickByTickBidAsk", 33) and app.of("tickByTickMidPoint", 34), 8)
    ba = app.of("tickByTickBidAsk", 33)[-1]
    assert ba[3] < ba[4]
    assert app.of("tickByTickAllLast", 32)[-1][2] == 2
    app.cancelRealTimeBars(30)
    for rid in (31, 32, 33, 34):
        app.cancelTickByTickData(rid)


def test_head_timestamp_historical_ticks(app, gw):
    app.reqHeadTimeStamp(40, ibapi_stock(), "TRADES", 1, 2)
    assert app.wait(lambda: app.of("headTimestamp", 40))
    assert int(app.of("headTimestamp", 40)[0][2]) == int(
        gw.exchange.head_timestamp(gw.exchange.lookup(symbol="AAPL")[0].con_id, "TRADES", True))
    time.sleep(0.5)
    end = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(gw.gateway.clock()))
    for rid, what in ((41, "TRADES"), (42, "BID_ASK"), (43, "MIDPOINT")):
        app.reqHistoricalTicks(rid, ibapi_stock(), "", end, 5, what, 0, True, [])
    assert app.wait(lambda: app.of("historicalTicksLast", 41) and app.of(
        "historicalTicksBidAsk", 42) and app.of("historicalTicks", 43))
    last = app.of("historicalTicksLast", 41)[0]
    assert last[3] is True and 0 < len(last[2]) <= 5 and last[2][0].price > 0
    assert all(t.priceBid < t.priceAsk for t in app.of("historicalTicksBidAsk", 42)[0][2])
    app.reqHistoricalTicks(44, ibapi_stock(), "", "", 5, "TRADES", 0, True, [])   # neither time set
    assert app.wait(lambda: any(e[2] == 321 for e in app.of("error", 44)))


def test_pnl_account_summary_whatif(app, gw):
    acct = gw.exchange.account_id
    app.reqPnL(50, acct, "")
    app.reqPnLSingle(51, acct, "", gw.exchange.lookup(symbol="MSFT")[0].con_id)
    assert app.wait(lambda: app.of("pnl", 50) and app.of("pnlSingle", 51))
    app.cancelPnL(50)
    app.cancelPnLSingle(51)
    app.reqAccountSummary(52, "All", "NetLiquidation,BuyingPower")
    assert app.wait(lambda: app.of("accountSummaryEnd", 52))
    assert {e[2] for e in app.of("accountSummary", 52)} == {"NetLiquidation", "BuyingPower"}
    app.cancelAccountSummary(52)
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.lmtPrice, o.whatIf = "BUY", 100, "LMT", 100.0, True
    oid = app.next_id
    app.placeOrder(oid, ibapi_stock(), o)
    assert app.wait(lambda: app.of("openOrder", oid))
    _, _, order, state = app.of("openOrder", oid)[0]
    assert order.whatIf and float(state.initMarginChange) > 0 and state.commissionAndFees > 0
    time.sleep(0.2)
    assert not app.of("orderStatus", oid)                 # IB sends no orderStatus for whatIf


def test_delayed_market_data(app, gw):
    app.reqMarketDataType(3)
    app.reqMktData(60, ibapi_stock(), "", False, False, [])
    assert app.wait(lambda: any(e[2] == 66 for e in app.of("tickPrice", 60)))
    assert not any(e[2] == 1 for e in app.of("tickPrice", 60))
    assert app.of("marketDataType", 60)[0][2] == 3
    app.cancelMktData(60)
