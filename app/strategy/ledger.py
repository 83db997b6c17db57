"""A strategy's own position and P&L from its fills (average-cost method), independent of the
account's position (other strategies and the trader may trade the same instrument).

Units: quantities in shares (FX: base units; futures and options: contracts), prices and P&L
in the instrument's currency (P&L = price difference × quantity × the contract multiplier),
commissions in the account currency as IB reports them. Pure Python, no Qt.
"""

from __future__ import annotations


class Ledger:
    """Position, average cost, realized P&L and commissions of one strategy.

    :meth:`apply_execution` takes IB executions (``app.domain.Execution``) once per execId: the
    same execution again (IB's commission report follows the fill) only updates the commission.
    """

    def __init__(self, multiplier: float = 1.0) -> None:
        #: IB ``Contract.multiplier`` of the instrument (50 for ES, 100 for an option, 1 else)
        self.multiplier = float(multiplier)
        self.position = 0.0      #: shares / contracts, long > 0, short < 0
        self.avg_price = 0.0     #: average cost of the open position; 0 when flat
        self.gross_realized = 0.0
        self.commissions = 0.0
        self._exec_ids: dict[str, float] = {}  # execId -> commission counted

    @property
    def realized_pnl(self) -> float:
        """Realized P&L of the closed shares, net of commissions."""
        return self.gross_realized - self.commissions

    def unrealized_pnl(self, price: float | None) -> float:
        """(price - average cost) x position x multiplier; 0 when flat or without a price."""
        if not self.position or price is None:
            return 0.0
        return (price - self.avg_price) * self.position * self.multiplier

    def apply_execution(self, exec_id: str, signed_qty: float, price: float,
                        commission: float | None) -> bool:
        """Count one execution (``signed_qty`` > 0 bought, < 0 sold); True when it is a new
        fill, False when it only updated the commission of one already counted."""
        commission = float(commission or 0.0)
        counted = self._exec_ids.get(exec_id)
        self._exec_ids[exec_id] = commission
        self.commissions += commission - (counted or 0.0)
        if counted is not None:
            return False
        self.apply_fill(signed_qty, price)
        return True

    def apply_fill(self, signed_qty: float, price: float) -> None:
        """Average-cost accounting of one fill."""
        pos = self.position
        if pos == 0 or (pos > 0) == (signed_qty > 0):
            new = pos + signed_qty
            self.avg_price = (self.avg_price * abs(pos) + price * abs(signed_qty)) / abs(new)
            self.position = new
            return
        closing = min(abs(signed_qty), abs(pos))
        self.gross_realized += closing * (price - self.avg_price) * (1 if pos > 0 else -1) * self.multiplier
        new = pos + signed_qty
        if new == 0:
            self.avg_price = 0.0
        elif (new > 0) != (pos > 0):  # crossed through flat: the rest opens at this price
            self.avg_price = price
        self.position = new


__all__ = ["Ledger"]
