"""Run live from the Strategies panel against the simulated gateway (its clock at 30x): the
trader picks a strategy on the chart's AAPL 5 secs bars, confirms, the runner's row shows it
running, its order goes through the command layer into the blotter, and the kill switch halts
it (the row says so). A saved runner comes back stopped after a restart: never started by itself."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from app.commands import KillSwitch
from app.sim.server import GatewayThread
from tests.gui.terminal_support import close_terminal, open_terminal
from tests.integration.sim_support import rth_start_time
from tests.support import wait_until

pytestmark = pytest.mark.timeout(90)

FIRST_BAR = ("from app.strategy import Param, Strategy\n"
             "class FirstBar(Strategy):\n"
             "    name = 'first_bar'\n"
             "    title = 'Buy on the first live bar'\n"
             "    params = (Param('quantity', int, 7, minimum=1),)\n"
             "    def on_bar(self, bar):\n"
             "        if not self.context.warming_up and self.position == 0 and not self.sent:\n"
             "            self.sent = True\n"
             "            self.buy(self.p['quantity'])\n"
             "    sent = False\n")


@pytest.fixture(scope="module")
def gateway():
    with GatewayThread(seed=9, start_time=rth_start_time(), speed=30) as gw:
        yield gw


async def _yes(*_args):
    return True


async def _value(v):
    return v


def test_run_live_from_the_panel_orders_through_commands_and_the_kill_switch_halts(
        qtbot, aloop, gateway, tmp_path):
    settings = QSettings(str(tmp_path / "live.ini"), QSettings.IniFormat)
    settings.setValue("watchlist/symbols", ["AAPL"])
    panels, session, window = open_terminal(qtbot, aloop, gateway, settings)
    try:
        panels.chart_model.set_bar_size("5 secs")
        wait_until(aloop, lambda: panels.chart_model.is_ready and panels.chart_model.bar_size == "5 secs",
                   20, what="5 secs bars")
        f = tmp_path / "first_bar.py"
        f.write_text(FIRST_BAR)
        sp = panels.strategies
        sp.choose_file = lambda: _value(str(f))
        aloop.run_until_complete(sp.load_clicked())
        sp.strategy_box.setCurrentIndex(sp.strategy_box.findData("first_bar"))
        asked = []
        sp.ask = lambda title, text, danger: (asked.append((title, text, danger)), _yes())[1]
        task = sp.live_clicked()
        wait_until(aloop, task.done, 20, what="runner started")
        runner = task.result()
        assert asked and "AAPL 5 secs bars in the SIMULATED account" in asked[0][1] and not asked[0][2]
        try:
            wait_until(aloop, lambda: runner.order_ids, 30, what="the strategy's order")
        except AssertionError:
            raise AssertionError(f"{runner.status_text}; {runner.last_error}; {runner.log_lines[-3:]}")
        oid = runner.order_ids[0]
        wait_until(aloop, lambda: any(r.order_id == oid for r in panels.orders_model.records()), 10,
                   what="its order in the blotter")
        wait_until(aloop, lambda: runner.position == 7, 20, what="filled")
        row = sp.runners.cells(0)
        assert row[0] == "Buy on the first live bar" and row[1] == "AAPL · 5 secs" and row[3] == "7"
        assert row[7] == "BUY 7 AAPL MKT DAY"
        assert sp.results.tabText(sp.results.count() - 1) == "Live (1 running)"
        # the forward test: the backtest's metrics of its live bars, beside the row
        wait_until(aloop, lambda: sp.forward_table.rowCount() > 0, 20, what="forward-test metrics")
        labels = [sp.forward_table.item(r, 0).text() for r in range(sp.forward_table.rowCount())]
        assert "Sharpe ratio" in labels and "Final equity" in labels
        # the kill switch halts every running strategy and the row says so
        panels.commands.execute(KillSwitch())
        wait_until(aloop, lambda: not runner.running, 10, what="halted")
        assert sp.runners.cells(0)[2] == "Halted by the kill switch"
        panels.commands.halted = False
        sp.shutdown()
    finally:
        close_terminal(aloop, panels, session)
    # a restart offers it again, stopped, with Start
    again_settings = QSettings(str(tmp_path / "live.ini"), QSettings.IniFormat)
    panels2, session2, _w = open_terminal(qtbot, aloop, gateway, again_settings)
    try:
        sp2 = panels2.strategies      # the trader's file is loaded again, then its runner restored
        assert sp2.runners.rowCount() == 1
        restored = sp2.runners.runners[0]
        assert not restored.running and restored.order_ids == []
        assert sp2.runners.cells(0)[:2] == ["Buy on the first live bar", "AAPL · 5 secs"]
        assert sp2.results.tabText(sp2.results.count() - 1) == "Live"
    finally:
        close_terminal(aloop, panels2, session2)
