"""SQLite persistence of the simulated gateway's state (restart with state preserved).

``save_state(ex, path)`` writes, in one transaction, to a WAL-mode SQLite file
(schema version ``SCHEMA_VERSION``, table ``meta``): account cash per currency,
positions (quantity, avg cost, realized P&L, daily-P&L references), every working
order with its ids, permId, fill state, trailing stop, expiry and commission
bookkeeping, all executions with commissions, and the permId / execId / bound-id
counters, and the last top of book of each quoted instrument (so marks and P&L
continue where they were). ``load_state(cls, path, **kw)`` builds a fresh ``SimExchange`` (same
seed, account id and clock unless overridden) and restores that state exactly
(floats are stored as SQLite REAL = IEEE double; tickets as JSON, whose float
repr round-trips).

What is kept: working orders of every kind and TIF. Real IB keeps orders on its
servers, so a TWS/Gateway restart cancels nothing; DAY orders still expire at
their session close, which the restored exchange applies on its first advance if
the close has passed. Untransmitted (transmit=False) orders exist only in TWS and
are dropped, as a TWS restart loses them. Market prices are not saved: the market
model regenerates from the seed.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING

from app.sim.types import OrderTicket, SimFill, SimOrder, TopOfBook

if TYPE_CHECKING:  # pragma: no cover
    from app.sim.exchange import SimExchange

SCHEMA_VERSION = 1
_APP = "ibdesk-sim-state"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cash (ccy TEXT PRIMARY KEY, amount REAL NOT NULL);
CREATE TABLE positions (con_id INTEGER PRIMARY KEY, qty REAL, avg_cost REAL, realized REAL, day REAL,
    ref_qty REAL, ref_mark REAL, flow REAL, comm_today REAL, realized_today REAL);
CREATE TABLE orders (client_id INTEGER, order_id INTEGER, perm_id INTEGER PRIMARY KEY, con_id INTEGER,
    ticket TEXT, status TEXT, filled REAL, remaining REAL, avg_fill_price REAL, last_fill_price REAL,
    why_held TEXT, created REAL, triggered INTEGER, trail_stop REAL, bound INTEGER,
    expires REAL, comm_paid REAL, value_usd REAL, auction REAL);
CREATE TABLE tops (con_id INTEGER PRIMARY KEY, bid REAL, ask REAL, last REAL, bid_size REAL, ask_size REAL,
    last_size REAL, volume REAL, high REAL, low REAL, open REAL, close REAL, time REAL);
CREATE TABLE fills (seq INTEGER PRIMARY KEY, exec_id TEXT, time REAL, order_id INTEGER, client_id INTEGER,
    perm_id INTEGER, con_id INTEGER, side TEXT, shares REAL, price REAL, cum_qty REAL, avg_price REAL,
    account TEXT, commission REAL, commission_currency TEXT, realized_pnl REAL, order_ref TEXT);
"""


def _f(x: float) -> float | str:
    """A float for SQLite (inf as text: SQLite REAL cannot hold it portably)."""
    return x if math.isfinite(x) else repr(x)


def _uf(x) -> float:
    return float(x)


def save_state(ex: "SimExchange", path: str | Path) -> None:
    """Write ``ex``'s state to ``path`` (replacing any previous state there).
    Raises OSError / sqlite3.Error if the file cannot be written."""
    path = Path(path)
    eng, acct = ex.engine, ex.account
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        with con:
            for tbl in ("meta", "cash", "positions", "orders", "fills", "tops"):
                con.execute(f"DROP TABLE IF EXISTS {tbl}")
            con.executescript(_SCHEMA)
        with con:
            meta = {"app": _APP, "schema_version": SCHEMA_VERSION, "account_id": acct.account_id,
                    "seed": ex.seed, "now": repr(ex.now), "t0": repr(ex.t0), "perm": eng._perm,
                    "exec_seq": eng._exec_seq, "exec_base": eng._exec_base, "bind_seq": eng._bind_seq,
                    "auto_bind_client": "" if eng.auto_bind_client is None else eng.auto_bind_client,
                    "pnl_day": repr(acct.pnl_day), "realized": repr(acct.realized)}
            con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
            con.executemany("INSERT INTO cash VALUES (?, ?)", list(acct.cash.items()))
            con.executemany("INSERT INTO positions VALUES (?,?,?,?,?,?,?,?,?,?)", [
                (cid, p.qty, p.avg_cost, p.realized, p.day, p.ref_qty, p.ref_mark, p.flow, p.comm_today,
                 p.realized_today) for cid, p in acct._pos.items()])
            rows = []
            for key, o in eng._orders.items():
                if not o.is_working or o.held:
                    continue
                m = eng._meta[key]
                rows.append((o.client_id, o.order_id, o.perm_id, o.con_id, json.dumps(asdict(o.ticket), default=str),
                             o.status, o.filled, o.remaining, o.avg_fill_price, o.last_fill_price, o.why_held,
                             o.created, int(o.triggered), o.trail_stop, int(o.bound), _f(m.expires), m.comm_paid,
                             m.value_usd, _f(m.auction)))
            con.executemany("INSERT INTO orders VALUES (" + ",".join("?" * 19) + ")", rows)
            tops = [ex.market.top(cid) for cid in ex.market.started()]
            con.executemany("INSERT INTO tops VALUES (" + ",".join("?" * 13) + ")", [
                (cid, *(getattr(tp, fl.name) for fl in fields(TopOfBook)))
                for cid, tp in zip(ex.market.started(), tops)])
            con.executemany("INSERT INTO fills VALUES (" + ",".join("?" * 17) + ")", [
                (i,) + tuple(getattr(f, fl.name) for fl in fields(SimFill)) for i, f in enumerate(eng._fills)])
    finally:
        con.close()


