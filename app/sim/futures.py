"""Futures of the simulated gateway: ES, NQ (CME), CL (NYMEX), GC (COMEX).

**Contracts** (IB "Futures" contract conventions): secType FUT, currency USD, trading class =
the root, local symbol = root + CME month code + last digit of the year (``ESZ6``, ``CLF7``,
``GCG7``), multiplier and minimum tick from CME's contract specifications:

====  ========  ==========  =====  ====================================================
root  exchange  multiplier  tick   listed months (from the simulated clock at start)
====  ========  ==========  =====  ====================================================
ES    CME       50          0.25   next ``QUARTERLY_LISTED`` of Mar / Jun / Sep / Dec
NQ    CME       20          0.25   next ``QUARTERLY_LISTED`` of Mar / Jun / Sep / Dec
CL    NYMEX     1000        0.01   next ``MONTHLY_LISTED`` months
GC    COMEX     100         0.10   next ``MONTHLY_LISTED`` months
====  ========  ==========  =====  ====================================================

**Last trading days** (approximations of the CME Group rulebooks; a business day is a
weekday that is not an NYSE holiday, CME's own holiday calendar is not modelled):

* ES / NQ (CME Rulebook ch. 358 / 359 "Termination of Trading"): the third Friday of the
  contract month (the business day before if it is a holiday), trading ends 08:30 CT;
* CL (NYMEX Rulebook ch. 200, 200102.F): three business days before the 25th calendar day
  of the month *before* the contract month (four if the 25th is not a business day),
  trading ends 13:30 CT (so CLF7, January 2027, stops trading around 17 December 2026);
* GC (COMEX Rulebook ch. 113, 113102.C): the third-last business day of the contract month,
  trading ends 12:30 CT.

**Trading hours** (CME Globex): Sunday-Friday 17:00-16:00 Central time with a daily break
16:00-17:00 CT, i.e. 18:00 New York the day before to 17:00 New York (``instruments``
session kind "FUT"); ``liquidHours`` (regular hours) 08:30-15:00 CT. Contract details give
them in ``US/Central`` as a real TWS does for CME products. NYSE holidays are closed days
(CME trades shortened sessions on most of them: not modelled).

**conIds**: ``FUTURE_CON_ID_BASE + 1,000,000 x (index of the root) + 100 x year + month``
(ESZ6 = 1,800,202,612), stable across runs and restarts.

**Margin** (initial / maintenance per contract, USD): approximate CME performance bonds of
2025 as IB charges them (IB "Futures margin requirements", cmegroup.com/clearing/margins;
the real figures change often): ES 23,000 / 21,000, NQ 33,000 / 30,000, CL 6,200 / 5,600,
GC 16,500 / 15,000. **Commissions** (IB Pro fixed, US futures, interactivebrokers.com
"Commissions Futures"): USD 0.85 per contract + exchange fee (approximate non-member fees:
CME E-mini 1.38, NYMEX CL 1.50, COMEX GC 1.50) + NFA regulatory fee 0.02.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.sim.instruments import ModelParams, SimInstrument, is_stock_holiday, trading_hours_string
from app.sim.types import SimContract

FUT = "FUT"
CT = ZoneInfo("America/Chicago")
FUTURE_CON_ID_BASE = 1_800_000_000
_ROOT_BAND = 1_000_000
QUARTERLY_LISTED = 4
MONTHLY_LISTED = 6
MONTH_CODES = "FGHJKMNQUVXZ"
#: IB Pro fixed commission per US futures contract (USD) and the NFA regulatory fee
FUT_PER_CONTRACT = 0.85
NFA_FEE = 0.02
_NO_DEF = "No security definition has been found for the request"


@dataclass(frozen=True, slots=True)
class Root:
    """One futures product: its model parameters and contract terms."""

    index: int
    symbol: str
    exchange: str
    multiplier: str
    tick: float
    long_name: str
    quarterly: bool
    last_time: str          # last trading time on the last trading day, Central time "HH:MM"
    price: float            # reference price of the front contract
    vol: float              # annual volatility of the model
    adv: float              # average daily volume of the front contract, contracts
    carry: float            # annual carry: a contract T years out is priced x exp(carry x T)
    init_margin: float      # USD per contract
    maint_margin: float
    exchange_fee: float     # USD per contract
    under_sec_type: str
    market_rule: str


#: the SPY / QQQ reference prices of ``instruments._STOCKS`` (580, 500) x about 10.35 / 41.2,
#: the ES / SPY and NQ / QQQ ratios of 2025
ROOTS: tuple[Root, ...] = (
    Root(0, "ES", "CME", "50", 0.25, "E-mini S&P 500", True, "08:30", 6000.0, 0.15, 1.5e6, 0.03,
         23_000.0, 21_000.0, 1.38, "IND", "67"),
    Root(1, "NQ", "CME", "20", 0.25, "E-mini NASDAQ 100", True, "08:30", 20600.0, 0.20, 5e5, 0.034,
         33_000.0, 30_000.0, 1.38, "IND", "67"),
    Root(2, "CL", "NYMEX", "1000", 0.01, "Light Sweet Crude Oil", False, "13:30", 70.0, 0.32, 3e5, -0.02,
         6_200.0, 5_600.0, 1.50, "CMDTY", "32"),
    Root(3, "GC", "COMEX", "100", 0.10, "Gold", False, "12:30", 2600.0, 0.15, 2e5, 0.04,
         16_500.0, 15_000.0, 1.50, "CMDTY", "41"),
)
_BY_SYMBOL = {r.symbol: r for r in ROOTS}


def root(symbol: str) -> Root | None:
    """The futures root ``symbol`` ("ES", "NQ", "CL", "GC"), None for another symbol."""
    return _BY_SYMBOL.get((symbol or "").strip().upper())


def is_business_day(d: date) -> bool:
    """A weekday that is not an NYSE holiday (approximation of CME's calendar)."""
    return d.weekday() < 5 and not is_stock_holiday(d)


def _prev_business(d: date) -> date:
    while not is_business_day(d):
        d -= timedelta(days=1)
    return d


def third_friday(year: int, month: int) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(4 - d.weekday()) % 7 + 14)


