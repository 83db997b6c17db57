"""OrderBook: keys (a completed order with orderId 0 and a known permId stays the API order it
was), permId binding, settle, messages, instrument sharing and change detection."""

from __future__ import annotations

import pytest
from ib_async import Order, OrderStatus, Stock, Trade

from app.broker.orderbook import OrderBook
from app.domain import Instrument

AAPL = Instrument("AAPL", con_id=265598, min_tick=0.01)


def _trade(order_id: int, perm_id: int, status: str, client_id: int = 1) -> Trade:
    order = Order(orderId=order_id, clientId=client_id, permId=perm_id, action="BUY",
                  totalQuantity=100, orderType="LMT", lmtPrice=187.5)
    st = OrderStatus(orderId=order_id, status=status, permId=perm_id, clientId=client_id)
    return Trade(Stock("AAPL", "SMART", "USD", conId=265598), order, st)


def test_completed_order_without_order_id_keeps_its_order_id():
    book = OrderBook(lambda contract: AAPL)
    first = book.update(_trade(7, 990001, "Submitted"))
    assert first.order_id == 7 and first.client_id == 1
    # reconnect: reqCompletedOrders reports it Cancelled with orderId 0 and the same permId
    done = book.update(_trade(0, 990001, "Cancelled", client_id=0))
    assert done is not None and done.order_id == 7 and done.client_id == 1
    assert book.record(1, 7).status.value == "Cancelled"
    assert len(book.records()) == 1


def test_manual_tws_order_is_keyed_by_perm_id():
    book = OrderBook(lambda contract: AAPL)
    rec = book.update(_trade(0, 990002, "Submitted", client_id=0))
    assert rec.order_id == 0 and len(book.records()) == 1


# --- pinned behaviour of the order book (issue 13) --------------------------------------------
# Trades are built from real ib_async objects; the book's instrument_of resolves contracts by
# conId to instruments that differ from what the bare contract would give (min tick 0.005,
# long name), so a record that took its instrument from the contract is noticed.

from datetime import datetime, timedelta, timezone  # noqa: E402

from ib_async import Contract, Forex, TradeLogEntry  # noqa: E402

from app.domain import OrderStatus as Status  # noqa: E402

AAPL_R = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.005, "AAPL", "Apple Inc")
MSFT_R = Instrument("MSFT", "STK", "SMART", "USD", "NASDAQ", 272093, 0.005, "MSFT", "Microsoft")
EUR_R = Instrument("EUR", "CASH", "IDEALPRO", "USD", "", 12087792, 0.00005, "EUR.USD", "European Monetary Union Euro")
T0 = datetime(2026, 3, 9, 14, 30, tzinfo=timezone.utc)


def _contract(con_id: int) -> Contract:
    if con_id == 12087792:
        return Forex("EURUSD", conId=con_id)
    return Stock({265598: "AAPL", 272093: "MSFT"}[con_id], "SMART", "USD", conId=con_id)


def _resolver(calls: list | None = None):
    """instrument_of: a NEW (equal) Instrument per call, looked up by the contract's conId."""
    table = {i.con_id: i for i in (AAPL_R, MSFT_R, EUR_R)}

    def instrument_of(contract):
        if calls is not None:
            calls.append(contract)
        i = table[contract.conId]
        return Instrument(i.symbol, i.sec_type, i.exchange, i.currency, i.primary_exchange,
                          i.con_id, i.min_tick, i.local_symbol, i.long_name)
    return instrument_of


def _tr(order_id=7, perm_id=990001, status="Submitted", client_id=1, *, con_id=265598,
        st_order_id=None, st_perm_id=None, st_client_id=None, qty=100, lmt=187.5,
        times=(), account="DU111111") -> Trade:
    """A Trade; the orderStatus ids default to the order's (pass them to differ)."""
    order = Order(orderId=order_id, clientId=client_id, permId=perm_id, action="BUY",
                  totalQuantity=qty, orderType="LMT", lmtPrice=lmt, account=account)
    st = OrderStatus(orderId=order_id if st_order_id is None else st_order_id, status=status,
                     permId=perm_id if st_perm_id is None else st_perm_id,
                     clientId=client_id if st_client_id is None else st_client_id,
                     remaining=qty)
    log = [TradeLogEntry(t, status) for t in times]
    return Trade(_contract(con_id), order, st, [], log)


