"""The simulated gateway as a child process for the soak run: ``python -m app.sim`` with a
``--state`` file, an admin port, the master client id and an accelerated clock; killed with
SIGKILL and started again from the same state file on the same ports.

Admin commands go through :func:`tests.integration.sim_support.admin_command` (with the token
the gateway announces as ``IBDESK-SIM ADMIN-TOKEN <path>`` once admin authentication exists).
"""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from app.sim.control import parse_status
from tests.integration import sim_support

ROOT = Path(__file__).resolve().parents[2]

LISTENING = "IBDESK-SIM LISTENING "
ADMIN = "IBDESK-SIM ADMIN "
ADMIN_TOKEN = "IBDESK-SIM ADMIN-TOKEN "


class GatewayError(RuntimeError):
    """The gateway process did not start (its stderr tail is in the message)."""


class GatewayProcess:
    """``python -m app.sim`` under the harness's control.

    ``start()`` launches it (port 0 the first time, the same port afterwards) and returns the
    monotonic time at which it printed its LISTENING line (it accepts from then on);
    ``kill9()`` sends SIGKILL and waits for the exit; ``admin(line)`` runs one admin command.
    stderr goes to ``log_path`` (appended across restarts).
    """

    def __init__(self, state_path: Path, log_path: Path, *, speed: float = 60.0, seed: int = 7,
                 master_client_id: int = 0, start_time: float | None = None,
                 extra: tuple[str, ...] = ()):
        self.state_path = Path(state_path)
        self.log_path = Path(log_path)
        self.speed = speed
        self.seed = seed
        self.master_client_id = master_client_id
        self.start_time = start_time
        self.extra = tuple(extra)
        self.port = 0
        self.admin_port = 0
        self.token_path: str | None = None
        self.token: str | None = None
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._clock_ref: tuple[float, float] | None = None   # (simulated POSIX clock, monotonic)
        self._lines: list[str] = []

    # ------------------------------------------------------------------ process
    def _argv(self) -> list[str]:
        argv = [sys.executable, "-m", "app.sim", "--port", str(self.port),
                "--admin-port", str(self.admin_port), "--state", str(self.state_path),
                "--speed", f"{self.speed:g}", "--seed", str(self.seed),
                "--master-client-id", str(self.master_client_id), "--log-level", "WARNING",
                "--exit-on-stdin-eof"]
        if not self.state_path.exists() or self._clock_ref is None:
            if self.start_time is not None:
                argv += ["--start-time", repr(self.start_time)]
        else:
            # without --start-time the gateway continues its clock from where it stopped; the
            # soak lets the simulated day run on through the downtime, as the real market does
            clock, mono = self._clock_ref
            argv += ["--start-time", repr(clock + (time.monotonic() - mono) * self.speed)]
        return argv + list(self.extra)

    def start(self, timeout: float = 20.0) -> float:
        """Launch and wait for LISTENING (+ ADMIN, + ADMIN-TOKEN when announced); returns
        the monotonic time of the LISTENING line. Raises :class:`GatewayError`."""
        if self.proc is not None and self.proc.poll() is None:
            raise GatewayError("the gateway is already running")
        err = open(self.log_path, "ab")
        # stdin stays open (a pipe we never close until stop): --exit-on-stdin-eof ends the
        # child if the harness dies, so no gateway outlives a crashed soak run
        self.proc = subprocess.Popen(self._argv(), cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1)
        err.close()
        self.starts += 1
        got: dict[str, float | str] = {}
        done = threading.Event()
        proc = self.proc

        def read() -> None:
            for raw in proc.stdout:
                line = raw.strip()
                self._lines.append(line)
                if line.startswith(LISTENING):
                    got["listening_t"] = time.monotonic()
                    got["port"] = line.rsplit(":", 1)[1]
                elif line.startswith(ADMIN_TOKEN):
                    got["token"] = line[len(ADMIN_TOKEN):].strip()
                elif line.startswith(ADMIN):
                    got["admin"] = line.rsplit(":", 1)[1]
                if "listening_t" in got and "admin" in got:
                    done.set()
            done.set()

        threading.Thread(target=read, name="soak-gateway-stdout", daemon=True).start()
        if not done.wait(timeout) or "listening_t" not in got or "admin" not in got:
            tail = self.log_tail()
            self.kill9()
            raise GatewayError(f"gateway did not announce LISTENING/ADMIN within {timeout} s "
                               f"(exit {proc.poll()}): {tail}")
        # a token line (admin authentication) comes next to ADMIN: wait briefly the first
        # time, and whenever a previous start announced one
        if self.starts == 1 or self.token_path:
            end = time.monotonic() + 0.3
            while "token" not in got and time.monotonic() < end:
                time.sleep(0.01)
        self.port = int(got["port"])
        self.admin_port = int(got["admin"])
        self.token_path = got.get("token")  # type: ignore[assignment]
        self.token = _read_token(self.token_path) if self.token_path else None
        return float(got["listening_t"])

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def read_clock(self) -> float | None:
        """The simulated clock (admin ``status`` clock_posix), remembered for a restart."""
        clock = parse_status(self.admin("status")).get("clock_posix")
        if clock is None:
            return None
        self._clock_ref = (float(clock), time.monotonic())
        return float(clock)

    def kill9(self) -> None:
        """SIGKILL (no clean save) and wait for the process to be gone."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._close_pipes()

    def stop(self) -> int | None:
        """Close its stdin (--exit-on-stdin-eof: a clean exit, state saved), SIGTERM after 10 s,
        SIGKILL after 10 more; returns the exit code."""
        if self.proc is None:
            return None
        try:
            self.proc.stdin.close()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._close_pipes()
        return self.proc.returncode

    def _close_pipes(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass

    # ------------------------------------------------------------------ admin
    def admin(self, line: str, timeout: float = 10.0) -> str:
        """One admin command through ``sim_support.admin_command`` (authenticated with the
        token of the running gateway); its reply line."""
        kw: dict = {"timeout": timeout}
        if self.token_path and "token" in inspect.signature(sim_support.admin_command).parameters:
            kw["token"] = self.token or _read_token(self.token_path)
        return sim_support.admin_command(self.admin_port, line, **kw)


def _read_token(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return path
