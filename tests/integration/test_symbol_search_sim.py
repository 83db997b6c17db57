"""Symbol search (IB reqMatchingSymbols) through the real ib_async client over a socket to
the simulated gateway: matches with names, a currency pair, nothing found, not connected;
and the field's SymbolSearch on the real Session."""

from __future__ import annotations

import pytest

from app.broker.errors import NotConnectedError
from app.viewmodels.symbol_search import SymbolSearch
from tests.integration.sim_support import arun, gateway_fixture, sim_session, until

pytestmark = pytest.mark.timeout(60)

gateway = gateway_fixture(seed=4)


def test_matching_symbols_against_the_gateway(gateway):
    async def go():
        s = sim_session(gateway)
        with pytest.raises(NotConnectedError):
            await s.matching_symbols("AA")
        await s.connect()
        try:
            found = await s.matching_symbols("AA")
            aapl = next(m for m in found if m.symbol == "AAPL")
            assert (aapl.name, aapl.sec_type, aapl.primary_exchange, aapl.currency) == \
                ("APPLE INC", "STK", "NASDAQ", "USD")
            assert aapl.con_id == (await s.resolve("AAPL")).con_id
            eur = next(m for m in await s.matching_symbols("EUR") if m.sec_type == "CASH")
            assert eur.display_symbol == "EUR.USD"
            assert await s.matching_symbols("ZZZZQQ") == []
            assert await s.matching_symbols("  ") == []
        finally:
            s.disconnect()
    arun(go(), 30)


def test_the_field_search_on_the_real_session(gateway, qapp):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        q = SymbolSearch(s, delay_ms=0)
        try:
            q.set_text("AA")
            q.search_now()
            await until(lambda: q.matches.rowCount() > 0, 5, "matches")
            assert "AAPL" in [m.symbol for m in q.matches.matches()]
            q.set_text("ZZZZQQ")
            q.search_now()
            await until(lambda: q.message, 5, "no-match message")
            assert q.message == "No symbol matches 'ZZZZQQ'" and q.matches.rowCount() == 0
        finally:
            s.disconnect()
    arun(go(), 30)
