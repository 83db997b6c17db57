"""What the market model keeps per instrument stays small: generated minute history is not held
per instrument (regenerated identically on demand), the tape is columnar and bounded by a budget
over the universe."""

from __future__ import annotations

import tracemalloc

import numpy as np

from app.sim.exchange import SimExchange
from app.sim.market import HISTORY_CACHE, TAPE_BUDGET, TAPE_MIN
from app.sim.tape import Tape
from tests.unit.sim.helpers import T0


def _same(a, b):
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("t", "o", "h", "l", "c", "v", "n"))


def test_generated_history_is_not_held_per_instrument_and_comes_back_identical():
    ex = SimExchange(seed=7, now=T0, universe=60)
    ex.advance(T0 + 1.0)                                  # every instrument's state exists
    m = ex.market
    listed = sum(len(ex.future_lookup(symbol=r)) for r in ("ES", "NQ", "CL", "GC"))
    assert len(m._state) == 60 + listed               # the stocks / FX and the listed futures
    assert all(st.hist is None for st in m._state.values())
    assert len(m._hist_cache) <= HISTORY_CACHE
    cid = ex.contracts()[0].con_id
    first = m.minutes(cid)
    daily = m.older_daily(cid)
    for c in ex.contracts()[1:HISTORY_CACHE + 3]:         # push it out of the cache
        m.minutes(c.con_id)
    assert cid not in m._hist_cache
    again = m.minutes(cid)
    assert _same(first, again) and _same(daily, m.older_daily(cid))
    bars = ex.history(cid, end=None, duration="2 D", bar_size="1 hour")
    assert bars and bars[-1].close == ex.top(cid).last


def test_tape_cap_shares_a_budget_over_the_universe():
    small = SimExchange(seed=7, now=T0)
    big = SimExchange(seed=7, now=T0, universe=1000)
    n_fut = len(small.futures.contracts())                          # futures are market instruments too
    assert small.market.tape(small.contracts()[0].con_id).cap == TAPE_BUDGET // (23 + n_fut)
    assert big.market.tape(big.contracts()[-1].con_id).cap == max(TAPE_MIN, TAPE_BUDGET // (1000 + n_fut))
    t = big.market.tape(big.contracts()[-1].con_id)
    for k in range(5 * t.cap):
        t.quote(T0 + k, 1.0, 1.01, 100.0, 100.0)
        t.trade(T0 + k, 1.0, 100.0, "NASDAQ", "")
    assert len(t._qt) <= t.cap and len(t._tt) <= t.cap
    assert t.quotes_between(T0, T0 + 5 * t.cap)[-1].time == T0 + 5 * t.cap - 1


def test_tape_holds_no_object_per_tick():
    tracemalloc.start()
    try:
        t = Tape(cap=100_000)
        before = tracemalloc.get_traced_memory()[0]
        for k in range(20_000):
            t.quote(T0 + k, 230.01 + k * 1e-4, 230.02 + k * 1e-4, 100.0 * k, 200.0)
            t.trade(T0 + k, 230.01 + k * 1e-4, 100.0 + k, "NASDAQ" if k % 2 else "ARCA", "")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 20_000 * 80                              # objects would take ~300 bytes a tick
    assert [x.exchange for x in t.trades_between(T0 - 1, T0 + 1)] == ["ARCA", "NASDAQ"]
