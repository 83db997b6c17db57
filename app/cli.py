"""Command-line arguments of ``ibdesk``.

Demo mode (no connection arguments): start the embedded simulated IB Gateway
and connect to it. With ``--host/--port/--client-id``: connect to a real TWS or
IB Gateway (enable "ActiveX and Socket Clients" in its API settings; default
ports: TWS live 7496, TWS paper 7497, IB Gateway live 4001, IB Gateway paper
4002 — IB API docs, "Initial Setup").
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from app.privacy import check_profile

LIVE_PORTS = frozenset({7496, 4001})
PAPER_PORTS = frozenset({7497, 4002})


@dataclass(frozen=True)
class Options:
    """Parsed command line. ``demo`` is True when ibdesk starts its own simulated gateway."""

    host: str
    port: int | None
    client_id: int
    demo: bool
    screenshot: Path | None
    screenshot_timeout: float
    seed: int | None
    bars_dir: Path | None
    profile: str
    reset_layout: bool
    yes_live: bool
    connect_timeout: float
    sim_start: str = "market"
    sim_state: Path | None = None     # SQLite file of the demo account; None = not kept
    sim_speed: float = 1.0            # simulated clock speed factor
    read_only: bool = False           # refuse every order command (data keeps flowing)
    journal: Path | None = None       # audit journal file; None = no journal (--journal none)
    api_log: bool = False             # log every raw API message to the profile's api.log
    theme: str | None = None          # "light", "dark", "system" for this run; None = the profile's
    geometry: tuple[int, int] | None = None   # window (width, height) in pixels; None = saved/default


def _int_in(text: str, what: str, kind: str, lo: int, hi: int) -> int:
    """``text`` as an int in ``lo..hi``; argparse's error naming ``what`` otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be {kind}, got '{text}'") from None
    if not lo <= value <= hi:
        raise argparse.ArgumentTypeError(f"{what} must be between {lo} and {hi}, got {value}")
    return value


def _port(text: str) -> int:
    return _int_in(text, "port", "a number", 1, 65535)


def _client_id(text: str) -> int:
    return _int_in(text, "client id", "a whole number", 0, 2**31 - 1)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got '{text}'") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value}")
    return value


#: smallest window --geometry accepts (pixels); the default layout is made for 1280x720
MIN_GEOMETRY = (640, 480)


def _geometry(text: str) -> tuple[int, int]:
    """``--geometry WxH`` (pixels, e.g. "1280x720") -> ``(width, height)``."""
    w, sep, h = text.lower().partition("x")
    if not sep or not w.strip().isdigit() or not h.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels such as 1280x720, got '{text}'")
    size = (int(w), int(h))
    if size[0] < MIN_GEOMETRY[0] or size[1] < MIN_GEOMETRY[1] or max(size) > 16384:
        raise argparse.ArgumentTypeError(
            f"window size {size[0]}x{size[1]} is outside {MIN_GEOMETRY[0]}x{MIN_GEOMETRY[1]}..16384x16384")
    return size


