"""The simulated gateway with the official ibapi EClient/EWrapper over a real socket."""

from __future__ import annotations


import pytest
from ibapi.client import EClient
from ibapi.execution import ExecutionFilter
from ibapi.order import Order
from ibapi.wrapper import EWrapper

from tests.integration.sim_support import RecordingApp, ibapi_stock, running_ibapi, make_gateway

pytestmark = pytest.mark.timeout(60)


class App(RecordingApp, EWrapper, EClient):
    """Records the callbacks below as (name, *args) tuples."""

    def managedAccounts(self, accountsList):
        self._rec("managedAccounts", accountsList)

    def contractDetails(self, reqId, cd):
        self._rec("contractDetails", reqId, cd)

    def contractDetailsEnd(self, reqId):
        self._rec("contractDetailsEnd", reqId)

    def tickPrice(self, reqId, tickType, price, attrib):
        self._rec("tickPrice", reqId, tickType, price)

    def tickSize(self, reqId, tickType, size):
        self._rec("tickSize", reqId, tickType, size)

    def tickReqParams(self, tickerId, minTick, bboExchange, snapshotPermissions):
        self._rec("tickReqParams", tickerId, minTick)

    def marketDataType(self, reqId, marketDataType):
        self._rec("marketDataType", reqId, marketDataType)

    def historicalData(self, reqId, bar):
        self._rec("historicalData", reqId, bar)

    def historicalDataEnd(self, reqId, start, end):
        self._rec("historicalDataEnd", reqId)

    def historicalDataUpdate(self, reqId, bar):
        self._rec("historicalDataUpdate", reqId, bar)

    def openOrder(self, orderId, contract, order, orderState):
        self._rec("openOrder", orderId, order.permId, orderState.status)

    def openOrderEnd(self):
        self._rec("openOrderEnd")

    def orderStatus(self, orderId, status, filled, remaining, *rest):
        self._rec("orderStatus", orderId, status, filled)

    def execDetails(self, reqId, contract, execution):
        self._rec("execDetails", reqId, execution.orderId, execution.execId, execution.permId)

    def execDetailsEnd(self, reqId):
        self._rec("execDetailsEnd", reqId)

    def commissionAndFeesReport(self, report):
        self._rec("commission", report.execId, report.commissionAndFees)

    def position(self, account, contract, position, avgCost):
        self._rec("position", contract.conId, position)

    def positionEnd(self):
        self._rec("positionEnd")

    def updateAccountValue(self, key, val, currency, accountName):
        self._rec("accountValue", key, val)

    def accountDownloadEnd(self, accountName):
        self._rec("accountDownloadEnd", accountName)

    def accountSummary(self, reqId, account, tag, value, currency):
        self._rec("accountSummary", reqId, tag, value)

    def accountSummaryEnd(self, reqId):
        self._rec("accountSummaryEnd", reqId)

    def completedOrder(self, contract, order, orderState):
        self._rec("completedOrder", order.permId, orderState.status)

    def completedOrdersEnd(self):
        self._rec("completedOrdersEnd")

    def currentTime(self, t):
        self._rec("currentTime", t)


@pytest.fixture(scope="module")
def gw():
    g = make_gateway()
    yield g
    g.stop()


@pytest.fixture
def app(gw):
    with running_ibapi(App(), gw.port) as a:
        yield a


def test_connect_and_session_messages(app, gw):
    assert app.of("managedAccounts")[0][1] == gw.exchange.account_id
    codes = {e[2] for e in app.of("error")}
    assert {2104, 2106, 2158} <= codes
    app.reqCurrentTime()
    assert app.wait(lambda: app.of("currentTime"))
    assert abs(app.of("currentTime")[0][1] - gw.gateway.clock()) < 5


def test_contract_details_market_data_history(app):
    app.reqContractDetails(1, ibapi_stock())
    bad = ibapi_stock()
    bad.symbol = "NOSUCHSYM"
    app.reqContractDetails(2, bad)
    assert app.wait(lambda: app.of("contractDetailsEnd"))
    assert app.of("contractDetails")[0][2].contract.conId == 265598
    assert app.wait(lambda: any(e[1] == 2 and e[2] == 200 for e in app.of("error")))
    app.reqMktData(3, ibapi_stock(), "", False, False, [])
    assert app.wait(lambda: {1, 2} <= {e[2] for e in app.of("tickPrice")})
    kinds = [e[0] for e in app.events if e[0] in ("tickReqParams", "marketDataType",
                                                   "tickPrice")]
    assert kinds[:2] == ["tickReqParams", "marketDataType"]
    app.reqHistoricalData(4, ibapi_stock(), "", "1 D", "5 mins", "TRADES", 0, 1, True, [])
    assert app.wait(lambda: app.of("historicalDataEnd"))
    assert len(app.of("historicalData")) > 2
    assert app.wait(lambda: app.of("historicalDataUpdate"), 3)
    app.cancelHistoricalData(4)
    app.cancelMktData(3)


def test_order_flow_fill_cancel_and_account(app):
    o = Order()
    o.action, o.totalQuantity, o.orderType = "BUY", 7, "MKT"
    oid = app.next_id
    app.placeOrder(oid, ibapi_stock(), o)
    assert app.wait(lambda: any(e[1] == oid and e[2] == "Filled" for e in app.of("orderStatus")),
                    5)
    assert app.wait(lambda: app.of("commission"))
    ex = [e for e in app.of("execDetails") if e[2] == oid]
    assert ex and ex[0][1] == -1 and ex[0][4] > 0
    first_open = next(i for i, e in enumerate(app.events) if e[0] == "openOrder" and e[1] == oid)
    first_exec = next(i for i, e in enumerate(app.events) if e[0] == "execDetails")
    assert first_open < first_exec                      # permId known before the fill
    lmt = Order()
    lmt.action, lmt.totalQuantity, lmt.orderType, lmt.lmtPrice = "BUY", 1, "LMT", 1.0
    app.placeOrder(oid + 1, ibapi_stock(), lmt)
    assert app.wait(lambda: any(e[1] == oid + 1 for e in app.of("openOrder")))
    from ibapi.order_cancel import OrderCancel
    app.cancelOrder(oid + 1, OrderCancel())
    assert app.wait(lambda: any(e[1] == oid + 1 and e[2] == "Cancelled"
                                for e in app.of("orderStatus")))
    assert app.wait(lambda: any(e[1] == oid + 1 and e[2] == 202 for e in app.of("error")))
    app.reqPositions()
    app.reqAccountUpdates(True, "")
    app.reqAccountSummary(9, "All", "NetLiquidation,TotalCashValue")
    app.reqExecutions(10, ExecutionFilter())
    app.reqCompletedOrders(False)
    for name in ("positionEnd", "accountDownloadEnd", "accountSummaryEnd", "execDetailsEnd",
                 "completedOrdersEnd"):
        assert app.wait(lambda: app.of(name)), name
    assert any(e[1] == 265598 for e in app.of("position"))
    assert {e[2] for e in app.of("accountSummary")} == {"NetLiquidation", "TotalCashValue"}
    assert any(e[1] == "NetLiquidation" for e in app.of("accountValue"))
    assert any(e[2] == "Filled" for e in app.of("completedOrder"))
