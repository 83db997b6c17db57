"""Historical bars (bar sizes x whatToShow x useRTH), head timestamp, historical ticks, 162."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from tests.conformance.common import ClientError

pytestmark = pytest.mark.timeout(60)
NY = ZoneInfo("America/New_York")


def stk(sym: str) -> dict:
    return {"symbol": sym, "secType": "STK", "exchange": "SMART", "currency": "USD"}


EURUSD = {"symbol": "EUR", "secType": "CASH", "exchange": "IDEALPRO", "currency": "USD"}

# (symbol, duration, barSize, whatToShow, useRTH, expected bar spacing s or None for daily+)
HISTORY = [
    ("AAPL", "1 D", "1 min", "TRADES", True, 60),
    ("MSFT", "1 D", "5 mins", "TRADES", False, 300),
    ("GOOG", "2 D", "15 mins", "MIDPOINT", True, 900),
    ("AMZN", "1 D", "30 mins", "BID", False, 1800),
    ("NVDA", "1 D", "30 mins", "ASK", False, 1800),
    ("META", "2 D", "1 hour", "BID_ASK", True, 3600),
    ("TSLA", "1 W", "4 hours", "TRADES", False, None),
    ("SPY", "1 M", "1 day", "TRADES", True, None),
    ("QQQ", "6 M", "1 week", "TRADES", True, None),
    ("IBM", "1 Y", "1 month", "MIDPOINT", True, None),
    ("EUR", "1 D", "1 hour", "MIDPOINT", False, 3600),
    # the remaining intraday bar sizes, one contract each (IB paces 6+ requests per contract in 2 s)
    ("BA", "1 D", "2 mins", "TRADES", True, 120),
    ("WMT", "1 D", "3 mins", "TRADES", True, 180),
    ("INTC", "1 D", "10 mins", "MIDPOINT", True, 600),
    ("AMD", "1 D", "20 mins", "TRADES", True, 1200),
    ("V", "2 D", "2 hours", "TRADES", False, 7200),
    ("XOM", "3 D", "3 hours", "TRADES", False, 10800),
    ("KO", "1 W", "8 hours", "TRADES", False, None),
]


def _ny(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, NY)


@pytest.mark.parametrize("sym,duration,bar_size,what,rth,step", HISTORY,
                         ids=[f"{h[0]}-{h[2]}-{h[3]}-{'rth' if h[4] else 'all'}" for h in HISTORY])
def test_history(client, gw, sym, duration, bar_size, what, rth, step):
    spec = EURUSD if sym == "EUR" else stk(sym)
    bars = client.history(spec, "", duration, bar_size, what, rth)
    assert len(bars) >= 2
    times = [b["time"] for b in bars]
    assert times == sorted(times) and len(set(times)) == len(times)
    for b in bars:
        assert b["low"] <= min(b["open"], b["close"]) + 1e-9
        assert b["high"] >= max(b["open"], b["close"]) - 1e-9
        if what == "TRADES":
            assert b["volume"] >= 0
    if step is not None:                         # intraday: POSIX times on the bar grid
        assert all(isinstance(t, float) for t in times)
        assert times[-1] <= gw.gateway.clock()
        if rth and spec["secType"] == "STK":
            for t in times:
                h = _ny(t)
                assert (9, 30) <= (h.hour, h.minute) < (16, 0), h
        gaps = Counter(int(b - a) for a, b in zip(times, times[1:]))
        assert gaps.most_common(1)[0][0] == step      # (IB's RTH hour bars start with 09:30-10:00)
        by_day: dict = {}
        for a, b in zip(times, times[1:]):
            if _ny(a).date() == _ny(b).date():
                by_day.setdefault(_ny(a).date(), []).append(int(b - a))
        for day, day_gaps in by_day.items():     # within a day: the grid, after at most one short bar
            assert sum(1 for g in day_gaps if g % step) <= 1 and all(g % step == 0 or g < step for g in day_gaps), \
                (day, day_gaps)
    if bar_size in ("1 day", "1 week", "1 month"):
        assert all(isinstance(t, str) and len(t) == 8 for t in times)   # YYYYMMDD as IB sends


def test_history_outside_rth_has_premarket(client):
    """useRTH=0 for a US stock includes the 04:00-09:30 pre-market; useRTH=1 does not."""
    all_bars = client.history(stk("JPM"), "", "1 D", "1 hour", "TRADES", False)
    rth_bars = client.history(stk("JPM"), "", "1 D", "1 hour", "TRADES", True)
    assert any(_ny(b["time"]).hour < 9 for b in all_bars)
    assert not any(_ny(b["time"]).hour < 9 for b in rth_bars)
    assert len(all_bars) > len(rth_bars)


def test_history_bid_below_ask(client):
    bid = client.history(stk("KO"), "", "1 D", "30 mins", "BID", True)
    ask = client.history(stk("KO"), "", "1 D", "30 mins", "ASK", True)
    by_t = {b["time"]: b for b in ask}
    common = [b for b in bid if b["time"] in by_t]
    assert common
    assert all(b["close"] < by_t[b["time"]]["close"] for b in common)


def test_history_fx_trades_162(client):
    with pytest.raises(ClientError) as ei:
        client.history(EURUSD, "", "1 D", "1 hour", "TRADES", False)
    assert ei.value.code == 162


def test_identical_historical_request_pacing_162(client, gw):
    """IB "Historical Data Limitations" (pacing applies to small-bar and tick requests): an
    identical request within 15 s is a pacing violation, error 162; a different request for
    the same contract still goes through."""
    end = dt.datetime.fromtimestamp(gw.gateway.clock() - 120, dt.timezone.utc).strftime("%Y%m%d-%H:%M:%S")
    assert client.historical_ticks(stk("BA"), "", end, 20, "MIDPOINT", True)
    with pytest.raises(ClientError) as ei:
        client.historical_ticks(stk("BA"), "", end, 20, "MIDPOINT", True)
    assert ei.value.code == 162 and "pacing" in ei.value.text.lower()
    assert client.historical_ticks(stk("BA"), "", end, 20, "BID_ASK", True)


def test_history_bad_bar_size_321(client):
    with pytest.raises(ClientError) as ei:
        client.history(stk("XOM"), "", "1 D", "7 mins", "TRADES", False)
    assert ei.value.code in (321, 162)


def test_head_timestamp(client, gw):
    ts = client.head_timestamp(stk("DIS"), "TRADES", True)
    if isinstance(ts, str):
        ts = dt.datetime.strptime(ts, "%Y%m%d").replace(tzinfo=NY).timestamp()
    assert ts < gw.gateway.clock() - 86400
    bars = client.history(stk("DIS"), "", "1 Y", "1 day", "TRADES", True)
    first = dt.datetime.strptime(bars[0]["time"], "%Y%m%d").replace(tzinfo=NY).timestamp()
    assert ts <= first + 86400


@pytest.mark.parametrize("what", ["TRADES", "BID_ASK", "MIDPOINT"])
def test_historical_ticks(client, gw, what):
    end = dt.datetime.fromtimestamp(gw.gateway.clock() - 60, dt.timezone.utc).strftime("%Y%m%d-%H:%M:%S")
    ticks = client.historical_ticks(stk("NFLX"), "", end, 50, what, True)
    assert 0 < len(ticks) <= 1000
    times = [t["time"] for t in ticks]
    assert times == sorted(times)
    for t in ticks:
        if what == "TRADES":
            assert t["price"] > 0 and t["size"] > 0
        elif what == "BID_ASK":
            assert 0 < t["priceBid"] < t["priceAsk"]
        else:
            assert t["price"] > 0