def test_key_for_api_orders_is_client_and_order_id():
    """orderId > 0 (1 included): the key is (clientId, orderId), whatever the permId."""
    book = OrderBook(_resolver())
    assert book.key_for(1, 1, 0) == (1, 1)
    assert book.key_for(3, 7, 990001) == (3, 7)
    assert book.key_for(0, 12, 0) == (0, 12)


def test_key_for_orders_without_order_id_uses_perm_id():
    """orderId 0 (or negative): the key bound to the permId, else ("perm", permId)."""
    book = OrderBook(_resolver())
    assert book.key_for(0, 0, 990001) == ("perm", 990001)
    assert book.key_for(0, -5, 990001) == ("perm", 990001)
    book.bind_perm(990001, (1, 7))
    assert book.key_for(0, 0, 990001) == (1, 7)
    assert book.key_for(0, 0, 990002) == ("perm", 990002)


def test_bind_perm_rules():
    """permId 0 and perm keys are never bound; an API binding is kept, a TWS (perm) one replaced."""
    book = OrderBook(_resolver())
    book.bind_perm(0, (1, 7))
    assert book.key_for(0, 0, 0) == ("perm", 0)
    book.bind_perm(990001, ("perm", 990005))
    assert book.key_for(0, 0, 990001) == ("perm", 990001)
    book.bind_perm(990001, (1, 7))
    book.bind_perm(990001, (2, 9))
    assert book.key_for(0, 0, 990001) == (1, 7)
    # a TWS order seen first (keyed by its permId) is then bound to an API order
    book.update(_tr(0, 990002, client_id=0))
    assert book.key_for(0, 0, 990002) == ("perm", 990002)
    book.bind_perm(990002, (1, 8))
    assert book.key_for(0, 0, 990002) == (1, 8)


def test_update_takes_ids_from_order_or_status():
    """clientId, orderId and permId come from the Order, else from the OrderStatus."""
    book = OrderBook(_resolver())
    a = book.update(_tr(0, 0, client_id=0, st_order_id=7, st_perm_id=990001, st_client_id=3))
    assert (a.client_id, a.order_id) == (3, 7) and book.record(3, 7) is a
    b = book.update(_tr(8, 990002, client_id=4, st_order_id=0, st_perm_id=0, st_client_id=0))
    assert (b.client_id, b.order_id) == (4, 8) and book.record(4, 8) is b
    # both permIds were taken: the completed orders (orderId 0) find their API records
    done_a = book.update(_tr(0, 990001, "Filled", client_id=0))
    done_b = book.update(_tr(0, 990002, "Cancelled", client_id=0))
    assert (done_a.client_id, done_a.order_id, done_a.status) == (3, 7, Status.FILLED)
    assert (done_b.client_id, done_b.order_id, done_b.status) == (4, 8, Status.CANCELLED)
    assert len(book.records()) == 2


def test_client_zero_api_order_keeps_client_zero():
    """An order of client 0 with an orderId is keyed (0, orderId), not another client's."""
    book = OrderBook(_resolver())
    r = book.update(_tr(5, 990003, client_id=0))
    assert (r.client_id, r.order_id) == (0, 5) and book.record(0, 5) is r
    assert book.record(1, 5) is None


def test_order_without_perm_id_does_not_capture_tws_orders():
    """An API order not yet given a permId binds nothing: a TWS order without ids stays separate."""
    book = OrderBook(_resolver())
    book.update(_tr(7, 0, "PendingSubmit"))
    tws = book.update(_tr(0, 0, client_id=0, con_id=272093))
    assert tws.instrument == MSFT_R and tws.order_id == 0
    assert book.record(1, 7).instrument == AAPL_R
    assert len(book.records()) == 2


def test_tws_order_bound_to_an_api_order_id_moves_its_record():
    """A TWS order (keyed by permId) later reported with an API orderId: one record, under the API key."""
    book = OrderBook(_resolver())
    first = _tr(0, 990004, client_id=0)
    book.update(first)
    assert book.trade("perm", 990004) is first
    t = _tr(7, 990004)
    moved = book.update(t)
    assert [(r.client_id, r.order_id) for r in book.records()] == [(1, 7)]
    assert book.record(1, 7) is moved and book.trade(1, 7) is t
    assert book.trade("perm", 990004) is None
    assert book.key_for(0, 0, 990004) == (1, 7)


