"""The option chain acting as a trader, over FakeSession (its deterministic chains): the linked
symbol loads its expiries as tabs, the strikes nearest the money with the at-the-money row,
bid / ask / IV / greeks from the quotes, a click on an Ask asks the ticket to BUY that option at
the ask, another expiry and fewer strikes re-subscribe, an unknown underlying says why."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt

from app.domain import Action
from app.ui.option_chain import OptionChainPanel
from app.viewmodels.option_chain import COLUMNS, STRIKE_COL, OptionChainModel
from tests.fakes import CONTRACTS, FakeSession
from tests.fakes_options import FAKE_EXPIRATIONS
from tests.support import wait_until

AAPL = CONTRACTS["AAPL"]


@pytest.fixture
def chain(qtbot, aloop):
    s = FakeSession()
    aloop.run_until_complete(s.connect())
    model = OptionChainModel(s, strikes_shown=20)
    panel = OptionChainPanel(model)
    qtbot.addWidget(panel)
    panel.resize(1400, 600)
    panel.show()
    yield s, model, panel
    panel.shutdown()


def _load(aloop, s, model, panel, price=201.3):
    panel.set_instrument(AAPL)
    wait_until(aloop, lambda: model.strikes, what="strikes shown")
    s.push_quote("AAPL", last=price)
    wait_until(aloop, lambda: model.atm_row is not None and
               abs(model.strikes[model.atm_row] - price) <= 2.5, what="centred on the money")


def _cell(panel, row, name, side="C"):
    cols = [i for i, c in enumerate(COLUMNS) if c == name]
    col = cols[0] if side == "C" else cols[-1]
    return panel.table.visualRect(panel.proxy.index(row, col)).center(), col


def test_expiries_strikes_and_the_money(chain, aloop):
    s, model, panel = chain
    _load(aloop, s, model, panel)
    tabs = [panel.expiry_tabs.tabData(i) for i in range(panel.expiry_tabs.count())]
    assert tabs == list(FAKE_EXPIRATIONS) and model.expiry == FAKE_EXPIRATIONS[0]
    n = min(20, len(model.chain.strikes))
    assert len(model.strikes) == n and model.strikes == sorted(model.strikes)
    atm = model.atm_row
    assert model.strikes[atm] == min(model.strikes, key=lambda k: abs(k - 201.3))
    # each strike's call and put subscribed, plus the underlying
    opts = [i for i in s.subscribed if i != AAPL.key]
    assert len(opts) == 2 * n
    assert panel.proxy.data(panel.proxy.index(atm, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert panel.symbol.text() == "AAPL"


def test_quotes_and_greeks_then_a_click_on_the_ask_buys(chain, aloop, qtbot):
    s, model, panel = chain
    _load(aloop, s, model, panel)
    atm = model.atm_row
    call = model.option_at(atm, 0)
    put = model.option_at(atm, len(COLUMNS) - 1)
    assert call.right == "C" and put.right == "P" and call.strike == put.strike == model.strikes[atm]
    q = s.push_option_quote(call, 201.3, vol=0.30, open_interest=12_345)
    s.push_option_quote(put, 201.3, vol=0.32)
    wait_until(aloop, lambda: model.text(atm, COLUMNS.index("Ask")) != "", what="call quote shown")
    assert model.text(atm, COLUMNS.index("Ask")) == f"{q.ask:,.2f}"
    assert model.text(atm, COLUMNS.index("IV %")) == "30.0"
    assert model.text(atm, COLUMNS.index("Open int.")) == "12,345"        # where IB serves it
    assert model.text(atm, len(COLUMNS) - 1 - COLUMNS.index("Open int.")) == ""   # the put: none yet
    delta = float(model.text(atm, COLUMNS.index("Delta")))
    assert 0.3 < delta < 0.7
    put_delta = float(model.text(atm, len(COLUMNS) - 1 - SIDE_INDEX["Delta"]))
    assert -0.7 < put_delta < -0.3
    got = []
    panel.orderRequested.connect(lambda a, o, p: got.append((a, o, p)))
    pos, _col = _cell(panel, atm, "Ask")
    qtbot.mouseClick(panel.table.viewport(), Qt.LeftButton, pos=pos)
    assert got == [(Action.BUY, call, q.ask)]
    pos, _col = _cell(panel, atm, "Bid", side="P")
    qtbot.mouseClick(panel.table.viewport(), Qt.LeftButton, pos=pos)
    assert got[-1][0] is Action.SELL and got[-1][1] == put
    pos, _col = _cell(panel, atm, "Delta")
    qtbot.mouseClick(panel.table.viewport(), Qt.LeftButton, pos=pos)
    assert len(got) == 2                                 # a greek is not an order


SIDE_INDEX = {name: i for i, name in enumerate(COLUMNS[:STRIKE_COL])}


def test_another_expiry_and_fewer_strikes_resubscribe(chain, aloop):
    s, model, panel = chain
    _load(aloop, s, model, panel)
    first = {k for k in s.subscribed if k != AAPL.key}
    panel.expiry_tabs.setCurrentIndex(1)
    wait_until(aloop, lambda: model.expiry == FAKE_EXPIRATIONS[1] and model.strikes and
               all(model.option_at(0, 0).expiry == FAKE_EXPIRATIONS[1] for _ in [0]), what="expiry 2")
    now = {k for k in s.subscribed if k != AAPL.key}
    assert now and not (now & first)                     # the first expiry's quotes released
    panel.strikes_box.setCurrentIndex(panel.strikes_box.findData(10))
    assert len(model.strikes) == 10 and len([k for k in s.subscribed if k != AAPL.key]) == 20
    atm = model.strikes[model.atm_row]
    assert all(abs(k - atm) <= abs(k2 - atm) for k in model.strikes
               for k2 in set(model.chain.strikes) - set(model.strikes))   # the 10 nearest


def test_no_options_says_why(chain, aloop):
    s, model, panel = chain
    s.fail_options = "No security definition has been found for the request"
    panel.symbol.setText("MSFT")
    model.set_underlying(CONTRACTS["MSFT"])
    wait_until(aloop, lambda: "No options for MSFT" in panel.status.text(), what="the reason")
    assert model.strikes == [] and panel.expiry_tabs.count() == 0


def test_in_the_terminal_the_chain_follows_its_colour_and_fills_the_ticket(qtbot, aloop, tmp_path):
    """The Options dock is a link member: the watchlist's symbol loads its chain; a click on an
    Ask puts that option in the ticket as a LMT at the ask, valued with the multiplier."""
    from PySide6.QtCore import QSettings

    from tests.gui.desk_support import fake_panels
    from tests.gui.terminal_support import show_window

    settings = QSettings(str(tmp_path / "o.ini"), QSettings.IniFormat)
    settings.setValue("watchlist/symbols", ["AAPL", "MSFT"])
    s, panels = fake_panels(qtbot, settings)
    window = show_window(qtbot, panels, settings)
    try:
        aloop.run_until_complete(s.connect())
        panels.on_connected()
        wait_until(aloop, lambda: panels.chain_model.strikes, what="AAPL's chain from the link")
        assert panels.chain_model.underlying.symbol == panels.chart_model.instrument.symbol
        assert window.docks["options"].titleBarWidget().chip.colour == "red"
        model = panels.chain_model
        s.push_quote(model.underlying.display_symbol, last=201.3)
        wait_until(aloop, lambda: model.atm_row is not None, what="ATM")
        call = model.option_at(model.atm_row, 0)
        q = s.push_option_quote(call, 201.3)
        wait_until(aloop, lambda: model.raw(model.atm_row, COLUMNS.index("Ask")) == q.ask, what="quote")
        panels.chain._clicked(panels.chain.proxy.index(model.atm_row, COLUMNS.index("Ask")))
        t = panels.ticket_model
        assert t.instrument == call and t.action is Action.BUY and t.limit_price == q.ask
        assert t.quantity == 1
        assert f"{q.ask * 100:,.0f}" in t.notional_text()
    finally:
        panels.shutdown()


def test_account_panel_shows_greeks_by_underlying_only_with_options(qtbot, aloop):
    from app.ui.account import AccountPanel
    from app.viewmodels.account import AccountSummary, PositionsModel

    s = FakeSession()
    aloop.run_until_complete(s.connect())
    positions = PositionsModel(s)
    panel = AccountPanel(AccountSummary(s), positions)
    qtbot.addWidget(panel)
    panel.show()
    s.set_position("MSFT", 100, 400.0, 410.0, 0.0)
    panel.refresh_greeks()
    assert not panel.greeks_table.isVisible()          # stock only: nothing to show
    call = aloop.run_until_complete(s.option_contracts(AAPL, FAKE_EXPIRATIONS[0]))[0]
    s.set_position(call.display_symbol, 2, 250.0, 2.60, 20.0)
    s.push_option_quote(call, 200.0)
    wait_until(aloop, lambda: panel.greeks_table.isVisible() and panel.greeks_table.rowCount()
               and not panel.greeks_table.item(0, 0).text().endswith("*"), what="greeks table (throttled)")
    assert panel.greeks_table.item(0, 0).text() == "AAPL"
    delta = s.quote(call.key).greeks.delta
    assert panel.greeks_table.item(0, 1).text() == f"{delta * 200:,.0f}"
    positions.close()


def test_the_money_is_scrolled_into_the_middle(qtbot, aloop):
    s = FakeSession()
    aloop.run_until_complete(s.connect())
    model = OptionChainModel(s, strikes_shown=40)
    panel = OptionChainPanel(model)
    qtbot.addWidget(panel)
    panel.resize(1200, 220)                      # a short dock: a few rows visible
    panel.show()
    s.subscribe_quotes(AAPL)
    s.push_quote("AAPL", last=201.3)             # the price known before the chain
    panel.set_instrument(AAPL)
    wait_until(aloop, lambda: model.atm_row is not None, what="ATM")
    aloop.run_until_complete(asyncio.sleep(0.05))
    rect = panel.table.visualRect(panel.proxy.index(model.atm_row, STRIKE_COL))
    assert panel.table.viewport().rect().contains(rect.center())
    panel.shutdown()


def test_the_ticket_shows_an_option_in_whole_contracts_with_its_terms(qtbot, aloop):
    """Seen in a real window: the ticket showed 1.00 contracts and the company's name only."""
    from app.commands import OrderCommands
    from app.ui.ticket import OrderTicket
    from app.viewmodels.ticket import TicketModel

    s = FakeSession()
    aloop.run_until_complete(s.connect())
    ticket = OrderTicket(TicketModel(s, OrderCommands(s)))
    qtbot.addWidget(ticket)
    ticket.show()
    call = aloop.run_until_complete(s.option_contracts(AAPL, "20261218", [200.0]))[0]
    ticket.set_instrument(call)
    assert ticket.quantity.decimals() == 0 and ticket.quantity.value() == 1
    assert ticket.quantity.singleStep() == 1
    assert ticket.name.text() == "Call 200 · 18 Dec 2026 · x100"


