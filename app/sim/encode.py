"""Encode server messages of the TWS socket protocol for server versions 157..178.

Every function returns one framed message (bytes). Field lists were written
from the client decoders side by side: ib_async ``decoder.py`` (``handlers``),
ib_insync 0.9.86 ``decoder.py`` and ibapi ``decoder.py`` + ``orderdecoder.py``
(no version field for orderStatus, openOrder, execDetails, historicalData,
tickReqParams, completedOrder; historicalData carries start/end dates and has no
separate end message below 196). Messages whose layout changes inside 157..178 take
the negotiated ``version`` (the table is in docs/simulator.md):

* error: advancedOrderRejectJson from 166 (``ADVANCED_ORDER_REJECT``);
* contractDetails: below 164 a version field (8) and mdSizeMultiplier, at 163 also
  sizeMinTick, from 164 minSize / sizeIncrement / suggestedSizeIncrement
  (``FRACTIONAL_SIZE_SUPPORT``, ``SIZE_RULES``);
* execDetails: pendingPriceRevision from 178 (``PENDING_PRICE_REVISION``);
* symbolSamples: description and issuerId from 176 (:mod:`app.sim.encode_market`);
* openOrder / completedOrder: :mod:`app.sim.encode_orders`.

Prices are in the instrument currency, sizes in shares; date strings are
produced by the caller (see :mod:`app.sim.server`).
"""

from __future__ import annotations

import struct

from app.sim.types import PositionSnapshot, SimBar, SimContract, SimFill
from app.sim.wire import UNSET_DOUBLE, encode_fields, fmt_size

SERVER_VERSION = 178
#: oldest server version the gateway speaks (ib_insync / ib_async offer 157..; IB's
#: ``MIN_SERVER_VER_REPLACE_FA_END``); older clients are refused at the handshake
MIN_SERVER_VERSION = 157

# ibapi ``server_versions`` gates inside 157..178 used here
FRACTIONAL_SIZE_SUPPORT = 163
SIZE_RULES = 164
ADVANCED_ORDER_REJECT = 166
PENDING_PRICE_REVISION = 178

# Incoming (server -> client) message ids, ibapi ``message.IN``.
TICK_PRICE = 1
TICK_SIZE = 2
ORDER_STATUS = 3
ERR_MSG = 4
OPEN_ORDER = 5
ACCT_VALUE = 6
PORTFOLIO_VALUE = 7
ACCT_UPDATE_TIME = 8
NEXT_VALID_ID = 9
CONTRACT_DATA = 10
EXECUTION_DATA = 11
MANAGED_ACCTS = 15
HISTORICAL_DATA = 17
CURRENT_TIME = 49
CONTRACT_DATA_END = 52
OPEN_ORDER_END = 53
ACCT_DOWNLOAD_END = 54
EXECUTION_DATA_END = 55
TICK_SNAPSHOT_END = 57
MARKET_DATA_TYPE = 58
COMMISSION_REPORT = 59
POSITION_DATA = 61
POSITION_END = 62
ACCOUNT_SUMMARY = 63
ACCOUNT_SUMMARY_END = 64
ACCOUNT_UPDATE_MULTI = 73
ACCOUNT_UPDATE_MULTI_END = 74
TICK_REQ_PARAMS = 81
HISTORICAL_DATA_UPDATE = 90
COMPLETED_ORDER = 101
COMPLETED_ORDERS_END = 102

# Standard tick types (IB "Available Tick Types"; ib_async ``ticker.py``).
BID_SIZE, BID, ASK, ASK_SIZE, LAST, LAST_SIZE = 0, 1, 2, 3, 4, 5
HIGH, LOW, VOLUME, CLOSE, OPEN = 6, 7, 8, 9, 14


def handshake_reply(version: int, conn_time: str) -> bytes:
    """Answer to ``API\\0`` + ``v<min>..<max>``: chosen server version and connection time
    (``YYYYMMDD HH:MM:SS <tz>``)."""
    return encode_fields(version, conn_time)


def managed_accounts(accounts: str) -> bytes:
    """managedAccounts (15): comma-separated account ids."""
    return encode_fields(MANAGED_ACCTS, 1, accounts)


def next_valid_id(order_id: int) -> bytes:
    """nextValidId (9): the first free orderId for this client."""
    return encode_fields(NEXT_VALID_ID, 1, order_id)


def current_time(posix_seconds: int) -> bytes:
    """currentTime (49): server time, whole POSIX seconds (UTC)."""
    return encode_fields(CURRENT_TIME, 1, int(posix_seconds))


