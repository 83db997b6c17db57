"""The soak checks themselves (no gateway): each finds what it is for, and a terminal equal
to the gateway passes. FakeSession plays the terminal, hand-made snapshots the gateway."""

from __future__ import annotations

from app.commands import OrderCommands
from app.domain import Action, OrderRequest, OrderType
from tests.fakes import FakeSession
from tests.soak import checks
from tests.soak.referee import GwOrder, Snapshot


def _terminal(*, auto_submit: bool = False):
    s = FakeSession(client_id=5, auto_submit=auto_submit)
    aapl = s.contracts["AAPL"]
    rec = s.place_order(OrderRequest(aapl, Action.BUY, 10, OrderType.LMT, limit_price=100.0))
    return s, OrderCommands(s), s.submit(rec.order_id)


def _gw(rec, status: str = "Submitted", **kw) -> GwOrder:
    fields = dict(perm_id=rec.perm_id, order_id=rec.order_id, client_id=rec.client_id,
                  con_id=rec.instrument.con_id, action=rec.action.value, quantity=rec.quantity,
                  limit_price=rec.limit_price, stop_price=None, status=status, filled=0.0,
                  order_ref=f"ibdesk-t-{rec.order_id}")
    fields.update(kw)
    return GwOrder(**fields)


def _names(problems) -> list[str]:
    return sorted(p.check for p in problems)


def test_a_terminal_equal_to_the_gateway_passes():
    s, c, rec = _terminal()
    snap = Snapshot(0.0, open_orders={rec.perm_id: _gw(rec)})
    assert checks.terminal_vs_gateway(s, c, snap) == []


def test_orders_differing_from_the_gateway_are_found():
    s, c, rec = _terminal()
    assert _names(checks.terminal_vs_gateway(
        s, c, Snapshot(0.0, open_orders={rec.perm_id: _gw(rec, limit_price=101.0)}))) == ["field_mismatch"]
    assert _names(checks.terminal_vs_gateway(
        s, c, Snapshot(0.0, completed={rec.perm_id: _gw(rec, "Cancelled", order_id=None)}))) \
        == ["status_mismatch"]
    assert _names(checks.terminal_vs_gateway(s, c, Snapshot(0.0))) == ["pending_not_shared"]


def test_pending_marks_the_gateway_does_not_share_are_found():
    s, c, rec = _terminal()
    s.in_flight[rec.order_id] = "cancel"         # a cancel whose answer was lost
    found = checks.terminal_vs_gateway(s, c, Snapshot(0.0, open_orders={rec.perm_id: _gw(rec)}))
    assert "pending_not_shared" in _names(found) and "cancel_blocked" in _names(found)
    unsent = s.place_order(OrderRequest(rec.instrument, Action.BUY, 1, OrderType.LMT, limit_price=90.0))
    found = checks.terminal_vs_gateway(s, c, Snapshot(0.0, open_orders={rec.perm_id: _gw(rec)}))
    assert any(p.key == f"order {unsent.order_id}" and p.check == "pending_not_shared" for p in found)


def test_duplicates_and_orders_sent_twice_are_found():
    s, c, rec = _terminal()
    s.add_order(rec.copy(order_id=99, client_id=7))     # another record with the same permId
    assert "duplicate_perm_id" in _names(checks.terminal_vs_gateway(
        s, c, Snapshot(0.0, open_orders={rec.perm_id: _gw(rec)})))
    twice = Snapshot(0.0, open_orders={1: _gw(rec, perm_id=1)}, completed={2: _gw(rec, perm_id=2)})
    assert "sent_twice" in _names(checks.sent_twice(twice, {}, {rec.order_id}, 5))
    keys = {1: {(5, rec.order_id)}, 2: {(5, rec.order_id)}, 3: {(5, 77)}}
    assert _names(checks.sent_twice(Snapshot(0.0), keys, {rec.order_id}, 5)) \
        == ["sent_twice", "unsolicited_order"]
    assert _names(checks.perm_reuse({1: {(5, 1), (5, 2)}})) == ["perm_id_reused"]


def test_positions_cash_and_fills_are_compared():
    s, c, rec = _terminal()
    s.set_position("AAPL", 10, 100.0)
    s.set_account_value("TotalCashValue", "1000.00")
    con = rec.instrument.con_id
    good = Snapshot(0.0, open_orders={rec.perm_id: _gw(rec)}, positions={con: (10.0, 100.0)},
                    cash={"USD": 1000.0})
    assert checks.terminal_vs_gateway(s, c, good) == []
    bad = Snapshot(0.0, open_orders={rec.perm_id: _gw(rec)}, positions={con: (11.0, 100.0)},
                   cash={"USD": 999.0}, executions={"x1": (5, rec.perm_id, 1.0)})
    assert _names(checks.terminal_vs_gateway(s, c, bad)) \
        == ["cash_mismatch", "execution_missing", "position_mismatch"]


def test_durability_losses_are_found():
    _s, _c, rec = _terminal()
    before = Snapshot(0.0, open_orders={1: _gw(rec, perm_id=1)},
                      completed={2: _gw(rec, "Cancelled", perm_id=2), 3: _gw(rec, "Filled", perm_id=3, filled=10.0)},
                      positions={1: (10.0, 1.0)}, cash={"USD": 5.0}, executions={"e": (5, 3, 10.0)})
    assert checks.durability(before, before) == []
    after = Snapshot(1.0, open_orders={2: _gw(rec, perm_id=2)}, completed={3: _gw(rec, "Filled", perm_id=3, filled=4.0)},
                     cash={"USD": 6.0})
    assert _names(checks.durability(before, after)) == [
        "gateway_lost_cash", "gateway_lost_fill", "gateway_lost_fill", "gateway_lost_order",
        "gateway_lost_position", "gateway_order_revived"]
