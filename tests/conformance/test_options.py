"""Options against the simulated gateway through the official ibapi and ib_async (issue 18):
reqSecDefOptParams, contract details of an option (full, partial, unknown), market data with
tickOptionComputation, calculateImpliedVolatility / calculateOptionPrice, buying one call
(position with multiplier 100, cash down by 100 x price + commission).

Both clients use their own request methods and decoders (ibapi: EClient + the recorded
EWrapper callbacks of ``IbapiDriver``; ib_async: ``IB`` of ``IbAsyncDriver.session``)."""

from __future__ import annotations

import math

import pytest

from tests.conformance.conftest import connected
from tests.conformance.ibapi_driver import make_contract

pytestmark = pytest.mark.timeout(60)

AAPL = 265598
CLIENTS2 = ("ibapi", "ibapi@157", "ib_async")
#: the scenarios written with the drivers' neutral API run through ib_insync 0.9.86 too (its
#: decoder at server version 176: the option fields of openOrder, execDetails, position,
#: updatePortfolio)
CLIENTS3 = CLIENTS2 + ("ib_insync",)


@pytest.fixture
def drv(request, gw):
    """ibapi (its highest version and 157) or ib_async: the option requests are made with each
    library's own methods; ib_insync (in a child process) runs the scenarios of CLIENTS3, which
    use the neutral driver API."""
    yield from connected(request.param, gw)


def _chain(gw):
    return gw.exchange.sec_def_opt_params("AAPL", "STK", 0)


def _atm_call(gw, market, under_px: float = 230.0) -> dict:
    """Pins AAPL at ``under_px`` and returns the spec of the call nearest the money of the
    second expiry."""
    market.set_quote(AAPL, bid=under_px - 0.01, ask=under_px + 0.01, hold=600)
    _, _, _, exps, strikes = _chain(gw)
    k = min(strikes, key=lambda s: abs(s - under_px))
    return {"symbol": "AAPL", "secType": "OPT", "lastTradeDateOrContractMonth": exps[1], "strike": k,
            "right": "C", "exchange": "SMART", "currency": "USD", "multiplier": "100"}


# ---------------------------------------------------------------- ibapi

def _ibapi_rid(d) -> int:
    return d._rid()


@pytest.mark.parametrize("drv", CLIENTS2, indirect=True)
def test_sec_def_opt_params(drv, gw):
    _, tc, mult, exps, strikes = _chain(gw)
    if drv.name.startswith("ibapi"):
        rid = _ibapi_rid(drv)
        drv.app.reqSecDefOptParams(rid, "AAPL", "", "STK", AAPL)
        drv._wait_end(rid, "securityDefinitionOptionParameterEnd")
        (e,) = drv.events("securityDefinitionOptionParameter", reqId=rid)
        got = (e["exchange"], e["underlyingConId"], e["tradingClass"], e["multiplier"],
               sorted(e["expirations"]), sorted(e["strikes"]))
    else:
        ib = drv.session.ib
        (ch,) = drv.session.acall(ib.reqSecDefOptParamsAsync, "AAPL", "", "STK", AAPL)
        got = (ch.exchange, int(ch.underlyingConId), ch.tradingClass, ch.multiplier, sorted(ch.expirations),
               sorted(ch.strikes))
    assert got == ("SMART", AAPL, "AAPL", "100", exps, strikes)
    assert len(exps) >= 12 and all(len(x) == 8 for x in exps)       # weeklies for ~3 months
    assert all(b - a in (2.5, 5.0) for a, b in zip(strikes, strikes[1:])) or len(strikes) > 20


@pytest.mark.parametrize("drv", CLIENTS2, indirect=True)
def test_option_contract_details(drv, gw, market):
    spec = _atm_call(gw, market)
    partial = dict(spec)
    del partial["strike"]
    bad = dict(spec, strike=spec["strike"] + 0.25)
    if drv.name.startswith("ibapi"):
        def details(s):
            rid = _ibapi_rid(drv)
            drv.app.reqContractDetails(rid, make_contract(s))
            try:
                drv._wait_end(rid, "contractDetailsEnd")
            except Exception as e:                   # ClientError of the driver
                return e
            return [x["contractDetails"] for x in drv.events("contractDetails", reqId=rid)]
        (cd,) = details(spec)
        c = cd.contract
        fields = (c.secType, c.lastTradeDateOrContractMonth, c.strike, c.right, c.multiplier, c.tradingClass,
                  c.localSymbol, cd.underConId, cd.underSymbol, cd.underSecType, cd.realExpirationDate)
        many = details(partial)
        err = details(bad)
        assert getattr(err, "code", None) == 200, err
    else:
        ib, lib = drv.session.ib, drv.session.flavor.lib
        (cd,) = drv.session.acall(ib.reqContractDetailsAsync, lib.Option(**{k: v for k, v in spec.items()
                                                                          if k != "secType"}))
        c = cd.contract
        fields = (c.secType, c.lastTradeDateOrContractMonth, c.strike, c.right, c.multiplier, c.tradingClass,
                  c.localSymbol, cd.underConId, cd.underSymbol, cd.underSecType, cd.realExpirationDate)
        many = drv.session.acall(ib.reqContractDetailsAsync, lib.Contract(**partial))
        assert drv.session.acall(ib.reqContractDetailsAsync, lib.Contract(**bad)) == []
        assert any(code == 200 for _, code, _ in drv.errors())
    exp = spec["lastTradeDateOrContractMonth"]
    occ = f"AAPL  {exp[2:]}C{int(spec['strike'] * 1000):08d}"
    assert fields == ("OPT", exp, spec["strike"], "C", "100", "AAPL", occ, AAPL, "AAPL", "STK", exp)
    _, _, _, _, strikes = _chain(gw)
    assert len(many) == len(strikes)                  # no strike: every call of that expiry
    assert {x.contract.right for x in many} == {"C"}


