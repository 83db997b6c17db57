"""Market scanner of the simulated gateway: the scan codes it serves, their rankings over the
simulator's instruments, the request's filters and the scannerParameters XML document.

Exchange-side logic only (no wire): :class:`ScannerModel` reads the market state of a
:class:`app.sim.exchange.SimExchange` (``contracts``, ``top_view``, ``history``,
``market.instrument(..).params.adv``) and ranks it; the wire side
(:mod:`app.sim.scanner_handlers`) turns the ranking into scannerData messages.

Rankings (IB "Market Scanners" / the scan codes' descriptions in TWS's scanner parameters):

=================  ==========================================================================
``TOP_PERC_GAIN``  change of the last price vs the previous session's close, largest gain first
                   (only instruments that are up)
``TOP_PERC_LOSE``  the same, largest loss first (only instruments that are down)
``MOST_ACTIVE``    day volume (shares), largest first
``HOT_BY_VOLUME``  day volume relative to the volume expected by now (average daily volume x
                   the elapsed fraction of the regular session, at least one minute's worth),
                   largest first
``HIGH_VS_13W_HL`` last price relative to its 13-week high (daily highs of the last 13 weeks
                   including today), closest to / above the high first
``LOW_VS_13W_HL``  last price relative to its 13-week low, closest to / below the low first
=================  ==========================================================================

Ties are broken by symbol so a ranking is deterministic. Filters: ``abovePrice`` (last price
above), ``belowPrice`` (below), ``aboveVolume`` (day volume above), from the
ScannerSubscription fields or as scannerSubscriptionFilterOptions tags (IB's generic filter
codes ``priceAbove``, ``priceBelow``, ``volumeAbove``, or the same names as the fields); the
market capitalisation (USD: shares outstanding x the last price, :mod:`app.sim.market_cap`)
above / below, as IB's tags ``marketCapAbove1e6`` / ``marketCapBelow1e6`` (millions of USD,
the form TWS lists and IB's examples use) or the ScannerSubscription fields ``marketCapAbove``
/ ``marketCapBelow`` (USD: IB does not state their unit; the "1e6" of the tag codes is read as
the scale of the tag over the field; the field names as tags are USD too). A stock without a
share count (the ETFs, generated stocks) never passes a set market-cap filter. Every bound is
strict ("above" 100 keeps 100.01, not 100). The bond and option fields (ratings, maturity,
coupon, averageOptionVolumeAbove) and any other tag are not served: set, they are refused with
IB's error for a filter the account cannot use (162 "Scanner filter ... is disabled.").

Errors (IB sends scanner failures as error 162 with the HMDS prefix, e.g. "Historical Market
Data Service error message:Scanner filter usdMarketCapAbove is disabled." and "...:API scanner
subscription cancelled: <reqId>"): an unknown scan code, instrument or location code and an
unserved filter raise :class:`app.sim.types.SimError` 162; the wording after the prefix is ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.sim.instruments import ny_date, session_bounds, trading_date
from app.sim.market_cap import market_cap
from app.sim.types import SimError

#: IB's prefix of scanner (HMDS) error texts, code 162
HMDS_ERROR = "Historical Market Data Service error message:"
#: most rows IB returns for one scanner subscription
MAX_ROWS = 50
INSTRUMENTS = ("STK",)
#: location code -> display name; every simulated stock is listed on NASDAQ, NYSE or ARCA
LOCATIONS = {"STK.US": "US Stocks", "STK.US.MAJOR": "Listed/NASDAQ"}

#: scan code -> display name (XML)
SCAN_CODES: dict[str, str] = {
    "TOP_PERC_GAIN": "Top % Gainers",
    "TOP_PERC_LOSE": "Top % Losers",
    "MOST_ACTIVE": "Most Active",
    "HOT_BY_VOLUME": "Hot Contracts by Volume",
    "HIGH_VS_13W_HL": "13-Week High",
    "LOW_VS_13W_HL": "13-Week Low",
}

#: filter code -> (ScanFilter attribute, scale to its unit). IB's generic codes and the
#: ScannerSubscription field names both select the same filter; market caps are kept in USD,
#: the ``...1e6`` tags come in millions of USD.
FILTERS: dict[str, tuple[str, float]] = {
    "priceAbove": ("above_price", 1.0), "abovePrice": ("above_price", 1.0),
    "priceBelow": ("below_price", 1.0), "belowPrice": ("below_price", 1.0),
    "volumeAbove": ("above_volume", 1.0), "aboveVolume": ("above_volume", 1.0),
    "marketCapAbove1e6": ("above_market_cap", 1e6), "marketCapAbove": ("above_market_cap", 1.0),
    "marketCapBelow1e6": ("below_market_cap", 1e6), "marketCapBelow": ("below_market_cap", 1.0),
}
#: ScannerSubscription fields the simulator serves (read from the request, names as FILTERS)
SERVED_FIELDS = ("abovePrice", "belowPrice", "aboveVolume", "marketCapAbove", "marketCapBelow")
#: filter codes listed in the XML: (code, display name, field type, category)
XML_FILTERS = (("priceAbove", "Price Above", "DoubleField", "PRICE_VOLUME"),
               ("priceBelow", "Price Below", "DoubleField", "PRICE_VOLUME"),
               ("volumeAbove", "Volume Above", "IntField", "PRICE_VOLUME"),
               ("marketCapAbove1e6", "Market Cap Above ($M)", "DoubleField", "MARKET_CAP"),
               ("marketCapBelow1e6", "Market Cap Below ($M)", "DoubleField", "MARKET_CAP"))

#: ScannerSubscription fields that select something the simulator cannot serve when set
UNSERVED_FIELDS = ("moodyRatingAbove", "moodyRatingBelow", "spRatingAbove", "spRatingBelow",
                   "maturityDateAbove", "maturityDateBelow", "couponRateAbove", "couponRateBelow",
                   "averageOptionVolumeAbove")

#: 13 weeks of daily bars
WEEKS_13 = "13 W"
#: the scan codes that rank by the 13-week high/low
USES_13W = ("HIGH_VS_13W_HL", "LOW_VS_13W_HL")


@dataclass(frozen=True, slots=True)
class ScanRow:
    """One instrument's scanner inputs: prices in USD, volumes in shares.

    ``prev_close``: last price of the previous session; ``expected_volume``: the volume an
    average day has traded by now; ``high_13w`` / ``low_13w``: extremes of the last 13 weeks'
    daily bars, today included; ``market_cap``: USD at ``last`` (None: no share count)."""

    con_id: int
    symbol: str
    last: float
    prev_close: float
    volume: float
    expected_volume: float
    high_13w: float
    low_13w: float
    market_cap: float | None = None

    @property
    def change_pct(self) -> float:
        """Percent change of the last price vs the previous close (0 when unknown)."""
        if not self.prev_close or self.prev_close <= 0:
            return 0.0
        return (self.last - self.prev_close) / self.prev_close * 100.0


@dataclass(frozen=True, slots=True)
class ScanFilter:
    """A parsed scanner request: code, rows (1..50), and the filters (None = not set): prices
    in USD, volume in shares, market caps in USD."""

    scan_code: str
    rows: int = MAX_ROWS
    above_price: float | None = None
    below_price: float | None = None
    above_volume: float | None = None
    above_market_cap: float | None = None
    below_market_cap: float | None = None


def _set(value: str) -> float | None:
    """A numeric request field: None when empty or IB's unset marker (1.797e308 / 2147483647)."""
    v = (value or "").strip()
    if not v:
        return None
    try:
        x = float(v)
    except ValueError:
        raise SimError(321, f"Error validating request: bad scanner filter value {v[:30]!r}") from None
    if not math.isfinite(x) or x >= 1.7e308 or x == 2147483647:
        return None
    return x


