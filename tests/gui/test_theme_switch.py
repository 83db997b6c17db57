"""View → Theme: light / dark / follow the system, saved per profile, applied live to the
widgets, the tables' colours, the order ticket and the chart (without reloading its bars)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel, QWidget

from app.commands import OrderCommands
from app.domain import Action, OrderStatus
from app.ui import appearance, theme
from app.ui.chart.candles import DOWN_DARK, DOWN_LIGHT, UP_DARK, UP_LIGHT
from app.ui.main_window import MainWindow
from app.ui.ticket import OrderTicket
from app.viewmodels.orders import status_colour
from app.viewmodels.ticket import TicketModel
from tests.fakes import FakeSession
from tests.gui.chart_support import show_chart
from tests.support import wait_until
from tests.unit.chart.chart_fakes import FakeHistorySession, make_bars


@pytest.fixture(autouse=True)
def restore_light(qapp):
    """Each test starts and ends in the light theme with Qt's standard palette."""
    yield
    QGuiApplication.styleHints().unsetColorScheme()
    qapp.setPalette(qapp.style().standardPalette())
    theme.set_theme(theme.LIGHT)
    appearance._choice = None
    qapp.processEvents()


def _window_colour(widget: QWidget) -> str:
    return widget.palette().color(QPalette.ColorRole.Window).name()


