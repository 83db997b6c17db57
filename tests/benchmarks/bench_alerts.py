"""On-demand benchmark: what alert evaluation costs on a busy quote stream.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.bench_alerts [SYMBOLS] [TICKS_PER_S] [SECONDS]``

500 alerts on 500 symbols (one per symbol: price above / below 0.25 % from the start price,
repeating, so some fire and re-arm while the prices wander), fed 5,000 quote updates a
second in batches of 50 (one batch per socket read, as ``Session.quotesEvent`` delivers
them) for ``SECONDS`` of stream. The quotes are made up front; only the emit and the
handlers are timed (``time.process_time``, CPU of this process). Measured in one run,
alternating rounds:

- ``shipped``: ``AlertsModel`` (engine, list and log models, notifier-less) on
  ``FakeSession.quotesEvent``, persisted to a temporary file;
- ``baseline``: the same emits with a no-op handler (the event plumbing alone);
- ``naive``: a handler that checks every alert on every quote (no index), for scale.

Prints JSON: CPU % of one core per variant at the given tick rate, alerts fired, and the
shipped minus baseline cost (the target: shipped < 5 %).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BATCH = 50


def _contracts(n: int):
    from app.domain import Instrument

    return [Instrument(f"S{i:04d}", "STK", "SMART", "USD", "NASDAQ", 100000 + i, 0.01, f"S{i:04d}",
                       f"STOCK {i}") for i in range(n)]


def _batches(contracts, ticks: int, seed: int = 3):
    from app.domain import Quote

    rnd = random.Random(seed)
    px = {c.key: 100.0 for c in contracts}
    keys = list(px)
    out = []
    for b in range(ticks // BATCH):
        batch = []
        for k in rnd.sample(keys, BATCH):
            px[k] = max(1.0, px[k] + rnd.choice((-0.05, 0.05)))
            p = round(px[k], 2)
            batch.append(Quote(k, bid=p - 0.01, ask=p + 0.01, last=p, volume=1000.0 + b, close=100.0))
        out.append(batch)
    return out


def _round(session, batches) -> float:
    t0 = time.process_time()
    emit = session.quotesEvent.emit
    for batch in batches:
        emit(batch)
    return time.process_time() - t0


def main(symbols: int = 500, rate: int = 5_000, seconds: float = 4.0, rounds: int = 5) -> dict:
    from PySide6.QtWidgets import QApplication

    from app.domain.alerts import Alert, AlertKind, quote_price
    from app.viewmodels.alerts import AlertsModel
    from tests.fakes import FakeSession

    app = QApplication.instance() or QApplication([])
    contracts = _contracts(symbols)
    batches = _batches(contracts, int(rate * seconds))
    folder = tempfile.mkdtemp(prefix="bench_alerts")

    shipped = FakeSession(contracts=contracts)
    model = AlertsModel(shipped, path=os.path.join(folder, "bench.alerts.json"))
    alerts = []
    for i, c in enumerate(contracts):
        kind = AlertKind.PRICE_ABOVE if i % 2 else AlertKind.PRICE_BELOW
        alerts.append(model.add(Alert(kind, c, level=100.25 if i % 2 else 99.75, repeat=True)))
    fired = []
    model.fired.connect(lambda a, m: fired.append(1))

    plain = FakeSession(contracts=contracts)
    plain.quotesEvent += lambda quotes: None

    naive = FakeSession(contracts=contracts)

    def check_all(quotes):
        for q in quotes:
            for a in alerts:
                if a.key == q.key:
                    p = quote_price(q)
                    _ = p >= a.level if a.kind is AlertKind.PRICE_ABOVE else p <= a.level
    naive.quotesEvent += check_all

    times = {"shipped": [], "baseline": [], "naive": []}
    sessions = {"shipped": shipped, "baseline": plain, "naive": naive}
    for r in range(rounds):
        order = list(times) if r % 2 == 0 else list(reversed(times))
        for name in order:
            times[name].append(_round(sessions[name], batches))
            app.processEvents()
    model.close()
    cpu = {k: statistics.median(v) / seconds * 100.0 for k, v in times.items()}
    return {"symbols": symbols, "alerts": len(alerts), "ticks_per_s": rate, "batch": BATCH,
            "stream_seconds": seconds, "rounds": rounds,
            "cpu_pct_one_core_shipped": round(cpu["shipped"], 2),
            "cpu_pct_one_core_baseline": round(cpu["baseline"], 2),
            "cpu_pct_one_core_naive": round(cpu["naive"], 2),
            "cpu_pct_alerts_only": round(cpu["shipped"] - cpu["baseline"], 2),
            "fired_per_round": len(fired) // rounds, "target_pct": 5.0}


if __name__ == "__main__":
    a = sys.argv[1:]
    print(json.dumps(main(int(a[0]) if a else 500, int(a[1]) if len(a) > 1 else 5_000,
                          float(a[2]) if len(a) > 2 else 4.0), indent=2))