def load_state(cls, path: str | Path, **kw) -> "SimExchange":
    """A new ``cls`` (SimExchange) with the state from ``path``. ``kw`` go to the constructor
    (``seed``, ``account_id`` and ``now`` default to the saved values; pass ``now`` = the restart
    time). Raises ValueError for a missing file, another schema version or a conId the new
    exchange does not know."""
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
        if meta.get("app") != _APP or int(meta.get("schema_version", -1)) != SCHEMA_VERSION:
            raise ValueError(f"{path}: unsupported state (app={meta.get('app')!r}, "
                             f"schema_version={meta.get('schema_version')!r}; expected {SCHEMA_VERSION})")
        kw.setdefault("seed", int(meta["seed"]))
        kw.setdefault("account_id", meta["account_id"])
        kw.setdefault("now", float(meta["now"]))
        ex = cls(**kw)
        eng, acct = ex.engine, ex.account
        eng._perm = max(eng._perm, int(meta["perm"]))
        eng._exec_seq = int(meta["exec_seq"])
        eng._exec_base = int(meta["exec_base"])
        eng._bind_seq = int(meta["bind_seq"])
        eng.auto_bind_client = int(meta["auto_bind_client"]) if meta["auto_bind_client"] != "" else None
        acct.realized = float(meta["realized"])
        known = {x.con_id for x in ex.contracts()}
        for row in con.execute("SELECT * FROM tops ORDER BY con_id"):
            if int(row[0]) in known:
                ex.market.restore_top(int(row[0]), TopOfBook(*(float(x) for x in row[1:])))
        acct.cash = {ccy: float(a) for ccy, a in con.execute("SELECT ccy, amount FROM cash")}
        from app.sim.account import _Pos
        acct._pos = {}
        for row in con.execute("SELECT * FROM positions ORDER BY con_id"):
            cid = int(row[0])
            c = ex.contract(cid) if cid in {x.con_id for x in ex.contracts()} else None
            if c is None:
                raise ValueError(f"{path}: position in unknown conId {cid}")
            acct._pos[cid] = _Pos(c, *(float(x) for x in row[1:]))
        acct.pnl_day = float(meta["pnl_day"])
        tnames = {f.name for f in fields(OrderTicket)}
        for row in con.execute("SELECT * FROM orders ORDER BY perm_id"):
            (client_id, order_id, perm_id, con_id, tj, status, filled, remaining, afp, lfp, why, created,
             trig, tstop, bound, expires, comm_paid, value_usd, auction) = row
            ex.contract(con_id)
            t = OrderTicket(**{k: v for k, v in json.loads(tj).items() if k in tnames})
            o = SimOrder(order_id=order_id, client_id=client_id, perm_id=perm_id, con_id=con_id, ticket=t,
                         status=status, filled=filled, remaining=remaining, avg_fill_price=afp,
                         last_fill_price=lfp, why_held=why, created=created, triggered=bool(trig),
                         trail_stop=tstop, bound=bool(bound))
            key = eng._key(o)
            eng._orders[key] = o
            eng._meta[key] = _Meta(expires=_uf(expires), comm_paid=comm_paid, value_usd=value_usd,
                                   auction=_uf(auction))
            eng._working.setdefault(con_id, {})[key] = o
        names = [f.name for f in fields(SimFill)]
        eng._fills = [SimFill(**dict(zip(names, r[1:]))) for r in con.execute("SELECT * FROM fills ORDER BY seq")]
        return ex
    finally:
        con.close()