@lru_cache(maxsize=512)
def last_trading_day(symbol: str, year: int, month: int) -> date:
    """Last trading day of the ``symbol`` contract of ``year``-``month`` (rules in the module
    docstring). ValueError for an unknown root."""
    r = root(symbol)
    if r is None:
        raise ValueError(f"unknown futures root {symbol!r}")
    if r.symbol in ("ES", "NQ"):
        return _prev_business(third_friday(year, month))
    if r.symbol == "CL":
        py, pm = (year, month - 1) if month > 1 else (year - 1, 12)
        d = date(py, pm, 25)
        n = 3 if is_business_day(d) else 4
        while n:
            d -= timedelta(days=1)
            if is_business_day(d):
                n -= 1
        return d
    # GC: third-last business day of the contract month
    d = date(year + (month == 12), month % 12 + 1, 1)
    n = 3
    while n:
        d -= timedelta(days=1)
        if is_business_day(d):
            n -= 1
    return d


def last_trade_ts(c: SimContract) -> float:
    """POSIX seconds of the contract's last trading moment (its last day at ``last_trade_time`` CT)."""
    return _ts(c.last_trade_date, c.last_trade_time or "16:00")


@lru_cache(maxsize=1024)
def _ts(d: str, hhmm: str) -> float:
    hh, mm = hhmm.split(":")
    return datetime(int(d[:4]), int(d[4:6]), int(d[6:8]), int(hh), int(mm), tzinfo=CT).timestamp()


def is_expired(c: SimContract, now: float) -> bool:
    """True for a future at or past its last trading moment."""
    return c.sec_type == FUT and now >= last_trade_ts(c)


def local_symbol(symbol: str, year: int, month: int) -> str:
    """``ESZ6``: root, CME month code, last digit of the year."""
    return f"{symbol}{MONTH_CODES[month - 1]}{year % 10}"


def con_id_of(r: Root, year: int, month: int) -> int:
    return FUTURE_CON_ID_BASE + _ROOT_BAND * r.index + 100 * year + month


def listed_months(r: Root, now: float) -> list[tuple[int, int]]:
    """(year, month) of the contracts of ``r`` listed at ``now``, nearest first."""
    d = datetime.fromtimestamp(now, CT).date()
    y, m = d.year, d.month
    out: list[tuple[int, int]] = []
    want = QUARTERLY_LISTED if r.quarterly else MONTHLY_LISTED
    for _ in range(40):
        if (not r.quarterly or m % 3 == 0):
            c = make_contract(r, y, m)
            if last_trade_ts(c) > now:
                out.append((y, m))
                if len(out) == want:
                    break
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


def hours(now: float | None, rth: bool) -> str:
    """tradingHours / liquidHours of a CME Globex product from ``now``, in Central time."""
    return trading_hours_string(FUT, now, rth=rth, tz=CT)


def make_contract(r: Root, year: int, month: int, now: float | None = None) -> SimContract:
    """The ``r`` contract of ``year``-``month`` (hours from ``now`` when given)."""
    ltd = last_trading_day(r.symbol, year, month)
    return SimContract(
        con_id=con_id_of(r, year, month), symbol=r.symbol, sec_type=FUT, exchange=r.exchange,
        primary_exchange="", currency="USD", local_symbol=local_symbol(r.symbol, year, month),
        trading_class=r.symbol, min_tick=r.tick, long_name=r.long_name, industry="", category="",
        time_zone_id="US/Central", trading_hours=hours(now, False), liquid_hours=hours(now, True),
        valid_exchanges=r.exchange, order_types="LMT,MKT,STP,STP LMT,TRAIL,TRAIL LIMIT,MIT,LIT",
        market_rule_ids=r.market_rule, stock_type="", last_trade_date=f"{ltd:%Y%m%d}",
        multiplier=r.multiplier, under_symbol=r.symbol, under_sec_type=r.under_sec_type,
        contract_month=f"{year:04d}{month:02d}", last_trade_time=r.last_time)


