"""The audit journal's writer: an append-only SQLite table of events, written by one thread.

Every order intent, check result, confirmation decision, API call and broker callback
(openOrder, orderStatus, execDetails, commissionReport, error) becomes one row of
``events`` (see :data:`SCHEMA`). The GUI thread only ever enqueues (:meth:`Journal.record`);
a writer thread commits batches. The journal is never required for trading: when the file
cannot be opened or written (disk full, read-only file, locked) the events stay in a bounded
memory buffer, :attr:`Journal.problem` says why, ``on_problem`` callbacks are told, and the
writer retries.

Durability (sources: https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html#pragma_synchronous):
WAL mode with ``synchronous=NORMAL``. A commit appends the transaction's pages plus a commit
frame (with a checksum) to the ``-wal`` file by ``write()`` before returning; once written, the
data is in the operating system, so a crash (or SIGKILL) of the *app* loses nothing that was
committed, and a transaction torn mid-write has no valid commit frame and is ignored when the
database is next opened. ``FULL`` would add an fsync of the WAL on every commit, which only
matters for a power cut or an OS crash; there ``NORMAL`` may lose the last batches since the
last checkpoint but never corrupts the database, which is the loss the journal accepts (it
commits every ``batch_interval`` seconds anyway). The crash test in
``tests/unit/journal/test_crash.py`` kills a writer with SIGKILL and checks both properties.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import sqlite3
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, is_dataclass, fields as dc_fields
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Callable

from app.privacy import app_dir, check_profile, private_sqlite

#: Columns of one event, in table order (``id`` is assigned by SQLite).
COLUMNS = ("id", "ts_utc", "kind", "client_id", "order_id", "perm_id", "symbol", "text", "details")

#: Fields of :meth:`Journal.record` that have their own column; every other keyword goes to ``details``.
COLUMN_FIELDS = ("order_id", "perm_id", "client_id", "symbol", "text")

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id        INTEGER PRIMARY KEY,
    ts_utc    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    client_id INTEGER,
    order_id  INTEGER,
    perm_id   INTEGER,
    symbol    TEXT,
    text      TEXT,
    details   TEXT
);
CREATE INDEX IF NOT EXISTS events_order_id ON events(order_id);
CREATE INDEX IF NOT EXISTS events_perm_id ON events(perm_id);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: rows cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: rows cannot be removed'); END;
"""

_INSERT = ("INSERT INTO events (ts_utc, kind, client_id, order_id, perm_id, symbol, text, details) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")

log = logging.getLogger("ibdesk.journal")


# IB's "unset" markers (ibapi common.py): never stored as ids.
_UNSET_INTS = (2**31 - 1, 2**63 - 1)


def default_journal_path(profile: str = "default", env: dict | None = None) -> Path:
    """Where the journal of a profile lives: ``$XDG_DATA_HOME/ibdesk/journal-<profile>.sqlite``,
    else ``~/.local/share/ibdesk/journal-<profile>.sqlite`` (XDG Base Directory spec; the same
    folder Qt's ``QStandardPaths.AppDataLocation`` gives on Linux and the folder of the demo
    account, ``app.simlauncher.default_state_path``). One file per profile; the folder is
    created by the journal's writer, mode 0700, the file 0600 (``app.privacy``). Raises
    ``ValueError`` for a profile name that is not 1-64 letters, digits, ``_``, ``.`` or ``-``
    (it becomes part of a file name)."""
    return app_dir("data", env) / f"journal-{check_profile(profile)}.sqlite"


def utc_now_iso() -> str:
    """Now as ISO-8601 UTC with microseconds: ``2026-11-18T16:00:00.123456+00:00``."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _jsonable(v: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``v``: NaN/inf and IB's unset numbers -> None, datetimes -> ISO,
    enums -> their value, dataclasses -> dicts, anything else unknown -> ``repr``."""
    if depth > 6:
        return repr(v)
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return None if v in _UNSET_INTS else v
    if isinstance(v, float):
        return None if (math.isnan(v) or math.isinf(v) or abs(v) >= 1e300) else v
    if isinstance(v, Enum):
        return _jsonable(v.value, depth + 1)
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _jsonable(x, depth + 1) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_jsonable(x, depth + 1) for x in v]
    if is_dataclass(v) and not isinstance(v, type):
        return {f.name: _jsonable(getattr(v, f.name, None), depth + 1) for f in dc_fields(v)}
    return repr(v)


