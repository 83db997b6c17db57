"""High-DPI: the main window with every panel and a loaded chart under ``QT_SCALE_FACTOR``
1.5 and 2 (headless) renders at the device resolution (not a 1x picture scaled up), keeps the
same logical layout as at 1x and cuts no text off, in both themes.

Each scale runs ``tests/gui/hidpi_window.py`` in its own process: Qt reads the scale factor
once, when the QApplication is created."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


def _window_at(scale: str, theme_choice: str, tmp_path: Path) -> dict:
    out = tmp_path / f"{scale}-{theme_choice}"
    out.mkdir()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale, HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    p = subprocess.run([sys.executable, "-m", "tests.gui.hidpi_window", str(out), theme_choice], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=100)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def at_1x(tmp_path_factory) -> dict:
    return _window_at("1", "light", tmp_path_factory.mktemp("hidpi"))


@pytest.mark.parametrize("scale, theme_choice", [("1.5", "light"), ("2", "dark")])
def test_window_renders_at_device_resolution_with_the_same_layout(scale, theme_choice, at_1x, tmp_path):
    r = _window_at(scale, theme_choice, tmp_path)
    factor = float(scale)
    assert r["dpr"] == r["window_dpr"] == factor
    # the same logical layout as at 1x: nothing grows, shrinks or moves with the scale
    assert r["window_logical"] == at_1x["window_logical"] and r["chart_logical"] == at_1x["chart_logical"]
    assert r["minimum"] == at_1x["minimum"]
    # the window and the chart are painted at the device resolution (sharp), not upscaled
    assert r["shot_physical"] == [round(v * factor) for v in r["window_logical"]]
    assert r["chart_physical"] == [round(v * factor) for v in r["chart_logical"]]
    # the candles are drawn, in the theme's solid up and down colours
    assert r["bars"] == 300 and r["drawn"] == at_1x["drawn"] > 100
    assert r["candle_colours"] == sorted([r["up"], r["down"]])
    # no label, button or combo box cuts its text off
    assert r["clipped"] == [] == at_1x["clipped"]
