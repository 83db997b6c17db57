"""On-demand benchmark: resident memory of the whole terminal under a full desk (issue 12).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.bench_memory
[--json FILE] [--stream-seconds 60] [--warmup-seconds 30] [--trace]``

One process builds the terminal as ``ibdesk --host 127.0.0.1 --port P --client-id N`` does
(``app.application.Terminal``: Session, journal, OrderCommands, every panel, MainWindow,
the connection supervisor, ``setup_logging`` and pyqtgraph's GarbageCollector, on a
``qasync`` loop; settings, journal and logs in a temporary XDG folder) connected to a
simulated gateway started as its own process (``python -m app.sim --universe 523
--master-client-id N --admin-stdin``). It prints the RSS (psutil, MB = 2**20 bytes) of
the terminal and of the gateway child at each step:

1. ``start``: connected, the default watchlist loaded;
2. ``watchlist_500``: the watchlist set to the first 500 instruments of the gateway's
   universe (the 23 default ones, then S0001...), resolved and streaming;
3. ``chart_1m``: a chart of 1,000,000 bars. The gateway serves about 30 days of minutes
   (IB's history limits too), so the chart's request goes to the gateway as usual
   (``Session.history``, keepUpToDate: the live bar keeps coming) and the answer is
   extended with older synthetic bars to 1M rows before the view-model gets it, the
   shape ``Session.history`` returns. ``chart_share_mb`` is this step's RSS increase;
4. ``orders_10k``: 10,000 working orders in the blotter, entered at the gateway as "TWS
   GUI" orders (admin ``manual-order SYMBOL BUY 100 LMT 1.00``, round-robin over the
   watchlist's stocks): IB sends each one (openOrder + orderStatus) to the master API
   client, which the terminal is, so they travel the socket, ib_async, the Session's order
   book, the journal and the orders view-model like any order of the account. This step
   takes 10-15 minutes at 10,000 orders: ``BlotterView._update_buttons`` scans every order
   on each inserted row (quadratic; none of them is this client's, so ``any`` never stops);
5. streaming: the gateway's ``firehose 500 5000`` (5,000 quote changes per second over the
   500 symbols, unconflated) for ``--warmup-seconds`` (not counted as growth, reported as
   ``warmup_growth_mb``), then ``--stream-seconds`` measured: RSS sampled every 2 s,
   ``growth_mb_per_min`` from the end points and from a least-squares slope. The rate the
   gateway reached is its ``tick_rate`` in ``gateway_status`` (a loaded 2-core machine
   gives less than asked), the link's state changes are ``connection_states``.

``--trace`` runs ``tracemalloc`` from the orders step on (RSS figures then include its
cost: use them from a run without it) and prints the biggest differences by source line
over the orders step and over the measured streaming window (its own memory growth is
subtracted from the RSS growth there). Peak RSS is the kernel's high-water mark (VmHWM).
Targets (2-core machine): RSS < 400 MB with all of the above; growth < 5 MB/min.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

MB = 1024 * 1024
UNIVERSE = 523           # the 23 default instruments + S0001..S0500
WATCHLIST = 500
CHART_BARS = 1_000_000
ORDERS = 10_000
CLIENT_ID = 7


def rss_mb(pid: int | None = None) -> float:
    import psutil

    return round(psutil.Process(pid).memory_info().rss / MB, 1)


def peak_rss_mb() -> float:
    """This process's RSS high-water mark (Linux VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class Gateway:
    """``python -m app.sim`` as a child process, its admin interface on stdin/stdout."""

    def __init__(self, universe: int, master_client_id: int):
        cmd = [sys.executable, "-m", "app.sim", "--port", "0", "--universe", str(universe),
               "--master-client-id", str(master_client_id), "--start-time", "market",
               "--admin-stdin", "--log-level", "WARNING"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("IBDESK-SIM LISTENING "):
            raise RuntimeError(f"gateway did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])

    def commands(self, lines: list[str]) -> list[str]:
        """Send admin ``lines`` and return their replies (blocking; a few ms per 100)."""
        self.proc.stdin.write("".join(line + "\n" for line in lines))
        self.proc.stdin.flush()
        replies = [self.proc.stdout.readline().strip() for _ in lines]
        bad = [r for r in replies if not r.startswith("OK")]
        if bad:
            raise RuntimeError(f"gateway admin refused: {bad[:3]}")
        return replies

    def status(self) -> str:
        """The admin ``status`` line (tick rate, clients, orders), or the error it gave."""
        try:
            return self.commands(["status"])[0]
        except RuntimeError as e:
            return str(e)

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(5)
        except Exception:
            self.proc.kill()


def display_symbols(n: int) -> list[str]:
    """Watchlist text of the gateway's first ``n`` instruments (EUR.USD for cash pairs)."""
    from app.sim.instruments import universe

    out = []
    for inst in universe(max(n, 23))[:n]:
        c = inst.contract
        out.append(f"{c.symbol}.{c.currency}" if c.sec_type == "CASH" else c.symbol)
    return out


def older_bars(frame, n: int, bar_seconds: int):
    """``frame`` (``app.domain.bars`` columns, times UTC) preceded by synthetic bars (a
    random walk ending at the first real open) so that it has ``n`` rows."""
    import numpy as np
    import pandas as pd

    k = n - len(frame)
    if k <= 0:
        return frame
    first_t = frame["time"].iloc[0] if len(frame) else pd.Timestamp.now(tz="UTC")
    first_p = float(frame["open"].iloc[0]) if len(frame) else 100.0
    rng = np.random.default_rng(12)
    close = first_p * np.exp(np.cumsum(rng.normal(0, 4e-4, k))[::-1] * -1)
    opn = np.concatenate(([close[0]], close[:-1]))
    spread = np.abs(rng.normal(0, 2e-4, k)) * close
    times = first_t - pd.to_timedelta(np.arange(k, 0, -1) * bar_seconds, unit="s")
    old = pd.DataFrame({"time": times, "open": opn, "high": np.maximum(opn, close) + spread,
                        "low": np.minimum(opn, close) - spread, "close": close,
                        "volume": rng.integers(100, 10_000, k).astype("float64")})
    return pd.concat([old, frame], ignore_index=True)


def big_chart_history(session, n: int):
    """Make the chart's next live history request (keepUpToDate, no end) ``n`` bars long."""
    from app.domain.bars import bar_size_seconds

    real = session.history

    async def history(instrument, bar_size, duration=None, keep_up_to_date=True, end=None):
        sub_id, frame = await real(instrument, bar_size, duration, keep_up_to_date, end)
        if keep_up_to_date and end is None:
            frame = older_bars(frame, n, bar_size_seconds(bar_size))
        return sub_id, frame

    session.history = history


class Streaming:
    """Counts quotes the Session delivers (``quotesEvent``: one per ticker changed in a socket
    read) and the API messages ib_async decoded (``_numMsgRecv``); keeps the connection
    states (``stateEvent``)."""

    def __init__(self, session):
        self.quotes = 0
        self.states: list[str] = []       # connection states seen (the link should stay up)
        self.client = session.ib.client
        session.quotesEvent += self.on_quotes
        session.stateEvent += self.on_state

    def on_state(self, state, message: str = "") -> None:
        self.states.append(f"{state.name}: {message}" if message else state.name)

    @property
    def messages(self) -> int:
        return self.client._numMsgRecv

    def on_quotes(self, quotes) -> None:
        self.quotes += len(quotes)


async def wait_for(pred, timeout: float, what: str, step: float = 0.2) -> float:
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(step)
    return round(time.monotonic() - t0, 1)


def top_growth(first, last, n: int = 15) -> dict:
    """The ``n`` biggest tracemalloc differences by source line and by file, and the total."""
    def rows(key: str) -> list[dict]:
        stats = last.compare_to(first, key)
        return [{"where": f"{s.traceback[0].filename}" + (f":{s.traceback[0].lineno}"
                                                          if key == "lineno" else ""),
                 "size_diff_kb": round(s.size_diff / 1024, 1), "count_diff": s.count_diff}
                for s in stats[:n]]
    total = sum(s.size_diff for s in last.compare_to(first, "filename"))
    return {"total_mb": round(total / MB, 1), "by_line": rows("lineno"), "by_file": rows("filename")}


def _slope_mb_per_min(samples: list[tuple[float, float]]) -> float:
    n = len(samples)
    if n < 2:
        return float("nan")
    mt = sum(t for t, _ in samples) / n
    mr = sum(r for _, r in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    return round(sum((t - mt) * (r - mr) for t, r in samples) / var * 60, 2)


async def run_desk(terminal, gw: Gateway, args, out: dict) -> None:
    import gc
    import tracemalloc

    panels, session = terminal.panels, terminal.session
    steps = out["steps"]

    def step(name: str, **extra) -> None:
        steps[name] = {"rss_mb": rss_mb(), "gateway_rss_mb": gw.rss_mb(), **extra}
        print(f"{name}: {steps[name]}", file=sys.stderr, flush=True)

    if not await terminal.connect():
        raise RuntimeError("terminal did not connect to the gateway")
    terminal.supervisor.start()
    chart = panels.chart_model
    await wait_for(lambda: panels.watchlist_model.is_ready() and chart.count and not chart.loading,
                   120, "the default watchlist and chart")
    await asyncio.sleep(1)
    step("start", rows=panels.watchlist_model.rowCount(), chart_bars=chart.count)

    skipped = panels.watchlist_model.set_symbols(display_symbols(args.symbols))
    assert not skipped, skipped
    took = await wait_for(panels.watchlist_model.is_ready, 180, f"{args.symbols} watchlist rows")
    await asyncio.sleep(1)
    step("watchlist_500", rows=panels.watchlist_model.rowCount(), seconds=took)

    big_chart_history(session, args.bars)
    shown = chart.instrument
    other = next(i for i in panels.watchlist_model.instruments()
                 if i.sec_type == "STK" and i != shown)
    panels.select_instrument(other)
    took = await wait_for(lambda: not chart.loading and chart.count >= args.bars, 180,
                          f"a {args.bars}-bar chart")
    await asyncio.sleep(2)               # the view builds its pyramid and paints
    step("chart_1m", bars=chart.count, seconds=took, bar_size=chart.bar_size,
         bar_arrays_mb=round(sum(a.nbytes for a in (chart.bars.times, chart.bars.opens,
                                                    chart.bars.highs, chart.bars.lows,
                                                    chart.bars.closes, chart.bars.volumes)) / MB, 1))
    out["chart_share_mb"] = round(steps["chart_1m"]["rss_mb"] - steps["watchlist_500"]["rss_mb"], 1)

    if args.trace:
        tracemalloc.start(1)
        before_orders = tracemalloc.take_snapshot()
    stocks = [s for s in display_symbols(args.symbols) if "." not in s]
    lines = [f"manual-order {stocks[i % len(stocks)]} BUY 100 LMT 1.00" for i in range(args.orders)]
    t0 = time.monotonic()
    for i in range(0, len(lines), 200):
        await asyncio.get_running_loop().run_in_executor(None, gw.commands, lines[i:i + 200])
    orders = panels.orders_model
    await wait_for(lambda: orders.rowCount() >= args.orders, 300, f"{args.orders} blotter rows")
    await asyncio.sleep(2)
    step("orders_10k", rows=orders.rowCount(), seconds=round(time.monotonic() - t0, 1))
    if args.trace:
        out["tracemalloc_orders_top"] = top_growth(before_orders, tracemalloc.take_snapshot(), 25)

    counter = Streaming(session)
    gw.commands([f"firehose {args.symbols} {args.rate}"])
    t0 = time.monotonic()
    await asyncio.sleep(args.warmup_seconds)
    gc.collect()
    step("warmed_up", quotes=counter.quotes)
    warm_rss = steps["warmed_up"]["rss_mb"]
    out["warmup_growth_mb"] = round(warm_rss - steps["orders_10k"]["rss_mb"], 1)

    first = None
    if args.trace:
        first = tracemalloc.take_snapshot()
        trace0_mb = tracemalloc.get_tracemalloc_memory() / MB
    samples, q0, m0, t_start = [], counter.quotes, counter.messages, time.monotonic()
    while (t := time.monotonic() - t_start) < args.stream_seconds:
        samples.append((t, rss_mb()))
        await asyncio.sleep(2)
    gc.collect()
    elapsed = time.monotonic() - t_start
    samples.append((elapsed, rss_mb()))
    trace_mb = 0.0
    if first is not None:
        last = tracemalloc.take_snapshot()
        trace_mb = tracemalloc.get_tracemalloc_memory() / MB - trace0_mb
        out["tracemalloc_top_growth"] = top_growth(first, last)
        tracemalloc.stop()
    step("streamed", quotes=counter.quotes, seconds=round(elapsed, 1))
    grew = samples[-1][1] - samples[0][1] - trace_mb
    out["streaming"] = {
        "firehose": f"{args.symbols} symbols, {args.rate} quote changes/s",
        "quotes_per_s_received": round((counter.quotes - q0) / elapsed),
        "api_messages_per_s": round((counter.messages - m0) / elapsed),
        "gateway_status": gw.status(),
        "connection_states": counter.states,
        "growth_mb": round(grew, 1),
        "growth_mb_per_min": round(grew / elapsed * 60, 2),
        "growth_mb_per_min_slope": _slope_mb_per_min(samples),
        "tracemalloc_own_mb": round(trace_mb, 1),
        "rss_samples_mb": [r for _, r in samples],
    }


def main(args) -> dict:
    tmp = tempfile.TemporaryDirectory(prefix="ibdesk-bench-memory-")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = os.path.join(tmp.name, var.lower())

    import qasync
    from PySide6.QtWidgets import QApplication
    from pyqtgraph.util.garbage_collector import GarbageCollector

    from app.application import Terminal
    from app.cli import parse_args
    from app.logfiles import setup_logging

    gw = Gateway(UNIVERSE, CLIENT_ID)
    out: dict = {"symbols": args.symbols, "chart_bars": args.bars, "orders": args.orders,
                 "stream_seconds": args.stream_seconds, "warmup_seconds": args.warmup_seconds,
                 "steps": {}}
    terminal = None
    try:
        opts = parse_args(["--host", "127.0.0.1", "--port", str(gw.port), "--client-id",
                           str(CLIENT_ID), "--profile", "benchmem", "--connect-timeout", "120"])
        log_folder = setup_logging(opts.profile)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        collector = GarbageCollector(interval=0.5)  # noqa: F841 (as app.application.run)
        terminal = Terminal(opts, gw.port, simulated=False, log_folder=log_folder)
        terminal.window.show()
        with loop:
            loop.run_until_complete(run_desk(terminal, gw, args, out))
        out["peak_rss_mb"] = peak_rss_mb()
        out["final_rss_mb"] = rss_mb()
        out["targets"] = {
            "rss_below_400_mb": out["peak_rss_mb"] < 400,
            "growth_below_5_mb_per_min": out["streaming"]["growth_mb_per_min"] < 5}
    finally:
        if terminal is not None:
            terminal.shutdown()
        gw.stop()
        tmp.cleanup()
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", metavar="FILE", help="also write the summary to FILE")
    p.add_argument("--stream-seconds", type=float, default=60.0)
    p.add_argument("--warmup-seconds", type=float, default=30.0)
    p.add_argument("--symbols", type=int, default=WATCHLIST)
    p.add_argument("--bars", type=int, default=CHART_BARS)
    p.add_argument("--orders", type=int, default=ORDERS)
    p.add_argument("--rate", type=int, default=5000, help="firehose quote changes per second")
    p.add_argument("--trace", action="store_true", help="tracemalloc diff of the measured window")
    a = p.parse_args()
    summary = main(a)
    text = json.dumps(summary, indent=2)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
