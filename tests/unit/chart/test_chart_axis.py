"""Time-axis labels and time zones (app.ui.chart.axis)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd

from app.domain import Instrument
from app.ui.chart.axis import NEW_YORK, TimeAxisItem, display_timezone, format_bar_time, time_labels


def _epoch(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").timestamp())


def test_intraday_labels_are_new_york_hh_mm_and_mark_a_new_day():
    # 14:30 UTC = 09:30 New York (EST, January)
    ticks = [_epoch("2024-01-05 14:30"), _epoch("2024-01-05 15:00"), _epoch("2024-01-05 15:30"),
             _epoch("2024-01-08 14:30")]
    assert time_labels(ticks, NEW_YORK) == ["09:30", "10:00", "10:30", "08 Jan"]
    # in summer New York is UTC-4
    assert time_labels([_epoch("2024-07-01 13:30"), _epoch("2024-07-01 14:00")], NEW_YORK) == ["09:30", "10:00"]


def test_daily_monthly_yearly_labels():
    days = [_epoch(d) for d in ("2024-03-04", "2024-03-11", "2024-03-18")]
    assert time_labels(days) == ["04 Mar", "11 Mar", "18 Mar"]
    months = [_epoch(d) for d in ("2024-01-02", "2024-03-01", "2024-05-01")]
    assert time_labels(months) == ["Jan 2024", "Mar 2024", "May 2024"]
    years = [_epoch(d) for d in ("2006-01-03", "2008-01-02", "2010-01-04")]
    assert time_labels(years) == ["2006", "2008", "2010"]
    assert time_labels([days[0]]) == ["04 Mar 2024"]
    assert time_labels([]) == []


def test_display_timezone_rules():
    stock, fx = Instrument("AAPL"), Instrument("EUR", "CASH", "IDEALPRO", "USD")
    assert display_timezone(stock, 300) is NEW_YORK
    assert display_timezone(stock, 86400) is timezone.utc  # a daily bar is a date
    assert display_timezone(fx, 3600) is timezone.utc
    assert display_timezone(None, 60) is timezone.utc


def test_format_bar_time():
    assert format_bar_time(_epoch("2024-01-05 14:30"), NEW_YORK, True) == "2024-01-05 09:30 EST"
    assert format_bar_time(_epoch("2024-01-05"), timezone.utc, False) == "2024-01-05"


def test_axis_item_labels_bar_indices(qapp):
    axis = TimeAxisItem()
    times = np.array([_epoch("2024-01-05 14:30") + 300 * i for i in range(100)], dtype=np.int64)
    axis.set_times(times, NEW_YORK)
    assert axis.tickStrings([0, 6, 12, 500, -3], 1.0, 6) == ["09:30", "10:00", "10:30", "", ""]
    levels = axis.tickValues(-10.0, 150.0, 800)
    assert levels, "expected at least one tick level"
    for spacing, values in levels:
        assert spacing >= 1
        assert all(isinstance(v, int) and 0 <= v < 100 for v in values)
    assert datetime.fromtimestamp(int(times[0]), NEW_YORK).hour == 9


def test_volume_axis_text():
    from app.ui.chart.volume import volume_text
    assert [volume_text(v) for v in (950, 12_500, 3_000_000, 1.2e9, 0)] == ["950", "12.5K", "3M", "1.2B", "0"]
