"""The simulated clock: 'market' start times, parsing, and the ibdesk --sim-start option."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.cli import parse_args
from app.sim.clock import make_clock, market_start_time, parse_start_time
from app.sim.instruments import NY, is_open
from app.simlauncher import SimulatedGatewayProcess


def ny(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=NY).timestamp()


@pytest.mark.parametrize("now, expected", [
    ("2026-11-23 11:00", None),                      # Monday, regular hours: wall clock
    ("2026-11-23 17:00", "2026-11-23 10:00"),        # after the close: this morning
    ("2026-11-23 04:30", "2026-11-20 10:00"),        # Monday pre-market: last Friday
    ("2026-11-21 22:00", "2026-11-20 10:00"),        # Saturday night: Friday
    ("2026-11-22 12:00", "2026-11-20 10:00"),        # Sunday: Friday
    ("2026-11-24 09:29", "2026-11-23 10:00"),        # one minute before the open: yesterday
    ("2026-11-26 22:00", "2026-11-25 10:00"),        # Thanksgiving (NYSE holiday): the day before
])
def test_market_start_time(now, expected):
    got = market_start_time(ny(now))
    if expected is None:
        assert got is None
    else:
        assert got == ny(expected)
        assert is_open("STK", got, rth=True) and got <= ny(now)


def test_parse_start_time_forms():
    now = ny("2026-11-21 22:00")
    assert parse_start_time("now", now) is None
    assert parse_start_time("market", now) == ny("2026-11-20 10:00")
    assert parse_start_time("1763470800.5", now) == 1763470800.5
    assert parse_start_time("2026-11-18T11:00-05:00", now) == ny("2026-11-18 11:00")
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_start_time("2026-11-18T11:00", now)
    with pytest.raises(ValueError, match="'now', 'market'"):
        parse_start_time("tomorrow-ish", now)


def test_clock_runs_from_the_start_time():
    assert make_clock(None) is None
    clock = make_clock(1000.0)
    assert 1000.0 <= clock() < 1005.0


def test_ibdesk_sim_start_option_and_launcher_command():
    assert parse_args([]).sim_start == "market"
    assert parse_args(["--sim-start", "now"]).sim_start == "now"
    with pytest.raises(SystemExit):
        parse_args(["--sim-start", "soon"])
    with pytest.raises(SystemExit):
        parse_args(["--port", "7497", "--sim-start", "now"])
    cmd = SimulatedGatewayProcess(start_time=ny("2026-11-20 10:00")).command()
    assert cmd[cmd.index("--start-time") + 1] == repr(ny("2026-11-20 10:00"))
    assert "--start-time" not in SimulatedGatewayProcess().command()
