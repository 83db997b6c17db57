"""Translate ib_async objects into ``app.domain`` types (and instruments back into
ib_async ``Contract`` objects).

Pure functions, no I/O. IB marks unset numbers as ``""``, ``nan``,
``1.7976931348623157E308`` (``UNSET_DOUBLE``) or ``2147483647``
(``UNSET_INTEGER``); every number goes through :func:`num`, which maps all of
them to ``None``. Times: ib_async delivers tz-aware datetimes (UTC when
``formatDate=2`` for bars); naive datetimes are taken as UTC.
Sources: ib_async ``objects.py``/``order.py``/``ticker.py``/``contract.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from ib_async import Contract, ContractDetails, Forex, Future, Option, Order, Stock

from app.domain import (
    AccountPnL,
    AccountValue,
    Action,
    Bar,
    Execution,
    Instrument,
    OrderRecord,
    OrderStatus,
    PositionPnL,
    OrderType,
    Position,
    OrderRequest,
    OptionChain,
    OptionGreeks,
    Quote,
    WhatIf,
    empty_bars,
)
from app.domain.orders import ib_good_till

UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INTEGER = 2**31 - 1
UNSET_LONG = 2**63 - 1
_UNSET_INTEGER_F, _UNSET_LONG_F = float(UNSET_INTEGER), float(UNSET_LONG)


def num(x: Any) -> float | None:
    """A float, or None for IB's "unset" markers ("", None, nan, UNSET_DOUBLE, UNSET_INTEGER,
    UNSET_LONG; ibapi ``common.py``)."""
    if type(x) is float:          # the common case (every tick): no conversion, no str compare
        f = x
    elif x is None or x == "":
        return None
    else:
        try:
            f = float(x)
        except (TypeError, ValueError):
            return None
    # nan fails both comparisons; +-inf and UNSET_DOUBLE are outside the range
    if not -1e300 < f < 1e300 or f == _UNSET_INTEGER_F or f == _UNSET_LONG_F:
        return None
    return f


def utc(t: datetime | date | None) -> datetime | None:
    """A tz-aware UTC datetime; a ``date`` becomes its midnight UTC, naive is taken as UTC."""
    if t is None:
        return None
    if not isinstance(t, datetime):
        return datetime(t.year, t.month, t.day, tzinfo=timezone.utc)
    if t.tzinfo is timezone.utc:     # ib_async's tick times: already UTC
        return t
    if t.tzinfo is None:
        return t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc)


# ---------------------------------------------------------------- contracts

def instrument_to_contract(inst: Instrument) -> Contract:
    """The ib_async ``Contract`` for an instrument (conId set when resolved).

    Stocks -> ``Stock(symbol, exchange, currency, primaryExchange=...)``;
    FX -> ``Forex`` (secType CASH, IDEALPRO); options -> ``Option(symbol, expiry, strike,
    right, exchange, multiplier, currency, tradingClass)``; futures -> ``Future(symbol,
    contract month, exchange, multiplier, ...)``. Raises ``ValueError`` for other sec types.
    """
    if inst.sec_type == "STK":
        c: Contract = Stock(inst.symbol, inst.exchange or "SMART", inst.currency or "USD",
                            primaryExchange=inst.primary_exchange)
    elif inst.sec_type == "CASH":
        c = Forex(pair=f"{inst.symbol}{inst.currency}", exchange=inst.exchange or "IDEALPRO")
    elif inst.sec_type == "OPT":
        c = Option(inst.symbol, inst.expiry, inst.strike, inst.right, inst.exchange or "SMART",
                   multiplier=_multiplier_text(inst.multiplier), currency=inst.currency or "USD",
                   tradingClass=inst.trading_class)
    elif inst.sec_type == "FUT":
        c = Future(inst.symbol, inst.expiry, inst.exchange, multiplier=_multiplier_text(inst.multiplier),
                   currency=inst.currency or "USD", tradingClass=inst.trading_class)
    else:
        raise ValueError(f"Unsupported security type {inst.sec_type!r} for {inst.symbol}: "
                         "ibdesk trades STK, CASH, OPT and FUT")
    c.conId = inst.con_id
    if inst.local_symbol:
        c.localSymbol = inst.local_symbol
    return c


def contract_to_instrument(c: Contract, *, min_tick: float | None = None,
                           long_name: str = "") -> Instrument:
    """An instrument from an ib_async ``Contract`` as it arrives in openOrder,
    execDetails or updatePortfolio (no min tick there: pass it when known,
    else 0.01 for stocks and 0.00005 for FX)."""
    sec = c.secType or "STK"
    tick = min_tick or (0.00005 if sec == "CASH" else 0.01)
    local = c.localSymbol or ""
    if sec == "CASH" and not local and c.symbol and c.currency:
        local = f"{c.symbol}.{c.currency}"
    return Instrument(
        symbol=c.symbol,
        sec_type=sec,
        exchange=c.exchange or ("IDEALPRO" if sec == "CASH" else "SMART"),
        currency=c.currency or "USD",
        primary_exchange=c.primaryExchange or "",
        con_id=int(c.conId or 0),
        min_tick=tick,
        local_symbol=local,
        long_name=long_name,
        multiplier=_multiplier(c.multiplier),
        expiry=str(c.lastTradeDateOrContractMonth or "") if sec in ("OPT", "FUT") else "",
        strike=float(c.strike or 0.0) if sec == "OPT" else 0.0,
        right=_right(c.right) if sec == "OPT" else "",
        trading_class=c.tradingClass or "",
    )


def _multiplier(text) -> float:
    """IB's ``multiplier`` (a string: "100", "50", "" for stocks) as a number; 1 when unset."""
    try:
        v = float(text) if text not in (None, "") else 1.0
    except (TypeError, ValueError):
        return 1.0
    return v if v > 0 else 1.0


