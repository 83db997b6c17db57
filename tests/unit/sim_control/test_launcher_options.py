"""Demo-mode launcher: --state / --speed pass-through and the default state file location."""

from __future__ import annotations

from pathlib import Path

from app.simlauncher import SimulatedGatewayProcess, default_state_path


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
