"""app.ui.panels: the panels persist their settings per profile and drive each other.

Uses the in-memory FakeSession (tests/fakes.py) and real widgets.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from app.ui.panels import KEY_BAR_SIZE, KEY_CONFIRM_ORDERS, KEY_HIDDEN_COLUMNS, KEY_SELECTED, KEY_SYMBOLS
from tests.gui.desk_support import fake_panels
from tests.support import run_for, wait_until


_panels = fake_panels


def test_defaults_then_settings_survive_a_restart(qtbot, aloop, tmp_path):
    settings = QSettings(str(tmp_path / "p.ini"), QSettings.IniFormat)
    session, panels = _panels(qtbot, settings)
    assert panels.watchlist_model.symbols() == ["AAPL", "MSFT", "NVDA", "SPY", "EUR.USD"]
    assert panels.watchlist.hidden_columns() == ["bid_size", "ask_size"]
    assert panels.ticket.confirm_orders and panels.blotter.confirm_cancels

    panels.on_connected()
    wait_until(aloop, lambda: panels.chart_model.instrument is not None, 5, what="first symbol charted")
    assert panels.chart_model.instrument.display_symbol == "AAPL"
    # selecting MSFT drives the chart and the ticket
    assert panels.watchlist.select_symbol("MSFT")
    assert panels.chart_model.instrument.display_symbol == "MSFT"
    assert panels.ticket_model.instrument.display_symbol == "MSFT"
    panels.watchlist_model.remove_symbol("NVDA")
    panels.watchlist.set_hidden_columns(["volume"])
    panels.chart_model.set_bar_size("1 hour")
    panels.ticket.confirm_box.setChecked(False)
    assert settings.value(KEY_CONFIRM_ORDERS) in (False, "false")  # saved at once
    panels.blotter.confirm_cancels = False
    run_for(aloop, 0.05)
    panels.shutdown()
    settings.sync()

    again = QSettings(str(tmp_path / "p.ini"), QSettings.IniFormat)
    assert again.value(KEY_SYMBOLS) == ["AAPL", "MSFT", "SPY", "EUR.USD"]
    assert again.value(KEY_SELECTED) == "MSFT" and again.value(KEY_BAR_SIZE) == "1 hour"
    _, restored = _panels(qtbot, again)
    assert restored.watchlist_model.symbols() == ["AAPL", "MSFT", "SPY", "EUR.USD"]
    assert restored.watchlist.hidden_columns() == ["volume"]
    assert restored.chart_model.bar_size == "1 hour"
    assert not restored.ticket.confirm_orders and not restored.blotter.confirm_cancels
    restored.on_connected()
    wait_until(aloop, lambda: restored.chart_model.instrument is not None, 5, what="saved symbol charted")
    assert restored.chart_model.instrument.display_symbol == "MSFT"
    restored.shutdown()
    # every quote subscription was released at shutdown
    assert not session.subscribed


def test_bad_settings_values_fall_back_to_defaults(qtbot, aloop, tmp_path):
    settings = QSettings(str(tmp_path / "bad.ini"), QSettings.IniFormat)
    settings.setValue(KEY_BAR_SIZE, "7 mins")
    settings.setValue(KEY_SYMBOLS, ["AAPL", "not a symbol!", "AAPL"])
    settings.setValue(KEY_HIDDEN_COLUMNS, ["symbol", "no_such_column"])
    _, panels = _panels(qtbot, settings)
    assert panels.chart_model.bar_size == "5 mins"
    assert panels.watchlist_model.symbols() == ["AAPL"]
    assert panels.watchlist.hidden_columns() == []  # the symbol column is never hidden
    panels.shutdown()
