"""The :class:`~app.strategy.base.StrategyContext` a strategy sees when it runs live: the runner's
methods, with ``position()`` callable (the runner's ``position`` is a property for its status
row)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from app.domain import TimeInForce

if TYPE_CHECKING:
    from app.strategy.runner import StrategyRunner


class RunnerContext:
    """The :class:`StrategyContext` a strategy sees: the runner's methods with ``position()``
    callable (the runner's ``position`` is a property for the status row)."""

    def __init__(self, runner: "StrategyRunner"):
        self._r = runner

    def submit(self, action, quantity, order_type, *, limit_price=None, stop_price=None,
               tif=TimeInForce.DAY) -> int:
        return self._r.submit(action, quantity, order_type, limit_price=limit_price,
                              stop_price=stop_price, tif=tif)

    def cancel_all(self) -> None:
        self._r.cancel_all()

    def cancel(self, order_id: int) -> None:
        self._r.cancel(order_id)

    def position(self) -> float:
        return self._r.position

    def log(self, text: str) -> None:
        self._r.log(text)

    def now(self) -> datetime:
        return self._r.now()

    @property
    def warming_up(self) -> bool:
        """True while the runner feeds history: orders are not sent."""
        return self._r.warming_up
