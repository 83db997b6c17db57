"""Parse client requests (TWS socket protocol, server versions 157..178) into typed objects.

Each parser follows the field order of ib_async ``client.py`` (cross-checked
with ibapi and ib_insync ``client.py``) at the negotiated server version. Inside
157..178 only placeOrder changes (ibapi ``placeOrder``): faProfile after faPercentage
below 177, then duration from 158, postToAts from 160, autoCancelParent from 162,
advancedErrorOverride from 166, manualOrderTime from 169 (cancelOrder's
manualOrderCancelTime from 169 and reqContractDetails' issuerId from 176 are trailing
and read optionally; reqScannerSubscription has no version field from 143 on, so none here).
Extra trailing fields are ignored (newer clients may append);
missing or unparsable required fields raise :class:`app.sim.wire.FieldError`
(answered with IB error 320).

Entry point: :func:`decode_request` (list of text fields -> request object).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields

from app.sim.types import OrderTicket
from app.sim.wire import UNSET_DOUBLE, Cursor, FieldError

# Outgoing (client -> server) message ids, ibapi ``message.OUT``.
REQ_MKT_DATA = 1
CANCEL_MKT_DATA = 2
PLACE_ORDER = 3
CANCEL_ORDER = 4
REQ_OPEN_ORDERS = 5
REQ_ACCT_DATA = 6
REQ_EXECUTIONS = 7
REQ_IDS = 8
REQ_CONTRACT_DATA = 9
REQ_AUTO_OPEN_ORDERS = 15
REQ_ALL_OPEN_ORDERS = 16
REQ_MANAGED_ACCTS = 17
REQ_HISTORICAL_DATA = 20
CANCEL_HISTORICAL_DATA = 25
REQ_CURRENT_TIME = 49
REQ_GLOBAL_CANCEL = 58
REQ_MARKET_DATA_TYPE = 59
REQ_POSITIONS = 61
REQ_ACCOUNT_SUMMARY = 62
CANCEL_ACCOUNT_SUMMARY = 63
CANCEL_POSITIONS = 64
START_API = 71
REQ_ACCOUNT_UPDATES_MULTI = 76
CANCEL_ACCOUNT_UPDATES_MULTI = 77
REQ_COMPLETED_ORDERS = 99
REQ_MKT_DEPTH = 10
CANCEL_MKT_DEPTH = 11
REQ_REAL_TIME_BARS = 50
CANCEL_REAL_TIME_BARS = 51
REQ_MATCHING_SYMBOLS = 81
REQ_MKT_DEPTH_EXCHANGES = 82
REQ_HEAD_TIMESTAMP = 87
CANCEL_HEAD_TIMESTAMP = 90
REQ_MARKET_RULE = 91
REQ_PNL = 92
CANCEL_PNL = 93
REQ_PNL_SINGLE = 94
CANCEL_PNL_SINGLE = 95
REQ_HISTORICAL_TICKS = 96
REQ_TICK_BY_TICK_DATA = 97
CANCEL_TICK_BY_TICK_DATA = 98
REQ_NEWS_BULLETINS = 12
CANCEL_NEWS_BULLETINS = 13
REQ_SCANNER_SUBSCRIPTION = 22
CANCEL_SCANNER_SUBSCRIPTION = 23
REQ_SCANNER_PARAMETERS = 24
REQ_CALC_IMPLIED_VOLAT = 54
REQ_CALC_OPTION_PRICE = 55
CANCEL_CALC_IMPLIED_VOLAT = 56
CANCEL_CALC_OPTION_PRICE = 57
REQ_SEC_DEF_OPT_PARAMS = 78

#: reqScannerSubscription fields after reqId at server versions >= 143
#: (``MIN_SERVER_VER_SCANNER_GENERIC_OPTS``: no version field; ibapi ``reqScannerSubscription``,
#: ib_async / ib_insync ``Client.reqScannerSubscription``): the ScannerSubscription, then
#: scannerSubscriptionFilterOptions and scannerSubscriptionOptions as ``tag=value;`` lists
_SCANNER_FIELDS = ("numberOfRows", "instrument", "locationCode", "scanCode", "abovePrice",
                   "belowPrice", "aboveVolume", "marketCapAbove", "marketCapBelow",
                   "moodyRatingAbove", "moodyRatingBelow", "spRatingAbove", "spRatingBelow",
                   "maturityDateAbove", "maturityDateBelow", "couponRateAbove", "couponRateBelow",
                   "excludeConvertible", "averageOptionVolumeAbove", "scannerSettingPairs",
                   "stockTypeFilter", "filterOptions", "options")

#: Requests the simulator recognises but does not serve, with the position of
#: their reqId field (so the refusal can name the request). ibapi ``message.OUT``.
UNSUPPORTED_WITH_REQID = {
    21: ("exerciseOptions", 2),
    52: ("reqFundamentalData", 2), 74: ("reqPositionsMulti", 2),
    88: ("reqHistogramData", 1),
}
#: Recognised requests without a reqId that need no answer from a simulator.
IGNORED = {
    14: "setServerLogLevel", 53: "cancelFundamentalData",
    75: "cancelPositionsMulti", 89: "cancelHistogramData",
}


@dataclass(slots=True)
class ContractSpec:
    """The 12 contract fields a request carries (ib_async ``Client`` contract encoding)."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    last_trade_date: str = ""
    strike: float = 0.0
    right: str = ""
    multiplier: str = ""
    exchange: str = ""
    primary_exchange: str = ""
    currency: str = ""
    local_symbol: str = ""
    trading_class: str = ""