def _multiplier_text(m: float) -> str:
    """The multiplier as IB writes it ("100", "50", "" for 1)."""
    return "" if m == 1 else f"{m:g}"


def _right(r) -> str:
    """IB's right ("C", "CALL", "P", "PUT", "?") as "C" / "P" ("" when unset)."""
    r = (r or "").upper()
    return "C" if r.startswith("C") else "P" if r.startswith("P") else ""


def details_to_instrument(cd: ContractDetails, requested: Instrument | None = None) -> Instrument:
    """A resolved instrument from reqContractDetails (``ContractDetails``): conId,
    minTick, exchange, primaryExchange, longName, localSymbol and the exchange's
    timeZoneId filled.

    The exchange the trader asked for (e.g. SMART) is kept when IB answers with
    the same contract on another venue.
    """
    c = cd.contract
    if c is None:
        raise ValueError("contract details without a contract")
    inst = contract_to_instrument(c, min_tick=num(cd.minTick), long_name=cd.longName or "")
    if cd.timeZoneId:
        inst = _replace(inst, time_zone=cd.timeZoneId)
    if requested is not None and requested.exchange and not c.exchange:
        inst = _replace(inst, exchange=requested.exchange)
    return inst


def _replace(inst: Instrument, **kw) -> Instrument:
    from dataclasses import replace
    return replace(inst, **kw)


# ---------------------------------------------------------------- market data

def ticker_to_quote(ticker: Any, key: str) -> Quote:
    """A ``Quote`` from an ib_async ``Ticker`` (nan/unset -> None; sizes in shares, an
    option's in contracts). An option's ticker also gives the option computations
    (``bidGreeks`` / ``askGreeks`` / ``lastGreeks`` / ``modelGreeks``, :func:`to_greeks`) and
    its open interest (``callOpenInterest`` for a call, ``putOpenInterest`` for a put: IB
    ticks 27 / 28 of generic tick 101); a future's is ``futuresOpenInterest`` (tick 86)."""
    q = Quote(
        key=key,
        bid=_price(ticker.bid), ask=_price(ticker.ask), last=_price(ticker.last),
        bid_size=num(ticker.bidSize), ask_size=num(ticker.askSize),
        last_size=num(ticker.lastSize), volume=num(ticker.volume),
        high=_price(ticker.high), low=_price(ticker.low), close=_price(ticker.close),
        open=_price(getattr(ticker, "open", None)),
        time=utc(ticker.time),
    )
    sec = getattr(getattr(ticker, "contract", None), "secType", "")
    if sec == "OPT":
        q.bid_greeks = to_greeks(ticker.bidGreeks)
        q.ask_greeks = to_greeks(ticker.askGreeks)
        q.last_greeks = to_greeks(ticker.lastGreeks)
        q.model_greeks = to_greeks(ticker.modelGreeks)
        put = _right(ticker.contract.right) == "P"
        q.open_interest = num(ticker.putOpenInterest if put else ticker.callOpenInterest)
    elif sec == "FUT":
        q.open_interest = num(ticker.futuresOpenInterest)
    return q


