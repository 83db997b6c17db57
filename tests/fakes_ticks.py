"""A :class:`~tests.fakes.FakeSession` that also serves trade prints (the
``app.broker.session_ticks`` contract): counted ``subscribe_trade_prints`` /
``unsubscribe_trade_prints`` and the test driver :meth:`TickFakeSession.push_prints`."""

from __future__ import annotations

from datetime import datetime, timezone

from app.domain import Instrument, TradePrint
from tests.fakes import FakeSession


class TickFakeSession(FakeSession):
    """FakeSession with trade prints; ``print_refs`` counts subscribers per key."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.print_refs: dict[str, int] = {}

    def subscribe_trade_prints(self, instrument: Instrument) -> None:
        self.calls.append(("subscribe_trade_prints", (instrument,)))
        self.print_refs[instrument.key] = self.print_refs.get(instrument.key, 0) + 1

    def unsubscribe_trade_prints(self, instrument: Instrument) -> None:
        self.calls.append(("unsubscribe_trade_prints", (instrument,)))
        n = self.print_refs.get(instrument.key, 0) - 1
        if n > 0:
            self.print_refs[instrument.key] = n
        else:
            self.print_refs.pop(instrument.key, None)

    def trade_print_subscriptions(self) -> dict[str, Instrument]:
        return {k: i for k, i in ((c.key, c) for c in self.contracts.values()) if k in self.print_refs}

    def push_prints(self, symbol: str, *trades: tuple, exchange: str = "NASDAQ") -> list[TradePrint]:
        """Emit one ``tradePrintEvent`` batch of ``(price, size)`` trades of ``symbol`` (only
        while subscribed, like IB); returns the batch."""
        inst = self.contracts[symbol.upper()]
        if inst.key not in self.print_refs:
            return []
        now = datetime.now(timezone.utc).replace(microsecond=0)
        batch = [TradePrint(inst.key, now, float(p), float(s), exchange) for p, s in trades]
        self.tradePrintEvent.emit(batch)
        return batch
