"""The simulated IB Gateway's TCP server: connections, dispatch, subscriptions, market pump.

``SimGateway`` serves the TWS socket protocol (server version
``min(client max, 178)``) over asyncio for any number of API clients, one
:class:`~app.sim.connection.ClientConnection` each. It fans the
:class:`~app.sim.exchange.SimExchange` events (orders, fills, portfolio) out
through :func:`app.sim.routing.dispatch_event` and pumps market data ~10x/s
(in sub-steps under an accelerated clock), sending conflated ticks every
~250 ms like IB (every change in firehose mode). It also carries out the
faults of the admin interface (:mod:`app.sim.control`): drop, pause-accept,
connectivity 1100/1101/1102, delay, restart from the SQLite state.

``GatewayThread`` runs a gateway on its own event loop in a daemon thread
(for tests of other layers and for embedding).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import socket
import threading
import time

from app.sim.connection import ClientConnection
from app.sim.routing import dispatch_event, order_targets

log = logging.getLogger("app.sim.server")

PUMP_INTERVAL = 0.1      # seconds between exchange.advance() calls
TICK_INTERVAL = 0.25     # seconds between conflated tick batches per subscription
#: wall seconds between commits of the simulated clock to --state (durable.StateJournal.save_clock)
CLOCK_SAVE_INTERVAL = 1.0
FIREHOSE_PUMP_INTERVAL = 0.02   # wall seconds between pump passes in firehose mode
FIREHOSE_STEPS_PER_CHANGE = 4  # advance() calls per expected quote change of one symbol
MAX_SIM_STEP = 1.0       # simulated seconds per exchange.advance() sub-step (--speed)
MAX_SUBSTEPS = 600       # per pump pass; a faster clock takes bigger steps
#: wall seconds of firehose sub-steps in one pump pass; past it the pass takes one step to now
#: (fewer, bigger steps: the event loop still serves the sockets when the CPU cannot keep up)
FIREHOSE_PASS_BUDGET = 0.05

#: IB's texts for the system messages (IB API "Message Codes").
CONNECTIVITY_TEXT = {
    1100: "Connectivity between IB and TWS has been lost.",
    1101: "Connectivity between IB and TWS has been restored - data lost.",
    1102: "Connectivity between IB and TWS has been restored - data maintained.",
}


class SimGateway:
    """A simulated IB Gateway on ``host:port`` (port 0 = pick a free port).

    ``exchange`` is an :class:`app.sim.exchange.SimExchange` (duck-typed to the
    facade documented in the project brief). ``clock`` returns the simulated
    POSIX time (UTC) passed to the exchange; default ``time.time`` (an accelerated
    clock comes from ``app.sim.clock.make_clock(start, speed)``; pass ``speed`` too
    for ``status``). Use ``await start()`` (returns the bound port),
    ``await serve_forever()``, ``await stop()``.

    ``master_client_id``: IB's "Master API client ID" (sees every order);
    ``message_log``: callable the wire side feeds with every message;
    ``state_path``: SQLite file (``--state``): every acknowledged change is committed to it as
    it happens (:class:`app.sim.durable.StateJournal`, from :meth:`start`; ``state_sync`` NORMAL
    or FULL), and a full snapshot is written by ``restart``/``save`` and at :meth:`stop`. The
    caller holds the file's lock (:class:`app.sim.private.StateLock`);
    ``exchange_kwargs``: seed/bars_dir/account_id to rebuild the exchange from it.
    Fault methods (:meth:`drop_all`, :meth:`pause_accept`, :meth:`set_connectivity`,
    :meth:`set_delay`, :meth:`set_firehose`, :meth:`restart`) must run on the loop.
    """

    def __init__(self, exchange, host: str = "127.0.0.1", port: int = 0, clock=None, *,
                 master_client_id: int | None = None, message_log=None,
                 state_path: str | None = None, exchange_kwargs: dict | None = None,
                 speed: float = 1.0, state_sync: str = "NORMAL"):
        self.exchange = exchange
        self.clock = clock or time.time
        self.host = host
        self.port = port
        #: IB "Master API client ID" (TWS API settings): that client sees every order.
        self.master_client_id = master_client_id
        #: callable(direction "<-"/"->", client_id, msg name, fields) or None (wire side calls it).
        self.message_log = message_log
        #: SQLite file of ``restart`` / exit (``--state``); None = not persisted.
        self.state_path = state_path
        self.state_sync = state_sync
        #: the per-change commits to ``state_path`` (app.sim.durable), open between start and stop
        self.journal = None
        #: keyword arguments to rebuild the exchange (``SimExchange.load_state(path, **kw)``).
        self.exchange_kwargs = dict(exchange_kwargs or {})
        #: faults (see app.sim.control): accept pause, connectivity, response delay
        self.accept_paused_until = 0.0          # time.monotonic() deadline; 0 = accepting
        self.connectivity_lost = False
        self.delay = 0.0                        # seconds added before every response
        #: load mode: (n_symbols, total quote changes per wall second) or None
        self.firehose: tuple[int, float] | None = None
        self.speed = speed                      # clock speed (informational; see app.sim.clock)
        self.stats = {"accepted": 0, "refused": 0, "dropped": 0, "quote_changes": 0,
                      "restarts": 0, "steps_skipped": 0}
        self.connections: set[ClientConnection] = set()
        self.by_client_id: dict[int, ClientConnection] = {}
        self.next_order_ids: dict[int, int] = {}
        self._server: asyncio.base_events.Server | None = None
        self._pump_task: asyncio.Task | None = None
        self._stopped = asyncio.Event()
        self._deferred: list[tuple[ClientConnection, bytes]] = []
        self._cancel_notified: set[tuple[int, int]] = set()
        self._last_tick_send = 0.0
        self._last_sim_now: float | None = None
        self._firehose_credit = 0.0
        #: moving average of the wall seconds one firehose sub-step takes (0 = not measured yet)
        self._step_cost = 0.0
        self._rate_window: collections.deque[tuple[float, int]] = collections.deque()
        exchange.add_listener(self._on_event)

    # ---- lifecycle -----------------------------------------------------
    async def start(self) -> int:
        """Open the state journal (with ``state_path``), listen and start the market pump;
        returns the bound TCP port. Raises OSError / sqlite3.Error."""
        if self.state_path and self.journal is None:
            from app.sim.durable import StateJournal

            self.journal = StateJournal(self.state_path, self.exchange, self.state_sync)
            self.exchange.attach_store(self.journal)
        self._server = await asyncio.start_server(self._on_client, self.host, self.port,
                                                  reuse_address=True)
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        self._pump_task = asyncio.get_running_loop().create_task(self._pump())
        log.info("simulated gateway listening on %s:%d", self.host, self.port)
        return self.port

    async def serve_forever(self) -> None:
        """Run until :meth:`stop` is called (starts the server if needed)."""
        if self._server is None:
            await self.start()
        await self._stopped.wait()

    async def stop(self) -> None:
        """Close the listener and every client connection; stop the pump; save the state
        to ``state_path`` when one is set (errors are logged, not raised)."""
        if self._pump_task:
            self._pump_task.cancel()
            try:
                await self._pump_task
            except (asyncio.CancelledError, Exception):
                pass
            self._pump_task = None
        if self._server:
            self._server.close()
        for conn in list(self.connections):
            conn.close()
        if self._server:
            try:
                await asyncio.wait_for(self._server.wait_closed(), 0.5)
            except (asyncio.TimeoutError, Exception):
                pass
            self._server = None
        if self.state_path and not self._stopped.is_set():
            try:
                self.save_state()
            except Exception:
                log.exception("saving the state to %s failed", self.state_path)
        if self.journal is not None:
            self.exchange.attach_store(None)
            self.journal.close()
            self.journal = None
        self._stopped.set()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        if self.accepting_paused():
            # "pause-accept": the gateway is not taking connections; close at once
            self.stats["refused"] += 1
            try:
                writer.close()
            except Exception:
                pass
            return
        self.stats["accepted"] += 1
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        conn = ClientConnection(self, reader, writer)
        conn.delay = self.delay                # the wire side delays its own batches
        self.connections.add(conn)
        try:
            await conn.run()
        finally:
            self.connections.discard(conn)
            if conn.client_id is not None and self.by_client_id.get(conn.client_id) is conn:
                del self.by_client_id[conn.client_id]
            conn.close()

    # ---- faults (driven by app.sim.control) ------------------------------
    def accepting_paused(self) -> bool:
        """True while ``pause_accept`` is in force (new connections are closed at once)."""
        return time.monotonic() < self.accept_paused_until

    def pause_accept(self, seconds: float) -> None:
        """Close every new connection at once for ``seconds`` (0 = accept again now);
        existing clients keep working."""
        self.accept_paused_until = time.monotonic() + seconds if seconds > 0 else 0.0

    def drop_all(self) -> int:
        """Close every client connection (the clients see the socket close, as when the
        gateway process dies). Returns how many were closed."""
        conns = [c for c in self.connections if not c.closed]
        for c in conns:
            c.flush()
            c.close()
        self.stats["dropped"] += len(conns)
        return len(conns)

    def _send_system(self, code: int, text: str) -> int:
        n = 0
        for c in list(self.connections):
            if c.ready and not c.closed:
                c.send_error(-1, code, text)     # in the layout of c's server version
                c.flush()
                n += 1
        return n

    def set_connectivity(self, state: str) -> int:
        """IB system messages to every client (IB "Message Codes"):

        * ``lost``: 1100 "Connectivity between IB and TWS has been lost."; no market data
          flows until restored (orders still reach the simulated exchange, which plays
          the role of TWS here);
        * ``restored``: 1102 "... restored - data maintained." (subscriptions continue);
        * ``restored-data-lost``: 1101 "... restored - data lost.": every market data
          subscription (reqMktData, keepUpToDate history) is dropped and must be
          resubmitted, as IB requires.

        Returns how many clients got the message; ValueError for another state.
        """
        if state == "lost":
            self.connectivity_lost = True
            return self._send_system(1100, CONNECTIVITY_TEXT[1100])
        if state == "restored":
            self.connectivity_lost = False
            return self._send_system(1102, CONNECTIVITY_TEXT[1102])
        if state == "restored-data-lost":
            self.connectivity_lost = False
            for c in self.connections:
                for attr in ("mkt", "mkt_last", "hist_live", "hist_last"):
                    d = getattr(c, attr, None)
                    if isinstance(d, dict):
                        d.clear()
            return self._send_system(1101, CONNECTIVITY_TEXT[1101])
        raise ValueError(f"unknown connectivity state {state!r}: use lost, restored or "
                         "restored-data-lost")

    def set_delay(self, seconds: float) -> None:
        """Delay every response to every client (current and future) by ``seconds``
        (0 = off). Message order is kept."""
        self.delay = max(0.0, float(seconds))
        for c in self.connections:
            c.delay = self.delay

    def set_firehose(self, n_symbols: int, rate: float) -> None:
        """Load mode: ``exchange.firehose(n, rate)`` and a pump that sends every quote change
        (no 250 ms conflation), so clients see about ``rate`` quote changes per second;
        ``n_symbols`` or ``rate`` 0 ends it. ValueError from the exchange for a bad n or rate."""
        self.exchange.firehose(n_symbols, rate)
        self.firehose = (n_symbols, rate) if n_symbols > 0 and rate > 0 else None

    def save_state(self, path: str | None = None) -> str:
        """Write the exchange state to the SQLite file (``--state``); returns the path.
        RuntimeError when no path is configured."""
        path = path or self.state_path
        if not path:
            raise RuntimeError("no state file: start the gateway with --state FILE")
        if self.journal is not None and path == self.state_path:
            self.journal.snapshot()         # one transaction on the open connection
        else:
            self.exchange.save_state(path)
        return path

    def restart(self) -> int:
        """Simulated gateway restart: save the state to the SQLite file, drop every client,
        rebuild the exchange from the file (account, positions, working GTC orders,
        executions) and keep listening on the same port. Returns the number of dropped
        clients. RuntimeError without a state file."""
        path = self.save_state()
        dropped = self.drop_all()
        kw = dict(self.exchange_kwargs)
        kw["now"] = self.clock()
        new = type(self.exchange).load_state(path, **kw)
        self.exchange.attach_store(None)
        if self.journal is not None:
            self.journal.exchange = new
            new.attach_store(self.journal)
        self.by_client_id.clear()
        self._deferred.clear()
        self._cancel_notified.clear()
        self.exchange = new
        new.add_listener(self._on_event)
        if self.firehose is not None:
            new.firehose(*self.firehose)
        self._last_sim_now = None
        self.connectivity_lost = False
        self.stats["restarts"] += 1
        return dropped

    # ---- client registry -----------------------------------------------
    def register(self, conn: ClientConnection, client_id: int) -> bool:
        """Bind ``client_id`` to ``conn``; False if another live client holds it (IB 326)."""
        other = self.by_client_id.get(client_id)
        if other is not None and other is not conn and not other.closed:
            return False
        self.by_client_id[client_id] = conn
        return True

    def next_valid_id(self, client_id: int) -> int:
        """The next free orderId for ``client_id`` (above every id it used before)."""
        nid = self.next_order_ids.get(client_id, 1)
        try:
            for o in self.exchange.orders(client_id, working_only=False):
                nid = max(nid, o.order_id + 1)
            for f in self.exchange.executions(client_id):
                nid = max(nid, f.order_id + 1)
        except Exception:  # exchange query failure must not break the handshake
            log.exception("orders() failed")
        self.next_order_ids[client_id] = nid
        return nid

    def note_order_id(self, client_id: int, order_id: int) -> None:
        self.next_order_ids[client_id] = max(self.next_order_ids.get(client_id, 1), order_id + 1)

    # ---- exchange events -> clients ------------------------------------
    def order_targets(self, client_id: int) -> list[ClientConnection]:
        """Connections that receive events of an order placed by ``client_id``
        (``app.sim.routing.order_targets``: owner, master client id, client 0 for TWS orders)."""
        return order_targets(self, client_id)

    def _on_event(self, ev) -> None:
        """Exchange listener: fan the event out through ``app.sim.routing.dispatch_event``."""
        try:
            dispatch_event(self, ev)
        except Exception:
            log.exception("failed to deliver exchange event %r", ev)

    def flush_deferred(self) -> None:
        """Send messages IB delivers after the current burst (commission reports)."""
        pending, self._deferred = self._deferred, []
        for c, msg in pending:
            if not c.closed:
                c.send(msg)

    def call_exchange(self, fn, *args, **kw):
        """Call an exchange method that may emit events, then flush deferred messages."""
        try:
            return fn(*args, **kw)
        finally:
            self.flush_deferred()

    # ---- market pump -----------------------------------------------------
    def _substeps(self, now: float, wall_dt: float) -> list[float]:
        """Simulated instants to advance the exchange through, ending at ``now``: steps of at
        most MAX_SIM_STEP simulated seconds (an accelerated clock still forms every bar
        from ticks); in firehose mode enough steps for ``rate`` changes per wall second, but no
        more than fit in FIREHOSE_PASS_BUDGET at the measured cost of a sub-step (when the CPU
        cannot keep up, fewer and longer steps: every change still happens in the model)."""
        prev = self._last_sim_now
        self._last_sim_now = now
        if prev is None or now <= prev:
            return [now]
        k = math.ceil((now - prev) / MAX_SIM_STEP)
        if self.firehose is not None:
            # the exchange reports a symbol once per advance() however many times it moved, so
            # aim at FIREHOSE_STEPS_PER_CHANGE steps per expected change (Poisson arrivals:
            # 4 steps show ~88% of the changes); carry fractions so the mean is exact
            n, rate = self.firehose
            self._firehose_credit += FIREHOSE_STEPS_PER_CHANGE * rate * wall_dt / max(n, 1)
            steps = int(self._firehose_credit)
            self._firehose_credit -= steps
            if self._step_cost > 0:                 # no more than fit in one pass's budget
                steps = min(steps, max(1, int(FIREHOSE_PASS_BUDGET / self._step_cost)))
            k = max(k, steps)
        k = max(1, min(k, MAX_SUBSTEPS))
        return [prev + (now - prev) * i / k for i in range(1, k)] + [now]

    def _send_market_updates(self, changed=None) -> None:
        """Every ready client's ``send_market_updates(changed)`` (None = a full pass)."""
        if self.connectivity_lost:        # 1100: no market data until restored
            return
        for c in list(self.connections):
            if c.ready:
                try:
                    c.send_market_updates(changed)
                except Exception:
                    log.exception("market update to client %s failed", c.client_id)

    def tick_rate(self) -> float:
        """Quote changes per wall second reported by ``exchange.advance`` over the last ~2 s."""
        if len(self._rate_window) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._rate_window[0], self._rate_window[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0

    async def _pump(self) -> None:
        """Advance the exchange ~10x/s (in sub-steps, see :meth:`_substeps`); send conflated
        ticks every TICK_INTERVAL; in firehose mode also every change after each sub-step (to
        the subscriptions of the changed conIds only)."""
        wall_prev = time.monotonic()
        self._clock_saved = wall_prev
        busy = 0.0                       # wall seconds the previous pass worked
        while True:
            if self.firehose is not None:        # a busy gateway only yields for the sockets
                await asyncio.sleep(max(FIREHOSE_PUMP_INTERVAL - busy, 0.0))
            else:
                await asyncio.sleep(PUMP_INTERVAL)
            wall = time.monotonic()
            now = self.clock()
            steps = self._substeps(now, wall - wall_prev)
            i = 0
            while i < len(steps):
                try:
                    changed = self.call_exchange(self.exchange.advance, steps[i])
                except Exception:
                    log.exception("exchange.advance failed")
                    changed = None
                self.stats["quote_changes"] += len(changed or ())
                i += 1
                if self.firehose is not None:
                    if changed:
                        self._send_market_updates(changed)      # every change, only what changed
                        for c in list(self.connections):
                            c.flush()
                    if i < len(steps) - 1 and time.monotonic() - wall > FIREHOSE_PASS_BUDGET:
                        self.stats["steps_skipped"] += len(steps) - 1 - i
                        i = len(steps) - 1                      # behind: one step to now
            busy = time.monotonic() - wall
            if self.firehose is not None and i:
                cost = busy / i                                  # wall seconds per sub-step
                self._step_cost = cost if not self._step_cost else 0.8 * self._step_cost + 0.2 * cost
            wall_prev = wall
            self._rate_window.append((wall, self.stats["quote_changes"]))
            while len(self._rate_window) > 2 and wall - self._rate_window[0][0] > 2.0:
                self._rate_window.popleft()
            if self.journal is not None and wall - self._clock_saved >= CLOCK_SAVE_INTERVAL:
                self._clock_saved = wall
                self.call_exchange(self.journal.save_clock)
            if now - self._last_tick_send >= TICK_INTERVAL - 1e-3:
                self._last_tick_send = now                   # (firehose: bars, streams, scripted quotes)
                self._send_market_updates()
            for c in list(self.connections):
                c.flush()


def build_exchange(state_path: str | None = None, **kw):
    """A :class:`~app.sim.exchange.SimExchange` from ``kw`` (seed, bars_dir, account_id, now),
    restored from the SQLite ``state_path`` when that file exists (``SimExchange.load_state``).
    Raises what the exchange raises (ValueError / OSError / sqlite3.Error for a bad file)."""
    import os

    from app.sim.exchange import SimExchange

    if state_path and os.path.exists(state_path):
        return SimExchange.load_state(state_path, **kw)
    return SimExchange(**kw)


class GatewayThread:
    """A :class:`SimGateway` with its own :class:`SimExchange` on an asyncio loop in a
    daemon thread. Context manager; ``.port``, ``.exchange``, ``.stop()``.

    ``start_time`` (POSIX s) runs the simulation from that instant on, at
    wall-clock speed (tests use it to be inside regular trading hours).
    ``exchange`` (optional) injects a ready exchange object instead of
    building ``SimExchange(seed, bars_dir, account_id)``. Raises whatever the
    exchange or the listener raise at start (e.g. OSError for a port in use),
    in the calling thread.

    Keyword options mirror the CLI: ``speed`` (clock speed factor), ``state_path``
    (SQLite state: loaded when the file exists, every change committed as it happens, a
    snapshot at ``restart`` and at stop; the file is locked for the thread's life,
    :class:`app.sim.private.StateFileBusy` if another gateway holds it),
    ``master_client_id``, ``admin_port`` (serve app.sim.control on 127.0.0.1; 0 = pick;
    the bound port is ``.admin_port``, its token ``.admin_token``: a TCP session sends
    ``auth <admin_token>`` first; no token file is written), ``delay`` (seconds),
    ``firehose`` ((n, rate)), ``universe`` (instruments, ``app.sim.instruments.universe``;
    0 = the state file's, else the default 23).
    """

    def __init__(self, port: int = 0, seed: int = 7, bars_dir=None, host: str = "127.0.0.1",
                 account_id: str = "SIM0001", exchange=None, start_time: float | None = None,
                 *, speed: float = 1.0, state_path: str | None = None,
                 master_client_id: int | None = None, admin_port: int | None = None,
                 delay: float = 0.0, firehose: tuple[int, float] | None = None, universe: int = 0):
        from app.sim.clock import make_clock

        from app.sim.private import StateLock

        clock = make_clock(start_time, speed)
        kw = dict(seed=seed, bars_dir=bars_dir, account_id=account_id)
        if universe:
            kw["universe"] = universe
        self.state_lock = StateLock(state_path).acquire() if state_path else None
        try:
            if exchange is None:
                exchange = build_exchange(state_path, now=start_time, **kw)
        except BaseException:
            self._release_lock()
            raise
        self.exchange = exchange
        self.loop = asyncio.new_event_loop()
        self.gateway = SimGateway(self.exchange, host=host, port=port, clock=clock,
                                  master_client_id=master_client_id, state_path=state_path,
                                  exchange_kwargs=kw, speed=speed)
        if delay:
            self.gateway.set_delay(delay)
        if firehose is not None:
            self.gateway.set_firehose(*firehose)
        self.admin = None
        self._admin_port = admin_port
        self.admin_port = 0
        self.admin_token: str | None = None
        self.port = 0
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sim-gateway", daemon=True)
        self._thread.start()
        self._started.wait(10)
        if self._error is not None:
            self._release_lock()
            raise self._error
        if not self.port:
            self._release_lock()
            raise RuntimeError("simulated gateway did not start within 10 s")

    def _release_lock(self) -> None:
        if self.state_lock is not None:
            self.state_lock.release()

    async def _start(self) -> int:
        port = await self.gateway.start()
        if self._admin_port is not None:
            from app.sim.control import AdminController, AdminServer

            self.admin = AdminServer(AdminController(self.gateway))
            self.admin_token = self.admin.token
            self.admin_port = await self.admin.start(self._admin_port)
        return port

    def admin_command(self, line: str, timeout: float = 10.0) -> str:
        """Run one admin command (app.sim.control) on the gateway's loop; returns the reply."""
        from app.sim.control import AdminController

        async def run() -> str:
            return AdminController(self.gateway).execute(line)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.port = self.loop.run_until_complete(self._start())
        except BaseException as e:  # report start failures to the constructor
            self._error = e
            self._started.set()
            self.loop.close()
            return
        self._started.set()
        try:
            self.loop.run_until_complete(self.gateway.serve_forever())
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
                for t in pending:
                    t.cancel()
                if pending:
                    self.loop.run_until_complete(
                        asyncio.wait(pending, timeout=0.5))
            finally:
                self.loop.close()

    async def _stop(self) -> None:
        if self.admin is not None:
            await self.admin.stop()
        await self.gateway.stop()

    def stop(self) -> None:
        """Stop the gateway and join the thread (normally well under 1 s). Idempotent."""
        if self._thread.is_alive() and not self.loop.is_closed():
            try:
                fut = asyncio.run_coroutine_threadsafe(self._stop(), self.loop)
                fut.result(2)
            except Exception:
                log.exception("gateway stop failed")
        self._thread.join(2)
        self._release_lock()

    def __enter__(self) -> "GatewayThread":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
