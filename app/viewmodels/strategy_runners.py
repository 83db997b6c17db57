"""The running strategies: one row per ``app.strategy.runner.StrategyRunner``.

Columns: strategy, symbol and bar size, state (IB-like words: "Running", "Warming up (720
bars)", "Halted by the kill switch", "Error: …"), position (shares), realized and unrealized
P&L (instrument currency), working orders, the last order it sent, the last error. A runner's
``changed`` may fire on every quote: rows are refreshed at most every :data:`REFRESH_MS`.

Persistence: :meth:`RunnersModel.specs` / :meth:`RunnersModel.restore` (``runner.spec()``
dicts, kept in the profile under :data:`KEY_RUNNERS`). Restored runners are *not* started:
the trader starts each one (the issue's rule: never restart by themselves).
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer

log = logging.getLogger(__name__)

KEY_RUNNERS = "strategies/runners"
REFRESH_MS = 250
COLUMNS = ("Strategy", "Symbol", "State", "Position", "Realized", "Unrealized", "Orders",
           "Last order", "Error")


class RunnersModel(QAbstractTableModel):
    """The strategies attached to the connection (module docstring); ``runners`` in row order."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.runners: list = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)

    def add(self, runner) -> int:
        """Show ``runner`` (a ``StrategyRunner``); returns its row."""
        self.beginInsertRows(QModelIndex(), len(self.runners), len(self.runners))
        self.runners.append(runner)
        self.endInsertRows()
        runner.changed.connect(self._schedule)
        runner.stateChanged.connect(lambda _s: self._schedule())
        return len(self.runners) - 1

    def remove(self, row: int):
        """Take the runner of ``row`` out (stopped and shut down) and return it."""
        runner = self.runners[row]
        if runner.running:
            runner.stop("Removed by the trader")
        runner.shutdown()
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.runners[row]
        self.endRemoveRows()
        return runner

    def running(self) -> list:
        """The runners that are running now."""
        return [r for r in self.runners if r.running]

    def specs(self) -> list[dict]:
        """Every runner's ``spec()`` (what the profile keeps)."""
        return [r.spec() for r in self.runners]

    def save(self, settings) -> None:
        settings.setValue(KEY_RUNNERS, json.dumps(self.specs()))

    def saved_specs(self, settings) -> list[dict]:
        """The specs kept in ``settings`` ([] when none or damaged: logged)."""
        raw = settings.value(KEY_RUNNERS)
        if not raw:
            return []
        try:
            specs = json.loads(str(raw))
        except ValueError as e:
            log.warning("saved strategies ignored: %s", e)
            return []
        return [s for s in specs if isinstance(s, dict)] if isinstance(specs, list) else []

    # ---- Qt model -------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _refresh(self) -> None:
        if self.runners:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.runners) - 1, len(COLUMNS) - 1))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.runners)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def cells(self, row: int) -> list[str]:
        """Row ``row`` as text."""
        r = self.runners[row]
        spec = r.spec()
        symbol = r.instrument.display_symbol if getattr(r, "instrument", None) is not None else "?"
        return [r.strategy.title or spec.get("strategy", ""), f"{symbol} · {spec.get('bar_size', '')}",
                r.status_text, f"{r.position:g}", f"{r.realized_pnl:,.2f}", f"{r.unrealized_pnl:,.2f}",
                str(r.working_orders), r.last_signal, r.last_error]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(index.row())[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and 3 <= index.column() <= 6:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