@dataclass(slots=True)
class Request:
    """A decoded client request: ``msg_id`` plus its named fields.

    ``name`` is IB's request name (``reqMktData``...). ``req_id`` is the
    request's reqId/orderId where it has one, else -1.
    """

    msg_id: int
    name: str
    req_id: int = -1
    contract: ContractSpec | None = None
    params: dict = field(default_factory=dict)
    ticket: OrderTicket | None = None


def _contract(c: Cursor) -> ContractSpec:
    return ContractSpec(
        con_id=c.int("conId"), symbol=c.str("symbol"), sec_type=c.str("secType"),
        last_trade_date=c.str("lastTradeDateOrContractMonth"), strike=c.float("strike"),
        right=c.str("right"), multiplier=c.str("multiplier"), exchange=c.str("exchange"),
        primary_exchange=c.str("primaryExchange"), currency=c.str("currency"),
        local_symbol=c.str("localSymbol"), trading_class=c.str("tradingClass"),
    )


def _skip_bag_legs(c: Cursor, spec: ContractSpec, per_leg: int) -> None:
    if spec.sec_type == "BAG":
        n = c.int("comboLegsCount")
        c.skip(max(0, n) * per_leg)


#: placeOrder fields after usePriceMgmtAlgo and the server version each appears from
#: (ibapi ``server_versions``: DURATION, POST_TO_ATS, AUTO_CANCEL_PARENT,
#: ADVANCED_ORDER_REJECT, MANUAL_ORDER_TIME)
_PLACE_ORDER_TAIL = (("duration", 158), ("postToAts", 160), ("autoCancelParent", 162),
                     ("advancedErrorOverride", 166), ("manualOrderTime", 169))
#: below this server version placeOrder still carries faProfile (FA_PROFILE_DESUPPORT)
_FA_PROFILE_DESUPPORT = 177


