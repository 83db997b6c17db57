"""Client-id semantics, manual orders and binding, fault injection, firehose, SQLite state
round trip, and a whole simulated day driven by big clock jumps."""

from __future__ import annotations

import sqlite3
import time

import pytest

from app.sim.exchange import SimExchange
from app.sim.types import FillEvent, OrderEvent, SimError
from tests.unit.sim.helpers import AAPL, EURUSD, MSFT, make, ny
from tests.unit.sim.orderhelp import errors, q, statuses, tk


@pytest.fixture
def mk():
    ex, ev = make()
    q(ex, 230.00, 230.02, last=230.01)
    q(ex, 420.00, 420.02, last=420.01, cid=MSFT)
    ev.clear()
    return ex, ev


def test_client_cancels_only_its_own_orders(mk):
    ex, ev = mk
    a = ex.place(1, 5, AAPL, tk("BUY", 100, "LMT", lmt=200.0), ex.now)
    b = ex.place(2, 5, AAPL, tk("BUY", 100, "LMT", lmt=201.0), ex.now)      # same orderId, other client
    with pytest.raises(SimError) as e:
        ex.cancel(3, 5, ex.now)
    assert e.value.code == 10147 and a.status == b.status == "Submitted"
    ex.cancel(2, 5, ex.now)
    assert b.status == "Cancelled" and a.status == "Submitted"
    assert statuses(ev, 5)[-2:] == ["PendingCancel", "Cancelled"]
    assert [o.client_id for o in ex.orders(1)] == [1] and len(ex.orders(None)) == 1
    with pytest.raises(SimError) as e:
        ex.cancel(2, 5, ex.now)
    assert e.value.code == 10148


def test_manual_orders_unbound_then_bound_to_client_zero(mk):
    ex, ev = mk
    m1 = ex.place_manual(AAPL, tk("BUY", 100, "LMT", lmt=200.0), ex.now)
    assert (m1.client_id, m1.order_id) == (-1, 0) and m1.status == "Submitted"
    with pytest.raises(SimError):
        ex.cancel(0, 0, ex.now)                             # unbound: the API cannot touch it
    with pytest.raises(SimError):
        ex.bind_manual_orders(5)
    bound = ex.bind_manual_orders(0)
    assert bound == [m1] and (m1.client_id, m1.order_id, m1.bound) == (0, -1, True)
    m2 = ex.place_manual(AAPL, tk("SELL", 100, "LMT", lmt=260.0), ex.now)
    assert (m2.client_id, m2.order_id) == (0, -2)           # auto-bound with the next negative id
    assert {o.order_id for o in ex.orders(0)} == {-1, -2}
    ex.cancel(0, -1, ex.now)
    assert m1.status == "Cancelled"


def test_reject_next_order_once(mk):
    ex, ev = mk
    ex.reject_next_order(201, "Order rejected - reason:test")
    a = ex.place(1, 1, AAPL, tk("BUY", 100, "MKT"), ex.now)
    b = ex.place(1, 2, AAPL, tk("BUY", 100, "MKT"), ex.now)
    assert a.status == "Inactive" and a.filled == 0 and errors(ev, 1) == [201]
    assert b.status == "Filled"


def test_global_cancel_includes_other_clients_and_manual(mk):
    ex, ev = mk
    ex.place(1, 1, AAPL, tk("BUY", 100, "LMT", lmt=200.0), ex.now)
    ex.place(2, 1, AAPL, tk("BUY", 100, "LMT", lmt=200.0), ex.now)
    ex.place_manual(AAPL, tk("BUY", 100, "LMT", lmt=200.0), ex.now)
    ex.global_cancel(ex.now)
    assert ex.orders() == [] and {o.status for o in ex.orders(working_only=False)} == {"Cancelled"}


def test_firehose_rate_and_off():
    ex, _ = make(now=ny(2025, 11, 22, 12, 0))                # Saturday: markets closed
    assert ex.advance(ex.now + 1.0) == []
    ex.firehose(5, 1000.0)
    t = ex.now
    changed = set()
    for i in range(1, 11):
        changed |= set(ex.advance(t + 0.1 * i))
    assert changed == {c.con_id for c in ex.contracts()[:5]}
    n = sum(len(ex.quotes_since(cid, t)) for cid in changed)
    assert 700 <= n <= 1300                                   # ~1000 quote changes in 1 s
    ex.firehose(0, 0)
    assert ex.advance(ex.now + 1.0) == []
    with pytest.raises(ValueError):
        ex.firehose(999, 10)


