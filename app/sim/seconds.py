"""Seconds bars ("1 secs" .. "30 secs") of the simulated gateway's reqHistoricalData.

Every seconds bar is built from **pieces** inside one 1-minute bar of the
market's minute table (``MarketModel.minutes``), so the seconds bars of a minute
aggregate exactly to that minute's bar: open = first open, close = last close,
high/low = extremes, volume and trade count = sums.

* Minutes recorded live (after the start time ``t0``): one piece per trade print
  of the simulator's tape (``MarketModel.tape``), the same prints that built the
  live minute, so the chart's live bar and the history agree. As IB does for
  TRADES bars, a seconds slot without a print has no bar.
* Generated history minutes: a seeded Brownian bridge of 1-second pieces from the
  minute's open to its close that touches its high and low (prices on the tick,
  volume split in round lots); deterministic in (seed, conId, minute start).
* The minute containing ``t0``: its history part (``MarketModel.opening_minute``)
  is bridged over [minute start, t0), the live prints follow. If the tape lost
  prints (it is bounded), the part of the minute the prints do not explain is
  bridged before the first remaining print, so the aggregate still holds.
* Replayed instruments (``--bars DIR``): bars of a day or an hour hold no
  seconds detail, and inventing it would pass made-up data for real data, so
  only the live tape minutes have seconds bars; a range with none is answered
  with IB's 162 "HMDS query returned no data".

Request rules (IB TWS API docs "Historical Data Limitations", "Step Sizes"
table, read per bar size): the longest duration is 1800 S for 1 secs, 3600 S for
5 secs, 14400 S for 10 and 15 secs, 28800 S for 30 secs, and only ``S``
durations are allowed; anything longer is refused as TWS does, error 162
"Historical Market Data Service error message:invalid step: <seconds>".
keepUpToDate needs a bar size of 5 secs or more (IB reqHistoricalData docs);
1 secs with keepUpToDate is error 321.

Times are POSIX seconds UTC; prices instrument currency; volume shares (FX
base units).
"""

from __future__ import annotations

import math

import numpy as np

from app.domain.bars import MIN_KEEP_UP_TO_DATE_SECONDS
from app.sim.history import Bars, aggregate
from app.sim.market import MarketModel
from app.sim.types import SimError

#: IB barSizeSetting -> seconds, for the seconds bar sizes
SECONDS_BAR_SIZES: dict[str, int] = {"1 secs": 1, "5 secs": 5, "10 secs": 10, "15 secs": 15, "30 secs": 30}


def check_keep_up_to_date(bar_size: str) -> None:
    """Refuse keepUpToDate for "1 secs" (IB keeps bars of 5 secs or more up to date;
    ``app.domain.bars.MIN_KEEP_UP_TO_DATE_SECONDS``).

    Raises SimError 321 for "1 secs"; other sizes pass."""
    secs = SECONDS_BAR_SIZES.get(" ".join((bar_size or "").split()))
    if secs is not None and secs < MIN_KEEP_UP_TO_DATE_SECONDS:
        raise SimError(321, "Error validating request.-'bW' : cause - keepUpToDate is supported for bar "
                            f"sizes of 5 secs or more, not {bar_size!r}")


def _round_tick(x: np.ndarray, tick: float) -> np.ndarray:
    dec = max(0, -int(math.floor(math.log10(tick))) + 1)
    return np.round(np.round(x / tick) * tick, dec)


def _lot(v: float) -> float:
    for lot in (1000.0, 100.0, 1.0):
        if v >= lot and v % lot == 0:
            return lot
    return 1.0


