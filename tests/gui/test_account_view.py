"""AccountPanel with the fake session: summary values (coloured P&L) and positions."""

from __future__ import annotations

from app.ui.account import AccountPanel
from app.viewmodels.account import AccountSummary, PositionsModel
from tests.fakes import FakeSession
from tests.support import wait_until


def test_account_values_and_positions_shown(qtbot, aloop):
    s = FakeSession()
    s.set_account_value("NetLiquidation", "1000000.5")
    p = AccountPanel(AccountSummary(s), PositionsModel(s))
    qtbot.addWidget(p)
    p.show()
    assert p.account.text() == "DU1234567"
    assert p.value_label("NetLiquidation").text() == "1,000,000.50"
    s.set_account_value("UnrealizedPnL", "-250")
    s.set_account_value("BuyingPower", "4000000")
    wait_until(aloop, lambda: p.value_label("UnrealizedPnL").text() == "-250.00", what="P&L shown")
    assert "#c62828" in p.value_label("UnrealizedPnL").styleSheet()
    assert p.value_label("BuyingPower").text() == "4,000,000.00"
    assert p.value_label("TotalCashValue").text() == "—"
    s.set_position("AAPL", 100, 180.0, 187.5, 750.0)
    s.set_position("MSFT", -5, 410.0, 400.0, 50.0)
    assert p.proxy.rowCount() == 2
    m = p.positions
    texts = [p.proxy.index(0, c).data() for c in range(m.columnCount())]
    assert texts == ["AAPL", "100", "180.00", "187.50", "18,750.00", "750.00", "", "0.00"]


def test_account_id_appears_on_connect(qtbot, aloop):
    s = FakeSession(connected=False)
    p = AccountPanel(AccountSummary(s), PositionsModel(s))
    qtbot.addWidget(p)
    assert p.account.text() == "—"
    aloop.run_until_complete(s.connect())
    assert p.account.text() == "DU1234567"
