"""ibdesk command line: demo vs real connection, and a specific error for each bad input."""

import pytest

from app.cli import parse_args


def test_no_arguments_is_demo_mode():
    o = parse_args([])
    assert o.demo and o.port is None and o.client_id == 1 and o.host == "127.0.0.1"


def test_real_gateway_arguments():
    o = parse_args(["--host", "10.0.0.5", "--port", "4002", "--client-id", "7"])
    assert not o.demo and (o.host, o.port, o.client_id) == ("10.0.0.5", 4002, 7)


def test_geometry_is_a_window_size_in_pixels():
    assert parse_args(["--geometry", "1280x720"]).geometry == (1280, 720)
    assert parse_args(["--geometry", "1920X1080", "--screenshot", "a.png"]).geometry == (1920, 1080)
    assert parse_args([]).geometry is None


def test_port_alone_defaults_host_to_localhost():
    o = parse_args(["--port", "7497"])
    assert not o.demo and o.host == "127.0.0.1"


@pytest.mark.parametrize("argv, message", [
    (["--port", "abc"], "port must be a number, got 'abc'"),
    (["--port", "70000"], "port must be between 1 and 65535"),
    (["--port", "7497", "--client-id", "x"], "client id must be a whole number"),
    (["--port", "7497", "--client-id", "-1"], "client id must be between 0"),
    (["--host", "example"], "--host needs --port"),
    (["--client-id", "3"], "--client-id needs --port"),
    (["--port", "7497", "--seed", "3"], "apply only to demo mode"),
    (["--bars", "/nonexistent/dir"], "is not a directory"),
    (["--screenshot", "/nonexistent/dir/x.png"], "does not exist"),
    (["--screenshot", "shot.gif"], "use a .png"),
    (["--profile", "../evil"], "--profile: use letters"),
    (["--connect-timeout", "0"], "positive number of seconds"),
    (["--journal", "/nonexistent/dir/j.sqlite"], "--journal: folder"),
    (["--journal", "/tmp"], "--journal: '/tmp' is a directory"),
    (["--geometry", "1280"], "expected WIDTHxHEIGHT in pixels such as 1280x720, got '1280'"),
    (["--geometry", "ax720"], "expected WIDTHxHEIGHT"),
    (["--geometry", "320x200"], "window size 320x200 is outside 640x480"),
])
def test_bad_arguments_exit_2_with_specific_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


# ---- --sim-state / --sim-speed (issue 3, FAULTS engineer) ------------------------------
def test_sim_state_default_is_the_xdg_data_file(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    o = parse_args([])
    assert o.sim_state == tmp_path / "ibdesk" / "sim-state.sqlite"
    assert o.sim_speed == 1.0
    monkeypatch.delenv("XDG_DATA_HOME")
    from pathlib import Path
    assert parse_args([]).sim_state == Path.home() / ".local/share/ibdesk/sim-state.sqlite"


def test_sim_state_file_none_and_speed(tmp_path):
    f = tmp_path / "acct.sqlite"
    o = parse_args(["--sim-state", str(f), "--sim-speed", "60"])
    assert o.sim_state == f and o.sim_speed == 60.0
    assert parse_args(["--sim-state", "none"]).sim_state is None
    assert parse_args(["--sim-state", "NONE"]).sim_state is None


@pytest.mark.parametrize("argv, message", [
    (["--sim-speed", "0"], "speed must be > 0"),
    (["--sim-speed", "fast"], "speed must be a number"),
    (["--sim-speed", "nan"], "speed must be > 0"),
    (["--sim-state", "/nonexistent/dir/x.sqlite"], "--sim-state: folder"),
    (["--sim-state", "/tmp"], "--sim-state: '/tmp' is a directory"),
    (["--port", "7497", "--sim-speed", "2"], "apply only to demo mode"),
    (["--port", "7497", "--sim-state", "none"], "apply only to demo mode"),
])
def test_bad_sim_state_and_speed_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


# ---- --read-only / --journal (issue 5) ----------------------------------------------------
def test_read_only_and_journal_options(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    o = parse_args([])
    assert not o.read_only and o.journal == tmp_path / "ibdesk" / "journal-default.sqlite"
    o = parse_args(["--read-only", "--profile", "desk2", "--port", "7497"])
    assert o.read_only and o.journal == tmp_path / "ibdesk" / "journal-desk2.sqlite"
    assert parse_args(["--journal", "none"]).journal is None
    f = tmp_path / "audit.sqlite"
    assert parse_args(["--journal", str(f)]).journal == f
