"""SQLite persistence of the simulated gateway's state (restart and crash recovery).

The ``--state`` file is a WAL-mode SQLite database (schema version ``SCHEMA_VERSION``,
table ``meta``) holding account cash per currency, positions (quantity, avg cost,
realized P&L, daily-P&L references), every order of the day with its ids, permId, status,
fill state, trailing stop, expiry and commission bookkeeping (working *and* finished ones,
so a cancelled order stays cancelled and reqCompletedOrders survives a restart), all
executions with commissions, the permId / execId / bound-id counters and the last top of
book of each quoted instrument (so marks and P&L continue where they were).

Two writers share the file format:

* :func:`save_state` - a full snapshot in **one** transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``:
  a crash mid-save leaves the previous state intact). Used by the ``restart``/``save`` admin
  commands and at a clean exit.
* :class:`app.sim.durable.StateJournal` - the per-change commits while the gateway runs
  (each order status change, fill, cash/position change and id counter in one transaction,
  committed before the client is sent the news); see that module for what "acknowledged"
  means and the synchronous level.

``load_state(cls, path, **kw)`` builds a fresh ``SimExchange`` (same seed, account id and
clock unless overridden) and restores that state exactly (floats are stored as SQLite
REAL = IEEE double; tickets as JSON, whose float repr round-trips). permIds and execIds
continue above every id in the file (counter or stored ids, whichever is larger), so no id
is ever issued twice across restarts or crashes.

What is kept: working orders of every kind and TIF. Real IB keeps orders on its
servers, so a TWS/Gateway restart cancels nothing; DAY orders still expire at
their session close, which the restored exchange applies on its first advance if
the close has passed. Untransmitted (transmit=False) orders exist only in TWS and
are dropped, as a TWS restart loses them. Market prices are not saved per tick: the
market model regenerates from the seed, starting from the tops of the last snapshot.
Files are created 0600 (``app.sim.private``).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING

from app.sim.private import make_private, private_sqlite_files, private_umask
from app.sim.types import OrderTicket, SimError, SimFill, SimOrder, TopOfBook

if TYPE_CHECKING:  # pragma: no cover
    from app.sim.exchange import SimExchange

SCHEMA_VERSION = 2
#: versions load_state reads (1: only working orders were stored; same tables)
READABLE_VERSIONS = (1, 2)
_APP = "ibdesk-sim-state"
TABLES = ("meta", "cash", "positions", "orders", "fills", "tops")
#: SQLite ``synchronous`` levels accepted by :func:`connect` (see app.sim.durable)
SYNC_LEVELS = ("NORMAL", "FULL")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS cash (ccy TEXT PRIMARY KEY, amount REAL NOT NULL)",
    """CREATE TABLE IF NOT EXISTS positions (con_id INTEGER PRIMARY KEY, qty REAL, avg_cost REAL, realized REAL,
    day REAL, ref_qty REAL, ref_mark REAL, flow REAL, comm_today REAL, realized_today REAL)""",
    """CREATE TABLE IF NOT EXISTS orders (client_id INTEGER, order_id INTEGER, perm_id INTEGER PRIMARY KEY,
    con_id INTEGER, ticket TEXT, status TEXT, filled REAL, remaining REAL, avg_fill_price REAL,
    last_fill_price REAL, why_held TEXT, created REAL, triggered INTEGER, trail_stop REAL, bound INTEGER,
    expires REAL, comm_paid REAL, value_usd REAL, auction REAL)""",
    """CREATE TABLE IF NOT EXISTS tops (con_id INTEGER PRIMARY KEY, bid REAL, ask REAL, last REAL, bid_size REAL,
    ask_size REAL, last_size REAL, volume REAL, high REAL, low REAL, open REAL, close REAL, time REAL)""",
    """CREATE TABLE IF NOT EXISTS fills (seq INTEGER PRIMARY KEY, exec_id TEXT, time REAL, order_id INTEGER,
    client_id INTEGER, perm_id INTEGER, con_id INTEGER, side TEXT, shares REAL, price REAL, cum_qty REAL,
    avg_price REAL, account TEXT, commission REAL, commission_currency TEXT, realized_pnl REAL,
    order_ref TEXT)""",
)

INSERT_ORDER = "INSERT OR REPLACE INTO orders VALUES (" + ",".join("?" * 19) + ")"
INSERT_FILL = "INSERT OR REPLACE INTO fills VALUES (" + ",".join("?" * 17) + ")"
INSERT_META = "INSERT OR REPLACE INTO meta VALUES (?, ?)"
INSERT_CASH = "INSERT OR REPLACE INTO cash VALUES (?, ?)"
INSERT_POSITION = "INSERT OR REPLACE INTO positions VALUES (?,?,?,?,?,?,?,?,?,?)"
_EXEC_ID = re.compile(r"^[0-9a-f]+\.([0-9a-f]{8})\.")


def _f(x: float) -> float | str:
    """A float for SQLite (inf as text: SQLite REAL cannot hold it portably)."""
    return x if math.isfinite(x) else repr(x)


def _uf(x) -> float:
    return float(x)


def connect(path: str | Path, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """Open (creating 0600 if needed) the state database in WAL mode with ``synchronous``
    (NORMAL or FULL), in autocommit mode: callers run explicit ``BEGIN IMMEDIATE`` ... ``COMMIT``
    (:func:`transaction`). Raises sqlite3.Error / OSError; ValueError for another level."""
    level = synchronous.upper()
    if level not in SYNC_LEVELS:
        raise ValueError(f"synchronous must be one of {SYNC_LEVELS}, got {synchronous!r}")
    with private_umask():
        con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            con.execute("PRAGMA busy_timeout=5000")
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(f"PRAGMA synchronous={level}")
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()   # creates -wal/-shm now
        except BaseException:
            con.close()
            raise
    for f in private_sqlite_files(path):
        make_private(f)
    return con


class transaction:
    """``with transaction(con):`` one ``BEGIN IMMEDIATE`` ... ``COMMIT`` (ROLLBACK on an
    exception, which propagates) on an autocommit connection from :func:`connect`."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type, exc, tb) -> None:
        self.con.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def create_schema(con: sqlite3.Connection) -> None:
    """Create the tables that do not exist yet (inside the caller's transaction)."""
    for stmt in _SCHEMA:
        con.execute(stmt)


