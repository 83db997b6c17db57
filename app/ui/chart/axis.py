"""Time axis of the chart: x = bar index, labels = the bars' real times.

The chart's x axis is the bar index (0 = oldest), so nights, weekends and
holidays take no room. :class:`TimeAxisItem` maps the index ticks back to the
bars' start times and formats them for the zoom level (:func:`time_labels`):
"HH:MM" between intraday ticks (a tick on a new day shows "DD Mon"), "DD Mon"
for ticks days apart, "Mon YYYY" for ticks months apart, "YYYY" beyond.

Time zone (see :func:`display_timezone`): intraday bars of stocks are shown in
exchange time, America/New_York (IB's US stock venues); FX (CASH) intraday bars
in UTC. Daily and longer bars carry a trading date, not an instant (IB sends
"yyyyMMdd"; the session stores midnight UTC), so their labels are the UTC
date, never shifted by a time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg

from app.domain.instruments import Instrument

NEW_YORK = ZoneInfo("America/New_York")
DAY = 86400


def display_timezone(instrument: Instrument | None, bar_seconds: int) -> tzinfo:
    """Time zone of the labels: America/New_York for stock intraday bars, else UTC.

    Daily bars (``bar_seconds >= 86400``) always use UTC (their time is a date).
    """
    if bar_seconds >= DAY or instrument is None or instrument.sec_type != "STK":
        return timezone.utc
    return NEW_YORK


def _level(spacing_seconds: float) -> str:
    if spacing_seconds < 0.9 * DAY:
        return "minute"
    if spacing_seconds < 25 * DAY:
        return "day"
    if spacing_seconds < 300 * DAY:
        return "month"
    return "year"


def time_labels(times: Sequence[int], tz: tzinfo = timezone.utc) -> list[str]:
    """Labels for tick times ``times`` (epoch seconds UTC, ascending) shown in ``tz``.

    The format follows the median spacing of the ticks: < 1 day "HH:MM" (the
    first tick of a new calendar day shows "DD Mon" instead), < 25 days
    "DD Mon", < 300 days "Mon YYYY", else "YYYY". One tick alone is labelled
    "DD Mon YYYY". Returns one label per time.
    """
    if len(times) == 0:
        return []
    dts = [datetime.fromtimestamp(int(t), tz) for t in times]
    if len(dts) == 1:
        return [dts[0].strftime("%d %b %Y")]
    spacing = float(np.median(np.diff(np.asarray(times, dtype=np.float64))))
    level = _level(abs(spacing))
    if level == "minute":
        out = []
        prev = None
        for d in dts:
            out.append(d.strftime("%d %b") if prev is not None and d.date() != prev.date() else d.strftime("%H:%M"))
            prev = d
        return out
    fmt = {"day": "%d %b", "month": "%b %Y", "year": "%Y"}[level]
    return [d.strftime(fmt) for d in dts]


def format_bar_time(t: int, tz: tzinfo, intraday: bool) -> str:
    """Full time of one bar for the crosshair readout: "2024-01-05 09:30 EST" or "2024-01-05"."""
    d = datetime.fromtimestamp(int(t), tz)
    return d.strftime("%Y-%m-%d %H:%M %Z") if intraday else d.strftime("%Y-%m-%d")


class TimeAxisItem(pg.AxisItem):
    """Bottom axis labelling integer bar indices with the bars' times (module docstring).

    Call :meth:`set_times` with the epoch-seconds array (UTC) and the display
    time zone whenever the bars change; ticks fall only on existing bars.
    """

    def __init__(self, orientation: str = "bottom", **kwargs):
        super().__init__(orientation, **kwargs)
        self._times = np.empty(0, dtype=np.int64)
        self._tz: tzinfo = timezone.utc

    def set_times(self, times: np.ndarray, tz: tzinfo) -> None:
        """Bar start times (int64 epoch seconds UTC, index = bar index) and the label time zone."""
        self._times = times
        self._tz = tz
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (Qt/pyqtgraph name)
        """pyqtgraph's tick levels reduced to whole bar indices of existing bars."""
        n = len(self._times)
        levels = super().tickValues(minVal, maxVal, size)
        out = []
        for spacing, values in levels:
            if spacing < 1:
                continue  # never label between two bars
            vals = [v for v in (round(x) for x in values) if 0 <= v < n]
            if vals:
                out.append((spacing, sorted(set(vals))))
        return out

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        """Labels of bar indices ``values`` (:func:`time_labels`); "" outside the bars."""
        n = len(self._times)
        idx = [int(round(v)) for v in values]
        valid = [i for i in idx if 0 <= i < n]
        labels = dict(zip(valid, time_labels([int(self._times[i]) for i in valid], self._tz)))
        return [labels.get(i, "") for i in idx]
