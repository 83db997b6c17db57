"""Historical and live bars.

A table of bars is a pandas ``DataFrame`` with ``BAR_COLUMNS``: ``time`` (UTC,
tz-aware, bar start), ``open``, ``high``, ``low``, ``close`` (instrument
currency) and ``volume`` (shares; FX: 0 or -1 where IB sends none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

BAR_COLUMNS = ("time", "open", "high", "low", "close", "volume")

#: bar size (IB ``barSizeSetting`` string) -> (seconds, the chart's default duration string).
#: IB's complete list ("Historical Bar Data" page of the TWS API docs; TWS error 321 "Historical
#: data bar size setting is invalid. Legal ones are: 1 secs, 5 secs, ..., 1 day, 1W, 1M").
#: Durations follow IB's "Historical Data Limitations" step-size table: bars under a minute at
#: most the table's longest duration for them (TWS refuses more: 162 "invalid step"); for 1 min
#: and longer IB lifted the step limits (note 1 of that page), the duration asks for about one
#: to three thousand bars and older bars are loaded on demand. A month bar is 30 days here only
#: to order the list; IB's monthly bars follow the calendar.
BAR_SIZES: dict[str, tuple[int, str]] = {
    "1 secs": (1, "1800 S"),
    "5 secs": (5, "3600 S"),
    "10 secs": (10, "14400 S"),
    "15 secs": (15, "14400 S"),
    "30 secs": (30, "28800 S"),
    "1 min": (60, "2 D"),
    "2 mins": (120, "3 D"),
    "3 mins": (180, "5 D"),
    "5 mins": (300, "10 D"),
    "10 mins": (600, "10 D"),
    "15 mins": (900, "20 D"),
    "20 mins": (1200, "20 D"),
    "30 mins": (1800, "30 D"),
    "1 hour": (3600, "30 D"),
    "2 hours": (7200, "60 D"),
    "3 hours": (10800, "90 D"),
    "4 hours": (14400, "120 D"),
    "8 hours": (28800, "180 D"),
    "1 day": (86400, "2 Y"),
    "1 week": (7 * 86400, "3 Y"),
    "1 month": (30 * 86400, "5 Y"),
}

#: IB's step-size table ("Historical Data Limitations"): the longest duration in seconds (unit
#: ``S`` only) TWS accepts for each bar size under a minute; longer: error 162 "Historical Market
#: Data Service error message:invalid step: <bar seconds>".
MAX_SECONDS_DURATION: dict[int, int] = {1: 1800, 5: 3600, 10: 14400, 15: 14400, 30: 28800}
#: the smallest bar size (seconds) IB keeps up to date (reqHistoricalData ``keepUpToDate``:
#: "bar sizes of 5 seconds or greater"); "1 secs" with keepUpToDate is error 321
MIN_KEEP_UP_TO_DATE_SECONDS = 5
#: a ``D`` duration may be at most this many days (TWS 321 "Historical data requests for
#: durations longer than 365 days must be made in years.")
MAX_DAYS_DURATION = 365
#: an ``S`` duration may be at most one day of seconds (TWS 321 beyond 86400 seconds)
MAX_S_DURATION = 86400

_DURATION_UNITS = ("S", "D", "W", "M", "Y")


def bar_size_seconds(bar_size: str) -> int:
    """Seconds per bar for an IB bar size string; raises ``KeyError`` if unsupported."""
    return BAR_SIZES[bar_size][0]


def what_to_show(sec_type: str) -> str:
    """The reqHistoricalData ``whatToShow`` the app charts for a security type: "MIDPOINT" for
    FX ("CASH": IB has no TRADES history for it, and MIDPOINT bars carry no volume), else
    "TRADES"."""
    return "MIDPOINT" if sec_type == "CASH" else "TRADES"


def has_volume(what: str) -> bool:
    """True when bars of ``whatToShow`` ``what`` carry a volume (TRADES, ADJUSTED_LAST); IB
    sends -1 for MIDPOINT, BID, ASK and BID_ASK bars."""
    return what in ("TRADES", "ADJUSTED_LAST")


def keeps_up_to_date(bar_size: str) -> bool:
    """True when IB keeps bars of ``bar_size`` up to date (reqHistoricalData keepUpToDate:
    5 secs and longer); ``KeyError`` for an unknown bar size."""
    return bar_size_seconds(bar_size) >= MIN_KEEP_UP_TO_DATE_SECONDS


def parse_duration(duration: str) -> tuple[int, str]:
    """IB ``durationStr`` "<n> S|D|W|M|Y" -> ``(n, unit)``; ``ValueError`` for anything else."""
    parts = (duration or "").split()
    if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) <= 0 or parts[1] not in _DURATION_UNITS:
        raise ValueError(f"bad duration {duration!r}: write '<count> S|D|W|M|Y', e.g. '2 D'")
    return int(parts[0]), parts[1]


def duration_problem(bar_size: str, duration: str) -> tuple[int, str] | None:
    """Why TWS refuses reqHistoricalData of ``bar_size`` bars over ``duration``, or None.

    Returns ``(IB error code, text)`` as TWS answers (see :data:`MAX_SECONDS_DURATION`,
    :data:`MAX_DAYS_DURATION`, :data:`MAX_S_DURATION`). Raises ``ValueError`` for a
    malformed duration and ``KeyError`` for an unknown bar size.
    Source: IB TWS API docs "Historical Data Limitations" (step sizes).
    """
    secs = bar_size_seconds(bar_size)
    n, unit = parse_duration(duration)
    if unit == "D" and n > MAX_DAYS_DURATION:
        return 321, ("Error validating request.-'bH' : cause - Historical data requests for durations "
                     "longer than 365 days must be made in years.")
    if unit == "S" and n > MAX_S_DURATION:
        return 321, ("Error validating request.-'bH' : cause - Historical data requests for durations "
                     "in seconds cannot be greater than 86400 seconds.")
    limit = MAX_SECONDS_DURATION.get(secs)
    if limit is not None and (unit != "S" or n > limit):
        return 162, f"Historical Market Data Service error message:invalid step: {secs}"
    return None


def empty_bars() -> pd.DataFrame:
    """An empty bar table with the right columns and dtypes."""
    return pd.DataFrame({
        "time": pd.Series([], dtype="datetime64[ns, UTC]"),
        **{c: pd.Series([], dtype="float64") for c in BAR_COLUMNS[1:]},
    })


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: ``time`` is the UTC bar start; prices in instrument currency."""

    time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
