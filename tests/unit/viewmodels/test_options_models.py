"""Options in the view-models: the ticket's value and confirmation with the multiplier, its
quantity in contracts, cash sizing per contract; positions of options valued with the
multiplier and their greeks totals per underlying; the fake session's option chains."""

from __future__ import annotations

import asyncio

import pytest

from app.broker.errors import UnknownSymbolError
from app.commands import OrderCommands, PlaceOrder
from app.domain import Action, Instrument, OrderRequest, OrderType
from app.viewmodels.account import PositionsModel
from app.viewmodels.ticket import TicketModel, describe_with_notional, order_notional
from tests.fakes import FakeSession


def _call(s, strike=200.0, right="C"):
    opts = asyncio.run(s.option_contracts(s.contracts["AAPL"], "20261218", [strike]))
    return next(o for o in opts if o.right == right)


def test_fake_chain_and_contracts_are_deterministic():
    s = FakeSession()
    chain = asyncio.run(s.option_chain(s.contracts["AAPL"]))
    assert (chain.exchange, chain.trading_class, chain.multiplier) == ("SMART", "AAPL", 100.0)
    assert chain.expirations[0] == "20261218" and list(chain.expirations) == sorted(chain.expirations)
    assert chain.strikes[0] == 160.0 and chain.strikes[-1] == 240.0 and 200.0 in chain.strikes
    opts = asyncio.run(s.option_contracts(s.contracts["AAPL"], "20261218", [195.0, 200.0]))
    assert [o.display_symbol for o in opts] == ["AAPL 20261218 195 C", "AAPL 20261218 195 P",
                                                "AAPL 20261218 200 C", "AAPL 20261218 200 P"]
    again = asyncio.run(s.option_contracts(s.contracts["AAPL"], "20261218", [200.0]))
    assert [o.con_id for o in again] == [o.con_id for o in opts[2:]]
    assert opts[2].local_symbol == "AAPL  261218C00200000" and opts[2].multiplier == 100.0
    with pytest.raises(UnknownSymbolError, match="No security definition"):
        asyncio.run(s.option_contracts(s.contracts["AAPL"], "20261219"))
    with pytest.raises(UnknownSymbolError, match="no options on EUR.USD"):
        asyncio.run(s.option_chain(s.contracts["EUR.USD"]))


def test_fake_option_quote_has_plausible_greeks():
    s = FakeSession()
    call, put = _call(s), _call(s, right="P")
    for o in (call, put):
        s.subscribe_quotes(o)
    qc, qp = s.push_option_quote(call, 200.0), s.push_option_quote(put, 200.0)
    assert 0.5 < qc.greeks.delta < 0.6 and -0.5 < qp.greeks.delta < -0.4
    assert 0 < qc.bid < qc.ask and qc.ask - qc.bid == pytest.approx(0.05)
    assert qc.greeks.theta < 0 < qc.greeks.vega and qc.greeks.und_price == 200.0


def test_option_order_value_and_confirmation_use_the_multiplier():
    call = Instrument("AAPL", "OPT", con_id=9001, multiplier=100.0, expiry="20261218", strike=200.0, right="C")
    req = OrderRequest(call, Action.BUY, 1, OrderType.LMT, limit_price=2.5)
    assert order_notional(req, None, None) == (250.0, "")
    assert describe_with_notional(req, None, None) == "BUY 1 AAPL 20261218 200 C LMT 2.50 DAY, about 250 USD"
    mkt = OrderRequest(call, Action.SELL, 2, OrderType.MKT)
    assert describe_with_notional(mkt, 2.45, 2.55) == \
        "SELL 2 AAPL 20261218 200 C MKT DAY, about 490 USD at the bid 2.45"


def test_ticket_on_an_option(aloop):
    s = FakeSession()
    t = TicketModel(s, OrderCommands(s))
    s.subscribe_quotes(s.contracts["AAPL"])
    t.set_instrument(s.contracts["AAPL"])
    assert t.quantity == 100                                  # shares
    call = _call(s)
    t.set_instrument(call)
    assert t.quantity == 1                                    # 100 shares never become 100 contracts
    t.set_limit_price(2.5)
    assert t.notional_text() == "about 250 USD"
    assert t.confirm_text(PlaceOrder(t.command().request)).startswith(
        "BUY 1 AAPL 20261218 200 C LMT 2.50 DAY, about 250 USD")
    assert t.size_by_cash(1_000) == 4                         # 1,000 USD buys 4 contracts at 250
    with pytest.raises(ValueError, match="less than one contract \\(x100\\) at 2.50"):
        t.size_by_cash(200)
    t.set_quantity(1.5)
    assert "whole contracts" in t.problem()
    t.set_instrument(_call(s, right="P"))
    assert t.quantity == 1.5                                  # option to option: kept
    t.set_instrument(s.contracts["MSFT"])
    assert t.quantity == 100                                  # back to shares


def test_option_positions_valued_with_the_multiplier_and_greeks_totals(aloop):
    s = FakeSession()
    call, put = _call(s), _call(s, strike=190.0, right="P")
    m = PositionsModel(s)
    changed = []
    m.greeksChanged.connect(lambda: changed.append(1))
    # IB: 2 calls bought at 2.50 -> avgCost 250 per contract; marketPrice per share
    s.set_position(call.display_symbol, 2, 250.0, 2.60, 20.0)
    s.set_position(put.display_symbol, -1, 300.0, 3.00, 0.0)
    s.set_position("AAPL", 100, 190.0, 200.0, 1000.0)
    row = m.row_of(("DU1234567", call.key))
    text = lambda col: m.index(row, m.column_index(col)).data()  # noqa: E731
    m.dirty.flush_now()
    assert (text("quantity"), text("avg_cost"), text("market_price"), text("market_value")) == \
        ("2", "2.50", "2.60", "520.00")
    assert text("unrealized_pnl") == "20.00"
    s.push_option_quote(call, 200.0, bid=3.05, ask=3.15)      # mark 3.10: 2 x 310 - 500
    s.push_option_quote(put, 200.0)
    s.push_quote("AAPL", last=200.0)
    m.dirty.flush_now()
    assert text("market_value") == "620.00" and text("unrealized_pnl") == "120.00"
    assert changed
    totals = m.greeks_totals()
    call_delta, put_delta = s.quote(call.key).greeks.delta, s.quote(put.key).greeks.delta
    a = totals["AAPL"]
    assert a.delta_shares == pytest.approx(call_delta * 200 - put_delta * 100 + 100)
    assert a.delta_value == pytest.approx(a.delta_shares * 200.0)
    assert (a.positions, a.missing) == (3, 0)
    m.close()


def test_greeks_rows_as_text():
    from app.domain import GreeksTotal
    from app.viewmodels.account import GREEKS_HEADERS, greeks_rows
    rows = greeks_rows({"MSFT": GreeksTotal("MSFT", "USD", 0.0, None, 0.0, 0.0, 0.0, 1, 1),
                        "AAPL": GreeksTotal("AAPL", "USD", 275.4, 55_080.0, 1.0, -10.0, -2.5, 3, 0)})
    assert len(GREEKS_HEADERS) == len(rows[0])
    assert rows == [("AAPL", "275", "55,080.00", "1.00", "-10.00", "-2.50"),
                    ("MSFT *", "0", "", "0.00", "0.00", "0.00")]
