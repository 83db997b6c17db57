"""Metrics beyond Sharpe and drawdown (those are checked against empyrical on GOOG in
test_sma_reference): units, undefined values as null, periods per year, drawdown duration,
profit factor, exposure."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from app.backtest import BacktestConfig, Trade, compute_metrics, run_backtest
from app.backtest.metrics import REQUIRED, drawdown_duration, infer_periods_per_year
from app.strategy import Strategy


class Idle(Strategy):
    name = "idle"


def test_no_trades_gives_null_not_nan_in_json():
    t = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    df = pd.DataFrame({"time": t, "open": 10.0, "high": 11.0, "low": 9.0, "close": 10.0, "volume": 1.0})
    res = run_backtest(Idle(), df)
    d = json.loads(res.to_json())
    assert all(k in d for k in REQUIRED)
    assert d["n_trades"] == 0 and d["win_rate_pct"] is None and d["sharpe"] is None
    assert d["final_equity"] == 100_000 and d["return_pct"] == 0 and d["max_drawdown_pct"] == 0
    assert res.drawdown.tolist() == [0.0] * 5


def test_periods_per_year():
    assert infer_periods_per_year(pd.bdate_range("2020-01-01", periods=30, tz="UTC")) == 252
    assert infer_periods_per_year(pd.date_range("2020-01-03", periods=30, freq="W-FRI", tz="UTC")) == 52
    days = pd.bdate_range("2020-01-01", periods=3, tz="UTC")
    minutes = days.repeat(78) + pd.to_timedelta(list(range(0, 390, 5)) * 3, unit="min") + pd.Timedelta(hours=14, minutes=30)
    assert infer_periods_per_year(minutes) == 252 * 78


def test_drawdown_duration_counts_bars_below_the_peak():
    t = pd.date_range("2024-01-01", periods=7, freq="D", tz="UTC")
    eq = pd.Series([100, 110, 105, 100, 111, 108, 112.0], index=t)
    assert drawdown_duration(eq, 100.0) == (2, 3.0)      # below 110 on days 3-4, back above on day 5
    eq = pd.Series([100, 90, 95, 99.0], index=t[:4])
    assert drawdown_duration(eq, 100.0) == (3, 3.0)      # never recovers: to the end


def test_trade_metrics():
    t = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    eq = pd.Series([100_000, 100_300, 100_100, 100_200.0], index=t)
    tr = [Trade(t[0], t[1], "long", 1, 10, 13, 300.0), Trade(t[1], t[2], "short", 1, 13, 15, -200.0),
          Trade(t[2], t[3], "long", 1, 15, 16, 100.0)]
    pos = pd.Series([1, 1, 0, 0.0], index=t)
    m = compute_metrics(eq, tr, BacktestConfig(), position=pos)
    assert m["win_rate_pct"] == pytest.approx(200 / 3)
    assert m["profit_factor"] == pytest.approx(2.0)
    assert m["avg_trade_pnl"] == pytest.approx(200 / 3)
    assert m["exposure_pct"] == 50.0 and m["n_trades"] == 3
    assert m["return_pct"] == pytest.approx(0.2)
    only_wins = compute_metrics(eq, tr[:1], BacktestConfig(), position=pos)
    assert math.isinf(only_wins["profit_factor"])
