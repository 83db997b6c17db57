"""Account values and positions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.domain.instruments import Instrument

SIM_ACCOUNT_PREFIX = "SIM"


class AccountKind(StrEnum):
    """How real the money is; drives banner colour and confirmations (DESIGN.md, Safety model)."""

    SIMULATED = "SIMULATED"
    PAPER = "PAPER"
    LIVE = "LIVE"


def account_kind(account_id: str) -> AccountKind:
    """Classify an IB account id.

    "SIM..." is ibdesk's simulated gateway; IB paper accounts start with "D"
    ("DU" individual, "DF" advisor; IB Knowledge Base "paper trading account");
    anything else is treated as LIVE (the safe default).
    """
    a = (account_id or "").strip().upper()
    if a.startswith(SIM_ACCOUNT_PREFIX):
        return AccountKind.SIMULATED
    if a.startswith("D"):
        return AccountKind.PAPER
    return AccountKind.LIVE


@dataclass(frozen=True, slots=True)
class AccountValue:
    """One updateAccountValue / accountSummary row, e.g. tag "NetLiquidation".

    ``value`` is the raw string IB sends (most tags are numbers in ``currency``).
    """

    account: str
    tag: str
    value: str
    currency: str

    @property
    def number(self) -> float | None:
        try:
            return float(self.value)
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class Position:
    """One position (IB updatePortfolio): quantity in shares (negative = short),
    prices and P&L in instrument currency; ``avg_cost`` per share."""

    account: str
    instrument: Instrument
    quantity: float
    avg_cost: float
    market_price: float | None = None
    market_value: float | None = None
    unrealized_pnl: float | None = None
    realized_pnl: float | None = None


@dataclass(frozen=True, slots=True)
class AccountPnL:
    """IB reqPnL for one account (ib_async ``PnL``): today's P&L in the account's base
    currency. ``daily`` = dailyPnL (since the prior session's close), ``unrealized`` and
    ``realized`` (today's) as TWS's portfolio window shows them; None where IB sent no
    value (NaN / Double.MAX). Source: IB API docs "Profit & Loss (reqPnL)"."""

    account: str
    daily: float | None
    unrealized: float | None
    realized: float | None


@dataclass(frozen=True, slots=True)
class PositionPnL:
    """IB reqPnLSingle for one position (ib_async ``PnLSingle``), keyed by (account, conId).

    ``position`` in shares, ``daily`` / ``unrealized`` / ``realized`` P&L in the account's
    base currency, ``value`` = position x IB's mark (market value, instrument currency);
    None where IB sent no value. Source: IB API docs "Profit & Loss (reqPnLSingle)"."""

    account: str
    con_id: int
    position: float
    daily: float | None
    unrealized: float | None
    realized: float | None
    value: float | None

    @property
    def mark(self) -> float | None:
        """The price IB valued the position at (``value / position``), None if unknown."""
        if self.value is None or not self.position:
            return None
        return self.value / self.position
