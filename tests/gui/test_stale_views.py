"""What the trader sees while the data is stale (issue 11), with pytest-qt and the FakeSession.

Each panel must mark what it shows as not live while stale (grey, with the age)
and return to normal on its next update after the data is live again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from app.ui.watchlist import WatchlistView
from app.viewmodels.staleness import STALE_TEXT
from app.viewmodels.watchlist import WatchlistModel
from tests.fakes import FakeSession
from tests.support import wait_until
from tests.unit.viewmodels.test_staleness import Clock


def _watchlist(qtbot, aloop):
    s, clock = FakeSession(), Clock()
    m = WatchlistModel(s, clock=clock)
    v = WatchlistView(m)
    qtbot.addWidget(v)
    v.show()
    m.set_symbols(["AAPL", "MSFT"])
    wait_until(aloop, lambda: all(r.resolved for r in m.records()), what="resolved")
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.5, close=190.0, volume=1500)
    s.push_quote("MSFT", bid=410.0, ask=410.1, last=410.05, close=400.0, volume=900)
    m.dirty.flush_now()
    return s, m, v, clock


def _shown(v, m, symbol, col):
    return m.index(m.row_of(symbol), m.column_index(col))


def _italic(v, index) -> bool:
    opt = QStyleOptionViewItem()
    v.table.itemDelegate().initStyleOption(opt, index)
    return opt.font.italic()


def test_watchlist_greys_prices_and_says_since_when(qtbot, aloop):
    s, m, v, clock = _watchlist(qtbot, aloop)
    last = _shown(v, m, "AAPL", "last")
    assert v.stale_label.isHidden() and not _italic(v, last)
    s.staleEvent.emit(True, "Connection lost")
    assert v.stale_label.isVisible() and v.stale_label.text() == "Stale for 0 s: Connection lost"
    assert last.data(Qt.ItemDataRole.ForegroundRole).name() == STALE_TEXT and _italic(v, last)
    clock.t += 12
    m.staleness.tick.emit()  # the once-a-second refresh
    assert v.stale_label.text() == "Stale for 12 s: Connection lost"
    s.staleEvent.emit(False, "")
    assert v.stale_label.isHidden()
    assert _italic(v, last)  # still grey: no quote since the link came back
    s.push_quote("AAPL", last=187.6)
    m.dirty.flush_now()
    assert not _italic(v, last) and last.data(Qt.ItemDataRole.ForegroundRole) is None
    assert _italic(v, _shown(v, m, "MSFT", "last"))


def test_ticket_greys_bid_ask_and_sizing_says_stale(qtbot, aloop):
    from app.commands import OrderCommands
    from app.domain import OrderType
    from app.ui.ticket import OrderTicket
    from app.viewmodels.ticket import TicketModel
    s, clock = FakeSession(), Clock()
    t = OrderTicket(TicketModel(s, OrderCommands(s), clock=clock))
    qtbot.addWidget(t)
    t.show()
    t.set_instrument(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=187.49, ask=187.51)
    assert t.quote_stale.isHidden() and "italic" not in t.ask.styleSheet()
    s.staleEvent.emit(True, "Connection lost")
    clock.t += 12
    t.model.staleness.tick.emit()
    assert t.quote_stale.isVisible() and t.quote_stale.text() == "stale for 12 s: Connection lost"
    assert STALE_TEXT in t.ask.styleSheet() and "italic" in t.bid.styleSheet()
    assert t.ask.text() == "Ask 187.51" and t.ask.isEnabled()  # still usable
    t.model.set_order_type(OrderType.MKT)
    assert t.size_by_cash(10_000)
    assert t.cash_result.text() == "10,000 USD at 187.51 = 53 (quote stale for 12 s: Connection lost)"
    assert t.transmit_button.isEnabled()  # a stale quote never blocks order entry
    s.staleEvent.emit(False, "")
    assert t.quote_stale.isVisible()  # the price shown is still the old one
    s.push_quote("AAPL", bid=187.55, ask=187.57)
    assert t.quote_stale.isHidden() and t.ask.styleSheet() == "" and t.ask.text() == "Ask 187.57"
    assert t.size_by_cash(10_000) and t.cash_result.text() == "10,000 USD at 187.57 = 53"


def test_chart_badge_and_grey_last_line_until_next_bar(qtbot, aloop):
    from datetime import timedelta

    from app.domain import Bar
    from tests.gui.chart_support import show_chart
    from tests.unit.chart.chart_fakes import FakeHistorySession, make_bars
    from tests.unit.viewmodels.test_staleness import _chart_loaded
    session, clock = FakeHistorySession(), Clock()
    session.staleEvent = type(session.barEvent)("staleEvent")
    vm, view = show_chart(qtbot, session, clock=clock)
    frame = _chart_loaded(aloop, session, vm, make_bars(50))
    accent = view.palette().color(view.palette().ColorRole.Highlight).name()
    assert view.stale_badge.isHidden() and view.last_line._line.name() == accent
    session.staleEvent.emit(True, "Connection lost")
    clock.t += 12
    vm.staleness.tick.emit()
    assert view.stale_badge.isVisible() and view.stale_badge.text() == "Stale: Connection lost (12 s)"
    assert view.last_line._line.name() == STALE_TEXT and "italic" in view.last_price_label.styleSheet()
    session.staleEvent.emit(False, "")
    assert view.stale_badge.text() == "Stale: not updated since the connection came back"
    t = frame["time"].iloc[-1].to_pydatetime()
    session.barEvent.emit(vm.sub_id, Bar(t + timedelta(minutes=5), 150, 151, 149, 150.5, 10), True)
    assert view.stale_badge.isHidden() and view.last_line._line.name() == accent
    assert view.last_price_label.styleSheet() == ""
    vm.shutdown()


def test_account_panel_greys_values_with_as_of(qtbot):
    from datetime import datetime

    from app.domain.timezones import TimeRule
    from app.ui.account import AccountPanel
    from app.viewmodels.account import AccountSummary, PositionsModel
    from app.viewmodels.timedisplay import TIME_DISPLAY
    TIME_DISPLAY.set_rule(TimeRule.LOCAL)        # "as of" times in the machine's time (View → Times)
    s, clock = FakeSession(), Clock()
    s.set_account_value("NetLiquidation", 100_000)
    s.set_account_value("UnrealizedPnL", -250)
    summary = AccountSummary(s, interval_ms=0, clock=clock, wall_clock=lambda: datetime(2026, 1, 5, 14, 3, 12))
    panel = AccountPanel(summary, PositionsModel(s, clock=clock))
    qtbot.addWidget(panel)
    panel.show()
    s.set_account_value("NetLiquidation", 100_500)
    qtbot.waitUntil(lambda: panel.value_label("NetLiquidation").text() == "100,500.00")
    net, pnl = panel.value_label("NetLiquidation"), panel.value_label("UnrealizedPnL")
    red = pnl.styleSheet()
    assert panel.stale_label.isHidden() and "italic" not in net.styleSheet()
    s.staleEvent.emit(True, "Connection lost")
    clock.t += 12
    summary.staleness.tick.emit()
    assert panel.stale_label.isVisible()
    assert panel.stale_label.text() == "Stale for 12 s: Connection lost · values as of 14:03:12"
    assert STALE_TEXT in net.styleSheet() and STALE_TEXT in pnl.styleSheet()  # P&L red is greyed too
    assert net.toolTip() == "Not live: as of 14:03:12 (12 s ago)"
    assert net.text() == "100,500.00"  # the last value stays readable
    s.staleEvent.emit(False, "")
    s.set_account_value("NetLiquidation", 100_600)
    qtbot.waitUntil(lambda: net.text() == "100,600.00")
    assert net.styleSheet() == "" and net.toolTip() == ""
    assert STALE_TEXT in pnl.styleSheet()  # not sent again yet
    assert panel.stale_label.text().startswith("Not updated since the connection came back")
    s.set_account_value("UnrealizedPnL", -300)
    qtbot.waitUntil(lambda: pnl.text() == "-300.00")
    assert pnl.styleSheet() == red and panel.stale_label.isHidden()


def test_status_bar_reconnecting_amber_and_data_stale_flag(qtbot):
    from app.domain import ConnectionState
    from app.ui.session_status import SessionStatusBar
    s = FakeSession()
    bar = SessionStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.set_state(ConnectionState.RECONNECTING, "127.0.0.1:4002")
    from app.ui import theme
    # amber (the light theme's dark amber, readable on the window)
    assert theme.color("state_connecting") in bar.state_label.text() and "Reconnecting" in bar.state_label.text()
    watch = bar.watch_session(s)
    assert bar.stale_label.isHidden()
    s.staleEvent.emit(True, "IB 1100: TWS / IB Gateway lost its connection to IB")
    watch.clock = lambda: watch.since + 12.3
    watch.tick.emit()
    assert bar.stale_label.isVisible() and bar.stale_label.text().strip() == "DATA STALE 12 s"
    assert "IB 1100" in bar.stale_label.toolTip()
    s.staleEvent.emit(False, "")
    assert bar.stale_label.isHidden()


def test_panels_hook_the_status_bar_to_the_session(qtbot, aloop, tmp_path):
    from PySide6.QtCore import QSettings

    from app.commands import OrderCommands
    from app.ui.main_window import MainWindow
    from app.ui.panels import build_panels
    s = FakeSession()
    settings = QSettings(str(tmp_path / "p.ini"), QSettings.IniFormat)
    panels = build_panels(s, OrderCommands(s), settings)
    window = MainWindow(panels.charts, panels.docks(), settings, chips=panels.chips, restore_layout=False)
    panels.install_trading(window)
    qtbot.addWidget(window)
    window.show()
    try:
        s.disconnect()  # a manual Disconnect: prices are not live any more
        assert window.status.stale_label.isVisible()
        assert panels.watchlist.stale_label.isVisible()
    finally:
        panels.shutdown()
