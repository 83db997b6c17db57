"""Shared setup of the watchlist GUI tests."""

from __future__ import annotations

from app.ui.watchlist import WatchlistView
from app.ui.watchlists import WatchlistTabs
from app.viewmodels.watchlist import WatchlistModel
from app.viewmodels.watchlists import WatchlistSet
from tests.fakes import FakeSession
from tests.support import wait_until


def show_tabs(qtbot, aloop, lists=(("Main", ("AAPL", "MSFT", "NVDA")),)):
    """``(FakeSession, WatchlistSet, WatchlistTabs)`` with ``lists`` ((name, symbols), ...),
    shown 600x400, every row resolved."""
    s = FakeSession()
    ws = WatchlistSet(s)
    for name, symbols in lists:
        ws.add_list(name, symbols)
    w = WatchlistTabs(ws)
    qtbot.addWidget(w)
    w.resize(600, 400)
    w.show()
    wait_until(aloop, lambda: all(r.resolved for m in ws.models() for r in m.records()), what="resolved")
    return s, ws, w


def show_watchlist(qtbot, aloop, session, symbols=("AAPL",)):
    """``(WatchlistModel, WatchlistView)`` over ``session`` with ``symbols``, shown, every row
    resolved."""
    m = WatchlistModel(session)
    v = WatchlistView(m)
    qtbot.addWidget(v)
    v.show()
    m.set_symbols(list(symbols))
    wait_until(aloop, lambda: all(r.resolved for r in m.records()), what="resolved")
    return m, v
