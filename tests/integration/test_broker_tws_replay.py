"""Session against frames recorded from a real TWS (paper account, server version 176).

A small replay server answers ib_async's connect-time requests with the frames
of ``/work/shared/protocol/tws_session_v176.json`` (reqIds patched to the ones
the client sent). Checks that connect, managed accounts, server version and
the 155 real account values come through the session unchanged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import struct
import threading

import pytest

from app.broker import Session
from app.domain import AccountKind, ConnectionState, account_kind
from tests.conftest import SHARED_PROTOCOL, require_shared


def _fields(frame: bytes) -> list[bytes]:
    return frame[4:].split(b"\0")[:-1]


def _frame(fields: list[bytes]) -> bytes:
    body = b"".join(f + b"\0" for f in fields)
    return struct.pack(">I", len(body)) + body


class ReplayTWS:
    """Serves one client from a recording: request "<msgId>_<version>" -> frames."""

    def __init__(self, recording: dict[str, list[str]]):
        self.rec = {k: [base64.b64decode(f) for f in v] for k, v in recording.items()}
        # reqAllOpenOrders (16) ends like reqOpenOrders (5): openOrderEnd; no open orders here
        self.rec.setdefault("16_1", self.rec["5_1"])
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.requests: list[list[bytes]] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.sock.accept()
        conn.settimeout(10)
        buf = b""
        try:
            buf = conn.recv(4096)
            assert buf.startswith(b"API\0")
            buf = buf[4:]
            while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
                buf += conn.recv(4096)
            n = struct.unpack(">I", buf[:4])[0]
            buf = buf[4 + n:]
            conn.sendall(b"".join(self.rec["API_"]))
            while True:
                while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                n = struct.unpack(">I", buf[:4])[0]
                req = buf[4:4 + n].split(b"\0")[:-1]
                buf = buf[4 + n:]
                self.requests.append(req)
                self.answer(conn, req)
        except (OSError, AssertionError):
            pass
        finally:
            conn.close()
            self.sock.close()

    def answer(self, conn, req):
        key = f"{req[0].decode()}_{req[1].decode()}"
        out = []
        for frame in self.rec.get(key, []):
            f = _fields(frame)
            if key in ("76_1", "7_3") and len(f) > 2:
                f[2] = req[2]           # reqId of this client's request
            out.append(_frame(f))
        if out:
            conn.sendall(b"".join(out))


@pytest.fixture
def recording():
    path = require_shared(SHARED_PROTOCOL) / "tws_session_v176.json"
    if not path.exists():
        pytest.skip(f"{path} not present")
    return json.loads(path.read_text())


def test_connect_to_recorded_real_tws(recording):
    tws = ReplayTWS(recording)
    s = Session("127.0.0.1", tws.port, 1, connect_timeout=3)
    states, values = [], []
    s.stateEvent += lambda st, msg: states.append(st)
    s.accountValueEvent += values.append

    async def go():
        await asyncio.wait_for(s.connect(), 10)
        assert s.is_connected
        s.disconnect()
    asyncio.run(go())
    assert states == [ConnectionState.CONNECTING, ConnectionState.CONNECTED,
                      ConnectionState.DISCONNECTED]
    assert s.server_version == 176 and s.accounts == ["DU5509097"]
    assert account_kind(s.account_id) is AccountKind.PAPER
    net = {(v.tag, v.currency): v for v in s.account_values()}
    assert net[("NetLiquidation", "GBP")].number == pytest.approx(1040992.61)
    assert len(values) >= 100
    assert s.connection_time.endswith("UTC")
    sent = {r[0] for r in tws.requests}
    assert {b"71", b"61", b"5", b"6", b"7", b"16"} <= sent  # startApi, positions, orders, account, execs, all orders
