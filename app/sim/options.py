"""Equity options of the simulated gateway: the chains, their contracts and their quotes.

**Chains** (IB "Options" contract conventions, OCC symbology):

* underlyings: the 20 stocks / ETFs of the default universe (``instruments._STOCKS``, SPY and
  QQQ included); generated ``--universe`` stocks and replayed symbols have no options;
* expiries: every Friday (a weekly; the third Friday of a month is the monthly) from the
  simulated clock's New York date up to ``HORIZON_DAYS`` ahead; a Friday that is an NYSE
  holiday moves to the Thursday before (as OCC does for Good Friday). An expiry is listed
  until its 16:00 New York close;
* strikes: on a grid of ``strike_step(price)`` (0.5 below 25, 1 below 100, 2.5 below 250,
  5 above: the usual US listing intervals) from 70 % to 130 % of the underlying's reference
  price and from 80 % to 120 % of its price when the day's chain is built;
* contract: secType OPT, exchange SMART, currency USD, multiplier 100, trading class = the
  symbol, local symbol in OCC form ``"AAPL  261218C00200000"`` (root padded to 6, yymmdd,
  C/P, strike x 1000 on 8 digits), minTick 0.01;
* conIds: ``OPTION_CON_ID_BASE + 10,000,000 x (index of the underlying) + crc32(OCC symbol)
  mod 10,000,000`` (a collision moves to the next free id), so the same option has the same
  conId in every run and across restarts, and the underlying is known from the conId alone.

**Quotes** (``OptionQuoter``): Black-Scholes-Merton (``app.sim.option_pricing``) on the
underlying's live mid price, rate ``RATE``, the dividend yield of ``DIV_YIELD``, and a
volatility smile in log-moneyness x = ln(K / F):

    sigma(K, T, t) = atm(t) x (1 + skew(t) x x / sqrt(T') + CURVATURE x x^2 / T')

with T' = max(T, 1/52) (short expiries have a steeper smile in strike terms), atm(t) = the
stock's model volatility x (1 + 0.08 sin(2 pi t / 3 days + phase)) and skew(t) = -0.12 x
(1 + 0.3 sin(2 pi t / 5 days + phase)): the smile drifts slowly and differently for each
underlying. The quoted spread is at least one tick (0.01 below 3.00, 0.05 from 3.00; SPY and
QQQ 0.01 throughout, the penny programme) and widens away from the money and with the price:
``width = tick x (1 + |z|) + 1.5 % x value`` with z = x / (sigma sqrt T) in standard
deviations, bid rounded down and ask up to the tick; the bid is never below 0.
Sizes are 1..99 contracts, pseudo-random per minute. No option tape is simulated: ``last``
is the model value rounded to the tick.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, timedelta

from app.sim.instruments import _STOCKS, NY, is_stock_holiday, ny_date
from app.sim.option_pricing import Greeks, bsm, implied_vol, pv_dividend
from app.sim.types import SimContract, SimError, TopOfBook

OPT = "OPT"
MULTIPLIER = "100"
#: first option conId (below 2**31, above every stock / FX conId of the simulator)
OPTION_CON_ID_BASE = 1_900_000_000
_BAND = 10_000_000
#: how far ahead expiries are listed (days)
HORIZON_DAYS = 92
#: risk-free rate of the model (continuously compounded; about the 3-month T-bill yield of 2025)
RATE = 0.04
#: dividend yields of the model (approximate trailing yields, 2025); others 0
DIV_YIELD = {"SPY": 0.012, "QQQ": 0.006, "AAPL": 0.005, "MSFT": 0.008, "JPM": 0.022, "V": 0.007,
             "XOM": 0.034, "KO": 0.029, "IBM": 0.030, "WMT": 0.010, "INTC": 0.0, "DIS": 0.008}
#: ETFs quoted in pennies at every price (the penny programme's "all strikes" classes)
PENNY_ALL = {"SPY", "QQQ"}
CURVATURE = 0.8
YEAR = 365.0 * 86400.0
_NO_DEF = "No security definition has been found for the request"


def strike_step(price: float) -> float:
    """Strike interval around ``price`` (USD): 0.5 below 25, 1 below 100, 2.5 below 250, else 5."""
    if price < 25:
        return 0.5
    if price < 100:
        return 1.0
    if price < 250:
        return 2.5
    return 5.0


def strike_grid(price: float, lo: float, hi: float) -> list[float]:
    """Strikes on ``strike_step(price)`` from ``lo x price`` to ``hi x price``."""
    step = strike_step(price)
    a, b = math.ceil(price * lo / step), math.floor(price * hi / step)
    return [round(k * step, 2) for k in range(max(a, 1), b + 1)]


@lru_cache(maxsize=4096)
def expiry_close(d: date) -> float:
    """POSIX seconds of 16:00 New York on ``d``: the last trading time of an expiry."""
    return datetime(d.year, d.month, d.day, 16, tzinfo=NY).timestamp()


def expiries(now: float, horizon_days: int = HORIZON_DAYS) -> list[date]:
    """Expiry dates listed at ``now``: Fridays (an NYSE holiday moves it to Thursday) from
    today while before 16:00 New York, up to ``horizon_days`` ahead, earliest first."""
    today = ny_date(now)
    d = today + timedelta(days=(4 - today.weekday()) % 7)
    out = []
    while (d - today).days <= horizon_days:
        e = d - timedelta(days=1) if is_stock_holiday(d) else d
        if expiry_close(e) > now:
            out.append(e)
        d += timedelta(days=7)
    return out


@lru_cache(maxsize=4096)
def _close_of(last_trade_date: str) -> float:
    return expiry_close(parse_expiry(last_trade_date))


def expires_at(c: SimContract) -> float:
    """POSIX seconds of the option's expiry close (16:00 New York on its last trading day)."""
    return _close_of(c.last_trade_date)


