"""Record a Session's broker callbacks in the audit journal.

:func:`attach_journal` subscribes to ib_async's ``IB`` events of ``session.ib`` (signatures
from ib_async ``ib.py``: ``openOrderEvent(trade)``, ``orderStatusEvent(trade)``,
``execDetailsEvent(trade, fill)``, ``commissionReportEvent(trade, fill, report)``,
``errorEvent(reqId, errorCode, errorString, contract)``, ``connectedEvent()``,
``disconnectedEvent()``) and turns each into one journal row with IB's field names in
``details``. Unset numbers (``UNSET_DOUBLE`` etc.) become null through ``convert.num``.
Handlers never raise: a journal problem must not disturb the session.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from app.broker.convert import _multiplier, carried_prices, contract_to_instrument, num

log = logging.getLogger(__name__)


def _int(x: Any) -> int | None:
    v = num(x)
    return int(v) if v is not None else None


def _symbol(contract: Any) -> str | None:
    if contract is None:
        return None
    if getattr(contract, "secType", "") == "CASH" and getattr(contract, "localSymbol", ""):
        return contract.localSymbol
    if getattr(contract, "secType", "") in ("OPT", "FUT") and getattr(contract, "symbol", ""):
        # the display symbol the terminal shows: "AAPL 20261218 200 C", "ESZ6" (not "AAPL")
        return contract_to_instrument(contract).display_symbol
    return getattr(contract, "symbol", None) or getattr(contract, "localSymbol", None) or None


def _contract_multiplier(contract: Any) -> float:
    """IB ``Contract.multiplier`` as a number (1 for stocks, FX and when unset)."""
    return _multiplier(getattr(contract, "multiplier", "")) if contract is not None else 1.0


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"


def open_order_fields(trade: Any) -> dict:
    """Journal fields of an openOrder callback (ib_async ``Trade``): orderId, permId,
    clientId, symbol, action, totalQuantity (shares), orderType, lmtPrice/auxPrice
    (instrument currency; null when unset or not carried by the order type, see
    :func:`app.broker.convert.carried_prices`), tif, status."""
    o, c = trade.order, trade.contract
    (lmt, aux), qty = carried_prices(o), num(o.totalQuantity)
    status = trade.orderStatus.status
    price = " ".join(_fmt(p) for p in (lmt, aux) if p is not None)
    sym = _symbol(c)
    return dict(order_id=o.orderId, perm_id=o.permId, client_id=o.clientId, symbol=sym,
                text=f"{o.action} {_fmt(qty)} {sym} {o.orderType} {price} {o.tif} {status}".replace("  ", " "),
                action=o.action, totalQuantity=qty, orderType=o.orderType, lmtPrice=lmt, auxPrice=aux,
                tif=o.tif, status=status, conId=_int(getattr(c, "conId", None)),
                parentId=_int(o.parentId) or None, ocaGroup=o.ocaGroup or None,
                orderRef=o.orderRef or None, account=o.account or None)


def order_status_fields(trade: Any) -> dict:
    """Journal fields of an orderStatus callback: status, filled/remaining (shares),
    avgFillPrice/lastFillPrice (instrument currency), whyHeld; plus the last trade-log
    message when ib_async set a status itself (ValidationError, Cancelled on an error)."""
    o, s = trade.order, trade.orderStatus
    filled, remaining = num(s.filled), num(s.remaining)
    avg, last = num(s.avgFillPrice), num(s.lastFillPrice)
    text = f"{s.status} filled {_fmt(filled)} remaining {_fmt(remaining)}"
    if filled:
        text += f" avg {_fmt(avg)}"
    entry = trade.log[-1] if getattr(trade, "log", None) else None
    message = entry.message if entry is not None and entry.status == s.status and entry.message else None
    return dict(order_id=o.orderId, perm_id=s.permId or o.permId, client_id=s.clientId or o.clientId,
                symbol=_symbol(trade.contract), text=text + (f" ({message})" if message else ""),
                status=s.status, filled=filled, remaining=remaining, avgFillPrice=avg,
                lastFillPrice=last, whyHeld=s.whyHeld or None, message=message,
                errorCode=(entry.errorCode or None) if message else None)


def exec_details_fields(trade: Any, fill: Any) -> dict:
    """Journal fields of an execDetails callback: execId, time (UTC ISO), side (BOT/SLD),
    shares (contracts for options and futures), price (per share), cumQty, avgPrice,
    exchange, multiplier (IB ``Contract.multiplier``, 1 for stocks and FX) and value =
    shares x price x multiplier (instrument currency: 1 option at 2.50 is 250)."""
    e = fill.execution
    contract = fill.contract if fill.contract is not None else trade.contract
    sym = _symbol(fill.contract) or _symbol(trade.contract)
    shares, price = num(e.shares), num(e.price)
    mult = _contract_multiplier(contract)
    value = shares * price * mult if shares is not None and price is not None else None
    return dict(order_id=e.orderId, perm_id=e.permId, client_id=e.clientId, symbol=sym,
                text=f"{e.side} {_fmt(shares)} {sym} @ {_fmt(price)} on {e.exchange}",
                execId=e.execId, time=e.time, side=e.side, shares=shares, price=price,
                cumQty=num(e.cumQty), avgPrice=num(e.avgPrice), exchange=e.exchange,
                account=e.acctNumber or None, multiplier=mult, value=value)


def commission_fields(trade: Any, fill: Any, report: Any) -> dict:
    """Journal fields of a commissionReport callback: execId, commission, currency,
    realizedPNL (null for an opening fill: IB sends UNSET_DOUBLE)."""
    e = fill.execution
    commission, pnl = num(report.commission), num(report.realizedPNL)
    text = f"commission {_fmt(commission)} {report.currency} on {report.execId}"
    if pnl is not None:
        text += f", realized P&L {_fmt(pnl)}"
    return dict(order_id=e.orderId, perm_id=e.permId, client_id=e.clientId,
                symbol=_symbol(fill.contract) or _symbol(trade.contract), text=text,
                execId=report.execId, commission=commission, currency=report.currency or None,
                realizedPNL=pnl)


def error_fields(ib: Any, req_id: int, code: int, message: str, contract: Any) -> dict:
    """Journal fields of an error callback. ``reqId`` is the orderId when it names one of
    this client's orders (ib_async ``wrapper.error`` looks it up the same way); otherwise it
    is kept as ``reqId`` in details (-1 = not request-specific)."""
    trade = None
    if isinstance(req_id, int) and req_id > 0:
        my_client = getattr(getattr(ib, "client", None), "clientId", None)
        for t in ib.trades():
            if t.order.orderId == req_id and t.order.clientId in (my_client, 0):
                trade = t
                break
    fields = dict(reqId=req_id, code=code, message=message, text=f"{code} {message}",
                  symbol=_symbol(contract) or (_symbol(trade.contract) if trade else None))
    if trade is not None:
        fields.update(order_id=req_id, perm_id=trade.order.permId, client_id=trade.order.clientId)
    return fields


def attach_journal(journal: Any, session: Any) -> Callable[[], None]:
    """Record ``session.ib``'s order callbacks and connection changes in ``journal`` (an
    ``app.journal.Journal`` or anything with ``record(kind, **fields)``). Kinds: "openOrder",
    "orderStatus", "execDetails", "commissionReport", "error", "connection". Returns a
    function that unsubscribes everything (idempotent)."""
    ib = session.ib

    def safe(kind: str, build: Callable[..., dict]) -> Callable[..., None]:
        def handler(*args: Any) -> None:
            try:
                journal.record(kind, **build(*args))
            except Exception:  # noqa: BLE001 - never disturb the session
                log.exception("journal tap: could not record %s", kind)
        return handler

    def connection(state: str) -> Callable[[], dict]:
        def build() -> dict:
            cid = getattr(session, "client_id", None)
            where = f"{getattr(session, 'host', '?')}:{getattr(session, 'port', '?')}"
            return dict(client_id=cid, text=f"{state} {where} clientId {cid}", state=state,
                        host=getattr(session, "host", None), port=getattr(session, "port", None),
                        serverVersion=ib.client.serverVersion() if state == "connected" else None,
                        accounts=getattr(session, "accounts", None) if state == "connected" else None)
        return build

    subs = [
        (ib.openOrderEvent, safe("openOrder", open_order_fields)),
        (ib.orderStatusEvent, safe("orderStatus", order_status_fields)),
        (ib.execDetailsEvent, safe("execDetails", exec_details_fields)),
        (ib.commissionReportEvent, safe("commissionReport", commission_fields)),
        (ib.errorEvent, safe("error", lambda r, c, m, k=None: error_fields(ib, r, c, m, k))),
        (ib.connectedEvent, safe("connection", connection("connected"))),
        (ib.disconnectedEvent, safe("connection", connection("disconnected"))),
    ]
    for event, handler in subs:
        event += handler

    def detach() -> None:
        while subs:
            event, handler = subs.pop()
            try:
                event -= handler
            except ValueError:
                pass
    return detach
