"""The blotter's questions, the modify dialog, the export file dialog, About and the quit
question are non-blocking (issue 14 item 16), like the ticket's confirmation: they open with
``open()``, the qasync loop keeps running (a quote or an order update arrives and is shown
while the dialog is open, in the same event loop level: no nested ``exec()``), and the
answer still triggers the same action."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt, QThread, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLineEdit, QMessageBox

from app.commands import PlaceOrder
from app.domain import Action, OrderRequest, OrderType, TimeInForce
from app.ui.main_window import MainWindow
from app.ui.modify_dialog import ModifyDialog
from tests.fakes import CONTRACTS
from tests.gui.desk_support import fake_panels
from tests.support import run_for, wait_until


@pytest.fixture
def desk(qtbot, aloop, tmp_path):
    """Panels over a FakeSession in a shown main window, one working AAPL order; a watchdog
    closes any dialog left open after 4 s (a blocking exec() would otherwise hang the test:
    it then returns "No" and the test fails instead)."""
    settings = QSettings(str(tmp_path / "d.ini"), QSettings.IniFormat)
    s, panels = fake_panels(qtbot, settings)
    w = MainWindow(panels.charts, panels.docks(), settings, chips=panels.chips, restore_layout=False)
    qtbot.addWidget(w)
    w.show()
    panels.ticket.set_instrument(CONTRACTS["AAPL"])
    req = OrderRequest(CONTRACTS["AAPL"], Action.BUY, 100, OrderType.LMT, 187.5, None, TimeInForce.DAY)
    rec = panels.commands.execute(PlaceOrder(req)).order
    wait_until(aloop, lambda: s.order(rec.order_id).status == "Submitted", what="Submitted")
    assert panels.blotter.select_order(rec.order_id)

    def close_dialogs():
        while (modal := QApplication.activeModalWidget()) is not None:
            modal.close()

    QTimer.singleShot(4000, close_dialogs)
    yield s, panels, w, rec
    panels.shutdown()


def _open_dialog(aloop, kind):
    """The visible dialog of ``kind`` once the loop has opened it."""
    wait_until(aloop, lambda: any(d.isVisible() for d in QApplication.topLevelWidgets()
                                  if isinstance(d, kind)), 2, what=f"{kind.__name__} open")
    return next(d for d in QApplication.topLevelWidgets() if isinstance(d, kind) and d.isVisible())


def _loop_keeps_running(aloop, s, panels):
    """Push a quote and an order update while a dialog is open: both reach the view-models,
    handled at the loop level the test runs (1), not in a nested loop."""
    levels = []
    panels.orders_model.dataChanged.connect(lambda *a: levels.append(QThread.currentThread().loopLevel()))
    base = QThread.currentThread().loopLevel()
    s.push_quote("AAPL", bid=190.01, ask=190.02, last=190.02)
    s.add_order(s.order(1).copy(order_id=77, client_id=5, perm_id=777))
    wait_until(aloop, lambda: panels.orders_model.find(77, client_id=5) is not None
               and panels.ticket_model.bid == 190.01, 2, what="quote and order shown under the dialog")
    s.add_order(s.order(1).copy(order_id=77, client_id=5, perm_id=777, quantity=300))
    wait_until(aloop, lambda: levels, 2, what="an order update repainted")
    assert set(levels) == {base + 1} if base == 0 else set(levels) == {base}


def test_cancel_question_does_not_block_and_yes_cancels(qtbot, aloop, desk):
    s, panels, w, rec = desk
    b = panels.blotter
    task = b.cancel_selected()           # returns at once; the question is open
    box = _open_dialog(aloop, QMessageBox)
    assert "Cancel order 1" in box.text() and not task.done()
    _loop_keeps_running(aloop, s, panels)
    assert box.isVisible() and not [c for c in s.calls if c[0] == "cancel_order"]
    yes = next(btn for btn in box.buttons() if btn.text() == "Yes")
    qtbot.mouseClick(yes, Qt.LeftButton)
    assert aloop.run_until_complete(task)
    assert [c[1] for c in s.calls if c[0] == "cancel_order"] == [(rec.order_id,)]


def test_cancel_question_no_sends_nothing(qtbot, aloop, desk):
    s, panels, w, rec = desk
    task = panels.blotter.cancel_all()
    box = _open_dialog(aloop, QMessageBox)
    qtbot.mouseClick(next(btn for btn in box.buttons() if btn.text() == "No"), Qt.LeftButton)
    assert not aloop.run_until_complete(task)
    assert not [c for c in s.calls if c[0] == "cancel_order"]
    assert "declined" in panels.blotter.message.text()


def test_modify_dialog_does_not_block_and_ok_modifies(qtbot, aloop, desk):
    s, panels, w, rec = desk
    b = panels.blotter
    b.confirm_modifies = False
    task = b.modify_selected()
    dlg = _open_dialog(aloop, ModifyDialog)
    _loop_keeps_running(aloop, s, panels)
    dlg.limit.setValue(186.25)
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    assert aloop.run_until_complete(task)
    assert [c[1] for c in s.calls if c[0] == "modify_order"] == [(rec.order_id, None, 186.25, None)]


def test_export_file_dialog_does_not_block(qtbot, aloop, desk, tmp_path):
    s, panels, w, rec = desk
    task = panels.blotter.export_current()
    dlg = _open_dialog(aloop, QFileDialog)
    _loop_keeps_running(aloop, s, panels)
    target = tmp_path / "orders-out.csv"
    name = dlg.findChild(QLineEdit, "fileNameEdit")      # typed as the trader does
    name.selectAll()
    qtbot.keyClicks(name, str(target))
    qtbot.keyClick(name, Qt.Key_Return)
    assert aloop.run_until_complete(task)
    assert target.read_text().startswith("Order ID,")


def test_about_does_not_block(qtbot, aloop, desk):
    s, panels, w, rec = desk
    w._about()                     # returns at once
    box = _open_dialog(aloop, QMessageBox)
    assert "ibdesk" in box.text()
    _loop_keeps_running(aloop, s, panels)
    box.close()


def test_quit_question_does_not_block_and_quit_closes(qtbot, aloop, desk):
    s, panels, w, rec = desk
    w.close_guard = lambda: "1 working order (it stays working at IB after ibdesk exits)"
    closed = []
    w.closing.connect(lambda: closed.append(True))
    assert not w.close()            # the question is open, the window stays for now
    box = _open_dialog(aloop, QMessageBox)
    assert "1 working order" in box.text()
    _loop_keeps_running(aloop, s, panels)
    assert w.isVisible() and not closed
    qtbot.mouseClick(next(btn for btn in box.buttons() if btn.text() == "No"), Qt.LeftButton)
    run_for(aloop, 0.05)
    assert w.isVisible() and not closed and "Quit cancelled" in w.log.toPlainText()
    w.close()
    box = _open_dialog(aloop, QMessageBox)
    qtbot.mouseClick(next(btn for btn in box.buttons() if btn.text() == "Quit"), Qt.LeftButton)
    wait_until(aloop, lambda: closed, 2, what="window closed")
    assert not w.isVisible()
