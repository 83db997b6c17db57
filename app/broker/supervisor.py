"""Connection supervision: reconnect by itself, notice a dead link.

ib_async has no automatic reconnect (PROTOCOL.md, "Reconnect facts"); TWS and
IB Gateway restart every day and drop connections. ``ConnectionSupervisor``
watches a ``Session``:

- **Lost link** (socket closed, gateway restarted or killed, a dead link the probe
  found): it tries again by itself. Quick tries first (the first within
  ``first_delay`` seconds, then about every ``fast_delay`` seconds for
  ``fast_window`` seconds: a brief drop or a gateway restart), then a backoff
  doubling up to ``max_delay`` seconds (IB's daily restart, a long outage), each
  delay with +-``jitter`` so that many terminals do not retry in step. Every step is
  reported on ``session.stateEvent``: LOST, RECONNECTING ("retrying in N s"),
  CONNECTING, CONNECTED (or FAILED and the next RECONNECTING).
- **Dead link**: while connected it asks the gateway the time (IB reqCurrentTime)
  every ``heartbeat_interval`` seconds. No answer within ``heartbeat_timeout``
  marks the data stale; a second miss in a row drops the link (``Session.drop_link``)
  and reconnects.
- A manual Disconnect is the trader's choice: the supervisor does not undo it.
  ``stop()`` ends automatic retries ("stop trying"); ``reconnect_now()`` forces an
  attempt at once; ``start()`` resumes.

Runs on the session's asyncio loop (qasync in the app); never blocks it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Callable

from app.domain import ConnectionState

log = logging.getLogger("ibdesk.broker.supervisor")


class ConnectionSupervisor:
    """Automatic reconnect and dead-link detection for one ``Session``.

    Delays and timeouts are seconds (loop time). ``rng() -> float in [0, 1)`` draws
    the jitter (tests pass a fixed one). ``attempts`` counts the attempts since the
    link was last live; ``enabled`` is False after ``stop()``.
    """

    def __init__(self, session, *, first_delay: float = 0.5, fast_delay: float = 0.5,
                 fast_window: float = 15.0, max_delay: float = 30.0, jitter: float = 0.2,
                 heartbeat_interval: float = 5.0, heartbeat_timeout: float = 4.0,
                 rng: Callable[[], float] = random.random):
        if not 0 < first_delay <= max_delay or fast_delay <= 0 or heartbeat_timeout <= 0:
            raise ValueError("delays and timeouts must be positive, first_delay <= max_delay")
        self.session = session
        self.first_delay = float(first_delay)
        self.fast_delay = float(fast_delay)
        self.fast_window = float(fast_window)
        self.max_delay = float(max_delay)
        self.jitter = float(jitter)
        self.heartbeat_interval = float(heartbeat_interval)
        self.heartbeat_timeout = float(heartbeat_timeout)
        self._rng = rng
        self.enabled = False
        self.attempts = 0
        self._slow = 0                          # attempts scheduled after the quick window
        self._lost_at: float | None = None      # loop time the link was lost (None = live)
        self._retry: asyncio.TimerHandle | None = None
        self._retry_at: float | None = None
        self._attempt_task: asyncio.Task | None = None
        self._heartbeat_task: asyncio.Task | None = None
        self._auto = False                      # the running connect is ours
        session.stateEvent += self._on_state

    # ------------------------------------------------------------ control

    def start(self) -> None:
        """Supervise from now on: reconnect after every loss, probe the live link. When
        the session is lost or failed already, the first attempt is scheduled."""
        self.enabled = True
        if self._heartbeat_task is None or self._heartbeat_task.done():
            self._heartbeat_task = asyncio.ensure_future(self._heartbeat())
        if self.session.state in (ConnectionState.LOST, ConnectionState.FAILED) \
                and self._retry is None and not self._connecting():
            self._lost_at = self._now()
            self._schedule()

    def stop(self) -> None:
        """Stop trying to reconnect (the trader's "Stop reconnecting"); a connect already
        running finishes. The link probe stops too."""
        self.enabled = False
        self._cancel_retry()
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            self._heartbeat_task = None
        if self.session.state is ConnectionState.RECONNECTING:
            self._note_stopped()

    def _note_stopped(self) -> None:
        self.session.note_reconnecting("Automatic reconnect stopped; use Connection → "
                                       "Reconnect to try again", stopped=True)

    def close(self) -> None:
        """``stop()`` and stop listening to the session (the terminal is closing)."""
        self.stop()
        self.session.stateEvent -= self._on_state

    async def aclose(self) -> None:
        """``close()``, then wait until the link probe and a running reconnect attempt have
        ended (call it while the event loop still runs: a task cancelled but never run again
        is "destroyed but pending" when the loop closes)."""
        tasks = [t for t in (self._heartbeat_task, self._attempt_task) if t is not None and not t.done()]
        self.close()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def reconnect_now(self) -> None:
        """Try at once (the trader's Reconnect), whatever the backoff says."""
        self._cancel_retry()
        if not self._connecting() and not self.session.is_connected:
            self._lost_at = self._lost_at if self._lost_at is not None else self._now()
            self._attempt()

    @property
    def next_attempt_in(self) -> float | None:
        """Seconds until the next scheduled attempt, or None."""
        if self._retry_at is None:
            return None
        return max(0.0, self._retry_at - self._now())

    # ------------------------------------------------------------ policy

    def delay(self, attempt: int, since_loss: float, slow: int = 0) -> float:
        """Seconds to wait before attempt number ``attempt`` (1 = first after the loss),
        ``since_loss`` seconds after the link was lost, jitter included; ``slow`` counts
        the attempts already made after the quick window (2 s, 4 s, ... up to ``max_delay``)."""
        if attempt <= 1:
            base = self.first_delay
        elif since_loss < self.fast_window:
            base = self.fast_delay
        else:
            base = min(self.max_delay, 2.0 * 2 ** min(slow, 16))
        j = 1.0 + self.jitter * (2.0 * self._rng() - 1.0)
        return min(self.max_delay * (1 + self.jitter), max(0.05, base * j))

    # ------------------------------------------------------------ internals

    @staticmethod
    def _now() -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:
            return time.monotonic()

    def _connecting(self) -> bool:
        return self._attempt_task is not None and not self._attempt_task.done()

    def _cancel_retry(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
        self._retry = None
        self._retry_at = None

    def _on_state(self, state: ConnectionState, message: str = "") -> None:
        if state is ConnectionState.CONNECTED:
            self._cancel_retry()
            self._lost_at = None
            self.attempts = 0
            self._slow = 0
        elif state is ConnectionState.LOST:
            if self._lost_at is None:
                self._lost_at = self._now()
            if self.enabled and not self._connecting() and self._retry is None \
                    and not getattr(self.session, "link_up", False):
                # (with the socket still open, IB 1101: the session restores its streams)
                self._schedule()
        elif state is ConnectionState.FAILED:
            if self.enabled and self._lost_at is not None and not self._connecting() \
                    and self._retry is None:
                self._schedule()
        elif state is ConnectionState.DISCONNECTED:
            self._cancel_retry()        # the trader disconnected: do not undo it
            self._lost_at = None

    def _schedule(self) -> None:
        since = self._now() - (self._lost_at or self._now())
        wait = self.delay(self.attempts + 1, since, self._slow)
        if since >= self.fast_window:
            self._slow += 1
        loop = asyncio.get_event_loop()
        self._retry_at = self._now() + wait
        self._retry = loop.call_later(wait, self._attempt)
        self.session.note_reconnecting(
            f"Reconnecting to {self.session.host}:{self.session.port} in {wait:.1f} s "
            f"(attempt {self.attempts + 1})")

    def _attempt(self) -> None:
        self._retry = None
        self._retry_at = None
        if self.session.is_connected or self._connecting():
            return
        self.attempts += 1
        self._attempt_task = asyncio.ensure_future(self._connect())

    async def _connect(self) -> None:
        try:
            await self.session.connect()
        except ConnectionError as e:
            log.info("reconnect attempt %d failed: %s", self.attempts, e)
            if self._retry is None and not self.session.is_connected \
                    and self.session.state is not ConnectionState.DISCONNECTED:
                if self.enabled:
                    self._schedule()
                else:   # stopped while this attempt ran: say so, as stop() does (not "failed")
                    self._note_stopped()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a bug in one attempt must not end supervision
            log.exception("reconnect attempt %d raised", self.attempts)
            if self.enabled and self._retry is None:
                self._schedule()

    async def _heartbeat(self) -> None:
        """Probe the live link with IB reqCurrentTime; two misses in a row drop it."""
        misses = 0
        while True:
            await asyncio.sleep(self.heartbeat_interval if misses == 0 else 0.0)
            s = self.session
            if not s.is_connected:
                misses = 0
                continue
            ok = await s.probe(self.heartbeat_timeout)
            if ok:
                if misses:
                    s.note_link_answer()
                misses = 0
                continue
            if not s.is_connected:
                misses = 0
                continue
            misses += 1
            if misses == 1:
                s.note_link_silent(self.heartbeat_timeout)
            else:
                misses = 0
                s.drop_link(f"no answer to reqCurrentTime for {2 * self.heartbeat_timeout:g} s "
                            "(dead link)")


__all__ = ["ConnectionSupervisor"]
