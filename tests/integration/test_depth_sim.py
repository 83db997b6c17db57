"""Market depth through the real Session against the simulated gateway: counted
subscriptions, one snapshot per socket read, re-subscription after a reconnect."""

from __future__ import annotations

import pytest

from tests.integration.sim_support import gateway_fixture, sim_session
from tests.support import run_for, wait_until

gateway = gateway_fixture(seed=5)


@pytest.fixture
def session(aloop, gateway):
    s = sim_session(gateway)
    aloop.run_until_complete(s.connect())
    yield s
    s.disconnect()
    run_for(aloop, 0.05)


def test_depth_snapshots_counted_and_resubscribed(session, aloop):
    inst = aloop.run_until_complete(session.resolve("AAPL"))
    batches = []
    session.depthEvent += batches.append
    session.subscribe_depth(inst)
    session.subscribe_depth(inst)          # a second ladder: no second request
    wait_until(aloop, lambda: session.depth(inst.key) is not None
               and len(session.depth(inst.key).bids) == 10, 10, what="10 bid levels")
    book = session.depth(inst.key)
    assert len(book.asks) == 10
    assert [p for p, _ in book.bids] == sorted((p for p, _ in book.bids), reverse=True)
    assert [p for p, _ in book.asks] == sorted(p for p, _ in book.asks)
    assert book.best_bid < book.best_ask
    assert all(len({b.key for b in batch}) == len(batch) for batch in batches)  # one per key per read
    assert len(session._depth().book.live()) == 1

    session.disconnect()
    assert not session._depth().book.live()
    aloop.run_until_complete(session.connect())
    n = len(batches)
    wait_until(aloop, lambda: len(batches) > n, 10, what="depth after the reconnect")
    session.unsubscribe_depth(inst)
    assert session._depth().book.live()            # one subscriber left
    session.unsubscribe_depth(inst)
    assert not session._depth().book.live() and session.depth(inst.key) is None


def test_fx_depth(session, aloop):
    inst = aloop.run_until_complete(session.resolve("EUR.USD"))
    session.subscribe_depth(inst)
    wait_until(aloop, lambda: session.depth(inst.key) is not None
               and session.depth(inst.key).bids, 10, what="EUR.USD depth")
    session.unsubscribe_depth(inst)


def test_depth_requested_again_after_ib_1101(session, aloop, gateway):
    import asyncio

    inst = aloop.run_until_complete(session.resolve("MSFT"))
    batches = []
    session.depthEvent += batches.append
    session.subscribe_depth(inst)
    wait_until(aloop, lambda: session.depth(inst.key) is not None, 10, what="MSFT depth")
    first_ticker = session._depth().book.live()[inst.key]
    req_before = session.ib.wrapper.ticker2ReqId["mktDepth"][first_ticker]
    reply = aloop.run_until_complete(asyncio.to_thread(
        gateway.admin_command, "connectivity restored-data-lost"))
    assert reply.startswith("OK"), reply
    wait_until(aloop, lambda: inst.key in session._depth().book.live() and session.ib.wrapper.ticker2ReqId[
        "mktDepth"].get(session._depth().book.live()[inst.key], req_before) != req_before, 5,
        what="a new reqMktDepth after 1101")
    n = len(batches)
    wait_until(aloop, lambda: len(batches) > n, 10, what="depth flowing after 1101")
    session.unsubscribe_depth(inst)
