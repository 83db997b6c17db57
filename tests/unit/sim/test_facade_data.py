"""Exchange facade additions for market data: symbol search, market rules, depth, time & sales,
real-time bars, historical ticks, head timestamp, whatToShow/useRTH history, account summary, PnL."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.sim.types import SimError, SimQuoteTick, SimTrade
from tests.unit.sim.helpers import AAPL, EURUSD, SPY, T0, make, ny
from tests.unit.sim.orderhelp import q, tk


@pytest.fixture(scope="module")
def ex():
    e, _ = make()
    e.advance(T0 + 120)
    return e


# ---------------------------------------------------------------- contracts
def test_matching_symbols_prefix_and_name(ex):
    assert [c.symbol for c in ex.matching_symbols("AAPL")][0] == "AAPL"
    assert [c.symbol for c in ex.matching_symbols("am")][:2] == ["AMD", "AMZN"]
    assert "MSFT" in [c.symbol for c in ex.matching_symbols("micro")]
    assert [c.symbol for c in ex.matching_symbols("intl bus")] == ["IBM"]
    assert ex.matching_symbols("zzzz") == [] and ex.matching_symbols("  ") == []
    assert len(ex.matching_symbols("A")) <= 16


def test_market_rules(ex):
    rid = int(ex.contract(AAPL).market_rule_ids.split(",")[0])
    assert ex.market_rule(rid) == [(0.0, 0.01)]
    fx = ex.market_rule(int(ex.contract(EURUSD).market_rule_ids))
    assert fx[0][1] == ex.contract(EURUSD).min_tick
    with pytest.raises(SimError) as e:
        ex.market_rule(99999)
    assert e.value.code == 321


# ---------------------------------------------------------------- depth
@pytest.fixture(scope="module")
def depth_ex():
    return make(seed=11)[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.floats(0.05, 30.0), min_size=1, max_size=6), levels=st.integers(1, 20),
       cid=st.sampled_from([AAPL, SPY, EURUSD]))
def test_depth_consistent_with_top_of_book(depth_ex, steps, levels, cid):
    e = depth_ex
    t = e.now
    for dt in steps:
        t += dt
        e.advance(t)
        top = e.top(cid)
        bids, asks = e.depth(cid, levels)
        n = min(levels, 10)
        assert len(bids) == len(asks) == n
        assert bids[0] == (top.bid, top.bid_size) and asks[0] == (top.ask, top.ask_size)
        assert all(bids[i][0] > bids[i + 1][0] for i in range(n - 1))
        assert all(asks[i][0] < asks[i + 1][0] for i in range(n - 1))
        assert bids[0][0] < asks[0][0] and all(s > 0 for _, s in bids + asks)


def test_depth_refuses_bad_rows(ex):
    with pytest.raises(SimError):
        ex.depth(AAPL, 0)
    assert ("IDEALPRO", "CASH", "", "Deep", 4) in ex.depth_exchanges()


# ---------------------------------------------------------------- time & sales
def test_trades_and_quotes_since_follow_the_top(ex):
    tr = ex.trades_since(AAPL, T0)
    qs = ex.quotes_since(AAPL, T0)
    assert tr and qs and all(T0 < x.time <= ex.now for x in tr + qs)
    assert tr[-1].price == ex.top(AAPL).last and qs[-1].bid == ex.top(AAPL).bid
    assert ex.trades_since(AAPL, ex.now) == []
    assert ex.trades_since(EURUSD, T0) == []             # FX has no prints


def test_realtime_bar_respects_prints(ex):
    start = math.floor(T0 / 5) * 5 + 30
    bar = ex.realtime_bar(AAPL, start, "TRADES")
    prints = [t for t in ex.trades_since(AAPL, start - 1e-9) if t.time < start + 5]
    if prints:
        assert bar.open == prints[0].price and bar.close == prints[-1].price
        assert bar.volume == sum(p.size for p in prints) and bar.count == len(prints)
    else:
        assert bar.volume == 0
    assert ex.realtime_bar(AAPL, ex.now - 1, "TRADES") is None      # not complete yet
    mid = ex.realtime_bar(EURUSD, start, "MIDPOINT")
    assert mid is not None and mid.low <= mid.close <= mid.high and mid.volume == -1
    with pytest.raises(SimError):
        ex.realtime_bar(EURUSD, start, "TRADES")


def test_historical_ticks_respect_bars_and_limits(ex):
    m = ex.market.minutes(AAPL)
    i = len(m) - 200
    t0 = float(m.t[i])
    ticks = ex.historical_ticks(AAPL, t0, None, 8, "TRADES")
    assert len(ticks) <= 8 and all(isinstance(x, SimTrade) for x in ticks)
    first = [x for x in ticks if t0 <= x.time < t0 + 60]
    assert first[0].price == m.o[i] and first[-1].price == m.c[i]
    assert sum(x.size for x in first) == m.v[i]
    assert max(x.price for x in first) == m.h[i] and min(x.price for x in first) == m.l[i]
    last = ex.historical_ticks(AAPL, None, ex.now, 1000, "BID_ASK")
    assert len(last) == 1000 and all(isinstance(x, SimQuoteTick) and x.bid < x.ask for x in last)
    assert [x.time for x in last] == sorted(x.time for x in last) and last[-1].time <= ex.now
    mids = ex.historical_ticks(EURUSD, None, ex.now, 5, "MIDPOINT")
    assert all(x.bid == x.ask for x in mids)
    rth = ex.historical_ticks(AAPL, ny(2025, 11, 20, 5, 0), None, 20, "TRADES", use_rth=True)
    assert rth and all(x.time >= ny(2025, 11, 20, 9, 30) for x in rth)
    with pytest.raises(SimError):
        ex.historical_ticks(EURUSD, None, ex.now, 5, "TRADES")
    with pytest.raises(SimError):
        ex.historical_ticks(AAPL, None, ex.now, 5, "FOO")


def test_head_timestamp(ex):
    h = ex.head_timestamp(AAPL, "TRADES", False)
    assert h < T0 - 365 * 86400
    assert ex.head_timestamp(EURUSD, "MIDPOINT", True) < T0
    with pytest.raises(SimError) as e:
        ex.head_timestamp(EURUSD, "TRADES", False)
    assert e.value.code == 162


def test_history_bid_ask_and_use_rth(ex):
    trades = ex.history(AAPL, end=None, duration="2 D", bar_size="1 hour", what="TRADES")
    ba = ex.history(AAPL, end=None, duration="2 D", bar_size="1 hour", what="BID_ASK")
    hs = ex.market.half_spread(AAPL)
    for t, b in zip(trades, ba):
        assert b.high == pytest.approx(t.high + hs) and b.low == pytest.approx(t.low - hs)
        assert b.low <= b.open <= b.close <= b.high                     # avg bid below avg ask
    rth = ex.history(AAPL, end=None, duration="2 D", bar_size="1 hour", what="MIDPOINT", use_rth=True)
    from app.sim.instruments import is_open
    assert rth and all(is_open("STK", b.time, rth=True) or is_open("STK", b.time + 1800, rth=True) for b in rth)
    assert len(rth) < len(trades)


# ---------------------------------------------------------------- account
def test_account_summary_tags_and_ledger():
    e, _ = make()
    rows = e.account_summary("All", "NetLiquidation,BuyingPower,AccountType,Cushion,Bogus,$LEDGER")
    tags = [r[1] for r in rows]
    assert tags[:4] == ["NetLiquidation", "BuyingPower", "AccountType", "Cushion"]
    assert ("SIM0001", "NetLiquidation", "1000000.00", "USD") in rows
    assert "Bogus" not in tags and ("SIM0001", "CashBalance", "1000000.00", "BASE") in rows
    usd = e.account_summary("All", ["$LEDGER:USD"])
    assert {r[3] for r in usd} == {"USD"}
    with pytest.raises(SimError):
        e.account_summary("Group7", ["NetLiquidation"])


def test_pnl_identities():
    e, _ = make()
    q(e, 230.00, 230.02, last=230.01)
    assert e.pnl() == (0.0, 0.0, 0.0) and e.pnl_single(AAPL) is None
    e.place(1, 1, AAPL, tk("BUY", 100, "MKT"), e.now)
    q(e, 231.00, 231.02, last=231.01)
    pos, daily, unreal, real, value = e.pnl_single(AAPL)
    assert pos == 100 and value == pytest.approx(100 * 231.01)
    assert daily == pytest.approx(unreal + real) and unreal == pytest.approx((231.01 - 230.02) * 100 - 1.0)
    e.place(1, 2, AAPL, tk("SELL", 40, "MKT"), e.now)
    pos, daily, unreal, real, value = e.pnl_single(AAPL)
    assert pos == 60 and real == pytest.approx(e.executions()[-1].realized_pnl)
    assert daily == pytest.approx(unreal + real)
    d, u, r = e.pnl()
    assert (d, u, r) == pytest.approx((daily, unreal, real))
    # next day: daily P&L restarts from the previous mark, realized today resets
    e.advance(ny(2025, 11, 24, 9, 31))
    pos, daily, unreal, real, value = e.pnl_single(AAPL)
    assert real == 0.0 and abs(daily) < abs(unreal) + 1e6 and pos == 60
    mark = e.market.mark(AAPL)
    close = e.market.tape(AAPL).last_trade_before(ny(2025, 11, 21, 16, 0) + 1e-6).price
    assert e.account._pos[AAPL].ref_mark == close                 # Friday's closing print
    assert daily == pytest.approx((mark - close) * 60)
