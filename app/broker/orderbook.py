"""The session's order records, keyed the way IB identifies orders.

An API orderId is unique per client id, so a record's key is (clientId,
orderId); orders placed in TWS (orderId 0) are keyed by permId. After a
reconnect ib_async returns open orders as *new* ``Trade`` objects
(PROTOCOL.md, "Reconnect facts"): the same keys find the existing records, and
the latest ``Trade`` per key is kept for modify/cancel.
"""

from __future__ import annotations

from typing import Any, Callable

from app.broker import convert
from app.domain import Instrument, OrderRecord

#: (clientId, orderId), or ("perm", permId) for orders without an API orderId
OrderKey = tuple


class OrderBook:
    """Order records from ib_async ``Trade`` objects.

    ``instrument_of(contract) -> Instrument`` supplies resolved instruments (with
    the right min tick) for a trade's contract. Equal instruments are held once: the
    records of 10,000 orders over 500 symbols share 500 ``Instrument`` objects (a new one per
    record before, ~200 B each with its strings).
    """

    def __init__(self, instrument_of: Callable[[Any], Instrument]):
        self._instrument_of = instrument_of
        self._records: dict[OrderKey, OrderRecord] = {}
        self._trades: dict[OrderKey, Any] = {}
        self._perm_keys: dict[int, OrderKey] = {}
        self._messages: dict[OrderKey, str] = {}
        self._instruments: dict[OrderKey, Instrument] = {}
        self._shared: dict[Instrument, Instrument] = {}  # one object per distinct instrument

    def key_for(self, client_id: int, order_id: int, perm_id: int) -> OrderKey:
        """(clientId, orderId) for API orders; the known key of ``perm_id`` otherwise."""
        if order_id > 0:
            return (client_id, order_id)
        if perm_id in self._perm_keys:
            return self._perm_keys[perm_id]
        return ("perm", perm_id)

    def bind_perm(self, perm_id: int, key: OrderKey) -> None:
        """Take ``perm_id`` as the permId of the API order ``key`` (matched by its
        orderRef: a completed order, IB reqCompletedOrders, carries no orderId)."""
        if perm_id and key[0] != "perm":
            old = self._perm_keys.get(perm_id)
            if old is None or old[0] == "perm":
                self._perm_keys[perm_id] = key

    def settle(self, key: OrderKey, status, message: str) -> OrderRecord | None:
        """Set the record of ``key`` to ``status`` with ``message`` (the gateway no longer
        knows it as working: ``app.broker.reconcile``) and forget its ib_async ``Trade``
        (from the lost connection), so no modify or cancel is sent for it. A later
        report from the gateway replaces the record as usual. Returns the changed
        record, or None for an unknown key."""
        rec = self._records.get(key)
        if rec is None:
            return None
        self._trades.pop(key, None)
        self._messages[key] = message
        self._records[key] = rec = rec.copy(status=status, message=message)
        return rec

    def remember_instrument(self, key: OrderKey, instrument: Instrument) -> None:
        """Use ``instrument`` (as the trader placed it) for the record of ``key``."""
        self._instruments[key] = self._share(instrument)

    def _share(self, instrument: Instrument) -> Instrument:
        """The first instrument seen equal to ``instrument`` (frozen, so one object serves all)."""
        return self._shared.setdefault(instrument, instrument)

    def update(self, trade: Any) -> OrderRecord | None:
        """Merge an ib_async ``Trade``; returns the new record if it changed, else None."""
        o, st = trade.order, trade.orderStatus
        client_id = int(o.clientId or st.clientId or 0)
        order_id = int(o.orderId or st.orderId or 0)
        perm_id = int(o.permId or st.permId or 0)
        key = self.key_for(client_id, order_id, perm_id)
        if perm_id:
            old = self._perm_keys.get(perm_id)
            if old is not None and old != key and old[0] == "perm":
                # a TWS order that got bound to an API orderId: move its record
                self._records.pop(old, None)
                self._trades.pop(old, None)
            self._perm_keys[perm_id] = key
        inst = self._instruments.get(key) or self._share(self._instrument_of(trade.contract))
        rec = convert.trade_to_record(trade, inst, self._messages.get(key, ""))
        if key[0] != "perm" and (rec.client_id, rec.order_id) != key:
            # a completed order (reqCompletedOrders) carries permId but orderId 0: it is
            # still the API order the permId was first seen with
            rec = rec.copy(client_id=key[0], order_id=key[1])
        prev = self._records.get(key)
        if prev is not None and prev.created is not None and (
                rec.created is None or prev.created < rec.created):
            rec.created = prev.created
        self._trades[key] = trade
        if prev is not None and _same_record(prev, rec):
            return None
        self._records[key] = rec
        return rec

    def set_message(self, client_id: int, order_id: int, message: str) -> OrderRecord | None:
        """Attach a gateway error/warning text to an order of ``client_id``; returns
        the changed record, or None for an unknown order / unchanged text."""
        key = (client_id, order_id)
        if key not in self._records:
            return None
        self._messages[key] = message
        trade = self._trades.get(key)
        if trade is not None:
            return self.update(trade)
        rec = self._records[key]
        if rec.message == message:
            return None
        self._records[key] = rec = rec.copy(message=message)
        return rec

    def record(self, client_id: int, order_id: int) -> OrderRecord | None:
        return self._records.get((client_id, int(order_id)))

    def trade(self, client_id: int, order_id: int) -> Any:
        """The latest ib_async ``Trade`` of an API order, or None."""
        return self._trades.get((client_id, int(order_id)))

    def records(self) -> list[OrderRecord]:
        return list(self._records.values())


def _same_record(a: OrderRecord, b: OrderRecord) -> bool:
    """Equal apart from the ``updated`` time."""
    return a.copy(updated=None) == b.copy(updated=None)
