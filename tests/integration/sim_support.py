"""Shared helpers for the simulated-gateway integration tests (test_sim_*.py)."""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct
import threading
import time
from contextlib import contextmanager

import pytest

_ids = itertools.count(11)


def next_client_id() -> int:
    """A client id not used before in this test session (the gateway remembers ids)."""
    return next(_ids)


def rth_start_time() -> float:
    """POSIX time of the last Wednesday before today, 11:00 New York (regular trading hours),
    so order and market-data tests behave the same whenever they run."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    d = dt.datetime.now(ny).date() - dt.timedelta(days=1)
    while d.weekday() != 2:
        d -= dt.timedelta(days=1)
    return dt.datetime(d.year, d.month, d.day, 11, 0, tzinfo=ny).timestamp()


def make_gateway(seed: int = 7):
    """GatewayThread on the real SimExchange (market model ``seed``), started in simulated
    regular trading hours (:func:`rth_start_time`)."""
    from app.sim.server import GatewayThread

    return GatewayThread(seed=seed, start_time=rth_start_time())


def gateway_fixture(seed: int = 7):
    """A module-scoped pytest fixture (assign it to ``gateway`` in a test module): a
    :func:`make_gateway` with ``seed``, stopped when the module's tests are done."""
    @pytest.fixture(scope="module")
    def gateway():
        with make_gateway(seed=seed) as gw:
            yield gw
    return gateway


def sim_session(gateway):
    """An ``app.broker.Session`` for ``gateway`` (not connected yet) with a new client id."""
    from app.broker.session import Session

    return Session("127.0.0.1", gateway.port, next_client_id(), connect_timeout=5)


def ibapi_stock(symbol: str = "AAPL"):
    """An ibapi ``Contract`` for a US stock on SMART in USD."""
    from ibapi.contract import Contract

    c = Contract()
    c.symbol, c.secType, c.exchange, c.currency = symbol, "STK", "SMART", "USD"
    return c


@contextmanager
def running_ibapi(app, port: int, timeout: float = 3.0):
    """``app`` (a :class:`RecordingApp` + ``EClient``) connected to ``port`` with a new client
    id, its reader thread running and nextValidId received; disconnected afterwards."""
    app.connect("127.0.0.1", port, next_client_id())
    th = threading.Thread(target=app.run, daemon=True)
    th.start()
    assert app.wait(lambda: app.next_id is not None, timeout)
    try:
        yield app
    finally:
        app.disconnect()
        th.join(2)