# ---- rows ---------------------------------------------------------------------------
def meta_rows(ex: "SimExchange") -> list[tuple[str, str]]:
    """(key, value) rows of ``meta``: format, account, seed, clock and every id counter."""
    eng, acct = ex.engine, ex.account
    meta = {"app": _APP, "schema_version": SCHEMA_VERSION, "account_id": acct.account_id,
            "seed": ex.seed, "now": repr(ex.now), "t0": repr(ex.t0), "perm": eng._perm,
            "exec_seq": eng._exec_seq, "exec_base": eng._exec_base, "bind_seq": eng._bind_seq,
            "auto_bind_client": "" if eng.auto_bind_client is None else eng.auto_bind_client,
            "pnl_day": repr(acct.pnl_day), "realized": repr(acct.realized),
            "universe": getattr(ex, "universe", 0)}
    return [(k, str(v)) for k, v in meta.items()]


def order_row(ex: "SimExchange", o: SimOrder) -> tuple | None:
    """The ``orders`` row of ``o`` (None for an untransmitted order, which is never stored)."""
    if o.held:
        return None
    eng = ex.engine
    m = eng._meta.get(eng._key(o))
    if m is None:
        return None
    return (o.client_id, o.order_id, o.perm_id, o.con_id, json.dumps(asdict(o.ticket), default=str),
            o.status, o.filled, o.remaining, o.avg_fill_price, o.last_fill_price, o.why_held,
            o.created, int(o.triggered), o.trail_stop, int(o.bound), _f(m.expires), m.comm_paid,
            m.value_usd, _f(m.auction))