def parse_tag_values(text: str) -> list[tuple[str, str]]:
    """A TagValue list as both clients send it (``tag=value;tag=value;``) -> [(tag, value)]."""
    out = []
    for part in (text or "").split(";"):
        if part.strip():
            tag, _, value = part.partition("=")
            out.append((tag.strip(), value.strip()))
    return out


def parse_request(p: dict) -> ScanFilter:
    """Validate a decoded reqScannerSubscription (:func:`app.sim.decode` params: numberOfRows,
    instrument, locationCode, scanCode, :data:`SERVED_FIELDS`, the unserved fields,
    filterOptions; a tag overrides its field). Raises SimError 162 for an unknown scan code, instrument or
    location and for a filter the simulator does not serve."""
    code = p.get("scanCode", "").strip().upper()
    if code not in SCAN_CODES:
        raise SimError(162, f"{HMDS_ERROR}Invalid scan code: {p.get('scanCode', '')!r} is not one of "
                            f"{', '.join(SCAN_CODES)}")
    instrument = p.get("instrument", "").strip().upper() or "STK"
    if instrument not in INSTRUMENTS:
        raise SimError(162, f"{HMDS_ERROR}Invalid instrument: {instrument!r} (served: STK)")
    location = p.get("locationCode", "").strip().upper() or "STK.US.MAJOR"
    if location not in LOCATIONS:
        raise SimError(162, f"{HMDS_ERROR}Invalid location code: {location!r} (served: "
                            f"{', '.join(LOCATIONS)})")
    for name in UNSERVED_FIELDS:
        if p.get(name, "").strip() and _set(p[name]) is not None:
            raise SimError(162, f"{HMDS_ERROR}Scanner filter {name} is disabled.")
    vals: dict[str, float | None] = {}
    for name in SERVED_FIELDS:
        attr, scale = FILTERS[name]
        x = _set(p.get(name, ""))
        vals[attr] = None if x is None else x * scale
    for tag, value in parse_tag_values(p.get("filterOptions", "")):
        if tag not in FILTERS:
            raise SimError(162, f"{HMDS_ERROR}Scanner filter {tag} is disabled.")
        attr, scale = FILTERS[tag]
        x = _set(value)
        vals[attr] = None if x is None else x * scale
    try:
        n = int(float(p.get("numberOfRows", "") or -1))
    except ValueError:
        n = -1
    rows = MAX_ROWS if n <= 0 else min(n, MAX_ROWS)
    return ScanFilter(code, rows, **vals)


