"""Seconds bars through every client: "5 secs" as the chart asks for it (3600 S, keepUpToDate),
IB's duration limit (162 invalid step), keepUpToDate refused for "1 secs" (321), and the
seconds bars of a minute adding up to that minute's 1-min bar over the wire."""

from __future__ import annotations

import math
import time

import pytest

from app.domain.bars import BAR_SIZES
from tests.conformance.common import ClientError

pytestmark = pytest.mark.timeout(60)
AAPL_ID = 265598


def stk(sym: str) -> dict:
    return {"symbol": sym, "secType": "STK", "exchange": "SMART", "currency": "USD"}


def test_chart_five_second_request_is_served(client, gw):
    """The chart's own (bar size, duration) pair from app.domain.bars, TRADES, all hours."""
    duration = BAR_SIZES["5 secs"][1]
    bars = client.history(stk("MSFT"), "", duration, "5 secs", "TRADES", False)
    assert len(bars) > 100
    times = [b["time"] for b in bars]
    assert times == sorted(times) and all(t % 5 == 0 for t in times)
    assert times[-1] <= gw.gateway.clock() and times[0] >= gw.gateway.clock() - 3600 - 5
    for b in bars:
        assert b["low"] <= min(b["open"], b["close"]) and b["high"] >= max(b["open"], b["close"])
        assert b["volume"] >= 0


def test_seconds_bars_add_up_to_the_minute_bars(client):
    secs = client.history(stk("IBM"), "", "600 S", "15 secs", "TRADES", False)
    mins = client.history(stk("IBM"), "", "600 S", "1 min", "TRADES", False)
    by_min = {b["time"]: b for b in mins}
    groups: dict = {}
    for b in secs:
        groups.setdefault(math.floor(b["time"] / 60) * 60, []).append(b)
    whole = {k: g for k, g in groups.items() if k in by_min and k + 60 <= max(by_min)}
    assert len(whole) >= 5
    for k, g in whole.items():
        m = by_min[k]
        assert (g[0]["open"], max(x["high"] for x in g), min(x["low"] for x in g), g[-1]["close"]) == \
            (m["open"], m["high"], m["low"], m["close"])
        assert sum(x["volume"] for x in g) == m["volume"]


@pytest.mark.parametrize("sym,bar_size,duration", [("KO", "5 secs", "1 D"), ("XOM", "1 secs", "1801 S"),
                                                  ("DIS", "30 secs", "28801 S")])
def test_too_long_duration_is_162_invalid_step(client, sym, bar_size, duration):
    with pytest.raises(ClientError) as ei:
        client.history(stk(sym), "", duration, bar_size, "TRADES", False)
    assert ei.value.code == 162
    assert "invalid step: " + bar_size.split()[0] in ei.value.text


def _keep_up_to_date(client, spec: dict, bar_size: str, duration: str):
    """Start reqHistoricalData(keepUpToDate=True); returns (history bars, updates() -> list of
    (time, high, volume) of the updates received so far, cancel())."""
    if client.name in ("ib_async", "ib_insync"):
        rid, bars = client.history_keep_up_to_date(spec, duration, bar_size)
        return ([(b["time"], b["high"], b["volume"]) for b in bars], lambda: client.history_updates(rid),
                lambda: client.cancel_history(rid))
    from tests.conformance.ibapi_driver import make_contract
    rid = client._rid()
    client.app.reqHistoricalData(rid, make_contract(spec), "", duration, bar_size, "TRADES", 0, 2, True, [])
    client._wait_end(rid, "historicalDataEnd", 8.0)
    hist = [(float(e["bar"].date), e["bar"].high, float(e["bar"].volume))
            for e in client.events("historicalData", reqId=rid)]
    return (hist,
            lambda: [(float(e["bar"].date), e["bar"].high, float(e["bar"].volume))
                     for e in client.events("historicalDataUpdate", reqId=rid)],
            lambda: client.app.cancelHistoricalData(rid))


def test_five_second_bars_keep_up_to_date_with_the_tape(client, gw, market):
    """keepUpToDate=True with "5 secs" as the chart asks: history, then updates of the last
    bar that close at the last trade price of the simulator's tape."""
    hist, updates, cancel = _keep_up_to_date(client, stk("AAPL"), "5 secs", BAR_SIZES["5 secs"][1])
    try:
        assert len(hist) > 100 and all(t % 5 == 0 for t, _, _ in hist)
        top = market.top(AAPL_ID)
        px = round(top.ask + 0.50, 2)                    # a print well above the market
        slot = math.floor(max(market.now(), market.ex.now) / 5) * 5
        market.set_quote(AAPL_ID, px - 0.01, px + 0.01, last=px, last_size=300)
        market.set_quote(AAPL_ID, top.bid, top.ask)      # back to where the market was

        def hit():
            return [u for u in updates() if u[0] >= slot and u[1] >= px]
        end = time.monotonic() + 6
        while time.monotonic() < end and not hit():
            time.sleep(0.05)
        assert hit(), updates()[-3:]
        t, h, v = hit()[0]
        assert t % 5 == 0 and t >= hist[-1][0] and v >= 300
    finally:
        cancel()


def test_one_second_bars_refuse_keep_up_to_date_321(client):
    with pytest.raises(ClientError) as ei:
        _keep_up_to_date(client, stk("INTC"), "1 secs", "60 S")
    assert ei.value.code == 321
    # without keepUpToDate the same request is served
    assert client.history(stk("INTC"), "", "60 S", "1 secs", "TRADES", False)
