"""The Alerts panel and the alert notifier: thin views over ``app.viewmodels.alerts``.

- :class:`AlertsPanel`: Add / Edit / Remove buttons over the alert list (the "On" column
  toggles an alert), a "Sound" check box, and the log of fired alerts below (newest on top).
  Double-click a row to edit it.
- :class:`AlertDialog`: symbol, kind, level (a percent for the margin cushion), window
  (minutes, volume spike only), repeat. Non-blocking (``open``, never ``exec``).
- :class:`AlertNotifier`: each ``fired(alert, message)`` becomes a desktop notification
  (``QSystemTrayIcon.showMessage``) when the desktop has a system tray
  (``QSystemTrayIcon.isSystemTrayAvailable()``), else goes to ``fallback(text)`` (the
  lead passes the window's status bar / log); optionally a beep (``QApplication.beep``; off
  by default, the ``alerts/sound`` setting of the profile). PySide6-Essentials has no
  QtMultimedia, so there is no QSoundEffect.

Wiring (the lead's ``app/ui/panels.py``)::

    from app.ui.alerts import make_alerts_panel
    self.alerts = make_alerts_panel(session, settings)            # AlertsPanel
    docks["alerts"] = self.alerts                                 # in Panels.docks()
    # in install_trading(window), once the window exists:
    self.alerts.notifier.fallback = lambda text: (window.status.showMessage(text, 10000),
                                                  window.log.add("WARNING", text))
    # in shutdown(): self.alerts.shutdown()
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
    QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSpinBox, QSplitter,
    QStyle, QSystemTrayIcon, QTableView, QVBoxLayout, QWidget,
)

from app.domain import Instrument
from app.domain.alerts import Alert, AlertKind
from app.settings_values import setting_bool
from app.ui.symbol_search import attach_symbol_search
from app.viewmodels.alerts import AlertsModel, alerts_path

log = logging.getLogger(__name__)

#: QSettings key of the "beep when an alert fires" choice (default off)
KEY_SOUND = "alerts/sound"
#: how long a desktop notification stays (milliseconds; the desktop may shorten it)
NOTIFY_MS = 8000


class AlertNotifier(QObject):
    """Tells the trader that an alert fired. ``tray`` is a ``QSystemTrayIcon`` (or anything
    with ``showMessage(title, text, icon, ms)``); None = make one when the desktop has a tray.
    ``fallback(text)`` receives the text when there is no tray. ``sound`` (bool) beeps.
    ``settings`` (the profile's QSettings) keeps the sound choice under :data:`KEY_SOUND`."""

    def __init__(self, model: AlertsModel, parent: QObject | None = None, *, tray=None,
                 fallback=None, settings: QSettings | None = None):
        super().__init__(parent)
        self.settings = settings
        self.fallback = fallback
        self.sound = setting_bool(settings.value(KEY_SOUND), False) if settings is not None else False
        if tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            app = QApplication.instance()
            icon = app.windowIcon() if app is not None and not app.windowIcon().isNull() else \
                app.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            tray = QSystemTrayIcon(icon, self)
            tray.setToolTip("ibdesk alerts")
            tray.show()
        self.tray = tray
        self.shown: list[str] = []          # what was notified (also the fallback's), for tests
        model.fired.connect(self.notify)

    def set_sound(self, on: bool) -> None:
        """Beep on every alert (``True``) or not; remembered in the profile's settings."""
        self.sound = bool(on)
        if self.settings is not None:
            self.settings.setValue(KEY_SOUND, self.sound)

    def notify(self, alert: Alert, message: str) -> None:
        """Show ``message`` for ``alert`` (tray message, else ``fallback``), then beep if on."""
        title = f"ibdesk alert: {alert.symbol or alert.kind.label}"
        self.shown.append(message)
        if self.tray is not None:
            self.tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, NOTIFY_MS)
        elif self.fallback is not None:
            self.fallback(f"Alert: {message}")
        if self.sound:
            QApplication.beep()


