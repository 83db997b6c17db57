"""``python -m app.sim``: the LISTENING line, stdin-EOF exit, signals, bad arguments."""

from __future__ import annotations

import importlib.util
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(importlib.util.find_spec("app.sim.exchange") is None,
                       reason="app.sim.exchange (the exchange side) is not written yet"),
]


def start(*args, stdin=subprocess.PIPE):
    p = subprocess.Popen([sys.executable, "-m", "app.sim", "--port", "0", *args], cwd=ROOT,
                         stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    return p, line


def handshake_ok(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        hs = b"v157..178"
        s.sendall(b"API\0" + struct.pack(">I", len(hs)) + hs)
        n = struct.unpack(">I", s.recv(4))[0]
        return s.recv(n).split(b"\0")[0] == b"178"


def test_listening_line_and_exit_on_stdin_eof():
    p, line = start("--exit-on-stdin-eof", "--log-level", "WARNING")
    try:
        assert line.startswith("IBDESK-SIM LISTENING 127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        assert handshake_ok(port)
        t = time.monotonic()
        p.stdin.close()
        assert p.wait(5) == 0
        assert time.monotonic() - t < 3
    finally:
        p.kill()
        p.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_exits_zero(sig):
    p, line = start()
    try:
        assert "LISTENING" in line
        p.send_signal(sig)
        assert p.wait(5) == 0
    finally:
        p.kill()
        p.wait()


def test_bad_bars_dir_exits_2():
    r = subprocess.run([sys.executable, "-m", "app.sim", "--bars", "/nonexistent/bars"],
                       cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "--bars" in r.stderr and "LISTENING" not in r.stdout


def test_port_in_use_exits_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "app.sim", "--port", str(port)], cwd=ROOT,
                           capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "cannot listen" in r.stderr
