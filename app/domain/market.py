"""Top-of-book market data."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from app.domain.options import OptionGreeks


def _num(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


@dataclass(slots=True)
class Quote:
    """Top of book and day statistics for one instrument.

    Prices in instrument currency, sizes in shares (FX: base-currency units);
    ``None`` where the gateway has sent nothing yet. ``close`` is the previous
    session's close (IB tick type 9), the base of ``change``. ``time`` is UTC.
    Source: IB tick types (IB API docs, "Available Tick Types"), as decoded by
    ib_async ``Ticker``.
    """

    key: str
    bid: float | None = None
    ask: float | None = None
    last: float | None = None
    bid_size: float | None = None
    ask_size: float | None = None
    last_size: float | None = None
    volume: float | None = None
    high: float | None = None
    low: float | None = None
    close: float | None = None
    open: float | None = None
    time: datetime | None = None
    bid_greeks: OptionGreeks | None = None
    ask_greeks: OptionGreeks | None = None
    last_greeks: OptionGreeks | None = None
    model_greeks: OptionGreeks | None = None
    open_interest: float | None = None

    @property
    def greeks(self) -> OptionGreeks | None:
        """The option's greeks to show: IB's model computation, else the last trade's, else
        the bid's or the ask's (None for a non-option or before IB sent any)."""
        for g in (self.model_greeks, self.last_greeks, self.bid_greeks, self.ask_greeks):
            if g is not None:
                return g
        return None

    @property
    def mid(self) -> float | None:
        """Midpoint of bid and ask, or None when either side is missing."""
        if _num(self.bid) and _num(self.ask) and self.bid > 0 and self.ask > 0:
            return (self.bid + self.ask) / 2
        return None

    @property
    def mark(self) -> float | None:
        """Best single price: last, else mid, else previous close."""
        for v in (self.last, self.mid, self.close):
            if _num(v) and v > 0:
                return v
        return None

    @property
    def change(self) -> float | None:
        """Mark minus previous close, in instrument currency."""
        m = self.mark
        if m is None or not _num(self.close) or not self.close:
            return None
        return m - self.close

    @property
    def change_pct(self) -> float | None:
        """Change as a percentage of the previous close."""
        c = self.change
        if c is None:
            return None
        return 100.0 * c / self.close


@dataclass(frozen=True, slots=True)
class TradePrint:
    """One trade of the consolidated tape (IB tick-by-tick "AllLast", one line of TWS's
    Time & Sales window).

    ``key`` is the instrument key (conId as str, as ``Quote.key``); ``time`` the trade's
    time, UTC (IB sends whole seconds since the epoch); ``price`` in instrument currency,
    ``size`` in shares; ``exchange`` the reporting venue ("NASDAQ", "ARCA", "FINRA"...);
    ``conditions`` IB's special conditions text (trade condition codes, may be "");
    ``past_limit`` / ``unreported`` IB's TickAttribLast flags.
    Source: IB API docs "Tick-by-Tick Data" (tickByTickAllLast).
    """

    key: str
    time: datetime
    price: float
    size: float
    exchange: str = ""
    conditions: str = ""
    past_limit: bool = False
    unreported: bool = False
