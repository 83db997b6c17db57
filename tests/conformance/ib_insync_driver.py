"""Conformance driver over ib_insync 0.9.86 (the most-installed IB client library; it
negotiates server versions 157..176), run in a child process.

ib_insync cannot share this environment with ib_async (both ship a top-level ``eventkit``,
in different versions), so it runs in ``insync_child.py`` with the python of its own venv
(:func:`tests.conformance.insync_env.ensure_python`). One child serves the whole pytest
process (:class:`_Child`, started on first use, ended at exit or when its stdin closes);
each :class:`IbInsyncDriver` is a session in it with its own ``ib_insync.IB`` and event loop.

``IbInsyncDriver`` offers the neutral API of :mod:`tests.conformance.common` with the same
method names and result shapes as :class:`~tests.conformance.ib_async_driver.IbAsyncDriver`.
The child answers with plain JSON values of what ib_insync decoded; this side turns them into
the neutral shapes (tuples, int keys, ``num`` for IB's unset values, depth replay). Every
callback ib_insync's decoder made is recorded in the child and mirrored here on demand as a
:class:`~tests.conformance.ibapi_driver.Callback` with JSON arguments (``events()``), from
which errors and order statuses are read. Failures raise :class:`ClientError` (IB code) or
``TimeoutError`` as in the other drivers; a dead child raises :class:`ChildError` with the
tail of its log.
"""

from __future__ import annotations

import atexit
import builtins
import concurrent.futures
import itertools
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from tests.conformance.common import (ClientError, apply_depth, norm_hist_tick, norm_tbt, norm_what_if, num,
                                      order_state_dict)
from tests.conformance.base import poll
from tests.conformance.ibapi_driver import Callback
from tests.conformance.insync_env import child_env, ensure_python

CHILD = Path(__file__).with_name("insync_child.py")
#: seconds this side waits for any one answer of the child (its own requests time out sooner)
ANSWER_TIMEOUT = 45.0
#: seconds to wait for the child's "ready" line (imports ib_insync)
START_TIMEOUT = 30.0


class ChildError(RuntimeError):
    """The ib_insync child process failed (died, did not start, broke the protocol, or raised
    an unexpected exception, whose traceback the message carries)."""