def _main_window(qtbot, settings: QSettings) -> MainWindow:
    panels = {name: QLabel(name) for name in ("watchlist", "ticket", "blotter", "account")}
    w = MainWindow(QWidget(), panels, settings, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    return w


def _click_theme(qtbot, w: MainWindow, choice: str) -> None:
    """View → Theme → ``choice`` as a user picks it: open the submenu, click the entry."""
    view = next(a.menu() for a in w.menuBar().actions() if a.text() == "&View")
    sub = next(a.menu() for a in view.actions() if a.text() == "&Theme")
    sub.popup(w.mapToGlobal(w.rect().center()))
    qtbot.waitExposed(sub)
    act = w.theme_actions[choice]
    qtbot.mouseClick(sub, Qt.MouseButton.LeftButton, pos=sub.actionGeometry(act).center())
    assert not sub.isVisible()


def test_view_theme_is_saved_per_profile_and_restored(qtbot, tmp_path, qapp):
    a_ini, b_ini = str(tmp_path / "a.ini"), str(tmp_path / "b.ini")
    w = _main_window(qtbot, QSettings(a_ini, QSettings.IniFormat))
    assert [act.text() for act in w.theme_actions.values()] == ["&Light", "&Dark", "Follow &system"]
    assert w.theme_actions["system"].isChecked()        # nothing saved yet: follow the system

    _click_theme(qtbot, w, "dark")
    assert w.theme_actions["dark"].isChecked() and not w.theme_actions["system"].isChecked()
    assert theme.current() == theme.DARK
    wait_until_dark = lambda: _window_colour(w) == theme.BACKGROUNDS[theme.DARK]["window"]  # noqa: E731
    qtbot.waitUntil(wait_until_dark, timeout=2000)
    assert QSettings(a_ini, QSettings.IniFormat).value(appearance.THEME_SETTING) == "dark"
    # the other profile keeps its own choice
    assert appearance.saved_theme(QSettings(b_ini, QSettings.IniFormat)) == "system"

    # a restart of profile A: the saved choice is applied before the window shows, and checked
    qapp.setPalette(qapp.style().standardPalette())
    theme.set_theme(theme.LIGHT)
    appearance._choice = None
    shown = appearance.apply_theme(appearance.saved_theme(QSettings(a_ini, QSettings.IniFormat)))
    assert shown == "dark"
    again = _main_window(qtbot, QSettings(a_ini, QSettings.IniFormat))
    assert again.theme_actions["dark"].isChecked()
    assert _window_colour(again) == theme.BACKGROUNDS[theme.DARK]["window"]

    _click_theme(qtbot, again, "light")
    qtbot.waitUntil(lambda: _window_colour(again) == theme.BACKGROUNDS[theme.LIGHT]["window"], timeout=2000)
    assert QSettings(a_ini, QSettings.IniFormat).value(appearance.THEME_SETTING) == "light"


def test_a_bad_saved_value_falls_back_to_the_system(tmp_path):
    s = QSettings(str(tmp_path / "x.ini"), QSettings.IniFormat)
    s.setValue(appearance.THEME_SETTING, "purple")
    assert appearance.saved_theme(s) == "system"
    with pytest.raises(ValueError, match="theme must be one of light, dark, system"):
        appearance.save_theme(s, "purple")


def test_follow_system_reacts_to_the_desktops_scheme(qtbot, qapp, monkeypatch):
    scheme = [Qt.ColorScheme.Light]
    monkeypatch.setattr(appearance, "system_scheme", lambda: scheme[0])
    label = QLabel("x")
    qtbot.addWidget(label)
    assert appearance.apply_theme("system") == "light"
    # the desktop switches to dark: Qt emits colorSchemeChanged
    scheme[0] = Qt.ColorScheme.Dark
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.current() == theme.DARK
    qtbot.waitUntil(lambda: _window_colour(label) == theme.BACKGROUNDS[theme.DARK]["window"], timeout=2000)
    # with an explicit choice the desktop's changes are ignored
    appearance.apply_theme("light")
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.current() == theme.LIGHT


def test_status_bar_dot_follows_the_theme(qtbot):
    from app.domain import ConnectionState
    from app.ui.session_status import SessionStatusBar
    bar = SessionStatusBar()
    qtbot.addWidget(bar)
    bar.set_state(ConnectionState.CONNECTED, "127.0.0.1:4002")
    assert theme.color("state_connected", theme.LIGHT) in bar.state_label.text()
    appearance.apply_theme("dark")
    assert theme.color("state_connected", theme.DARK) in bar.state_label.text()
    assert "Connected  127.0.0.1:4002" in bar.state_label.text()


def test_dark_palette_on_a_platform_that_ignores_the_colour_scheme(qtbot, qapp):
    """offscreen (as xcb without a desktop theme) keeps colorScheme() Unknown: the palette
    must still turn dark, from Qt's own Fusion palette."""
    assert appearance.apply_theme("dark") == "dark"
    assert qapp.style().name().lower() == "fusion"
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == "#323232"
    assert qapp.palette().color(QPalette.ColorRole.Text).name() == "#f0f0f0"


def test_switching_recolours_tables_labels_and_ticket(qtbot, aloop):
    s = FakeSession()
    t = OrderTicket(TicketModel(s, OrderCommands(s)))
    qtbot.addWidget(t)
    t.show()
    t.set_instrument(s.contracts["AAPL"])
    assert t.model.action is Action.BUY and _window_colour(t) == theme.color("buy_tint_bg", theme.LIGHT)
    light_name_style = t.name.styleSheet()
    assert theme.color("secondary_text", theme.LIGHT) in light_name_style

    appearance.apply_theme("dark")
    # the ticket's own tint, its labels' stylesheets and the models' colours follow at once
    assert _window_colour(t) == theme.color("buy_tint_bg", theme.DARK)
    assert theme.color("secondary_text", theme.DARK) in t.name.styleSheet()
    assert status_colour(OrderStatus.FILLED).name() == theme.color("status_filled", theme.DARK)
    # a button with its own stylesheet (SELL, unchecked) is not left in the light palette
    qtbot.waitUntil(lambda: t.sell.palette().color(QPalette.ColorRole.Button).name() == "#323232", timeout=2000)
    qtbot.mouseClick(t.sell, Qt.MouseButton.LeftButton)
    assert _window_colour(t) == theme.color("sell_tint_bg", theme.DARK)
    qtbot.waitUntil(lambda: t.palette().color(QPalette.ColorRole.WindowText).name() == "#f0f0f0", timeout=2000)

    appearance.apply_theme("light")
    assert _window_colour(t) == theme.color("sell_tint_bg", theme.LIGHT)
    assert t.name.styleSheet() == light_name_style
    qtbot.waitUntil(lambda: t.buy.palette().color(QPalette.ColorRole.Button).name() == "#efefef", timeout=2000)
    assert status_colour(OrderStatus.FILLED).name() == theme.color("status_filled", theme.LIGHT)


def test_chart_restyles_live_without_reloading_bars(qtbot, aloop):
    session = FakeHistorySession()
    vm, view = show_chart(qtbot, session)
    try:
        from app.domain import Instrument
        vm.set_instrument(Instrument("AAPL", con_id=265598, min_tick=0.01))
        wait_until(aloop, lambda: session.requests, what="history request")
        session.answer(0, make_bars(300))
        wait_until(aloop, lambda: not vm.loading and vm.count == 300, what="bars loaded")
        view.plots.grab()
        pyramid, candles, requests = view.bar_pyramid, view.candles, len(session.requests)
        light_bg = view.plots.backgroundBrush().color().name()
        assert (candles._up.name(), candles._down.name()) == (UP_LIGHT, DOWN_LIGHT)

        appearance.apply_theme("dark")
        qtbot.waitUntil(view.is_dark, timeout=2000)
        assert view.plots.backgroundBrush().color().name() == theme.BACKGROUNDS[theme.DARK]["base"] != light_bg
        assert (view.candles._up.name(), view.candles._down.name()) == (UP_DARK, DOWN_DARK)
        assert view.volume._up.name() == UP_DARK
        axis = view.price_plot.getAxis("right")
        assert axis.textPen().color().name() == "#f0f0f0"
        assert view.trading.avg_cost.line.pen.color().name() == theme.color("avg_cost", theme.DARK)
        # the same items and merge levels: only pens and brushes changed, nothing was reloaded
        assert view.bar_pyramid is pyramid and view.candles is candles and len(session.requests) == requests
        image = view.plots.grab().toImage()
        mid = image.pixelColor(image.width() // 3, 5)  # top of the price pane: background
        assert mid.lightness() < 60

        # an indicator pane added while dark gets the dark axes too
        view.add_indicator("RSI", period=14)
        pane = next(iter(view.indicator_set.panes.values()))
        assert pane.getAxis("right").textPen().color().name() == "#f0f0f0"

        appearance.apply_theme("light")
        qtbot.waitUntil(lambda: not view.is_dark(), timeout=2000)
        assert view.plots.backgroundBrush().color().name() == light_bg
        assert view.candles._up.name() == UP_LIGHT
        assert pane.getAxis("right").textPen().color().name() == "#000000"
    finally:
        vm.shutdown()
