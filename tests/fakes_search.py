"""A :class:`~tests.fakes.FakeSession` with ``matching_symbols`` (IB reqMatchingSymbols):
prefix matches over its contracts after ``search_delay`` seconds; ``search_calls`` lists
the patterns asked; ``search_error`` (an exception) is raised instead when set."""

from __future__ import annotations

import asyncio

from app.broker.errors import NotConnectedError
from app.domain import SymbolMatch
from tests.fakes import FakeSession


class SearchFakeSession(FakeSession):
    """FakeSession answering symbol searches from ``contracts``."""

    def __init__(self, *a, search_delay: float = 0.0, **kw):
        super().__init__(*a, **kw)
        self.search_delay = search_delay
        self.search_calls: list[str] = []
        self.search_error: Exception | None = None

    async def matching_symbols(self, pattern: str) -> list[SymbolMatch]:
        self.search_calls.append(pattern)
        if not self.is_connected:
            raise NotConnectedError("Cannot search symbols: not connected")
        await asyncio.sleep(self.search_delay)
        if self.search_error is not None:
            raise self.search_error
        p = pattern.strip().upper()
        return [SymbolMatch(c.symbol, c.long_name, c.sec_type, c.primary_exchange or c.exchange,
                            c.currency, c.con_id)
                for c in self.contracts.values() if c.symbol.startswith(p) or c.display_symbol.startswith(p)]
