"""Order-type and time-in-force rules of the simulated gateway (pure functions, no state).

Prices in instrument currency, quantities in shares (FX base units), times POSIX
seconds UTC; New York wall-clock times for sessions. Sources: IB "Order Types"
pages (MKT, LMT, STP, STP LMT, TRAIL, TRAIL LIMIT, MOC, LOC, MIT, LIT), IB "Time
in Force" (DAY, GTC, IOC, FOK, OPG, GTD), ib_async ``order.py`` attribute names.

* Triggers use the last trade price (IB's default trigger method for US stocks;
  FX has no trades, so the midpoint is used there):
  STP/STP LMT/TRAIL/TRAIL LIMIT BUY trigger when price >= stop, SELL when <= stop;
  MIT/LIT BUY trigger when price <= auxPrice (the market falls to the touch),
  SELL when price >= auxPrice.
* TRAIL: the stop follows the market by ``auxPrice`` (amount) or
  ``trailingPercent`` and never moves back (SELL stop = max(stop, price - trail),
  BUY stop = min(stop, price + trail)); ``trailStopPrice`` sets the initial stop.
  TRAIL LIMIT works a limit ``lmtPriceOffset`` beyond the stop once triggered
  (SELL: stop - offset, BUY: stop + offset).
* MOC/LOC execute in the closing auction (16:00 New York) at the closing price;
  IB's cutoff for entering them is 15:50. OPG (MKT -> MOO, LMT -> LOO) executes in
  the opening auction (09:30) of the next session. Auction orders are US-stock only.
* GTD expires at ``goodTillDate`` ("YYYYMMDD HH:MM:SS [tz]" or "YYYYMMDD-HH:MM:SS" UTC;
  no zone = US/Eastern, the simulated TWS's zone).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from app.domain.orders import is_on_tick
from app.sim.instruments import NY, SimInstrument, session_bounds, trading_date
from app.sim.futures import is_expired
from app.sim.options import tick_for
from app.sim.types import OrderTicket, SimOrder, TopOfBook

ORDER_TYPES = ("MKT", "LMT", "STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MOC", "LOC", "MIT", "LIT")
TIFS = ("DAY", "GTC", "IOC", "FOK", "OPG", "GTD")
STOP_TYPES = ("STP", "STP LMT", "TRAIL", "TRAIL LIMIT")
TOUCH_TYPES = ("MIT", "LIT")
AUCTION_CLOSE_TYPES = ("MOC", "LOC")
LIMIT_TYPES = ("LMT", "STP LMT", "TRAIL LIMIT", "LIT", "LOC")
MOC_CUTOFF = (15, 50)
_TYPE_ALIASES = {"STPLMT": "STP LMT", "STOP": "STP", "STOP LIMIT": "STP LMT", "MARKET": "MKT", "LIMIT": "LMT",
                 "TRAILLIMIT": "TRAIL LIMIT", "TRAIL LMT": "TRAIL LIMIT"}


def num(x) -> float | None:
    """A usable number, or None for IB's unset markers (None, "", NaN, inf, 1.7976931348623157E308)."""
    if x is None or x == "":
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f) or abs(f) >= 1e300:
        return None
    return f


def normalize(t: OrderTicket) -> OrderTicket:
    """Upper-cased, alias-resolved copy (orderType "STPLMT" -> "STP LMT", tif "" -> "DAY")."""
    ot = " ".join((t.order_type or "").upper().split())
    ot = _TYPE_ALIASES.get(ot, ot)
    tif = (t.tif or "DAY").upper().strip() or "DAY"
    return dataclasses.replace(t, action=(t.action or "").upper().strip(), order_type=ot, tif=tif)


