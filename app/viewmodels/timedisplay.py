"""The one clock rule of the terminal: every time shown is exchange time with its zone
("09:31:02 ET") or the machine's local time ("15:31:02"), as the trader chose in
View → Times (issue 14 item 6).

:data:`TIME_DISPLAY` is the application's :class:`TimeDisplay`; the blotter, the
executions, the log panel, the journal view and the chart's time axis format through it
and follow its ``changed`` signal, so a new choice applies at once. The choice is kept in
QSettings (per profile) under :data:`KEY_TIME_RULE` (:func:`load_rule`, :func:`save_rule`).
Exchange time is the instrument's exchange zone (IB ``ContractDetails.timeZoneId``,
``Instrument.time_zone``); for a time without an instrument (log lines, journal events)
or an instrument IB named no zone for, the default exchange zone (New York: IB's US
venues, IDEALPRO's trading day).
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

from PySide6.QtCore import QObject, QSettings, Signal

from app.domain.instruments import Instrument
from app.domain.timezones import TimeRule, exchange_zone, zone_label

#: QSettings key of the rule ("exchange" or "local")
KEY_TIME_RULE = "view/times"
#: the rule of a new profile
DEFAULT_RULE = TimeRule.EXCHANGE


class TimeDisplay(QObject):
    """Formats UTC times by the current :class:`~app.domain.timezones.TimeRule`.

    ``changed`` is emitted when the rule changes. ``local_zone`` (a ``tzinfo``, default
    the machine's zone at each call) is injectable for tests.
    """

    changed = Signal()

    def __init__(self, rule: TimeRule = DEFAULT_RULE, parent: QObject | None = None, *,
                 local_zone: tzinfo | None = None):
        super().__init__(parent)
        self._rule = TimeRule(rule)
        self.local_zone = local_zone

    @property
    def rule(self) -> TimeRule:
        return self._rule

    def set_rule(self, rule: TimeRule | str) -> None:
        """Use ``rule`` from now on (``ValueError`` for an unknown one); emits ``changed``."""
        rule = TimeRule(rule)
        if rule is not self._rule:
            self._rule = rule
            self.changed.emit()

    def zone(self, instrument: Instrument | None = None) -> tzinfo:
        """The zone times of ``instrument`` are shown in under the current rule."""
        if self._rule is TimeRule.LOCAL:
            return self.local_zone or datetime.now(timezone.utc).astimezone().tzinfo
        return exchange_zone(instrument.time_zone if instrument is not None else "")

    def label(self, instrument: Instrument | None = None) -> str:
        """"ET" (exchange time) or "local"; for headers and tooltips."""
        if self._rule is TimeRule.LOCAL:
            return "local"
        return zone_label(self.zone(instrument))

    def text(self, t: datetime | None, instrument: Instrument | None = None, *,
             with_date: bool = False, ms: bool = False) -> str:
        """``t`` (UTC; naive = UTC) as "HH:MM:SS" in the rule's zone, with the date
        ("YYYY-MM-DD HH:MM:SS") and milliseconds when asked, and " ET" (the exchange zone's
        label) under the exchange rule; "" for None."""
        if t is None:
            return ""
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        d = t.astimezone(self.zone(instrument))
        s = d.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")
        if ms:
            s += f".{d.microsecond // 1000:03d}"
        return s if self._rule is TimeRule.LOCAL else f"{s} {zone_label(d.tzinfo, d)}"


#: the application's one rule
TIME_DISPLAY = TimeDisplay()


class _TimeFollower(QObject):
    """Child of a table model that re-formats its time columns on ``changed`` (a child
    QObject, so the connection ends with the model)."""

    def __init__(self, model, columns: tuple[str, ...]):
        super().__init__(model)
        self.setObjectName("timeFollower")
        self.columns = columns

    def apply(self) -> None:
        self.parent().retext(self.columns)


def follow_time_rule(model, on: bool = True, columns: tuple[str, ...] = ("time",),
                     display: TimeDisplay | None = None) -> None:
    """Re-format ``model``'s (a ``RecordTableModel``) ``columns`` whenever the rule changes
    (``on``), or stop that (``on`` False; safe when not following)."""
    display = display or TIME_DISPLAY
    follower = model.findChild(_TimeFollower, "timeFollower")
    if on and follower is None:
        follower = _TimeFollower(model, columns)
        display.changed.connect(follower.apply)
    elif not on and follower is not None:
        try:
            display.changed.disconnect(follower.apply)
        except (RuntimeError, TypeError):
            pass
        follower.setParent(None)
        follower.deleteLater()


def load_rule(settings: QSettings, display: TimeDisplay = TIME_DISPLAY) -> TimeRule:
    """Apply the profile's stored rule to ``display`` (an unknown stored value: the default)."""
    try:
        rule = TimeRule(str(settings.value(KEY_TIME_RULE, DEFAULT_RULE.value)))
    except ValueError:
        rule = DEFAULT_RULE
    display.set_rule(rule)
    return rule


def save_rule(settings: QSettings, rule: TimeRule | str, display: TimeDisplay = TIME_DISPLAY) -> None:
    """Use ``rule`` now and keep it in the profile's settings."""
    display.set_rule(rule)
    settings.setValue(KEY_TIME_RULE, TimeRule(rule).value)
