"""Trading from the chart: order lines (drag -> one ModifyOrder on tick, rejected -> snap back,
cancel button), execution markers, average-cost line, right-click prefill."""

from __future__ import annotations

from datetime import timezone

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from tests.gui.chart_support import show_chart
from app.commands.orders import CancelOrder, ModifyOrder, OrderCommands
from app.domain import Action, OrderRequest, OrderStatus, OrderType
from tests.fakes import FakeSession, ListJournal
from tests.support import run_for, wait_until
from tests.unit.chart.chart_fakes import make_bars


class RecordingCommands(OrderCommands):
    """The real command layer, recording every command it is asked to execute."""

    def __init__(self, session, **kw):
        super().__init__(session, **kw)
        self.executed: list = []

    def execute(self, cmd, **kw):
        self.executed.append(cmd)
        return super().execute(cmd, **kw)


@pytest.fixture
def trading(qtbot, aloop):
    session = FakeSession()
    aapl = session.contracts["AAPL"]
    bars = make_bars(300, start="2026-01-05 14:30")
    session.bars = bars
    vm, view = show_chart(qtbot, session)
    commands = RecordingCommands(session)
    view.attach_trading(session, commands)
    vm.set_instrument(aapl)
    wait_until(aloop, lambda: vm.count == 300 and not vm.loading, what="bars loaded")
    prompts: list[str] = []
    view.order_lines.confirm = lambda text: prompts.append(text) or True
    yield aloop, session, vm, view, commands, prompts, aapl
    view.detach_trading()
    vm.shutdown()


def _place_lmt(aloop, session, aapl, price=float(99.5), action=Action.BUY):
    rec = session.place_order(OrderRequest(aapl, action, 100, OrderType.LMT, limit_price=price))
    wait_until(aloop, lambda: session.order(rec.order_id).status is OrderStatus.SUBMITTED, what="submitted")
    return rec.order_id