def error(req_id: int, code: int, text: str, version: int = SERVER_VERSION) -> bytes:
    """Error/info message (4): version 2, reqId (-1 = system), code, text, and from server
    ``version`` 166 advancedOrderRejectJson (empty). Source: ibapi ``processErrorMsg``.
    ``version`` 0 (before the handshake) takes the oldest layout."""
    if version >= ADVANCED_ORDER_REJECT:
        return encode_fields(ERR_MSG, 2, req_id, code, text, "")
    return encode_fields(ERR_MSG, 2, req_id, code, text)


def tick_req_params(req_id: int, min_tick: float, bbo_exchange: str = "",
                    snapshot_permissions: int = 3) -> bytes:
    """tickReqParams (81), no version field: first answer to reqMktData."""
    return encode_fields(TICK_REQ_PARAMS, req_id, min_tick, bbo_exchange, snapshot_permissions)


def market_data_type(req_id: int, data_type: int) -> bytes:
    """marketDataType (58): 1 live, 2 frozen, 3 delayed, 4 delayed frozen."""
    return encode_fields(MARKET_DATA_TYPE, 1, req_id, data_type)


_LEN = struct.Struct(">I").pack


def tick_price(req_id: int, tick_type: int, price: float, size: float = 0.0,
               attr_mask: int = 0) -> bytes:
    """tickPrice (1) version 6: reqId, tickType, price, size, attrMask.
    For BID/ASK/LAST the clients derive the matching size tick from ``size``.
    The same bytes as ``encode_fields``; a finite plain float price, a whole float size and
    int ids take a direct path (the market data pump sends these ~100,000 times a second)."""
    if (type(price) is float and -UNSET_DOUBLE < price < UNSET_DOUBLE and type(size) is float
            and size.is_integer() and type(req_id) is int and type(tick_type) is int
            and type(attr_mask) is int):
        payload = f"1\x006\x00{req_id}\x00{tick_type}\x00{price!r}\x00{int(size)}\x00{attr_mask}\x00".encode()
        return _LEN(len(payload)) + payload
    return encode_fields(TICK_PRICE, 6, req_id, tick_type, price, fmt_size(size), attr_mask)


def tick_snapshot_end(req_id: int) -> bytes:
    """tickSnapshotEnd (57): end of a snapshot reqMktData."""
    return encode_fields(TICK_SNAPSHOT_END, 1, req_id)


def tick_size(req_id: int, tick_type: int, size: float) -> bytes:
    """tickSize (2) version 6: reqId, tickType, size (shares). Same bytes as ``encode_fields``."""
    if type(req_id) is not int or type(tick_type) is not int:
        return encode_fields(TICK_SIZE, 6, req_id, tick_type, fmt_size(size))
    payload = f"2\x006\x00{req_id}\x00{tick_type}\x00{fmt_size(size)}\x00".encode()
    return _LEN(len(payload)) + payload


def deriv_fields(c: SimContract, strike_unset=0.0, right_unset: str = "") -> list:
    """lastTradeDateOrContractMonth, strike, right, multiplier of a contract: the option's
    values, or the unset forms a real TWS sends for a stock / FX pair (``strike_unset``,
    ``right_unset``: ``0.0`` / ``''`` in most messages, ``0`` / ``'?'`` in openOrder)."""
    if c.right:
        return [c.last_trade_date, c.strike, c.right, c.multiplier]
    if c.sec_type == "FUT":
        return [c.last_trade_date, strike_unset, right_unset, c.multiplier]
    return ["", strike_unset, right_unset, ""]


