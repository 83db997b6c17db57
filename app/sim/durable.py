"""Crash-safe journal of the simulated gateway's state: every change committed as it happens.

:class:`StateJournal` is attached to a :class:`~app.sim.exchange.SimExchange`
(``exchange.attach_store``) when the gateway runs with ``--state FILE``. The exchange hands
it each event *before* any listener sees it, and the wire side only queues bytes in
listeners (they leave at the connection's next flush), so the order is:

    engine change -> StateJournal.record (one SQLite transaction, COMMIT) -> encode -> send

"Acknowledged" therefore means: a client could have received it. Each change commits in one
transaction of its own:

* an order status change (new order accepted, modified, PendingCancel, Cancelled, Inactive,
  Filled ...): the order row + the id counters (permId, bound ids);
* a fill: the execution row, the order row, cash, every position and the counters (execId
  sequence, permId, realized P&L) - one transaction, so a fill never exists without its
  cash and position effect or the other way round;
* an unsolicited portfolio refresh / a manual order binding: positions, cash and counters /
  the bound orders.

Quotes and tops of book are *not* committed per tick (the market pump would otherwise
commit thousands of times a second in firehose mode): they are written by the full
snapshot (``save``/``restart``/clean exit) and, after a ``kill -9``, the market regenerates
from the seed starting from the tops of the last snapshot.

The database runs in WAL mode with ``synchronous=NORMAL`` by default: a commit is in the
WAL file (the OS page cache) before it returns, so it survives the death of the process
(``kill -9``, a crash), which is what a simulator on the trader's own machine must survive;
it may lose the last commits on a power loss or OS crash (the database stays consistent).
``synchronous=FULL`` (``python -m app.sim --state-sync full``) fsyncs every commit and
survives power loss too, at about one fsync per order event.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from app.sim import persist as P
from app.sim.types import FillEvent, OrderEvent, PortfolioEvent, SimOrder

log = logging.getLogger("app.sim.durable")


class StateJournal:
    """Commits each change of ``exchange`` to the SQLite ``path`` (see the module docstring).

    Construction writes a full snapshot of the exchange in one transaction (the file then
    equals the exchange, whatever it held before). ``record(event)`` commits one change;
    ``save_orders(orders)`` commits orders changed without an event (manual-order binding).
    A failing commit is logged and counted in ``errors`` (the simulation goes on: the
    client-facing behaviour must not depend on the disk); ``commits`` counts transactions.
    ``close()`` closes the connection (idempotent). Raises sqlite3.Error / OSError from the
    constructor when the file cannot be opened or written.
    """

    def __init__(self, path: str | Path, exchange, synchronous: str = "NORMAL"):
        self.path = Path(path)
        self.exchange = exchange
        self.commits = 0
        self.errors = 0
        self.con: sqlite3.Connection | None = P.connect(self.path, synchronous)
        try:
            self.snapshot()
        except BaseException:
            self.close()
            raise

    def snapshot(self) -> None:
        """Replace the whole file with the exchange's state (one transaction; also the tops)."""
        with P.transaction(self.con) as con:
            P.write_snapshot(con, self.exchange)
        self.commits += 1

    def _order(self, con: sqlite3.Connection, o: SimOrder) -> None:
        row = P.order_row(self.exchange, o)
        if row is not None:
            con.execute(P.INSERT_ORDER, row)

    def _live(self, client_id: int, order_id: int, perm_id: int) -> SimOrder | None:
        eng = self.exchange.engine
        o = eng._orders.get((client_id, order_id))
        if o is None or o.perm_id != perm_id:
            o = next((x for x in eng._orders.values() if x.perm_id == perm_id), None)
        return o

    def record(self, event) -> None:
        """Commit the change ``event`` stands for (OrderEvent, FillEvent, PortfolioEvent; other
        events change nothing durable) in one transaction."""
        if self.con is None or not isinstance(event, (OrderEvent, FillEvent, PortfolioEvent)):
            return
        ex = self.exchange
        try:
            with P.transaction(self.con) as con:
                if isinstance(event, OrderEvent):
                    self._order(con, event.order)
                    con.executemany(P.INSERT_META, P.meta_rows(ex))
                elif isinstance(event, FillEvent):
                    f = event.fill
                    fills = ex.engine._fills
                    seq = next((i for i in range(len(fills) - 1, -1, -1) if fills[i] is f), len(fills) - 1)
                    con.execute(P.INSERT_FILL, P.fill_row(seq, f))
                    live = self._live(f.client_id, f.order_id, f.perm_id)
                    if live is not None:
                        self._order(con, live)
                    P.write_account(con, ex)
                else:
                    P.write_account(con, ex)
            self.commits += 1
        except (sqlite3.Error, OSError):
            self.errors += 1
            log.exception("could not commit %s to the state file %s", type(event).__name__, self.path)

    def save_clock(self) -> None:
        """Commit the simulated clock and the id counters (the ``meta`` rows) alone, so a
        restart after ``kill -9`` continues the clock from at most one commit interval back
        (the gateway's pump calls this about once a wall second)."""
        if self.con is None:
            return
        try:
            with P.transaction(self.con) as con:
                con.executemany(P.INSERT_META, P.meta_rows(self.exchange))
            self.commits += 1
        except (sqlite3.Error, OSError):
            self.errors += 1
            log.exception("could not commit the clock to the state file %s", self.path)

    def save_orders(self, orders) -> None:
        """Commit ``orders`` (changed without an event, e.g. bound manual orders) and the counters."""
        if self.con is None:
            return
        try:
            with P.transaction(self.con) as con:
                for o in orders:
                    self._order(con, o)
                con.executemany(P.INSERT_META, P.meta_rows(self.exchange))
            self.commits += 1
        except (sqlite3.Error, OSError):
            self.errors += 1
            log.exception("could not commit bound orders to the state file %s", self.path)

    def close(self) -> None:
        con, self.con = self.con, None
        if con is not None:
            try:
                con.close()
            except sqlite3.Error:
                pass
