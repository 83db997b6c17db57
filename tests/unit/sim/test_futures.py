"""Futures of the simulated gateway (issue 18): calendar, contracts, lookups, quotes, fills,
margin, commissions, expiry."""

from __future__ import annotations

from datetime import date

import pytest

from app.sim import futures as F
from app.sim.account import order_commission
from app.sim.encode import contract_details
from app.sim.instruments import is_open, session_bounds, trading_date
from app.sim.types import FillEvent, OrderTicket, PortfolioEvent
from tests.unit.sim.helpers import make, ny

T = ny(2026, 12, 7, 10, 0)          # Monday 7 December 2026, 10:00 New York


def test_last_trading_days_follow_the_rulebooks():
    # ES / NQ: third Friday of the contract month
    assert F.last_trading_day("ES", 2026, 12) == date(2026, 12, 18)
    assert F.last_trading_day("NQ", 2027, 3) == date(2027, 3, 19)
    # CL Jan 2027: 25 Dec 2026 is a holiday -> 4 business days before it (Mon 21 Dec)
    assert F.last_trading_day("CL", 2027, 1) == date(2026, 12, 21)
    # CL Feb 2027: 25 Jan 2027 is a Monday (business) -> 3 business days before: Wed 20 Jan
    assert F.last_trading_day("CL", 2027, 2) == date(2027, 1, 20)
    # GC Feb 2027: third-last business day of February 2027 (24th; 26th Fri, 25th Thu, 24th Wed)
    assert F.last_trading_day("GC", 2027, 2) == date(2027, 2, 24)
    with pytest.raises(ValueError, match="unknown futures root"):
        F.last_trading_day("ZZ", 2027, 2)


def test_local_symbols_and_stable_con_ids():
    assert F.local_symbol("ES", 2026, 12) == "ESZ6"
    assert F.local_symbol("CL", 2027, 1) == "CLF7"
    assert F.local_symbol("GC", 2027, 2) == "GCG7"
    assert F.con_id_of(F.root("ES"), 2026, 12) == 1_800_202_612
    a = {c.local_symbol: c.con_id for c in (i.contract for i in F.instruments(T))}
    b = {c.local_symbol: c.con_id for c in (i.contract for i in F.instruments(T + 3600))}
    assert a == b


def test_listing_quarterly_and_monthly():
    months = {r.symbol: F.listed_months(r, T) for r in F.ROOTS}
    assert months["ES"] == [(2026, 12), (2027, 3), (2027, 6), (2027, 9)]
    assert len(months["CL"]) == F.MONTHLY_LISTED and months["CL"][0] == (2027, 1)
    assert months["GC"][0] == (2026, 12)
    # after ESZ6's last trading moment (18 Dec 08:30 CT) the front month is ESH7
    after = ny(2026, 12, 18, 9, 31)
    assert F.listed_months(F.root("ES"), after)[0] == (2027, 3)


def test_globex_session_with_the_daily_break():
    d = trading_date("FUT", ny(2026, 12, 7, 18, 30))
    assert d == date(2026, 12, 8)                       # the evening belongs to the next day
    assert is_open("FUT", ny(2026, 12, 7, 16, 30))      # after the stock close
    assert not is_open("FUT", ny(2026, 12, 7, 17, 30))  # daily break 16:00-17:00 CT
    assert is_open("FUT", ny(2026, 12, 7, 18, 0))
    assert not is_open("FUT", ny(2026, 12, 12, 12, 0))  # Saturday
    assert is_open("FUT", ny(2026, 12, 13, 18, 5))      # Sunday evening opens Monday's session
    b = session_bounds("FUT", date(2026, 12, 8))
    assert b[3] - b[2] == 6.5 * 3600


def test_lookup_by_local_symbol_month_date_and_symbol():
    ex, _ = make(now=T)
    [es] = ex.future_lookup(local_symbol="ESZ6", exchange="CME")
    assert (es.symbol, es.exchange, es.multiplier, es.min_tick, es.trading_class) == ("ES", "CME", "50", 0.25, "ES")
    assert (es.last_trade_date, es.contract_month, es.last_trade_time) == ("20261218", "202612", "08:30")
    assert es.time_zone_id == "US/Central" and es.trading_hours.startswith("20261206:1700-20261207:1600")
    assert es.liquid_hours.startswith("20261207:0830-20261207:1500")
    assert ex.future_lookup(symbol="ES", expiry="202612", exchange="CME") == [es]
    assert ex.future_lookup(symbol="ES", expiry="20261218") == [es]
    assert [c.local_symbol for c in ex.future_lookup(symbol="ES")] == ["ESZ6", "ESH7", "ESM7", "ESU7"]
    [cl] = ex.future_lookup(symbol="CL", expiry="202701", exchange="NYMEX")
    assert (cl.local_symbol, cl.multiplier, cl.min_tick, cl.last_trade_date) == ("CLF7", "1000", 0.01, "20261221")
    [gc] = ex.future_lookup(local_symbol="GCG7")
    assert (gc.exchange, gc.multiplier, gc.min_tick) == ("COMEX", "100", 0.1)
    assert ex.future_lookup(symbol="ES", expiry="202611") == []
    assert ex.future_lookup(symbol="ES", exchange="NYMEX") == []
    assert ex.future_lookup(local_symbol="ESZ9") == []
    assert ex.contract(es.con_id).local_symbol == "ESZ6"


