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

#: bar size (IB ``barSizeSetting`` string) -> (seconds, default duration string)
BAR_SIZES: dict[str, tuple[int, str]] = {
    "5 secs": (5, "3600 S"),
    "1 min": (60, "2 D"),
    "5 mins": (300, "10 D"),
    "15 mins": (900, "20 D"),
    "1 hour": (3600, "30 D"),
    "1 day": (86400, "2 Y"),
}


def bar_size_seconds(bar_size: str) -> int:
    """Seconds per bar for an IB bar size string; raises ``KeyError`` if unsupported."""
    return BAR_SIZES[bar_size][0]


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
