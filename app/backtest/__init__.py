"""The backtest (issue 17): a strategy of ``app.strategy`` over a table of bars with the
simulated gateway's order semantics (:mod:`app.backtest.engine`), its metrics
(:mod:`app.backtest.metrics`), OHLCV CSV input (:mod:`app.backtest.data`) and a command line
(``python -m app.backtest``).

The names below are imported on first use (PEP 562): the metrics need empyrical and scipy,
which the terminal should not load at start-up (the live runner only needs
:mod:`app.backtest.model`)."""

from __future__ import annotations

import importlib

_EXPORTS = {
    "check_bars": "app.backtest.data", "load_csv": "app.backtest.data",
    "commission": "app.backtest.engine", "run_backtest": "app.backtest.engine",
    "REQUIRED": "app.backtest.metrics", "compute_metrics": "app.backtest.metrics",
    "BacktestCancelled": "app.backtest.model", "BacktestConfig": "app.backtest.model",
    "BacktestResult": "app.backtest.model", "Trade": "app.backtest.model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'app.backtest' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