@pytest.mark.parametrize("drv", CLIENTS2, indirect=True)
def test_option_market_data_with_greeks(drv, gw, market):
    spec = _atm_call(gw, market)
    if drv.name.startswith("ibapi"):
        rid = _ibapi_rid(drv)
        drv.app.reqMktData(rid, make_contract(spec), "", False, False, [])

        def comps():
            return {e["tickType"]: e.args for e in drv.events("tickOptionComputation", reqId=rid)}
        assert drv.wait(lambda: {10, 11, 12, 13} <= comps().keys()), comps()
        prices = {e["tickType"]: e["price"] for e in drv.events("tickPrice", reqId=rid)}
        drv.app.cancelMktData(rid)
        model = comps()[13]
        bid, ask = prices[1], prices[2]
        m = {k: model[k] for k in ("impliedVol", "delta", "optPrice", "gamma", "vega", "theta", "undPrice")}
        bid_iv = comps()[10]["impliedVol"]
    else:
        ib, lib = drv.session.ib, drv.session.flavor.lib
        con = drv.session.acall(ib.qualifyContractsAsync, lib.Contract(**spec))[0]
        t = drv.session.call(ib.reqMktData, con, "", False, False)
        assert drv.wait(lambda: t.modelGreeks is not None and t.bidGreeks is not None
                        and t.askGreeks is not None and t.lastGreeks is not None and t.ask == t.ask), t
        g = t.modelGreeks
        bid, ask = t.bid, t.ask
        m = {"impliedVol": g.impliedVol, "delta": g.delta, "optPrice": g.optPrice, "gamma": g.gamma,
             "vega": g.vega, "theta": g.theta, "undPrice": g.undPrice}
        bid_iv = t.bidGreeks.impliedVol
        drv.session.call(ib.cancelMktData, con)
    assert 0 < bid < ask and ask - bid >= 0.01 - 1e-9
    assert bid <= m["optPrice"] <= ask
    assert 0.3 < m["delta"] < 0.8 and m["gamma"] > 0 and m["vega"] > 0 and m["theta"] < 0
    assert 0.05 < m["impliedVol"] < 1.0 and bid_iv < m["impliedVol"] + 0.05
    assert math.isclose(m["undPrice"], 230.0, abs_tol=0.02)


@pytest.mark.parametrize("drv", CLIENTS3, indirect=True)
def test_option_quote_with_close(drv, gw, market):
    """The neutral quote (bid, ask, last, volume, close as each library decoded them): an
    option's close (tickPrice 9) is its value at the previous close, as TWS sends it."""
    spec = _atm_call(gw, market)
    q = drv.quote(spec)
    con = gw.exchange.option_lookup(symbol="AAPL", expiry=spec["lastTradeDateOrContractMonth"],
                                    strike=spec["strike"], right="C")[0].con_id
    assert 0 < q["bid"] < q["ask"] and q["close"] == gw.exchange.top(con).close > 0
    assert 9 in q["tickTypes"]


@pytest.mark.parametrize("drv", CLIENTS3, indirect=True)
def test_option_history(drv, gw, market):
    """reqHistoricalData of an option: regular-hours bars at the underlying's bar times, valued
    from them (no tape: volume 0), decoded by every client."""
    spec = _atm_call(gw, market)
    bars = drv.history(spec, "", "1 D", "5 mins")
    stock = drv.history({"symbol": "AAPL", "secType": "STK", "exchange": "SMART", "currency": "USD"}, "",
                        "1 D", "5 mins", rth=True)
    assert bars and [b["time"] for b in bars] == [b["time"] for b in stock][:len(bars)]
    assert all(b["high"] >= b["close"] >= b["low"] > 0 and b["volume"] == 0 for b in bars)


