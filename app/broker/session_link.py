"""Link health of the API session (mixed into ``app.broker.session.Session``).

What the session knows about the link beyond "the socket is open": IB's system
messages 1100 / 1101 / 1102 (connectivity between TWS and IB lost, restored with
data lost, restored with data kept) and 2103 / 2104 (a market data farm down /
OK), the supervisor's reqCurrentTime probe of a silent link, and the resulting
``staleEvent``. Source: IB API docs, "Message Codes"; PROTOCOL.md "Reconnect facts".
"""

from __future__ import annotations

import asyncio
import logging

from app.domain import ConnectionState

log = logging.getLogger("ibdesk.broker")

#: IB system messages about the link and the data farms (reqId -1) that the session acts on
LINK_CODES = frozenset({1100, 1101, 1102, 2103, 2104})


class SessionLinkMixin:
    """Link-health methods of ``Session``; uses its ``ib``, ``_state``, ``_quotes``,
    ``_histories``, ``_stale_reasons``, ``_data_stale``, ``_lost_reason``,
    ``_set_state``, ``_endpoint``, ``cancel_history``, ``account_id``, ``staleEvent``."""

    def stale_reason(self) -> str:
        """Why data is stale now ("" when live): the most recent of the open causes."""
        return next(reversed(self._stale_reasons.values()), "")

    def _mark_stale(self, cause: str, text: str | None) -> None:
        """Open (``text``) or close (None) one cause of staleness ("link", "1100",
        "farm:<name>", "heartbeat"); ``staleEvent`` fires when the overall flag flips."""
        if text is None:
            self._stale_reasons.pop(cause, None)
        else:
            self._stale_reasons.pop(cause, None)
            self._stale_reasons[cause] = text
        stale = bool(self._stale_reasons)
        if stale != self._data_stale:
            self._data_stale = stale
            reason = self.stale_reason() if stale else (text or "data is live again")
            log.info("market data %s: %s", "stale" if stale else "live", reason)
            self.staleEvent.emit(stale, reason)

    def drop_link(self, reason: str) -> None:
        """Close a connection that is up but no longer answers (a dead link: the
        supervisor's reqCurrentTime probe timed out). Reported as LOST with ``reason``,
        so ``app.broker.supervisor`` reconnects. No-op when not connected."""
        if not self.ib.isConnected():
            return
        log.warning("dropping the link to %s: %s", self._endpoint(), reason)
        self._lost_reason = reason
        self.ib.disconnect()

    def _on_link_message(self, code: int, message: str) -> None:
        """IB's system messages about the link between TWS and IB and its data farms
        (IB API docs, "Message Codes"): 1100 lost, 1101 restored with data lost (every
        market data request must be sent again), 1102 restored with data kept; 2103 /
        2104 a market data farm down / OK. 2105-2108 (historical and other farms) only
        reach the log: they do not make quotes stale."""
        if code == 1100:
            self._mark_stale("1100", "IB 1100: TWS / IB Gateway lost its connection to IB "
                                     "(quotes frozen; orders cannot reach IB until it is restored)")
        elif code == 1102:
            self._mark_stale("1100", None)
        elif code == 1101:
            asyncio.get_event_loop().call_soon(self._restore_streams, message)
        elif code in (2103, 2104):
            farm = message.rpartition(":")[2].strip() or "market data"
            self._mark_stale(f"farm:{farm}", f"IB {code}: market data farm {farm} is down"
                             if code == 2103 else None)

    def _restore_streams(self, message: str) -> None:
        """After IB 1101 (connectivity restored, market data lost): every stream is
        requested again. Reported as LOST then CONNECTED so that every view re-requests
        what it shows (the chart reloads its bars and their gap); quotes, account
        updates and positions are re-requested here."""
        if not self.ib.isConnected() or self._state is not ConnectionState.CONNECTED:
            return
        self._set_state(ConnectionState.LOST, "IB 1101: connectivity to IB restored but market "
                                              "data was lost; requesting every stream again")
        self._quotes.restart()
        for sub_id in list(self._histories):
            self.cancel_history(sub_id)
        if self.account_id:
            self.ib.client.reqAccountUpdates(True, self.account_id)
        self.ib.client.reqPositions()
        self._set_state(ConnectionState.CONNECTED,
                        f"Connected to {self._endpoint()}: streams requested again after IB 1101")
        self._mark_stale("1100", None)

    @property
    def link_up(self) -> bool:
        """True while the socket to the gateway is open and the API started (even
        during a connect's start-up sync or after IB 1101)."""
        return self.ib.isConnected()

    async def probe(self, timeout: float) -> bool:
        """Ask the gateway the time (IB reqCurrentTime; ib_async ``reqCurrentTimeAsync``);
        True when it answers within ``timeout`` seconds, or when the socket delivered data
        meanwhile (a busy feed: the answer waits in the read backlog behind the ticks, the
        link is alive). False on silence or a lost connection; never raises."""
        before = self._bytes_received()
        try:
            await asyncio.wait_for(self.ib.reqCurrentTimeAsync(), timeout)
            return True
        except (asyncio.TimeoutError, TimeoutError):
            if self._bytes_received() > before:
                log.info("no reqCurrentTime answer within %g s, but data keeps arriving: link busy, not dead",
                         timeout)
                return True
            return False
        except (ConnectionError, OSError):
            return False

    def _bytes_received(self) -> int:
        """Bytes read from the socket so far (ib_async ``Client._numBytesRecv``; 0 if absent)."""
        return int(getattr(getattr(self.ib, "client", None), "_numBytesRecv", 0) or 0)

    def note_link_silent(self, waited: float) -> None:
        """The link did not answer a probe for ``waited`` seconds: data is stale."""
        self._mark_stale("heartbeat", f"No answer from {self._endpoint()} for {waited:g} s")

    def note_link_answer(self) -> None:
        """The link answers again after a silent probe."""
        self._mark_stale("heartbeat", None)

    def note_reconnecting(self, message: str, *, stopped: bool = False) -> None:
        """The supervisor's step while not connected: RECONNECTING with ``message``
        ("Reconnecting in N s"), or LOST with it when automatic retries ``stopped``.
        Ignored while connected or connecting."""
        if self._state in (ConnectionState.CONNECTED, ConnectionState.CONNECTING):
            return
        self._set_state(ConnectionState.LOST if stopped else ConnectionState.RECONNECTING, message)

