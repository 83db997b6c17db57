"""The journal tap maps ib_async callbacks (real ib_async objects, events emitted by hand on a
real, unconnected ``IB``) to journal rows; unset numbers become null; detach unsubscribes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from ib_async import IB, CommissionReport, Contract, Execution, Fill, Order, OrderStatus, Stock, Trade
from ib_async.objects import TradeLogEntry

from app.broker.convert import UNSET_DOUBLE
from app.broker.journal_tap import attach_journal
from tests.fakes import ListJournal


class TapSession:
    """What the tap reads of a Session: the ``IB`` object and the connection's identity."""

    def __init__(self):
        self.ib = IB()
        self.client_id, self.host, self.port, self.accounts = 12, "127.0.0.1", 4002, ["DU123"]


@pytest.fixture
def tapped():
    s, j = TapSession(), ListJournal()
    detach = attach_journal(j, s)
    yield s, j, detach
    detach()


def _trade(status="Submitted", perm=0, lmt=187.5, aux=UNSET_DOUBLE):
    order = Order(orderId=5, clientId=12, permId=perm, action="BUY", totalQuantity=100,
                  orderType="LMT", lmtPrice=lmt, auxPrice=aux, tif="DAY")
    return Trade(contract=Stock("AAPL", "SMART", "USD", conId=265598), order=order,
                 orderStatus=OrderStatus(orderId=5, status=status, permId=perm, clientId=12,
                                         remaining=100, avgFillPrice=0.0, lastFillPrice=0.0))


def test_open_order_and_status(tapped):
    s, j, _ = tapped
    s.ib.openOrderEvent.emit(_trade(perm=777))
    kind, f = j.rows[-1]
    assert kind == "openOrder"
    assert (f["order_id"], f["perm_id"], f["client_id"], f["symbol"]) == (5, 777, 12, "AAPL")
    assert (f["action"], f["totalQuantity"], f["orderType"], f["lmtPrice"], f["tif"], f["status"]) == \
        ("BUY", 100, "LMT", 187.5, "DAY", "Submitted")
    assert f["auxPrice"] is None and f["conId"] == 265598          # UNSET_DOUBLE -> null
    assert f["text"] == "BUY 100 AAPL LMT 187.5 DAY Submitted"

    t = _trade(status="Submitted", perm=777)
    t.orderStatus.filled, t.orderStatus.remaining, t.orderStatus.avgFillPrice = 40, 60, 187.49
    t.orderStatus.lastFillPrice = UNSET_DOUBLE
    s.ib.orderStatusEvent.emit(t)
    kind, f = j.rows[-1]
    assert kind == "orderStatus" and f["perm_id"] == 777
    assert (f["status"], f["filled"], f["remaining"], f["avgFillPrice"]) == ("Submitted", 40, 60, 187.49)
    assert f["lastFillPrice"] is None and f["whyHeld"] is None
    assert f["text"] == "Submitted filled 40 remaining 60 avg 187.49"


def test_prices_the_order_type_has_none_of_are_null(tapped):
    """A real TWS sends 0.0 for the lmtPrice / auxPrice an order type does not carry (a LMT
    order's auxPrice, a MKT order's both; recorded v176 frames): not a price of 0."""
    s, j, _ = tapped
    s.ib.openOrderEvent.emit(_trade(perm=778, aux=0.0))
    f = j.rows[-1][1]
    assert (f["lmtPrice"], f["auxPrice"]) == (187.5, None)
    assert f["text"] == "BUY 100 AAPL LMT 187.5 DAY Submitted"
    t = _trade(perm=779, lmt=0.0, aux=0.0)
    t.order.orderType = "MKT"
    s.ib.openOrderEvent.emit(t)
    f = j.rows[-1][1]
    assert (f["lmtPrice"], f["auxPrice"], f["text"]) == (None, None, "BUY 100 AAPL MKT DAY Submitted")
    t = _trade(perm=780, lmt=0.0, aux=1.25)
    t.order.orderType = "TRAIL"                       # auxPrice is the trailing distance
    s.ib.openOrderEvent.emit(t)
    assert (j.rows[-1][1]["lmtPrice"], j.rows[-1][1]["auxPrice"]) == (None, 1.25)


def test_status_set_by_ib_async_keeps_its_message(tapped):
    s, j, _ = tapped
    t = _trade(status="Cancelled")
    t.log.append(TradeLogEntry(datetime.now(timezone.utc), "Cancelled", "Error 201, reqId 5: rejected", 201))
    s.ib.orderStatusEvent.emit(t)
    _, f = j.rows[-1]
    assert f["errorCode"] == 201 and "rejected" in f["text"] and f["perm_id"] in (0, None)


