"""Named layouts: the window's arrangement saved as a readable JSON file per name.

A layout is what a trader arranges, not what he trades: the window size and dock
arrangement, which docks are shown, every panel's link colour and the charts (arrangement,
and per chart its symbol, bar size, style and indicators). Files live in the profile folder,
``<profile>.layouts/<name>.json`` beside ``<profile>.ini`` (:func:`layouts_folder`), one JSON
object each::

    {"format": "ibdesk-layout", "version": 1, "name": "Scalping", "saved": "2026-12-07T16:40:00Z",
     "window": {"width": 1920, "height": 1080, "docks": {"ladder": {"visible": true, "floating": false}},
                "qt_geometry": "<base64>", "qt_state": "<base64>", "qt_layout_version": 5},
     "links": {"watchlist": "red", "chart2": "", ...},
     "charts": {"mode": "grid", "current": "chart1",
                "charts": [{"name": "chart1", "bar_size": "5 mins", "style": "Candle",
                            "indicators": [{"name": "RSI", "params": {"period": 14}}],
                            "instrument": {"symbol": "AAPL", "sec_type": "STK", "con_id": 265598, ...}}]}}

``qt_geometry`` / ``qt_state`` are Qt's own ``saveGeometry`` / ``saveState`` (dock positions and
sizes; base64); everything else is plain and may be edited by hand: a hidden dock listed
``"visible": true`` is shown when the layout loads. :class:`LayoutStore` reads and writes the
files (atomic writes; a damaged file gives a :class:`LayoutError` naming the file and why).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

FORMAT = "ibdesk-layout"
VERSION = 1
#: a layout name: letters, digits, space, dash, underscore, dot; 1..40 characters
_NAME = re.compile(r"^[\w][\w .\-]{0,39}$")


class LayoutError(ValueError):
    """A layout name that cannot be a file name, a missing file or a damaged one."""


def layouts_folder(settings) -> Path:
    """The layouts folder of the profile whose settings are ``settings`` (a QSettings on an
    INI file): ``<profile>.layouts`` beside ``<profile>.ini``."""
    ini = Path(settings.fileName())
    return ini.with_name(ini.stem + ".layouts")


def check_name(name: str) -> str:
    """``name`` stripped. Raises :class:`LayoutError` for an empty name, one over 40
    characters, or one with characters other than letters, digits, space, ``-``, ``_``, ``.``
    (a layout name is a file name)."""
    n = (name or "").strip()
    if not n:
        raise LayoutError("A layout needs a name")
    if not _NAME.match(n) or n.startswith("."):
        raise LayoutError(f"Layout name {n!r}: use up to 40 letters, digits, spaces, '-', '_' or '.'")
    return n


class LayoutStore:
    """The named layouts of one profile, as ``<folder>/<name>.json`` files."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def path(self, name: str) -> Path:
        """The file of layout ``name`` (:func:`check_name` rules)."""
        return self.folder / f"{check_name(name)}.json"

    def names(self) -> list[str]:
        """The saved layouts' names, sorted case-insensitively."""
        if not self.folder.is_dir():
            return []
        return sorted((p.stem for p in self.folder.glob("*.json") if _NAME.match(p.stem)), key=str.lower)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def save(self, name: str, layout: dict) -> Path:
        """Write ``layout`` (the ``window`` / ``links`` / ``charts`` parts) as layout ``name``,
        adding format, version, name and the UTC time. Atomic: a crash leaves the old file.
        Raises :class:`LayoutError` for a bad name, ``OSError`` when the folder is not writable."""
        path = self.path(name)
        doc = {"format": FORMAT, "version": VERSION, "name": check_name(name),
               "saved": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), **layout}
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".layout-", suffix=".json", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=2, ensure_ascii=False)
                f.write("\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def load(self, name: str) -> dict:
        """The layout ``name`` as saved. Raises :class:`LayoutError` when it does not exist,
        is not JSON, or is not an ibdesk layout of a version this build reads."""
        path = self.path(name)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LayoutError(f"No layout named {name!r} ({path})") from None
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise LayoutError(f"Layout {name!r} cannot be read ({path}): {e}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise LayoutError(f"{path} is not an ibdesk layout (no \"format\": \"{FORMAT}\")")
        if doc.get("version") != VERSION:
            raise LayoutError(f"Layout {name!r} has version {doc.get('version')!r}; "
                              f"this ibdesk reads version {VERSION}")
        return doc

    def delete(self, name: str) -> None:
        """Remove layout ``name``. Raises :class:`LayoutError` when it does not exist."""
        path = self.path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            raise LayoutError(f"No layout named {name!r} ({path})") from None
