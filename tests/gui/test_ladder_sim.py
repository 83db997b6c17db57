"""The depth ladder as a trader uses it, against the simulated gateway: a real Session
(ib_async over a socket), the real command layer and the real matching engine.

- a click in the Bid column sends a BUY LMT at that row's price through the command layer
  (after the confirmation), the row shows the own order, the gateway fills it when the
  market trades there and the row clears;
- a click on the own order cancels it; dragging it to another row modifies its price;
- not armed: every click asks; armed with the LMT confirmation off: no question.
"""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.domain import Action, OrderStatus
from app.viewmodels.ladder import COL_ASK, COL_BID, COL_BUYS, COL_SELLS
from tests.integration.sim_support import gateway_fixture, sim_session
from tests.support import run_for, wait_until

gateway = gateway_fixture(seed=5)  # clock in regular trading hours of a past Wednesday


def _set_quote(gw, con_id: int, bid: float, ask: float, last: float | None = None) -> None:
    """Script the top of book in the gateway's thread (matches orders), as the conformance
    ``market`` fixture does."""
    gateway = gw.gateway

    async def job():
        ex = gw.exchange
        gateway.call_exchange(lambda: ex.set_quote(con_id, max(gateway.clock(), ex.now), bid=bid,
                                                   ask=ask, bid_size=500, ask_size=500, last=last,
                                                   last_size=100 if last else None))
        for c in list(gateway.connections):
            c.flush()
    asyncio.run_coroutine_threadsafe(job(), gw.loop).result(5)


@pytest.fixture
def ladder(qtbot, aloop, gateway):
    from app.commands import OrderCommands
    from app.ui.ladder import LadderPanel

    session = sim_session(gateway)
    commands = OrderCommands(session)
    aloop.run_until_complete(session.connect())
    inst = aloop.run_until_complete(session.resolve("MSFT"))
    panel = LadderPanel(session, commands, rows=41)
    qtbot.addWidget(panel)
    panel.resize(520, 1000)
    panel.show()
    asked: list[str] = []

    def confirm(text, request, warnings):
        asked.append(text)
        return True

    def ask(title, text):
        asked.append(text)
        return True

    panel.confirm, panel.ask = confirm, ask
    panel.set_instrument(inst)
    wait_until(aloop, lambda: panel.model.best_bid() is not None and panel.model.best_ask() is not None,
               10, what="MSFT depth")
    run_for(aloop, 0.05)
    yield session, commands, panel, inst, asked
    panel.close_model()
    session.disconnect()
    run_for(aloop, 0.05)


def _click(qtbot, panel, row: int, col: int) -> None:
    view = panel.table
    rect = view.visualRect(panel.model.index(row, col))
    assert rect.isValid() and view.viewport().rect().contains(rect.center()), (row, col)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _drag(panel, row: int, col: int, to_row: int) -> None:
    view = panel.table
    a = view.visualRect(panel.model.index(row, col)).center()
    b = view.visualRect(panel.model.index(to_row, col)).center()
    QTest.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=a)
    QTest.mouseMove(view.viewport(), b)
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=b)


def _own_working(session, inst):
    return [o for o in session.orders() if o.client_id == session.client_id
            and o.instrument.key == inst.key and o.is_working]


def _shown(panel, price: float, col: int) -> str | None:
    row = panel.model.row_of(price)
    return None if row is None else panel.model.data(panel.model.index(row, col))


