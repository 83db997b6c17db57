"""Issue 11: Help → Open log folder and the API message log toggle (remembered per profile);
a journal that cannot write shows JOURNAL NOT WRITTEN in the status bar, not only inside the
Journal dock, and the flag goes away when it writes again."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QWidget

from app.commands import OrderCommands
from app.journal import Journal
from app.ui.main_window import MainWindow
from app.ui.panels import build_panels
from tests.fakes import FakeSession


def _help_action(window, text):
    return next(a for a in window.help_menu.actions() if a.text().replace("&", "") == text)


def test_help_open_log_folder_opens_the_folder(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "w.ini"), QSettings.IniFormat)
    w = MainWindow(QWidget(), {"watchlist": QLabel("w")}, settings, restore_layout=False)
    qtbot.addWidget(w)
    opened = []
    w.open_url = lambda url: opened.append(url.toLocalFile()) or True
    action = _help_action(w, "Open log folder")
    assert not action.isEnabled()                  # no log file (yet)
    w.set_log_folder(tmp_path / "logs", api_log=False)
    assert action.isEnabled()
    action.trigger()
    assert opened == [str(tmp_path / "logs")]


def test_api_message_log_toggle_turns_the_file_on_and_is_remembered(qtbot, tmp_path, monkeypatch):
    from app.application import Terminal
    from app.logfiles import API_LOG_SETTING, API_LOGGER, set_api_log

    settings = QSettings(str(tmp_path / "w.ini"), QSettings.IniFormat)
    w = MainWindow(QWidget(), {"watchlist": QLabel("w")}, settings, restore_layout=False)
    qtbot.addWidget(w)
    folder = tmp_path / "logs"
    folder.mkdir()
    term = SimpleNamespace(log_folder=folder, settings=settings, window=w)
    w.apiLogToggled.connect(lambda on: Terminal.set_api_log(term, on))
    w.set_log_folder(folder, api_log=False)
    action = _help_action(w, "API message log")
    assert action.isCheckable() and not action.isChecked()
    try:
        action.trigger()                                 # the trader ticks Help → API message log
        assert action.isChecked()
        assert settings.value(API_LOG_SETTING) in (True, "true")
        logging.getLogger(API_LOGGER).debug(">>> 71,2,1")
        for h in logging.getLogger(API_LOGGER).handlers:
            h.flush()
        assert ">>> 71,2,1" in (folder / "api.log").read_text()
        action.trigger()
        assert not action.isChecked() and settings.value(API_LOG_SETTING) in (False, "false")
    finally:
        set_api_log(False)


def test_journal_problem_shows_in_the_status_bar(qtbot, aloop, tmp_path):
    session = FakeSession()
    journal = Journal(tmp_path / "j.sqlite", batch_interval=0.01, retry_interval=0.05, max_pages=8)
    settings = QSettings(str(tmp_path / "p.ini"), QSettings.IniFormat)
    panels = build_panels(session, OrderCommands(session, journal=journal), settings, journal=journal)
    window = MainWindow(panels.charts, panels.docks(), settings, chips=panels.chips, restore_layout=False)
    panels.install_trading(window)
    qtbot.addWidget(window)
    window.show()
    window.docks["blotter"].raise_()               # the Journal dock is not the one in view
    flag = window.status.flags["journal"]
    try:
        assert not flag.isVisible()
        for i in range(1000):                      # the disk fills up (max_pages)
            journal.record("api", order_id=i, text="x" * 300)
        qtbot.waitUntil(flag.isVisible, timeout=3000)
        assert "JOURNAL NOT WRITTEN" in flag.text()
        assert "cannot write" in flag.toolTip()
        journal.max_pages = None                   # space again
        qtbot.waitUntil(lambda: not flag.isVisible(), timeout=3000)
    finally:
        panels.journal_view.set_journal(None)
        panels.shutdown()
        journal.close()
