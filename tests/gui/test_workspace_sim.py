"""The linked workspace against the simulated gateway (real Session over a socket): a second
chart in its own colour charts what is typed in it, a linked chart follows the watchlist, and
a row dropped on the unlinked chart loads its bars from the gateway."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from tests.gui.test_symbol_drag import drag_drop
from tests.gui.terminal_support import close_terminal, open_terminal
from tests.integration.sim_support import gateway_fixture
from tests.support import wait_until

gateway = gateway_fixture(seed=5)


@pytest.fixture
def terminal(qtbot, aloop, gateway, tmp_path):
    from app.ui.panels import KEY_SYMBOLS

    settings = QSettings(str(tmp_path / "ws.ini"), QSettings.IniFormat)
    settings.setValue(KEY_SYMBOLS, ["AAPL", "MSFT", "NVDA"])
    panels, session, window = open_terminal(qtbot, aloop, gateway, settings)
    yield panels, window
    close_terminal(aloop, panels, session)


def _charted(model, symbol):
    return (model.instrument is not None and model.instrument.display_symbol == symbol
            and model.is_ready and model.count > 0)


def test_linked_and_unlinked_charts_against_the_gateway(terminal, qtbot, aloop):
    panels, window = terminal
    name = panels.new_chart()
    chart2, model2 = panels.charts.view(name), panels.chart_models()[name]
    chart2.toolbar.itemAt(0).widget().actions_by_colour["blue"].trigger()
    chart2.symbol_label.setFocus()
    chart2.symbol_label.selectAll()
    qtbot.keyClicks(chart2.symbol_label, "MSFT")
    qtbot.keyClick(chart2.symbol_label, Qt.Key_Return)
    wait_until(aloop, lambda: _charted(model2, "MSFT"), 20, what="MSFT bars in the blue chart")
    assert 300 < model2.last_price < 600                                    # MSFT's price, not AAPL's
    panels.watchlist.select_symbol("NVDA")
    wait_until(aloop, lambda: _charted(panels.chart_model, "NVDA"), 20, what="red chart follows")
    assert panels.ticket_model.instrument.display_symbol == "NVDA"
    assert model2.instrument.display_symbol == "MSFT"
    # a watchlist row dropped on the unlinked chart: only that chart loads it
    chart2.toolbar.itemAt(0).widget().actions_by_colour[""].trigger()
    wl = panels.watchlist_model
    row = next(r for r, rec in enumerate(wl.records()) if rec.instrument.symbol == "AAPL")
    assert drag_drop(chart2.plots.viewport(), wl.mimeData([wl.index(row, 0)])).accepted
    wait_until(aloop, lambda: _charted(model2, "AAPL"), 20, what="AAPL bars in chart2")
    assert panels.chart_model.instrument.display_symbol == "NVDA"
