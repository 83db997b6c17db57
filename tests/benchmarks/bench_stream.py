"""On-demand benchmark: tick-to-screen latency of the watchlist under a busy feed (issue 12).

Run (about 25 minutes; ``--quick`` about 6)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.bench_stream [--json FILE] [--quick]

One simulated gateway (``tests.benchmarks.stream_gateway``: ``python -m app.sim --universe
500`` that stamps each message's encode time) runs in its own process. Client processes
(``tests.benchmarks.stream_client``), one at a time, connect to it with one monitor each:

- ``ibdesk``: Session -> WatchlistModel -> WatchlistView, as the terminal builds them;
- ``qtablewidget``: the common way (plain ib_async + a QTableWidget, ``setText`` per cell,
  sorting toggled per event, as vnpy's ``BaseMonitor``).

For 100 and 500 symbols and each rate (1k, 5k, 20k, 50k quote changes/s; the gateway's
``firehose``), each monitor's tick-to-paint latency (gateway encode -> the view finished
painting that row; rows on screen only) p50 / p99 / max, split into gateway encode ->
client decode (gateway, socket and read backlog) and decode -> paint (the client's own part), the client's CPU and its
event-loop lag p99 (10 ms probe). Then the sustained ceiling over 500 symbols: rising rates
held ``--ceiling-seconds`` (default 60) each; a rate is sustained when p99 latency and
loop lag p99 stay under 100 ms and the latency does not grow over the window (median of
the last third no more than 20 ms above the first third's). ``gateway_max_quotes_per_s``:
the most the gateway alone delivers to a reading client (``bench_gateway``'s raw reader)
at 20k, 40k and 60k quote changes/s asked.

Prints one JSON summary (also written to ``--json FILE``)::

    {"rates": {"5000": {"ibdesk": {"p50_ms", "p99_ms", "max_ms", "cpu_pct", "loop_lag_p99_ms", ...},
               "qtablewidget": {...}}, ...},            # 500 symbols
     "rates_by_symbols": {"100": {...}, "500": {...}},
     "ceiling_quotes_per_s": {"ibdesk": N, "qtablewidget": N},
     "ceiling_messages_per_s": {...}, "gateway_max_quotes_per_s": N, ...}
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

IMPLS = ("ibdesk", "qtablewidget")
RATES = (1000, 5000, 20000, 50000)
SYMBOLS = (100, 500)
CEILING_STEPS = (2000, 5000, 10000, 15000, 20000, 25000, 30000, 40000, 50000, 60000)
SUSTAINED_MS = 100.0
GROWTH_MS = 20.0


def start_gateway(universe: int, stamp_dir: str) -> tuple[subprocess.Popen, int, int, str]:
    """Start ``stream_gateway`` with admin port; returns (process, API port, admin port, token)."""
    env = dict(os.environ, IBDESK_BENCH_STAMPS=stamp_dir)
    proc = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.stream_gateway", "--port", "0",
                             "--admin-port", "0", "--universe", str(universe), "--log-level", "WARNING",
                             "--exit-on-stdin-eof"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    port = admin = 0
    token_file = ""
    deadline = time.monotonic() + 60
    while not (port and admin and token_file):
        line = proc.stdout.readline()
        if not line or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the simulated gateway did not start")
        if line.startswith("IBDESK-SIM LISTENING"):
            port = int(line.rsplit(":", 1)[1])
        elif line.startswith("IBDESK-SIM ADMIN-TOKEN"):
            token_file = line.split(None, 2)[2].strip()
        elif line.startswith("IBDESK-SIM ADMIN"):
            admin = int(line.rsplit(":", 1)[1])
    with open(token_file, encoding="utf-8") as f:
        token = f.read().strip()
    return proc, port, admin, token


def latency_summary(paint: np.ndarray, sent: np.ndarray) -> dict:
    """Latency figures (ms) from paint times and the gateway's encode times of the same messages."""
    if paint.size == 0:
        return {"samples": 0, "p50_ms": None, "p99_ms": None, "max_ms": None, "growing": None}
    lat = (paint - sent) * 1000.0
    order = np.argsort(paint, kind="stable")
    thirds = np.array_split(lat[order], 3)
    first, last = (float(np.median(t)) if t.size else 0.0 for t in (thirds[0], thirds[-1]))
    return {"samples": int(lat.size), "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1), "max_ms": round(float(lat.max()), 1),
            "first_third_median_ms": round(first, 1), "last_third_median_ms": round(last, 1),
            "growing": bool(last > first + GROWTH_MS)}


