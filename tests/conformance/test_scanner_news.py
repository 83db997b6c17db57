"""Market scanner and news bulletins through every client (ibapi, ib_async, ib_insync 0.9.86):
scannerParameters' XML, rankings that follow scripted market moves, filters (price; market cap
as IB's tags in millions and as the ScannerSubscription fields in USD), the live refresh, IB's
refusal of an unknown scan code and of an unserved filter, bulletins of the day and from the
admin command."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from tests.conformance.common import ClientError
from tests.integration.sim_support import cap_between, market_caps

pytestmark = pytest.mark.timeout(60)

SIX = {"TOP_PERC_GAIN", "TOP_PERC_LOSE", "MOST_ACTIVE", "HOT_BY_VOLUME", "HIGH_VS_13W_HL", "LOW_VS_13W_HL"}
AAPL, MSFT = 265598, 272093
#: stocks the live-refresh scenario pushes to the top (KO, INTC, WMT, DIS)
MOVERS = (8894, 270639, 13824, 6459)
_seq = itertools.count(1)


def move_to(market, con_id: int, pct: float) -> float:
    """Put ``con_id``'s last price ``pct`` % away from its previous close; returns the price."""
    top = market.top(con_id)
    px = round(top.close * (1 + pct / 100.0), 2)
    market.set_quote(con_id, px - 0.01, px + 0.01, last=px, last_size=100)
    return px


def change_pct(market, con_id: int) -> float:
    top = market.top(con_id)
    return (top.last - top.close) / top.close * 100.0


def changes(market) -> list[float]:
    """Percent changes of every stock now (gateway thread)."""
    return [change_pct(market, c.con_id) for c in market.ex.contracts() if c.sec_type == "STK"]


def test_scanner_parameters_xml(client):
    root = ET.fromstring(client.scanner_parameters())
    assert root.tag == "ScanParameterResponse"
    assert SIX <= {e.text for e in root.iter("scanCode")}
    assert {"STK.US", "STK.US.MAJOR"} <= {e.text for e in root.iter("locationCode")}
    assert {"priceAbove", "priceBelow", "volumeAbove", "marketCapAbove1e6", "marketCapBelow1e6"} <= \
        {e.text for e in root.iter("code")}


def test_gainers_and_losers_follow_the_market(client, market):
    now = changes(market)                 # beyond every stock, whatever earlier scenarios did
    move_to(market, AAPL, max(now) + 20.0)
    move_to(market, MSFT, max(min(now) - 20.0, -90.0))
    gain = client.scanner("TOP_PERC_GAIN", 5)
    assert gain[0]["conId"] == AAPL and gain[0]["symbol"] == "AAPL" and gain[0]["rank"] == 0
    assert [r["rank"] for r in gain] == list(range(len(gain)))
    lose = client.scanner("TOP_PERC_LOSE", 5, location="STK.US")
    assert lose[0]["conId"] == MSFT and lose[0]["symbol"] == "MSFT"
    assert AAPL not in {r["conId"] for r in lose}


@pytest.mark.parametrize("code", sorted(SIX))
def test_every_scan_code_answers(client, code):
    rows = client.scanner(code, 3)
    assert len(rows) <= 3 and [r["rank"] for r in rows] == list(range(len(rows)))
    assert all(r["conId"] > 0 and r["symbol"] for r in rows)


def test_most_active_with_price_filter(client, market):
    rows = client.scanner("MOST_ACTIVE", 5, {"priceBelow": 150})
    assert len(rows) == 5
    for r in rows:
        assert market.top(r["conId"]).last < 150 * 1.02          # the price moved at most a little since
    vols = [market.top(r["conId"]).volume for r in rows]
    assert vols[0] >= vols[-1]


def test_unknown_scan_code_is_162(client):
    with pytest.raises(ClientError) as ei:
        client.scanner("NO_SUCH_SCAN", 5)
    assert ei.value.code == 162 and "scan code" in ei.value.text


def test_market_cap_filters(client, gw):
    caps = {con: cap for con, (_, cap) in market_caps(gw).items()}
    bound = cap_between(caps.values())                           # millions of USD
    large = {c for c, cap in caps.items() if cap and cap > bound * 1e6}
    others = {c for c, cap in caps.items() if cap and cap < bound * 1e6}   # the ETFs: neither
    assert {r["conId"] for r in client.scanner("MOST_ACTIVE", 50, {"marketCapAbove1e6": bound})} == large
    assert {r["conId"] for r in client.scanner("MOST_ACTIVE", 50, {"marketCapBelow1e6": bound})} == others
    legacy = client.scanner("MOST_ACTIVE", 50, fields={"marketCapAbove": bound * 1e6})   # USD
    assert {r["conId"] for r in legacy} == large


def test_an_unserved_filter_is_refused(client):
    with pytest.raises(ClientError) as ei:
        client.scanner("MOST_ACTIVE", 5, {"usdMarketCapAbove": 1000})
    assert ei.value.code == 162 and "usdMarketCapAbove is disabled" in ei.value.text


def test_live_refresh_on_change(client, market):
    rid = client.scanner_subscribe("TOP_PERC_GAIN", 3)
    try:
        first = client.scanner_lists(rid)[0]
        con = next(c for c in MOVERS if c != first[0]["conId"])
        move_to(market, con, change_pct(market, first[0]["conId"]) + 25.0)
        assert client.wait(lambda: any(lst and lst[0]["conId"] == con for lst in client.scanner_lists(rid)), 5.0)
        lists = client.scanner_lists(rid)
        assert len(lists) >= 2 and all(len(lst) == 3 for lst in lists)
    finally:
        client.scanner_cancel(rid)


def test_bulletins_of_the_day_then_the_admin_one(client, gw):
    client.subscribe_bulletins(True)
    day = client.bulletins(n=2, timeout=3.0)
    assert [(b["msgType"], b["exchange"]) for b in day[:2]] == [(3, "ISLAND"), (1, "")]   # 04:00, 09:25 NY
    text = f"conformance bulletin {next(_seq)} {client.name}"
    assert gw.admin_command(f"bulletin 2 @NYSE {text}").startswith("OK bulletin")
    got = client.bulletins(n=len(day) + 1, timeout=3.0)
    assert got[-1]["message"] == text and (got[-1]["msgType"], got[-1]["exchange"]) == (2, "NYSE")
    assert [b["msgId"] for b in got] == sorted({b["msgId"] for b in got})
    client.cancel_bulletins()


def test_new_bulletins_only_and_cancel(client, gw):
    client.subscribe_bulletins(False)
    assert client.bulletins(n=1, timeout=0.5) == []
    text = f"conformance bulletin {next(_seq)} {client.name}"
    gw.admin_command(f"bulletin 1 {text}")
    got = client.bulletins(n=1, timeout=3.0)
    assert [(b["msgType"], b["message"], b["exchange"]) for b in got] == [(1, text, "")]
    client.cancel_bulletins()
    client.current_time()                 # a round trip: the gateway has read the cancel
    gw.admin_command("bulletin 3 @ARCA after the cancel")
    assert len(client.bulletins(n=2, timeout=0.7)) == 1