def generic_ticks(inst: Instrument) -> str:
    """The genericTickList of ``inst``'s reqMktData: "101" (option open interest, IB ticks
    27 / 28) for an option, "588" (futures open interest, tick 86) for a future, "" otherwise.
    An option's computations (ticks 10-13) need none: IB sends them with every option's
    market data (IB API docs "Option Greeks")."""
    return "101" if inst.is_option else "588" if inst.is_future else ""


#: IB's "not computed" markers of tickOptionComputation (EWrapper docs): -1 for implied
#: vol, option price, pvDividend and underlying price, -2 for the greeks. ib_async maps
#: most to None but passes vega and theta of -2 through (wrapper.tickOptionComputation)
_GREEK_UNSET = {"implied_vol": -1.0, "opt_price": -1.0, "pv_dividend": -1.0, "und_price": -1.0,
                "delta": -2.0, "gamma": -2.0, "vega": -2.0, "theta": -2.0}


def to_greeks(comp: Any) -> OptionGreeks | None:
    """An ``OptionGreeks`` from an ib_async ``OptionComputation`` (None stays None): IB's
    unset markers (-1 / -2, nan, Double.MAX) become None. Units as IB's: implied vol an
    annualised fraction, greeks per share (theta per day, vega per volatility point)."""
    if comp is None:
        return None
    vals = {}
    for name, attr in (("implied_vol", "impliedVol"), ("delta", "delta"), ("gamma", "gamma"),
                       ("vega", "vega"), ("theta", "theta"), ("opt_price", "optPrice"),
                       ("und_price", "undPrice"), ("pv_dividend", "pvDividend")):
        v = num(getattr(comp, attr, None))
        vals[name] = None if v is None or v == _GREEK_UNSET[name] else v
    return OptionGreeks(**vals)


def to_option_chain(chain: Any, underlying: Instrument) -> OptionChain:
    """An ``OptionChain`` from an ib_async ``OptionChain`` (securityDefinitionOptionParameter):
    expirations sorted ("YYYYMMDD"), strikes sorted and unique, multiplier a number (IB
    sends text, "100"; 1 when unset)."""
    return OptionChain(
        underlying=underlying, exchange=chain.exchange or "", trading_class=chain.tradingClass or "",
        multiplier=_multiplier(chain.multiplier),
        expirations=tuple(sorted({str(e) for e in chain.expirations or ()})),
        strikes=tuple(sorted({float(k) for k in chain.strikes or ()})))


def _price(x: Any) -> float | None:
    # IB sends -1 for "no bid/ask" (e.g. outside hours)
    v = num(x)
    return None if v is None or v == -1 else v


def bar_to_domain(b: Any) -> Bar:
    """A ``Bar`` from an ib_async ``BarData`` (``date`` -> UTC ``time``)."""
    vol = num(b.volume)
    return Bar(time=utc(b.date), open=float(b.open), high=float(b.high), low=float(b.low),
               close=float(b.close), volume=vol if vol is not None else 0.0)