def _keep(f: ScanFilter, r: ScanRow) -> bool:
    cap = r.market_cap
    return ((f.above_price is None or r.last > f.above_price)
            and (f.below_price is None or r.last < f.below_price)
            and (f.above_volume is None or r.volume > f.above_volume)
            and (f.above_market_cap is None or (cap is not None and cap > f.above_market_cap))
            and (f.below_market_cap is None or (cap is not None and cap < f.below_market_cap)))


def rank(f: ScanFilter, rows: list[ScanRow]) -> list[ScanRow]:
    """The rows that pass ``f``'s filters in the order of its scan code (module docstring),
    at most ``f.rows``, best first."""
    kept = [r for r in rows if _keep(f, r) and r.last > 0]
    code = f.scan_code
    if code == "TOP_PERC_GAIN":
        kept = sorted((r for r in kept if r.change_pct > 0), key=lambda r: (-r.change_pct, r.symbol))
    elif code == "TOP_PERC_LOSE":
        kept = sorted((r for r in kept if r.change_pct < 0), key=lambda r: (r.change_pct, r.symbol))
    elif code == "MOST_ACTIVE":
        kept = sorted((r for r in kept if r.volume > 0), key=lambda r: (-r.volume, r.symbol))
    elif code == "HOT_BY_VOLUME":
        kept = sorted((r for r in kept if r.volume > 0 and r.expected_volume > 0),
                      key=lambda r: (-r.volume / r.expected_volume, r.symbol))
    elif code == "HIGH_VS_13W_HL":
        kept = sorted((r for r in kept if r.high_13w > 0), key=lambda r: (-r.last / r.high_13w, r.symbol))
    elif code == "LOW_VS_13W_HL":
        kept = sorted((r for r in kept if r.low_13w > 0), key=lambda r: (r.last / r.low_13w, r.symbol))
    else:                                   # parse_request only lets known codes through
        raise SimError(162, f"{HMDS_ERROR}Invalid scan code: {code!r}")
    return kept[:f.rows]


def session_fraction(t: float) -> float:
    """Elapsed fraction (0..1) of the regular US stock session of ``t``'s trading date (0 before
    the open, 1 after the close or on a closed day)."""
    b = session_bounds("STK", trading_date("STK", t))
    if b is None:
        return 1.0
    open_, close = b[2], b[3]                       # (open, close, rth_open, rth_close)
    if close <= open_:
        return 1.0
    return min(max((t - open_) / (close - open_), 0.0), 1.0)


