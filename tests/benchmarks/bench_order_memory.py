"""On-demand benchmark: resident memory per order of another client, without a gateway (issue 12).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.bench_order_memory
[--orders 10000] [--json FILE]``

Feeds ``--orders`` TWS orders (openOrder of the recorded v178 vector, then orderStatus
Submitted; ``tests.unit.broker.test_tradeslim``) to ib_async's decoder of a Session with the
journal tap, a Journal and its JournalView (up to 5,000 rows), and the blotter's OrdersModel
behind an OrderFilterProxy, as the terminal wires them; reports RSS growth per order (psutil,
bytes). Each variant runs in its own child process (RSS is per process): ``slim`` (as shipped)
and ``whole`` (``app.broker.tradeslim`` not installed: ib_async's own Trade objects), side by
side. Figures on a 2-core machine move by ~100 B per order between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def measure(orders: int, slim: bool) -> dict:
    import gc

    import psutil
    from PySide6.QtWidgets import QApplication

    from app.broker import tradeslim
    from app.broker.journal_tap import attach_journal
    from app.journal import Journal
    from app.ui.journal_view import JournalView
    from app.viewmodels.orders import OrderFilterProxy, OrdersModel
    from tests.unit.broker import test_tradeslim as feed

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if not slim:
        tradeslim.install = lambda ib, own: False
    from app.broker import Session

    s = Session("127.0.0.1", 1, feed.OWN_CLIENT)
    s.ib.client.decoder.serverVersion = 178
    s.ib.wrapper.lastTime = feed.T0
    tmp = tempfile.TemporaryDirectory(prefix="ibdesk-bench-order-memory-")
    journal = Journal(os.path.join(tmp.name, "journal.sqlite"), client_id=feed.OWN_CLIENT)
    attach_journal(journal, s)
    view = JournalView(journal, refresh_ms=100)
    model = OrdersModel(s)
    proxy = OrderFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(0)
    feed.feed_tws_orders(s, 50, status="Submitted")          # first-time tables
    journal.flush()
    app.processEvents()
    gc.collect()
    rss0 = psutil.Process().memory_info().rss
    interpret = s.ib.client.decoder.interpret
    t0 = time.monotonic()
    for i in range(orders):
        interpret(feed.open_order_fields(0, 0, 90_000 + i, 1.0))
        interpret(feed.order_status_fields(0, 0, 90_000 + i, "Submitted"))
        if i % 500 == 0:
            app.processEvents()
    journal.flush()
    view.refresh()
    app.processEvents()
    gc.collect()
    out = {"rss_bytes_per_order": round((psutil.Process().memory_info().rss - rss0) / orders),
           "rows": model.rowCount(), "journal_rows": view.model.rowCount(),
           "seconds": round(time.monotonic() - t0, 1)}
    journal.close()
    tmp.cleanup()
    return out


def main(orders: int) -> dict:
    out: dict = {"orders": orders}
    for variant in ("slim", "whole"):
        r = subprocess.run([sys.executable, "-m", "tests.benchmarks.bench_order_memory", "--child",
                            variant, "--orders", str(orders)], capture_output=True, text=True,
                           check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        out[variant] = json.loads(r.stdout.strip().splitlines()[-1])
    out["ratio_slim_to_whole"] = round(out["slim"]["rss_bytes_per_order"]
                                       / out["whole"]["rss_bytes_per_order"], 2)
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=10_000)
    p.add_argument("--json", metavar="FILE", help="also write the summary to FILE")
    p.add_argument("--child", choices=("slim", "whole"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        print(json.dumps(measure(a.orders, a.child == "slim")))
        sys.exit(0)
    text = json.dumps(main(a.orders), indent=2)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