def bar_columns(bars: Any, start: int, stop: int, times: np.ndarray, ohlcv: np.ndarray) -> None:
    """Write bars ``start..stop-1`` of a ``BarDataList`` (or any list of ib_async ``BarData``)
    into ``times[start:stop]`` (int64 epoch seconds UTC of the bar start, as :func:`utc`) and
    ``ohlcv[:, start:stop]`` (rows open, high, low, close in instrument currency, volume in
    shares; an unset volume (:func:`num`) is 0, as :func:`bar_to_domain`).

    One Python pass per column over a slice, no per-bar objects: the caller converts a big
    history in slices and lets the event loop run between them (``Session.history``).
    Raises ``IndexError`` when the arrays are shorter than ``stop``.
    """
    if stop > times.shape[0] or stop > ohlcv.shape[1]:
        raise IndexError(f"bar arrays hold {times.shape[0]} bars, {stop} needed")
    part = bars[start:stop]
    k = len(part)
    times[start:stop] = np.fromiter((int(utc(b.date).timestamp()) for b in part), np.int64, k)
    for row, name in enumerate(("open", "high", "low", "close", "volume")):
        ohlcv[row, start:stop] = np.fromiter((getattr(b, name) for b in part), np.float64, k)
    vol = ohlcv[4, start:stop]
    unset = ~np.isfinite(vol) | (np.abs(vol) >= 1e300) | (vol == UNSET_INTEGER) | (vol == float(UNSET_LONG))
    vol[unset] = 0.0


def columns_to_frame(times: np.ndarray, ohlcv: np.ndarray) -> pd.DataFrame:
    """The bar table (``app.domain.bars`` columns, ``time`` datetime64[ns, UTC]) over
    ``times`` (int64 epoch seconds UTC) and ``ohlcv`` (float64, shape (5, n)): the price and
    volume columns are the rows of ``ohlcv`` (not copied), ``time`` one new int64 array."""
    ns = pd.DatetimeIndex((times * 1_000_000_000).view("datetime64[ns]")).tz_localize("UTC")
    cols = {"time": ns, **{c: ohlcv[i] for i, c in enumerate(("open", "high", "low", "close", "volume"))}}
    return pd.DataFrame(cols, copy=False)


def bars_to_frame(bars: Any) -> pd.DataFrame:
    """The bar table (``app.domain.bars`` columns, time UTC) of a ``BarDataList`` in one go
    (small histories; ``Session.history`` converts big ones in slices with :func:`bar_columns`)."""
    if not bars:
        return empty_bars()
    n = len(bars)
    times, ohlcv = np.empty(n, dtype=np.int64), np.empty((5, n), dtype=np.float64)
    bar_columns(bars, 0, n, times, ohlcv)
    return columns_to_frame(times, ohlcv)


# ---------------------------------------------------------------- orders

def order_type_of(text: str) -> OrderType | str:
    """IB orderType string -> ``OrderType`` (unknown types such as TRAIL stay strings)."""
    try:
        return OrderType(text)
    except ValueError:
        return text


def carried_prices(order: Any) -> tuple[float | None, float | None]:
    """(lmtPrice, auxPrice) of an ib_async ``Order`` as its type carries them, instrument
    currency: None when unset *or* when the type has no such price. A real TWS sends 0.0 for
    the latter (a MKT order's lmtPrice and auxPrice, a LMT order's auxPrice: recorded v176
    openOrder frames), which is not a price of 0. auxPrice is kept for the stop / touch
    types and for TRAIL / TRAIL LIMIT (their trailing distance); an order type this module
    does not know keeps both."""
    lmt, aux = num(order.lmtPrice), num(order.auxPrice)
    otype = order_type_of(order.orderType)
    if isinstance(otype, OrderType):
        lmt = lmt if otype.needs_limit else None
        aux = aux if (otype.needs_stop or otype.is_trailing) else None
    return lmt, aux


def effective_status(trade: Any) -> OrderStatus:
    """The IB order status of an ib_async ``Trade``.

    ib_async sets ``ValidationError`` when a *warning* (e.g. 399, 110 on a
    modify) arrives for a live order (wrapper.error); the order is still working
    at IB, so the last real status from the trade log is used instead.
    """
    status = trade.orderStatus.status
    if status == "ValidationError":
        for entry in reversed(trade.log or []):
            if entry.status and entry.status != "ValidationError":
                return OrderStatus.parse(entry.status)
        return OrderStatus.PENDING_SUBMIT
    return OrderStatus.parse(status)


