"""Crash safety of the ``--state`` file (app.sim.durable, app.sim.persist): every change is
committed before listeners (the wire side) see it, a cancelled order stays cancelled after a
crash, ids are never issued twice, a snapshot is all-or-nothing, files are 0600."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from app.sim import persist
from app.sim.durable import StateJournal
from app.sim.exchange import SimExchange
from app.sim.types import FillEvent, OrderEvent
from tests.unit.sim.orderhelp import tk
from tests.unit.sim.helpers import AAPL


def rows(path, sql):
    with sqlite3.connect(path) as con:       # a second reader, as after a crash
        return con.execute(sql).fetchall()


def journaled(ex, path):
    j = StateJournal(path, ex)
    ex.attach_store(j)
    return j


def crash_and_reload(j, path) -> SimExchange:
    """What a restart after kill -9 sees: no snapshot, only what was committed."""
    j.close()                                 # the process is gone; nothing else gets written
    return SimExchange.load_state(str(path))


def test_each_change_is_committed_before_the_wire_side_sees_it(tmp_path, mk):
    ex, _ = mk
    path = tmp_path / "s.sqlite"
    journaled(ex, path)
    seen = []

    def listener(ev):                         # the wire side: must find the change on disk already
        if isinstance(ev, OrderEvent):
            (st,) = rows(path, f"SELECT status FROM orders WHERE perm_id = {ev.order.perm_id}")[0]
            seen.append((ev.order.status, st))
        elif isinstance(ev, FillEvent):
            got = rows(path, f"SELECT exec_id FROM fills WHERE exec_id = '{ev.fill.exec_id}'")
            cash = dict(rows(path, "SELECT ccy, amount FROM cash"))["USD"]
            seen.append(("fill", bool(got) and cash == ex.account.cash["USD"]))

    ex.add_listener(listener)
    lmt = ex.place(1, 1, AAPL, tk("BUY", 10, "LMT", lmt=200.0, tif="GTC"), ex.now)
    ex.place(1, 2, AAPL, tk("BUY", 5, "MKT"), ex.now)
    ex.cancel(1, lmt.order_id, ex.now)
    assert ("fill", True) in seen
    assert all(ev == disk for ev, disk in seen if ev != "fill"), seen
    assert [s for s, _ in seen if s != "fill"][-2:] == ["PendingCancel", "Cancelled"]


def test_cancelled_order_stays_cancelled_and_fills_survive_a_crash(tmp_path, mk):
    ex, _ = mk
    path = tmp_path / "s.sqlite"
    j = journaled(ex, path)                   # the snapshot at start: nothing yet
    keep = ex.place(1, 1, AAPL, tk("BUY", 10, "LMT", lmt=200.0, tif="GTC"), ex.now)
    gone = ex.place(1, 2, AAPL, tk("BUY", 10, "LMT", lmt=201.0, tif="GTC"), ex.now)
    ex.place(1, 3, AAPL, tk("BUY", 7, "MKT"), ex.now)
    ex.cancel(1, gone.order_id, ex.now)
    ex2 = crash_and_reload(j, path)
    assert [o.perm_id for o in ex2.orders()] == [keep.perm_id]
    done = {o.perm_id: o.status for o in ex2.completed_orders()}
    assert done[gone.perm_id] == "Cancelled"
    assert ex2.executions() == ex.executions() and ex2.account.cash == ex.account.cash
    assert ex2.positions() == ex.positions()
    with pytest.raises(Exception):            # a finished order's id stays used (IB 103)
        ex2.place(1, 2, AAPL, tk("BUY", 1, "LMT", lmt=1.0), ex2.now)


def test_ids_are_never_issued_twice_after_a_crash(tmp_path, mk):
    ex, _ = mk
    path = tmp_path / "s.sqlite"
    j = journaled(ex, path)
    for i in range(1, 4):
        ex.place(1, i, AAPL, tk("BUY", 1, "MKT"), ex.now)
    perms = {o.perm_id for o in ex.orders(working_only=False)}
    execs = {f.exec_id for f in ex.executions()}
    ex2 = crash_and_reload(j, path)
    o = ex2.place(1, 10, AAPL, tk("BUY", 1, "MKT"), ex2.now)
    assert o.perm_id > max(perms) and ex2.executions()[-1].exec_id not in execs
    # even a stale counter (a file whose meta lags its rows) cannot bring an old id back
    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = '0' WHERE key IN ('perm', 'exec_seq')")
    ex3 = SimExchange.load_state(str(path))
    o3 = ex3.place(1, 11, AAPL, tk("BUY", 1, "MKT"), ex3.now)
    assert o3.perm_id > max(perms) and ex3.executions()[-1].exec_id not in execs


def test_snapshot_is_all_or_nothing(tmp_path, mk, monkeypatch):
    ex, _ = mk
    path = tmp_path / "s.sqlite"
    ex.place(1, 1, AAPL, tk("BUY", 3, "MKT"), ex.now)
    ex.save_state(str(path))
    ex.place(1, 2, AAPL, tk("BUY", 4, "MKT"), ex.now)

    def broken(seq, f):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(persist, "fill_row", broken)
    with pytest.raises(sqlite3.OperationalError):
        ex.save_state(str(path))
    back = SimExchange.load_state(str(path))          # the previous state, whole
    assert [f.shares for f in back.executions()] == [3.0]
    assert back.positions()[0].position == 3.0


def test_state_files_are_private(tmp_path, mk):
    ex, _ = mk
    path = tmp_path / "s.sqlite"
    j = journaled(ex, path)
    ex.place(1, 1, AAPL, tk("BUY", 3, "MKT"), ex.now)
    for f in (path, tmp_path / "s.sqlite-wal", tmp_path / "s.sqlite-shm"):
        assert f.exists() and stat.S_IMODE(os.stat(f).st_mode) == 0o600, f
    j.close()
    loose = tmp_path / "loose.sqlite"
    loose.touch(mode=0o644)
    os.chmod(loose, 0o644)
    ex.save_state(str(loose))                         # an existing 0644 file is tightened
    assert stat.S_IMODE(os.stat(loose).st_mode) == 0o600


def test_schema_1_files_still_load(tmp_path, mk):
    ex, _ = mk
    path = tmp_path / "s.sqlite"
    o = ex.place(1, 1, AAPL, tk("BUY", 10, "LMT", lmt=200.0, tif="GTC"), ex.now)
    ex.save_state(str(path))
    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    assert [x.perm_id for x in SimExchange.load_state(str(path)).orders()] == [o.perm_id]