def test_contract_details_fields():
    ex, _ = make(now=T)
    [cl] = ex.future_lookup(local_symbol="CLF7")
    fields = contract_details(5, cl).split(b"\0")
    text = [f.decode() for f in fields]
    assert "20261221 13:30" in text          # lastTradeDateOrContractMonth + lastTradeTime
    assert "202701" in text                  # contractMonth: the delivery month
    assert "US/Central" in text and "1000" in text


def test_prices_plausible_and_on_tick_and_history():
    ex, _ = make(now=T)
    lvl = {"ES": (5000, 7500), "NQ": (16000, 26000), "CL": (50, 95), "GC": (2000, 3300)}
    for sym, (lo, hi) in lvl.items():
        c = ex.future_lookup(symbol=sym)[0]
        t = ex.top(c.con_id)
        assert lo < t.bid < t.ask < hi
        assert abs(t.bid / c.min_tick - round(t.bid / c.min_tick)) < 1e-6
    es = ex.future_lookup(symbol="ES")[0]
    ex.advance(T + 120)
    assert ex.market.tape(es.con_id).last_trade_before(T + 121) is not None
    bids, asks = ex.depth(es.con_id, 5)
    assert len(bids) == 5 and bids[0][0] > bids[1][0]


def test_commission_and_margin_per_contract():
    ex, _ = make(now=T)
    es = ex.future_lookup(local_symbol="ESZ6")[0]
    assert order_commission(es, 2, 600_000) == pytest.approx(2 * (0.85 + 1.38 + 0.02))
    st = ex.what_if(1, 1, es.con_id, OrderTicket("BUY", 2, "MKT"), ex.now)
    assert st.init_margin_change == pytest.approx(2 * 23_000)
    assert st.maint_margin_change == pytest.approx(2 * 21_000)


def test_buy_es_cash_not_moved_by_notional_pnl_marked():
    ex, events = make(now=T)
    es = ex.future_lookup(local_symbol="ESZ6")[0]
    cash0 = ex.account.summary()["TotalCashValue"]
    ex.place(1, 1, es.con_id, OrderTicket("BUY", 1, "MKT"), ex.now)
    [fill] = [e for e in events if isinstance(e, FillEvent)]
    px = fill.fill.price if hasattr(fill, "fill") else fill.price
    s = ex.account.summary()
    assert s["TotalCashValue"] == pytest.approx(cash0 - 2.25)      # commission only
    assert s["InitMarginReq"] == pytest.approx(23_000) and s["MaintMarginReq"] == pytest.approx(21_000)
    [p] = [p for p in ex.positions() if p.con_id == es.con_id]
    assert p.position == 1 and p.avg_cost == pytest.approx(px * 50 + 2.25)
    assert p.market_value == pytest.approx(p.market_price * 50)
    mark = p.market_price
    assert s["NetLiquidation"] == pytest.approx(cash0 - 2.25 + (mark - px) * 50)
    ex.place(1, 2, es.con_id, OrderTicket("SELL", 1, "MKT"), ex.now)
    fills = [e for e in events if isinstance(e, FillEvent)]
    out = fills[-1].fill.price if hasattr(fills[-1], "fill") else fills[-1].price
    s2 = ex.account.summary()
    assert s2["TotalCashValue"] == pytest.approx(cash0 - 4.5 + (out - px) * 50)
    assert s2["InitMarginReq"] == 0


