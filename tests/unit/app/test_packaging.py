"""The dependency pin (DESIGN.md: PySide6 6.12.0 aborts on Python 3.11, 6.9.1 breaks
pyqtgraph), the README Quick start and the CI script stay in step."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[3]


def _pyside_requirements() -> list[Requirement]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = [Requirement(r) for r in data["project"]["dependencies"]]
    return [r for r in reqs if r.name == "PySide6-Essentials"]


def _allowed(v: str, python: str) -> bool:
    env = {"python_version": python}
    return any(r.specifier.contains(Version(v)) for r in _pyside_requirements()
               if r.marker is None or r.marker.evaluate(env))


def test_pin_refuses_known_bad_pyside_versions():
    assert not _allowed("6.12.0", "3.11"), "PySide6 6.12.0 aborts on Python 3.11"
    assert not _allowed("6.9.1", "3.11") and not _allowed("6.9.1", "3.12"), "6.9.1 breaks pyqtgraph"
    assert _allowed("6.11.3", "3.11")
    assert _allowed("6.12.0", "3.12")


def test_installed_pyside_satisfies_the_pin():
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert _allowed(version("PySide6-Essentials"), py)


def test_readme_quick_start_has_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert readme.index("## Quick start") < readme.index("## ", readme.index("## Quick start") + 5)
    block = re.search(r"## Quick start\s+```sh\n(.*?)```", readme, re.S)
    assert block, "Quick start must open with a sh code block"
    commands = [l for l in block.group(1).splitlines() if l.strip()]
    assert len(commands) == 2
    assert commands[0].endswith(".venv/bin/ibdesk")
    test_cmd = commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    # the CI runs the same install + pytest command (it exports QT_QPA_PLATFORM itself)
    assert test_cmd.replace("QT_QPA_PLATFORM=offscreen ", "") in ci
    assert "QT_QPA_PLATFORM=offscreen" in ci
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111
