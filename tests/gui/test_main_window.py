"""The main window: dock layout persists across restarts, the account kind is
unmistakable, and a dropped connection is shown (banner, status bar, log)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.domain import AccountKind, ConnectionState
from app.ui.main_window import MainWindow
from tests.support import wait_until


def _window(qtbot, settings, restore=True):
    panels = {name: QLabel(name) for name in ("watchlist", "ticket", "blotter", "account")}
    w = MainWindow(QWidget(), panels, settings, restore_layout=restore)
    qtbot.addWidget(w)
    w.show()
    return w


def test_layout_and_geometry_survive_a_restart(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.IniFormat)
    w = _window(qtbot, settings)
    assert w.dockWidgetArea(w.docks["watchlist"]) == Qt.LeftDockWidgetArea
    # the trader rearranges: watchlist to the right, account floating, log closed
    w.addDockWidget(Qt.RightDockWidgetArea, w.docks["watchlist"])
    w.docks["account"].setFloating(True)
    w.docks["log"].close()
    w.resize(700, 520)  # inside the offscreen screen (restoreGeometry clamps to the screen)
    w.close()  # closeEvent saves

    again = QSettings(str(tmp_path / "layout.ini"), QSettings.IniFormat)
    w2 = _window(qtbot, again)
    assert w2.dockWidgetArea(w2.docks["watchlist"]) == Qt.RightDockWidgetArea
    assert w2.docks["account"].isFloating()
    assert not w2.docks["log"].isVisible()
    assert (w2.width(), w2.height()) == (700, 520)

    # --reset-layout ignores the saved state; View → Reset layout restores the default
    w3 = _window(qtbot, QSettings(str(tmp_path / "layout.ini"), QSettings.IniFormat), restore=False)
    assert w3.dockWidgetArea(w3.docks["watchlist"]) == Qt.LeftDockWidgetArea
    w2.reset_layout()
    assert w2.dockWidgetArea(w2.docks["watchlist"]) == Qt.LeftDockWidgetArea
    assert not w2.docks["account"].isFloating() and w2.docks["log"].isVisible()


def test_a_layout_from_another_version_is_ignored(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "old.ini"), QSettings.IniFormat)
    settings.setValue("window/layoutVersion", 999)
    settings.setValue("window/state", b"garbage")
    w = _window(qtbot, settings)
    assert w.dockWidgetArea(w.docks["watchlist"]) == Qt.LeftDockWidgetArea


@pytest.mark.parametrize("kind, word, colour", [
    (AccountKind.SIMULATED, "SIMULATED", None),
    (AccountKind.PAPER, "PAPER", None),
    (AccountKind.LIVE, "LIVE", "#c62828"),
])
def test_account_kind_in_banner_status_and_title(qtbot, tmp_path, kind, word, colour):
    w = _window(qtbot, QSettings(str(tmp_path / "k.ini"), QSettings.IniFormat))
    w.show_connection(ConnectionState.CONNECTED, "127.0.0.1:4002")
    w.show_session(kind, "DU123" if kind is AccountKind.PAPER else "U999", 178, "127.0.0.1:4002")
    assert word in w.banner.text() and word in w.windowTitle()
    assert word in w.status.kind_label.text()
    assert "v178" in w.status.server_label.text()
    if colour:
        assert colour in w.banner.styleSheet().lower()


def test_lost_connection_is_shown_not_swallowed(qtbot, aloop, tmp_path):
    """Real session against the simulated gateway; the gateway goes away."""
    from app.broker.session import Session
    from app.sim.server import GatewayThread

    w = _window(qtbot, QSettings(str(tmp_path / "lost.ini"), QSettings.IniFormat))
    gw = GatewayThread()
    try:
        s = Session("127.0.0.1", gw.port, 41, connect_timeout=5)
        s.stateEvent += lambda state, msg: w.show_connection(state, f"127.0.0.1:{gw.port}", msg)
        aloop.run_until_complete(s.connect())
        assert "Connected" in w.status.state_label.text()
        assert not w.reconnect_action.isEnabled()
    finally:
        gw.stop()
    wait_until(aloop, lambda: s.state is ConnectionState.LOST, 10, what="LOST state")
    assert "CONNECTION LOST" in w.banner.text()
    assert "Connection lost" in w.status.state_label.text()
    assert w.reconnect_action.isEnabled() and not w.disconnect_action.isEnabled()
    assert "Connection lost" in w.log.toPlainText()
