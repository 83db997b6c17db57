"""The Strategies dock: pick a strategy, set its parameters, backtest it on the chart's
history, see the metrics, the equity curve with its drawdown, the trades (also on the chart).

A thin view over ``app.viewmodels.strategies.StrategiesModel``. The parameter form is built
from the strategy's ``Param`` list (whole numbers: spin box; numbers: double spin box; true /
false: check box; text: line edit). The backtest runs on the bars the chart has loaded
(``bars_source``: a callable returning ``(instrument, bar size, bar table)``), off the Qt
thread, with a progress bar and Cancel; ``backtestDone(instrument_key, marks)`` carries its
fills for the chart (``app.ui.chart.trading.BacktestMark``). Export writes the trades as CSV.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QHBoxLayout, QHeaderView,
    QLabel, QLineEdit, QProgressBar, QPushButton, QScrollArea, QSpinBox, QTableView, QTableWidget,
    QTableWidgetItem, QTabWidget, QToolButton, QMenu, QVBoxLayout, QWidget,
)

from app.strategy import Param
from app.ui import theme
from app.strategy.runner import StrategyRunner
from app.strategy.runner_spec import runner_from_spec
from app.ui.chart.trading import BacktestMark
from app.ui.confirm import ask_yes_no
from app.viewmodels.strategies import StrategiesModel, metric_rows
from app.viewmodels.strategy_runners import RunnersModel

log = logging.getLogger(__name__)

#: the trader's strategy files (loaded again at start, before the saved runners come back)
KEY_FILES = "strategies/files"


def param_editor(spec: Param) -> QWidget:
    """The form widget of one parameter, set to its default (bounds from the spec)."""
    if spec.type is bool:
        w = QCheckBox()
        w.setChecked(bool(spec.default))
    elif spec.type is int:
        w = QSpinBox()
        w.setRange(int(spec.minimum) if spec.minimum is not None else -1_000_000_000,
                   int(spec.maximum) if spec.maximum is not None else 1_000_000_000)
        w.setValue(int(spec.default))
    elif spec.type is float:
        w = QDoubleSpinBox()
        w.setDecimals(4)
        w.setRange(float(spec.minimum) if spec.minimum is not None else -1e12,
                   float(spec.maximum) if spec.maximum is not None else 1e12)
        w.setValue(float(spec.default))
    else:
        w = QLineEdit(str(spec.default))
    w.setObjectName(f"param.{spec.name}")
    if spec.help:
        w.setToolTip(spec.help)
    return w


def editor_value(w: QWidget):
    """The value a :func:`param_editor` widget holds."""
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, (QSpinBox, QDoubleSpinBox)):
        return w.value()
    return w.text()


class StrategiesPanel(QWidget):
    """The Strategies dock (module docstring). Children for tests: ``strategy_box``,
    ``load_button``, ``form`` (QFormLayout), ``editors`` (name -> widget), ``source_label``,
    ``cash``, ``commission_box``, ``slippage``, ``run_button``, ``cancel_button``,
    ``export_button``, ``progress``, ``status``, ``results`` (tabs), ``metrics_table``,
    ``equity_plot`` / ``drawdown_plot``, ``trades_view``; ``choose_file`` / ``choose_folder`` /
    ``choose_export`` (``callable() -> Awaitable[str | None]``) may be replaced by tests."""

    backtestDone = Signal(object, object)   # instrument key, list[BacktestMark]

    def __init__(self, model: StrategiesModel, bars_source: Callable[[], tuple] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("strategiesPanel")
        self.model = model
        self.bars_source = bars_source or (lambda: (None, "", None))
        self.editors: dict[str, QWidget] = {}
        self.choose_file = self._choose_file
        self.choose_folder = self._choose_folder
        self.choose_export = self._choose_export
        self.task: asyncio.Future | None = None

        self.strategy_box = QComboBox()
        self.strategy_box.setObjectName("strategyBox")
        self.load_button = QToolButton()
        self.load_button.setText("Load…")
        self.load_button.setToolTip("Load strategies from a .py file or from every .py file of a folder")
        self.load_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        load_menu = QMenu(self.load_button)
        self.load_file_action = load_menu.addAction("Strategy file…")
        self.load_folder_action = load_menu.addAction("Folder of strategies…")
        self.load_button.setMenu(load_menu)
        top = QHBoxLayout()
        top.addWidget(QLabel("Strategy"))
        top.addWidget(self.strategy_box, 1)
        top.addWidget(self.load_button)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.source_label = QLabel("")
        self.source_label.setObjectName("backtestSource")
        self.source_label.setWordWrap(True)
        self.cash = QDoubleSpinBox()
        self.cash.setRange(100, 1e12)
        self.cash.setDecimals(0)
        self.cash.setGroupSeparatorShown(True)
        self.cash.setValue(100_000)
        self.cash.setSuffix(" USD")
        self.commission_box = QComboBox()
        self.commission_box.addItem("IB fixed (as the simulator)", "ib")
        self.commission_box.addItem("None", 0.0)
        self.slippage = QDoubleSpinBox()
        self.slippage.setRange(0, 5)
        self.slippage.setDecimals(3)
        self.slippage.setSuffix(" %")
        settings = QFormLayout()
        settings.addRow("Bars", self.source_label)
        settings.addRow("Cash", self.cash)
        settings.addRow("Commission", self.commission_box)
        settings.addRow("Slippage", self.slippage)
        self.run_button = QPushButton("Backtest")
        self.run_button.setObjectName("runBacktest")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.export_button = QPushButton("Export trades…")
        self.export_button.setEnabled(False)
        self.live_button = QPushButton("Run live…")
        self.live_button.setObjectName("runLive")
        self.live_button.setToolTip("Run the strategy on the chart's symbol and bar size on this "
                                    "connection: its orders go through the same checks as the ticket")
        self.live_button.setEnabled(False)        # until attach_live
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.live_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        self.metrics_table = QTableWidget(0, 2)
        self.metrics_table.setObjectName("backtestMetrics")
        self.metrics_table.setHorizontalHeaderLabels(["Metric", "Value"])
        self.metrics_table.verticalHeader().setVisible(False)
        self.metrics_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.metrics_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.equity_widget = pg.GraphicsLayoutWidget()
        self.equity_plot = self.equity_widget.addPlot(row=0, col=0, axisItems={"bottom": pg.DateAxisItem()})
        self.drawdown_plot = self.equity_widget.addPlot(row=1, col=0, axisItems={"bottom": pg.DateAxisItem()})
        self.equity_widget.ci.layout.setRowStretchFactor(0, 3)
        self.drawdown_plot.setXLink(self.equity_plot)
        for p, label in ((self.equity_plot, "Equity (USD)"), (self.drawdown_plot, "Drawdown (%)")):
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setLabel("left", label)
            p.setMenuEnabled(False)
            p.hideButtons()
        self._apply_palette()
        self.equity_curve = self.equity_plot.plot([], [], pen=pg.mkPen("#3b7dd8", width=1.5))
        self.drawdown_curve = self.drawdown_plot.plot([], [], pen=pg.mkPen("#d64541", width=1),
                                                      fillLevel=0, brush=pg.mkBrush(214, 69, 65, 60))
        self.trades_view = QTableView()
        self.trades_view.setObjectName("backtestTrades")
        self.trades_view.setModel(model.trades)
        self.trades_view.verticalHeader().setVisible(False)
        self.trades_view.horizontalHeader().setStretchLastSection(True)
        self.results = QTabWidget()
        self.results.addTab(self.metrics_table, "Metrics")
        self.results.addTab(self.equity_widget, "Equity")
        self.results.addTab(self.trades_view, "Trades")
        # ---- running strategies ----
        self.runners = RunnersModel(self)
        self.runners_view = QTableView()
        self.runners_view.setObjectName("strategyRunners")
        self.runners_view.setModel(self.runners)
        self.runners_view.verticalHeader().setVisible(False)
        self.runners_view.horizontalHeader().setStretchLastSection(True)
        self.runners_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.runners_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.remove_button = QPushButton("Remove")
        live_buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.remove_button):
            live_buttons.addWidget(b)
        live_buttons.addStretch(1)
        #: the forward test of the selected runner: the backtest's metrics of its live bars
        self.forward_table = QTableWidget(0, 2)
        self.forward_table.setObjectName("forwardMetrics")
        self.forward_table.setHorizontalHeaderLabels(["Forward test", "Value"])
        self.forward_table.verticalHeader().setVisible(False)
        self.forward_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.forward_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.forward_table.setMaximumWidth(320)
        live = QWidget()
        live_lay = QHBoxLayout(live)
        live_lay.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        left.addWidget(self.runners_view, 1)
        left.addLayout(live_buttons)
        live_lay.addLayout(left, 1)
        live_lay.addWidget(self.forward_table)
        self.results.addTab(live, "Live")
        self.session = None
        self.commands = None
        self.settings = None
        self.account_kind: Callable[[], object] = lambda: None
        #: ``callable(title, text, danger) -> Awaitable[bool]``: the live confirmation (tests replace it)
        self.ask = self._ask

        # a bottom dock is wide and short: the controls on the left (they scroll when the dock
        # is shorter than them), the results beside them
        controls = QWidget()
        controls.setObjectName("strategyControls")
        col = QVBoxLayout(controls)
        col.setContentsMargins(0, 0, 4, 0)
        col.addLayout(top)
        col.addLayout(buttons)          # the actions stay in sight, the form scrolls under them
        col.addWidget(self.progress)
        col.addWidget(self.status)
        col.addLayout(self.form)
        col.addLayout(settings)
        col.addStretch(1)
        self.controls_area = QScrollArea()
        self.controls_area.setWidget(controls)
        self.controls_area.setWidgetResizable(True)
        self.controls_area.setFrameShape(QFrame.Shape.NoFrame)
        self.controls_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.controls_area.setMinimumWidth(controls.sizeHint().width() + 16)
        self.controls_area.setMinimumHeight(80)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.controls_area)
        lay.addWidget(self.results, 1)
        self.results.setMinimumHeight(80)

        self.strategy_box.currentIndexChanged.connect(lambda _i: self._build_form())
        self.load_file_action.triggered.connect(lambda: self.load_clicked())
        self.load_folder_action.triggered.connect(lambda: self.load_clicked(folder=True))
        self.run_button.clicked.connect(self.run_clicked)
        self.cancel_button.clicked.connect(model.cancel)
        self.export_button.clicked.connect(self.export_clicked)
        self.live_button.clicked.connect(self.live_clicked)
        self.runners.dataChanged.connect(lambda *_: self.show_forward())
        self.runners_view.selectionModel().selectionChanged.connect(lambda *_: self.show_forward())
        self.start_button.clicked.connect(self.start_selected)
        self.stop_button.clicked.connect(self.stop_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        model.strategiesChanged.connect(self._fill_strategies)
        model.progressChanged.connect(lambda f: self.progress.setValue(int(max(0.0, min(1.0, f)) * 1000)))
        model.busyChanged.connect(self._busy)
        model.resultChanged.connect(self._show_result)
        model.message.connect(self._say)
        self._fill_strategies()
        self.refresh_source()

    # ---- strategies and the form ---------------------------------------------------
    def _fill_strategies(self) -> None:
        current = self.strategy_box.currentData()
        self.strategy_box.blockSignals(True)
        self.strategy_box.clear()
        for name, cls in self.model.strategies().items():
            self.strategy_box.addItem(cls.title or name, name)
        i = self.strategy_box.findData(current)
        self.strategy_box.setCurrentIndex(max(i, 0))
        self.strategy_box.blockSignals(False)
        self._build_form()

    def _build_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}
        name = self.strategy_box.currentData()
        if name is None:
            return
        for spec in self.model.params(name):
            w = param_editor(spec)
            self.editors[spec.name] = w
            self.form.addRow(spec.label or spec.name, w)

    def values(self) -> dict:
        """The form's parameter values by name."""
        return {n: editor_value(w) for n, w in self.editors.items()}

    def refresh_source(self) -> None:
        """Show which bars a backtest would use (the chart's loaded history)."""
        inst, bar_size, bars = self.bars_source()
        if inst is None or bars is None or not len(bars):
            self.source_label.setText("The chart has no bars yet")
            return
        first, last = bars["time"].iloc[0], bars["time"].iloc[-1]
        self.source_label.setText(f"{inst.display_symbol} · {bar_size} · {len(bars):,} bars "
                                  f"({first:%Y-%m-%d} to {last:%Y-%m-%d}), the chart's history")

    # ---- actions ----------------------------------------------------------------------
    def run_clicked(self) -> asyncio.Future:
        """Backtest the chosen strategy on the chart's bars (returns the task)."""
        self.task = asyncio.ensure_future(self.run_backtest())
        return self.task

    async def run_backtest(self):
        from app.backtest import BacktestConfig
        self.refresh_source()
        inst, _bar_size, bars = self.bars_source()
        kw = dict(cash=self.cash.value(), commission=self.commission_box.currentData(),
                  slippage_pct=self.slippage.value())
        # the chart's instrument prices the run: ES moves 50 USD a point, an option 100
        config = BacktestConfig.for_instrument(inst, **kw) if inst is not None else BacktestConfig(**kw)
        result = await self.model.backtest(self.strategy_box.currentData(), self.values(), bars, config)
        if result is not None and inst is not None:
            marks = [BacktestMark(f.time, f.price, "BOT" if f.action.value == "BUY" else "SLD", f"bt{i}")
                     for i, f in enumerate(result.fills)]
            self.backtestDone.emit(inst.key, marks)
        return result

    def load_clicked(self, folder: bool = False) -> asyncio.Future:
        """Ask for a strategy file (or a folder: every .py in it) and load its strategies."""
        return asyncio.ensure_future(self._load(folder))

    async def _load(self, folder: bool = False) -> None:
        path = await (self.choose_folder() if folder else self.choose_file())
        if not path:
            return
        try:
            names = self.model.load_file(path)
        except (ValueError, OSError) as e:
            self._say(False, str(e))
            return
        i = self.strategy_box.findData(names[0]) if names else -1
        if i >= 0:
            self.strategy_box.setCurrentIndex(i)
        if self.settings is not None:      # loaded again at the next start
            files = _string_list(self.settings.value(KEY_FILES))
            if str(path) not in files:
                self.settings.setValue(KEY_FILES, files + [str(path)])
        self._say(True, f"Loaded {', '.join(names)} from {path}")

    def export_clicked(self) -> asyncio.Future:
        return asyncio.ensure_future(self._export())

    async def _export(self) -> None:
        path = await self.choose_export()
        if not path:
            return
        try:
            n = self.model.export_trades(path)
        except OSError as e:
            self._say(False, f"Trades not exported: {e}")
            return
        self._say(True, f"{n} trades written to {path}")

    async def _choose_file(self) -> str | None:
        return await _file_dialog(self, "Load strategy", "Python files (*.py)", save=False)

    async def _choose_folder(self) -> str | None:
        return await _file_dialog(self, "Load a folder of strategies", "", save=False, folder=True)

    async def _choose_export(self) -> str | None:
        return await _file_dialog(self, "Export trades", "CSV files (*.csv)", save=True)

    # ---- running live -------------------------------------------------------------------
    def attach_live(self, session, commands, settings=None, account_kind: Callable[[], object] | None = None) -> None:
        """Enable Run live on ``session`` / ``commands`` (``app.commands.OrderCommands``);
        ``account_kind()`` gives the connected account's ``AccountKind`` (live asks more).
        The strategies kept in ``settings`` come back as stopped rows: the trader starts them."""
        self.session, self.commands, self.settings = session, commands, settings
        self.account_kind = account_kind or (lambda: None)
        self.live_button.setEnabled(True)
        if settings is None:
            return
        for path in _string_list(settings.value(KEY_FILES)):   # the trader's own strategies first
            try:
                self.model.load_file(path)
            except (ValueError, OSError) as e:
                self._say(False, f"Strategy file not loaded: {e}")
        for spec in self.runners.saved_specs(settings):
            try:
                self.runners.add(runner_from_spec(spec, self.model.strategies(), session, commands, self))
            except ValueError as e:
                self._say(False, f"Saved strategy not restored: {e}")
        self._tab_title()

    def live_clicked(self) -> asyncio.Future:
        """Run the chosen strategy live on the chart's symbol and bar size (after the question)."""
        self.task = asyncio.ensure_future(self.run_live())
        return self.task

    async def run_live(self):
        """Ask, then start a runner; returns it (None when refused or not confirmed)."""
        inst, bar_size, _bars = self.bars_source()
        if inst is None:
            self._say(False, "Load a symbol in the chart first")
            return None
        name = self.strategy_box.currentData()
        try:
            strategy = self.model.make(name, self.values())
            runner = StrategyRunner(strategy, inst, bar_size, self.session, self.commands, self)
        except (ValueError, TypeError) as e:
            self._say(False, str(e))
            return None
        kind = self.account_kind()
        kind_text = getattr(kind, "value", "") or "connected"
        params = ", ".join(f"{k} {v}" for k, v in strategy.p.items())
        text = (f"Run {strategy.title or name} ({params}) on {inst.display_symbol} {bar_size} bars "
                f"in the {kind_text} account? Its orders go through the same checks, journal and "
                "kill switch as the ticket.")
        live = kind_text == "LIVE"
        if not await self.ask("Run strategy" + (" with real money" if live else ""), text, live):
            runner.deleteLater()
            return None
        self.runners.add(runner)
        self._save_runners()
        await self._start(runner)
        return runner

    async def _start(self, runner) -> None:
        self.results.setCurrentIndex(self.results.count() - 1)
        self._tab_title()
        try:
            await runner.start()
        except Exception as e:   # refused (halted, not connected): shown in its row and here
            self._say(False, f"{runner.source}: {e}")
        self._tab_title()

    def _selected_row(self) -> int | None:
        rows = self.runners_view.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        return 0 if self.runners.rowCount() == 1 else None

    def start_selected(self) -> asyncio.Future | None:
        """Start the selected stopped strategy again (a new runner with the same spec)."""
        row = self._selected_row()
        if row is None:
            return None
        runner = self.runners.runners[row]
        if runner.running:
            return None
        if runner.state.value != "idle":
            spec = runner.spec()
            self.runners.remove(row)
            try:
                runner = runner_from_spec(spec, self.model.strategies(), self.session, self.commands, self)
            except ValueError as e:
                self._say(False, str(e))
                return None
            self.runners.add(runner)
        self.task = asyncio.ensure_future(self._start(runner))
        return self.task

    def stop_selected(self) -> None:
        row = self._selected_row()
        if row is not None:
            self.runners.runners[row].stop()
            self._tab_title()

    def remove_selected(self) -> None:
        row = self._selected_row()
        if row is not None:
            self.runners.remove(row)
            self._save_runners()
            self._tab_title()

    def show_forward(self) -> None:
        """The selected runner's forward-test metrics (cash as in the backtest settings)."""
        row = self._selected_row()
        rows = []
        if row is not None and row < self.runners.rowCount():
            rows = metric_rows(self.runners.runners[row].forward_metrics(self.cash.value()))
        _fill_table(self.forward_table, rows)

    def _save_runners(self) -> None:
        if self.settings is not None:
            self.runners.save(self.settings)

    def _tab_title(self) -> None:
        n = len(self.runners.running())
        self.results.setTabText(self.results.count() - 1, f"Live ({n} running)" if n else "Live")

    async def _ask(self, title: str, text: str, danger: bool) -> bool:
        return await ask_yes_no(self, title, text, yes="Run", no="Cancel", danger=danger)

    def shutdown(self) -> None:
        """Save and stop every running strategy (the window is closing)."""
        self._save_runners()
        for r in list(self.runners.runners):
            r.shutdown()

    # ---- model -> view --------------------------------------------------------------------
    def _busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setValue(0)
            self._say(True, "Backtesting…")

    def _show_result(self) -> None:
        _fill_table(self.metrics_table, self.model.metric_rows())
        res = self.model.result
        self.export_button.setEnabled(res is not None and bool(res.trades))
        if res is None or res.equity is None or not len(res.equity):
            self.equity_curve.setData([], [])
            self.drawdown_curve.setData([], [])
            return
        x = pd.DatetimeIndex(res.equity.index).as_unit("s").asi8.astype(float)   # epoch s UTC
        self.equity_curve.setData(x, res.equity.to_numpy(dtype=float))
        self.drawdown_curve.setData(x, res.drawdown.to_numpy(dtype=float) * 100.0)
        self.equity_plot.enableAutoRange()

    def _apply_palette(self) -> None:
        """The equity plots in the window's colours (light or dark theme), as the chart."""
        pal = self.palette()
        self.equity_widget.setBackground(pal.color(QPalette.ColorRole.Base))
        text = pal.color(QPalette.ColorRole.Text)
        for p in (self.equity_plot, self.drawdown_plot):
            for side in ("left", "bottom"):
                axis = p.getAxis(side)
                axis.setPen(pg.mkPen(text))
                axis.setTextPen(pg.mkPen(text))

    def changeEvent(self, ev) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(ev)
        if ev.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    def _say(self, ok: bool, text: str) -> None:
        self.status.setText(text)
        theme.style(self.status, "" if ok else "color: $error_text;")


def _fill_table(table: QTableWidget, rows: list[tuple[str, str]]) -> None:
    """Put ``(label, value)`` rows in a two-column table (values right-aligned)."""
    table.setRowCount(len(rows))
    for r, (label, text) in enumerate(rows):
        table.setItem(r, 0, QTableWidgetItem(label))
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(r, 1, item)


def _string_list(value) -> list[str]:
    """A QSettings list value as a list of strings (one string, or nothing, as INI files give)."""
    if not value:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


async def _file_dialog(parent: QWidget, title: str, filters: str, *, save: bool,
                       folder: bool = False) -> str | None:
    """A non-blocking file (or ``folder``) dialog (``open()``); the chosen path or None."""
    dlg = QFileDialog(parent, title)
    if filters:
        dlg.setNameFilter(filters)
    dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen)
    dlg.setFileMode(QFileDialog.FileMode.Directory if folder else
                    QFileDialog.FileMode.AnyFile if save else QFileDialog.FileMode.ExistingFile)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    done: asyncio.Future = asyncio.get_event_loop().create_future()
    dlg.finished.connect(lambda r: done.done() or done.set_result(dlg.selectedFiles()[0]
                                                                  if r and dlg.selectedFiles() else None))
    dlg.open()
    return await done