def parse_gtd(text: str) -> float | None:
    """POSIX seconds of an IB goodTillDate, None if it cannot be parsed.

    Accepts "YYYYMMDD HH:MM:SS", "YYYYMMDD HH:MM:SS <IANA or US/... zone>", "YYYYMMDD-HH:MM:SS"
    (UTC) and "YYYYMMDD" (end of that day, 23:59:59 New York).
    """
    s = " ".join(str(text or "").split())
    if not s:
        return None
    try:
        if len(s) == 8 and s.isdigit():
            d = datetime.strptime(s, "%Y%m%d").replace(hour=23, minute=59, second=59, tzinfo=NY)
            return d.timestamp()
        if len(s) >= 17 and s[8] == "-":
            return datetime.strptime(s[:17], "%Y%m%d-%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
        parts = s.split(" ")
        d = datetime.strptime(" ".join(parts[:2]), "%Y%m%d %H:%M:%S")
        tz = ZoneInfo(parts[2]) if len(parts) > 2 else NY
        return d.replace(tzinfo=tz).timestamp()
    except (ValueError, KeyError, IndexError, OSError):
        return None
    except Exception:   # ZoneInfoNotFoundError and friends
        return None


def _tick_err() -> tuple[int, str]:
    return 110, "The price does not conform to the minimum price variation for this contract."


def _missing(what: str) -> tuple[int, str]:
    return 321, f"Error validating request.-'bN' : cause - The {what} must be specified for this order type."


def price_tick(inst: SimInstrument, price: float) -> float:
    """The price increment at ``price``: an option's quote tick (0.01 below 3.00, 0.05 from
    3.00, SPY / QQQ 0.01: ``app.sim.options.tick_for``), else the instrument's minTick."""
    if inst.contract.sec_type == "OPT":
        return tick_for(inst.contract, price)
    return inst.min_tick


def validate_ticket(inst: SimInstrument, t: OrderTicket, now: float) -> tuple[int, str] | None:
    """Static checks of a normalized ticket; (IB error code, text) or None when acceptable.

    Codes: 201 rejected (action, TIF, GTD, MOC cutoff, a future past its last trading day), 434 size, 387 unsupported order
    type, 321 missing price/offset, 110 off-tick price.
    """
    tick = inst.min_tick
    if inst.contract.sec_type == "FUT" and is_expired(inst.contract, now):
        c = inst.contract
        return 201, (f"Order rejected - reason:The contract {c.local_symbol} has expired: its last trading "
                     f"day was {c.last_trade_date}; it can no longer be traded.")
    if t.action not in ("BUY", "SELL"):
        return 201, f"Order rejected - reason:Invalid action {t.action!r}; use BUY or SELL."
    q = num(t.total_qty)
    if q is None or q <= 0:
        return 434, "The order size cannot be zero."
    if t.order_type not in ORDER_TYPES:
        return 387, "Unsupported order type for this exchange and security type."
    if t.tif not in TIFS:
        return 201, f"Order rejected - reason:Time in force {t.tif} is not supported for this order."
    if (inst.is_fx or inst.contract.sec_type == "OPT") and (t.order_type in AUCTION_CLOSE_TYPES
                                                            or t.tif == "OPG"):
        return 387, "Unsupported order type for this exchange and security type."
    if t.tif == "OPG" and t.order_type not in ("MKT", "LMT"):
        return 201, "Order rejected - reason:OPG time in force is only valid for MKT and LMT orders."
    if t.order_type in AUCTION_CLOSE_TYPES and t.tif not in ("DAY",):
        return 201, f"Order rejected - reason:{t.order_type} orders must be DAY orders."
    if t.order_type in LIMIT_TYPES and t.order_type != "TRAIL LIMIT":
        p = num(t.lmt_price)
        if p is None or p <= 0:
            return _missing("limit price")
        if not is_on_tick(p, price_tick(inst, p)):
            return _tick_err()
    if t.order_type in ("STP", "STP LMT", "MIT", "LIT"):
        p = num(t.aux_price)
        if p is None or p <= 0:
            return _missing("stop price" if t.order_type.startswith("STP") else "trigger price")
        if not is_on_tick(p, price_tick(inst, p)):
            return _tick_err()
    if t.order_type in ("TRAIL", "TRAIL LIMIT"):
        amt, pct = num(t.aux_price), num(t.trailing_percent)
        if (amt is None or amt <= 0) and (pct is None or pct <= 0):
            return _missing("trailing amount or trailing percent")
        if pct is not None and pct >= 100:
            return 201, "Order rejected - reason:Trailing percent must be below 100."
        tsp = num(t.trail_stop_price)
        if tsp is not None and (tsp <= 0 or not is_on_tick(tsp, tick)):
            return _tick_err()
        if t.order_type == "TRAIL LIMIT":
            off, lmt = num(t.lmt_price_offset), num(t.lmt_price)
            if off is None and lmt is None:
                return _missing("limit price offset")
            if off is not None and (off < 0 or not is_on_tick(off, tick)):
                return _tick_err()
    if t.tif == "GTD":
        gtd = parse_gtd(t.good_till_date)
        if gtd is None:
            return 201, f"Order rejected - reason:Invalid goodTillDate {t.good_till_date!r}."
        if gtd <= now:
            return 201, "Order rejected - reason:The goodTillDate is in the past."
    if t.order_type in AUCTION_CLOSE_TYPES:
        b = session_bounds(inst.contract.sec_type, trading_date(inst.contract.sec_type, now))
        if b is not None:
            cutoff = b[3] - 10 * 60
            if cutoff <= now < b[3]:
                return 201, (f"Order rejected - reason:{t.order_type} orders cannot be entered after the "
                             f"{MOC_CUTOFF[0]}:{MOC_CUTOFF[1]:02d} cutoff.")
    return None


def next_auction(kind: str, now: float, which: str) -> float:
    """POSIX time of the next opening ("open", 09:30) or closing ("close", 16:00) auction at or
    after ``now`` (New York, Mon-Fri)."""
    d = trading_date(kind, now)
    for _ in range(10):
        b = session_bounds(kind, d)
        if b is not None:
            t = b[2] if which == "open" else b[3]
            if t >= now:
                return t
        d += timedelta(days=1)
    raise AssertionError("no session within 10 days")  # pragma: no cover


def trigger_price(inst: SimInstrument, top: TopOfBook) -> float:
    """The price triggers compare with: last trade (stocks), midpoint (FX)."""
    if inst.is_fx and top.bid > 0 and top.ask > 0:
        return (top.bid + top.ask) / 2.0
    return top.last


def _round_away(x: float, tick: float, up: bool) -> float:
    k = math.ceil(x / tick - 1e-9) if up else math.floor(x / tick + 1e-9)
    dec = max(0, -int(math.floor(math.log10(tick))) + 1)
    return round(k * tick, dec)


def trail_amount(t: OrderTicket, price: float) -> float:
    """The trailing distance at ``price``: auxPrice, or trailingPercent of the price."""
    pct = num(t.trailing_percent)
    if pct is not None and pct > 0:
        return price * pct / 100.0
    return float(num(t.aux_price) or 0.0)


def update_trail(order: SimOrder, price: float, tick: float) -> bool:
    """Move a TRAIL / TRAIL LIMIT order's stop with ``price`` (never back). Returns True if it moved.

    The first call sets the stop from ``trailStopPrice`` or from ``price``.
    """
    t = order.ticket
    buy = t.action == "BUY"
    if price <= 0:
        return False
    dist = trail_amount(t, price)
    cand = _round_away(price + dist, tick, True) if buy else _round_away(price - dist, tick, False)
    if order.trail_stop <= 0:
        tsp = num(t.trail_stop_price)
        order.trail_stop = tsp if tsp is not None and tsp > 0 else cand
        return True
    if (buy and cand < order.trail_stop - 1e-12) or (not buy and cand > order.trail_stop + 1e-12):
        order.trail_stop = cand
        return True
    return False


def is_triggered(order: SimOrder, price: float) -> bool:
    """Whether a stop / touch order's condition holds at trigger ``price`` (see module docstring)."""
    t = order.ticket
    buy = t.action == "BUY"
    if t.order_type in ("STP", "STP LMT"):
        stop = float(num(t.aux_price) or 0.0)
        return price >= stop if buy else price <= stop
    if t.order_type in ("TRAIL", "TRAIL LIMIT"):
        return price >= order.trail_stop if buy else price <= order.trail_stop
    if t.order_type in TOUCH_TYPES:
        aux = float(num(t.aux_price) or 0.0)
        return price <= aux if buy else price >= aux
    return True


def working_limit(order: SimOrder, tick: float) -> float | None:
    """The limit price the order works at now (None = market order behaviour)."""
    t = order.ticket
    if t.order_type == "TRAIL LIMIT":
        off = num(t.lmt_price_offset)
        if off is None:
            lmt, tsp = num(t.lmt_price), num(t.trail_stop_price)
            off = abs((tsp or order.trail_stop) - (lmt or order.trail_stop))
        lim = order.trail_stop + off if t.action == "BUY" else order.trail_stop - off
        return _round_away(lim, tick, t.action != "BUY") if lim > 0 else tick
    if t.order_type in LIMIT_TYPES or (t.order_type == "LMT"):
        return num(t.lmt_price)
    return None
