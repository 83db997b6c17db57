"""On-demand benchmark: the simulated gateway's firehose throughput, CPU and memory (issue 12).

Run: ``.venv/bin/python -m tests.benchmarks.bench_gateway [--json FILE] [--seconds S]
[--rates 5000,20000,40000,60000,100000] [--universe 500]``

Starts ``python -m app.sim --universe N --firehose N 100 --admin-stdin`` as its own process,
connects one minimal raw-socket API client (``API\\0`` + version range, startApi, reqMktData
by conId for every instrument, paced under IB's 50 messages/s) that reads and counts frames
(length prefix only; a tickPrice frame of tick type BID is recognised by its first bytes to
count delivered quote changes). Then for each requested rate (admin command
``firehose N RATE``), after a 1 s settle, it measures over ``S`` seconds:

- ``msgs_s``: frames per second the client received;
- ``bid_ticks_s``: tickPrice BID frames per second (a quote change whose bid or bid size
  moved: nearly every change, since sizes are redrawn on each);
- ``changes_s``: the gateway's own ``tick_rate`` (changes ``advance`` reported);
- ``cpu_pct``: the gateway process's CPU (100 = one core) over the window;
- ``msgs_per_cpu_s``: messages per CPU-second of the gateway (what one free core would carry:
  the figure that survives a busy machine);
- ``delay_p99_ms``: the ``status`` encode->socket write delay p99 (when the gateway reports it).

Also the gateway's RSS after start, after subscribing and after each window (``growth_mb_min``:
RSS growth per minute of streaming). Prints one JSON summary (and writes it to ``--json``).
``--baseline DIR`` runs the gateway of another checkout (``git worktree add /tmp/before
<commit>``) alternately with this one and adds ratios (shipped / baseline).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from app.sim.control import parse_status

ROOT = Path(__file__).resolve().parents[2]
#: startApi (71) version 2, clientId, optional capabilities
_START_API = (71, 2, 1, "")
_BID_PREFIX = b"1\x006\x00"          # tickPrice version 6 ...
#: firehose rate while the client subscribes (quote changes/s): low, so the handshake and the
#: 500 requests are served at once whatever the gateway's top speed
SUBSCRIBE_RATE = 100.0


def _frame(*fields) -> bytes:
    payload = b"".join(str(f).encode() + b"\0" for f in fields)
    return struct.pack(">I", len(payload)) + payload


def _req_mkt_data(req_id: int, con_id: int, exchange: str) -> bytes:
    """reqMktData (1) version 11 by conId (ib_async ``Client.reqMktData`` field order)."""
    return _frame(1, 11, req_id, con_id, "", "", "", 0.0, "", "", exchange, "", "", "", "",
                  0, "", 0, 0, "")


class FrameCounter(threading.Thread):
    """Reads the socket in a thread and counts frames (``msgs``) and BID tickPrice frames."""

    def __init__(self, sock: socket.socket):
        super().__init__(daemon=True, name="bench-reader")
        self.sock = sock
        self.msgs = 0
        self.bids = 0
        self.stopped = False

    def run(self) -> None:
        buf = b""
        sock = self.sock
        unpack = struct.unpack_from
        while not self.stopped:
            try:
                data = sock.recv(1 << 20)
            except OSError:
                return
            if not data:
                return
            buf = buf + data if buf else data
            pos, n, bids, end = 0, 0, 0, len(buf)
            while end - pos >= 4:
                ln = unpack(">I", buf, pos)[0]
                if end - pos - 4 < ln:
                    break
                p = pos + 4
                if buf[p:p + 4] == _BID_PREFIX:
                    q = buf.index(b"\0", p + 4)              # reqId
                    if buf[q + 1:q + 3] == b"1\0":           # tickType BID
                        bids += 1
                n += 1
                pos = p + ln
            self.msgs += n
            self.bids += bids
            buf = buf[pos:]


def _handshake(port: int, n_inst: int) -> tuple[socket.socket, list[tuple[int, str]]]:
    from app.sim.instruments import universe

    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    hs = b"v100..178"
    s.sendall(b"API\0" + struct.pack(">I", len(hs)) + hs)
    s.sendall(_frame(*_START_API))
    subs = [(i.con_id, i.contract.exchange) for i in universe(n_inst)]
    return s, subs


def _rss_mb(p: psutil.Process) -> float:
    return p.memory_info().rss / 2**20


class Gateway:
    """The gateway child process with an admin session on its stdin/stdout."""

    def __init__(self, universe: int, rate: float, extra: list[str], root: Path = ROOT):
        cmd = [sys.executable, "-m", "app.sim", "--port", "0", "--universe", str(universe),
               "--firehose", str(universe), str(rate), "--admin-stdin", "--log-level", "WARNING",
               *extra]
        self.proc = subprocess.Popen(cmd, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        if "LISTENING" not in line:
            self.proc.kill()
            raise RuntimeError(f"gateway did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        self.ps = psutil.Process(self.proc.pid)

    def admin(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def status(self) -> dict[str, str]:
        reply = self.admin("status")
        return parse_status(reply)

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def run(rates: list[float], seconds: float, n_inst: int, extra: list[str], root: Path = ROOT) -> dict:
    """One gateway child (code of the checkout ``root``), one client, a window per rate."""
    gw = Gateway(n_inst, SUBSCRIBE_RATE, extra, root)
    out: dict = {"universe": n_inst, "seconds": seconds, "commit": _commit(root), "windows": []}
    try:
        time.sleep(1.0)
        out["rss_start_mb"] = round(_rss_mb(gw.ps), 1)
        sock, subs = _handshake(gw.port, n_inst)
        reader = FrameCounter(sock)
        reader.start()
        t_sub = time.monotonic()
        for k, (cid, exch) in enumerate(subs):          # IB pacing: 50 messages/s
            sock.sendall(_req_mkt_data(1000 + k, cid, exch))
            time.sleep(1 / 45)
        out["subscribe_s"] = round(time.monotonic() - t_sub, 1)
        time.sleep(1.0)
        out["rss_subscribed_mb"] = round(_rss_mb(gw.ps), 1)
        t_stream = time.monotonic()
        rss_stream0 = _rss_mb(gw.ps)
        for rate in rates:
            reply = gw.admin(f"firehose {n_inst} {rate:g}")
            if not reply.startswith("OK"):         # e.g. a gateway too busy to answer in 30 s
                out["windows"].append({"rate": rate, "error": reply})
                break
            time.sleep(1.0)
            m0, b0, c0, w0 = reader.msgs, reader.bids, gw.ps.cpu_times(), time.monotonic()
            time.sleep(seconds)
            m1, b1, c1, w1 = reader.msgs, reader.bids, gw.ps.cpu_times(), time.monotonic()
            st = gw.status()                        # nan/None when the gateway cannot tell
            dt = w1 - w0
            cpu = (c1.user + c1.system - c0.user - c0.system) / dt * 100
            out["windows"].append({
                "rate": rate, "msgs_s": round((m1 - m0) / dt), "bid_ticks_s": round((b1 - b0) / dt),
                "msgs_per_cpu_s": round((m1 - m0) / max(cpu / 100 * dt, 1e-9)),
                "changes_s": float(st.get("tick_rate", "nan")), "cpu_pct": round(cpu, 1),
                "delay_p99_ms": _float(st.get("write_delay_p99_ms")),
                "rss_mb": round(_rss_mb(gw.ps), 1)})
        minutes = (time.monotonic() - t_stream) / 60
        out["rss_end_mb"] = round(_rss_mb(gw.ps), 1)
        out["growth_mb_min"] = round((out["rss_end_mb"] - rss_stream0) / minutes, 2)
        ok = [w for w in out["windows"] if "error" not in w]
        for key in ("msgs_s", "changes_s", "bid_ticks_s", "msgs_per_cpu_s"):
            out["max_" + key] = max((w[key] for w in ok if w[key] == w[key]), default=0)
        reader.stopped = True
        sock.close()
    finally:
        gw.stop()
    return out


def _median_of(runs: list[dict]) -> dict:
    """The first run's figures with the headline numbers replaced by medians over ``runs``."""
    if len(runs) == 1:
        return runs[0]
    keys = ("max_msgs_s", "max_changes_s", "max_msgs_per_cpu_s", "rss_start_mb", "rss_end_mb",
            "growth_mb_min")
    return {**runs[0], "runs": runs, **{k: statistics.median(r[k] for r in runs) for k in keys}}


