"""Time axis of the chart: x = bar index, labels = the bars' real times.

The chart's x axis is the bar index (0 = oldest), so nights, weekends and
holidays take no room. :class:`TimeAxisItem` maps the index ticks back to the
bars' start times and formats them for the zoom level (:func:`time_labels`):
"HH:MM" between intraday ticks (a tick on a new day shows "DD Mon"), "DD Mon"
for ticks days apart, "Mon YYYY" for ticks months apart, "YYYY" beyond.

Time zone (see :func:`display_timezone`): intraday bars follow the terminal's one
clock rule (View → Times, :data:`~app.viewmodels.timedisplay.TIME_DISPLAY`): the
instrument's exchange time (IB ``ContractDetails.timeZoneId``, e.g. US/Eastern for US
stocks and IDEALPRO) or the machine's local time. Daily and longer bars carry a
trading date, not an instant (IB sends "yyyyMMdd"; the session stores midnight UTC),
so their labels are the UTC date, never shifted by a time zone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyqtgraph as pg

from app.domain.instruments import Instrument
from app.viewmodels.timedisplay import TIME_DISPLAY, TimeDisplay

NEW_YORK = ZoneInfo("America/New_York")  # US stock venues (tests, labels)
DAY = 86400


def display_timezone(instrument: Instrument | None, bar_seconds: int,
                     display: TimeDisplay = TIME_DISPLAY) -> tzinfo:
    """Time zone of the labels: ``display``'s zone for ``instrument`` (its exchange zone, or
    local time, as chosen in View → Times) for intraday bars.

    Daily bars (``bar_seconds >= 86400``) always use UTC (their time is a date).
    """
    if bar_seconds >= DAY:
        return timezone.utc
    return display.zone(instrument)


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


#: calendar tick units, finest first: ("s", seconds) of local wall-clock time, ("M", months), ("Y", years)
CALENDAR_UNITS = (("s", 60), ("s", 300), ("s", 900), ("s", 1800), ("s", 3600), ("s", 7200), ("s", 14400),
                  ("s", DAY), ("M", 1), ("M", 3), ("M", 6), ("Y", 1), ("Y", 2), ("Y", 5), ("Y", 10), ("Y", 25))
#: minimum room in pixels per time label
LABEL_PX = 90


def calendar_ticks(times: np.ndarray, i0: int, i1: int, max_ticks: int, tz: tzinfo,
                   stride: int = 1) -> tuple[tuple[str, int] | None, list[int]]:
    """Bar indices in ``i0..i1`` where a calendar period of the coarsest-enough unit starts.

    ``times`` are bar start times (int64 epoch seconds UTC). The unit is the
    finest of :data:`CALENDAR_UNITS` (local ``tz`` wall clock: 1/5/15/30 min,
    1/2/4 h, day, 1/3/6 months, 1/2/5/10/25 years) giving at most
    ``max_ticks`` ticks; a tick is the first bar of a new period, so gaps
    (nights, weekends) never get a label of their own. ``stride`` samples
    every ``stride``-th bar (a tick is then within ``stride`` bars of the
    boundary: pass about the bars per pixel). Returns ``(unit, indices)``;
    ``(None, [])`` for an empty range.
    """
    if i1 < i0 or len(times) == 0:
        return None, []
    idx = np.arange(i0, i1 + 1, max(1, int(stride)))
    local = pd.to_datetime(times[idx], unit="s", utc=True).tz_convert(tz).tz_localize(None)
    ns = local.as_unit("ns").asi8
    secs = ns // 1_000_000_000
    months = ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    years = ns.astype("datetime64[ns]").astype("datetime64[Y]").astype(np.int64)
    best = None
    for unit in CALENDAR_UNITS:
        kind, k = unit
        key = secs // k if kind == "s" else (months // k if kind == "M" else years // k)
        starts = idx[1:][key[1:] != key[:-1]]
        if len(starts) <= max(1, max_ticks):
            return unit, [int(i) for i in starts]
        best = (unit, starts)
    unit, starts = best
    return unit, [int(i) for i in starts[:: max(1, len(starts) // max(1, max_ticks))]]


def calendar_labels(times: Sequence[int], unit: tuple[str, int], tz: tzinfo = timezone.utc) -> list[str]:
    """Labels of calendar ticks (:func:`calendar_ticks`) for ``unit``.

    Intraday units: "HH:MM", or "DD Mon" on the first tick of a new day;
    day: "DD Mon", or "Mon YYYY" on a new month... shown as "DD Mon" unless the
    year changes ("YYYY"); months: "Mon", "YYYY" on a new year; years: "YYYY".
    """
    dts = [datetime.fromtimestamp(int(t), tz) for t in times]
    kind, k = unit
    out, prev = [], None
    for d in dts:
        if kind == "s" and k < DAY:
            new_day = prev is not None and d.date() != prev.date()
            out.append(d.strftime("%d %b") if new_day else d.strftime("%H:%M"))
        elif kind == "s":
            out.append(d.strftime("%Y") if prev is not None and d.year != prev.year else d.strftime("%d %b"))
        elif kind == "M":
            out.append(d.strftime("%Y") if prev is not None and d.year != prev.year else d.strftime("%b"))
        else:
            out.append(d.strftime("%Y"))
        prev = d
    return out


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
        """Ticks on calendar boundaries (:func:`calendar_ticks`): first bars of new periods.

        Falls back to pyqtgraph's numeric levels on whole bar indices when the
        calendar gives no tick (e.g. a few bars of one period).
        """
        n = len(self._times)
        self._calendar = None
        if n and size > 0 and maxVal > minVal:
            i0, i1 = max(0, math.ceil(minVal)), min(n - 1, math.floor(maxVal))
            stride = max(1, int((maxVal - minVal) / size))
            unit, ticks = calendar_ticks(self._times, i0, i1, int(size // LABEL_PX), self._tz, stride)
            if len(ticks) >= 2:
                self._calendar = (unit, ticks)
                spacing = max(1.0, float(np.median(np.diff(ticks))))
                return [(spacing, ticks)]
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
        cal = getattr(self, "_calendar", None)
        if cal is not None and idx == cal[1]:
            return calendar_labels([int(self._times[i]) for i in idx], cal[0], self._tz)
        valid = [i for i in idx if 0 <= i < n]
        labels = dict(zip(valid, time_labels([int(self._times[i]) for i in valid], self._tz)))
        return [labels.get(i, "") for i in idx]


class PriceAxisItem(pg.AxisItem):
    """Price axis (right side of the price pane): pyqtgraph's numeric ticks, two levels only.

    pyqtgraph's third, densest level of horizontal grid lines cost about
    half of a frame's paint time (10k bars, 1200x700: 20 ms -> 10 ms a frame
    with two levels; tests/benchmarks/bench_chart.py). Prices in instrument
    currency; no SI prefix (a price of 1500 stays "1500", not "1.5 k").
    """

    def __init__(self, orientation: str = "right", **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self.setStyle(maxTickLevel=1)
