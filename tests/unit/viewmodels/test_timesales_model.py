"""TimeSalesModel without a view: classification, the ring bound, the size filter, pause,
coalesced insertion (never a reset per tick), subscriptions per instrument."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from PySide6.QtCore import Qt

from app.domain import TradePrint
from app.domain.timezones import TimeRule
from app.viewmodels.timedisplay import TimeDisplay
from app.viewmodels.timesales import SIDE_ROLE, PrintSide, TimeSalesModel, classify
from tests.fakes_ticks import TickFakeSession
from tests.support import wait_until


def _model(qapp, capacity=5_000, **kw):
    s = TickFakeSession()
    m = TimeSalesModel(s, capacity=capacity, **kw)
    m.set_instrument(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=100.00, ask=100.02)
    return s, m


def _prices(m):
    return [m.row(i).trade.price for i in range(m.rowCount())]


class Spy:
    def __init__(self, m):
        self.events = []
        for name in ("modelReset", "rowsInserted", "rowsRemoved"):
            getattr(m, name).connect(lambda *a, n=name: self.events.append(n))


@pytest.mark.parametrize("price, bid, ask, tick, side", [
    (100.02, 100.00, 100.02, 0.01, PrintSide.AT_ASK),
    (100.03, 100.00, 100.02, 0.01, PrintSide.ABOVE_ASK),
    (100.00, 100.00, 100.02, 0.01, PrintSide.AT_BID),
    (99.99, 100.00, 100.02, 0.01, PrintSide.BELOW_BID),
    (100.01, 100.00, 100.02, 0.01, PrintSide.BETWEEN),
    (100.0199999, 100.00, 100.02, 0.01, PrintSide.AT_ASK),   # float noise within half a tick
    (100.01, None, None, 0.01, PrintSide.UNKNOWN),
    (100.02, None, 100.02, 0.01, PrintSide.AT_ASK),
    (100.01, None, 100.02, 0.01, PrintSide.UNKNOWN),          # one side only: no "between"
    (100.01, 100.03, 100.00, 0.01, PrintSide.UNKNOWN),        # crossed quote
    (100.01, float("nan"), 100.02, 0.0, PrintSide.UNKNOWN),
])
def test_classify(price, bid, ask, tick, side):
    assert classify(price, bid, ask, tick) is side


def test_prints_are_classified_by_the_quote_of_their_moment_newest_first(qapp):
    s, m = _model(qapp)
    s.push_prints("AAPL", (100.02, 100), (100.00, 200))
    s.push_quote("AAPL", bid=100.05, ask=100.07)
    s.push_prints("AAPL", (100.06, 300), (100.08, 400), (100.04, 50))
    m.flush_now()
    assert _prices(m) == [100.04, 100.08, 100.06, 100.00, 100.02]
    sides = [m.index(r, 0).data(SIDE_ROLE) for r in range(m.rowCount())]
    assert sides == [PrintSide.BELOW_BID, PrintSide.ABOVE_ASK, PrintSide.BETWEEN,
                     PrintSide.AT_BID, PrintSide.AT_ASK]
    assert [m.index(0, c).data() for c in range(1, 4)] == ["100.04", "50", "NASDAQ"]
    assert m.headerData(0, Qt.Orientation.Horizontal) == "Time"


def test_other_instruments_prints_are_ignored_and_subscriptions_follow_the_instrument(qapp):
    s, m = _model(qapp)
    s.subscribe_trade_prints(s.contracts["MSFT"])
    s.push_prints("MSFT", (400.0, 100))
    m.flush_now()
    assert m.rowCount() == 0
    assert s.print_refs == {s.contracts["AAPL"].key: 1, s.contracts["MSFT"].key: 1}
    m.set_instrument(s.contracts["MSFT"])
    assert s.print_refs == {s.contracts["MSFT"].key: 2}
    assert s.contracts["AAPL"].key not in s.quote_refs and s.quote_refs[s.contracts["MSFT"].key] == 1
    m.close()
    assert s.print_refs == {s.contracts["MSFT"].key: 1} and not s.quote_refs


def test_the_ring_is_bounded_and_drops_the_oldest_rows_at_the_bottom(qapp):
    s, m = _model(qapp, capacity=50)
    spy = Spy(m)
    for i in range(30):
        s.push_prints("AAPL", *[(100 + i + j / 100, 1) for j in range(10)])
        m.flush_now()
    assert m.rowCount() == 50 and m.collected() == 50
    assert len(m._queue) == 0 and len(m._all) == 50
    assert m.row(0).trade.price == pytest.approx(129.09)         # newest on top
    assert m.row(49).trade.price == pytest.approx(125.00)        # the 250th of 300 prints
    assert "modelReset" not in spy.events
    assert spy.events.count("rowsInserted") == 30
    with pytest.raises(IndexError):
        m.row(50)
    with pytest.raises(ValueError):
        TimeSalesModel(s, capacity=0)


def test_default_capacity_holds_five_thousand(qapp):
    s, m = _model(qapp)
    for i in range(12):
        s.push_prints("AAPL", *[(100.01, 1)] * 1_000)
        m.flush_now()
    assert m.capacity == 5_000 and m.rowCount() == 5_000 and m.collected() == 5_000


def test_min_size_filter_hides_small_prints_and_keeps_them(qapp):
    s, m = _model(qapp)
    s.push_prints("AAPL", (100.01, 100), (100.01, 5_000), (100.01, 50), (100.01, 1_000))
    m.set_min_size(500)
    m.flush_now()
    assert [m.row(i).trade.size for i in range(m.rowCount())] == [1_000, 5_000]
    s.push_prints("AAPL", (100.01, 499), (100.01, 500))
    m.flush_now()
    assert [m.row(i).trade.size for i in range(m.rowCount())] == [500, 1_000, 5_000]
    m.set_min_size(0)
    assert m.rowCount() == 6


def test_pause_keeps_collecting_and_resume_shows_the_latest(qapp):
    s, m = _model(qapp, capacity=10)
    s.push_prints("AAPL", (100.01, 1), (100.01, 2))
    m.flush_now()
    paused = []
    m.pausedChanged.connect(paused.append)
    m.set_paused(True)
    for i in range(15):
        s.push_prints("AAPL", (101 + i, 10))
    m.flush_now()
    assert m.rowCount() == 2 and m.unseen == 15 and m.collected() == 10
    m.set_paused(False)
    assert paused == [True, False] and m.unseen == 0
    assert m.rowCount() == 10 and m.row(0).trade.price == 115 and m.row(9).trade.price == 106


def test_updates_are_coalesced_to_the_frame_not_per_tick(qapp, aloop):
    s, m = _model(qapp, interval_ms=16)
    spy = Spy(m)
    for i in range(200):
        s.push_prints("AAPL", (100.01, i + 1))
    assert m.rowCount() == 0                       # nothing shown before the frame
    wait_until(aloop, lambda: m.rowCount() == 200, what="coalesced flush")
    assert spy.events == ["rowsInserted"] and m.flushes == 1


def test_time_column_follows_the_time_rule(qapp):
    shown = TimeDisplay(TimeRule.EXCHANGE, local_zone=timezone.utc)
    s = TickFakeSession()
    m = TimeSalesModel(s, time_display=shown)
    m.set_instrument(s.contracts["AAPL"])
    t = datetime(2026, 1, 7, 15, 30, 5, tzinfo=timezone.utc)
    s.tradePrintEvent.emit([TradePrint(s.contracts["AAPL"].key, t, 100.0, 10.0, "ARCA")])
    m.flush_now()
    assert m.index(0, 0).data() == "10:30:05 ET"
    changed = []
    m.dataChanged.connect(lambda *a: changed.append(a))
    shown.set_rule(TimeRule.LOCAL)
    assert changed and m.index(0, 0).data() == "15:30:05"
    m.close()
