"""AccountSummary and PositionsModel without a view."""

from __future__ import annotations

from app.viewmodels.account import AccountSummary, PositionsModel
from tests.fakes import FakeSession
from tests.support import wait_until


def test_summary_values_coalesced_and_coloured(aloop):
    s = FakeSession()
    summary = AccountSummary(s)
    changes = []
    summary.changed.connect(lambda: changes.append(1))
    for i in range(200):
        s.set_account_value("NetLiquidation", 100_000 + i)
    s.set_account_value("UnrealizedPnL", "-125.5")
    s.set_account_value("RealizedPnL", "40")
    s.set_account_value("SomeOtherTag", "1")
    s.set_account_value("NetLiquidation", "1", account="DU999")  # another account: ignored
    wait_until(aloop, lambda: changes, what="changed")
    assert len(changes) <= 2
    assert summary.text("NetLiquidation") == "100,199.00"
    assert summary.currency("NetLiquidation") == "USD"
    assert summary.colour("UnrealizedPnL").name() == "#c62828"
    assert summary.colour("RealizedPnL").name() == "#1b7a34"
    assert summary.colour("NetLiquidation") is None
    assert summary.account_id == "DU1234567"
    assert [r[0] for r in summary.rows()][:3] == ["NetLiquidation", "NetLiquidation.reported", "TotalCashValue"]


def test_base_currency_duplicate_does_not_replace():
    s = FakeSession()
    summary = AccountSummary(s)
    s.set_account_value("TotalCashValue", "5000", "USD")
    s.set_account_value("TotalCashValue", "4999", "BASE")
    assert summary.value("TotalCashValue") == 5000


def test_positions_insert_update_remove():
    s = FakeSession()
    m = PositionsModel(s)
    s.set_position("AAPL", 100, 180.0, 187.5, 750.0)
    s.set_position("MSFT", -10, 410.0, 400.0, 100.0)
    assert len(m) == 2
    s.set_position("AAPL", 150, 182.5, 188.0, 825.0)
    m.dirty.flush_now()
    assert len(m) == 2
    row = m.row_of(("DU1234567", "265598"))
    text = lambda col: m.index(row, m.column_index(col)).data()  # noqa: E731
    assert (text("quantity"), text("avg_cost"), text("market_value")) == ("150", "182.50", "28,200.00")
    s.set_position("AAPL", 0, 0, 188.0)
    assert len(m) == 1 and m.record(0).instrument.symbol == "MSFT"
