"""The journal holds the full life of an order placed, modified, partly filled and cancelled:
a real Session (ib_async over a real socket) against the simulated gateway, with the
journal tap attached, every action going through the command layer (intent, check,
confirmation, API call) as in the app. The market is scripted on the gateway's own loop (as in
tests/conformance: a limit at the touch fills against the displayed size)."""

from __future__ import annotations

import asyncio

import pytest

from app.broker import Session
from app.broker.journal_tap import attach_journal
from app.commands import CancelOrder, ModifyOrder, OrderCommands, PlaceOrder
from app.domain import Action, OrderRequest, OrderStatus, OrderType
from app.journal import Journal
from tests.integration.sim_support import make_gateway, next_client_id, until

pytestmark = pytest.mark.timeout(60)


def _script_quotes(gw, con_id: int, *moves: tuple[float, float, float]) -> None:
    """Set the top of book (bid, ask, size in shares) one move after another, atomically, on
    the gateway's loop; commission reports deferred by the gateway are flushed."""
    gateway, ex = gw.gateway, gw.exchange

    def go():
        for bid, ask, size in moves:
            ex.set_quote(con_id, max(gateway.clock(), ex.now), bid=bid, ask=ask, bid_size=size,
                         ask_size=size, last=round((bid + ask) / 2, 2))

    async def job():
        gateway.call_exchange(go)
        for c in list(gateway.connections):
            c.flush()
    asyncio.run_coroutine_threadsafe(job(), gw.loop).result(5)


def test_journal_holds_the_life_of_an_order(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite", batch_interval=0.02)
    gw = make_gateway()
    try:
        con = gw.exchange.lookup(symbol="IBM", sec_type="STK")[0].con_id
        _script_quotes(gw, con, (100.00, 100.02, 500))

        async def main():
            s = Session("127.0.0.1", gw.port, next_client_id(), connect_timeout=5)
            detach = attach_journal(journal, s)
            await s.connect()
            try:
                ibm = await s.resolve("IBM")
                commands = OrderCommands(s, journal=journal)
                req = OrderRequest(ibm, Action.BUY, 300, OrderType.LMT, limit_price=99.50)
                commands.record("confirm", decision="accepted", text=req.describe(), symbol="IBM")
                res = commands.execute(PlaceOrder(req))
                assert res.ok, res.message
                oid = res.order.order_id
                await until(lambda: s.order(oid).status is OrderStatus.SUBMITTED, timeout=8.0, what="Submitted")
                assert commands.execute(ModifyOrder(oid, limit_price=99.60)).ok
                # the gateway's openOrder echo of the modify (ib_async changes its copy at once)
                await until(lambda: journal.flush(1) and any(
                    e.details.get("lmtPrice") == 99.60 for e in journal.events(order_id=oid, kind="openOrder")),
                    timeout=8.0, what="modify acknowledged")
                _script_quotes(gw, con, (99.58, 99.60, 100), (100.00, 100.02, 500))
                await until(lambda: s.order(oid).filled == 100, timeout=8.0, what="partial fill")
                await until(lambda: any(e.order_id == oid and e.commission is not None
                                         for e in s.executions()), timeout=8.0, what="commission")
                assert commands.execute(CancelOrder(oid)).ok
                await until(lambda: s.order(oid).status is OrderStatus.CANCELLED, timeout=8.0, what="Cancelled")
                await asyncio.sleep(0.2)                 # error 202 follows the status
                return oid, s.client_id
            finally:
                s.disconnect()
                await asyncio.sleep(0.05)
                detach()
        oid, client_id = asyncio.run(asyncio.wait_for(main(), 45))
    finally:
        gw.stop()
    assert journal.flush(5)
    journal.close()

    with Journal(tmp_path / "journal.sqlite") as reopened:          # read back from disk
        history = reopened.order_history(order_id=oid, client_id=client_id)
        kinds = [e.kind for e in history]
        for kind in ("openOrder", "orderStatus", "execDetails", "commissionReport", "error"):
            assert kind in kinds, (kind, kinds)
        perm = next(e.perm_id for e in history if e.kind == "openOrder")
        assert perm and all(e.perm_id in (perm, None) for e in history)
        assert all(e.order_id in (oid, None) for e in history)
        assert all(e.order_id == oid for e in history if e.kind in ("openOrder", "orderStatus", "execDetails",
                                                                   "error", "api"))
        assert reopened.order_history(perm_id=perm) == history       # linked both ways

        opens = [e.details for e in history if e.kind == "openOrder"]
        assert {o["lmtPrice"] for o in opens} >= {99.5, 99.6}        # placed, then modified
        assert all(o["totalQuantity"] == 300 and o["action"] == "BUY" and o["orderType"] == "LMT"
                   for o in opens)
        assert all(o["auxPrice"] is None or o["auxPrice"] == 0 for o in opens)
        statuses = [e.details["status"] for e in history if e.kind == "orderStatus"]
        assert "Submitted" in statuses and statuses[-1] == "Cancelled"
        part = [e.details for e in history if e.kind == "orderStatus" and e.details["filled"] == 100]
        assert part and part[0]["remaining"] == 200 and part[0]["avgFillPrice"] == pytest.approx(99.60)
        (ex,) = [e.details for e in history if e.kind == "execDetails"]
        assert ex["side"] == "BOT" and ex["shares"] == 100 and ex["price"] == pytest.approx(99.60)
        (cr,) = [e for e in history if e.kind == "commissionReport"]
        assert cr.details["execId"] == ex["execId"] and cr.details["commission"] > 0
        assert cr.details["realizedPNL"] in (None, 0.0)              # opening fill (IB: UNSET_DOUBLE)
        assert any(e.kind == "error" and e.details["code"] == 202 for e in history)
        assert all(e.symbol in ("IBM", None) for e in history)
        # the command layer's side, linked to the order (the new order's intent, check and
        # confirmation came before it had an orderId): confirm -> intent -> check -> placeOrder
        first = [e.kind for e in history[:4]]
        assert first == ["confirm", "intent", "check", "api"], first
        assert history[0].details["decision"] == "accepted" and history[2].details["result"] == "passed"
        calls = [e.details["call"] for e in history if e.kind == "api"]
        assert calls == ["placeOrder", "placeOrder", "cancelOrder"]              # place, modify, cancel
        intents = [e.details["command"] for e in history if e.kind == "intent"]
        assert intents == ["PlaceOrder", "ModifyOrder", "CancelOrder"]
        conn = reopened.events(kind="connection")
        assert [e.details["state"] for e in conn] == ["connected", "disconnected"]
