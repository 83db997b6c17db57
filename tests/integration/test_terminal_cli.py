"""``ibdesk`` as a user runs it: the demo-mode child gateway and ``--screenshot``.

The screenshot smoke test starts the real program (``python -m app``) headless:
it launches the simulated gateway as a child process, connects, waits until the
watchlist has quotes and the chart has bars, saves the window and exits 0.
Settings go to a temporary XDG_CONFIG_HOME, never the user's own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.simlauncher import GatewayStartError, SimulatedGatewayProcess

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


def test_child_gateway_starts_on_a_free_port_and_stops():
    gw = SimulatedGatewayProcess(seed=3)
    port = gw.start()
    try:
        assert 0 < port < 65536
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            pass
    finally:
        gw.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_child_gateway_bad_bars_dir_is_a_clear_error(tmp_path):
    gw = SimulatedGatewayProcess(bars_dir=str(tmp_path / "missing"))
    with pytest.raises(GatewayStartError) as ei:
        gw.start(timeout=20)
    assert "missing" in str(ei.value)


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), HOME=str(tmp_path))
    return env


def test_screenshot_smoke(tmp_path):
    from PySide6.QtGui import QImage

    out = tmp_path / "shot.png"
    p = subprocess.run([sys.executable, "-m", "app", "--screenshot", str(out), "--seed", "5",
                        "--screenshot-timeout", "60"],
                       cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=110)
    assert p.returncode == 0, f"stdout: {p.stdout}\nstderr: {p.stderr}"
    assert f"screenshot saved to {out}" in p.stdout
    # a clean exit: every background task (link probe, reconnect timer, gateway watchdog)
    # ended while the event loop still ran, so nothing is destroyed pending or logged at
    # interpreter shutdown
    assert "Task was destroyed" not in p.stderr and "Logging error" not in p.stderr, p.stderr
    img = QImage(str(out))
    assert not img.isNull()
    assert img.width() >= 1000 and img.height() >= 600
    # not a blank window: the picture has many distinct colours (candles, tables, banner)
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 50
    # the settings of that run went to the temporary profile, with the watchlist saved
    ini = tmp_path / "config" / "ibdesk" / "default.ini"
    assert ini.exists() and "AAPL" in ini.read_text()
    # the demo account is kept for the next start (simulated gateway state, SQLite)
    assert (tmp_path / "data" / "ibdesk" / "sim-state.sqlite").exists()


def test_screenshot_against_nothing_listening_fails_clearly(tmp_path):
    # a port bound but not listening, held for the whole run: refused, and no other process
    # (a gateway another test left starting) can take it in between, as it could once closed
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        out = tmp_path / "shot.png"
        try:
            p = subprocess.run([sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port),
                                "--client-id", "5", "--connect-timeout", "2", "--screenshot", str(out),
                                "--screenshot-timeout", "5"],
                               cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired as e:     # say what the terminal was doing
            err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
            pytest.fail(f"ibdesk did not exit within 60 s; the end of its stderr:\n{err[-3000:]}")
    assert p.returncode == 1
    assert "not connected" in p.stderr
