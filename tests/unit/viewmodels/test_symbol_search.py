"""SymbolSearch without a widget: debounce, stale answers dropped, keyboard highlight and
pick, messages for no connection / no match / failures, security-type filter."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt

from app.domain import Instrument
from app.viewmodels.symbol_search import MATCH_ROLE, SymbolSearch
from tests.fakes import DEFAULT_CONTRACTS
from tests.fakes_search import SearchFakeSession
from tests.support import wait_until

MORE = DEFAULT_CONTRACTS + (
    Instrument("AAL", "STK", "SMART", "USD", "NASDAQ", 139673266, 0.01, "AAL", "AMERICAN AIRLINES GROUP INC"),
    Instrument("AAPX", "FUT", "CME", "USD", "", 99, 0.25, "AAPX", "A FUTURE"),
)


def _sleep(aloop, s):
    aloop.run_until_complete(asyncio.sleep(s))


def test_typing_is_debounced_into_one_query(aloop):
    s = SearchFakeSession(contracts=MORE)
    q = SymbolSearch(s, delay_ms=50)
    for text in ("A", "AA", "AAP"):            # AAP matches AAPL and the future AAPX
        q.set_text(text)
        _sleep(aloop, 0.01)
    assert s.search_calls == []
    wait_until(aloop, lambda: q.matches.rowCount() == 1, what="matches")
    assert s.search_calls == ["AAP"] and q.queries == 1
    assert q.matches.index(0).data(MATCH_ROLE).symbol == "AAPL"        # the future is filtered out
    assert q.matches.index(0).data() == "AAPL  APPLE INC · STK NASDAQ USD"


def test_a_stale_answer_is_dropped(aloop):
    s = SearchFakeSession(contracts=MORE, search_delay=0.2)
    q = SymbolSearch(s, delay_ms=0)
    q.set_text("AA")
    wait_until(aloop, lambda: s.search_calls == ["AA"], what="first query sent")
    s.search_delay = 0.0
    q.set_text("MS")                       # the newer query cancels the older
    q.search_now()
    wait_until(aloop, lambda: q.matches.rowCount() == 1, what="MS answer")
    _sleep(aloop, 0.3)                     # the first answer would have arrived by now
    assert [m.symbol for m in q.matches.matches()] == ["MSFT"]


def test_a_late_answer_of_an_older_query_does_not_replace_the_newer(aloop):
    s = SearchFakeSession(contracts=MORE)
    q = SymbolSearch(s, delay_ms=0)

    async def slow(pattern, inner=s.matching_symbols):
        if pattern == "AA":
            await asyncio.shield(asyncio.sleep(0.2))
        return await inner(pattern)
    s.matching_symbols = slow
    q.set_text("AA")
    q.search_now()
    q.set_text("NV")
    q.search_now()
    wait_until(aloop, lambda: q.matches.rowCount() == 1, what="NV answer")
    _sleep(aloop, 0.3)
    assert [m.symbol for m in q.matches.matches()] == ["NVDA"]


def test_keyboard_highlight_and_pick(aloop):
    s = SearchFakeSession(contracts=MORE)
    q = SymbolSearch(s, delay_ms=0)
    picked = []
    q.picked.connect(picked.append)
    q.set_text("AA")
    wait_until(aloop, lambda: q.matches.rowCount() == 2, what="AAPL and AAL")
    assert q.current == -1 and q.pick() is None
    assert q.move(+1) == 0 and q.move(+1) == 1 and q.move(+1) == 0 and q.move(-1) == 1
    assert q.pick().symbol == "AAL" and [m.symbol for m in picked] == ["AAL"]


def test_messages_for_the_field(aloop):
    s = SearchFakeSession(contracts=MORE)
    q = SymbolSearch(s, delay_ms=0)
    q.set_text("ZZZ")
    wait_until(aloop, lambda: q.message, what="no match")
    assert q.message == "No symbol matches 'ZZZ'"
    s.search_error = TimeoutError("No symbol search answer for 'AA' from the gateway")
    q.set_text("AA")
    wait_until(aloop, lambda: "failed" in q.message, what="failure")
    assert "from the gateway" in q.message and q.matches.rowCount() == 0
    s.search_error = None
    s._state = s._state.__class__.DISCONNECTED
    q.set_text("AAPL")
    wait_until(aloop, lambda: q.message.startswith("Not connected"), what="not connected")
    q.set_text("  ")
    assert q.message == "" and not q.pending


def test_a_session_without_search_is_inert(aloop):
    from tests.fakes import FakeSession
    q = SymbolSearch(FakeSession(), delay_ms=0)
    q.set_text("AA")
    _sleep(aloop, 0.05)
    assert q.matches.rowCount() == 0 and q.message == "" and q.queries == 0


def test_a_future_typed_whole_is_not_searched(aloop):
    """IB's symbol search lists no futures: "ESZ6" and "/ES" close the list (Enter resolves
    them) instead of saying "No symbol matches"; a stock-like "ESGR" is still searched."""
    s = SearchFakeSession(contracts=MORE)
    q = SymbolSearch(s, delay_ms=0)
    q.set_text("AA")
    wait_until(aloop, lambda: q.matches.rowCount() >= 1, what="matches")
    for text in ("esz6", " /ES", "/xyz", "CLF27"):
        q.set_text(text)
        assert q.matches.rowCount() == 0 and q.message == ""
    _sleep(aloop, 0.05)
    assert s.search_calls == ["AA"] and q.queries == 1
    q.set_text("ESGR")
    wait_until(aloop, lambda: q.queries == 2, what="stock-like text searched")
    wait_until(aloop, lambda: s.search_calls == ["AA", "ESGR"], what="ESGR sent")
