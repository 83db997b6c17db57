"""Connection → Connect to… and the quit question after a lost connection (issue 11)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from PySide6.QtCore import QSettings
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
