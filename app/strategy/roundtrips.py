"""Round trips from fills, first-in first-out: the trades a backtest and a live (forward-test)
run report. Pure Python, no Qt.

A fill against the open lots closes them (one :class:`app.backtest.model.Trade` per lot part,
its P&L after both commissions), the rest opens a new lot. Quantities in shares or contracts
(signed: buy > 0, sell < 0), prices in instrument currency, commissions in USD per share /
contract; P&L = price difference × quantity × the contract multiplier (50 for ES).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from app.backtest.model import Trade


class RoundTrips:
    """The open lots and the closed :attr:`trades` of one instrument whose contract multiplier
    is ``multiplier`` (IB ``Contract.multiplier``; 1 for stocks and FX)."""

    def __init__(self, multiplier: float = 1.0) -> None:
        self.multiplier = float(multiplier)
        self.trades: list[Trade] = []
        self._lots: deque[list] = deque()   # [signed qty, price, time, commission per share]

    def book(self, signed: float, price: float, time: datetime, commission_per_share: float = 0.0) -> list[Trade]:
        """Book one fill (``signed`` shares at ``price``, at ``time`` UTC); returns the trades
        it closed (also appended to :attr:`trades`)."""
        closed = []
        rest = signed
        lots = self._lots
        while lots and rest and (lots[0][0] > 0) != (rest > 0):
            lot = lots[0]
            part = min(abs(lot[0]), abs(rest))
            side = 1.0 if lot[0] > 0 else -1.0
            pnl = (price - lot[1]) * part * side * self.multiplier - (lot[3] + commission_per_share) * part
            closed.append(Trade(lot[2], time, "long" if side > 0 else "short", part, lot[1], price, pnl,
                                self.multiplier))
            lot[0] -= side * part
            rest += side * part
            if abs(lot[0]) < 1e-9:
                lots.popleft()
            if abs(rest) < 1e-9:
                rest = 0.0
        if rest:
            lots.append([rest, price, time, commission_per_share])
        self.trades.extend(closed)
        return closed

    @property
    def open_quantity(self) -> float:
        """The signed shares of the open lots."""
        return sum(lot[0] for lot in self._lots)
