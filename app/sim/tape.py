"""Time & sales of the simulated gateway: recorded trade prints and quote changes, 5-second
real-time bars, and historical ticks (IB reqTickByTickData, reqRealTimeBars, reqHistoricalTicks).

``Tape`` keeps the live prints/quotes of one instrument (bounded: the oldest half
is dropped past ``cap`` entries). Before the live stream began (history), ticks
are synthesised from the 1-minute bars so they respect each bar's OHLCV: per bar
four prints at +0/+15/+30/+45 s at open, the nearer extreme, the other extreme
and close, with the bar volume split in round lots and summing to the bar volume
(``ticks_from_bars``).

Times POSIX seconds UTC; prices instrument currency; sizes shares (FX base units).
Sources: IB TWS API docs "Tick-by-Tick Data", "Historical Time & Sales",
"Real Time Bars" (5-second bars; MIDPOINT/BID/ASK bars carry volume 0 / -1).
"""

from __future__ import annotations

import bisect
import math

from app.sim.history import Bars
from app.sim.types import SimBar, SimQuoteTick, SimTrade

MAX_TICKS = 1000            # IB: numberOfTicks at most 1000 per reqHistoricalTicks
REALTIME_BAR = 5.0          # seconds (IB serves only 5-second real-time bars)


class Tape:
    """Recorded prints and quote changes of one instrument, oldest first."""

    def __init__(self, cap: int = 50_000):
        self.cap = cap
        self._tt: list[float] = []
        self._trades: list[SimTrade] = []
        self._qt: list[float] = []
        self._quotes: list[SimQuoteTick] = []

    def add_trade(self, tr: SimTrade) -> None:
        self._tt.append(tr.time)
        self._trades.append(tr)
        if len(self._tt) > self.cap:
            k = self.cap // 2
            del self._tt[:k], self._trades[:k]

    def add_quote(self, q: SimQuoteTick) -> None:
        self._qt.append(q.time)
        self._quotes.append(q)
        if len(self._qt) > self.cap:
            k = self.cap // 2
            del self._qt[:k], self._quotes[:k]

    @property
    def first_trade_time(self) -> float:
        return self._tt[0] if self._tt else math.inf

    @property
    def first_quote_time(self) -> float:
        return self._qt[0] if self._qt else math.inf

    def trades_between(self, lo: float, hi: float, *, left_open: bool = True) -> list[SimTrade]:
        """Prints with ``lo < time <= hi`` (``left_open=False``: ``lo <= time < hi``)."""
        if left_open:
            i, j = bisect.bisect_right(self._tt, lo), bisect.bisect_right(self._tt, hi)
        else:
            i, j = bisect.bisect_left(self._tt, lo), bisect.bisect_left(self._tt, hi)
        return self._trades[i:j]

    def quotes_between(self, lo: float, hi: float, *, left_open: bool = True) -> list[SimQuoteTick]:
        """Quote changes with ``lo < time <= hi`` (``left_open=False``: ``lo <= time < hi``)."""
        if left_open:
            i, j = bisect.bisect_right(self._qt, lo), bisect.bisect_right(self._qt, hi)
        else:
            i, j = bisect.bisect_left(self._qt, lo), bisect.bisect_left(self._qt, hi)
        return self._quotes[i:j]

    def last_trade_before(self, t: float) -> SimTrade | None:
        i = bisect.bisect_left(self._tt, t)
        return self._trades[i - 1] if i else None

    def last_quote_before(self, t: float) -> SimQuoteTick | None:
        i = bisect.bisect_left(self._qt, t)
        return self._quotes[i - 1] if i else None


def _lots(total: float, parts: int, lot: float) -> list[float]:
    """Split ``total`` into ``parts`` sizes in whole ``lot`` units (remainder on the last) summing to total."""
    if total <= 0:
        return [0.0] * parts
    units = total // lot
    base = units // parts
    out = [base * lot] * parts
    out[-1] = total - base * lot * (parts - 1)
    return out


def ticks_from_bars(m: Bars, exchange: str, lot: float, half_spread: float, tick: float
                    ) -> tuple[list[SimTrade], list[SimQuoteTick]]:
    """Prints and quotes synthesised inside 1-minute bars (see module docstring).

    For every bar the prints' prices are exactly {open, high, low, close} (open first,
    close last), their sizes sum to the bar volume, and quotes straddle each print
    (bid = print - half spread rounded down to the tick, ask = bid + spread).
    """
    trades: list[SimTrade] = []
    quotes: list[SimQuoteTick] = []
    spread = max(tick, round(2 * half_spread / tick) * tick)
    dec = max(0, -int(math.floor(math.log10(tick))) + 1)
    for i in range(len(m)):
        t0 = float(m.t[i])
        o, h, lo, c, v = (float(m.o[i]), float(m.h[i]), float(m.l[i]), float(m.c[i]), float(m.v[i]))
        path = (o, lo, h, c) if c >= o else (o, h, lo, c)
        cond = "" if bool(m.rth[i]) else "T"
        sizes = _lots(v, 4, lot)
        for k, (px, sz) in enumerate(zip(path, sizes)):
            t = t0 + 15.0 * k
            if sz > 0:
                trades.append(SimTrade(t, px, sz, exchange, cond))
            bid = round(math.floor(round((px - spread / 2) / tick, 6)) * tick, dec)
            quotes.append(SimQuoteTick(t, bid, round(bid + spread, dec), lot, lot))
    return trades, quotes


def trade_bar(start: float, trades: list[SimTrade], prev_price: float | None) -> SimBar | None:
    """A 5-second TRADES bar from the prints in [start, start+5); without prints, a flat bar at
    ``prev_price`` with volume 0 (None if no price is known)."""
    if not trades:
        if prev_price is None:
            return None
        return SimBar(start, prev_price, prev_price, prev_price, prev_price, 0.0, prev_price, 0)
    px = [t.price for t in trades]
    vol = sum(t.size for t in trades)
    wap = sum(t.price * t.size for t in trades) / vol if vol > 0 else px[-1]
    return SimBar(start, px[0], max(px), min(px), px[-1], vol, round(wap, 8), len(trades))


def quote_bar(start: float, quotes: list[SimQuoteTick], prev: SimQuoteTick | None, what: str) -> SimBar | None:
    """A 5-second MIDPOINT/BID/ASK bar from the quote in force at ``start`` and the changes in
    [start, start+5); volume/wap -1 and count -1 as IB sends quote bars. None if no quote known."""
    seq = ([prev] if prev is not None else []) + list(quotes)
    if not seq:
        return None
    pick = {"MIDPOINT": lambda q: q.mid, "BID": lambda q: q.bid, "ASK": lambda q: q.ask}[what]
    px = [pick(q) for q in seq]
    return SimBar(start, px[0], max(px), min(px), px[-1], -1.0, -1.0, -1)
