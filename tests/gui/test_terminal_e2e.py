"""The whole terminal against the simulated gateway: real widgets, real Session
(ib_async over a socket), real command layer, real matching engine.

Drives the widgets the way a trader does: add a symbol, see its quotes, place a
LMT order from the ticket, find it in the blotter, modify its price through the
modify dialog, cancel it with the Delete key, then buy at market and watch the
position and cash change in the account panel.

The gateway's clock starts inside regular trading hours of a past weekday
(``make_gateway``), so the test does not depend on when it runs.
"""

from __future__ import annotations


import pytest
from PySide6.QtCore import QSettings, Qt

from app.domain import OrderStatus, round_to_tick
from tests.support import run_for, wait_until

from tests.gui.terminal_support import close_terminal, open_terminal
from tests.integration.sim_support import gateway_fixture

gateway = gateway_fixture(seed=11)  # clock in regular trading hours of a past Wednesday


@pytest.fixture
def terminal(qtbot, aloop, gateway, tmp_path):
    """Session + OrderCommands + panels + main window, connected to the gateway."""
    from app.ui.panels import KEY_SYMBOLS

    settings = QSettings(str(tmp_path / "ibdesk.ini"), QSettings.IniFormat)
    settings.setValue(KEY_SYMBOLS, ["AAPL", "MSFT"])
    panels, session, window = open_terminal(qtbot, aloop, gateway, settings)
    panels.window_under_test = window
    yield panels, session, gateway
    close_terminal(aloop, panels, session)


def _row(model, symbol):
    for r in model.records():
        if r.instrument.display_symbol == symbol:
            return r
    return None


def test_add_symbol_quotes_and_unknown_symbol_message(terminal, aloop, qtbot):
    panels, session, _ = terminal
    wl = panels.watchlist
    wl.entry.setText("meta")
    qtbot.keyClick(wl.entry, Qt.Key_Return)
    wait_until(aloop, lambda: (r := _row(panels.watchlist_model, "META")) is not None and r.quote is not None
               and r.quote.bid and r.quote.ask, 10, what="META quotes in the watchlist")
    q = _row(panels.watchlist_model, "META").quote
    assert 0 < q.bid < q.ask
    # the view shows the numbers, formatted to the tick
    model = panels.watchlist_model
    row = model.row_of(next(k for k in model.keys() if "META" in str(k)))
    bid_text = model.index(row, model.column_index("bid")).data()
    assert bid_text == f"{q.bid:,.2f}" or float(bid_text.replace(",", "")) > 0

    wl.entry.setText("ZZZZQX")
    qtbot.keyClick(wl.entry, Qt.Key_Return)
    wait_until(aloop, lambda: "No security definition" in wl.message.text(), 10, what="unknown-symbol message")
    assert wl.message.isVisible()
    assert "ZZZZQX" in wl.message.text()
    assert _row(panels.watchlist_model, "ZZZZQX") is None


