"""Futures end to end against the simulated gateway (real ib_async Session over a socket): "/ES"
typed in the watchlist resolves to the front month with its multiplier and tick; the ticket
buys 1 contract: the confirmation values it at price x 50 with the gateway's margin per
contract, the position carries the multiplier and the cash moves by the commission only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from app.commands import Limit, RiskLimits
from app.domain import OrderType
from tests.gui.terminal_support import close_terminal, open_terminal
from tests.integration.sim_support import gateway_fixture
from tests.support import wait_until

pytestmark = pytest.mark.timeout(90)
gateway = gateway_fixture(seed=17)


@pytest.fixture
def terminal(qtbot, aloop, gateway, tmp_path):
    settings = QSettings(str(tmp_path / "fut.ini"), QSettings.IniFormat)
    settings.setValue("watchlist/symbols", ["SPY"])
    panels, session, window = open_terminal(qtbot, aloop, gateway, settings)
    yield panels, session, window
    close_terminal(aloop, panels, session)


def test_front_month_es_bought_with_its_multiplier_notional_and_margin(terminal, aloop, qtbot):
    panels, session, _window = terminal
    wl = panels.watchlist
    wl.entry.setText("/ES")
    qtbot.keyClick(wl.entry, Qt.Key_Return)
    model = panels.watchlist_model
    wait_until(aloop, lambda: any(r.instrument.is_future and r.resolved for r in model.records()), 20,
               what="/ES resolved in the watchlist")
    es = next(r.instrument for r in model.records() if r.instrument.is_future)
    assert es.symbol == "ES" and es.multiplier == 50 and es.min_tick == 0.25 and es.local_symbol.startswith("ES")
    from ib_async import Future
    details = aloop.run_until_complete(session.ib.reqContractDetailsAsync(Future("ES", exchange="CME")))
    listed = sorted(d.contract.lastTradeDateOrContractMonth for d in details)
    assert es.expiry == listed[0]                                     # the front month
    # one ES is ~300,000 USD: the default order-value limit refuses it, so this trader raised it
    panels.commands.limits = RiskLimits(max_order_notional=Limit(True, 1_000_000))
    assert wl.select_symbol(es.display_symbol)
    t = panels.ticket_model
    wait_until(aloop, lambda: t.instrument == es and t.ask is not None, 20, what="ES quote in the ticket")
    assert t.quantity == 1
    confirmations = []
    panels.ticket.confirm = lambda text: confirmations.append(text) or True
    t.set_order_type(OrderType.MKT)
    cash_before = panels.account_summary.value("TotalCashValue")
    qtbot.mouseClick(panels.ticket.transmit_button, Qt.LeftButton)
    aloop.run_until_complete(panels.ticket.sending)
    text = confirmations[-1]
    assert text.startswith(f"BUY 1 {es.display_symbol} MKT DAY, about ")
    notional = float(text.split("about ")[1].split(" USD")[0].replace(",", ""))
    assert notional == pytest.approx(t.ask * 50, rel=0.01)
    positions = panels.positions_model
    wait_until(aloop, lambda: any(p.instrument.con_id == es.con_id for p in positions.records()), 20,
               what="ES in the positions")
    pos = next(p for p in positions.records() if p.instrument.con_id == es.con_id)
    assert pos.quantity == 1 and pos.instrument.multiplier == 50
    wait_until(aloop, lambda: cash_before is not None and panels.account_summary.value("TotalCashValue") not in
               (None, cash_before), 20, what="the cash after the fill")
    assert cash_before - panels.account_summary.value("TotalCashValue") == pytest.approx(2.25, abs=0.01)
