"""Encode order messages (openOrder, orderStatus, completedOrder) for server versions 157..178.

Layouts follow ibapi ``decoder.processOpenOrder`` / ``processCompletedOrderMsg`` with
``orderdecoder.OrderDecoder`` (ibapi-stable) and ib_async / ib_insync ``Decoder.openOrder``
/ ``completedOrder``. Version gates inside 157..178 (ibapi ``server_versions.py``):

* faProfile after faPercentage below 177 (``FA_PROFILE_DESUPPORT``);
* duration from 158, postToAts from 160, autoCancelParent (openOrder) from 162
  (``DURATION``, ``POST_TO_ATS``, ``AUTO_CANCEL_PARENT``);
* minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole,
  midOffsetAtHalf from 170 (``PEGBEST_PEGMID_OFFSETS``).

Unset values take the form a real TWS sends (the v176 whatIf frames recorded in
``shared/protocol/tws_session_v176.json``): ``''`` for most unset numbers (percentOffset,
box / peg-to-stock, minQty, nbboPriceCap, volatility, trail, basis points, scale
increment, duration, postToAts, pegBest / pegMid), 2147483647 for displaySize and the
scale level sizes, 1.7976931348623157E308 for the adjusted-order prices and unset
margins; lmtPrice / auxPrice 0.0 when the order type has none, deltaNeutralOrderType ``'None'``
with its block, adjustedOrderType ``'None'``,
strike ``0``, right ``'?'``, clearingIntent ``'IB'``, dontUseAutoPriceForHedge 1.
A plain order's openOrder has 136 fields at 170..176 (as the recorded v176 frame), 135 from
177, and 128..131 below 170.
"""

from __future__ import annotations

from app.sim.encode import COMPLETED_ORDER, COMPLETED_ORDERS_END, OPEN_ORDER, OPEN_ORDER_END, \
    ORDER_STATUS, SERVER_VERSION
from app.sim.encode import deriv_fields
from app.sim.types import SimContract, SimOrder
from app.sim.wire import UNSET_DOUBLE, UNSET_INTEGER, encode_fields, fmt_size

U = UNSET_DOUBLE
UI = str(UNSET_INTEGER)

#: ibapi ``server_versions`` gates that change order messages inside 157..178
DURATION = 158
POST_TO_ATS = 160
AUTO_CANCEL_PARENT = 162
PEGBEST_PEGMID_OFFSETS = 170
FA_PROFILE_DESUPPORT = 177


def _price(x: float | None) -> float:
    """A price that travels as 1.7976931348623157E308 when unset (the adjusted-order
    block: triggerPrice, trailStopPrice, lmtPriceOffset ...)."""
    return U if x is None else float(x)


def _zero(x: float | None) -> float:
    """lmtPrice / auxPrice: a real TWS sends 0.0 when the order type has none (a MKT order's
    lmtPrice and auxPrice, a LMT order's auxPrice; recorded v176 frames)."""
    return 0.0 if x is None or x >= U else float(x)


def _blank(x: float | None):
    """A number that a real TWS sends as ``''`` when unset (trailStopPrice,
    trailingPercent, percentOffset ...)."""
    return "" if x is None or x >= U else float(x)


def _contract11(c: SimContract) -> list:
    """conId, symbol, secType, lastTradeDate, strike, right, multiplier, exchange,
    currency, localSymbol, tradingClass (strike 0 and right '?' as TWS sends them for a
    stock or FX pair)."""
    return [c.con_id, c.symbol, c.sec_type, *deriv_fields(c, 0, "?"), c.exchange, c.currency,
            c.local_symbol, c.trading_class]


def _fa(version: int) -> list:
    """faGroup, faMethod, faPercentage (+ the deprecated faProfile below 177)."""
    return ["", "", ""] if version >= FA_PROFILE_DESUPPORT else ["", "", "", ""]


def _state_fields(state) -> list:
    """OrderState margin/commission block of openOrder (14 fields): initMarginBefore,
    maintMarginBefore, equityWithLoanBefore, the three *Change, the three *After,
    commission, minCommission, maxCommission, commissionCurrency, warningText.
    ``state`` is a ``SimOrderState`` of a whatIf order; margins unset travel as
    1.7976931348623157E308, commissions unset as ``''`` (real TWS)."""
    if state is None:
        return [U] * 9 + ["", "", "", "", ""]

    def m(name):
        v = getattr(state, name, None)
        return U if v is None else float(v)

    def c(name):
        v = getattr(state, name, None)
        return "" if v is None or v >= U else float(v)

    return [m("init_margin_before"), m("maint_margin_before"), m("equity_with_loan_before"),
            m("init_margin_change"), m("maint_margin_change"), m("equity_with_loan_change"),
            m("init_margin_after"), m("maint_margin_after"), m("equity_with_loan_after"),
            c("commission"), c("min_commission"), c("max_commission"),
            getattr(state, "commission_currency", "") or "",
            getattr(state, "warning_text", "") or ""]


def _tail(version: int, open_order: bool) -> list:
    """The version-gated end of openOrder / completedOrder (ibapi ``decodeDuration``,
    ``decodePostToAts``, ``decodeAutoCancelParent``, ``decodePegBestPegMidOrderAttributes``)."""
    f: list = []
    if open_order:
        if version >= DURATION:
            f.append("")                    # duration
        if version >= POST_TO_ATS:
            f.append("")                    # postToAts
        if version >= AUTO_CANCEL_PARENT:
            f.append(0)                     # autoCancelParent
    if version >= PEGBEST_PEGMID_OFFSETS:
        f += ["", "", "", "", ""]           # minTradeQty .. midOffsetAtHalf
    return f


