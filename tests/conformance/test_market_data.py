"""Quotes, delayed data, depth, tick-by-tick, real-time bars: one scenario, every client."""

from __future__ import annotations

import pytest

from tests.conformance.common import ClientError

pytestmark = pytest.mark.timeout(60)

AAPL = {"symbol": "AAPL", "secType": "STK", "exchange": "SMART", "currency": "USD"}
MSFT = {"symbol": "MSFT", "secType": "STK", "exchange": "SMART", "currency": "USD"}
EURUSD = {"symbol": "EUR", "secType": "CASH", "exchange": "IDEALPRO", "currency": "USD"}


@pytest.mark.parametrize("spec", [AAPL, EURUSD], ids=["AAPL", "EUR.USD"])
def test_quote_live(client, spec):
    q = client.quote(spec, md_type=1)
    assert q["marketDataType"] == 1
    assert 0 < q["bid"] < q["ask"]
    assert q["bidSize"] > 0 and q["askSize"] > 0
    if spec["secType"] == "STK":
        assert q["low"] <= q["last"] <= q["high"]
        assert q["volume"] > 0 and q["close"] > 0
        assert q["ask"] - q["bid"] < 0.01 * q["bid"]                   # RTH spread
        assert q["minTick"] == pytest.approx(0.01)


def test_quote_delayed_type_3(client):
    """reqMarketDataType(3): marketDataType 3 and the delayed tick types (66.. ; IB 'Delayed
    Streaming Data'), which every client maps onto the same bid/ask/last fields."""
    q = client.quote(MSFT, md_type=3)
    assert q["marketDataType"] == 3
    assert 0 < q["bid"] < q["ask"]
    assert set(q["tickTypes"]) & {66, 67, 68}
    assert not set(q["tickTypes"]) & {1, 2, 4}


def test_quote_unknown_symbol_200(client):
    with pytest.raises(ClientError) as ei:
        client.quote(dict(AAPL, symbol="NOSUCHSYM"))
    assert ei.value.code == 200


def test_depth_ten_levels_consistent_with_top(client, gw):
    d = client.depth(AAPL, rows=10, settle=1.0)
    assert d["updates"] >= 20
    bids, asks = d["bids"], d["asks"]
    # what the client shows == IB semantics of the insert/update/delete stream
    assert (bids, asks) == (d["replay_bids"], d["replay_asks"])
    assert len(bids) == 10 and len(asks) == 10
    assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
    assert [p for p, _ in asks] == sorted(p for p, _ in asks)
    assert all(s > 0 for _, s in bids + asks)
    assert bids[0][0] < asks[0][0]
    top = gw.exchange.top(265598)
    assert abs(bids[0][0] - top.bid) < 0.2 and abs(asks[0][0] - top.ask) < 0.2   # level 0 tracks the quote


def test_depth_exchanges(client):
    rows = client.depth_exchanges()
    assert rows
    assert all(len(r) == 5 and r[0] and r[1] for r in rows)


@pytest.mark.parametrize("kind", ["Last", "AllLast", "BidAsk", "MidPoint"])
def test_tick_by_tick(client, kind):
    ticks = client.tick_by_tick(AAPL, kind, n=2, timeout=4)
    assert len(ticks) >= 2
    times = [t["time"] for t in ticks]
    assert times == sorted(times)
    for t in ticks:
        if kind in ("Last", "AllLast"):
            assert t["price"] > 0 and t["size"] > 0 and t["tickType"] == (1 if kind == "Last" else 2)
        elif kind == "BidAsk":
            assert 0 < t["bidPrice"] < t["askPrice"] and t["bidSize"] > 0 and t["askSize"] > 0
        else:
            assert t["midPoint"] > 0


def test_realtime_bars_5s(client):
    bars = client.realtime_bars(AAPL, n=1, timeout=7)
    b = bars[0]
    assert b["time"] % 5 == 0
    assert b["low"] <= min(b["open"], b["close"]) <= max(b["open"], b["close"]) <= b["high"]
    assert b["volume"] >= 0
