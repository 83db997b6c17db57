"""Backtest metrics, from ``empyrical-reloaded`` (the maintained fork of Quantopian's
``empyrical``) where it has the function, else the usual definition written out.

Inputs: ``equity`` E_0..E_{n-1}, the account value in USD at each bar close, the starting cash
C, and the round trips. Per-bar simple returns r_t = E_t / E_{t-1} − 1 with E_{-1} = C (so a
position taken at the first bar counts). N = periods per year (252 for daily bars; see
:func:`infer_periods_per_year`), rf = the annual risk-free rate as a fraction, per bar
rf_b = (1 + rf)^(1/N) − 1.

=========================  ===================================================  ===========
key                        formula                                              unit
=========================  ===================================================  ===========
final_equity               E_{n-1} (after the final close-out)                  USD
return_pct                 100 · (E_{n-1} / C − 1)  (empyrical.cum_returns_final)  percent
annual_return_pct          100 · ((1 + total)^(N / n) − 1)  (empyrical.annual_return, CAGR)  percent per year
annual_volatility_pct      100 · std(r, ddof=1) · √N  (empyrical.annual_volatility)  percent per year
sharpe                     mean(r − rf_b) / std(r − rf_b, ddof=1) · √N  (empyrical.sharpe_ratio)  ratio
sortino                    mean(r − rf_b) · N / (√(mean(min(r − rf_b, 0)²)) · √N)  (empyrical.sortino_ratio)  ratio
max_drawdown_pct           100 · min_t (V_t / max_{s<=t} V_s − 1), V = cumulated returns (empyrical.max_drawdown)  percent, <= 0
max_drawdown_duration_bars longest run of bars below the previous peak (peak to recovery, or to the end)  bars
max_drawdown_duration_days the same run in calendar days (bar times)               days
win_rate_pct               100 · #(trades with pnl > 0) / #trades                  percent
profit_factor              Σ pnl of winners / |Σ pnl of losers| (inf: no loser)    ratio
avg_trade_pnl              mean trade pnl                                          USD
n_trades                   number of round trips (FIFO)                            count
exposure_pct               100 · #(bars with a position at the close) / n          percent
commissions                Σ fill commissions                                      USD
periods_per_year           N                                                       bars/year
=========================  ===================================================  ===========

Undefined values (no trades, flat equity, fewer than 2 bars) are NaN (``null`` in JSON).
"""

from __future__ import annotations

import math

import empyrical as ep
import numpy as np
import pandas as pd

#: keys every result has (the CLI and the UI rely on them)
REQUIRED = ("return_pct", "sharpe", "max_drawdown_pct", "win_rate_pct", "n_trades", "final_equity")


def infer_periods_per_year(index: pd.DatetimeIndex) -> float:
    """Bars per year from the bar spacing: median gap >= 20 h → 252 (daily), >= 5 days → 52
    (weekly), >= 25 days → 12 (monthly); intraday: 252 × the median number of bars per UTC
    date. 252 for fewer than 2 bars."""
    if len(index) < 2:
        return 252.0
    gap = float(np.median(np.diff(index.as_unit("ns").asi8))) / 1e9
    if gap >= 25 * 86400:
        return 12.0
    if gap >= 5 * 86400:
        return 52.0
    if gap >= 20 * 3600:
        return 252.0
    per_day = pd.Series(1, index=index).groupby(index.normalize()).size()
    return 252.0 * float(per_day.median())


def equity_returns(equity: pd.Series, cash: float) -> pd.Series:
    """r_t = E_t / E_{t-1} − 1 with E_{-1} = ``cash`` (module docstring)."""
    prev = equity.shift(1)
    prev.iloc[0] = cash
    return (equity / prev - 1.0).rename("returns")


def drawdown_duration(equity: pd.Series, cash: float) -> tuple[int, float]:
    """(bars, calendar days) of the longest stretch below the running peak (the peak counts
    the starting cash)."""
    v = equity.to_numpy(dtype=np.float64)
    if len(v) == 0:
        return 0, 0.0
    peak = np.maximum.accumulate(np.maximum(v, cash))
    under = v < peak - 1e-9
    best_bars, best_days, start = 0, 0.0, None
    t = equity.index
    for j, u in enumerate(np.append(under, False)):
        if u and start is None:
            start = j
        elif not u and start is not None:
            end = min(j, len(v) - 1)
            bars = j - start
            days = (t[end] - t[start - 1 if start > 0 else 0]).total_seconds() / 86400
            if bars > best_bars:
                best_bars, best_days = bars, days
            start = None
    return best_bars, float(best_days)


def compute_metrics(equity: pd.Series, trades, config, *, position: pd.Series | None = None,
                    fills=None) -> dict[str, float]:
    """The metrics of a run (module docstring: keys, formulas, units)."""
    cash = float(config.cash)
    ppy = float(config.periods_per_year or infer_periods_per_year(equity.index))
    r = equity_returns(equity, cash)
    rf_b = (1.0 + config.risk_free_rate) ** (1.0 / ppy) - 1.0
    final = float(equity.iloc[-1])
    enough = len(r) >= 2
    f = lambda x: float(x) if x is not None and np.isfinite(x) else math.nan  # noqa: E731
    pnl = np.array([t.pnl for t in trades], dtype=np.float64)
    wins, losses = pnl[pnl > 0].sum(), pnl[pnl < 0].sum()
    n_tr = len(pnl)
    dd_bars, dd_days = drawdown_duration(equity, cash)
    return {
        "final_equity": final,
        "return_pct": 100.0 * f(ep.cum_returns_final(r)),
        "annual_return_pct": 100.0 * f(ep.annual_return(r, annualization=ppy)),
        "annual_volatility_pct": 100.0 * f(ep.annual_volatility(r, annualization=ppy)) if enough else math.nan,
        "sharpe": f(ep.sharpe_ratio(r, risk_free=rf_b, annualization=ppy)) if enough else math.nan,
        "sortino": f(ep.sortino_ratio(r, required_return=rf_b, annualization=ppy)) if enough else math.nan,
        "max_drawdown_pct": 100.0 * f(ep.max_drawdown(r)),
        "max_drawdown_duration_bars": float(dd_bars),
        "max_drawdown_duration_days": dd_days,
        "win_rate_pct": 100.0 * float((pnl > 0).sum()) / n_tr if n_tr else math.nan,
        "profit_factor": (float(wins / -losses) if losses < 0 else (math.inf if wins > 0 else math.nan)),
        "avg_trade_pnl": float(pnl.mean()) if n_tr else math.nan,
        "n_trades": n_tr,
        "exposure_pct": (100.0 * float((position.to_numpy() != 0).mean()) if position is not None and len(position)
                         else math.nan),
        "commissions": float(sum(x.commission for x in fills)) if fills else 0.0,
        "periods_per_year": ppy,
    }
