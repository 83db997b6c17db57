"""``ibdesk`` starts in the profile's theme (View → Theme, saved per profile), and ``--theme``
overrides it for one run: the real program, headless, with ``--screenshot`` (against a port
with nothing listening, so it saves the window after a few seconds without a gateway)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


def _shot(tmp_path: Path, profile: str, *extra: str) -> float:
    """Run ibdesk for ``profile`` with ``extra`` arguments; the mean lightness (0-255) of the
    saved window picture."""
    from PySide6.QtGui import QImage

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / f"{profile}-{len(extra)}.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), HOME=str(tmp_path))
    p = subprocess.run([sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port),
                        "--client-id", "5", "--connect-timeout", "1", "--screenshot", str(out),
                        "--screenshot-timeout", "2", "--profile", profile, *extra],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert p.returncode == 1 and "not connected" in p.stderr, p.stderr  # saved, not connected
    img = QImage(str(out))
    assert not img.isNull()
    values = [img.pixelColor(x, y).lightness() for x in range(0, img.width(), 11) for y in range(0, img.height(), 11)]
    return sum(values) / len(values)


def test_saved_theme_applies_at_start_and_theme_option_overrides_it(tmp_path):
    folder = tmp_path / "config" / "ibdesk"
    folder.mkdir(parents=True)
    (folder / "night.ini").write_text("[view]\ntheme=dark\n")
    assert _shot(tmp_path, "night") < 90                       # the profile's dark theme
    assert _shot(tmp_path, "night", "--theme", "light") > 170  # --theme light for this run only
    assert "theme=dark" in (folder / "night.ini").read_text()  # ... and the profile keeps dark
    assert _shot(tmp_path, "day") > 170                        # another profile: system (light here)
    assert _shot(tmp_path, "day", "--theme", "dark") < 90
