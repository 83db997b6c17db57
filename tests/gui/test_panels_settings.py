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


def test_chart_style_and_indicators_survive_a_restart(qtbot, aloop, tmp_path):
    """Issue 14 item 7: the chart style and the indicators with their parameters come back,
    per profile (another profile's file keeps its own)."""
    from app.ui.chart.indicator_menu import KEY_INDICATORS, KEY_STYLE

    path = str(tmp_path / "p.ini")
    settings = QSettings(path, QSettings.IniFormat)
    _, panels = _panels(qtbot, settings)
    view = panels.chart_view
    assert view.style_box.currentText() == "Candle" and view.indicators == []
    view.style_box.setCurrentText("Heikin-Ashi")
    view.add_indicator("RSI", period=9)
    view.add_indicator("Bollinger Bands", period=30, width=2.5)
    view.add_indicator("VWAP", anchor=None)
    assert settings.value(KEY_STYLE) == "Heikin-Ashi"  # saved at once, not only at exit
    panels.shutdown()
    settings.sync()

    again = QSettings(path, QSettings.IniFormat)
    _, restored = _panels(qtbot, again)
    rv = restored.chart_view
    assert rv.style_box.currentText() == "Heikin-Ashi" and type(rv.candles).__name__ == "HeikinAshiItem"
    assert [(type(i).__name__, i.params) for i, _ov in rv.indicators] == [
        ("RSI", {"period": 9}), ("Bollinger", {"period": 30, "width": 2.5}), ("VWAP", {"anchor": None})]
    checked = [a.text() for a in rv.indicator_menu.actions() if a.isChecked()]
    assert checked == ["Bollinger Bands", "VWAP", "RSI"]
    restored.shutdown()

    other = QSettings(str(tmp_path / "other.ini"), QSettings.IniFormat)
    _, fresh = _panels(qtbot, other)
    assert fresh.chart_view.style_box.currentText() == "Candle" and fresh.chart_view.indicators == []
    fresh.shutdown()
    # a damaged value is skipped, the rest restored
    bad = QSettings(str(tmp_path / "bad.ini"), QSettings.IniFormat)
    bad.setValue(KEY_STYLE, "Renko")
    bad.setValue(KEY_INDICATORS, '[{"name": "RSI", "params": {"period": 1}}, {"name": "SMA", "params": {"period": 5}}]')
    _, damaged = _panels(qtbot, bad)
    assert damaged.chart_view.style_box.currentText() == "Candle"
    assert [(type(i).__name__, i.params) for i, _ov in damaged.chart_view.indicators] == [("SMA", {"period": 5})]
    damaged.shutdown()
