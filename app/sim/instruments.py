"""The simulated gateway's instrument universe, contract lookup and trading calendar.

* ``DEFAULT_UNIVERSE``: 20 US stocks/ETFs with their real IB conIds and primary
  exchanges, plus the FX pairs EUR.USD, GBP.USD and USD.JPY on IDEALPRO. Each
  comes with model parameters (reference price in USD/quote currency, annual
  volatility, average daily volume in shares) used by the market model.
* ``universe(n)``: the default instruments followed by generated stocks ``S0001``...
  (``--universe N``, load tests with hundreds of symbols).
* ``match_contracts``: IB's contract matching rules (conId wins; otherwise symbol,
  case-insensitive, with optional secType/currency/exchange filters; FX also by
  localSymbol "EUR.USD"), as reqContractDetails answers them.
* Calendar (all times POSIX seconds UTC; sessions in America/New_York):
  stocks trade 04:00-20:00 Mon-Fri with regular trading hours (RTH)
  09:30-16:00; FX trades 24h from Sunday 17:00 to Friday 17:00 New York, and an
  FX trading date is the date on which its 17:00 session ends (IB convention).
  US stock holidays (NYSE calendar, ``holidays`` package) are closed days.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from app.sim.types import SimContract

NY = ZoneInfo("America/New_York")

STOCK = "STK"
CASH = "CASH"
FUT = "FUT"


@dataclass(frozen=True, slots=True)
class ModelParams:
    """Market-model parameters of one instrument.

    ``price``: reference price (instrument currency) around which the seeded
    path starts; ``annual_vol``: annualised volatility (0.25 = 25 %);
    ``adv``: average daily volume in shares (FX: base-currency units).
    """

    price: float
    annual_vol: float
    adv: float


@dataclass(frozen=True, slots=True)
class SimInstrument:
    """A contract plus its model parameters."""

    contract: SimContract
    params: ModelParams

    @property
    def con_id(self) -> int:
        return self.contract.con_id

    @property
    def is_fx(self) -> bool:
        return self.contract.sec_type == CASH

    @property
    def min_tick(self) -> float:
        return self.contract.min_tick

    @property
    def round_the_clock(self) -> bool:
        """True for FX and futures: orders work in the whole session, not only regular hours."""
        return self.contract.sec_type in (CASH, FUT)

    @property
    def lot(self) -> float:
        """Size unit of quotes and prints: FX 100,000 base units, futures 1 contract, stocks 100."""
        return 100_000.0 if self.is_fx else (1.0 if self.contract.sec_type == FUT else 100.0)


# symbol, conId, primary exchange, long name, industry, category, price, vol, ADV, stock type
_STOCKS: tuple[tuple, ...] = (
    ("AAPL", 265598, "NASDAQ", "APPLE INC", "Technology", "Computers", 230.0, 0.25, 50e6, "COMMON"),
    ("MSFT", 272093, "NASDAQ", "MICROSOFT CORP", "Technology", "Software", 420.0, 0.22, 20e6, "COMMON"),
    ("GOOG", 208813720, "NASDAQ", "ALPHABET INC-CL C", "Communications", "Internet", 170.0, 0.28, 20e6, "COMMON"),
    ("AMZN", 3691937, "NASDAQ", "AMAZON.COM INC", "Communications", "Internet", 200.0, 0.30, 40e6, "COMMON"),
    ("NVDA", 4815747, "NASDAQ", "NVIDIA CORP", "Technology", "Semiconductors", 130.0, 0.50, 250e6, "COMMON"),
    ("META", 107113386, "NASDAQ", "META PLATFORMS INC-CLASS A", "Communications", "Internet", 580.0, 0.35, 12e6, "COMMON"),
    ("TSLA", 76792991, "NASDAQ", "TESLA INC", "Consumer, Cyclical", "Auto Manufacturers", 250.0, 0.60, 90e6, "COMMON"),
    ("SPY", 756733, "ARCA", "SPDR S&P 500 ETF TRUST", "Funds", "Equity Fund", 580.0, 0.15, 60e6, "ETF"),
    ("QQQ", 320227571, "NASDAQ", "INVESCO QQQ TRUST SERIES 1", "Funds", "Equity Fund", 500.0, 0.20, 35e6, "ETF"),
    ("IBM", 8314, "NYSE", "INTL BUSINESS MACHINES CORP", "Technology", "Computers", 220.0, 0.25, 4e6, "COMMON"),
    ("JPM", 1520593, "NYSE", "JPMORGAN CHASE & CO", "Financial", "Banks", 240.0, 0.22, 9e6, "COMMON"),
    ("V", 49462172, "NYSE", "VISA INC-CLASS A SHARES", "Financial", "Diversified Finan Serv", 300.0, 0.20, 7e6, "COMMON"),
    ("XOM", 13977, "NYSE", "EXXON MOBIL CORP", "Energy", "Oil&Gas", 115.0, 0.22, 15e6, "COMMON"),
    ("KO", 8894, "NYSE", "COCA-COLA CO/THE", "Consumer, Non-cyclical", "Beverages", 70.0, 0.15, 14e6, "COMMON"),
    ("DIS", 6459, "NYSE", "WALT DISNEY CO/THE", "Communications", "Media", 110.0, 0.25, 9e6, "COMMON"),
    ("NFLX", 15124833, "NASDAQ", "NETFLIX INC", "Communications", "Internet", 110.0, 0.35, 30e6, "COMMON"),
    ("AMD", 4391, "NASDAQ", "ADVANCED MICRO DEVICES", "Technology", "Semiconductors", 160.0, 0.50, 45e6, "COMMON"),
    ("INTC", 270639, "NASDAQ", "INTEL CORP", "Technology", "Semiconductors", 35.0, 0.45, 80e6, "COMMON"),
    ("BA", 4762, "NYSE", "BOEING CO/THE", "Industrial", "Aerospace/Defense", 200.0, 0.35, 8e6, "COMMON"),
    ("WMT", 13824, "NYSE", "WALMART INC", "Consumer, Non-cyclical", "Retail", 100.0, 0.18, 15e6, "COMMON"),
)

# base, quote, conId, minTick, price, vol, ADV (base units)
_FX: tuple[tuple, ...] = (
    ("EUR", "USD", 12087792, 0.00005, 1.0800, 0.07, 5e9),
    ("GBP", "USD", 12087797, 0.00005, 1.2700, 0.08, 3e9),
    ("USD", "JPY", 15016059, 0.005, 150.00, 0.10, 4e9),
)


def stock_contract(symbol: str, con_id: int, primary: str, long_name: str, industry: str = "",
                   category: str = "", stock_type: str = "COMMON", *, now: float | None = None) -> SimContract:
    """A SMART-routed USD stock contract with minTick 0.01 and IB-style trading hours."""
    return SimContract(
        con_id=con_id, symbol=symbol, sec_type=STOCK, exchange="SMART", primary_exchange=primary,
        currency="USD", local_symbol=symbol, trading_class="NMS" if primary != "ARCA" else symbol,
        min_tick=0.01, long_name=long_name, industry=industry, category=category,
        time_zone_id="US/Eastern",
        trading_hours=trading_hours_string(STOCK, now, rth=False) if now is not None else "",
        liquid_hours=trading_hours_string(STOCK, now, rth=True) if now is not None else "",
        valid_exchanges=f"SMART,{primary}", stock_type=stock_type,
        order_types="LMT,MKT,STP,STP LMT,TRAIL,TRAIL LIMIT,MOC,LOC,MIT,LIT",
    )


_CCY_NAMES = {"EUR": "European Monetary Union Euro", "GBP": "British pound", "USD": "US dollar",
              "JPY": "Japanese yen", "CHF": "Swiss franc", "CAD": "Canadian dollar",
              "AUD": "Australian dollar", "NZD": "New Zealand dollar"}


def fx_contract(base: str, quote: str, con_id: int, min_tick: float, *, now: float | None = None) -> SimContract:
    """An IDEALPRO cash pair (symbol = base currency, currency = quote currency)."""
    hours = trading_hours_string(CASH, now, rth=False) if now is not None else ""
    return SimContract(
        con_id=con_id, symbol=base, sec_type=CASH, exchange="IDEALPRO", primary_exchange="",
        currency=quote, local_symbol=f"{base}.{quote}", trading_class=f"{base}.{quote}",
        min_tick=min_tick, long_name=_CCY_NAMES.get(base, base),
        industry="", category="", time_zone_id="US/Eastern", trading_hours=hours, liquid_hours=hours,
        valid_exchanges="IDEALPRO", order_types="LMT,MKT,STP,STP LMT,TRAIL,TRAIL LIMIT,MIT,LIT",
        market_rule_ids="62" if min_tick >= 0.001 else "239",
        stock_type="",
    )


def default_universe(now: float | None = None) -> list[SimInstrument]:
    """The default instruments (20 stocks/ETFs, 3 FX pairs); ``now`` fills trading hours."""
    out = [SimInstrument(stock_contract(s, cid, px, ln, ind, cat, st, now=now), ModelParams(p, vol, adv))
           for (s, cid, px, ln, ind, cat, p, vol, adv, st) in _STOCKS]
    out += [SimInstrument(fx_contract(b, q, cid, tick, now=now), ModelParams(p, vol, adv))
            for (b, q, cid, tick, p, vol, adv) in _FX]
    return out


#: largest ``universe(n)`` (``--universe``): default instruments plus generated stocks
MAX_UNIVERSE = 5000
#: conId of generated stock ``S0001`` (``SYNTH_CON_ID_BASE + 1``); below new_stock_con_id's 900,000,000
SYNTH_CON_ID_BASE = 800_000_000


@lru_cache(maxsize=1)
def _synthetic_params() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(price USD, annual vol, ADV shares) of generated stocks 1..MAX_UNIVERSE (index k-1), drawn
    once from a fixed seed so ``universe(n)`` is a prefix of ``universe(m)`` for n < m: price
    log-uniform 5..500 rounded to the cent, vol uniform 0.15..0.70, ADV log-uniform 2e5..5e7
    rounded to 1,000 shares."""
    rng = np.random.default_rng(20_260_112)
    price = np.round(np.exp(rng.uniform(math.log(5.0), math.log(500.0), MAX_UNIVERSE)), 2)
    vol = np.round(rng.uniform(0.15, 0.70, MAX_UNIVERSE), 3)
    adv = np.round(np.exp(rng.uniform(math.log(2e5), math.log(5e7), MAX_UNIVERSE)), -3)
    return price, vol, adv


