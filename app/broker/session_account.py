"""Fills, positions and account values of the API session (mixed into
``app.broker.session.Session``).

Executions (IB execDetails + commissionReport) keyed by execId, positions from
updatePortfolio keyed by (account, instrument key), account values from
updateAccountValue keyed by (account, tag, currency); each change is re-emitted
as a domain object (``executionEvent``, ``positionEvent``, ``accountValueEvent``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.broker import convert
from app.domain import AccountValue, Execution, Position


class SessionAccountMixin:
    """Account methods of ``Session``; uses its ``_executions``, ``_positions``,
    ``_account_values``, ``_synced``, ``_instrument_of``, ``_on_trade`` and events."""

    def _store_execution(self, ex: Execution) -> bool:
        prev = self._executions.get(ex.exec_id)
        if prev == ex or (prev is not None and prev.commission is not None and ex.commission is None):
            return False
        self._executions[ex.exec_id] = ex
        return True

    def _on_exec_details(self, trade: Any, fill: Any) -> None:
        ex = convert.fill_to_execution(fill, self._instrument_of(fill.contract))
        self._on_trade(trade)
        if self._store_execution(ex):
            self.executionEvent.emit(self._executions[ex.exec_id])

    def _on_commission(self, trade: Any, fill: Any, report: Any) -> None:
        ex = convert.fill_to_execution(fill, self._instrument_of(fill.contract))
        if self._store_execution(ex):
            self.executionEvent.emit(self._executions[ex.exec_id])

    def executions(self) -> list[Execution]:
        """Fills of this session (reqExecutions at connect + live), in arrival order."""
        return list(self._executions.values())

    def _confirm_account(self) -> None:
        """After a connect's sync, with the data live: every position and account value the
        gateway reported is emitted again (unchanged values too, so views that greyed them
        show them live), and a position it no longer reports (closed while away) is emitted
        with quantity 0 and dropped."""
        for k, pos in list(self._positions.items()):
            if ("pos",) + k not in self._synced:
                del self._positions[k]
                self.positionEvent.emit(replace(pos, quantity=0.0, market_value=0.0))
            else:
                self.positionEvent.emit(pos)
        for k, av in list(self._account_values.items()):
            if ("val",) + k in self._synced:
                self.accountValueEvent.emit(av)

    def _on_portfolio(self, item: Any) -> None:
        pos = convert.portfolio_to_position(item, self._instrument_of(item.contract))
        k = (pos.account, pos.instrument.key)
        self._synced.add(("pos",) + k)
        if self._positions.get(k) == pos:
            return
        if pos.quantity == 0:
            self._positions.pop(k, None)
        else:
            self._positions[k] = pos
        self._follow_pnl(pos)
        self.positionEvent.emit(pos)

    def positions(self) -> list[Position]:
        """Open positions (quantity != 0) from updatePortfolio."""
        return list(self._positions.values())

    def _on_account_value(self, value: Any) -> None:
        av = convert.to_account_value(value)
        k = (av.account, av.tag, av.currency)
        self._synced.add(("val",) + k)
        if self._account_values.get(k) == av:
            return
        self._account_values[k] = av
        self.accountValueEvent.emit(av)

    def account_values(self) -> list[AccountValue]:
        """Latest updateAccountValue rows (one per account, tag, currency)."""
        return list(self._account_values.values())

