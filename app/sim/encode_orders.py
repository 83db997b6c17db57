"""Encode order messages (openOrder, orderStatus, completedOrder) at server version 178.

Layouts follow ibapi ``decoder.processOpenOrder`` / ``processCompletedOrderMsg``
with ``orderdecoder.OrderDecoder`` and ib_async ``Decoder.openOrder`` /
``completedOrder`` at serverVersion 178, and the labeled vector
``/work/shared/protocol/openorder_v178_labeled.txt`` (127 fields for a plain
order: no delta-neutral, scale, hedge, algo, PEG BENCH or condition groups).
"""

from __future__ import annotations

from app.sim.encode import COMPLETED_ORDER, COMPLETED_ORDERS_END, OPEN_ORDER, OPEN_ORDER_END, \
    ORDER_STATUS
from app.sim.types import SimContract, SimOrder
from app.sim.wire import UNSET_DOUBLE, UNSET_INTEGER, encode_fields, fmt_size

U = UNSET_DOUBLE
UI = str(UNSET_INTEGER)


def _price(x: float | None) -> float:
    return U if x is None else float(x)


def _contract11(c: SimContract) -> list:
    """conId, symbol, secType, lastTradeDate, strike, right, multiplier, exchange,
    currency, localSymbol, tradingClass."""
    return [c.con_id, c.symbol, c.sec_type, "", 0.0, "", "", c.exchange, c.currency,
            c.local_symbol, c.trading_class]


def _state_fields(state) -> list:
    """OrderState margin/commission block of openOrder (14 fields): initMarginBefore,
    maintMarginBefore, equityWithLoanBefore, the three *Change, the three *After,
    commission, minCommission, maxCommission, commissionCurrency, warningText.
    ``state`` is a ``SimOrderState`` of a whatIf order (unset values for None)."""
    if state is None:
        return [U] * 12 + ["", ""]

    def m(name):   # margins travel as strings in OrderState; unset -> IB's unset double
        v = getattr(state, name, None)
        return U if v is None else float(v)

    return [m("init_margin_before"), m("maint_margin_before"), m("equity_with_loan_before"),
            m("init_margin_change"), m("maint_margin_change"), m("equity_with_loan_change"),
            m("init_margin_after"), m("maint_margin_after"), m("equity_with_loan_after"),
            m("commission"), m("min_commission"), m("max_commission"),
            getattr(state, "commission_currency", "") or "",
            getattr(state, "warning_text", "") or ""]


def open_order(o: SimOrder, c: SimContract, account: str, state=None) -> bytes:
    """openOrder (5) for a plain (non-combo, non-algo) order: 127 fields.

    ``o.perm_id`` must be non-zero (ib_async keys trades by permId and needs it
    before execDetails); ``clientId`` is the placing client's. ``state`` (a
    ``SimOrderState``) makes it the answer to a whatIf order: whatIf=1, status
    from the state and its margin/commission fields filled (IB sends no
    orderStatus for whatIf orders). Trailing amount travels in auxPrice,
    trailingPercent / lmtPriceOffset (TRAIL LIMIT), goodTillDate and ocaType are
    echoed from the ticket; trailStopPrice is the order's current trailing stop once the
    engine has set it (it moves with the market), else the ticket's.
    """
    t = o.ticket
    what_if = state is not None or bool(getattr(t, "what_if", False))
    status = getattr(state, "status", None) or o.status
    # the stop where it is now (it moves with the market), else the one the client set
    moving = getattr(o, "trail_stop", 0.0) or 0.0
    trail_stop = moving if moving > 0 else _price(getattr(t, "trail_stop_price", None))
    f: list = [OPEN_ORDER, o.order_id, *_contract11(c),
               t.action, fmt_size(t.total_qty), t.order_type, _price(t.lmt_price),
               _price(t.aux_price), t.tif or "DAY", t.oca_group, t.account or account,
               "", 0, t.order_ref, o.client_id, o.perm_id, t.outside_rth, False,
               0, "", "", "", "", "", "",                # discretionaryAmt .. modelCode
               getattr(t, "good_till_date", "") or "",
               "", U, "", 0, "", -1, 0,                  # rule80A .. auctionStrategy
               U, U, U, U, U, UI,                       # startingPrice .. displaySize
               0, 0, 0, UI, getattr(t, "oca_type", 0) or 3, 0, 0, U,   # blockOrder .. nbbo
               t.parent_id, 0, U, 0, "", 0, 0, 0,       # parentId .. referencePriceType
               trail_stop, _price(getattr(t, "trailing_percent", None)),
               U, UI, "", 0, 0, 0,                      # basisPoints .. smartComboParams
               UI, UI, U, "", 0, "", "", 0, 0, "", 0, what_if,   # scale .. whatIf
               status, *_state_fields(state),
               0, 0, 0, "", U, trail_stop, _price(getattr(t, "lmt_price_offset", None)),
               U, U, U, 0,                              # adjusted prices, trailing unit
               "", "", "", U, 0, 0, 0, 0, UI, UI, 0, UI, UI, U, U, U]
    return encode_fields(*f)


