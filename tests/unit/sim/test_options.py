"""Simulated options (issue 18): BSM pricing, the chains, quotes, multiplier-aware account,
orders and expiry settlement; hand-checked numbers where they exist."""

from __future__ import annotations

import math
from datetime import date

import pytest

from app.sim.account import Account, order_commission
from app.sim.option_pricing import bsm, implied_vol, intrinsic, pv_dividend
from app.sim.options import (OPTION_CON_ID_BASE, expiries, expiry_close, is_monthly, occ_symbol, strike_grid,
                             strike_step, tick_for)
from app.sim.types import FillEvent, OrderTicket, PortfolioEvent, SimError
from tests.unit.sim.helpers import AAPL, SPY, make, ny

# ---------------------------------------------------------------- pricing


def test_bsm_textbook_value():
    # Hull, Options Futures and Other Derivatives, example 15.6: S=42, K=40, r=10 %, sigma=20 %,
    # T=0.5 -> call 4.76, put 0.81
    assert bsm(42, 40, 0.5, 0.10, 0.0, 0.20, "C").price == pytest.approx(4.7594, abs=1e-4)
    assert bsm(42, 40, 0.5, 0.10, 0.0, 0.20, "P").price == pytest.approx(0.8086, abs=1e-4)


@pytest.mark.parametrize("s,k,t,r,q,v", [(230, 230, 0.1, 0.04, 0.005, 0.25), (100, 80, 1.0, 0.05, 0.02, 0.4),
                                         (50, 70, 0.02, 0.0, 0.0, 0.9)])
def test_put_call_parity(s, k, t, r, q, v):
    c = bsm(s, k, t, r, q, v, "C").price
    p = bsm(s, k, t, r, q, v, "P").price
    assert c - p == pytest.approx(s * math.exp(-q * t) - k * math.exp(-r * t), abs=1e-9)


def test_greek_signs_and_finite_differences():
    c = bsm(230, 235, 0.1, 0.04, 0.0, 0.3, "C")
    p = bsm(230, 235, 0.1, 0.04, 0.0, 0.3, "P")
    assert 0 < c.delta < 1 and -1 < p.delta < 0
    assert c.gamma > 0 and c.gamma == pytest.approx(p.gamma)
    assert c.vega > 0 and c.vega == pytest.approx(p.vega)
    assert c.theta < 0
    h = 0.01
    up, dn = bsm(230 + h, 235, 0.1, 0.04, 0.0, 0.3, "C"), bsm(230 - h, 235, 0.1, 0.04, 0.0, 0.3, "C")
    assert c.delta == pytest.approx((up.price - dn.price) / (2 * h), rel=1e-5)
    assert c.gamma == pytest.approx((up.delta - dn.delta) / (2 * h), rel=1e-4)
    vup = bsm(230, 235, 0.1, 0.04, 0.0, 0.31, "C").price
    vdn = bsm(230, 235, 0.1, 0.04, 0.0, 0.29, "C").price
    assert c.vega == pytest.approx((vup - vdn) / 2, rel=1e-3)           # per volatility point
    day = 1 / 365
    assert c.theta == pytest.approx(bsm(230, 235, 0.1 - day, 0.04, 0.0, 0.3, "C").price - c.price, rel=2e-2)


@pytest.mark.parametrize("right", ["C", "P"])
@pytest.mark.parametrize("vol", [0.08, 0.3, 1.5])
def test_implied_vol_round_trip(right, vol):
    px = bsm(180, 190, 0.25, 0.04, 0.01, vol, right).price
    assert implied_vol(px, 180, 190, 0.25, 0.04, 0.01, right) == pytest.approx(vol, abs=1e-6)


def test_implied_vol_none_below_bound_or_expired():
    assert implied_vol(0.5, 230, 200, 0.1, 0.04, 0.0, "C") is None     # below intrinsic
    assert implied_vol(5.0, 230, 230, 0.0, 0.04, 0.0, "C") is None      # expired
    assert implied_vol(0.0, 230, 230, 0.1, 0.04, 0.0, "C") is None


