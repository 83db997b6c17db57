"""The events every Session offers (the contract shared by ``Session`` and test fakes).

Each is an ``eventkit.Event``; subscribe with ``session.quotesEvent += handler``.
Handlers run on the event-loop thread. Argument shapes:

- ``stateEvent(state: ConnectionState, message: str)``
- ``quotesEvent(quotes: list[Quote])`` (one batch per socket read)
- ``orderEvent(order: OrderRecord)``
- ``executionEvent(execution: Execution)`` (again with ``commission`` once known)
- ``positionEvent(position: Position)`` (quantity 0 = closed)
- ``accountValueEvent(value: AccountValue)``
- ``barEvent(sub_id: int, bar: Bar, new_bar: bool)``
- ``errorEvent(req_id: int, code: int, message: str)``
"""

from __future__ import annotations

from eventkit import Event

SESSION_EVENTS: tuple[str, ...] = (
    "stateEvent", "quotesEvent", "orderEvent", "executionEvent",
    "positionEvent", "accountValueEvent", "barEvent", "errorEvent",
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

    def _init_events(self) -> None:
        for name in SESSION_EVENTS:
            setattr(self, name, Event(name))
