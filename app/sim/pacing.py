"""IB's pacing rules for one API client, in wall-clock seconds (``time.monotonic``).

* Message rate (IB API docs "Pacing" / error 100): at most 50 messages per
  second from one client; the excess is refused with error 100 "Max rate of
  messages per second has been exceeded". IB does not publish how it counts; here a
  token bucket (50 tokens, refilled at 50 per second): a burst of 50 passes, a client
  sending faster than 50/s for long is refused the excess, and a client throttled
  like ib_async (45 in any second, sent as one-second batches) keeps passing when
  scheduling jitter shifts a batch by up to ~0.1 s. A sliding one-second window would
  refuse such a client as soon as its reads are a few milliseconds uneven, which
  happens on any loaded machine (the simulator shares a process with the terminal in
  demo mode). TWS disconnects a client that keeps violating; here: more than
  ``disconnect_drops`` refused messages within ``strike_window`` seconds.
* Historical data (IB docs "Historical Data Limitations", error 162 "Historical
  Market Data Service error message: Historical data request pacing violation"):
  identical requests within 15 s; six or more requests for the same contract,
  exchange and tick type within 2 s; more than 60 requests within 10 minutes.
"""

from __future__ import annotations

import collections
import time


class MessagePacer:
    """Counts a client's messages; ``admit()`` False = refuse with error 100.

    Token bucket of ``limit`` tokens refilled at ``limit`` per second of ``clock``
    (wall seconds, ``time.monotonic``); see the module docstring for why."""

    def __init__(self, limit: int = 50, disconnect_drops: int = 500,
                 strike_window: float = 10.0, clock=time.monotonic):
        self.limit = limit
        self.disconnect_drops = disconnect_drops
        self.strike_window = strike_window
        self.clock = clock
        self._tokens = float(limit)
        self._refilled_at: float | None = None
        self._recent: collections.deque[float] = collections.deque()
        self._drops: collections.deque[float] = collections.deque()

    def admit(self) -> bool:
        """Record one message; True if the bucket had a token for it."""
        now = self.clock()
        if self._refilled_at is not None:
            self._tokens = min(float(self.limit), self._tokens + (now - self._refilled_at) * self.limit)
        self._refilled_at = now
        self._recent.append(now)
        while now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self._drops.append(now)
        return False

    @property
    def received(self) -> int:
        """Messages received in the last second, the refused one included (the error's ``rec=``)."""
        return len(self._recent)

    @property
    def should_disconnect(self) -> bool:
        """True after repeated violations (see module docstring)."""
        now = self.clock()
        while self._drops and now - self._drops[0] >= self.strike_window:
            self._drops.popleft()
        return len(self._drops) > self.disconnect_drops


class HistoryPacer:
    """IB's historical-data pacing; ``check(key, contract_key)`` returns an error text
    (send as error 162) or None when the request may go ahead (and is recorded)."""

    IDENTICAL_WINDOW = 15.0
    SAME_CONTRACT_WINDOW, SAME_CONTRACT_MAX = 2.0, 5
    LONG_WINDOW, LONG_MAX = 600.0, 60

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._log: collections.deque[tuple[float, tuple, tuple]] = collections.deque()

    def check(self, key: tuple, contract_key: tuple) -> str | None:
        now = self.clock()
        while self._log and now - self._log[0][0] >= self.LONG_WINDOW:
            self._log.popleft()
        why = None
        if any(k == key and now - t < self.IDENTICAL_WINDOW for t, k, _ in self._log):
            why = "identical request within 15 seconds"
        elif sum(1 for t, _, ck in self._log if ck == contract_key
                 and now - t < self.SAME_CONTRACT_WINDOW) >= self.SAME_CONTRACT_MAX:
            why = "6 or more requests for the same contract within 2 seconds"
        elif len(self._log) >= self.LONG_MAX:
            why = "more than 60 requests within 10 minutes"
        if why is not None:
            return ("Historical Market Data Service error message:Historical data request "
                    f"pacing violation ({why})")
        self._log.append((now, key, contract_key))
        return None
