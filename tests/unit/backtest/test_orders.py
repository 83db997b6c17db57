"""Order semantics of the backtest broker (the simulated gateway's rules): market at the next
open, limits and stops inside the next bars' range, gaps at the open, TIF, commissions,
slippage, close-out, progress and cancel."""

from __future__ import annotations

import pandas as pd
import pytest

from app.backtest import BacktestCancelled, BacktestConfig, commission, run_backtest
from app.domain import Action
from app.strategy import Strategy, StrategyError


def bars(*ohlc):
    """Daily bars from (open, high, low, close) tuples, from 2024-01-01 UTC."""
    t = pd.date_range("2024-01-01", periods=len(ohlc), freq="D", tz="UTC")
    return pd.DataFrame({"time": t, "open": [b[0] for b in ohlc], "high": [b[1] for b in ohlc],
                         "low": [b[2] for b in ohlc], "close": [b[3] for b in ohlc], "volume": 1000.0})


class Script(Strategy):
    """Runs ``plan[i]`` (a callable taking the strategy) at bar i's close; -1 = on_start."""
    name = "script"

    def __init__(self, plan):
        super().__init__()
        self.plan, self.events = plan, []

    def on_start(self):
        if -1 in self.plan:
            self.plan[-1](self)

    def on_bar(self, bar):
        f = self.plan.get(len(self.bars) - 1)
        if f:
            f(self)

    def on_fill(self, fill):
        self.events.append(("fill", fill.order_id, fill.price))

    def on_order(self, u):
        self.events.append((u.status, u.order_id, u.message))


FREE = BacktestConfig(commission=0, close_at_end=False)


def run(plan, data, cfg=FREE):
    s = Script(plan)
    return s, run_backtest(s, data, cfg)


def test_market_order_fills_at_the_next_open():
    _, res = run({0: lambda s: s.buy(10)}, bars((10, 11, 9, 10.5), (12, 13, 11, 12.5), (13, 14, 12, 13)))
    assert [(f.time.day, f.price, f.quantity, f.action) for f in res.fills] == [(2, 12.0, 10, Action.BUY)]
    assert res.equity.tolist() == [100_000, 100_000 + 10 * 0.5, 100_000 + 10 * 1.0]
    assert res.position.tolist() == [0, 10, 10]


def test_order_in_on_start_fills_at_the_first_open():
    _, res = run({-1: lambda s: s.buy(1)}, bars((10, 11, 9, 10.5), (12, 13, 11, 12.5)))
    assert [(f.time.day, f.price) for f in res.fills] == [(1, 10.0)]


def test_buy_limit_inside_the_range_fills_at_the_limit():
    _, res = run({0: lambda s: s.buy(5, "LMT", price=9.5, tif="GTC")},
                 bars((10, 11, 9.8, 10), (10, 10.5, 9.9, 10), (10, 10.2, 9.4, 9.6)))
    assert [(f.time.day, f.price) for f in res.fills] == [(3, 9.5)]


def test_limit_gap_fills_at_the_better_open():
    _, res = run({0: lambda s: s.buy(5, "LMT", price=9.5)}, bars((10, 11, 9.8, 10), (9.0, 9.2, 8.8, 9.1)))
    assert [f.price for f in res.fills] == [9.0]
    _, res = run({0: lambda s: s.sell(5, "LMT", price=10.5)}, bars((10, 11, 9.8, 10), (11.0, 11.2, 10.8, 11)))
    assert [f.price for f in res.fills] == [11.0]


def test_sell_limit_not_reached_does_not_fill():
    _, res = run({0: lambda s: s.sell(5, "LMT", price=12, tif="GTC")}, bars((10, 11, 9, 10), (10, 11.9, 9, 11)))
    assert res.fills == []


def test_stop_inside_the_range_fills_at_the_stop_and_a_gap_at_the_worse_open():
    _, res = run({0: lambda s: s.sell(5, "STP", stop=9.0)}, bars((10, 11, 9.5, 10), (9.8, 10, 8.5, 9)))
    assert [f.price for f in res.fills] == [9.0]
    _, res = run({0: lambda s: s.sell(5, "STP", stop=9.0)}, bars((10, 11, 9.5, 10), (8.0, 8.5, 7.5, 8)))
    assert [f.price for f in res.fills] == [8.0]           # gap through the stop: the open, worse
    _, res = run({0: lambda s: s.buy(5, "STP", stop=11.0)}, bars((10, 11, 9.5, 10), (12.0, 12.5, 11.5, 12)))
    assert [f.price for f in res.fills] == [12.0]


def test_stop_limit_gap_above_the_limit_waits_as_a_limit():
    plan = {0: lambda s: s.buy(5, "STP LMT", price=11.5, stop=11.0, tif="GTC")}
    _, res = run(plan, bars((10, 10.5, 9.5, 10), (12.0, 12.5, 11.8, 12), (11.9, 12, 11.2, 11.4)))
    assert [(f.time.day, f.price) for f in res.fills] == [(3, 11.5)]
    _, res = run(plan, bars((10, 10.5, 9.5, 10), (10.5, 11.2, 10.4, 11)))
    assert [f.price for f in res.fills] == [11.0]          # triggered inside the bar at the stop


def test_day_order_expires_after_its_day_and_gtc_keeps_working():
    data = bars((10, 11, 9, 10), (10, 10.5, 9.6, 10), (10, 10.5, 9.0, 9.2))
    s, res = run({0: lambda s: s.buy(5, "LMT", price=9.5)}, data)
    assert res.fills == [] and ("Cancelled", 1, "DAY order expired") in s.events
    _, res = run({0: lambda s: s.buy(5, "LMT", price=9.5, tif="GTC")}, data)
    assert [f.price for f in res.fills] == [9.5]


