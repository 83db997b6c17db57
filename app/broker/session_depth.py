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
    __slots__ = ("event", "subs", "refs", "tickers", "keys", "books")

    def __init__(self) -> None:
        self.event = Event("depthEvent")
        self.subs: dict[str, Instrument] = {}      # key -> instrument
        self.refs: dict[str, int] = {}             # key -> subscriber count
        self.tickers: dict[str, Any] = {}          # key -> (Ticker, contract, smart)
        self.keys: dict[int, str] = {}             # id(Ticker) -> key
        self.books: dict[str, DepthBook] = {}


class SessionDepthMixin:
    """Depth methods of ``Session``; uses its ``ib``, ``stateEvent`` and ``is_connected``.

    Public: ``depthEvent`` (``eventkit.Event``, argument ``list[DepthBook]``),
    :meth:`subscribe_depth`, :meth:`unsubscribe_depth`, :meth:`depth`.
    """

    def _depth(self) -> _DepthState:
        st = self.__dict__.get("_depth_state")
        if st is None:
            st = self.__dict__["_depth_state"] = _DepthState()
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
        st = self._depth()
        key = instrument.key
        st.refs[key] = st.refs.get(key, 0) + 1
        st.subs[key] = instrument
        if self.is_connected and key not in st.tickers:
            self._request_depth(key, instrument)

    def unsubscribe_depth(self, instrument: Instrument) -> None:
        """Drop one subscriber; the last one sends IB cancelMktDepth. Unknown: no-op."""
        st = self._depth()
        key = instrument.key
        n = st.refs.get(key, 0) - 1
        if n > 0:
            st.refs[key] = n
            return
        st.refs.pop(key, None)
        st.subs.pop(key, None)
        st.books.pop(key, None)
        self._cancel_depth(key)

    def depth(self, key: str) -> DepthBook | None:
        """The latest book of an instrument key, or None before the first update."""
        return self._depth().books.get(key)

    def _request_depth(self, key: str, instrument: Instrument) -> None:
        st = self._depth()
        contract = convert.instrument_to_contract(instrument)
        smart = smart_depth(instrument)
        ticker = self.ib.reqMktDepth(contract, numRows=DEPTH_ROWS, isSmartDepth=smart)
        st.tickers[key] = (ticker, contract, smart)
        st.keys[id(ticker)] = key

    def _cancel_depth(self, key: str) -> None:
        st = self._depth()
        live = st.tickers.pop(key, None)
        if live is None:
            return
        ticker, contract, smart = live
        st.keys.pop(id(ticker), None)
        if self.ib.isConnected():
            try:
                self.ib.cancelMktDepth(contract, isSmartDepth=smart)
            except Exception:  # noqa: BLE001 - a cancel of a request the gateway dropped
                log.debug("cancelMktDepth %s failed", key, exc_info=True)

    def _on_depth_state(self, state: ConnectionState, *_message) -> None:
        st = self._depth()
        if state is ConnectionState.CONNECTED:
            for key, inst in list(st.subs.items()):
                if key not in st.tickers:
                    self._request_depth(key, inst)
        else:       # lost, disconnected or the LOST of IB 1101: requested again on CONNECTED
            for key in list(st.tickers):
                self._cancel_depth(key)

    def _on_depth_tickers(self, tickers: Any) -> None:
        st = self._depth()
        if not st.keys:
            return
        batch = []
        for t in tickers:
            key = st.keys.get(id(t))
            if key is None or not t.domTicks:
                continue
            book = DepthBook(key, _side(t.domBidsDict), _side(t.domAsksDict))
            if st.books.get(key) != book:
                st.books[key] = book
                batch.append(book)
        if batch:
            self.depthEvent.emit(batch)
