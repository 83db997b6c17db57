"""WatchlistModel without a view: add/resolve, quotes, coalescing, flashes, sort, persistence."""

from __future__ import annotations

import asyncio
import time

import pytest
from PySide6.QtCore import QSortFilterProxyModel, Qt

from app.ui import theme
from app.viewmodels.coalesce import FLUSH_INTERVAL_MS, MAX_FLUSH_INTERVAL_MS, DirtyCells, changed_ranges
from app.viewmodels.table import SORT_ROLE
from app.viewmodels.watchlist import DEFAULT_SYMBOLS, FLASH_ROLE, WatchlistError, WatchlistModel
from tests.fakes import FakeSession
from tests.support import wait_until


def _model(aloop, symbols=("AAPL", "MSFT", "NVDA", "SPY", "EUR.USD"), **kw):
    s = FakeSession()
    m = WatchlistModel(s, **kw)
    m.set_symbols(list(symbols))
    wait_until(aloop, lambda: all(r.resolved for r in m.records()), what="rows resolved")
    return s, m


def _cell(m, symbol, col):
    return m.index(m.row_of(symbol), m.column_index(col))


def test_changed_ranges():
    assert changed_ranges({1: (2, 3), 2: (2, 3), 3: (5, 5), 7: (1, 1)}) == [
        (1, 2, 2, 3), (3, 5, 3, 5), (7, 1, 7, 1)]
    assert changed_ranges({}) == []


def test_dirty_cells_smallest_ranges(qapp):
    calls = []
    d = DirtyCells(lambda *a: calls.append(a), interval_ms=10_000)
    d.mark(1, 2)
    d.mark(2, 4, 5)
    d.mark(7, 1)
    d.mark(1, 3)
    d.flush_now()
    # the smallest ranges: no clean cell between dirty ones (row 1 cols 4-5 are clean)
    assert calls == [(1, 2, 1, 3), (2, 4, 2, 5), (7, 1, 7, 1)]
    assert not d.pending
    for r in (3, 4, 5):
        d.mark(r, 1, 2)
    d.flush_now()
    assert calls[-1] == (3, 1, 5, 2)      # consecutive rows with the same columns: one range


def test_dirty_cells_leading_edge_then_one_interval(qapp):
    """A change after a quiet spell flushes on the next loop pass; one soon after a flush
    waits only for the rest of the interval (never a full interval after it)."""
    now = [100.0]
    d = DirtyCells(lambda *a: None, interval_ms=16, clock=lambda: now[0])
    d.mark(1, 1)
    assert d._timer.isActive() and d._timer.interval() == 0
    d.flush_now()
    now[0] += 0.010
    d.mark(2, 1)
    assert d._timer.interval() == 6
    d.flush_now()
    now[0] += 0.050
    d.mark(3, 1)
    assert d._timer.interval() == 0


def test_dirty_cells_frame_pacing(qapp):
    """A flush timer that fires late (saturated loop) stretches the interval up to
    MAX_FLUSH_INTERVAL_MS; on-time flushes bring it back to the base interval."""
    now = [100.0]
    d = DirtyCells(lambda *a: None, interval_ms=16, clock=lambda: now[0])
    for _ in range(20):
        d.mark(1, 1)
        now[0] = d._due + 0.040              # the loop got to the timer 40 ms late
        d._on_timer()
    assert d.interval_ms == MAX_FLUSH_INTERVAL_MS
    now[0] += 1.0
    d.mark(1, 1)
    assert d._timer.interval() == 0          # after a quiet spell still flushed at once
    for _ in range(20):
        now[0] = d._due                      # on time
        d._on_timer()
        d.mark(1, 1)
    assert d.interval_ms == 16


def test_dirty_cells_visible_rows_filter(qapp):
    calls = []
    d = DirtyCells(lambda *a: calls.append(a), interval_ms=10_000)
    d.set_visible_rows(lambda: {2, 3})
    for r in (1, 2, 3, 9):
        d.mark(r, 0)
    d.flush_now()
    assert calls == [(2, 0, 3, 0)] and d.dropped_rows == 2
    d.set_visible_rows(lambda: None)     # None = every row
    d.mark(9, 0)
    d.flush_now()
    assert calls[-1] == (9, 0, 9, 0)


def test_set_symbols_resolves_and_subscribes(aloop):
    s, m = _model(aloop)
    assert m.symbols() == ["AAPL", "MSFT", "NVDA", "SPY", "EUR.USD"]
    assert set(s.subscribed) == {str(c.con_id) for c in s.contracts.values()}
    assert "AAPL" in DEFAULT_SYMBOLS and "EUR.USD" in DEFAULT_SYMBOLS