def contract_details(req_id: int, c: SimContract, version: int = SERVER_VERSION) -> bytes:
    """contractDetails (10) at server ``version`` (157..178): from 164 no version field
    (40 fields incl. msg id); below 164 a version field (8) and mdSizeMultiplier after
    minTick, and at 163 sizeMinTick after stockType instead of the three size rules.
    Source: ibapi ``processContractDataMsg``, ib_async / ib_insync ``Decoder.contractDetails``."""
    stk = c.sec_type == "STK"
    head = [CONTRACT_DATA] if version >= SIZE_RULES else [CONTRACT_DATA, 8]
    md_size = [] if version >= SIZE_RULES else [1]          # mdSizeMultiplier (obsolete)
    if version >= SIZE_RULES:
        sizes = ["1", "1", "100" if stk else "1"]           # minSize, sizeIncrement, suggested
    elif version >= FRACTIONAL_SIZE_SUPPORT:
        sizes = ["1"]                                       # sizeMinTick
    else:
        sizes = []
    last, strike, right, mult = deriv_fields(c)
    # futures: "YYYYMMDD HH:MM" (both clients split the last trading time into lastTradeTime),
    # contractMonth "YYYYMM" of the delivery month (CLF7: 202701, last trading day in December)
    first = f"{last} {c.last_trade_time}" if c.last_trade_time else last
    month = c.contract_month or last[:6]
    return encode_fields(
        *head, req_id, c.symbol, c.sec_type, first, strike, right, c.exchange, c.currency,
        c.local_symbol, c.trading_class, c.trading_class, c.con_id, c.min_tick, *md_size,
        mult, c.order_types, c.valid_exchanges, c.price_magnifier, c.under_con_id, c.long_name,
        c.primary_exchange, month, c.industry, c.category, c.subcategory, c.time_zone_id,
        c.trading_hours, c.liquid_hours, "", 0, 0,            # evRule, evMultiplier, secIdList
        1 if stk else (2 if c.right else 4),                  # aggGroup
        c.under_symbol, c.under_sec_type, c.market_rule_ids, last, c.stock_type if stk else "",
        *sizes,
    )


def contract_details_end(req_id: int) -> bytes:
    """contractDetailsEnd (52)."""
    return encode_fields(CONTRACT_DATA_END, 1, req_id)


def historical_data(req_id: int, start: str, end: str, rows: list[tuple[str, SimBar]]) -> bytes:
    """historicalData (17) at v178: reqId, startDate, endDate, count, then per bar
    date, open, high, low, close, volume, wap, barCount. No end message."""
    fields: list = [HISTORICAL_DATA, req_id, start, end, len(rows)]
    for date, b in rows:
        fields += [date, b.open, b.high, b.low, b.close, fmt_size(b.volume), b.wap, b.count]
    return encode_fields(*fields)


def historical_data_update(req_id: int, date: str, b: SimBar) -> bytes:
    """historicalDataUpdate (90): reqId, barCount, date, open, close, high, low,
    wap, volume (note the open/close/high/low order)."""
    return encode_fields(HISTORICAL_DATA_UPDATE, req_id, b.count, date, b.open, b.close,
                         b.high, b.low, b.wap, fmt_size(b.volume))


def account_value(key: str, value: str, currency: str, account: str) -> bytes:
    """updateAccountValue (6) version 2: key, value, currency, accountName."""
    return encode_fields(ACCT_VALUE, 2, key, value, currency, account)


def portfolio_value(c: SimContract, p: PositionSnapshot) -> bytes:
    """updatePortfolio (7) version 8 (20 fields incl. msg id)."""
    return encode_fields(
        PORTFOLIO_VALUE, 8, c.con_id, c.symbol, c.sec_type, *deriv_fields(c),
        c.primary_exchange, c.currency, c.local_symbol, c.trading_class,
        fmt_size(p.position), p.market_price, p.market_value, p.avg_cost,
        p.unrealized_pnl, p.realized_pnl, p.account)


def account_update_time(hhmm: str) -> bytes:
    """updateAccountTime (8): ``HH:MM``."""
    return encode_fields(ACCT_UPDATE_TIME, 1, hhmm)


def account_download_end(account: str) -> bytes:
    """accountDownloadEnd (54)."""
    return encode_fields(ACCT_DOWNLOAD_END, 1, account)


def position(account: str, c: SimContract, pos: float, avg_cost: float) -> bytes:
    """position (61) version 3: account, 11 contract fields, position, avgCost. The
    exchange is the listing exchange (``NASDAQ`` for AAPL, as the real v173 recording
    sends), not SMART."""
    return encode_fields(POSITION_DATA, 3, account, c.con_id, c.symbol, c.sec_type, *deriv_fields(c),
                         c.primary_exchange or c.exchange, c.currency, c.local_symbol,
                         c.trading_class, fmt_size(pos), avg_cost)


def position_end() -> bytes:
    """positionEnd (62)."""
    return encode_fields(POSITION_END, 1)


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> bytes:
    """accountSummary (63): reqId, account, tag, value, currency."""
    return encode_fields(ACCOUNT_SUMMARY, 1, req_id, account, tag, value, currency)


def account_summary_end(req_id: int) -> bytes:
    """accountSummaryEnd (64)."""
    return encode_fields(ACCOUNT_SUMMARY_END, 1, req_id)


def account_update_multi(req_id: int, account: str, model_code: str, key: str, value: str,
                         currency: str) -> bytes:
    """accountUpdateMulti (73): reqId, account, modelCode, key, value, currency."""
    return encode_fields(ACCOUNT_UPDATE_MULTI, 1, req_id, account, model_code, key, value,
                         currency)


