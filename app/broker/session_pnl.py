"""Live profit and loss of the API session (mixed into ``app.broker.session.Session``).

IB reqPnL (one per managed account) and reqPnLSingle (one per open position, by
conId) as TWS's portfolio window uses them: TWS / IB Gateway sends each about
once a second while prices move, unlike updatePortfolio / updateAccountValue
(every ~3 minutes). A position's subscription starts when the position appears
(updatePortfolio with quantity != 0) and is cancelled when it goes flat; every
connect (also a reconnect by the supervisor) subscribes again, as ib_async drops
all subscriptions on disconnect (``Wrapper.reset``). Updates are re-emitted as
``pnlEvent(AccountPnL)`` and ``positionPnlEvent(PositionPnL)``.
Source: IB API docs "Profit & Loss"; ib_async ``IB.reqPnL`` / ``IB.reqPnLSingle``,
``IB.pnlEvent`` / ``IB.pnlSingleEvent``.
"""

from __future__ import annotations

import logging
from typing import Any

from app.broker import convert
from app.domain import AccountPnL, Position, PositionPnL

log = logging.getLogger("ibdesk.broker")

#: IB model code: "" = the whole account (no advisor model)
MODEL_CODE = ""


class SessionPnLMixin:
    """PnL methods of ``Session``; uses its ``ib``, ``_accounts``, ``_positions`` and events."""

    def _init_pnl(self) -> None:
        self._pnl: dict[str, AccountPnL] = {}                  # account -> latest
        self._position_pnl: dict[tuple[str, int], PositionPnL] = {}   # (account, conId) -> latest
        self.ib.pnlEvent += self._on_pnl
        self.ib.pnlSingleEvent += self._on_pnl_single

    def _subscribe_pnl(self) -> None:
        """After a connect: reqPnL per managed account and reqPnLSingle per open position
        (the values of a previous connection are dropped: new ones follow within a second)."""
        self._pnl.clear()
        self._position_pnl.clear()
        for account in self._accounts:
            if not self.ib.pnl(account, MODEL_CODE):
                self.ib.reqPnL(account, MODEL_CODE)
        for pos in list(self._positions.values()):
            self._follow_pnl(pos)

    def _follow_pnl(self, pos: Position) -> None:
        """Start reqPnLSingle for an open position, cancel it for a flat one (connected only)."""
        cid = pos.instrument.con_id
        account = pos.account or (self._accounts[0] if self._accounts else "")
        if not cid or not account or not self.ib.isConnected():
            return
        subscribed = bool(self.ib.pnlSingle(account, MODEL_CODE, cid))
        if pos.quantity and not subscribed:
            self.ib.reqPnLSingle(account, MODEL_CODE, cid)
        elif not pos.quantity:
            if subscribed:
                self.ib.cancelPnLSingle(account, MODEL_CODE, cid)
            self._position_pnl.pop((account, cid), None)

    def _on_pnl(self, p: Any) -> None:
        pnl = convert.to_account_pnl(p)
        self._pnl[pnl.account] = pnl
        self.pnlEvent.emit(pnl)

    def _on_pnl_single(self, p: Any) -> None:
        pnl = convert.to_position_pnl(p)
        key = (pnl.account, pnl.con_id)
        if self._position_pnl.get(key) == pnl:
            return
        self._position_pnl[key] = pnl
        self.positionPnlEvent.emit(pnl)

    def account_pnl(self, account: str = "") -> AccountPnL | None:
        """The latest reqPnL values of ``account`` (default: the first managed account)."""
        return self._pnl.get(account or (self._accounts[0] if self._accounts else ""))

    def position_pnls(self) -> list[PositionPnL]:
        """The latest reqPnLSingle values of the open positions."""
        return list(self._position_pnl.values())
