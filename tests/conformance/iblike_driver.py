"""The neutral driver API over an :class:`tests.conformance.iblike.Session`, for the two
ib_insync-like clients: ``ib_async`` (the session runs in this process,
:class:`~tests.conformance.ib_async_driver.IbAsyncDriver`) and ``ib_insync`` (the session runs
in a child process, :class:`~tests.conformance.ib_insync_driver.IbInsyncDriver`).

:class:`IbLikeDriver` sends each request to the session with :meth:`IbLikeDriver.rpc` (a
subclass supplies the transport and the session's lifecycle) and turns the session's plain
answers into the neutral shapes of :mod:`tests.conformance.common`: tuples, int keys, ``num``
for IB's unset values, the replay of the raw depth operations. The callbacks the session
recorded are mirrored here as :class:`~tests.conformance.ibapi_driver.Callback` objects
(``log``, ``events()``), from which errors and order statuses are read
(:class:`~tests.conformance.common.OrderMessages`).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

from tests.conformance.base import poll
from tests.conformance.common import (OrderMessages, apply_depth, norm_hist_tick, norm_tbt, norm_what_if, num,
                                      order_state_dict)
from tests.conformance.ibapi_driver import Callback
from tests.conformance.scan_driver import IbLikeScan


class IbLikeDriver(OrderMessages, IbLikeScan):
    """Neutral request API over an ib_insync-like session. Subclasses set ``name`` and provide
    :meth:`rpc`, ``disconnect(wait)``, ``join(timeout)``, ``decode_problems()`` and
    ``is_connected()``; requests raise ClientError (IB code) / TimeoutError as the session does.
    """

    name = "iblike"

    def __init__(self, timeout: float = 3.0):
        self.timeout = timeout
        self.log: list[Callback] = []
        self.client_id = -1

    # ------------------------------------------------------------------ plumbing
    def rpc(self, method: str, *a, **kw) -> Any:
        """Call the session method ``method``; its plain result (subclasses: the transport)."""
        raise NotImplementedError

    def _sync(self) -> None:
        """Append the callbacks the session recorded since the last call to :attr:`log`."""
        self.log += [Callback(name, args, t) for name, args, t in self.rpc("log_since", len(self.log))]

    def events(self, name: str | None = None, **match) -> list[Callback]:
        """Callbacks the client's decoder made (optionally of one name, with arguments equal to
        ``match``), in arrival order; arguments as the session recorded them."""
        self._sync()
        return [e for e in self.log if (name is None or e.name == name)
                and all(e.args.get(k) == v for k, v in match.items())]

    def wait(self, pred: Callable[[], Any], timeout: float | None = None) -> bool:
        """Poll ``pred()`` every 20 ms until it is truthy or ``timeout`` (s, default the driver's) passes."""
        return poll(pred, self.timeout if timeout is None else timeout)

    # ------------------------------------------------------------------ session
    def connect(self, port: int, client_id: int, host: str = "127.0.0.1") -> dict:
        """connectAsync with the library's start-up sync: {server_version, accounts, next_valid_id,
        farm_codes (set)}."""
        self.client_id = client_id
        info = self.rpc("connect", port, client_id, host)
        info["farm_codes"] = set(info["farm_codes"])
        return info

    def current_time(self) -> float:
        """reqCurrentTime: the gateway's clock, POSIX s."""
        return self.rpc("current_time")

    # ------------------------------------------------------------------ test hooks
    def interpret(self, fields: list[str]) -> None:
        """Feed one message's fields to the library's decoder (self-test of decode_problems)."""
        self.rpc("interpret", fields)

    def client_call(self, method: str, *args) -> None:
        """``IB.client.<method>(*args)`` in the session: a raw request through the library's
        throttled client."""
        self.rpc("client_call", method, *args)

    def history_keep_up_to_date(self, spec: dict, duration: str, bar_size: str) -> tuple[int, list[dict]]:
        """reqHistoricalData(keepUpToDate=True) -> (reqId, bars as :meth:`history` gives them);
        :meth:`history_updates` / :meth:`cancel_history` with that reqId."""
        r = self.rpc("history_keep_up_to_date", spec, duration, bar_size)
        return r["reqId"], r["bars"]

    def history_updates(self, req_id: int) -> list[tuple[float, float, float]]:
        """(time POSIX s, high, volume) of the list's last bar at each update the library made."""
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
        """reqMktDepth: the library's book and the replay of the raw L2 operations (see common.apply_depth)."""
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
        """The next order id from the library's own counter (client.getReqId)."""
        return self.rpc("next_order_id")

    def place(self, spec: dict, order: dict, order_id: int | None = None) -> int:
        """placeOrder (an existing id = modify of that trade; a finished one's id is re-sent raw, IB answers 103)."""
        return self.rpc("place", spec, order, order_id)

    def cancel(self, order_id: int) -> None:
        """cancelOrder (an id the library has no trade for is cancelled raw)."""
        self.rpc("cancel", order_id)

    def global_cancel(self) -> None:
        """reqGlobalCancel."""
        self.rpc("global_cancel")

    def trade_statuses(self, order_id: int) -> list[str]:
        """The library's Trade.log statuses (its own view, incl. local PendingCancel)."""
        return self.rpc("trade_statuses", order_id)

    def order_state(self, order_id: int) -> dict | None:
        """The trade's orderStatus merged with its Order fields (common.order_state_dict); None if unknown."""
        r = self.rpc("order_state", order_id)
        return None if r is None else order_state_dict(r["status"], SimpleNamespace(**r["order"]), None)

    def what_if(self, spec: dict, order: dict) -> dict:
        """whatIfOrder: margin/commission preview (common.norm_what_if); no order is created."""
        return norm_what_if(SimpleNamespace(**self.rpc("what_if", spec, order)), "commission", "commissionCurrency")

    def executions(self, order_id: int | None = None) -> list[dict]:
        """The library's fills (live execDetails) with their commission reports (realizedPNL None when unset)."""
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

    def position_contracts(self) -> dict[int, dict]:
        """reqPositions: {conId: the decoded contract's secType, exchange, currency,
        lastTradeDateOrContractMonth, strike, right, multiplier, localSymbol}."""
        return {con: c for con, c in self.rpc("position_contracts")}

    def account_values(self, account: str = "") -> dict[str, str]:
        """The library's account values in USD/BASE/none: {tag: value}."""
        return self.rpc("account_values", account)

    def portfolio(self) -> dict[int, dict]:
        """The library's portfolio: {conId: {position, marketPrice, marketValue, averageCost, unrealizedPNL,
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