def trade_to_record(trade: Any, instrument: Instrument | None = None, message: str = "") -> OrderRecord:
    """An ``OrderRecord`` from an ib_async ``Trade`` (order + orderStatus + log).

    ``instrument`` (resolved, with the right min tick) replaces the contract of
    the trade when given; ``message`` is the last gateway error/warning text
    for the order (the session collects it from errorEvent). Quantities in shares, prices in instrument currency;
    unset lmtPrice/auxPrice -> None. ``created``/``updated`` are the first/last
    trade-log times (UTC). A completed order (no orderStatus fill figures) takes its
    filled quantity from ``Order.filledQuantity`` (ib_async ``Wrapper.completedOrder``).
    """
    o, st = trade.order, trade.orderStatus
    inst = instrument or contract_to_instrument(trade.contract)
    total = float(o.totalQuantity or 0)
    filled = num(st.filled) or 0.0
    if not filled:
        # a completed order (IB reqCompletedOrders, e.g. after a restart): ib_async's
        # ``completedOrder`` builds an OrderStatus with the status only; the shares filled
        # are the order's filledQuantity
        filled = num(getattr(o, "filledQuantity", None)) or 0.0
    remaining = num(st.remaining)
    if remaining is None or (remaining == 0 and filled == 0 and st.status in ("PendingSubmit", "ApiPending")):
        remaining = max(total - filled, 0.0)
    log = trade.log or []
    otype = order_type_of(o.orderType)
    lmt = num(o.lmtPrice)
    aux = num(o.auxPrice)
    pct = num(o.trailingPercent)
    trailing = isinstance(otype, OrderType) and otype.is_trailing
    if isinstance(otype, OrderType):
        lmt = lmt if otype.needs_limit else None
        # a trailing order's auxPrice is its distance; its stop is trailStopPrice (IB moves it)
        stop = num(o.trailStopPrice) if trailing else (aux if otype.needs_stop else None)
    else:
        stop = aux
    return OrderRecord(
        order_id=int(o.orderId or st.orderId or 0),
        perm_id=int(o.permId or st.permId or 0),
        client_id=int(o.clientId if o.clientId is not None else st.clientId),
        instrument=inst,
        action=Action(o.action) if o.action in ("BUY", "SELL") else Action.BUY,
        quantity=total,
        order_type=otype,
        limit_price=lmt,
        stop_price=stop,
        tif=o.tif or "DAY",
        status=effective_status(trade),
        filled=filled,
        remaining=remaining,
        avg_fill_price=num(st.avgFillPrice) or 0.0,
        last_fill_price=num(st.lastFillPrice) or 0.0,
        created=utc(log[0].time) if log else None,
        updated=utc(log[-1].time) if log else None,
        message=message,
        account=o.account or "",
        outside_rth=bool(o.outsideRth),
        trailing_amount=aux if trailing and pct is None else None,
        trailing_percent=pct if trailing else None,
        limit_offset=num(o.lmtPriceOffset) if otype == OrderType.TRAIL_LIMIT else None,
        good_till=(o.goodTillDate or "").strip(),
    )


def request_to_order(req: OrderRequest, account: str = "") -> Order:
    """The ib_async ``Order`` of a request: action, totalQuantity, orderType, tif,
    outsideRth, account, lmtPrice (LMT, STP LMT, LOC, LIT), auxPrice (the stop of STP and
    STP LMT, the trigger of MIT and LIT, the trailing amount of TRAIL and TRAIL LIMIT),
    trailingPercent, trailStopPrice, lmtPriceOffset (TRAIL LIMIT), goodTillDate (GTD,
    ``app.domain.orders.ib_good_till``), ocaGroup/ocaType when set; ``transmit=True``,
    orderId not set. Source: IB API docs "Order Types" (Trailing Stop, Trailing Stop Limit)."""
    order = Order(
        action=req.action.value,
        totalQuantity=float(req.quantity),
        orderType=req.order_type.value,
        tif=req.tif.value,
        outsideRth=bool(req.outside_rth),
        account=account,
        transmit=True,
    )
    if req.order_type.needs_limit:
        order.lmtPrice = float(req.limit_price)
    if req.order_type.needs_stop:
        order.auxPrice = float(req.stop_price)
    if req.trailing_amount is not None:
        order.auxPrice = float(req.trailing_amount)
    if req.trailing_percent is not None:
        order.trailingPercent = float(req.trailing_percent)
    if req.trail_stop_price is not None:
        order.trailStopPrice = float(req.trail_stop_price)
    if req.limit_offset is not None:
        order.lmtPriceOffset = float(req.limit_offset)
    if req.good_till is not None:
        order.goodTillDate = ib_good_till(req.good_till)
    if req.oca_group:
        order.ocaGroup = req.oca_group
        order.ocaType = int(req.oca_type or 1)
    return order