def open_order_end() -> bytes:
    """openOrderEnd (53)."""
    return encode_fields(OPEN_ORDER_END, 1)


def order_status(o: SimOrder, mkt_cap_price: float = 0.0) -> bytes:
    """orderStatus (3) at v178, no version field: orderId, status, filled,
    remaining, avgFillPrice, permId, parentId, lastFillPrice, clientId,
    whyHeld, mktCapPrice."""
    return encode_fields(ORDER_STATUS, o.order_id, o.status, fmt_size(o.filled),
                         fmt_size(o.remaining), o.avg_fill_price, o.perm_id,
                         o.ticket.parent_id, o.last_fill_price, o.client_id, o.why_held,
                         mkt_cap_price)


def completed_order(o: SimOrder, c: SimContract, account: str, completed_time: str,
                    completed_status: str = "") -> bytes:
    """completedOrder (101) for a plain order (ibapi ``processCompletedOrderMsg``); the
    goodTillDate and the trailing fields as in :func:`open_order`."""
    t = o.ticket
    moving = getattr(o, "trail_stop", 0.0) or 0.0
    trail_stop = moving if moving > 0 else _price(getattr(t, "trail_stop_price", None))
    f: list = [COMPLETED_ORDER, *_contract11(c),
               t.action, fmt_size(t.total_qty), t.order_type, _price(t.lmt_price),
               _price(t.aux_price), t.tif or "DAY", t.oca_group, t.account or account,
               "", 0, t.order_ref, o.perm_id, t.outside_rth, False, 0, "",
               "", "", "", "",                          # faGroup, faMethod, faPct, modelCode
               getattr(t, "good_till_date", "") or "", "", U, "",   # goodTillDate, rule80A, pctOffset, firm
               0, "", -1,                               # shortSaleSlot, designatedLoc, exempt
               U, U, U, U, U,                           # box / peg-to-stock
               UI, 0, 0, UI, 3, 0,                      # displaySize .. triggerMethod
               U, 0, "", U, 0, 0,                       # vol params (no delta neutral)
               trail_stop, _price(getattr(t, "trailing_percent", None)),   # trailStopPrice, trailingPercent
               "", 0, 0, 0,                             # comboLegsDescrip, legs, orderLegs, params
               UI, UI, U,                               # scale
               "", "", "", 0, 0,                        # hedgeType, clearing x2, notHeld, dnc
               "", 0, o.status, 0, 0,                   # algo, solicited, status, randomize x2
               0,                                       # conditions
               trail_stop, _price(getattr(t, "lmt_price_offset", None)), U, 0, 0,   # trailStop, lmtOffset, cashQty
               "", fmt_size(o.filled), 0, 0, "", 0, 0, 0,   # autoCancelDate .. parentPermId
               completed_time, completed_status or o.status,
               UI, UI, U, U, U]
    return encode_fields(*f)


def completed_orders_end() -> bytes:
    """completedOrdersEnd (102), no version field."""
    return encode_fields(COMPLETED_ORDERS_END)