def test_settled_tws_order_can_still_be_bound_to_an_api_order_id():
    """A TWS order settled on reconnect (its Trade forgotten) is moved without error when bound."""
    book = OrderBook(_resolver())
    book.update(_tr(0, 990004, client_id=0))
    book.settle(("perm", 990004), Status.UNKNOWN, "check TWS")
    moved = book.update(_tr(7, 990004))
    assert [(r.client_id, r.order_id) for r in book.records()] == [(1, 7)]
    assert moved.status is Status.SUBMITTED


def test_unchanged_tws_order_update_is_no_change():
    """The same TWS order reported twice unchanged: the second update returns None."""
    book = OrderBook(_resolver())
    t = _tr(0, 990005, client_id=0, times=[T0])
    first = book.update(t)
    assert first is not None and first.created == T0
    assert book.update(_tr(0, 990005, client_id=0, times=[T0])) is None
    assert len(book.records()) == 1


def test_update_unchanged_returns_none_and_updated_only_change_too():
    """Same trade again -> None; only a later log time (updated) -> None; a status change -> the record."""
    book = OrderBook(_resolver())
    first = book.update(_tr(times=[T0]))
    assert first is not None and (first.created, first.updated) == (T0, T0)
    again = _tr(times=[T0])
    assert book.update(again) is None
    assert book.trade(1, 7) is again   # the latest Trade is kept even when nothing changed
    assert book.update(_tr(times=[T0, T0 + timedelta(seconds=5)])) is None
    assert book.record(1, 7) is first
    changed = book.update(_tr(7, 990001, "PreSubmitted", times=[T0]))
    assert changed is not None and changed.status is Status.PRE_SUBMITTED
    assert book.record(1, 7) is changed


def test_created_time_is_kept_from_the_first_sighting():
    """created stays the earliest seen: a later log start or no log does not move it."""
    book = OrderBook(_resolver())
    t1 = T0 + timedelta(minutes=3)
    assert book.update(_tr(times=[T0])).created == T0
    # reconnect: the new Trade's log starts later, or is empty
    r = book.update(_tr(status="PreSubmitted", times=[t1]))
    assert (r.created, r.updated) == (T0, t1)
    r2 = book.update(_tr(status="Submitted"))
    assert r2.created == T0 and r2.updated is None


def test_created_time_from_an_earlier_log_wins_and_none_is_replaced():
    """A log starting earlier than the record's creation sets created; a record without one takes the new."""
    book = OrderBook(_resolver())
    t1 = T0 + timedelta(minutes=3)
    assert book.update(_tr(times=[t1])).created == t1
    assert book.update(_tr(status="PreSubmitted", times=[T0])).created == T0
    book2 = OrderBook(_resolver())
    assert book2.update(_tr()).created is None
    assert book2.update(_tr(status="PreSubmitted", times=[t1])).created == t1


def test_records_use_the_resolved_instrument_and_share_equal_ones():
    """Records carry instrument_of's instrument (by conId); equal instruments are one object."""
    calls = []
    book = OrderBook(_resolver(calls))
    a = book.update(_tr(7, 990001))
    b = book.update(_tr(8, 990002))
    m = book.update(_tr(9, 990003, con_id=272093))
    e = book.update(_tr(10, 990006, con_id=12087792, qty=20000, lmt=1.10005))
    assert a.instrument == AAPL_R and m.instrument == MSFT_R and e.instrument == EUR_R
    assert a.instrument is b.instrument
    assert a.instrument is not m.instrument
    assert [c.conId for c in calls] == [265598, 265598, 272093, 12087792]


def test_remembered_instrument_is_used_and_shared():
    """remember_instrument: the record of that key uses the trader's instrument, held once."""
    book = OrderBook(_resolver())
    placed = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL", "Apple (as placed)")
    same = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL", "Apple (as placed)")
    book.remember_instrument((1, 7), placed)
    book.remember_instrument((1, 8), same)
    r7 = book.update(_tr(7, 990001))
    r8 = book.update(_tr(8, 990002))
    r9 = book.update(_tr(9, 990003))
    assert r7.instrument is placed and r8.instrument is placed
    assert r9.instrument == AAPL_R