def check_universe(n: int) -> int:
    """``n`` as a universe size; ValueError unless 0 <= n <= MAX_UNIVERSE."""
    n = int(n)
    if not 0 <= n <= MAX_UNIVERSE:
        raise ValueError(f"universe size must be in 0..{MAX_UNIVERSE}, got {n}")
    return n


def universe(n: int, now: float | None = None) -> list[SimInstrument]:
    """The instruments of an exchange built with ``universe=n``, in order: the 23 default ones
    (:func:`default_universe`), then generated NASDAQ stocks ``S0001``, ``S0002``, ... (SMART,
    USD, conId ``SYNTH_CON_ID_BASE + k``, long name "Synthetic Stock 0001") up to ``n`` in total.
    ``n`` <= 23 (0 included) gives the default 23. Prices in USD, vol annualised, ADV in shares,
    all deterministic (a fixed seed, independent of the market seed). ``now`` (POSIX s) fills
    trading hours. ValueError for n outside 0..MAX_UNIVERSE."""
    n = check_universe(n)
    out = default_universe(now)
    price, vol, adv = _synthetic_params()
    for k in range(1, n - len(out) + 1):
        c = stock_contract(f"S{k:04d}", SYNTH_CON_ID_BASE + k, "NASDAQ", f"Synthetic Stock {k:04d}",
                           "Synthetic", "Synthetic", now=now)
        out.append(SimInstrument(c, ModelParams(float(price[k - 1]), float(vol[k - 1]), float(adv[k - 1]))))
    return out


