"""View-model of the Strategies panel: which strategies there are, their parameters, a backtest
run off the Qt thread (progress, cancel), and its results as tables.

- :meth:`StrategiesModel.strategies`: the shipped ones (``app.strategy.library.STRATEGIES``)
  and those loaded from the trader's files (:meth:`StrategiesModel.load_file`).
- :meth:`StrategiesModel.backtest` runs ``app.backtest.run_backtest`` in a worker thread on a
  bar table (the chart's loaded history); ``progressChanged(fraction)`` reports it, the
  event loop keeps running, :meth:`StrategiesModel.cancel` stops it.
- The result: :attr:`StrategiesModel.result` (``app.backtest.BacktestResult``),
  :meth:`StrategiesModel.metric_rows` (label, text) and :attr:`StrategiesModel.trades`
  (a table model of the round trips), exportable as CSV.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import threading
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal

from app.strategy import Param, Strategy

log = logging.getLogger(__name__)

#: the metrics shown, in order: key of ``BacktestResult.metrics`` -> (label, format)
METRICS: tuple[tuple[str, str, str], ...] = (
    ("return_pct", "Total return", "{:+.2f} %"),
    ("annual_return_pct", "Annualised return", "{:+.2f} %"),
    ("annual_volatility_pct", "Annualised volatility", "{:.2f} %"),
    ("sharpe", "Sharpe ratio", "{:.2f}"),
    ("sortino", "Sortino ratio", "{:.2f}"),
    ("max_drawdown_pct", "Maximum drawdown", "{:.2f} %"),
    ("max_drawdown_duration_days", "Longest drawdown", "{:.0f} days"),
    ("win_rate_pct", "Win rate", "{:.1f} %"),
    ("profit_factor", "Profit factor", "{:.2f}"),
    ("n_trades", "Trades", "{:.0f}"),
    ("exposure_pct", "Exposure (time in the market)", "{:.1f} %"),
    ("commissions", "Commissions", "{:,.2f} USD"),
    ("final_equity", "Final equity", "{:,.2f} USD"),
)
TRADE_COLUMNS = ("Entry (UTC)", "Exit (UTC)", "Side", "Qty", "Entry", "Exit", "P&L")


def metric_rows(metrics: dict) -> list[tuple[str, str]]:
    """``[(label, text), ...]`` of :data:`METRICS` in ``metrics`` (a backtest's or a forward
    test's); a metric without a value (no trades: no win rate) shows "—"."""
    if not metrics:
        return []
    rows = []
    for key, label, fmt in METRICS:
        v = metrics.get(key)
        ok = isinstance(v, (int, float)) and v == v and abs(v) != float("inf")
        rows.append((label, fmt.format(v) if ok else "—"))
    return rows


class BacktestRunning(RuntimeError):
    """A backtest is already running (one at a time per panel)."""


class TradesModel(QAbstractTableModel):
    """The round trips of a backtest (``app.backtest.Trade``), one row each."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: list = []

    def set_trades(self, trades: list) -> None:
        self.beginResetModel()
        self.rows = list(trades)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(TRADE_COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return TRADE_COLUMNS[section]
        return None

    def cells(self, row: int) -> list[str]:
        """Row ``row`` as text, as shown and exported."""
        t = self.rows[row]
        return [_when(t.entry_time), _when(t.exit_time), str(t.side), f"{t.quantity:g}",
                f"{t.entry_price:.4f}".rstrip("0").rstrip("."), f"{t.exit_price:.4f}".rstrip("0").rstrip("."),
                f"{t.pnl:,.2f}"]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(index.row())[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _when(t) -> str:
    return pd.Timestamp(t).tz_convert("UTC").strftime("%Y-%m-%d %H:%M") if t is not None else ""


class StrategiesModel(QObject):
    """Strategies, parameters and backtests of the panel (module docstring).

    Signals: ``strategiesChanged()`` (a file was loaded), ``progressChanged(float)`` (0..1),
    ``busyChanged(bool)``, ``resultChanged()`` (a new result, or cleared), ``message(ok, text)``.
    """

    strategiesChanged = Signal()
    progressChanged = Signal(float)
    busyChanged = Signal(bool)
    resultChanged = Signal()
    message = Signal(bool, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        from app.strategy.library import STRATEGIES
        self._strategies: dict[str, type[Strategy]] = dict(STRATEGIES)
        self.result = None
        self.trades = TradesModel(self)
        self._stop = threading.Event()
        self._task: asyncio.Future | None = None

    # ---- strategies and parameters ------------------------------------------------
    def strategies(self) -> dict[str, type[Strategy]]:
        """Every strategy by name: shipped first, then loaded ones."""
        return dict(self._strategies)

    def params(self, name: str) -> tuple[Param, ...]:
        """The parameters of strategy ``name``. Raises ``KeyError``."""
        return self._strategies[name].params

    def load_file(self, path: str | Path) -> list[str]:
        """Load the strategies of a ``.py`` file or of every ``.py`` file of a folder; returns
        their names. Raises ``ValueError`` with the file and the reason (no Strategy class, a
        syntax error, a name taken by another strategy)."""
        from app.strategy.library import load_strategy_file
        classes = load_strategy_file(path)
        names = []
        for cls in classes:
            if cls.name in self._strategies and self._strategies[cls.name] is not cls:
                shipped = self._strategies[cls.name].__module__.startswith("app.")
                if shipped:
                    raise ValueError(f"{path}: strategy name {cls.name!r} is taken by a shipped strategy")
            self._strategies[cls.name] = cls
            names.append(cls.name)
        self.strategiesChanged.emit()
        return names

    def make(self, name: str, values: dict[str, Any]) -> Strategy:
        """A strategy ``name`` with ``values`` (form text or values). Raises ``ValueError``
        (unknown strategy, bad parameter: which and why)."""
        cls = self._strategies.get(name)
        if cls is None:
            raise ValueError(f"Unknown strategy {name!r}: choose one of {', '.join(self._strategies)}")
        return cls(**values)

    # ---- backtest -----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A backtest is running."""
        return self._task is not None and not self._task.done()

    def cancel(self) -> None:
        """Stop the running backtest (its result is dropped)."""
        self._stop.set()

    async def backtest(self, name: str, values: dict[str, Any], bars: pd.DataFrame, config=None):
        """Run strategy ``name`` with ``values`` over ``bars`` (columns time UTC, open, high,
        low, close, volume) with ``config`` (``app.backtest.BacktestConfig``; default) in a
        worker thread. Returns the ``BacktestResult`` (also :attr:`result`), or None when
        cancelled or refused (``message`` says why). Raises :class:`BacktestRunning` when
        one runs already."""
        from app.backtest import BacktestCancelled, BacktestConfig, run_backtest
        if self.busy:
            raise BacktestRunning("A backtest is running: cancel it or wait for it")
        try:
            strategy = self.make(name, values)
        except ValueError as e:
            self.message.emit(False, str(e))
            return None
        if bars is None or len(bars) < 2:
            self.message.emit(False, "No bars to test on: load the chart's history first")
            return None
        self._stop.clear()
        cfg = config if config is not None else BacktestConfig()
        loop = asyncio.get_running_loop()
        self._task = loop.run_in_executor(
            None, lambda: run_backtest(strategy, bars, cfg, progress=self.progressChanged.emit,
                                       should_stop=self._stop.is_set))
        self.busyChanged.emit(True)
        try:
            result = await self._task
        except BacktestCancelled:
            self.message.emit(False, "Backtest cancelled")
            return None
        except Exception as e:   # the strategy's own error: shown, never lost
            log.exception("backtest %s failed", name)
            self.message.emit(False, f"Backtest failed: {type(e).__name__}: {e}")
            return None
        finally:
            self.busyChanged.emit(False)
        self.result = result
        self.trades.set_trades(result.trades)
        self.progressChanged.emit(1.0)
        self.resultChanged.emit()
        m = result.metrics
        self.message.emit(True, f"{strategy.title or name}: {m.get('return_pct', 0):+.2f} %, "
                                f"{int(m.get('n_trades', 0))} trades over {len(bars):,} bars")
        return result

    def metric_rows(self) -> list[tuple[str, str]]:
        """:func:`metric_rows` of the last result (empty without one)."""
        return metric_rows(self.result.metrics) if self.result is not None else []

    def export_trades(self, path: str | Path) -> int:
        """Write the trades as CSV (the table's columns and text); returns the rows written.
        Raises ``OSError`` when the file cannot be written."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(TRADE_COLUMNS)
            for r in range(self.trades.rowCount()):
                w.writerow(self.trades.cells(r))
        return self.trades.rowCount()
