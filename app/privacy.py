"""Where ibdesk keeps its files, and who can read them: only the user (issue 11, item 8).

The journal holds the account id and every order and fill; the settings, the logs and the
demo account are no one else's business either. Every file ibdesk writes is created mode
0600 (owner read/write) in folders of mode 0700, and files or folders that an earlier version
created with looser modes are tightened when ibdesk starts.

ibdesk's own folders (XDG Base Directory spec, https://specifications.freedesktop.org/basedir-spec/):

- data:   ``$XDG_DATA_HOME/ibdesk``   (default ``~/.local/share/ibdesk``): journal, demo account
- config: ``$XDG_CONFIG_HOME/ibdesk`` (default ``~/.config/ibdesk``): settings (``<profile>.ini``)
- state:  ``$XDG_STATE_HOME/ibdesk``  (default ``~/.local/state/ibdesk``): log files

Only those folders and what is inside them are ever tightened: never the user's home,
``~/.config`` or a folder the user named on the command line (a file there is still created
0600, and the file itself is tightened, but its folder is left as the user set it).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

#: mode of ibdesk's folders and files
DIR_MODE = 0o700
FILE_MODE = 0o600
#: process umask that makes every new file 0600 and folder 0700 (set by ``app.application.run``)
PRIVATE_UMASK = 0o077

_XDG = {
    "data": ("XDG_DATA_HOME", (".local", "share")),
    "config": ("XDG_CONFIG_HOME", (".config",)),
    "state": ("XDG_STATE_HOME", (".local", "state")),
}

#: SQLite's companion files of a database in WAL mode (https://www.sqlite.org/wal.html)
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


#: a profile name: it becomes part of file names (settings, journal, demo account, logs)
_PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_profile(profile: str) -> str:
    """``profile`` when it is a usable profile name (1-64 ASCII letters, digits, ``_``, ``.``
    or ``-``, starting with a letter or digit: it becomes part of file names), else
    ``ValueError`` saying so (also for ``../evil``)."""
    if not isinstance(profile, str) or not _PROFILE.match(profile):
        raise ValueError(f"use letters, digits, '_', '.' or '-' for a profile name (1-64, "
                         f"starting with a letter or digit), got {profile!r}")
    return profile


def app_dir(kind: str, env: dict | None = None) -> Path:
    """ibdesk's own folder of ``kind`` ("data", "config" or "state"): ``$XDG_<KIND>_HOME/ibdesk``,
    or the spec's default under the home folder when the variable is unset, empty or relative
    (the spec says to ignore a relative value). Not created here. ``KeyError`` for another kind."""
    var, default = _XDG[kind]
    env = os.environ if env is None else env
    base = env.get(var) or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home().joinpath(*default)
    return root / "ibdesk"


def is_own_folder(path: str | os.PathLike, env: dict | None = None) -> bool:
    """True when ``path`` is one of ibdesk's own folders (:func:`app_dir`) or inside one."""
    p = Path(os.path.abspath(path))
    for kind in _XDG:
        root = Path(os.path.abspath(app_dir(kind, env)))
        if p == root or root in p.parents:
            return True
    return False


def _tighten(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` when its permission bits are looser (never loosens)."""
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        os.chmod(path, current & mode)


def private_dir(path: str | os.PathLike, env: dict | None = None) -> Path:
    """Make sure the folder ``path`` exists and is private; returns it as a ``Path``.

    Missing folders (``path`` and missing parents) are created mode 0700. An existing folder is
    tightened to 0700 only when it is ibdesk's own (:func:`is_own_folder`, e.g. an old 0755
    ``~/.local/share/ibdesk``); a folder the user chose is left as it is. Raises ``OSError``
    when the folder cannot be created (the caller decides whether that matters)."""
    p = Path(path)
    missing = []
    q = p
    while not q.exists() and q != q.parent:
        missing.append(q)
        q = q.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
        else:
            os.chmod(d, DIR_MODE)  # mkdir's mode is masked by the umask; the result never is looser
    if not missing and is_own_folder(p, env):
        _tighten(p, DIR_MODE)
    return p


def private_file(path: str | os.PathLike, *, create: bool = True) -> Path:
    """Make sure the file ``path`` is readable and writable by the user only (0600).

    An existing file is tightened (never loosened: a 0400 file stays 0400). A missing one is
    created empty with mode 0600 when ``create`` (so that SQLite, which gives its -wal and
    -shm files the database file's mode, and Qt's QSaveFile, which keeps an existing file's
    mode, both keep it private); its folder must exist. Returns the path. Raises ``OSError``
    when the file cannot be created or changed."""
    p = Path(path)
    if p.exists():
        _tighten(p, FILE_MODE)
    elif create:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        os.close(fd)
        _tighten(p, FILE_MODE)
    return p


def private_sqlite(path: str | os.PathLike) -> Path:
    """A private SQLite database file: its folder (:func:`private_dir`), the file created or
    tightened to 0600 (:func:`private_file`), and its -wal / -shm / -journal files, when they
    exist, tightened too. Returns the path; ``OSError`` as the helpers."""
    p = Path(path)
    private_dir(p.parent)
    private_file(p)
    for suffix in SQLITE_COMPANIONS:
        private_file(p.with_name(p.name + suffix), create=False)
    return p


def private_tree(root: str | os.PathLike, env: dict | None = None) -> None:
    """Tighten ibdesk's own folder ``root`` and everything inside it (folders 0700, files 0600),
    as left by an earlier version with looser modes. Does nothing when ``root`` is missing or
    not ibdesk's own (:func:`is_own_folder`; ``env`` replaces ``os.environ``); entries that
    vanish or cannot be changed meanwhile are skipped (another process may be using them)."""
    root = Path(root)
    if not root.is_dir() or not is_own_folder(root, env):
        return
    try:
        _tighten(root, DIR_MODE)
    except OSError:
        return
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            d = Path(dirpath, name)
            try:
                if not d.is_symlink():  # os.walk does not descend into it; chmod would follow it
                    _tighten(d, DIR_MODE)
            except OSError:
                pass
        for name in filenames:
            f = Path(dirpath, name)
            try:
                if f.is_file() and not f.is_symlink():
                    _tighten(f, FILE_MODE)
            except OSError:
                pass


def protect_own_files(env: dict | None = None) -> None:
    """What the terminal does first: set the process umask to 0o077 (every file it or its child
    processes create afterwards is 0600, every folder 0700: settings, journal, demo account,
    logs, exports) and tighten ibdesk's own data, config and state folders and their contents
    as earlier versions left them (:func:`private_tree`). Never raises for a file it cannot
    change."""
    os.umask(PRIVATE_UMASK)
    for kind in _XDG:
        try:
            private_tree(app_dir(kind, env), env)
        except OSError:
            pass
