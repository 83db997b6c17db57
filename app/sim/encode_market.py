"""Encode the market-data messages added in issue 3 (server version <= 178).

Every function returns one framed message (bytes). Each layout was written from
the two client decoders side by side: ib_async ``decoder.py`` (``Decoder.handlers``;
``wrap(..., skip=1)`` means "no version field", the default ``skip=2`` means one)
and ibapi ``decoder.py`` (``process*Msg``; the msg id is consumed before the
handler, a leading ``decode(int, fields)`` is the version field).

Prices are in the instrument currency, sizes in shares, times POSIX seconds UTC
(whole seconds on the wire, as TWS sends them).
"""

from __future__ import annotations

from app.sim.types import SimBar, SimContract
from app.sim.wire import encode_fields, fmt_size

# Incoming (server -> client) message ids, ibapi ``message.IN``.
MARKET_DEPTH = 12
MARKET_DEPTH_L2 = 13
REAL_TIME_BARS = 50
SYMBOL_SAMPLES = 79
MKT_DEPTH_EXCHANGES = 80
HEAD_TIMESTAMP = 88
MARKET_RULE = 93
PNL = 94
PNL_SINGLE = 95
HISTORICAL_TICKS = 96
HISTORICAL_TICKS_BID_ASK = 97
HISTORICAL_TICKS_LAST = 98
TICK_BY_TICK = 99
ORDER_BOUND = 100

#: ibapi ``server_versions``: symbolSamples carries description/issuerId from here on.
MIN_SERVER_VER_BOND_ISSUERID = 176
#: mktDepthExchanges carries listingExch/serviceDataType/aggGroup from here on.
MIN_SERVER_VER_SERVICE_DATA_TYPE = 120
#: updateMktDepthL2 carries isSmartDepth from here on.
MIN_SERVER_VER_SMART_DEPTH = 146

#: Depth operations and sides (IB "Market Depth" docs; ib_async ``Wrapper.updateMktDepthL2``).
DEPTH_INSERT, DEPTH_UPDATE, DEPTH_DELETE = 0, 1, 2
SIDE_ASK, SIDE_BID = 0, 1

#: tickByTick tick types (IB ``reqTickByTickData`` "tickType" strings -> wire ids).
TBT_TYPES = {"Last": 1, "AllLast": 2, "BidAsk": 3, "MidPoint": 4}


def symbol_samples(req_id: int, contracts: list[SimContract], server_version: int = 178) -> bytes:
    """symbolSamples (79), no version: reqId, count, then per contract conId, symbol,
    secType, primaryExchange, currency, derivativeSecTypes count (0) and, from
    server version 176, description and issuerId.
    Source: ibapi ``processSymbolSamplesMsg``, ib_async ``Decoder.symbolSamples``."""
    f: list = [SYMBOL_SAMPLES, req_id, len(contracts)]
    for c in contracts:
        f += [c.con_id, c.symbol, c.sec_type, c.primary_exchange or c.exchange, c.currency, 0]
        if server_version >= MIN_SERVER_VER_BOND_ISSUERID:
            f += [c.long_name, ""]
    return encode_fields(*f)


def market_rule(rule_id: int, increments: list[tuple[float, float]]) -> bytes:
    """marketRule (93), no version: marketRuleId, count, (lowEdge, increment) pairs."""
    f: list = [MARKET_RULE, rule_id, len(increments)]
    for low, inc in increments:
        f += [float(low), float(inc)]
    return encode_fields(*f)


def mkt_depth_exchanges(rows: list[tuple[str, str, str, str, int]],
                        server_version: int = 178) -> bytes:
    """mktDepthExchanges (80), no version: count, then exchange, secType, listingExch,
    serviceDataType, aggGroup (from v120; before: exchange, secType, isL2 flag)."""
    f: list = [MKT_DEPTH_EXCHANGES, len(rows)]
    for exch, sec_type, listing, service, agg in rows:
        if server_version >= MIN_SERVER_VER_SERVICE_DATA_TYPE:
            f += [exch, sec_type, listing, service, int(agg)]
        else:
            f += [exch, sec_type, 1 if service == "Deep2" else 0]
    return encode_fields(*f)


def update_mkt_depth(req_id: int, position: int, operation: int, side: int, price: float,
                     size: float) -> bytes:
    """updateMktDepth (12) version 1: reqId, position, operation (0 insert, 1 update,
    2 delete), side (0 ask, 1 bid), price, size."""
    return encode_fields(MARKET_DEPTH, 1, req_id, position, operation, side, float(price),
                         fmt_size(size))


def update_mkt_depth_l2(req_id: int, position: int, market_maker: str, operation: int,
                        side: int, price: float, size: float, is_smart_depth: bool,
                        server_version: int = 178) -> bytes:
    """updateMktDepthL2 (13) version 1: reqId, position, marketMaker (the exchange for
    SMART depth), operation, side, price, size, isSmartDepth (from v146)."""
    f: list = [MARKET_DEPTH_L2, 1, req_id, position, market_maker, operation, side,
               float(price), fmt_size(size)]
    if server_version >= MIN_SERVER_VER_SMART_DEPTH:
        f.append(bool(is_smart_depth))
    return encode_fields(*f)