def test_orders_refused_after_last_trading_day_and_expiry_settles():
    ex, events = make(now=ny(2026, 12, 18, 9, 0))
    es = ex.future_lookup(local_symbol="ESZ6")[0]
    ex.place(1, 1, es.con_id, OrderTicket("BUY", 1, "MKT"), ex.now)
    assert ex.account.position_qty(es.con_id) == 1
    ex.advance(ny(2026, 12, 18, 9, 40))                # last trading moment 08:30 CT = 09:30 NY
    assert ex.account.position_qty(es.con_id) == 0
    assert any(isinstance(e, PortfolioEvent) for e in events)
    o = ex.place(1, 2, es.con_id, OrderTicket("BUY", 1, "MKT"), ex.now)
    assert o.status in ("Inactive", "Cancelled")
    errs = [e for e in events if type(e).__name__ == "OrderErrorEvent" and e.order_id == 2]
    assert errs and errs[-1].code == 201 and "ESZ6 has expired" in errs[-1].text
    assert ex.future_lookup(local_symbol="ESZ6") == []
    frozen = ex.top(es.con_id)
    ex.advance(ny(2026, 12, 18, 11, 0))
    assert ex.top(es.con_id) == frozen                 # an expired contract's quote stops moving


def test_es_follows_spy_and_nq_follows_qqq():
    ex, _ = make(now=T)
    es, nq = ex.future_lookup(symbol="ES")[0], ex.future_lookup(symbol="NQ")[0]
    spy, qqq = 756733, 320227571
    r_es = ex.market.instrument(es.con_id).params.price / ex.market.instrument(spy).params.price
    for t in (T, T + 600, T + 1800):
        ex.advance(t)
        for fut, etf, r in ((es, spy, r_es), (nq, qqq, None)):
            ratio = ex.market.mark(fut.con_id) / ex.market.mark(etf)
            ref = r if r else ex.market.instrument(fut.con_id).params.price / ex.market.instrument(etf).params.price
            assert abs(ratio / ref - 1) < 0.002, (fut.local_symbol, t, ratio, ref)
    assert 9.5 < r_es < 11.5


def test_future_position_survives_a_restart(tmp_path):
    from app.sim.exchange import SimExchange
    from app.sim.persist import load_state, save_state
    ex, _ = make(now=T)
    es = ex.future_lookup(local_symbol="ESZ6")[0]
    ex.place(1, 1, es.con_id, OrderTicket("BUY", 1, "MKT"), ex.now)
    nlv = ex.account.summary()["NetLiquidation"]
    path = tmp_path / "s.sqlite"
    save_state(ex, path)
    ex2 = load_state(SimExchange, path)
    assert ex2.account.position_qty(es.con_id) == 1
    assert ex2.market.mark(es.con_id) == ex.market.mark(es.con_id)
    assert abs(ex2.account.summary()["NetLiquidation"] - nlv) <= 2.25 + 1e-6     # entry = avg cost


def test_market_rules_of_the_futures_give_their_ticks():
    from app.sim.symbols import increment_at, market_rule
    ex, _ = make(now=T)
    for sym in ("ES", "NQ", "CL", "GC"):
        c = ex.future_lookup(symbol=sym)[0]
        assert increment_at(market_rule(int(c.market_rule_ids)), 100.0) == pytest.approx(c.min_tick)


def test_history_covers_the_night_and_skips_the_daily_break():
    from datetime import datetime
    from zoneinfo import ZoneInfo
    ex, _ = make(now=T)
    es = ex.future_lookup(local_symbol="ESZ6")[0]
    bars = ex.history(es.con_id, end=None, duration="2 D", bar_size="1 hour")
    hours = {datetime.fromtimestamp(b.time, ZoneInfo("America/New_York")).hour for b in bars}
    assert {2, 3, 20, 22} <= hours                    # Globex trades through the night
    assert 17 not in hours                            # 17:00-18:00 New York: the daily break
    assert bars[-1].close == ex.top(es.con_id).last
    assert all(b.volume >= 1 for b in bars)
    rth = ex.history(es.con_id, end=None, duration="2 D", bar_size="1 hour", use_rth=True)
    assert {datetime.fromtimestamp(b.time, ZoneInfo("America/New_York")).hour for b in rth} <= set(range(9, 16))


def test_position_held_over_an_expiry_while_stopped_is_settled_after_restart(tmp_path):
    from app.sim.exchange import SimExchange
    from app.sim.persist import load_state, save_state
    ex, _ = make(now=ny(2026, 12, 17, 10, 0))
    es = ex.future_lookup(local_symbol="ESZ6")[0]
    ex.place(1, 1, es.con_id, OrderTicket("BUY", 1, "MKT"), ex.now)
    path = tmp_path / "s.sqlite"
    save_state(ex, path)
    ex2 = load_state(SimExchange, path, now=ny(2026, 12, 21, 10, 0))      # ESZ6 expired on the 18th
    assert ex2.contract(es.con_id).local_symbol == "ESZ6"
    assert ex2.future_lookup(local_symbol="ESZ6") == []
    ex2.advance(ny(2026, 12, 21, 10, 0, 1))
    assert ex2.account.position_qty(es.con_id) == 0
    assert ex2.account.summary()["InitMarginReq"] == 0
