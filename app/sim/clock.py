"""The simulated gateway's clock: wall time, or a replay that starts at a chosen instant and
may run faster than the wall clock (``--speed``).

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
    10:00 New York on the latest trading day before ``now`` (weekends and NYSE holidays skipped).
    """
    if is_open("STK", now, rth=True):
        return None
    d = datetime.fromtimestamp(now, NY)
    for back in range(0, 15):
        day = (d - timedelta(days=back)).date()
        if day.weekday() >= 5:
            continue
        t = datetime(day.year, day.month, day.day, REPLAY_START_HOUR, tzinfo=NY).timestamp()
        if t <= now and is_open("STK", t, rth=True):  # skips exchange holidays too
            return t
    raise AssertionError("no trading day in the last 15 days")  # pragma: no cover


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


def make_clock(start_time: float | None, speed: float = 1.0) -> Callable[[], float] | None:
    """A clock returning simulated POSIX seconds (UTC).

    It starts at ``start_time`` (None = the wall clock now) and runs ``speed`` times as
    fast as the wall clock (``--speed 60``: an hour of market time per wall minute).
    Returns None (meaning: use ``time.time``) when ``start_time`` is None and ``speed``
    is 1. Raises ``ValueError`` for a speed that is not a finite number > 0.
    """
    speed = check_speed(speed)
    if start_time is None and speed == 1.0:
        return None
    wall0 = time.time()
    start = wall0 if start_time is None else float(start_time)
    mono0 = time.monotonic()
    return lambda: start + (time.monotonic() - mono0) * speed


#: Largest accepted ``--speed`` (a week of market time per wall minute).
MAX_SPEED = 10_080.0


def check_speed(speed: float) -> float:
    """``speed`` as a float; ``ValueError`` unless 0 < speed <= MAX_SPEED (finite)."""
    try:
        value = float(speed)
    except (TypeError, ValueError):
        raise ValueError(f"speed must be a number, got {speed!r}") from None
    if not (0.0 < value <= MAX_SPEED):   # also rejects NaN
        raise ValueError(f"speed must be > 0 and <= {MAX_SPEED:g}, got {speed!r}")
    return value
