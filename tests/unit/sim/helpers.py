"""Shared helpers for the simulated exchange tests (fixed clock, event capture)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from app.sim.exchange import SimExchange

NY = ZoneInfo("America/New_York")
AAPL, MSFT, SPY, EURUSD, USDJPY = 265598, 272093, 756733, 12087792, 15016059
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: float = 0.0) -> float:
    """POSIX seconds of a New York wall-clock time."""
    return datetime(y, mo, d, h, mi, tzinfo=NY).timestamp() + s


# Friday 2025-11-21 10:00 New York: inside regular trading hours
T0 = ny(2025, 11, 21, 10, 0)


def make(seed: int = 7, now: float = T0, **kw) -> tuple[SimExchange, list]:
    """A SimExchange at ``now`` with a list collecting every event it emits."""
    ex = SimExchange(seed=seed, now=now, **kw)
    events: list = []
    ex.add_listener(events.append)
    return ex, events
