"""On-demand benchmark: what staleness (issue 11) costs the watchlist while data is live.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.bench_watchlist_stale [SYMBOLS] [BATCHES]``

Feeds the same quote batches (every symbol once per batch) to two watchlists in one
process, alternating rounds so machine noise hits both alike:

- ``shipped``: ``WatchlistModel`` + ``WatchlistView`` as the terminal builds them
  (``StaleRows`` role checks in ``data``, ``touch`` per quote);
- ``baseline``: the same classes with the staleness hooks replaced by the plain
  ``RecordTableModel.data`` and a no-op ``touch``.

Each batch is applied, flushed (the coalescing timer's work) and painted (``repaint``).
Prints JSON: microseconds per batch (median of rounds) for both and their ratio.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _contracts(n: int):
    from app.domain import Instrument

    return [Instrument(f"S{i:04d}", "STK", "SMART", "USD", "NASDAQ", 100000 + i, 0.01, f"S{i:04d}",
                       f"STOCK {i}") for i in range(n)]


def _desk(n: int, plain: bool, loop):
    from app.ui.watchlist import WatchlistView
    from app.viewmodels.table import RecordTableModel
    from app.viewmodels.watchlist import WatchlistModel
    from tests.fakes import FakeSession

    session = FakeSession(contracts=_contracts(n))
    model = WatchlistModel(session, interval_ms=1_000_000)   # flushed by hand below
    if plain:
        model.data = lambda index, role=0: RecordTableModel.data(model, index, role)
        model.touch = lambda key: None
    model.set_symbols([f"S{i:04d}" for i in range(n)])
    loop.run_until_complete(model.start())
    view = WatchlistView(model)
    view.resize(900, 1000)
    view.show()
    return session, model, view


def _round(session, model, view, batches: int, step: int) -> float:
    from dataclasses import replace

    from PySide6.QtWidgets import QApplication

    keys = list(session.subscribed)
    base = {k: session.quote(k) for k in keys}
    t0 = time.perf_counter()
    for b in range(batches):
        px = 100.0 + ((b + step) % 50) * 0.01
        batch = [replace(base[k], bid=px, ask=px + 0.01, last=px, volume=1000.0 + b) for k in keys]
        session.quotesEvent.emit(batch)
        model.dirty.flush_now()
        view.table.viewport().repaint()
        QApplication.processEvents()
    return (time.perf_counter() - t0) / batches * 1e6


def main(symbols: int = 200, batches: int = 40, rounds: int = 7) -> dict:
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    desks = {"shipped": _desk(symbols, False, loop), "baseline": _desk(symbols, True, loop)}
    for s, _, _ in desks.values():       # first quotes: every row has values
        for inst in s.contracts.values():
            s.push_quote(inst.display_symbol, bid=100.0, ask=100.01, last=100.0, close=99.0,
                         volume=1000.0)
    times = {name: [] for name in desks}
    for r in range(rounds):
        for name in (("shipped", "baseline") if r % 2 == 0 else ("baseline", "shipped")):
            times[name].append(_round(*desks[name], batches, r * batches))
    out = {name: round(statistics.median(v[1:]), 1) for name, v in times.items()}
    return {"symbols": symbols, "batches_per_round": batches, "rounds": rounds,
            "us_per_batch_shipped": out["shipped"], "us_per_batch_baseline": out["baseline"],
            "ratio_shipped_to_baseline": round(out["shipped"] / out["baseline"], 3)}


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*args), indent=2))
