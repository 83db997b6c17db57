"""Before the QApplication exists: can Qt open a window here? (issue 14, item 7a)

On a minimal Linux, Qt's xcb platform plugin cannot load when X11 libraries are missing
(Qt 6.5+ needs ``libxcb-cursor0``); Qt then prints "Could not load the Qt platform plugin
"xcb"" and aborts the process (exit code 134). :func:`platform_problem` finds that case
first, by asking the dynamic linker (``ldd``) which libraries of the xcb plugin are not
found, and returns one sentence with the exact ``apt-get install`` command (Debian's
package names: the library's name plus its soversion, "libxcb-cursor.so.0" ->
"libxcb-cursor0"; Debian Policy 8.1) and the headless alternative. No display at all
(``DISPLAY`` unset) is named too. Anything it cannot judge (no ``ldd``, another OS,
another platform plugin chosen) is left to Qt.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Mapping

#: what the trader can do instead of installing anything
HEADLESS_HINT = ("or run without a screen with QT_QPA_PLATFORM=offscreen "
                 "(e.g. ibdesk --screenshot out.png)")


def debian_package(soname: str) -> str:
    """Debian's package for a shared library: "libxcb-cursor.so.0" -> "libxcb-cursor0",
    "libxcb-icccm.so.4" -> "libxcb-icccm4", "libxkbcommon-x11.so.0" -> "libxkbcommon-x11-0"
    (a hyphen before the soversion when the name ends with a digit; Debian Policy 8.1)."""
    m = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\.\d+)*", soname)
    if not m:
        return soname
    name, version = m.groups()
    return f"{name}{'-' if name[-1].isdigit() else ''}{version}".lower()


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin (``Qt/plugins/platforms/libqxcb.so``), or None."""
    try:
        import PySide6
    except ImportError:
        return None
    path = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return path if path.exists() else None


def _ldd(path: Path) -> str:
    """``ldd path``'s output. In the desktop bundle (PyInstaller; ``sys.frozen``) the
    bundle's library folder (``sys._MEIPASS``) comes first, as for this process: the bundle
    carries libxcb-cursor and the other X libraries, and its runtime hook gives children the
    user's ``LD_LIBRARY_PATH`` (packaging/rthook_environment.py)."""
    env = None
    if getattr(sys, "frozen", False) and getattr(sys, "_MEIPASS", None):
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (sys._MEIPASS, os.environ.get("LD_LIBRARY_PATH")) if p)
    return subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=10,
                          env=env).stdout


def missing_libraries(plugin: Path, ldd: Callable[[Path], str] = _ldd) -> list[str]:
    """Sonames the dynamic linker does not find for ``plugin`` ("libxcb-cursor.so.0", ...),
    in ``ldd``'s order, without repeats. Raises ``OSError`` / ``subprocess`` errors when
    ``ldd`` cannot run."""
    out = []
    for line in ldd(plugin).splitlines():
        m = re.match(r"\s*(\S+)\s*=>\s*not found", line)
        if m and m.group(1) not in out:
            out.append(m.group(1))
    return out


def platform_problem(env: Mapping[str, str] | None = None, *, platform: str | None = None,
                     plugin: Path | None = None, ldd: Callable[[Path], str] = _ldd,
                     is_root: bool | None = None) -> str | None:
    """The reason Qt will not be able to open a window, as one sentence with the fix, or
    None when it can (or this cannot tell). ``env`` default ``os.environ``; ``platform``
    default ``sys.platform``; ``plugin`` default :func:`xcb_plugin`; ``is_root`` decides
    whether the command needs ``sudo`` (default: effective uid 0)."""
    env = os.environ if env is None else env
    if not (platform or sys.platform).startswith("linux"):
        return None
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith("xcb"):
        return None                      # offscreen, wayland, vnc...: Qt's own business
    if not chosen and env.get("WAYLAND_DISPLAY"):
        return None                      # a Wayland session: Qt may use its wayland plugin
    plugin = plugin or xcb_plugin()
    if plugin is None:
        return None
    try:
        missing = missing_libraries(plugin, ldd)
    except (OSError, subprocess.SubprocessError):
        return None
    if missing:
        root = (os.geteuid() == 0) if is_root is None else is_root
        packages = " ".join(debian_package(s) for s in missing)
        return (f"ibdesk cannot open its window: Qt's X11 plugin needs {', '.join(missing)}, "
                f"which this system lacks. Install with: {'' if root else 'sudo '}"
                f"apt-get install -y {packages} ({HEADLESS_HINT}).")
    if not env.get("DISPLAY"):
        return (f"ibdesk cannot open its window: there is no X display (DISPLAY is not set). "
                f"Start it from a desktop session, {HEADLESS_HINT}.")
    return None
