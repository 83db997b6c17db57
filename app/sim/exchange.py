"""Facade of the simulated gateway's exchange side: ``SimExchange``.

The wire side (``app.sim.wire`` & co.) parses TWS requests, calls this facade
and encodes what it returns or emits. Everything here is pure and
deterministic: time only moves when the caller passes ``now`` (POSIX seconds
UTC). No asyncio, sockets or Qt.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace
from datetime import date
from typing import Callable

import numpy as np
import pandas as pd

from app.sim.account import Account, order_commission
from app.sim.margin import position_maint, position_margin
from app.sim.depth import DEPTH_EXCHANGES, book
from app.sim.engine import MatchingEngine
from app.sim.instruments import is_open, session_bounds
from app.sim.orderrules import normalize, num, validate_ticket
from app.sim.summary import account_summary as _account_summary
from app.sim.symbols import market_rule as _market_rule
from app.sim.symbols import matching_symbols as _matching_symbols
from app.sim.timesales import TimeSalesMixin
from app.sim.option_exchange import OptionsMixin
from app.sim.future_exchange import FuturesMixin
from app.sim.futures import links as future_links
from app.sim.history import (WHAT_TO_SHOW, Bars, aggregate, bucket, fx_local_symbol, load_bars_dir,
                             check_request, parse_bar_size, parse_duration, range_start, session_open_offsets)
from app.sim.instruments import (CASH, ModelParams, SimInstrument, check_universe, day_midnight, fx_contract,
                                 match_contracts, new_stock_con_id, ny_date, stock_contract, trading_date,
                                 trading_hours_string)
from app.sim.instruments import universe as make_universe
from app.sim.market import MarketModel
from app.sim.seconds import live_seconds_bar, seconds_bars
from app.sim.types import (OrderTicket, PortfolioEvent, PositionSnapshot, SimBar, SimContract, SimError, SimFill,
                           SimOrder, SimOrderState, TopOfBook)

log = logging.getLogger(__name__)

#: seconds between unsolicited portfolio/account updates while positions are open (IB: ~3 min)
PORTFOLIO_INTERVAL = 180.0
#: longest market step of one ``advance``: bigger jumps of ``now`` are sub-stepped (accelerated clock)
MAX_STEP = 30.0


def _replay_params(df: pd.DataFrame, fallback: ModelParams | None) -> ModelParams:
    """Model parameters estimated from real bars: last close, annualised close-to-close
    volatility (scaled by bar spacing) and average daily volume."""
    t = df["time"].to_numpy().astype("datetime64[s]").astype(np.int64)
    step = float(np.median(np.diff(t))) if len(t) > 1 else 86400.0
    c = df["close"].to_numpy(dtype=float)
    r = np.diff(np.log(c[c > 0]))
    per_year = 252.0 if step >= 20 * 3600 else 252.0 * max(1.0, 6.5 * 3600 / step)
    vol = float(np.std(r[-500:]) * math.sqrt(per_year)) if len(r) > 2 else (fallback.annual_vol if fallback else 0.3)
    vol = min(max(vol, 0.02), 2.0)
    v = df["volume"].to_numpy(dtype=float)
    per_day = 1.0 if step >= 20 * 3600 else max(1.0, 86400.0 / step * (6.5 / 24))
    adv = float(np.nanmean(v[-250:]) * per_day) if len(v) and np.nanmean(v[-250:]) > 0 else (
        fallback.adv if fallback else 1e6)
    return ModelParams(price=float(c[-1]), annual_vol=vol, adv=adv)


#: IDEALPRO's minimum order size per base currency (IB "Forex" order sizes; the EUR figure is
#: the one in a real TWS whatIf warning, shared/protocol/tws_session_v176.json)
IDEALPRO_MINIMUM = {"EUR": 20_000, "GBP": 20_000, "USD": 25_000, "AUD": 25_000, "CAD": 25_000,
                    "CHF": 25_000, "JPY": 2_500_000}


def idealpro_odd_lot_note(base: str, quantity: float) -> str:
    """The warning TWS puts in a whatIf answer for an FX order below IDEALPRO's minimum
    (``quantity`` in units of the ``base`` currency), word for word as a real TWS sends it;
    ``''`` at or above the minimum or for a currency without a known minimum."""
    minimum = IDEALPRO_MINIMUM.get(base)
    if minimum is None or quantity >= minimum:
        return ""
    return (f"Important Note: Your order size is below the {base} {minimum} IdealPro minimum.\n"
            "You may cancel and increase the order size if you wish to route to IdealPro\n"
            "or select the Transmit button to route as an odd lot order.\n"
            "Note that odd lot orders are not guaranteed executions at the IdealPro displayed "
            "quotes.")


class SimExchange(TimeSalesMixin, OptionsMixin, FuturesMixin):
    """The exchange side of the simulated IB gateway.

    ``seed``: random seed (same seed + same ``now`` sequence = same prices);
    ``bars_dir``: optional folder of real OHLCV CSV files to replay (see
    ``app.sim.history.read_bars_file``); ``account_id``: the single managed
    account; ``start_cash``: USD; ``now``: start time (POSIX s UTC, default the
    wall clock), where history ends and the live stream begins; ``universe``: number of
    instruments (``app.sim.instruments.universe``: the 23 default ones, then generated stocks
    S0001...; 0 = the default 23).

    Listeners get OrderEvent / FillEvent / PortfolioEvent / OrderErrorEvent
    synchronously, in causal order (see ``app.sim.engine``); while positions are
    open a PortfolioEvent with every position and the account values also comes
    every ``PORTFOLIO_INTERVAL`` seconds of market time, as IB refreshes
    reqAccountUpdates about every 3 minutes.
    Raises ValueError for a ``bars_dir`` that is not a folder of readable bar files.
    """

    def __init__(self, *, seed: int = 7, bars_dir: str | None = None, account_id: str = "SIM0001",
                 start_cash: float = 1_000_000.0, now: float | None = None, universe: int = 0):
        t0 = float(time.time() if now is None else now)
        self.account_id = account_id
        self.universe = check_universe(universe)
        self.seed = seed
        self.t0 = t0
        self._listeners: list[Callable[[object], None]] = []
        #: durable store (``app.sim.durable.StateJournal``) that commits each event before listeners see it
        self.store = None
        instruments = make_universe(self.universe, t0)
        replay: dict[str, pd.DataFrame] = {}
        if bars_dir:
            instruments, replay = self._add_replay(instruments, load_bars_dir(bars_dir), t0)
        self._instruments = instruments
        self._contracts = [i.contract for i in instruments]
        self._by_id = {c.con_id: c for c in self._contracts}
        self._hours_day = ny_date(t0)
        self._last_portfolio = t0
        # futures (app.sim.future_exchange) are market-model instruments outside ``_contracts``
        futs = self._future_instruments(t0)
        self.market = MarketModel(instruments + futs, seed=seed, t0=t0, replay=replay, links=future_links(futs))
        self._retire_expired_futures(t0)
        self._init_options()                    # option chains and quotes (app.sim.option_exchange)
        self.account = Account(account_id, start_cash, self._to_usd, self._mark_any)
        self.engine = MatchingEngine(self.quotes, self.account, self._emit,
                                     perm_start=1_000_000_000 + (seed % 1000) * 1_000_000,
                                     exec_base=int(t0) ^ (seed * 0x9E3779B1))
        self.account.roll_day(day_midnight(trading_date("STK", t0)))
        self.max_step = MAX_STEP
        self.bars_dir = bars_dir

    @staticmethod
    def _add_replay(instruments: list[SimInstrument], data: dict[str, pd.DataFrame],
                    t0: float) -> tuple[list[SimInstrument], dict[str, pd.DataFrame]]:
        by_local = {i.contract.local_symbol.upper(): i for i in instruments}
        out = list(instruments)
        replay: dict[str, pd.DataFrame] = {}
        taken = {i.con_id for i in instruments}
        for sym, df in sorted(data.items()):
            local = fx_local_symbol(sym) or sym
            inst = by_local.get(local)
            params = _replay_params(df, inst.params if inst else None)
            if inst is None:
                cid = new_stock_con_id(local, taken)
                taken.add(cid)
                if "." in local:
                    base, quote = local.split(".")
                    c = fx_contract(base, quote, cid, 0.005 if quote == "JPY" else 0.00005, now=t0)
                else:
                    c = stock_contract(local, cid, "NASDAQ", f"{local} (replayed)", now=t0)
                new = SimInstrument(c, params)
                out.append(new)
            else:
                new = SimInstrument(inst.contract, params)
                out[out.index(inst)] = new
            by_local[local] = new
            replay[local] = df
        return out, replay

    # ------------------------------------------------------------ events
    def add_listener(self, fn: Callable[[object], None]) -> None:
        """Register ``fn(event)``; called synchronously for every event, in order."""
        self._listeners.append(fn)

    def attach_store(self, store) -> None:
        """Commit every event through ``store.record(event)`` *before* the listeners (the wire
        side) get it, and bound manual orders through ``store.save_orders``; None detaches."""
        self.store = store

    def _emit(self, event: object) -> None:
        if self.store is not None:
            self.store.record(event)       # committed before any client can be told
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:  # a faulty listener must not corrupt the order book
                log.exception("SimExchange listener %r failed on %r", fn, event)

    def _to_usd(self, ccy: str) -> float:
        """USD per unit of ``ccy`` at the current mark of the matching FX pair."""
        ccy = ccy.upper()
        if ccy == "USD":
            return 1.0
        for c in self._contracts:
            if c.sec_type == CASH and c.symbol == ccy and c.currency == "USD":
                return self.market.mark(c.con_id)
            if c.sec_type == CASH and c.symbol == "USD" and c.currency == ccy:
                return 1.0 / self.market.mark(c.con_id)
        raise ValueError(f"no FX pair to convert {ccy} to USD")

    # ------------------------------------------------------------ contracts
    def contracts(self) -> list[SimContract]:
        """Every instrument the gateway knows."""
        return list(self._contracts)

    def lookup(self, *, con_id: int = 0, symbol: str = "", sec_type: str = "", currency: str = "",
               exchange: str = "", local_symbol: str = "") -> list[SimContract]:
        """Contracts matching a reqContractDetails request (``instruments.match_contracts``); [] if none."""
        return match_contracts(self._contracts, con_id=con_id, symbol=symbol, sec_type=sec_type,
                               currency=currency, exchange=exchange, local_symbol=local_symbol)

    def contract(self, con_id: int) -> SimContract:
        """The contract with ``con_id``. Raises SimError 200 if unknown."""
        try:
            return self._by_id[con_id]
        except KeyError:
            if self.options.is_option(con_id):
                return self.option_contract(con_id)
            fut = self.futures.get(con_id)
            if fut is not None:
                return fut
            raise SimError(200, "No security definition has been found for the request") from None

    # ------------------------------------------------------------ market data
    @property
    def now(self) -> float:
        """The latest time passed to ``advance`` (POSIX s UTC)."""
        return self.market.now

    def advance(self, now: float) -> list[int]:
        """Move the market to ``now``: expire DAY orders, tick quotes, match orders of changed
        instruments. Returns conIds whose top of book changed; idempotent for the same ``now``.

        A jump longer than ``max_step`` (an accelerated clock) is taken in sub-steps of at most
        ``max_step`` seconds while any market is open (closed stretches are skipped to the next
        session open), so triggers, auctions, expiries and bars see the path in between.
        """
        try:
            now = float(now)
        except (TypeError, ValueError):
            return []
        if not math.isfinite(now) or now <= self.market.now:
            return []
        changed: dict[int, None] = {}
        t = self.market.now
        while now - t > self.max_step:
            t = self._next_step(t, now)
            for cid in self._step(t):
                changed[cid] = None
        for cid in self._step(now):
            changed[cid] = None
        return list(changed)

    def _next_step(self, t: float, now: float) -> float:
        """The next sub-step time after ``t``: ``t + max_step`` while a market is open (or the
        firehose runs); else the earliest coming session open / RTH edge / close, capped at ``now``."""
        if self.market.firehose_on or is_open("STK", t) or is_open("CASH", t) or is_open("FUT", t):
            return min(now, t + self.max_step)
        nxt = now
        for kind in ("STK", "CASH", "FUT"):
            d = trading_date(kind, t)
            for i in range(8):
                b = session_bounds(kind, d)
                if b is not None:
                    cands = [x for x in b if x > t]
                    if cands:
                        nxt = min(nxt, min(cands))
                        break
                d = date.fromordinal(d.toordinal() + 1)
        return max(min(nxt, now), t + 1e-6)

    def _step(self, now: float) -> list[int]:
        changed = self.market.advance(now)
        t = self.market.now
        day = day_midnight(trading_date("STK", t))
        if day != self.account.pnl_day:
            self.account.roll_day(day, self._prior_close)
        self.engine.expire(t)
        for cid in changed:
            self.engine.match_instrument(cid, t)
        if ny_date(t) != self._hours_day:
            self._refresh_hours(t)
        if t - self._last_portfolio >= PORTFOLIO_INTERVAL:
            self._last_portfolio = t
            snaps = tuple(self.positions())
            if snaps:
                self._emit(PortfolioEvent(snaps, tuple(self.account_values())))
        self._expire_futures(t)
        return changed + self._refresh_options(changed, t)

    def _prior_close(self, con_id: int) -> float:
        """The closing price of the last regular session before now (last print at or before its
        16:00 close; FX and unknown: the current mark) - the reference of IB's dailyPnL."""
        c = self.contract(con_id)
        if c.sec_type not in (CASH, "OPT"):
            d = trading_date(c.sec_type, self.now)
            for _ in range(10):
                d = date.fromordinal(d.toordinal() - 1)
                b = session_bounds(c.sec_type, d)
                if b is not None:
                    tr = self.market.tape(con_id).last_trade_before(b[3] + 1e-6)
                    if tr is not None:
                        return tr.price
                    break
        return self._mark_any(con_id)

    def _refresh_hours(self, t: float) -> None:
        """Roll every contract's tradingHours/liquidHours forward to the New York date of ``t``."""
        self._hours_day = ny_date(t)
        self._contracts = [replace(c, trading_hours=trading_hours_string(c.sec_type, t, rth=False),
                                   liquid_hours=trading_hours_string(c.sec_type, t, rth=c.sec_type != CASH))
                           for c in self._contracts]
        self._by_id = {c.con_id: c for c in self._contracts}

    def set_quote(self, con_id: int, now: float, *, bid: float, ask: float, bid_size: float | None = None,
                  ask_size: float | None = None, last: float | None = None,
                  last_size: float | None = None, hold: float = 0.0) -> None:
        """Script a market move at ``now`` (``MarketModel.set_quote``; ``hold`` seconds of
        simulated time without random moves of this instrument), then expire and match
        orders as ``advance`` does. For scenario tests and demos."""
        self.market.set_quote(con_id, now, bid=bid, ask=ask, bid_size=bid_size, ask_size=ask_size,
                              last=last, last_size=last_size, hold=hold)
        self.engine.expire(self.market.now)
        self.engine.match_instrument(con_id, self.market.now)
        self._refresh_options([con_id], self.market.now)

    def top(self, con_id: int) -> TopOfBook:
        """Current top of book (copy), options included. Raises SimError 200 for an unknown conId."""
        return self.quotes.top(con_id)

    def top_view(self, con_id: int) -> TopOfBook:
        """The live top of book (``MarketModel.top_view``: read only, no copy). SimError 200."""
        return self.quotes.top_view(con_id)

    def _no_data(self, c: SimContract, what: str) -> SimError:
        return SimError(162, f"Historical Market Data Service error message:HMDS query returned no data: "
                             f"{c.local_symbol}@{c.exchange} {what.title()}")

    def _daily_all(self, con_id: int, m: Bars) -> Bars:
        return Bars.concat([self.market.older_daily(con_id), aggregate(m, m.day)])

    def history(self, con_id: int, *, end: float | None, duration: str, bar_size: str,
                what_to_show: str = "TRADES", use_rth: bool = False, what: str | None = None) -> list[SimBar]:
        """Historical bars, oldest first, ``time`` = bar start (daily and longer: 00:00 New York of
        the trading date). ``end`` None = now (a future ``end`` is clipped to now).

        what_to_show: TRADES/ADJUSTED_LAST (trades), MIDPOINT, BID, ASK, BID_ASK (quotes, shifted by
        half the current spread; volume/wap/count -1 as IB sends them). FX has no TRADES (IB
        answers error 162). Seconds bars ("1 secs" .. "30 secs") come from ``app.sim.seconds`` (IB's
        duration limits, error 162 "invalid step"). Raises SimError 200 (unknown conId), 321
        (malformed request), 162 (no data in the range). Source: IB "Historical Bar Data" docs.
        """
        c = self.contract(con_id)
        n, unit = parse_duration(duration)
        secs = parse_bar_size(bar_size)
        check_request(bar_size, duration)  # IB's step sizes and duration units (162 / 321)
        wts = (what or what_to_show or "TRADES").upper().strip()
        if wts not in WHAT_TO_SHOW:
            raise SimError(321, f"Error validating request.-'bW' : cause - Invalid what to show: {what_to_show!r}")
        if c.sec_type == "OPT":           # valued from the underlying's bars (option_exchange)
            under = self.history(c.under_con_id, end=end, duration=duration, bar_size=bar_size,
                                 what_to_show="TRADES", use_rth=True)
            bars = self.option_bars(c, under, secs)
            if not bars:
                raise self._no_data(c, wts)
            return self._as_shown(con_id, bars, wts)
        if c.sec_type == CASH and wts in ("TRADES", "ADJUSTED_LAST"):
            raise SimError(162, "Historical Market Data Service error message:No historical market data for "
                                f"{c.symbol}/CASH@{c.exchange} {wts.title()} (use MIDPOINT, BID or ASK for FX)")
        end_t = self.now if end is None else min(float(end), self.now)
        if not math.isfinite(end_t):
            raise SimError(321, "Error validating request.-'bW' : cause - Invalid end date/time")
        kind = c.sec_type
        start = range_start(kind, end_t, n, unit)
        m = self.market.minutes(con_id)
        if use_rth:
            m = m.take(m.rth)
        if secs < 60:
            bars = seconds_bars(self.market, con_id, self.seed, secs, start, end_t, use_rth=bool(use_rth),
                                include_end=end_t >= self.now)
        elif secs < 86400:
            bars = bucket(m.take((m.t >= start) & (m.t < end_t)), secs, session_open_offsets(kind, bool(use_rth)))
        else:
            daily = self._daily_all(con_id, m)
            first = day_midnight(trading_date(kind, start))
            last = day_midnight(trading_date(kind, end_t))
            daily = daily.take((daily.t >= first) & (daily.t <= last))
            bars = daily if secs == 86400 else bucket(daily, secs)
        if len(bars) == 0:
            raise self._no_data(c, wts)
        return self._as_shown(con_id, bars.to_sim_bars(), wts)

    def _as_shown(self, con_id: int, out: list[SimBar], wts: str) -> list[SimBar]:
        """TRADES bars ``out`` as ``wts`` shows them: quotes shifted by half the current spread,
        volume/wap/count -1 as IB sends them for MIDPOINT, BID, ASK and BID_ASK."""
        if wts in ("TRADES", "ADJUSTED_LAST"):
            return out
        c = self.contract(con_id)
        hs = self.quotes.half_spread(con_id)       # options' too
        if wts == "BID_ASK":
            # IB: open = time-average bid, high = max ask, low = min bid, close = time-average ask
            tick = c.min_tick
            dec = max(0, -int(math.floor(math.log10(tick))) + 1) + 2
            return [SimBar(b.time, round((b.open + b.high + b.low + b.close) / 4 - hs, dec), b.high + hs,
                           b.low - hs, round((b.open + b.high + b.low + b.close) / 4 + hs, dec), -1.0, -1.0, -1)
                    for b in out]
        shift = {"MIDPOINT": 0.0, "BID": -hs, "ASK": hs}[wts]
        return [SimBar(b.time, b.open + shift, b.high + shift, b.low + shift, b.close + shift,
                       -1.0, -1.0, -1) for b in out]

    def live_bar(self, con_id: int, bar_size: str, what_to_show: str = "TRADES") -> SimBar:
        """The still-forming bar of ``bar_size``: aggregate of the minutes since its start (its
        close is the last trade price), shown as ``what_to_show`` like the history (MIDPOINT,
        BID, ASK, BID_ASK: no volume, -1). Raises SimError 200/321/162."""
        c = self.contract(con_id)
        secs = parse_bar_size(bar_size)
        if c.sec_type == "OPT":
            bars = self.option_bars(c, [self.live_bar(c.under_con_id, bar_size)], secs)
            if not bars:
                raise self._no_data(c, "TRADES")
            return self._as_shown(con_id, bars, (what_to_show or "TRADES").upper().strip())[0]
        m = self.market.minutes(con_id)
        if len(m) == 0:
            raise self._no_data(c, "TRADES")
        if secs < 60:
            bars = live_seconds_bar(self.market, con_id, self.seed, secs)
            if len(bars) == 0:
                raise self._no_data(c, "TRADES")
        elif secs < 86400:
            k = math.floor(m.t[-1] / secs) * secs
            bars = bucket(m.take(m.t >= k), secs, session_open_offsets(c.sec_type, False))
        else:
            daily = aggregate(m, m.day)
            bars = daily if secs == 86400 else bucket(self._daily_all(con_id, m), secs)
        last = bars.take(slice(len(bars) - 1, len(bars))).to_sim_bars()
        return self._as_shown(con_id, last, (what_to_show or "TRADES").upper().strip())[0]

    # ------------------------------------------------------------ orders
    def place(self, client_id: int, order_id: int, con_id: int, ticket: OrderTicket, now: float) -> SimOrder:
        """Place a new order, or modify the client's working order with the same orderId.

        Order types MKT, LMT, STP, STP LMT, TRAIL, TRAIL LIMIT, MOC, LOC, MIT, LIT; TIFs DAY, GTC,
        IOC, FOK, OPG, GTD; brackets, transmit=False, OCA types 1-3 (rules: ``app.sim.engine`` and
        ``app.sim.orderrules``). Raises SimError 200 (unknown conId), 103 "Duplicate order id" (id
        of a finished order), 105 (modify with another contract), 321 (a whatIf ticket: use
        ``what_if``; no order is created). Invalid tickets do not raise: the order goes Inactive
        with an OrderErrorEvent (434 size, 387 order type, 110 off-tick price, 321 missing price,
        201 rejected e.g. insufficient margin, bad GTD, MOC after the cutoff, or
        ``reject_next_order``). A rejected *modification* emits the error and leaves the order
        unchanged. Emits OrderEvents PendingSubmit -> PreSubmitted/Submitted and, if marketable,
        fills at once; an untransmitted order emits nothing until released.
        """
        now = self._clock(now)
        if now > self.market.now:
            self.advance(now)
        return self.engine.place(client_id, order_id, con_id, ticket, max(now, self.market.now))

    def _clock(self, now: float) -> float:
        """``now`` as a usable time: a non-finite or missing value means the market's clock."""
        try:
            t = float(now)
        except (TypeError, ValueError):
            return self.market.now
        return t if math.isfinite(t) else self.market.now

    def cancel(self, client_id: int, order_id: int, now: float) -> SimOrder:
        """Cancel an own working order. Raises SimError 10147 (unknown / not own) or 10148 (done)."""
        return self.engine.cancel(client_id, order_id, now)

    def global_cancel(self, now: float) -> None:
        """Cancel every working order of every client (reqGlobalCancel)."""
        self.engine.global_cancel(now)

    def orders(self, client_id: int | None = None, *, working_only: bool = True) -> list[SimOrder]:
        """Orders (of one client, or all), working ones only by default."""
        return self.engine.orders(client_id, working_only=working_only)

    def completed_orders(self) -> list[SimOrder]:
        """Filled, cancelled and inactive orders (reqCompletedOrders)."""
        return self.engine.completed_orders()

    def executions(self, client_id: int | None = None) -> list[SimFill]:
        """All fills since start (of one client, or all), oldest first."""
        return self.engine.executions(client_id)

    def positions(self) -> list[PositionSnapshot]:
        """Non-zero positions and positions closed today (New York date)."""
        return self.account.positions(today=day_midnight(ny_date(self.now)))

    def account_values(self) -> list[tuple[str, str, str]]:
        """(tag, value, currency) rows for reqAccountUpdates (``app.sim.account``)."""
        return self.account.account_values()

    def next_perm_id(self) -> int:
        """A fresh unique permId."""
        return self.engine.next_perm_id()


    # ------------------------------------------------------------ issue 3: contracts and depth
    def matching_symbols(self, pattern: str) -> list[SimContract]:
        """reqMatchingSymbols: contracts whose symbol starts with ``pattern`` or whose long name has
        words starting with it, case-insensitive, best first, at most 16 (``app.sim.symbols``)."""
        return _matching_symbols(self._contracts, pattern)

    def market_rule(self, rule_id: int) -> list[tuple[float, float]]:
        """reqMarketRule: [(low_edge, increment)]; SimError 321 for an unknown id."""
        return _market_rule(rule_id)

    def depth(self, con_id: int, levels: int = 10) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """reqMktDepth snapshot: (bids, asks) [(price, size)] best first, at most 10 rows; row 0 ==
        ``top(conId)`` bid/ask. Raises SimError 200 (unknown conId), 321 (levels < 1)."""
        return book(self.market.instrument(con_id), self.market.top(con_id), levels)

    def depth_exchanges(self) -> list[tuple[str, str, str, str, int]]:
        """reqMktDepthExchanges: (exchange, secType, listingExch, serviceDataType, aggGroup) rows."""
        return list(DEPTH_EXCHANGES)

    # ------------------------------------------------------------ issue 3: account
    def pnl(self) -> tuple[float, float, float]:
        """reqPnL: (dailyPnL, unrealizedPnL, realizedPnL today) of the account, USD."""
        return self.account.pnl()

    def pnl_single(self, con_id: int) -> tuple[float, float, float, float, float] | None:
        """reqPnLSingle: (pos, dailyPnL, unrealizedPnL, realizedPnL, value) or None if never held.
        Raises SimError 200 for an unknown conId."""
        self.contract(con_id)
        return self.account.pnl_single(con_id)

    def account_summary(self, group: str, tags) -> list[tuple[str, str, str, str]]:
        """reqAccountSummary rows (account, tag, value, currency); see ``app.sim.summary``.
        Raises SimError 321 for a group other than "All"."""
        return _account_summary(self.account, group, tags)

    def what_if(self, client_id: int, order_id: int, con_id: int, ticket: OrderTicket, now: float) -> SimOrderState:
        """A whatIf preview (IB "What-If" / OrderState): margin before, change and after, and the
        commission estimate of the order; no order is created and nothing is emitted.

        Raises SimError 200 (unknown conId) or the validation error IB would send for the order
        (434, 387, 321, 110, 201).
        """
        inst = self.quotes.instrument(con_id)
        t = normalize(ticket)
        err = validate_ticket(inst, t, self._clock(now))
        if err is not None:
            raise SimError(*err)
        q = float(num(t.total_qty) or 0.0)
        s = self.account.summary()
        top = self.quotes.top(con_id)
        px = num(t.lmt_price) or num(t.aux_price) or (top.ask if t.action == "BUY" else top.bid) or top.last
        rate = self.account.rate(inst.contract.currency)
        pos = self.account.position_qty(con_id)
        new = pos + (q if t.action == "BUY" else -q)
        def req(qty: float) -> float:
            return position_margin(inst, qty, px) * rate

        comm = order_commission(inst.contract, q, q * px * rate * inst.contract.mult)
        d_init = req(new) - req(pos)
        d_maint = (position_maint(inst, new, px) - position_maint(inst, pos, px)) * rate
        warns = [] if s["AvailableFunds"] - d_init >= 0 else \
            ["Insufficient funds: the order would exceed AvailableFunds."]
        if inst.is_fx:
            warns += [idealpro_odd_lot_note(inst.contract.symbol, q)]
        warn = "\n".join(w for w in warns if w)
        return SimOrderState(
            status="PreSubmitted",
            init_margin_before=s["InitMarginReq"], maint_margin_before=s["MaintMarginReq"],
            equity_with_loan_before=s["EquityWithLoanValue"],
            init_margin_change=d_init, maint_margin_change=d_maint, equity_with_loan_change=-comm,
            init_margin_after=s["InitMarginReq"] + d_init, maint_margin_after=s["MaintMarginReq"] + d_maint,
            equity_with_loan_after=s["EquityWithLoanValue"] - comm,
            commission=comm, min_commission=comm, max_commission=comm, commission_currency="USD",
            warning_text=warn)

    # ------------------------------------------------------------ issue 3: orders
    def place_manual(self, con_id: int, ticket: OrderTicket, now: float) -> SimOrder:
        """An order entered in the simulated TWS window (admin interface): clientId -1 and orderId 0
        while unbound; bound to client 0 with a negative orderId when auto-binding is on
        (``bind_manual_orders``). Raises SimError 200 for an unknown conId."""
        now = self._clock(now)
        if now > self.market.now:
            self.advance(now)
        return self.engine.place_manual(con_id, ticket, max(now, self.market.now))

    def bind_manual_orders(self, client_id: int) -> list[SimOrder]:
        """Client 0's reqAutoOpenOrders(True) / reqOpenOrders: bind every working manual order to client
        0 with negative orderIds (IB "Use negative numbers to bind automatic orders") and keep
        binding new ones; returns the orders just bound. SimError 321 for another client id."""
        bound = self.engine.bind_manual_orders(client_id)
        if bound and self.store is not None:
            self.store.save_orders(bound)
        return bound

    def reject_next_order(self, code: int = 201, text: str = "Order rejected - reason:Rejected by the "
                                                              "simulator's fault injection") -> None:
        """Fault injection: the next place() (new order or modification) is rejected with an error
        (``code``, ``text``); a new order goes Inactive."""
        self.engine.reject_next_order(code, text)

    def firehose(self, n_symbols: int, rate: float) -> None:
        """Load mode: the first ``n_symbols`` contracts change quote about ``rate`` times per second
        in total, at any hour; ``advance`` reports them. ``n_symbols`` 0 or ``rate`` 0 stops it.
        Raises ValueError for n_symbols outside 0..len(contracts) or a negative/non-finite rate."""
        n = int(n_symbols)
        if not 0 <= n <= len(self._contracts):
            raise ValueError(f"n_symbols must be in 0..{len(self._contracts)}, got {n_symbols!r}")
        r = float(rate)
        if not math.isfinite(r) or r < 0:
            raise ValueError(f"rate must be a finite number >= 0, got {rate!r}")
        self.market.set_firehose([c.con_id for c in self._contracts[:n]], r)

    def save_state(self, path: str) -> None:
        """Save account, positions, working orders, executions and id counters to the SQLite file
        ``path`` (``app.sim.persist``)."""
        from app.sim.persist import save_state
        save_state(self, path)

    @classmethod
    def load_state(cls, path: str, **kw) -> "SimExchange":
        """A new exchange (``kw`` as for the constructor; seed/account/now default to the saved ones)
        with the state saved by ``save_state``. Raises ValueError for a missing/foreign file."""
        from app.sim.persist import load_state
        return load_state(cls, path, **kw)