class _Child:
    """The ib_insync child process of this pytest process: JSON-lines requests, answers matched
    by id on a reader thread. Use :meth:`shared`."""

    _shared: "_Child | None" = None
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls) -> "_Child":
        """The running child, started (and its venv made) on first use. Raises
        :class:`~tests.conformance.insync_env.InsyncEnvError` / :class:`ChildError`."""
        with cls._shared_lock:
            if cls._shared is None or not cls._shared.alive():
                cls._shared = cls()
                atexit.register(cls._shared.close)
            return cls._shared

    def __init__(self):
        python = ensure_python()
        t0 = time.monotonic()
        fd, self.log_path = tempfile.mkstemp(prefix="ib_insync-child-", suffix=".log")
        self._log = os.fdopen(fd, "wb")
        self.proc = subprocess.Popen([str(python), "-s", str(CHILD)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, env=child_env(), cwd=str(CHILD.parent))
        self._ids = itertools.count(1)
        self._pending: dict[int, concurrent.futures.Future] = {}
        self._lock = threading.Lock()
        self._ready: concurrent.futures.Future = concurrent.futures.Future()
        self._reader = threading.Thread(target=self._read, name="ib_insync-child-reader", daemon=True)
        self._reader.start()
        try:
            self.info = self._ready.result(START_TIMEOUT)
        except concurrent.futures.TimeoutError:
            self.close()
            raise ChildError(f"ib_insync child did not start in {START_TIMEOUT:.0f} s: {self.log_tail()}") from None
        #: seconds from spawning the child to its "ready" line
        self.start_seconds = time.monotonic() - t0

    def alive(self) -> bool:
        """True while the child process runs."""
        return self.proc.poll() is None

    def log_tail(self, n: int = 3000) -> str:
        """The last ``n`` characters of the child's log (its stderr)."""
        try:
            return Path(self.log_path).read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def _read(self) -> None:
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if msg.get("ready"):
                self._ready.set_result(msg)
                continue
            with self._lock:
                fut = self._pending.pop(msg.get("id"), None)
            if fut is not None:
                fut.set_result(msg)
        err = ChildError(f"ib_insync child exited (code {self.proc.wait()}): {self.log_tail()}")
        if not self._ready.done():
            self._ready.set_exception(err)
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
        for fut in pending:
            fut.set_exception(err)

    def send(self, sid: int | None, method: str, a: tuple = (), kw: dict | None = None) -> concurrent.futures.Future:
        """Send one request; the future resolves to the child's answer (a dict)."""
        rid = next(self._ids)
        fut: concurrent.futures.Future = concurrent.futures.Future()
        line = json.dumps({"id": rid, "s": sid, "m": method, "a": list(a), "k": kw or {}}) + "\n"
        with self._lock:
            if not self.alive():
                raise ChildError(f"ib_insync child is not running: {self.log_tail()}")
            self._pending[rid] = fut
            self.proc.stdin.write(line.encode())
            self.proc.stdin.flush()
        return fut

    @staticmethod
    def result(fut: concurrent.futures.Future, method: str, timeout: float = ANSWER_TIMEOUT) -> Any:
        """The value of an answer, or the exception it carries: ClientError (IB code),
        TimeoutError, NotImplementedError, a builtin ConnectionError (refused, reset ...) as
        such; anything else as ChildError with the child's traceback."""
        try:
            msg = fut.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(f"ib_insync child: no answer to {method} in {timeout:.0f} s") from None
        if "e" not in msg:
            return msg.get("r")
        kind, text = msg["e"], msg.get("text", "")
        if kind == "ClientError":
            raise ClientError(msg["code"], text)
        exc = getattr(builtins, kind, None)
        if isinstance(exc, type) and issubclass(exc, (TimeoutError, NotImplementedError, ConnectionError)):
            raise exc(text)
        raise ChildError(f"{method}: {kind}: {text}\n{msg.get('tb', '')}")

    def request(self, sid: int | None, method: str, *a, **kw) -> Any:
        """Send one request and wait for its answer (see :meth:`result`)."""
        return self.result(self.send(sid, method, a, kw), method)

    def close(self) -> None:
        """End the child: close its input (it disconnects every session and exits), then kill
        it if it lingers; removes the log file."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


class IbInsyncDriver:
    """ib_insync in the shared child process; neutral request API for the scenarios."""

    name = "ib_insync"

    def __init__(self, timeout: float = 3.0):
        self.timeout = timeout
        self._child = _Child.shared()
        self._sid: int = self._child.request(None, "open", timeout=timeout)
        self.log: list[Callback] = []
        self.client_id = -1
        self._closing: concurrent.futures.Future | None = None
        self._final_problems: list[str] | None = None

    # ------------------------------------------------------------------ plumbing
    def rpc(self, method: str, *a, **kw) -> Any:
        """Call the session method ``method`` in the child; its plain JSON result."""
        if self._closing is not None:
            raise ConnectionError(f"ib_insync driver is disconnected ({method})")
        return self._child.request(self._sid, method, *a, **kw)

    def _sync(self) -> None:
        """Append the callbacks the child recorded since the last call (after :meth:`disconnect`:
        those it handed over on closing the session)."""
        if self._closing is None:
            self.log += [Callback(name, args, t) for name, args, t in self.rpc("log_since", len(self.log))]
        else:
            self.join()

    def events(self, name: str | None = None, **match) -> list[Callback]:
        """Callbacks ib_insync's decoder made (optionally of one name, with arguments equal to
        ``match``); arguments as JSON values (objects as dicts of their fields)."""
        self._sync()
        return [e for e in self.log if (name is None or e.name == name)
                and all(e.args.get(k) == v for k, v in match.items())]

    def wait(self, pred: Callable[[], Any], timeout: float | None = None) -> bool:
        """Poll ``pred()`` every 20 ms until it is truthy or ``timeout`` (s, default the driver's) passes."""
        return poll(pred, self.timeout if timeout is None else timeout)

    def errors(self) -> list[tuple[int, int, str]]:
        """Every error message as (reqId, code, text), in arrival order."""
        return [(e.args.get("reqId"), e.args.get("errorCode"), e.args.get("errorString")) for e in self.events("error")]

    # ------------------------------------------------------------------ session
    def connect(self, port: int, client_id: int, host: str = "127.0.0.1") -> dict:
        """connectAsync with ib_insync's start-up sync: {server_version, accounts, next_valid_id, farm_codes (set)}."""
        self.client_id = client_id
        info = self.rpc("connect", port, client_id, host)
        info["farm_codes"] = set(info["farm_codes"])
        return info

    def decode_problems(self) -> list[str]:
        """ERROR logs of ib_insync's decoder in this session's loop thread ("Error handling
        fields", "Error for <callback>", with the exception), and of its wrapper for a tick
        value it could not parse."""
        if self._closing is not None:
            self.join()
            return list(self._final_problems or [])
        return self.rpc("decode_problems")

    def disconnect(self, wait: bool = True) -> None:
        """End the session (ib_insync disconnects, its loop stops); with ``wait`` for the child's
        answer, else that is left to :meth:`join`. The shared child keeps running."""
        if self._closing is None:
            self._closing = self._child.send(self._sid, "close", (len(self.log),))
        if wait:
            self.join()

    def join(self, timeout: float = 5.0) -> None:
        """Wait until the child has closed the session (see :meth:`disconnect`)."""
        if self._closing is not None and self._final_problems is None:
            r = self._child.result(self._closing, "close", timeout)
            self.log += [Callback(name, args, t) for name, args, t in r["log"]]
            self._final_problems = r["problems"]

    def is_connected(self) -> bool:
        """ib_insync's isConnected (False after :meth:`disconnect`)."""
        return False if self._closing is not None else self.rpc("is_connected")

    def current_time(self) -> float:
        """reqCurrentTime: the gateway's clock, POSIX s."""
        return self.rpc("current_time")

    # ------------------------------------------------------------------ test hooks
    def interpret(self, fields: list[str]) -> None:
        """Feed one message's fields to ib_insync's decoder in the child (self-test)."""
        self.rpc("interpret", fields)

    def client_call(self, method: str, *args) -> None:
        """``IB.client.<method>(*args)`` in the child: a raw request through ib_insync's
        throttled client."""
        self.rpc("client_call", method, *args)

    def history_keep_up_to_date(self, spec: dict, duration: str, bar_size: str) -> tuple[int, list[dict]]:
        """reqHistoricalData(keepUpToDate=True) -> (reqId, bars as :meth:`history` gives them);
        :meth:`history_updates` / :meth:`cancel_history` with that reqId."""
        r = self.rpc("history_keep_up_to_date", spec, duration, bar_size)
        return r["reqId"], r["bars"]

    def history_updates(self, req_id: int) -> list[tuple[float, float, float]]:
        """(time POSIX s, high, volume) of the list's last bar at each update ib_insync made."""
        return [tuple(u) for u in self.rpc("history_updates", req_id)]

    def cancel_history(self, req_id: int) -> None:
        """cancelHistoricalData of a :meth:`history_keep_up_to_date` subscription."""
        self.rpc("cancel_history", req_id)

    # ------------------------------------------------------------------ contracts
    def matching_symbols(self, pattern: str) -> list[dict]:
        """reqMatchingSymbols: [{conId, symbol, secType, primaryExchange, currency, derivativeSecTypes}]."""
        return self.rpc("matching_symbols", pattern)

    def contract_details(self, spec: dict) -> list[dict]:
        """reqContractDetails: a dict of contract and details fields per match; ClientError 200 if none."""
        return self.rpc("contract_details", spec)

    def market_rule(self, rule_id: int) -> list[tuple[float, float]]:
        """reqMarketRule: [(lowEdge, increment)]."""
        return [tuple(r) for r in self.rpc("market_rule", rule_id)]

    # ------------------------------------------------------------------ market data
    def quote(self, spec: dict, md_type: int = 1, timeout: float | None = None) -> dict:
        """reqMarketDataType + reqMktData until bid/ask/sizes (and last/volume/close for non-FX) arrived."""
        return self.rpc("quote", spec, md_type, timeout)

    def depth(self, spec: dict, rows: int = 10, settle: float = 1.0) -> dict:
        """reqMktDepth: ib_insync's book and the replay of the raw L2 operations (see common.apply_depth)."""
        d = self.rpc("depth", spec, rows, settle)
        rb, ra = apply_depth([tuple(op) for op in d["ops"]])
        return {"bids": [tuple(x) for x in d["bids"]], "asks": [tuple(x) for x in d["asks"]],
                "replay_bids": rb, "replay_asks": ra, "updates": len(d["ops"])}

    def depth_exchanges(self) -> list[tuple]:
        """reqMktDepthExchanges: [(exchange, secType, listingExch, serviceDataType, aggGroup)]."""
        return [tuple(r) for r in self.rpc("depth_exchanges")]

    def tick_by_tick(self, spec: dict, kind: str, n: int = 3, timeout: float | None = None) -> list[dict]:
        """reqTickByTickData until ``n`` ticks: neutral dicts (common.norm_tbt)."""
        r = self.rpc("tick_by_tick", spec, kind, n, timeout)
        return [norm_tbt(r["callback"], a) for a in r["ticks"]]

    def realtime_bars(self, spec: dict, n: int = 1, what: str = "TRADES", rth: bool = False,
                      timeout: float = 12.0) -> list[dict]:
        """reqRealTimeBars (5 s) until ``n`` bars: [{time, open, high, low, close, volume}]."""
        return self.rpc("realtime_bars", spec, n, what, rth, timeout)

    def history(self, spec: dict, end: str, duration: str, bar_size: str, what: str = "TRADES",
                rth: bool = False, timeout: float | None = None) -> list[dict]:
        """reqHistoricalData (formatDate 2): [{time, open, high, low, close, volume, count}]."""
        return self.rpc("history", spec, end, duration, bar_size, what, rth, timeout)

    def head_timestamp(self, spec: dict, what: str = "TRADES", rth: bool = False) -> float | str:
        """reqHeadTimeStamp: POSIX s (intraday) or "YYYYMMDD"."""
        return self.rpc("head_timestamp", spec, what, rth)

    def historical_ticks(self, spec: dict, start: str, end: str, n: int, what: str, rth: bool = False) -> list[dict]:
        """reqHistoricalTicks: neutral dicts (common.norm_hist_tick)."""
        ticks = self.rpc("historical_ticks", spec, start, end, n, what, rth)
        return [norm_hist_tick(SimpleNamespace(**t)) for t in ticks]

    # ------------------------------------------------------------------ orders
    def next_order_id(self) -> int:
        """The next order id from ib_insync's own counter (client.getReqId)."""
        return self.rpc("next_order_id")

    def place(self, spec: dict, order: dict, order_id: int | None = None) -> int:
        """placeOrder (an existing id = modify of that trade; a finished one's id is re-sent raw, IB answers 103)."""
        return self.rpc("place", spec, order, order_id)

    def cancel(self, order_id: int) -> None:
        """cancelOrder (an id ib_insync has no trade for is cancelled raw)."""
        self.rpc("cancel", order_id)

    def global_cancel(self) -> None:
        """reqGlobalCancel."""
        self.rpc("global_cancel")

    def statuses(self, order_id: int) -> list[str]:
        """Statuses the gateway reported for ``order_id`` as ib_insync decoded them (its
        orderStatus callbacks; ib_insync's own local PendingSubmit/PendingCancel are left out)."""
        out: list[str] = []
        for e in self.events("orderStatus", orderId=order_id):
            s = e.args["status"]
            if not out or out[-1] != s:
                out.append(s)
        return out

    def trade_statuses(self, order_id: int) -> list[str]:
        """ib_insync's Trade.log statuses (its own view, incl. local PendingCancel)."""
        return self.rpc("trade_statuses", order_id)

    def order_state(self, order_id: int) -> dict | None:
        """The trade's orderStatus merged with its Order fields (common.order_state_dict); None if unknown."""
        r = self.rpc("order_state", order_id)
        return None if r is None else order_state_dict(r["status"], SimpleNamespace(**r["order"]), None)

    def wait_status(self, order_id: int, *status: str, timeout: float | None = None) -> bool:
        """True once an orderStatus of ``order_id`` with one of ``status`` arrived (within ``timeout``)."""
        return self.wait(lambda: any(e.args["status"] in status for e in self.events("orderStatus", orderId=order_id)),
                         timeout)

    def order_errors(self, order_id: int) -> list[int]:
        """Codes of the error messages for ``order_id``."""
        return [c for r, c, _ in self.errors() if r == order_id]

    def wait_error(self, req_id: int, code: int, timeout: float | None = None) -> bool:
        """True once error ``code`` for ``req_id`` arrived (within ``timeout``)."""
        return self.wait(lambda: any(r == req_id and c == code for r, c, _ in self.errors()), timeout)

    def what_if(self, spec: dict, order: dict) -> dict:
        """whatIfOrder: margin/commission preview (common.norm_what_if); no order is created."""
        return norm_what_if(SimpleNamespace(**self.rpc("what_if", spec, order)), "commission", "commissionCurrency")

    def executions(self, order_id: int | None = None) -> list[dict]:
        """ib_insync's fills (live execDetails) with their commission reports (realizedPNL None when unset)."""
        out = self.rpc("executions", order_id)
        for x in out:
            x["realizedPNL"] = num(x["realizedPNL"])
        return out

    def req_executions(self) -> list[dict]:
        """reqExecutions: [{execId, orderId, permId, side, shares, price, conId}]."""
        return self.rpc("req_executions")

    def open_orders(self, all_clients: bool = False) -> list[dict]:
        """reqOpenOrders / reqAllOpenOrders: [{orderId, clientId, permId, status}]."""
        return self.rpc("open_orders", all_clients)

    # ------------------------------------------------------------------ account
    def positions(self) -> dict[int, tuple[float, float]]:
        """reqPositions: {conId: (position, avgCost)}."""
        return {con: (pos, avg) for con, pos, avg in self.rpc("positions")}

    def account_values(self, account: str = "") -> dict[str, str]:
        """ib_insync's account values in USD/BASE/none: {tag: value}."""
        return self.rpc("account_values", account)

    def portfolio(self) -> dict[int, dict]:
        """ib_insync's portfolio: {conId: {position, marketPrice, marketValue, averageCost, unrealizedPNL,
        realizedPNL}}."""
        return {con: p for con, p in self.rpc("portfolio")}

    def account_summary(self, group: str, tags: str) -> list[tuple[str, str, str, str]]:
        """reqAccountSummary: [(account, tag, value, currency)]."""
        return [tuple(r) for r in self.rpc("account_summary", group, tags)]

    def pnl(self, account: str) -> dict:
        """reqPnL until the first update: {dailyPnL, unrealizedPnL, realizedPnL} (None when unset)."""
        return {k: num(v) for k, v in self.rpc("pnl", account).items()}

    def pnl_single(self, account: str, con_id: int) -> dict:
        """reqPnLSingle until the first update: {position, dailyPnL, unrealizedPnL, realizedPnL, value}."""
        p = self.rpc("pnl_single", account, con_id)
        return {k: (v if k == "position" else num(v)) for k, v in p.items()}
