"""Issue-3 requests exactly as the official ibapi client sends them at server version 178
(captured from EClient with an in-memory connection) decode into the right fields."""

from __future__ import annotations

import pytest
from ibapi.client import EClient
from ibapi.contract import Contract
from ibapi.order import Order
from ibapi.wrapper import EWrapper

from app.sim import decode as D
from app.sim.wire import split_fields


class _Conn:
    def __init__(self):
        self.sent: list[bytes] = []

    def isConnected(self):
        return True

    def sendMsg(self, msg: bytes):
        self.sent.append(msg)


@pytest.fixture
def client():
    c = EClient(EWrapper())
    c.conn = _Conn()
    c.connState = EClient.CONNECTED
    c.serverVersion_ = 178
    return c


def _aapl() -> Contract:
    c = Contract()
    c.conId, c.symbol, c.secType, c.exchange, c.currency = 265598, "AAPL", "STK", "SMART", "USD"
    return c


def _decoded(client) -> D.Request:
    (msg,) = client.conn.sent
    client.conn.sent.clear()
    return D.decode_request(split_fields(msg[4:]))


def test_every_new_request_decodes(client):
    client.reqMatchingSymbols(1, "app")
    r = _decoded(client)
    assert (r.name, r.req_id, r.params["pattern"]) == ("reqMatchingSymbols", 1, "app")
    client.reqMarketRule(26)
    assert _decoded(client).params["marketRuleId"] == 26
    client.reqMktDepthExchanges()
    assert _decoded(client).name == "reqMktDepthExchanges"
    client.reqMktDepth(2, _aapl(), 7, True, [])
    r = _decoded(client)
    assert (r.req_id, r.contract.con_id, r.params["numRows"], r.params["isSmartDepth"]) == \
        (2, 265598, 7, True)
    client.cancelMktDepth(2, True)
    assert _decoded(client).name == "cancelMktDepth"
    client.reqRealTimeBars(3, _aapl(), 5, "MIDPOINT", True, [])
    r = _decoded(client)
    assert (r.params["barSize"], r.params["whatToShow"], r.params["useRTH"]) == \
        (5, "MIDPOINT", True)
    client.cancelRealTimeBars(3)
    assert _decoded(client).req_id == 3
    client.reqTickByTickData(4, _aapl(), "BidAsk", 10, True)
    r = _decoded(client)
    assert (r.params["tickType"], r.params["numberOfTicks"], r.params["ignoreSize"]) == \
        ("BidAsk", 10, True)
    client.cancelTickByTickData(4)
    assert _decoded(client).name == "cancelTickByTickData"
    client.reqHeadTimeStamp(5, _aapl(), "BID_ASK", 1, 2)
    r = _decoded(client)
    assert (r.params["whatToShow"], r.params["useRTH"], r.params["formatDate"]) == \
        ("BID_ASK", True, 2)
    client.cancelHeadTimeStamp(5)
    assert _decoded(client).name == "cancelHeadTimeStamp"
    client.reqHistoricalTicks(6, _aapl(), "20260105 10:00:00 US/Eastern", "", 100, "TRADES",
                              1, True, [])
    r = _decoded(client)
    assert (r.params["startDateTime"], r.params["numberOfTicks"], r.params["useRth"]) == \
        ("20260105 10:00:00 US/Eastern", 100, True)
    client.reqPnL(7, "DU1", "")
    assert _decoded(client).params["account"] == "DU1"
    client.reqPnLSingle(8, "DU1", "", 265598)
    assert _decoded(client).params["conId"] == 265598
    client.cancelPnL(7)
    assert _decoded(client).name == "cancelPnL"
    client.cancelPnLSingle(8)
    assert _decoded(client).name == "cancelPnLSingle"


def test_place_order_new_ticket_fields(client):
    o = Order()
    o.action, o.totalQuantity, o.orderType = "SELL", 10, "TRAIL LIMIT"
    o.trailingPercent, o.trailStopPrice, o.lmtPriceOffset = 2.0, 95.0, 0.05
    o.tif, o.goodTillDate, o.ocaGroup, o.ocaType = "GTD", "20260130 16:00:00", "g1", 2
    o.whatIf = True
    client.placeOrder(9, _aapl(), o)
    r = _decoded(client)
    t = r.ticket
    assert r.params["whatIf"] is True
    assert (t.trailing_percent, t.trail_stop_price, t.lmt_price_offset) == (2.0, 95.0, 0.05)
    assert (t.tif, t.good_till_date, t.oca_group, t.oca_type, t.what_if) == \
        ("GTD", "20260130 16:00:00", "g1", 2, True)


@pytest.mark.parametrize("version", (157, 158, 160, 162, 166, 169, 170, 176, 177, 178))
def test_place_order_decodes_at_every_version(client, version):
    """placeOrder's layout moves inside 157..178 (faProfile below 177; duration, postToAts,
    autoCancelParent, advancedErrorOverride, manualOrderTime from 158/160/162/166/169): the
    gateway reads each field where the client put it, and the fields after them too."""
    client.serverVersion_ = version
    o = Order()
    o.action, o.totalQuantity, o.orderType, o.lmtPrice = "SELL", 30, "LMT", 151.25
    o.tif, o.orderRef, o.goodTillDate = "GTC", "ref-7", ""
    o.trailingPercent, o.whatIf, o.transmit = 1.5, True, True
    client.placeOrder(42, _aapl(), o)
    (msg,) = client.conn.sent
    client.conn.sent.clear()
    fields = split_fields(msg[4:])
    r = D.decode_request(fields, version)
    t = r.ticket
    assert (r.req_id, t.action, t.total_qty, t.order_type, t.lmt_price, t.tif) == \
        (42, "SELL", 30, "LMT", 151.25, "GTC")
    assert (t.order_ref, t.trailing_percent, t.what_if, t.transmit) == ("ref-7", 1.5, True, True)
    assert ("faProfile" in t.raw) == (version < 177)
    assert ("manualOrderTime" in t.raw) == (version >= 169)
    assert t.raw["usePriceMgmtAlgo"] == "" and t.raw["modelCode"] == ""
    assert t.raw.get("manualOrderTime", "") == ""
