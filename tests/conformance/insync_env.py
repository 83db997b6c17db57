"""The private virtual environment of the ib_insync conformance client.

ib_insync cannot share the test environment with ib_async: both ship a top-level
``eventkit`` package, in different versions. So the ``ib_insync`` client of the suite
runs in a child process (``insync_child.py``) with the python of its own venv, which
:func:`ensure_python` makes once per machine and then reuses:

* location: ``$XDG_CACHE_HOME/ibdesk-tests/ib_insync-0.9.86`` (``~/.cache/...`` when
  ``XDG_CACHE_HOME`` is unset);
* reused when its python imports ``ib_insync`` at version :data:`VERSION`;
* otherwise (re)built with ``python -m venv`` + ``pip install ib_insync==0.9.86`` from the
  package registry (pulls eventkit 1.0.3, numpy and nest_asyncio), under an exclusive
  lock file beside it (``<dir>.lock``, ``fcntl.flock``) so that two pytest processes never
  build it at the same time: the second waits and then reuses the first one's venv;
* a failure raises :class:`InsyncEnvError` carrying the output of venv/pip, so the tests of
  that client fail with the reason instead of being skipped.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

#: the ib_insync release the suite tests (negotiates server versions 157..176)
VERSION = "0.9.86"
#: seconds to wait for another process that holds the build lock
LOCK_WAIT = 900.0
#: seconds that venv creation / pip install may take
BUILD_TIMEOUT = 600.0


class InsyncEnvError(RuntimeError):
    """The ib_insync venv could not be made; the message holds the failing command's output."""


def venv_dir() -> Path:
    """Where the venv lives: ``$XDG_CACHE_HOME/ibdesk-tests/ib_insync-<VERSION>``."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "ibdesk-tests" / f"ib_insync-{VERSION}"


def venv_python(d: Path) -> Path:
    """The interpreter of the venv at ``d``."""
    return d / "bin" / "python"


def _usable(d: Path) -> bool:
    """True when the venv at ``d`` imports ib_insync at :data:`VERSION` (isolated from the
    parent's PYTHONPATH, like the child runs)."""
    py = venv_python(d)
    if not py.exists():
        return False
    try:
        r = subprocess.run([str(py), "-s", "-c", "import ib_insync; print(ib_insync.__version__)"],
                           capture_output=True, text=True, timeout=60, env=child_env())
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and r.stdout.strip() == VERSION


def child_env() -> dict[str, str]:
    """The environment for the venv's python: the parent's, less what would make it import the
    parent's packages (PYTHONPATH, PYTHONHOME) or run as another interpreter's venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV",
                                                             "PYTHONSTARTUP", "PYTHONUSERBASE")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(cmd: list[str], what: str) -> None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT, env=child_env())
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        raise InsyncEnvError(f"{what} timed out after {BUILD_TIMEOUT:.0f} s: {' '.join(cmd)}\n{out[-4000:]}") from None
    except OSError as e:
        raise InsyncEnvError(f"{what} could not run {cmd[0]}: {e}") from None
    if r.returncode != 0:
        raise InsyncEnvError(f"{what} failed (exit {r.returncode}): {' '.join(cmd)}\n"
                             f"--- stdout ---\n{r.stdout[-4000:]}\n--- stderr ---\n{r.stderr[-4000:]}")


def _build(d: Path, base_python: str) -> None:
    """Make the venv at ``d`` from scratch (the caller holds the lock)."""
    if d.exists():
        shutil.rmtree(d)
    _run([base_python, "-m", "venv", str(d)], "python -m venv")
    _run([str(venv_python(d)), "-m", "pip", "install", "--no-input", f"ib_insync=={VERSION}"],
         f"pip install ib_insync=={VERSION}")
    if not _usable(d):
        raise InsyncEnvError(f"the venv at {d} was built but its python cannot import ib_insync {VERSION}")


_cached: Path | None = None
_failure: InsyncEnvError | None = None


def ensure_python(base_python: str | None = None) -> Path:
    """The python of a venv with ib_insync :data:`VERSION`, made on first use (see the module
    docstring). ``base_python``: the interpreter that makes the venv (default: this one).

    Raises :class:`InsyncEnvError` with venv/pip's output when it cannot be made, or when
    another process holds the build lock for longer than :data:`LOCK_WAIT` seconds; a failure
    is remembered, so later calls in this process raise it again at once instead of retrying.
    """
    global _cached, _failure
    if _cached is not None:
        return _cached
    if _failure is not None:
        raise _failure
    try:
        _cached = _ensure(base_python or sys.executable)
    except InsyncEnvError as e:
        _failure = e
        raise
    return _cached


def _ensure(base_python: str) -> Path:
    d = venv_dir()
    if not _usable(d):
        d.parent.mkdir(parents=True, exist_ok=True)
        with open(str(d) + ".lock", "w") as lock:
            end = time.monotonic() + LOCK_WAIT
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > end:
                        raise InsyncEnvError(f"{lock.name} stayed locked for {LOCK_WAIT:.0f} s "
                                             "(another process building the venv?)") from None
                    time.sleep(0.5)
            try:
                if not _usable(d):            # another process may have built it meanwhile
                    _build(d, base_python)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    return venv_python(d)


if __name__ == "__main__":
    print(ensure_python())
