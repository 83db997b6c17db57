"""Client-neutral helpers of the conformance suite: errors, number/time normalisation, depth book.

The drivers (``ibapi_driver``, ``ib_async_driver``, ``ib_insync_driver``) turn what their
client decoded into the same plain shapes with these helpers, so a scenario is written once.

The neutral driver API (every driver; synchronous; prices in instrument currency, sizes in
shares, intraday times POSIX s UTC, daily bar times "YYYYMMDD"; request errors raise
:class:`ClientError` with IB's code, missing answers ``TimeoutError``):

* ``connect(port, client_id) -> {server_version, accounts, next_valid_id, farm_codes}``;
  ``disconnect()``, ``is_connected()``, ``current_time() -> POSIX s``, ``errors() ->
  [(reqId, code, text)]``, ``decode_problems() -> [str]``, ``events(name, **args)`` (raw callbacks)
* ``matching_symbols(pattern) -> [{conId, symbol, secType, primaryExchange, currency, ...}]``,
  ``contract_details(spec) -> [{conId, ..., longName, industry, tradingHours, liquidHours,
  timeZoneId, minTick, marketRuleIds, orderTypes}]``, ``market_rule(id) -> [(lowEdge, increment)]``
* ``quote(spec, md_type) -> {bid, ask, last, bidSize, askSize, volume, high, low, close,
  marketDataType, minTick, tickTypes}``, ``depth(spec, rows) -> {bids, asks, replay_bids,
  replay_asks, updates}``, ``depth_exchanges()``, ``tick_by_tick(spec, kind, n)`` (:func:`norm_tbt`),
  ``realtime_bars(spec, n)``, ``history(spec, end, duration, bar_size, what, rth) -> [{time, open,
  high, low, close, volume, count}]``, ``head_timestamp(...)``, ``historical_ticks(...)``
  (:func:`norm_hist_tick`)
* ``next_order_id()``, ``place(spec, order_fields, order_id=None) -> orderId`` (IB ``Order``
  attribute names; an existing id = modify), ``cancel(id)``, ``global_cancel()``,
  ``statuses(id)`` (orderStatus values, repeats collapsed), ``order_state(id)``
  (:func:`order_state_dict`), ``wait_status(id, *statuses)``, ``order_errors(id)``,
  ``wait_error(id, code)``, ``what_if(spec, order) ->`` :func:`norm_what_if`,
  ``executions(id)`` (live execDetails + commission), ``req_executions()``, ``open_orders(all)``
* ``positions() -> {conId: (position, avgCost)}``, ``account_values(account) -> {tag: value}``,
  ``portfolio()``, ``account_summary(group, tags) -> [(account, tag, value, currency)]``,
  ``pnl(account)``, ``pnl_single(account, conId)``
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

# IB's "unset" markers (UNSET_DOUBLE, UNSET_INTEGER, "", nan) -> None: the same rule as the terminal
from app.broker.convert import num  # noqa: E402,F401 (re-exported to the drivers)
from tests.conformance.base import WARNING_CODES, ClientError, DecodeWatch  # noqa: F401 (re-exported)


def bar_time(d: Any) -> float | str:
    """A bar/head-timestamp time as decoded by either client -> POSIX seconds (UTC) for
    intraday times, ``"YYYYMMDD"`` for daily bars (IB sends dates for bars of a day or more).

    Accepts ibapi strings ("1763650800", "20261118", "20261118 09:30:00 US/Eastern") and
    ib_async values (aware datetime, date). Raises ValueError for anything else.
    """
    if isinstance(d, dt.datetime):
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.timezone.utc)
        return d.timestamp()
    if isinstance(d, dt.date):
        return d.strftime("%Y%m%d")
    s = str(d).strip()
    if s.isdigit() and len(s) == 8:
        return s
    if s.isdigit():
        return float(s)
    parts = s.split()
    if len(parts) >= 2:
        from zoneinfo import ZoneInfo
        tz = ZoneInfo(parts[2]) if len(parts) > 2 else dt.timezone.utc
        return dt.datetime.strptime(f"{parts[0]} {parts[1]}", "%Y%m%d %H:%M:%S").replace(tzinfo=tz).timestamp()
    raise ValueError(f"unrecognised bar time {d!r}")


def apply_depth(ops: list[tuple[int, int, int, float, float]]) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Replay updateMktDepth(L2) operations into a book, as a client must.

    ``ops``: (position, operation 0 insert / 1 update / 2 delete, side 0 ask / 1 bid, price, size)
    in arrival order (IB "Market Depth (Level II)" docs). Returns (bids, asks) as
    [(price, size)] best first. Raises AssertionError for an operation at a position that
    does not exist (a gateway bug: an update/delete past the end, an insert beyond it).
    """
    book: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
    for i, (pos, op, side, price, size) in enumerate(ops):
        rows = book[side]
        if op == 0:
            assert 0 <= pos <= len(rows), f"op #{i}: insert at {pos} into {len(rows)} rows"
            rows.insert(pos, (float(price), float(size)))
        elif op == 1:
            assert 0 <= pos < len(rows), f"op #{i}: update of row {pos} of {len(rows)}"
            rows[pos] = (float(price), float(size))
        elif op == 2:
            assert 0 <= pos < len(rows), f"op #{i}: delete of row {pos} of {len(rows)}"
            del rows[pos]
        else:
            raise AssertionError(f"op #{i}: unknown depth operation {op}")
    return book[1], book[0]


