"""The alerts view-model: the alert list, the log of fired alerts, persistence, quotes.

:class:`AlertsModel` owns an :class:`app.domain.alerts.AlertEngine` fed by the Session's
events (``quotesEvent``, ``orderEvent``, ``stateEvent``, ``accountValueEvent``;
``app.broker.events``) and exposes two Qt table models for a widget:

- :attr:`AlertsModel.alerts` (:class:`AlertListModel`): one row per alert (symbol, kind,
  condition, repeat, enabled, last fired); the "On" column is checkable (enable / disable);
- :attr:`AlertsModel.log` (:class:`FiredLogModel`): fired alerts, newest first (time,
  alert, message), at most :data:`LOG_CAPACITY` rows.

It emits ``fired(alert, message)`` per firing (a notifier listens) and ``changed()`` when
the list changes.

Quotes: an alert's instrument is subscribed once per instrument (not per alert) with the
Session's counted quote subscription (``Session.subscribe_quotes``, IB reqMktData): when
the watchlist or the chart already quotes it, the count goes up and IB is asked nothing
more; the alerts' count keeps the quotes coming if the other panel lets go. It is
released when the instrument's last enabled quote alert goes.

Persistence: the alerts (not the log) are a readable JSON file (:func:`alerts_path`:
``<profile>.alerts.json`` beside the profile's ``<profile>.ini``), written after every
change the trader makes and at most once per :data:`SAVE_DELAY_MS` after firings (a
temporary file, then ``os.replace``; :meth:`AlertsModel.close` writes what is pending), private (0600, ``app.privacy``). A damaged
file is renamed ``.bad`` and logged; the list then starts empty.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSettings, Qt, QTimer, Signal

from app.domain import ConnectionState, Instrument
from app.domain.alerts import Alert, AlertEngine, AlertKind, Firing
from app.viewmodels.timedisplay import TIME_DISPLAY, follow_time_rule
from app.viewmodels.table import Column, RecordTableModel

log = logging.getLogger(__name__)

#: fired alerts kept in the log (newest first)
LOG_CAPACITY = 1_000
#: file format version written in the JSON file
FILE_VERSION = 1
#: after a firing (``last_fired``, a one-shot disabled) the file is written this much later
#: (milliseconds), once for all the firings meanwhile; the trader's own changes at once
SAVE_DELAY_MS = 1_000


def alerts_path(settings: QSettings) -> Path:
    """The alerts file of the profile whose settings are ``settings``: ``<name>.alerts.json``
    beside its INI file (``$XDG_CONFIG_HOME/ibdesk/<profile>.alerts.json``)."""
    ini = Path(settings.fileName())
    return ini.with_name(ini.stem + ".alerts.json")


def _level_text(value: Any, a: Alert) -> str:
    k = a.kind
    if not k.has_level:
        return ""
    if k is AlertKind.CUSHION_BELOW:
        return f"{a.level * 100:g} %"
    if k is AlertKind.PCT_MOVE:
        return f"± {a.level:g} %"
    if k is AlertKind.VOLUME_SPIKE:
        return f"{a.level:g}× / {a.window} min"
    if k is AlertKind.VOLUME_ABOVE:
        return f"{a.level:,.0f}"
    return a.level_text()


ALERT_COLUMNS: tuple[Column[Alert], ...] = (
    Column("enabled", "On", lambda a: a.enabled, text=lambda v, a: "", header_tip="Enabled (click to toggle)"),
    Column("symbol", "Symbol", lambda a: a.symbol, text=lambda v, a: v or "—", sample="EUR.USD"),
    Column("kind", "Alert", lambda a: a.kind.label, sample="Margin cushion below"),
    Column("level", "Level", lambda a: a.level, text=_level_text, numeric=True, sample="88,888.88"),
    Column("repeat", "Repeat", lambda a: a.repeat, text=lambda v, a: "Repeat" if v else "Once",
           header_tip="Once: disabled after firing; Repeat: fires again after the condition clears"),
    Column("last_fired", "Last fired", lambda a: a.last_fired,
           text=lambda v, a: TIME_DISPLAY.text(v, a.instrument, with_date=True),
           sample="2026-12-31 88:88:88 ET"),
)

LOG_COLUMNS: tuple[Column[Firing], ...] = (
    Column("time", "Time", lambda f: f.time, text=lambda v, f: TIME_DISPLAY.text(v, f.alert.instrument),
           sample="88:88:88 ET"),
    Column("alert", "Alert", lambda f: f.alert.describe(), sample="AAPL price above 888.88"),
    Column("message", "Message", lambda f: f.message),
)


class AlertListModel(RecordTableModel[Alert]):
    """The alerts, one row each (key: alert id). The "On" column is checkable: checking
    calls ``toggle(alert_id, on)`` (set by :class:`AlertsModel`)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(ALERT_COLUMNS, parent)
        follow_time_rule(self, columns=("last_fired",))     # View → Times, as every panel
        self.toggle = None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:  # noqa: N802 (Qt)
        f = super().flags(index)
        if index.isValid() and index.column() == 0:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.CheckStateRole and index.isValid() and index.column() == 0 \
                and 0 <= index.row() < len(self):
            return Qt.CheckState.Checked if self.record(index.row()).enabled else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid() and 0 <= index.row() < len(self):
            return self.record(index.row()).describe()
        return super().data(index, role)

    def multiData(self, index: QModelIndex | QPersistentModelIndex, roleDataSpan) -> None:  # noqa: N802 (Qt)
        """Every role through :meth:`data` in the "On" column (the base class's fast path
        leaves out ``CheckStateRole``, which no other record table has); the base's elsewhere."""
        if index.column() != 0:
            return super().multiData(index, roleDataSpan)
        for rd in roleDataSpan:
            value = self.data(index, rd.role())
            if value is None:
                rd.clearData()
            else:
                rd.setData(value)

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,  # noqa: N802 (Qt)
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role == Qt.ItemDataRole.CheckStateRole and index.isValid() and index.column() == 0 \
                and self.toggle is not None:
            on = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
            return bool(self.toggle(self.record(index.row()).id, on))
        return super().setData(index, value, role)


