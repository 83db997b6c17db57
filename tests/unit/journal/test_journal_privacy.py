"""The journal holds the account id and every order and fill: its file, -wal and -shm are
0600 in a 0700 folder whatever the umask, an old readable journal is tightened when it is
opened, and a journal that cannot write says so once on stderr / in the log file."""

from __future__ import annotations

import logging
import os
import time

from app.journal import Journal, default_journal_path
from tests.privacy_support import file_mode as mode, loose_umask  # noqa: F401 (fixture)


def test_new_journal_files_are_private(tmp_path, monkeypatch, loose_umask):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = default_journal_path("p1")
    j = Journal(path, batch_interval=0.01)
    try:
        j.record("intent", order_id=1, text="BUY 1 AAPL LMT 1.00 DAY")
        assert j.flush(5)
        for suffix in ("", "-wal", "-shm"):
            assert mode(f"{path}{suffix}") == 0o600, suffix
        assert mode(path.parent) == 0o700
    finally:
        j.close()


def test_an_old_readable_journal_is_tightened(tmp_path, monkeypatch, loose_umask):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = default_journal_path("p1")
    first = Journal(path, batch_interval=0.01)
    first.record("intent", order_id=1)
    assert first.flush(5)
    first.close()
    for p in (path, path.with_name(path.name + "-wal"), path.parent):
        if p.exists():
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
    j = Journal(path, batch_interval=0.01)
    try:
        j.record("intent", order_id=2)
        assert j.flush(5)
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
        assert [e.order_id for e in j.events()] == [1, 2]
    finally:
        j.close()


def test_a_folder_the_user_chose_is_left_alone(tmp_path, monkeypatch, loose_umask):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    mine = tmp_path / "my-journals"
    mine.mkdir()
    j = Journal(mine / "j.sqlite", batch_interval=0.01)
    try:
        j.record("intent", order_id=1)
        assert j.flush(5)
        assert mode(mine / "j.sqlite") == 0o600
        assert mode(mine) == 0o755
    finally:
        j.close()


def test_a_journal_that_cannot_write_warns_once_in_the_log(tmp_path, caplog):
    j = Journal(tmp_path / "full.sqlite", batch_interval=0.01, retry_interval=0.05, max_pages=8)
    try:
        with caplog.at_level(logging.WARNING, logger="ibdesk.journal"):
            for i in range(1000):
                j.record("api", order_id=i, text="x" * 300)
            deadline = time.monotonic() + 5
            while not j.problem and time.monotonic() < deadline:
                time.sleep(0.02)
            assert j.problem
            for i in range(5):       # more events while it fails: every retry has a new text
                j.record("api", order_id=2000 + i)
                time.sleep(0.08)
            warnings = [r for r in caplog.records if r.name == "ibdesk.journal"]
            assert len(warnings) == 1 and "cannot write" in warnings[0].getMessage()
            j.max_pages = None
            assert j.flush(5)
        back = [r for r in caplog.records if r.name == "ibdesk.journal"]
        assert len(back) == 2 and "again" in back[1].getMessage()
    finally:
        j.close()
