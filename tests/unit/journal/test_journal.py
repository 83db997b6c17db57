"""Journal writer and queries: record/commit/query, order_history, append-only trigger,
never-raises, full disk (SQLite max_page_count -> SQLITE_FULL), read-only file, recovery."""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.journal import Journal, default_journal_path
from app.journal.journal import make_row

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "j.sqlite", client_id=7, batch_interval=0.01, retry_interval=0.05)
    yield j
    j.close()


def raw(path) -> sqlite3.Connection:
    return sqlite3.connect(str(path))


def test_record_commits_rows_with_columns_and_details(journal):
    journal.record("intent", order_id=5, symbol="AAPL", text="BUY 100 AAPL LMT 187.5 DAY",
                   quantity=100, limit_price=187.5)
    journal.record("openOrder", order_id=5, perm_id=123456, client_id=9, status="Submitted")
    assert journal.flush(5)
    assert journal.committed == 2 and journal.problem == ""
    with raw(journal.path) as c:
        rows = c.execute("SELECT ts_utc, kind, client_id, order_id, perm_id, symbol, text, details "
                         "FROM events ORDER BY id").fetchall()
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        idx = {r[1] for r in c.execute("PRAGMA index_list(events)")}
    assert {"events_order_id", "events_perm_id"} <= idx
    ts, kind, cid, oid, perm, sym, text, det = rows[0]
    assert (kind, cid, oid, perm, sym) == ("intent", 7, 5, None, "AAPL")       # default client id
    assert json.loads(det) == {"quantity": 100, "limit_price": 187.5}
    t = datetime.fromisoformat(ts)
    assert t.utcoffset() == timedelta(0) and abs(datetime.now(timezone.utc) - t) < timedelta(seconds=5)
    assert len(ts.split(".")[1].split("+")[0]) == 6                                 # microseconds
    assert rows[1][2:5] == (9, 5, 123456)


def test_record_is_fast_and_does_not_wait_for_commit(tmp_path):
    j = Journal(tmp_path / "j.sqlite", batch_interval=0.5)
    try:
        t0 = time.perf_counter()
        for i in range(2000):
            j.record("api", order_id=i)
        assert time.perf_counter() - t0 < 0.5
        assert j.committed < 2000                       # batched, not committed per call
        assert j.flush(5) and j.committed == 2000
    finally:
        j.close()


def test_batches_are_committed_within_the_interval(tmp_path):
    commits = []
    j = Journal(tmp_path / "j.sqlite", batch_interval=0.05, batch_size=200)
    j.on_commit(commits.append)
    try:
        for i in range(450):
            j.record("api", order_id=i)
        deadline = time.monotonic() + 3
        while j.committed < 450 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert j.committed == 450 and commits[-1] == 450
        assert len(commits) <= 5                        # a few transactions, not one per row
    finally:
        j.close()


def test_never_raises_on_bad_values(journal):
    class Boom:
        def __repr__(self):
            return "<Boom>"

    journal.record("check", order_id="not a number", perm_id=object(), symbol=Boom(), text=42,
                   price=math.nan, big=1.7976931348623157e308, when=datetime(2026, 1, 2, 3, 4, 5),
                   nested={"a": [1, math.inf, Boom()], 3: "x"}, obj=Boom())
    journal.record(None)                                  # not even a kind string
    journal.record("check", kind="dup", self=1)           # names that could clash with the signature

    journal.record("api", order_id=2**31 - 1, perm_id=0)  # IB's unset markers
    assert journal.flush(5) and journal.problem == ""
    a, b, clash, c = journal.events()
    assert clash.details == {"kind": "dup", "self": 1}
    assert a.order_id is None and a.perm_id is None and a.symbol == "<Boom>" and a.text == "42"
    assert a.details["bad_order_id"] == "'not a number'" and a.details["bad_perm_id"].startswith("<object")
    assert a.details["price"] is None and a.details["big"] is None
    assert a.details["when"] == "2026-01-02T03:04:05+00:00"
    assert a.details["nested"] == {"a": [1, None, "<Boom>"], "3": "x"} and a.details["obj"] == "<Boom>"
    assert b.kind == "None"
    assert (c.order_id, c.perm_id) == (None, None)


