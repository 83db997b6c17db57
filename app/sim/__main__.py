"""CLI of the simulated IB Gateway: ``python -m app.sim [options]``.

After listening it prints exactly one line ``IBDESK-SIM LISTENING <host>:<port>``
to stdout (flushed); the ibdesk terminal starts it as a child process with
``--port 0`` and reads that line. Exit codes: 0 on SIGTERM/SIGINT or (with
``--exit-on-stdin-eof``) when stdin closes; 2 for bad arguments (unreadable
``--bars`` dir, port in use, bad host).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
import time


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app.sim",
                                description="Simulated IB Gateway (TWS socket protocol).")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    p.add_argument("--port", type=int, default=0, help="TCP port (0 = pick a free port)")
    p.add_argument("--seed", type=int, default=7, help="market model seed")
    p.add_argument("--bars", default=None, metavar="DIR", help="folder of real bar data")
    p.add_argument("--account", default="SIM0001", help="simulated account id")
    p.add_argument("--start-time", default="now", metavar="WHEN",
                   help="simulated clock start: 'now' (wall clock, default), 'market' (now if US "
                        "stocks trade in regular hours, else 10:00 New York of the latest weekday), "
                        "POSIX seconds or ISO date-time with offset")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="exit cleanly when stdin closes (parent process died)")
    p.add_argument("--log-level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
    return p


def _fail(msg: str) -> int:
    print(f"app.sim: error: {msg}", file=sys.stderr, flush=True)
    return 2


async def _serve(args) -> int:
    from app.sim.clock import make_clock, parse_start_time
    from app.sim.exchange import SimExchange
    from app.sim.server import SimGateway

    try:
        start_time = parse_start_time(args.start_time)
    except ValueError as e:
        return _fail(str(e))
    try:
        exchange = SimExchange(seed=args.seed, bars_dir=args.bars, account_id=args.account,
                               now=start_time)
    except (OSError, ValueError) as e:
        return _fail(f"cannot load market data from {args.bars!r}: {e}")
    gw = SimGateway(exchange, host=args.host, port=args.port, clock=make_clock(start_time))
    if start_time is not None:
        logging.getLogger("app.sim").info("simulated clock starts at %s",
                                          time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(start_time)))
    try:
        port = await gw.start()
    except OSError as e:
        return _fail(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}")
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, done.set)
        except (NotImplementedError, RuntimeError):
            pass
    if args.exit_on_stdin_eof:
        def watch_stdin() -> None:
            try:
                stream = sys.stdin.buffer
                while stream.read1(4096):
                    pass
            except (OSError, ValueError):
                pass
            loop.call_soon_threadsafe(done.set)
        threading.Thread(target=watch_stdin, name="stdin-eof", daemon=True).start()
    print(f"IBDESK-SIM LISTENING {args.host}:{port}", flush=True)
    await done.wait()
    await gw.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the gateway until a signal or stdin EOF; return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.bars is not None and not (os.path.isdir(args.bars)
                                      and os.access(args.bars, os.R_OK | os.X_OK)):
        return _fail(f"--bars {args.bars!r} is not a readable directory")
    if not 0 <= args.port <= 65535:
        return _fail(f"--port {args.port} is out of range 0..65535")
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
