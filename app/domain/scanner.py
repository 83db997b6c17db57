"""Market scanner and news bulletin types (no Qt, no ib_async).

Scanner: IB API docs "Market Scanners" (reqScannerParameters, reqScannerSubscription,
ScannerSubscription, scannerData). News bulletins: IB API docs "News Bulletins"
(reqNewsBulletins, updateNewsBulletin: msgId, msgType 1/2/3, message, origExchange).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

#: IB's largest scanner result (rows); numberOfRows -1 asks for this many
MAX_SCAN_ROWS = 50
#: IB's filter codes of the market capitalisation, in millions of USD (scannerSubscriptionFilterOptions)
MARKET_CAP_ABOVE = "marketCapAbove1e6"
MARKET_CAP_BELOW = "marketCapBelow1e6"


@dataclass(frozen=True)
class ScanCode:
    """One scan type the gateway offers: ``code`` ("TOP_PERC_GAIN"), ``name`` ("Top %
    Gainers"), ``instruments`` (IB instrument types it applies to, e.g. ("STK",))."""

    code: str
    name: str
    instruments: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScanLocation:
    """A location code ("STK.US.MAJOR") with its display name ("Listed/NASDAQ")."""

    code: str
    name: str
    instruments: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScanFilterSpec:
    """A filter the gateway offers: ``code`` ("priceAbove"), ``name`` ("Price Above"),
    ``kind`` (the XML field type: "DoubleField", "IntField", ...)."""

    code: str
    name: str
    kind: str = ""


@dataclass(frozen=True)
class ScannerParameters:
    """What reqScannerParameters offers (parsed from its XML): instrument types
    (``instruments``: type -> display name), locations, scan codes and filters, in the
    order of the document."""

    instruments: dict[str, str] = field(default_factory=dict)
    locations: tuple[ScanLocation, ...] = ()
    codes: tuple[ScanCode, ...] = ()
    filters: tuple[ScanFilterSpec, ...] = ()

    def code_name(self, code: str) -> str:
        """The display name of scan ``code`` (the code itself when not offered)."""
        return next((c.name for c in self.codes if c.code == code), code)

    def offers_filter(self, code: str) -> bool:
        """True when the gateway lists filter ``code`` (e.g. "marketCapAbove1e6")."""
        return any(f.code == code for f in self.filters)


@dataclass(frozen=True)
class ScanRequest:
    """One scanner subscription: ``code`` (scan code), ``location`` (location code),
    ``instrument`` (IB instrument type), ``rows`` (1..50; IB cuts more to 50), and the
    filters ``price_above`` / ``price_below`` (instrument currency), ``volume_above``
    (shares) and ``market_cap_above`` / ``market_cap_below`` (millions of USD); None = not
    set. Sent as IB's filter tags ``priceAbove`` / ``priceBelow`` / ``volumeAbove`` /
    ``marketCapAbove1e6`` / ``marketCapBelow1e6`` (scannerSubscriptionFilterOptions)."""

    code: str
    location: str = "STK.US.MAJOR"
    instrument: str = "STK"
    rows: int = 25
    price_above: float | None = None
    price_below: float | None = None
    volume_above: float | None = None
    market_cap_above: float | None = None
    market_cap_below: float | None = None

    def filter_tags(self) -> list[tuple[str, str]]:
        """The set filters as IB filter options (tag, value text), e.g.
        ``[("priceAbove", "5"), ("volumeAbove", "100000"), ("marketCapAbove1e6", "2000")]``."""
        out = []
        for tag, v in (("priceAbove", self.price_above), ("priceBelow", self.price_below),
                       ("volumeAbove", self.volume_above),
                       (MARKET_CAP_ABOVE, self.market_cap_above),
                       (MARKET_CAP_BELOW, self.market_cap_below)):
            if v is not None:
                out.append((tag, str(int(v)) if tag == "volumeAbove" else _decimal(v)))
        return out


def _decimal(v: float) -> str:
    """``v`` as plain decimal text without exponent or trailing zeros ("2000", "150.5")."""
    text = f"{float(v):.6f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class ScanRow:
    """One scanner result: ``rank`` (0 = first, as IB sends it), the contract
    (``symbol``, ``con_id``, ``sec_type``, ``exchange``, ``currency``, ``local_symbol``,
    ``primary_exchange``) and IB's ``market_name`` (tradingClass)."""

    rank: int
    symbol: str
    con_id: int
    sec_type: str = "STK"
    exchange: str = "SMART"
    currency: str = "USD"
    local_symbol: str = ""
    primary_exchange: str = ""
    market_name: str = ""

    @property
    def key(self) -> str:
        """The instrument key of the row's contract (conId as text, like ``Instrument.key``)."""
        return str(self.con_id) if self.con_id else self.symbol


class BulletinType(enum.IntEnum):
    """IB's news bulletin msgType (IB API docs "News Bulletins")."""

    REGULAR = 1
    EXCHANGE_UNAVAILABLE = 2
    EXCHANGE_AVAILABLE = 3

    @property
    def label(self) -> str:
        """"Regular", "Exchange unavailable", "Exchange available"."""
        return self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class NewsBulletin:
    """One IB news bulletin: ``msg_id`` (IB's msgId), ``type``, ``text``, ``exchange``
    (origExchange, "" for a regular bulletin), ``received`` (UTC, when it arrived: IB
    sends no time)."""

    msg_id: int
    type: BulletinType
    text: str
    exchange: str
    received: datetime