def test_click_bid_places_buy_lmt_which_fills_when_the_market_trades_there(ladder, qtbot, aloop, gateway):
    session, commands, panel, inst, asked = ladder
    price = round(panel.model.best_bid() - 0.10, 2)
    _click(qtbot, panel, panel.model.row_of(price), COL_BID)
    wait_until(aloop, lambda: _own_working(session, inst), 10, what="the BUY LMT at the gateway")
    (rec,) = _own_working(session, inst)
    assert (rec.action, str(getattr(rec.order_type, "value", rec.order_type)), rec.limit_price,
            rec.quantity) == (Action.BUY, "LMT", price, 100)
    assert len(asked) == 1 and "BUY 100 MSFT LMT" in asked[0]     # not armed: confirmed first
    wait_until(aloop, lambda: _shown(panel, price, COL_BUYS) == "B 100", 5, what="own order in the row")
    # the market trades down to the bid: the gateway fills it and the row clears
    _set_quote(gateway, inst.con_id, bid=round(price - 0.02, 2), ask=price, last=price)
    wait_until(aloop, lambda: session.order(rec.order_id).status is OrderStatus.FILLED, 10, what="fill")
    wait_until(aloop, lambda: _shown(panel, price, COL_BUYS) is None, 5, what="row cleared after the fill")
    # flatten again so later tests start flat (always asks)
    aloop.run_until_complete(panel.flatten())
    wait_until(aloop, lambda: not any(p.quantity for p in session.positions()
                                      if p.instrument.key == inst.key), 10, what="flat")


def test_click_own_order_cancels_and_drag_modifies(ladder, qtbot, aloop):
    session, commands, panel, inst, asked = ladder
    price = round(panel.model.best_ask() + 0.15, 2)
    _click(qtbot, panel, panel.model.row_of(price), COL_ASK)
    wait_until(aloop, lambda: _shown(panel, price, COL_SELLS) == "S 100", 10, what="own SELL shown")
    (rec,) = _own_working(session, inst)
    assert rec.action is Action.SELL and rec.limit_price == price

    # drag it three ticks higher: a modification through the command layer
    new_price = round(price + 0.03, 2)
    _drag(panel, panel.model.row_of(price), COL_SELLS, panel.model.row_of(new_price))
    wait_until(aloop, lambda: session.order(rec.order_id).limit_price == new_price, 10, what="modified")
    wait_until(aloop, lambda: _shown(panel, new_price, COL_SELLS) == "S 100"
               and _shown(panel, price, COL_SELLS) is None, 5, what="order moved rows")
    assert any("Modify order" in t for t in asked)

    # click it: cancelled
    _click(qtbot, panel, panel.model.row_of(new_price), COL_SELLS)
    wait_until(aloop, lambda: session.order(rec.order_id).status is OrderStatus.CANCELLED, 10,
               what="cancelled")
    wait_until(aloop, lambda: _shown(panel, new_price, COL_SELLS) is None, 5, what="row cleared")
    assert any("Cancel order" in t for t in asked)


def test_armed_one_click_skips_the_question_only_when_the_toggle_is_off(ladder, qtbot, aloop):
    session, commands, panel, inst, asked = ladder
    panel.set_armed(True)
    panel.toggles.set("LMT", False)
    price = round(panel.model.best_bid() - 0.12, 2)
    _click(qtbot, panel, panel.model.row_of(price), COL_BID)
    wait_until(aloop, lambda: _shown(panel, price, COL_BUYS) == "B 100", 10, what="one-click order")
    assert asked == []
    # a double click sends one order, not two
    price2 = round(price - 0.01, 2)
    row = panel.model.row_of(price2)
    rect = panel.table.visualRect(panel.model.index(row, COL_BID))
    vp, left, at = panel.table.viewport(), Qt.MouseButton.LeftButton, rect.center()
    # what a window system delivers for a double click: press, release, double-click, release
    QTest.mousePress(vp, left, pos=at)
    QTest.mouseRelease(vp, left, pos=at)
    QTest.mouseDClick(vp, left, pos=at)
    QTest.mouseRelease(vp, left, pos=at)
    wait_until(aloop, lambda: _shown(panel, price2, COL_BUYS) == "B 100", 10, what="second order")
    run_for(aloop, 0.3)
    assert len(_own_working(session, inst)) == 2
    # cancel all for the symbol (C), armed: no question
    panel.table.setFocus()
    aloop.run_until_complete(panel.cancel_all())
    wait_until(aloop, lambda: not _own_working(session, inst), 10, what="all cancelled")
    assert asked == []