def _place_order(c: Cursor, version: int = 178) -> Request:
    """placeOrder (id 3) at server ``version``, order of ib_async ``Client.placeOrder``."""
    order_id = c.int("orderId")
    spec = _contract(c)
    raw: dict = {}
    raw["secIdType"] = c.str("secIdType")
    raw["secId"] = c.str("secId")
    action = c.str("action").upper()
    qty = c.float("totalQuantity")
    order_type = c.str("orderType").upper()
    lmt = c.float_or_none("lmtPrice")
    aux = c.float_or_none("auxPrice")
    tif = c.str("tif").upper() or "DAY"
    names1 = ["ocaGroup", "account", "openClose", "origin", "orderRef", "transmit",
              "parentId", "blockOrder", "sweepToFill", "displaySize", "triggerMethod",
              "outsideRth", "hidden"]
    for n in names1:
        raw[n] = c.str(n)
    if spec.sec_type == "BAG":
        legs = c.int("comboLegsCount")
        c.skip(max(0, legs) * 8)
        c.skip(max(0, c.int("orderComboLegsCount")))
        c.skip(max(0, c.int("smartComboRoutingParamsCount")) * 2)
    c.skip(1)  # deprecated sharesAllocation
    for n in ["discretionaryAmt", "goodAfterTime", "goodTillDate", "faGroup", "faMethod",
              "faPercentage"]:
        raw[n] = c.str(n)
    if version < _FA_PROFILE_DESUPPORT:
        raw["faProfile"] = c.str("faProfile")
    for n in ["modelCode", "shortSaleSlot", "designatedLocation",
              "exemptCode", "ocaType", "rule80A", "settlingFirm", "allOrNone", "minQty",
              "percentOffset", "eTradeOnly", "firmQuoteOnly", "nbboPriceCap",
              "auctionStrategy", "startingPrice", "stockRefPrice", "delta",
              "stockRangeLower", "stockRangeUpper", "overridePercentageConstraints",
              "volatility", "volatilityType", "deltaNeutralOrderType",
              "deltaNeutralAuxPrice"]:
        raw[n] = c.str(n)
    if raw["deltaNeutralOrderType"]:
        c.skip(8)
    for n in ["continuousUpdate", "referencePriceType", "trailStopPrice", "trailingPercent",
              "scaleInitLevelSize", "scaleSubsLevelSize", "scalePriceIncrement"]:
        raw[n] = c.str(n)
    try:
        spi = float(raw["scalePriceIncrement"] or UNSET_DOUBLE)
    except ValueError:
        raise FieldError("field 'scalePriceIncrement' is not a number") from None
    if 0 < spi < UNSET_DOUBLE:
        c.skip(7)
    for n in ["scaleTable", "activeStartTime", "activeStopTime", "hedgeType"]:
        raw[n] = c.str(n)
    if raw["hedgeType"]:
        raw["hedgeParam"] = c.str("hedgeParam")
    for n in ["optOutSmartRouting", "clearingAccount", "clearingIntent", "notHeld"]:
        raw[n] = c.str(n)
    if c.bool("deltaNeutralContractPresent"):
        c.skip(3)
    raw["algoStrategy"] = c.str("algoStrategy")
    if raw["algoStrategy"]:
        c.skip(max(0, c.int("algoParamsCount")) * 2)
    for n in ["algoId", "whatIf", "orderMiscOptions", "solicited", "randomizeSize",
              "randomizePrice"]:
        raw[n] = c.str(n)
    if order_type in ("PEG BENCH", "PEGBENCH"):
        c.skip(5)
    n_cond = c.int("conditionsCount")
    if n_cond:
        raise FieldError("order conditions are not supported by the simulated gateway", 387)
    for n in ["adjustedOrderType", "triggerPrice", "lmtPriceOffset", "adjustedStopPrice",
              "adjustedStopLimitPrice", "adjustedTrailingAmount", "adjustableTrailingUnit",
              "extOperator", "softDollarTier.name", "softDollarTier.val", "cashQty",
              "mifid2DecisionMaker", "mifid2DecisionAlgo", "mifid2ExecutionTrader",
              "mifid2ExecutionAlgo", "dontUseAutoPriceForHedge", "isOmsContainer",
              "discretionaryUpToLimitPrice", "usePriceMgmtAlgo"]:
        raw[n] = c.str(n)
    for n, since in _PLACE_ORDER_TAIL:
        if version >= since:
            raw[n] = c.str(n)
    # v>=170 PEG BEST / PEG MID / IBKRATS extras and anything newer: ignored.

    def _b(name: str) -> bool:
        return Cursor([raw.get(name, "")]).bool(name)

    def _i(name: str) -> int:
        return Cursor([raw.get(name, "")]).int(name)

    def _f(name: str) -> float | None:
        return Cursor([raw.get(name, "")]).float_or_none(name)

    kw = dict(
        action=action, total_qty=qty, order_type=order_type, lmt_price=lmt, aux_price=aux,
        tif=tif, outside_rth=_b("outsideRth"), account=raw["account"],
        order_ref=raw["orderRef"], transmit=_b("transmit"), parent_id=_i("parentId"),
        oca_group=raw["ocaGroup"], raw=raw,
        # issue-3 ticket fields (types.OrderTicket, added with defaults by the exchange side)
        trailing_percent=_f("trailingPercent"), trail_stop_price=_f("trailStopPrice"),
        lmt_price_offset=_f("lmtPriceOffset"), good_till_date=raw["goodTillDate"].strip(),
        oca_type=_i("ocaType"), what_if=_b("whatIf"),
    )
    return Request(PLACE_ORDER, "placeOrder", order_id, spec, {"whatIf": kw["what_if"]},
                   make_ticket(**kw))