def _speed(text: str) -> float:
    from app.sim.clock import check_speed

    try:
        return check_speed(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _data_file(text: str, default, example: str) -> Path | None:
    """A data-file option (``--sim-state``, ``--journal``): 'none' -> None, 'default' ->
    ``default()`` (the file in the user data folder), else that path, whose folder must
    exist and which must not be a directory (``ValueError`` with the reason otherwise)."""
    if text.strip().lower() == "none":
        return None
    if text == "default":
        return default()
    path = Path(text).expanduser()
    if path.is_dir():
        raise ValueError(f"'{text}' is a directory; give a file name like {example}")
    if not path.resolve().parent.is_dir():
        raise ValueError(f"folder '{path.resolve().parent}' does not exist")
    return path


def _sim_state(text: str, profile: str = "default") -> Path | None:
    """``--sim-state``: the demo account's SQLite file (default: the profile's XDG data file,
    ``sim-state.sqlite`` for the default profile, ``sim-state-<profile>.sqlite`` otherwise, so
    two demo windows with different profiles never share one). ValueError as ``_data_file``."""
    from app.simlauncher import default_state_path

    def default() -> Path:
        try:
            return default_state_path(profile=profile)
        except ValueError:       # a bad --profile: parse_args reports it right after
            return default_state_path()

    return _data_file(text, default, "sim-state.sqlite")


def _journal(text: str, profile: str) -> Path | None:
    """``--journal``: the audit journal file (default: the profile's file in the user data
    folder; 'none' = no journal)."""
    from app.journal import default_journal_path

    return _data_file(text, lambda: default_journal_path(profile), "journal.sqlite")


def _theme(text: str) -> str:
    from app.ui.appearance import check_theme

    try:
        return check_theme(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ibdesk",
        description="Desktop trading terminal for Interactive Brokers. With no connection "
                    "arguments it starts an embedded simulated IB Gateway (demo mode).",
        epilog="Ports: TWS live 7496, TWS paper 7497, IB Gateway live 4001, IB Gateway paper 4002. "
               "Enable 'ActiveX and Socket Clients' in TWS: File > Global Configuration > API > Settings.")
    conn = p.add_argument_group("connection to a real TWS / IB Gateway")
    conn.add_argument("--host", help="TWS / IB Gateway host (default 127.0.0.1 when --port is given)")
    conn.add_argument("--port", type=_port, help="TWS / IB Gateway API port (7496, 7497, 4001, 4002)")
    conn.add_argument("--client-id", type=_client_id, default=None,
                      help="API client id, unique per connection (default 1)")
    conn.add_argument("--connect-timeout", type=_positive, default=10.0,
                      help="seconds to wait for the connection (default 10)")
    conn.add_argument("--yes-live", action="store_true",
                      help="do not ask for confirmation when connecting to a live-trading port")
    demo = p.add_argument_group("demo mode (embedded simulated IB Gateway)")
    demo.add_argument("--seed", type=int, default=None, help="market model seed (reproducible prices)")
    demo.add_argument("--bars", type=Path, default=None, metavar="DIR",
                      help="replay real OHLCV CSV files from DIR (SYMBOL.csv: Date,Open,High,Low,Close,Volume)")
    demo.add_argument("--sim-start", default="market", metavar="WHEN",
                      help="simulated clock: 'market' (default: now when US stocks trade in regular "
                           "hours, else replay from 10:00 New York of the latest weekday), 'now' "
                           "(wall clock; a closed market stays closed), or an ISO date-time with offset")
    demo.add_argument("--sim-state", default="default", metavar="FILE",
                      help="SQLite file that keeps the demo account (cash, positions, GTC orders, "
                           "executions) across restarts; default "
                           "$XDG_DATA_HOME/ibdesk/sim-state.sqlite (~/.local/share/ibdesk/...), "
                           "sim-state-<profile>.sqlite with --profile; one gateway per file; "
                           "'none' keeps nothing")
    demo.add_argument("--sim-speed", type=_speed, default=1.0, metavar="X",
                      help="simulated clock runs X times as fast as the wall clock (default 1; "
                           "60 = an hour of trading per minute)")
    p.add_argument("--screenshot", type=Path, metavar="FILE",
                   help="start, wait until quotes and the chart have loaded, save the window to FILE, exit")
    p.add_argument("--screenshot-timeout", type=_positive, default=60.0,
                   help="seconds to wait for data before --screenshot gives up (default 60)")
    p.add_argument("--read-only", action="store_true",
                   help="refuse every order command (place, modify, cancel); quotes, charts and "
                        "account data keep flowing (also a toggle in the Trading menu)")
    p.add_argument("--journal", default="default", metavar="FILE",
                   help="audit journal of every order action (SQLite); default: "
                        "$XDG_DATA_HOME/ibdesk/journal-<profile>.sqlite; 'none' = no journal")
    p.add_argument("--api-log", action="store_true",
                   help="log every API message sent to and received from TWS / IB Gateway to "
                        "$XDG_STATE_HOME/ibdesk/<profile>/api.log (~/.local/state/...), like TWS's "
                        "'API logging' (also Help > API message log); the main log is ibdesk.log there")
    p.add_argument("--theme", type=_theme, default=None, metavar="{light,dark,system}",
                   help="colour theme for this run: light, dark or system (follow the desktop); "
                        "default: the profile's choice (View > Theme), else system")
    p.add_argument("--profile", default="default",
                   help="settings profile name (window layout, watchlist, ticket options)")
    p.add_argument("--reset-layout", action="store_true", help="start with the default window layout")
    p.add_argument("--geometry", type=_geometry, metavar="WxH",
                   help="window size in pixels, e.g. 1280x720 (overrides the saved size; with "
                        "--screenshot the picture has this size)")
    return p


def parse_args(argv: list[str] | None = None) -> Options:
    """Parse ``argv``; exits with status 2 and a specific message on bad input (argparse)."""
    parser = build_parser()
    a = parser.parse_args(argv)
    demo = a.host is None and a.port is None
    if demo and a.client_id is not None:
        parser.error("--client-id needs --port (and optionally --host): it selects a real TWS/IB Gateway connection")
    if not demo and (a.seed is not None or a.bars is not None or a.sim_start != "market"
                     or a.sim_state != "default" or a.sim_speed != 1.0):
        parser.error("--seed, --bars, --sim-start, --sim-state and --sim-speed apply only to "
                     "demo mode (without --host/--port)")
    try:
        sim_state = _sim_state(a.sim_state, a.profile) if demo else None
    except ValueError as e:
        parser.error(f"--sim-state: {e}")
    from app.sim.clock import parse_start_time
    try:
        parse_start_time(a.sim_start)
    except ValueError as e:
        parser.error(f"--sim-start: {e}")
    if a.host is not None and a.port is None:
        parser.error("--host needs --port (TWS: 7496 live / 7497 paper; IB Gateway: 4001 live / 4002 paper)")
    if a.bars is not None and not a.bars.is_dir():
        parser.error(f"--bars: '{a.bars}' is not a directory")
    if a.screenshot is not None:
        parent = a.screenshot.expanduser().resolve().parent
        if not parent.is_dir():
            parser.error(f"--screenshot: folder '{parent}' does not exist")
        if a.screenshot.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp"):
            parser.error("--screenshot: use a .png, .jpg or .bmp file name")
    try:
        check_profile(a.profile)
    except ValueError as e:
        parser.error(f"--profile: {e}")
    try:
        journal = _journal(a.journal, a.profile)
    except ValueError as e:
        parser.error(f"--journal: {e}")
    return Options(
        host=a.host or "127.0.0.1",
        port=a.port,
        client_id=1 if a.client_id is None else a.client_id,
        demo=demo,
        screenshot=a.screenshot,
        screenshot_timeout=a.screenshot_timeout,
        seed=a.seed,
        bars_dir=a.bars,
        profile=a.profile,
        reset_layout=a.reset_layout,
        yes_live=a.yes_live,
        connect_timeout=a.connect_timeout,
        sim_start=a.sim_start,
        sim_state=sim_state,
        sim_speed=a.sim_speed,
        read_only=a.read_only,
        journal=journal,
        api_log=a.api_log,
        theme=a.theme,
        geometry=a.geometry,
    )
