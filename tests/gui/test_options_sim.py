"""Options end to end against the simulated gateway (real ib_async Session over a socket): the
Options dock follows the watchlist's AAPL, shows its chain with IB's greeks, a click on a
call's Ask fills the ticket, Transmit buys 1 contract (the confirmation values it with the
multiplier), and the account panel shows the position with multiplier-correct value and P&L
and the greeks by underlying."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from app.domain import Action
from app.viewmodels.option_chain import COLUMNS
from tests.gui.terminal_support import close_terminal, open_terminal
from tests.integration.sim_support import gateway_fixture
from tests.support import wait_until

pytestmark = pytest.mark.timeout(90)
gateway = gateway_fixture(seed=13)


@pytest.fixture
def terminal(qtbot, aloop, gateway, tmp_path):
    settings = QSettings(str(tmp_path / "opt.ini"), QSettings.IniFormat)
    settings.setValue("watchlist/symbols", ["AAPL", "MSFT"])
    panels, session, window = open_terminal(qtbot, aloop, gateway, settings)
    yield panels, session, window
    close_terminal(aloop, panels, session)


def test_buy_a_call_from_the_chain_and_see_it_with_its_multiplier_and_greeks(terminal, aloop, qtbot):
    panels, session, window = terminal
    model, chain = panels.chain_model, panels.chain
    wait_until(aloop, lambda: model.underlying is not None and model.underlying.symbol == "AAPL"
               and model.strikes and model.atm_row is not None, 20, what="AAPL's chain, centred")
    assert chain.expiry_tabs.count() >= 8                    # weeklies and monthlies, ~3 months
    row = model.atm_row
    ask_col = COLUMNS.index("Ask")
    wait_until(aloop, lambda: model.raw(row, ask_col) and model.raw(row, COLUMNS.index("Delta")) is not None,
               20, what="the ATM call's quote and greeks")
    delta = model.raw(row, COLUMNS.index("Delta"))
    assert 0.3 < delta < 0.7 and 0.05 < model.raw(row, COLUMNS.index("IV %")) < 1.5
    call = model.option_at(row, ask_col)
    ask = model.raw(row, ask_col)
    # click the Ask: the ticket gets the call, BUY LMT at the ask, 1 contract
    rect = chain.table.visualRect(chain.proxy.index(row, ask_col))
    qtbot.mouseClick(chain.table.viewport(), Qt.LeftButton, pos=rect.center())
    t = panels.ticket_model
    assert t.instrument == call and t.action is Action.BUY and t.quantity == 1
    confirmations = []
    panels.ticket.confirm = lambda text: confirmations.append(text) or True
    panels.ticket.limit.setValue(round(ask * 1.5, 2))       # marketable: fills at the ask
    assert panels.ticket.transmit_button.isEnabled(), panels.ticket.problem.text()
    qtbot.mouseClick(panels.ticket.transmit_button, Qt.LeftButton)
    aloop.run_until_complete(panels.ticket.sending)
    assert confirmations and confirmations[-1].startswith(f"BUY 1 {call.display_symbol} LMT")
    assert "about" in confirmations[-1] and "USD" in confirmations[-1]
    # the position: 1 contract, valued with the multiplier
    positions = panels.positions_model
    wait_until(aloop, lambda: any(p.instrument.con_id == call.con_id for p in positions.records()), 20,
               what="the call in the positions")
    pos = next(p for p in positions.records() if p.instrument.con_id == call.con_id)
    assert pos.quantity == 1 and pos.instrument.multiplier == 100
    assert 0.5 * ask * 100 < pos.avg_cost < 2 * ask * 100 + 2      # IB: per contract, with commission
    g = panels.account.greeks_table
    wait_until(aloop, lambda: g.isVisible() and g.rowCount() and not g.item(0, 0).text().endswith("*"), 20,
               what="greeks by underlying (throttled)")
    assert panels.account.greeks_table.item(0, 0).text().startswith("AAPL")
    shares = float(panels.account.greeks_table.item(0, 1).text().replace(",", ""))
    assert 20 < shares < 80                                  # ~ delta x 100 of one ATM call
