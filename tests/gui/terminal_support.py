"""The whole terminal (real Session over a socket, OrderCommands, Panels, MainWindow) connected
to a simulated gateway, as the app builds it: shared by the end-to-end GUI tests."""

from __future__ import annotations

from tests.integration.sim_support import sim_session
from tests.support import run_for, wait_until


def show_window(qtbot, panels, settings):
    """The MainWindow the app builds around ``panels`` (charts, docks, link chips, trading
    menu), shown; returns it."""
    from app.ui.main_window import MainWindow

    window = MainWindow(panels.charts, panels.docks(), settings, chips=panels.chips, restore_layout=False)
    panels.install_trading(window)
    qtbot.addWidget(window)
    window.show()
    return window


def open_terminal(qtbot, aloop, gateway, settings):
    """``(panels, session, window)``: built, shown, connected, with quotes and chart bars in."""
    from app.commands import OrderCommands
    from app.ui.panels import build_panels

    session = sim_session(gateway)
    panels = build_panels(session, OrderCommands(session), settings)
    window = show_window(qtbot, panels, settings)
    aloop.run_until_complete(session.connect())
    panels.on_connected()
    wait_until(aloop, panels.is_ready, 20, what="watchlist quotes and chart bars")
    return panels, session, window


def close_terminal(aloop, panels, session) -> None:
    """Shut the panels down and disconnect (the teardown of :func:`open_terminal`)."""
    panels.shutdown()
    session.disconnect()
    run_for(aloop, 0.05)
