"""IB news bulletins of the simulated gateway: a board of the day's bulletins, filled on a
schedule of the simulated clock and by the admin command ``bulletin <type> <text>``.

IB semantics (TWS API "News Bulletins", ``EClient.reqNewsBulletins(allMsgs)``): a subscribed
client receives every new bulletin (updateNewsBulletin: msgId, msgType, message,
originating exchange); with ``allMsgs`` True it first receives "all the existing bulletins for
the current day". msgType 1 is a regular bulletin, 2 "exchange no longer available for
trading", 3 "exchange available for trading" (the exchange is named in the origExchange field).

The schedule (New York time, on US stock trading days) is the simulator's own: the texts say
they come from the simulated gateway, so nobody mistakes them for IB's.

=========  ====  =========  ==============================================================
time (NY)  type  exchange   message
=========  ====  =========  ==============================================================
04:00      3     ISLAND     pre-market session open, exchange available
09:25      1     ""         regular trading hours begin at 09:30 ET
12:00      2     ARCA       simulated ARCA outage (exchange unavailable)
12:05      3     ARCA       ARCA available again
15:50      1     ""         closing auction imbalance publication
=========  ====  =========  ==============================================================

All times are POSIX seconds (UTC). msgIds increase from 1 through the gateway's life.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.sim.instruments import NY, is_stock_holiday, ny_date

REGULAR, EXCHANGE_UNAVAILABLE, EXCHANGE_AVAILABLE = 1, 2, 3
TYPES = (REGULAR, EXCHANGE_UNAVAILABLE, EXCHANGE_AVAILABLE)

#: (hour, minute NY, msgType, origExchange, message) of a trading day
SCHEDULE: tuple[tuple[int, int, int, str, str], ...] = (
    (4, 0, EXCHANGE_AVAILABLE, "ISLAND",
     "Simulated gateway: ISLAND is available for trading; the pre-market session has opened."),
    (9, 25, REGULAR, "",
     "Simulated gateway: regular trading hours for US stocks begin at 09:30 ET."),
    (12, 0, EXCHANGE_UNAVAILABLE, "ARCA",
     "Simulated gateway: ARCA is not available for trading (simulated outage); SMART routes elsewhere."),
    (12, 5, EXCHANGE_AVAILABLE, "ARCA",
     "Simulated gateway: ARCA is available for trading again."),
    (15, 50, REGULAR, "",
     "Simulated gateway: NYSE and NASDAQ closing auction imbalance publication has begun."),
)
#: most days the board looks back when the clock jumps (a long pause or --start-time)
MAX_CATCH_UP_DAYS = 7


@dataclass(frozen=True, slots=True)
class Bulletin:
    """One bulletin: ``msg_id`` (increasing), ``msg_type`` (1/2/3), ``message``, ``exchange``
    (origExchange, "" for regular bulletins), ``time`` (POSIX s when it was issued)."""

    msg_id: int
    msg_type: int
    message: str
    exchange: str
    time: float


def _at(d: date, hour: int, minute: int) -> float:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=NY).timestamp()


class BulletinBoard:
    """The day's bulletins. :meth:`advance` issues the scheduled ones whose time has come
    (idempotent: call it as often as you like), :meth:`add` issues one now (admin command),
    :meth:`today` lists those of the current New York day, :meth:`since` the ones after a msgId.

    ``start``: the simulated time the gateway started; scheduled bulletins of that day before
    it count as already issued (they are "the existing bulletins of the day" for allMsgs).
    Bulletins of earlier days are dropped as days pass (memory stays bounded)."""

    def __init__(self, start: float, schedule=SCHEDULE):
        self.schedule = schedule
        self.items: list[Bulletin] = []
        self._next_id = 1
        d = ny_date(start)
        self._done_until = _at(d, 0, 0)          # scheduled times up to here are issued

    def _issue(self, msg_type: int, message: str, exchange: str, t: float) -> Bulletin:
        b = Bulletin(self._next_id, msg_type, message, exchange, t)
        self._next_id += 1
        self.items.append(b)
        return b

    def advance(self, now: float) -> list[Bulletin]:
        """Issue the scheduled bulletins with a time in (last advance, ``now``]; returns them."""
        if now <= self._done_until:
            return []
        new: list[Bulletin] = []
        d = max(ny_date(self._done_until), ny_date(now) - timedelta(days=MAX_CATCH_UP_DAYS))
        while d <= ny_date(now):
            if d.weekday() < 5 and not is_stock_holiday(d):
                for h, m, kind, exch, text in self.schedule:
                    t = _at(d, h, m)
                    if self._done_until < t <= now:
                        new.append(self._issue(kind, text, exch, t))
            d += timedelta(days=1)
        self._done_until = now
        self._forget_before(now)
        return new

    def add(self, msg_type: int, message: str, now: float, exchange: str = "") -> Bulletin:
        """Issue one bulletin at ``now`` (the scheduled ones due first). ValueError for a type
        other than 1, 2, 3 or an empty message."""
        if msg_type not in TYPES:
            raise ValueError(f"bulletin type must be 1 (regular), 2 (exchange unavailable) or 3 "
                             f"(exchange available), got {msg_type}")
        if not message.strip():
            raise ValueError("bulletin text is empty")
        self.advance(now)
        return self._issue(msg_type, message, exchange, now)

    def today(self, now: float) -> list[Bulletin]:
        """The bulletins issued on ``now``'s New York date up to ``now``, oldest first."""
        day = ny_date(now)
        return [b for b in self.items if b.time <= now and ny_date(b.time) == day]

    def since(self, msg_id: int) -> list[Bulletin]:
        """The bulletins with a msgId above ``msg_id``, oldest first."""
        return [b for b in self.items if b.msg_id > msg_id]

    @property
    def last_id(self) -> int:
        """The msgId of the newest bulletin (0 when none)."""
        return self._next_id - 1

    def _forget_before(self, now: float) -> None:
        day = ny_date(now)
        if self.items and ny_date(self.items[0].time) != day:
            self.items = [b for b in self.items if ny_date(b.time) >= day - timedelta(days=1)]


def board_of(gateway) -> BulletinBoard:
    """The gateway's board (``gateway.bulletins``), made on first use, starting at the
    gateway's simulated now."""
    board = getattr(gateway, "bulletins", None)
    if board is None:
        board = gateway.bulletins = BulletinBoard(gateway.clock())
    return board