def fill_row(seq: int, f: SimFill) -> tuple:
    """The ``fills`` row of the ``seq``-th fill (0-based, the order of ``executions()``)."""
    return (seq,) + tuple(getattr(f, fl.name) for fl in fields(SimFill))


def account_rows(ex: "SimExchange") -> tuple[list[tuple], list[tuple]]:
    """(cash rows, position rows) of the account."""
    acct = ex.account
    pos = [(cid, p.qty, p.avg_cost, p.realized, p.day, p.ref_qty, p.ref_mark, p.flow, p.comm_today,
            p.realized_today) for cid, p in acct._pos.items()]
    return list(acct.cash.items()), pos


def write_account(con: sqlite3.Connection, ex: "SimExchange") -> None:
    """Replace cash, positions and meta with the exchange's (inside the caller's transaction)."""
    cash, pos = account_rows(ex)
    con.execute("DELETE FROM cash")
    con.executemany(INSERT_CASH, cash)
    con.execute("DELETE FROM positions")
    con.executemany(INSERT_POSITION, pos)
    con.executemany(INSERT_META, meta_rows(ex))


def write_snapshot(con: sqlite3.Connection, ex: "SimExchange") -> None:
    """Replace every table with ``ex``'s state (inside the caller's transaction)."""
    create_schema(con)
    for tbl in TABLES:
        con.execute(f"DELETE FROM {tbl}")
    write_account(con, ex)
    rows = [r for r in (order_row(ex, o) for o in ex.engine._orders.values()) if r is not None]
    con.executemany(INSERT_ORDER, rows)
    started = ex.market.started()
    con.executemany("INSERT INTO tops VALUES (" + ",".join("?" * 13) + ")", [
        (cid, *(getattr(ex.market.top(cid), fl.name) for fl in fields(TopOfBook))) for cid in started])
    con.executemany(INSERT_FILL, [fill_row(i, f) for i, f in enumerate(ex.engine._fills)])


def save_state(ex: "SimExchange", path: str | Path) -> None:
    """Write ``ex``'s state to ``path`` (replacing any previous state there) in one
    transaction: either the whole new state is in the file or the old one is untouched.
    Raises OSError / sqlite3.Error if the file cannot be written."""
    con = connect(path)
    try:
        with transaction(con):
            write_snapshot(con, ex)
    finally:
        con.close()


# ---- loading ------------------------------------------------------------------------
def _exec_seq_of(exec_id: str, base: int) -> int:
    """The sequence number inside an execId ``0000e215.<hex(base+seq)>.01.01`` (0 if foreign)."""
    m = _EXEC_ID.match(exec_id or "")
    return (int(m.group(1), 16) - base) & 0xFFFFFFFF if m else 0


