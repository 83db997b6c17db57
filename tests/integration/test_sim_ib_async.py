"""The simulated gateway with an unmodified ib_async client over a real socket."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time

import pytest
from ib_async import IB, LimitOrder, MarketOrder, Order, Stock, StopLimitOrder, StopOrder

from tests.integration.sim_support import (arun, make_gateway, next_client_id, raw_connect,
                                           read_frames_until_closed, wait_for)

pytestmark = pytest.mark.timeout(60)
AAPL = Stock("AAPL", "SMART", "USD")


@pytest.fixture(scope="module")
def gw():
    g = make_gateway()
    yield g
    t = time.monotonic()
    g.stop()
    assert time.monotonic() - t < 1.0


async def connected(gw, client_id=None) -> IB:
    ib = IB()
    cid = next_client_id() if client_id is None else client_id
    await ib.connectAsync("127.0.0.1", gw.port, clientId=cid, timeout=3)
    return ib


async def qualified(ib):
    (c,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
    return c


async def price(ib, c):
    t = ib.reqMktData(c)
    assert await wait_for(lambda: t.bid == t.bid and t.ask == t.ask and t.bid > 0, 3)
    return t


@pytest.mark.parametrize("client_id", [None, 0])     # 0 also sends reqAutoOpenOrders
def test_connect_fast_and_quiet(gw, caplog, client_id):
    caplog.set_level(logging.INFO, logger="ib_async")

    async def go():
        t0 = time.monotonic()
        ib = await connected(gw, client_id)
        dt = time.monotonic() - t0
        try:
            assert ib.managedAccounts() == [gw.exchange.account_id]
            assert any(v.tag == "NetLiquidation" for v in ib.accountValues())
            assert ib.client.getReqId() >= 1
            now = await ib.reqCurrentTimeAsync()
            assert abs(now.timestamp() - gw.gateway.clock()) < 5
        finally:
            ib.disconnect()
        return dt

    dt = arun(go())
    assert dt < 1.0
    assert "timed out" not in caplog.text
    assert "Synchronization complete" in caplog.text


def test_contract_details_and_unknown_symbol_200(gw):
    async def go():
        ib = await connected(gw)
        errors = []
        ib.errorEvent += lambda reqId, code, msg, c: errors.append(code)
        try:
            cds = await ib.reqContractDetailsAsync(AAPL)
            assert len(cds) == 1
            cd = cds[0]
            assert (cd.contract.conId, cd.contract.primaryExchange, cd.minTick) == \
                (265598, "NASDAQ", 0.01)
            assert "LMT" in cd.orderTypes and cd.longName
            assert await ib.reqContractDetailsAsync(Stock("NOSUCHSYM", "SMART", "USD")) == []
            assert 200 in errors
        finally:
            ib.disconnect()

    arun(go())


def test_streaming_quotes_and_cancel(gw):
    async def go():
        ib = await connected(gw)
        try:
            c = await qualified(ib)
            t = ib.reqMktData(c)
            updates = []
            t.updateEvent += lambda tk: updates.append(tk.time)
            assert await wait_for(lambda: t.bid > 0 and t.ask > 0 and t.bidSize > 0, 3)
            assert t.bid <= t.ask
            assert await wait_for(lambda: len(updates) >= 2, 3)
            assert t.close > 0 and t.high >= t.low > 0
            ib.cancelMktData(c)
            await asyncio.sleep(0.4)
            n = len(updates)
            await asyncio.sleep(0.6)
            assert len(updates) == n
        finally:
            ib.disconnect()

    arun(go())


@pytest.mark.parametrize("bar_size,duration", [("1 min", "1 D"), ("5 mins", "1 D"),
                                               ("15 mins", "2 D"), ("1 hour", "5 D"),
                                               ("1 day", "1 M")])
def test_history_each_bar_size(gw, bar_size, duration):
    async def go():
        ib = await connected(gw)
        try:
            c = await qualified(ib)
            bars = await ib.reqHistoricalDataAsync(c, "", duration, bar_size, "TRADES", False,
                                                   formatDate=2)
            assert len(bars) >= 2
            assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high
                       for b in bars)
            dates = [b.date for b in bars]
            assert dates == sorted(dates)
        finally:
            ib.disconnect()

    arun(go())


def test_history_keep_up_to_date_and_cancel(gw):
    async def go():
        ib = await connected(gw)
        try:
            c = await qualified(ib)
            bars = await ib.reqHistoricalDataAsync(c, "", "1 D", "1 min", "TRADES", False,
                                                   keepUpToDate=True)
            assert len(bars) > 0
            updates = []
            bars.updateEvent += lambda b, new: updates.append(b[-1].close)
            assert await wait_for(lambda: len(updates) >= 1, 3)
            ib.cancelHistoricalData(bars)
            await asyncio.sleep(0.4)
            n = len(updates)
            await asyncio.sleep(0.6)
            assert len(updates) == n
        finally:
            ib.disconnect()

    arun(go())


def test_market_order_fill_commission_and_portfolio(gw):
    async def go():
        ib = await connected(gw)
        reports = []
        ib.commissionReportEvent += lambda tr, fill, cr: reports.append((tr, cr))
        try:
            c = await qualified(ib)
            before = {p.contract.conId: p.position for p in ib.positions()}.get(c.conId, 0)
            trade = ib.placeOrder(c, MarketOrder("BUY", 10))
            assert await wait_for(lambda: trade.orderStatus.status == "Filled", 5)
            assert await wait_for(lambda: reports, 3)
            tr, cr = reports[0]
            assert tr is trade and cr.commission > 0 and cr.currency
            assert trade.fills and trade.fills[0].execution.side == "BOT"
            assert trade.order.permId > 0
            assert await wait_for(lambda: {p.contract.conId: p.position
                                           for p in ib.positions()}.get(c.conId) == before + 10)
            assert await wait_for(lambda: any(p.contract.conId == c.conId
                                              for p in ib.portfolio()))
            fills = await ib.reqExecutionsAsync()
            assert any(f.execution.orderId == trade.order.orderId for f in fills)
            sell = ib.placeOrder(c, MarketOrder("SELL", 10))
            assert await wait_for(lambda: sell.orderStatus.status == "Filled", 5)
            assert sell.fills[0].execution.side == "SLD"
        finally:
            ib.disconnect()

    arun(go())


def test_limit_modify_cancel_202_and_cancel_unknown_10147(gw):
    async def go():
        ib = await connected(gw)
        errors = []
        ib.errorEvent += lambda reqId, code, msg, c: errors.append((reqId, code))
        try:
            c = await qualified(ib)
            t = await price(ib, c)
            lo = round(t.bid * 0.8, 2)
            trade = ib.placeOrder(c, LimitOrder("BUY", 5, lo, tif="GTC"))
            assert await wait_for(lambda: trade.orderStatus.status == "Submitted", 3)
            oid = trade.order.orderId
            trade.order.lmtPrice = round(lo - 1, 2)
            ib.placeOrder(c, trade.order)                       # modify
            assert await wait_for(lambda: any(e.status == "Submitted" for e in trade.log[2:]), 3)
            opens = [t.order for t in await ib.reqOpenOrdersAsync() if t.order.orderId == oid]
            assert opens and opens[0].lmtPrice == round(lo - 1, 2) and opens[0].tif == "GTC"
            ib.cancelOrder(trade.order)
            assert await wait_for(lambda: trade.orderStatus.status == "Cancelled", 3)
            assert await wait_for(lambda: (oid, 202) in errors, 2)
            ib.client.cancelOrder(987654)
            assert await wait_for(lambda: (987654, 10147) in errors, 2)
        finally:
            ib.disconnect()

    arun(go())


def test_stop_orders_rest_and_global_cancel(gw):
    async def go():
        ib = await connected(gw)
        try:
            c = await qualified(ib)
            t = await price(ib, c)
            hi = round(t.ask * 1.3, 2)
            stp = ib.placeOrder(c, StopOrder("BUY", 3, hi))
            stl = ib.placeOrder(c, StopLimitOrder("BUY", 3, round(hi + 1, 2), hi))
            lmt = ib.placeOrder(c, LimitOrder("SELL", 3, round(t.ask * 1.5, 2)))
            for tr in (stp, stl, lmt):
                assert await wait_for(lambda: tr.orderStatus.status in
                                      ("PreSubmitted", "Submitted"), 3), tr.orderStatus
            ib.reqGlobalCancel()
            for tr in (stp, stl, lmt):
                assert await wait_for(lambda: tr.orderStatus.status == "Cancelled", 3)
        finally:
            ib.disconnect()

    arun(go())


def test_duplicate_order_id_103_and_invalid_quantity(gw):
    async def go():
        ib = await connected(gw)
        errors = []
        ib.errorEvent += lambda reqId, code, msg, c: errors.append((reqId, code))
        try:
            c = await qualified(ib)
            trade = ib.placeOrder(c, MarketOrder("BUY", 1))
            assert await wait_for(lambda: trade.orderStatus.status == "Filled", 5)
            again = Order(orderId=trade.order.orderId, action="BUY", totalQuantity=1,
                          orderType="MKT")
            ib.client.placeOrder(again.orderId, c, again)
            assert await wait_for(lambda: (again.orderId, 103) in errors, 2)
            bad = ib.placeOrder(c, LimitOrder("BUY", 0, 1.0))
            assert await wait_for(lambda: any(r == bad.order.orderId for r, _ in errors), 3)
            assert bad.orderStatus.status in ("Inactive", "Cancelled", "ValidationError")
            assert not bad.fills
        finally:
            ib.disconnect()

    arun(go())


def test_two_clients_and_duplicate_client_id_326(gw):
    async def go():
        cid = next_client_id()
        ib1 = await connected(gw, cid)
        ib3 = await connected(gw)
        try:
            ib2 = IB()
            errors = []
            ib2.errorEvent += lambda reqId, code, msg, c: errors.append(code)
            with pytest.raises(Exception):
                await ib2.connectAsync("127.0.0.1", gw.port, clientId=cid, timeout=2)
            assert 326 in errors
            assert not ib2.isConnected()
            assert await ib1.reqCurrentTimeAsync()
            assert await ib3.reqCurrentTimeAsync()
        finally:
            ib1.disconnect()
            ib3.disconnect()

    arun(go())


@pytest.mark.parametrize("junk,code", [
    (b"garbage-without-length", 505),                       # read as a giant length
    (struct.pack(">I", 100 * 1024 * 1024) + b"xx", 505),    # giant length prefix
    (struct.pack(">I", 50) + b"1\x0011\x00", None),         # truncated frame, then EOF
    (struct.pack(">I", 0), 505),                            # zero length
    (struct.pack(">I", 8) + b"9999\x00ab\x00", 505),        # unknown message id
    (struct.pack(">I", 11) + b"1\x0011\x00xx\x00zz\x00", 320),  # garbage fields
])
def test_malformed_input_does_not_hurt_other_clients(gw, junk, code):
    async def go():
        ib = await connected(gw)
        try:
            s = raw_connect(gw.port, next_client_id())
            s.sendall(junk)
            if code is None:
                s.shutdown(socket.SHUT_WR)
            frames = await asyncio.get_running_loop().run_in_executor(
                None, read_frames_until_closed, s, 0.5)
            s.close()
            assert frames and frames[0][0] == "15"             # startApi was answered
            if code is not None:
                assert any(f[0] == "4" and f[3] == str(code) for f in frames), frames[-1]
            assert await ib.reqCurrentTimeAsync()
            assert ib.isConnected()
        finally:
            ib.disconnect()

    arun(go())


def test_bad_prefix_is_closed_cleanly(gw):
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=2)
    s.sendall(b"GET / HTTP/1.1\r\n\r\n")
    s.settimeout(2)
    assert s.recv(100) == b""
    s.close()


def test_all_open_orders_client_sees_other_clients_orders(gw):
    """reqAllOpenOrders returns every client's working orders once (IB: it does not
    start a subscription, so later events of the other client's order are not sent)."""
    async def go():
        watcher = await connected(gw)
        trader = await connected(gw)
        try:
            c = await qualified(trader)
            t = await price(trader, c)
            trade = trader.placeOrder(c, LimitOrder("BUY", 2, round(t.bid * 0.7, 2)))
            assert await wait_for(lambda: trade.orderStatus.status == "Submitted", 3)
            perm = trade.order.permId
            assert not any(tr.order.permId == perm for tr in watcher.openTrades())
            await watcher.reqAllOpenOrdersAsync()
            assert await wait_for(lambda: any(tr.order.permId == perm
                                              for tr in watcher.openTrades()), 3)
            seen = next(tr for tr in watcher.trades() if tr.order.permId == perm)
            trader.cancelOrder(trade.order)
            assert await wait_for(lambda: trade.orderStatus.status == "Cancelled", 3)
            await asyncio.sleep(0.3)
            assert seen.orderStatus.status == "Submitted"       # no live events
        finally:
            watcher.disconnect()
            trader.disconnect()

    arun(go())


