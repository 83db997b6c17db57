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
    - ``commission``: ``"ib"`` = the simulated gateway's schedule for ``sec_type``, per order
      (IB Pro fixed; ``app.sim.account.commission_usd``): stocks USD 0.005/share, min 1.00,
      max 1 % of trade value; FX 0.2 bp of the value, min 2.00; options 0.65/contract, min
      1.00; futures 0.85 + the exchange fee of root ``symbol`` + NFA 0.02 per contract (2.25
      for ES). Or USD per share / contract as a number (0 = none, no minimum).
    - ``sec_type``: IB secType of the instrument: "STK" (default), "CASH", "FUT" or "OPT".
    - ``multiplier``: IB ``Contract.multiplier`` (shares per contract: 50 for ES, 100 for a US
      equity option; 1 for stocks and FX). Cash, equity and P&L are price × quantity ×
      multiplier; quantities stay in contracts.
    - ``symbol``: the underlying / root symbol ("ES"), for the futures commission.
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
    sec_type: str = "STK"
    multiplier: float = 1.0
    symbol: str = ""

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
        if self.sec_type not in SEC_TYPES:
            raise ValueError(f"sec_type must be one of {', '.join(SEC_TYPES)}, got {self.sec_type!r}")
        m = self.multiplier
        if isinstance(m, bool) or not isinstance(m, (int, float)) or not math.isfinite(m) or m <= 0:
            raise ValueError(f"multiplier must be a positive number (50 for ES, 100 for an option), got {m!r}")

    @classmethod
    def for_instrument(cls, instrument, **kw) -> "BacktestConfig":
        """The config for bars of ``instrument`` (``app.domain.Instrument``): its secType,
        multiplier, symbol and min tick (as ``tick_size``), plus the other fields in ``kw``.
        ValueError for a secType a backtest cannot price (see ``SEC_TYPES``)."""
        kw.setdefault("tick_size", float(instrument.min_tick or 0.01))
        return cls(sec_type=instrument.sec_type, multiplier=float(instrument.multiplier or 1.0),
                   symbol=instrument.symbol, **kw)


#: the IB secTypes a backtest prices (commission schedule and multiplier)
SEC_TYPES = ("STK", "CASH", "FUT", "OPT")


@dataclass(frozen=True)
class Trade:
    """One round trip, matched first-in first-out: ``entry_time`` / ``exit_time`` (UTC),
    ``side`` "long" or "short", ``quantity`` (shares or contracts), ``entry_price`` /
    ``exit_price`` (instrument currency, fill prices), ``pnl`` (USD: price difference ×
    quantity × ``multiplier``, after the entry's and the exit's commissions on this quantity),
    ``multiplier`` (IB ``Contract.multiplier``, 1 for stocks)."""

    entry_time: datetime
    exit_time: datetime
    side: str
    quantity: float
    entry_price: float
    exit_price: float
    pnl: float
    multiplier: float = 1.0

    @property
    def return_pct(self) -> float:
        """pnl in percent of the entry value (entry price × quantity × multiplier)."""
        return 100.0 * self.pnl / (self.entry_price * self.quantity * self.multiplier)


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
