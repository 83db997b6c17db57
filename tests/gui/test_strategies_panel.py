"""The Strategies panel acting as a trader: pick SMA cross, set its periods, backtest on the
chart's bars (GOOG daily from ../shared/data), see the metrics, the equity curve, the trades
and the fills on the chart; bad parameters and a bad strategy file get a clear message;
Export writes the trades; Run live asks first and its orders go through the command layer."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import QSettings, Qt

from app.backtest import BacktestConfig, load_csv, run_backtest
from app.strategy.library import STRATEGIES
from app.ui.strategies import StrategiesPanel
from app.viewmodels.strategies import StrategiesModel
from tests.fakes import CONTRACTS
from tests.support import wait_until


@pytest.fixture
def goog(shared_data):
    return load_csv(shared_data / "GOOG.csv")


def _panel(qtbot, bars, inst=CONTRACTS["AAPL"]):
    model = StrategiesModel()
    panel = StrategiesPanel(model, lambda: (inst, "1 day", bars))
    qtbot.addWidget(panel)
    panel.resize(700, 800)
    panel.show()
    return panel


def _run(aloop, panel):
    task = panel.run_clicked()
    wait_until(aloop, task.done, 30, what="backtest done")
    return task.result()


def test_backtest_from_the_form_shows_metrics_equity_trades_and_chart_marks(qtbot, aloop, goog):
    panel = _panel(qtbot, goog)
    assert panel.strategy_box.currentData() == "sma_cross"
    assert "1 day · 2,148 bars" in panel.source_label.text() or "bars" in panel.source_label.text()
    panel.editors["fast"].setValue(10)
    panel.editors["slow"].setValue(20)
    panel.commission_box.setCurrentIndex(panel.commission_box.findData(0.0))
    marks = []
    panel.backtestDone.connect(lambda key, m: marks.append((key, m)))
    result = _run(aloop, panel)
    # the same as the backtest run directly (and the CLI): GOOG 10/20 without commissions
    direct = run_backtest(STRATEGIES["sma_cross"](fast=10, slow=20), goog, BacktestConfig(commission=0))
    assert result.metrics["final_equity"] == pytest.approx(direct.metrics["final_equity"])
    rows = dict(panel.model.metric_rows())
    assert rows["Total return"] == f"{direct.metrics['return_pct']:+.2f} %"
    assert rows["Trades"] == str(direct.metrics["n_trades"])
    assert panel.metrics_table.rowCount() == len(rows)
    assert panel.metrics_table.item(0, 1).text() == rows["Total return"]
    assert panel.trades_view.model().rowCount() == len(direct.trades)
    x, y = panel.equity_curve.getData()
    assert len(y) == len(goog) and y[-1] == pytest.approx(direct.metrics["final_equity"])
    assert x[0] == pytest.approx(goog["time"].iloc[0].timestamp())
    assert marks and marks[0][0] == CONTRACTS["AAPL"].key and len(marks[0][1]) == len(direct.fills)
    assert panel.export_button.isEnabled() and "trades over 2,148 bars" in panel.status.text()


def test_a_futures_chart_is_backtested_at_50_usd_a_point(qtbot, aloop, goog):
    """The chart shows ESZ6: the run takes the chart instrument's multiplier and commission
    schedule (GOOG's prices stand in for ES bars)."""
    from tests.fakes_futures import FAKE_FUTURES
    es = next(f for f in FAKE_FUTURES if f.local_symbol == "ESZ6")
    panel = _panel(qtbot, goog, es)
    panel.editors["fast"].setValue(10)
    panel.editors["slow"].setValue(20)
    panel.editors["quantity"].setValue(1)
    panel.commission_box.setCurrentIndex(panel.commission_box.findData("ib"))
    result = _run(aloop, panel)
    stock = run_backtest(STRATEGIES["sma_cross"](fast=10, slow=20, quantity=1), goog, BacktestConfig(commission=0))
    assert len(result.trades) == len(stock.trades) > 0
    for fut, st in zip(result.trades, stock.trades):
        assert fut.multiplier == 50 and fut.pnl == pytest.approx(st.pnl * 50 - 2 * 2.25)
    assert result.info["config"]["sec_type"] == "FUT" and result.info["config"]["tick_size"] == 0.25


def test_bad_parameters_and_files_say_why_and_run_nothing(qtbot, aloop, goog, tmp_path):
    panel = _panel(qtbot, goog)
    panel.editors["fast"].setValue(30)
    panel.editors["slow"].setValue(20)
    assert _run(aloop, panel) is None
    assert "fast" in panel.status.text() and panel.model.result is None
    bad = tmp_path / "broken.py"
    bad.write_text("def oops(:\n")
    panel.choose_file = lambda: _done(str(bad))
    task = panel.load_clicked()
    wait_until(aloop, task.done, what="load")
    assert "broken.py" in panel.status.text() and "line 1" in panel.status.text()
    empty = _panel(qtbot, goog.iloc[:0])
    assert _run(aloop, empty) is None and "No bars" in empty.status.text()


def test_a_strategy_file_adds_its_strategy_and_form(qtbot, aloop, goog, tmp_path):
    f = tmp_path / "mine.py"
    f.write_text(
        "from app.strategy import Param, Strategy\n"
        "class BuyHold(Strategy):\n"
        "    name = 'buy_hold'\n"
        "    title = 'Buy and hold'\n"
        "    params = (Param('quantity', int, 50, minimum=1),)\n"
        "    def on_bar(self, bar):\n"
        "        if self.position == 0:\n"
        "            self.buy(self.p['quantity'])\n")
    panel = _panel(qtbot, goog)
    panel.choose_file = lambda: _done(str(f))
    task = panel.load_clicked()
    wait_until(aloop, task.done, what="load")
    assert panel.strategy_box.currentData() == "buy_hold" and list(panel.editors) == ["quantity"]
    result = _run(aloop, panel)
    assert result.metrics["n_trades"] == 1
    out = tmp_path / "trades.csv"
    panel.choose_export = lambda: _done(str(out))
    task = panel.export_clicked()
    wait_until(aloop, task.done, what="export")
    rows = list(csv.reader(out.open()))
    assert rows[0][:3] == ["Entry (UTC)", "Exit (UTC)", "Side"] and rows[1][2] == "long"


def test_cancel_stops_a_long_backtest(qtbot, aloop, goog):
    import pandas as pd
    big = pd.concat([goog] * 60, ignore_index=True)           # ~130k bars
    big["time"] = pd.date_range("1990-01-01", periods=len(big), freq="h", tz="UTC")
    panel = _panel(qtbot, big)
    task = panel.run_clicked()
    wait_until(aloop, lambda: panel.cancel_button.isEnabled(), what="running")
    qtbot.mouseClick(panel.cancel_button, Qt.LeftButton)
    wait_until(aloop, task.done, 30, what="cancelled")
    assert task.result() is None and panel.status.text() == "Backtest cancelled"
    assert panel.run_button.isEnabled() and not panel.progress.isVisible()


async def _async(v):
    return v


def _done(v):
    return _async(v)


def test_a_folder_of_strategies_loads_each_file(qtbot, aloop, goog, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("alpha", "beta"):
        (folder / f"{name}.py").write_text(
            "from app.strategy import Strategy\n"
            f"class S(Strategy):\n    name = '{name}'\n    title = '{name.title()}'\n")
    panel = _panel(qtbot, goog)
    panel.choose_folder = lambda: _done(str(folder))
    panel.load_folder_action.trigger()
    wait_until(aloop, lambda: panel.strategy_box.findData("beta") >= 0, what="folder loaded")
    assert {"alpha", "beta"} <= set(panel.model.strategies())
    assert "Loaded alpha, beta" in panel.status.text()
