"""The simulated gateway serves every IB bar size at the chart's duration and refuses the
(bar size, duration) pairs TWS refuses, with TWS's codes and texts (issue 14 item 18)."""

from __future__ import annotations

from collections import Counter

import pytest

from app.domain.bars import BAR_SIZES, duration_problem
from app.sim.types import SimError
from tests.unit.sim.helpers import AAPL, EURUSD, make

IB_BAR_SIZES = ["1 secs", "5 secs", "10 secs", "15 secs", "30 secs", "1 min", "2 mins", "3 mins", "5 mins",
                "10 mins", "15 mins", "20 mins", "30 mins", "1 hour", "2 hours", "3 hours", "4 hours",
                "8 hours", "1 day", "1 week", "1 month"]


def test_the_app_offers_ibs_whole_list_in_order():
    assert list(BAR_SIZES) == IB_BAR_SIZES
    seconds = [s for s, _d in BAR_SIZES.values()]
    assert seconds == sorted(seconds)


@pytest.mark.parametrize("bar_size", IB_BAR_SIZES)
def test_every_bar_size_is_served_at_the_charts_duration(bar_size):
    ex, _ = make()
    secs, duration = BAR_SIZES[bar_size]
    assert duration_problem(bar_size, duration) is None
    for con_id, what in ((AAPL, "TRADES"), (EURUSD, "MIDPOINT")):
        bars = ex.history(con_id, end=None, duration=duration, bar_size=bar_size, what_to_show=what)
        assert len(bars) >= 2, (bar_size, what)
        t = [b.time for b in bars]
        assert t == sorted(t) and len(set(t)) == len(t)
        if secs < 86400:  # on the bar grid (a session's first bar may be short)
            gaps = Counter(int(b - a) for a, b in zip(t, t[1:]))
            assert gaps.most_common(1)[0][0] == secs, (bar_size, what, gaps.most_common(3))


@pytest.mark.parametrize("bar_size,duration,code,text", [
    ("1 secs", "1 D", 162, "Historical Market Data Service error message:invalid step: 1"),
    ("5 secs", "3601 S", 162, "Historical Market Data Service error message:invalid step: 5"),
    ("30 secs", "1 W", 162, "Historical Market Data Service error message:invalid step: 30"),
    ("1 day", "400 D", 321, "Historical data requests for durations longer than 365 days must be made in years."),
    ("1 min", "90000 S", 321, "cannot be greater than 86400 seconds"),
    ("7 mins", "1 D", 321, "Historical data bar size setting is invalid. Legal ones are: 1 secs, 5 secs"),
    ("1 sec", "60 S", 321, "Legal ones are:"),
])
def test_refused_as_tws_refuses(bar_size, duration, code, text):
    ex, _ = make()
    with pytest.raises(SimError) as e:
        ex.history(AAPL, end=None, duration=duration, bar_size=bar_size)
    assert e.value.code == code and text in e.value.text


def test_the_longest_allowed_seconds_durations_pass():
    ex, _ = make()
    for bar_size, duration in (("1 secs", "1800 S"), ("10 secs", "14400 S"), ("30 secs", "28800 S"),
                               ("1 day", "365 D"), ("1 min", "86400 S")):
        assert duration_problem(bar_size, duration) is None
        assert ex.history(AAPL, end=None, duration=duration, bar_size=bar_size)


def test_midpoint_live_bar_has_no_volume_like_its_history():
    """FX MIDPOINT: IB sends no volume (-1) in the history; the live bar (keepUpToDate) must not
    carry the trades' volume either (issue 14 item 11: it grew to 6M and flattened the pane)."""
    ex, _ = make()
    hist = ex.history(EURUSD, end=None, duration="1 D", bar_size="1 min", what_to_show="MIDPOINT")
    live = ex.live_bar(EURUSD, "1 min", "MIDPOINT")
    assert all(b.volume == -1 for b in hist)
    assert live.volume == -1 and live.time == hist[-1].time and live.close == hist[-1].close
    assert ex.live_bar(AAPL, "1 min").volume > 0  # TRADES keep their volume