def test_add_unknown_and_duplicate(aloop):
    s, m = _model(aloop, ["AAPL"])
    with pytest.raises(WatchlistError, match="No security definition for 'XYZ'"):
        aloop.run_until_complete(m.add_symbol("xyz"))
    with pytest.raises(WatchlistError, match="already in the watchlist"):
        aloop.run_until_complete(m.add_symbol("aapl"))
    with pytest.raises(WatchlistError, match="not a valid symbol"):
        aloop.run_until_complete(m.add_symbol("A$#"))
    inst = aloop.run_until_complete(m.add_symbol("msft"))
    assert inst.con_id == 272093 and m.symbols() == ["AAPL", "MSFT"]


def test_remove_unsubscribes(aloop):
    s, m = _model(aloop, ["AAPL", "MSFT"])
    assert m.remove_symbol("AAPL")
    assert m.symbols() == ["MSFT"] and "265598" not in s.subscribed
    assert not m.remove_symbol("AAPL")


def test_quote_values_formatted_to_tick(aloop):
    s, m = _model(aloop)
    s.push_quote("AAPL", bid=187.5, ask=187.51, last=187.5, close=185.0, volume=12_345_678, bid_size=300)
    s.push_quote("EUR.USD", bid=1.08125, ask=1.0813)
    m.dirty.flush_now()
    assert _cell(m, "AAPL", "bid").data() == "187.50"
    assert _cell(m, "AAPL", "change").data() == "+2.50"
    assert _cell(m, "AAPL", "change_pct").data() == "+1.35%"
    assert _cell(m, "AAPL", "volume").data() == "12.3M"
    assert _cell(m, "AAPL", "bid").data(Qt.ToolTipRole) == "Bid size: 300"
    assert _cell(m, "AAPL", "change").data(Qt.ForegroundRole).name() == "#1b7a34"
    assert _cell(m, "EUR.USD", "bid").data() == "1.08125"
    assert _cell(m, "EUR.USD", "ask").data() == "1.08130"
    assert _cell(m, "AAPL", "bid").data(Qt.TextAlignmentRole) & int(Qt.AlignRight)


def test_thousand_quotes_coalesce(aloop):
    s, m = _model(aloop)
    m.dirty.flush_now()                     # the rows' resolution, before the quotes
    passes0, count0 = m.dirty.passes, m.dirty.flush_count
    emitted = []
    m.dataChanged.connect(lambda tl, br: emitted.append((tl.row(), tl.column(), br.row(), br.column())))

    async def feed():
        for i in range(1000):
            s.push_quote(["AAPL", "MSFT", "NVDA", "SPY"][i % 4], bid=100 + i * 0.01, ask=101 + i * 0.01,
                         last=100.5 + i * 0.01)
            if i % 20 == 19:
                await asyncio.sleep(0.005)  # let the loop run: quotes arrive over ~0.3 s

    t0 = time.monotonic()
    aloop.run_until_complete(feed())
    wait_until(aloop, lambda: not m.dirty.pending, what="flush")
    elapsed = time.monotonic() - t0
    # at most one flush per FLUSH_INTERVAL_MS (timers may fire a little early; +2 for the
    # edges); each flush emits its smallest ranges
    passes = m.dirty.passes - passes0
    assert 2 <= passes <= elapsed / (FLUSH_INTERVAL_MS / 1000 * 0.94) + 2, (passes, elapsed)
    assert all(0 <= top <= bottom <= 3 for top, _, bottom, _ in emitted), emitted   # only the 4 quoted rows
    assert _cell(m, "SPY", "bid").data() == f"{100 + 999 * 0.01:.2f}"
    assert m.dirty.flush_count - count0 == len(emitted)
    print(f"1000 quotes -> {len(emitted)} dataChanged in {elapsed:.2f} s")


def test_smallest_changed_range(aloop):
    s, m = _model(aloop)
    s.push_quote("NVDA", bid=100.0, ask=100.02, last=100.01)
    m.dirty.flush_now()
    emitted = []
    m.dataChanged.connect(lambda tl, br: emitted.append((tl.row(), tl.column(), br.row(), br.column())))
    s.push_quote("NVDA", bid=100.01)
    m.dirty.flush_now()
    r, c = m.row_of("NVDA"), m.column_index("bid")
    assert emitted == [(r, c, r, c)]


