"""Stale data in the view-models without widgets: StaleWatch, the watchlist rows.

Each test drives the FakeSession's ``staleEvent`` / ``stateEvent`` as the real
Session emits them (issue 11) and checks what a trader would read: grey cells,
"Stale for 12 s: <reason>", no flashes, live again on the next quote.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.domain import ConnectionState
from app.viewmodels.staleness import STALE_ROLE, STALE_TEXT, StaleWatch, fmt_age
from app.viewmodels.watchlist import FLASH_ROLE, WatchlistModel
from tests.fakes import FakeSession
from tests.support import wait_until


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def _watchlist(aloop, symbols=("AAPL", "MSFT"), **kw):
    s = FakeSession()
    clock = Clock()
    m = WatchlistModel(s, clock=clock, **kw)
    m.set_symbols(list(symbols))
    wait_until(aloop, lambda: all(r.resolved for r in m.records()), what="rows resolved")
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.5, close=190.0, volume=1500, bid_size=300)
    s.push_quote("MSFT", bid=410.0, ask=410.1, last=410.05, close=400.0, volume=900)
    m.dirty.flush_now()
    return s, m, clock


def _cell(m, symbol, col):
    return m.index(m.row_of(symbol), m.column_index(col))


def test_fmt_age():
    assert [fmt_age(x) for x in (0, 12.7, 65, 7260)] == ["0 s", "12 s", "1 min 05 s", "2 h 01 min"]


def test_stale_watch_follows_stale_and_state_events(qapp):
    s, clock = FakeSession(), Clock()
    w = StaleWatch(s, clock=clock)
    flips = []
    w.changed.connect(flips.append)
    assert not w.stale and w.text() == ""
    s.staleEvent.emit(True, "Connection lost")
    clock.t += 12.4
    assert w.stale and w.text() == "Stale for 12 s: Connection lost"
    s.stateEvent.emit(ConnectionState.RECONNECTING, "retrying in 2 s")
    clock.t += 3
    assert w.text() == "Stale for 15 s: Reconnecting"  # latest step, age from the first
    s.staleEvent.emit(False, "")
    assert not w.stale and w.age() == 0
    s.stateEvent.emit(ConnectionState.DISCONNECTED, "Disconnected from 127.0.0.1:4002")
    assert w.stale and w.reason == "Disconnected"  # a manual Disconnect greys prices too
    s.stateEvent.emit(ConnectionState.CONNECTED, "")
    assert not w.stale
    assert flips == [True, False, True, False]


def test_failed_first_connect_is_not_stale_data(qapp):
    s = FakeSession(connected=False)
    w = StaleWatch(s)
    s.stateEvent.emit(ConnectionState.FAILED, "Connection refused")
    assert not w.stale  # nothing was ever shown, so nothing is stale


def test_connected_while_session_says_stale_stays_stale(qapp):
    s = FakeSession()
    w = StaleWatch(s)
    s.staleEvent.emit(True, "Connection lost")
    s.data_stale = True  # the real Session keeps it until its streams are re-requested
    s.stateEvent.emit(ConnectionState.CONNECTED, "")
    assert w.stale
    s.data_stale = False
    s.staleEvent.emit(False, "")
    assert not w.stale


def test_watchlist_rows_grey_on_stale_and_live_on_next_quote(aloop):
    s, m, clock = _watchlist(aloop)
    bid = _cell(m, "AAPL", "bid")
    assert bid.data(STALE_ROLE) is False
    assert bid.data(Qt.ItemDataRole.ForegroundRole) is None
    changed = []
    m.dataChanged.connect(lambda tl, br, roles: changed.append((tl.row(), tl.column(), br.row(), br.column())))
    s.staleEvent.emit(True, "Connection lost")
    assert changed == [(0, 0, 1, len(m.columns) - 1)]  # one dataChanged over the table
    clock.t += 12
    for sym in ("AAPL", "MSFT"):
        for col in ("bid", "ask", "last", "change", "volume"):
            cell = _cell(m, sym, col)
            assert cell.data(STALE_ROLE) is True
            assert cell.data(Qt.ItemDataRole.ForegroundRole).name() == STALE_TEXT
    assert _cell(m, "AAPL", "symbol").data(STALE_ROLE) is False
    tip = _cell(m, "AAPL", "bid").data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Stale for 12 s: Connection lost\nLast update 12 s ago")
    assert "Bid size" in tip  # the column's own tooltip is kept below
    s.staleEvent.emit(False, "")
    assert _cell(m, "AAPL", "bid").data(STALE_ROLE) is True  # grey until its next quote
    assert "Not updated since the connection came back" in _cell(m, "AAPL", "bid").data(Qt.ItemDataRole.ToolTipRole)
    changed.clear()
    s.push_quote("AAPL", bid=187.6)
    m.dirty.flush_now()
    assert _cell(m, "AAPL", "bid").data(STALE_ROLE) is False
    assert _cell(m, "AAPL", "last").data(Qt.ItemDataRole.ForegroundRole) is None
    assert _cell(m, "MSFT", "bid").data(STALE_ROLE) is True  # no quote yet: still grey
    assert changed == [(0, 1, 0, len(m.columns) - 1)]  # only AAPL's quote cells repainted


def test_no_flash_while_stale_and_quote_while_stale_stays_grey(aloop):
    s, m, clock = _watchlist(aloop, ["AAPL"], flash_ms=10_000)
    s.push_quote("AAPL", bid=187.55)
    assert _cell(m, "AAPL", "bid").data(FLASH_ROLE) == 1
    s.staleEvent.emit(True, "Market data farm connection is broken: usfarm")
    assert _cell(m, "AAPL", "bid").data(FLASH_ROLE) == 0  # going stale ends the flash
    s.push_quote("AAPL", bid=187.40)
    m.dirty.flush_now()
    assert _cell(m, "AAPL", "bid").data() == "187.40"
    assert _cell(m, "AAPL", "bid").data(FLASH_ROLE) == 0  # no flash on a stale price
    assert _cell(m, "AAPL", "bid").data(STALE_ROLE) is True


def test_disconnect_greys_the_watchlist(aloop):
    s, m, clock = _watchlist(aloop, ["AAPL"])
    s.disconnect()
    assert _cell(m, "AAPL", "last").data(STALE_ROLE) is True
    assert m.staleness.text().startswith("Stale for 0 s: Disconnected")


def _ticket(aloop):
    from app.commands import OrderCommands
    from app.viewmodels.ticket import TicketModel
    s, clock = FakeSession(), Clock()
    t = TicketModel(s, OrderCommands(s), clock=clock)
    t.set_instrument(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.5)
    return s, t, clock


def test_ticket_quote_stale_with_age_and_notes(aloop):
    from app.domain import OrderType
    s, t, clock = _ticket(aloop)
    assert not t.quote_stale and t.stale_text() == "" and t.quote_note() == ""
    seen = []
    t.quoteChanged.connect(lambda: seen.append(t.stale_text()))
    s.staleEvent.emit(True, "Connection lost")
    clock.t += 12
    assert t.quote_stale and t.stale_text() == "stale for 12 s: Connection lost"
    assert seen == ["stale for 0 s: Connection lost"]  # the view is told at once
    t.set_order_type(OrderType.MKT)
    t.set_quantity(100)
    assert t.problem() == ""  # order entry is not blocked by a stale quote
    assert t.sizing_from_quote() and t.size_by_cash(10_000) == 53  # 10,000 / ask 187.51
    text = t.confirm_text(t.command())
    assert text.endswith("at the ask 187.51 (quote stale for 12 s: Connection lost)")
    t.set_order_type(OrderType.LMT)
    t.set_limit_price(180.0)
    assert not t.sizing_from_quote()
    assert "stale" not in t.confirm_text(t.command())  # a limit order's value is its own price
    s.staleEvent.emit(False, "")
    clock.t += 3
    assert t.quote_stale and t.stale_text() == "not updated for 15 s"
    s.push_quote("AAPL", bid=187.6, ask=187.62)
    assert not t.quote_stale and t.stale_text() == ""


def test_ticket_quote_arriving_while_stale_stays_stale(aloop):
    s, t, clock = _ticket(aloop)
    s.stateEvent.emit(ConnectionState.RECONNECTING, "")
    assert t.stale_text().startswith("stale for 0 s: Reconnecting")
    s.push_quote("MSFT", bid=1.0)  # another instrument changes nothing
    s.push_quote("AAPL", bid=187.3)  # still stale: a quote during the outage is not trusted
    assert t.quote_stale


def _chart_loaded(aloop, session, vm, frame):
    """Select AAPL on ``vm`` and answer its history with ``frame``; returns the frame."""
    from app.domain import Instrument
    vm.set_instrument(Instrument("AAPL", con_id=265598, min_tick=0.01))
    wait_until(aloop, lambda: session.requests, what="history request")
    session.answer(0, frame)
    wait_until(aloop, lambda: not vm.loading and vm.count == len(frame), what="bars loaded")
    return frame


def test_chart_stale_until_next_bar_after_live(aloop):
    from datetime import timedelta

    from app.domain import Bar
    from app.viewmodels.chart import ChartViewModel
    from tests.unit.chart.chart_fakes import FakeHistorySession, make_bars
    session, clock = FakeHistorySession(), Clock()
    session.staleEvent = type(session.barEvent)("staleEvent")
    vm = ChartViewModel(session, clock=clock)
    flips = []
    vm.staleChanged.connect(flips.append)
    frame = _chart_loaded(aloop, session, vm, make_bars(20))
    assert not vm.stale and vm.stale_text() == ""
    session.staleEvent.emit(True, "Market data farm connection is broken: usfarm")
    clock.t += 12
    assert vm.stale and vm.stale_text() == "Stale: Market data farm connection is broken: usfarm (12 s)"
    t = frame["time"].iloc[-1].to_pydatetime()
    session.barEvent.emit(vm.sub_id, Bar(t, 100, 101, 99, 100.5, 10), False)
    assert vm.stale  # a bar while stale does not make the chart live
    session.staleEvent.emit(False, "")
    assert vm.stale and "not updated since" in vm.stale_text()
    session.barEvent.emit(vm.sub_id, Bar(t + timedelta(minutes=5), 100, 101, 99, 100.5, 10), True)
    assert not vm.stale and flips == [True, False]
    vm.shutdown()


def test_chart_lost_then_reloaded_is_live(aloop):
    from app.viewmodels.chart import ChartViewModel
    from tests.unit.chart.chart_fakes import FakeHistorySession, make_bars
    session = FakeHistorySession()
    vm = ChartViewModel(session)
    _chart_loaded(aloop, session, vm, make_bars(20))
    session.stateEvent.emit(ConnectionState.RECONNECTING, "retrying in 1 s")
    assert vm.stale and vm.sub_id is None  # the dead subscription is dropped
    assert vm.stale_text().startswith("Stale: Reconnecting (")
    session.stateEvent.emit(ConnectionState.CONNECTED, "")
    wait_until(aloop, lambda: len(session.requests) == 2, what="reload")
    assert vm.stale  # the old bars stay grey until the new history arrives
    session.answer(1, make_bars(20))
    wait_until(aloop, lambda: not vm.loading, what="reloaded")
    assert not vm.stale
    vm.shutdown()


def test_account_values_stale_as_of_until_updated(qapp):
    from datetime import datetime

    from app.domain.timezones import TimeRule
    from app.viewmodels.account import AccountSummary, PositionsModel
    from app.viewmodels.timedisplay import TIME_DISPLAY
    TIME_DISPLAY.set_rule(TimeRule.LOCAL)        # "as of" in the machine's time (View → Times)
    s, clock = FakeSession(), Clock()
    s.set_account_value("NetLiquidation", 100_000)
    s.set_account_value("TotalCashValue", 50_000)
    s.set_position("AAPL", 100, 180.0, market_price=187.5)
    summary = AccountSummary(s, clock=clock, wall_clock=lambda: datetime(2026, 1, 5, 14, 3, 12))
    positions = PositionsModel(s, clock=clock)
    s.set_account_value("NetLiquidation", 100_500)  # seen live: as of 14:03:12
    assert not summary.is_stale("NetLiquidation") and summary.stale_summary() == ""
    emitted = []
    summary.changed.connect(lambda: emitted.append(1))
    s.staleEvent.emit(True, "Connection lost")
    clock.t += 12
    assert emitted  # the panel repaints at once, not at the next value
    assert summary.is_stale("NetLiquidation") and summary.is_stale("TotalCashValue")
    assert summary.stale_text("NetLiquidation") == "as of 14:03:12 (12 s ago)"
    assert summary.stale_summary() == "Stale for 12 s: Connection lost · values as of 14:03:12"
    mkt = positions.index(0, positions.column_index("market_price"))
    assert mkt.data(STALE_ROLE) is True
    assert mkt.data(Qt.ItemDataRole.ForegroundRole).name() == STALE_TEXT
    s.staleEvent.emit(False, "")
    assert summary.is_stale("NetLiquidation")  # until IB sends it again
    assert summary.stale_summary().startswith("Not updated since the connection came back")
    s.set_account_value("NetLiquidation", 100_600)
    s.set_position("AAPL", 100, 180.0, market_price=188.0)
    assert not summary.is_stale("NetLiquidation") and summary.stale_text("NetLiquidation") == ""
    assert summary.is_stale("TotalCashValue")
    assert mkt.data(STALE_ROLE) is False and mkt.data(Qt.ItemDataRole.ForegroundRole) is None


def test_watch_deleted_with_its_parent_detaches(qapp):
    from PySide6.QtCore import QObject
    import shiboken6
    s, parent = FakeSession(), QObject()
    w = StaleWatch(s, parent)
    shiboken6.delete(parent)
    s.staleEvent.emit(True, "Connection lost")  # must neither raise nor keep the handler
    assert len(s.staleEvent) == 0 and len(s.stateEvent) == 0
    assert w._events == []
