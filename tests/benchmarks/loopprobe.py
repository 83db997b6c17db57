"""Event-loop stall probe for benchmarks (not collected by pytest).

:class:`LoopProbe` runs a Qt timer every ``interval_ms`` (default 5 ms, precise timer) on the
thread's event loop and records how late each timeout fires: lateness = time since the
previous timeout minus the interval, in milliseconds of ``time.perf_counter`` (monotonic).
A callback that holds the GUI thread for 200 ms shows as one lateness of ~195 ms.

Use::

    probe = LoopProbe()
    probe.start()
    ...  # run the work through the event loop (qasync / app.processEvents)
    probe.stop()
    probe.summary()  # {"samples", "longest_stall_ms", "p99_ms", "stalls_over_50ms"}

Needs a ``QCoreApplication``; the timer only fires while the event loop runs, so the
work must be driven by the loop (a coroutine on qasync, or ``processEvents`` calls).
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer

#: a stall worth reporting (the terminal's target: none longer than this)
STALL_MS = 50.0


class LoopProbe(QObject):
    """A 5 ms ``QTimer`` recording its lateness (ms); see the module docstring.

    ``lateness`` is the list of samples (ms, >= 0); ``clock`` (seconds, monotonic) is
    injectable for tests.
    """

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None, *, clock=time.perf_counter):
        super().__init__(parent)
        self.interval_ms = int(interval_ms)
        self.lateness: list[float] = []
        self._clock = clock
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        """Clear the samples and start measuring."""
        self.lateness = []
        self._last = self._clock()
        self._timer.start()

    def stop(self) -> None:
        """Stop measuring; the lateness of a loop still blocked now counts as a last sample."""
        if self._timer.isActive():
            self._tick()
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock()
        if self._last is not None:
            self.lateness.append(max(0.0, (now - self._last) * 1000.0 - self.interval_ms))
        self._last = now

    def summary(self) -> dict:
        """``samples``, ``longest_stall_ms``, ``p99_ms`` (lateness percentile) and
        ``stalls_over_50ms`` (count of samples over :data:`STALL_MS`); zeros without samples."""
        a = np.asarray(self.lateness, dtype=np.float64)
        if a.size == 0:
            return {"samples": 0, "longest_stall_ms": 0.0, "p99_ms": 0.0, "stalls_over_50ms": 0}
        return {"samples": int(a.size), "longest_stall_ms": round(float(a.max()), 1),
                "p99_ms": round(float(np.percentile(a, 99)), 1),
                "stalls_over_50ms": int((a > STALL_MS).sum())}


def print_result(result: dict, path=None) -> None:
    """Print a benchmark's JSON summary and write it to ``path`` (a ``Path``) when given."""
    import json

    text = json.dumps(result, indent=2)
    if path:
        path.write_text(text)
    print(text)