def test_flash_up_down_and_expiry(aloop):
    s, m = _model(aloop, ["AAPL"], flash_ms=100)
    s.push_quote("AAPL", bid=10.0, ask=10.02)
    assert _cell(m, "AAPL", "bid").data(FLASH_ROLE) == 0
    s.push_quote("AAPL", bid=10.01, ask=10.01)
    assert _cell(m, "AAPL", "bid").data(FLASH_ROLE) == 1
    assert _cell(m, "AAPL", "ask").data(FLASH_ROLE) == -1
    # the flash is the cell's background, painted by Qt's own delegate
    assert _cell(m, "AAPL", "bid").data(Qt.BackgroundRole).name() == theme.color("flash_up_bg", theme.LIGHT)
    assert _cell(m, "AAPL", "ask").data(Qt.BackgroundRole).name() == theme.color("flash_down_bg", theme.LIGHT)
    assert _cell(m, "AAPL", "symbol").data(Qt.BackgroundRole) is None
    wait_until(aloop, lambda: _cell(m, "AAPL", "bid").data(FLASH_ROLE) == 0, timeout=2, what="flash end")
    assert _cell(m, "AAPL", "bid").data(Qt.BackgroundRole) is None


def test_flash_expiry_visits_only_flashing_rows(aloop):
    """Ending a flash looks at the flashing rows only (it walked every row of the table on
    each expiry pass, and a busy feed makes a pass every few milliseconds)."""
    from app.domain import Instrument

    insts = [Instrument(f"S{i:04d}", "STK", "SMART", "USD", "NASDAQ", 100000 + i, 0.01, f"S{i:04d}", "")
             for i in range(200)]
    s = FakeSession(contracts=insts)
    m = WatchlistModel(s, flash_ms=20)
    m.set_symbols([i.symbol for i in insts])
    aloop.run_until_complete(m.start())
    s.push_quote("S0007", bid=10.0, ask=10.02)
    s.push_quote("S0007", bid=10.01, ask=10.02)
    assert _cell(m, "S0007", "bid").data(FLASH_ROLE) == 1
    visited = []
    lookup = m.record_for
    m.record_for = lambda key: visited.append(key) or lookup(key)
    m._expire_flashes()
    assert set(visited) <= {"S0007"}
    wait_until(aloop, lambda: _cell(m, "S0007", "bid").data(FLASH_ROLE) == 0, timeout=2, what="flash end")
    assert len(visited) <= 5


def test_numeric_sort_not_text(aloop):
    s, m = _model(aloop, ["AAPL", "MSFT", "NVDA"])
    s.push_quote("AAPL", last=9.5)
    s.push_quote("MSFT", last=100.25)
    s.push_quote("NVDA", last=1_000.0)
    m.dirty.flush_now()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(m)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(m.column_index("last"), Qt.AscendingOrder)
    texts = [proxy.index(r, m.column_index("last")).data() for r in range(3)]
    assert texts == ["9.50", "100.25", "1,000.00"]  # as text "1,000.00" < "100.25" < "9.50"


def test_set_symbols_skips_bad_and_duplicates(aloop):
    s = FakeSession()
    m = WatchlistModel(s)
    skipped = m.set_symbols(["AAPL", "aapl", "bad symbol", "SPY"])
    assert m.symbols() == ["AAPL", "SPY"]
    assert len(skipped) == 2
    wait_until(aloop, lambda: all(r.resolved for r in m.records()), what="resolve")


def test_unknown_persisted_symbol_marked(aloop):
    s = FakeSession()
    m = WatchlistModel(s)
    msgs = []
    m.message.connect(msgs.append)
    m.set_symbols(["AAPL", "ZZZZ"])
    wait_until(aloop, lambda: msgs, what="error message")
    assert msgs == ["No security definition for 'ZZZZ'"]
    assert "No security definition" in _cell(m, "ZZZZ", "symbol").data(Qt.ToolTipRole)


def test_restart_after_reconnect_holds_one_subscription_per_row(aloop):
    s, m = _model(aloop, ["AAPL", "MSFT"])
    s.drop_connection()
    aloop.run_until_complete(s.connect())
    assert aloop.run_until_complete(m.start()) == []
    assert s.quote_refs == {"265598": 1, "272093": 1}
    m.set_symbols(["SPY"])
    wait_until(aloop, lambda: "756733" in s.subscribed, what="SPY subscribed")
    assert s.quote_refs == {"756733": 1}
    m.close()
    assert s.quote_refs == {}