def is_monthly(d: date) -> bool:
    """True for the third Friday of its month (or the Thursday before it, a holiday)."""
    f = d if d.weekday() == 4 else d + timedelta(days=1)
    return 15 <= f.day <= 21


def occ_symbol(root: str, expiry: date, right: str, strike: float) -> str:
    """OCC option symbol: root padded to 6, yymmdd, C/P, strike x 1000 on 8 digits."""
    return f"{root:<6}{expiry:%y%m%d}{right}{int(round(strike * 1000)):08d}"


def parse_expiry(text: str) -> date | None:
    """A lastTradeDateOrContractMonth "YYYYMMDD" (or "YYYYMMDD HH:MM tz") as a date; None for
    "", a month "YYYYMM" is returned as None too (matched by prefix in ``OptionChains.lookup``)."""
    t = (text or "").strip().split(" ")[0]
    if len(t) != 8 or not t.isdigit():
        return None
    try:
        return date(int(t[:4]), int(t[4:6]), int(t[6:]))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Underlying:
    """An optionable stock: its index (conId band), contract and reference price (USD)."""

    index: int
    contract: SimContract
    ref_price: float
    vol: float


class OptionChains:
    """The listed options of every underlying, built lazily per underlying and New York day.

    ``spot(conId)`` gives the underlying's current price; ``underlyings`` the optionable
    stocks. Contracts once built stay resolvable by conId for the process's life (positions
    and orders keep working on an expired or de-listed strike until settled).
    """

    def __init__(self, underlyings: list[Underlying], spot):
        self._under = {u.contract.con_id: u for u in underlyings}
        self._by_symbol = {u.contract.symbol: u for u in underlyings}
        self._by_index = {u.index: u for u in underlyings}
        self._spot = spot
        self._chains: dict[tuple[int, date], list[SimContract]] = {}
        self._known: dict[int, SimContract] = {}

    @classmethod
    def default(cls, contracts: list[SimContract], params: dict[int, tuple[float, float]], spot) -> "OptionChains":
        """Chains on the default stocks found among ``contracts`` (``params``: conId ->
        (reference price, annual vol))."""
        order = {row[0]: i for i, row in enumerate(_STOCKS)}
        unders = [Underlying(order[c.symbol], c, *params[c.con_id]) for c in contracts
                  if c.sec_type == "STK" and c.symbol in order and c.con_id == _STOCKS[order[c.symbol]][1]]
        return cls(unders, spot)

    def underlying(self, con_id: int) -> Underlying | None:
        return self._under.get(con_id)

    def underlying_of(self, c: SimContract) -> Underlying:
        return self._under[c.under_con_id]

    def is_option(self, con_id: int) -> bool:
        return OPTION_CON_ID_BASE <= con_id < OPTION_CON_ID_BASE + _BAND * 100

    def chain(self, u: Underlying, now: float) -> list[SimContract]:
        """Every listed option of ``u`` at ``now`` (sorted by expiry, strike, right)."""
        key = (u.contract.con_id, ny_date(now))
        got = self._chains.get(key)
        if got is not None:
            return [c for c in got if expires_at(c) > now]
        spot = self._spot(u.contract.con_id)
        strikes = sorted(set(strike_grid(u.ref_price, 0.7, 1.3)) | set(strike_grid(spot, 0.8, 1.2)))
        out: list[SimContract] = []
        taken = {cid for cid, c in self._known.items() if c.under_con_id != u.contract.con_id}
        for e in expiries(now):
            for k in strikes:
                for r in ("C", "P"):
                    occ = occ_symbol(u.contract.symbol, e, r, k)
                    cid = self._con_id(u, occ, taken)
                    taken.add(cid)
                    old = self._known.get(cid)
                    c = old if old is not None and old.local_symbol == occ else self._make(u, e, k, r, occ, cid)
                    self._known[cid] = c
                    out.append(c)
        self._chains = {k: v for k, v in self._chains.items() if k[1] == key[1]}
        self._chains[key] = out
        return list(out)

    def _con_id(self, u: Underlying, occ: str, taken: set[int]) -> int:
        base = OPTION_CON_ID_BASE + _BAND * u.index
        off = zlib.crc32(occ.encode()) % _BAND
        cid = base + off
        while cid in taken or (cid in self._known and self._known[cid].local_symbol != occ):
            off = (off + 1) % _BAND
            cid = base + off
        return cid

    @staticmethod
    def _make(u: Underlying, e: date, k: float, r: str, occ: str, cid: int) -> SimContract:
        s = u.contract
        return SimContract(
            con_id=cid, symbol=s.symbol, sec_type=OPT, exchange="SMART", primary_exchange="",
            currency="USD", local_symbol=occ, trading_class=s.symbol, min_tick=0.01,
            long_name=s.long_name, industry=s.industry, category=s.category, time_zone_id="US/Eastern",
            trading_hours=s.liquid_hours, liquid_hours=s.liquid_hours,
            valid_exchanges="SMART,AMEX,CBOE,PHLX,PSE,ISE,BOX,BATS,NASDAQOM,CBOE2,MIAX,EDGX,GEMINI,MERCURY,PEARL,EMERALD",
            order_types="LMT,MKT,STP,STP LMT,TRAIL,TRAIL LIMIT,MIT,LIT",
            market_rule_ids="32" if s.symbol in PENNY_ALL else "110",
            stock_type="", last_trade_date=f"{e:%Y%m%d}", strike=float(k), right=r,
            multiplier=MULTIPLIER, under_con_id=s.con_id, under_symbol=s.symbol, under_sec_type="STK")

    def contract(self, con_id: int, now: float) -> SimContract:
        """The option with ``con_id`` (built on demand). SimError 200 if no such option."""
        c = self._known.get(con_id)
        if c is None and self.is_option(con_id):
            u = self._by_index.get((con_id - OPTION_CON_ID_BASE) // _BAND)
            if u is not None:
                self.chain(u, now)
                c = self._known.get(con_id) or self._listed_before(u, con_id, now)
        if c is None:
            raise SimError(200, _NO_DEF)
        return c

    def _listed_before(self, u: Underlying, con_id: int, now: float) -> SimContract | None:
        """An option of ``u`` listed in the last HORIZON_DAYS but not today (expired, e.g. while
        the gateway was stopped with a position in it, ``--state``): the expiries of each
        earlier week on the reference-price strike grid (strikes added around a later price
        are not found this way)."""
        strikes = strike_grid(u.ref_price, 0.7, 1.3)
        for weeks in range(1, HORIZON_DAYS // 7 + 2):
            for e in expiries(now - weeks * 7 * 86400):
                for k in strikes:
                    for r in ("C", "P"):
                        occ = occ_symbol(u.contract.symbol, e, r, k)
                        if OPTION_CON_ID_BASE + _BAND * u.index + zlib.crc32(occ.encode()) % _BAND == con_id:
                            c = self._make(u, e, k, r, occ, con_id)
                            self._known[con_id] = c
                            return c
        return None

    def known(self, con_id: int) -> SimContract | None:
        """An option already built (no chain is built); None otherwise."""
        return self._known.get(con_id)

    def lookup(self, now: float, *, symbol: str = "", expiry: str = "", strike: float = 0.0, right: str = "",
               local_symbol: str = "", trading_class: str = "", multiplier: str = "") -> list[SimContract]:
        """reqContractDetails for secType OPT: every listed option matching the given fields
        (an empty field matches all, as TWS answers a partial option contract; ``expiry``
        "YYYYMM" matches the month). ``local_symbol`` alone (OCC form) also selects."""
        loc = " ".join(local_symbol.split()).upper()
        sym = symbol.strip().upper() or (local_symbol[:6].strip().upper() if local_symbol else "")
        u = self._by_symbol.get(sym)
        if u is None:
            return []
        r = right.strip().upper()[:1]
        exp = expiry.strip().split(" ")[0]
        out = []
        for c in self.chain(u, now):
            if loc and " ".join(c.local_symbol.split()).upper() != loc:
                continue
            if exp and not c.last_trade_date.startswith(exp):
                continue
            if strike and abs(c.strike - strike) > 1e-6:
                continue
            if r and c.right != r:
                continue
            if trading_class and trading_class.strip().upper() != c.trading_class:
                continue
            if multiplier and multiplier.strip() not in ("", MULTIPLIER):
                continue
            out.append(c)
        return out

    def sec_def_params(self, symbol: str, under_con_id: int, now: float) -> tuple[Underlying, list[str], list[float]]:
        """reqSecDefOptParams: (underlying, expirations "YYYYMMDD", strikes) of the stock
        ``symbol`` (and ``under_con_id`` when non-zero). SimError 200 for a stock without options."""
        u = self._under.get(under_con_id) if under_con_id else self._by_symbol.get(symbol.strip().upper())
        if u is None or (symbol and u.contract.symbol != symbol.strip().upper()):
            raise SimError(200, _NO_DEF)
        ch = self.chain(u, now)
        return u, sorted({c.last_trade_date for c in ch}), sorted({c.strike for c in ch})


def tick_for(c: SimContract, price: float) -> float:
    """Quote increment: 0.01 below 3.00 and 0.05 from 3.00; SPY / QQQ 0.01 at every price."""
    if c.symbol in PENNY_ALL or price < 3.0:
        return 0.01
    return 0.05


def on_option_tick(c: SimContract, value: float) -> float:
    """A model ``value`` of option ``c`` as a price: on its tick (:func:`tick_for`), at least
    0.01, two decimals (its last, its close, its historical bars)."""
    tick = tick_for(c, value)
    return round(max(round(value / tick) * tick, 0.01), 2)


@dataclass(frozen=True, slots=True)
class Computation:
    """One tickOptionComputation: implied vol (None = not computed), greeks at that vol,
    the option price it refers to, PV of dividends and the underlying price."""

    implied_vol: float | None
    delta: float | None
    opt_price: float | None
    pv_dividend: float
    gamma: float | None
    vega: float | None
    theta: float | None
    und_price: float


class OptionQuoter:
    """Model values, smiles and quotes of options (formulas in the module docstring)."""

    def __init__(self, chains: OptionChains, seed: int = 7):
        self.chains = chains
        self.seed = seed

    @staticmethod
    def years(c: SimContract, now: float) -> float:
        """Years (ACT/365) from ``now`` to the option's 16:00 New York expiry, >= 0."""
        return max(0.0, (expiry_close(parse_expiry(c.last_trade_date)) - now) / YEAR)

    def _phase(self, u: Underlying, k: int) -> float:
        return (zlib.crc32(f"{self.seed}:{u.contract.symbol}:{k}".encode()) % 6283) / 1000.0

    def vol(self, c: SimContract, spot: float, now: float) -> float:
        """The smile's volatility for option ``c`` at underlying price ``spot`` and time ``now``."""
        u = self.chains.underlying_of(c)
        t = max(self.years(c, now), 1.0 / 52.0)
        q = DIV_YIELD.get(u.contract.symbol, 0.0)
        fwd = spot * math.exp((RATE - q) * t)
        x = math.log(c.strike / fwd)
        atm = u.vol * (1.0 + 0.08 * math.sin(2 * math.pi * now / (3 * 86400) + self._phase(u, 1)))
        skew = -0.12 * (1.0 + 0.3 * math.sin(2 * math.pi * now / (5 * 86400) + self._phase(u, 2)))
        v = atm * (1.0 + skew * x / math.sqrt(t) + CURVATURE * x * x / t)
        return min(max(v, 0.05), 3.0)

    def greeks(self, c: SimContract, spot: float, now: float, vol: float | None = None) -> Greeks:
        """BSM value and greeks of ``c`` at ``spot``; ``vol`` None = the smile's."""
        q = DIV_YIELD.get(c.under_symbol, 0.0)
        v = self.vol(c, spot, now) if vol is None else vol
        return bsm(spot, c.strike, self.years(c, now), RATE, q, v, c.right)

    def quote(self, c: SimContract, spot: float, now: float) -> TopOfBook:
        """Bid / ask / sizes around the model value (see the module docstring)."""
        g = self.greeks(c, spot, now)
        value = g.price
        tick = tick_for(c, value)
        t = max(self.years(c, now), 1e-6)
        v = self.vol(c, spot, now)
        z = abs(math.log(c.strike / spot)) / (v * math.sqrt(t))
        width = tick * (1.0 + min(z, 6.0)) + 0.015 * value
        bid = math.floor((value - width / 2) / tick + 1e-9) * tick
        ask = math.ceil((value + width / 2) / tick - 1e-9) * tick
        bid = round(max(bid, 0.0), 2)
        ask = round(max(ask, bid + tick, 0.01), 2)
        h = zlib.crc32(f"{c.con_id}:{int(now // 60)}".encode())
        last = on_option_tick(c, value)
        return TopOfBook(bid=bid, ask=ask, last=last, bid_size=float(1 + h % 99),
                         ask_size=float(1 + (h >> 8) % 99), last_size=1.0, volume=0.0,
                         high=None, low=None, open=None, close=None, time=now)

    def computation(self, c: SimContract, spot: float, now: float, price: float | None) -> Computation:
        """tickOptionComputation for a market ``price`` of ``c`` (bid / ask / last): the implied
        vol of that price and the greeks at it; ``price`` None = the model (smile) values."""
        q = DIV_YIELD.get(c.under_symbol, 0.0)
        t = self.years(c, now)
        pvd = pv_dividend(spot, t, q)
        if price is None:
            v = self.vol(c, spot, now)
            g = self.greeks(c, spot, now, v)
            return Computation(v, g.delta, g.price, pvd, g.gamma, g.vega, g.theta, spot)
        iv = implied_vol(price, spot, c.strike, t, RATE, q, c.right) if price > 0 else None
        if iv is None:
            return Computation(None, None, price, pvd, None, None, None, spot)
        g = bsm(spot, c.strike, t, RATE, q, iv, c.right)
        return Computation(iv, g.delta, price, pvd, g.gamma, g.vega, g.theta, spot)
