"""A command's ``source`` (who sent it: a strategy) is in every journal entry of that command
and of no other; ``haltedEvent`` fires when the kill switch engages or clears."""

from __future__ import annotations

from app.commands import CancelOrder, KillSwitch, OrderCommands, PlaceOrder
from app.domain import Action, OrderRequest, OrderType
from tests.fakes import CONTRACTS, FakeSession, ListJournal


def _buy(qty=10):
    return OrderRequest(CONTRACTS["AAPL"], Action.BUY, qty, OrderType.LMT, limit_price=150.0)


def test_source_tags_every_entry_of_its_command_only():
    s, j = FakeSession(auto_submit=False), ListJournal()
    c = OrderCommands(s, journal=j)
    res = c.execute(PlaceOrder(_buy(), source="strategy x AAPL 5 secs"))
    assert res.ok
    tagged = [k for k, f in j.rows if f.get("source") == "strategy x AAPL 5 secs"]
    assert tagged == ["intent", "check", "api"] and len(j.rows) == 3
    c.execute(CancelOrder(res.order.order_id))            # the trader's: no source
    assert all("source" not in f for _, f in j.rows[3:]) and len(j.rows) > 3
    c.execute(CancelOrder(res.order.order_id, source="strategy x AAPL 5 secs"))
    assert j.rows[-1][1]["source"] == "strategy x AAPL 5 secs"  # refused (cancel in flight), tagged


def test_halted_event_fires_on_change_only():
    s = FakeSession()
    c = OrderCommands(s)
    seen = []
    c.haltedEvent += seen.append
    c.execute(KillSwitch())
    c.halted = True
    c.halted = False
    assert seen == [True, False]
