"""Quote subscriptions of the session (IB reqMktData / cancelMktData).

Subscriptions are counted per instrument key (the watchlist and the chart may
both want AAPL: one reqMktData, cancelled when the last subscriber leaves) and
survive a lost connection, so the session can re-request them on reconnect
(PROTOCOL.md: "the app must redo every subscription itself").
"""

from __future__ import annotations

from typing import Any, Callable

from app.broker import convert
from app.domain import Instrument, Quote


class QuoteBook:
    """Subscriptions, live ib_async ``Ticker`` objects and the latest ``Quote`` per key.

    ``request(instrument) -> Ticker`` sends reqMktData; ``cancel(ticker)`` sends
    cancelMktData (both supplied by the session, which owns the ``IB``).
    """

    def __init__(self, request: Callable[[Instrument], Any], cancel: Callable[[Any], None]):
        self._request = request
        self._cancel = cancel
        self._subs: dict[str, Instrument] = {}     # key -> instrument
        self._refs: dict[str, int] = {}            # key -> subscriber count
        self._tickers: dict[str, Any] = {}         # key -> live Ticker
        self._keys: dict[int, str] = {}            # id(Ticker) -> key
        self._quotes: dict[str, Quote] = {}

    def subscribed(self) -> dict[str, Instrument]:
        """Instruments with at least one subscriber, by key."""
        return dict(self._subs)

    def add(self, instrument: Instrument, live: bool) -> None:
        """Count one subscriber; request the data now when ``live`` and not yet requested."""
        key = instrument.key
        self._refs[key] = self._refs.get(key, 0) + 1
        self._subs[key] = instrument
        if live and key not in self._tickers:
            self.attach(key, self._request(instrument))

    def attach(self, key: str, ticker: Any) -> None:
        """Route updates of ``ticker`` to ``key``."""
        self._tickers[key] = ticker
        self._keys[id(ticker)] = key

    def remove(self, instrument: Instrument, live: bool) -> None:
        """Drop one subscriber; the last one cancels the data (when ``live``). Unknown: no-op."""
        key = instrument.key
        n = self._refs.get(key, 0) - 1
        if n > 0:
            self._refs[key] = n
            return
        self._refs.pop(key, None)
        self._subs.pop(key, None)
        ticker = self._tickers.pop(key, None)
        if ticker is not None:
            self._keys.pop(id(ticker), None)
            if live:
                self._cancel(ticker)

    def resubscribe(self) -> None:
        """Request every subscription without a live ticker (after a (re)connect)."""
        for key, inst in list(self._subs.items()):
            if key not in self._tickers:
                self.attach(key, self._request(inst))

    def restart(self) -> None:
        """Cancel and request again every live subscription (IB 1101: the gateway
        kept the connection but lost the market data requests)."""
        for key, ticker in list(self._tickers.items()):
            self._keys.pop(id(ticker), None)
            try:
                self._cancel(ticker)
            except Exception:  # noqa: BLE001 - the request is sent again below in any case
                pass
        self._tickers.clear()
        self.resubscribe()

    def drop_tickers(self) -> None:
        """Forget the live tickers (connection gone); subscriptions stay."""
        self._tickers.clear()
        self._keys.clear()

    def release(self, live: bool) -> None:
        """Cancel every live request (when ``live``: the socket is still up) and forget the
        tickers; subscriptions stay, to be requested again by :meth:`resubscribe`."""
        if live:
            for ticker in list(self._tickers.values()):
                self._cancel(ticker)
        self.drop_tickers()

    def live(self) -> dict[str, Any]:
        """The live requests' tickers by key (a copy)."""
        return dict(self._tickers)

    def key_of(self, ticker: Any) -> str | None:
        """The key a live ``ticker`` of this book serves, or None."""
        return self._keys.get(id(ticker))

    def quote(self, key: str) -> Quote | None:
        return self._quotes.get(key)

    def on_tickers(self, tickers: Any) -> list[Quote]:
        """Convert one pendingTickersEvent batch; returns the quotes of subscribed keys."""
        batch = []
        for t in tickers:
            key = self._keys.get(id(t))
            if key is None:
                continue
            q = convert.ticker_to_quote(t, key)
            self._quotes[key] = q
            batch.append(q)
        return batch
