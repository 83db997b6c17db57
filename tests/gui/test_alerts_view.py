"""The Alerts panel acting as a user: add a price-above alert through the dialog, push a quote
over the level with FakeSession, see the fired row and the notifier called (a mock tray);
edit, remove, the Sound check box, the fallback without a tray."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.domain.alerts import Alert, AlertKind
from app.ui.alerts import KEY_SOUND, AlertDialog, make_alerts_panel
from tests.fakes import FakeSession
from tests.support import wait_until


class Tray:
    def __init__(self):
        self.messages = []

    def showMessage(self, title, text, icon, ms):  # noqa: N802 (Qt name)
        self.messages.append((title, text))


def _panel(qtbot, tmp_path, **kw):
    s = FakeSession()
    settings = QSettings(str(tmp_path / "default.ini"), QSettings.Format.IniFormat)
    p = make_alerts_panel(s, settings, **kw)
    qtbot.addWidget(p)
    p.show()
    return s, settings, p


def _ok(dlg):
    dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_add_price_alert_through_the_dialog_then_a_quote_fires_it(qtbot, aloop, tmp_path):
    tray = Tray()
    s, settings, p = _panel(qtbot, tmp_path, tray=tray)
    qtbot.mouseClick(p.add_button, Qt.MouseButton.LeftButton)
    dlg = p.dialog
    assert isinstance(dlg, AlertDialog) and dlg.isVisible()
    qtbot.keyClicks(dlg.symbol, "aapl")
    dlg.kind.setCurrentIndex(dlg.kind.findData(AlertKind.PRICE_ABOVE))
    dlg.level.setValue(190.0)
    _ok(dlg)
    wait_until(aloop, lambda: p.model.alerts.rowCount() == 1, what="alert row")
    assert p.table.model().index(0, 1).data() == "AAPL"
    assert p.table.model().index(0, 3).data() == "190.00"
    assert (tmp_path / "default.alerts.json").exists()
    s.push_quote("AAPL", last=189.0)
    assert p.log_table.model().rowCount() == 0
    s.push_quote("AAPL", last=190.5)
    assert p.log_table.model().rowCount() == 1
    assert "AAPL at 190.50" in p.log_table.model().index(0, 2).data()
    assert tray.messages == [("ibdesk alert: AAPL", "AAPL at 190.50: price above 190.00")]
    assert p.table.model().index(0, 0).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked


def test_dialog_refuses_a_price_alert_without_symbol(qtbot, aloop, tmp_path):
    s, settings, p = _panel(qtbot, tmp_path, tray=Tray())
    dlg = p.add_alert()
    dlg.level.setValue(10.0)
    _ok(dlg)
    assert dlg.isVisible() and "needs a symbol" in dlg.error.text()
    dlg.kind.setCurrentIndex(dlg.kind.findData(AlertKind.CUSHION_BELOW))
    assert not dlg.symbol.isEnabled() and dlg.level.suffix() == " %"
    dlg.level.setValue(15.0)
    _ok(dlg)
    wait_until(aloop, lambda: p.model.alerts.rowCount() == 1, what="cushion alert")
    assert p.model.items()[0].level == 0.15


def test_edit_and_remove_the_selected_alert(qtbot, aloop, tmp_path):
    s, settings, p = _panel(qtbot, tmp_path, tray=Tray())
    a = p.model.add(Alert(AlertKind.PRICE_BELOW, s.contracts["MSFT"], level=300.0))
    p.table.selectRow(0)
    dlg = p.edit_alert()
    assert dlg.symbol.text() == "MSFT" and dlg.level.value() == 300.0
    dlg.level.setValue(280.0)
    dlg.repeat.setChecked(True)
    _ok(dlg)
    wait_until(aloop, lambda: p.model.items()[0].level == 280.0, what="edited")
    assert p.model.items()[0].id == a.id and p.model.items()[0].repeat
    p.table.selectRow(0)
    qtbot.mouseClick(p.remove_button, Qt.MouseButton.LeftButton)
    assert p.model.items() == [] and s.quote_refs == {}


def test_sound_setting_and_fallback_without_tray(qtbot, aloop, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: False))
    beeps = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: beeps.append(1)))
    shown = []
    s, settings, p = _panel(qtbot, tmp_path, fallback=shown.append)
    assert p.notifier.tray is None and not p.sound.isChecked()
    p.sound.setChecked(True)
    assert settings.value(KEY_SOUND) in (True, "true")
    p.model.add(Alert(AlertKind.CONNECTION_LOST))
    s.drop_connection("gateway gone")
    assert shown == ["Alert: Connection lost: gateway gone"] and beeps == [1]


def test_clicking_the_on_check_box_disables_and_enables(qtbot, aloop, tmp_path):
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    s, settings, p = _panel(qtbot, tmp_path, tray=Tray())
    a = p.model.add(Alert(AlertKind.PRICE_ABOVE, s.contracts["AAPL"], level=500.0))
    idx = p.table.model().index(0, 0)
    opt = QStyleOptionViewItem()
    p.table.initViewItemOption(opt)
    opt.rect = p.table.visualRect(idx)
    opt.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = p.table.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, opt, p.table)
    qtbot.mouseClick(p.table.viewport(), Qt.MouseButton.LeftButton, pos=box.center())
    assert not p.model.engine.get(a.id).enabled and s.quote_refs == {}
    qtbot.mouseClick(p.table.viewport(), Qt.MouseButton.LeftButton, pos=box.center())
    assert p.model.engine.get(a.id).enabled and s.quote_refs == {s.contracts["AAPL"].key: 1}


def test_new_alert_starts_at_the_selected_symbol_and_price_with_symbol_search(qtbot, aloop, tmp_path):
    """Add… opens on the symbol selected in the window and its last price (the common case:
    'tell me when this goes above …'), and the symbol field offers IB's matches as you type,
    as the watchlist and the ticket do."""
    from app.ui.symbol_search import SymbolCompleter

    s, settings, p = _panel(qtbot, tmp_path)
    s.push_quote("AAPL", bid=187.2, ask=187.3, last=187.25)
    p.set_instrument(s.contracts["AAPL"])
    qtbot.mouseClick(p.add_button, Qt.MouseButton.LeftButton)
    dlg = p.dialog
    assert (dlg.symbol.text(), dlg.level.value()) == ("AAPL", 187.25)
    assert dlg.symbol.findChild(SymbolCompleter) is not None
    dlg.reject()
    p.set_instrument(None)                       # nothing selected: an empty form
    qtbot.mouseClick(p.add_button, Qt.MouseButton.LeftButton)
    assert (p.dialog.symbol.text(), p.dialog.level.value()) == ("", 0.0)
