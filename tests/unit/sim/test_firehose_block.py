"""The vectorised firehose (app.sim.firehose): no per-instrument Python work for instruments
that did not change, the same bookkeeping as the normal path (tape, volume, day statistics,
live minute bars), seeded determinism, and a client pass that looks only at changed conIds."""

from __future__ import annotations

import math

from app.sim.exchange import SimExchange
from app.sim.market import MarketModel
from tests.unit.sim.helpers import T0


def _fire(n=200, rate=4000.0, now=T0):
    ex = SimExchange(seed=7, now=now, universe=n)
    ex.firehose(n, rate)
    return ex


def test_no_per_instrument_tick_calls_and_only_changed_instruments_reported(monkeypatch):
    ex = _fire()
    calls = []
    monkeypatch.setattr(MarketModel, "_tick", lambda self, st, now, rth: calls.append(st))
    changed = ex.advance(T0 + 0.01)                # ~0.2 changes per instrument
    fire = {c.con_id for c in ex.contracts()}      # futures are not in the block: they may tick alone
    assert not {st.inst.con_id for st in calls} & fire   # the block, not the per-instrument path
    assert {st.inst.contract.sec_type for st in calls} <= {"FUT"}
    assert 0 < len(changed) < 120 + len(calls)
    for cid in changed:
        assert ex.top(cid).time > T0


def test_bookkeeping_matches_the_tape():
    ex = _fire(n=40, rate=4000.0)
    cids = [c.con_id for c in ex.contracts()[:40]]
    before = {cid: ex.top(cid) for cid in cids}
    n_quotes0 = {cid: len(ex.quotes_since(cid, T0 - 1e9)) for cid in cids}
    t = ex.now
    for i in range(1, 201):
        ex.advance(t + 0.01 * i)                    # 2 s
    total_quotes = 0
    for cid in cids:
        top, b = ex.top(cid), before[cid]
        tape = ex.market.tape(cid)
        trades = tape.trades_between(t, ex.now)
        total_quotes += len(ex.quotes_since(cid, T0 - 1e9)) - n_quotes0[cid]
        if not trades:
            continue
        assert math.isclose(top.volume - b.volume, sum(x.size for x in trades))
        assert top.last == trades[-1].price and top.last_size == trades[-1].size
        assert top.high >= max(x.price for x in trades) and top.low <= min(x.price for x in trades)
        m = ex.market.minutes(cid)
        assert m.c[-1] == top.last
        assert 0 < top.bid < top.ask
        q = tape.last_quote_before(math.inf)
        assert (q.bid, q.ask, q.bid_size, q.ask_size) == (top.bid, top.ask, top.bid_size, top.ask_size)
    assert 6000 <= total_quotes <= 10000            # ~8000 changes in 2 s


def test_same_seed_same_path():
    a, b = _fire(n=60), _fire(n=60)
    for i in range(1, 51):
        assert a.advance(T0 + 0.02 * i) == b.advance(T0 + 0.02 * i)
    assert [a.top(c.con_id) for c in a.contracts()] == [b.top(c.con_id) for c in b.contracts()]


def test_scripted_quote_moves_the_block_mid():
    ex = _fire(n=30, rate=3000.0)
    cid = ex.contracts()[0].con_id
    ex.set_quote(cid, T0 + 0.001, bid=100.00, ask=100.02)
    for i in range(1, 21):
        ex.advance(T0 + 0.01 * i)
    assert abs(ex.top(cid).bid - 100.0) < 1.0      # the walk continues from the scripted mid


def test_a_long_step_costs_per_instrument_not_per_change(monkeypatch):
    ex = _fire(n=40, rate=4000.0)
    m = ex.market
    cids = [c.con_id for c in ex.contracts()[:40]]
    before = {cid: (ex.top(cid).volume, len(m.tape(cid)._qt), len(m.tape(cid)._tt)) for cid in cids}
    calls = []
    orig = MarketModel._trade
    monkeypatch.setattr(MarketModel, "_trade", lambda self, *a, **k: (calls.append(1), orig(self, *a, **k)))
    ex.advance(T0 + 2.0)                           # ~200 changes per instrument in one step
    assert len(calls) < 40                         # trades went in batches, not one call per print
    n_quotes = 0
    for cid in cids:
        vol0, q0, t0 = before[cid]
        tape = m.tape(cid)
        trades = tape.trades_between(T0, ex.now)
        n_quotes += len(tape._qt) - q0
        assert len(trades) == len(tape._tt) - t0
        top = ex.top(cid)
        assert math.isclose(top.volume - vol0, sum(x.size for x in trades))
        assert (top.last, top.last_size) == (trades[-1].price, trades[-1].size)
        assert m.minutes(cid).c[-1] == top.last
        if ex.contract(cid).sec_type == "STK":
            assert {x.exchange for x in trades} >= {"ARCA", "BATS"}
    assert 7000 <= n_quotes <= 9000
