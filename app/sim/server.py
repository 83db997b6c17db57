"""The simulated IB Gateway's TCP server: connections, dispatch, subscriptions, market pump.

``SimGateway`` serves the TWS socket protocol (server version
``min(client max, 178)``) over asyncio for any number of API clients, one
:class:`~app.sim.connection.ClientConnection` each. It fans the
:class:`~app.sim.exchange.SimExchange` events (orders, fills, portfolio) out
to the owning client (plus clients that asked for all orders) and pumps
market data ~10x/s, sending conflated ticks every ~250 ms like IB.

``GatewayThread`` runs a gateway on its own event loop in a daemon thread
(for tests of other layers and for embedding).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

from app.sim import encode as E
from app.sim import encode_orders as EO
from app.sim.connection import ClientConnection
from app.sim.types import FillEvent, OrderErrorEvent, OrderEvent, PortfolioEvent

log = logging.getLogger("app.sim.server")

PUMP_INTERVAL = 0.1      # seconds between exchange.advance() calls
TICK_INTERVAL = 0.25     # seconds between conflated tick batches per subscription


class SimGateway:
    """A simulated IB Gateway on ``host:port`` (port 0 = pick a free port).

    ``exchange`` is an :class:`app.sim.exchange.SimExchange` (duck-typed to the
    facade documented in the project brief). ``clock`` returns the simulated
    POSIX time (UTC) passed to the exchange; default ``time.time``. Use
    ``await start()`` (returns the bound port), ``await serve_forever()``,
    ``await stop()``.
    """

    def __init__(self, exchange, host: str = "127.0.0.1", port: int = 0, clock=None):
        self.exchange = exchange
        self.clock = clock or time.time
        self.host = host
        self.port = port
        self.connections: set[ClientConnection] = set()
        self.by_client_id: dict[int, ClientConnection] = {}
        self.next_order_ids: dict[int, int] = {}
        self._server: asyncio.base_events.Server | None = None
        self._pump_task: asyncio.Task | None = None
        self._stopped = asyncio.Event()
        self._deferred: list[tuple[ClientConnection, bytes]] = []
        self._cancel_notified: set[tuple[int, int]] = set()
        self._last_tick_send = 0.0
        exchange.add_listener(self._on_event)

    # ---- lifecycle -----------------------------------------------------
    async def start(self) -> int:
        """Listen and start the market pump; returns the bound TCP port."""
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
        """Close the listener and every client connection; stop the pump."""
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
        self._stopped.set()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        conn = ClientConnection(self, reader, writer)
        self.connections.add(conn)
        try:
            await conn.run()
        finally:
            self.connections.discard(conn)
            if conn.client_id is not None and self.by_client_id.get(conn.client_id) is conn:
                del self.by_client_id[conn.client_id]
            conn.close()

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
        except Exception:  # exchange query failure must not break the handshake
            log.exception("orders() failed")
        self.next_order_ids[client_id] = nid
        return nid

    def note_order_id(self, client_id: int, order_id: int) -> None:
        self.next_order_ids[client_id] = max(self.next_order_ids.get(client_id, 1), order_id + 1)

    # ---- exchange events -> clients ------------------------------------
    def order_targets(self, client_id: int) -> list[ClientConnection]:
        """Connections that receive events of an order placed by ``client_id``:
        the owner, clients that sent reqAllOpenOrders, and client 0 when it
        sent reqAutoOpenOrders(True)."""
        out = []
        owner = self.by_client_id.get(client_id)
        if owner is not None and owner.ready:
            out.append(owner)
        for c in self.connections:
            if c is owner or not c.ready:
                continue
            if c.follow_all_orders or (c.client_id == 0 and c.auto_open_orders):
                out.append(c)
        return out

    def _on_event(self, ev) -> None:
        try:
            if isinstance(ev, OrderEvent):
                self._on_order(ev.order)
            elif isinstance(ev, FillEvent):
                self._on_fill(ev.fill)
            elif isinstance(ev, PortfolioEvent):
                for c in self.connections:
                    if c.ready:
                        c.on_portfolio(ev)
            elif isinstance(ev, OrderErrorEvent):
                if ev.code == 202:
                    key = (ev.client_id, ev.order_id)
                    if key in self._cancel_notified:
                        return
                    self._cancel_notified.add(key)
                for c in self.order_targets(ev.client_id):
                    c.send(E.error(ev.order_id, ev.code, ev.text))
        except Exception:
            log.exception("failed to deliver exchange event %r", ev)

    def _on_order(self, o) -> None:
        contract = self.exchange.contract(o.con_id)
        acct = self.exchange.account_id
        targets = self.order_targets(o.client_id)
        for c in targets:
            if o.status not in ("Cancelled", "ApiCancelled"):
                c.send(EO.open_order(o, contract, acct))
            c.send(EO.order_status(o))
        if o.status in ("Cancelled", "ApiCancelled"):
            key = (o.client_id, o.order_id)
            if key not in self._cancel_notified:
                self._cancel_notified.add(key)
                for c in targets:
                    c.send(E.error(o.order_id, 202, "Order Canceled - reason:"))

    def _on_fill(self, f) -> None:
        contract = self.exchange.contract(f.con_id)
        tz = contract.time_zone_id
        for c in self.order_targets(f.client_id):
            c.send(E.exec_details(-1, contract, f, E.ib_datetime(f.time, tz)))
            # IB sends the commission report after the Filled status/openOrder.
            self._deferred.append((c, E.commission_report(f)))

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
    async def _pump(self) -> None:
        """Advance the exchange ~10x/s; send conflated ticks every TICK_INTERVAL."""
        while True:
            await asyncio.sleep(PUMP_INTERVAL)
            now = self.clock()
            try:
                self.call_exchange(self.exchange.advance, now)
            except Exception:
                log.exception("exchange.advance failed")
            if now - self._last_tick_send >= TICK_INTERVAL - 1e-3:
                self._last_tick_send = now
                for c in list(self.connections):
                    if c.ready:
                        try:
                            c.send_market_updates()
                        except Exception:
                            log.exception("market update to client %s failed", c.client_id)
            for c in list(self.connections):
                c.flush()


class GatewayThread:
    """A :class:`SimGateway` with its own :class:`SimExchange` on an asyncio loop in a
    daemon thread. Context manager; ``.port``, ``.exchange``, ``.stop()``.

    ``start_time`` (POSIX s) runs the simulation from that instant on, at
    wall-clock speed (tests use it to be inside regular trading hours).
    ``exchange`` (optional) injects a ready exchange object instead of
    building ``SimExchange(seed, bars_dir, account_id)``. Raises whatever the
    exchange or the listener raise at start (e.g. OSError for a port in use),
    in the calling thread.
    """

    def __init__(self, port: int = 0, seed: int = 7, bars_dir=None, host: str = "127.0.0.1",
                 account_id: str = "SIM0001", exchange=None, start_time: float | None = None):
        from app.sim.clock import make_clock

        clock = make_clock(start_time)
        if exchange is None:
            from app.sim.exchange import SimExchange

            exchange = SimExchange(seed=seed, bars_dir=bars_dir, account_id=account_id,
                                   now=start_time)
        self.exchange = exchange
        self.loop = asyncio.new_event_loop()
        self.gateway = SimGateway(self.exchange, host=host, port=port, clock=clock)
        self.port = 0
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sim-gateway", daemon=True)
        self._thread.start()
        self._started.wait(10)
        if self._error is not None:
            raise self._error
        if not self.port:
            raise RuntimeError("simulated gateway did not start within 10 s")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.port = self.loop.run_until_complete(self.gateway.start())
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

    def stop(self) -> None:
        """Stop the gateway and join the thread (normally well under 1 s). Idempotent."""
        if self._thread.is_alive() and not self.loop.is_closed():
            try:
                fut = asyncio.run_coroutine_threadsafe(self.gateway.stop(), self.loop)
                fut.result(2)
            except Exception:
                log.exception("gateway stop failed")
        self._thread.join(2)

    def __enter__(self) -> "GatewayThread":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
