"""Fuzzing the gateway over real sockets: garbage never crashes it nor disturbs others.

One GatewayThread serves a well-behaved ib_async client (in its own thread and
event loop) while hypothesis throws at it, each example on a fresh connection:
random byte streams (with and without the handshake), random field lists for
every request id the decoder knows, truncated frames and huge length prefixes.
After every example the good client must still get an answer, and the gateway
must still accept new connections. Bounded: ~200 examples, a few seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import struct
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ib_async import IB

from app.sim import decode as D
from app.sim.server import GatewayThread
from tests.integration.sim_support import raw_connect, read_frames_until_closed, rth_start_time
from app.sim.exchange import SimExchange

pytestmark = pytest.mark.timeout(120)

KNOWN_IDS = sorted({v for k, v in vars(D).items() if k.isupper() and isinstance(v, int)}
                   | set(D.UNSUPPORTED_WITH_REQID) | set(D.IGNORED))
_cids = itertools.count(5000)
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


class GoodClient:
    """An ib_async client on its own event loop thread; ``check()`` round-trips."""

    def __init__(self, port: int):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.ib = IB()
        self._call(lambda: self.ib.connectAsync("127.0.0.1", port, clientId=4999, timeout=3))

    def _call(self, make, timeout=3.0):
        async def wrap():          # the awaitable must be created on the client's loop
            return await make()
        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(timeout)

    def check(self) -> None:
        assert self._call(self.ib.reqCurrentTimeAsync) is not None
        assert self.ib.isConnected()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.ib.disconnect)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(2)


class _Errors(logging.Handler):
    """Collects ERROR records of the gateway: a handler bug is logged with a traceback
    and answered with error 321, so the fuzz tests fail on these records."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(self.format(record))


ERRORS = _Errors()


@pytest.fixture(scope="module")
def env():
    t0 = rth_start_time()
    gw = GatewayThread(exchange=SimExchange(seed=3, now=t0), start_time=t0)
    good = GoodClient(gw.port)
    logging.getLogger("app.sim").addHandler(ERRORS)
    yield gw, good
    logging.getLogger("app.sim").removeHandler(ERRORS)
    good.close()
    gw.stop()


def _frame(fields: list[str]) -> bytes:
    payload = "".join(f + "\0" for f in fields).encode("utf-8", "replace")
    return struct.pack(">I", len(payload)) + payload


def _send(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass                         # the server may already have closed on us: fine
    finally:
        sock.close()


def _alive(env) -> None:
    gw, good = env
    assert not ERRORS.records, ERRORS.records[0]
    good.check()
    assert gw.gateway.connections is not None
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=2)
    s.close()


field_text = st.one_of(
    st.text(max_size=12),
    st.integers(-2**40, 2**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "1.7976931348623157E308", "2147483647", "AAPL", "STK", "SMART",
                     "USD", "LMT", "MKT", "BUY", "GTC", "TRADES", "BidAsk", "1", "0", "-1"]),
)


@FUZZ
@given(data=st.binary(max_size=600), with_handshake=st.booleans())
def test_random_bytes(env, data, with_handshake):
    gw, _ = env
    if with_handshake:
        s = raw_connect(gw.port, next(_cids))
    else:
        s = socket.create_connection(("127.0.0.1", gw.port), timeout=2)
    _send(s, data)
    _alive(env)


@FUZZ
@given(msg_id=st.sampled_from(KNOWN_IDS), fields=st.lists(field_text, max_size=130))
def test_random_fields_for_every_known_request(env, msg_id, fields):
    gw, _ = env
    s = raw_connect(gw.port, next(_cids))
    _send(s, _frame([str(msg_id), *fields]))
    _alive(env)


@FUZZ
@given(msg_id=st.sampled_from(KNOWN_IDS), fields=st.lists(field_text, min_size=1, max_size=40),
       cut=st.integers(1, 200))
def test_truncated_frames(env, msg_id, fields, cut):
    gw, _ = env
    s = raw_connect(gw.port, next(_cids))
    frame = _frame([str(msg_id), *fields])
    _send(s, frame[:max(1, min(cut, len(frame) - 1))])
    _alive(env)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([0, 100 * 1024 * 1024, 2**32 - 1, (1 << 20) + 1]))
def test_huge_or_zero_length_prefix_closes_only_that_client(env, n):
    gw, _ = env
    s = raw_connect(gw.port, next(_cids))
    read_frames_until_closed(s, 0.1)
    s.sendall(struct.pack(">I", n) + b"x" * 64)
    frames = read_frames_until_closed(s, 2.0)      # returns when the server closed
    s.close()
    assert any(f[0] == "4" and f[3] == "505" for f in frames)
    _alive(env)


def test_garbage_then_valid_request_on_same_connection_gets_errors_not_a_crash(env):
    gw, _ = env
    s = raw_connect(gw.port, next(_cids))
    read_frames_until_closed(s, 0.1)
    s.sendall(_frame(["9999", "x"]) + _frame(["1", "zz"]) + _frame(["49", "1"]))
    frames = read_frames_until_closed(s, 0.5)
    s.close()
    codes = [f[3] for f in frames if f[0] == "4"]
    assert "505" in codes and "320" in codes            # unknown id, unreadable request
    assert any(f[0] == "49" for f in frames)            # and the connection kept working
