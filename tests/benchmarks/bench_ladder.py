"""Depth ladder benchmark: a burst of 1,000 depth updates/s on one symbol (not collected by pytest).

Run headless from the worktree root::

    QT_QPA_PLATFORM=offscreen /work/main/.venv/bin/python tests/benchmarks/bench_ladder.py \
        [--seconds 5] [--json out.json] [--cumulative]

Two runs in one process over the same pre-built books (10 levels a side, a random walk of
the inside and of the sizes, 5 updates every 5 ms = 1,000 updates/s, each its own
``depthEvent`` batch as when every socket read carries one update: the worst case):

- ``baseline``: the same timer emits the same books to a plain handler (no model, no view);
- ``ladder``: a shown :class:`app.ui.ladder.LadderPanel` (41 rows, 520x900) over
  ``LadderModel``: coalesced ``dataChanged`` at most once per frame and the repaint;
  ``--cumulative`` shows cumulative sizes (``LadderModel.set_cumulative``), where one size
  change moves every deeper cumulative cell.

Reported (JSON on stdout): process CPU time over wall time of each run (% of one core),
``ladder_cpu_pct_of_core`` = ladder minus baseline (what the view-model and the view cost),
the updates delivered, ``dataChanged`` emissions and flush passes, and the target (< 20 %).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere (bench only)

RATE = 1000            # updates per second
PER_FIRE = 5           # updates per timer shot (every 5 ms)
TARGET_PCT = 20.0


def make_books(n: int, tick: float = 0.01, seed: int = 1):
    """``n`` (bids, asks) books: 10 levels a side around a random-walk inside, sizes in lots."""
    rng = random.Random(seed)
    mid = 10_000                     # tick index of the best bid
    sizes = [rng.randrange(1, 50) * 100 for _ in range(20)]
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.05:
            mid += rng.choice((-1, 1))
        sizes[rng.randrange(20)] = rng.randrange(1, 50) * 100
        bids = tuple((round((mid - i) * tick, 2), float(sizes[i])) for i in range(10))
        asks = tuple((round((mid + 1 + i) * tick, 2), float(sizes[10 + i])) for i in range(10))
        out.append((bids, asks))
    return out


def run(app, session, inst, books, seconds: float, handler_setup) -> dict:
    """Emit ``books`` at :data:`RATE` for ``seconds``; returns CPU% of one core and counts."""
    from PySide6.QtCore import QEventLoop, QTimer

    extra = handler_setup()
    loop = QEventLoop()
    state = {"i": 0}
    total = int(RATE * seconds)

    def fire():
        for _ in range(PER_FIRE):
            i = state["i"]
            if i >= total:
                timer.stop()
                QTimer.singleShot(50, loop.quit)    # let the last flush and paint happen
                return
            bids, asks = books[i % len(books)]
            session.push_book(inst, bids, asks)
            state["i"] = i + 1

    timer = QTimer()
    timer.setTimerType(timer.timerType().PreciseTimer)
    timer.setInterval(int(1000 * PER_FIRE / RATE))
    timer.timeout.connect(fire)
    app.processEvents()
    w0, c0 = time.perf_counter(), time.process_time()
    timer.start()
    loop.exec()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    out = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "cpu_pct_of_core": round(100 * cpu / wall, 1),
           "updates": state["i"], "updates_per_s": round(state["i"] / wall, 1)}
    out.update(extra() if callable(extra) else {})
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--json", help="also write the result to this file")
    ap.add_argument("--cumulative", action="store_true", help="the ladder shows cumulative sizes")
    args = ap.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from app.ui.ladder import LadderPanel
    from tests.fakes import CONTRACTS
    from tests.ladder_support import DepthFake

    app = QApplication.instance() or QApplication([])
    inst = CONTRACTS["AAPL"]
    books = make_books(int(RATE * args.seconds))

    base_session = DepthFake()
    base_session.subscribe_depth(inst)
    seen = []

    def plain():
        base_session.depthEvent += seen.append
        return lambda: {"handled": len(seen)}

    baseline = run(app, base_session, inst, books, args.seconds, plain)

    session = DepthFake()
    panel = None

    def ladder():
        nonlocal panel
        panel = LadderPanel(session, commands=None, rows=41)
        panel.resize(520, 900)
        panel.show()
        panel.set_instrument(inst)
        panel.model.set_cumulative(args.cumulative)
        changes = [0]
        panel.model.dataChanged.connect(lambda *_: changes.__setitem__(0, changes[0] + 1))
        app.processEvents()
        return lambda: {"data_changed": changes[0], "flush_passes": panel.model.dirty.passes,
                        "shown_bid": panel.model.best_bid()}

    result = run(app, session, inst, books, args.seconds, ladder)
    panel.close_model()
    cost = round(result["cpu_pct_of_core"] - baseline["cpu_pct_of_core"], 1)
    report = {"benchmark": "ladder_depth_burst", "rate_per_s": RATE, "seconds": args.seconds,
              "cumulative": args.cumulative,
              "baseline": baseline, "ladder": result, "ladder_cpu_pct_of_core": cost,
              "target_pct": TARGET_PCT, "meets_target": cost < TARGET_PCT,
              "platform": os.environ.get("QT_QPA_PLATFORM", ""), "python": sys.version.split()[0]}
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text)
    return report


if __name__ == "__main__":
    main()