def test_rows_added_offline_resolve_on_start(aloop):
    s = FakeSession(connected=False)
    m = WatchlistModel(s)
    m.set_symbols(["AAPL", "EUR.USD"])
    assert not any(r.resolved for r in m.records())
    with pytest.raises(WatchlistError, match="not connected"):
        aloop.run_until_complete(m.add_symbol("MSFT"))
    aloop.run_until_complete(s.connect())  # the model starts itself on CONNECTED
    wait_until(aloop, lambda: all(r.resolved for r in m.records()), what="resolved on connect")
    aloop.run_until_complete(m.start())  # a second start changes nothing
    assert s.quote_refs == {"265598": 1, "12087792": 1}


def test_concurrent_starts_resolve_once(aloop):
    s = FakeSession(connected=False)
    m = WatchlistModel(s)
    m.set_symbols(["AAPL", "MSFT"])
    aloop.run_until_complete(s.connect())  # starts itself on CONNECTED ...

    async def both():  # ... and the main window calls start() as well
        return await asyncio.gather(m.start(), m.start())

    aloop.run_until_complete(both())
    assert [c[0] for c in s.calls].count("resolve") == 2
    assert s.quote_refs == {"265598": 1, "272093": 1}


def test_a_front_month_row_is_saved_as_typed_and_rolls(aloop):
    """"/ES" shows the front month (ESZ6) but is kept as "/ES": after ESZ6's last trade date
    a reconnect or a restart loads ESH7 (it was saved as "ESZ6", which stops trading)."""
    from datetime import date
    s, m = _model(aloop, ["AAPL"])
    es = aloop.run_until_complete(m.add_symbol("/ES"))
    assert es.local_symbol == "ESZ6" and m.symbols() == ["AAPL", "/ES"]
    assert m.contains("/ES") and "front month" in m.data(_cell(m, "/ES", "symbol"), Qt.ItemDataRole.ToolTipRole)
    with pytest.raises(WatchlistError, match="ESZ6 is already in the watchlist"):
        aloop.run_until_complete(m.add_symbol("ESZ6"))
    # a restart from the saved symbols: the same front month while it trades
    s2 = FakeSession()
    m2 = WatchlistModel(s2)
    m2.set_symbols(m.symbols())
    wait_until(aloop, lambda: all(r.resolved for r in m2.records()), what="restored")
    assert [r.instrument.display_symbol for r in m2.records()] == ["AAPL", "ESZ6"]
    assert m2.symbols() == ["AAPL", "/ES"]
    # ESZ6's last trade date passes; the gateway's nightly restart reconnects: ESH7
    s.futures_today = date(2026, 12, 21)
    s.drop_connection()
    aloop.run_until_complete(s.connect())
    wait_until(aloop, lambda: m.record_for("/ES").instrument.local_symbol == "ESH7", what="rolled")
    esz6, esh7 = s.futures["ESZ6"], s.futures["ESH7"]
    assert esh7.key in s.quote_refs and esz6.key not in s.quote_refs
    assert m.symbols() == ["AAPL", "/ES"]


def test_a_row_restored_from_the_front_month_can_be_removed(aloop):
    """The view removes by the row's display symbol ("ESZ6"); the row is keyed "/ES"."""
    s, m = _model(aloop, ["AAPL", "/ES"])
    assert m.remove_symbol("ESZ6")
    assert m.symbols() == ["AAPL"] and not any(k != "265598" for k in s.quote_refs)


def test_class_shares_and_options_survive_a_restart(aloop):
    """symbols() saves what the rows show ("BRK B", "AAPL 20261218 240 C"); the next start
    parsed neither and dropped both rows."""
    s = FakeSession(connected=False)
    m = WatchlistModel(s)
    assert m.set_symbols(["BRK.B", "AAPL 20261218 240 C", "ES 202612"]) == []
    saved = m.symbols()
    assert saved == ["BRK B", "AAPL 20261218 240 C", "ES 202612"]
    m2 = WatchlistModel(FakeSession(connected=False))
    assert m2.set_symbols(saved) == [] and m2.symbols() == saved
    assert [r.instrument.sec_type for r in m2.records()] == ["STK", "OPT", "FUT"]


def test_a_roll_onto_a_contract_already_listed_keeps_the_row_and_says_so(aloop):
    from datetime import date
    s, m = _model(aloop, ["/ES", "ESH7"])
    messages = []
    m.message.connect(messages.append)
    s.futures_today = date(2026, 12, 21)
    s.drop_connection()
    aloop.run_until_complete(s.connect())
    wait_until(aloop, lambda: messages, what="message")
    assert messages == ["/ES is now ESH7, already in the watchlist: ESZ6 is kept (remove one of the rows)"]
    assert [i.display_symbol for i in m.instruments()] == ["ESZ6", "ESH7"]
    assert s.quote_refs[s.futures["ESH7"].key] == 1
