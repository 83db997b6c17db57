"""Market depth subscriptions of the API session (mixed into ``app.broker.session.Session``).

IB reqMktDepth / cancelMktDepth (IB API docs "Market Depth (Level II)"; ib_async
``IB.reqMktDepth(contract, numRows, isSmartDepth)`` / ``IB.cancelMktDepth``): subscriptions
are counted per instrument key (two ladders on AAPL: one request, cancelled with the last
one) and survive a lost connection: every CONNECTED state (a connect, a reconnect by the
supervisor, the LOST/CONNECTED pair after IB 1101) requests them again, as ib_async drops
its tickers' requests on disconnect and the gateway forgets them on 1101.

ib_async keeps the book in ``Ticker.domBidsDict`` / ``domAsksDict`` (position -> DOMLevel)
and fires ``pendingTickersEvent`` once per socket read; one ``depthEvent(list[DepthBook])``
is emitted per read with one snapshot per instrument whose book changed in it (a burst of
updateMktDepth messages in one read is one snapshot).

The mixin hooks itself lazily (first use of ``depthEvent`` or ``subscribe_depth``), so
``Session.__init__`` needs no change.
"""

from __future__ import annotations

import logging
from typing import Any

from eventkit import Event

from app.broker import convert
from app.broker.quotes import QuoteBook
from app.domain import ConnectionState, Instrument
from app.domain.depth import DepthBook

log = logging.getLogger("ibdesk.broker")

#: rows per side requested (IB serves at most 10 for SMART-aggregated US stocks and IDEALPRO)
DEPTH_ROWS = 10


def smart_depth(instrument: Instrument) -> bool:
    """True when IB's SMART-aggregated depth applies (``isSmartDepth``): stocks routed
    SMART; FX (IDEALPRO) and a directly routed stock use their exchange's book."""
    return instrument.sec_type == "STK" and instrument.exchange in ("", "SMART")


def _side(levels: dict) -> tuple[tuple[float, float], ...]:
    return tuple((float(lv.price), float(lv.size)) for _, lv in sorted(levels.items()))


class _DepthState:
    __slots__ = ("event", "book", "books")

    def __init__(self, book: QuoteBook) -> None:
        self.event = Event("depthEvent")
        self.book = book                           # counted subscriptions and live tickers
        self.books: dict[str, DepthBook] = {}      # key -> latest book


class SessionDepthMixin:
    """Depth methods of ``Session``; uses its ``ib``, ``stateEvent`` and ``is_connected``.
    The subscriptions are a :class:`~app.broker.quotes.QuoteBook` (counted per instrument,
    requested again on CONNECTED) over reqMktDepth / cancelMktDepth.

    Public: ``depthEvent`` (``eventkit.Event``, argument ``list[DepthBook]``),
    :meth:`subscribe_depth`, :meth:`unsubscribe_depth`, :meth:`depth`.
    """

    def _depth(self) -> _DepthState:
        st = self.__dict__.get("_depth_state")
        if st is None:
            st = self.__dict__["_depth_state"] = _DepthState(QuoteBook(self._request_depth,
                                                                       self._cancel_depth))
            self.ib.pendingTickersEvent += self._on_depth_tickers
            self.stateEvent += self._on_depth_state
        return st

    @property
    def depthEvent(self) -> Event:
        """``depthEvent(books: list[DepthBook])``: one batch per socket read."""
        return self._depth().event

    @depthEvent.setter
    def depthEvent(self, value: Event) -> None:
        # ``session.depthEvent += handler`` assigns the same Event back
        if value is not self._depth().event:
            raise AttributeError("depthEvent cannot be replaced")

    def subscribe_depth(self, instrument: Instrument) -> None:
        """Count one subscriber of ``instrument``'s book; the first sends IB reqMktDepth
        (10 rows, ``isSmartDepth`` per :func:`smart_depth`) now when connected, else on the
        next connect. Each call needs one :meth:`unsubscribe_depth`."""
        self._depth().book.add(instrument, live=self.is_connected)

    def unsubscribe_depth(self, instrument: Instrument) -> None:
        """Drop one subscriber; the last one sends IB cancelMktDepth. Unknown: no-op."""
        st = self._depth()
        st.book.remove(instrument, live=self.ib.isConnected())
        if instrument.key not in st.book.subscribed():
            st.books.pop(instrument.key, None)

    def depth(self, key: str) -> DepthBook | None:
        """The latest book of an instrument key, or None before the first update."""
        return self._depth().books.get(key)

    def _request_depth(self, instrument: Instrument) -> Any:
        contract = convert.instrument_to_contract(instrument)
        return self.ib.reqMktDepth(contract, numRows=DEPTH_ROWS, isSmartDepth=smart_depth(instrument))

    def _cancel_depth(self, ticker: Any) -> None:
        c = ticker.contract
        smart = c.secType == "STK" and c.exchange in ("", "SMART")     # as smart_depth
        try:
            self.ib.cancelMktDepth(c, isSmartDepth=smart)
        except Exception:  # noqa: BLE001 - a cancel of a request the gateway dropped
            log.debug("cancelMktDepth %s failed", c.symbol, exc_info=True)

    def _on_depth_state(self, state: ConnectionState, *_message) -> None:
        book = self._depth().book
        if state is ConnectionState.CONNECTED:
            book.resubscribe()
        else:       # lost, disconnected or the LOST of IB 1101: requested again on CONNECTED
            book.release(live=self.ib.isConnected())

    def _on_depth_tickers(self, tickers: Any) -> None:
        st = self._depth()
        batch = []
        for t in tickers:
            key = st.book.key_of(t)
            if key is None or not t.domTicks:
                continue
            book = DepthBook(key, _side(t.domBidsDict), _side(t.domAsksDict))
            if st.books.get(key) != book:
                st.books[key] = book
                batch.append(book)
        if batch:
            self.depthEvent.emit(batch)