def test_make_row_survives_a_broken_mapping():
    class Bad(dict):
        def get(self, *a):
            raise RuntimeError("broken")

    row = make_row("intent", Bad(), default_client_id=1)
    assert row[1] == "journal_error" and "broken" in row[6]


def test_append_only_trigger_and_no_update_or_delete_in_code(journal):
    journal.record("intent", order_id=1)
    assert journal.flush(5)
    with raw(journal.path) as c:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            c.execute("UPDATE events SET kind = 'forged'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            c.execute("DELETE FROM events")
        assert c.execute("SELECT kind FROM events").fetchall() == [("intent",)]
    src = "".join(p.read_text() for p in Path(__file__).parents[3].joinpath("app", "journal").glob("*.py"))
    statements = [line for line in src.splitlines() if ("UPDATE " in line.upper() or "DELETE " in line.upper())
                  and "TRIGGER" not in line.upper()]
    assert statements == []


def test_events_filters(journal):
    t0 = datetime.now(timezone.utc)
    journal.record("intent", order_id=1, symbol="AAPL")
    journal.record("openOrder", order_id=1, perm_id=900, symbol="AAPL")
    journal.record("openOrder", order_id=2, perm_id=901, symbol="msft")
    journal.record("error", symbol="EUR.USD", text="2104 farm OK")
    assert journal.flush(5)
    assert [e.kind for e in journal.events(order_id=1)] == ["intent", "openOrder"]
    assert [e.order_id for e in journal.events(perm_id=901)] == [2]
    assert len(journal.events(order_id=901, perm_id=901)) == 1          # a number matches either
    assert [e.order_id for e in journal.events(kind="openOrder")] == [1, 2]
    assert [e.order_id for e in journal.events(symbol="MSFT")] == [2]    # case-insensitive
    assert len(journal.events(since=t0)) == 4
    assert journal.events(since=datetime.now(timezone.utc) + timedelta(seconds=1)) == []
    last2 = journal.events(limit=2)
    assert [e.kind for e in last2] == ["openOrder", "error"]             # newest two, oldest first
    assert [e.kind for e in journal.events(after_id=last2[0].id)] == ["error"]
    with pytest.raises(ValueError, match="limit"):
        journal.events(limit=0)
    with pytest.raises(ValueError, match="order_id"):
        journal.events(order_id="1")
    with pytest.raises(ValueError, match="since"):
        journal.events(since="yesterday")


def test_order_history_links_order_id_and_perm_id(journal):
    journal.record("intent", order_id=10, client_id=7, symbol="AAPL")
    journal.record("api", order_id=10, text="placeOrder")
    journal.record("orderStatus", order_id=10, status="PendingSubmit")
    journal.record("openOrder", order_id=10, perm_id=5000, status="Submitted")
    journal.record("execDetails", order_id=10, perm_id=5000, execId="e1")
    journal.record("commissionReport", perm_id=5000, execId="e1")          # permId only
    journal.record("intent", order_id=11, symbol="MSFT")                   # another order
    journal.record("openOrder", order_id=10, client_id=8, perm_id=6000)    # another client's orderId 10
    journal.record("intent", order_id=10, client_id=8)
    assert journal.flush(5)
    by_oid = journal.order_history(order_id=10, client_id=7)
    assert [e.kind for e in by_oid] == ["intent", "api", "orderStatus", "openOrder", "execDetails",
                                        "commissionReport"]
    assert journal.order_history(perm_id=5000) == by_oid
    other = journal.order_history(perm_id=6000)
    assert [(e.kind, e.client_id) for e in other] == [("openOrder", 8), ("intent", 8)]
    assert journal.order_history(order_id=999) == []
    with pytest.raises(ValueError):
        journal.order_history()


def test_full_disk_keeps_events_in_memory_and_recovers(tmp_path):
    problems = []
    j = Journal(tmp_path / "j.sqlite", batch_interval=0.01, retry_interval=0.05, max_pages=8)
    j.on_problem(problems.append)
    try:
        t0 = time.perf_counter()
        for i in range(2000):
            j.record("api", order_id=i, text="x" * 300)
        assert time.perf_counter() - t0 < 1.0                    # record never blocks
        assert not j.flush(1.0)
        assert "full" in j.problem and "SQLITE_FULL" in j.problem and j.pending > 0
        assert problems and "full" in problems[0]
        j.max_pages = None                                        # space again (re-read on reopen)
        assert j.flush(5)
        assert j.problem == "" and problems[-1] == "" and j.pending == 0
        assert j.committed == 2000 and j.dropped == 0
        ids = [e.order_id for e in j.events(limit=5000)]
        assert ids == list(range(2000))                           # nothing lost, in order
    finally:
        j.close()


def test_memory_buffer_is_bounded(tmp_path):
    j = Journal(tmp_path / "j.sqlite", batch_interval=0.01, retry_interval=0.05, max_pages=8,
                buffer_limit=100)
    try:
        for i in range(3000):
            j.record("api", order_id=i, text="x" * 300)
        time.sleep(0.2)
        assert j.pending <= 100 and j.dropped >= 2900 - 100
        j.max_pages = None
        assert j.flush(5)
        kept = [e.order_id for e in j.events(limit=5000)]
        assert kept == sorted(kept) and kept[-100:] == list(range(2900, 3000))   # the newest are kept
    finally:
        j.close()


def _make_read_only(path: Path):
    """Make ``path`` unwritable even for root (chattr +i), else chmod 444. Returns the undo."""
    if os.geteuid() == 0:
        if not shutil.which("chattr"):
            pytest.skip("running as root without chattr: cannot make a file read-only")
        r = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"chattr +i not supported here: {r.stderr.strip()}")
        return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)
    path.chmod(0o444)
    return lambda: path.chmod(0o644)


