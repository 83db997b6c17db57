"""The SMA-cross backtest on GOOG daily equals an independent textbook implementation in plain
pandas (rolling means, crossover signal, position shifted one bar, entry at the next open,
close-out at the last close), and its Sharpe / max drawdown equal empyrical's own functions on
the equity curve."""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest

from app.backtest import BacktestConfig, load_csv, run_backtest
from app.strategy.library import SmaCross

CASH = 100_000.0


def textbook(df: pd.DataFrame, fast: int, slow: int, qty: float, long_only: bool):
    """The classic guide's vectorised SMA cross, written without the project's code."""
    close, open_ = df["close"], df["open"]
    f = close.rolling(fast).mean()
    s = close.rolling(slow).mean()
    above = f > s
    below = f < s
    prev_ok = f.shift(1).notna() & s.shift(1).notna()
    up = above & (f.shift(1) <= s.shift(1)) & prev_ok
    down = below & (f.shift(1) >= s.shift(1)) & prev_ok
    target = pd.Series(np.nan, index=df.index)
    target[up] = qty
    target[down] = 0.0 if long_only else -qty
    held = target.ffill().fillna(0.0).shift(1).fillna(0.0)      # signal at close -> held from next bar
    traded = held.diff().fillna(held.iloc[0])                    # shares bought (+) / sold (-) at the open
    cash = CASH - (traded * open_).cumsum()
    equity = cash + held * close
    # trades: every change of the held position closes the old one and opens the new one
    trades = []
    entry = None
    for i in np.flatnonzero(traded.to_numpy() != 0):
        px, t, h = open_.iloc[i], df["time"].iloc[i], held.iloc[i]
        if entry is not None:
            side, et, ep_ = entry
            trades.append((et, t, "long" if side > 0 else "short", ep_, px, (px - ep_) * side))
        entry = (h, t, px) if h else None
    if entry is not None:
        side, et, ep_ = entry
        px = close.iloc[-1]
        trades.append((et, df["time"].iloc[-1], "long" if side > 0 else "short", ep_, px, (px - ep_) * side))
    return equity.set_axis(pd.DatetimeIndex(df["time"])), trades


@pytest.mark.parametrize("fast,slow,long_only", [(10, 20, False), (20, 50, False), (10, 20, True)])
def test_sma_cross_matches_textbook(shared_data, fast, slow, long_only):
    bars = load_csv(shared_data / "GOOG.csv")
    res = run_backtest(SmaCross(fast=fast, slow=slow, quantity=100, long_only=long_only), bars,
                       BacktestConfig(cash=CASH, commission=0))
    equity, trades = textbook(bars, fast, slow, 100, long_only)
    assert len(trades) > 10
    assert [(t.entry_time, t.exit_time, t.side, t.entry_price, t.exit_price) for t in res.trades] == \
        [(a, b, c, d, e) for a, b, c, d, e, _ in trades]
    assert [t.pnl for t in res.trades] == pytest.approx([p for *_, p in trades], abs=1e-6)
    np.testing.assert_allclose(res.equity.to_numpy(), equity.to_numpy(), rtol=0, atol=1e-6)
    assert res.metrics["final_equity"] == pytest.approx(float(equity.iloc[-1]), abs=1e-6)
    assert res.metrics["n_trades"] == len(trades)
    wins = sum(1 for *_, p in trades if p > 0)
    assert res.metrics["win_rate_pct"] == pytest.approx(100 * wins / len(trades))


def test_sharpe_and_drawdown_equal_empyrical_on_the_equity_curve(shared_data):
    bars = load_csv(shared_data / "GOOG.csv")
    res = run_backtest(SmaCross(fast=20, slow=50), bars, BacktestConfig(cash=CASH, commission="ib",
                                                                        risk_free_rate=0.02))
    eq = res.equity
    r = eq / eq.shift(1, fill_value=CASH) - 1
    rf_daily = 1.02 ** (1 / 252) - 1
    assert res.metrics["sharpe"] == pytest.approx(empyrical.sharpe_ratio(r, risk_free=rf_daily, annualization=252))
    assert res.metrics["sortino"] == pytest.approx(empyrical.sortino_ratio(r, required_return=rf_daily,
                                                                           annualization=252))
    assert res.metrics["max_drawdown_pct"] == pytest.approx(100 * empyrical.max_drawdown(r))
    # by hand too: (trough - peak) / peak over the curve that starts at the cash
    curve = np.concatenate(([CASH], eq.to_numpy()))
    hand = (curve / np.maximum.accumulate(curve) - 1).min()
    assert res.metrics["max_drawdown_pct"] == pytest.approx(100 * hand)
    assert res.drawdown.min() == pytest.approx(hand)
    assert res.metrics["return_pct"] == pytest.approx(100 * (eq.iloc[-1] / CASH - 1))
    # trade pnl (after commissions) adds up to the equity change once the position is closed
    assert sum(t.pnl for t in res.trades) == pytest.approx(eq.iloc[-1] - CASH, abs=1e-6)
    assert res.metrics["commissions"] > 0