def bridge_pieces(rng: np.random.Generator, start: float, end: float, o: float, h: float, l: float,  # noqa: E741
                  c: float, v: float, n: int, tick: float) -> tuple[np.ndarray, ...]:
    """1-second pieces over [start, end) of one bar part: a Brownian bridge from ``o`` to ``c``
    that stays in [``l``, ``h``] and touches both, prices on ``tick``.

    Returns arrays (t, o, h, l, c, v, n) with ``max(1, ceil(end - start))`` rows; the
    first open is ``o``, the last close ``c``, max high ``h``, min low ``l``, volumes
    sum to ``v`` (in round lots when ``v`` is a multiple of 100/1000) and counts to ``n``.
    """
    m = max(1, int(math.ceil(end - start - 1e-9)))
    t = start + np.arange(m, dtype=float)
    frac = np.arange(1, m + 1) / m
    w = np.cumsum(rng.standard_normal(m)) / math.sqrt(m)
    b = w - frac * w[-1]
    p = o + (c - o) * frac + b * (h - l) * 0.5
    p = np.clip(_round_tick(p, tick), l, h)
    p[-1] = c
    op = np.r_[o, p[:-1]]
    jump = np.abs(rng.standard_normal((2, m))) * (h - l) * 0.15
    hi = np.minimum(_round_tick(np.maximum(op, p) + jump[0], tick), h)
    hi = np.maximum(hi, np.maximum(op, p))
    lo = np.maximum(_round_tick(np.minimum(op, p) - jump[1], tick), l)
    lo = np.minimum(lo, np.minimum(op, p))
    hi[int(np.argmax(hi))] = h
    lo[int(np.argmin(lo))] = l
    wts = rng.random(m) + 0.3
    wts /= wts.sum()
    vol = np.zeros(m)
    if v > 0:
        lot = _lot(v)
        units = int(v // lot)
        vol = rng.multinomial(units, wts).astype(float) * lot
        vol[-1] += v - units * lot
    cnt = rng.multinomial(max(int(n), 0), wts).astype(np.int64)
    return t, op, hi, lo, p, vol, cnt


def _minute_pieces(market: MarketModel, con_id: int, seed: int, m: Bars, i: int, now: float,
                   tape_only: bool) -> Bars:
    """The pieces of row ``i`` of the minute table ``m`` (see the module docstring)."""
    inst = market.instrument(con_id)
    tick = inst.min_tick
    k = float(m.t[i])
    day, rth = float(m.day[i]), bool(m.rth[i])
    trades = market.tape(con_id).trades_between(k, k + 60.0, left_open=False)
    trades = [x for x in trades if x.time <= now]
    tv = sum(x.size for x in trades)
    o, h, l_, c, v, n = (float(m.o[i]), float(m.h[i]), float(m.l[i]), float(m.c[i]), float(m.v[i]), int(m.n[i]))
    parts: list[tuple[np.ndarray, ...]] = []
    rng = np.random.default_rng([seed, con_id, 5, int(k)])
    opening = market.opening_minute(con_id)
    complete = len(trades) == n and abs(tv - v) < 1e-6 and (not trades or trades[0].price == o)
    if not complete and not tape_only:
        if len(opening) and float(opening.t[0]) == k and len(trades) + int(opening.n[0]) == n \
                and abs(float(opening.v[0]) + tv - v) < 1e-6:
            # the minute containing t0: its history part, then the live prints
            po, ph, pl, pc = (float(x[0]) for x in (opening.o, opening.h, opening.l, opening.c))
            pv, pn = float(opening.v[0]), int(opening.n[0])
            p_end = max(k + 1.0, min(market.t0, trades[0].time if trades else market.t0))
        else:
            # what the prints left in the tape do not explain (all of it for a generated minute)
            first = trades[0].price if trades else c
            tmax = max((x.price for x in trades), default=-math.inf)
            tmin = min((x.price for x in trades), default=math.inf)
            po, pc = o, first
            ph = h if tmax < h else max(o, first)
            pl = l_ if tmin > l_ else min(o, first)
            pv, pn = max(v - tv, 0.0), max(n - len(trades), 0)
            p_end = trades[0].time if trades else min(k + 60.0, max(now, k + 1.0))
        parts.append(bridge_pieces(rng, k, p_end, po, ph, pl, pc, pv, pn, tick))
    elif not complete:
        return Bars.empty()
    if trades:
        px = np.array([x.price for x in trades])
        parts.append((np.array([x.time for x in trades]), px, px, px, px,
                      np.array([x.size for x in trades], dtype=float), np.ones(len(trades), dtype=np.int64)))
    if not parts:
        return Bars.empty()
    t, op, hi, lo, cl, vol, cnt = (np.concatenate([p[j] for p in parts]) for j in range(7))
    typical = (hi + lo + cl) / 3.0
    return Bars(t, op, hi, lo, cl, vol, typical * vol, cnt, np.full(len(t), day), np.full(len(t), rth))


def seconds_bars(market: MarketModel, con_id: int, seed: int, bar_seconds: int, start: float, end: float,
                 *, use_rth: bool = False, include_end: bool = False) -> Bars:
    """TRADES seconds bars of ``bar_seconds`` whose start lies in [``start``, ``end``) (with
    ``include_end``, pieces at exactly ``end`` count: a request ending now), oldest first,
    clock-aligned (bar start = floor(t / bar_seconds) * bar_seconds, POSIX s UTC).

    ``use_rth``: regular-trading-hours minutes only. Replayed instruments give only bars of
    the live tape (see the module docstring). Raises SimError 200 for an unknown conId.
    """
    m = market.minutes(con_id)
    lo_min = math.floor(start / 60.0) * 60.0
    sel = (m.t >= lo_min) & (m.t <= end)
    if use_rth:
        sel &= m.rth
    m = m.take(sel)
    tape_only = market.is_replayed(con_id)
    now = market.now
    pieces = Bars.concat([_minute_pieces(market, con_id, seed, m, i, now, tape_only) for i in range(len(m))])
    if len(pieces) == 0:
        return pieces
    keep = (pieces.t <= end) if include_end else (pieces.t < end)
    pieces = pieces.take(keep)
    keys = np.floor(pieces.t / bar_seconds) * bar_seconds
    pieces = pieces.take(keys >= start)
    keys = keys[keys >= start]
    return aggregate(pieces, keys)


def live_seconds_bar(market: MarketModel, con_id: int, seed: int, bar_seconds: int) -> Bars:
    """The latest seconds bar (one row, or empty): the bar keepUpToDate updates. It is built
    from the last minute of the table the same way as ``seconds_bars``."""
    m = market.minutes(con_id)
    if len(m) == 0:
        return Bars.empty()
    k = float(m.t[-1])
    bars = seconds_bars(market, con_id, seed, bar_seconds, k, market.now, include_end=True)
    return bars.take(slice(len(bars) - 1, len(bars)))
