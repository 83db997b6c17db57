"""The audit journal's read side: queries over the ``events`` table on a read-only connection.

The writer (``app.journal.journal``) never reads; readers never write (``PRAGMA query_only``),
so a reader in the GUI thread never waits for a batch commit (WAL: readers see the last
committed snapshot, https://www.sqlite.org/wal.html "Concurrency").
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone

from app.journal.journal import JournalEvent

_SELECT = "SELECT id, ts_utc, kind, client_id, order_id, perm_id, symbol, text, details FROM events"

#: Most rows one query returns.
MAX_LIMIT = 100_000


def open_reader(path: str | os.PathLike) -> sqlite3.Connection:
    """A query-only connection to an existing journal file (usable from any one thread at a
    time; the caller serialises). Raises ``sqlite3.OperationalError`` when the file does not
    exist yet or cannot be opened."""
    if not os.path.exists(path):
        raise sqlite3.OperationalError(f"no journal at {path} yet")
    conn = sqlite3.connect(str(path), timeout=1.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only=ON")
    return conn


def _since_text(since: datetime | str) -> str:
    if isinstance(since, str):
        try:
            since = datetime.fromisoformat(since)
        except ValueError:
            raise ValueError(f"since: expected an ISO-8601 time, got {since!r}") from None
    if not isinstance(since, datetime):
        raise ValueError(f"since: expected a datetime, got {since!r}")
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return since.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _int(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"{name}: expected an integer, got {v!r}")
    return v


def events(conn: sqlite3.Connection, *, order_id: int | None = None, perm_id: int | None = None,
           kind: str | None = None, since: datetime | str | None = None, limit: int = 1000,
           symbol: str | None = None, after_id: int | None = None) -> list[JournalEvent]:
    """Events matching every given filter, oldest first; the newest ``limit`` of them.

    ``order_id`` (IB orderId) and ``perm_id`` (IB permId) given together match an event having
    either (a number typed in a filter line); ``kind`` an exact kind ("orderStatus");
    ``since`` a UTC time (naive = UTC; ISO string accepted), events at or after it; ``symbol``
    case-insensitive exact symbol; ``after_id`` rows with a larger id (incremental refresh).
    ``limit`` 1..100,000. Raises ``ValueError`` for a bad filter value.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: expected 1..{MAX_LIMIT}, got {limit!r}")
    where, args = [], []
    if order_id is not None and perm_id is not None:
        where.append("(order_id = ? OR perm_id = ?)")
        args += [_int("order_id", order_id), _int("perm_id", perm_id)]
    elif order_id is not None:
        where.append("order_id = ?")
        args.append(_int("order_id", order_id))
    elif perm_id is not None:
        where.append("perm_id = ?")
        args.append(_int("perm_id", perm_id))
    if kind is not None:
        where.append("kind = ?")
        args.append(str(kind))
    if since is not None:
        where.append("ts_utc >= ?")
        args.append(_since_text(since))
    if symbol is not None:
        where.append("symbol = ? COLLATE NOCASE")
        args.append(str(symbol))
    if after_id is not None:
        where.append("id > ?")
        args.append(_int("after_id", after_id))
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT ?"
    rows = conn.execute(sql, [*args, limit]).fetchall()
    return [JournalEvent.from_row(r) for r in reversed(rows)]


def order_history(conn: sqlite3.Connection, *, order_id: int | None = None, perm_id: int | None = None,
                  client_id: int | None = None) -> list[JournalEvent]:
    """Every event of one order, oldest first.

    An order's first events (intent, check, the placeOrder call, PendingSubmit) carry only its
    orderId; IB assigns the permId with the first openOrder/orderStatus, and later events carry
    both (execDetails carry both too). The history is: every event with one of the order's
    permIds, plus every event with its orderId (of ``client_id`` when given) that has no permId
    or the same permId. An orderId event with a *different* permId is another order (orderIds
    are per client and may be reused after an ID reset; permIds are unique per account).
    Plus every event sharing a ``command_id`` (details) with those: the command layer's
    intent, check and confirmation of the action that created or changed the order.
    Source: IB TWS API "Order Management" (orderId per client, permId per account).

    Give ``order_id`` (optionally ``client_id``) or ``perm_id`` or both. Raises ``ValueError``
    when neither is given.
    """
    if order_id is None and perm_id is None:
        raise ValueError("order_history needs an order_id or a perm_id")
    perms: set[int] = set()
    oids: set[int] = set()
    if perm_id is not None:
        perms.add(_int("perm_id", perm_id))
    if order_id is not None:
        oids.add(_int("order_id", order_id))
        sql = "SELECT DISTINCT perm_id FROM events WHERE order_id = ? AND perm_id IS NOT NULL"
        args: list = [order_id]
        if client_id is not None:
            sql += " AND (client_id = ? OR client_id IS NULL)"
            args.append(_int("client_id", client_id))
        if perm_id is None:
            perms |= {r[0] for r in conn.execute(sql, args)}
    if perms:
        marks = ",".join("?" * len(perms))
        rows = conn.execute(f"SELECT DISTINCT order_id, client_id FROM events WHERE perm_id IN ({marks}) "
                            "AND order_id IS NOT NULL", list(perms)).fetchall()
        for oid, cid in rows:
            oids.add(oid)
            if client_id is None and cid is not None and order_id is None:
                client_id = cid
    if not oids and not perms:
        return []
    conds, args = [], []
    if perms:
        conds.append(f"perm_id IN ({','.join('?' * len(perms))})")
        args += list(perms)
    if oids:
        c = f"(order_id IN ({','.join('?' * len(oids))}) AND perm_id IS NULL"
        args += list(oids)
        if client_id is not None:
            c += " AND (client_id = ? OR client_id IS NULL)"
            args.append(client_id)
        conds.append(c + ")")
    where = " OR ".join(conds)
    # the command layer's entries of one action share details.command_id: a new order's
    # intent, check and confirmation come before IB gave it an orderId
    cmd_ids = [r[0] for r in conn.execute(
        "SELECT DISTINCT json_extract(details, '$.command_id') FROM events WHERE (" + where
        + ") AND json_extract(details, '$.command_id') IS NOT NULL", args)]
    if cmd_ids:
        where += f" OR json_extract(details, '$.command_id') IN ({','.join('?' * len(cmd_ids))})"
        args = args + cmd_ids
    rows = conn.execute(_SELECT + " WHERE " + where + " ORDER BY id", args).fetchall()
    return [JournalEvent.from_row(r) for r in rows]


def first_seen(conn: sqlite3.Connection, perm_ids) -> dict[int, datetime]:
    """The UTC time of the first journal event of each IB permId in ``perm_ids`` (the
    placeOrder's openOrder/orderStatus, milliseconds after the call; or the first sighting of
    another client's order), for the permIds the journal has. IB's openOrder carries no
    placement time, so after a restart this is the best time the blotter can show. permIds
    are unique per account (IB TWS API "Order Management"); queried 500 at a time."""
    ids = sorted({_int("perm_id", p) for p in perm_ids if p})
    found: dict[int, datetime] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        rows = conn.execute(f"SELECT perm_id, MIN(ts_utc) FROM events WHERE perm_id IN "
                            f"({','.join('?' * len(part))}) GROUP BY perm_id", part).fetchall()
        for perm, ts in rows:
            t = datetime.fromisoformat(ts)
            found[int(perm)] = t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    return found