def test_limit_order_place_modify_cancel_then_market_order_moves_account(terminal, aloop, qtbot):
    panels, session, gw = terminal
    assert panels.watchlist.select_symbol("MSFT")
    wait_until(aloop, lambda: panels.ticket_model.instrument is not None
               and panels.ticket_model.instrument.display_symbol == "MSFT"
               and panels.ticket_model.bid is not None, 10, what="ticket on MSFT with a bid")
    ticket = panels.ticket
    confirmations = []
    ticket.confirm = lambda text: confirmations.append(text) or True

    # --- LMT order well below the market: it rests ---------------------------------
    bid = panels.ticket_model.bid
    limit = round_to_tick(bid * 0.95, 0.01)
    qtbot.mouseClick(ticket.buy, Qt.LeftButton)
    ticket.order_type.setCurrentText("LMT")
    ticket.quantity.setValue(100)
    ticket.limit.setValue(limit)
    ticket.tif.setCurrentText("GTC")
    assert ticket.transmit_button.isEnabled(), ticket.problem.text()
    qtbot.mouseClick(ticket.transmit_button, Qt.LeftButton)
    aloop.run_until_complete(ticket.sending)
    assert confirmations and confirmations[-1].startswith("BUY 100 MSFT LMT")

    orders = panels.orders_model
    wait_until(aloop, lambda: any(o.status == OrderStatus.SUBMITTED and o.instrument.display_symbol == "MSFT"
                                  for o in orders.records()), 10, what="LMT order Submitted in the blotter")
    order = next(o for o in orders.records() if o.instrument.display_symbol == "MSFT")
    assert order.limit_price == pytest.approx(limit) and order.tif == "GTC" and order.quantity == 100
    assert order.perm_id

    # --- modify its price through the real modify dialog ------------------------------
    blotter = panels.blotter
    assert blotter.select_order(order.order_id)
    new_limit = round_to_tick(limit - 0.50, 0.01)
    from app.ui.modify_dialog import ModifyDialog

    asked = []
    blotter.confirm = lambda text: asked.append(text) or True  # "confirm modifies" is on by default
    assert blotter.confirm_modifies
    modifying = blotter.modify_selected()     # the dialog opens without blocking (open())
    wait_until(aloop, lambda: any(d.isVisible() for d in blotter.findChildren(ModifyDialog)), 5,
               what="modify dialog open")
    (dlg,) = [d for d in blotter.findChildren(ModifyDialog) if d.isVisible()]
    dlg.limit.setValue(new_limit)
    ok = dlg.buttons.button(dlg.buttons.StandardButton.Ok)
    assert ok.isEnabled(), dlg.problem.text()
    qtbot.mouseClick(ok, Qt.LeftButton)
    assert aloop.run_until_complete(modifying), blotter.message.text()
    assert asked and f"{order.order_id}" in asked[-1]
    wait_until(aloop, lambda: orders.find(order.order_id).limit_price == pytest.approx(new_limit), 10,
               what="modified limit price in the blotter")
    # the blotter shows the new price as soon as it is sent (marked in flight, ib_async's own
    # order object); the gateway applies it when its thread reads the message: wait for that
    # (a loaded CI machine once compared before the gateway had read it)
    wait_until(aloop, lambda: next(o for o in gw.exchange.orders() if o.order_id == order.order_id)
               .ticket.lmt_price == pytest.approx(new_limit), 10, what="the gateway applied the new limit")

    # --- cancel it with the Delete key ---------------------------------------------------
    blotter.confirm_cancels = False
    assert blotter.select_order(order.order_id)
    # the offscreen platform has no window manager to give the window back its activation
    # after the dialog closed (the Delete shortcut needs an active window)
    with qtbot.waitActive(blotter.window()):
        blotter.window().activateWindow()
    blotter.orders_table.setFocus()
    qtbot.keyClick(blotter.orders_table, Qt.Key_Delete)
    wait_until(aloop, lambda: orders.find(order.order_id).status == OrderStatus.CANCELLED, 10,
               what="Cancelled in the blotter")
    # a second cancel is refused by the command layer, with the reason shown
    blotter.filter.setCurrentText("All")
    assert blotter.select_order(order.order_id)
    assert not aloop.run_until_complete(blotter.cancel_selected())
    assert "Cancelled" in blotter.message.text()

    # --- MKT order fills: position and cash change in the account panel ------------------
    summary = panels.account_summary
    wait_until(aloop, lambda: summary.value("TotalCashValue") is not None, 10, what="account values")
    cash_before = summary.value("TotalCashValue")
    ticket.order_type.setCurrentText("MKT")
    ticket.quantity.setValue(10)
    assert not ticket.problem.text()
    # the ticket holds Transmit for a moment after a send (double-click guard)
    wait_until(aloop, ticket.transmit_button.isEnabled, 5, what="Transmit enabled again")
    qtbot.mouseClick(ticket.transmit_button, Qt.LeftButton)
    wait_until(aloop, lambda: any(o.status == OrderStatus.FILLED for o in orders.records()), 10, what="MKT filled")
    positions = panels.positions_model
    wait_until(aloop, lambda: any(p.instrument.display_symbol == "MSFT" and p.quantity == 10
                                  for p in positions.records()), 10, what="MSFT position of 10")
    wait_until(aloop, lambda: summary.value("TotalCashValue") is not None
               and summary.value("TotalCashValue") < cash_before - 1000, 10, what="cash reduced by the purchase")
    fill = next(o for o in orders.records() if o.status == OrderStatus.FILLED)
    spent = cash_before - summary.value("TotalCashValue")
    assert spent == pytest.approx(10 * fill.avg_fill_price, rel=0.01)  # plus a small commission
    assert panels.executions_model.rowCount() >= 1
    wait_until(aloop, lambda: panels.account.value_label("TotalCashValue").text()
               == summary.text("TotalCashValue"), 5, what="account panel showing the new cash")
    shown = float(panels.account.value_label("TotalCashValue").text().replace(",", ""))
    assert shown == pytest.approx(summary.value("TotalCashValue"), abs=0.01)
    assert shown < cash_before - 1000


