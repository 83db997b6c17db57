"""Conformance driver over the official ``ibapi`` client (ibapi-stable 10.50).

``IbapiDriver`` runs an ``EClient`` reader loop on its own thread and records
*every* ``EWrapper`` callback as a :class:`Callback` (name + arguments by
parameter name), then offers the neutral, synchronous request API that the
conformance scenarios use (same method names and result shapes as
:class:`tests.conformance.ib_async_driver.IbAsyncDriver`). Results are plain
dicts/tuples built from what ibapi *decoded*: prices in instrument currency,
sizes in shares, bar times as POSIX seconds (UTC) for intraday bars and
``YYYYMMDD`` for daily bars.

Request failures surface as :class:`ClientError` with IB's error code (message
id 4 for the request's reqId/orderId).
"""

from __future__ import annotations

import inspect
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import ibapi.client as ibapi_client
from ibapi.client import EClient
from ibapi.contract import Contract
from ibapi.execution import ExecutionFilter
from ibapi.order import Order
from ibapi.order_cancel import OrderCancel
from ibapi.wrapper import EWrapper

from tests.conformance.base import POSITION_CONTRACT_KEYS
from tests.conformance.common import (WARNING_CODES, DecodeWatch, ClientError, OrderMessages, apply_depth, bar_time,
                                      norm_hist_tick, norm_tbt, norm_what_if, num, order_state_dict)
from tests.conformance.scan_driver import IbapiScan

#: serialises the handshakes that patch ibapi's client version range
_VERSION_LOCK = threading.Lock()

#: callbacks of EWrapper that are not messages from the gateway
_NOT_MESSAGES = {"logAnswer", "connectAck", "winError"}


@dataclass
class Callback:
    """One EWrapper callback as ibapi delivered it: ``name`` and ``args`` by parameter name;
    ``t`` = monotonic receive time (s)."""

    name: str
    args: dict[str, Any]
    t: float = field(default_factory=time.monotonic)

    def __getitem__(self, key: str) -> Any:
        return self.args[key]


def _recording(name: str, fn: Callable) -> Callable:
    sig = inspect.signature(fn)

    def method(self, *a, **kw):
        bound = sig.bind(self, *a, **kw)
        bound.apply_defaults()
        args = dict(bound.arguments)
        args.pop("self", None)
        self._record(Callback(name, args))
    method.__name__ = name
    method.__doc__ = f"Record EWrapper.{name} (see ibapi.wrapper)."
    return method


class _Recorder(EWrapper):
    """EWrapper whose every message callback appends a :class:`Callback` to ``self.log``."""

    def __init__(self):
        EWrapper.__init__(self)
        self.log: list[Callback] = []
        self.cond = threading.Condition()

    def _record(self, cb: Callback) -> None:
        with self.cond:
            self.log.append(cb)
            self.cond.notify_all()


for _name, _fn in inspect.getmembers(EWrapper, inspect.isfunction):
    if not _name.startswith("_") and _name not in _NOT_MESSAGES:
        setattr(_Recorder, _name, _recording(_name, _fn))


class _App(_Recorder, EClient):
    def __init__(self):
        _Recorder.__init__(self)
        EClient.__init__(self, self)


def make_contract(spec: dict) -> Contract:
    """An ibapi Contract from a spec dict of IB attribute names (symbol, secType, exchange,
    currency, conId, localSymbol, primaryExchange)."""
    c = Contract()
    for k, v in spec.items():
        setattr(c, k, v)
    return c


def make_order(fields: dict) -> Order:
    """An ibapi Order from a dict of IB ``Order`` attribute names (action, totalQuantity,
    orderType, lmtPrice, auxPrice, tif, ...). Raises AttributeError for an unknown name."""
    o = Order()
    for k, v in fields.items():
        if not hasattr(o, k):
            raise AttributeError(f"ibapi Order has no attribute {k!r}")
        setattr(o, k, v)
    return o