def test_bad_inputs_raise_specific_errors():
    with pytest.raises(ValueError, match="right"):
        bsm(1, 1, 1, 0, 0, 0.2, "X")
    with pytest.raises(ValueError, match="spot"):
        bsm(0, 1, 1, 0, 0, 0.2, "C")
    with pytest.raises(ValueError, match="time"):
        bsm(1, 1, -1, 0, 0, 0.2, "C")


def test_expiry_value_and_pv_dividend():
    assert bsm(230, 200, 0.0, 0.04, 0.0, 0.3, "C").price == 30
    assert bsm(230, 200, 0.0, 0.04, 0.0, 0.3, "P").price == 0
    assert intrinsic(230, 200, "P") == 0 and intrinsic(190, 200, "P") == 10
    assert pv_dividend(100, 1.0, 0.02) == pytest.approx(100 * (1 - math.exp(-0.02)))


# ---------------------------------------------------------------- chains


def test_expiries_are_fridays_for_three_months_holiday_moved():
    # Monday 2026-03-30 10:00 NY; Good Friday 2026-04-03 is an NYSE holiday -> Thursday 04-02
    ex = expiries(ny(2026, 3, 30, 10))
    assert ex[0] == date(2026, 4, 2)
    assert [d for d in ex[1:] if d.weekday() != 4] == [date(2026, 6, 18)]   # Juneteenth 06-19
    assert (ex[-1] - date(2026, 3, 30)).days <= 92 and len(ex) == 13
    assert [d for d in ex if is_monthly(d)] == [date(2026, 4, 17), date(2026, 5, 15), date(2026, 6, 18)]


def test_todays_expiry_listed_until_its_close():
    fri = date(2026, 4, 10)
    assert expiries(expiry_close(fri) - 60)[0] == fri
    assert expiries(expiry_close(fri))[0] == date(2026, 4, 17)


def test_strike_steps_and_grid():
    assert [strike_step(p) for p in (10, 60, 230, 580)] == [0.5, 1.0, 2.5, 5.0]
    g = strike_grid(230, 0.8, 1.2)
    assert g[0] == 185.0 and g[-1] == 275.0 and all(b - a == 2.5 for a, b in zip(g, g[1:]))


def test_occ_symbol():
    assert occ_symbol("AAPL", date(2026, 12, 18), "C", 200) == "AAPL  261218C00200000"
    assert occ_symbol("SPY", date(2027, 1, 15), "P", 582.5) == "SPY   270115P00582500"


def test_chain_contracts_and_stable_con_ids():
    ex, _ = make()
    _, tc, mult, exps, strikes = ex.sec_def_opt_params("AAPL", "STK", 0)
    assert (tc, mult) == ("AAPL", "100")
    (c,) = ex.option_lookup(symbol="AAPL", expiry=exps[0], strike=strikes[10], right="P")
    assert (c.sec_type, c.exchange, c.currency, c.multiplier, c.trading_class, c.under_con_id) == \
        ("OPT", "SMART", "USD", "100", "AAPL", AAPL)
    assert c.local_symbol == occ_symbol("AAPL", date(int(exps[0][:4]), int(exps[0][4:6]), int(exps[0][6:])),
                                        "P", strikes[10])
    assert OPTION_CON_ID_BASE <= c.con_id < 2 ** 31
    ex2, _ = make(seed=99)
    (c2,) = ex2.option_lookup(symbol="AAPL", expiry=exps[0], strike=strikes[10], right="P")
    assert c2.con_id == c.con_id and ex2.contract(c.con_id).local_symbol == c.local_symbol
    ids = [x.con_id for x in ex.option_lookup(symbol="SPY")]
    assert len(ids) == len(set(ids)) > 1000


