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


def test_display_timezone_follows_the_one_clock_rule():
    """Exchange time from IB's timeZoneId (FX too: IDEALPRO's day is New York's), or local
    time; a daily bar is a date whatever the rule (issue 14 item 6)."""
    from zoneinfo import ZoneInfo

    from app.domain.timezones import TimeRule
    from app.viewmodels.timedisplay import TimeDisplay

    tokyo = ZoneInfo("Asia/Tokyo")
    shown = TimeDisplay(TimeRule.EXCHANGE, local_zone=tokyo)
    stock = Instrument("AAPL", time_zone="US/Eastern")
    fx = Instrument("EUR", "CASH", "IDEALPRO", "USD", time_zone="US/Eastern")
    london = Instrument("VOD", currency="GBP", time_zone="Europe/London")
    assert display_timezone(stock, 300, shown).key == "US/Eastern"
    assert display_timezone(fx, 3600, shown).key == "US/Eastern"
    assert display_timezone(london, 60, shown).key == "Europe/London"
    assert display_timezone(Instrument("AAPL"), 60, shown).key == "America/New_York"  # IB named none
    assert display_timezone(stock, 86400, shown) is timezone.utc  # a daily bar is a date
    shown.set_rule(TimeRule.LOCAL)
    assert display_timezone(stock, 300, shown) is tokyo and display_timezone(fx, 60, shown) is tokyo
    assert display_timezone(stock, 86400, shown) is timezone.utc


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


def _session_bars(days: int, step: int = 300) -> np.ndarray:
    """5-minute bars 09:30-16:00 New York on consecutive weekdays (nights and weekends missing)."""
    out = []
    for d in pd.bdate_range("2024-01-02", periods=days):
        open_ = pd.Timestamp(d.date().isoformat() + " 09:30", tz=NEW_YORK)
        out.extend(int(open_.timestamp()) + step * i for i in range(78))
    return np.array(out, dtype=np.int64)


def test_calendar_ticks_fall_on_the_first_bar_of_each_period():
    from app.ui.chart.axis import calendar_labels, calendar_ticks
    times = _session_bars(5)
    unit, ticks = calendar_ticks(times, 0, len(times) - 1, 6, NEW_YORK)
    assert unit == ("s", 86400)
    assert ticks == [78, 156, 234, 312]  # the 09:30 bar of each new day, not the night gap
    assert calendar_labels(times[ticks], unit, NEW_YORK) == ["03 Jan", "04 Jan", "05 Jan", "08 Jan"]
    unit, ticks = calendar_ticks(times, 0, 77, 8, NEW_YORK)
    assert unit == ("s", 3600)
    assert [time_labels([int(times[i])], NEW_YORK)[0][:2] for i in ticks] == ["02"] * len(ticks)
    assert calendar_labels(times[ticks], unit, NEW_YORK) == ["10:00", "11:00", "12:00", "13:00", "14:00", "15:00"]
    daily = np.array([int(t.timestamp()) for t in pd.bdate_range("2020-01-01", "2023-12-31", tz="UTC")])
    unit, ticks = calendar_ticks(daily, 0, len(daily) - 1, 10, timezone.utc)
    assert unit == ("M", 6)
    assert calendar_labels(daily[ticks], unit) == ["Jul", "2021", "Jul", "2022", "Jul", "2023", "Jul"]
    unit, ticks = calendar_ticks(daily, 0, len(daily) - 1, 3, timezone.utc)
    assert unit == ("Y", 1) and calendar_labels(daily[ticks], unit) == ["2021", "2022", "2023"]


def test_axis_item_uses_calendar_ticks(qapp):
    axis = TimeAxisItem()
    times = _session_bars(5)
    axis.set_times(times, NEW_YORK)
    (spacing, ticks), = axis.tickValues(-0.5, len(times) - 0.5, 6 * 90)
    assert ticks == [78, 156, 234, 312]
    assert axis.tickStrings(ticks, 1.0, spacing) == ["03 Jan", "04 Jan", "05 Jan", "08 Jan"]
