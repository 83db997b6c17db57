"""The futures part of ``tests.fakes.FakeSession`` (a mixin), mirroring what
``app.broker.session.Session.resolve`` does for futures, with deterministic data:

* :data:`FAKE_FUTURES`: ES and NQ (CME, multipliers 50 / 20, tick 0.25), CL (NYMEX, 1000,
  tick 0.01) and GC (COMEX, 100, tick 0.10), three listed months each, with IB-like local
  symbols ("ESZ6"), last trade dates, conIds from 600,000,000 up and trading hours' time zone.
* ``resolve`` of a future ("ESZ6", "ESZ26" or an Instrument with that local symbol) finds
  it by local symbol; the front-month shortcut ("/ES") takes the month with the nearest last
  trade date on or after ``futures_today`` (default :data:`FAKE_TODAY`, fixed so tests do
  not age), like the real Session with today's UTC date. A resolved future is added to
  ``contracts`` (so ``push_quote``, ``set_position`` ... know it by its local symbol).
  Unknown: ``UnknownSymbolError`` with IB's error 200 text.

Uses the host's ``contracts`` and ``errorEvent``.
"""

from __future__ import annotations

import itertools
from datetime import date

from app.broker.errors import UnknownSymbolError
from app.domain import Instrument
from app.domain.futures import front_month, is_front_month

#: the "today" the fake front month is chosen on (the first ES listed, ESZ6, still trades)
FAKE_TODAY = date(2026, 12, 7)
_NO_DEFINITION = "No security definition has been found for the request"
_ids = itertools.count(600_000_000)


def _fut(root, exchange, mult, tick, name, months, tz="US/Central"):
    return tuple(Instrument(root, "FUT", exchange, "USD", "", next(_ids), tick, local, name, tz,
                            multiplier=mult, expiry=expiry, trading_class=root)
                 for local, expiry in months)


#: the futures the fake gateway lists (local symbol order: nearest month first per root)
FAKE_FUTURES: tuple[Instrument, ...] = (
    _fut("ES", "CME", 50.0, 0.25, "E-mini S&P 500",
         (("ESZ6", "20261218"), ("ESH7", "20270319"), ("ESM7", "20270618")))
    + _fut("NQ", "CME", 20.0, 0.25, "E-mini Nasdaq-100",
           (("NQZ6", "20261218"), ("NQH7", "20270319"), ("NQM7", "20270618")))
    + _fut("CL", "NYMEX", 1000.0, 0.01, "Light Sweet Crude Oil",
           (("CLZ6", "20261119"), ("CLF7", "20261218"), ("CLG7", "20270120")))
    + _fut("GC", "COMEX", 100.0, 0.10, "Gold",
           (("GCZ6", "20261229"), ("GCG7", "20270224"), ("GCJ7", "20270428")))
)


class FakeFuturesMixin:
    """Futures of ``FakeSession``: ``futures`` (local symbol -> Instrument, default
    :data:`FAKE_FUTURES`) and ``futures_today``."""

    futures_today: date = FAKE_TODAY

    @property
    def futures(self) -> dict[str, Instrument]:
        if "_futures" not in self.__dict__:
            self._futures = {f.local_symbol: f for f in FAKE_FUTURES}
        return self._futures

    def _resolve_future(self, inst: Instrument, req_id: int) -> Instrument:
        """The listed future ``inst`` means (see the module text); adds it to ``contracts``."""
        if is_front_month(inst):
            found = front_month([f for f in self.futures.values() if f.symbol == inst.symbol],
                                self.futures_today)
        else:
            found = self.futures.get(inst.local_symbol)
            if found is not None and inst.expiry and not found.expiry.startswith(inst.expiry):
                found = None
        if found is None:
            self.errorEvent.emit(req_id, 200, _NO_DEFINITION)
            raise UnknownSymbolError(inst.display_symbol, _NO_DEFINITION)
        self.contracts[found.display_symbol.upper()] = found
        return found