@pytest.mark.parametrize("drv", CLIENTS2, indirect=True)
def test_calculate_implied_volatility_and_price(drv, gw, market):
    spec = _atm_call(gw, market)
    if drv.name.startswith("ibapi"):
        rid = _ibapi_rid(drv)
        drv.app.calculateOptionPrice(rid, make_contract(spec), 0.30, 230.0, [])
        assert drv.wait(lambda: drv.events("tickOptionComputation", reqId=rid))
        (e,) = drv.events("tickOptionComputation", reqId=rid)
        assert e["tickType"] == 53
        price = e["optPrice"]
        rid2 = _ibapi_rid(drv)
        drv.app.calculateImpliedVolatility(rid2, make_contract(spec), price, 230.0, [])
        assert drv.wait(lambda: drv.events("tickOptionComputation", reqId=rid2))
        iv = drv.events("tickOptionComputation", reqId=rid2)[0]["impliedVol"]
        drv.app.cancelCalculateImpliedVolatility(rid2)
        drv.app.cancelCalculateOptionPrice(rid)
    else:
        ib, lib = drv.session.ib, drv.session.flavor.lib
        con = drv.session.acall(ib.qualifyContractsAsync, lib.Contract(**spec))[0]
        comp = drv.session.acall(ib.calculateOptionPriceAsync, con, 0.30, 230.0)
        price = comp.optPrice
        iv = drv.session.acall(ib.calculateImpliedVolatilityAsync, con, price, 230.0).impliedVol
    assert price > 0
    assert math.isclose(iv, 0.30, abs_tol=1e-4)


@pytest.mark.parametrize("drv", CLIENTS3, indirect=True)
def test_buy_one_call_position_and_cash(drv, gw, market):
    spec = _atm_call(gw, market, 231.0)
    acct = gw.exchange.account_id
    con = gw.exchange.option_lookup(symbol="AAPL", expiry=spec["lastTradeDateOrContractMonth"],
                                    strike=spec["strike"], right="C")[0].con_id
    before = drv.account_values(acct)
    pos0 = drv.positions().get(con, (0.0, 0.0))[0]
    ask = market.top(con).ask
    oid = drv.place(spec, {"action": "BUY", "totalQuantity": 1, "orderType": "MKT"})
    assert drv.wait_status(oid, "Filled"), drv.statuses(oid)
    assert drv.wait(lambda: all(x["commission"] for x in drv.executions(oid)))
    (fill,) = drv.executions(oid)
    assert fill["price"] == ask and fill["commission"] == 1.00         # 0.65 x 1, minimum 1.00
    pos = drv.positions()
    assert pos[con][0] == pos0 + 1
    if pos0 == 0:
        assert math.isclose(pos[con][1], ask * 100 + 1.00, abs_tol=1e-6)   # avgCost per contract
    c = drv.position_contracts()[con]
    assert (c["secType"], c["lastTradeDateOrContractMonth"], c["strike"], c["right"], c["multiplier"]) == \
        ("OPT", spec["lastTradeDateOrContractMonth"], spec["strike"], "C", "100")
    after = drv.account_values(acct)
    paid = float(before["TotalCashValue"]) - float(after["TotalCashValue"])
    assert math.isclose(paid, ask * 100 + 1.00, abs_tol=0.02)
    line = (drv.portfolio(acct) if drv.name.startswith("ibapi") else drv.portfolio())[con]
    assert math.isclose(line["marketValue"], line["position"] * line["marketPrice"] * 100, rel_tol=1e-6)


@pytest.mark.parametrize("drv", CLIENTS2, indirect=True)
def test_delayed_option_computations(drv, gw, market):
    spec = _atm_call(gw, market)
    if drv.name.startswith("ibapi"):
        drv.app.reqMarketDataType(3)
        rid = _ibapi_rid(drv)
        drv.app.reqMktData(rid, make_contract(spec), "", False, False, [])

        def types():
            return {e["tickType"] for e in drv.events("tickOptionComputation", reqId=rid)}
        assert drv.wait(lambda: {80, 81, 82, 83} <= types()), types()
        drv.app.cancelMktData(rid)
        assert not types() & {10, 11, 12, 13}
    else:
        ib, lib = drv.session.ib, drv.session.flavor.lib
        drv.session.call(ib.reqMarketDataType, 3)
        con = drv.session.acall(ib.qualifyContractsAsync, lib.Contract(**spec))[0]
        t = drv.session.call(ib.reqMktData, con, "", False, False)
        assert drv.wait(lambda: t.modelGreeks is not None and t.bidGreeks is not None)
        drv.session.call(ib.cancelMktData, con)
        assert 0.05 < t.modelGreeks.impliedVol < 1.0