def load_state(cls, path: str | Path, **kw) -> "SimExchange":
    """A new ``cls`` (SimExchange) with the state from ``path``. ``kw`` go to the constructor
    (``seed``, ``account_id``, ``now`` and ``universe`` default to the saved values; pass ``now`` =
    the restart time). Working orders go back on the book (an order caught between PendingCancel and
    Cancelled by a crash is Cancelled, one caught in PendingSubmit is PreSubmitted); finished
    orders come back as completed orders. Raises ValueError for a missing file, another schema
    version or a conId the new exchange does not know."""
    from app.sim.account import _Pos
    from app.sim.engine import _Meta  # the engine's bookkeeping record

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no simulator state file at {path}")
    con = sqlite3.connect(path)
    try:
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as e:
            raise ValueError(f"{path} is not a simulator state file: {e}") from None
        if meta.get("app") != _APP or int(meta.get("schema_version", -1)) not in READABLE_VERSIONS:
            raise ValueError(f"{path}: unsupported state (app={meta.get('app')!r}, "
                             f"schema_version={meta.get('schema_version')!r}; expected {SCHEMA_VERSION})")
        kw.setdefault("seed", int(meta["seed"]))
        kw.setdefault("account_id", meta["account_id"])
        kw.setdefault("now", float(meta["now"]))
        kw.setdefault("universe", int(meta.get("universe") or 0))   # absent before --universe
        ex = cls(**kw)
        eng, acct = ex.engine, ex.account
        eng._exec_base = int(meta["exec_base"])
        eng._bind_seq = int(meta["bind_seq"])
        eng.auto_bind_client = int(meta["auto_bind_client"]) if meta["auto_bind_client"] != "" else None
        acct.realized = float(meta["realized"])
        known = {x.con_id for x in ex.contracts()} | {x.con_id for x in ex.futures.contracts()}
        for row in con.execute("SELECT * FROM tops ORDER BY con_id"):
            if int(row[0]) in known:
                ex.market.restore_top(int(row[0]), TopOfBook(*(float(x) for x in row[1:])))
        acct.cash = {ccy: float(a) for ccy, a in con.execute("SELECT ccy, amount FROM cash")}
        acct._pos = {}
        for row in con.execute("SELECT * FROM positions ORDER BY con_id"):
            cid = int(row[0])
            if cid not in known and not _is_listed_option(ex, cid):
                raise ValueError(f"{path}: position in unknown conId {cid}")
            acct._pos[cid] = p = _Pos(ex.contract(cid), *(float(x) for x in row[1:]))
            if p.contract.sec_type == "FUT":     # entry is not stored: the average cost (with commission)
                p.entry = p.avg_cost
        acct.pnl_day = float(meta["pnl_day"])
        tnames = {f.name for f in fields(OrderTicket)}
        max_perm = 0
        for row in con.execute("SELECT * FROM orders ORDER BY perm_id"):
            (client_id, order_id, perm_id, con_id, tj, status, filled, remaining, afp, lfp, why, created,
             trig, tstop, bound, expires, comm_paid, value_usd, auction) = row
            ex.contract(con_id)
            status = {"PendingCancel": "Cancelled", "PendingSubmit": "PreSubmitted"}.get(status, status)
            t = OrderTicket(**{k: v for k, v in json.loads(tj).items() if k in tnames})
            o = SimOrder(order_id=order_id, client_id=client_id, perm_id=perm_id, con_id=con_id, ticket=t,
                         status=status, filled=filled, remaining=remaining, avg_fill_price=afp,
                         last_fill_price=lfp, why_held=why, created=created, triggered=bool(trig),
                         trail_stop=tstop, bound=bool(bound))
            key = eng._key(o)
            eng._orders[key] = o
            eng._meta[key] = _Meta(expires=_uf(expires), comm_paid=comm_paid, value_usd=value_usd,
                                   auction=_uf(auction))
            if o.is_working:
                eng._working.setdefault(con_id, {})[key] = o
            max_perm = max(max_perm, int(perm_id))
        names = [f.name for f in fields(SimFill)]
        eng._fills = [SimFill(**dict(zip(names, r[1:]))) for r in con.execute("SELECT * FROM fills ORDER BY seq")]
        # ids continue above everything in the file: the counters, and the stored ids themselves
        max_perm = max([max_perm, int(meta["perm"])] + [int(f.perm_id) for f in eng._fills])
        eng._perm = max(eng._perm, max_perm)
        eng._exec_seq = max([int(meta["exec_seq"])]
                            + [_exec_seq_of(f.exec_id, eng._exec_base) for f in eng._fills])
        return ex
    finally:
        con.close()


def _is_listed_option(ex, con_id: int) -> bool:
    """True if ``con_id`` is an option the exchange can resolve (listed now, or listed in the
    last three months: ``app.sim.options.OptionChains.contract``)."""
    try:
        return ex.options.is_option(con_id) and ex.contract(con_id).sec_type == "OPT"
    except SimError:
        return False