def test_exec_details_and_commission(tapped):
    s, j, _ = tapped
    t = _trade(perm=777)
    ex = Execution(execId="0001.01", time=datetime(2026, 11, 18, 16, 0, 1, tzinfo=timezone.utc),
                   exchange="ISLAND", side="BOT", shares=40, price=187.49, permId=777, clientId=12,
                   orderId=5, cumQty=40, avgPrice=187.49)
    fill = Fill(t.contract, ex, CommissionReport(), ex.time)
    s.ib.execDetailsEvent.emit(t, fill)
    kind, f = j.rows[-1]
    assert kind == "execDetails" and (f["order_id"], f["perm_id"], f["execId"]) == (5, 777, "0001.01")
    assert (f["side"], f["shares"], f["price"], f["cumQty"], f["avgPrice"], f["exchange"]) == \
        ("BOT", 40, 187.49, 40, 187.49, "ISLAND")
    assert f["time"] == ex.time and f["text"] == "BOT 40 AAPL @ 187.49 on ISLAND"
    rep = CommissionReport(execId="0001.01", commission=1.0, currency="USD", realizedPNL=UNSET_DOUBLE)
    s.ib.commissionReportEvent.emit(t, fill, rep)
    kind, f = j.rows[-1]
    assert kind == "commissionReport" and (f["order_id"], f["perm_id"]) == (5, 777)
    assert (f["execId"], f["commission"], f["currency"], f["realizedPNL"]) == ("0001.01", 1.0, "USD", None)


def test_errors_name_the_order_only_when_it_is_one(tapped):
    s, j, _ = tapped
    t = _trade(perm=777)
    s.ib.client.clientId = 12
    s.ib.wrapper.trades[(12, 5)] = t                # an order ib_async knows (as after placeOrder)
    s.ib.errorEvent.emit(5, 202, "Order Canceled - reason:", t.contract)
    kind, f = j.rows[-1]
    assert kind == "error" and (f["order_id"], f["perm_id"], f["code"], f["symbol"]) == (5, 777, 202, "AAPL")
    s.ib.errorEvent.emit(-1, 2104, "Market data farm connection is OK:usfarm", None)
    _, f = j.rows[-1]
    assert "order_id" not in f and f["reqId"] == -1 and f["text"].startswith("2104 ")
    s.ib.errorEvent.emit(9, 200, "No security definition", Contract(symbol="ZZZ"))
    _, f = j.rows[-1]
    assert "order_id" not in f and f["reqId"] == 9 and f["symbol"] == "ZZZ"


def test_connection_events_and_detach(tapped):
    s, j, detach = tapped
    s.ib.disconnectedEvent.emit()
    kind, f = j.rows[-1]
    assert kind == "connection" and f["state"] == "disconnected" and f["client_id"] == 12
    detach()
    detach()                                         # idempotent
    n = len(j.rows)
    s.ib.openOrderEvent.emit(_trade())
    s.ib.disconnectedEvent.emit()
    assert len(j.rows) == n


def test_a_failing_journal_does_not_disturb_the_session():
    class Broken:
        def record(self, kind, **fields):
            raise OSError("disk gone")

    s = TapSession()
    attach_journal(Broken(), s)
    s.ib.openOrderEvent.emit(_trade())               # no exception escapes
    s.ib.openOrderEvent.emit(object())               # not even a Trade


def test_option_fill_names_the_contract_and_values_it_with_the_multiplier(tapped):
    from ib_async import Option
    s, j, _ = tapped
    t = _trade(perm=778)
    t.contract = Option("AAPL", "20261218", 200.0, "C", "SMART", "100", "USD", conId=9001,
                        localSymbol="AAPL  261218C00200000")
    ex = Execution(execId="0002.01", time=datetime(2026, 11, 18, 16, 0, 1, tzinfo=timezone.utc),
                   exchange="CBOE", side="BOT", shares=2, price=2.5, permId=778, clientId=12,
                   orderId=5, cumQty=2, avgPrice=2.5)
    s.ib.execDetailsEvent.emit(t, Fill(t.contract, ex, CommissionReport(), ex.time))
    kind, f = j.rows[-1]
    assert f["symbol"] == "AAPL 20261218 200 C" and f["text"] == "BOT 2 AAPL 20261218 200 C @ 2.5 on CBOE"
    assert (f["multiplier"], f["value"]) == (100.0, 500.0)
    s.ib.execDetailsEvent.emit(_trade(perm=777), Fill(_trade().contract, ex, CommissionReport(), ex.time))
    assert (j.rows[-1][1]["multiplier"], j.rows[-1][1]["value"]) == (1.0, 5.0)
