"""A small trading desk for the hotkey and trading-action tests: main window, chart stand-in, ticket dock."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from app.ui.ticket import OrderTicket
from app.ui.trading_actions import TradingActions
from app.viewmodels.ticket import TicketModel


@dataclass
class Desk:
    """What :func:`build_desk` made; ``confirmations`` and ``messages`` collect what the
    ticket asked and what the trading actions reported as ``(ok, text)``."""

    model: TicketModel
    ticket: OrderTicket
    actions: TradingActions
    win: QMainWindow
    chart: QWidget
    confirmations: list = field(default_factory=list)
    messages: list = field(default_factory=list)


def build_desk(qtbot, session, commands, settings) -> Desk:
    """A shown, exposed and active main window with a focusable chart stand-in in the middle,
    the order ticket in a dock and ``TradingActions`` over ``session``/``commands``; the
    ticket's confirmation and the actions' questions answer yes."""
    model = TicketModel(session, commands)
    ticket = OrderTicket(model)
    win = QMainWindow()
    chart = QWidget()
    chart.setFocusPolicy(Qt.StrongFocus)
    win.setCentralWidget(chart)
    dock = QDockWidget("Order Ticket", win)
    dock.setWidget(ticket)
    win.addDockWidget(Qt.RightDockWidgetArea, dock)
    qtbot.addWidget(win)
    actions = TradingActions(win, commands=commands, session=session, ticket=ticket, ticket_model=model,
                             watchlist=None, chart=chart, blotter=None, settings=settings)
    desk = Desk(model, ticket, actions, win, chart)
    ticket.confirm = lambda text: desk.confirmations.append(text) or True
    actions.ask = lambda title, text: True
    actions.message.connect(lambda ok, text: desk.messages.append((ok, text)))
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    return desk


def fake_panels(qtbot, settings):
    """``(FakeSession, Panels)``: the terminal's real panels (``app.ui.panels.build_panels``)
    over a FakeSession and the real OrderCommands, with ``settings`` as the profile."""
    from app.commands import OrderCommands
    from app.ui.panels import build_panels
    from tests.fakes import FakeSession

    session = FakeSession()
    panels = build_panels(session, OrderCommands(session), settings)
    for w in list(panels.docks().values()) + [panels.chart_view]:
        qtbot.addWidget(w)
    return session, panels
