"""Shared helpers for the simulated-gateway integration tests (test_sim_*.py)."""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct
import time

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


def make_gateway():
    """GatewayThread on the real SimExchange, started in simulated regular trading hours."""
    from app.sim.server import GatewayThread

    return GatewayThread(seed=7, start_time=rth_start_time())


def arun(coro, timeout: float = 15.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def wait_for(pred, timeout: float = 3.0, step: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        await asyncio.sleep(step)
    return bool(pred())


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
