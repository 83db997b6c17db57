"""Connection → Connect to… and the quit question after a lost connection (issue 11)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.application import Terminal
from app.commands import OrderCommands, PlaceOrder
from app.domain import Action, ConnectionState, OrderRequest, OrderType
from app.ui.connect_dialog import ConnectDialog, Endpoint, remember, remembered
from tests.fakes import FakeSession


def ok_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.Ok)


def test_fields_are_checked_as_typed(qtbot):
    d = ConnectDialog(Endpoint("127.0.0.1", 7497, 17))
    qtbot.addWidget(d)
    assert ok_button(d).isEnabled()
    d.host.clear()
    assert not ok_button(d).isEnabled() and "Enter the host" in d.problem.text()
    qtbot.keyClicks(d.host, "127.0.0.1:7497")
    assert not ok_button(d).isEnabled() and "Port field" in d.problem.text()
    d.host.clear()
    qtbot.keyClicks(d.host, "gw.local")
    assert ok_button(d).isEnabled() and d.problem.text() == ""
    d.preset.setCurrentIndex(3)
    d.preset.activated.emit(3)
    d.client_id.setValue(42)
    assert d.endpoint() == Endpoint("gw.local", 4002, 42)


def test_endpoint_is_remembered_per_profile(tmp_path):
    path = str(tmp_path / "profile.ini")
    s = QSettings(path, QSettings.IniFormat)
    default = Endpoint("127.0.0.1", 7497, 1)
    assert remembered(s, default) == default
    remember(s, Endpoint("10.0.0.5", 4001, 9))
    s.sync()
    again = QSettings(path, QSettings.IniFormat)
    assert remembered(again, default) == Endpoint("10.0.0.5", 4001, 9)
    again.setValue("connection/port", "not a port")
    again.setValue("connection/host", "a b")
    assert remembered(again, default) == Endpoint("127.0.0.1", 7497, 9)


def test_quit_question_names_orders_whose_state_the_lost_link_left_unknown(aloop):
    s = FakeSession()
    inst = s.contracts["AAPL"]
    cmds = OrderCommands(s)
    assert cmds.execute(PlaceOrder(OrderRequest(inst, Action.BUY, 10, OrderType.LMT,
                                                limit_price=1.0))).ok
    s._state = ConnectionState.LOST
    text = Terminal.exit_warning(SimpleNamespace(session=s))
    assert text is not None and "1 order" in text and "unknown" in text
    # before this change a lost connection meant "nothing to say"


def test_session_endpoint_can_only_change_while_disconnected():
    from app.broker.session import Session

    async def go():
        s = Session("127.0.0.1", 7497, 1)
        s.set_endpoint("gw.local", 4002, 7)
        assert (s.host, s.port, s.client_id) == ("gw.local", 4002, 7)
        for bad in ((0, 1), (70000, 1), (4002, -1)):
            try:
                s.set_endpoint("h", *bad)
            except ValueError as e:
                assert "port" in str(e) or "client id" in str(e)
            else:
                raise AssertionError(f"{bad} accepted")
    asyncio.run(go())


# ---- issue 14 item 16: Connect to… and the live question do not block the event loop --------
def _visible(kind):
    from PySide6.QtWidgets import QApplication

    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def _terminal_stub(tmp_path, qtbot):
    """What ``Terminal.ask_endpoint_async`` / ``confirm_live_then_subscribe`` use of a terminal."""
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    window.log = SimpleNamespace(lines=[], add=lambda level, text: window.log.lines.append(text))
    window.show()
    switched, subscribed = [], []
    session = SimpleNamespace(host="127.0.0.1", port=7497, client_id=3, is_connected=True,
                              disconnect=lambda: setattr(session, "is_connected", False))
    stub = SimpleNamespace(
        session=session, window=window, opts=SimpleNamespace(yes_live=False), endpoint="127.0.0.1:7496",
        settings=QSettings(str(tmp_path / "t.ini"), QSettings.IniFormat), _live_confirmed="",
        switch_endpoint=lambda *ep: switched.append(ep),
        panels=SimpleNamespace(on_connected=lambda: subscribed.append(True)))
    return stub, switched, subscribed


def _ticks(aloop):
    """A counter the running loop increments every 10 ms (proof it is not blocked)."""
    count = [0]

    def tick():
        count[0] += 1
        aloop.call_later(0.01, tick)
    aloop.call_soon(tick)
    return count


def test_connect_to_and_its_live_question_do_not_block(qtbot, aloop, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from tests.support import wait_until

    stub, switched, _ = _terminal_stub(tmp_path, qtbot)
    task = asyncio.ensure_future(Terminal.ask_endpoint_async(stub))
    wait_until(aloop, lambda: _visible(ConnectDialog), 2, what="Connect to… open")
    count = _ticks(aloop)
    wait_until(aloop, lambda: count[0] >= 5, 2, what="the loop running under the dialog")
    (dialog,) = _visible(ConnectDialog)
    dialog.port.setValue(7496)            # TWS live: asks first
    qtbot.mouseClick(ok_button(dialog), Qt.LeftButton)
    wait_until(aloop, lambda: _visible(QMessageBox), 2, what="live question open")
    seen = count[0]
    wait_until(aloop, lambda: count[0] >= seen + 5, 2, what="the loop running under the question")
    (box,) = _visible(QMessageBox)
    assert "LIVE trading connection" in box.text()
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "No"), Qt.LeftButton)
    assert aloop.run_until_complete(task) is False and switched == []

    task = asyncio.ensure_future(Terminal.ask_endpoint_async(stub))
    wait_until(aloop, lambda: _visible(ConnectDialog), 2, what="Connect to… open again")
    (dialog,) = _visible(ConnectDialog)
    dialog.port.setValue(4002)            # IB Gateway paper: no question
    qtbot.mouseClick(ok_button(dialog), Qt.LeftButton)
    assert aloop.run_until_complete(task) is True and switched == [("127.0.0.1", 4002, 3)]


def test_live_account_question_after_connect_does_not_block(qtbot, aloop, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from tests.support import wait_until

    stub, _, subscribed = _terminal_stub(tmp_path, qtbot)
    task = asyncio.ensure_future(Terminal.confirm_live_then_subscribe(stub, "U1234567"))
    wait_until(aloop, lambda: _visible(QMessageBox), 2, what="live question open")
    count = _ticks(aloop)
    wait_until(aloop, lambda: count[0] >= 5, 2, what="the loop running under the question")
    (box,) = _visible(QMessageBox)
    assert "U1234567" in box.text() and not subscribed
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Yes"), Qt.LeftButton)
    assert aloop.run_until_complete(task) and subscribed == [True]
    assert stub._live_confirmed == "127.0.0.1:7496/U1234567"
    task = asyncio.ensure_future(Terminal.confirm_live_then_subscribe(stub, "U1234567"))
    wait_until(aloop, lambda: _visible(QMessageBox), 2, what="asked again")
    (box,) = _visible(QMessageBox)
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "No"), Qt.LeftButton)
    assert not aloop.run_until_complete(task)
    assert not stub.session.is_connected and "declined" in stub.window.log.lines[-1]
