"""Positions, account values, account summary, PnL, PnL single; client-id order visibility;
pacing error 100. One scenario, every client."""

from __future__ import annotations

import pytest

from tests.conformance.conftest import CLIENTS, make_driver, next_client_id
from tests.conformance.scenarios import q, stk

pytestmark = pytest.mark.timeout(60)

STANDARD_TAGS = ("NetLiquidation", "TotalCashValue", "BuyingPower", "AvailableFunds", "ExcessLiquidity",
                 "InitMarginReq", "MaintMarginReq", "GrossPositionValue", "EquityWithLoanValue")


def _buy(client, market, sym: str, qty: int, bid=100.00, ask=100.02) -> int:
    con = client.contract_details(stk(sym))[0]["conId"]
    market.set_quote(con, **q(bid, ask))
    oid = client.place(stk(sym), {"action": "BUY", "totalQuantity": qty, "orderType": "MKT"})
    assert client.wait_status(oid, "Filled"), client.statuses(oid)
    assert client.wait(lambda: all(x["commission"] for x in client.executions(oid)))
    return con


def test_positions_follow_fills(client, market):
    before = client.positions()
    con = _buy(client, market, "INTC", 25)
    pos = client.positions()
    assert pos[con][0] == before.get(con, (0.0, 0.0))[0] + 25
    assert pos[con][1] > 0                                           # avgCost per share incl. commission


def test_account_values(client, market, gw):
    vals = client.account_values(gw.exchange.account_id)
    for tag in ("NetLiquidation", "TotalCashValue", "BuyingPower", "AvailableFunds"):
        assert float(vals[tag]) > 0, tag
    cash0 = float(vals["TotalCashValue"])
    _buy(client, market, "AMD", 10)
    assert client.wait(lambda: float(client.account_values(gw.exchange.account_id)["TotalCashValue"]) < cash0 - 900,
                       4)


def test_portfolio_line(client, market, gw):
    con = _buy(client, market, "KO", 5)
    assert client.wait(lambda: con in client.portfolio(), 4)
    p = client.portfolio()[con]
    assert p["position"] >= 5 and p["marketPrice"] > 0
    assert p["marketValue"] == pytest.approx(p["position"] * p["marketPrice"], rel=1e-3)


@pytest.mark.parametrize("group,tags", [("All", "NetLiquidation,TotalCashValue,BuyingPower"),
                                        ("All", ",".join(STANDARD_TAGS))])
def test_account_summary_tags(client, gw, group, tags):
    rows = client.account_summary(group, tags)
    assert {t for _, t, _, _ in rows} == set(tags.split(","))
    assert all(a == gw.exchange.account_id for a, _, _, _ in rows)
    assert all(c == "USD" for _, _, _, c in rows)
    assert all(float(v) >= 0 for _, _, v, _ in rows)


def test_account_summary_ledger(client, gw):
    rows = client.account_summary("All", "$LEDGER")
    tags = {t for _, t, _, _ in rows}
    assert {"CashBalance", "NetLiquidationByCurrency"} <= tags
    assert {c for _, _, _, c in rows} <= {"USD", "BASE"}      # base currency only (IB: "$LEDGER")


def test_pnl_and_pnl_single(client, market, gw):
    """reqPnL: daily, unrealized and realized P&L of the account; reqPnLSingle: position,
    daily/unrealized/realized P&L and value of one position (value = position x mark,
    unrealized = value - position x avgCost; IB "Profit & Loss" docs)."""
    con = _buy(client, market, "XOM", 10)
    p = client.pnl(gw.exchange.account_id)
    assert None not in (p["dailyPnL"], p["unrealizedPnL"], p["realizedPnL"])
    market.set_quote(con, **q(100.00, 100.02))
    s = client.pnl_single(gw.exchange.account_id, con)
    pos, avg = client.positions()[con]
    assert s["position"] == pos and pos >= 10
    assert s["value"] == pytest.approx(pos * 100.01, rel=0.002)
    assert s["unrealizedPnL"] == pytest.approx(s["value"] - pos * avg, abs=max(5.0, 0.002 * s["value"]))
    assert None not in (s["dailyPnL"], s["realizedPnL"])


@pytest.mark.parametrize("other_kind", CLIENTS)
def test_client_sees_and_cancels_only_own_orders(client, market, gw, other_kind):
    """Another client's order is not in reqOpenOrders, cannot be cancelled (10147), but is in
    reqAllOpenOrders."""
    spec = stk("BA")
    con = client.contract_details(spec)[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    other = make_driver(other_kind)
    other.connect(gw.port, next_client_id())
    try:
        theirs = other.place(spec, {"action": "BUY", "totalQuantity": 1, "orderType": "LMT", "lmtPrice": 80.0})
        assert other.wait_status(theirs, "Submitted")
        perm = other.order_state(theirs)["permId"]
        assert perm not in {o["permId"] for o in client.open_orders()}
        client.cancel(theirs)
        assert client.wait_error(theirs, 10147), client.errors()
        assert not other.wait_status(theirs, "Cancelled", timeout=0.5)
        everyone = client.open_orders(all_clients=True)
        assert any(o["permId"] == perm and o["clientId"] == other.client_id for o in everyone)
        other.cancel(theirs)
        assert other.wait_status(theirs, "Cancelled")
    finally:
        other.disconnect()


def test_pacing_error_100(client):
    """More than 50 messages/s from one client: IB answers error 100 and drops the excess,
    without disconnecting at once. ibapi sends as fast as asked, so it must see 100. ib_async
    and ib_insync throttle themselves at 45/s: the gateway must account for every request (answered, or
    rejected with 100 when scheduling jitter on a loaded machine packs more than 50 into one
    second on arrival) and rejections stay rare."""
    n = 120
    before = len(client.events("currentTime"))
    if client.name.startswith("ibapi"):
        for _ in range(n):
            client.app.reqCurrentTime()
        assert client.wait(lambda: any(c == 100 for _, c, _ in client.errors()), 4), client.errors()[-5:]
        assert client.is_connected()
    else:
        for _ in range(n):
            client.client_call("reqCurrentTime")

        def accounted():
            return len(client.events("currentTime")) - before + sum(1 for _, c, _ in client.errors() if c == 100)
        ok = client.wait(lambda: accounted() >= n, 12)
        rejected = sum(1 for _, c, _ in client.errors() if c == 100)
        assert ok, (len(client.events("currentTime")) - before, rejected)
        assert rejected <= n // 10, rejected
        assert client.is_connected()