def account_update_multi_end(req_id: int) -> bytes:
    """accountUpdateMultiEnd (74)."""
    return encode_fields(ACCOUNT_UPDATE_MULTI_END, 1, req_id)


def exec_details(req_id: int, c: SimContract, f: SimFill, time_str: str,
                 version: int = SERVER_VERSION) -> bytes:
    """execDetails (11), no version field: reqId (-1 for live fills), orderId,
    11 contract fields, execId, time, acctNumber, exchange, side (BOT/SLD),
    shares, price, permId, clientId, liquidation, cumQty, avgPrice, orderRef,
    evRule, evMultiplier, modelCode, lastLiquidity, and from server ``version`` 178
    pendingPriceRevision (ib_insync 0.9.86 unpacks exactly 31 fields below it)."""
    tail = [0] if version >= PENDING_PRICE_REVISION else []
    return encode_fields(
        EXECUTION_DATA, req_id, f.order_id, c.con_id, c.symbol, c.sec_type, *deriv_fields(c),
        c.exchange, c.currency, c.local_symbol, c.trading_class,
        f.exec_id, time_str, f.account,
        c.primary_exchange or c.exchange, f.side, fmt_size(f.shares), f.price, f.perm_id,
        f.client_id, 0, fmt_size(f.cum_qty), f.avg_price, f.order_ref, "", "", "", 1, *tail)


def exec_details_end(req_id: int) -> bytes:
    """execDetailsEnd (55)."""
    return encode_fields(EXECUTION_DATA_END, 1, req_id)


def commission_report(f: SimFill) -> bytes:
    """commissionReport (59) version 1: execId, commission, currency, realizedPNL,
    yield (unset), yieldRedemptionDate (0)."""
    realized = f.realized_pnl if f.realized_pnl else UNSET_DOUBLE   # TWS sends unset when none
    return encode_fields(COMMISSION_REPORT, 1, f.exec_id, f.commission,
                         f.commission_currency, realized, UNSET_DOUBLE, 0)


# ---- IB date/time strings -------------------------------------------------

def _zone(tz_name: str):
    from zoneinfo import ZoneInfo
    try:
        return ZoneInfo(tz_name or "UTC")
    except Exception:  # unknown zone name: fall back to UTC rather than fail
        return ZoneInfo("UTC")


def ib_datetime(posix_seconds: float, tz_name: str = "UTC") -> str:
    """``YYYYMMDD HH:MM:SS <tz>`` in zone ``tz_name`` (the format TWS uses for
    bars with formatDate=1, execution times and the connection time)."""
    from datetime import datetime
    tz = _zone(tz_name)
    d = datetime.fromtimestamp(posix_seconds, tz)
    return d.strftime("%Y%m%d %H:%M:%S") + f" {tz.key}"


def ib_date(posix_seconds: float, tz_name: str = "UTC") -> str:
    """``YYYYMMDD`` of ``posix_seconds`` in zone ``tz_name`` (daily bars)."""
    from datetime import datetime
    return datetime.fromtimestamp(posix_seconds, _zone(tz_name)).strftime("%Y%m%d")


def parse_end_datetime(text: str, default_tz: str = "UTC") -> float | None:
    """Parse reqHistoricalData's endDateTime to POSIX seconds; ``""`` -> None (now).

    Accepted (IB "Historical Data" docs): ``YYYYMMDD HH:MM:SS <tz>``,
    ``YYYYMMDD-HH:MM:SS`` (UTC), ``YYYYMMDD HH:MM:SS`` (``default_tz``),
    ``YYYYMMDD``. Raises ValueError for anything else.
    """
    from datetime import datetime, timezone
    s = text.strip()
    if not s:
        return None
    if "-" in s and len(s) == 17:
        d = datetime.strptime(s, "%Y%m%d-%H:%M:%S").replace(tzinfo=timezone.utc)
        return d.timestamp()
    parts = s.split()
    if len(parts) == 1 and len(s) == 8:
        d = datetime.strptime(s, "%Y%m%d").replace(tzinfo=_zone(default_tz))
        return d.timestamp()
    if len(parts) >= 2:
        d = datetime.strptime(parts[0] + parts[1], "%Y%m%d%H:%M:%S")
        tz = parts[2] if len(parts) > 2 else default_tz
        from zoneinfo import ZoneInfo
        return d.replace(tzinfo=ZoneInfo(tz)).timestamp()
    raise ValueError(f"bad endDateTime {text!r}")
