"""Admin interface of the simulated IB Gateway: fault injection and inspection.

A line protocol, one command per line, one reply line per command, served on a
local TCP socket (``--admin-port N``, 127.0.0.1 only; 0 = pick a port, printed
as ``IBDESK-SIM ADMIN host:port``) and on stdin with ``--admin-stdin`` (replies
on stdout). Replies start with ``OK`` or ``ERR <reason>``. Commands:

=================================================  ===========================================
``auth TOKEN``                                     first line of a TCP session (see below)
``drop``                                           close every API client connection
``pause-accept SECONDS``                           close new connections at once for SECONDS
                                                   (0 = accept again); current clients keep working
``connectivity lost|restored|restored-data-lost``  IB 1100 / 1102 / 1101 to every client
``delay SECONDS``                                  delay every response (0 = off)
``reject-next [CODE [TEXT]]``                      the next placeOrder is rejected (Inactive +
                                                   error CODE, default 201)
``restart``                                        save state to ``--state``, drop clients, reload
``save``                                           save state to ``--state`` now
``manual-order SYMBOL BUY|SELL QTY TYPE [PRICE]``  a "TWS GUI" order (MKT, LMT price, STP stop)
``firehose SYMBOLS RATE``                          load mode: the first SYMBOLS instruments change
                                                   quote RATE times per second in total (0 0 = off)
``bulletin TYPE [@EXCHANGE] TEXT``                 issue an IB news bulletin now (type 1 regular,
                                                   2 exchange unavailable, 3 exchange available)
``status``                                         clients, orders, clock, faults, tick rate,
                                                   encode -> write delay (ms, last 10 s)
``help``                                           the command list
``quit``                                           close this admin session (TCP only)
=================================================  ===========================================

Every command runs on the gateway's event loop, so it never races the market
pump or a client request.

Authentication (TCP only): the gateway makes a random token (``secrets.token_urlsafe``)
and writes it to a 0600 file (``app.sim.private.write_token_file``: ``<state>.admin-token``
or ``$XDG_RUNTIME_DIR/ibdesk/sim-admin-<port>.token``), printed as
``IBDESK-SIM ADMIN-TOKEN <path>``. A session's first line must be ``auth <token>``
(reply ``OK authenticated``); before that every command answers ``ERR not authenticated``,
and a wrong token closes the connection. The listener binds to loopback only: another
local user can reach the port but not read the token. ``--admin-stdin`` needs no token
(the gateway's stdin belongs to whoever started it).
"""

from __future__ import annotations

import asyncio
import logging
import ipaddress
import math
import secrets
import shlex
import sys
import threading
import time
from typing import Callable

from app.sim.bulletins import board_of
from app.sim.latency import fmt_ms, summarize
from app.sim.types import OrderTicket, SimError

log = logging.getLogger("app.sim.control")

ADMIN_PREFIX = "IBDESK-SIM ADMIN "
TOKEN_PREFIX = "IBDESK-SIM ADMIN-TOKEN "
NOT_AUTHENTICATED = "ERR not authenticated"
MAX_LINE = 4096

HELP = ("commands: drop | pause-accept SECONDS | connectivity lost|restored|restored-data-lost | "
        "delay SECONDS | reject-next [CODE [TEXT]] | restart | save | "
        "manual-order SYMBOL BUY|SELL QTY MKT|LMT|STP [PRICE] | firehose SYMBOLS RATE | "
        "bulletin 1|2|3 [@EXCHANGE] TEXT | status | "
        "help | quit "
        "(TCP sessions start with: auth TOKEN)")

#: Text of IB's order rejection used by ``reject-next`` without TEXT (IB code 201).
DEFAULT_REJECT_TEXT = "Order rejected - reason:Rejected by the simulated gateway (reject-next)"

#: Upper bounds that keep a typo from hanging a test run.
MAX_PAUSE_S = 3600.0
MAX_DELAY_S = 60.0
MAX_FIREHOSE_RATE = 1e6


class CommandError(Exception):
    """A command that cannot be carried out; ``str(e)`` is the ``ERR`` reason."""


