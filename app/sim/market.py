"""Seeded live market model of the simulated gateway (top of book, trades, day statistics).

Each instrument's mid price follows a geometric Brownian motion driven by a
per-instrument ``numpy`` generator seeded with (seed, conId), so the same seed
and the same sequence of ``advance(now)`` calls give the same prices. Quote
changes arrive as a Poisson process (stocks ~3/s in regular hours, 0.3/s in
extended hours, FX 2/s; nothing while the market is closed). On a change the
quote is re-centred on the mid (spread: max(1 tick, ~0.2 bp); 3x wider in
extended hours), displayed sizes are redrawn in round lots (stocks: 100 shares;
FX: 100,000 base units) and, with probability 0.7, a trade prints at the bid or
the ask; volume, day high/low/open accumulate and live 1-minute bars are
recorded (bar start POSIX seconds UTC).

History (``app.sim.history``) ends exactly at the start price, and the live
minute bars continue the same table, so ``minutes(conId)`` is the single source
for every bar size and the last bar's close is always the last trade price.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from app.sim.firehose import FirehoseBlock
from app.sim.history import Bars, minute_sigmas, replay_series, start_price, synth_daily, synth_minutes
from app.sim.instruments import SimInstrument, day_midnight, is_open, trading_date
from app.sim.tape import Tape
from app.sim.types import SimError, TopOfBook

RATE_RTH = 3.0        # quote changes per second, stocks in RTH
RATE_EXT = 0.3        # stocks in pre/post market
RATE_FX = 2.0
TRADE_PROB = 0.7
MAX_GAP = 6.5 * 3600  # cap on the variance horizon of one update (s)
#: a linked instrument (an index future) closes this share of its gap to the leader's price
#: x ratio within LINK_TAU seconds on each quote change: 1 - exp(-elapsed / LINK_TAU)
LINK_TAU = 30.0


#: live time & sales kept (``app.sim.tape.Tape`` cap): TAPE_BUDGET prints and as many quote changes
#: over all instruments (~33 MB in all), at least TAPE_MIN and at most TAPE_CAP per instrument
TAPE_BUDGET = 500_000
TAPE_MIN = 1_000
TAPE_CAP = 50_000
#: generated histories kept at once (the others are generated again when asked for)
HISTORY_CACHE = 4


class _History(NamedTuple):
    """One instrument's history: ``base`` minutes strictly before the live minute, ``opening``
    (the history part of the minute containing t0, or None) and ``older`` daily bars."""

    base: Bars
    opening: Bars | None
    older: Bars


@dataclass(slots=True)
class _State:
    inst: SimInstrument
    rng: np.random.Generator
    hist: _History | None           # replayed history (kept); None: generated on demand
    live: dict[float, list] = field(default_factory=dict)  # minute start -> [o,h,l,c,v,wv,n,day,rth]
    mid: float = 0.0
    top: TopOfBook | None = None
    day: float = 0.0                # trading date stamp (00:00 NY POSIX) of the current day stats
    last_change: float = 0.0
    trade_lot: float = 100.0
    sig_rth: float = 0.0            # per-minute log volatility in / outside RTH
    sig_ext: float = 0.0
    ahead: tuple[np.ndarray, np.ndarray] | None = None   # replay: (times, mids) the live mid follows
    replayed: bool = False                               # history replays real bars (--bars)
    tape: Tape = field(default_factory=Tape)             # live prints and quote changes
    prints: int = 0                                      # trade counter (venue rotation)
    venues: tuple[str, ...] = ()                         # venues prints rotate through (_venues)
    held_until: float = 0.0                              # a scripted quote holds the walk until then


def _venues(inst: SimInstrument) -> tuple[str, ...]:
    """The venues prints rotate through (FX: its exchange; stocks: primary, ARCA, BATS, IEX, EDGX)."""
    c = inst.contract
    return (c.exchange,) * 5 if inst.round_the_clock else (c.primary_exchange, "ARCA", "BATS", "IEX", "EDGX")


def _rt(x: float, tick: float) -> float:
    dec = max(0, -int(math.floor(math.log10(tick))) + 1)
    return round(round(x / tick) * tick, dec)


class MarketModel:
    """Live prices for a set of instruments, all advanced by ``advance(now)``.

    ``t0`` (POSIX s) is the start time: history ends there and live ticks follow.
    ``replay`` maps symbol/localSymbol -> real bar DataFrame (see history.read_bars_file).
    State is created lazily per instrument (history generation is ~ms each). A generated
    history (~1.6 MB of minute bars per instrument) is not kept with the state: the last
    HISTORY_CACHE asked for are cached and the others generated again, identically (they are
    deterministic in seed, conId and t0), when history or bars are asked for.
    """

    def __init__(self, instruments: list[SimInstrument], *, seed: int, t0: float,
                 replay: dict[str, pd.DataFrame] | None = None, links: dict[int, int] | None = None):
        self.seed = seed
        #: follower conId -> leader conId (ES -> SPY): the follower starts at the leader's start
        #: price x (its reference price / the leader's) and, while the leader's stock session is
        #: open, is pulled to that ratio on each quote change (LINK_TAU); else it walks alone
        self._links = dict(links or {})
        self.t0 = t0
        self.now = t0
        self._inst = {i.con_id: i for i in instruments}
        self._replay = replay or {}
        self._state: dict[int, _State] = {}
        self._hist_cache: collections.OrderedDict[int, _History] = collections.OrderedDict()
        #: conId -> the last price a restored top of book left off at: the generated history ends
        #: there (``restore_top``), instead of at the seeded start price
        self._restored_last: dict[int, float] = {}
        #: entries of each kind (prints, quote changes) a tape keeps: TAPE_BUDGET over all instruments
        self._tape_cap = min(TAPE_CAP, max(TAPE_MIN, TAPE_BUDGET // max(1, len(instruments))))
        self._fire: FirehoseBlock | None = None
        self._fire_epoch = 0                     # set_firehose calls (seeds each block's generator)
        self._normal: list[int] = list(self._inst)   # conIds advanced by the per-instrument path
        self._retired: set[int] = set()              # expired contracts: quotes frozen (``retire``)

    @property
    def firehose_on(self) -> bool:
        """True while the load mode streams some instruments."""
        return self._fire is not None

    def set_firehose(self, con_ids: list[int], rate: float) -> None:
        """Load mode: the instruments ``con_ids`` change quote ~``rate`` times per second in total
        (split evenly), at any hour, advanced together by ``app.sim.firehose.FirehoseBlock``
        (its own generator, seeded by (seed, the number of set_firehose calls)); the others
        return to the normal path. ``rate`` <= 0 ends the mode. A replay path of a firehose
        instrument ends. Raises ValueError for a non-finite rate, SimError 200 for an unknown conId."""
        if not math.isfinite(rate):
            raise ValueError(f"firehose rate must be finite, got {rate!r}")
        fire = [] if rate <= 0 or not con_ids else list(dict.fromkeys(con_ids))
        states = [self._st(cid) for cid in fire]
        self._fire_epoch += 1
        self._fire = None
        if states:
            for st in states:
                st.ahead = None
            rng = np.random.default_rng([self.seed, 4, self._fire_epoch])
            self._fire = FirehoseBlock(states, rate / len(states), rng, self._trade, self._trades,
                                       trade_prob=TRADE_PROB,
                                       rate_rth=RATE_RTH, max_gap=MAX_GAP)
        on = set(fire)
        self._normal = [cid for cid in self._inst if cid not in on and cid not in self._retired]

    # -------------------------------------------------------------- setup
    def instrument(self, con_id: int) -> SimInstrument:
        try:
            return self._inst[con_id]
        except KeyError:
            raise SimError(200, "No security definition has been found for the request") from None

    def retire(self, con_id: int) -> None:
        """Stop moving ``con_id`` (an expired future): its last quote, tape and bars stay."""
        self._retired.add(con_id)
        self._normal = [cid for cid in self._normal if cid != con_id]

    def _st(self, con_id: int) -> _State:
        st = self._state.get(con_id)
        if st is None:
            st = self._init_state(self.instrument(con_id))
            self._state[con_id] = st
        return st

    def _ratio(self, inst: SimInstrument) -> float:
        return inst.params.price / self._inst[self._links[inst.con_id]].params.price

    def _start_price(self, inst: SimInstrument) -> float:
        """The live start price: ``history.start_price``, or for a linked instrument its leader's
        start price x the ratio of their reference prices (on tick)."""
        restored = self._restored_last.get(inst.con_id)
        if restored is not None:
            return restored
        lead = self._links.get(inst.con_id)
        if lead is None or lead not in self._inst:
            return start_price(inst, self.seed)
        tick = inst.min_tick
        return round(self._st(lead).mid * self._ratio(inst) / tick) * tick

    def _replay_frame(self, inst: SimInstrument) -> pd.DataFrame | None:
        """The real bars replayed for ``inst`` (``--replay``), None when it walks alone."""
        c = inst.contract
        df = self._replay.get(c.local_symbol.upper())
        if df is None and c.sec_type == "CASH":
            df = self._replay.get((c.symbol + c.currency).upper())
        if df is None and c.sec_type == "STK":
            df = self._replay.get(c.symbol.upper())
        return df

    def _init_state(self, inst: SimInstrument) -> _State:
        c = inst.contract
        df = self._replay_frame(inst)
        ahead = None
        if df is not None:
            minutes, older, ahead = replay_series(inst, df, self.seed, self.t0)
        else:
            minutes, older = self._synth_history(inst)
        hist = _History(*self._split(minutes), older)
        rng = np.random.default_rng([self.seed, inst.con_id, 3])
        st = _State(inst, rng, hist if df is not None else None, ahead=ahead, replayed=df is not None,
                    tape=Tape(self._tape_cap))
        if df is None:
            self._cache_history(inst.con_id, hist)
        s0 = float(minutes.c[-1]) if len(minutes) else inst.params.price
        if hist.opening is not None:            # the minute containing t0 continues live
            i = len(minutes) - 1
            st.live[float(minutes.t[i])] = [minutes.o[i], minutes.h[i], minutes.l[i], minutes.c[i], minutes.v[i],
                                            minutes.wv[i], int(minutes.n[i]), minutes.day[i], bool(minutes.rth[i])]
        # day statistics from the most recent session in the table
        if len(minutes):
            today = minutes.day[-1]
            sel = minutes.day == today
            prev = np.flatnonzero(~sel)
            prev_close = float(minutes.c[prev[-1]]) if len(prev) else (
                float(older.c[-1]) if len(older) else float(minutes.o[np.flatnonzero(sel)[0]]))
            o = float(minutes.o[np.flatnonzero(sel)[0]])
            hi, lo, vol = float(minutes.h[sel].max()), float(minutes.l[sel].min()), float(minutes.v[sel].sum())
            st.day = float(today)
        else:
            prev_close = o = hi = lo = s0
            vol = 0.0
        st.mid = s0
        st.sig_rth, st.sig_ext = (float(x) for x in minute_sigmas(inst, np.array([True, False])))
        st.trade_lot = inst.lot
        st.venues = _venues(inst)
        bid, ask = self._quote(inst, s0, is_open(c.sec_type, self.t0, rth=True))
        bs, as_ = self._sizes(st)
        st.top = TopOfBook(bid=bid, ask=ask, last=s0, bid_size=bs, ask_size=as_, last_size=st.trade_lot,
                           volume=vol, high=hi, low=lo, open=o, close=prev_close, time=self.t0)
        st.tape.quote(self.t0, bid, ask, bs, as_)
        st.last_change = self.t0
        return st

    def _synth_history(self, inst: SimInstrument) -> tuple[Bars, Bars]:
        """(minutes, older daily bars) generated for ``inst``; the same every time."""
        minutes = synth_minutes(inst, self.seed, self.t0, self._start_price(inst))
        older = Bars.empty()
        if len(minutes):
            first_day = trading_date(inst.contract.sec_type, float(minutes.t[0]))
            older = synth_daily(inst, self.seed, first_day, float(minutes.o[0]))
        return minutes, older

    def _split(self, minutes: Bars) -> tuple[Bars, Bars | None]:
        """(base, opening): the minute containing t0, which continues live, split off."""
        if len(minutes) and minutes.t[-1] + 60 > self.t0:
            i = len(minutes) - 1
            return minutes.take(slice(0, i)), minutes.take(slice(i, i + 1))
        return minutes, None

    def _cache_history(self, con_id: int, hist: _History) -> None:
        self._hist_cache[con_id] = hist
        self._hist_cache.move_to_end(con_id)
        while len(self._hist_cache) > HISTORY_CACHE:
            self._hist_cache.popitem(last=False)

    def _history(self, con_id: int) -> _History:
        """The instrument's history: replayed (kept), else cached or generated again."""
        st = self._st(con_id)
        if st.hist is not None:
            return st.hist
        hist = self._hist_cache.get(con_id)
        if hist is None:
            minutes, older = self._synth_history(st.inst)
            hist = _History(*self._split(minutes), older)
        self._cache_history(con_id, hist)
        return hist

    @staticmethod
    def spread_ticks(inst: SimInstrument, price: float, rth: bool) -> int:
        """Quoted spread in ticks: max(1, round(0.2 bp of price / tick)); stocks x3 outside RTH."""
        n = max(1, int(round(price * 2e-5 / inst.min_tick)))
        return n if (rth or inst.is_fx) else 3 * n

    def _quote(self, inst: SimInstrument, mid: float, rth: bool) -> tuple[float, float]:
        tick = inst.min_tick
        n = self.spread_ticks(inst, mid, rth)
        bid = _rt(math.floor((mid - n * tick / 2) / tick + 1e-9) * tick, tick)
        bid = max(bid, tick)
        return bid, _rt(bid + n * tick, tick)

    def _sizes(self, st: _State) -> tuple[float, float]:
        k = st.rng.integers(1, 21, size=2)
        lot = st.trade_lot
        return float(k[0] * lot), float(k[1] * lot)

    # -------------------------------------------------------------- live
    def advance(self, now: float) -> list[int]:
        """Move every instrument to POSIX time ``now``; returns conIds whose top of book changed.

        Calls with ``now`` <= the previous ``now`` change nothing (idempotent).
        """
        if not math.isfinite(now) or now <= self.now:
            return []
        dt = now - self.now
        self.now = now
        changed = []
        sessions: dict[str, tuple[bool, bool]] = {}
        for cid in self._normal:
            st = self._st(cid)
            kind = st.inst.contract.sec_type
            if kind not in sessions:
                sessions[kind] = (is_open(kind, now), is_open(kind, now, rth=True))
            open_, rth = sessions[kind]
            if not open_ or st.held_until > now:
                continue
            if st.ahead is not None:
                # the replay path's corners (each real minute's open, low, high, close) are
                # always quoted, so live bars reach the real bar's extremes at any step size
                ts = st.ahead[0]
                corners = range(int(np.searchsorted(ts, now - dt, "right")), int(np.searchsorted(ts, now, "left")))
                for i in corners:
                    self._tick(st, float(ts[i]), rth)
                if corners:
                    changed.append(cid)
            rate = RATE_FX if st.inst.is_fx else (RATE_RTH if rth else RATE_EXT)
            u = st.rng.random()
            if u >= 1.0 - math.exp(-rate * dt):
                continue
            self._tick(st, now, rth)
            if not changed or changed[-1] != cid:
                changed.append(cid)
        if self._fire is not None:
            changed += self._fire.step(now, dt)
        return changed

    def _tick(self, st: _State, now: float, rth: bool) -> None:
        inst = st.inst
        rng = st.rng
        top = st.top
        assert top is not None
        sig_min = st.sig_rth if rth else st.sig_ext
        elapsed = min(max(now - st.last_change, 0.05), MAX_GAP)
        z = rng.standard_normal(3)
        if st.ahead is not None and now <= st.ahead[0][-1]:
            st.mid = float(np.interp(now, st.ahead[0], st.ahead[1]))     # replaying the next real bar
        else:
            st.ahead = None
            st.mid = st.mid * math.exp(sig_min / math.sqrt(60.0) * math.sqrt(elapsed) * z[0])
            lead = self._links.get(inst.con_id)
            if lead is not None and lead in self._inst and is_open("STK", now):
                target = self._st(lead).mid * self._ratio(inst)
                k = 1.0 - math.exp(-elapsed / LINK_TAU)
                st.mid = math.exp((1.0 - k) * math.log(st.mid) + k * math.log(target))
        st.last_change = now
        top.bid, top.ask = self._quote(inst, st.mid, rth)
        top.bid_size, top.ask_size = self._sizes(st)
        top.time = now
        st.tape.quote(now, top.bid, top.ask, top.bid_size, top.ask_size)
        if rng.random() < TRADE_PROB:
            px = top.bid if rng.random() < 0.5 else top.ask
            mean = inst.params.adv * 0.9 / 390 / 60 / (RATE_RTH * TRADE_PROB)
            size = max(st.trade_lot, round(mean * math.exp(0.5 * z[1]) / st.trade_lot) * st.trade_lot)
            self._trade(st, now, px, size)

    def _trade(self, st: _State, now: float, px: float, size: float, day: float | None = None,
               cond: str | None = None) -> None:
        """Print a trade: day statistics, tape, live minute bar. ``day`` (trading date stamp) and
        ``cond`` ("" in RTH, "T" outside) are computed from ``now`` unless the caller has them."""
        top = st.top
        assert top is not None
        kind = st.inst.contract.sec_type
        if day is None:
            day = day_midnight(trading_date(kind, now))
        if day != st.day:                       # first trade of a new session: reset day statistics
            st.day = day
            top.close = top.last
            top.open = top.high = top.low = px
            top.volume = 0.0
        top.last, top.last_size = px, size
        st.prints += 1
        venue = st.venues[st.prints % 5]
        if cond is None:
            cond = "" if is_open(kind, now, rth=True) else "T"
        st.tape.trade(now, px, size, venue, cond)
        top.volume += size
        if px > top.high:
            top.high = px
        if px < top.low:
            top.low = px
        key = math.floor(now / 60.0) * 60.0
        row = st.live.get(key)
        if row is None:
            st.live[key] = [px, px, px, px, size, px * size, 1, day_midnight(trading_date(kind, key)),
                            is_open(kind, key, rth=True)]
        else:
            if px > row[1]:
                row[1] = px
            if px < row[2]:
                row[2] = px
            row[3] = px
            row[4] += size
            row[5] += px * size
            row[6] += 1

    def _trades(self, st: _State, t: np.ndarray, px: np.ndarray, size: np.ndarray, day: float,
                cond: str) -> None:
        """Several prints of one instrument at once (numpy arrays, oldest first; the firehose's
        long steps): the same day statistics, tape and live minute bars as ``_trade`` each."""
        top = st.top
        assert top is not None
        if day != st.day:                      # a new session starts inside: one by one
            for a, b, c in zip(t.tolist(), px.tolist(), size.tolist()):
                self._trade(st, a, b, c, day, cond)
            return
        n = len(px)
        codes = np.array([st.tape.code(v, cond) for v in st.venues], dtype=np.uint16)
        st.tape.trades(t, px, size, codes[(st.prints + 1 + np.arange(n)) % 5])
        st.prints += n
        top.last, top.last_size = float(px[-1]), float(size[-1])
        top.volume += float(size.sum())
        top.high = max(top.high, float(px.max()))
        top.low = min(top.low, float(px.min()))
        kind = st.inst.contract.sec_type
        keys = np.floor(t / 60.0) * 60.0
        cuts = np.flatnonzero(np.diff(keys)) + 1
        for a, b in zip(np.r_[0, cuts].tolist(), np.r_[cuts, n].tolist()):
            key, p, v = float(keys[a]), px[a:b], size[a:b]
            o, h, lo, c = float(p[0]), float(p.max()), float(p.min()), float(p[-1])
            vol, wv = float(v.sum()), float((p * v).sum())
            row = st.live.get(key)
            if row is None:
                st.live[key] = [o, h, lo, c, vol, wv, b - a, day_midnight(trading_date(kind, key)),
                                is_open(kind, key, rth=True)]
            else:
                row[1] = max(row[1], h)
                row[2] = min(row[2], lo)
                row[3] = c
                row[4] += vol
                row[5] += wv
                row[6] += b - a

    def set_quote(self, con_id: int, now: float, *, bid: float, ask: float, bid_size: float | None = None,
                  ask_size: float | None = None, last: float | None = None, last_size: float | None = None,
                  hold: float = 0.0) -> None:
        """Script a market move (scenario tests, demos): set the top of book at ``now`` and, if
        ``last`` is given, print a trade there (volume, day stats and live bars update).
        The random walk continues from the new mid, at once or, with ``hold`` > 0, after
        ``hold`` seconds of simulated time (the scripted book stays as set meanwhile, so a
        scenario's order meets exactly it). Raises ValueError for a crossed or non-positive
        quote, SimError 200 for an unknown conId.
        """
        st = self._st(con_id)
        if not (0 < bid <= ask) or not math.isfinite(ask):
            raise ValueError(f"bad quote bid={bid!r} ask={ask!r}")
        top = st.top
        assert top is not None
        self.now = max(self.now, now)
        top.bid, top.ask = bid, ask
        if bid_size is not None:
            top.bid_size = float(bid_size)
        if ask_size is not None:
            top.ask_size = float(ask_size)
        top.time = now
        st.tape.quote(now, top.bid, top.ask, top.bid_size, top.ask_size)
        st.mid = (bid + ask) / 2.0
        st.ahead = None                          # a scripted quote ends any replay path
        st.last_change = now
        st.held_until = now + hold if hold > 0 else 0.0
        if self._fire is not None:
            self._fire.sync(con_id)
        if last is not None:
            self._trade(st, now, float(last), float(last_size if last_size is not None else st.trade_lot))

    def started(self) -> list[int]:
        """conIds whose live state exists (quoted or asked for since start)."""
        return list(self._state)

    def restore_top(self, con_id: int, top: TopOfBook) -> None:
        """Put back a saved top of book (gateway restart): bid, ask, last and sizes; the random
        walk continues from its mid. No trade is printed. SimError 200 for an unknown conId.

        The history before ``t0`` is generated again (it is not saved) and ends at the restored
        last price; the day statistics (open, high, low, volume and the previous close) are
        that history's, so quotes, a watchlist's change and the charts agree (the saved ones
        described the previous run's generated past)."""
        inst = self.instrument(con_id)
        if self._replay_frame(inst) is None and math.isfinite(top.last) and top.last > 0:
            self._restored_last[con_id] = float(top.last)
            old = self._state.pop(con_id, None)
            self._hist_cache.pop(con_id, None)
            st = self._st(con_id)
            if old is not None:          # keep the object others hold (the firehose's block)
                for name in _State.__slots__:
                    setattr(old, name, getattr(st, name))
                self._state[con_id] = st = old
        else:
            st = self._st(con_id)
        t = st.top
        assert t is not None
        st.top = TopOfBook(top.bid, top.ask, top.last, top.bid_size, top.ask_size, top.last_size, t.volume,
                           max(t.high, top.last), min(t.low, top.last), t.open, t.close, top.time)
        st.mid = (top.bid + top.ask) / 2.0 if top.bid > 0 and top.ask > 0 else top.last
        st.ahead = None
        if self._fire is not None:
            self._fire.sync(con_id)
        st.tape.quote(max(top.time, self.now), top.bid, top.ask, top.bid_size, top.ask_size)

    # -------------------------------------------------------------- queries
    def top(self, con_id: int) -> TopOfBook:
        """A copy of the current top of book (prices in instrument currency, sizes in shares/units)."""
        t = self._st(con_id).top
        assert t is not None
        return TopOfBook(t.bid, t.ask, t.last, t.bid_size, t.ask_size, t.last_size, t.volume,
                         t.high, t.low, t.open, t.close, t.time)

    def top_view(self, con_id: int) -> TopOfBook:
        """The live top of book itself (no copy): read it, never change it (the market data
        pump reads every changed instrument's; ``top`` gives a copy)."""
        t = self._st(con_id).top
        assert t is not None
        return t

    def mark(self, con_id: int) -> float:
        """Mark price for P&L: the mid of bid/ask (falls back to last)."""
        t = self._st(con_id).top
        assert t is not None
        if t.bid > 0 and t.ask > 0:
            return (t.bid + t.ask) / 2.0
        return t.last

    def minutes(self, con_id: int) -> Bars:
        """All 1-minute bars: history followed by the live-recorded minutes (oldest first)."""
        st = self._st(con_id)
        base = self._history(con_id).base
        if not st.live:
            return base
        keys = sorted(st.live)
        rows = [st.live[k] for k in keys]
        arr = np.array([r[:7] for r in rows], dtype=float)
        live = Bars(np.array(keys, dtype=float), arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5],
                    arr[:, 6].astype(np.int64), np.array([r[7] for r in rows], dtype=float),
                    np.array([r[8] for r in rows], dtype=bool))
        return Bars.concat([base, live])

    def is_replayed(self, con_id: int) -> bool:
        """True when the instrument's history replays real bars (``--bars``), False when generated."""
        return self._st(con_id).replayed

    def opening_minute(self, con_id: int) -> Bars:
        """The history part (one row, or empty) of the minute containing ``t0``: its values before
        the live stream added trades to it (``app.sim.seconds`` splits that minute)."""
        op = self._history(con_id).opening
        return op if op is not None else Bars.empty()

    def older_daily(self, con_id: int) -> Bars:
        """Daily bars before the minute window (generated or replayed)."""
        return self._history(con_id).older

    def tape(self, con_id: int) -> Tape:
        """The live time & sales of one instrument (``app.sim.tape.Tape``)."""
        return self._st(con_id).tape

    def half_spread(self, con_id: int) -> float:
        t = self._st(con_id).top
        assert t is not None
        return (t.ask - t.bid) / 2.0
