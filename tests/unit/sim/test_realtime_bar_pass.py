"""5-second real-time bars are sent each exactly once, also when the clock runs ahead of the market pump."""

from __future__ import annotations

from app.sim.streams import BarSub, StreamHandlers
from app.sim.wire import split_fields
from tests.unit.sim.helpers import AAPL, T0, make


class _Host(StreamHandlers):
    """The parts of a ClientConnection the stream handlers use: exchange, clock, send."""

    def __init__(self, ex, clock):
        self.ex = ex
        self.clock = clock
        self.gw = self
        self.sent: list[list[str]] = []
        self._init_streams()

    def send(self, frame: bytes) -> None:
        self.sent.append(split_fields(frame[4:]))

    def bar_starts(self) -> list[int]:
        return [int(f[3]) for f in self.sent if f[0] == "50"]  # realtimeBar: id, version, reqId, time


def test_a_bar_not_yet_formed_by_the_market_waits_for_the_next_pass():
    ex, _ = make(now=T0)
    now = [T0]
    host = _Host(ex, lambda: now[0])
    host.bar_subs[1] = BarSub(AAPL, "TRADES", False, T0, "")
    ex.advance(T0 + 7.0)          # the market is formed through T0+7 ...
    now[0] = T0 + 12.0            # ... and the clock is already at T0+12 (pump not run yet)
    host.stream_updates()
    assert host.bar_starts() == [int(T0)]  # [T0+5, T0+10) is not complete in the market yet
    ex.advance(T0 + 12.0)
    host.stream_updates()
    ex.advance(T0 + 31.0)
    now[0] = T0 + 31.0
    host.stream_updates()
    starts = host.bar_starts()
    assert starts == [int(T0) + 5 * k for k in range(6)]  # every 5 s, none skipped, none twice