class ScannerModel:
    """The scanner inputs of an exchange's stocks at the exchange's now (:meth:`rows`).

    The 13-week extremes of the days before today come from ``exchange.history`` (daily bars)
    once per instrument and New York date; today's high and low come from the live top of book.
    """

    def __init__(self, exchange):
        self.ex = exchange
        self._hl: dict[int, tuple[object, float, float]] = {}   # conId -> (NY date, high, low)

    def _extremes(self, con_id: int, now: float) -> tuple[float, float]:
        day = ny_date(now)
        got = self._hl.get(con_id)
        if got is None or got[0] != day:
            try:
                bars = self.ex.history(con_id, end=None, duration=WEEKS_13, bar_size="1 day")
            except SimError:
                bars = []
            hi = max((b.high for b in bars), default=0.0)
            lo = min((b.low for b in bars if b.low > 0), default=0.0)
            got = self._hl[con_id] = (day, hi, lo)
        return got[1], got[2]

    def _adv(self, con_id: int) -> float:
        market = getattr(self.ex, "market", None)
        try:
            return float(market.instrument(con_id).params.adv)
        except Exception:
            return 0.0

    def rows(self, with_13w: bool = True) -> list[ScanRow]:
        """A :class:`ScanRow` per stock (secType STK) with a price, at the exchange's now.
        ``with_13w`` False skips the 13-week history (``high_13w`` / ``low_13w`` are then
        today's extremes): the codes that do not rank by it need not read 13 weeks of daily
        bars per instrument (about 4 ms each the first time a New York day)."""
        now = float(self.ex.now)
        expected_share = max(session_fraction(now), 1.0 / 390.0)   # at least one minute's worth
        view = getattr(self.ex, "top_view", None) or self.ex.top
        out = []
        for c in self.ex.contracts():
            if c.sec_type != "STK":
                continue
            top = view(c.con_id)
            last = top.last if top.last and top.last > 0 else (top.bid + top.ask) / 2.0
            hi, lo = self._extremes(c.con_id, now) if with_13w else (0.0, 0.0)
            if top.high and top.high > 0:
                hi = max(hi, top.high)
            if top.low and top.low > 0:
                lo = min(lo, top.low) if lo > 0 else top.low
            hi, lo = max(hi, last), (min(lo, last) if lo > 0 else last)
            out.append(ScanRow(c.con_id, c.symbol, float(last), float(top.close or 0.0),
                               float(top.volume or 0.0), self._adv(c.con_id) * expected_share, hi, lo,
                               market_cap(c.con_id, last)))
        return out


def parameters_xml() -> str:
    """The scannerParameters document in the layout of TWS's ``ScanParameterResponse``
    (InstrumentList, LocationTree, ScanTypeList, FilterList), listing only what the simulator
    serves: instrument STK, locations STK.US and STK.US.MAJOR, the scan codes of
    :data:`SCAN_CODES` and the filters of :data:`XML_FILTERS` (priceAbove, priceBelow,
    volumeAbove, marketCapAbove1e6, marketCapBelow1e6), each a ``RangeFilter`` of the
    ``FilterList`` with its ``AbstractField`` (code, displayName, type) and listed in the
    instrument's ``filters``. The category names are ours."""
    filters = ",".join(code for code, _, _, _ in XML_FILTERS)
    scans = "".join(
        f"<ScanType><displayName>{escape(name)}</displayName><scanCode>{code}</scanCode>"
        f"<instruments>STK</instruments><absoluteColumns>false</absoluteColumns>"
        f"<supportsSorting>true</supportsSorting><respSizeLimit>{MAX_ROWS}</respSizeLimit>"
        f"<snapshotSizeLimit>{MAX_ROWS}</snapshotSizeLimit><searchDefault>false</searchDefault>"
        f"<access>unrestricted</access></ScanType>" for code, name in SCAN_CODES.items())
    fields = "".join(
        f"<RangeFilter><id>{code.upper()}</id><category>{cat}</category><histogram>false</histogram>"
        f"<access>unrestricted</access><AbstractField type=\"{kind}\"><code>{code}</code>"
        f"<displayName>{escape(name)}</displayName><varName>{code}</varName><abbrev>{escape(name)}</abbrev>"
        f"<dontAllowClearAll>false</dontAllowClearAll><skipNotEditableField>true</skipNotEditableField>"
        f"</AbstractField></RangeFilter>" for code, name, kind, cat in XML_FILTERS)
    sub = "".join(
        f"<Location><displayName>{escape(name)}</displayName><locationCode>{code}</locationCode>"
        f"<instruments>STK</instruments><routeExchange>SMART</routeExchange><delayedOnly>false</delayedOnly>"
        f"<access>unrestricted</access></Location>" for code, name in LOCATIONS.items() if code != "STK.US")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            "<ScanParameterResponse>"
            '<InstrumentList varName="instrumentList"><Instrument><name>US Stocks</name><type>STK</type>'
            f"<filters>{filters}</filters><group>STK.GLOBAL</group><shortName>US</shortName></Instrument>"
            "</InstrumentList>"
            '<LocationTree varName="locationTree"><Location><displayName>US Stocks</displayName>'
            "<locationCode>STK.US</locationCode><instruments>STK</instruments><routeExchange>SMART"
            "</routeExchange><delayedOnly>false</delayedOnly><access>unrestricted</access>"
            f'<LocationTree varName="locationTree">{sub}</LocationTree></Location></LocationTree>'
            f'<ScanTypeList varName="scanTypeList">{scans}</ScanTypeList>'
            f'<FilterList varName="filterList">{fields}</FilterList>'
            "</ScanParameterResponse>")
