"""Start and stop the simulated IB Gateway as a child process (demo mode).

``ibdesk`` with no connection arguments runs ``python -m app.sim --port 0
--exit-on-stdin-eof`` and reads the one line ``IBDESK-SIM LISTENING host:port``
the gateway prints once it listens. The child exits by itself if this process
dies (its stdin closes), so a crashed terminal leaves no orphan server.

In the desktop bundle (PyInstaller, ``packaging/ibdesk.spec``; ``sys.frozen`` is set) there
is no ``python`` to run ``-m`` with: the child is the bundle's own ``ibdesk`` executable with
the hidden first argument :data:`SIM_GATEWAY_ARG` (``ibdesk --run-sim-gateway --port 0 ...``),
which ``app.__main__`` hands to ``app.sim``'s ``main``.

With ``state_path`` (ibdesk ``--sim-state``; default file
:func:`default_state_path`) the gateway keeps the demo account (cash,
positions, GTC orders, executions) in that SQLite file across restarts; with
``speed`` (``--sim-speed``) its clock runs that many times faster than the wall
clock. See docs/simulator.md.

One gateway per state file: the gateway locks it (``app.sim.private.StateLock``); a second
gateway on the same file exits with code 3 and :meth:`SimulatedGatewayProcess.start`
raises :class:`GatewayStartError` saying which file and which process holds it. Each
``--profile`` has its own default file, so two demo windows with different profiles never
share one.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

READY_PREFIX = "IBDESK-SIM LISTENING "
STATE_FILE_NAME = "sim-state.sqlite"
#: exit code of ``python -m app.sim`` when another gateway holds the state file
EXIT_STATE_BUSY = 3
#: hidden first argument of ``ibdesk`` / ``python -m app``: run the simulated gateway
#: (``app.sim``'s command line follows) instead of the terminal; the frozen bundle's way to
#: start its gateway
SIM_GATEWAY_ARG = "--run-sim-gateway"


def is_frozen() -> bool:
    """True in a bundle made by PyInstaller (it sets ``sys.frozen``; PyInstaller manual,
    "Run-time information"), where ``sys.executable`` is the bundle's ``ibdesk``."""
    return bool(getattr(sys, "frozen", False))


def default_state_path(env: dict | None = None, profile: str = "default") -> Path:
    """Where demo mode keeps the simulated account of ``profile``:
    ``$XDG_DATA_HOME/ibdesk/sim-state.sqlite`` for the default profile and
    ``.../ibdesk/sim-state-<profile>.sqlite`` for any other (else under
    ``~/.local/share/ibdesk/``; XDG Base Directory spec; the same folder Qt's
    ``QStandardPaths.AppDataLocation`` gives on Linux). The folder is not created here
    (:meth:`SimulatedGatewayProcess.start` creates it 0700). ValueError for a profile that
    is not letters, digits, ``-``, ``_`` or ``.`` (it becomes part of a file name)."""
    from app.privacy import app_dir, check_profile

    name = STATE_FILE_NAME if check_profile(profile) == "default" else f"sim-state-{profile}.sqlite"
    return app_dir("data", env) / name


class GatewayStartError(RuntimeError):
    """The simulated gateway did not start; ``str(e)`` says why (with its stderr)."""