def new_stock_con_id(symbol: str, taken: set[int]) -> int:
    """A deterministic, unused conId for a stock found only in a replay folder."""
    h = 0
    for ch in symbol.upper():
        h = (h * 131 + ord(ch)) % 900_000_000
    cid = 900_000_000 + h
    while cid in taken:
        cid += 1
    return cid


def match_contracts(contracts: list[SimContract], *, con_id: int = 0, symbol: str = "", sec_type: str = "",
                    currency: str = "", exchange: str = "", local_symbol: str = "") -> list[SimContract]:
    """IB's reqContractDetails matching.

    A non-zero ``con_id`` wins (other fields ignored). Otherwise ``symbol``
    (case-insensitive) or, for FX, ``local_symbol`` ("EUR.USD") selects, and
    ``sec_type``/``currency``/``exchange`` filter when given. Exchange
    "SMART" matches stocks (and their primary exchange matches too),
    "IDEALPRO" matches FX. Returns [] when nothing matches.
    """
    if con_id:
        return [c for c in contracts if c.con_id == con_id]
    sym = symbol.strip().upper()
    loc = local_symbol.strip().upper()
    if not sym and not loc:
        return []
    out = []
    for c in contracts:
        if sym and c.symbol.upper() != sym and c.local_symbol.upper() != sym:
            continue
        if loc and c.local_symbol.upper() != loc:
            continue
        if sec_type and sec_type.upper() != c.sec_type:
            continue
        if currency and currency.upper() != c.currency.upper():
            continue
        if exchange:
            ex = exchange.upper()
            ok = ex == c.exchange or (c.sec_type == STOCK and ex == c.primary_exchange.upper())
            if not ok:
                continue
        out.append(c)
    return out


# ---------------------------------------------------------------- calendar

@lru_cache(maxsize=8192)
def _ny_midnight(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=NY).timestamp()


def ny_date(t: float) -> date:
    """The New York calendar date of POSIX time ``t``."""
    return datetime.fromtimestamp(t, NY).date()