def order_state_to_what_if(state: Any) -> WhatIf:
    """A ``WhatIf`` from the ib_async ``OrderState`` of a whatIf openOrder (IB sends the
    margin values as text; unset numbers -> None)."""
    return WhatIf(
        init_margin_change=num(state.initMarginChange),
        maint_margin_change=num(state.maintMarginChange),
        equity_with_loan_change=num(state.equityWithLoanChange),
        init_margin_after=num(state.initMarginAfter),
        maint_margin_after=num(state.maintMarginAfter),
        equity_with_loan_after=num(state.equityWithLoanAfter),
        commission=num(state.commission),
        min_commission=num(state.minCommission),
        max_commission=num(state.maxCommission),
        commission_currency=state.commissionCurrency or "",
        warning=state.warningText or "",
    )


def fill_to_execution(fill: Any, instrument: Instrument | None = None) -> Execution:
    """An ``Execution`` from an ib_async ``Fill`` (execution + commissionReport).

    ``commission`` stays None until the commission report for this execId has
    arrived (ib_async's placeholder report has an empty execId).
    """
    e, cr = fill.execution, fill.commissionReport
    has_report = cr is not None and bool(cr.execId)
    return Execution(
        exec_id=e.execId,
        time=utc(e.time) or utc(fill.time),
        order_id=int(e.orderId),
        perm_id=int(e.permId),
        client_id=int(e.clientId),
        instrument=instrument or contract_to_instrument(fill.contract),
        side=e.side,
        shares=float(e.shares),
        price=float(e.price),
        cum_qty=float(e.cumQty),
        avg_price=float(e.avgPrice),
        account=e.acctNumber or "",
        commission=num(cr.commission) if has_report else None,
        commission_currency=cr.currency if has_report else "",
        realized_pnl=num(cr.realizedPNL) if has_report else None,
    )


# ---------------------------------------------------------------- account

def portfolio_to_position(item: Any, instrument: Instrument | None = None) -> Position:
    """A ``Position`` from an ib_async ``PortfolioItem`` (updatePortfolio)."""
    return Position(
        account=item.account,
        instrument=instrument or contract_to_instrument(item.contract),
        quantity=float(item.position),
        avg_cost=num(item.averageCost) or 0.0,
        market_price=num(item.marketPrice),
        market_value=num(item.marketValue),
        unrealized_pnl=num(item.unrealizedPNL),
        realized_pnl=num(item.realizedPNL),
    )


def to_account_value(v: Any) -> AccountValue:
    """An ``AccountValue`` from an ib_async ``AccountValue`` (updateAccountValue)."""
    return AccountValue(account=v.account, tag=v.tag, value=str(v.value), currency=v.currency or "")


def to_account_pnl(p: Any) -> AccountPnL:
    """An ``AccountPnL`` from an ib_async ``PnL`` (IB pnl message, reqPnL)."""
    return AccountPnL(account=p.account, daily=num(p.dailyPnL), unrealized=num(p.unrealizedPnL),
                      realized=num(p.realizedPnL))


def to_position_pnl(p: Any) -> PositionPnL:
    """A ``PositionPnL`` from an ib_async ``PnLSingle`` (IB pnlSingle message, reqPnLSingle)."""
    return PositionPnL(account=p.account, con_id=int(p.conId), position=num(p.position) or 0.0,
                       daily=num(p.dailyPnL), unrealized=num(p.unrealizedPnL),
                       realized=num(p.realizedPnL), value=num(p.value))
