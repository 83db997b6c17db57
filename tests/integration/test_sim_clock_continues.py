"""A gateway restarted from its --state file without --start-time continues the saved
simulated clock (docs/simulator.md), after a clean stop and after kill -9.

Before: it ran on the wall clock, so a replayed Wednesday became tonight's closed market
after a restart (found by the soak harness)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.integration.sim_support import admin_command, read_admin_lines, rth_start_time

pytestmark = pytest.mark.timeout(120)


def start(state, *extra):
    p = subprocess.Popen([sys.executable, "-m", "app.sim", "--port", "0", "--admin-port", "0",
                          "--state", str(state), "--log-level", "WARNING", *extra],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline()
    assert line.startswith("IBDESK-SIM LISTENING"), line + p.stderr.read()
    port, _ = read_admin_lines(p)
    return p, port


def clock(admin_port) -> float:
    reply = admin_command(admin_port, "status")
    return float(reply.split("clock_posix=")[1].split()[0])


@pytest.mark.parametrize("stop", ["sigterm", "kill9"])
def test_restart_from_state_continues_the_simulated_clock(tmp_path, stop):
    t0 = rth_start_time() - 30 * 86400          # a trading morning weeks ago
    state = tmp_path / "s.sqlite"
    p, port = start(state, "--start-time", repr(t0), "--speed", "60")
    try:
        admin_command(port, "manual-order AAPL BUY 1 LMT 1")   # a committed change
        time.sleep(3.0)                                         # 3 simulated minutes
        before = clock(port)
        assert t0 + 120 <= before < t0 + 3600
    finally:
        p.send_signal(signal.SIGKILL if stop == "kill9" else signal.SIGTERM)
        p.communicate(timeout=15)
    p, port = start(state)
    try:
        after = clock(port)
        # at most one clock commit (1 wall s = 60 simulated s) back, never the wall clock
        assert before - 90 <= after < t0 + 2 * 3600, (t0, before, after, time.time())
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=15)
