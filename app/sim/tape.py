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
from array import array

import numpy as np

from app.sim.history import Bars
from app.sim.types import SimBar, SimQuoteTick, SimTrade

MAX_TICKS = 1000            # IB: numberOfTicks at most 1000 per reqHistoricalTicks
REALTIME_BAR = 5.0          # seconds (IB serves only 5-second real-time bars)


class Tape:
    """Recorded prints and quote changes of one instrument, oldest first.

    Stored column by column in ``array('d')`` (8 bytes a value, no Python object per tick:
    ~40 bytes a quote change, ~26 a print); :class:`SimTrade` / :class:`SimQuoteTick`
    objects are made only for what a query returns. Bounded: past ``cap`` entries of a kind
    the oldest half is dropped.
    """

    def __init__(self, cap: int = 50_000):
        self.cap = cap
        self._tt = array("d")                  # trade times
        self._tps = array("d")                 # price, size of each trade (2 values a trade)
        self._tv = array("H")                  # (venue, condition) code of each trade
        self._codes: dict[tuple[str, str], int] = {}
        self._names: list[tuple[str, str]] = []
        self._qt = array("d")                  # quote times
        self._qv = array("d")                  # bid, ask, bid size, ask size (4 values a quote)

    def code(self, exchange: str, conditions: str) -> int:
        """The small integer a (venue, condition codes) pair is stored as."""
        key = (exchange, conditions)
        code = self._codes.get(key)
        if code is None:
            code = self._codes[key] = len(self._names)
            self._names.append(key)
        return code

    def add_trade(self, tr: SimTrade) -> None:
        self.trade(tr.time, tr.price, tr.size, tr.exchange, tr.special_conditions)

    def trade(self, t: float, price: float, size: float, exchange: str = "", conditions: str = "") -> None:
        """Record one print (time POSIX s, price, size in shares, venue, IB condition codes)."""
        code = self._codes.get((exchange, conditions))
        if code is None:
            code = self.code(exchange, conditions)
        self._tt.append(t)
        self._tps.extend((price, size))
        self._tv.append(code)
        if len(self._tt) > self.cap:
            k = self.cap // 2
            del self._tt[:k], self._tps[:2 * k], self._tv[:k]

    def trades(self, t: np.ndarray, price: np.ndarray, size: np.ndarray, codes: np.ndarray) -> None:
        """Record several prints at once (numpy arrays; ``codes`` from :meth:`code`)."""
        self._tt.frombytes(np.ascontiguousarray(t, dtype=float).tobytes())
        self._tps.frombytes(np.column_stack((price, size)).astype(float).tobytes())
        self._tv.frombytes(np.ascontiguousarray(codes, dtype=np.uint16).tobytes())
        if len(self._tt) > self.cap:
            k = len(self._tt) - self.cap // 2
            del self._tt[:k], self._tps[:2 * k], self._tv[:k]

    def quotes(self, t: np.ndarray, bid: np.ndarray, ask: np.ndarray, bid_size: np.ndarray,
               ask_size: np.ndarray) -> None:
        """Record several top-of-book changes at once (numpy arrays, oldest first)."""
        self._qt.frombytes(np.ascontiguousarray(t, dtype=float).tobytes())
        self._qv.frombytes(np.column_stack((bid, ask, bid_size, ask_size)).astype(float).tobytes())
        if len(self._qt) > self.cap:
            k = len(self._qt) - self.cap // 2
            del self._qt[:k], self._qv[:4 * k]

    def add_quote(self, q: SimQuoteTick) -> None:
        self.quote(q.time, q.bid, q.ask, q.bid_size, q.ask_size)

    def quote(self, t: float, bid: float, ask: float, bid_size: float, ask_size: float) -> None:
        """Record one top-of-book change (time POSIX s, prices, sizes in shares)."""
        self._qt.append(t)
        self._qv.extend((bid, ask, bid_size, ask_size))
        if len(self._qt) > self.cap:
            k = self.cap // 2
            del self._qt[:k], self._qv[:4 * k]

    def _trades(self, i: int, j: int) -> list[SimTrade]:
        names, ps = self._names, self._tps[2 * i:2 * j]
        return [SimTrade(t, ps[2 * n], ps[2 * n + 1], *names[v])
                for n, (t, v) in enumerate(zip(self._tt[i:j], self._tv[i:j]))]

    def _quotes(self, i: int, j: int) -> list[SimQuoteTick]:
        v = self._qv[4 * i:4 * j]
        return [SimQuoteTick(t, *v[4 * n:4 * n + 4]) for n, t in enumerate(self._qt[i:j])]

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
        return self._trades(i, j)

    def quotes_between(self, lo: float, hi: float, *, left_open: bool = True) -> list[SimQuoteTick]:
        """Quote changes with ``lo < time <= hi`` (``left_open=False``: ``lo <= time < hi``)."""
        if left_open:
            i, j = bisect.bisect_right(self._qt, lo), bisect.bisect_right(self._qt, hi)
        else:
            i, j = bisect.bisect_left(self._qt, lo), bisect.bisect_left(self._qt, hi)
        return self._quotes(i, j)

    def last_trade_before(self, t: float) -> SimTrade | None:
        i = bisect.bisect_left(self._tt, t)
        return self._trades(i - 1, i)[0] if i else None

    def last_quote_before(self, t: float) -> SimQuoteTick | None:
        i = bisect.bisect_left(self._qt, t)
        return self._quotes(i - 1, i)[0] if i else None


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
