"""Completed bars out of a keepUpToDate subscription.

IB's ``reqHistoricalData`` with ``keepUpToDate`` (``Session.history`` + ``barEvent(sub_id, bar,
new_bar)``) sends the *forming* bar again and again as it changes; the history it returns first
ends with that forming bar too. A bar is complete when the next one starts: :class:`BarCompleter`
keeps the forming bar and hands back the bars that became complete. Pure Python, no Qt.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd

from app.domain.bars import Bar


def bar_time_utc(t) -> datetime:
    """A bar time as a tz-aware UTC ``datetime``: a naive datetime is taken as UTC (the session
    delivers UTC), a ``date`` (daily bars) is its midnight UTC, a ``pd.Timestamp`` is converted.
    Raises ``TypeError`` for anything else."""
    if isinstance(t, pd.Timestamp):
        t = t.to_pydatetime()
    if isinstance(t, datetime):
        return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)
    if isinstance(t, date):
        return datetime(t.year, t.month, t.day, tzinfo=timezone.utc)
    raise TypeError(f"bar time must be a datetime or date, got {type(t).__name__}")


def frame_bars(frame: pd.DataFrame) -> list[Bar]:
    """The rows of a bar table (``app.domain.bars`` columns, oldest first after sorting by time)
    as ``Bar`` objects with UTC times. Raises ``ValueError`` naming missing columns."""
    missing = [c for c in ("time", "open", "high", "low", "close", "volume") if c not in frame.columns]
    if missing:
        raise ValueError(f"bar table lacks column(s) {', '.join(missing)}")
    frame = frame.sort_values("time", kind="stable")
    return [Bar(bar_time_utc(t), float(o), float(h), float(lo), float(c), float(v))
            for t, o, h, lo, c, v in zip(frame["time"], frame["open"], frame["high"], frame["low"],
                                         frame["close"], frame["volume"])]


class BarCompleter:
    """Turns the forming-bar updates of one subscription into completed bars.

    :meth:`load` takes the history (its last bar is the forming one) and returns the completed
    bars; :meth:`update` takes one live bar and returns the bars it completed (the previous
    forming bar when ``bar`` starts later; none when it updates the forming bar or is older).
    ``after`` (UTC) drops bars that start at or before it (bars already fed before a
    reconnect). :attr:`forming` is the bar in progress (None before any bar).
    """

    def __init__(self) -> None:
        self.forming: Bar | None = None

    def load(self, bars: list[Bar], after: datetime | None = None) -> list[Bar]:
        """Reset from a history (oldest first); returns its completed bars newer than ``after``."""
        self.forming = bars[-1] if bars else None
        done = bars[:-1]
        if after is not None:
            done = [b for b in done if b.time > after]
        return done

    def update(self, bar: Bar) -> list[Bar]:
        """Apply one live bar (time UTC); returns the bars completed by it (0 or 1)."""
        bar = Bar(bar_time_utc(bar.time), bar.open, bar.high, bar.low, bar.close, bar.volume)
        cur = self.forming
        if cur is None or bar.time == cur.time:
            self.forming = bar
            return []
        if bar.time < cur.time:          # a late duplicate: ignored
            return []
        self.forming = bar
        return [cur]


__all__ = ["BarCompleter", "bar_time_utc", "frame_bars"]
