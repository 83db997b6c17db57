"""Futures acting as a trader over FakeSession (its deterministic ES / NQ / CL / GC): ESZ6 typed
in the watchlist and the ticket, the front-month shortcut "/ES" resolving to the nearest
expiry, the ticket in whole contracts with the multiplier and the tick of the contract, and the
confirmation of buying 1 ES with its notional (price x 1 x 50) and the gateway's whatIf margin."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt

from app.commands import OrderCommands
from app.domain import OrderType, WhatIf
from app.ui.ticket import OrderTicket
from app.viewmodels.ticket import TicketModel
from tests.fakes import FakeSession, ListJournal
from tests.gui.watchlist_support import show_watchlist
from tests.support import wait_until

ES_MARGIN = WhatIf(init_margin_change=22_000.0, maint_margin_change=20_000.0, equity_with_loan_change=-2.25,
                   commission=2.25, commission_currency="USD")


def _watchlist(qtbot, aloop):
    s = FakeSession()
    return (s, *show_watchlist(qtbot, aloop, s))


def _type(qtbot, entry, text):
    entry.clear()
    qtbot.keyClicks(entry, text)
    qtbot.keyClick(entry, Qt.Key_Return)


def test_typing_esz6_in_the_watchlist_adds_the_future(qtbot, aloop):
    s, m, v = _watchlist(qtbot, aloop)
    _type(qtbot, v.entry, "esz6")
    wait_until(aloop, lambda: m.symbols() == ["AAPL", "ESZ6"], what="ESZ6 added")
    es = m.instruments()[1]
    assert (es.sec_type, es.expiry, es.multiplier, es.min_tick, es.exchange) == ("FUT", "20261218", 50.0, 0.25, "CME")
    assert str(es.con_id) in s.subscribed and v.message.isHidden()


def test_the_front_month_shortcut_adds_the_nearest_expiry_and_is_then_a_duplicate(qtbot, aloop):
    s, m, v = _watchlist(qtbot, aloop)
    _type(qtbot, v.entry, "/ES")
    wait_until(aloop, lambda: [i.display_symbol for i in m.instruments()] == ["AAPL", "ESZ6"],
               what="front month added")
    assert m.symbols() == ["AAPL", "/ES"]                          # saved as typed: it rolls
    _type(qtbot, v.entry, "ESZ6")
    wait_until(aloop, lambda: "already" in v.message.text(), what="duplicate contract")
    assert v.message.text() == "ESZ6 is already in the watchlist"
    _type(qtbot, v.entry, "/es")
    wait_until(aloop, lambda: v.message.text() == "/ES is already in the watchlist", what="duplicate /ES")
    s.futures_today = __import__("datetime").date(2026, 12, 19)    # ESZ6 has expired: ESH7 is next
    _type(qtbot, v.entry, "ESH7")
    wait_until(aloop, lambda: [i.display_symbol for i in m.instruments()] == ["AAPL", "ESZ6", "ESH7"],
               what="the next month as its own row")


def test_a_future_not_listed_says_so(qtbot, aloop):
    s, m, v = _watchlist(qtbot, aloop)
    _type(qtbot, v.entry, "ESU5")
    wait_until(aloop, lambda: v.message.isVisible(), what="message")
    assert v.message.text() == "No security definition for 'ESU5'"


def _ticket(qtbot, aloop, **kw):
    s = FakeSession()
    journal = ListJournal()
    t = OrderTicket(TicketModel(s, OrderCommands(s, journal=journal, **kw)))
    qtbot.addWidget(t)
    t.show()
    return s, t


def test_typing_esz6_in_the_ticket_shows_contracts_multiplier_and_tick(qtbot, aloop):
    s, t = _ticket(qtbot, aloop)
    _type(qtbot, t.symbol, "ESZ6")
    wait_until(aloop, lambda: t.model.instrument is not None, what="ESZ6 resolved")
    assert t.model.instrument.display_symbol == "ESZ6"
    assert t.quantity.decimals() == 0 and t.quantity.value() == 1 and t.quantity.singleStep() == 1
    assert t.name.text() == "E-mini S&P 500 · x50"
    assert t.limit.singleStep() == 0.25 and t.limit.decimals() == 2
    _type(qtbot, t.symbol, "/GC")
    wait_until(aloop, lambda: t.model.instrument.symbol == "GC", what="GC front month")
    assert t.model.instrument.display_symbol == "GCZ6" and t.name.text() == "Gold · x100"
    assert t.limit.singleStep() == 0.1


def test_buying_1_es_confirms_its_notional_and_the_gateways_margin(qtbot, aloop):
    s, t = _ticket(qtbot, aloop)
    s.what_if_result = ES_MARGIN
    es = aloop.run_until_complete(s.resolve("ESZ6"))
    s.subscribe_quotes(es)
    s.push_quote("ESZ6", bid=5999.75, ask=6000.0)
    t.set_instrument(es)
    t.model.set_order_type(OrderType.MKT)
    wait_until(aloop, lambda: t.model.ask == 6000.0, what="quote in the ticket")
    task = t.transmit()
    wait_until(aloop, lambda: t.dialog is not None and t.dialog.isVisible(), what="dialog open")
    dlg = t.dialog
    assert dlg.order_label.text().startswith("BUY 1 ESZ6 MKT DAY, about 300,000 USD at the ask 6,000.00")
    wait_until(aloop, lambda: "Initial margin" in dlg.impact_label.text(), what="whatIf numbers")
    assert dlg.impact_label.text().splitlines() == [
        "Initial margin change: +22,000.00", "Maintenance margin change: +20,000.00",
        "Equity with loan change: -2.25", "Commission: 2.25 USD"]
    (req,) = [c[1][0] for c in s.calls if c[0] == "what_if"]
    assert (req.instrument.display_symbol, req.quantity) == ("ESZ6", 1)
    dlg.transmit_button.click()
    result = aloop.run_until_complete(task)
    assert result.ok
    (placed,) = [c[1][0] for c in s.calls if c[0] == "place_order"]
    assert (placed.instrument.con_id, placed.instrument.multiplier, placed.quantity) == (es.con_id, 50.0, 1)
    aloop.run_until_complete(asyncio.sleep(0))


def test_the_symbol_fields_say_how_to_type_a_future(qtbot, aloop):
    s, m, v = _watchlist(qtbot, aloop)
    assert "/ES" in v.entry.placeholderText() and "ESZ6" in v.entry.placeholderText()
    assert "front month (/ES" in v.entry.toolTip()
    s2, t = _ticket(qtbot, aloop)
    assert t.symbol.toolTip() == v.entry.toolTip()
