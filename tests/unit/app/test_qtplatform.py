"""app.qtplatform: a missing X library or display is named, with the exact install command,
before Qt aborts (issue 14, item 7a)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import qtplatform
from app.qtplatform import debian_package, missing_libraries, platform_problem

PLUGIN = Path("/x/PySide6/Qt/plugins/platforms/libqxcb.so")
#: ``ldd libqxcb.so`` on a minimal Debian 12 (two libraries missing)
LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /x/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f26)
\tlibxcb-cursor.so.0 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-cursor.so.0 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f26)
"""
LDD_OK = "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f26)\n"


@pytest.mark.parametrize("soname, package", [
    ("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"), ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libEGL.so.1", "libegl1"), ("libfontconfig.so.1.12.0", "libfontconfig1"),
    ("weird", "weird"),
])
def test_debian_package_names(soname, package):
    """Debian names a library's package by its name and soversion (Policy 8.1)."""
    assert debian_package(soname) == package


def test_missing_libraries_in_ldd_order_once():
    assert missing_libraries(PLUGIN, lambda p: LDD_MISSING) == ["libxcb-cursor.so.0",
                                                                "libxkbcommon-x11.so.0"]


@pytest.mark.parametrize("root, prefix", [(True, ""), (False, "sudo ")])
def test_missing_x_libraries_give_the_exact_command(root, prefix):
    """One sentence: what is missing, the apt-get command (sudo only when not root), and
    the headless alternative."""
    msg = platform_problem({"DISPLAY": ":0"}, platform="linux", plugin=PLUGIN,
                           ldd=lambda p: LDD_MISSING, is_root=root)
    assert msg == (
        "ibdesk cannot open its window: Qt's X11 plugin needs libxcb-cursor.so.0, "
        "libxkbcommon-x11.so.0, which this system lacks. Install with: "
        f"{prefix}apt-get install -y libxcb-cursor0 libxkbcommon-x11-0 (or run without a "
        "screen with QT_QPA_PLATFORM=offscreen (e.g. ibdesk --screenshot out.png)).")


def test_no_display_is_named():
    msg = platform_problem({}, platform="linux", plugin=PLUGIN, ldd=lambda p: LDD_OK)
    assert msg.startswith("ibdesk cannot open its window: there is no X display (DISPLAY is not set)")


@pytest.mark.parametrize("env, platform", [
    ({"DISPLAY": ":0"}, "linux"),                                    # everything there
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux"),                     # headless: not X11
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux"),                     # a Wayland session
    ({}, "darwin"), ({}, "win32"),                                   # another OS
])
def test_nothing_to_say(env, platform):
    """Working setups, other plugins and other systems are left to Qt."""
    ldd = (lambda p: LDD_OK) if env.get("DISPLAY") else (lambda p: LDD_MISSING)
    assert platform_problem(env, platform=platform, plugin=PLUGIN, ldd=ldd) is None


def test_ldd_that_cannot_run_is_left_to_qt():
    def broken(p):
        raise FileNotFoundError("ldd")
    assert platform_problem({}, platform="linux", plugin=PLUGIN, ldd=broken) is None


def test_the_real_plugin_is_found_and_checked():
    """On this machine: PySide6's xcb plugin exists and ldd reads it (the X libraries the
    CI machine has are found, so nothing is missing)."""
    plugin = qtplatform.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    assert isinstance(missing_libraries(plugin), list)


def test_ibdesk_exits_2_with_the_sentence_instead_of_aborting(monkeypatch, capsys):
    """``run`` prints the sentence and returns 2 before any QApplication exists."""
    from app import application
    from app.cli import parse_args
    monkeypatch.setattr(application.QApplication, "instance", staticmethod(lambda: None))
    monkeypatch.setattr(qtplatform, "platform_problem", lambda: "ibdesk cannot open its window: X")
    assert application.run(parse_args([])) == 2
    assert capsys.readouterr().err == "ibdesk cannot open its window: X\n"


def test_ldd_in_the_desktop_bundle_sees_the_bundles_libraries(monkeypatch):
    """The bundle carries libxcb-cursor & co. in sys._MEIPASS, and its runtime hook gives
    children the user's LD_LIBRARY_PATH: ldd must be told where the bundle's libraries are,
    or it reports them missing on a system that lacks them."""
    seen = {}

    def run(cmd, **kw):
        seen.update(kw, cmd=cmd)
        return subprocess.CompletedProcess(cmd, 0, LDD_OK, "")

    monkeypatch.setattr(qtplatform.subprocess, "run", run)
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/lib")
    qtplatform._ldd(PLUGIN)
    assert seen["cmd"] == ["ldd", str(PLUGIN)] and seen["env"] is None   # a source run: as is
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", "/opt/ibdesk/_internal", raising=False)
    assert qtplatform._ldd(PLUGIN) == LDD_OK
    assert seen["env"]["LD_LIBRARY_PATH"] == "/opt/ibdesk/_internal:/usr/local/lib"
    monkeypatch.delenv("LD_LIBRARY_PATH")
    qtplatform._ldd(PLUGIN)
    assert seen["env"]["LD_LIBRARY_PATH"] == "/opt/ibdesk/_internal"
