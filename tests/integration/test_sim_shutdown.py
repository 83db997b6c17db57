"""The gateway child exits cleanly (code 0) on SIGTERM and on stdin EOF.

Before: a daemon thread blocked reading stdin made the interpreter abort at exit
("Fatal Python error: _enter_buffered_busy", exit -6) in about half of the SIGTERMs
(found by the soak harness)."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)


def start():
    p = subprocess.Popen([sys.executable, "-m", "app.sim", "--port", "0", "--exit-on-stdin-eof",
                          "--log-level", "WARNING"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline().decode()
    assert line.startswith("IBDESK-SIM LISTENING"), line
    return p


def test_sigterm_with_stdin_open_exits_0_every_time():
    for _ in range(6):
        p = start()
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=15)
        assert p.returncode == 0, err.decode()[-2000:]


def test_stdin_eof_exits_0():
    p = start()
    p.stdin.close()
    assert p.wait(15) == 0