def _float(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _commit(root: Path = ROOT) -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=5).stdout.strip()
    except Exception:
        return ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_gateway")
    ap.add_argument("--json", default=None, metavar="FILE")
    ap.add_argument("--seconds", type=float, default=5.0, help="measuring window per rate")
    ap.add_argument("--rates", default="5000,20000,40000,60000,100000",
                    help="requested quote changes per second, comma-separated")
    ap.add_argument("--universe", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=1, help="runs; figures are medians")
    ap.add_argument("--gateway-args", default="", help="extra arguments for python -m app.sim")
    ap.add_argument("--baseline", default=None, metavar="DIR",
                    help="also run the gateway of this checkout (e.g. a git worktree of an older "
                         "commit), alternating with this one; the summary gives both and ratios")
    a = ap.parse_args(argv)
    rates = [float(x) for x in a.rates.split(",") if x]
    extra = a.gateway_args.split()
    roots = {"shipped": ROOT} | ({"baseline": Path(a.baseline).resolve()} if a.baseline else {})
    runs: dict[str, list[dict]] = {k: [] for k in roots}
    for _ in range(a.repeat):
        for name, root in roots.items():        # alternate so machine noise hits both alike
            runs[name].append(run(rates, a.seconds, a.universe, extra, root))
    res = {name: _median_of(rs) for name, rs in runs.items()}
    if a.baseline:
        s, b = res["shipped"], res["baseline"]
        res["ratio"] = {k: round(s[k] / b[k], 2) if b.get(k) else None
                        for k in ("max_msgs_s", "max_changes_s", "max_msgs_per_cpu_s", "rss_end_mb")}
    else:
        res = res["shipped"]
    text = json.dumps(res, indent=1)
    print(text)
    if a.json:
        Path(a.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
