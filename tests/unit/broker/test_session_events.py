"""Session: ib_async events -> domain events, order keying, connect failures.

Events are fed through the real ``ib_async.IB`` event objects of the session
(as ib_async's wrapper emits them); connect failures use real sockets.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from datetime import datetime, timezone

import pytest
from ib_async import Order, OrderStatus as IBOrderStatus, Stock, Trade
from ib_async.objects import (
    AccountValue as IBAccountValue,
    BarData,
    BarDataList,
    CommissionReport,
    Execution as IBExecution,
    Fill,
    PortfolioItem,
    TradeLogEntry,
)
from ib_async.ticker import Ticker

from app.broker import Session
from app.broker.errors import NotConnectedError
from app.domain import (
    Action,
    ConnectionState,
    Instrument,
    OrderRequest,
    OrderStatus,
    OrderType,
)

T0 = datetime(2026, 1, 23, 15, 30, tzinfo=timezone.utc)
AAPL = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL", "Apple Inc")


def collect(event):
    got = []
    event += lambda *a: got.append(a if len(a) > 1 else a[0])
    return got


def make_trade(order_id=7, client_id=1, perm_id=555, status="Submitted", lmt=150.0, filled=0.0):
    order = Order(orderId=order_id, clientId=client_id, permId=perm_id, action="BUY",
                  totalQuantity=100, orderType="LMT", lmtPrice=lmt, tif="DAY")
    st = IBOrderStatus(orderId=order_id, status=status, filled=filled, remaining=100 - filled,
                       permId=perm_id, clientId=client_id)
    return Trade(Stock("AAPL", "SMART", "USD", conId=265598), order, st, [],
                 [TradeLogEntry(T0, status)])


@pytest.fixture
def session():
    return Session("127.0.0.1", 1, 1, connect_timeout=1.0)


def test_initial_properties(session):
    assert session.state is ConnectionState.DISCONNECTED and not session.is_connected
    assert (session.host, session.port, session.client_id) == ("127.0.0.1", 1, 1)
    assert session.account_id == "" and session.accounts == [] and session.server_version == 0
    assert session.orders() == [] and session.quote("265598") is None


def test_order_events_keyed_by_client_and_order_id(session):
    got = collect(session.orderEvent)
    session.ib.openOrderEvent.emit(make_trade())
    session.ib.orderStatusEvent.emit(make_trade())          # identical: no second event
    assert len(got) == 1 and got[0].order_id == 7 and got[0].status is OrderStatus.SUBMITTED
    # after a reconnect the same order arrives as a new Trade object: same record, updated
    session.ib.openOrderEvent.emit(make_trade(status="Filled", filled=100))
    assert len(got) == 2 and len(session.orders()) == 1
    assert session.order(7).status is OrderStatus.FILLED and session.order(7).filled == 100
    assert session.order(7).created == T0
    # another client's order id 7 is a different order
    session.ib.openOrderEvent.emit(make_trade(client_id=3, perm_id=556))
    assert len(session.orders()) == 2 and session.order(7, client_id=3).client_id == 3


def test_tws_order_keyed_by_perm_id(session):
    session.ib.openOrderEvent.emit(make_trade(order_id=0, client_id=0, perm_id=777))
    session.ib.orderStatusEvent.emit(make_trade(order_id=0, client_id=0, perm_id=777, status="Filled"))
    assert len(session.orders()) == 1 and session.orders()[0].status is OrderStatus.FILLED


def test_error_for_order_sets_message_and_is_forwarded(session):
    orders, errors = collect(session.orderEvent), collect(session.errorEvent)
    session.ib.openOrderEvent.emit(make_trade())
    session.ib.errorEvent.emit(7, 399, "Order message: will not be placed until market open", None)
    session.ib.errorEvent.emit(-1, 2104, "Market data farm connection is OK:usfarm", None)
    assert errors == [(7, 399, "Order message: will not be placed until market open"),
                      (-1, 2104, "Market data farm connection is OK:usfarm")]
    assert orders[-1].message.startswith("399: Order message")


def test_execution_then_commission_same_exec_id(session):
    got = collect(session.executionEvent)
    trade = make_trade(status="Filled", filled=100)
    ex = IBExecution(execId="e1", time=T0, acctNumber="DU1", side="BOT", shares=100, price=190.0,
                     permId=555, clientId=1, orderId=7, cumQty=100, avgPrice=190.0)
    fill = Fill(trade.contract, ex, CommissionReport(), T0)
    session.ib.execDetailsEvent.emit(trade, fill)
    report = CommissionReport("e1", 1.25, "USD", 0.0)
    session.ib.commissionReportEvent.emit(trade, fill._replace(commissionReport=report), report)
    assert [e.exec_id for e in got] == ["e1", "e1"]
    assert got[0].commission is None and got[1].commission == 1.25
    assert len(session.executions()) == 1 and session.executions()[0].commission == 1.25
    assert session.order(7).status is OrderStatus.FILLED


def test_positions_and_account_values(session):
    pos, vals = collect(session.positionEvent), collect(session.accountValueEvent)
    c = Stock("AAPL", "SMART", "USD", conId=265598)
    session.ib.updatePortfolioEvent.emit(PortfolioItem(c, 100, 191, 19100, 190, 100, 0, "DU1"))
    assert session.positions()[0].quantity == 100
    session.ib.updatePortfolioEvent.emit(PortfolioItem(c, 0, 191, 0, 0, 0, 100, "DU1"))
    assert [p.quantity for p in pos] == [100, 0] and session.positions() == []
    av = IBAccountValue("DU1", "NetLiquidation", "100000", "USD", "")
    session.ib.accountValueEvent.emit(av)
    session.ib.accountValueEvent.emit(av)
    assert len(vals) == 1 and session.account_values()[0].number == 100000


def test_quotes_batch_only_for_subscribed_tickers(session):
    got = collect(session.quotesEvent)
    t = Ticker(contract=Stock("AAPL", "SMART", "USD", conId=265598))
    t.bid, t.ask = 190.0, 190.02
    session._quotes.attach("265598", t)     # as a reqMktData subscription routes it
    other = Ticker(contract=Stock("MSFT", "SMART", "USD", conId=272093))
    session.ib.pendingTickersEvent.emit([t, other])
    assert len(got) == 1 and [q.key for q in got[0]] == ["265598"]
    assert session.quote("265598").mid == pytest.approx(190.01)


def test_bar_updates_only_for_live_subscriptions(session):
    got = collect(session.barEvent)
    bars = BarDataList()
    bars.reqId = 42
    bars.append(BarData(date=T0, open=1, high=2, low=0.5, close=1.5, volume=10))
    session.ib.barUpdateEvent.emit(bars, True)
    assert got == []
    session._histories[42] = bars
    session.ib.barUpdateEvent.emit(bars, False)
    assert got[0][0] == 42 and got[0][1].close == 1.5 and got[0][2] is False
    session.cancel_history(42)
    session.ib.barUpdateEvent.emit(bars, False)
    assert len(got) == 1


def test_quote_subscriptions_are_counted_and_kept_while_disconnected(session):
    session.subscribe_quotes(AAPL)
    session.subscribe_quotes(AAPL)
    session.unsubscribe_quotes(AAPL)
    assert "265598" in session._quotes.subscribed()
    session.unsubscribe_quotes(AAPL)
    assert "265598" not in session._quotes.subscribed()
    session.unsubscribe_quotes(AAPL)   # no-op


def test_requests_need_a_connection(session):
    req = OrderRequest(AAPL, Action.BUY, 1, OrderType.LMT, limit_price=1.0)
    with pytest.raises(NotConnectedError, match="not connected"):
        session.place_order(req)
    with pytest.raises(ConnectionError):
        session.cancel_order(1)

    async def go():
        with pytest.raises(ValueError, match="not a symbol"):
            await session.resolve("AA PL")
        with pytest.raises(ConnectionError):
            await session.resolve("AAPL")
        with pytest.raises(ValueError, match="Unsupported bar size"):
            await session.history(AAPL, "7 mins")
    asyncio.run(go())


# ---------------------------------------------------------------- connect failures

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connect_refused_is_failed_with_readable_message():
    s = Session("127.0.0.1", free_port(), 1, connect_timeout=2)
    states = collect(s.stateEvent)
    with pytest.raises(ConnectionError, match="Connection refused by 127.0.0.1"):
        asyncio.run(s.connect())
    assert [st for st, _ in states] == [ConnectionState.CONNECTING, ConnectionState.FAILED]
    assert s.state is ConnectionState.FAILED


class OneShotServer:
    """Accepts one client; ``mode`` 'silent' never answers, 'close' closes after the hello."""

    def __init__(self, mode):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.mode = mode
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conn, _ = self.sock.accept()
        conn.recv(1024)
        if self.mode == "silent":
            conn.recv(1024)  # until the client gives up
        conn.close()
        self.sock.close()


def test_connect_timeout_names_the_endpoint():
    srv = OneShotServer("silent")
    s = Session("127.0.0.1", srv.port, 1, connect_timeout=0.5)
    with pytest.raises(ConnectionError, match=r"No answer from 127.0.0.1:\d+ within 0.5 s"):
        asyncio.run(s.connect())
    assert s.state is ConnectionState.FAILED


def test_connect_peer_close_fails_fast():
    srv = OneShotServer("close")
    s = Session("127.0.0.1", srv.port, 5, connect_timeout=5)

    async def go():
        t0 = asyncio.get_running_loop().time()
        with pytest.raises(ConnectionError, match="closed the connection"):
            await s.connect()
        return asyncio.get_running_loop().time() - t0
    assert asyncio.run(go()) < 3
    assert s.state is ConnectionState.FAILED
