"""Scanner and news bulletin messages: exact field counts in the ibapi and ib_async decoders at
157, 166, 176 and 178, the values both decode, and the requests as both clients send them."""

from __future__ import annotations

import pytest
from ibapi.client import EClient
from ibapi.scanner import ScannerSubscription
from ibapi.tag_value import TagValue
from ibapi.wrapper import EWrapper

from app.sim import decode as D
from app.sim import encode_scanner as ES
from app.sim.wire import split_fields
from tests.unit.sim_wire.test_decode_ibapi import _Conn
from tests.unit.sim_wire.test_encode import AAPL
from tests.unit.sim_wire.test_encode_market import via_ib_async, via_ibapi

VERSIONS = (157, 166, 176, 178)


def messages(v: int) -> dict[str, bytes]:
    return {
        "scannerData": ES.scanner_data(7, [(0, AAPL), (1, AAPL)], v),
        "scannerDataEmpty": ES.scanner_data(8, [], v),
        "scannerParameters": ES.scanner_parameters("<ScanParameterResponse/>", v),
        "updateNewsBulletin": ES.news_bulletin(3, 2, "ARCA is down", "ARCA", v),
    }


@pytest.mark.parametrize("v", VERSIONS)
@pytest.mark.parametrize("name", sorted(messages(178)))
def test_both_clients_decode_every_field(name, v):
    msg = messages(v)[name]
    assert via_ibapi(msg, v)            # processScannerDataMsg consumes every field exactly
    assert via_ib_async(msg, v)


def test_field_counts():
    assert len(split_fields(messages(178)["scannerData"][4:])) == 4 + 2 * ES.SCANNER_ROW_FIELDS
    assert len(split_fields(messages(178)["scannerDataEmpty"][4:])) == 4
    assert len(split_fields(messages(178)["scannerParameters"][4:])) == 3
    assert len(split_fields(messages(178)["updateNewsBulletin"][4:])) == 6


@pytest.mark.parametrize("decode", [via_ibapi, via_ib_async], ids=["ibapi", "ib_async"])
def test_scanner_data_values(decode):
    calls = decode(messages(178)["scannerData"])
    rows = [a for n, a in calls if n == "scannerData"]
    assert [n for n, _ in calls][-1] == "scannerDataEnd"
    assert [(a[0], a[1]) for a in rows] == [(7, 0), (7, 1)]
    cd = rows[0][2]
    c = cd.contract
    assert (c.conId, c.symbol, c.secType, c.exchange, c.currency, c.localSymbol, c.tradingClass) == \
        (AAPL.con_id, "AAPL", "STK", "SMART", "USD", "AAPL", AAPL.trading_class)
    assert cd.marketName == AAPL.trading_class
    assert tuple(rows[0][3:]) == ("", "", "", "")          # distance, benchmark, projection, legsStr


@pytest.mark.parametrize("decode", [via_ibapi, via_ib_async], ids=["ibapi", "ib_async"])
def test_bulletin_and_parameters_values(decode):
    (name, args), = decode(messages(178)["updateNewsBulletin"])
    assert name == "updateNewsBulletin"
    assert (int(args[0]), int(args[1]), args[2], args[3]) == (3, 2, "ARCA is down", "ARCA")
    (name, args), = decode(messages(178)["scannerParameters"])
    assert (name, args[0]) == ("scannerParameters", "<ScanParameterResponse/>")


def _ibapi_sent(version: int, call) -> list[str]:
    c = EClient(EWrapper())
    c.conn = _Conn()
    c.connState = EClient.CONNECTED
    c.serverVersion_ = version
    call(c)
    (msg,) = c.conn.sent
    return split_fields(msg[4:])


def _sub() -> ScannerSubscription:
    s = ScannerSubscription()
    s.instrument, s.locationCode, s.scanCode, s.numberOfRows = "STK", "STK.US.MAJOR", "MOST_ACTIVE", 10
    s.abovePrice = 5.0
    return s


@pytest.mark.parametrize("v", VERSIONS)
def test_requests_from_ibapi(v):
    r = D.decode_request(_ibapi_sent(v, lambda c: c.reqScannerSubscription(
        9, _sub(), [TagValue("x", "1")], [TagValue("volumeAbove", "1000"), TagValue("priceBelow", "300")])), v)
    assert (r.name, r.req_id) == ("reqScannerSubscription", 9)
    p = r.params
    assert (p["numberOfRows"], p["instrument"], p["locationCode"], p["scanCode"], p["abovePrice"]) == \
        ("10", "STK", "STK.US.MAJOR", "MOST_ACTIVE", "5.0")
    assert (p["marketCapAbove"], p["belowPrice"]) == ("", "")
    assert p["filterOptions"] == "volumeAbove=1000;priceBelow=300;" and p["options"] == "x=1;"
    r = D.decode_request(_ibapi_sent(v, lambda c: c.cancelScannerSubscription(9)), v)
    assert (r.name, r.req_id) == ("cancelScannerSubscription", 9)
    assert D.decode_request(_ibapi_sent(v, lambda c: c.reqScannerParameters()), v).name == "reqScannerParameters"
    r = D.decode_request(_ibapi_sent(v, lambda c: c.reqNewsBulletins(True)), v)
    assert (r.name, r.params["allMsgs"]) == ("reqNewsBulletins", True)
    assert D.decode_request(_ibapi_sent(v, lambda c: c.reqNewsBulletins(False)), v).params["allMsgs"] is False
    assert D.decode_request(_ibapi_sent(v, lambda c: c.cancelNewsBulletins()), v).name == "cancelNewsBulletins"


def test_scanner_request_from_ib_async():
    """ib_async's Client.send of reqScannerSubscription (UNSET_DOUBLE -> "", lists -> tag=value;)."""
    import ib_async
    from ib_async.client import Client

    sent: list[str] = []
    c = Client(ib_async.wrapper.Wrapper(ib_async.IB()))
    c.isConnected = lambda: True
    c.sendMsg = sent.append
    sub = ib_async.ScannerSubscription(instrument="STK", locationCode="STK.US", scanCode="TOP_PERC_LOSE",
                                       numberOfRows=3)
    c.reqScannerSubscription(4, sub, [], [ib_async.TagValue("priceAbove", "10")])
    r = D.decode_request(sent[-1].split("\0")[:-1])
    assert (r.name, r.req_id, r.params["scanCode"], r.params["numberOfRows"]) == \
        ("reqScannerSubscription", 4, "TOP_PERC_LOSE", "3")
    assert r.params["abovePrice"] == "" and r.params["filterOptions"] == "priceAbove=10;"