class IbapiDriver(OrderMessages, IbapiScan):
    """The official client on its own thread; neutral request API for the scenarios."""

    name = "ibapi"

    def __init__(self, timeout: float = 3.0, version: int | None = None):
        """``version``: force the server version by offering exactly ``v<version>..<version>``
        at the handshake (ibapi's ``MIN_CLIENT_VER``/``MAX_CLIENT_VER`` for this connect);
        None offers ibapi's own range."""
        self.app = _App()
        self.timeout = timeout
        self.version = version
        if version is not None:
            self.name = f"ibapi@{version}"
        self._thread: threading.Thread | None = None
        self._req = 1000
        self._next_order_id = 0
        self.client_id = -1
        self.crash: BaseException | None = None
        self._watch: DecodeWatch | None = None

    # ------------------------------------------------------------------ plumbing
    @property
    def log(self) -> list[Callback]:
        return self.app.log

    def events(self, name: str | None = None, **match) -> list[Callback]:
        """Recorded callbacks (optionally of one name, with arguments equal to ``match``)."""
        with self.app.cond:
            out = list(self.app.log)
        return [e for e in out if (name is None or e.name == name)
                and all(e.args.get(k) == v for k, v in match.items())]

    def wait(self, pred: Callable[[], Any], timeout: float | None = None) -> bool:
        """Block until ``pred()`` is truthy (re-checked on every callback) or timeout."""
        end = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self.app.cond:
            while True:
                if pred():
                    return True
                left = end - time.monotonic()
                if left <= 0:
                    return bool(pred())
                self.app.cond.wait(min(left, 0.05))

    def _rid(self) -> int:
        self._req += 1
        return self._req

    def _check(self, rid: int) -> None:
        for r, code, text in self.errors():
            if r == rid and code not in WARNING_CODES:
                raise ClientError(code, text)

    def _wait_end(self, rid: int, end_name: str, timeout: float | None = None, key: str = "reqId") -> None:
        """Wait for ``end_name`` for ``rid`` or an error for ``rid``; ClientError/TimeoutError."""
        ok = self.wait(lambda: self.events(end_name, **{key: rid}) or any(
            r == rid and c not in WARNING_CODES for r, c, _ in self.errors()), timeout)
        self._check(rid)
        if not ok:
            raise TimeoutError(f"ibapi: no {end_name} for reqId {rid}")

    # ------------------------------------------------------------------ session
    def connect(self, port: int, client_id: int, host: str = "127.0.0.1") -> dict:
        """Connect and start the reader thread; returns server_version, accounts,
        next_valid_id, farm_codes (system message codes received with reqId -1)."""
        self.client_id = client_id
        if self.version is None:
            self.app.connect(host, port, client_id)
        else:
            with _VERSION_LOCK:   # ibapi reads the module globals while it sends the handshake
                saved = ibapi_client.MIN_CLIENT_VER, ibapi_client.MAX_CLIENT_VER
                ibapi_client.MIN_CLIENT_VER = ibapi_client.MAX_CLIENT_VER = self.version
                try:
                    self.app.connect(host, port, client_id)
                finally:
                    ibapi_client.MIN_CLIENT_VER, ibapi_client.MAX_CLIENT_VER = saved
        name = f"ibapi-reader-{id(self):x}"
        self._watch = DecodeWatch(("ibapi",), name)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if not self.wait(lambda: (self.events("nextValidId") and self.events("managedAccounts"))
                         or any(c in (326, 502, 503) for _, c, _ in self.errors())) \
                or not self.events("nextValidId"):
            raise TimeoutError(f"ibapi: no nextValidId/managedAccounts (errors {self.errors()})")
        self.wait(lambda: {2104, 2106, 2158} <= {c for r, c, _ in self.errors() if r == -1}, 1.0)
        self._next_order_id = self.events("nextValidId")[-1]["orderId"]
        return {
            "server_version": self.app.serverVersion(),
            "accounts": [a for a in self.events("managedAccounts")[-1]["accountsList"].split(",") if a],
            "next_valid_id": self._next_order_id,
            "farm_codes": {c for r, c, _ in self.errors() if r == -1},
        }

    def _run(self) -> None:
        try:
            self.app.run()
        except Exception as e:  # a decode failure kills ibapi's reader loop
            self.crash = e

    def decode_problems(self) -> list[str]:
        """Messages ibapi could not decode: bad message/length/unknown id errors (505/507/508),
        decoder ERROR logs, or an exception that ended the reader thread."""
        out = [f"error {c}: {t[:200]}" for r, c, t in self.errors() if c in (505, 507, 508)]
        out += list(self._watch.problems) if self._watch else []
        if self.crash is not None:
            out.append(f"reader thread died: {self.crash!r}")
        return out

    def disconnect(self, wait: bool = True) -> None:
        """Disconnect; with ``wait`` join the reader thread (ibapi's loop notices within 0.2 s),
        else leave that to :meth:`join` (lets a test suite overlap the waits)."""
        try:
            self.app.disconnect()
        finally:
            if wait:
                self.join()

    def join(self, timeout: float = 2.0) -> None:
        """Wait for the reader thread to end and detach the decode watch."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def is_connected(self) -> bool:
        return self.app.isConnected()

    def current_time(self) -> float:
        n = len(self.events("currentTime"))
        self.app.reqCurrentTime()
        if not self.wait(lambda: len(self.events("currentTime")) > n):
            raise TimeoutError("ibapi: no currentTime")
        return float(self.events("currentTime")[-1]["time"])

    # ------------------------------------------------------------------ contracts
    def matching_symbols(self, pattern: str) -> list[dict]:
        rid = self._rid()
        self.app.reqMatchingSymbols(rid, pattern)
        self._wait_end(rid, "symbolSamples")
        out = []
        for d in self.events("symbolSamples", reqId=rid)[-1]["contractDescriptions"]:
            c = d.contract
            out.append({"conId": c.conId, "symbol": c.symbol, "secType": c.secType,
                        "primaryExchange": c.primaryExchange, "currency": c.currency,
                        "derivativeSecTypes": list(d.derivativeSecTypes or [])})
        return out

    def contract_details(self, spec: dict) -> list[dict]:
        rid = self._rid()
        self.app.reqContractDetails(rid, make_contract(spec))
        self._wait_end(rid, "contractDetailsEnd")
        out = []
        for e in self.events("contractDetails", reqId=rid):
            cd = e["contractDetails"]
            c = cd.contract
            out.append({"conId": c.conId, "symbol": c.symbol, "secType": c.secType, "exchange": c.exchange,
                        "primaryExchange": c.primaryExchange, "currency": c.currency,
                        "localSymbol": c.localSymbol, "tradingClass": c.tradingClass,
                        "longName": cd.longName, "industry": cd.industry, "category": cd.category,
                        "subcategory": cd.subcategory, "timeZoneId": cd.timeZoneId,
                        "tradingHours": cd.tradingHours, "liquidHours": cd.liquidHours,
                        "minTick": cd.minTick, "marketRuleIds": cd.marketRuleIds,
                        "validExchanges": cd.validExchanges, "orderTypes": cd.orderTypes})
        return out

    def market_rule(self, rule_id: int) -> list[tuple[float, float]]:
        self.app.reqMarketRule(rule_id)
        if not self.wait(lambda: self.events("marketRule", marketRuleId=rule_id)):
            raise TimeoutError(f"ibapi: no marketRule {rule_id}")
        incs = self.events("marketRule", marketRuleId=rule_id)[-1]["priceIncrements"]
        return [(float(p.lowEdge), float(p.increment)) for p in incs]

    # ------------------------------------------------------------------ market data
    def quote(self, spec: dict, md_type: int = 1, timeout: float | None = None) -> dict:
        """reqMarketDataType(md_type) + reqMktData; waits for bid, ask, last, sizes, volume,
        close; returns them by IB tick name (delayed tick types mapped onto the live names)."""
        self.app.reqMarketDataType(md_type)
        rid = self._rid()
        self.app.reqMktData(rid, make_contract(spec), "", False, False, [])
        names = {1: "bid", 2: "ask", 4: "last", 6: "high", 7: "low", 9: "close", 14: "open",
                 66: "bid", 67: "ask", 68: "last", 72: "high", 73: "low", 75: "close", 76: "open"}
        sizes = {0: "bidSize", 3: "askSize", 5: "lastSize", 8: "volume",
                 69: "bidSize", 70: "askSize", 71: "lastSize", 74: "volume"}
        need = {"bid", "ask", "bidSize", "askSize"}
        if spec.get("secType", "STK") != "CASH":
            need |= {"last", "volume", "close"}

        def snap() -> dict:
            q: dict[str, Any] = {}
            for e in self.events():
                if e.args.get("reqId", e.args.get("tickerId")) != rid:
                    continue
                if e.name == "tickPrice" and e["tickType"] in names:
                    q[names[e["tickType"]]] = float(e["price"])
                elif e.name == "tickSize" and e["tickType"] in sizes:
                    q[sizes[e["tickType"]]] = float(e["size"])
                elif e.name == "marketDataType":
                    q["marketDataType"] = e["marketDataType"]
                elif e.name == "tickReqParams":
                    q["minTick"] = float(e["minTick"])
            q["tickTypes"] = sorted({e["tickType"] for e in self.events() if e.args.get("reqId") == rid
                                     and e.name in ("tickPrice", "tickSize")})
            return q
        try:
            ok = self.wait(lambda: need <= snap().keys() or any(
                r == rid and c not in WARNING_CODES for r, c, _ in self.errors()), timeout)
            self._check(rid)
            if not ok:
                raise TimeoutError(f"ibapi: incomplete quote {snap()}")
            return snap()
        finally:
            self.app.cancelMktData(rid)

    def depth(self, spec: dict, rows: int = 10, settle: float = 1.0) -> dict:
        """reqMktDepth; applies insert(0)/update(1)/delete(2) to a book per side and returns
        bids/asks [(price, size)] best first after ``settle`` s, and the number of updates."""
        rid = self._rid()
        self.app.reqMktDepth(rid, make_contract(spec), rows, False, [])
        try:
            ok = self.wait(lambda: self.events("updateMktDepth", reqId=rid)
                           or self.events("updateMktDepthL2", reqId=rid)
                           or any(r == rid and c not in WARNING_CODES for r, c, _ in self.errors()))
            self._check(rid)
            if not ok:
                raise TimeoutError("ibapi: no depth")
            time.sleep(settle)
            ops = [(e["position"], e["operation"], e["side"], float(e["price"]), float(e["size"]))
                   for e in self.events() if e.args.get("reqId") == rid
                   and e.name in ("updateMktDepth", "updateMktDepthL2")]
        finally:
            self.app.cancelMktDepth(rid, False)
        bids, asks = apply_depth(ops)
        return {"bids": bids, "asks": asks, "replay_bids": bids, "replay_asks": asks, "updates": len(ops)}

    def depth_exchanges(self) -> list[tuple]:
        n = len(self.events("mktDepthExchanges"))
        self.app.reqMktDepthExchanges()
        if not self.wait(lambda: len(self.events("mktDepthExchanges")) > n):
            raise TimeoutError("ibapi: no mktDepthExchanges")
        return [(d.exchange, d.secType, d.listingExch, d.serviceDataType, d.aggGroup)
                for d in self.events("mktDepthExchanges")[-1]["depthMktDataDescriptions"]]

    def tick_by_tick(self, spec: dict, kind: str, n: int = 3, timeout: float | None = None) -> list[dict]:
        rid = self._rid()
        self.app.reqTickByTickData(rid, make_contract(spec), kind, 0, False)
        cb = {"Last": "tickByTickAllLast", "AllLast": "tickByTickAllLast",
              "BidAsk": "tickByTickBidAsk", "MidPoint": "tickByTickMidPoint"}[kind]
        try:
            ok = self.wait(lambda: len(self.events(cb, reqId=rid)) >= n or any(
                r == rid and c not in WARNING_CODES for r, c, _ in self.errors()), timeout or 6.0)
            self._check(rid)
            if not ok:
                raise TimeoutError(f"ibapi: fewer than {n} {cb}")
        finally:
            self.app.cancelTickByTickData(rid)
        return [norm_tbt(cb, e.args) for e in self.events(cb, reqId=rid)]

    def realtime_bars(self, spec: dict, n: int = 1, what: str = "TRADES", rth: bool = False,
                      timeout: float = 12.0) -> list[dict]:
        rid = self._rid()
        self.app.reqRealTimeBars(rid, make_contract(spec), 5, what, rth, [])
        try:
            ok = self.wait(lambda: len(self.events("realtimeBar", reqId=rid)) >= n or any(
                r == rid and c not in WARNING_CODES for r, c, _ in self.errors()), timeout)
            self._check(rid)
            if not ok:
                raise TimeoutError("ibapi: no realtimeBar")
        finally:
            self.app.cancelRealTimeBars(rid)
        return [{"time": int(e["time"]), "open": e["open_"], "high": e["high"], "low": e["low"],
                 "close": e["close"], "volume": float(e["volume"])} for e in self.events("realtimeBar", reqId=rid)]

    def history(self, spec: dict, end: str, duration: str, bar_size: str, what: str = "TRADES",
                rth: bool = False, timeout: float | None = None) -> list[dict]:
        """reqHistoricalData (formatDate 2, not kept up to date); bars oldest first."""
        rid = self._rid()
        self.app.reqHistoricalData(rid, make_contract(spec), end, duration, bar_size, what, int(rth), 2,
                                   False, [])
        self._wait_end(rid, "historicalDataEnd", timeout or 6.0)
        return [{"time": bar_time(b.date), "open": b.open, "high": b.high, "low": b.low, "close": b.close,
                 "volume": float(b.volume), "count": b.barCount}
                for b in (e["bar"] for e in self.events("historicalData", reqId=rid))]

    def head_timestamp(self, spec: dict, what: str = "TRADES", rth: bool = False) -> float:
        rid = self._rid()
        self.app.reqHeadTimeStamp(rid, make_contract(spec), what, int(rth), 2)
        self._wait_end(rid, "headTimestamp")
        self.app.cancelHeadTimeStamp(rid)
        return bar_time(self.events("headTimestamp", reqId=rid)[-1]["headTimestamp"])

    def historical_ticks(self, spec: dict, start: str, end: str, n: int, what: str, rth: bool = False) -> list[dict]:
        rid = self._rid()
        self.app.reqHistoricalTicks(rid, make_contract(spec), start, end, n, what, int(rth), True, [])
        cb = {"TRADES": "historicalTicksLast", "BID_ASK": "historicalTicksBidAsk",
              "MIDPOINT": "historicalTicks"}[what]
        ok = self.wait(lambda: any(e["done"] for e in self.events(cb, reqId=rid)) or any(
            r == rid and c not in WARNING_CODES for r, c, _ in self.errors()))
        self._check(rid)
        if not ok:
            raise TimeoutError(f"ibapi: no {cb}")
        return [norm_hist_tick(t) for e in self.events(cb, reqId=rid) for t in e["ticks"]]

    # ------------------------------------------------------------------ orders
    def next_order_id(self) -> int:
        oid = self._next_order_id
        self._next_order_id += 1
        return oid

    def place(self, spec: dict, order: dict, order_id: int | None = None) -> int:
        """placeOrder (a new order, or a modify when ``order_id`` is a working order's)."""
        oid = self.next_order_id() if order_id is None else order_id
        self.app.placeOrder(oid, make_contract(spec), make_order(order))
        return oid

    def cancel(self, order_id: int) -> None:
        self.app.cancelOrder(order_id, OrderCancel())

    def global_cancel(self) -> None:
        self.app.reqGlobalCancel(OrderCancel())

    def order_state(self, order_id: int) -> dict | None:
        """The last orderStatus of ``order_id`` (status, filled, remaining, avgFillPrice, permId,
        parentId, lastFillPrice, clientId) merged with the last openOrder's order fields."""
        st = self.events("orderStatus", orderId=order_id)
        oo = self.events("openOrder", orderId=order_id)
        if not st and not oo:
            return None
        return order_state_dict(st[-1].args if st else None, oo[-1]["order"] if oo else None,
                                oo[-1]["orderState"] if oo else None)

    def what_if(self, spec: dict, order: dict) -> dict:
        """placeOrder with whatIf=True; the margin/commission preview from the openOrder's
        OrderState (no order is created). ClientError / TimeoutError if none comes."""
        oid = self.place(spec, dict(order, whatIf=True))
        self.wait(lambda: self.events("openOrder", orderId=oid) or self.order_errors(oid))
        if not self.events("openOrder", orderId=oid):
            self._check(oid)
            raise TimeoutError("ibapi: no whatIf openOrder")
        s = self.events("openOrder", orderId=oid)[-1]["orderState"]
        return norm_what_if(s, "commissionAndFees", "commissionAndFeesCurrency")

    def executions(self, order_id: int | None = None) -> list[dict]:
        """Live execDetails (reqId -1) with their commission reports."""
        comm = {e["commissionAndFeesReport"].execId: e["commissionAndFeesReport"]
                for e in self.events("commissionAndFeesReport")}
        out = []
        for e in self.events("execDetails"):
            x = e["execution"]
            if order_id is not None and x.orderId != order_id:
                continue
            r = comm.get(x.execId)
            out.append({"reqId": e["reqId"], "execId": x.execId, "orderId": x.orderId, "permId": x.permId,
                        "clientId": x.clientId, "side": x.side, "shares": float(x.shares), "price": x.price,
                        "cumQty": float(x.cumQty), "avgPrice": x.avgPrice, "conId": e["contract"].conId,
                        "orderRef": x.orderRef, "commission": None if r is None else r.commissionAndFees,
                        "realizedPNL": None if r is None else num(r.realizedPNL)})
        return out

    def req_executions(self) -> list[dict]:
        rid = self._rid()
        self.app.reqExecutions(rid, ExecutionFilter())
        self._wait_end(rid, "execDetailsEnd")
        return [x for x in self.executions() if x["reqId"] == rid]

    def open_orders(self, all_clients: bool = False) -> list[dict]:
        """reqOpenOrders / reqAllOpenOrders: the openOrder callbacks up to openOrderEnd."""
        with self.app.cond:
            start = len(self.app.log)
        (self.app.reqAllOpenOrders if all_clients else self.app.reqOpenOrders)()
        if not self.wait(lambda: any(e.name == "openOrderEnd" for e in self.log[start:])):
            raise TimeoutError("ibapi: no openOrderEnd")
        with self.app.cond:
            part = self.app.log[start:]
        part = part[:next(i for i, e in enumerate(part) if e.name == "openOrderEnd")]
        return [{"orderId": e["orderId"], "clientId": e["order"].clientId, "permId": e["order"].permId,
                 "status": e["orderState"].status} for e in part if e.name == "openOrder"]

    # ------------------------------------------------------------------ account
    def positions(self) -> dict[int, tuple[float, float]]:
        n = len(self.events("positionEnd"))
        self.app.reqPositions()
        if not self.wait(lambda: len(self.events("positionEnd")) > n):
            raise TimeoutError("ibapi: no positionEnd")
        self.app.cancelPositions()
        return {e["contract"].conId: (float(e["position"]), float(e["avgCost"])) for e in self.events("position")}

    def position_contracts(self) -> dict[int, dict]:
        """reqPositions: {conId: the decoded contract's secType, exchange, currency,
        lastTradeDateOrContractMonth, strike, right, multiplier, localSymbol}."""
        self.positions()
        return {e["contract"].conId: {k: getattr(e["contract"], k) for k in POSITION_CONTRACT_KEYS}
                for e in self.events("position")}

    def account_values(self, account: str = "") -> dict[str, str]:
        """reqAccountUpdates snapshot: tag -> value (USD/BASE rows and currency-less rows)."""
        n = len(self.events("accountDownloadEnd"))
        self.app.reqAccountUpdates(True, account)
        if not self.wait(lambda: len(self.events("accountDownloadEnd")) > n):
            raise TimeoutError("ibapi: no accountDownloadEnd")
        self.app.reqAccountUpdates(False, account)
        return {e["key"]: e["val"] for e in self.events("updateAccountValue")
                if e["currency"] in ("USD", "BASE", "")}

    def portfolio(self, account: str = "") -> dict[int, dict]:
        """updatePortfolio lines of a fresh reqAccountUpdates snapshot, by conId."""
        self.account_values(account)
        return {e["contract"].conId: {"position": float(e["position"]), "marketPrice": e["marketPrice"],
                                      "marketValue": e["marketValue"], "averageCost": e["averageCost"],
                                      "unrealizedPNL": e["unrealizedPNL"], "realizedPNL": e["realizedPNL"]}
                for e in self.events("updatePortfolio")}

    def account_summary(self, group: str, tags: str) -> list[tuple[str, str, str, str]]:
        rid = self._rid()
        self.app.reqAccountSummary(rid, group, tags)
        self._wait_end(rid, "accountSummaryEnd")
        self.app.cancelAccountSummary(rid)
        return [(e["account"], e["tag"], e["value"], e["currency"]) for e in self.events("accountSummary", reqId=rid)]

    def pnl(self, account: str) -> dict:
        rid = self._rid()
        self.app.reqPnL(rid, account, "")
        ok = self.wait(lambda: self.events("pnl", reqId=rid) or any(
            r == rid and c not in WARNING_CODES for r, c, _ in self.errors()))
        self.app.cancelPnL(rid)
        self._check(rid)
        if not ok:
            raise TimeoutError("ibapi: no pnl")
        e = self.events("pnl", reqId=rid)[-1]
        return {"dailyPnL": num(e["dailyPnL"]), "unrealizedPnL": num(e["unrealizedPnL"]),
                "realizedPnL": num(e["realizedPnL"])}

    def pnl_single(self, account: str, con_id: int) -> dict:
        rid = self._rid()
        self.app.reqPnLSingle(rid, account, "", con_id)
        ok = self.wait(lambda: self.events("pnlSingle", reqId=rid) or any(
            r == rid and c not in WARNING_CODES for r, c, _ in self.errors()))
        self.app.cancelPnLSingle(rid)
        self._check(rid)
        if not ok:
            raise TimeoutError("ibapi: no pnlSingle")
        e = self.events("pnlSingle", reqId=rid)[-1]
        return {"position": float(e["pos"]), "dailyPnL": num(e["dailyPnL"]),
                "unrealizedPnL": num(e["unrealizedPnL"]), "realizedPnL": num(e["realizedPnL"]),
                "value": num(e["value"])}