def _id_column(v: Any) -> tuple[int | None, bool]:
    """(integer id or None, ok). Unset markers and a permId of 0 are None; a value that is
    not an integer is not ok (the caller keeps its repr in details)."""
    if v is None or v == "":
        return None, True
    if isinstance(v, bool):
        return None, False
    if isinstance(v, int):
        return (None if v in _UNSET_INTS else v), True
    if isinstance(v, float) and v.is_integer():
        return _id_column(int(v))
    if isinstance(v, str) and re.fullmatch(r"-?\d{1,19}", v.strip()):
        return _id_column(int(v.strip()))
    return None, False


def _text_column(v: Any) -> str | None:
    if v is None:
        return None
    return v if isinstance(v, str) else repr(v)


def make_row(kind: Any, fields: dict, *, default_client_id: int | None, ts_utc: str | None = None) -> tuple:
    """The column values of one event (``ts_utc, kind, client_id, order_id, perm_id, symbol,
    text, details``). Never raises: bad values end up ``repr()``'d in ``details``."""
    try:
        details: dict[str, Any] = {}
        cols: dict[str, Any] = {}
        for name in ("order_id", "perm_id", "client_id"):
            value, ok = _id_column(fields.get(name))
            if not ok:
                details[f"bad_{name}"] = repr(fields.get(name))
            cols[name] = value
        if cols["perm_id"] == 0:
            cols["perm_id"] = None          # IB: permId 0 = not assigned yet
        if "client_id" not in fields or fields.get("client_id") is None:
            cols["client_id"] = default_client_id
        for k, v in fields.items():
            if k not in COLUMN_FIELDS:
                details[str(k)] = _jsonable(v)
        try:
            details_json = json.dumps(details, allow_nan=False, default=repr) if details else None
        except (TypeError, ValueError):
            details_json = json.dumps({"repr": repr(details)})
        return (ts_utc or utc_now_iso(), kind if isinstance(kind, str) else repr(kind), cols["client_id"], cols["order_id"],
                cols["perm_id"], _text_column(fields.get("symbol")), _text_column(fields.get("text")),
                details_json)
    except Exception as e:  # noqa: BLE001 - record never raises
        return (ts_utc or utc_now_iso(), "journal_error", default_client_id, None, None, None,
                f"could not record a {kind!r} event: {e!r}", None)


@dataclass(frozen=True, slots=True)
class JournalEvent:
    """One journal row. ``ts`` is UTC (tz-aware); ids are IB's orderId/permId/clientId (None
    when unknown); ``details_json`` the row's details text as stored (None when none).

    ``details`` decodes that text at each read (``{}`` when none; ``{"repr": text}`` when it is
    not JSON, ``{"value": v}`` when it is not an object): a view holding thousands of events
    keeps the compact text and decodes only the rows it shows (a decoded openOrder is ~3x its
    text). ``kind`` and ``symbol`` are interned (a few distinct values over many rows).
    """

    id: int
    ts: datetime
    kind: str
    client_id: int | None
    order_id: int | None
    perm_id: int | None
    symbol: str | None
    text: str | None
    details_json: str | None = None

    @property
    def details(self) -> dict:
        raw = self.details_json
        try:
            details = json.loads(raw) if raw else {}
        except (TypeError, ValueError):
            return {"repr": raw}
        return details if isinstance(details, dict) else {"value": details}

    @classmethod
    def from_row(cls, row: tuple) -> "JournalEvent":
        """An event from a ``SELECT`` of :data:`COLUMNS` (id first)."""
        return cls(row[0], datetime.fromisoformat(row[1]), _interned(row[2]), row[3], row[4], row[5],
                   _interned(row[6]), row[7], row[8] if row[8] else None)


def _interned(v: Any) -> Any:
    return sys.intern(v) if type(v) is str else v


def _describe(e: BaseException) -> str:
    code = getattr(e, "sqlite_errorname", "")
    return f"{e} ({code})" if code else str(e)