def test_market_fill_message_order_on_the_wire(gw):
    """IB's order: openOrder (permId) and orderStatus before execDetails; commissionReport
    after the Filled orderStatus."""
    s = raw_connect(gw.port, next_client_id())
    frames = read_frames_until_closed(s, 0.3)
    next_id = int(next(f for f in frames if f[0] == "9")[2])
    fields = ["3", str(next_id), "265598", "AAPL", "STK", "", "0", "", "", "SMART", "", "USD",
              "", "", "", "", "BUY", "5", "MKT", "", "", "DAY"] + [""] * 92
    fields[27] = "1"                                        # transmit
    payload = "\0".join(fields).encode() + b"\0"
    s.sendall(struct.pack(">I", len(payload)) + payload)
    frames = read_frames_until_closed(s, 1.0)
    s.close()
    ids = [f[0] for f in frames]
    assert "11" in ids and "59" in ids, ids
    first_open = ids.index("5")
    assert int(frames[first_open][25]) > 0                  # permId
    assert first_open < ids.index("11")
    filled = next(i for i, f in enumerate(frames) if f[0] == "3" and f[2] == "Filled")
    assert ids.index("11") < filled < ids.index("59")


def test_gateway_thread_stops_quickly_with_clients_connected():
    g = make_gateway()
    s = raw_connect(g.port, 1)
    t = time.monotonic()
    g.stop()
    assert time.monotonic() - t < 1.0
    frames = read_frames_until_closed(s, 1.0)              # drains, then sees EOF
    assert frames and frames[0][0] == "15"
    s.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", g.port), timeout=1).close()