#: contracts expired this many days before the start are built too (a position held over an
#: expiry while the gateway was stopped is settled at the first step after the restart)
RECENT_DAYS = 100


def instruments(now: float) -> list[SimInstrument]:
    """Every listed future at ``now`` with its model parameters: the front contract at the
    root's reference price, later ones x exp(carry x years out); volume halves per month out.
    Contracts expired in the last RECENT_DAYS come first (resolvable by conId, never listed)."""
    out = []
    for r in ROOTS:
        listed = listed_months(r, now)
        recent = [m for m in listed_months(r, now - RECENT_DAYS * 86400.0) if m < listed[0]]
        for y, m in recent:
            c = make_contract(r, y, m, now)
            out.append(SimInstrument(c, ModelParams(r.price, r.vol, 1000.0)))
        months = listed
        for k, (y, m) in enumerate(months):
            c = make_contract(r, y, m, now)
            years = max(0.0, (last_trade_ts(c) - now) / (365.0 * 86400.0))
            px = round(r.price * math.exp(r.carry * years) / r.tick) * r.tick
            out.append(SimInstrument(c, ModelParams(px, r.vol, max(r.adv * 0.5 ** (k * (1 if r.quarterly else 0.7)),
                                                                   1000.0))))
    return out


#: index futures and the ETF whose price they follow in the market model (SPY, QQQ conIds)
LEADERS = {"ES": 756733, "NQ": 320227571}


def links(insts: list[SimInstrument]) -> dict[int, int]:
    """conId of each ES / NQ contract -> conId of SPY / QQQ (``MarketModel`` links)."""
    return {i.con_id: LEADERS[i.contract.symbol] for i in insts if i.contract.symbol in LEADERS}


def with_hours(c: SimContract, now: float) -> SimContract:
    """``c`` with its trading / liquid hours from ``now``."""
    return replace(c, trading_hours=hours(now, False), liquid_hours=hours(now, True))


def commission_of_root(symbol: str, contracts: float) -> float:
    """USD commission of ``contracts`` futures of root ``symbol`` ("ES"): IB fixed 0.85 + the
    root's exchange fee (1.50 for a root not listed here) + NFA 0.02 each, rounded to cents."""
    r = root(symbol)
    fee = r.exchange_fee if r else 1.50
    return round((FUT_PER_CONTRACT + fee + NFA_FEE) * contracts, 2)


def margin_per_contract(c: SimContract) -> tuple[float, float]:
    """(initial, maintenance) margin in USD per contract (module docstring)."""
    r = root(c.symbol)
    if r is None:
        return 0.0, 0.0
    return r.init_margin, r.maint_margin


class FutureBook:
    """The futures the gateway lists: lookups as reqContractDetails answers them."""

    def __init__(self, insts: list[SimInstrument]):
        self._by_id = {i.con_id: i.contract for i in insts}

    def is_future(self, con_id: int) -> bool:
        return con_id in self._by_id

    def contracts(self) -> list[SimContract]:
        return list(self._by_id.values())

    def get(self, con_id: int) -> SimContract | None:
        return self._by_id.get(con_id)

    def lookup(self, now: float, *, symbol: str = "", expiry: str = "", local_symbol: str = "",
               exchange: str = "", currency: str = "", multiplier: str = "",
               trading_class: str = "") -> list[SimContract]:
        """Futures matching a request (an empty field matches all): ``symbol`` or ``local_symbol``
        must be given; ``expiry`` "YYYYMM" matches the contract month, "YYYYMMDD" the last
        trading day. Expired contracts are not listed. Sorted by expiry."""
        sym = symbol.strip().upper()
        loc = local_symbol.strip().upper()
        if not sym and not loc:
            return []
        exp = expiry.strip().split(" ")[0]
        out = []
        for c in self._by_id.values():
            if is_expired(c, now):
                continue
            if sym and c.symbol != sym:
                continue
            if loc and c.local_symbol != loc:
                continue
            if exp and not (c.contract_month == exp or c.last_trade_date == exp):
                continue
            if exchange and exchange.strip().upper() not in (c.exchange, "GLOBEX", "QBALGO"):
                continue
            if currency and currency.strip().upper() != c.currency:
                continue
            if multiplier and multiplier.strip() and float(multiplier) != c.mult:
                continue
            if trading_class and trading_class.strip().upper() != c.trading_class:
                continue
            out.append(with_hours(c, now))
        return sorted(out, key=lambda c: (c.symbol, c.last_trade_date))