def test_ioc_not_filled_on_its_first_bar_is_cancelled():
    s, res = run({0: lambda s: s.buy(5, "LMT", price=9.0, tif="IOC")},
                 bars((10, 11, 9, 10), (10, 10.5, 9.6, 10), (9, 9, 8, 8)))
    assert res.fills == [] and s.events[0][0] == "Cancelled"


def test_cancel_and_cancel_all_stop_working_orders():
    def place(s):
        s.a = s.buy(1, "LMT", price=5, tif="GTC")
        s.b = s.sell(1, "LMT", price=50, tif="GTC")
        s.cancel(s.a)
    s, res = run({0: place, 1: lambda s: s.cancel_all()}, bars((10, 11, 9, 10), (10, 11, 9, 10), (4, 60, 4, 10)))
    assert res.fills == []
    assert [e[:2] for e in s.events] == [("Cancelled", 1), ("Cancelled", 2)]


def test_unsupported_orders_are_refused():
    errors = []

    def place(s):
        for kw in ({"order_type": "TRAIL"}, {"order_type": "LMT"}, {"order_type": "STP"}, {"tif": "GTD"}):
            try:
                s.buy(1, **kw)
            except StrategyError as e:
                errors.append(str(e))
    run({0: place}, bars((10, 11, 9, 10), (10, 11, 9, 10)))
    assert len(errors) == 4 and "limit price" in errors[1] and "stop price" in errors[2]


def test_ib_commission_schedule_as_the_simulator():
    cfg = BacktestConfig(commission="ib")
    assert commission(cfg, 100, 50.0) == 1.00          # minimum per order
    assert commission(cfg, 1000, 50.0) == 5.00         # 0.005 per share
    assert commission(cfg, 100, 0.5) == 0.50           # capped at 1 % of the value
    assert commission(BacktestConfig(commission=0.01), 300, 10.0) == pytest.approx(3.0)
    assert commission(BacktestConfig(commission=0), 300, 10.0) == 0.0
    _, res = run({0: lambda s: s.buy(1000), 1: lambda s: s.sell(1000)},
                 bars((10, 11, 9, 10), (10, 11, 9, 10), (11, 12, 10, 11)), BacktestConfig(commission="ib"))
    assert [f.commission for f in res.fills] == [5.0, 5.0]
    assert res.trades[0].pnl == pytest.approx(1000 * 1.0 - 10.0)
    assert res.equity.iloc[-1] == pytest.approx(100_000 + 1000 - 10)


def test_slippage_worsens_market_fills_not_limits():
    cfg = BacktestConfig(commission=0, slippage_pct=1.0, slippage_ticks=2, close_at_end=False)
    _, res = run({0: lambda s: (s.buy(1), s.sell(1, "LMT", price=10.0, tif="GTC"))},
                 bars((10, 11, 9, 10), (10, 10, 9, 10), (10, 11, 9, 10)), cfg)
    assert [f.price for f in res.fills] == [pytest.approx(10 * 1.01 + 0.02), 10.0]


def test_open_position_is_closed_at_the_last_close_with_its_trade():
    _, res = run({0: lambda s: s.sell(10)}, bars((10, 11, 9, 10), (10, 11, 9, 10), (9, 9.5, 8, 8)),
                 BacktestConfig(commission=0))
    (t,) = res.trades
    assert (t.side, t.entry_price, t.exit_price, t.pnl, t.exit_time.day) == ("short", 10.0, 8.0, 20.0, 3)
    assert res.equity.iloc[-1] == 100_020.0 and res.metrics["n_trades"] == 1


def test_reversal_in_one_order_makes_two_trades_fifo():
    _, res = run({0: lambda s: s.buy(10), 1: lambda s: s.sell(20)},
                 bars((10, 11, 9, 10), (10, 11, 9, 10), (12, 13, 11, 12), (11, 12, 10, 11)), BacktestConfig(commission=0))
    assert [(t.side, t.quantity, t.entry_price, t.exit_price, t.pnl) for t in res.trades] == [
        ("long", 10, 10.0, 12.0, 20.0), ("short", 10, 12.0, 11.0, 10.0)]


def test_progress_is_reported_and_should_stop_cancels():
    n = 5000
    data = bars(*[(10, 11, 9, 10)] * n)
    seen = []
    run_backtest(Script({}), data, FREE, progress=seen.append)
    assert seen[-1] == 1.0 and 2 <= len(seen) < n / 10 and seen == sorted(seen)
    with pytest.raises(BacktestCancelled):
        run_backtest(Script({}), data, FREE, should_stop=lambda: True)


def test_bad_bars_and_config_are_refused_clearly():
    with pytest.raises(ValueError, match="miss column"):
        run_backtest(Script({}), pd.DataFrame({"time": [], "open": []}))
    with pytest.raises(ValueError, match="no bars"):
        run_backtest(Script({}), bars()[["time", "open", "high", "low", "close"]])
    with pytest.raises(ValueError, match="bad prices"):
        run_backtest(Script({}), bars((10, 9, 11, 10)))
    with pytest.raises(ValueError, match="increase"):
        run_backtest(Script({}), pd.concat([bars((10, 11, 9, 10))] * 2))
    with pytest.raises(ValueError, match="commission"):
        BacktestConfig(commission="tiered")
    with pytest.raises(ValueError, match="cash"):
        BacktestConfig(cash=0)
