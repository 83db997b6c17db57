"""Private by default (issue 11, item 8): ibdesk's files are 0600 in 0700 folders, created so
whatever the umask, and what an earlier version left readable by others is tightened on start,
but never a folder that is not ibdesk's own."""

from __future__ import annotations

import os

import pytest

from app.privacy import (app_dir, is_own_folder, private_dir, private_file, private_sqlite,
                         protect_own_files)
from tests.privacy_support import file_mode as mode, loose_umask  # noqa: F401 (fixture)


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    env = {}
    for kind, var in (("data", "XDG_DATA_HOME"), ("config", "XDG_CONFIG_HOME"), ("state", "XDG_STATE_HOME")):
        env[var] = str(tmp_path / kind)
        monkeypatch.setenv(var, env[var])
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return env


def test_app_dirs_follow_xdg_and_default_to_home(xdg, tmp_path):
    assert app_dir("data") == tmp_path / "data" / "ibdesk"
    assert app_dir("state", {}) == tmp_path / "home" / ".local" / "state" / "ibdesk"
    assert app_dir("config", {"XDG_CONFIG_HOME": "relative/cfg"}) == tmp_path / "home" / ".config" / "ibdesk"
    assert is_own_folder(tmp_path / "state" / "ibdesk" / "default")
    assert not is_own_folder(tmp_path / "state") and not is_own_folder(tmp_path / "home")


def test_new_folders_and_files_are_private_under_a_loose_umask(xdg, tmp_path, loose_umask):
    folder = private_dir(app_dir("data") / "sub")
    assert mode(app_dir("data")) == 0o700 and mode(folder) == 0o700
    f = private_file(folder / "x.ini")
    assert f.exists() and mode(f) == 0o600


def test_only_own_folders_are_tightened(xdg, tmp_path, loose_umask):
    mine = app_dir("config")
    mine.mkdir(parents=True)
    os.chmod(mine, 0o755)
    users = tmp_path / "somewhere"
    users.mkdir()
    os.chmod(users, 0o755)
    private_dir(mine)
    private_dir(users)
    assert mode(mine) == 0o700
    assert mode(users) == 0o755        # the user's own folder, chosen on the command line
    assert mode(tmp_path / "config") == 0o755   # ~/.config itself is never touched


def test_sqlite_files_and_their_companions_are_tightened(xdg, loose_umask):
    db = app_dir("data") / "journal-default.sqlite"
    db.parent.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        p = db.with_name(db.name + suffix)
        p.write_bytes(b"")
        os.chmod(p, 0o644)
    private_sqlite(db)
    assert [mode(db.with_name(db.name + s)) for s in ("", "-wal", "-shm")] == [0o600] * 3
    assert mode(db.parent) == 0o700


def test_start_tightens_what_an_earlier_version_left_and_sets_the_umask(xdg, tmp_path, loose_umask):
    old_files = []
    for kind in ("data", "config", "state"):
        d = app_dir(kind) / ("default" if kind == "state" else "")
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o755)
        os.chmod(app_dir(kind), 0o755)
        f = d / "old.file"
        f.write_text("account DU123")
        os.chmod(f, 0o644)
        old_files.append(f)
    outside = tmp_path / "home" / "notes.txt"
    outside.write_text("x")
    os.chmod(outside, 0o644)
    home_mode = mode(tmp_path / "home")
    protect_own_files()
    try:
        assert [mode(f) for f in old_files] == [0o600] * 3
        assert [mode(app_dir(k)) for k in ("data", "config", "state")] == [0o700] * 3
        assert mode(app_dir("state") / "default") == 0o700
        assert mode(outside) == 0o644 and mode(tmp_path / "home") == home_mode  # not ibdesk's
        # from now on the process creates private files by itself
        (tmp_path / "new.txt").write_text("y")
        assert mode(tmp_path / "new.txt") == 0o600
    finally:
        os.umask(0o022)


def test_settings_file_is_private_and_an_old_one_is_tightened(qapp, xdg, tmp_path, loose_umask):
    from PySide6.QtCore import QSettings, QStandardPaths

    from app.application import open_settings

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "config"))
    try:
        s = open_settings("p1")
        s.setValue("watchlist/symbols", ["AAPL"])
        s.sync()
        path = tmp_path / "config" / "ibdesk" / "p1.ini"
        assert s.fileName() == str(path)
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
        # a file and folder an earlier version wrote 0644 / 0755
        old = path.parent / "p2.ini"
        old.write_text("[General]\nx=1\n")
        os.chmod(old, 0o644)
        os.chmod(path.parent, 0o755)
        s2 = open_settings("p2")
        assert s2.value("x") in ("1", 1)
        s2.setValue("x", 2)
        s2.sync()
        assert mode(old) == 0o600 and mode(path.parent) == 0o700
    finally:
        QSettings.setPath(QSettings.IniFormat, QSettings.UserScope,
                          QStandardPaths.writableLocation(QStandardPaths.GenericConfigLocation))
