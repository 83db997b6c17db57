"""The journal survives a crash of the app mid-write: a child process records events in a
loop and is killed with SIGKILL; the database then opens, ``PRAGMA integrity_check`` is ok,
and every event up to the last commit the child reported is there, in order, without gaps."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[3]


def _run_and_kill(path: Path, min_commits: int) -> int:
    """Start the writer child, SIGKILL it once it reported ``min_commits`` rows; return the
    last committed count it printed."""
    child = subprocess.Popen([sys.executable, "-m", "tests.unit.journal.crash_child", str(path)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    last = 0
    try:
        assert child.stdout.readline().strip() == "READY", child.stderr.read()
        deadline = time.monotonic() + 30
        while last < min_commits and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            if line.startswith("COMMITTED "):
                last = int(line.split()[1])
        assert last >= min_commits, f"child reported only {last} commits: {child.stderr.read()}"
        os.kill(child.pid, signal.SIGKILL)          # mid-write: it never stops writing
    finally:
        if child.poll() is None:
            child.kill()
        out, _ = child.communicate(timeout=10)
    for line in out.splitlines():                   # lines printed before the kill landed
        if line.startswith("COMMITTED "):
            last = max(last, int(line.split()[1]))
    assert child.returncode == -signal.SIGKILL
    return last


@pytest.mark.parametrize("round_", [1, 2])
def test_sigkill_mid_write_loses_nothing_committed(tmp_path, round_):
    path = tmp_path / "journal.sqlite"
    reported = _run_and_kill(path, 2000)
    total = reported
    if round_ == 2:                                 # a second crash appends to the recovered file
        total = _run_and_kill(path, 1000)
        reported = None
    with sqlite3.connect(path) as c:
        assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        seqs = [r[0] for r in c.execute("SELECT json_extract(details, '$.seq') FROM events ORDER BY id")]
        kinds = {r[0] for r in c.execute("SELECT DISTINCT kind FROM events")}
    assert kinds == {"api"}
    if reported is not None:
        assert len(seqs) >= reported, (len(seqs), reported)
        assert seqs == list(range(len(seqs)))        # a prefix of what was recorded: no gaps, no tear
    else:
        first_run = seqs.index(0, 1)                 # the second child starts at seq 0 again
        assert seqs[:first_run] == list(range(first_run))
        assert seqs[first_run:] == list(range(len(seqs) - first_run))
        assert len(seqs) - first_run >= total