def test_lookup_partial_month_and_unknown():
    ex, _ = make()
    _, _, _, exps, strikes = ex.sec_def_opt_params("AAPL", "STK", 0)
    month = exps[0][:6]
    got = ex.option_lookup(symbol="AAPL", expiry=month, right="C")
    assert got and all(c.last_trade_date.startswith(month) and c.right == "C" for c in got)
    assert ex.option_lookup(symbol="AAPL", expiry=exps[0], strike=strikes[0] + 0.1, right="C") == []
    assert ex.option_lookup(symbol="EUR") == [] and ex.option_lookup(symbol="S0001") == []
    with pytest.raises(SimError) as e:
        ex.sec_def_opt_params("EUR", "CASH", 0)
    assert e.value.code == 200
    with pytest.raises(SimError):
        ex.contract(OPTION_CON_ID_BASE + 5)


# ---------------------------------------------------------------- quotes


def _opt(ex, strike_off=0, right="C", sym="AAPL", exp_i=1):
    _, _, _, exps, strikes = ex.sec_def_opt_params(sym, "STK", 0)
    spot = ex.market.mark(AAPL if sym == "AAPL" else SPY)
    k = min(strikes, key=lambda s: abs(s - spot))
    k = strikes[strikes.index(k) + strike_off]
    return ex.option_lookup(symbol=sym, expiry=exps[exp_i], strike=k, right=right)[0]


def test_quotes_on_tick_spread_widens_away_from_money():
    ex, _ = make()
    atm, otm = _opt(ex), _opt(ex, 12)
    ta, to = ex.top(atm.con_id), ex.top(otm.con_id)
    for c, t in ((atm, ta), (otm, to)):
        tick = tick_for(c, t.ask)
        assert 0 <= t.bid < t.ask and t.ask - t.bid >= 0.01 - 1e-9
        assert abs(t.ask / tick - round(t.ask / tick)) < 1e-6
        assert 1 <= t.bid_size <= 99
    assert (to.ask - to.bid) / to.ask > (ta.ask - ta.bid) / ta.ask


def test_tick_rules():
    ex, _ = make()
    aapl, spy = _opt(ex), _opt(ex, sym="SPY")
    assert tick_for(aapl, 2.99) == 0.01 and tick_for(aapl, 3.0) == 0.05
    assert tick_for(spy, 12.0) == 0.01


def test_quotes_follow_the_underlying_and_smile_has_skew():
    ex, _ = make()
    c = _opt(ex)
    before = ex.top(c.con_id).bid
    t = ex.now + 1
    ex.set_quote(AAPL, t, bid=ex.market.mark(AAPL) + 5, ask=ex.market.mark(AAPL) + 5.02)
    assert ex.top(c.con_id).bid > before + 2
    low = _opt(ex, -10, "P")
    s = ex.market.mark(AAPL)
    assert ex.quoter.vol(low, s, ex.now) > ex.quoter.vol(_opt(ex), s, ex.now)   # put skew


def test_computations_bid_ask_last_model():
    ex, _ = make()
    c = _opt(ex)
    comps = ex.option_computations(c.con_id)
    assert set(comps) == {10, 11, 12, 13}
    assert comps[10].implied_vol < comps[13].implied_vol < comps[11].implied_vol
    assert comps[13].und_price == pytest.approx(ex.market.mark(AAPL))
    top = ex.top(c.con_id)
    assert comps[11].opt_price == top.ask and comps[10].opt_price == top.bid


def test_calc_implied_vol_and_price_round_trip():
    ex, _ = make()
    c = _opt(ex, 3, "P")
    p = ex.calc_option_price(c.con_id, 0.42, 231.0)
    assert ex.calc_implied_vol(c.con_id, p.opt_price, 231.0).implied_vol == pytest.approx(0.42, abs=1e-6)
    with pytest.raises(SimError) as e:
        ex.calc_option_price(c.con_id, -0.1, 231.0)
    assert e.value.code == 321


# ---------------------------------------------------------------- account, orders, expiry


def test_option_commission_schedule():
    ex, _ = make()
    c = _opt(ex)
    assert order_commission(c, 1, 250) == 1.00                       # minimum per order
    assert order_commission(c, 10, 2500) == 6.50                     # 0.65 per contract


