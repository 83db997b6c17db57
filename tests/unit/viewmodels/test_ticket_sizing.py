"""TicketModel without a view: presets, cash sizing, bracket rules, OCA, account kind, and a
property test: whatever the ticket's fields, nothing reaches the session unless every check passed."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.commands import OrderCommands, PlaceBracket, PlaceOrder
from app.domain import AccountKind, Action, OrderValidationError, validate_order_request
from app.viewmodels.ticket import bracket_problem, order_notional
from app.viewmodels.ticket import TicketModel
from tests.fakes import FakeSession


def test_presets_and_cash(ticket):
    s, t = ticket
    assert t.presets == [1, 10, 100, 500, 1000]
    assert t.apply_preset(4) == 1000 and t.quantity == 1000
    with pytest.raises(IndexError, match="No quantity preset 6"):
        t.apply_preset(5)
    with pytest.raises(ValueError, match="at least one"):
        t.set_presets([])
    t.set_limit_price(187.5)
    assert t.size_by_cash(1_000_000) == 5333  # floor(1e6 / 187.5)
    with pytest.raises(ValueError, match="Enter a positive amount in USD"):
        t.size_by_cash(0)


def test_fx_cash_sizing_in_quote_currency(aloop):
    s = FakeSession()
    t = TicketModel(s, OrderCommands(s))
    t.set_instrument(s.contracts["EUR.USD"])
    t.set_limit_price(1.08)
    assert t.size_by_cash(10800) == 10000  # 10,800 USD buys 10,000 EUR at 1.08


@pytest.mark.parametrize("action, entry, tp, sl, ok", [
    (Action.BUY, 100.0, 101.0, 99.0, True),
    (Action.BUY, 100.0, 100.0, 99.0, False),   # TP at the entry is not a profit
    (Action.BUY, 100.0, None, 100.5, False),
    (Action.SELL, 100.0, 99.0, 101.0, True),
    (Action.SELL, 100.0, 101.0, None, False),
    (Action.BUY, None, 101.0, 99.0, False),    # no entry price yet
    (Action.BUY, 100.0, None, None, False),
])
def test_bracket_problem(action, entry, tp, sl, ok):
    assert (bracket_problem(action, entry, tp, sl, 0.01) == "") is ok


def test_command_kinds_and_oca(ticket):
    s, t = ticket
    assert isinstance(t.command(), PlaceOrder)
    t.set_stop_loss(True)
    cmd = t.command()
    assert isinstance(cmd, PlaceBracket) and cmd.take_profit is None and cmd.stop_loss == 185.62  # 1 % under 187.49
    t.set_oca_group("  pair-A ")
    assert t.command().request.oca_group == "pair-A" and t.command().request.oca_type == 1
    t.set_stop_loss(True, 188.0)
    with pytest.raises(OrderValidationError, match="must be below the entry"):
        t.command()


def test_market_order_bracket_uses_the_quote(ticket):
    s, t = ticket
    t.set_order_type("MKT")
    assert t.entry_price() == 187.51
    t.set_take_profit(True, 187.6)
    assert t.problem() == ""
    t.set_action("SELL")
    assert "must be below the entry 187.49 for a SELL" in t.problem()


def test_account_kind(ticket):
    s, t = ticket
    assert t.account_kind is AccountKind.PAPER and t.account_id == "DU1234567"
    t.set_account_kind(AccountKind.SIMULATED)
    assert t.account_kind is AccountKind.SIMULATED


def test_notional_basis(ticket):
    s, t = ticket
    t.set_order_type("STP")
    t.set_stop_price(190.0)
    assert order_notional(t.request(), 1.0, 2.0) == (19000.0, "")


prices = st.one_of(st.none(), st.floats(min_value=-10, max_value=400), st.just(math.nan),
                   st.sampled_from([187.5, 187.49, 187.51, 190.0, 185.0, 187.555]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qty=st.one_of(st.floats(min_value=-5, max_value=5000), st.just(math.nan), st.integers(-5, 5000)),
       otype=st.sampled_from(["MKT", "LMT", "STP", "STP LMT"]), side=st.sampled_from(["BUY", "SELL"]),
       limit=prices, stop=prices, tp=prices, sl=prices, read_only=st.booleans())
def test_no_order_reaches_the_session_unless_every_check_passed(aloop, qty, otype, side, limit, stop, tp, sl,
                                                                read_only):
    s = FakeSession()
    cmds = OrderCommands(s, read_only=read_only)
    t = TicketModel(s, cmds)
    s.subscribe_quotes(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=187.49, ask=187.51)
    t.set_instrument(s.contracts["AAPL"])
    t.set_action(side)
    t.set_order_type(otype)
    t.set_quantity(qty)
    t.set_limit_price(limit)
    t.set_stop_price(stop)
    if tp is not None:
        t.set_take_profit(True, tp)
    if sl is not None:
        t.set_stop_loss(True, sl)
    problem = t.problem()
    result = t.transmit()
    placed = [c for c in s.calls if c[0] in ("place_order", "place_bracket")]
    if problem:
        assert not result.ok and placed == []
    if placed:
        assert result.ok and not read_only and problem == ""
        req = placed[0][1][0]
        validate_order_request(req)  # raises if anything invalid slipped through
        assert math.isfinite(req.quantity) and req.quantity > 0 and float(req.quantity).is_integer()
        if tp is not None or sl is not None:
            entry = t.entry_price()
            assert bracket_problem(Action(side), entry, tp if tp else None, sl if sl else None, 0.01) == ""
