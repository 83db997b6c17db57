"""TicketModel without a view: validation reasons, prefill, description, transmit via OrderCommands."""

from __future__ import annotations

import pytest

from app.commands import OrderCommands
from app.domain import Action, OrderStatus, OrderType
from app.viewmodels.ticket import TicketModel
from tests.fakes import FakeSession


def test_prefill_from_quote_and_describe(ticket):
    s, t = ticket
    assert t.order_type is OrderType.LMT and t.limit_price == 187.49  # BUY: passive side = bid
    assert t.describe() == "BUY 100 AAPL LMT 187.49 DAY"
    assert t.problem() == ""
    t.set_order_type("STP LMT")
    assert t.stop_price == 187.51
    assert t.describe() == "BUY 100 AAPL STP LMT stop 187.51 limit 187.49 DAY"


@pytest.mark.parametrize("change, reason", [
    (lambda t: t.set_quantity(0), "Quantity must be positive, got 0"),
    (lambda t: t.set_quantity(10.5), "Stock quantity must be whole shares, got 10.5"),
    (lambda t: t.set_limit_price(None), "Limit price is required for a LMT order"),
    (lambda t: t.set_limit_price(187.555), "not a multiple of the tick size 0.01"),
    (lambda t: t.set_limit_price(-1.0), "Limit price must be positive"),
    (lambda t: (t.set_order_type("STP"), t.set_stop_price(None)), "Stop price is required for a STP order"),
])
def test_validation_reasons(ticket, change, reason):
    s, t = ticket
    change(t)
    assert reason in t.problem()


def test_no_instrument_and_not_connected(aloop):
    s = FakeSession()
    t = TicketModel(s, OrderCommands(s))
    assert t.problem() == "Choose a symbol first"
    t.set_instrument(s.contracts["MSFT"])
    t.set_limit_price(400.0)
    assert t.problem() == ""
    s.disconnect()
    assert "not connected" in t.problem()


def test_read_only_rejected(ticket):
    s, t = ticket
    t.commands.read_only = True
    assert "read-only" in t.problem()


def test_transmit_reaches_session(ticket):
    s, t = ticket
    results = []
    t.transmitted.connect(lambda ok, msg: results.append((ok, msg)))
    t.set_action(Action.SELL)
    t.set_limit_price(190.0)
    res = t.transmit()
    assert res.ok and res.order.status is OrderStatus.PENDING_SUBMIT
    name, (req,) = s.calls[-1]
    assert name == "place_order" and req.action is Action.SELL and req.limit_price == 190.0
    assert results == [(True, res.message)] and str(res.order.order_id) in res.message


def test_mkt_drops_prices_and_prefill(ticket):
    s, t = ticket
    t.prefill("SELL", "MKT", 190.0)
    req = t.request()
    assert req.limit_price is None and req.stop_price is None and req.order_type is OrderType.MKT
    t.prefill(Action.BUY, OrderType.STP, 190.004)
    assert t.stop_price == 190.0 and t.action is Action.BUY


def test_symbol_text_unknown(aloop):
    s = FakeSession()
    t = TicketModel(s, OrderCommands(s))
    with pytest.raises(ValueError, match="No security definition for 'QQQX'"):
        aloop.run_until_complete(t.set_symbol_text("qqqx"))
    inst = aloop.run_until_complete(t.set_symbol_text("eur.usd"))
    assert inst.con_id == 12087792 and t.tick == 0.00005


def test_ticket_holds_one_counted_subscription(ticket):
    s, t = ticket
    assert s.quote_refs["265598"] == 2  # the test's own + the ticket's
    t.set_instrument(s.contracts["MSFT"])
    assert s.quote_refs == {"265598": 1, "272093": 1}
    t.close()
    assert s.quote_refs == {"265598": 1}
