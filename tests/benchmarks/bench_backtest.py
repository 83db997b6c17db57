"""On-demand benchmark: how long a backtest takes (issue 17: "a 10-year daily or 1M-bar intraday
backtest runs in seconds").

Run: ``PYTHONPATH=. .venv/bin/python -m tests.benchmarks.bench_backtest [INTRADAY_BARS] [ROUNDS]``

Synthetic geometric random-walk bars (seeded): 10 years of daily bars (2,520) and
``INTRADAY_BARS`` (default 1,000,000) one-minute bars, 390 a day. Each is run through
``run_backtest(SmaCross(fast=10, slow=20), ...)`` with the simulator's commission schedule, and
through a plain vectorised pandas SMA cross (rolling means, crossover, position shifted one bar,
equity from the opens and closes) on the same bars, for scale: the ratio says what the event
loop (orders, fills, callbacks, metrics) costs over the vectorised computation. Wall time
(``time.perf_counter``), the best of ``ROUNDS`` (default 3, 1 for the intraday run), in one process.

Prints JSON: seconds per run for each, the ratio, bars per second and the trade count.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd

from app.backtest import BacktestConfig, run_backtest
from app.strategy.library import SmaCross


def synthetic(n: int, freq: str, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    vol = 0.015 if freq == "D" else 0.0008
    c = 100 * np.exp(np.cumsum(rng.normal(0, vol, n)))
    o = np.concatenate(([100.0], c[:-1])) * np.exp(rng.normal(0, vol / 4, n))
    hi = np.maximum(o, c) * (1 + np.abs(rng.normal(0, vol / 2, n)))
    lo = np.minimum(o, c) * (1 - np.abs(rng.normal(0, vol / 2, n)))
    if freq == "D":
        t = pd.bdate_range("2014-01-01", periods=n, tz="UTC")
    else:   # 390 one-minute bars a day from 14:30 UTC
        days = pd.bdate_range("2015-01-01", periods=n // 390 + 1, tz="UTC")
        t = (days.repeat(390) + pd.Timedelta(hours=14, minutes=30)
             + pd.to_timedelta(np.tile(np.arange(390), len(days)), unit="min"))[:n]
    return pd.DataFrame({"time": t, "open": o, "high": hi, "low": lo, "close": c, "volume": 1000.0})


def vectorised(df: pd.DataFrame, fast=10, slow=20, qty=100, cash=100_000.0) -> float:
    """The textbook pandas SMA cross: final equity (no commission)."""
    f, s = df["close"].rolling(fast).mean(), df["close"].rolling(slow).mean()
    up = (f > s) & (f.shift(1) <= s.shift(1))
    down = (f < s) & (f.shift(1) >= s.shift(1))
    target = pd.Series(np.where(up, qty, np.where(down, -qty, np.nan)), index=df.index)
    held = target.ffill().fillna(0.0).shift(1).fillna(0.0)
    traded = held.diff().fillna(held.iloc[0])
    equity = cash - (traded * df["open"]).cumsum() + held * df["close"]
    return float(equity.iloc[-1])


def best(f, rounds):
    times, out = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def case(label: str, df: pd.DataFrame, rounds: int) -> dict:
    cfg = BacktestConfig(commission="ib")
    t_bt, res = best(lambda: run_backtest(SmaCross(fast=10, slow=20), df, cfg), rounds)
    t_vec, _ = best(lambda: vectorised(df), rounds)
    return {"case": label, "bars": len(df), "backtest_s": round(t_bt, 3), "vectorised_pandas_s": round(t_vec, 4),
            "ratio": round(t_bt / t_vec, 1), "bars_per_s": int(len(df) / t_bt), "trades": res.metrics["n_trades"],
            "final_equity": round(res.metrics["final_equity"], 2)}


def main() -> None:
    n_intraday = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    out = [case("10 years daily", synthetic(2520, "D"), rounds),
           case(f"{n_intraday:,} one-minute bars", synthetic(n_intraday, "min"), 1)]
    print(json.dumps({"benchmark": "backtest", "strategy": "sma_cross 10/20, commission ib", "results": out},
                     indent=2))


if __name__ == "__main__":
    main()
