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
    """One position (IB updatePortfolio): quantity in shares or contracts (negative =
    short), prices and P&L in instrument currency. As IB sends them: ``market_price`` per
    share (an option's premium, 2.50), ``avg_cost`` per unit of ``quantity`` *including the
    multiplier* (a stock's per share; an option bought at 2.50 with multiplier 100: 250 plus
    commission), ``market_value`` and the P&L in money (price x quantity x multiplier).
    ``daily_pnl`` is today's P&L (IB reqPnLSingle dailyPnL; updatePortfolio has none)."""

    account: str
    instrument: Instrument
    quantity: float
    avg_cost: float
    market_price: float | None = None
    market_value: float | None = None
    unrealized_pnl: float | None = None
    realized_pnl: float | None = None
    daily_pnl: float | None = None

    @property
    def avg_price(self) -> float:
        """The average cost per share, comparable with ``market_price`` (``avg_cost`` /
        multiplier: 2.5035 for an option whose avg_cost is 250.35), as TWS's "Avg Price"."""
        return self.avg_cost / (self.instrument.multiplier or 1.0)


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
        """``value / position``, None if unknown: the price IB valued the position at, times
        the contract's multiplier for options and futures (IB's value includes it)."""
        if self.value is None or not self.position:
            return None
        return self.value / self.position


def live_position(position: Position, pnl: PositionPnL | None, mark: float | None) -> Position:
    """``position`` (IB updatePortfolio, sent every ~3 minutes) valued at the live ``mark``
    (the quote's price, instrument currency), as TWS's portfolio window shows it.

    Mkt Price = ``mark`` (else IB's PnL mark, else updatePortfolio's), per share; Mkt Value
    = quantity x price x multiplier. With a reqPnLSingle ``pnl`` for the same quantity,
    Unrealized and Daily P&L are IB's values moved by quantity x multiplier x (mark - IB's
    mark) between IB's updates (about one a second), Realized P&L is IB's; without one,
    Unrealized = quantity x (price x multiplier - avg cost) (IB's avg cost includes the
    multiplier) and Daily P&L stays unknown (None). IB's PnL ``value`` includes the
    multiplier, so its mark is value / (position x multiplier).
    Source: IB API docs "Profit & Loss", "Account Updates" (updatePortfolio).
    """
    from dataclasses import replace

    qty = position.quantity
    mult = position.instrument.multiplier or 1.0
    ib_mark = pnl.mark / mult if pnl is not None and pnl.position == qty and pnl.mark is not None else None
    price = mark if mark is not None else (ib_mark if ib_mark is not None else position.market_price)
    if price is None or not qty:
        return position
    size = qty * mult
    move = size * (price - ib_mark) if ib_mark is not None else None
    if move is not None:
        unreal = pnl.unrealized + move if pnl.unrealized is not None else qty * (price * mult - position.avg_cost)
        daily = pnl.daily + move if pnl.daily is not None else None
        realized = pnl.realized if pnl.realized is not None else position.realized_pnl
    else:
        unreal, daily, realized = qty * (price * mult - position.avg_cost), None, position.realized_pnl
    def clean(x: float | None) -> float | None:   # float noise: -1e-12 is 0, not a red "-0.00"
        return None if x is None else round(x, 8) + 0.0

    return replace(position, market_price=price, market_value=size * price, unrealized_pnl=clean(unreal),
                   daily_pnl=clean(daily), realized_pnl=realized)
