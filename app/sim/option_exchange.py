"""The exchange side of the simulated options: ``OptionsMixin`` of ``SimExchange``.

Options are not instruments of the market model (``app.sim.market``): their quotes are
derived from the underlying's live price each time it changes (``app.sim.options``). The
matching engine and the account see them through ``OptionAwareMarket``, a view of the
market model that answers option conIds as well, so orders, fills, commissions, positions
and P&L take the same paths as for stocks (multiplier-aware in ``app.sim.account``).

* Quotes are computed for *active* options only: an option becomes active the first
  time its top of book is asked for (reqMktData, an order, a whatIf) and is then requoted
  whenever its underlying's top of book changes (``advance`` reports it as changed, so the
  market data pump sends its ticks and the engine matches its orders).
* Close (tickPrice 9): the option's model value at the previous regular-hours close (16:00
  New York) with the underlying at its own close price, on the option tick; so a watchlist
  shows an option's change on the day as TWS does.
* Expiry: when the clock passes an option's 16:00 New York expiry close, its working
  orders are cancelled and a position is cash-settled at its intrinsic value against the
  underlying's price at that moment (0 = expired worthless; ``Account.settle``), with a
  portfolio update; the contract stays resolvable by conId.
"""

from __future__ import annotations

import math

from datetime import timedelta

from app.sim.instruments import ModelParams, SimInstrument, day_midnight, session_bounds, trading_date
from app.sim.option_pricing import bsm, intrinsic, pv_dividend
from app.sim.options import (DIV_YIELD, OPT, RATE, Computation, OptionChains, OptionQuoter, expiry_close,
                             on_option_tick, parse_expiry)
from app.sim.types import PortfolioEvent, SimBar, SimContract, SimError, TopOfBook


class OptionAwareMarket:
    """The market model plus options: ``instrument``, ``top``, ``top_view``, ``mark`` and
    ``half_spread`` answer option conIds from the exchange's option quotes; everything else
    is the market model's."""

    def __init__(self, market, exchange: "OptionsMixin"):
        self._m = market
        self._ex = exchange

    def __getattr__(self, name):
        return getattr(self._m, name)

    def instrument(self, con_id: int) -> SimInstrument:
        if self._ex.options.is_option(con_id):
            c = self._ex.option_contract(con_id)
            u = self._ex.options.underlying_of(c)
            return SimInstrument(c, ModelParams(self._ex.option_top(con_id).last, u.vol, 1000.0))
        return self._m.instrument(con_id)

    def top(self, con_id: int) -> TopOfBook:
        if self._ex.options.is_option(con_id):
            t = self._ex.option_top(con_id)
            return TopOfBook(t.bid, t.ask, t.last, t.bid_size, t.ask_size, t.last_size, t.volume,
                             t.high, t.low, t.open, t.close, t.time)
        return self._m.top(con_id)

    def top_view(self, con_id: int) -> TopOfBook:
        if self._ex.options.is_option(con_id):
            return self._ex.option_top(con_id)
        return self._m.top_view(con_id)

    def mark(self, con_id: int) -> float:
        if self._ex.options.is_option(con_id):
            t = self._ex.option_top(con_id)
            return (t.bid + t.ask) / 2.0 if t.bid > 0 else t.ask / 2.0
        return self._m.mark(con_id)

    def half_spread(self, con_id: int) -> float:
        if self._ex.options.is_option(con_id):
            t = self._ex.option_top(con_id)
            return (t.ask - t.bid) / 2.0
        return self._m.half_spread(con_id)


