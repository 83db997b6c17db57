"""Private files of the simulated gateway: the state lock, the admin token, 0600/0700 modes.

The simulated account (account id, every order and fill) and the admin token must not be
readable by other local users, so every file the gateway creates is 0600 in a folder the
gateway keeps 0700 when it creates it (an existing folder chosen by the user is left as it
is, only a warning is logged when others can enter it).

* :class:`StateLock`: one gateway process per state file. ``fcntl.flock`` on
  ``<state>.lock`` (the lock file holds the PID of its owner); held for the gateway's life and
  released by the kernel when the process dies, also after ``kill -9``. The lock file itself
  stays (removing a flock file invites races); it is harmless.
* :func:`write_token_file`: the admin token, 0600, beside the state file
  (``<state>.admin-token``) or in :func:`runtime_dir` (``sim-admin-<port>.token``).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger("app.sim.private")

FILE_MODE = 0o600
DIR_MODE = 0o700


@contextlib.contextmanager
def private_umask():
    """Within the block files and folders are created without any group/other permission
    (umask 077); the previous umask is restored afterwards. Not thread-safe (umask is
    per process): use it around creation only."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def private_dir(path: str | os.PathLike, tighten: bool = False) -> Path:
    """``path`` as an existing folder: created 0700 (with missing parents) when absent; an
    existing folder is chmod 0700 with ``tighten`` (the application's own data folder), else
    kept as it is (a warning is logged if group/others may enter it). Raises OSError if it
    cannot be created."""
    p = Path(path)
    if not p.is_dir():
        with private_umask():
            p.mkdir(parents=True, exist_ok=True)
        os.chmod(p, DIR_MODE)
    elif tighten:
        os.chmod(p, DIR_MODE)
    elif stat.S_IMODE(p.stat().st_mode) & 0o077:
        log.warning("folder %s is accessible to other users (mode %o)", p, stat.S_IMODE(p.stat().st_mode))
    return p


def make_private(path: str | os.PathLike) -> None:
    """chmod 0600 ``path`` if it exists and is ours (state file, its -wal/-shm); errors ignored."""
    try:
        os.chmod(path, FILE_MODE)
    except OSError:
        pass


def private_sqlite_files(state: str | os.PathLike) -> list[Path]:
    """The files SQLite keeps for ``state`` in WAL mode: the db, ``-wal`` and ``-shm``."""
    s = str(state)
    return [Path(s), Path(s + "-wal"), Path(s + "-shm")]


def runtime_dir(env: dict | None = None) -> Path:
    """A 0700 folder for per-run secrets: ``$XDG_RUNTIME_DIR/ibdesk`` when that variable names an
    absolute folder (the XDG spec guarantees it is 0700 and owned by the user), else
    ``<tmp>/ibdesk-<uid>`` (created 0700; refused with OSError if it exists and belongs to
    another user or is not a plain private folder)."""
    env = os.environ if env is None else env
    base = env.get("XDG_RUNTIME_DIR") or ""
    if base and os.path.isabs(base) and os.path.isdir(base):
        return private_dir(Path(base) / "ibdesk")
    p = Path(tempfile.gettempdir()) / f"ibdesk-{os.getuid()}"
    with private_umask():
        try:
            p.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
    st = os.lstat(p)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
        raise OSError(f"{p} is not a private folder of this user (mode {stat.S_IMODE(st.st_mode):o}, "
                      f"uid {st.st_uid}); remove it or set XDG_RUNTIME_DIR")
    return p


def write_private(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` created (or truncated) with mode 0600; returns the path.
    Raises OSError."""
    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    return p


def token_path_for(state: str | os.PathLike | None, admin_port: int, env: dict | None = None) -> Path:
    """Where the admin token goes: ``<state>.admin-token`` beside a state file, else
    ``<runtime_dir>/sim-admin-<admin_port>.token``."""
    if state:
        return Path(str(state) + ".admin-token")
    return runtime_dir(env) / f"sim-admin-{admin_port}.token"


def write_token_file(token: str, state: str | os.PathLike | None, admin_port: int,
                     env: dict | None = None) -> Path:
    """Write the admin ``token`` (one line) to :func:`token_path_for`, mode 0600; returns the path."""
    return write_private(token_path_for(state, admin_port, env), token + "\n")


class StateFileBusy(RuntimeError):
    """Another process holds the state file's lock; ``path``, ``pid`` (None if unknown)."""

    def __init__(self, path: Path, pid: int | None):
        self.path, self.pid = path, pid
        who = f"another simulated gateway (PID {pid})" if pid else "another simulated gateway"
        super().__init__(f"the state file {path} is in use by {who}; stop that gateway or use "
                         "another file (--state OTHER_FILE; in ibdesk demo mode: --profile NAME "
                         "or --sim-state OTHER_FILE)")


class StateLock:
    """An exclusive ``flock`` on ``<state>.lock`` for one gateway process per state file.

    ``acquire()`` raises :class:`StateFileBusy` (naming the holder's PID, read from the lock
    file) when another process - or another open of the same file in this process - holds
    it, OSError when the lock file cannot be created. ``release()`` is idempotent; the kernel
    releases the lock when the process dies (kill -9 included). Context manager."""

    def __init__(self, state: str | os.PathLike):
        self.state = Path(state)
        self.path = Path(str(state) + ".lock")
        self._fd: int | None = None

    def acquire(self) -> "StateLock":
        if self._fd is not None:
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = None
            try:
                pid = int(os.pread(fd, 32, 0).decode().strip() or 0) or None
            except (OSError, ValueError):
                pass
            os.close(fd)
            raise StateFileBusy(self.state, pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.fchmod(fd, FILE_MODE)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
            os.close(fd)            # closing the descriptor drops the flock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "StateLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