def test_real_confirmation_dialog_under_qasync(terminal, aloop, qtbot):
    """The ticket's own confirmation dialog (non-blocking, under qasync) with the gateway's
    whatIf margin and commission: Cancel sends nothing, Transmit sends the order."""
    panels, session, gw = terminal
    assert panels.watchlist.select_symbol("AAPL")
    wait_until(aloop, lambda: panels.ticket_model.bid is not None
               and panels.ticket_model.instrument.display_symbol == "AAPL", 10, what="ticket on AAPL")
    ticket = panels.ticket
    assert ticket.confirm_orders
    ticket.order_type.setCurrentText("LMT")
    ticket.quantity.setValue(7)
    ticket.limit.setValue(round_to_tick(panels.ticket_model.bid * 0.9, 0.01))
    before = len(gw.exchange.orders())
    task = ticket.transmit()
    wait_until(aloop, lambda: ticket.dialog is not None and ticket.dialog.isVisible(), 5, what="dialog")
    assert "BUY 7 AAPL LMT" in ticket.dialog.order_label.text()
    wait_until(aloop, lambda: ticket.dialog.impact_label.text() != "checking margin…", 10, what="whatIf")
    assert "Initial margin change: +" in ticket.dialog.impact_label.text()  # whatIf from the gateway
    assert "Commission: 1.00 USD" in ticket.dialog.impact_label.text()
    ticket.dialog.cancel_button.click()
    assert aloop.run_until_complete(task) is None
    run_for(aloop, 0.3)
    assert len(gw.exchange.orders()) == before, "a declined confirmation must send nothing"
    assert "declined" in ticket.result.text()
    task = ticket.transmit()
    wait_until(aloop, lambda: ticket.dialog is not None and ticket.dialog.isVisible(), 5, what="dialog")
    ticket.dialog.transmit_button.click()
    assert aloop.run_until_complete(task).ok
    wait_until(aloop, lambda: len(gw.exchange.orders()) == before + 1, 10, what="order at the gateway")


def test_read_only_refuses_orders_and_quit_asks_with_working_orders(terminal, aloop, qtbot):
    """Trading -> Read-only mode: the ticket's order is refused with the reason and the gateway
    gets nothing while quotes keep flowing; with a working order, quitting asks first."""
    from types import SimpleNamespace

    from app.application import Terminal

    panels, session, gw = terminal
    window = panels.window_under_test
    assert panels.watchlist.select_symbol("AAPL")
    wait_until(aloop, lambda: panels.ticket_model.bid is not None
               and panels.ticket_model.instrument.display_symbol == "AAPL", 10, what="ticket on AAPL")
    read_only = panels.trading.actions["read_only"]
    assert read_only in window.trading_menu.actions()          # wired into the Trading menu
    read_only.trigger()
    assert panels.commands.read_only and window.status.flags["read_only"].isVisibleTo(window)
    ticket = panels.ticket
    ticket.confirm = lambda text: True
    ticket.order_type.setCurrentText("LMT")
    ticket.quantity.setValue(5)
    ticket.limit.setValue(round_to_tick(panels.ticket_model.bid * 0.9, 0.01))
    before = len(gw.exchange.orders())
    result = aloop.run_until_complete(ticket.transmit())
    assert result is None or not result.ok
    assert "read-only" in ticket.result.text()
    quote = panels.ticket_model.bid
    wait_until(aloop, lambda: panels.ticket_model.bid != quote, 10, what="quotes still flowing")
    run_for(aloop, 0.3)
    assert len(gw.exchange.orders()) == before
    # leaving read-only asks first (the question is injectable), then the order goes
    panels.trading.ask = lambda title, text: True
    aloop.run_until_complete(panels.trading.trigger("read_only"))
    assert not panels.commands.read_only and not window.status.flags["read_only"].isVisibleTo(window)
    assert aloop.run_until_complete(ticket.transmit()).ok
    wait_until(aloop, lambda: any(o.is_working for o in session.orders()), 10, what="working order")
    # quitting with a working order asks; "No" keeps the window open
    window.close_guard = lambda: Terminal.exit_warning(SimpleNamespace(session=session))
    asked = []
    window.ask_exit = lambda text: asked.append(text) or False
    assert not window.close() and window.isVisible()
    assert asked and "1 working order" in asked[0]
    window.ask_exit = lambda text: True
    assert window.close()
