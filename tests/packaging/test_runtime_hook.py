"""packaging/rthook_environment.py: children of the desktop bundle get the user's
LD_LIBRARY_PATH, not the one its bootloader set (PyInstaller manual, "LD_LIBRARY_PATH /
LIBPATH considerations")."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

HOOK = Path(__file__).resolve().parents[2] / "packaging" / "rthook_environment.py"
BUNDLE_LIBS = "/opt/ibdesk/_internal"


def test_the_users_library_path_is_restored(monkeypatch):
    monkeypatch.setenv("LD_LIBRARY_PATH", f"{BUNDLE_LIBS}:/usr/local/lib")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/usr/local/lib")
    runpy.run_path(str(HOOK))
    assert os.environ["LD_LIBRARY_PATH"] == "/usr/local/lib"
    assert "LD_LIBRARY_PATH_ORIG" not in os.environ


def test_no_library_path_when_the_user_had_none(monkeypatch):
    monkeypatch.setenv("LD_LIBRARY_PATH", BUNDLE_LIBS)
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG", raising=False)
    runpy.run_path(str(HOOK))
    assert "LD_LIBRARY_PATH" not in os.environ
