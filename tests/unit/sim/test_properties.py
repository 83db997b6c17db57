"""Property tests: account identities and order-book invariants under random operations."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.sim.account import Account, order_commission
from app.sim.instruments import stock_contract
from app.sim.types import OrderTicket, SimError
from tests.unit.sim.helpers import AAPL, make

STK = stock_contract("TEST", 1, "NYSE", "TEST CORP")

fills = st.lists(st.tuples(st.sampled_from(["BOT", "SLD"]), st.integers(1, 2000),
                           st.integers(100, 50_000)), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(fills, st.integers(100, 50_000))
def test_netliq_equals_start_plus_realized_plus_unrealized(seq, mark_cents):
    mark = mark_cents / 100
    a = Account("SIM0001", 1_000_000.0, lambda c: 1.0, lambda cid: mark)
    commissions = 0.0
    pos = 0
    for side, qty, cents in seq:
        px = cents / 100
        comm = order_commission(STK, qty, qty * px)
        commissions += comm
        a.apply_fill(STK, side, qty, px, comm)
        pos += qty if side == "BOT" else -qty
    s = a.summary()
    assert s["NetLiquidation"] == pytest.approx(1_000_000 + s["RealizedPnL"] + s["UnrealizedPnL"], abs=1e-6)
    assert a.position_qty(1) == pos
    cash_expected = 1_000_000 - sum((q if sd == "BOT" else -q) * c / 100 for sd, q, c in seq) - commissions
    assert a.cash["USD"] == pytest.approx(cash_expected, abs=1e-6)


ops = st.lists(st.one_of(
    st.tuples(st.just("place"), st.integers(1, 6), st.sampled_from(["BUY", "SELL"]), st.integers(1, 800),
              st.sampled_from(["MKT", "LMT", "STP", "STP LMT"]), st.integers(-20, 20)),
    st.tuples(st.just("cancel"), st.integers(1, 6)),
    st.tuples(st.just("quote"), st.integers(-20, 20), st.integers(1, 5), st.integers(1, 10)),
), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_order_book_invariants(seq):
    ex, events = make()
    ex.set_quote(AAPL, ex.now + 1, bid=230.00, ask=230.02, last=230.01)
    for op in seq:
        if op[0] == "place":
            _, oid, side, qty, otype, off = op
            px = round(230.01 + off * 0.01, 2)
            t = OrderTicket(side, qty, otype, lmt_price=px if "LMT" in otype else None,
                            aux_price=round(px + (0.05 if side == "BUY" else -0.05), 2) if "STP" in otype else None)
            try:
                ex.place(1, oid, AAPL, t, ex.now)
            except SimError as e:
                assert e.code in (103, 105)
        elif op[0] == "cancel":
            try:
                ex.cancel(1, op[1], ex.now)
            except SimError as e:
                assert e.code in (10147, 10148)
        else:
            _, off, spread, size = op
            bid = round(230.00 + off * 0.01, 2)
            ex.set_quote(AAPL, ex.now + 1, bid=bid, ask=round(bid + spread * 0.01, 2), bid_size=size * 100,
                         ask_size=size * 100, last=bid)
    for o in ex.orders(working_only=False):
        if o.status != "Inactive":
            assert o.filled + o.remaining == pytest.approx(float(o.ticket.total_qty))
        mine = [f for f in ex.executions() if f.order_id == o.order_id]
        assert sum(f.shares for f in mine) == pytest.approx(o.filled)
        if o.status == "Filled":
            assert o.remaining == 0
    net = sum(f.shares if f.side == "BOT" else -f.shares for f in ex.executions())
    pos = {p.con_id: p.position for p in ex.positions()}
    assert pos.get(AAPL, 0.0) == pytest.approx(net)
    s = ex.account.summary()
    assert s["NetLiquidation"] == pytest.approx(1_000_000 + s["RealizedPnL"] + s["UnrealizedPnL"], abs=1e-6)
    # causal order: every fill is preceded by an order event carrying its permId
    seen: set[int] = set()
    for ev in events:
        if type(ev).__name__ == "OrderEvent":
            seen.add(ev.order.perm_id)
        elif type(ev).__name__ == "FillEvent":
            assert ev.fill.perm_id in seen
    ids = [f.exec_id for f in ex.executions()]
    assert len(ids) == len(set(ids))