class Journal:
    """Append-only SQLite journal of order events (one file, table ``events``).

    ``Journal(path, *, client_id=None)``: ``path`` the SQLite file (its folder is created);
    ``client_id`` the IB clientId stored when an event gives none. Keyword options:
    ``batch_interval`` (s, default 0.05) and ``batch_size`` (rows, default 200) bound how long
    an event waits before its commit; ``buffer_limit`` (rows, default 100,000) bounds memory
    while the file cannot be written (the oldest are dropped beyond it, and counted in
    :attr:`dropped`); ``retry_interval`` (s, default 2) paces reopen attempts; ``max_pages``
    caps the database size (SQLite ``PRAGMA max_page_count``; reaching it fails writes with
    SQLITE_FULL exactly like a full disk, and it is re-read on every reopen).

    Write side: :meth:`record` (any thread, never raises, never blocks), :meth:`flush`,
    :meth:`close`. Health: :attr:`problem` ("" when healthy), :meth:`on_problem` callbacks
    (called from the writer thread with the new problem text, "" when it clears),
    :meth:`on_commit` callbacks (writer thread, with the last committed row id). Read side
    (:mod:`app.journal.query`, a separate read-only connection): :meth:`events`,
    :meth:`order_history`.
    """

    def __init__(self, path: str | os.PathLike, *, client_id: int | None = None,
                 batch_interval: float = 0.05, batch_size: int = 200, buffer_limit: int = 100_000,
                 retry_interval: float = 2.0, max_pages: int | None = None):
        if batch_size < 1 or buffer_limit < 1 or batch_interval < 0 or retry_interval < 0:
            raise ValueError("batch_size and buffer_limit must be >= 1, intervals >= 0")
        self.path = Path(path)
        self.client_id = client_id
        self.batch_interval = float(batch_interval)
        self.batch_size = int(batch_size)
        self.buffer_limit = int(buffer_limit)
        self.retry_interval = float(retry_interval)
        self.max_pages = max_pages

        self._cond = threading.Condition()
        self._pending: deque[tuple] = deque()
        self._recorded = 0          # rows accepted by record()
        self._done = 0              # rows committed or dropped (the flush watermark)
        self._committed = 0
        self._dropped = 0
        self._closing = False
        self._problem = ""
        self._problem_cbs: list[Callable[[str], None]] = []
        self._commit_cbs: list[Callable[[int], None]] = []
        self._conn: sqlite3.Connection | None = None
        self._reader = None
        self._reader_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"journal-writer {self.path.name}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ write side

    def record(self, kind: str, /, **fields: Any) -> None:
        """Enqueue one event (never raises, never blocks on I/O).

        ``kind``: "intent", "check", "override", "confirm", "api", "openOrder", "orderStatus",
        "execDetails", "commissionReport", "error", "connection", "kill_switch"... Column fields:
        ``order_id``, ``perm_id``, ``client_id`` (integers; IB's unset markers and permId 0 are
        stored as NULL), ``symbol``, ``text``; every other keyword goes to the ``details`` JSON
        (NaN/unset numbers as null, datetimes as ISO UTC, other objects as ``repr``). The
        timestamp is taken now (UTC, microseconds). After :meth:`close` the event is dropped.
        """
        try:
            row = make_row(kind, fields, default_client_id=self.client_id)
            with self._cond:
                if self._closing:
                    self._dropped += 1
                    return
                self._pending.append(row)
                self._recorded += 1
                while len(self._pending) > self.buffer_limit:
                    self._pending.popleft()
                    self._dropped += 1
                    self._done += 1
                if len(self._pending) in (1, self.batch_size):
                    self._cond.notify()
        except Exception:  # noqa: BLE001 - the journal never disturbs trading
            pass

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every event recorded before this call is committed (or dropped);
        False after ``timeout`` seconds (e.g. while the file cannot be written)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._recorded
            self._cond.notify_all()
            while self._done < target:
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return self._done >= target
                self._cond.wait(min(left, 0.05))
            return True

    def close(self, timeout: float = 5.0) -> None:
        """Commit what is pending (for at most ``timeout`` seconds), stop the writer and close
        both connections. Later :meth:`record` calls are dropped. Idempotent."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ health

    @property
    def problem(self) -> str:
        """Why the journal cannot write right now (a sentence), "" when healthy."""
        return self._problem

    @property
    def committed(self) -> int:
        """Rows this instance has committed."""
        return self._committed

    @property
    def dropped(self) -> int:
        """Rows lost because the memory buffer was full (or recorded after close)."""
        return self._dropped

    @property
    def pending(self) -> int:
        """Rows waiting in memory for their commit."""
        with self._cond:
            return len(self._pending)

    def on_problem(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(text)`` (from the writer thread) when the problem appears, changes or
        clears (text ""). Returns a function that unregisters it. A GUI must marshal to its own
        thread (``app.ui.journal_view`` does it with a Qt signal)."""
        self._problem_cbs.append(callback)
        return lambda: self._problem_cbs.remove(callback) if callback in self._problem_cbs else None

    def on_commit(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(last_id)`` (from the writer thread) after each commit. Returns a
        function that unregisters it."""
        self._commit_cbs.append(callback)
        return lambda: self._commit_cbs.remove(callback) if callback in self._commit_cbs else None

    def _set_problem(self, text: str) -> None:
        if text == self._problem:
            return
        if text and not self._problem:
            # once per episode (the text changes on every retry): stderr and the log file
            log.warning("%s", text)
        elif not text:
            log.warning("The journal writes to %s again (%d events were lost meanwhile).",
                        self.path, self._dropped)
        self._problem = text
        for cb in list(self._problem_cbs):
            try:
                cb(text)
            except Exception:  # noqa: BLE001
                pass

    # ------------------------------------------------------------------ writer thread

    def _open(self) -> sqlite3.Connection:
        try:
            # 0600 file (SQLite gives -wal/-shm the database's mode) in a 0700 folder
            private_sqlite(self.path)
        except PermissionError:
            # not ours to chmod (e.g. another user's file we may write): SQLite decides
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=1.0, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if self.max_pages:
                conn.execute(f"PRAGMA max_page_count={int(self.max_pages)}")
            conn.executescript(SCHEMA)
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            # a write probe: a read-only file opens fine and only fails here
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def _run(self) -> None:
        while True:
            with self._cond:
                # wait for a full batch, the batch interval after the first pending row, or close
                deadline = None
                while not self._closing and len(self._pending) < self.batch_size:
                    if not self._pending:
                        deadline = None
                        self._cond.wait()
                        continue
                    now = time.monotonic()
                    if deadline is None:
                        deadline = now + self.batch_interval
                    if now >= deadline:
                        break
                    self._cond.wait(deadline - now)
                closing = self._closing
                batch = list(self._pending)
            if batch:
                ok = self._write(batch)
                if not ok:
                    if closing:
                        break
                    self._sleep(self.retry_interval)
                    continue
            if closing:
                with self._cond:
                    if not self._pending:
                        break
        self._close_conn()

    def _close_conn(self) -> None:
        """Close the writer's connection (if open); a failing close is ignored."""
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    def _sleep(self, seconds: float) -> None:
        with self._cond:
            end = time.monotonic() + seconds
            while not self._closing and time.monotonic() < end:
                self._cond.wait(end - time.monotonic())

    def _write(self, batch: list[tuple]) -> bool:
        """Insert ``batch`` in one transaction; on failure keep it pending and report why."""
        try:
            if self._conn is None:
                self._conn = self._open()
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_INSERT, batch)
                last_id = conn.execute("SELECT max(id) FROM events").fetchone()[0]
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as e:
            self._close_conn()
            with self._cond:
                n = len(self._pending)
            self._set_problem(f"The journal cannot write to {self.path}: {_describe(e)}. "
                              f"{n} events are kept in memory (at most {self.buffer_limit}; "
                              f"{self._dropped} lost so far) and the journal retries every "
                              f"{self.retry_interval:g} s. Trading is not affected.")
            return False
        # healthy again before flush() waiters are woken (they may look at .problem at once)
        self._set_problem("")
        with self._cond:
            # the batch is the oldest part of the deque, minus rows an overflow dropped meanwhile
            ids = {id(r) for r in batch}
            removed = 0
            while self._pending and id(self._pending[0]) in ids:
                self._pending.popleft()
                removed += 1
            self._committed += len(batch)
            self._done += removed
            self._cond.notify_all()
        for cb in list(self._commit_cbs):
            try:
                cb(int(last_id or 0))
            except Exception:  # noqa: BLE001
                pass
        return True

    # ------------------------------------------------------------------ read side

    def _read_conn(self):
        from app.journal.query import open_reader

        if self._reader is None:
            self._reader = open_reader(self.path)
        return self._reader

    def events(self, order_id: int | None = None, perm_id: int | None = None, kind: str | None = None,
               since: datetime | str | None = None, limit: int = 1000, *, symbol: str | None = None,
               after_id: int | None = None) -> list[JournalEvent]:
        """Committed events, oldest first (the newest ``limit`` of those matching). See
        :func:`app.journal.query.events` for the filters. Raises ``sqlite3.Error`` when the
        file cannot be read; ``ValueError`` for a bad filter."""
        from app.journal.query import events

        with self._reader_lock:
            return events(self._read_conn(), order_id=order_id, perm_id=perm_id, kind=kind, since=since,
                          limit=limit, symbol=symbol, after_id=after_id)

    def first_seen(self, perm_ids) -> dict[int, datetime]:
        """UTC time of the first committed event of each permId (see
        :func:`app.journal.query.first_seen`). Raises ``sqlite3.Error`` when the file cannot
        be read."""
        from app.journal.query import first_seen

        with self._reader_lock:
            return first_seen(self._read_conn(), perm_ids)

    def order_history(self, order_id: int | None = None, perm_id: int | None = None, *,
                      client_id: int | None = None) -> list[JournalEvent]:
        """Every committed event of one order, oldest first, linking its orderId and permId
        (see :func:`app.journal.query.order_history`)."""
        from app.journal.query import order_history

        with self._reader_lock:
            return order_history(self._read_conn(), order_id=order_id, perm_id=perm_id, client_id=client_id)
