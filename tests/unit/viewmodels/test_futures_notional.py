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