def _mouse(widget, kind, pos, buttons):
    button = Qt.MouseButton.LeftButton
    ev = QMouseEvent(kind, QPointF(pos), widget.mapToGlobal(pos).toPointF(), button, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def _drag_line(view, line, new_price):
    """A real mouse drag of ``line`` on the viewport from its price to ``new_price``."""
    vb = view.price_plot.getViewBox()
    (x0, x1), _ = vb.viewRange()
    x = x0 + 0.6 * (x1 - x0)
    gv = view.plots
    start = gv.mapFromScene(vb.mapViewToScene(QPointF(x, line.value())))
    end = gv.mapFromScene(vb.mapViewToScene(QPointF(x, new_price)))
    vp = gv.viewport()
    left = Qt.MouseButton.LeftButton
    _mouse(vp, QEvent.Type.MouseButtonPress, start, left)
    steps = 6
    for k in range(1, steps + 1):
        p = start + (end - start) * (k / steps)
        _mouse(vp, QEvent.Type.MouseMove, p, left)
    _mouse(vp, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def test_working_order_is_a_labelled_line(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    line = view.order_lines.line_for(oid)
    assert line is not None and line.value() == pytest.approx(99.5)
    assert line.label.format == "BUY 100 LMT 99.50" and line.movable
    session.cancel_order(oid)
    wait_until(aloop, lambda: view.order_lines.line_for(oid) is None, what="line removed after cancel")


def test_mouse_drag_sends_exactly_one_modify_rounded_to_tick(trading, qtbot):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    line = view.order_lines.line_for(oid)
    view.price_plot.setYRange(98, 102, padding=0)
    view.plots.grab()
    _drag_line(view, line, 100.2371)
    _settle(aloop, view)
    mods = [c for c in commands.executed if isinstance(c, ModifyOrder)]
    assert len(mods) == 1, commands.executed
    cmd = mods[0]
    assert cmd.order_id == oid and cmd.stop_price is None and cmd.quantity is None
    assert round(cmd.limit_price * 100) == pytest.approx(cmd.limit_price * 100, abs=1e-9)  # on the 0.01 tick
    assert abs(cmd.limit_price - 100.2371) < 0.03  # where the mouse let go, give or take a pixel
    assert len(prompts) == 1 and f"{cmd.limit_price:.2f}" in prompts[0]
    assert session.order(oid).limit_price == cmd.limit_price
    assert line.value() == pytest.approx(cmd.limit_price)


def _settle(aloop, view):
    """Run the loop until the chart's last modify/cancel task (question, command) has finished."""
    task = view.order_lines.sending
    if task is not None:
        aloop.run_until_complete(task)


def _drop(aloop, view, oid: int, price: float):
    """Drag the order line of ``oid`` to ``price``, drop it (as the mouse release does) and let the
    confirmation and command run; returns the line."""
    line = view.order_lines.line_for(oid)
    line.setPos(price)
    line.sigPositionChangeFinished.emit(line)
    _settle(aloop, view)
    return line


def test_drop_rounds_half_up_to_tick(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    _drop(aloop, view, oid, 100.1251)
    assert commands.executed == [ModifyOrder(oid, limit_price=100.13)]


def test_rejected_modify_snaps_back_and_shows_why(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    commands.read_only = True
    line = _drop(aloop, view, oid, 101.0)
    assert len(commands.executed) == 1
    assert line.value() == pytest.approx(99.5)
    assert "read-only" in view.trade_message.text()
    assert session.order(oid).limit_price == 99.5


def test_the_question_does_not_block_and_holds_the_line_until_answered(trading):
    """The confirmation is awaited, not exec()'d: the loop keeps running (quotes, other
    orders) while it is open, the line stays at the dropped price and cannot be dragged
    again, nothing is sent until Yes, and the answer is journalled as the ticket's is."""
    aloop, session, vm, view, commands, prompts, aapl = trading
    journal = ListJournal()
    commands.journal = journal
    oid = _place_lmt(aloop, session, aapl, 99.5)
    answer = aloop.create_future()
    view.order_lines.confirm = lambda text: prompts.append(text) or answer
    line = view.order_lines.line_for(oid)
    line.setPos(100.004)
    line.sigPositionChangeFinished.emit(line)
    run_for(aloop, 0.1)
    assert commands.executed == [] and len(prompts) == 1
    assert line.value() == pytest.approx(100.0) and not line.movable
    session.push_quote("AAPL", bid=99.9, ask=100.1)      # the loop runs; another order's events
    _place_lmt(aloop, session, aapl, 95.0)                # re-sync the lines: the held one stays put
    assert line.value() == pytest.approx(100.0) and not line.movable
    answer.set_result(True)
    _settle(aloop, view)
    assert commands.executed == [ModifyOrder(oid, limit_price=100.0)] and line.movable
    assert [f["decision"] for f in journal.of("confirm")] == ["accepted"]


def test_declined_confirmation_sends_nothing_and_snaps_back(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    view.order_lines.confirm = lambda text: False
    line = _drop(aloop, view, oid, 98.0)
    assert commands.executed == [] and line.value() == pytest.approx(99.5)
    assert "declined" in view.trade_message.text()


def test_drop_on_same_tick_sends_nothing(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    line = _drop(aloop, view, oid, 99.503)
    assert commands.executed == [] and line.value() == pytest.approx(99.5)


def test_stop_order_drag_modifies_the_stop_price(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    rec = session.place_order(OrderRequest(aapl, Action.SELL, 50, OrderType.STP, stop_price=95.0))
    wait_until(aloop, lambda: session.order(rec.order_id).status is OrderStatus.SUBMITTED, what="submitted")
    line = view.order_lines.line_for(rec.order_id)
    assert line.label.format == "SELL 50 STP 95.00"
    _drop(aloop, view, rec.order_id, 94.444)
    assert commands.executed == [ModifyOrder(rec.order_id, stop_price=94.44)]


def test_cancel_button_cancels_through_the_command_layer(trading, qtbot):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    line = view.order_lines.line_for(oid)
    assert line.cancel_button.isVisible()
    line.cancel_button._on_click()
    _settle(aloop, view)
    assert commands.executed == [CancelOrder(oid)] and "Cancel order" in prompts[-1]
    wait_until(aloop, lambda: view.order_lines.line_for(oid) is None, what="line gone")


def test_other_clients_orders_are_not_movable(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    foreign = session.order(oid).copy(client_id=0, order_id=77, perm_id=555)
    session.add_order(foreign)
    lines = [ln for ln in view.order_lines.lines.values() if ln.record.client_id == 0]
    assert len(lines) == 1 and not lines[0].movable and not lines[0].cancel_button.isVisible()


def test_execution_markers_at_fill_time_and_price(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    ex = session.fill(oid, 40, price=99.5)
    # the FakeSession stamps "now": use a fill inside the charted bars instead
    t_bar = int(vm.bars.times[123]) + 60
    from dataclasses import replace
    from datetime import datetime
    inside = replace(ex, exec_id="x1", time=datetime.fromtimestamp(t_bar, tz=timezone.utc))
    sold = replace(ex, exec_id="x2", side="SLD", price=101.25,
                   time=datetime.fromtimestamp(int(vm.bars.times[200]), tz=timezone.utc))
    session.executionEvent.emit(inside)
    session.executionEvent.emit(sold)
    pts = {p[3]: p for p in view.executions.points}
    assert pts["x1"][:3] == (123.0, 99.5, "BOT")
    assert pts["x2"][:3] == (200.0, 101.25, "SLD")
    assert ex.exec_id not in pts  # "now" is after the last bar: not drawn


def test_average_cost_line(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    session.set_position("AAPL", 100, 98.765)
    assert view.avg_cost.line.isVisible() and view.avg_cost.line.value() == pytest.approx(98.765)
    assert view.avg_cost.line.label.format == "Pos 100 @ 98.77"
    session.set_position("MSFT", 5, 400.0)  # another instrument: unchanged
    assert view.avg_cost.line.value() == pytest.approx(98.765)
    session.set_position("AAPL", 0, 0.0)
    assert not view.avg_cost.line.isVisible()


def test_right_click_menu_prefills_the_ticket(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    got = []
    view.prefillRequested.connect(lambda a, t, p: got.append((a, t, p)))
    menu = view.prefill_menu(101.23456)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Buy LMT @ 101.23", "Sell LMT @ 101.23", "Buy STP @ 101.23", "Sell STP @ 101.23"]
    menu.actions()[3].trigger()
    menu.actions()[0].trigger()
    assert got == [("SELL", "STP", 101.23), ("BUY", "LMT", 101.23)]
