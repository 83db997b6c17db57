"""The account panel is live between IB's account updates (issue 14 item 3): position rows
move with the quote and IB reqPnLSingle, the summary's P&L with reqPnL, and Net Liquidation
shows a live estimate next to the value IB last reported."""

from __future__ import annotations

from app.ui.account import AccountPanel
from app.viewmodels.account import NET_LIQ_REPORTED, AccountSummary, PositionsModel
from tests.fakes import FakeSession


def _row(panel, symbol):
    m = panel.proxy
    for r in range(m.rowCount()):
        if m.index(r, 0).data() == symbol:
            return {panel.positions.columns[c].header: m.index(r, c).data() for c in range(m.columnCount())}
    return None


def test_position_and_net_liq_follow_the_quote_and_pnl(qtbot):
    s = FakeSession()
    s.set_account_value("NetLiquidation", "100000")
    panel = AccountPanel(AccountSummary(s, interval_ms=0), PositionsModel(s))
    qtbot.addWidget(panel)
    panel.show()
    s.set_position("AAPL", 100, 180.0, 187.5, 750.0)
    assert s.quote_refs.get("265598") == 1          # the position asks for the quote itself
    s.push_quote("AAPL", bid=189.99, ask=190.01, last=190.0)
    qtbot.waitUntil(lambda: _row(panel, "AAPL")["Mkt Price"] == "190.00")
    row = _row(panel, "AAPL")
    assert (row["Mkt Value"], row["Unrealized P&L"]) == ("19,000.00", "1,000.00")
    net = panel.value_label("NetLiquidation")
    qtbot.waitUntil(lambda: net.text() == "100,250.00")      # 100,000 + (19,000 - 18,750)
    assert panel.value_label(NET_LIQ_REPORTED).text() == "100,000.00"
    # IB reqPnLSingle: its daily P&L, moved by the quote between IB's updates
    s.set_position_pnl("AAPL", 100, daily=300.0, unrealized=1000.0, realized=0.0, value=19000.0)
    s.set_pnl(daily=300.0, unrealized=1000.0, realized=0.0)
    qtbot.waitUntil(lambda: _row(panel, "AAPL")["Daily P&L"] == "300.00")
    qtbot.waitUntil(lambda: panel.value_label("DailyPnL").text() == "300.00")
    s.push_quote("AAPL", bid=190.99, ask=191.01, last=191.0)
    qtbot.waitUntil(lambda: _row(panel, "AAPL")["Daily P&L"] == "400.00")
    assert _row(panel, "AAPL")["Unrealized P&L"] == "1,100.00"
    qtbot.waitUntil(lambda: panel.value_label("DailyPnL").text() == "400.00")
    assert panel.value_label("UnrealizedPnL").text() == "1,100.00"
    assert net.text() == "100,350.00"
    # flat: the row goes and the quote the position asked for is given back
    s.set_position("AAPL", 0, 0.0)
    qtbot.waitUntil(lambda: _row(panel, "AAPL") is None)
    assert "265598" not in s.quote_refs


def test_a_quote_shared_with_the_watchlist_is_requested_once_and_kept(qtbot):
    s = FakeSession()
    aapl = s.contracts["AAPL"]
    s.subscribe_quotes(aapl)                         # the watchlist's
    model = PositionsModel(s)
    s.set_position("AAPL", 10, 180.0, 181.0, 10.0)
    assert s.quote_refs["265598"] == 2
    s.set_position("AAPL", 0, 0.0)
    assert s.quote_refs["265598"] == 1               # the watchlist still gets AAPL
    model.close()