def _trail_stop(o: SimOrder) -> float | None:
    """The stop where it is now (it moves with the market), else the one the client set."""
    moving = getattr(o, "trail_stop", 0.0) or 0.0
    if moving > 0:
        return moving
    return getattr(o.ticket, "trail_stop_price", None)


def open_order(o: SimOrder, c: SimContract, account: str, state=None,
               version: int = SERVER_VERSION) -> bytes:
    """openOrder (5) for a plain (non-combo, non-algo) order at server ``version``
    (157..178): 128 fields at 157, 129 at 158..159, 130 at 160..161, 131 at 162..169,
    136 at 170..176 (the recorded v176 TWS frame), 135 from 177.

    ``o.perm_id`` must be non-zero (ib_async keys trades by permId and needs it
    before execDetails); ``clientId`` is the placing client's. ``state`` (a
    ``SimOrderState``) makes it the answer to a whatIf order: whatIf=1, status
    from the state and its margin/commission fields filled (IB sends no
    orderStatus for whatIf orders). Trailing amount travels in auxPrice,
    trailingPercent / lmtPriceOffset (TRAIL LIMIT), goodTillDate and ocaType are
    echoed from the ticket; trailStopPrice is the order's current trailing stop once the
    engine has set it, else the ticket's.
    """
    t = o.ticket
    what_if = state is not None or bool(getattr(t, "what_if", False))
    status = getattr(state, "status", None) or o.status
    trail_stop = _trail_stop(o)
    offset = getattr(t, "lmt_price_offset", None)
    f: list = [OPEN_ORDER, o.order_id, *_contract11(c),
               t.action, fmt_size(t.total_qty), t.order_type, _zero(t.lmt_price),
               _zero(t.aux_price), t.tif or "DAY", t.oca_group, t.account or account,
               "", 0, t.order_ref, o.client_id, o.perm_id, t.outside_rth, False,
               0, "", "", *_fa(version), "",                # discretionaryAmt .. modelCode
               getattr(t, "good_till_date", "") or "",
               "", "", "", 0, "", -1, 0,                  # rule80A .. auctionStrategy
               "", "", "", "", "", UI,                    # startingPrice .. displaySize
               0, 0, 0, "", getattr(t, "oca_type", 0) or 3, 0, 0, "",   # blockOrder .. nbbo
               t.parent_id, 0, "", 0,                     # parentId .. volatilityType
               "None", "", 0, "", "", "", "?", 0, 0, "",  # deltaNeutral block
               0, 0,                                      # continuousUpdate, refPriceType
               _blank(trail_stop), _blank(getattr(t, "trailing_percent", None)),
               "", "", "", 0, 0, 0,                       # basisPoints .. smartComboParams
               UI, UI, "", "", 0, "", "IB", 0, 0, "", 0, what_if,   # scale .. whatIf
               status, *_state_fields(state),
               0, 0, 0, "None", U, _price(trail_stop), _price(offset),
               U, U, U, 0,                                # adjusted prices, trailing unit
               "", "", "", 0, 1, 0, 0, 0,                 # softDollar .. usePriceMgmtAlgo
               *_tail(version, True)]
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
                    completed_status: str = "", version: int = SERVER_VERSION) -> bytes:
    """completedOrder (101) for a plain order at server ``version`` (157..178) (ibapi
    ``processCompletedOrderMsg``; the FA and pegBest gates and unset forms as in
    :func:`open_order`); goodTillDate and the trailing fields as there too."""
    t = o.ticket
    trail_stop = _trail_stop(o)
    offset = getattr(t, "lmt_price_offset", None)
    f: list = [COMPLETED_ORDER, *_contract11(c),
               t.action, fmt_size(t.total_qty), t.order_type, _zero(t.lmt_price),
               _zero(t.aux_price), t.tif or "DAY", t.oca_group, t.account or account,
               "", 0, t.order_ref, o.perm_id, t.outside_rth, False, 0, "",
               *_fa(version), "",                       # FA params, modelCode
               getattr(t, "good_till_date", "") or "", "", "", "",   # GTD, rule80A, pctOffset, firm
               0, "", -1,                               # shortSaleSlot, designatedLoc, exempt
               "", "", "", "", "",                      # box / peg-to-stock
               UI, 0, 0, "", 3, 0,                      # displaySize .. triggerMethod
               "", 0, "None", "", 0, 0, 0, "", 0, 0,    # vol params, delta-neutral block
               _blank(trail_stop), _blank(getattr(t, "trailing_percent", None)),
               "", 0, 0, 0,                             # comboLegsDescrip, legs, orderLegs, params
               UI, UI, "",                              # scale
               "", "", "IB", 0, 0,                      # hedgeType, clearing x2, notHeld, dnc
               "", 0, o.status, 0, 0,                   # algo, solicited, status, randomize x2
               0,                                       # conditions
               _price(trail_stop), _price(offset), 0, 1, 0,   # trailStop, lmtOffset, cashQty ..
               "", fmt_size(o.filled), 0, 0, "", 0, 0, 0,   # autoCancelDate .. parentPermId
               completed_time, completed_status or o.status,
               *_tail(version, False)]
    return encode_fields(*f)


def completed_orders_end() -> bytes:
    """completedOrdersEnd (102), no version field."""
    return encode_fields(COMPLETED_ORDERS_END)
