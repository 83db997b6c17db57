"""CLI of the simulated IB Gateway: ``python -m app.sim [options]``.

After listening it prints exactly one line ``IBDESK-SIM LISTENING <host>:<port>``
to stdout (flushed); the ibdesk terminal starts it as a child process with
``--port 0`` and reads that line. With ``--admin-port N`` the next line is
``IBDESK-SIM ADMIN 127.0.0.1:<port>`` (the admin interface, ``app.sim.control``), then
``IBDESK-SIM ADMIN-TOKEN <path>`` (the 0600 file holding the token a TCP admin session
sends as ``auth <token>``).
Exit codes: 0 on SIGTERM/SIGINT or (with ``--exit-on-stdin-eof`` or
``--admin-stdin``) when stdin closes; 2 for bad arguments (unreadable ``--bars``
dir, port in use, bad host, bad ``--speed``/``--delay``/``--firehose``/``--universe``, unreadable
``--state`` file); 3 when another gateway holds the ``--state`` file (the message names
the file and that process's PID). With ``--state FILE`` every acknowledged change is
committed to the file as it happens (``app.sim.durable``) and a snapshot is written at a
clean exit. A ``--host`` that is not loopback gets a warning on stderr (the API port has no
authentication). See docs/simulator.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sqlite3
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
    p.add_argument("--start-time", default=None, metavar="WHEN",
                   help="simulated clock start: 'now' (wall clock), 'market' (now if US "
                        "stocks trade in regular hours, else 10:00 New York of the latest weekday), "
                        "POSIX seconds or ISO date-time with offset; default: where the --state "
                        "file's clock stopped (its last commit), else 'now'")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="exit cleanly when stdin closes (parent process died)")
    p.add_argument("--speed", type=float, default=1.0, metavar="X",
                   help="simulated clock runs X times as fast as the wall clock (default 1)")
    p.add_argument("--state", default=None, metavar="FILE",
                   help="SQLite state file: loaded at start when it exists, saved by the "
                        "'restart' admin command and at exit (account, positions, GTC orders, "
                        "executions)")
    p.add_argument("--state-sync", default="normal", choices=["normal", "full"],
                   help="SQLite synchronous level of --state: normal (default) survives a killed "
                        "process, full also a power loss (one fsync per order event)")
    p.add_argument("--master-client-id", type=int, default=None, metavar="N",
                   help="IB 'Master API client ID': that client receives every order's events")
    p.add_argument("--firehose", nargs=2, default=None, metavar=("SYMBOLS", "RATE"),
                   help="load mode: the first SYMBOLS instruments change quotes at RATE total "
                        "quote changes per second, sent unconflated")
    p.add_argument("--universe", type=int, default=None, metavar="N",
                   help="instruments: the 23 default ones, then generated stocks S0001, S0002, ... up "
                        "to N in total (0..5000; default: what the --state file was built with, "
                        "else the 23)")
    p.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                   help="delay every response by SECONDS (fault injection)")
    p.add_argument("--reject-next-order", nargs="?", const=201, type=int, default=None,
                   metavar="CODE", help="reject the first order placed (error CODE, default 201)")
    p.add_argument("--admin-port", type=int, default=None, metavar="N",
                   help="serve the admin interface on 127.0.0.1:N (0 = pick a port)")
    p.add_argument("--admin-stdin", action="store_true",
                   help="read admin commands from stdin, replies on stdout; EOF exits")
    p.add_argument("--log-level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
    return p


def parse_firehose(symbols: str, rate: str) -> tuple[int, float]:
    """``--firehose SYMBOLS RATE`` -> (n, rate); ValueError unless 1 <= n and 0 < rate <= 1e6."""
    try:
        n = int(symbols)
    except ValueError:
        raise ValueError(f"SYMBOLS must be a whole number, got {symbols!r}") from None
    try:
        r = float(rate)
    except ValueError:
        raise ValueError(f"RATE must be a number of quote changes per second, got {rate!r}") from None
    if n < 1:
        raise ValueError(f"SYMBOLS must be at least 1, got {n}")
    if not 0.0 < r <= 1e6:
        raise ValueError(f"RATE must be > 0 and <= 1000000, got {rate}")
    return n, r


def _fail(msg: str, code: int = 2) -> int:
    print(f"app.sim: error: {msg}", file=sys.stderr, flush=True)
    return code


#: exit code when another process holds the --state file (app.sim.private.StateLock)
EXIT_STATE_BUSY = 3


def warn_if_exposed(host: str, port: int | None = None) -> bool:
    """Print a warning to stderr when ``host`` is not a loopback address (the API port then
    accepts connections from other machines, without authentication). True if warned."""
    from app.sim.control import is_loopback

    if is_loopback(host):
        return False
    where = f"{host}:{port}" if port is not None else host
    print(f"app.sim: WARNING: listening on {where}, which is not a loopback address: the API "
          "port is reachable from other machines and has no authentication (TWS restricts "
          "this with its 'Trusted IPs' setting; the simulator has none). Anyone who can "
          "connect can trade the simulated account. Use --host 127.0.0.1 unless you mean it.",
          file=sys.stderr, flush=True)
    return True


def watch_stdin_eof(loop: asyncio.AbstractEventLoop, on_eof) -> None:
    """Call ``on_eof()`` on the loop when stdin reaches end of file (the parent process
    closed the pipe or died). Read on the loop itself (``add_reader``), not in a thread: a
    daemon thread blocked in a buffered stdin read made the interpreter abort at exit
    ("Fatal Python error: _enter_buffered_busy") when SIGTERM ended the gateway. Falls
    back to a thread where stdin cannot be watched by the loop (e.g. a regular file)."""
    try:
        fd = sys.stdin.fileno()
    except (OSError, ValueError, AttributeError):
        on_eof()
        return

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            on_eof()

    try:
        os.set_blocking(fd, False)
        loop.add_reader(fd, readable)
    except (OSError, ValueError, PermissionError):
        def watch() -> None:
            try:
                while os.read(fd, 4096):
                    pass
            except OSError:
                pass
            loop.call_soon_threadsafe(on_eof)
        threading.Thread(target=watch, name="stdin-eof", daemon=True).start()


async def _serve(args) -> int:
    from app.sim.clock import parse_start_time

    try:
        start_time = parse_start_time(args.start_time or "now")
    except ValueError as e:
        return _fail(str(e))
    from app.sim.private import StateFileBusy, StateLock

    kw = dict(seed=args.seed, bars_dir=args.bars, account_id=args.account)
    if args.universe is not None:
        kw["universe"] = args.universe
    lock = None
    if args.state:
        try:
            lock = StateLock(args.state).acquire()
        except StateFileBusy as e:
            return _fail(str(e), EXIT_STATE_BUSY)
        except OSError as e:
            return _fail(f"--state {args.state!r}: cannot create its lock file: {e.strerror or e}")
    try:
        return await _serve_locked(args, start_time, kw)
    finally:
        if lock is not None:
            lock.release()


async def _serve_locked(args, start_time, kw) -> int:
    from app.sim.clock import make_clock
    from app.sim.control import ADMIN_PREFIX, TOKEN_PREFIX, AdminController, AdminServer
    from app.sim.private import write_token_file
    from app.sim.server import SimGateway, build_exchange

    from_state = bool(args.state) and os.path.exists(args.state)
    # without --start-time a restart from --state continues the saved simulated clock (also
    # after kill -9: the clock is committed with every order change)
    continue_clock = from_state and args.start_time is None
    try:
        if continue_clock:
            exchange = build_exchange(args.state, **kw)
            start_time = float(exchange.now)
        else:
            exchange = build_exchange(args.state, now=start_time, **kw)
    except Exception as e:  # any failure to restore is a bad --state file, reported as such
        if from_state:
            return _fail(f"cannot load --state {args.state!r}: {type(e).__name__}: {e}")
        if isinstance(e, (OSError, ValueError)):
            return _fail(f"cannot load market data from {args.bars!r}: {e}")
        raise
    gw = SimGateway(exchange, host=args.host, port=args.port,
                    clock=make_clock(start_time, args.speed),
                    master_client_id=args.master_client_id, state_path=args.state,
                    exchange_kwargs=kw, speed=args.speed, state_sync=args.state_sync.upper())
    if args.delay:
        gw.set_delay(args.delay)
    if args.firehose is not None:
        try:
            gw.set_firehose(*args.firehose)
        except (ValueError, AttributeError) as e:
            return _fail(f"--firehose: {e}")
    if args.reject_next_order is not None:
        if not hasattr(exchange, "reject_next_order"):
            return _fail("--reject-next-order: the exchange has no reject_next_order()")
        exchange.reject_next_order(args.reject_next_order,
                                   "Order rejected - reason:Rejected by the simulated gateway "
                                   "(--reject-next-order)")
    if start_time is not None:
        logging.getLogger("app.sim").info("simulated clock starts at %s",
                                          time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(start_time)))
    try:
        port = await gw.start()
    except OSError as e:
        return _fail(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}")
    except sqlite3.Error as e:
        return _fail(f"cannot write --state {args.state!r}: {e}")
    warn_if_exposed(args.host, port)
    admin = AdminServer(AdminController(gw))
    token_file = None
    if args.admin_port is not None:
        try:
            await admin.start(args.admin_port)
            token_file = write_token_file(admin.token, args.state, admin.port)
            admin.token_path = str(token_file)
        except OSError as e:
            await admin.stop()
            await gw.stop()
            return _fail(f"cannot serve the admin interface on 127.0.0.1:{args.admin_port} "
                         f"(--admin-port): {e.strerror or e}")
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, done.set)
        except (NotImplementedError, RuntimeError):
            pass
    if args.admin_stdin:
        admin.serve_stdin(loop, done.set)
    elif args.exit_on_stdin_eof:
        watch_stdin_eof(loop, done.set)
    print(f"IBDESK-SIM LISTENING {args.host}:{port}", flush=True)
    if args.admin_port is not None:
        print(f"{ADMIN_PREFIX}{admin.host}:{admin.port}", flush=True)
        print(f"{TOKEN_PREFIX}{token_file}", flush=True)
    try:
        await done.wait()
    finally:
        await admin.stop()
        await gw.stop()
        if token_file is not None:
            try:
                token_file.unlink()
            except OSError:
                pass
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
    if args.admin_port is not None and not 0 <= args.admin_port <= 65535:
        return _fail(f"--admin-port {args.admin_port} is out of range 0..65535")
    from app.sim.clock import check_speed
    try:
        check_speed(args.speed)
    except ValueError as e:
        return _fail(f"--speed: {e}")
    if not (0.0 <= args.delay <= 60.0):  # NaN fails too
        return _fail(f"--delay must be between 0 and 60 seconds, got {args.delay}")
    if args.universe is not None:
        from app.sim.instruments import check_universe
        try:
            check_universe(args.universe)
        except ValueError as e:
            return _fail(f"--universe: {e}")
    if args.firehose is not None:
        try:
            args.firehose = parse_firehose(*args.firehose)
        except ValueError as e:
            return _fail(f"--firehose: {e}")
    if args.reject_next_order is not None and not 100 <= args.reject_next_order <= 65535:
        return _fail(f"--reject-next-order: {args.reject_next_order} is not an IB error code")
    if args.master_client_id is not None and not 0 <= args.master_client_id <= 2**31 - 1:
        return _fail(f"--master-client-id {args.master_client_id} is out of range")
    if args.state is not None:
        d = os.path.dirname(os.path.abspath(args.state))
        if os.path.isdir(args.state) or not os.path.isdir(d):
            return _fail(f"--state {args.state!r}: not a file in an existing folder")
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
