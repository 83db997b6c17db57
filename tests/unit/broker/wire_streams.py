"""Byte streams as a TWS / the simulated gateway sends them, for the socket-reader tests
and ``tests/benchmarks/bench_decode.py``: a real TWS recording, synthesized quote ticks
(encoded by the simulated gateway's own encoder) and ways to cut a stream into reads."""

from __future__ import annotations

import base64
import json
import random
import struct
from pathlib import Path

from app.sim.encode import tick_price, tick_size

RECORDING = Path(__file__).resolve().parents[4] / "shared" / "protocol" / "tws_session_v176.json"


def frame(*fields: str | bytes) -> bytes:
    """One message: NUL-terminated ``fields`` behind the 4-byte big-endian length."""
    payload = b"".join((f if isinstance(f, bytes) else f.encode()) + b"\0" for f in fields)
    return struct.pack(">I", len(payload)) + payload


#: the handshake reply and startApi answers (managedAccounts, nextValidId) of a gateway at
#: server version 178
HANDSHAKE = (frame("178", "20260123 10:30:00 EST") + frame("15", "1", "DU123456")
             + frame("9", "1", "100"))


def recorded_stream(path: Path = RECORDING) -> bytes:
    """Every frame of the real TWS session recording (server version 176), in recorded order,
    from the handshake reply on (about 500 frames, 33 KB)."""
    frames = json.loads(path.read_text())
    return b"".join(base64.b64decode(f) for key in frames for f in frames[key])


def tick_stream(n: int, symbols: int = 500, seed: int = 1) -> bytes:
    """``n`` quote messages for reqIds 1..``symbols`` as the gateway's firehose sends them:
    tickPrice bid/ask/last (size included) and tickSize volume, prices in USD."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        req_id = rnd.randint(1, symbols)
        kind = rnd.random()
        if kind < 0.8:
            tick_type = 1 if kind < 0.4 else 2
            out.append(tick_price(req_id, tick_type, round(100 + rnd.random() * 50, 2),
                                  float(rnd.randint(1, 20) * 100)))
        elif kind < 0.95:
            out.append(tick_price(req_id, 4, round(100 + rnd.random() * 50, 2), 100.0))
        else:
            out.append(tick_size(req_id, 8, float(rnd.randint(1, 10**6))))
    return b"".join(out)


def fixed_reads(stream: bytes, size: int) -> list[bytes]:
    """``stream`` cut into reads of ``size`` bytes (the last one shorter)."""
    return [stream[i:i + size] for i in range(0, len(stream), size)]


def random_reads(stream: bytes, seed: int, max_size: int = 700) -> list[bytes]:
    """``stream`` cut at random points into reads of 1..``max_size`` bytes (cuts fall inside
    length prefixes and fields too)."""
    rnd = random.Random(seed)
    out, i = [], 0
    while i < len(stream):
        k = rnd.choice((1, 2, 3, 4, 5, rnd.randint(1, max_size)))
        out.append(stream[i:i + k])
        i += k
    return out