def analyse(client_npz: str, stamps_npz: str) -> list[dict]:
    """Join a client's paint records with the gateway's stamps; one summary per window."""
    c = np.load(client_npz)
    s = np.load(stamps_npz)
    meta = json.loads(str(c["meta"]))
    t_sent, msg_id = s["t"], s["msg_id"]
    out = []
    for w in meta["windows"]:
        k = w["index"]
        idx = c[f"w{k}_msg"].astype(np.int64) + 1          # the gateway's first message is the handshake reply
        paint = c[f"w{k}_paint"]
        ok = idx < t_sent.size
        idx, paint = idx[ok], paint[ok]
        aligned = float(np.isin(msg_id[idx], (1, 2)).mean()) if idx.size else 1.0
        if aligned < 0.999:
            raise RuntimeError(f"client and gateway message counts disagree ({aligned:.3%} tick messages)")
        lat = latency_summary(paint, t_sent[idx])
        dec = c[f"w{k}_decode"][ok]
        if dec.size:
            to_read, in_client = (dec - t_sent[idx]) * 1000.0, (paint - dec) * 1000.0
            lat["to_decode_p50_ms"] = round(float(np.percentile(to_read, 50)), 1)
            lat["to_decode_p99_ms"] = round(float(np.percentile(to_read, 99)), 1)
            lat["decode_to_paint_p50_ms"] = round(float(np.percentile(in_client, 50)), 1)
            lat["decode_to_paint_p99_ms"] = round(float(np.percentile(in_client, 99)), 1)
        secs = w["seconds"]
        row = {**lat, "cpu_pct": w["cpu_pct"], "loop_lag_p99_ms": w["loop"]["p99_ms"],
               "loop_longest_stall_ms": w["loop"]["longest_stall_ms"],
               "messages_per_s": round(w["messages"] / secs), "gateway_quotes_per_s": round(w["gateway_tick_rate"]),
               "drain_s": w["drain_s"], "paints_per_s": w.get("paints_per_s"), "paint_pct": w.get("paint_pct"), "rate": w["rate"], "ceiling_step": w["ceiling_step"], "seconds": secs}
        row["sustained"] = bool(lat["p99_ms"] is not None and lat["p99_ms"] < SUSTAINED_MS
                                and w["loop"]["p99_ms"] < SUSTAINED_MS and not lat["growing"])
        out.append(row)
    return out


