"""The simulated gateway's clock: wall time, or a replay that starts at a chosen instant.

A demo started at night or on a weekend would show a closed US stock market (no
ticks, market orders waiting for the open, as IB does). ``--start-time market``
instead runs the simulation from the most recent regular-session morning, at
wall-clock speed, so the demo trades whenever it is started; the simulated time
is what reqCurrentTime, bar times and execution times report.

Times are POSIX seconds (UTC); sessions are New York time (``app.sim.instruments``).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Callable

from app.sim.instruments import NY, is_open

#: Where a ``market`` replay starts within the regular session (New York time).
REPLAY_START_HOUR = 10


def market_start_time(now: float) -> float | None:
    """None when US stocks trade in regular hours at ``now``; otherwise the POSIX time of
    10:00 New York on the latest weekday before ``now`` (exchange holidays are not modelled).
    """
    if is_open("STK", now, rth=True):
        return None
    d = datetime.fromtimestamp(now, NY)
    for back in range(0, 8):
        day = (d - timedelta(days=back)).date()
        if day.weekday() >= 5:
            continue
        t = datetime(day.year, day.month, day.day, REPLAY_START_HOUR, tzinfo=NY).timestamp()
        if t <= now:
            return t
    raise AssertionError("no weekday in the last 8 days")  # pragma: no cover


def parse_start_time(text: str, now: float | None = None) -> float | None:
    """``now`` -> None (wall clock); ``market`` -> :func:`market_start_time`; an ISO 8601
    date-time with an offset (``2026-11-18T11:00-05:00``) or POSIX seconds -> that instant.

    Raises ``ValueError`` with the accepted forms for anything else (also for an ISO
    time without an offset, which would be ambiguous).
    """
    now = time.time() if now is None else now
    t = text.strip().lower()
    if t in ("", "now", "wall"):
        return None
    if t == "market":
        return market_start_time(now)
    try:
        return float(t)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"invalid start time {text!r}: use 'now', 'market', POSIX seconds "
                         "or an ISO date-time with offset like 2026-11-18T11:00-05:00") from None
    if dt.tzinfo is None:
        raise ValueError(f"start time {text!r} has no UTC offset (e.g. add -05:00 or Z)")
    return dt.timestamp()


def make_clock(start_time: float | None) -> Callable[[], float] | None:
    """A clock running at wall speed from ``start_time``; None (wall clock) when it is None."""
    if start_time is None:
        return None
    wall0 = time.time()
    return lambda: start_time + (time.time() - wall0)