def test_a_closed_panel_is_not_scrolled_after_its_chain_resets(qtbot, aloop):
    """A reset schedules the scroll to the money for the next event-loop turn: a panel deleted
    meanwhile (the window closing) must not be called (CI saw 'QTableView already deleted')."""
    import shiboken6

    s = FakeSession()
    aloop.run_until_complete(s.connect())
    model = OptionChainModel(s)
    panel = OptionChainPanel(model)
    s.subscribe_quotes(AAPL)
    s.push_quote("AAPL", last=201.3)
    panel.set_instrument(AAPL)
    wait_until(aloop, lambda: model.atm_row is not None, what="ATM")
    model.beginResetModel()
    model.endResetModel()                       # schedules the scroll (the money is known)
    shiboken6.delete(panel)                     # the panel is gone before the timer fires
    aloop.run_until_complete(asyncio.sleep(0.05))   # pytest-qt fails the test on an exception here
    model.close()


def test_the_greeks_table_is_rebuilt_at_most_once_per_interval(qtbot, aloop, monkeypatch):
    """greeksChanged follows every quote batch of a held option: a burst rebuilds the table once."""
    from app.ui.account import GREEKS_REFRESH_MS, AccountPanel
    from app.viewmodels.account import AccountSummary, PositionsModel

    s = FakeSession()
    positions = PositionsModel(s)
    panel = AccountPanel(AccountSummary(s), positions)
    qtbot.addWidget(panel)
    calls = []
    monkeypatch.setattr(panel, "refresh_greeks", lambda *a: calls.append(1))
    panel._greeks_timer.timeout.disconnect()
    panel._greeks_timer.timeout.connect(panel.refresh_greeks)
    for _ in range(50):
        positions.greeksChanged.emit()
    assert calls == []
    aloop.run_until_complete(asyncio.sleep(GREEKS_REFRESH_MS / 1000 + 0.1))
    assert calls == [1]
    positions.close()