class FiredLogModel(RecordTableModel[Firing]):
    """Fired alerts, newest in row 0, at most ``capacity`` (oldest dropped). Row keys are
    sequence numbers (1 = the first firing), so a row is found without an index."""

    def __init__(self, parent: QObject | None = None, *, capacity: int = LOG_CAPACITY):
        super().__init__(LOG_COLUMNS, parent)
        follow_time_rule(self)
        self.capacity = int(capacity)
        self._n = 0

    def row_of(self, key) -> int | None:
        """The row of firing number ``key``, None when it is not (or no longer) shown."""
        row = self._n - int(key)
        return row if 0 <= row < len(self._records) else None

    def record_for(self, key) -> Firing | None:
        row = self.row_of(key)
        return None if row is None else self._records[row]

    def add(self, firing: Firing) -> None:
        """Put ``firing`` on top; drop the oldest row beyond ``capacity``."""
        self._n += 1
        self.dirty.flush_now()
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._keys.insert(0, self._n)
        self._records.insert(0, firing)
        self._values.insert(0, self._raw_values(firing))
        self._texts.insert(0, None)
        self.endInsertRows()
        if len(self._records) > self.capacity:
            last = len(self._records) - 1
            self.beginRemoveRows(QModelIndex(), last, last)
            del self._keys[last], self._records[last], self._values[last], self._texts[last]
            self.endRemoveRows()

    def remove(self, key) -> bool:
        """Not offered: the log only grows (and drops its oldest rows)."""
        raise NotImplementedError("the fired log drops only its oldest rows")


