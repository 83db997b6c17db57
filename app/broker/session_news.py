"""IB news bulletins of the API session (mixed into ``app.broker.session.Session``).

:meth:`SessionNewsMixin.subscribe_bulletins` sends IB reqNewsBulletins (ib_async
``IB.reqNewsBulletins(allMessages)``); every bulletin comes as
``bulletinEvent(NewsBulletin)`` (ib_async ``IB.newsBulletinEvent``). Subscriptions are
counted (the news panel and the log may both want them: one request, IB
cancelNewsBulletins when the last subscriber leaves), kept while the link is down and
requested again when the session is CONNECTED again (a reconnect, or IB 1101), with
``allMessages`` as first asked; a bulletin whose msgId was already delivered is not
delivered again (IB re-sends the day's bulletins to an ``allMessages`` request).
IB sends no time with a bulletin: ``received`` is the arrival time (UTC).
Source: IB API docs "News Bulletins"; ib_async ``IB.reqNewsBulletins`` /
``IB.cancelNewsBulletins``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from app.broker.session_scanner import lazy_event
from app.domain import ConnectionState
from app.domain.scanner import BulletinType, NewsBulletin

log = logging.getLogger("ibdesk.broker")


class NewsEvents:
    """The news events of a session (shared by ``Session`` and fakes):

    - ``bulletinEvent(bulletin: NewsBulletin)`` each new IB news bulletin
    """

    bulletinEvent = lazy_event("bulletinEvent")


def to_bulletin(b: Any, received: datetime | None = None) -> NewsBulletin:
    """An ib_async ``NewsBulletin`` (msgId, msgType, message, origExchange) as a domain
    :class:`NewsBulletin` received at ``received`` (default now, UTC). An unknown msgType
    counts as regular."""
    try:
        kind = BulletinType(int(b.msgType))
    except (TypeError, ValueError):
        kind = BulletinType.REGULAR
    return NewsBulletin(int(b.msgId), kind, str(b.message or "").strip(), str(b.origExchange or ""),
                        received or datetime.now(timezone.utc))


class SessionNewsMixin(NewsEvents):
    """Bulletin methods of ``Session``; uses its ``ib``, ``is_connected`` and ``stateEvent``."""

    def _news_state(self) -> dict:
        st = getattr(self, "_news", None)
        if st is None:
            st = self._news = {"refs": 0, "all": False, "live": False, "seen": set()}
            self.ib.newsBulletinEvent += self._on_ib_bulletin
            self.stateEvent += self._news_on_state
        return st

    def subscribe_bulletins(self, all_messages: bool = True) -> None:
        """Count one subscriber of IB's news bulletins; the first sends IB reqNewsBulletins
        (``all_messages``: the day's bulletins so far first; any subscriber asking for them
        makes the next request ask too). When not connected, sent once CONNECTED."""
        st = self._news_state()
        st["refs"] += 1
        st["all"] = st["all"] or bool(all_messages)
        if self.is_connected and not st["live"]:
            self._send_bulletins()

    def unsubscribe_bulletins(self) -> None:
        """Drop one subscriber; the last sends IB cancelNewsBulletins. None left: no-op."""
        st = self._news_state()
        if st["refs"] <= 0:
            return
        st["refs"] -= 1
        if st["refs"] == 0:
            if st["live"] and self.ib.isConnected():
                self.ib.cancelNewsBulletins()
            st["live"] = False
            st["all"] = False

    def bulletin_subscribers(self) -> int:
        """How many subscribers the bulletins have."""
        return self._news_state()["refs"]

    def _send_bulletins(self) -> None:
        st = self._news_state()
        self.ib.reqNewsBulletins(st["all"])
        st["live"] = True

    def _on_ib_bulletin(self, b: Any) -> None:
        st = self._news_state()
        if st["refs"] <= 0 or b.msgId in st["seen"]:
            return
        st["seen"].add(b.msgId)
        self.bulletinEvent.emit(to_bulletin(b))

    def _news_on_state(self, state: ConnectionState, message: str = "") -> None:
        st = self._news_state()
        if state is ConnectionState.CONNECTED:
            if st["refs"] > 0 and not st["live"]:
                self._send_bulletins()
        else:   # LOST with the socket up is IB 1101: CONNECTED follows, the request is redone
            st["live"] = False