def test_settle_sets_status_and_message_and_forgets_the_trade():
    """settle: status and message set, the Trade forgotten (no modify/cancel for it), the record returned."""
    book = OrderBook(_resolver())
    book.update(_tr(7, 990001, times=[T0]))
    book.update(_tr(8, 990002, con_id=272093))
    r = book.settle((1, 7), Status.NOT_SENT, "Not sent: the connection was lost")
    assert (r.status, r.message, r.order_id, r.created) == (Status.NOT_SENT, "Not sent: the connection was lost", 7, T0)
    assert book.record(1, 7) is r and book.trade(1, 7) is None
    assert book.record(1, 8).status is Status.SUBMITTED and book.trade(1, 8) is not None
    again = book.settle((1, 7), Status.UNKNOWN, "check TWS")
    assert (again.status, again.message) == (Status.UNKNOWN, "check TWS")
    assert book.settle((1, 99), Status.UNKNOWN, "x") is None
    assert book.settle(("perm", 1), Status.UNKNOWN, "x") is None
    assert len(book.records()) == 2


def test_later_gateway_report_replaces_a_settled_record_keeping_the_message():
    """After settle a gateway report replaces the record; the settle message stays until another comes."""
    book = OrderBook(_resolver())
    book.update(_tr())
    book.settle((1, 7), Status.UNKNOWN, "check TWS")
    r = book.update(_tr(status="Filled"))
    assert (r.status, r.message) == (Status.FILLED, "check TWS")


def test_set_message_through_the_live_trade():
    """set_message with a live Trade re-reads it (its current status) and attaches the text."""
    book = OrderBook(_resolver())
    t = _tr()
    book.update(t)
    t.orderStatus.status = "Cancelled"      # ib_async updates its Trade in place
    r = book.set_message(1, 7, "Order Canceled - reason: 202")
    assert (r.status, r.message) == (Status.CANCELLED, "Order Canceled - reason: 202")
    assert book.record(1, 7) is r
    assert book.set_message(1, 7, "Order Canceled - reason: 202") is None
    # the message survives later reports of the Trade
    assert book.update(_tr(status="Cancelled")) is None
    assert book.record(1, 7).message == "Order Canceled - reason: 202"


def test_set_message_without_a_trade_copies_the_record():
    """A settled record (no Trade) takes the text as a copy; the same text again -> None."""
    book = OrderBook(_resolver())
    book.update(_tr())
    book.settle((1, 7), Status.UNKNOWN, "check TWS")
    r = book.set_message(1, 7, "Error 10147: OrderId 7 not found")
    assert (r.status, r.message) == (Status.UNKNOWN, "Error 10147: OrderId 7 not found")
    assert book.record(1, 7) is r
    assert book.set_message(1, 7, "Error 10147: OrderId 7 not found") is None


def test_set_message_for_an_unknown_order_is_none():
    """No record for (clientId, orderId): None, nothing created."""
    book = OrderBook(_resolver())
    book.update(_tr(7, 990001, client_id=1))
    assert book.set_message(2, 7, "Error 200") is None
    assert book.set_message(1, 8, "Error 200") is None
    assert len(book.records()) == 1 and book.record(1, 7).message == ""


def test_record_and_trade_lookup_by_client_and_order_id():
    """record/trade by (clientId, orderId) (orderId as text or float works); others' ids don't match."""
    book = OrderBook(_resolver())
    t1, t2 = _tr(7, 990001), _tr(7, 990002, client_id=3)
    r1, r2 = book.update(t1), book.update(t2)
    assert book.record(1, 7) is r1 and book.record(3, 7) is r2
    assert book.record(1, "7") is r1 and book.trade(3, 7.0) is t2
    assert book.trade(1, 7) is t1 and book.trade(2, 7) is None and book.record(2, 7) is None
    latest = _tr(7, 990001, "PreSubmitted")
    book.update(latest)
    assert book.trade(1, 7) is latest
    assert book.records() == [book.record(1, 7), r2]


def test_tws_order_whose_first_report_failed_is_recorded_when_bound():
    """instrument_of failing on a TWS order's first report does not break its later report under an API orderId."""
    good = _resolver()
    failing = {"on": True}

    def instrument_of(contract):
        if failing["on"]:
            raise LookupError("contract details not loaded yet")
        return good(contract)

    book = OrderBook(instrument_of)
    with pytest.raises(LookupError):
        book.update(_tr(0, 990007, client_id=0))
    failing["on"] = False
    r = book.update(_tr(7, 990007))
    assert (r.client_id, r.order_id, r.instrument) == (1, 7, AAPL_R)
    assert book.records() == [r]
