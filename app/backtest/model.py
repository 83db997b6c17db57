"""The backtest's public value types: :class:`BacktestConfig`, :class:`Trade`,
:class:`BacktestResult`, :class:`BacktestCancelled`."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

import pandas as pd

from app.strategy.base import Fill


class BacktestCancelled(RuntimeError):
    """``should_stop()`` returned True: the run was abandoned (no result)."""


@dataclass(frozen=True)
class BacktestConfig:
    """How a backtest trades and judges.

    - ``cash``: starting cash, USD (> 0).
    - ``commission``: ``"ib"`` = the simulated gateway's schedule (IB Pro fixed for stocks:
      USD 0.005/share, min USD 1.00, max 1 % of trade value, per order; ``app.sim.account``),
      or USD per share as a number (0 = none, no minimum).
    - ``slippage_pct``: percent of the price, against the trader, on fills at a market price
      (MKT, triggered STP, the final close-out); never on limit prices.
    - ``slippage_ticks``: further ticks of ``tick_size`` (instrument currency) against the trader
      on the same fills.
    - ``risk_free_rate``: annual, as a fraction (0.04 = 4 %), for Sharpe and Sortino.
    - ``periods_per_year``: bars per year for annualising; None = inferred from the bar spacing
      (:func:`app.backtest.metrics.infer_periods_per_year`: 252 for daily bars).
    - ``close_at_end``: close an open position at the last bar's close (default, as the metrics
      assume).
    """

    cash: float = 100_000.0
    commission: str | float = "ib"
    slippage_pct: float = 0.0
    slippage_ticks: float = 0.0
    tick_size: float = 0.01
    risk_free_rate: float = 0.0
    periods_per_year: float | None = None
    close_at_end: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.cash, (int, float)) and math.isfinite(self.cash) and self.cash > 0):
            raise ValueError(f"cash must be a positive number of USD, got {self.cash!r}")
        c = self.commission
        if isinstance(c, str):
            if c != "ib":
                raise ValueError(f'commission must be "ib" or USD per share (a number >= 0), got {c!r}')
        elif isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or c < 0:
            raise ValueError(f'commission must be "ib" or USD per share (a number >= 0), got {c!r}')
        for name in ("slippage_pct", "slippage_ticks", "tick_size"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a number >= 0, got {v!r}")
        if not (isinstance(self.risk_free_rate, (int, float)) and math.isfinite(self.risk_free_rate)
                and -1 < self.risk_free_rate < 1):
            raise ValueError(f"risk_free_rate is an annual fraction (0.04 = 4 %), got {self.risk_free_rate!r}")
        if self.periods_per_year is not None and not (self.periods_per_year > 0):
            raise ValueError(f"periods_per_year must be > 0, got {self.periods_per_year!r}")


@dataclass(frozen=True)
class Trade:
    """One round trip, matched first-in first-out: ``entry_time`` / ``exit_time`` (UTC),
    ``side`` "long" or "short", ``quantity`` (shares), ``entry_price`` / ``exit_price``
    (instrument currency, fill prices), ``pnl`` (USD, after the entry's and the exit's
    commissions on this quantity)."""

    entry_time: datetime
    exit_time: datetime
    side: str
    quantity: float
    entry_price: float
    exit_price: float
    pnl: float

    @property
    def return_pct(self) -> float:
        """pnl in percent of the entry value."""
        return 100.0 * self.pnl / (self.entry_price * self.quantity)


@dataclass
class BacktestResult:
    """What :func:`app.backtest.run_backtest` returns.

    - ``equity``: account value (cash + position at the close), USD, at each bar close
      (UTC DatetimeIndex); the last value is after the final close-out.
    - ``drawdown``: equity / running peak − 1 (fraction, <= 0), same index.
    - ``position``: shares held at each bar close (long > 0).
    - ``trades``, ``fills``: every round trip and every fill (the close-out included).
    - ``metrics``: :func:`app.backtest.metrics.compute_metrics` (names, formulas, units there).
    - ``log``: the strategy's and the backtest's log lines, each with the bar time.
    """

    equity: pd.Series
    drawdown: pd.Series
    trades: list[Trade]
    fills: list[Fill]
    metrics: dict[str, float]
    log: list[str]
    position: pd.Series | None = None
    info: dict = field(default_factory=dict)

    def to_dict(self, equity: bool = False) -> dict:
        """A JSON-ready dict: the metrics at the top level (NaN and infinity as null), plus
        ``trades`` (ISO-8601 UTC times), ``info`` (strategy, params, bars, start, end, config)
        and with ``equity=True`` the equity curve as ``[[iso time, USD], ...]``."""
        out: dict = {k: _num(v) for k, v in self.metrics.items()}
        out["trades"] = [{**asdict(t), "entry_time": t.entry_time.isoformat(),
                          "exit_time": t.exit_time.isoformat(), "pnl": round(t.pnl, 6)} for t in self.trades]
        out["info"] = self.info
        if equity:
            out["equity"] = [[ts.isoformat(), round(float(v), 6)] for ts, v in self.equity.items()]
        return out

    def to_json(self, equity: bool = False, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (strict JSON: no NaN)."""
        return json.dumps(self.to_dict(equity), indent=indent, allow_nan=False, default=str)


def _num(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
