"""Encode -> socket write delay of the simulated gateway's outgoing messages (admin ``status``).

Each :class:`~app.sim.connection.ClientConnection` stamps a message when ``send`` queues it
(encoded) and measures, when its bytes are handed to the transport (``writer.write``), how
long it waited: batching until the pump's flush, the order of delayed batches, the event loop
being busy. The deliberate ``delay`` fault is not counted. The delays go into a
:class:`DelayWindow`: a log-spaced histogram per time slot, keeping only the last ``window``
seconds (bounded memory whatever the message rate); percentiles are read from the histogram
(bin upper edges, ~5 % apart, capped by the exact maximum).

Times are ``time.monotonic()`` seconds; delays are reported in milliseconds.
"""

from __future__ import annotations

import collections
from typing import Iterable

import numpy as np

#: histogram bin edges (seconds): 1 us .. 100 s, 5 % apart; bin 0 is below 1 us
EDGES = np.geomspace(1e-6, 100.0, int(np.ceil(np.log(1e8) / np.log(1.05))) + 1)
_UPPER = np.r_[EDGES, np.inf]           # upper edge of each bin (last bin: above 100 s)


class DelayWindow:
    """Delays (seconds) of the last ``window`` seconds, in ``slots`` time slots.

    ``add(now, sent_at)``: one delay per stamp, ``now - stamp`` (minus ``less``, the deliberate
    delay, floored at 0). ``summary(now)``: count, p50, p99, max in milliseconds.
    """

    def __init__(self, window: float = 10.0, slots: int = 10):
        self.slot_s = window / slots
        self.slots = slots
        self._data: collections.deque[tuple[int, np.ndarray, list[float]]] = collections.deque()

    def _expire(self, now: float) -> int:
        slot = int(now // self.slot_s)
        while self._data and self._data[0][0] <= slot - self.slots:
            self._data.popleft()
        return slot

    def add(self, now: float, sent_at: Iterable[float], less: float = 0.0) -> None:
        """Record the delay of every message stamped in ``sent_at`` and written at ``now``."""
        d = np.maximum(now - less - np.asarray(sent_at, dtype=float), 0.0)
        if not d.size:
            return
        slot = self._expire(now)
        if not self._data or self._data[-1][0] != slot:
            self._data.append((slot, np.zeros(len(EDGES) + 1, dtype=np.int64), [0.0]))
        _, counts, mx = self._data[-1]
        counts += np.bincount(np.searchsorted(EDGES, d, side="right"), minlength=len(counts))
        mx[0] = max(mx[0], float(d.max()))

    def histogram(self, now: float) -> tuple[np.ndarray, float]:
        """(counts per bin, maximum delay in seconds) over the window ending at ``now``."""
        self._expire(now)
        counts = np.zeros(len(EDGES) + 1, dtype=np.int64)
        mx = 0.0
        for _, c, m in self._data:
            counts += c
            mx = max(mx, m[0])
        return counts, mx

    def summary(self, now: float) -> dict[str, float]:
        """``{"n", "p50_ms", "p99_ms", "max_ms"}`` of this window."""
        return summarize([self], now)


def summarize(windows: Iterable[DelayWindow], now: float) -> dict[str, float]:
    """Count, p50, p99 and max (milliseconds) over several windows merged (every client);
    percentiles are the upper edge of the bin holding them, capped by the maximum. NaN when
    there is no sample."""
    counts = np.zeros(len(EDGES) + 1, dtype=np.int64)
    mx = 0.0
    for w in windows:
        c, m = w.histogram(now)
        counts += c
        mx = max(mx, m)
    n = int(counts.sum())
    if not n:
        return {"n": 0, "p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    cum = np.cumsum(counts)

    def pct(q: float) -> float:
        i = int(np.searchsorted(cum, q * n, side="left"))
        return min(float(_UPPER[i]), mx) * 1e3

    return {"n": n, "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": mx * 1e3}


def fmt_ms(x: float) -> str:
    """A millisecond figure for ``status`` ("-" when there is none)."""
    return "-" if x != x else f"{x:.3g}"

