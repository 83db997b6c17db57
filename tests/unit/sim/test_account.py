"""Account arithmetic against hand-computed numbers (average-cost method, IB avgCost convention)."""

from __future__ import annotations

import pytest

from app.sim.account import Account, order_commission
from app.sim.instruments import fx_contract, stock_contract
from app.sim.types import OrderTicket
from tests.unit.sim.helpers import AAPL, USDJPY, make, ny

STK = stock_contract("TEST", 1, "NYSE", "TEST CORP")
EUR = fx_contract("EUR", "USD", 2, 0.00005)
JPY = fx_contract("USD", "JPY", 3, 0.005)


def acct(marks: dict[int, float], rates: dict[str, float] | None = None) -> Account:
    rates = {"USD": 1.0, **(rates or {})}
    return Account("SIM0001", 1_000_000.0, lambda c: rates[c], lambda cid: marks[cid])


def values(a: Account) -> dict[str, str]:
    return {tag: v for tag, v, ccy in a.account_values() if ccy in ("USD", "")}


def test_commission_schedule():
    assert order_commission(STK, 100, 23_000) == 1.00          # minimum
    assert order_commission(STK, 1000, 230_000) == 5.00        # 0.005 / share
    assert order_commission(STK, 100, 50) == 0.50              # capped at 1 % of value
    assert order_commission(EUR, 20_000, 22_000) == 2.00       # FX minimum
    assert order_commission(EUR, 10_000_000, 11_000_000) == 220.00   # 0.2 bp
    assert order_commission(STK, 0, 0) == 0.0


def test_long_then_partial_close():
    marks = {1: 105.0}
    a = acct(marks)
    assert a.apply_fill(STK, "BOT", 100, 100.00, 1.00) == 0.0
    p = a.positions()[0]
    assert p.position == 100 and p.avg_cost == pytest.approx(100.01)
    assert a.cash["USD"] == pytest.approx(1_000_000 - 10_000 - 1)
    assert p.unrealized_pnl == pytest.approx((105 - 100.01) * 100)
    r = a.apply_fill(STK, "SLD", 50, 110.00, 1.00)
    assert r == pytest.approx((110 - 100.01) * 50 - 1.00)        # 498.50
    p = a.positions()[0]
    assert p.position == 50 and p.avg_cost == pytest.approx(100.01) and p.realized_pnl == pytest.approx(498.5)
    assert a.cash["USD"] == pytest.approx(1_000_000 - 10_001 + 5_500 - 1)
    v = values(a)
    # NetLiq = cash 995498 + 50 x 105 = 1000748.00
    assert v["NetLiquidation"] == "1000748.00" and v["TotalCashValue"] == "995498.00"
    assert v["GrossPositionValue"] == "5250.00" and v["InitMarginReq"] == "1312.50"
    assert v["AvailableFunds"] == "999435.50" and v["BuyingPower"] == f"{4 * 999435.5:.2f}"
    assert v["RealizedPnL"] == "498.50" and v["UnrealizedPnL"] == f"{(105 - 100.01) * 50:.2f}"
    assert v["AccountCode"] == "SIM0001"


def test_short_and_cover():
    marks = {1: 47.0}
    a = acct(marks)
    a.apply_fill(STK, "SLD", 100, 50.00, 1.00)
    p = a.positions()[0]
    assert p.position == -100 and p.avg_cost == pytest.approx(49.99)   # proceeds net of commission
    assert p.unrealized_pnl == pytest.approx((47 - 49.99) * -100)      # +299
    v = values(a)
    assert v["NetLiquidation"] == f"{1_000_000 + 5000 - 1 - 4700:.2f}"
    assert v["InitMarginReq"] == f"{0.30 * 4700:.2f}"
    r = a.apply_fill(STK, "BOT", 100, 45.00, 1.00)
    assert r == pytest.approx((49.99 - 45.00) * 100 - 1.00)             # 498.00
    assert a.positions()[0].position == 0
    assert a.cash["USD"] == pytest.approx(1_000_000 + 4999 - 4501)


def test_flip_splits_commission():
    a = acct({1: 12.0})
    a.apply_fill(STK, "BOT", 100, 10.00, 0.0)
    r = a.apply_fill(STK, "SLD", 150, 12.00, 1.50)
    assert r == pytest.approx(2.00 * 100 - 1.00)
    p = a.positions()[0]
    assert p.position == -50 and p.avg_cost == pytest.approx((50 * 12 - 0.50) / 50)


