"""Launch -> first painted quote and first chart frame of the real ``ibdesk`` in demo mode
(not collected by pytest).

Run headless::

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.bench_startup [--json FILE] [--runs 5]

Each run starts ``python -m app`` (the ``ibdesk`` command; demo mode: it starts the simulated
gateway child itself) with a fresh HOME and XDG folders (a new profile, no saved state) and
``IBDESK_REPORT_STARTUP`` pointing at a file (``app.startup_report``), takes the launch time
with ``time.monotonic()`` just before the process starts, and reads the moments the app
writes: ``first_quote_paint_s`` (the watchlist painted with a quote) and
``first_chart_frame_s`` (the chart painted with its loaded bars; ``chart_bars`` how many: the
demo chart's default selection, 5-minute bars; the simulated gateway serves at most ~30 days
of minutes, so a 100k-bar chart cannot come from it, see bench_stalls.py for 100k-1M bars).
Then the process is stopped (SIGTERM; the gateway child exits on its stdin EOF).
``import_floor_s``: ``python -c "import app.application"`` in the same run (the import floor).
Reports median and max over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(home: Path, report: Path | None) -> dict:
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_STATE_HOME=str(home / "state"),
               XDG_CACHE_HOME=str(home / "cache"), QT_QPA_PLATFORM="offscreen")
    if report is not None:
        env["IBDESK_REPORT_STARTUP"] = str(report)
    return env


def import_floor() -> float:
    """Seconds of ``python -c "import app.application"`` (interpreter start included)."""
    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-c", "import app.application"], cwd=ROOT, env=_env(Path(d), None),
                       check=True)
        return time.monotonic() - t0


def one_run(timeout: float = 60.0) -> dict:
    """One launch in a fresh profile; seconds from launch to each moment."""
    with tempfile.TemporaryDirectory() as d:
        home = Path(d)
        report = home / "startup.jsonl"
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=_env(home, report),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen: dict = {}
        try:
            while time.monotonic() - t0 < timeout and len(seen) < 2 and proc.poll() is None:
                time.sleep(0.02)
                if report.exists():
                    for line in report.read_text().splitlines():
                        rec = json.loads(line)
                        seen[rec["event"]] = rec
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
        out = {f"{k}_s": round(v["monotonic"] - t0, 3) for k, v in seen.items()}
        if "first_chart_frame" in seen:
            out["chart_bars"] = seen["first_chart_frame"]["bars"]
        if len(seen) < 2:
            out["error"] = f"only {sorted(seen)} within {timeout:.0f} s: {err.decode()[-500:]}"
        return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the results to this file")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    from tests.benchmarks.loopprobe import print_result

    floors, runs = [], []
    for i in range(args.runs):
        floors.append(import_floor())
        runs.append(one_run())
        print(i, round(floors[-1], 3), json.dumps(runs[-1]), file=sys.stderr)
    result: dict = {"runs": runs, "import_floor_s": _stats(floors)}
    for key in ("first_quote_paint_s", "first_chart_frame_s"):
        result[key] = _stats([r[key] for r in runs if key in r])
    print_result(result, args.json)
    return result


def _stats(xs: list[float]) -> dict:
    return {"median": round(statistics.median(xs), 3), "max": round(max(xs), 3)} if xs else {}


if __name__ == "__main__":
    main()