def arun(coro, timeout: float = 15.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def wait_for(pred, timeout: float = 3.0, step: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        await asyncio.sleep(step)
    return bool(pred())


async def until(pred, timeout: float = 5.0, what: str = "condition") -> None:
    """:func:`wait_for`, raising AssertionError that names ``what`` after ``timeout`` seconds."""
    if not await wait_for(pred, timeout):
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def raw_connect(port: int, client_id: int) -> socket.socket:
    """Raw socket through handshake + startApi (to send hand-made bytes afterwards)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    hs = b"v157..178"
    s.sendall(b"API\0" + struct.pack(">I", len(hs)) + hs)
    _read_frame(s)                                   # version reply
    start = b"71\x002\x00" + str(client_id).encode() + b"\x00\x00"
    s.sendall(struct.pack(">I", len(start)) + start)
    return s


def _read_frame(s: socket.socket) -> bytes:
    head = _read_exact(s, 4)
    (n,) = struct.unpack(">I", head)
    return _read_exact(s, n)


def _read_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def read_frames_until_closed(s: socket.socket, timeout: float = 2.0) -> list[list[str]]:
    """Read frames until the server closes (or timeout); returns their fields."""
    s.settimeout(timeout)
    out = []
    try:
        while True:
            payload = _read_frame(s)
            out.append([p.decode() for p in payload.split(b"\0")[:-1]])
    except (ConnectionError, socket.timeout, OSError):
        pass
    return out


class RecordingApp:
    """Base of the integration tests' official-ibapi clients: records callbacks as
    ``(name, *args)`` tuples; subclasses add the EWrapper callbacks they need.

    Mix in first: ``class App(RecordingApp, EWrapper, EClient)``.
    """

    def __init__(self):
        from ibapi.client import EClient

        EClient.__init__(self, self)
        self.events: list[tuple] = []
        self.lock = threading.Lock()
        self.next_id = None

    def _rec(self, *ev):
        with self.lock:
            self.events.append(ev)

    def of(self, name, req_id=None):
        """Recorded events named ``name`` (and with ``req_id`` as first argument, if given)."""
        with self.lock:
            return [e for e in self.events if e[0] == name and (req_id is None or e[1] == req_id)]

    def wait(self, pred, timeout=4.0):
        """Poll ``pred`` until true or ``timeout`` seconds; returns its last value as bool."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return True
            time.sleep(0.02)
        return bool(pred())

    def nextValidId(self, orderId):  # noqa: N802 (EWrapper name)
        self.next_id = orderId
        self._rec("nextValidId", orderId)

    def error(self, reqId, errorTime, errorCode, errorString, advancedOrderRejectJson=""):  # noqa: N802,N803
        self._rec("error", reqId, errorCode, errorString)


#: admin port -> token of the gateways this test session started (see register_admin_token)
_admin_tokens: dict[int, str] = {}

ADMIN_TOKEN_PREFIX = "IBDESK-SIM ADMIN-TOKEN "


def register_admin_token(port: int, token: str | None = None, path: str | None = None) -> str:
    """Remember the admin token of the gateway whose admin interface is on ``port``: ``token``
    itself, or read from the 0600 token file ``path`` (the ``IBDESK-SIM ADMIN-TOKEN <path>``
    line). Returns the token."""
    if token is None:
        if path is None:
            raise ValueError("register_admin_token needs token or path")
        with open(path) as fh:
            token = fh.read().strip()
    _admin_tokens[port] = token
    return token


def read_admin_lines(proc) -> tuple[int, str]:
    """After the LISTENING line of a ``python -m app.sim --admin-port N`` child: read its
    ``IBDESK-SIM ADMIN host:port`` and ``IBDESK-SIM ADMIN-TOKEN <path>`` lines from
    ``proc.stdout`` (text mode), register the token for :func:`admin_command` and return
    (admin port, token file path)."""
    admin = proc.stdout.readline().strip()
    assert admin.startswith("IBDESK-SIM ADMIN 127.0.0.1:"), admin
    port = int(admin.rsplit(":", 1)[1])
    tok = proc.stdout.readline().strip()
    assert tok.startswith(ADMIN_TOKEN_PREFIX), tok
    path = tok[len(ADMIN_TOKEN_PREFIX):]
    register_admin_token(port, path=path)
    return port, path


def _admin_token(port: int, token: str | None) -> str | None:
    """The token for ``port``: given, registered, an in-process ``GatewayThread``'s
    (``app.sim.control.local_admin_token``), or the runtime token file of a gateway started
    without --state (``app.sim.private.token_path_for``)."""
    if token is not None:
        return token
    if port in _admin_tokens:
        return _admin_tokens[port]
    from app.sim.control import local_admin_token
    from app.sim.private import token_path_for

    if local_admin_token(port) is not None:          # a GatewayThread of this process
        return local_admin_token(port)

    try:
        return token_path_for(None, port).read_text().strip()
    except OSError:
        return None


def _read_line(s: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        buf += chunk
    return buf


def admin_command(port: int, line: str, timeout: float = 5.0, token: str | None = None) -> str:
    """Send one line to the simulated gateway's admin port, after ``auth <token>`` (``token``,
    else the one registered for ``port`` - :func:`register_admin_token`, :func:`read_admin_lines`
    - else an in-process GatewayThread's, else the runtime token file of that port); return its
    reply line (``OK ...``/``ERR ...``).
    Without any token the command is sent unauthenticated (the reply is then
    ``ERR not authenticated ...``)."""
    token = _admin_token(port, token)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        if token is not None:
            s.sendall(f"auth {token}\n".encode())
            reply = _read_line(s).decode().strip()
            if not reply.startswith("OK"):
                return reply
        s.sendall(line.encode() + b"\n")
        return _read_line(s).decode().strip()


def fast_supervisor(session):
    """A started ``ConnectionSupervisor`` for ``session`` with short delays (0.2 s first retry,
    2 s at most, no jitter, 0.5 s heartbeat): reconnect tests. Call ``close()`` when done."""
    from app.broker.supervisor import ConnectionSupervisor

    sup = ConnectionSupervisor(session, first_delay=0.2, fast_delay=0.3, max_delay=2.0, jitter=0.0,
                               heartbeat_interval=0.5, heartbeat_timeout=2.0)
    sup.start()
    return sup


async def drop_and_reconnect(session, timeout: float = 10.0) -> None:
    """Close ``session``'s socket as a network failure would, then wait until it is LOST and
    CONNECTED again (needs a supervisor, :func:`fast_supervisor`)."""
    from app.domain import ConnectionState

    session.ib.client.conn.disconnect()
    await until(lambda: session.state in (ConnectionState.LOST, ConnectionState.RECONNECTING), 5, "lost")
    await until(lambda: session.state is ConnectionState.CONNECTED, timeout, "reconnected")


def market_caps(gw) -> dict[int, tuple[str, float | None]]:
    """conId -> (symbol, market cap in USD) of every stock of ``gw`` (a ``GatewayThread``) at
    its prices now, read on its loop (``app.sim.market_cap``: None for an ETF)."""
    import asyncio

    from app.sim.market_cap import market_cap

    async def job():
        ex = gw.exchange
        return {c.con_id: (c.symbol, market_cap(c.con_id, ex.top(c.con_id).last))
                for c in ex.contracts() if c.sec_type == "STK"}
    return asyncio.run_coroutine_threadsafe(job(), gw.loop).result(5)


def cap_between(caps) -> int:
    """A market cap bound (millions of USD) between two of the largest of ``caps`` (market caps
    in USD, None skipped): in the widest gap among the 3rd..9th largest, far wider than the
    prices move while a test runs."""
    ranked = sorted((c for c in caps if c), reverse=True)
    i = max(range(2, 9), key=lambda k: ranked[k] / ranked[k + 1])
    assert ranked[i] / ranked[i + 1] > 1.05, ranked
    return int((ranked[i] * ranked[i + 1]) ** 0.5 / 1e6)
