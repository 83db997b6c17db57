"""The backtest (issue 17): a strategy of ``app.strategy`` over a table of bars with the
simulated gateway's order semantics (:mod:`app.backtest.engine`), its metrics
(:mod:`app.backtest.metrics`), OHLCV CSV input (:mod:`app.backtest.data`) and a command line
(``python -m app.backtest``)."""

from app.backtest.data import check_bars, load_csv
from app.backtest.engine import commission, run_backtest
from app.backtest.metrics import REQUIRED, compute_metrics
from app.backtest.model import BacktestCancelled, BacktestConfig, BacktestResult, Trade

__all__ = ["BacktestCancelled", "BacktestConfig", "BacktestResult", "REQUIRED", "Trade", "check_bars",
           "commission", "compute_metrics", "load_csv", "run_backtest"]
