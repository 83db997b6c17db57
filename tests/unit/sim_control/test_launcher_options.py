"""Demo-mode launcher: --state / --speed pass-through, the default state file location and
the gateway command of the frozen desktop bundle (packaging/)."""

from __future__ import annotations

import sys
from pathlib import Path

from app.simlauncher import SIM_GATEWAY_ARG, SimulatedGatewayProcess, default_state_path


def test_default_state_path_follows_xdg():
    assert default_state_path({"XDG_DATA_HOME": "/data"}) == Path("/data/ibdesk/sim-state.sqlite")
    home = Path.home() / ".local" / "share" / "ibdesk" / "sim-state.sqlite"
    assert default_state_path({}) == home
    assert default_state_path({"XDG_DATA_HOME": "relative/dir"}) == home   # spec: ignore relative


def test_command_passes_state_and_speed(tmp_path):
    p = SimulatedGatewayProcess(state_path=tmp_path / "s.sqlite", speed=60)
    cmd = p.command()
    assert cmd[cmd.index("--state") + 1] == str(tmp_path / "s.sqlite")
    assert float(cmd[cmd.index("--speed") + 1]) == 60.0
    plain = SimulatedGatewayProcess().command()
    assert "--state" not in plain and "--speed" not in plain
    assert "--speed" not in SimulatedGatewayProcess(speed=1.0).command()


def test_start_creates_the_state_folder_and_the_child_starts(tmp_path):
    state = tmp_path / "new" / "dir" / "sim-state.sqlite"
    with SimulatedGatewayProcess(state_path=state, speed=10) as p:
        assert p.port and state.parent.is_dir()


def test_source_run_starts_the_gateway_with_python_m_app_sim():
    cmd = SimulatedGatewayProcess(python="/usr/bin/python3").command()
    assert cmd[:3] == ["/usr/bin/python3", "-m", "app.sim"]


def test_frozen_bundle_starts_its_own_executable_as_the_gateway(monkeypatch):
    # PyInstaller sets sys.frozen; sys.executable is then the bundle's ibdesk, not a python
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    cmd = SimulatedGatewayProcess(python="/opt/ibdesk/ibdesk", seed=3).command()
    assert cmd[:2] == ["/opt/ibdesk/ibdesk", SIM_GATEWAY_ARG]
    assert "-m" not in cmd and cmd[cmd.index("--seed") + 1] == "3"


def test_frozen_bundle_gateway_starts_and_stops(tmp_path, monkeypatch):
    """The whole path of a bundle, with a script standing for its executable (``ibdesk`` is
    ``python -m app``): the child gets no PYTHONPATH from the launcher, listens, and exits
    when the terminal stops it."""
    root = Path(__file__).resolve().parents[3]
    exe = tmp_path / "ibdesk"
    seen = tmp_path / "child-env"
    exe.write_text(f'#!/bin/sh\nenv > "{seen}"\n'
                   f'PYTHONPATH="{root}" exec "{sys.executable}" -m app "$@"\n')
    exe.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    p = SimulatedGatewayProcess(python=str(exe))
    with p:
        child = p.proc
        assert p.port and p.exit_code() is None
        assert child.args[:2] == [str(exe), SIM_GATEWAY_ARG]
    assert child.returncode == 0      # it exited by itself when its stdin closed
    env = seen.read_text().splitlines()
    # a new instance of the bundle (its bootloader sets its library path up again), and no
    # PYTHONPATH pointing into the bundle
    assert "PYINSTALLER_RESET_ENVIRONMENT=1" in env
    assert not any(v.startswith("PYTHONPATH=") for v in env)
