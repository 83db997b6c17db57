"""Conformance driver over ib_async 2.1 (the client the terminal uses).

``IbAsyncDriver`` runs an ``ib_async.IB`` on its own asyncio event loop in a
daemon thread and offers the same synchronous, neutral request API as
:class:`tests.conformance.ibapi_driver.IbapiDriver` (same method names, same
result shapes), built from ib_async's *decoded* objects (Ticker, Trade, Fill,
BarDataList, PnL ...). Every ``Wrapper`` callback ib_async's decoder makes is
also recorded as a :class:`~tests.conformance.ibapi_driver.Callback` (in
``log``), for requests whose result ib_async only keeps transiently
(tick-by-tick, account summary by reqId).

Units as in the ibapi driver: prices in instrument currency, sizes in shares,
intraday times POSIX seconds (UTC), daily bar times ``YYYYMMDD``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import math
import threading
import time
from typing import Any, Callable

from ib_async import IB, Contract, Order
from ib_async.wrapper import Wrapper

from tests.conformance.common import WARNING_CODES, ClientError, DecodeWatch, apply_depth, bar_time, num, order_state_dict
from tests.conformance.ibapi_driver import Callback

#: ib_async.Wrapper methods that the decoder calls for gateway messages
_CALLBACKS = sorted(n for n, f in inspect.getmembers(Wrapper, inspect.isfunction)
                    if not n.startswith("_") and n[0].islower() and n not in (
                        "reset", "connectionClosed", "setEventsDone", "startReq", "startTicker",
                        "endTicker", "startSubscription", "endSubscription", "orderKey", "setTimeout",
                        "startReqs")) + ["connectionClosed"]


def make_contract(spec: dict) -> Contract:
    """An ib_async Contract from a spec dict of IB attribute names."""
    return Contract(**spec)


def make_order(fields: dict) -> Order:
    """An ib_async Order from IB ``Order`` attribute names. Raises TypeError for an unknown name."""
    return Order(**fields)


class IbAsyncDriver:
    """ib_async on its own event loop thread; neutral request API for the scenarios."""

    name = "ib_async"

    def __init__(self, timeout: float = 3.0):
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        name = f"ib_async-loop-{id(self):x}"
        self._watch = DecodeWatch(("ib_async.Decoder",), name)
        self._thread = threading.Thread(target=self._run_loop, name=name, daemon=True)
        self._thread.start()
        self.ib: IB = self.call(IB)
        self.log: list[Callback] = []
        self._lock = threading.Lock()
        self._trades: dict[int, Any] = {}
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
        fut = asyncio.run_coroutine_threadsafe(job(), self.loop)
        return fut.result(timeout or self.timeout + 2)

    def acall(self, coro_fn: Callable, *a, timeout: float | None = None, fail_fast: bool = True, **kw):
        """Await ``coro_fn(*a, **kw)`` in the loop with a timeout (TimeoutError). With
        ``fail_fast``, a new non-warning error message (reqId != -1) arriving meanwhile
        cancels it and raises ClientError (ib_async itself waits out its own timeouts
        for codes it treats as warnings, e.g. 321)."""
        t = timeout or self.timeout
        mark = len(self.errors())

        async def job():
            return await asyncio.wait_for(coro_fn(*a, **kw), t)
        fut = asyncio.run_coroutine_threadsafe(job(), self.loop)
        end = time.monotonic() + t + 2
        while time.monotonic() < end:
            try:
                return fut.result(0.02)
            except concurrent.futures.TimeoutError:
                pass
            if fail_fast:
                new = [(r, c, m) for r, c, m in self.errors()[mark:] if c not in WARNING_CODES and (r != -1 or c == 326)]
                if new:
                    fut.cancel()
                    raise ClientError(new[0][1], new[0][2])
        fut.cancel()
        raise TimeoutError(f"ib_async: {getattr(coro_fn, '__name__', coro_fn)} timed out")

    def _hook_wrapper(self) -> None:
        w = self.ib.wrapper
        for name in _CALLBACKS:
            orig = getattr(w, name, None)
            if orig is None:
                continue
            sig = inspect.signature(orig)

            def rec(*a, __orig=orig, __sig=sig, __name=name, **kw):
                try:
                    b = __sig.bind(*a, **kw)
                    args = dict(b.arguments)
                except TypeError:
                    args = {"args": a, **kw}
                with self._lock:
                    self.log.append(Callback(__name, args))
                return __orig(*a, **kw)
            setattr(w, name, rec)

    def events(self, name: str | None = None, **match) -> list[Callback]:
        with self._lock:
            out = list(self.log)
        return [e for e in out if (name is None or e.name == name)
                and all(e.args.get(k) == v for k, v in match.items())]

    def wait(self, pred: Callable[[], Any], timeout: float | None = None) -> bool:
        end = time.monotonic() + (self.timeout if timeout is None else timeout)
        while time.monotonic() < end:
            if pred():
                return True
            time.sleep(0.02)
        return bool(pred())

    def errors(self) -> list[tuple[int, int, str]]:
        return [(e.args.get("reqId"), e.args.get("errorCode"), e.args.get("errorString"))
                for e in self.events("error")]

    def _raise_new_errors(self, mark: int, req_id: int | None = None) -> None:
        for r, code, text in self.errors()[mark:]:
            if code not in WARNING_CODES and r != -1 and (req_id is None or r == req_id):
                raise ClientError(code, text)

    # ------------------------------------------------------------------ session
    def connect(self, port: int, client_id: int, host: str = "127.0.0.1") -> dict:
        self.client_id = client_id
        self.acall(self.ib.connectAsync, host, port, clientId=client_id, timeout=self.timeout)
        self.wait(lambda: {2104, 2106, 2158} <= {c for r, c, _ in self.errors() if r == -1}, 1.0)
        nv = self.events("nextValidId")
        return {"server_version": self.ib.client.serverVersion(),
                "accounts": list(self.ib.managedAccounts()),
                "next_valid_id": nv[-1].args["reqId"] if nv else None,
                "farm_codes": {c for r, c, _ in self.errors() if r == -1}}

    def decode_problems(self) -> list[str]:
        """ERROR logs of ib_async's decoder/client on this driver's loop thread (a message it
        could not decode, e.g. "Error handling fields")."""
        return list(self._watch.problems)

    def disconnect(self, wait: bool = True) -> None:
        """Disconnect, stop and close the event loop (``wait`` is accepted for symmetry with
        the ibapi driver; ib_async's disconnect is synchronous)."""
        try:
            if not self.loop.is_closed():
                self.call(self.ib.disconnect)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(2)
            if not self._thread.is_alive():
                self.loop.close()
            self._watch.close()

    def join(self, timeout: float = 2.0) -> None:
        """Nothing left to wait for after :meth:`disconnect`."""

    def is_connected(self) -> bool:
        return self.call(self.ib.isConnected)

    def current_time(self) -> float:
        return self.acall(self.ib.reqCurrentTimeAsync).timestamp()

    # ------------------------------------------------------------------ contracts
    def matching_symbols(self, pattern: str) -> list[dict]:
        mark = len(self.errors())
        res = self.acall(self.ib.reqMatchingSymbolsAsync, pattern, timeout=5)
        self._raise_new_errors(mark)
        if res is None:
            raise TimeoutError("ib_async: no symbolSamples")
        return [{"conId": d.contract.conId, "symbol": d.contract.symbol, "secType": d.contract.secType,
                 "primaryExchange": d.contract.primaryExchange, "currency": d.contract.currency,
                 "derivativeSecTypes": list(d.derivativeSecTypes or [])} for d in res]

    def contract_details(self, spec: dict) -> list[dict]:
        mark = len(self.errors())
        cds = self.acall(self.ib.reqContractDetailsAsync, make_contract(spec))
        self._raise_new_errors(mark)
        return [{"conId": cd.contract.conId, "symbol": cd.contract.symbol, "secType": cd.contract.secType,
                 "exchange": cd.contract.exchange, "primaryExchange": cd.contract.primaryExchange,
                 "currency": cd.contract.currency, "localSymbol": cd.contract.localSymbol,
                 "tradingClass": cd.contract.tradingClass, "longName": cd.longName, "industry": cd.industry,
                 "category": cd.category, "subcategory": cd.subcategory, "timeZoneId": cd.timeZoneId,
                 "tradingHours": cd.tradingHours, "liquidHours": cd.liquidHours, "minTick": cd.minTick,
                 "marketRuleIds": cd.marketRuleIds, "validExchanges": cd.validExchanges,
                 "orderTypes": cd.orderTypes} for cd in cds]

    def qualified(self, spec: dict) -> Contract:
        """The contract qualified through reqContractDetails (ib_async keys tickers by conId, as
        an app must); ClientError 200 for an unknown one."""
        if spec.get("conId"):
            return make_contract(spec)
        mark = len(self.errors())
        cs = self.acall(self.ib.qualifyContractsAsync, make_contract(spec))
        self._raise_new_errors(mark)
        if not cs or cs[0] is None or not cs[0].conId:
            codes = [c for _, c, _ in self.errors()[mark:]]
            raise ClientError(codes[0] if codes else 200, "contract not qualified")
        return cs[0]

    def market_rule(self, rule_id: int) -> list[tuple[float, float]]:
        res = self.acall(self.ib.reqMarketRuleAsync, rule_id)
        if res is None:
            raise TimeoutError(f"ib_async: no marketRule {rule_id}")
        return [(float(p.lowEdge), float(p.increment)) for p in res]

    # ------------------------------------------------------------------ market data
    def quote(self, spec: dict, md_type: int = 1, timeout: float | None = None) -> dict:
        mark = len(self.errors())
        self.call(self.ib.reqMarketDataType, md_type)
        c = self.qualified(spec)
        t = self.call(self.ib.reqMktData, c, "", False, False)
        need: tuple[str, ...] = ("bid", "ask", "bidSize", "askSize")
        if spec.get("secType", "STK") != "CASH":
            need += ("last", "volume", "close")

        def ok(v):
            return v is not None and not (isinstance(v, float) and math.isnan(v))
        try:
            done = self.wait(lambda: all(ok(getattr(t, k)) for k in need) or any(
                c2 not in WARNING_CODES and r != -1 for r, c2, _ in self.errors()[mark:]), timeout)
            self._raise_new_errors(mark)
            q = {k: float(getattr(t, k)) for k in ("bid", "ask", "last", "bidSize", "askSize", "volume", "close",
                                                  "lastSize", "high", "low", "open") if ok(getattr(t, k))}
            if not done:
                raise TimeoutError(f"ib_async: incomplete quote {q}")
            q["marketDataType"] = t.marketDataType
            q["minTick"] = t.minTick
            q["tickTypes"] = sorted({e.args.get("tickType") for e in self.events()
                                     if e.name in ("priceSizeTick", "tickSize", "tickPrice")
                                     and e.args.get("reqId") in self._ticker_req_ids(t)})
            return q
        finally:
            self.call(self.ib.cancelMktData, c)

    def _ticker_req_ids(self, ticker) -> set:
        return {r for r, tk in self.ib.wrapper.reqId2Ticker.items() if tk is ticker}

    def depth(self, spec: dict, rows: int = 10, settle: float = 1.0) -> dict:
        mark = len(self.errors())
        c = self.qualified(spec)
        n0 = len(self.log)
        t = self.call(self.ib.reqMktDepth, c, rows, False)
        try:
            ok = self.wait(lambda: t.domBids or t.domAsks or any(
                c2 not in WARNING_CODES and r != -1 for r, c2, _ in self.errors()[mark:]))
            self._raise_new_errors(mark)
            if not ok:
                raise TimeoutError("ib_async: no depth")
            time.sleep(settle)
            bids = [(float(d.price), float(d.size)) for _, d in sorted(t.domBidsDict.items())]
            asks = [(float(d.price), float(d.size)) for _, d in sorted(t.domAsksDict.items())]
            with self._lock:
                raw = [e for e in self.log[n0:] if e.name == "updateMktDepthL2"]
        finally:
            self.call(self.ib.cancelMktDepth, c, False)
        ops = [(e.args["position"], e.args["operation"], e.args["side"], float(e.args["price"]),
                float(e.args["size"])) for e in raw]
        rb, ra = apply_depth(ops)
        return {"bids": bids, "asks": asks, "replay_bids": rb, "replay_asks": ra, "updates": len(ops)}

    def depth_exchanges(self) -> list[tuple]:
        res = self.acall(self.ib.reqMktDepthExchangesAsync)
        return [(d.exchange, d.secType, d.listingExch, d.serviceDataType, d.aggGroup) for d in res]

    def tick_by_tick(self, spec: dict, kind: str, n: int = 3, timeout: float | None = None) -> list[dict]:
        mark = len(self.errors())
        c = self.qualified(spec)
        n0 = len(self.log)
        t = self.call(self.ib.reqTickByTickData, c, kind, 0, False)
        cb = {"Last": "tickByTickAllLast", "AllLast": "tickByTickAllLast", "BidAsk": "tickByTickBidAsk",
              "MidPoint": "tickByTickMidPoint"}[kind]
        rids = self._ticker_req_ids(t)

        def got():
            with self._lock:
                return [e for e in self.log[n0:] if e.name == cb and e.args.get("reqId") in rids]
        try:
            ok = self.wait(lambda: len(got()) >= n or any(
                c2 not in WARNING_CODES and r != -1 for r, c2, _ in self.errors()[mark:]), timeout or 6.0)
            self._raise_new_errors(mark)
            if not ok:
                raise TimeoutError(f"ib_async: fewer than {n} {cb}")
        finally:
            self.call(self.ib.cancelTickByTickData, c, kind)
        from tests.conformance.common import norm_tbt
        return [norm_tbt(cb, e.args) for e in got()]

    def realtime_bars(self, spec: dict, n: int = 1, what: str = "TRADES", rth: bool = False,
                      timeout: float = 12.0) -> list[dict]:
        mark = len(self.errors())
        bars = self.call(self.ib.reqRealTimeBars, self.qualified(spec), 5, what, rth)
        try:
            ok = self.wait(lambda: len(bars) >= n or any(
                c2 not in WARNING_CODES and r != -1 for r, c2, _ in self.errors()[mark:]), timeout)
            self._raise_new_errors(mark)
            if not ok:
                raise TimeoutError("ib_async: no realtime bar")
        finally:
            self.call(self.ib.cancelRealTimeBars, bars)
        return [{"time": int(bar_time(b.time)), "open": b.open_, "high": b.high, "low": b.low, "close": b.close,
                 "volume": float(b.volume)} for b in list(bars)]

    def history(self, spec: dict, end: str, duration: str, bar_size: str, what: str = "TRADES",
                rth: bool = False, timeout: float | None = None) -> list[dict]:
        mark = len(self.errors())
        bars = self.acall(self.ib.reqHistoricalDataAsync, self.qualified(spec), end, duration, bar_size, what,
                          rth, 2, False, timeout=timeout or 6.0)
        self._raise_new_errors(mark)
        return [{"time": bar_time(b.date), "open": b.open, "high": b.high, "low": b.low, "close": b.close,
                 "volume": float(b.volume), "count": b.barCount} for b in bars]

    def head_timestamp(self, spec: dict, what: str = "TRADES", rth: bool = False) -> float:
        mark = len(self.errors())
        ts = self.acall(self.ib.reqHeadTimeStampAsync, self.qualified(spec), what, rth, 2)
        self._raise_new_errors(mark)
        if ts is None:
            raise TimeoutError("ib_async: no headTimestamp")
        return bar_time(ts)

    def historical_ticks(self, spec: dict, start: str, end: str, n: int, what: str, rth: bool = False) -> list[dict]:
        mark = len(self.errors())
        ticks = self.acall(self.ib.reqHistoricalTicksAsync, self.qualified(spec), start, end, n, what, rth, True)
        self._raise_new_errors(mark)
        from tests.conformance.common import norm_hist_tick
        return [norm_hist_tick(t) for t in ticks or []]

    # ------------------------------------------------------------------ orders
    def next_order_id(self) -> int:
        return self.call(self.ib.client.getReqId)

    def place(self, spec: dict, order: dict, order_id: int | None = None) -> int:
        oid = self.next_order_id() if order_id is None else order_id
        o = make_order(dict(order, orderId=oid))
        old = self._trades.get(oid)
        if old is not None and old.isDone():
            # reusing a finished order's id (IB answers 103): ib_async's placeOrder asserts on it
            # locally, so send the placeOrder message through its client directly
            self.call(self.ib.client.placeOrder, oid, self.qualified(spec), o)
            return oid
        if old is not None:   # modify: ib_async wants the live Order object of the trade
            for k, v in order.items():
                setattr(old.order, k, v)
            o = old.order
        trade = self.call(self.ib.placeOrder, self.qualified(spec), o)
        self._trades[oid] = trade
        return oid

    def cancel(self, order_id: int) -> None:
        trade = self._trades.get(order_id)
        if trade is not None:
            self.call(self.ib.cancelOrder, trade.order)
        else:
            self.call(self.ib.client.cancelOrder, order_id, "")

    def global_cancel(self) -> None:
        self.call(self.ib.reqGlobalCancel)

    def _trade(self, order_id: int):
        t = self._trades.get(order_id)
        if t is None:
            for tr in self.ib.trades():
                if tr.order.orderId == order_id and tr.order.clientId in (self.client_id, 0):
                    return tr
        return t

    def statuses(self, order_id: int) -> list[str]:
        """Statuses the gateway reported for ``order_id`` as ib_async decoded them (its
        orderStatus callbacks; ib_async's own local PendingSubmit/PendingCancel are left out)."""
        out: list[str] = []
        for e in self.events("orderStatus", orderId=order_id):
            s = e.args["status"]
            if not out or out[-1] != s:
                out.append(s)
        return out

    def trade_statuses(self, order_id: int) -> list[str]:
        """ib_async's Trade.log statuses (its own view, incl. local PendingCancel)."""
        t = self._trade(order_id)
        out: list[str] = []
        for e in (t.log if t else []):
            if not out or out[-1] != e.status:
                out.append(e.status)
        return out

    def order_state(self, order_id: int) -> dict | None:
        t = self._trade(order_id)
        if t is None:
            return None
        s = t.orderStatus
        st = {"status": s.status, "filled": s.filled, "remaining": s.remaining, "avgFillPrice": s.avgFillPrice,
              "permId": s.permId or t.order.permId, "parentId": s.parentId or t.order.parentId,
              "lastFillPrice": s.lastFillPrice, "clientId": s.clientId or t.order.clientId, "whyHeld": s.whyHeld}
        return order_state_dict(st, t.order, None)

    def wait_status(self, order_id: int, *status: str, timeout: float | None = None) -> bool:
        return self.wait(lambda: any(e.args["status"] in status
                                     for e in self.events("orderStatus", orderId=order_id)), timeout)

    def order_errors(self, order_id: int) -> list[int]:
        return [c for r, c, _ in self.errors() if r == order_id]

    def wait_error(self, req_id: int, code: int, timeout: float | None = None) -> bool:
        return self.wait(lambda: any(r == req_id and c == code for r, c, _ in self.errors()), timeout)

    def what_if(self, spec: dict, order: dict) -> dict:
        mark = len(self.errors())
        s = self.acall(self.ib.whatIfOrderAsync, self.qualified(spec), make_order(order))
        self._raise_new_errors(mark)
        if not s or not s.status:
            raise TimeoutError("ib_async: no whatIf order state")
        from tests.conformance.common import norm_what_if
        return norm_what_if(s, "commission", "commissionCurrency")

    def executions(self, order_id: int | None = None) -> list[dict]:
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
                        "realizedPNL": num(r.realizedPNL) if r and r.execId else None})
        return out

    def req_executions(self) -> list[dict]:
        fills = self.acall(self.ib.reqExecutionsAsync)
        return [{"execId": f.execution.execId, "orderId": f.execution.orderId, "permId": f.execution.permId,
                 "side": f.execution.side, "shares": float(f.execution.shares), "price": f.execution.price,
                 "conId": f.contract.conId} for f in fills]

    def open_orders(self, all_clients: bool = False) -> list[dict]:
        fn = self.ib.reqAllOpenOrdersAsync if all_clients else self.ib.reqOpenOrdersAsync
        trades = self.acall(fn)
        return [{"orderId": t.order.orderId, "clientId": t.order.clientId, "permId": t.order.permId,
                 "status": t.orderStatus.status} for t in trades]

    # ------------------------------------------------------------------ account
    def positions(self) -> dict[int, tuple[float, float]]:
        ps = self.acall(self.ib.reqPositionsAsync)
        return {p.contract.conId: (float(p.position), float(p.avgCost)) for p in ps}

    def account_values(self, account: str = "") -> dict[str, str]:
        return {v.tag: v.value for v in self.call(self.ib.accountValues, account)
                if v.currency in ("USD", "BASE", "")}

    def portfolio(self) -> dict[int, dict]:
        return {p.contract.conId: {"position": float(p.position), "marketPrice": p.marketPrice,
                                   "marketValue": p.marketValue, "averageCost": p.averageCost,
                                   "unrealizedPNL": p.unrealizedPNL, "realizedPNL": p.realizedPNL}
                for p in self.call(self.ib.portfolio)}

    def account_summary(self, group: str, tags: str) -> list[tuple[str, str, str, str]]:
        rid = self.call(self.ib.client.getReqId)
        (fut,) = self.call(lambda: (self.ib.wrapper.startReq(rid),))   # tuple: call() must not await it
        self.call(self.ib.client.reqAccountSummary, rid, group, tags)

        async def waitfut():
            await fut
        try:
            self.acall(waitfut)
        finally:
            self.call(self.ib.client.cancelAccountSummary, rid)
        for r, code, text in self.errors():
            if r == rid and code not in WARNING_CODES:
                raise ClientError(code, text)
        return [(e.args["account"], e.args["tag"], e.args["value"], e.args["currency"])
                for e in self.events("accountSummary", _reqId=rid)]

    def pnl(self, account: str) -> dict:
        mark = len(self.errors())
        p = self.call(self.ib.reqPnL, account, "")
        try:
            ok = self.wait(lambda: not math.isnan(p.dailyPnL) or any(
                c not in WARNING_CODES and r != -1 for r, c, _ in self.errors()[mark:]))
            self._raise_new_errors(mark)
            if not ok:
                raise TimeoutError("ib_async: no pnl")
            return {"dailyPnL": num(p.dailyPnL), "unrealizedPnL": num(p.unrealizedPnL),
                    "realizedPnL": num(p.realizedPnL)}
        finally:
            self.call(self.ib.cancelPnL, account, "")

    def pnl_single(self, account: str, con_id: int) -> dict:
        mark = len(self.errors())
        p = self.call(self.ib.reqPnLSingle, account, "", con_id)
        try:
            ok = self.wait(lambda: not math.isnan(p.dailyPnL) or any(
                c not in WARNING_CODES and r != -1 for r, c, _ in self.errors()[mark:]))
            self._raise_new_errors(mark)
            if not ok:
                raise TimeoutError("ib_async: no pnlSingle")
            return {"position": float(p.position), "dailyPnL": num(p.dailyPnL),
                    "unrealizedPnL": num(p.unrealizedPnL), "realizedPnL": num(p.realizedPnL), "value": num(p.value)}
        finally:
            self.call(self.ib.cancelPnLSingle, account, "", con_id)