def realtime_bar(req_id: int, b: SimBar) -> bytes:
    """realtimeBar (50) version 3: reqId, time (bar start, POSIX s), open, high, low,
    close, volume, wap, count. Source: ibapi ``processRealTimeBarMsg``."""
    return encode_fields(REAL_TIME_BARS, 3, req_id, int(b.time), b.open, b.high, b.low, b.close,
                         fmt_size(b.volume), b.wap, int(b.count))


def head_timestamp(req_id: int, stamp: str) -> bytes:
    """headTimestamp (88), no version: reqId, timestamp (``YYYYMMDD-HH:MM:SS`` or POSIX s)."""
    return encode_fields(HEAD_TIMESTAMP, req_id, stamp)


def pnl(req_id: int, daily: float, unrealized: float, realized: float) -> bytes:
    """pnl (94), no version: reqId, dailyPnL, unrealizedPnL, realizedPnL (account currency)."""
    return encode_fields(PNL, req_id, float(daily), float(unrealized), float(realized))


def pnl_single(req_id: int, pos: float, daily: float, unrealized: float, realized: float,
               value: float) -> bytes:
    """pnlSingle (95), no version: reqId, pos (shares), dailyPnL, unrealizedPnL,
    realizedPnL, value (market value)."""
    return encode_fields(PNL_SINGLE, req_id, fmt_size(pos), float(daily), float(unrealized),
                         float(realized), float(value))


def historical_ticks_midpoint(req_id: int, ticks: list[tuple[float, float]], done: bool) -> bytes:
    """historicalTicks (96), no version: reqId, count, per tick time, (unused 0), price,
    size (0), then done. Used for whatToShow=MIDPOINT."""
    f: list = [HISTORICAL_TICKS, req_id, len(ticks)]
    for t, price in ticks:
        f += [int(t), 0, float(price), 0]
    f.append(bool(done))
    return encode_fields(*f)


def historical_ticks_bid_ask(req_id: int, ticks, done: bool) -> bytes:
    """historicalTicksBidAsk (97), no version: reqId, count, per tick time, attrib mask,
    priceBid, priceAsk, sizeBid, sizeAsk, then done. ``ticks``: SimQuoteTick-like
    objects (time, bid, ask, bid_size, ask_size)."""
    f: list = [HISTORICAL_TICKS_BID_ASK, req_id, len(ticks)]
    for q in ticks:
        f += [int(q.time), 0, float(q.bid), float(q.ask), fmt_size(q.bid_size),
              fmt_size(q.ask_size)]
    f.append(bool(done))
    return encode_fields(*f)


def historical_ticks_last(req_id: int, trades, done: bool) -> bytes:
    """historicalTicksLast (98), no version: reqId, count, per tick time, attrib mask,
    price, size, exchange, specialConditions, then done. ``trades``: SimTrade-like."""
    f: list = [HISTORICAL_TICKS_LAST, req_id, len(trades)]
    for t in trades:
        f += [int(t.time), 0, float(t.price), fmt_size(t.size), t.exchange,
              getattr(t, "special_conditions", "") or ""]
    f.append(bool(done))
    return encode_fields(*f)


def tick_by_tick_last(req_id: int, tick_type: int, t) -> bytes:
    """tickByTick (99), no version, type 1 (Last) or 2 (AllLast): reqId, tickType, time,
    price, size, attrib mask, exchange, specialConditions. ``t``: SimTrade-like."""
    return encode_fields(TICK_BY_TICK, req_id, tick_type, int(t.time), float(t.price),
                         fmt_size(t.size), 0, t.exchange,
                         getattr(t, "special_conditions", "") or "")


def tick_by_tick_bid_ask(req_id: int, q) -> bytes:
    """tickByTick (99) type 3 (BidAsk): reqId, 3, time, bidPrice, askPrice, bidSize,
    askSize, attrib mask. ``q``: SimQuoteTick-like."""
    return encode_fields(TICK_BY_TICK, req_id, 3, int(q.time), float(q.bid), float(q.ask),
                         fmt_size(q.bid_size), fmt_size(q.ask_size), 0)


def tick_by_tick_midpoint(req_id: int, time: float, mid: float) -> bytes:
    """tickByTick (99) type 4 (MidPoint): reqId, 4, time, midPoint."""
    return encode_fields(TICK_BY_TICK, req_id, 4, int(time), float(mid))


def order_bound(perm_id: int, client_id: int, order_id: int) -> bytes:
    """orderBound (100), no version: permId, clientId, orderId (a TWS order bound to
    API client 0 by reqAutoOpenOrders(True); IB docs "Binding TWS orders")."""
    return encode_fields(ORDER_BOUND, perm_id, client_id, order_id)


def depth_diff(old: list[tuple[float, float]], new: list[tuple[float, float]]):
    """Operations turning one side of the book ``old`` into ``new`` (both best first).

    Yields ``(position, operation, price, size)``: updates where a level changed,
    inserts for levels beyond the old depth (appended in order), deletes from the
    end for levels that disappeared (highest position first, so positions stay
    valid for a list-based client like ibapi's samples and a dict-based one like
    ib_async's ``domBidsDict``).
    """
    n_old, n_new = len(old), len(new)
    for i in range(min(n_old, n_new)):
        if old[i] != new[i]:
            yield i, DEPTH_UPDATE, new[i][0], new[i][1]
    for i in range(n_old, n_new):
        yield i, DEPTH_INSERT, new[i][0], new[i][1]
    for i in range(n_old - 1, n_new - 1, -1):
        yield i, DEPTH_DELETE, old[i][0], old[i][1]