def test_a_cell_drags_its_option_out_and_a_click_stays_a_click(chain, aloop, qtbot, monkeypatch):
    """Press on a call's Ask and move: the call is dragged out as an instrument (a copy) and no
    order is asked for; dropped on a watchlist it is added. The strike column drags nothing."""
    import app.ui.option_chain as chain_ui
    from PySide6.QtCore import QModelIndex
    from PySide6.QtWidgets import QApplication

    from app.viewmodels.instrument_mime import instruments_from_mime
    from app.viewmodels.watchlist import WatchlistModel
    s, model, panel = chain
    _load(aloop, s, model, panel)
    atm = model.atm_row
    call = model.option_at(atm, 0)
    s.push_option_quote(call, 201.3, vol=0.30)
    wait_until(aloop, lambda: model.text(atm, COLUMNS.index("Ask")) != "", what="call quote shown")
    drags = []

    class FakeDrag:
        def __init__(self, source):
            self.source = source

        def setMimeData(self, mime):
            self.mime = mime

        def exec(self, action):
            drags.append((instruments_from_mime(self.mime), action))
            return action
    monkeypatch.setattr(chain_ui, "QDrag", FakeDrag)
    got = []
    panel.orderRequested.connect(lambda a, o, p: got.append((a, o, p)))
    pos, _ = _cell(panel, atm, "Ask")
    vp = panel.table.viewport()
    qtbot.mousePress(vp, Qt.LeftButton, pos=pos)
    qtbot.mouseMove(vp, pos + type(pos)(QApplication.startDragDistance() + 5, 0))
    qtbot.mouseRelease(vp, Qt.LeftButton, pos=pos + type(pos)(QApplication.startDragDistance() + 5, 0))
    assert drags == [([call], Qt.DropAction.CopyAction)] and got == []
    qtbot.mouseClick(vp, Qt.LeftButton, pos=pos)                 # a click still buys
    assert len(got) == 1 and len(drags) == 1
    assert panel.table.drag_mime(panel.proxy.index(atm, STRIKE_COL)) is None
    w = WatchlistModel(s)
    w.set_symbols(["AAPL"])
    assert w.dropMimeData(panel.table.drag_mime(panel.proxy.index(atm, 0)), Qt.DropAction.CopyAction, -1, -1,
                          QModelIndex())
    wait_until(aloop, lambda: w.symbols() == ["AAPL", call.display_symbol], what="option added by the drop")
    w.close()
