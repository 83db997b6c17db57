"""One session of an ib_insync-like client: the request logic that ``ib_async`` 2.1 and its
ancestor ``ib_insync`` 0.9.86 share (same ``IB`` API), written once.

:class:`Session` runs the library's ``IB`` on its own asyncio event loop in a daemon thread,
records every ``Wrapper`` callback its decoder makes, and answers the requests of the neutral
driver API (see :mod:`tests.conformance.common`) with *plain* values: lists, dicts, numbers as
the client decoded them (IB's unset markers and NaN included), times as POSIX seconds or
``"YYYYMMDD"`` (:func:`plain`), so that a result can cross a JSON pipe. Turning those into the
neutral shapes (tuples, ``num`` for unset values, the depth replay) is
:class:`tests.conformance.iblike_driver.IbLikeDriver`'s job, on the test side.

Two users: :class:`tests.conformance.ib_async_driver.IbAsyncDriver` in-process with ib_async,
and ``insync_child.py`` in the private venv of ib_insync (:mod:`tests.conformance.insync_env`).
So this module imports only the standard library, ``base.py`` and ``iblike_scan.py`` (the
scanner / news bulletin requests, a mixin; both stdlib-only), and takes the
client library as a :class:`Flavor`; what really differs between the two libraries (the
decoder's logger names and which of its ERROR records are decode failures, how the depth book
is kept) is a field of the flavor. In the child, which runs with this directory on
``sys.path`` and no ``tests`` package, it is imported as the top-level module ``iblike`` and
imports ``base`` the same way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import decimal
import inspect
import logging
import math
import threading
import time
from types import ModuleType
from typing import Any, Callable

if __package__:                  # tests.conformance.iblike (the test process)
    from .base import POSITION_CONTRACT_KEYS, WARNING_CODES, ClientError, DecodeWatch, poll
    from .iblike_scan import ScanSession
else:                            # iblike beside insync_child.py (the ib_insync child)
    from base import POSITION_CONTRACT_KEYS, WARNING_CODES, ClientError, DecodeWatch, poll  # type: ignore[no-redef]
    from iblike_scan import ScanSession  # type: ignore[no-redef]

#: Wrapper methods of either library that are not gateway messages (bookkeeping, the
#: per-packet hooks the client binds before they could be recorded, the handshake's connectAck)
NOT_MESSAGES = frozenset({"reset", "connectionClosed", "setEventsDone", "startReq", "startReqs", "startTicker",
                          "endTicker", "startSubscription", "endSubscription", "orderKey", "setTimeout",
                          "tcpDataArrived", "tcpDataProcessed", "connectAck"})


def callbacks(wrapper: type) -> list[str]:
    """The methods of ``wrapper`` (a library's ``Wrapper`` class) that its decoder calls for
    gateway messages, plus ``connectionClosed``."""
    return sorted(n for n, f in inspect.getmembers(wrapper, inspect.isfunction)
                  if not n.startswith("_") and n[0].islower() and n not in NOT_MESSAGES) + ["connectionClosed"]


def plain(v: Any, depth: int = 0) -> Any:
    """A decoded value as JSON: dataclasses (Contract, Order, Execution, BarData ...) -> dict
    of their fields, sequences -> lists, Decimal -> float, aware/naive datetime -> POSIX seconds
    (naive taken as UTC, as ``common.bar_time``), date -> ``"YYYYMMDD"``, NamedTuples
    (HistoricalTick, TagValue ...) -> dict; floats as they are (NaN and IB's UNSET_DOUBLE
    included); anything else -> its repr."""
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


def dom_lists(ticker: Any) -> tuple[list, list]:
    """A ticker's depth book as the library keeps it: (domBids, domAsks), DOMLevels best first."""
    return list(ticker.domBids), list(ticker.domAsks)


@dataclasses.dataclass(frozen=True)
class Flavor:
    """What a :class:`Session` needs to know of its client library.

    ``lib``: the library module (``ib_async`` or ``ib_insync``; its ``IB``, ``Contract``,
    ``Order`` and ``wrapper.Wrapper`` are used); ``decode_loggers``, ``decode_keep``,
    ``decode_with_exception``: the :class:`~base.DecodeWatch` that collects its decode
    failures; ``dom_book``: ticker -> (bid levels, ask levels), best first (default
    :func:`dom_lists`).
    """

    lib: ModuleType
    decode_loggers: tuple[str, ...]
    decode_keep: Callable[[logging.LogRecord], bool] | None = None
    decode_with_exception: bool = False
    dom_book: Callable[[Any], tuple[list, list]] = dom_lists

    @property
    def name(self) -> str:
        """The library's name (``"ib_async"``, ``"ib_insync"``): thread names, error texts."""
        return self.lib.__name__


class Session(ScanSession):
    """One ``IB`` of ``flavor``'s library on its own event loop thread (named
    ``<library>-loop-<tag>``); the neutral request API with plain results (module docstring).

    Every Wrapper callback is recorded as ``(name, args, monotonic time)`` in :attr:`log`,
    ``args`` by parameter name passed through ``record`` (default :func:`plain`; None keeps the
    decoded objects). Requests raise :class:`~base.ClientError` (IB code) for an error message
    that answers them, ``TimeoutError`` when the answer is missing (``timeout`` s by default).
    """

    def __init__(self, flavor: Flavor, tag: str, timeout: float = 3.0,
                 record: Callable[[dict], Any] | None = plain):
        self.flavor = flavor
        self.name = flavor.name
        self.timeout = timeout
        self._record = record
        self.loop = asyncio.new_event_loop()
        thread = f"{flavor.name}-loop-{tag}"
        self._watch = DecodeWatch(flavor.decode_loggers, thread, keep=flavor.decode_keep,
                                  with_exception=flavor.decode_with_exception)
        self._thread = threading.Thread(target=self._run_loop, name=thread, daemon=True)
        self._thread.start()
        self.ib = self.call(flavor.lib.IB)
        self.log: list[tuple[str, Any, float]] = []
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
        raises ClientError (the library itself waits out its own timeouts for codes it treats
        as warnings, e.g. 321)."""
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
        raise TimeoutError(f"{self.name}: {getattr(coro_fn, '__name__', coro_fn)} timed out")

    def _hook_wrapper(self) -> None:
        w = self.ib.wrapper
        for name in callbacks(self.flavor.lib.wrapper.Wrapper):
            orig = getattr(w, name, None)
            if orig is None:
                continue
            sig = inspect.signature(orig)

            def rec(*a, __orig=orig, __sig=sig, __name=name, **kw):
                try:
                    args = dict(__sig.bind(*a, **kw).arguments)
                except TypeError:
                    args = {"args": a, **kw}
                entry = (__name, args if self._record is None else self._record(args), time.monotonic())
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

    def _until(self, mark: int, pred: Callable[[], Any], what: str, timeout: float | None = None) -> None:
        """Wait until ``pred()`` or an error message for a request since ``mark``; then
        ClientError for such an error, TimeoutError "no <what>" if ``pred`` never held."""
        ok = self.wait(lambda: pred() or self._failed_since(mark), timeout)
        self._raise_new_errors(mark)
        if not ok:
            raise TimeoutError(f"{self.name}: {what}")

    # ------------------------------------------------------------------ session
    def connect(self, port: int, client_id: int, host: str = "127.0.0.1") -> dict:
        """connectAsync (with the library's start-up sync); server_version, accounts,
        next_valid_id, farm_codes (codes of the reqId -1 messages, a sorted list)."""
        self.client_id = client_id
        self.acall(self.ib.connectAsync, host, port, clientId=client_id, timeout=self.timeout)
        self.wait(lambda: {2104, 2106, 2158} <= {c for r, c, _ in self._errors if r == -1}, 1.0)
        nv = self._events("nextValidId")
        return {"server_version": self.ib.client.serverVersion(), "accounts": list(self.ib.managedAccounts()),
                "next_valid_id": nv[-1]["reqId"] if nv else None,
                "farm_codes": sorted({c for r, c, _ in self._errors if r == -1})}

    def decode_problems(self) -> list[str]:
        """The decode failures seen so far (the flavor's DecodeWatch on this loop thread)."""
        return list(self._watch.problems)

    def close(self, since: int = 0) -> dict:
        """Disconnect, stop and close the loop; returns {"problems": the final decode problems,
        "log": the callbacks from index ``since`` on (see :meth:`log_since`)}."""
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
        """The library's isConnected."""
        return self.call(self.ib.isConnected)

    def current_time(self) -> float:
        """reqCurrentTime: POSIX s."""
        return plain(self.acall(self.ib.reqCurrentTimeAsync))

    # ------------------------------------------------------------------ test hooks
    def interpret(self, fields: list[str]) -> None:
        """Feed one message's fields to the library's decoder (self-test of decode_problems)."""
        self.call(self.ib.client.decoder.interpret, fields)

    def client_call(self, method: str, *args) -> None:
        """Call ``IB.client.<method>(*args)`` in the loop: a raw request through the library's
        throttled client (the pacing scenario)."""
        self.call(getattr(self.ib.client, method), *args)

    # ------------------------------------------------------------------ contracts
    def matching_symbols(self, pattern: str) -> list[dict]:
        """reqMatchingSymbols: [{conId, symbol, secType, primaryExchange, currency, derivativeSecTypes}]."""
        mark = len(self._errors)
        res = self.acall(self.ib.reqMatchingSymbolsAsync, pattern, timeout=5)
        self._raise_new_errors(mark)
        if res is None:
            raise TimeoutError(f"{self.name}: no symbolSamples")
        return [{"conId": d.contract.conId, "symbol": d.contract.symbol, "secType": d.contract.secType,
                 "primaryExchange": d.contract.primaryExchange, "currency": d.contract.currency,
                 "derivativeSecTypes": list(d.derivativeSecTypes or [])} for d in res]

    def contract_details(self, spec: dict) -> list[dict]:
        """reqContractDetails: a dict of contract and details fields per match."""
        mark = len(self._errors)
        cds = self.acall(self.ib.reqContractDetailsAsync, self.flavor.lib.Contract(**spec))
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

    def _qualified(self, spec: dict) -> Any:
        """The Contract qualified through reqContractDetails (the library keys tickers by conId,
        as an app must); ClientError 200 for an unknown one."""
        Contract = self.flavor.lib.Contract
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
            raise TimeoutError(f"{self.name}: no marketRule {rule_id}")
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
                raise TimeoutError(f"{self.name}: incomplete quote {q}")
            q["marketDataType"] = t.marketDataType
            q["minTick"] = t.minTick
            rids = self._ticker_req_ids(t)
            q["tickTypes"] = sorted({a.get("tickType") for n, a, _ in list(self.log)
                                     if n in ("priceSizeTick", "tickSize") and a.get("reqId") in rids})
            return q
        finally:
            self.call(self.ib.cancelMktData, c)

    def depth(self, spec: dict, rows: int = 10, settle: float = 1.0) -> dict:
        """The library's book (``flavor.dom_book``, best first) and the raw updateMktDepthL2
        operations [position, operation, side, price, size] (the driver replays them)."""
        mark = len(self._errors)
        c = self._qualified(spec)
        n0 = len(self.log)
        t = self.call(self.ib.reqMktDepth, c, rows, False)
        try:
            self._until(mark, lambda: t.domBids or t.domAsks, "no depth")
            time.sleep(settle)
            bids, asks = ([[float(d.price), float(d.size)] for d in side] for side in self.flavor.dom_book(t))
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
            self._until(mark, lambda: len(got()) >= n, f"fewer than {n} {cb}", timeout or 6.0)
        finally:
            self.call(self.ib.cancelTickByTickData, c, kind)
        return {"callback": cb, "ticks": got()}

    def realtime_bars(self, spec: dict, n: int = 1, what: str = "TRADES", rth: bool = False,
                      timeout: float = 12.0) -> list[dict]:
        """reqRealTimeBars (5 s) until ``n`` bars."""
        mark = len(self._errors)
        bars = self.call(self.ib.reqRealTimeBars, self._qualified(spec), 5, what, rth)
        try:
            self._until(mark, lambda: len(bars) >= n, "no realtime bar", timeout)
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
        gives the updates the library made to the bar list since, :meth:`cancel_history` ends it."""
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
            raise TimeoutError(f"{self.name}: no headTimestamp")
        return plain(ts)

    def historical_ticks(self, spec: dict, start: str, end: str, n: int, what: str, rth: bool = False) -> list[dict]:
        """reqHistoricalTicks: the ticks' fields."""
        mark = len(self._errors)
        ticks = self.acall(self.ib.reqHistoricalTicksAsync, self._qualified(spec), start, end, n, what, rth, True)
        self._raise_new_errors(mark)
        return [plain(t) for t in ticks or []]

    # ------------------------------------------------------------------ orders
    def next_order_id(self) -> int:
        """client.getReqId: the library's next order/request id."""
        return self.call(self.ib.client.getReqId)

    def place(self, spec: dict, order: dict, order_id: int | None = None) -> int:
        """placeOrder; an existing id = modify of that trade (a finished one's id is re-sent raw)."""
        oid = self.next_order_id() if order_id is None else order_id
        o = self.flavor.lib.Order(**dict(order, orderId=oid))
        old = self._trades.get(oid)
        if old is not None and old.isDone():
            # reusing a finished order's id (IB answers 103): the library's placeOrder asserts on
            # it locally, so send the placeOrder message through its client directly
            self.call(self.ib.client.placeOrder, oid, self._qualified(spec), o)
            return oid
        if old is not None:   # modify: the library wants the live Order object of the trade
            for k, v in order.items():
                setattr(old.order, k, v)
            o = old.order
        self._trades[oid] = self.call(self.ib.placeOrder, self._qualified(spec), o)
        return oid

    def cancel(self, order_id: int) -> None:
        """cancelOrder of the trade, or raw for an id the library has no trade for."""
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
        """The library's Trade.log statuses (its own view, incl. local PendingCancel)."""
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
        s = self.acall(self.ib.whatIfOrderAsync, self._qualified(spec), self.flavor.lib.Order(**order))
        self._raise_new_errors(mark)
        if not s or not s.status:
            raise TimeoutError(f"{self.name}: no whatIf order state")
        return plain(s)

    def executions(self, order_id: int | None = None) -> list[dict]:
        """The library's fills with their commission reports (realizedPNL as decoded)."""
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

    def position_contracts(self) -> list[list]:
        """[[conId, {secType, exchange, currency, lastTradeDateOrContractMonth, strike, right,
        multiplier, localSymbol} as decoded]] of reqPositions."""
        return [[p.contract.conId, {k: getattr(p.contract, k) for k in POSITION_CONTRACT_KEYS}]
                for p in self.acall(self.ib.reqPositionsAsync)]

    def account_values(self, account: str = "") -> dict[str, str]:
        """The library's account values in USD/BASE/none: {tag: value}."""
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

    def pnl(self, account: str) -> dict:
        """dailyPnL, unrealizedPnL, realizedPnL as decoded (the driver maps unset values to None)."""
        mark = len(self._errors)
        p = self.call(self.ib.reqPnL, account, "")
        try:
            self._until(mark, lambda: not math.isnan(p.dailyPnL), "no pnl")
            return {"dailyPnL": p.dailyPnL, "unrealizedPnL": p.unrealizedPnL, "realizedPnL": p.realizedPnL}
        finally:
            self.call(self.ib.cancelPnL, account, "")

    def pnl_single(self, account: str, con_id: int) -> dict:
        """position, dailyPnL, unrealizedPnL, realizedPnL, value as decoded."""
        mark = len(self._errors)
        p = self.call(self.ib.reqPnLSingle, account, "", con_id)
        try:
            self._until(mark, lambda: not math.isnan(p.dailyPnL), "no pnlSingle")
            return {"position": float(p.position), "dailyPnL": p.dailyPnL, "unrealizedPnL": p.unrealizedPnL,
                    "realizedPnL": p.realizedPnL, "value": p.value}
        finally:
            self.call(self.ib.cancelPnLSingle, account, "", con_id)