def _seconds(text: str, what: str, upper: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"{what}: expected seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or value > upper:
        raise CommandError(f"{what}: seconds must be between 0 and {upper:g}, got {text}")
    return value


class AdminController:
    """Carries out admin commands on a :class:`app.sim.server.SimGateway`.

    :meth:`execute` takes one command line and returns the reply line (never raises
    for bad input). It must run on the gateway's event loop thread.
    """

    def __init__(self, gateway):
        self.gw = gateway
        self._commands: dict[str, Callable[[list[str]], str]] = {
            "drop": self._drop,
            "pause-accept": self._pause_accept,
            "connectivity": self._connectivity,
            "delay": self._delay,
            "reject-next": self._reject_next,
            "restart": self._restart,
            "save": self._save,
            "manual-order": self._manual_order,
            "firehose": self._firehose,
            "bulletin": self._bulletin,
            "status": self._status,
            "help": lambda args: "OK " + HELP,
        }

    # ---- entry point --------------------------------------------------
    def execute(self, line: str) -> str:
        """Run one command line; returns ``OK ...`` or ``ERR reason`` (one line)."""
        line = line.strip()
        if not line:
            return "ERR empty command; try 'help'"
        if len(line) > MAX_LINE:
            return f"ERR command longer than {MAX_LINE} characters"
        try:
            words = shlex.split(line)
        except ValueError as e:
            return f"ERR cannot parse command: {e}"
        name, args = words[0].lower(), words[1:]
        fn = self._commands.get(name)
        if fn is None:
            return f"ERR unknown command {name!r}; try 'help'"
        try:
            reply = fn(args)
        except CommandError as e:
            reply = f"ERR {e}"
        except SimError as e:
            reply = f"ERR {e.code} {e.text}"
        except Exception as e:  # a failing command must not take the gateway down
            log.exception("admin command %r failed", line)
            reply = f"ERR {name} failed: {type(e).__name__}: {e}"
        finally:
            try:
                self.gw.flush_deferred()
                for c in list(self.gw.connections):
                    c.flush()
            except Exception:
                log.exception("flush after admin command failed")
        log.info("admin: %s -> %s", line, reply)
        return " ".join(reply.splitlines())

    # ---- commands -----------------------------------------------------
    @staticmethod
    def _nargs(args: list[str], lo: int, hi: int, usage: str) -> None:
        if not lo <= len(args) <= hi:
            raise CommandError(f"usage: {usage}")

    def _drop(self, args: list[str]) -> str:
        self._nargs(args, 0, 0, "drop")
        return f"OK dropped {self.gw.drop_all()} clients"

    def _pause_accept(self, args: list[str]) -> str:
        self._nargs(args, 1, 1, "pause-accept SECONDS")
        s = _seconds(args[0], "pause-accept", MAX_PAUSE_S)
        self.gw.pause_accept(s)
        return f"OK not accepting connections for {s:g} s" if s else "OK accepting connections"

    def _connectivity(self, args: list[str]) -> str:
        self._nargs(args, 1, 1, "connectivity lost|restored|restored-data-lost")
        state = args[0].lower()
        codes = {"lost": 1100, "restored": 1102, "restored-data-lost": 1101}
        if state not in codes:
            raise CommandError(f"connectivity: unknown state {args[0]!r}; use lost, restored "
                               "or restored-data-lost")
        n = self.gw.set_connectivity(state)
        return f"OK sent {codes[state]} to {n} clients"

    def _delay(self, args: list[str]) -> str:
        self._nargs(args, 1, 1, "delay SECONDS")
        s = _seconds(args[0], "delay", MAX_DELAY_S)
        self.gw.set_delay(s)
        return f"OK responses delayed by {s:g} s" if s else "OK no response delay"

    def _reject_next(self, args: list[str]) -> str:
        code = 201
        if args:
            try:
                code = int(args[0])
            except ValueError:
                raise CommandError(f"reject-next: CODE must be an IB error code number, "
                                   f"got {args[0]!r}") from None
            if not 100 <= code <= 65535:
                raise CommandError(f"reject-next: CODE {code} is not an IB error code")
        text = " ".join(args[1:]) or DEFAULT_REJECT_TEXT
        fn = getattr(self.gw.exchange, "reject_next_order", None)
        if fn is None:
            raise CommandError("reject-next: this exchange has no reject_next_order()")
        fn(code, text)
        return f"OK next order will be rejected with {code}"

    def _firehose(self, args: list[str]) -> str:
        self._nargs(args, 2, 2, "firehose SYMBOLS RATE")
        try:
            n, rate = int(args[0]), float(args[1])
        except ValueError:
            raise CommandError("firehose: SYMBOLS must be a whole number and RATE a number of quote "
                               f"changes per second, got {args[0]!r} {args[1]!r}") from None
        if not 0.0 <= rate <= MAX_FIREHOSE_RATE:            # NaN fails too
            raise CommandError(f"firehose: RATE must be in 0..{MAX_FIREHOSE_RATE:g}, got {args[1]}")
        try:
            self.gw.set_firehose(n, rate)
        except ValueError as e:
            raise CommandError(f"firehose: {e}") from None
        return f"OK firehose {n} symbols at {rate:g} quote changes/s" if n and rate else "OK firehose off"

    def _bulletin(self, args: list[str]) -> str:
        """``bulletin TYPE [@EXCHANGE] TEXT``: a news bulletin (app.sim.bulletins) issued now
        and sent to every client subscribed with reqNewsBulletins."""
        usage = "bulletin 1|2|3 [@EXCHANGE] TEXT"
        if len(args) < 2:
            raise CommandError(f"usage: {usage}")
        try:
            kind = int(args[0])
        except ValueError:
            raise CommandError(f"bulletin: TYPE must be 1, 2 or 3, got {args[0]!r}") from None
        words = args[1:]
        exchange = ""
        if words[0].startswith("@"):
            exchange, words = words[0][1:], words[1:]
        try:
            b = board_of(self.gw).add(kind, " ".join(words), self.gw.clock(), exchange)
        except ValueError as e:
            raise CommandError(f"bulletin: {e}; usage: {usage}") from None
        sent = sum(1 for c in list(self.gw.connections)
                   if c.ready and hasattr(c, "send_new_bulletins") and c.send_new_bulletins())
        return f"OK bulletin {b.msg_id} type {b.msg_type} sent to {sent} clients"

    def _restart(self, args: list[str]) -> str:
        self._nargs(args, 0, 0, "restart")
        if not self.gw.state_path:
            raise CommandError("restart needs a state file: start the gateway with --state FILE")
        dropped = self.gw.restart()
        return f"OK restarted from {self.gw.state_path}, dropped {dropped} clients"

    def _save(self, args: list[str]) -> str:
        self._nargs(args, 0, 0, "save")
        if not self.gw.state_path:
            raise CommandError("save needs a state file: start the gateway with --state FILE")
        return f"OK saved to {self.gw.save_state()}"

    def _manual_order(self, args: list[str]) -> str:
        usage = "manual-order SYMBOL BUY|SELL QTY MKT|LMT|STP [PRICE]"
        self._nargs(args, 4, 5, usage)
        symbol, action, qty_s, otype = args[0].upper(), args[1].upper(), args[2], args[3].upper()
        if action not in ("BUY", "SELL"):
            raise CommandError(f"manual-order: action must be BUY or SELL, got {args[1]!r}")
        try:
            qty = float(qty_s)
        except ValueError:
            raise CommandError(f"manual-order: QTY must be a number, got {qty_s!r}") from None
        if not math.isfinite(qty) or qty <= 0:
            raise CommandError(f"manual-order: QTY must be > 0, got {qty_s}")
        price = None
        if otype == "MKT":
            if len(args) == 5:
                raise CommandError("manual-order: a MKT order takes no PRICE")
        elif otype in ("LMT", "STP"):
            if len(args) != 5:
                raise CommandError(f"manual-order: a {otype} order needs a PRICE")
            try:
                price = float(args[4])
            except ValueError:
                raise CommandError(f"manual-order: PRICE must be a number, got {args[4]!r}") from None
            if not math.isfinite(price) or price <= 0:
                raise CommandError(f"manual-order: PRICE must be > 0, got {args[4]}")
        else:
            raise CommandError(f"manual-order: TYPE must be MKT, LMT or STP, got {args[3]!r}")
        ex = self.gw.exchange
        fn = getattr(ex, "place_manual", None)
        if fn is None:
            raise CommandError("manual-order: this exchange has no place_manual()")
        found = ex.lookup(symbol=symbol) or ex.lookup(local_symbol=symbol)
        if not found:
            raise CommandError(f"manual-order: unknown symbol {args[0]!r}")
        if len(found) > 1:
            raise CommandError(f"manual-order: symbol {args[0]!r} is ambiguous "
                               f"({', '.join(c.local_symbol for c in found)})")
        ticket = OrderTicket(action=action, total_qty=qty, order_type=otype,
                             lmt_price=price if otype == "LMT" else None,
                             aux_price=price if otype == "STP" else None,
                             account=ex.account_id)
        order = self.gw.call_exchange(fn, found[0].con_id, ticket, self.gw.clock())
        return (f"OK manual order {order.order_id} permId {order.perm_id} {action} {qty:g} "
                f"{found[0].local_symbol} {otype} status {order.status}")

    def _status(self, args: list[str]) -> str:
        self._nargs(args, 0, 0, "status")
        return "OK " + " ".join(f"{k}={v}" for k, v in self.status().items())

    def status(self) -> dict[str, str]:
        """The gateway's state as ``key -> value`` (values without spaces)."""
        gw = self.gw
        clients = sorted(c.client_id for c in gw.connections
                         if c.ready and not c.closed and c.client_id is not None)
        try:
            orders = len(gw.exchange.orders(None, working_only=True))
        except Exception:
            orders = -1
        now = gw.clock()
        paused = max(0.0, gw.accept_paused_until - time.monotonic())
        return {
            "port": str(gw.port),
            "clients": ",".join(map(str, clients)) or "-",
            "working_orders": str(orders),
            "clock": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "clock_posix": f"{now:.3f}",
            "speed": f"{getattr(gw, 'speed', 1.0):g}",
            "accepting": "no" if paused > 0 else "yes",
            "pause_left": f"{paused:.1f}",
            "connectivity": "lost" if gw.connectivity_lost else "ok",
            "delay": f"{gw.delay:g}",
            "firehose": ("-" if gw.firehose is None
                         else f"{gw.firehose[0]}x{gw.firehose[1]:g}/s"),
            "tick_rate": f"{gw.tick_rate():.0f}",
            "state": gw.state_path or "-",
            "restarts": str(gw.stats["restarts"]),
            "state_commits": str(gw.journal.commits if getattr(gw, "journal", None) else 0),
            "state_errors": str(gw.journal.errors if getattr(gw, "journal", None) else 0),
            **self.write_delays(),
        }

    def write_delays(self) -> dict[str, str]:
        """Encode -> socket write delay of the last 10 s (``app.sim.latency``), milliseconds:
        ``write_delay_p50_ms`` / ``_p99_ms`` / ``_max_ms`` / ``write_delay_n`` over every client,
        and ``write_delay_c<clientId>`` = ``p50/p99/max`` per client ("-" without samples)."""
        conns = [c for c in self.gw.connections if getattr(c, "write_delay", None) is not None]
        if not conns:
            return {"write_delay_n": "0", "write_delay_p50_ms": "-", "write_delay_p99_ms": "-",
                    "write_delay_max_ms": "-"}
        now = conns[0].clock()
        total = summarize([c.write_delay for c in conns], now)
        out = {"write_delay_n": str(total["n"])}
        for k in ("p50_ms", "p99_ms", "max_ms"):
            out["write_delay_" + k] = fmt_ms(total[k])
        for c in sorted(conns, key=lambda c: (c.client_id is None, c.client_id or 0)):
            one = c.write_delay.summary(now)
            out[f"write_delay_c{c.client_id if c.client_id is not None else '-'}"] = "/".join(
                fmt_ms(one[k]) for k in ("p50_ms", "p99_ms", "max_ms"))
        return out


# ---- transports ----------------------------------------------------------
#: admin port -> token of the admin servers running in this process (GatewayThread in tests)
_LOCAL_TOKENS: dict[int, str] = {}


def local_admin_token(port: int) -> str | None:
    """The token of an admin server of *this* process listening on ``port`` (None if none):
    lets in-process test tools talk to a ``GatewayThread`` without passing its token around."""
    return _LOCAL_TOKENS.get(port)


def is_loopback(host: str) -> bool:
    """True for a loopback address or ``localhost`` (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AdminServer:
    """Serves :class:`AdminController` on loopback TCP (and optionally stdin).

    ``token`` (default: a new ``secrets.token_urlsafe(32)``) is what a TCP session must send as
    ``auth <token>`` first (see the module docstring); ``token_path`` (optional) is named in
    the ``ERR not authenticated`` hint. ValueError for a non-loopback ``host``.
    ``await start(port)`` returns the bound port; ``await stop()`` closes the
    listener and admin sessions. ``serve_stdin(on_eof)`` starts a daemon thread reading
    commands from stdin and printing replies to stdout (no token); ``on_eof`` is called (on
    the loop) when stdin closes.
    """

    def __init__(self, controller: AdminController, host: str = "127.0.0.1", token: str | None = None):
        if not is_loopback(host):
            raise ValueError(f"the admin interface listens on loopback only, not {host!r}")
        self.controller = controller
        self.host = host
        self.token = token or secrets.token_urlsafe(32)
        self.token_path: str | None = None
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._sessions: set[asyncio.StreamWriter] = set()

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._session, self.host, port,
                                                  reuse_address=True, limit=MAX_LINE * 2)
        self.port = self._server.sockets[0].getsockname()[1]
        _LOCAL_TOKENS[self.port] = self.token
        return self.port

    def _auth(self, line: str) -> tuple[str, bool]:
        """(reply, close?) for a line of a session that has not authenticated yet."""
        word, _, rest = line.partition(" ")
        if word.lower() != "auth":
            where = f" (token in {self.token_path})" if self.token_path else ""
            return f"{NOT_AUTHENTICATED}: send 'auth <token>' first{where}", False
        if secrets.compare_digest(rest.strip().encode(), self.token.encode()):
            return "OK authenticated", False
        log.warning("admin session: wrong token, connection closed")
        return f"{NOT_AUTHENTICATED}: wrong token", True

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._sessions.add(writer)
        authed = False
        try:
            while True:
                try:
                    raw = await reader.readline()
                except (asyncio.LimitOverrunError, ValueError):
                    writer.write(f"ERR command longer than {MAX_LINE} characters\n".encode())
                    break
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                if line.lower() == "quit":
                    writer.write(b"OK bye\n")
                    break
                if not authed:
                    reply, close = self._auth(line)
                    authed = reply.startswith("OK")
                    writer.write((reply + "\n").encode())
                    await writer.drain()
                    if close:
                        break
                    continue
                if line.split(" ", 1)[0].lower() == "auth":
                    writer.write(b"OK authenticated\n")
                    continue
                writer.write((self.controller.execute(line) + "\n").encode())
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._sessions.discard(writer)
            try:
                writer.close()
            except Exception:
                pass

    def serve_stdin(self, loop: asyncio.AbstractEventLoop, on_eof: Callable[[], None],
                    stdin=None, stdout=None) -> threading.Thread:
        """Read commands from ``stdin`` (default ``sys.stdin``) in a daemon thread; each is
        executed on ``loop`` and its reply printed to ``stdout`` (flushed)."""
        stdin = stdin or sys.stdin
        stdout = stdout or sys.stdout

        def run() -> None:
            try:
                for raw in stdin:
                    line = raw.strip()
                    if not line:
                        continue
                    if line.lower() == "quit":
                        print("ERR quit: close stdin (or send SIGTERM) to stop the gateway",
                              file=stdout, flush=True)
                        continue
                    fut = asyncio.run_coroutine_threadsafe(self._run_line(line), loop)
                    try:
                        reply = fut.result(30)
                    except Exception as e:
                        reply = f"ERR {type(e).__name__}: {e}"
                    print(reply, file=stdout, flush=True)
            except (OSError, ValueError, RuntimeError):
                pass
            try:
                loop.call_soon_threadsafe(on_eof)
            except RuntimeError:  # loop already closed
                pass

        t = threading.Thread(target=run, name="sim-admin-stdin", daemon=True)
        t.start()
        return t

    async def _run_line(self, line: str) -> str:
        return self.controller.execute(line)

    async def stop(self) -> None:
        if _LOCAL_TOKENS.get(self.port) == self.token:
            del _LOCAL_TOKENS[self.port]
        if self._server is not None:
            self._server.close()
        for w in list(self._sessions):
            try:
                w.close()
            except Exception:
                pass
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait_closed(), 0.5)
            except (asyncio.TimeoutError, Exception):
                pass
            self._server = None


def parse_status(reply: str) -> dict[str, str]:
    """The ``key -> value`` pairs of a ``status`` reply ("OK port=4002 clients=1 ..."), the
    inverse of the ``status`` command's formatting; {} for an error reply."""
    if not reply.startswith("OK"):
        return {}
    return dict(kv.split("=", 1) for kv in reply.split()[1:] if "=" in kv)
