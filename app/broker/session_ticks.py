"""Trade prints of the API session: tick-by-tick "AllLast" (mixed into
``app.broker.session.Session``).

``subscribe_trade_prints(instrument)`` sends IB reqTickByTickData with tick type
"AllLast" (every trade, including odd lots and the ones TWS's "Last" filter hides);
subscriptions are counted per instrument key (the time & sales panel and another
view may both follow AAPL: one request, cancelled with cancelTickByTickData when the
last subscriber leaves), kept while the link is down and requested again when the
session is CONNECTED again (a reconnect, or IB 1101 "data lost": PROTOCOL.md, the
app must redo every subscription itself). Trades are emitted as
``tradePrintEvent(list[TradePrint])``, one batch per socket read (ib_async
``pendingTickersEvent``, after the batch's quotes on ``quotesEvent``).

ib_async 2.x stamps each ``TickByTickAllLast`` with the time the socket read arrived
and drops the trade time IB sent (``Wrapper.tickByTickAllLast``);
:func:`install_trade_times` hooks that method so the tick keeps IB's time (whole
seconds since the epoch, UTC). The mixin creates its state on first use, so
``Session.__init__`` needs no change. Source: IB API docs "Tick-by-Tick Data";
ib_async ``IB.reqTickByTickData`` / ``IB.cancelTickByTickData``, ``Ticker.tickByTicks``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from app.broker import convert
from app.broker.quotes import QuoteBook
from app.domain import ConnectionState, Instrument, TradePrint

log = logging.getLogger("ibdesk.broker")

#: IB tick-by-tick type of every trade (IB API docs: "Last" omits some, "AllLast" does not)
ALL_LAST = "AllLast"


def install_trade_times(ib: Any) -> bool:
    """Hook ``ib.wrapper.tickByTickAllLast`` (an ``ib_async.IB``) so that the tick it appends
    to ``Ticker.tickByTicks`` carries IB's trade time (UTC ``datetime`` from the message's
    epoch seconds) instead of the arrival time. Idempotent; False (with a warning) when the
    wrapper lacks the shapes used (``tickByTickAllLast``, ``reqId2Ticker``)."""
    wrapper = getattr(ib, "wrapper", None)
    if not all(hasattr(wrapper, n) for n in ("tickByTickAllLast", "reqId2Ticker")):
        log.warning("trade prints keep their arrival time: unknown ib_async wrapper")
        return False
    inner = wrapper.tickByTickAllLast
    if getattr(inner, "_ibdesk_trade_times", False):
        return True

    def tick_by_tick_all_last(reqId, tickType, time, *rest):  # noqa: N803 (ib_async names)
        inner(reqId, tickType, time, *rest)
        ticker = wrapper.reqId2Ticker.get(reqId)
        ticks = getattr(ticker, "tickByTicks", None)
        if ticks and hasattr(ticks[-1], "_replace"):
            try:
                ticks[-1] = ticks[-1]._replace(time=datetime.fromtimestamp(int(time), timezone.utc))
            except (TypeError, ValueError, OverflowError, OSError):
                pass   # keep ib_async's arrival time

    tick_by_tick_all_last._ibdesk_trade_times = True
    wrapper.tickByTickAllLast = tick_by_tick_all_last
    return True


def tick_to_print(tick: Any, key: str) -> TradePrint | None:
    """An ib_async ``TickByTickAllLast`` as a :class:`TradePrint` for instrument ``key``;
    None for other tick kinds and for IB's empty tick (price -1, size 0, which ib_async
    turns into nan)."""
    price = getattr(tick, "price", None)
    size = getattr(tick, "size", None)
    if price is None or size is None or not hasattr(tick, "specialConditions"):
        return None
    if price != price or price < 0:
        return None
    t = tick.time
    if t is None:
        t = datetime.now(timezone.utc)
    elif t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    else:
        t = t.astimezone(timezone.utc)
    attrib = getattr(tick, "tickAttribLast", None)
    return TradePrint(key, t, float(price), float(size) if size == size else 0.0,
                      str(tick.exchange or ""), str(tick.specialConditions or ""),
                      bool(getattr(attrib, "pastLimit", False)),
                      bool(getattr(attrib, "unreported", False)))


class SessionTicksMixin:
    """Trade-print methods of ``Session``; uses its ``ib``, ``is_connected``,
    ``_instruments``, ``stateEvent`` and ``tradePrintEvent``."""

    def _tick_book(self) -> QuoteBook:
        """The counted AllLast subscriptions (created, with the event hooks, on first use)."""
        book = getattr(self, "_trade_ticks", None)
        if book is None:
            book = self._trade_ticks = QuoteBook(
                lambda inst: self.ib.reqTickByTickData(
                    convert.instrument_to_contract(inst), ALL_LAST, 0, False),
                lambda ticker: self.ib.cancelTickByTickData(ticker.contract, ALL_LAST))
            install_trade_times(self.ib)
            self.ib.pendingTickersEvent += self._on_tick_batch
            self.stateEvent += self._ticks_on_state
        return book

    def subscribe_trade_prints(self, instrument: Instrument) -> None:
        """Start the trades of ``instrument`` (IB reqTickByTickData "AllLast"; needs a
        resolved instrument with ``con_id``); they arrive on ``tradePrintEvent`` keyed by
        ``instrument.key``. Counted: each call needs one ``unsubscribe_trade_prints``.
        When not connected, the request is sent once the session is CONNECTED.
        Errors of the request (IB 10189 "no tick-by-tick subscription", 10190 "max
        number of tick-by-tick requests") come on ``errorEvent``."""
        if instrument.con_id:
            self._instruments.setdefault(instrument.con_id, instrument)
        self._tick_book().add(instrument, live=self.is_connected)

    def unsubscribe_trade_prints(self, instrument: Instrument) -> None:
        """Drop one subscriber; the last one sends IB cancelTickByTickData. Unknown: no-op."""
        self._tick_book().remove(instrument, live=self.ib.isConnected())

    def trade_print_subscriptions(self) -> dict[str, Instrument]:
        """Instruments whose trades are followed, by key."""
        return self._tick_book().subscribed()

    def _ticks_on_state(self, state: ConnectionState, message: str = "") -> None:
        book = self._tick_book()
        if state is ConnectionState.CONNECTED:
            book.resubscribe()
        elif self.ib.isConnected() and state is ConnectionState.LOST:
            book.restart()   # IB 1101: the socket stays, the requests are gone: send them again
        else:
            book.drop_tickers()

    def _on_tick_batch(self, tickers: Any) -> None:
        book = getattr(self, "_trade_ticks", None)
        if book is None:
            return
        prints: list[TradePrint] = []
        for t in tickers:
            key = book.key_of(t)
            if key is None:
                continue
            for tick in t.tickByTicks:
                p = tick_to_print(tick, key)
                if p is not None:
                    prints.append(p)
        if prints:
            self.tradePrintEvent.emit(prints)
