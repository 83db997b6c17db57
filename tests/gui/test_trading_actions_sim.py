"""Trading actions against the simulated gateway: a real Session (ib_async over a socket),
the real command layer, a real ticket and the real matching engine.

- the kill switch cancels the working orders at the gateway and refuses the next order;
- the buy-at-ask hotkey (F5) places exactly one order when one-click trading is armed,
  and none when it is not.

The gateway's clock starts inside regular trading hours of a past weekday.
"""

from __future__ import annotations


import pytest
from PySide6.QtCore import QSettings, Qt

from app.domain import Action, OrderRequest, OrderType, round_to_tick
from tests.support import run_for, wait_until

from tests.gui.desk_support import build_desk
from tests.integration.sim_support import gateway_fixture, sim_session

gateway = gateway_fixture(seed=5)  # clock in regular trading hours of a past Wednesday


@pytest.fixture
def desk(qtbot, aloop, gateway, tmp_path):
    from app.commands import OrderCommands

    settings = QSettings(str(tmp_path / "ibdesk.ini"), QSettings.IniFormat)
    session = sim_session(gateway)
    commands = OrderCommands(session)
    desk = build_desk(qtbot, session, commands, settings)
    actions, ticket, model, win = desk.actions, desk.ticket, desk.model, desk.win
    confirmations, messages = desk.confirmations, desk.messages
    aloop.run_until_complete(session.connect())
    aloop.run_until_complete(model.set_symbol_text("MSFT"))
    wait_until(aloop, lambda: model.bid is not None and model.ask is not None, 10, what="MSFT quotes")
    yield session, commands, actions, ticket, model, win, gateway, confirmations, messages
    actions.close()
    model.close()
    session.disconnect()
    run_for(aloop, 0.05)


def _activate(win, qtbot) -> None:
    win.raise_()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)


def _gateway_orders(gw, client_id, *, working_only=False):
    """Orders the simulated gateway holds for ``client_id`` (every state, or working only)."""
    return [o for o in gw.exchange.orders(client_id, working_only=working_only) if not o.ticket.what_if]


def test_kill_switch_cancels_working_orders_and_refuses_the_next(desk, aloop):
    from app.commands import PlaceOrder
    session, commands, actions, ticket, model, win, gw, confirmations, messages = desk
    cid = session.client_id
    inst = model.instrument
    for i in range(2):
        limit = round_to_tick(model.bid * (0.9 - 0.01 * i), inst.min_tick)
        r = commands.execute(PlaceOrder(OrderRequest(inst, Action.BUY, 10, OrderType.LMT, limit_price=limit)))
        assert r.ok, r.message
    wait_until(aloop, lambda: sum(1 for o in session.orders() if o.client_id == cid
                                  and o.status.value == "Submitted") == 2, 10, what="two resting orders")
    questions = []
    actions.ask_kill = lambda text: questions.append(text) or "cancel"
    result = aloop.run_until_complete(actions.trigger("kill_switch"))
    assert result.ok, result.message
    assert questions == ["Kill switch: halt trading and cancel 2 working orders; 0 open positions."]
    assert len(_gateway_orders(gw, cid)) == 2
    wait_until(aloop, lambda: _gateway_orders(gw, cid, working_only=True) == [], 10,
               what="orders cancelled at the gateway")
    assert {o.status for o in _gateway_orders(gw, cid)} == {"Cancelled"}
    wait_until(aloop, lambda: not any(o.is_working for o in session.orders() if o.client_id == cid), 10,
               what="orders cancelled in the session")
    assert commands.halted
    # the next order is refused before it reaches the gateway, even armed
    actions.set_armed(True)
    before = len(_gateway_orders(gw, cid))
    aloop.run_until_complete(actions.trigger("buy_ask"))
    run_for(aloop, 0.3)
    assert len(_gateway_orders(gw, cid)) == before
    assert not messages[-1][0] and "halt" in messages[-1][1].lower()
    assert "halt" in ticket.problem.text().lower() and not ticket.transmit_button.isEnabled()


def test_buy_at_ask_hotkey_armed_places_one_order_not_armed_none(desk, aloop, qtbot):
    session, commands, actions, ticket, model, win, gw, confirmations, messages = desk
    cid = session.client_id
    model.set_quantity(3)
    # not armed: F5 prefills the ticket, nothing reaches the gateway
    _activate(win, qtbot)
    qtbot.keyClick(win, Qt.Key_F5)
    run_for(aloop, 0.5)
    assert _gateway_orders(gw, cid) == [] and confirmations == []
    assert model.action is Action.BUY and model.order_type is OrderType.LMT
    prefilled = model.limit_price
    assert prefilled is not None and abs(prefilled - model.ask) < 0.5  # the ask when F5 was pressed
    # armed: F5 transmits one order (after the LMT confirmation, which stays on)
    aloop.run_until_complete(actions.trigger("arm_one_click"))
    assert actions.armed
    _activate(win, qtbot)  # window shortcuts need the active window
    qtbot.keyClick(win, Qt.Key_F5)
    wait_until(aloop, lambda: len(_gateway_orders(gw, cid)) == 1, 10, what="one order at the gateway")
    run_for(aloop, 0.3)
    (order,) = _gateway_orders(gw, cid)
    assert len(confirmations) == 1 and confirmations[0].startswith("BUY 3 MSFT LMT")
    assert (order.ticket.action, order.ticket.total_qty, order.ticket.order_type) == ("BUY", 3, "LMT")
    # a disconnect disarms: F5 after reconnecting sends nothing
    session.disconnect()
    assert not actions.armed