def run_client(impl: str, symbols: int, windows: str, port: int, admin: int, token: str, client_id: int,
               stamp_dir: str) -> list[dict]:
    """One client process; returns its window summaries (latency joined with the stamps)."""
    out = os.path.join(stamp_dir, f"client-{client_id}.npz")
    stamps = os.path.join(stamp_dir, f"stamps-{client_id}.npz")
    cmd = [sys.executable, "-m", "tests.benchmarks.stream_client", "--port", str(port), "--admin-port", str(admin),
           "--token", token, "--impl", impl, "--symbols", str(symbols), "--windows", windows,
           "--client-id", str(client_id), "--out", out]
    subprocess.run(cmd, check=True, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    deadline = time.monotonic() + 30
    while not os.path.exists(stamps):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no stamps from the gateway for client {client_id}")
        time.sleep(0.2)
    return analyse(out, stamps)


def ceiling(rows: list[dict]) -> tuple[float, float]:
    """The highest ceiling-step rate sustained with every lower step sustained too:
    (quote changes/s offered, messages/s received); (0, 0) when none."""
    best = (0.0, 0.0)
    for r in sorted((r for r in rows if r["ceiling_step"]), key=lambda r: r["rate"]):
        if not r["sustained"]:
            break
        best = (r["rate"], r["messages_per_s"])
    return best


def gateway_max(seconds: float, universe: int) -> dict:
    """The gateway alone at 20k, 40k and 60k quote changes/s asked (an overloaded gateway
    delivers less, so the best of these): the quote changes/s (bid ticks) and messages/s it
    delivers to ``bench_gateway``'s raw reader."""
    from tests.benchmarks import bench_gateway

    out = bench_gateway.run([20000.0, 40000.0, 60000.0], seconds, universe, [])
    return {"quotes_per_s": out["max_bid_ticks_s"], "messages_per_s": out["max_msgs_s"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="tick-to-screen latency under a busy feed")
    p.add_argument("--json", default=None, metavar="FILE")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds per rate window")
    p.add_argument("--ceiling-seconds", type=float, default=60.0, help="seconds per ceiling step")
    p.add_argument("--quick", action="store_true", help="5 s windows and 15 s ceiling steps")
    p.add_argument("--impl", choices=IMPLS, action="append", default=None)
    p.add_argument("--symbols", type=int, action="append", default=None)
    p.add_argument("--rates", default=",".join(map(str, RATES)))
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.ceiling_seconds = 5.0, 15.0
    impls = args.impl or list(IMPLS)
    symbol_counts = args.symbols or list(SYMBOLS)
    rates = [float(r) for r in args.rates.split(",")]
    stamp_dir = tempfile.mkdtemp(prefix="ibdesk-bench-stream-")
    gw, port, admin, token = start_gateway(max(symbol_counts), stamp_dir)
    result: dict = {"rates_by_symbols": {}, "ceiling_quotes_per_s": {}, "ceiling_messages_per_s": {},
                    "windows": {}}
    client_id = 0
    try:
        for n in symbol_counts:
            by_rate: dict = {}
            for impl in impls:
                client_id += 1
                windows = [f"{r:g}:{args.seconds:g}" for r in rates]
                if n == max(symbol_counts):
                    windows += [f"{r:g}:{args.ceiling_seconds:g}:L" for r in CEILING_STEPS]
                rows = run_client(impl, n, ",".join(windows), port, admin, token, client_id, stamp_dir)
                result["windows"][f"{impl}-{n}"] = rows
                for r in rows:
                    if not r["ceiling_step"]:
                        by_rate.setdefault(f"{r['rate']:g}", {})[impl] = r
                if n == max(symbol_counts):
                    q, m = ceiling(rows)
                    result["ceiling_quotes_per_s"][impl] = q
                    result["ceiling_messages_per_s"][impl] = m
            for cell in by_rate.values():
                if "ibdesk" in cell and "qtablewidget" in cell and cell["qtablewidget"]["p99_ms"]:
                    cell["p99_ratio_ibdesk_to_qtablewidget"] = round(
                        cell["ibdesk"]["p99_ms"] / cell["qtablewidget"]["p99_ms"], 3)
            result["rates_by_symbols"][str(n)] = by_rate
        result["rates"] = result["rates_by_symbols"][str(max(symbol_counts))]
    finally:
        gw.stdin.close()
        try:
            gw.wait(10)
        except subprocess.TimeoutExpired:
            gw.kill()
    gw_max = gateway_max(min(args.seconds, 10.0), max(symbol_counts))
    result["gateway_max_quotes_per_s"] = gw_max["quotes_per_s"]
    result["gateway_max_messages_per_s"] = gw_max["messages_per_s"]
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
