"""The ib_insync side of the conformance suite: a program run by the python of the private
ib_insync venv (:mod:`tests.conformance.insync_env`), driven by
:class:`tests.conformance.ib_insync_driver.IbInsyncDriver` over JSON lines.

It imports only the standard library, ib_insync and ``base.py`` beside it (stdlib-only):
not ib_async (whose ``eventkit`` differs from ib_insync's), not ``app``, numpy or pandas.

Protocol (UTF-8, one JSON object a line):

* first line out: ``{"ready": true, "version": "0.9.86", "pid": ...}``;
* in: ``{"id": n, "s": session id or null, "m": method, "a": [args], "k": {kwargs}}``;
  ``m`` = ``"open"`` (no session) makes a :class:`Session` and answers its id; any other
  ``m`` is a public method of that session (``"close"`` ends it);
* out: ``{"id": n, "r": result}`` or ``{"id": n, "e": kind, "text": ..., "code": ...}`` with
  ``kind`` = ``"ClientError"`` (``code`` = IB error code), ``"TimeoutError"``,
  ``"NotImplementedError"``, another builtin exception's name, or ``"Exception"`` (with
  ``tb``, the child's traceback);
* end of input: every session disconnects and the program exits.

Requests run concurrently (a thread each); every session has its own ``ib_insync.IB`` on its
own asyncio loop thread, like ``IbAsyncDriver``. Results are plain JSON values of what
ib_insync *decoded* (see :func:`plain`); the normalisation that needs the terminal's ``num``
happens in the parent. Stray prints go to stderr (the parent's log file), never to the
protocol stream.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import decimal
import inspect
import json
import logging
import math
import os
import sys
import threading
import time
import traceback
from typing import Any, Callable

from base import WARNING_CODES, ClientError, DecodeWatch, poll  # stdlib-only, beside this file

import ib_insync
from ib_insync import IB, Contract, Order
from ib_insync.wrapper import Wrapper

#: ib_insync.Wrapper methods that the decoder calls for gateway messages (as ib_async_driver)
CALLBACKS = sorted(n for n, f in inspect.getmembers(Wrapper, inspect.isfunction)
                   if not n.startswith("_") and n[0].islower() and n not in (
                       "reset", "connectionClosed", "setEventsDone", "startReq", "startTicker", "endTicker",
                       "startSubscription", "endSubscription", "orderKey", "setTimeout", "tcpDataArrived",
                       "tcpDataProcessed", "connectAck")) + ["connectionClosed"]


def plain(v: Any, depth: int = 0) -> Any:
    """A decoded value as JSON: dataclasses (ib_insync's Contract, Order, Execution, BarData
    ...) -> dict of their fields, sequences -> lists, Decimal -> float, aware/naive datetime ->
    POSIX seconds (naive taken as UTC, as ``common.bar_time``), date -> ``"YYYYMMDD"``,
    NamedTuples (HistoricalTick, TagValue ...) -> dict;
    floats as they are (NaN and IB's UNSET_DOUBLE included); anything else -> its repr."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        return (v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)).timestamp()
    if isinstance(v, dt.date):
        return v.strftime("%Y%m%d")
    if depth > 8:
        return repr(v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: plain(getattr(v, f.name, None), depth + 1) for f in dataclasses.fields(v)}
    if isinstance(v, tuple) and hasattr(v, "_asdict"):          # NamedTuple: HistoricalTick, TagValue ...
        return {k: plain(x, depth + 1) for k, x in v._asdict().items()}
    if isinstance(v, dict):
        return {str(k): plain(x, depth + 1) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [plain(x, depth + 1) for x in v]
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    return repr(v)


def _decode_failure(record: logging.LogRecord) -> bool:
    """ib_insync.Decoder: every ERROR ("Error handling fields", "Error for <callback>");
    ib_insync.wrapper: only a tick value it could not parse ("malformed value"), not the
    gateway's error messages it logs as "Error <code>, reqId ..."."""
    return record.name == "ib_insync.Decoder" or "malformed value" in record.getMessage()


class Session:
    """One ``ib_insync.IB`` on its own event loop thread; the neutral request API, plain results."""

    def __init__(self, sid: int, timeout: float = 3.0):
        self.sid = sid
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        name = f"ib_insync-loop-{sid}"
        self._watch = DecodeWatch(("ib_insync.Decoder", "ib_insync.wrapper"), name, keep=_decode_failure,
                                  with_exception=True)
        self._thread = threading.Thread(target=self._run_loop, name=name, daemon=True)
        self._thread.start()
        self.ib: IB = self.call(IB)
        self.log: list[tuple[str, dict, float]] = []
        self._errors: list[tuple[int, int, str]] = []
        self._lock = threading.Lock()
        self._trades: dict[int, Any] = {}
        self._history: dict[int, Any] = {}
        self.client_id = -1
        self._hook_wrapper()

    # ------------------------------------------------------------------ plumbing
    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, fn: Callable, *a, timeout: float | None = None, **kw):
        """Run ``fn(*a, **kw)`` in the loop thread (awaiting it if it returns an awaitable)."""
        async def job():
            r = fn(*a, **kw)
            if inspect.isawaitable(r):
                r = await r
            return r
        return asyncio.run_coroutine_threadsafe(job(), self.loop).result(timeout or self.timeout + 2)

    def acall(self, coro_fn: Callable, *a, timeout: float | None = None, **kw):
        """Await ``coro_fn(*a, **kw)`` in the loop with a timeout (TimeoutError); a new
        non-warning error message (reqId != -1, or 326) arriving meanwhile cancels it and
        raises ClientError (ib_insync waits out its own timeouts for some codes)."""
        t = timeout or self.timeout
        mark = len(self._errors)

        async def job():
            return await asyncio.wait_for(coro_fn(*a, **kw), t)
        fut = asyncio.run_coroutine_threadsafe(job(), self.loop)
        end = time.monotonic() + t + 2
        while time.monotonic() < end:
            try:
                return fut.result(0.02)
            except concurrent.futures.TimeoutError:
                pass
            new = [(r, c, m) for r, c, m in self._errors[mark:] if c not in WARNING_CODES and (r != -1 or c == 326)]
            if new:
                fut.cancel()
                raise ClientError(new[0][1], new[0][2])
        fut.cancel()
        raise TimeoutError(f"ib_insync: {getattr(coro_fn, '__name__', coro_fn)} timed out")

    def _hook_wrapper(self) -> None:
        w = self.ib.wrapper
        for name in CALLBACKS:
            orig = getattr(w, name, None)
            if orig is None:
                continue
            sig = inspect.signature(orig)

            def rec(*a, __orig=orig, __sig=sig, __name=name, **kw):
                try:
                    args = dict(__sig.bind(*a, **kw).arguments)
                except TypeError:
                    args = {"args": a, **kw}
                entry = (__name, plain(args), time.monotonic())
                with self._lock:
                    self.log.append(entry)
                    if __name == "error":
                        self._errors.append((args.get("reqId"), args.get("errorCode"), args.get("errorString")))
                return __orig(*a, **kw)
            setattr(w, name, rec)

    def log_since(self, n: int) -> list:
        """The recorded callbacks from index ``n`` on: [[name, args, monotonic time], ...]."""
        with self._lock:
            return [list(e) for e in self.log[n:]]

    def _events(self, name: str, since: int = 0, **match) -> list[dict]:
        with self._lock:
            part = self.log[since:]
        return [a for n, a, _ in part if n == name and all(a.get(k) == v for k, v in match.items())]

    def wait(self, pred: Callable[[], Any], timeout: float | None = None) -> bool:
        """Poll ``pred()`` every 20 ms until it is truthy or ``timeout`` (s) passes."""
        return poll(pred, self.timeout if timeout is None else timeout)

    def _failed_since(self, mark: int) -> bool:
        return any(c not in WARNING_CODES and r != -1 for r, c, _ in self._errors[mark:])

    def _raise_new_errors(self, mark: int, req_id: int | None = None) -> None:
        for r, code, text in self._errors[mark:]:
            if code not in WARNING_CODES and r != -1 and (req_id is None or r == req_id):
                raise ClientError(code, text)

    # ------------------------------------------------------------------ session
    def connect(self, port: int, client_id: int, host: str = "127.0.0.1") -> dict:
        """connectAsync (with ib_insync's start-up sync); server_version, accounts, next_valid_id,
        farm_codes (codes of the reqId -1 messages, a list)."""
        self.client_id = client_id
        self.acall(self.ib.connectAsync, host, port, clientId=client_id, timeout=self.timeout)
        self.wait(lambda: {2104, 2106, 2158} <= {c for r, c, _ in self._errors if r == -1}, 1.0)
        nv = self._events("nextValidId")
        return {"server_version": self.ib.client.serverVersion(), "accounts": list(self.ib.managedAccounts()),
                "next_valid_id": nv[-1]["reqId"] if nv else None,
                "farm_codes": sorted({c for r, c, _ in self._errors if r == -1})}

    def decode_problems(self) -> list[str]:
        """The decode failures seen so far (see ``_decode_failure``)."""
        return list(self._watch.problems)

    def close(self, since: int = 0) -> dict:
        """Disconnect, stop the loop; returns {"problems": the final decode problems, "log": the
        callbacks from index ``since`` on (see :meth:`log_since`)}."""
        try:
            if not self.loop.is_closed():
                self.call(self.ib.disconnect)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(2)
            if not self._thread.is_alive():
                self.loop.close()
            self._watch.close()
        return {"problems": list(self._watch.problems), "log": self.log_since(since)}

    def is_connected(self) -> bool:
        """ib_insync's isConnected."""
        return self.call(self.ib.isConnected)

    def current_time(self) -> float:
        """reqCurrentTime: POSIX s."""
        return plain(self.acall(self.ib.reqCurrentTimeAsync))

    # ------------------------------------------------------------------ test hooks
    def interpret(self, fields: list[str]) -> None:
        """Feed one message's fields to ib_insync's decoder (self-test of decode_problems)."""
        self.call(self.ib.client.decoder.interpret, fields)

    def client_call(self, method: str, *args) -> None:
        """Call ``IB.client.<method>(*args)`` in the loop: a raw request through ib_insync's
        throttled client (the pacing scenario)."""
        self.call(getattr(self.ib.client, method), *args)

    # ------------------------------------------------------------------ contracts
    def matching_symbols(self, pattern: str) -> list[dict]:
        """reqMatchingSymbols: [{conId, symbol, secType, primaryExchange, currency, derivativeSecTypes}]."""
        mark = len(self._errors)
        res = self.acall(self.ib.reqMatchingSymbolsAsync, pattern, timeout=5)
        self._raise_new_errors(mark)
        if res is None:
            raise TimeoutError("ib_insync: no symbolSamples")
        return [{"conId": d.contract.conId, "symbol": d.contract.symbol, "secType": d.contract.secType,
                 "primaryExchange": d.contract.primaryExchange, "currency": d.contract.currency,
                 "derivativeSecTypes": list(d.derivativeSecTypes or [])} for d in res]

    def contract_details(self, spec: dict) -> list[dict]:
        """reqContractDetails: a dict of contract and details fields per match."""
        mark = len(self._errors)
        cds = self.acall(self.ib.reqContractDetailsAsync, Contract(**spec))
        self._raise_new_errors(mark)
        out = []
        for cd in cds:
            d = {k: getattr(cd.contract, k) for k in ("conId", "symbol", "secType", "exchange", "primaryExchange",
                                                      "currency", "localSymbol", "tradingClass")}
            d.update({k: getattr(cd, k) for k in ("longName", "industry", "category", "subcategory", "timeZoneId",
                                                  "tradingHours", "liquidHours", "minTick", "marketRuleIds",
                                                  "validExchanges", "orderTypes")})
            out.append(d)
        return out

    def _qualified(self, spec: dict) -> Contract:
        """The contract qualified through reqContractDetails; ClientError 200 for an unknown one."""
        if spec.get("conId"):
            return Contract(**spec)
        mark = len(self._errors)
        cs = self.acall(self.ib.qualifyContractsAsync, Contract(**spec))
        self._raise_new_errors(mark)
        if not cs or cs[0] is None or not cs[0].conId:
            codes = [c for _, c, _ in self._errors[mark:]]
            raise ClientError(codes[0] if codes else 200, "contract not qualified")
        return cs[0]

    def market_rule(self, rule_id: int) -> list[list[float]]:
        """reqMarketRule: [[lowEdge, increment]]."""
        res = self.acall(self.ib.reqMarketRuleAsync, rule_id)
        if res is None:
            raise TimeoutError(f"ib_insync: no marketRule {rule_id}")
        return [[float(p.lowEdge), float(p.increment)] for p in res]

    # ------------------------------------------------------------------ market data
    def _ticker_req_ids(self, ticker) -> set:
        return {r for r, tk in self.ib.wrapper.reqId2Ticker.items() if tk is ticker}

    def quote(self, spec: dict, md_type: int = 1, timeout: float | None = None) -> dict:
        """reqMktData until bid/ask/sizes (and last/volume/close for non-FX): the Ticker's fields,
        marketDataType, minTick, tickTypes."""
        mark = len(self._errors)
        self.call(self.ib.reqMarketDataType, md_type)
        c = self._qualified(spec)
        t = self.call(self.ib.reqMktData, c, "", False, False)
        need: tuple[str, ...] = ("bid", "ask", "bidSize", "askSize")
        if spec.get("secType", "STK") != "CASH":
            need += ("last", "volume", "close")

        def ok(v):
            return v is not None and not (isinstance(v, float) and math.isnan(v))
        try:
            done = self.wait(lambda: all(ok(getattr(t, k)) for k in need) or self._failed_since(mark), timeout)
            self._raise_new_errors(mark)
            q = {k: float(getattr(t, k)) for k in ("bid", "ask", "last", "bidSize", "askSize", "volume", "close",
                                                  "lastSize", "high", "low", "open") if ok(getattr(t, k))}
            if not done:
                raise TimeoutError(f"ib_insync: incomplete quote {q}")
            q["marketDataType"] = t.marketDataType
            q["minTick"] = t.minTick
            rids = self._ticker_req_ids(t)
            q["tickTypes"] = sorted({a.get("tickType") for n, a, _ in list(self.log)
                                     if n in ("priceSizeTick", "tickSize") and a.get("reqId") in rids})
            return q
        finally:
            self.call(self.ib.cancelMktData, c)

    def depth(self, spec: dict, rows: int = 10, settle: float = 1.0) -> dict:
        """ib_insync's book (domBids/domAsks, best first) and the raw updateMktDepthL2 operations
        [position, operation, side, price, size] (the parent replays them)."""
        mark = len(self._errors)
        c = self._qualified(spec)
        n0 = len(self.log)
        t = self.call(self.ib.reqMktDepth, c, rows, False)
        try:
            ok = self.wait(lambda: t.domBids or t.domAsks or self._failed_since(mark))
            self._raise_new_errors(mark)
            if not ok:
                raise TimeoutError("ib_insync: no depth")
            time.sleep(settle)
            bids = [[float(d.price), float(d.size)] for d in list(t.domBids)]
            asks = [[float(d.price), float(d.size)] for d in list(t.domAsks)]
            raw = self._events("updateMktDepthL2", n0)
        finally:
            self.call(self.ib.cancelMktDepth, c, False)
        return {"bids": bids, "asks": asks,
                "ops": [[a["position"], a["operation"], a["side"], float(a["price"]), float(a["size"])] for a in raw]}

    def depth_exchanges(self) -> list[list]:
        """reqMktDepthExchanges: [[exchange, secType, listingExch, serviceDataType, aggGroup]]."""
        res = self.acall(self.ib.reqMktDepthExchangesAsync)
        return [[d.exchange, d.secType, d.listingExch, d.serviceDataType, d.aggGroup] for d in res]

    def tick_by_tick(self, spec: dict, kind: str, n: int = 3, timeout: float | None = None) -> dict:
        """The tick-by-tick callbacks' arguments: {"callback": name, "ticks": [args]}."""
        mark = len(self._errors)
        c = self._qualified(spec)
        n0 = len(self.log)
        t = self.call(self.ib.reqTickByTickData, c, kind, 0, False)
        cb = {"Last": "tickByTickAllLast", "AllLast": "tickByTickAllLast", "BidAsk": "tickByTickBidAsk",
              "MidPoint": "tickByTickMidPoint"}[kind]
        rids = self._ticker_req_ids(t)

        def got():
            return [a for a in self._events(cb, n0) if a.get("reqId") in rids]
        try:
            ok = self.wait(lambda: len(got()) >= n or self._failed_since(mark), timeout or 6.0)
            self._raise_new_errors(mark)
            if not ok:
                raise TimeoutError(f"ib_insync: fewer than {n} {cb}")
        finally:
            self.call(self.ib.cancelTickByTickData, c, kind)
        return {"callback": cb, "ticks": got()}

    def realtime_bars(self, spec: dict, n: int = 1, what: str = "TRADES", rth: bool = False,
                      timeout: float = 12.0) -> list[dict]:
        """reqRealTimeBars (5 s) until ``n`` bars."""
        mark = len(self._errors)
        bars = self.call(self.ib.reqRealTimeBars, self._qualified(spec), 5, what, rth)
        try:
            ok = self.wait(lambda: len(bars) >= n or self._failed_since(mark), timeout)
            self._raise_new_errors(mark)
            if not ok:
                raise TimeoutError("ib_insync: no realtime bar")
        finally:
            self.call(self.ib.cancelRealTimeBars, bars)
        return [{"time": int(plain(b.time)), "open": b.open_, "high": b.high, "low": b.low, "close": b.close,
                 "volume": float(b.volume)} for b in list(bars)]

    @staticmethod
    def _bars(bars) -> list[dict]:
        return [{"time": plain(b.date), "open": b.open, "high": b.high, "low": b.low, "close": b.close,
                 "volume": float(b.volume), "count": b.barCount} for b in bars]

    def history(self, spec: dict, end: str, duration: str, bar_size: str, what: str = "TRADES",
                rth: bool = False, timeout: float | None = None) -> list[dict]:
        """reqHistoricalData (formatDate 2): [{time, open, high, low, close, volume, count}]."""
        mark = len(self._errors)
        bars = self.acall(self.ib.reqHistoricalDataAsync, self._qualified(spec), end, duration, bar_size, what,
                          rth, 2, False, timeout=timeout or 6.0)
        self._raise_new_errors(mark)
        return self._bars(bars)

    def history_keep_up_to_date(self, spec: dict, duration: str, bar_size: str, what: str = "TRADES") -> dict:
        """reqHistoricalData(keepUpToDate=True): {"reqId", "bars"}; :meth:`history_updates`
        gives the updates ib_insync made to the bar list since, :meth:`cancel_history` ends it."""
        mark = len(self._errors)
        bars = self.acall(self.ib.reqHistoricalDataAsync, self._qualified(spec), "", duration, bar_size, what,
                          False, 2, True, timeout=8.0)
        self._raise_new_errors(mark)
        seen: list[list] = []
        bars.updateEvent += lambda bl, has_new: seen.append([plain(bl[-1].date), bl[-1].high, float(bl[-1].volume)])
        self._history[bars.reqId] = (bars, seen)
        return {"reqId": bars.reqId, "bars": self._bars(bars)}

    def history_updates(self, req_id: int) -> list[list]:
        """[[time, high, volume] of the last bar at each update of the list], in arrival order."""
        return list(self._history[req_id][1])

    def cancel_history(self, req_id: int) -> None:
        """cancelHistoricalData of a keepUpToDate subscription."""
        bars, _ = self._history.pop(req_id, (None, None))
        if bars is not None:
            self.call(self.ib.cancelHistoricalData, bars)

    def head_timestamp(self, spec: dict, what: str = "TRADES", rth: bool = False) -> Any:
        """reqHeadTimeStamp: POSIX s or "YYYYMMDD"."""
        mark = len(self._errors)
        ts = self.acall(self.ib.reqHeadTimeStampAsync, self._qualified(spec), what, rth, 2)
        self._raise_new_errors(mark)
        if ts is None:
            raise TimeoutError("ib_insync: no headTimestamp")
        return plain(ts)

    def historical_ticks(self, spec: dict, start: str, end: str, n: int, what: str, rth: bool = False) -> list[dict]:
        """reqHistoricalTicks: the ticks' fields."""
        mark = len(self._errors)
        ticks = self.acall(self.ib.reqHistoricalTicksAsync, self._qualified(spec), start, end, n, what, rth, True)
        self._raise_new_errors(mark)
        return [plain(t) for t in ticks or []]

    # ------------------------------------------------------------------ orders
    def next_order_id(self) -> int:
        """client.getReqId: ib_insync's next order/request id."""
        return self.call(self.ib.client.getReqId)

    def place(self, spec: dict, order: dict, order_id: int | None = None) -> int:
        """placeOrder; an existing id = modify of that trade (a finished one's id is re-sent raw)."""
        oid = self.next_order_id() if order_id is None else order_id
        o = Order(**dict(order, orderId=oid))
        old = self._trades.get(oid)
        if old is not None and old.isDone():
            # reusing a finished order's id (IB answers 103): ib_insync's placeOrder asserts on it
            # locally, so send the placeOrder message through its client directly
            self.call(self.ib.client.placeOrder, oid, self._qualified(spec), o)
            return oid
        if old is not None:   # modify: ib_insync wants the live Order object of the trade
            for k, v in order.items():
                setattr(old.order, k, v)
            o = old.order
        self._trades[oid] = self.call(self.ib.placeOrder, self._qualified(spec), o)
        return oid

    def cancel(self, order_id: int) -> None:
        """cancelOrder of the trade, or raw for an id ib_insync has no trade for."""
        trade = self._trades.get(order_id)
        if trade is not None:
            self.call(self.ib.cancelOrder, trade.order)
        else:
            self.call(self.ib.client.cancelOrder, order_id, "")

    def global_cancel(self) -> None:
        """reqGlobalCancel."""
        self.call(self.ib.reqGlobalCancel)

    def _trade(self, order_id: int):
        t = self._trades.get(order_id)
        if t is None:
            for tr in self.ib.trades():
                if tr.order.orderId == order_id and tr.order.clientId in (self.client_id, 0):
                    return tr
        return t

    def trade_statuses(self, order_id: int) -> list[str]:
        """ib_insync's Trade.log statuses (its own view, incl. local PendingCancel)."""
        t = self._trade(order_id)
        out: list[str] = []
        for e in (t.log if t else []):
            if not out or out[-1] != e.status:
                out.append(e.status)
        return out

    def order_state(self, order_id: int) -> dict | None:
        """{"status": the trade's orderStatus fields, "order": the trade's Order fields}."""
        t = self._trade(order_id)
        if t is None:
            return None
        s = t.orderStatus
        st = {"status": s.status, "filled": s.filled, "remaining": s.remaining, "avgFillPrice": s.avgFillPrice,
              "permId": s.permId or t.order.permId, "parentId": s.parentId or t.order.parentId,
              "lastFillPrice": s.lastFillPrice, "clientId": s.clientId or t.order.clientId, "whyHeld": s.whyHeld}
        return {"status": st, "order": plain(t.order)}

    def what_if(self, spec: dict, order: dict) -> dict:
        """The whatIf OrderState's fields."""
        mark = len(self._errors)
        s = self.acall(self.ib.whatIfOrderAsync, self._qualified(spec), Order(**order))
        self._raise_new_errors(mark)
        if not s or not s.status:
            raise TimeoutError("ib_insync: no whatIf order state")
        return plain(s)

    def executions(self, order_id: int | None = None) -> list[dict]:
        """ib_insync's fills with their commission reports (realizedPNL as decoded)."""
        out = []
        for f in self.ib.fills():
            x = f.execution
            if order_id is not None and x.orderId != order_id:
                continue
            r = f.commissionReport
            out.append({"reqId": -1, "execId": x.execId, "orderId": x.orderId, "permId": x.permId,
                        "clientId": x.clientId, "side": x.side, "shares": float(x.shares), "price": x.price,
                        "cumQty": float(x.cumQty), "avgPrice": x.avgPrice, "conId": f.contract.conId,
                        "orderRef": x.orderRef, "commission": r.commission if r and r.execId else None,
                        "realizedPNL": r.realizedPNL if r and r.execId else None})
        return out

    def req_executions(self) -> list[dict]:
        """reqExecutions: [{execId, orderId, permId, side, shares, price, conId}]."""
        fills = self.acall(self.ib.reqExecutionsAsync)
        return [{"execId": f.execution.execId, "orderId": f.execution.orderId, "permId": f.execution.permId,
                 "side": f.execution.side, "shares": float(f.execution.shares), "price": f.execution.price,
                 "conId": f.contract.conId} for f in fills]

    def open_orders(self, all_clients: bool = False) -> list[dict]:
        """reqOpenOrders / reqAllOpenOrders: [{orderId, clientId, permId, status}]."""
        fn = self.ib.reqAllOpenOrdersAsync if all_clients else self.ib.reqOpenOrdersAsync
        trades = self.acall(fn)
        return [{"orderId": t.order.orderId, "clientId": t.order.clientId, "permId": t.order.permId,
                 "status": t.orderStatus.status} for t in trades]

    # ------------------------------------------------------------------ account
    def positions(self) -> list[list]:
        """[[conId, position, avgCost], ...]."""
        return [[p.contract.conId, float(p.position), float(p.avgCost)] for p in self.acall(self.ib.reqPositionsAsync)]

    def account_values(self, account: str = "") -> dict[str, str]:
        """ib_insync's account values in USD/BASE/none: {tag: value}."""
        return {v.tag: v.value for v in self.call(self.ib.accountValues, account)
                if v.currency in ("USD", "BASE", "")}

    def portfolio(self) -> list[list]:
        """[[conId, {position, marketPrice, marketValue, averageCost, unrealizedPNL, realizedPNL}], ...]."""
        return [[p.contract.conId, {"position": float(p.position), "marketPrice": p.marketPrice,
                                    "marketValue": p.marketValue, "averageCost": p.averageCost,
                                    "unrealizedPNL": p.unrealizedPNL, "realizedPNL": p.realizedPNL}]
                for p in self.call(self.ib.portfolio)]

    def account_summary(self, group: str, tags: str) -> list[list[str]]:
        """reqAccountSummary until its end: [[account, tag, value, currency]]."""
        rid = self.call(self.ib.client.getReqId)
        (fut,) = self.call(lambda: (self.ib.wrapper.startReq(rid),))   # tuple: call() must not await it
        self.call(self.ib.client.reqAccountSummary, rid, group, tags)

        async def waitfut():
            await fut
        try:
            self.acall(waitfut)
        finally:
            self.call(self.ib.client.cancelAccountSummary, rid)
        for r, code, text in list(self._errors):
            if r == rid and code not in WARNING_CODES:
                raise ClientError(code, text)
        return [[a["account"], a["tag"], a["value"], a["currency"]] for a in self._events("accountSummary", _reqId=rid)]

    def _pnl(self, obj, what: str) -> None:
        mark = len(self._errors)
        ok = self.wait(lambda: not math.isnan(obj.dailyPnL) or self._failed_since(mark))
        self._raise_new_errors(mark)
        if not ok:
            raise TimeoutError(f"ib_insync: no {what}")

    def pnl(self, account: str) -> dict:
        """dailyPnL, unrealizedPnL, realizedPnL as decoded (the parent maps unset values to None)."""
        p = self.call(self.ib.reqPnL, account, "")
        try:
            self._pnl(p, "pnl")
            return {"dailyPnL": p.dailyPnL, "unrealizedPnL": p.unrealizedPnL, "realizedPnL": p.realizedPnL}
        finally:
            self.call(self.ib.cancelPnL, account, "")

    def pnl_single(self, account: str, con_id: int) -> dict:
        """position, dailyPnL, unrealizedPnL, realizedPnL, value as decoded."""
        p = self.call(self.ib.reqPnLSingle, account, "", con_id)
        try:
            self._pnl(p, "pnlSingle")
            return {"position": float(p.position), "dailyPnL": p.dailyPnL, "unrealizedPnL": p.unrealizedPnL,
                    "realizedPnL": p.realizedPnL, "value": p.value}
        finally:
            self.call(self.ib.cancelPnLSingle, account, "", con_id)


class Server:
    """Sessions by id; answers one request (see the module docstring) per call of :meth:`handle`."""

    def __init__(self, out):
        self.out = out
        self.sessions: dict[int, Session] = {}
        self._next = 0
        self._lock = threading.Lock()

    def send(self, msg: dict) -> None:
        """Write one JSON line to the protocol stream."""
        line = json.dumps(msg, default=repr)
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def handle(self, req: dict) -> None:
        """Answer one request: its result, or the error it raised (see the module docstring)."""
        rid = req.get("id")
        try:
            self.send({"id": rid, "r": self.dispatch(req.get("s"), req["m"], req.get("a") or [], req.get("k") or {})})
        except ClientError as e:
            self.send({"id": rid, "e": "ClientError", "code": e.code, "text": e.text})
        except (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError) as e:
            self.send({"id": rid, "e": "TimeoutError", "text": str(e) or type(e).__name__})
        except Exception as e:
            self.send({"id": rid, "e": type(e).__name__, "text": str(e), "tb": traceback.format_exc()[-3000:]})

    def dispatch(self, sid: int | None, method: str, a: list, kw: dict) -> Any:
        """Run ``method`` of session ``sid`` (``open``: a new session); NotImplementedError for an unknown method."""
        if method == "open":
            with self._lock:
                self._next += 1
                sid = self._next
            self.sessions[sid] = Session(sid, *a, **kw)
            return sid
        s = self.sessions.get(sid)
        if s is None:
            raise RuntimeError(f"ib_insync child: no session {sid}")
        if method == "close":
            del self.sessions[sid]
            return s.close(*a)
        fn = getattr(s, method, None) if not method.startswith("_") else None
        if fn is None or not callable(fn):
            raise NotImplementedError(f"ib_insync driver has no method {method!r}")
        return fn(*a, **kw)

    def shutdown(self) -> None:
        """Close every session (end of input)."""
        for sid in list(self.sessions):
            try:
                self.sessions.pop(sid).close()
            except Exception:
                logging.getLogger("insync_child").exception("closing session %s", sid)


def main() -> None:
    """Serve requests from stdin until it ends (see the module docstring)."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)                   # prints of anyone else go to stderr, not into the protocol
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s")
    server = Server(out)
    server.send({"ready": True, "version": ib_insync.__version__, "pid": os.getpid()})
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="req")
    for line in sys.stdin:
        if line.strip():
            pool.submit(server.handle, json.loads(line))
    server.shutdown()
    out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