def test_fx_eurusd_moves_usd_cash():
    a = acct({2: 1.1}, {"EUR": 1.1})
    a.apply_fill(EUR, "BOT", 20_000, 1.1, 2.00)
    assert a.cash["USD"] == pytest.approx(1_000_000 - 22_000 - 2)
    p = a.positions()[0]
    assert p.avg_cost == pytest.approx(1.1001) and p.market_value == pytest.approx(22_000)
    assert values(a)["NetLiquidation"] == "999998.00"


def test_fx_usdjpy_pnl_converted_at_current_rate():
    marks = {3: 151.0}
    a = acct(marks, {"JPY": 1 / 151.0})
    a.apply_fill(JPY, "BOT", 100_000, 150.0, 2.00)
    assert a.cash["JPY"] == pytest.approx(-15_000_000) and a.cash["USD"] == pytest.approx(1_000_000 - 2)
    p = a.positions()[0]
    assert p.avg_cost == pytest.approx(150.0 + 2.0 * 151.0 / 100_000)    # commission in JPY at 151
    unreal = (151.0 - p.avg_cost) * 100_000 / 151.0
    assert p.unrealized_pnl == pytest.approx(unreal)
    nlv = 1_000_000 - 2 - 15_000_000 / 151.0 + 100_000
    assert values(a)["NetLiquidation"] == f"{nlv:.2f}"
    # NetLiq = start cash + unrealized (which already carries the commission in avg cost)
    assert nlv == pytest.approx(1_000_000 + unreal, abs=1e-6)


def test_bad_fill_rejected():
    a = acct({1: 1.0})
    for qty, px in ((0, 1.0), (-1, 1.0), (1, 0.0), (float("nan"), 1.0)):
        with pytest.raises(ValueError):
            a.apply_fill(STK, "BOT", qty, px, 1.0)


def test_exchange_round_trip_numbers():
    ex, _ = make()
    ex.set_quote(AAPL, ex.now + 1, bid=230.00, ask=230.02, ask_size=5000, bid_size=5000)
    ex.place(1, 1, AAPL, OrderTicket("BUY", 200, "MKT"), ex.now)
    ex.set_quote(AAPL, ex.now + 1, bid=231.00, ask=231.02, ask_size=5000, bid_size=5000)
    ex.place(1, 2, AAPL, OrderTicket("SELL", 200, "MKT"), ex.now)
    f1, f2 = ex.executions()
    assert (f1.price, f1.commission, f2.price, f2.commission) == (230.02, 1.00, 231.00, 1.00)
    assert f2.realized_pnl == pytest.approx((231.00 - (230.02 * 200 + 1) / 200) * 200 - 1.00)   # 194.00
    pos = ex.positions()
    assert len(pos) == 1 and pos[0].position == 0 and pos[0].realized_pnl == pytest.approx(194.0)
    v = dict((t, x) for t, x, c in ex.account_values() if c in ("USD", ""))
    assert v["NetLiquidation"] == "1000194.00" and v["RealizedPnL"] == "194.00"
    # a closed position disappears on the next day
    ex.advance(ny(2025, 11, 24, 10, 0))
    assert ex.positions() == []


def test_exchange_fx_usdjpy_position():
    ex, _ = make()
    ex.set_quote(USDJPY, ex.now + 1, bid=150.000, ask=150.005)
    ex.place(1, 1, USDJPY, OrderTicket("BUY", 100_000, "MKT"), ex.now)
    f = ex.executions()[0]
    assert f.price == 150.005 and f.commission == 2.00 and f.shares == 100_000
    v = dict((t, x) for t, x, c in ex.account_values() if c in ("USD", ""))
    mark = 150.0025
    nlv = 1_000_000 - 2 - 100_000 * 150.005 / mark + 100_000
    assert float(v["NetLiquidation"]) == pytest.approx(nlv, abs=0.01)
    jpy = [x for t, x, c in ex.account_values() if t == "CashBalance" and c == "JPY"]
    assert jpy == [f"{-100_000 * 150.005:.2f}"]


def test_account_values_shape():
    a = acct({1: 100.0})
    rows = a.account_values()
    assert all(isinstance(t, str) and isinstance(v, str) and isinstance(c, str) for t, v, c in rows)
    tags = {t for t, _, _ in rows}
    for need in ("NetLiquidation", "TotalCashValue", "BuyingPower", "AvailableFunds", "ExcessLiquidity",
                 "GrossPositionValue", "EquityWithLoanValue", "InitMarginReq", "MaintMarginReq",
                 "UnrealizedPnL", "RealizedPnL", "CashBalance", "AccountCode", "AccountType", "Currency"):
        assert need in tags
    v = values(a)
    assert v["NetLiquidation"] == "1000000.00" and v["BuyingPower"] == "4000000.00"
    assert ("ExchangeRate", "1", "USD") in rows and ("CashBalance", "1000000.00", "BASE") in rows
