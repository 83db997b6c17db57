"""Futures against the simulated gateway through the official ibapi and ib_async (issue 18;
the market data and buy scenarios through ib_insync 0.9.86 too):
contract details by local symbol and by contract month (and error 200 for a month not
listed), market data of the front ES, a whatIf of 1 ES with its margin per contract and a buy
of 1 ES whose position carries multiplier 50 (cash moved by the commission only).

The front contract is taken from the gateway (``future_lookup``), so the tests do not depend
on the date they run on."""

from __future__ import annotations

import math

import pytest

from tests.conformance.conftest import connected
from tests.conformance.ibapi_driver import make_contract

pytestmark = pytest.mark.timeout(60)

CLIENTS2 = ("ibapi", "ibapi@157", "ib_async")
#: the scenario written with the drivers' neutral API runs through ib_insync 0.9.86 too
CLIENTS3 = CLIENTS2 + ("ib_insync",)


@pytest.fixture
def drv(request, gw):
    yield from connected(request.param, gw)


def _front(gw, symbol="ES"):
    return gw.exchange.future_lookup(symbol=symbol)[0]


def _details(drv, spec: dict):
    """reqContractDetails -> list of (Contract, ContractDetails); an exception for an error."""
    if drv.name.startswith("ibapi"):
        rid = drv._rid()
        drv.app.reqContractDetails(rid, make_contract(spec))
        try:
            drv._wait_end(rid, "contractDetailsEnd")
        except Exception as e:                   # ClientError of the driver
            return e
        return [(x["contractDetails"].contract, x["contractDetails"])
                for x in drv.events("contractDetails", reqId=rid)]
    ib, lib = drv.session.ib, drv.session.flavor.lib
    got = drv.session.acall(ib.reqContractDetailsAsync, lib.Contract(**spec))
    return [(cd.contract, cd) for cd in got]


@pytest.mark.parametrize("drv", CLIENTS2, indirect=True)
def test_future_contract_details_by_local_symbol_and_month(drv, gw):
    es = _front(gw)
    ((c, cd),) = _details(drv, {"secType": "FUT", "localSymbol": es.local_symbol, "exchange": "CME"})
    assert (c.symbol, c.secType, c.exchange, c.currency, c.localSymbol, c.tradingClass, c.multiplier,
            c.conId) == ("ES", "FUT", "CME", "USD", es.local_symbol, "ES", "50", es.con_id)
    assert c.lastTradeDateOrContractMonth == es.last_trade_date
    assert (cd.contractMonth, cd.realExpirationDate, cd.lastTradeTime) == (es.contract_month, es.last_trade_date,
                                                                           "08:30")
    assert cd.minTick == 0.25 and cd.underSymbol == "ES" and cd.timeZoneId == "US/Central"
    sessions = cd.tradingHours.split(";")
    assert all(s.endswith("CLOSED") or s[9:13] == "1700" and s[-4:] == "1600" for s in sessions), sessions
    ((c2, _),) = _details(drv, {"secType": "FUT", "symbol": "ES", "lastTradeDateOrContractMonth": es.contract_month,
                                "exchange": "CME", "currency": "USD"})
    assert c2.conId == es.con_id
    every = _details(drv, {"secType": "FUT", "symbol": "CL", "exchange": "NYMEX"})
    assert len(every) == 6 and {c.multiplier for c, _ in every} == {"1000"}
    bad = _details(drv, {"secType": "FUT", "symbol": "ES", "lastTradeDateOrContractMonth": "203001",
                         "exchange": "CME"})
    if drv.name.startswith("ibapi"):
        assert getattr(bad, "code", None) == 200, bad
    else:
        assert bad == [] and any(code == 200 for _, code, _ in drv.errors())


