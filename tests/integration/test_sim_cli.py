"""``python -m app.sim``: the LISTENING line, stdin-EOF exit, signals, bad arguments."""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.sim_support import admin_command, read_admin_lines

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)


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


# ---- issue 3: admin interface and fault flags (FAULTS engineer) -------------------------

def _admin(port: int, line: str) -> str:
    return admin_command(port, line)


def test_admin_port_line_and_commands_over_tcp():
    p, line = start("--admin-port", "0", "--exit-on-stdin-eof", "--log-level", "WARNING",
                    "--speed", "30", "--master-client-id", "5", "--delay", "0")
    try:
        assert line.startswith("IBDESK-SIM LISTENING 127.0.0.1:"), line
        aport, _token_file = read_admin_lines(p)
        gport = int(line.rsplit(":", 1)[1])
        st = _admin(aport, "status")
        assert st.startswith("OK ") and f"port={gport}" in st and "speed=30" in st
        assert _admin(aport, "pause-accept 5") == "OK not accepting connections for 5 s"
        with socket.create_connection(("127.0.0.1", gport), timeout=3) as s:
            s.settimeout(3)
            assert s.recv(10) == b""                # closed at once, before any handshake
        assert _admin(aport, "pause-accept 0") == "OK accepting connections"
        assert handshake_ok(gport)
        assert _admin(aport, "bogus").startswith("ERR unknown command")
        p.stdin.close()
        assert p.wait(5) == 0
    finally:
        p.kill()
        p.wait()


def test_admin_stdin_replies_on_stdout_and_eof_exits():
    p, line = start("--admin-stdin", "--log-level", "WARNING")
    try:
        assert "LISTENING" in line
        p.stdin.write("status\n")
        p.stdin.write("delay 0.25\n")
        p.stdin.write("connectivity nope\n")
        p.stdin.flush()
        assert p.stdout.readline().startswith("OK port=")
        assert p.stdout.readline().strip() == "OK responses delayed by 0.25 s"
        assert p.stdout.readline().startswith("ERR connectivity: unknown state")
        p.stdin.close()
        assert p.wait(5) == 0
    finally:
        p.kill()
        p.wait()


@pytest.mark.parametrize("args, words", [
    (["--speed", "0"], "--speed"),
    (["--speed", "nan"], "--speed"),
    (["--delay", "-1"], "--delay"),
    (["--firehose", "0", "100"], "--firehose"),
    (["--firehose", "5", "fast"], "--firehose"),
    (["--admin-port", "70000"], "--admin-port"),
    (["--reject-next-order", "7"], "--reject-next-order"),
    (["--state", "/nonexistent/dir/state.sqlite"], "--state"),
])
def test_bad_fault_flags_exit_2(args, words):
    r = subprocess.run([sys.executable, "-m", "app.sim", *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    assert words in r.stderr and "LISTENING" not in r.stdout


def test_admin_port_in_use_exits_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "app.sim", "--admin-port", str(port)],
                           cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--admin-port" in r.stderr