class AlertDialog(QDialog):
    """Add or edit one alert. ``alert`` prefills it (editing). On OK with valid fields emits
    ``submitted(symbol_text, kind, level, window, repeat)`` and closes; otherwise shows the
    reason and stays open. ``level`` is in the alert's unit (the cushion's percent is
    divided by 100 here)."""

    submitted = Signal(str, object, float, int, bool)

    def __init__(self, parent: QWidget | None = None, alert: Alert | None = None):
        super().__init__(parent)
        self.setObjectName("alertDialog")
        self.setWindowTitle("Edit alert" if alert is not None else "New alert")
        self.alert = alert
        self.symbol = QLineEdit(self)
        self.symbol.setObjectName("alertSymbol")
        self.symbol.setPlaceholderText("AAPL (not needed for order, connection, cushion alerts)")
        self.kind = QComboBox(self)
        self.kind.setObjectName("alertKind")
        for k in AlertKind:
            self.kind.addItem(k.label, k.value)
        self.level = QDoubleSpinBox(self)
        self.level.setObjectName("alertLevel")
        self.level.setRange(0.0, 1e12)
        self.level.setDecimals(4)
        self.level.setAccelerated(True)
        self.window_min = QSpinBox(self)
        self.window_min.setObjectName("alertWindow")
        self.window_min.setRange(1, 240)
        self.window_min.setValue(5)
        self.window_min.setSuffix(" min")
        self.repeat = QCheckBox("Repeat (fires again after the condition clears)", self)
        self.repeat.setObjectName("alertRepeat")
        self.error = QLabel("", self)
        self.error.setObjectName("alertError")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        form = QFormLayout(self)
        form.addRow("Symbol", self.symbol)
        form.addRow("Alert", self.kind)
        form.addRow("Level", self.level)
        form.addRow("Window", self.window_min)
        form.addRow(self.repeat)
        form.addRow(self.error)
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        if alert is not None:
            self.symbol.setText(alert.symbol)
            self.kind.setCurrentIndex(list(AlertKind).index(alert.kind))
            self.window_min.setValue(alert.window)
            self.repeat.setChecked(alert.repeat)
        self._kind_changed()
        if alert is not None:
            self.level.setValue(alert.level * 100 if alert.kind is AlertKind.CUSHION_BELOW else alert.level)

    def current_kind(self) -> AlertKind:
        """The kind chosen."""
        return AlertKind(self.kind.currentData())

    def _kind_changed(self) -> None:
        k = self.current_kind()
        self.level.setEnabled(k.has_level)
        self.window_min.setEnabled(k is AlertKind.VOLUME_SPIKE)
        self.symbol.setEnabled(k.on_quotes or k in (AlertKind.ORDER_FILLED, AlertKind.ORDER_REJECTED))
        self.level.setSuffix({AlertKind.CUSHION_BELOW: " %", AlertKind.PCT_MOVE: " %",
                              AlertKind.VOLUME_SPIKE: " ×"}.get(k, ""))
        self.level.setToolTip({
            AlertKind.PRICE_ABOVE: "Price (last, else mid) at or above this", AlertKind.PRICE_BELOW:
            "Price (last, else mid) at or below this", AlertKind.PCT_MOVE: "Percent from the previous close",
            AlertKind.VOLUME_ABOVE: "Day volume in shares", AlertKind.VOLUME_SPIKE:
            "Volume of the window ≥ this multiple of its average", AlertKind.CUSHION_BELOW:
            "Excess liquidity as a percent of net liquidation (IB Cushion)"}.get(k, ""))

    def values(self) -> tuple[str, AlertKind, float, int, bool]:
        """``(symbol_text, kind, level, window, repeat)`` as entered (level in the alert's unit)."""
        k = self.current_kind()
        level = self.level.value() / 100.0 if k is AlertKind.CUSHION_BELOW else self.level.value()
        text = self.symbol.text().strip() if self.symbol.isEnabled() else ""
        return text, k, level, self.window_min.value(), self.repeat.isChecked()

    def _ok(self) -> None:
        text, k, level, window, repeat = self.values()
        try:
            inst = Instrument.parse(text) if text else None
            Alert(k, inst, level=level, window=window, repeat=repeat).check()
        except ValueError as e:
            self.error.setText(str(e))
            return
        self.submitted.emit(text, k, level, window, repeat)
        self.accept()


