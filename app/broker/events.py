"""The events every Session offers (the contract shared by ``Session`` and test fakes).

Each is an ``eventkit.Event``; subscribe with ``session.quotesEvent += handler``.
Handlers run on the event-loop thread. Argument shapes:

- ``stateEvent(state: ConnectionState, message: str)``
- ``quotesEvent(quotes: list[Quote])`` (one batch per socket read)
- ``orderEvent(order: OrderRecord)``
- ``executionEvent(execution: Execution)`` (again with ``commission`` once known)
- ``positionEvent(position: Position)`` (quantity 0 = closed)
- ``accountValueEvent(value: AccountValue)``
- ``pnlEvent(pnl: AccountPnL)`` (IB reqPnL, about once a second while prices move)
- ``positionPnlEvent(pnl: PositionPnL)`` (IB reqPnLSingle per open position)
- ``barEvent(sub_id: int, bar: Bar, new_bar: bool)``
- ``errorEvent(req_id: int, code: int, message: str)``
- ``tradePrintEvent(prints: list[TradePrint])`` tick-by-tick AllLast trades, one batch per
  socket read (``app.broker.session_ticks``)
- ``staleEvent(stale: bool, reason: str)``: True while market and account data may be
  out of date (socket lost, reconnecting, IB 1100 "connectivity between IB and TWS
  lost", a data farm down, a dead link); False once the link is live again (after 1102,
  after a reconnect and re-subscription). A view greys what it shows on True and keeps
  each value grey until that value is updated after the next False.
"""

from __future__ import annotations

from eventkit import Event

SESSION_EVENTS: tuple[str, ...] = (
    "stateEvent", "quotesEvent", "orderEvent", "executionEvent",
    "positionEvent", "accountValueEvent", "barEvent", "errorEvent", "staleEvent",
    "pnlEvent", "positionPnlEvent", "tradePrintEvent",
)


class SessionEvents:
    """Mixin creating one ``eventkit.Event`` per name in :data:`SESSION_EVENTS`."""

    stateEvent: Event
    quotesEvent: Event
    orderEvent: Event
    executionEvent: Event
    positionEvent: Event
    accountValueEvent: Event
    barEvent: Event
    errorEvent: Event
    staleEvent: Event
    pnlEvent: Event
    positionPnlEvent: Event
    tradePrintEvent: Event

    def _init_events(self) -> None:
        for name in SESSION_EVENTS:
            setattr(self, name, Event(name))
