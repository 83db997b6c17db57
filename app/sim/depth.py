"""Level-2 order book (reqMktDepth) of the simulated gateway, built around the top of book.

The book is a pure function of the current top of book: level 0 is exactly the
top bid/ask with their displayed sizes (so depth is always consistent with
reqMktData), deeper levels step away one tick at a time (stocks: sometimes two,
so the ladder has gaps like a real book) with sizes in round lots drawn from a
hash of (conId, price level, 30-second epoch). A price level therefore keeps
its size while the quote moves a tick, and the wire side, which diffs
successive snapshots into updateMktDepth insert/update/delete operations
(IB "Market Depth (Level II)" docs), sends few changes per quote update.

Prices in instrument currency, sizes in shares (FX: base units). Times POSIX s UTC.
"""

from __future__ import annotations

import hashlib
import math

from app.sim.instruments import SimInstrument
from app.sim.types import SimError, TopOfBook

MAX_LEVELS = 10      # IB serves at most 10 rows for SMART-aggregated US stocks and IDEALPRO
EPOCH = 30.0         # seconds a deeper level's size stays the same

#: (exchange, secType, listingExch, serviceDataType, aggGroup) as reqMktDepthExchanges reports them
DEPTH_EXCHANGES: list[tuple[str, str, str, str, int]] = [
    ("ARCA", "STK", "ARCA", "Deep2", 2147483647),
    ("NASDAQ", "STK", "NASDAQ", "Deep2", 2147483647),
    ("NYSE", "STK", "NYSE", "Deep", 2147483647),
    ("SMART", "STK", "", "Deep2", 2147483647),
    ("IDEALPRO", "CASH", "", "Deep", 4),
    ("CME", "FUT", "", "Deep", 2147483647),
    ("NYMEX", "FUT", "", "Deep", 2147483647),
    ("COMEX", "FUT", "", "Deep", 2147483647),
]


def _h(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


def _rt(x: float, tick: float) -> float:
    dec = max(0, -int(math.floor(math.log10(tick))) + 1)
    return round(round(x / tick) * tick, dec)


def book(inst: SimInstrument, top: TopOfBook, levels: int = MAX_LEVELS
         ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(bids, asks) as [(price, size)], best first, ``min(levels, 10)`` rows per side;
    row 0 equals ``top``'s bid/ask and sizes. Empty sides while the instrument has no quote.

    Raises SimError 321 for ``levels`` < 1 (IB validates numRows).
    """
    try:
        n = int(levels)
    except (TypeError, ValueError):
        raise SimError(321, f"Error validating request.-'bX' : cause - Invalid numRows {levels!r}") from None
    if n < 1:
        raise SimError(321, f"Error validating request.-'bX' : cause - Invalid numRows {n}")
    n = min(n, MAX_LEVELS)
    tick = inst.min_tick
    lot = inst.lot
    epoch = math.floor(top.time / EPOCH)
    cid = inst.con_id
    bids: list[tuple[float, float]] = []
    asks: list[tuple[float, float]] = []
    if top.bid > 0 and top.bid_size > 0:
        bids.append((top.bid, top.bid_size))
        k = round(top.bid / tick)
        while len(bids) < n:
            k -= 1 + (0 if inst.is_fx else (_h(cid, "gb", k) % 5 == 0))
            if k <= 0:
                break
            bids.append((_rt(k * tick, tick), lot * (1 + _h(cid, "b", k, epoch) % 30)))
    if top.ask > 0 and top.ask_size > 0:
        asks.append((top.ask, top.ask_size))
        k = round(top.ask / tick)
        while len(asks) < n:
            k += 1 + (0 if inst.is_fx else (_h(cid, "ga", k) % 5 == 0))
            asks.append((_rt(k * tick, tick), lot * (1 + _h(cid, "a", k, epoch) % 30)))
    return bids, asks