@pytest.mark.parametrize("drv", CLIENTS3, indirect=True)
def test_future_market_data(drv, gw):
    es = _front(gw)
    spec = {"secType": "FUT", "symbol": "ES", "lastTradeDateOrContractMonth": es.last_trade_date,
            "exchange": "CME", "currency": "USD"}
    if drv.name.startswith("ibapi"):
        rid = drv._rid()
        drv.app.reqMktData(rid, make_contract(spec), "", False, False, [])

        def prices():
            return {e["tickType"]: e["price"] for e in drv.events("tickPrice", reqId=rid)}
        assert drv.wait(lambda: {1, 2} <= prices().keys()), prices()
        drv.app.cancelMktData(rid)
        bid, ask = prices()[1], prices()[2]
    elif drv.name == "ib_insync":
        q = drv.quote(spec)                       # neutral API: bid .. close, the ticker's minTick
        bid, ask = q["bid"], q["ask"]
        assert q["minTick"] == 0.25 and 4000 < q["close"] < 9000 and q["volume"] > 0
    else:
        ib, lib = drv.session.ib, drv.session.flavor.lib
        con = drv.session.acall(ib.qualifyContractsAsync, lib.Contract(**spec))[0]
        assert con.conId == es.con_id
        t = drv.session.call(ib.reqMktData, con, "", False, False)
        assert drv.wait(lambda: t.bid == t.bid and t.ask == t.ask and t.bid > 0), t
        bid, ask = t.bid, t.ask
        drv.session.call(ib.cancelMktData, con)
    assert 4000 < bid < ask < 9000
    assert math.isclose(bid / 0.25, round(bid / 0.25), abs_tol=1e-9)


@pytest.mark.parametrize("drv", CLIENTS3, indirect=True)
def test_buy_one_es_margin_per_contract_and_multiplier(drv, gw, market):
    es = _front(gw)
    spec = {"secType": "FUT", "localSymbol": es.local_symbol, "exchange": "CME", "currency": "USD"}
    acct = gw.exchange.account_id
    wi = drv.what_if(spec, {"action": "BUY", "totalQuantity": 1, "orderType": "MKT"})
    assert math.isclose(wi["initMarginChange"], 23_000.0, abs_tol=0.01), wi
    assert math.isclose(wi["maintMarginChange"], 21_000.0, abs_tol=0.01), wi
    assert math.isclose(wi["commission"], 2.25, abs_tol=1e-9), wi
    before = drv.account_values(acct)
    pos0 = drv.positions().get(es.con_id, (0.0, 0.0))[0]
    oid = drv.place(spec, {"action": "BUY", "totalQuantity": 1, "orderType": "MKT"})
    assert drv.wait_status(oid, "Filled"), drv.statuses(oid)
    assert drv.wait(lambda: all(x["commission"] for x in drv.executions(oid)))
    (fill,) = drv.executions(oid)
    assert fill["commission"] == 2.25                          # 0.85 + 1.38 + 0.02
    pos = drv.positions()
    assert pos[es.con_id][0] == pos0 + 1
    if pos0 == 0:
        assert math.isclose(pos[es.con_id][1], fill["price"] * 50 + 2.25, abs_tol=1e-6)   # per contract
    c = drv.position_contracts()[es.con_id]
    assert (c["secType"], c["multiplier"], c["localSymbol"], c["lastTradeDateOrContractMonth"]) == \
        ("FUT", "50", es.local_symbol, es.last_trade_date)
    after = drv.account_values(acct)
    paid = float(before["TotalCashValue"]) - float(after["TotalCashValue"])
    assert math.isclose(paid, 2.25, abs_tol=0.02)              # no notional: P&L marked to market
    line = (drv.portfolio(acct) if drv.name.startswith("ibapi") else drv.portfolio())[es.con_id]
    assert math.isclose(line["marketValue"], line["position"] * line["marketPrice"] * 50, rel_tol=1e-6)


@pytest.mark.parametrize("drv", CLIENTS2, indirect=True)
def test_future_history_through_the_night(drv, gw):
    import datetime as dt
    from zoneinfo import ZoneInfo
    es = _front(gw)
    spec = {"secType": "FUT", "localSymbol": es.local_symbol, "exchange": "CME", "currency": "USD"}
    bars = drv.history(spec, "", "2 D", "1 hour", "TRADES", False)
    hours = {dt.datetime.fromtimestamp(b["time"], ZoneInfo("America/New_York")).hour for b in bars}
    assert {2, 3, 22} <= hours and 17 not in hours, sorted(hours)      # Globex night, daily break
    assert all(b["low"] <= min(b["open"], b["close"]) and b["volume"] > 0 for b in bars)
    assert all(math.isclose(b["close"] / 0.25, round(b["close"] / 0.25), abs_tol=1e-6) for b in bars)