def test_state_round_trip_exact(tmp_path, mk):
    ex, ev = mk
    ex.place(1, 1, AAPL, tk("BUY", 300, "MKT", order_ref="r1"), ex.now)
    ex.place(1, 2, MSFT, tk("SELL", 50, "MKT"), ex.now)
    ex.place(1, 3, AAPL, tk("SELL", 100, "MKT"), ex.now)
    g = ex.place(1, 4, AAPL, tk("SELL", 100, "LMT", lmt=260.0, tif="GTC", oca_group="o", oca_type=2), ex.now)
    t = ex.place(2, 9, AAPL, tk("SELL", 100, "TRAIL", aux=1.0, tif="GTC"), ex.now)
    ex.place(1, 5, AAPL, tk("BUY", 100, "LMT", lmt=100.0, transmit=False), ex.now)   # untransmitted: dropped
    ex.bind_manual_orders(0)
    ex.place_manual(MSFT, tk("BUY", 10, "LMT", lmt=300.0, tif="GTC"), ex.now)
    path = tmp_path / "state.sqlite"
    ex.save_state(str(path))
    ex2 = SimExchange.load_state(str(path))
    assert ex2.now == ex.now and ex2.account.cash == ex.account.cash
    assert ex2.positions() == ex.positions() and ex2.account_values() == ex.account_values()
    assert ex2.executions() == ex.executions() and ex2.pnl() == ex.pnl()
    keep = sorted((o for o in ex.orders() if not o.held), key=lambda o: o.perm_id)
    assert sorted(ex2.orders(), key=lambda o: o.perm_id) == keep
    assert len(keep) == 3 and ex2.engine.auto_bind_client == 0
    # counters continue: new ids never collide, trailing stop state survived
    o = ex2.place(1, 6, AAPL, tk("BUY", 1, "MKT"), ex2.now)
    assert o.perm_id > max(x.perm_id for x in ex.orders(working_only=False))
    assert ex2.executions()[-1].exec_id not in {f.exec_id for f in ex.executions()}
    assert [x for x in ex2.orders(2)][0].trail_stop == t.trail_stop
    with pytest.raises(SimError):
        ex2.place(1, 4, MSFT, tk("SELL", 100, "LMT", lmt=260.0), ex2.now)     # same id, other contract
    assert g.status == "Submitted"
    with sqlite3.connect(path) as con:
        assert dict(con.execute("SELECT key, value FROM meta"))["schema_version"] == "2"


def test_load_state_rejects_foreign_file(tmp_path):
    with pytest.raises(ValueError):
        SimExchange.load_state(str(tmp_path / "missing.sqlite"))
    bad = tmp_path / "bad.sqlite"
    with sqlite3.connect(bad) as con:
        con.execute("CREATE TABLE x (a)")
    with pytest.raises(ValueError):
        SimExchange.load_state(str(bad))


def test_simulated_day_at_high_speed_is_consistent():
    ex, ev = make(now=ny(2025, 11, 20, 3, 30))
    ex.place(1, 1, AAPL, tk("BUY", 100, "LMT", lmt=1.00), ex.now)              # DAY: expires 16:00
    ex.place(1, 2, AAPL, tk("BUY", 100, "MKT", tif="OPG"), ex.now)             # opening auction
    ex.place(1, 3, AAPL, tk("SELL", 100, "MOC"), ex.now)                        # closing auction
    ex.place(1, 4, EURUSD, tk("BUY", 20000, "LMT", lmt=0.5, tif="GTC"), ex.now)
    start = time.perf_counter()
    t = ex.now
    while t < ny(2025, 11, 20, 20, 30):
        t += 600.0                                                             # 10 simulated minutes per step
        ex.advance(t)
    assert time.perf_counter() - start < 10.0
    st = {o.order_id: o.status for o in ex.orders(working_only=False)}
    assert st == {1: "Cancelled", 2: "Filled", 3: "Filled", 4: "Submitted"}
    fills = ex.executions()
    assert ny(2025, 11, 20, 9, 30) <= fills[0].time < ny(2025, 11, 20, 9, 31)
    assert ny(2025, 11, 20, 16, 0) <= fills[1].time < ny(2025, 11, 20, 16, 1)
    assert ex.positions()[0].position == 0
    m = ex.market.minutes(AAPL)
    day = m.take((m.t >= ny(2025, 11, 20, 4, 0)) & (m.t < ny(2025, 11, 20, 20, 0)))
    assert len(day) > 300                                                     # sub-stepped, not one tick per jump
    assert (day.l <= day.o).all() and (day.o <= day.h).all() and (day.l <= day.c).all() and (day.c <= day.h).all()
    bars = ex.history(AAPL, end=None, duration="1 D", bar_size="1 hour", use_rth=True)
    assert bars[-1].time >= ny(2025, 11, 20, 15, 0)
    assert not [e for e in ev if isinstance(e, FillEvent) and e.fill.order_id == 1]
    assert [e.order.status for e in ev if isinstance(e, OrderEvent) and e.order.order_id == 3][-1] == "Filled"
