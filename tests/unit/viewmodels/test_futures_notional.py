"""Futures through the ticket's notional and the fake gateway's resolve (tests.fakes_futures)."""

from __future__ import annotations

import pytest


def test_notional_of_one_es_is_price_times_fifty():
    from app.domain import Action, OrderRequest, OrderType
    from app.viewmodels.ticket import describe_with_notional, order_notional
    from tests.fakes_futures import FAKE_FUTURES
    es = FAKE_FUTURES[0]
    req = OrderRequest(es, Action.BUY, 1, OrderType.MKT)
    assert order_notional(req, 5999.75, 6000.0) == (300_000.0, "at the ask 6,000.00")
    assert describe_with_notional(req, 5999.75, 6000.0) == "BUY 1 ESZ6 MKT DAY, about 300,000 USD at the ask 6,000.00"
    cl = next(f for f in FAKE_FUTURES if f.local_symbol == "CLF7")
    assert order_notional(OrderRequest(cl, Action.SELL, 2, OrderType.MKT), 70.01, 70.03)[0] == 2 * 70.01 * 1000


def test_the_fake_gateway_resolves_like_the_session():
    import asyncio
    from app.broker.errors import UnknownSymbolError
    from tests.fakes import FakeSession
    s = FakeSession()
    es = asyncio.run(s.resolve("ESZ26"))
    assert (es.local_symbol, es.multiplier, es.min_tick, es.expiry) == ("ESZ6", 50.0, 0.25, "20261218")
    assert s.contracts["ESZ6"] is es
    assert asyncio.run(s.resolve("/CL")).local_symbol == "CLF7"       # CLZ6 stopped on 19 Nov
    nq, gc = asyncio.run(s.resolve("/NQ")), asyncio.run(s.resolve("/GC"))
    assert (nq.multiplier, nq.min_tick, nq.exchange) == (20.0, 0.25, "CME")
    assert (gc.local_symbol, gc.multiplier, gc.min_tick, gc.exchange) == ("GCZ6", 100.0, 0.1, "COMEX")
    assert asyncio.run(s.resolve("CLF7")).multiplier == 1000.0
    for text in ("ESU5", "ESZ16", "/NG"):
        with pytest.raises(UnknownSymbolError):
            asyncio.run(s.resolve(text))


def test_contracts_have_their_own_presets_kept_while_away():
    """A future or an option shows contract presets (1..20, not 1,000 contracts) and starts at
    1; each kind keeps its own edited presets; shares and FX get theirs back."""
    import asyncio
    from app.commands import OrderCommands
    from app.viewmodels.ticket import CONTRACT_PRESETS, DEFAULT_PRESETS, TicketModel
    from app.viewmodels.soft_limits import FX_PRESETS
    from tests.fakes import CONTRACTS, FakeSession
    s = FakeSession()
    t = TicketModel(s, OrderCommands(s))
    shown = []
    t.presetsChanged.connect(lambda: shown.append(list(t.presets)))
    t.set_instrument(CONTRACTS["AAPL"])
    assert t.presets == list(DEFAULT_PRESETS) and t.quantity == 100 and shown == []
    es = asyncio.run(s.resolve("ESZ6"))
    t.set_instrument(es)
    assert t.presets == list(CONTRACT_PRESETS) == [1, 2, 5, 10, 20] and t.quantity == 1
    t.set_presets([1, 3])
    t.set_instrument(asyncio.run(s.resolve("/NQ")))          # contracts to contracts: unchanged
    assert t.presets == [1, 3] and t.quantity == 1
    t.set_instrument(CONTRACTS["AAPL"])
    assert t.presets == list(DEFAULT_PRESETS) and t.quantity == 100
    t.set_instrument(CONTRACTS["EUR.USD"])
    assert t.presets == list(FX_PRESETS) and t.quantity == 25_000
    t.set_instrument(es)
    assert t.presets == [1, 3] and t.quantity == 1
    assert shown == [[1, 2, 5, 10, 20], [1, 3], list(DEFAULT_PRESETS), list(FX_PRESETS), [1, 3]]