class AlertsModel(QObject):
    """Alerts of one profile on one ``session`` (``app.broker.session.Session`` or a fake).

    ``path`` is the JSON file (None: not persisted); ``clock`` as :class:`AlertEngine`.
    Intents: :meth:`add`, :meth:`edit`, :meth:`remove`, :meth:`set_enabled`,
    :meth:`add_symbol` (resolves text first); :meth:`items` lists the alerts. Signals: ``fired(alert, message)``,
    ``changed()``, ``problem(text)`` (a symbol that could not be resolved, a file that
    could not be written).
    """

    fired = Signal(object, str)
    changed = Signal()
    problem = Signal(str)

    def __init__(self, session, parent: QObject | None = None, *, path: Path | str | None = None,
                 clock=None):
        super().__init__(parent)
        self.session = session
        self.path = Path(path) if path is not None else None
        self.engine = AlertEngine(clock) if clock is not None else AlertEngine()
        self.alerts = AlertListModel(self)
        self.alerts.toggle = self.set_enabled
        self.log = FiredLogModel(self)
        self._quoted: dict[str, Instrument] = {}        # instrument keys this model subscribed
        self._closed = False
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self._save)
        self._load()
        session.quotesEvent += self.on_quotes
        session.orderEvent += self.on_order
        session.stateEvent += self.on_state
        session.accountValueEvent += self.on_account_value
        self._sync_quotes()

    # ---- intents ---------------------------------------------------------------
    def items(self) -> list[Alert]:
        """Every alert, in the order added."""
        return self.engine.alerts()

    def add(self, alert: Alert) -> Alert:
        """Add ``alert`` (``ValueError`` from :meth:`Alert.check`), subscribe its quotes,
        evaluate it on the instrument's latest quote, save."""
        self.engine.put(alert)
        self.alerts.upsert(alert.id, alert)
        self._after_change(alert)
        return alert

    def edit(self, alert: Alert) -> Alert:
        """Replace the alert with ``alert.id`` (re-armed); ``KeyError`` when unknown,
        ``ValueError`` from :meth:`Alert.check`."""
        if self.engine.get(alert.id) is None:
            raise KeyError(alert.id)
        return self.add(alert)

    def remove(self, alert_id: str) -> bool:
        """Remove an alert; False when unknown."""
        if self.engine.remove(alert_id) is None:
            return False
        self.alerts.remove(alert_id)
        self._after_change(None)
        return True

    def set_enabled(self, alert_id: str, on: bool) -> bool:
        """Enable (re-armed) or disable an alert; False when unknown."""
        a = self.engine.get(alert_id)
        if a is None:
            return False
        if a.enabled != bool(on):
            self.add(replace(a, enabled=bool(on)))
        return True

    async def add_symbol(self, text: str, kind: AlertKind, level: float = 0.0, *, window: int = 5,
                         repeat: bool = False, alert_id: str | None = None) -> Alert | None:
        """Resolve ``text`` ("AAPL"; "" = no instrument, for order, connection and cushion
        alerts) with ``Session.resolve`` and add (or, with ``alert_id``, edit) the alert.
        Returns it, or None after emitting ``problem`` (unknown symbol, not connected,
        bad level)."""
        try:
            inst = await self.session.resolve(text.strip()) if text.strip() else None
            old = self.engine.get(alert_id) if alert_id else None
            base = old if old is not None else Alert(kind)
            a = replace(base, kind=kind, instrument=inst, level=float(level), window=int(window),
                        repeat=bool(repeat), enabled=True)
            return self.edit(a) if old is not None else self.add(a)
        except (LookupError, ValueError, ConnectionError) as e:
            self.problem.emit(f"Alert not saved: {e}")
            return None

    def close(self) -> None:
        """Stop listening and release the quote subscriptions (the panel goes away)."""
        if self._closed:
            return
        self._closed = True
        s = self.session
        s.quotesEvent -= self.on_quotes
        s.orderEvent -= self.on_order
        s.stateEvent -= self.on_state
        s.accountValueEvent -= self.on_account_value
        for inst in self._quoted.values():
            s.unsubscribe_quotes(inst)
        self._quoted.clear()
        if self._save_timer.isActive():
            self._save()

    # ---- session events -----------------------------------------------------------
    def on_quotes(self, quotes) -> None:
        """Session ``quotesEvent`` handler."""
        self._publish(self.engine.on_quotes(quotes))

    def on_order(self, order) -> None:
        """Session ``orderEvent`` handler; orders reported before the session is CONNECTED
        (a connect's synchronization) fire nothing (``AlertEngine.on_order`` ``live``)."""
        self._publish(self.engine.on_order(order, self.session.state is ConnectionState.CONNECTED))

    def on_state(self, state, message: str = "") -> None:
        """Session ``stateEvent`` handler."""
        self._publish(self.engine.on_state(state, message))

    def on_account_value(self, value) -> None:
        """Session ``accountValueEvent`` handler."""
        self._publish(self.engine.on_account_value(value))

    # ---- internals ----------------------------------------------------------------
    def _publish(self, firings: list[Firing]) -> None:
        if not firings:
            return
        for f in firings:
            self.alerts.upsert(f.alert.id, f.alert)
            self.log.add(f)
            log.info("alert fired: %s: %s", f.alert.describe(), f.message)
        self._sync_quotes()
        if self.path is not None and not self._save_timer.isActive():
            self._save_timer.start()
        for f in firings:
            self.fired.emit(f.alert, f.message)

    def _after_change(self, alert: Alert | None) -> None:
        self._sync_quotes()
        if alert is not None and alert.enabled and alert.kind.on_quotes:
            q = self.session.quote(alert.key)
            if q is not None:
                self.on_quotes([q])
        self._save()
        self.changed.emit()

    def _sync_quotes(self) -> None:
        """One counted quote subscription per instrument with an enabled quote alert."""
        if self._closed:
            return
        want = {}
        for a in self.engine.alerts():
            if a.enabled and a.kind.on_quotes and a.instrument is not None:
                want.setdefault(a.key, a.instrument)
        for key in [k for k in self._quoted if k not in want]:
            self.session.unsubscribe_quotes(self._quoted.pop(key))
        for key, inst in want.items():
            if key not in self._quoted:
                self._quoted[key] = inst
                self.session.subscribe_quotes(inst)

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            alerts = [Alert.from_dict(d) for d in doc.get("alerts", [])]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            bad = self.path.with_name(self.path.name + ".bad")
            log.warning("alerts file %s unreadable (%s); kept as %s", self.path, e, bad)
            try:
                os.replace(self.path, bad)
            except OSError:
                pass
            return
        for a in alerts:
            try:
                self.engine.put(a)
            except ValueError as e:
                log.warning("alert %s from %s skipped: %s", a.id, self.path, e)
                continue
            self.alerts.upsert(a.id, a)

    def _save(self) -> None:
        self._save_timer.stop()
        if self.path is None:
            return
        from app.privacy import private_dir, private_file

        doc = {"version": FILE_VERSION, "alerts": [a.to_dict() for a in self.engine.alerts()]}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            private_dir(self.path.parent)
            private_file(tmp)
            tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as e:
            log.warning("alerts not saved to %s: %s", self.path, e)
            self.problem.emit(f"Alerts not saved: {e}")


__all__ = ["AlertListModel", "AlertsModel", "FiredLogModel", "LOG_CAPACITY", "alerts_path"]