def test_account_multiplier_fill_and_settlement():
    ex, _ = make()
    c = _opt(ex)
    marks = {c.con_id: 2.60}
    a = Account("SIM0001", 100_000.0, lambda ccy: 1.0, lambda cid: marks[cid])
    a.apply_fill(c, "BOT", 1, 2.50, 1.00)
    assert a.cash["USD"] == pytest.approx(100_000 - 250 - 1)
    (p,) = a.positions()
    assert p.avg_cost == pytest.approx(251.0) and p.market_value == pytest.approx(260.0)
    assert p.unrealized_pnl == pytest.approx(9.0)
    assert a.summary()["NetLiquidation"] == pytest.approx(100_000 - 251 + 260)
    assert a.summary()["InitMarginReq"] == pytest.approx(260.0)          # long option paid in full
    realized = a.settle(c.con_id, 4.00)
    assert realized == pytest.approx(400 - 251) and a.position_qty(c.con_id) == 0
    assert a.cash["USD"] == pytest.approx(100_000 - 251 + 400)


def test_buy_call_through_the_exchange():
    ex, events = make()
    c = _opt(ex)
    ask = ex.top(c.con_id).ask
    ex.place(1, 1, c.con_id, OrderTicket("BUY", 2, "MKT"), ex.now)
    (fill,) = [e.fill for e in events if isinstance(e, FillEvent)]
    assert fill.price == ask and fill.commission == 1.30
    (pos,) = [p for p in ex.positions() if p.con_id == c.con_id]
    assert pos.position == 2 and pos.avg_cost == pytest.approx(ask * 100 + 0.65)
    assert ex.account.cash["USD"] == pytest.approx(1_000_000 - 2 * ask * 100 - 1.30)


def test_expiry_settles_in_cash_at_the_close():
    ex, events = make()
    itm, otm = _opt(ex, -4, "C", exp_i=0), _opt(ex, 4, "C", exp_i=0)
    for c in (itm, otm):
        ex.place(1, c.con_id % 100000, c.con_id, OrderTicket("BUY", 1, "MKT"), ex.now)
    close = expiry_close(date(int(itm.last_trade_date[:4]), int(itm.last_trade_date[4:6]),
                              int(itm.last_trade_date[6:])))
    cash = ex.account.cash["USD"]
    ex.advance(close + 120)
    s = ex.market.mark(AAPL)
    assert ex.account.position_qty(itm.con_id) == 0 and ex.account.position_qty(otm.con_id) == 0
    gain = ex.account.cash["USD"] - cash
    assert gain == pytest.approx(max(s - itm.strike, 0) * 100, abs=0.5 * 100)   # settled near the close
    assert any(isinstance(e, PortfolioEvent) and e.positions and e.positions[0].con_id == otm.con_id
               and e.positions[0].position == 0 for e in events)
    assert ex.contract(itm.con_id).local_symbol == itm.local_symbol    # still resolvable


def test_position_over_expiry_while_stopped_is_settled_after_restart(tmp_path):
    ex, _ = make()
    _, _, _, exps, _ = ex.sec_def_opt_params("AAPL", "STK", 0)
    # a strike of the reference-price grid (AAPL reference 230: 2.5 steps from 161)
    (c,) = ex.option_lookup(symbol="AAPL", expiry=exps[0], strike=200.0, right="C")
    ex.place(1, 1, c.con_id, OrderTicket("BUY", 1, "MKT"), ex.now)
    assert ex.account.position_qty(c.con_id) == 1
    path = str(tmp_path / "state.sqlite")
    ex.save_state(path)
    e = date(int(c.last_trade_date[:4]), int(c.last_trade_date[4:6]), int(c.last_trade_date[6:]))
    later = expiry_close(e) + 3 * 86400
    ex2 = type(ex).load_state(path, now=later)
    assert ex2.contract(c.con_id).local_symbol == c.local_symbol       # resolvable after expiry
    assert ex2.account.position_qty(c.con_id) == 1
    ex2.advance(later + 60)
    assert ex2.account.position_qty(c.con_id) == 0