def trading_date(kind: str, t: float) -> date:
    """The trading date ``t`` belongs to (FX: sessions end 17:00 NY, so evening counts for next day;
    futures "FUT": sessions open 18:00 NY, so from then on it is the next day)."""
    if kind == CASH:
        return ny_date(t + 7 * 3600)
    if kind == FUT:
        return ny_date(t + 6 * 3600)
    return ny_date(t)


try:  # NYSE full-day closures from the ``holidays`` package (financial calendar "NYSE")
    import holidays as _holidays

    _NYSE = _holidays.financial_holidays("NYSE")
except ImportError:  # pragma: no cover - dependency missing: weekends only
    _NYSE = None
    logging.getLogger(__name__).warning("package 'holidays' missing: US stock holidays are not modelled")


def is_stock_holiday(d: date) -> bool:
    """True if US stock exchanges are closed all day on ``d`` (NYSE holiday calendar)."""
    return _NYSE is not None and d in _NYSE


@lru_cache(maxsize=4096)
def session_bounds(kind: str, d: date) -> tuple[float, float, float, float] | None:
    """(open, close, rth_open, rth_close) POSIX seconds for trading date ``d``; None if closed.

    Stocks: 04:00-20:00, RTH 09:30-16:00 NY, Mon-Fri except NYSE holidays (``holidays``
    package, NYSE financial calendar; early 13:00 closes are not modelled). FX:
    (d-1) 17:00 - d 17:00 NY, Mon-Fri; RTH = the whole session. Futures ("FUT", CME Globex):
    (d-1) 18:00 - d 17:00 NY (17:00-16:00 Central), Mon-Fri except NYSE holidays, RTH
    09:30-16:00 NY (08:30-15:00 Central).
    """
    if d.weekday() >= 5:
        return None
    if kind != CASH and is_stock_holiday(d):
        return None
    if kind == FUT:
        prev = d - timedelta(days=1)
        o = datetime(prev.year, prev.month, prev.day, 18, tzinfo=NY).timestamp()
        c = datetime(d.year, d.month, d.day, 17, tzinfo=NY).timestamp()
        return (o, c, datetime(d.year, d.month, d.day, 9, 30, tzinfo=NY).timestamp(),
                datetime(d.year, d.month, d.day, 16, tzinfo=NY).timestamp())
    if kind == CASH:
        prev = d - timedelta(days=1)
        o = datetime(prev.year, prev.month, prev.day, 17, tzinfo=NY).timestamp()
        c = datetime(d.year, d.month, d.day, 17, tzinfo=NY).timestamp()
        return (o, c, o, c)
    def at(h: int, m: int = 0) -> float:
        return datetime(d.year, d.month, d.day, h, m, tzinfo=NY).timestamp()

    return (at(4), at(20), at(9, 30), at(16))


def is_open(kind: str, t: float, rth: bool = False) -> bool:
    """True if the instrument kind trades at ``t`` (``rth``: regular hours only; options "OPT"
    trade in regular hours only, 09:30-16:00 New York, whatever ``rth`` says)."""
    b = session_bounds(kind, trading_date(kind, t))
    if b is None:
        return False
    lo, hi = (b[2], b[3]) if rth or kind == "OPT" else (b[0], b[1])
    return lo <= t < hi


def day_midnight(d: date) -> float:
    """POSIX seconds of 00:00 New York on ``d`` (the time stamp of daily bars)."""
    return _ny_midnight(d)


def next_session_close(kind: str, t: float, rth: bool) -> float:
    """The close of the session trading at ``t``, or of the next session if closed at ``t``.

    Used for DAY order expiry (stocks: 16:00 RTH close, or 20:00 for outsideRth
    orders; FX: 17:00 NY).
    """
    d = trading_date(kind, t)
    for _ in range(10):
        b = session_bounds(kind, d)
        if b is not None:
            close = b[3] if rth else b[1]
            if t < close:
                return close
        d += timedelta(days=1)
    raise AssertionError("no session within 10 days")  # pragma: no cover


def trading_hours_string(kind: str, now: float | None, *, rth: bool, days: int = 6, tz: ZoneInfo = NY) -> str:
    """IB's tradingHours/liquidHours format, e.g. ``20260123:0930-20260123:1600;20260124:CLOSED``,
    in time zone ``tz`` (New York; futures give Central time)."""
    if now is None or not math.isfinite(now):
        return ""
    start = trading_date(kind, now)
    parts = []
    for i in range(days):
        d = start + timedelta(days=i)
        b = session_bounds(kind, d)
        if b is None:
            parts.append(f"{d:%Y%m%d}:CLOSED")
            continue
        lo, hi = (b[2], b[3]) if rth else (b[0], b[1])
        a, z = datetime.fromtimestamp(lo, tz), datetime.fromtimestamp(hi, tz)
        parts.append(f"{a:%Y%m%d:%H%M}-{z:%Y%m%d:%H%M}")
    return ";".join(parts)