class SimulatedGatewayProcess:
    """A simulated IB Gateway running in a child process on 127.0.0.1.

    ``start()`` blocks until the gateway listens (at most ``timeout`` seconds)
    and returns its TCP port; ``stop()`` terminates it (SIGTERM, then SIGKILL
    after 3 s). Raises ``GatewayStartError`` when the child exits or stays
    silent.
    """

    def __init__(self, *, seed: int | None = None, bars_dir: str | None = None,
                 host: str = "127.0.0.1", python: str = sys.executable,
                 start_time: float | None = None, state_path: str | os.PathLike | None = None,
                 speed: float | None = None):
        self.seed = seed
        self.state_path = Path(state_path) if state_path is not None else None  # None = not kept
        self.speed = speed        # clock speed factor; None = wall speed
        self.start_time = start_time  # POSIX s the simulated clock starts at; None = wall clock
        self.bars_dir = bars_dir
        self.host = host
        self.python = python
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.log_path: str | None = None
        self.restarts = 0         # times :meth:`restart` brought the child back

    def command(self) -> list[str]:
        """The child's command line: ``python -m app.sim ...``, or in the frozen bundle
        ``ibdesk --run-sim-gateway ...`` (:data:`SIM_GATEWAY_ARG`). After a first start it
        asks for the same port, and with a state file it leaves out ``--start-time`` so the
        clock continues where it stopped."""
        port = self.port or 0
        program = [self.python, SIM_GATEWAY_ARG] if is_frozen() else [self.python, "-m", "app.sim"]
        cmd = program + ["--host", self.host, "--port", str(port), "--exit-on-stdin-eof"]
        if self.seed is not None:
            cmd += ["--seed", str(self.seed)]
        if self.bars_dir:
            cmd += ["--bars", str(self.bars_dir)]
        if self.start_time is not None and not (self.restarts and self.state_path is not None):
            cmd += ["--start-time", repr(float(self.start_time))]
        if self.state_path is not None:
            cmd += ["--state", str(self.state_path)]
        if self.speed is not None and float(self.speed) != 1.0:
            cmd += ["--speed", repr(float(self.speed))]
        return cmd

    def start(self, timeout: float = 20.0) -> int:
        """Launch the child and return the port it listens on."""
        env = dict(os.environ)
        if is_frozen():
            # a new instance of the bundle, not a sub-process of this one: its bootloader sets
            # the bundle's library path up again (PyInstaller manual, "Common Issues and
            # Pitfalls"; this process gave its children the user's, packaging/rthook_environment.py)
            env["PYINSTALLER_RESET_ENVIRONMENT"] = "1"
        else:                   # ``-m app.sim`` must find this ``app``; a bundle has its own
            root = str(Path(__file__).resolve().parent.parent)
            env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        if self.state_path is not None:
            from app.privacy import private_dir

            try:   # created 0700; an existing folder tightened only when it is ibdesk's own
                private_dir(self.state_path.parent)
            except OSError as e:
                raise GatewayStartError(f"cannot create the folder of the simulator state file "
                                        f"{self.state_path}: {e}") from None
        log = tempfile.NamedTemporaryFile(prefix="ibdesk-sim-", suffix=".log", delete=False)
        self.log_path = log.name
        with log:
            self.proc = subprocess.Popen(
                self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, env=env, text=True, bufsize=1)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not sel.select(timeout=max(0.0, min(0.2, deadline - time.monotonic()))):
                    if self.proc.poll() is not None:
                        break
                    continue
                line = self.proc.stdout.readline()
                if not line:
                    break
                if line.startswith(READY_PREFIX):
                    self.port = int(line.strip().rsplit(":", 1)[1])
                    # keep draining stdout so the child can never block on a full pipe
                    threading.Thread(target=self._drain, args=(self.proc.stdout,),
                                     daemon=True).start()
                    return self.port
        finally:
            sel.close()
        code = None
        if self.proc is not None:
            try:
                code = self.proc.wait(1)      # stdout closed: the child is exiting
            except subprocess.TimeoutExpired:
                pass
        err = self._stderr_tail()
        self.stop()
        if code == EXIT_STATE_BUSY:
            msg = err.rsplit("app.sim: error: ", 1)[-1].strip()
            raise GatewayStartError(f"The simulated IB Gateway did not start: {msg}")
        raise GatewayStartError(
            "The simulated IB Gateway did not start"
            + (f": {err}" if err else f" within {timeout:.0f} s"))

    def exit_code(self) -> int | None:
        """The child's exit code once it has died by itself (a crash, ``kill -9``), else None
        (running, never started or stopped by :meth:`stop`)."""
        return None if self.proc is None else self.proc.poll()

    def restart(self, timeout: float = 20.0) -> int:
        """Start the child again after it died: same port (so the terminal's reconnect finds
        it), same state file, clock continued from the state. Returns the port; raises
        ``GatewayStartError`` like :meth:`start`."""
        old, self.proc = self.proc, None
        if old is not None:
            for f in (old.stdin, old.stdout):
                try:
                    f and f.close()
                except OSError:
                    pass
        self.restarts += 1
        return self.start(timeout)

    @staticmethod
    def _drain(stream) -> None:
        try:
            for _ in stream:
                pass
        except (OSError, ValueError):
            pass

    def _stderr_tail(self) -> str:
        if not self.log_path:
            return ""
        try:
            return Path(self.log_path).read_text(errors="replace").strip()[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the child (idempotent): close its stdin (it exits by itself), then
        SIGTERM after 3 s, SIGKILL after 3 more."""
        p, self.proc = self.proc, None
        if p is None:
            return
        if p.poll() is None:
            # closing its stdin is the gateway's own "parent gone" signal: it saves and exits
            try:
                p.stdin and p.stdin.close()
            except OSError:
                pass
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                p.terminate()
                try:
                    p.wait(3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(3)
        for f in (p.stdin, p.stdout):
            try:
                f and f.close()
            except OSError:
                pass

    def __enter__(self) -> "SimulatedGatewayProcess":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
