"""Helpers for the file-permission tests (issue 11, item 8: private by default)."""

from __future__ import annotations

import os
import stat

import pytest


def file_mode(path) -> int:
    """The permission bits of ``path`` (e.g. 0o600)."""
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """The umask most desktops start with (022: files 0644, folders 0755 unless made private),
    restored afterwards, so a test fails when ibdesk relies on the umask for privacy."""
    old = os.umask(0o022)
    yield
    os.umask(old)