def order_state_dict(status: dict | None, order: Any, order_state: Any) -> dict:
    """Neutral order view: orderStatus fields (status, filled, remaining, avgFillPrice, permId,
    parentId, lastFillPrice, clientId, whyHeld) + openOrder fields (orderType, lmtPrice, auxPrice,
    tif, totalQuantity, ocaGroup, ocaType, orderRef, trailStopPrice, trailingPercent, goodTillDate)."""
    out: dict[str, Any] = {}
    if status:
        for k in ("status", "filled", "remaining", "avgFillPrice", "permId", "parentId", "lastFillPrice",
                  "clientId", "whyHeld"):
            v = status.get(k)
            out[k] = float(v) if isinstance(v, Decimal) else v
    if order is not None:
        for k in ("orderType", "lmtPrice", "auxPrice", "tif", "totalQuantity", "ocaGroup", "ocaType", "orderRef",
                  "trailStopPrice", "trailingPercent", "goodTillDate", "outsideRth", "parentId", "permId",
                  "clientId", "action"):
            v = getattr(order, k, None)
            if isinstance(v, (Decimal, float, int)) and not isinstance(v, bool):
                v = num(v)
            out.setdefault(k, v) if k in ("permId", "clientId", "parentId") else out.__setitem__(k, v)
    if order_state is not None and "status" not in out:
        out["status"] = order_state.status
    return out


def _t(x: Any) -> float:
    v = bar_time(x) if not isinstance(x, (int, float)) else float(x)
    return float(v)


def norm_tbt(callback: str, a: dict) -> dict:
    """A tick-by-tick callback's arguments (ibapi or ib_async names) -> neutral dict:
    AllLast/Last {time, price, size, exchange, specialConditions}; BidAsk {time, bidPrice,
    askPrice, bidSize, askSize}; MidPoint {time, midPoint}. Times POSIX s (UTC)."""
    if callback == "tickByTickAllLast":
        return {"time": _t(a["time"]), "tickType": a["tickType"], "price": float(a["price"]),
                "size": float(a["size"]), "exchange": a["exchange"], "specialConditions": a["specialConditions"]}
    if callback == "tickByTickBidAsk":
        return {"time": _t(a["time"]), "bidPrice": float(a["bidPrice"]), "askPrice": float(a["askPrice"]),
                "bidSize": float(a["bidSize"]), "askSize": float(a["askSize"])}
    return {"time": _t(a["time"]), "midPoint": float(a["midPoint"])}


def norm_hist_tick(t: Any) -> dict:
    """HistoricalTick / HistoricalTickBidAsk / HistoricalTickLast of either client -> dict with
    time (POSIX s) and whichever of price, size, priceBid, priceAsk, sizeBid, sizeAsk, exchange,
    specialConditions it has."""
    out: dict[str, Any] = {"time": _t(t.time)}
    for k in ("price", "size", "priceBid", "priceAsk", "sizeBid", "sizeAsk"):
        if hasattr(t, k):
            out[k] = float(getattr(t, k))
    for k in ("exchange", "specialConditions"):
        if hasattr(t, k):
            out[k] = getattr(t, k)
    return out


def norm_what_if(s: Any, commission_attr: str, currency_attr: str) -> dict:
    """A whatIf OrderState of either client -> {status, initMarginBefore/Change/After,
    maintMarginBefore/Change/After, equityWithLoanBefore, commission, minCommission,
    maxCommission, commissionCurrency} with numbers as float (None when unset)."""
    out: dict[str, Any] = {"status": s.status}
    for k in ("initMarginBefore", "maintMarginBefore", "equityWithLoanBefore", "initMarginChange",
              "maintMarginChange", "initMarginAfter", "maintMarginAfter", "minCommission", "maxCommission"):
        out[k] = num(getattr(s, k, None))
    out["commission"] = num(getattr(s, commission_attr, None))
    out["commissionCurrency"] = getattr(s, currency_attr, "")
    return out


class OrderMessages:
    """The error/order-status part of the neutral API, read from a driver's recorded callbacks
    (every driver records them as ``Callback(name, args)`` with the EWrapper parameter names).

    A driver class mixes this in and provides ``events(name, **match) -> [Callback]`` (the
    callbacks of that name whose arguments equal ``match``, in arrival order) and
    ``wait(pred, timeout) -> bool`` (poll until ``pred()`` holds; ``timeout`` None = the
    driver's default, seconds).
    """

    def errors(self) -> list[tuple[int, int, str]]:
        """Every error message as (reqId, code, text), in arrival order."""
        return [(e.args.get("reqId"), e.args.get("errorCode"), e.args.get("errorString")) for e in self.events("error")]

    def statuses(self, order_id: int) -> list[str]:
        """orderStatus status values for ``order_id`` as the client decoded them, in arrival
        order, repeats collapsed (statuses a library only sets locally, like ib_async's
        PendingSubmit/PendingCancel, are not messages and so not among them)."""
        out: list[str] = []
        for e in self.events("orderStatus", orderId=order_id):
            if not out or out[-1] != e.args["status"]:
                out.append(e.args["status"])
        return out

    def wait_status(self, order_id: int, *status: str, timeout: float | None = None) -> bool:
        """True once an orderStatus of ``order_id`` with one of ``status`` arrived (within ``timeout`` s)."""
        return self.wait(lambda: any(e.args["status"] in status for e in self.events("orderStatus", orderId=order_id)),
                         timeout)

    def order_errors(self, order_id: int) -> list[int]:
        """Codes of the error messages for ``order_id``, in arrival order."""
        return [c for r, c, _ in self.errors() if r == order_id]

    def wait_error(self, req_id: int, code: int, timeout: float | None = None) -> bool:
        """True once error ``code`` for ``req_id`` arrived (within ``timeout`` s)."""
        return self.wait(lambda: any(r == req_id and c == code for r, c, _ in self.errors()), timeout)
