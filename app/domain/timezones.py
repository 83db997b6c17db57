"""Time zones of exchanges and the one rule every time shown follows.

IB names an exchange's zone in ``ContractDetails.timeZoneId``: an IANA name ("US/Eastern",
"Europe/London") in current TWS versions, an abbreviation with a description in older
ones ("EST (Eastern Standard Time)"). :func:`exchange_zone` turns either into a
``tzinfo``; :func:`zone_label` gives the short name a trader reads ("ET", "CT",
"London"). :class:`TimeRule` is the setting: exchange time (with the zone shown) or
the machine's local time.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: the zone of IB's US venues and of IDEALPRO's trading day: the default when IB named none
DEFAULT_EXCHANGE_ZONE = "America/New_York"

#: old TWS abbreviations (timeZoneId "EST (Eastern Standard Time)") -> IANA zone with DST
_ABBREVIATIONS = {
    "EST": "America/New_York", "EDT": "America/New_York", "CST": "America/Chicago",
    "CDT": "America/Chicago", "MST": "America/Denver", "PST": "America/Los_Angeles",
    "GMT": "Europe/London", "BST": "Europe/London", "MET": "Europe/Berlin", "CET": "Europe/Berlin",
    "JST": "Asia/Tokyo", "HKT": "Asia/Hong_Kong", "AEST": "Australia/Sydney",
}
#: zones traders name by a US-style short label
_LABELS = {
    "America/New_York": "ET", "US/Eastern": "ET", "EST5EDT": "ET",
    "America/Chicago": "CT", "US/Central": "CT", "CST6CDT": "CT",
    "America/Denver": "MT", "US/Mountain": "MT",
    "America/Los_Angeles": "PT", "US/Pacific": "PT",
    "UTC": "UTC", "Etc/UTC": "UTC", "GMT": "UTC",
}


class TimeRule(StrEnum):
    """How every time in the terminal is shown (one setting, issue 14 item 6)."""

    EXCHANGE = "exchange"   # the instrument's exchange time, with its zone ("09:31:02 ET")
    LOCAL = "local"         # the machine's local time


def exchange_zone(time_zone_id: str | None) -> ZoneInfo:
    """The ``ZoneInfo`` of an IB ``timeZoneId`` ("US/Eastern", "EST (Eastern Standard Time)");
    :data:`DEFAULT_EXCHANGE_ZONE` when it is empty or unknown (never raises)."""
    name = (time_zone_id or "").strip()
    for candidate in (name, _ABBREVIATIONS.get(name.split(" ")[0].upper(), "") if name else ""):
        if candidate:
            try:
                return ZoneInfo(_ABBREVIATIONS.get(candidate, candidate))
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(DEFAULT_EXCHANGE_ZONE)


def zone_label(zone: tzinfo, when: datetime | None = None) -> str:
    """A short name of ``zone``: "ET", "CT", "PT", "UTC" for the zones traders name so,
    else the city of an IANA name ("London", "Tokyo")."""
    key = getattr(zone, "key", "")
    if key in _LABELS:
        return _LABELS[key]
    if key:
        return key.rsplit("/", 1)[-1].replace("_", " ")
    return (when or datetime.now(zone)).strftime("%Z") or "local"
