"""On-demand benchmark: ib_async's socket reader against app.broker.fastread's, same run.

Run: ``.venv/bin/python -m tests.benchmarks.bench_decode [--messages N] [--rounds R] [--json FILE]``

Replays one stream (a handshake, then N quote ticks for 500 symbols as the simulated
gateway's firehose encodes them: tickPrice bid/ask/last with size, tickSize volume) cut
into reads of 4, 16, 64 and 256 KB, through

- ``original``: ib_async 2.1.0 ``Client._onSocketHasData`` as shipped;
- ``patched``: the same Client with :func:`app.broker.fastread.install`.

Two modes: ``reader`` (``decoder.interpret`` is a no-op: framing, UTF-8 decoding and the
split into fields only, what the fix changes) and ``decoder`` (ib_async's real decoder
and wrapper with a Ticker per reqId: the whole cost of a tick up to pendingTickersEvent).
Rounds alternate original and patched so machine noise hits both alike. Prints JSON:
median messages per second per read size, mode and method, and patched / original.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time

READ_SIZES = (4096, 16384, 65536, 262144)
SYMBOLS = 500


def _client(patched: bool, mode: str):
    from ib_async import IB, Stock

    from app.broker import fastread

    ib = IB()
    client = ib.client
    if patched and not fastread.install(client):
        raise SystemExit("fastread.install refused this ib_async (see the warning)")
    if mode == "reader":
        client.decoder.interpret = lambda fields: None
    else:
        for req_id in range(1, SYMBOLS + 1):
            ib.wrapper.startTicker(req_id, Stock(f"S{req_id:04d}", "SMART", "USD", conId=req_id),
                                   "mktData")
    return client


def _run(reads: list[bytes], n_msgs: int, patched: bool, mode: str) -> float:
    """Messages per second for one replay of ``reads`` through a fresh client."""
    client = _client(patched, mode)
    feed = client._onSocketHasData
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for data in reads:
            feed(data)
        dt = time.perf_counter() - t0
    finally:
        gc.enable()
    assert client._numMsgRecv == n_msgs, (client._numMsgRecv, n_msgs)
    return n_msgs / dt


def main(messages: int = 100_000, rounds: int = 5, modes=("reader", "decoder")) -> dict:
    from tests.unit.broker.wire_streams import HANDSHAKE, fixed_reads, tick_stream

    ticks = tick_stream(messages, symbols=SYMBOLS)
    n_msgs = messages + 3
    out = {"messages": messages, "stream_bytes": len(ticks), "rounds": rounds,
           "bytes_per_message": round(len(ticks) / messages, 1), "results": {}}
    for mode in modes:
        res = out["results"][mode] = {}
        for size in READ_SIZES:
            reads = [HANDSHAKE] + fixed_reads(ticks, size)
            rates = {"original": [], "patched": []}
            for _ in range(rounds):
                for name in ("original", "patched"):
                    rates[name].append(_run(reads, n_msgs, name == "patched", mode))
            orig, fast = statistics.median(rates["original"]), statistics.median(rates["patched"])
            res[f"{size // 1024}KB"] = {
                "original_msg_per_s": round(orig), "patched_msg_per_s": round(fast),
                "ratio_patched_over_original": round(fast / orig, 2),
                "original_runs": [round(r) for r in rates["original"]],
                "patched_runs": [round(r) for r in rates["patched"]]}
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=100_000, help="tick messages in the stream")
    p.add_argument("--rounds", type=int, default=5, help="replays per method and read size")
    p.add_argument("--mode", choices=("reader", "decoder", "both"), default="both")
    p.add_argument("--json", metavar="FILE", help="also write the summary to FILE")
    a = p.parse_args()
    summary = main(a.messages, a.rounds, ("reader", "decoder") if a.mode == "both" else (a.mode,))
    text = json.dumps(summary, indent=2)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