class AlertsPanel(QWidget):
    """Buttons, alert list and fired log over ``model``; ``notifier`` (an
    :class:`AlertNotifier`, may be None) gets the Sound check box."""

    def __init__(self, model: AlertsModel, notifier: AlertNotifier | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("alerts")
        self.model = model
        self.notifier = notifier
        self.add_button = QPushButton("Add…", self)
        self.add_button.setObjectName("alertAdd")
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.setObjectName("alertEdit")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setObjectName("alertRemove")
        self.sound = QCheckBox("Sound", self)
        self.sound.setObjectName("alertSound")
        self.sound.setToolTip("Beep when an alert fires")
        self.sound.setChecked(bool(notifier and notifier.sound))
        self.sound.setEnabled(notifier is not None)
        self.message = QLabel("", self)
        self.message.setObjectName("alertMessage")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        for w in (self.add_button, self.edit_button, self.remove_button):
            top.addWidget(w)
        top.addWidget(self.message, 1)
        top.addWidget(self.sound)

        self.table = self._table(model.alerts, "alertsTable")
        self.log_table = self._table(model.log, "alertsLog")
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.log_table)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(split, 1)

        self.add_button.clicked.connect(self.add_alert)
        self.edit_button.clicked.connect(self.edit_alert)
        self.remove_button.clicked.connect(self.remove_alert)
        self.table.doubleClicked.connect(lambda _i: self.edit_alert())
        if notifier is not None:
            self.sound.toggled.connect(notifier.set_sound)
        model.problem.connect(self.message.setText)
        self._tasks: set[asyncio.Future] = set()
        self._instrument: Instrument | None = None   # selected in the window (set_instrument)
        self.dialog: AlertDialog | None = None

    def _table(self, model, name: str) -> QTableView:
        t = QTableView(self)
        t.setObjectName(name)
        t.setModel(model)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setWordWrap(False)
        t.verticalHeader().hide()
        header = t.horizontalHeader()
        header.setStretchLastSection(True)
        fm = t.fontMetrics()
        for i, c in enumerate(model.columns):
            header.resizeSection(i, fm.horizontalAdvance(max(c.sample, c.header, key=len)) + 24)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        return t

    def selected(self) -> Alert | None:
        """The alert of the selected row, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.alerts.record(rows[0].row()) if rows else None

    def add_alert(self) -> AlertDialog:
        """Open the New alert dialog (non-blocking); OK adds the alert. Returns the dialog."""
        return self._open(None)

    def edit_alert(self) -> AlertDialog | None:
        """Open the Edit alert dialog on the selected alert (None when none is selected)."""
        a = self.selected()
        return self._open(a) if a is not None else None

    def remove_alert(self) -> bool:
        """Remove the selected alert; False when none is selected."""
        a = self.selected()
        return a is not None and self.model.remove(a.id)

    def set_instrument(self, instrument: Instrument | None) -> None:
        """The instrument selected in the window (an ``app.domain.Instrument`` or None): a new
        alert starts on its symbol and its last price (instrument currency)."""
        self._instrument = instrument

    def _prefill(self, dlg: AlertDialog) -> None:
        inst = self._instrument
        if inst is None:
            return
        dlg.symbol.setText(inst.display_symbol)
        q = self.model.session.quote(inst.key)
        price = None if q is None else next((v for v in (q.last, q.bid, q.ask) if v), None)
        if price:
            dlg.level.setValue(float(price))

    def _open(self, alert: Alert | None) -> AlertDialog:
        dlg = AlertDialog(self, alert)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        attach_symbol_search(dlg.symbol, self.model.session)    # IB's matches as you type
        if alert is None:
            self._prefill(dlg)
        alert_id = alert.id if alert is not None else None

        def submit(text, kind, level, window, repeat):
            self.message.setText("")
            task = asyncio.ensure_future(self.model.add_symbol(text, kind, level, window=window,
                                                               repeat=repeat, alert_id=alert_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        dlg.submitted.connect(submit)
        dlg.open()
        self.dialog = dlg
        return dlg

    def shutdown(self) -> None:
        """Release the model's subscriptions (the panel goes away for good)."""
        for t in list(self._tasks):
            t.cancel()
        self.model.close()


def make_alerts_panel(session, settings: QSettings | None, parent: QWidget | None = None, *,
                      tray=None, fallback=None) -> AlertsPanel:
    """An :class:`AlertsPanel` over a new :class:`AlertsModel` of ``session``, persisted in the
    profile's alerts file (:func:`~app.viewmodels.alerts.alerts_path` of ``settings``; None =
    not persisted), with an :class:`AlertNotifier` (``tray`` / ``fallback`` as there).
    The panel's ``model`` and ``notifier`` are attributes."""
    model = AlertsModel(session, path=alerts_path(settings) if settings is not None else None)
    notifier = AlertNotifier(model, tray=tray, fallback=fallback, settings=settings)
    panel = AlertsPanel(model, notifier, parent)
    model.setParent(panel)
    notifier.setParent(panel)
    return panel
