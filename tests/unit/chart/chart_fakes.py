"""A small fake of the Session's history API for the chart tests (no sockets).

``FakeHistorySession.history`` records each request and waits until the test
answers it with :meth:`answer` (bars or an exception), so tests control the
order in which loads finish (stale loads).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from eventkit import Event

from app.domain.bars import BAR_COLUMNS


@dataclass
class HistoryRequest:
    instrument: object
    bar_size: str
    keep_up_to_date: bool
    sub_id: int
    future: asyncio.Future = field(repr=False)


class FakeHistorySession:
    """``history``/``cancel_history``/``barEvent``/``stateEvent`` like ``app.broker.session.Session``."""

    def __init__(self):
        self.barEvent = Event("barEvent")
        self.stateEvent = Event("stateEvent")
        self.requests: list[HistoryRequest] = []
        self.cancelled: list[int] = []
        self._next_sub = 100

    async def history(self, instrument, bar_size, duration=None, keep_up_to_date=True):
        self._next_sub += 1
        fut = asyncio.get_running_loop().create_future()
        self.requests.append(HistoryRequest(instrument, bar_size, keep_up_to_date, self._next_sub, fut))
        frame = await fut
        return self._sub_of(fut), frame

    def _sub_of(self, fut) -> int:
        return next(r.sub_id for r in self.requests if r.future is fut)

    def cancel_history(self, sub_id: int) -> None:
        self.cancelled.append(sub_id)

    def answer(self, index: int, frame_or_error) -> None:
        fut = self.requests[index].future
        if isinstance(frame_or_error, BaseException):
            fut.set_exception(frame_or_error)
        else:
            fut.set_result(frame_or_error)


def make_bars(n: int, *, start: str = "2024-01-02 14:30", freq: str = "5min", seed: int = 1) -> pd.DataFrame:
    """``n`` random-walk bars (time UTC, prices > 0) in the ``app.domain.bars`` layout."""
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 0.5, n))
    open_ = close + rng.normal(0, 0.3, n)
    high = np.maximum(open_, close) + rng.uniform(0, 0.5, n)
    low = np.minimum(open_, close) - rng.uniform(0, 0.5, n)
    vol = rng.integers(100, 10_000, n).astype(float)
    times = pd.date_range(start, periods=n, freq=freq, tz="UTC")
    return pd.DataFrame(dict(zip(BAR_COLUMNS, (times, open_, high, low, close, vol))))


def read_csv_bars(path: Path) -> pd.DataFrame:
    """A shared/data CSV (Date,Open,High,Low,Close,Volume) as a bar table, time UTC."""
    raw = pd.read_csv(path)
    return pd.DataFrame({
        "time": pd.to_datetime(raw["Date"], utc=True),
        "open": raw["Open"].astype(float), "high": raw["High"].astype(float),
        "low": raw["Low"].astype(float), "close": raw["Close"].astype(float),
        "volume": raw["Volume"].astype(float),
    })
