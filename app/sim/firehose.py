"""Load mode of the market model: every firehose instrument advanced at once with numpy.

``FirehoseBlock`` holds the firehose instruments' mids and last change times as arrays and
draws one step's random numbers for all of them together: Poisson change counts, then for
the K changes of the step (flattened, instrument by instrument) the normals of the price
path and trade size, the displayed sizes and the trade/side draws. Only the instruments
that changed cost Python work (their top of book, tape and live minute bars are updated per
change, as :meth:`app.sim.market.MarketModel._tick` does for the normal path).

The rules are those of the normal path (``app.sim.market``) in regular hours at any clock
time: the mid follows a geometric Brownian motion with the instrument's per-minute RTH
volatility over the time since its last change (clipped to 0.05 s .. MAX_GAP); the quote is
re-centred on the mid with a spread of max(1 tick, round(0.2 bp / tick)) ticks; displayed
sizes are 1..20 round lots; with probability TRADE_PROB a trade prints at the bid or the ask
(even odds) with a lognormal size around the ADV-derived mean, in round lots. The changes
of one step are spread evenly over it (``now - dt + dt * (j + 1) / k``). Deterministic for a
given generator and sequence of steps. Times POSIX seconds UTC, prices instrument currency,
sizes shares (FX base units).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from app.sim.instruments import day_midnight, is_open, trading_date

#: most changes of one instrument in one step (a stalled clock must not explode one step)
MAX_CHANGES_PER_STEP = 10_000
#: changes of one instrument in one step from which its tape and trades are updated with numpy
#: slices (a long step, e.g. catching up after a busy pass) instead of one Python call each
BATCH_MIN = 16


class FirehoseBlock:
    """The firehose instruments as arrays (index = position in ``states``).

    ``states``: the market model's per-instrument states (``app.sim.market._State``: ``inst``,
    ``mid``, ``last_change``, ``sig_rth``, ``trade_lot``, ``top``, ``tape``); ``rate``: quote
    changes per second of each instrument; ``rng``: the block's generator; ``trade``:
    ``fn(state, time, price, size, day, condition)`` prints one trade and ``trades`` the same
    with numpy arrays of times, prices and sizes (the model's ``_trade`` / ``_trades``).
    Constants (``trade_prob``, ``rate_rth``, ``max_gap``) come from the model.
    """

    def __init__(self, states: list, rate: float, rng: np.random.Generator,
                 trade: Callable, trades: Callable, *, trade_prob: float, rate_rth: float, max_gap: float):
        self.states = states
        self.con_ids = [st.inst.con_id for st in states]
        self.index = {cid: i for i, cid in enumerate(self.con_ids)}
        self.rate = float(rate)
        self.rng = rng
        self._trade = trade
        self._trades = trades
        self.trade_prob = trade_prob
        self.max_gap = max_gap
        self.mid = np.array([st.mid for st in states], dtype=float)
        self.last_change = np.array([st.last_change for st in states], dtype=float)
        self.sig_sec = np.array([st.sig_rth for st in states], dtype=float) / math.sqrt(60.0)
        self.tick = np.array([st.inst.min_tick for st in states], dtype=float)
        self.scale = np.array([10.0 ** max(0, -int(math.floor(math.log10(st.inst.min_tick))) + 1)
                               for st in states])
        self.lot = np.array([st.trade_lot for st in states], dtype=float)
        self.mean_size = np.array([st.inst.params.adv * 0.9 / 390 / 60 / (rate_rth * trade_prob)
                                   for st in states])
        self.kinds = [st.inst.contract.sec_type for st in states]
        self._kind_set = sorted(set(self.kinds))

    def __len__(self) -> int:
        return len(self.states)

    def sync(self, con_id: int) -> None:
        """Take the mid and last change time of ``con_id`` from its state again (after a
        scripted quote or a restored top of book changed them outside the block)."""
        i = self.index.get(con_id)
        if i is not None:
            st = self.states[i]
            self.mid[i] = st.mid
            self.last_change[i] = st.last_change

    def _rt(self, x: np.ndarray, rep: np.ndarray) -> np.ndarray:
        """Round to the tick, then to the tick's decimals (the model's ``_rt``), per element."""
        tick, scale = self.tick[rep], self.scale[rep]
        return np.rint(np.rint(x / tick) * tick * scale) / scale

    def step(self, now: float, dt: float) -> list[int]:
        """Advance every instrument over (now - dt, now]; returns the conIds that changed."""
        rng = self.rng
        k = rng.poisson(self.rate * dt, len(self.states))
        idx = np.flatnonzero(k)
        if not idx.size:
            return []
        kk = np.minimum(k[idx], MAX_CHANGES_PER_STEP)
        total = int(kk.sum())
        rep = np.repeat(idx, kk)                                # instrument of each change
        starts = np.cumsum(kk) - kk
        ends = starts + kk - 1
        kk_rep = np.repeat(kk, kk)
        j = np.arange(total) - np.repeat(starts, kk)            # position inside its instrument
        times = (now - dt) + dt * (j + 1) / kk_rep
        prev = np.where(j == 0, self.last_change[rep], times - dt / kk_rep)
        elapsed = np.clip(times - prev, 0.05, self.max_gap)
        z = rng.standard_normal((2, total))
        inc = self.sig_sec[rep] * np.sqrt(elapsed) * z[0]
        cs = np.cumsum(inc)
        path = cs - np.repeat(np.r_[0.0, cs][starts], kk)      # cumulative log move per instrument
        mids = self.mid[rep] * np.exp(path)
        tick = self.tick[rep]
        n = np.maximum(1.0, np.rint(mids * 2e-5 / tick))
        bid = np.maximum(self._rt(np.floor((mids - n * tick / 2) / tick + 1e-9) * tick, rep), tick)
        ask = self._rt(bid + n * tick, rep)
        lot = self.lot[rep]
        sizes = rng.integers(1, 21, size=(2, total)) * lot
        u = rng.random((2, total))
        traded = u[0] < self.trade_prob
        px = np.where(u[1] < 0.5, bid, ask)
        tsize = np.maximum(lot, np.rint(self.mean_size[rep] * np.exp(0.5 * z[1]) / lot) * lot)
        self.mid[idx] = mids[ends]
        self.last_change[idx] = times[ends]
        self._apply(now, idx, starts, ends, times, bid, ask, sizes, traded, px, tsize, mids)
        return [self.con_ids[i] for i in idx.tolist()]

    def _apply(self, now, idx, starts, ends, times, bid, ask, sizes, traded, px, tsize, mids) -> None:
        """Tape, trades and top of book of each changed instrument: one change with Python
        scalars, several (a long step) with numpy slices, so the Python work is per instrument."""
        states, kinds = self.states, self.kinds
        stamps = {kind: (day_midnight(trading_date(kind, now)), "" if is_open(kind, now, rth=True) else "T")
                  for kind in self._kind_set}
        tr_at = np.flatnonzero(traded)
        tb = np.searchsorted(tr_at, starts).tolist()
        te = np.searchsorted(tr_at, ends + 1).tolist()
        bsz, asz = sizes
        t_l, bid_l, ask_l, bsz_l, asz_l = times.tolist(), bid.tolist(), ask.tolist(), bsz.tolist(), asz.tolist()
        px_l, ts_l, mid_l, tr_l = px.tolist(), tsize.tolist(), mids.tolist(), traded.tolist()
        for g, (i, s, e) in enumerate(zip(idx.tolist(), starts.tolist(), ends.tolist())):
            st = states[i]
            day, cond = stamps[kinds[i]]
            if e - s < BATCH_MIN:                      # a few changes: scalars are cheaper
                for q in range(s, e + 1):
                    st.tape.quote(t_l[q], bid_l[q], ask_l[q], bsz_l[q], asz_l[q])
                    if tr_l[q]:
                        self._trade(st, t_l[q], px_l[q], ts_l[q], day, cond)
            else:
                sl = slice(s, e + 1)
                st.tape.quotes(times[sl], bid[sl], ask[sl], bsz[sl], asz[sl])
                if te[g] > tb[g]:
                    q = tr_at[tb[g]:te[g]]
                    self._trades(st, times[q], px[q], tsize[q], day, cond)
            top = st.top
            top.bid, top.ask, top.bid_size, top.ask_size = bid_l[e], ask_l[e], bsz_l[e], asz_l[e]
            top.time = st.last_change = t_l[e]
            st.mid = mid_l[e]
