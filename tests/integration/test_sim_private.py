"""``python -m app.sim``: one process per --state file, the authenticated admin port, the
warning for a non-loopback --host, private files; demo-mode launcher with a locked file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.sim.private import StateLock
from tests.integration.sim_support import admin_command, read_admin_lines

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(60)


def start(*args):
    p = subprocess.Popen([sys.executable, "-m", "app.sim", "--port", "0", "--log-level", "WARNING",
                          "--exit-on-stdin-eof", *args], cwd=ROOT, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    assert line.startswith("IBDESK-SIM LISTENING "), (line, p.stderr.read() if p.poll() is not None else "")
    return p


def stop(p) -> int:
    p.stdin.close()
    try:
        return p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_second_gateway_on_one_state_file_exits_3_naming_file_and_pid(tmp_path):
    state = tmp_path / "acct.sqlite"
    first = start("--state", str(state))
    try:
        r = subprocess.run([sys.executable, "-m", "app.sim", "--port", "0", "--state", str(state)],
                           cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert r.returncode == 3 and "LISTENING" not in r.stdout
        assert str(state) in r.stderr and f"PID {first.pid}" in r.stderr and "another file" in r.stderr
        for f in (state, Path(f"{state}-wal"), Path(f"{state}.lock")):
            assert mode(f) == 0o600, f
    finally:
        assert stop(first) == 0
    other = start("--state", str(state))          # free again after a clean exit
    assert stop(other) == 0


def test_admin_port_needs_the_token_from_the_0600_file(tmp_path):
    state = tmp_path / "acct.sqlite"
    p = start("--state", str(state), "--admin-port", "0")
    try:
        aport, token_file = read_admin_lines(p)
        assert token_file == f"{state}.admin-token" and mode(token_file) == 0o600
        token = Path(token_file).read_text().strip()
        assert len(token) >= 32
        assert admin_command(aport, "status").startswith("OK port=")          # registered token
        assert admin_command(aport, "drop", token="wrong").startswith("ERR not authenticated")
        import socket
        with socket.create_connection(("127.0.0.1", aport), timeout=5) as s:  # no auth at all
            s.sendall(b"manual-order AAPL BUY 1 MKT\nstatus\n")
            s.settimeout(5)
            data = b""
            while data.count(b"\n") < 2:
                data += s.recv(4096)
        assert all(x.startswith("ERR not authenticated") for x in data.decode().splitlines())
        assert "working_orders=0" in admin_command(aport, "status")          # nothing was placed
    finally:
        assert stop(p) == 0
    assert not Path(token_file).exists()           # removed at exit


def test_admin_token_without_state_goes_to_the_private_runtime_folder(tmp_path):
    env = dict(os.environ, XDG_RUNTIME_DIR=str(tmp_path))
    p = subprocess.Popen([sys.executable, "-m", "app.sim", "--port", "0", "--admin-port", "0",
                          "--exit-on-stdin-eof", "--log-level", "WARNING"], cwd=ROOT, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().startswith("IBDESK-SIM LISTENING")
        aport, token_file = read_admin_lines(p)
        assert Path(token_file) == tmp_path / "ibdesk" / f"sim-admin-{aport}.token"
        assert mode(tmp_path / "ibdesk") == 0o700 and mode(token_file) == 0o600
        assert admin_command(aport, "status").startswith("OK port=")
    finally:
        assert stop(p) == 0


def test_non_loopback_host_warns_on_stderr(tmp_path):
    p2 = subprocess.run([sys.executable, "-m", "app.sim", "--port", "0", "--host", "0.0.0.0",
                         "--exit-on-stdin-eof"], cwd=ROOT, input="", capture_output=True, text=True,
                        timeout=30)
    assert p2.returncode == 0
    assert "WARNING" in p2.stderr and "reachable from other machines" in p2.stderr
    assert "no authentication" in p2.stderr
    quiet = subprocess.run([sys.executable, "-m", "app.sim", "--port", "0", "--exit-on-stdin-eof"],
                           cwd=ROOT, input="", capture_output=True, text=True, timeout=30)
    assert "reachable from other machines" not in quiet.stderr


def test_demo_launcher_says_who_holds_the_state_file(tmp_path):
    from app.simlauncher import GatewayStartError, SimulatedGatewayProcess

    state = tmp_path / "ibdesk" / "sim-state.sqlite"
    with SimulatedGatewayProcess(state_path=state) as first:
        assert mode(state.parent) == 0o700             # the launcher made the folder private
        with pytest.raises(GatewayStartError) as e:
            SimulatedGatewayProcess(state_path=state).start(timeout=20)
        msg = str(e.value)
        assert str(state) in msg and f"PID {first.proc.pid}" in msg and "--profile" in msg
    with StateLock(state):                             # released when the first one stopped
        pass
