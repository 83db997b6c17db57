"""Connect, contract search, contract details, market rules: one scenario, every client."""

from __future__ import annotations

import pytest

from tests.conformance.common import ClientError
from tests.conformance.conftest import CLIENTS, IBAPI_VERSIONS

pytestmark = pytest.mark.timeout(60)

AAPL = {"symbol": "AAPL", "secType": "STK", "exchange": "SMART", "currency": "USD"}
EURUSD = {"symbol": "EUR", "secType": "CASH", "exchange": "IDEALPRO", "currency": "USD"}


def test_connect_handshake(client, gw):
    """The farm status messages 2104/2106/2158 with reqId -1, the connection, the gateway's clock."""
    errs = client.errors()
    assert {2104, 2106, 2158} <= {c for r, c, _ in errs if r == -1}
    assert all(r == -1 for r, c, _ in errs if c in (2104, 2106, 2158))
    assert client.is_connected()
    assert abs(client.current_time() - gw.gateway.clock()) < 5


#: the server version the gateway (max 178) agrees with each client: the highest both speak
SERVER_VERSION = {"ibapi": 178, "ib_async": 178, "ib_insync": 176}


@pytest.mark.parametrize("kind", CLIENTS + IBAPI_VERSIONS)
def test_connect_result(kind, gw):
    """The negotiated server version, the paper account, nextValidId, the farm codes."""
    from tests.conformance.conftest import make_driver, next_client_id

    d = make_driver(kind)
    try:
        info = d.connect(gw.port, next_client_id())
        expected = int(kind.split("@")[1]) if "@" in kind else SERVER_VERSION[kind]
        assert info["server_version"] == expected
        assert info["accounts"] == [gw.exchange.account_id]
        assert isinstance(info["next_valid_id"], int) and info["next_valid_id"] >= 1
        assert {2104, 2106, 2158} <= info["farm_codes"]
    finally:
        d.disconnect()


@pytest.mark.parametrize("kind", CLIENTS)
def test_duplicate_client_id_326(kind, gw, client):
    """A second connection with a client id in use gets error 326 and is not served."""
    from tests.conformance.conftest import make_driver

    d = make_driver(kind)
    try:
        with pytest.raises(Exception):
            d.connect(gw.port, client.client_id)
        assert any(c == 326 for _, c, _ in d.errors())
    finally:
        d.disconnect()
    assert client.is_connected()                   # the first holder of the id is unaffected


DETAILS = [
    # spec, expected fields
    (AAPL, {"conId": 265598, "symbol": "AAPL", "secType": "STK", "primaryExchange": "NASDAQ", "currency": "USD",
            "localSymbol": "AAPL", "longName": "APPLE INC", "industry": "Technology", "timeZoneId": "US/Eastern",
            "minTick": 0.01}),
    ({"conId": 8314, "exchange": "SMART"}, {"symbol": "IBM", "primaryExchange": "NYSE", "longName": "INTL BUSINESS MACHINES CORP"}),
    (EURUSD, {"secType": "CASH", "localSymbol": "EUR.USD", "exchange": "IDEALPRO", "minTick": 0.00005}),
]


@pytest.mark.parametrize("spec,expected", DETAILS, ids=["AAPL", "conId-IBM", "EUR.USD"])
def test_contract_details_full_fields(client, spec, expected):
    (cd,) = client.contract_details(spec)
    for k, v in expected.items():
        assert cd[k] == pytest.approx(v) if isinstance(v, float) else cd[k] == v, k
    # full details: sessions in IB's format, market rules
    for key in ("tradingHours", "liquidHours"):
        sessions = cd[key].split(";")
        assert sessions and all(":" in s for s in sessions), cd[key]
        assert any("-" in s and "CLOSED" not in s for s in sessions)
    if cd["secType"] == "STK":
        assert cd["liquidHours"] != cd["tradingHours"]          # RTH inside the extended session
    assert cd["marketRuleIds"] and all(r.strip().isdigit() for r in cd["marketRuleIds"].split(","))
    assert {"LMT", "MKT", "STP"} <= set(cd["orderTypes"].split(","))


def test_contract_details_unknown_symbol_200(client):
    with pytest.raises(ClientError) as ei:
        client.contract_details(dict(AAPL, symbol="NOSUCHSYM"))
    assert ei.value.code == 200


MATCHING = [
    # pattern, symbol expected among the results, expected first
    ("AAP", "AAPL", "AAPL"),
    ("aapl", "AAPL", "AAPL"),
    ("micro", "MSFT", None),          # a word of the long name
    ("NVID", "NVDA", "NVDA"),
]


@pytest.mark.parametrize("pattern,symbol,first", MATCHING)
def test_matching_symbols(client, pattern, symbol, first):
    res = client.matching_symbols(pattern)
    assert 0 < len(res) <= 16
    syms = [r["symbol"] for r in res]
    assert symbol in syms
    if first:
        assert syms[0] == first
    r = res[syms.index(symbol)]
    assert r["conId"] > 0 and r["secType"] == "STK" and r["currency"] == "USD" and r["primaryExchange"]


def test_matching_symbols_no_match_is_empty(client):
    assert client.matching_symbols("ZZZZQQ") == []


def test_market_rules_of_details(client):
    (cd,) = client.contract_details(AAPL)
    for rid in {int(r) for r in cd["marketRuleIds"].split(",")}:
        incs = client.market_rule(rid)
        assert incs, rid
        edges = [e for e, _ in incs]
        assert edges == sorted(edges) and edges[0] == 0
        assert all(inc > 0 for _, inc in incs)
    # AAPL's tick at its price is the contract's minTick
    incs = client.market_rule(int(cd["marketRuleIds"].split(",")[0]))
    assert incs[0][1] == pytest.approx(cd["minTick"])