def make_ticket(**kw) -> OrderTicket:
    """Build an :class:`OrderTicket`, leaving out fields this version of the type lacks
    (they stay available in ``ticket.raw``)."""
    names = {f.name for f in dataclass_fields(OrderTicket)}
    return OrderTicket(**{k: v for k, v in kw.items() if k in names})


def decode_request(fields: list[str], version: int = 178) -> Request:
    """Decode one request (its text fields, msg id first) at server ``version`` (157..178).

    Returns a :class:`Request`; unknown message ids give ``name == "unknown"``.
    Raises :class:`FieldError` for a truncated or unparsable request.
    """
    if not fields:
        raise FieldError("empty message")
    c = Cursor(fields)
    try:
        msg_id = c.int("msgId", -1)
    except FieldError:
        return Request(-1, "unknown")
    if msg_id == START_API:
        c.skip(1)
        return Request(msg_id, "startApi", -1, params={"clientId": c.int("clientId"),
                                                       "optCapab": c.opt_str()})
    if msg_id == REQ_MKT_DATA:
        c.skip(1)
        req_id = c.int("reqId")
        spec = _contract(c)
        _skip_bag_legs(c, spec, 4)
        if c.bool("deltaNeutralContractPresent"):
            c.skip(3)
        p = {"genericTickList": c.str("genericTickList"), "snapshot": c.bool("snapshot"),
             "regulatorySnapshot": c.opt_bool()}
        return Request(msg_id, "reqMktData", req_id, spec, p)
    if msg_id == CANCEL_MKT_DATA:
        c.skip(1)
        return Request(msg_id, "cancelMktData", c.int("reqId"))
    if msg_id == PLACE_ORDER:
        return _place_order(c, version)
    if msg_id == CANCEL_ORDER:
        c.skip(1)
        return Request(msg_id, "cancelOrder", c.int("orderId"))
    if msg_id == REQ_OPEN_ORDERS:
        return Request(msg_id, "reqOpenOrders")
    if msg_id == REQ_ACCT_DATA:
        c.skip(1)
        return Request(msg_id, "reqAccountUpdates", -1,
                       params={"subscribe": c.bool("subscribe"), "acctCode": c.opt_str()})
    if msg_id == REQ_EXECUTIONS:
        c.skip(1)
        req_id = c.int("reqId")
        p = {"clientId": c.opt_int(0), "acctCode": c.opt_str(), "time": c.opt_str(),
             "symbol": c.opt_str(), "secType": c.opt_str(), "exchange": c.opt_str(),
             "side": c.opt_str()}
        return Request(msg_id, "reqExecutions", req_id, params=p)
    if msg_id == REQ_IDS:
        c.skip(1)
        return Request(msg_id, "reqIds", -1, params={"numIds": c.opt_int(1)})
    if msg_id == REQ_CONTRACT_DATA:
        c.skip(1)
        req_id = c.int("reqId")
        spec = _contract(c)
        p = {"includeExpired": c.opt_bool(), "secIdType": c.opt_str(), "secId": c.opt_str()}
        return Request(msg_id, "reqContractDetails", req_id, spec, p)
    if msg_id == REQ_AUTO_OPEN_ORDERS:
        c.skip(1)
        return Request(msg_id, "reqAutoOpenOrders", -1, params={"autoBind": c.opt_bool()})
    if msg_id == REQ_ALL_OPEN_ORDERS:
        return Request(msg_id, "reqAllOpenOrders")
    if msg_id == REQ_MANAGED_ACCTS:
        return Request(msg_id, "reqManagedAccts")
    if msg_id == REQ_HISTORICAL_DATA:
        req_id = c.int("reqId")
        spec = _contract(c)
        p = {"includeExpired": c.bool("includeExpired"), "endDateTime": c.str("endDateTime"),
             "barSizeSetting": c.str("barSizeSetting"), "durationStr": c.str("durationStr"),
             "useRTH": c.bool("useRTH"), "whatToShow": c.str("whatToShow"),
             "formatDate": c.int("formatDate", 1)}
        _skip_bag_legs(c, spec, 4)
        p["keepUpToDate"] = c.opt_bool()
        return Request(msg_id, "reqHistoricalData", req_id, spec, p)
    if msg_id == CANCEL_HISTORICAL_DATA:
        c.skip(1)
        return Request(msg_id, "cancelHistoricalData", c.int("reqId"))
    if msg_id == REQ_CURRENT_TIME:
        return Request(msg_id, "reqCurrentTime")
    if msg_id == REQ_GLOBAL_CANCEL:
        return Request(msg_id, "reqGlobalCancel")
    if msg_id == REQ_MARKET_DATA_TYPE:
        c.skip(1)
        return Request(msg_id, "reqMarketDataType", -1,
                       params={"marketDataType": c.int("marketDataType")})
    if msg_id == REQ_POSITIONS:
        return Request(msg_id, "reqPositions")
    if msg_id == CANCEL_POSITIONS:
        return Request(msg_id, "cancelPositions")
    if msg_id == REQ_ACCOUNT_SUMMARY:
        c.skip(1)
        req_id = c.int("reqId")
        return Request(msg_id, "reqAccountSummary", req_id,
                       params={"groupName": c.str("groupName"), "tags": c.str("tags")})
    if msg_id == CANCEL_ACCOUNT_SUMMARY:
        c.skip(1)
        return Request(msg_id, "cancelAccountSummary", c.int("reqId"))
    if msg_id == REQ_ACCOUNT_UPDATES_MULTI:
        c.skip(1)
        req_id = c.int("reqId")
        return Request(msg_id, "reqAccountUpdatesMulti", req_id,
                       params={"account": c.str("account"), "modelCode": c.opt_str(),
                               "ledgerAndNLV": c.opt_bool()})
    if msg_id == CANCEL_ACCOUNT_UPDATES_MULTI:
        c.skip(1)
        return Request(msg_id, "cancelAccountUpdatesMulti", c.int("reqId"))
    if msg_id == REQ_COMPLETED_ORDERS:
        return Request(msg_id, "reqCompletedOrders", -1, params={"apiOnly": c.opt_bool()})
    if msg_id == REQ_MKT_DEPTH:
        c.skip(1)
        req_id = c.int("reqId")
        spec = _contract(c)
        p = {"numRows": c.int("numRows", 10), "isSmartDepth": c.opt_bool(),
             "mktDepthOptions": c.opt_str()}
        return Request(msg_id, "reqMktDepth", req_id, spec, p)
    if msg_id == CANCEL_MKT_DEPTH:
        c.skip(1)
        req_id = c.int("reqId")
        return Request(msg_id, "cancelMktDepth", req_id, params={"isSmartDepth": c.opt_bool()})
    if msg_id == REQ_REAL_TIME_BARS:
        c.skip(1)
        req_id = c.int("reqId")
        spec = _contract(c)
        p = {"barSize": c.int("barSize", 5), "whatToShow": c.str("whatToShow"),
             "useRTH": c.bool("useRTH"), "realTimeBarsOptions": c.opt_str()}
        return Request(msg_id, "reqRealTimeBars", req_id, spec, p)
    if msg_id == CANCEL_REAL_TIME_BARS:
        c.skip(1)
        return Request(msg_id, "cancelRealTimeBars", c.int("reqId"))
    if msg_id == REQ_MATCHING_SYMBOLS:
        req_id = c.int("reqId")
        return Request(msg_id, "reqMatchingSymbols", req_id, params={"pattern": c.str("pattern")})
    if msg_id == REQ_MKT_DEPTH_EXCHANGES:
        return Request(msg_id, "reqMktDepthExchanges")
    if msg_id == REQ_HEAD_TIMESTAMP:
        req_id = c.int("reqId")
        spec = _contract(c)
        p = {"includeExpired": c.bool("includeExpired"), "useRTH": c.bool("useRTH"),
             "whatToShow": c.str("whatToShow"), "formatDate": c.int("formatDate", 1)}
        return Request(msg_id, "reqHeadTimeStamp", req_id, spec, p)
    if msg_id == CANCEL_HEAD_TIMESTAMP:
        return Request(msg_id, "cancelHeadTimeStamp", c.int("reqId"))
    if msg_id == REQ_MARKET_RULE:
        rule = c.int("marketRuleId")
        return Request(msg_id, "reqMarketRule", -1, params={"marketRuleId": rule})
    if msg_id == REQ_PNL:
        req_id = c.int("reqId")
        return Request(msg_id, "reqPnL", req_id,
                       params={"account": c.str("account"), "modelCode": c.opt_str()})
    if msg_id == CANCEL_PNL:
        return Request(msg_id, "cancelPnL", c.int("reqId"))
    if msg_id == REQ_PNL_SINGLE:
        req_id = c.int("reqId")
        p = {"account": c.str("account"), "modelCode": c.str("modelCode"),
             "conId": c.int("conId")}
        return Request(msg_id, "reqPnLSingle", req_id, params=p)
    if msg_id == CANCEL_PNL_SINGLE:
        return Request(msg_id, "cancelPnLSingle", c.int("reqId"))
    if msg_id == REQ_HISTORICAL_TICKS:
        req_id = c.int("reqId")
        spec = _contract(c)
        p = {"includeExpired": c.bool("includeExpired"), "startDateTime": c.str("startDateTime"),
             "endDateTime": c.str("endDateTime"), "numberOfTicks": c.int("numberOfTicks"),
             "whatToShow": c.str("whatToShow"), "useRth": c.bool("useRth"),
             "ignoreSize": c.bool("ignoreSize"), "miscOptions": c.opt_str()}
        return Request(msg_id, "reqHistoricalTicks", req_id, spec, p)
    if msg_id == REQ_TICK_BY_TICK_DATA:
        req_id = c.int("reqId")
        spec = _contract(c)
        p = {"tickType": c.str("tickType"), "numberOfTicks": c.opt_int(0),
             "ignoreSize": c.opt_bool()}
        return Request(msg_id, "reqTickByTickData", req_id, spec, p)
    if msg_id == CANCEL_TICK_BY_TICK_DATA:
        return Request(msg_id, "cancelTickByTickData", c.int("reqId"))
    if msg_id == REQ_NEWS_BULLETINS:
        c.skip(1)
        return Request(msg_id, "reqNewsBulletins", -1, params={"allMsgs": c.bool("allMsgs")})
    if msg_id == CANCEL_NEWS_BULLETINS:
        return Request(msg_id, "cancelNewsBulletins")
    if msg_id == REQ_SCANNER_PARAMETERS:
        return Request(msg_id, "reqScannerParameters")
    if msg_id == REQ_SCANNER_SUBSCRIPTION:
        req_id = c.int("reqId")
        p = {n: c.str(n) for n in _SCANNER_FIELDS[:21]}
        p["filterOptions"], p["options"] = c.opt_str(), c.opt_str()
        return Request(msg_id, "reqScannerSubscription", req_id, params=p)
    if msg_id == CANCEL_SCANNER_SUBSCRIPTION:
        c.skip(1)
        return Request(msg_id, "cancelScannerSubscription", c.int("reqId"))
    if msg_id == REQ_SEC_DEF_OPT_PARAMS:
        # no version field (ibapi ``reqSecDefOptParams``, ib_async ``Client.reqSecDefOptParams``)
        req_id = c.int("reqId")
        p = {"underlyingSymbol": c.str("underlyingSymbol"), "futFopExchange": c.str("futFopExchange"),
             "underlyingSecType": c.str("underlyingSecType"), "underlyingConId": c.int("underlyingConId", 0)}
        return Request(msg_id, "reqSecDefOptParams", req_id, params=p)
    if msg_id in (REQ_CALC_IMPLIED_VOLAT, REQ_CALC_OPTION_PRICE):
        # version 3, reqId, 12 contract fields, optionPrice | volatility, underPrice, then the
        # options list (ibapi: one empty string; ib_async: a count and tag-values): ignored
        c.skip(1)
        req_id = c.int("reqId")
        spec = _contract(c)
        first = c.float("optionPrice" if msg_id == REQ_CALC_IMPLIED_VOLAT else "volatility")
        under = c.float_or_none("underPrice")
        name = "calculateImpliedVolatility" if msg_id == REQ_CALC_IMPLIED_VOLAT else "calculateOptionPrice"
        key = "optionPrice" if msg_id == REQ_CALC_IMPLIED_VOLAT else "volatility"
        return Request(msg_id, name, req_id, spec, {key: first, "underPrice": under})
    if msg_id in (CANCEL_CALC_IMPLIED_VOLAT, CANCEL_CALC_OPTION_PRICE):
        c.skip(1)
        name = "cancelCalculateImpliedVolatility" if msg_id == CANCEL_CALC_IMPLIED_VOLAT \
            else "cancelCalculateOptionPrice"
        return Request(msg_id, name, c.int("reqId"))
    if msg_id in UNSUPPORTED_WITH_REQID:
        name, pos = UNSUPPORTED_WITH_REQID[msg_id]
        req_id = Cursor(fields, pos).int("reqId", -1) if len(fields) > pos else -1
        return Request(msg_id, name, req_id, params={"unsupported": True})
    if msg_id in IGNORED:
        return Request(msg_id, IGNORED[msg_id], params={"ignored": True})
    return Request(msg_id, "unknown")