class OptionsMixin:
    """Option chains, quotes, computations and expiry of ``SimExchange`` (see the module
    docstring). Expects ``self.market`` (MarketModel), ``self.account``, ``self.engine``,
    ``self._contracts``, ``self.seed``, ``self._emit``."""

    def _init_options(self) -> None:
        params = {i.con_id: (i.params.price, i.params.annual_vol) for i in self._instruments}
        self.options = OptionChains.default(self._contracts, params, self.market.mark)
        self.quoter = OptionQuoter(self.options, self.seed)
        self._opt_tops: dict[int, TopOfBook] = {}
        self._opt_done: set[int] = set()          # expired and settled
        self._opt_comps: dict[int, tuple[tuple, dict]] = {}   # conId -> (quote key, computations)
        self._opt_close: dict[int, tuple[tuple, float | None]] = {}   # conId -> (key, close)
        self.quotes = OptionAwareMarket(self.market, self)

    def _mark_any(self, con_id: int) -> float:
        """Mark price of a stock, FX pair or option (the account's ``mark``)."""
        return self.quotes.mark(con_id)

    # ------------------------------------------------------------ contracts
    def option_contract(self, con_id: int) -> SimContract:
        """The option with ``con_id``; SimError 200 if there is none."""
        return self.options.contract(con_id, self.market.now)

    def option_lookup(self, *, symbol: str = "", expiry: str = "", strike: float = 0.0, right: str = "",
                      local_symbol: str = "", trading_class: str = "", multiplier: str = "",
                      currency: str = "", exchange: str = "") -> list[SimContract]:
        """reqContractDetails for secType OPT (``OptionChains.lookup``); [] when nothing
        matches (a currency other than USD or an exchange other than SMART / an option
        exchange match nothing)."""
        if currency and currency.upper() != "USD":
            return []
        if exchange and exchange.upper() not in ("SMART", "CBOE", "AMEX", "ISE", "PHLX", "BOX", "CBOE2", "MIAX"):
            return []
        return self.options.lookup(self.market.now, symbol=symbol, expiry=expiry, strike=strike, right=right,
                                   local_symbol=local_symbol, trading_class=trading_class,
                                   multiplier=multiplier)

    def sec_def_opt_params(self, symbol: str, sec_type: str, con_id: int) -> tuple[int, str, str, list[str],
                                                                                    list[float]]:
        """reqSecDefOptParams of a stock: (underlying conId, tradingClass, multiplier,
        expirations "YYYYMMDD", strikes). SimError 200 for anything without options (a
        secType other than STK, an unknown symbol / conId)."""
        if sec_type and sec_type.upper() != "STK":
            raise SimError(200, "No security definition has been found for the request")
        u, exps, strikes = self.options.sec_def_params(symbol, con_id, self.market.now)
        return u.contract.con_id, u.contract.symbol, "100", exps, strikes

    # ------------------------------------------------------------ quotes
    def _spot(self, c: SimContract) -> float:
        return self.market.mark(c.under_con_id)

    def option_top(self, con_id: int) -> TopOfBook:
        """The live top of book of an option (computed on first use; then kept current by
        ``advance``). SimError 200 for an unknown option."""
        t = self._opt_tops.get(con_id)
        if t is None:
            c = self.option_contract(con_id)
            t = self._opt_quote(c)
            self._opt_tops[con_id] = t
        return t

    def _opt_quote(self, c: SimContract) -> TopOfBook:
        now = self.market.now
        if con_expired(c, now):
            old = self._opt_tops.get(c.con_id)
            if old is not None:
                return old
        t = self.quoter.quote(c, self._spot(c), min(now, expiry_close(parse_expiry(c.last_trade_date)) - 1.0))
        t.close = self.option_close(c, now)
        return t

    def option_bars(self, c: SimContract, under: list[SimBar], secs: int) -> list[SimBar]:
        """Historical bars of option ``c`` from its underlying's regular-hours TRADES bars
        ``under`` of ``secs`` seconds (``SimExchange.history`` / ``live_bar``): each price is
        the model value (the smile's volatility, Black-Scholes-Merton) with the underlying at
        that price, the open at the bar's start and high / low / close at its end (16:00 New
        York for daily and longer bars), on the option tick. A call's high comes from the
        underlying's high, a put's from its low. No option tape is simulated: volume and
        count are 0, wap the close. Bars from the option's expiry close on are left out."""
        expiry = expiry_close(parse_expiry(c.last_trade_date))
        call = c.right == "C"

        def value(spot: float, t: float) -> float:
            return on_option_tick(c, self.quoter.greeks(c, spot, t).price)
        out = []
        for b in under:
            if b.time >= expiry:
                break
            end = b.time + (secs if secs < 86400 else 16 * 3600)
            t_end = min(end, expiry - 1.0)
            o = value(b.open, min(b.time + (0 if secs < 86400 else 9.5 * 3600), t_end))
            hi = value(b.high if call else b.low, t_end)
            lo = value(b.low if call else b.high, t_end)
            cl = value(b.close, t_end)
            hi, lo = max(hi, o, cl), min(lo, o, cl)
            out.append(SimBar(b.time, o, hi, lo, cl, 0.0, cl, 0))
        return out

    def option_close(self, c: SimContract, now: float) -> float | None:
        """The option's close (tickPrice 9), instrument currency: its model value at the
        previous regular-hours close (16:00 New York) of the trading date of ``now``, with the
        underlying at its own close price, rounded to the option tick (min 0.01). None while
        the underlying has no close. Computed once per (trading date, underlying close)."""
        under = self.market.top_view(c.under_con_id)
        if under is None or under.close is None:
            return None
        d = trading_date("STK", now)
        key = (d, under.close)
        hit = self._opt_close.get(c.con_id)
        if hit is not None and hit[0] == key:
            return hit[1]
        prev = d - timedelta(days=1)
        for _ in range(10):                      # weekends and NYSE holidays
            if session_bounds("STK", prev) is not None:
                break
            prev -= timedelta(days=1)
        bounds = session_bounds("STK", prev)
        price = None
        if bounds is not None:
            at = min(bounds[3], expiry_close(parse_expiry(c.last_trade_date)) - 1.0)
            price = on_option_tick(c, self.quoter.greeks(c, float(under.close), at).price)
        self._opt_close[c.con_id] = (key, price)
        return price

    def _refresh_options(self, changed: list[int], now: float) -> list[int]:
        """Requote the active options whose underlying is in ``changed``, settle expired ones,
        match their working orders; returns the requoted option conIds."""
        held = [p.con_id for p in self.account.open_positions() if self.options.is_option(p.con_id)]
        if not self._opt_tops and not held:
            return []
        moved = set(changed)
        out = []
        for cid in dict.fromkeys([*self._opt_tops, *held]):
            c = self.options.known(cid)
            if c is None or cid in self._opt_done:
                continue
            if con_expired(c, now):
                self._expire_option(c, now)
                continue
            if c.under_con_id in moved:
                self._opt_tops[cid] = self._opt_quote(c)
                self.engine.match_instrument(cid, now)
                out.append(cid)
        return out

    def _expire_option(self, c: SimContract, now: float) -> None:
        """Cancel working orders of an expired option and cash-settle its position."""
        self._opt_done.add(c.con_id)
        self._close_expired(c.con_id, lambda: round(intrinsic(self._spot(c), c.strike, c.right), 4), now)

    def _close_expired(self, con_id: int, price, now: float) -> None:
        """Cancel the working orders of an expired contract and, if a position is held, settle it
        in cash at ``price()`` (``Account.settle``) with a portfolio update."""
        for o in self.engine.orders(None, working_only=True):
            if o.con_id == con_id and o.client_id >= 0:
                try:
                    self.engine.cancel(o.client_id, o.order_id, now)
                except SimError:
                    pass
        if self.account.position_qty(con_id):
            self.account.settle(con_id, price(), day_midnight(trading_date("STK", now)))
            snap = tuple(p for p in self.account.positions(None) if p.con_id == con_id)
            self._emit(PortfolioEvent(snap, tuple(self.account.account_values())))

    def option_computations(self, con_id: int) -> dict[int, Computation]:
        """tickOptionComputation values of an option by IB tick type: 10 bid, 11 ask, 12 last,
        13 model (implied vol of each price and the greeks at it)."""
        c = self.option_contract(con_id)
        t = self.option_top(con_id)
        now = min(self.market.now, expiry_close(parse_expiry(c.last_trade_date)) - 1.0)
        s = self._spot(c)
        key = (t.bid, t.ask, t.last, s, int(now // 60))
        hit = self._opt_comps.get(con_id)
        if hit is not None and hit[0] == key:
            return hit[1]
        q = self.quoter
        out = {10: q.computation(c, s, now, t.bid if t.bid > 0 else None) if t.bid > 0 else
                Computation(None, None, None, 0.0, None, None, None, s),
                11: q.computation(c, s, now, t.ask), 12: q.computation(c, s, now, t.last),
                13: q.computation(c, s, now, None)}
        self._opt_comps[con_id] = (key, out)
        return out

    def calc_implied_vol(self, con_id: int, option_price: float, under_price: float) -> Computation:
        """calculateImpliedVolatility: the implied vol of ``option_price`` with the underlying at
        ``under_price`` (0 or unset = its current price) and the greeks at that vol. SimError
        200 for an unknown option, 321 for a non-positive option price."""
        c = self.option_contract(con_id)
        if not (math.isfinite(option_price) and option_price > 0):
            raise SimError(321, f"Error validating request.-'bP' : cause - Invalid option price {option_price}")
        s = under_price if math.isfinite(under_price) and under_price > 0 else self._spot(c)
        return self.quoter.computation(c, s, self.market.now, option_price)

    def calc_option_price(self, con_id: int, volatility: float, under_price: float) -> Computation:
        """calculateOptionPrice: the BSM price and greeks at ``volatility`` (annualised, 0.25 =
        25 %) with the underlying at ``under_price`` (0 or unset = its current price). SimError
        200 for an unknown option, 321 for a volatility outside (0, 10]."""
        c = self.option_contract(con_id)
        if not (math.isfinite(volatility) and 0 < volatility <= 10):
            raise SimError(321, f"Error validating request.-'bP' : cause - Invalid volatility {volatility}")
        s = under_price if math.isfinite(under_price) and under_price > 0 else self._spot(c)
        t = self.quoter.years(c, self.market.now)
        q = DIV_YIELD.get(c.under_symbol, 0.0)
        g = bsm(s, c.strike, t, RATE, q, volatility, c.right)
        return Computation(volatility, g.delta, g.price, pv_dividend(s, t, q), g.gamma, g.vega, g.theta, s)


def con_expired(c: SimContract, now: float) -> bool:
    """True once ``now`` is at or past the option's 16:00 New York expiry close."""
    return c.sec_type == OPT and now >= expiry_close(parse_expiry(c.last_trade_date))