def test_read_only_file_is_a_problem_not_an_error_and_recovers(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        j.record("intent", order_id=1)
        assert j.flush(5)
    undo = _make_read_only(path)
    try:
        seen = threading.Event()
        j = Journal(path, batch_interval=0.01, retry_interval=0.05)
        j.on_problem(lambda text: text and seen.set())
        j.record("intent", order_id=2)
        assert seen.wait(5), "no problem reported for a read-only file"
        assert "cannot write" in j.problem and j.pending == 1
    finally:
        undo()
    try:
        assert j.flush(5) and j.problem == ""
        assert [e.order_id for e in j.events()] == [1, 2]
    finally:
        j.close()


def test_unopenable_path_is_a_problem(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    j = Journal(blocker / "j.sqlite", batch_interval=0.01, retry_interval=0.05)
    try:
        j.record("intent", order_id=1)
        assert not j.flush(0.5)
        assert "cannot write" in j.problem and j.pending == 1
    finally:
        j.close(timeout=1)


def test_close_commits_pending_and_drops_later_records(tmp_path):
    j = Journal(tmp_path / "j.sqlite", batch_interval=10)
    for i in range(5):
        j.record("api", order_id=i)
    j.close()
    j.record("api", order_id=99)
    assert j.dropped == 1
    with raw(j.path) as c:
        assert c.execute("SELECT count(*) FROM events").fetchone()[0] == 5


def test_default_journal_path(tmp_path):
    p = default_journal_path("paper", env={"XDG_DATA_HOME": str(tmp_path)})
    assert p == tmp_path / "ibdesk" / "journal-paper.sqlite"
    home = default_journal_path(env={})
    assert home == Path.home() / ".local" / "share" / "ibdesk" / "journal-default.sqlite"
    assert default_journal_path("x", env={"XDG_DATA_HOME": "relative"}).parent == home.parent
    for bad in ("", "../evil", "a/b", "x" * 65, 3):
        with pytest.raises(ValueError, match="profile"):
            default_journal_path(bad)