def test_auction_orders_refused_on_options():
    ex, events = make()
    c = _opt(ex)
    o = ex.place(1, 7, c.con_id, OrderTicket("BUY", 1, "MOC"), ex.now)
    assert o.status == "Inactive"
    assert any(getattr(e, "code", None) == 387 for e in events)


def test_limit_price_on_the_option_tick():
    ex, events = make()
    c = _opt(ex)                                          # AAPL: 0.05 from 3.00
    bad = ex.place(1, 8, c.con_id, OrderTicket("BUY", 1, "LMT", lmt_price=3.03), ex.now)
    assert bad.status == "Inactive" and any(getattr(e, "code", None) == 110 for e in events)
    ok = ex.place(1, 9, c.con_id, OrderTicket("BUY", 1, "LMT", lmt_price=2.97), ex.now)
    assert ok.status != "Inactive"
    assert ex.market_rule(int(c.market_rule_ids)) == [(0.0, 0.01), (3.0, 0.05)]


def test_close_is_the_model_value_at_the_previous_close():
    """tickPrice 9 of an option, as TWS sends it: the value at yesterday's 16:00 New York close
    with the underlying at its close, on the option tick; it stays while the underlying moves
    and is sent to a subscriber with the other ticks."""
    from datetime import timedelta

    from app.sim.instruments import session_bounds, trading_date
    ex, _ = make()
    c = _opt(ex, 2)
    under_close = ex.market.top_view(AAPL).close
    assert under_close is not None
    d = trading_date("STK", ex.now) - timedelta(days=1)
    while session_bounds("STK", d) is None:
        d -= timedelta(days=1)
    value = ex.quoter.greeks(c, under_close, session_bounds("STK", d)[3]).price
    close = ex.top(c.con_id).close
    tick = tick_for(c, value)
    assert close == pytest.approx(round(value / tick) * tick) and close > 0
    t = ex.now + 1
    ex.set_quote(AAPL, t, bid=ex.market.mark(AAPL) + 5, ask=ex.market.mark(AAPL) + 5.02)
    assert ex.top(c.con_id).close == close and ex.top(c.con_id).bid > close


@pytest.mark.parametrize("right", ["C", "P"])
def test_option_history_is_valued_from_the_underlyings_bars(right):
    """reqHistoricalData of an option (it was error 200): regular-hours bars of the
    underlying's times, each price the model value at the underlying's price, on the tick;
    a call's high from the stock's high, a put's from its low; MIDPOINT has volume -1."""
    ex, _ = make()
    c = _opt(ex, 2, right)
    under = ex.history(AAPL, end=None, duration="2 D", bar_size="5 mins", use_rth=True)
    bars = ex.history(c.con_id, end=None, duration="2 D", bar_size="5 mins")
    assert [b.time for b in bars] == [b.time for b in under] and len(bars) > 10
    def on_tick(spot, t):
        v = ex.quoter.greeks(c, spot, t).price
        return round(v / tick_for(c, v)) * tick_for(c, v)
    for u, b in zip(under, bars):
        t_end = u.time + 300
        assert b.close == pytest.approx(on_tick(u.close, t_end), abs=1e-9)
        extreme = u.high if right == "C" else u.low
        assert b.high == pytest.approx(max(on_tick(extreme, t_end), b.open, b.close), abs=1e-9)
        assert b.high >= b.open >= b.low and b.high >= b.close >= b.low and b.volume == 0
    mid = ex.history(c.con_id, end=None, duration="2 D", bar_size="5 mins", what_to_show="MIDPOINT")
    assert mid[-1].volume == -1 and mid[-1].close == pytest.approx(bars[-1].close)
    live = ex.live_bar(c.con_id, "5 mins")
    assert live.time == ex.live_bar(AAPL, "5 mins").time and live.close > 0
    daily = ex.history(c.con_id, end=None, duration="5 D", bar_size="1 day")
    assert 3 <= len(daily) <= 5 and all(b.close > 0 for b in daily)
