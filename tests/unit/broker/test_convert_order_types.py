"""The new order types and TIFs to and from ib_async orders (app/broker/convert.py), and the
openOrder fields ib_async drops that app/broker/openorder_fields.py keeps."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from ib_async import Order, OrderStatus as IBOrderStatus, Stock, Trade

from app.broker import convert, openorder_fields
from app.domain import Action, OrderRequest, OrderType, TimeInForce
from tests.fakes import CONTRACTS

AAPL = CONTRACTS["AAPL"]
UNSET = 1.7976931348623157e308


def test_request_to_order_trailing_fields_gtd_and_outside_rth():
    gtd = datetime(2099, 1, 2, 16, 0, tzinfo=ZoneInfo("America/New_York"))
    o = convert.request_to_order(OrderRequest(AAPL, Action.SELL, 100, OrderType.TRAIL_LIMIT, trailing_amount=1.5,
                                              trail_stop_price=180.0, limit_offset=0.1, tif=TimeInForce.GTD,
                                              good_till=gtd, outside_rth=True))
    assert (o.orderType, o.auxPrice, o.trailStopPrice, o.lmtPriceOffset, o.lmtPrice, o.trailingPercent) == (
        "TRAIL LIMIT", 1.5, 180.0, 0.1, UNSET, UNSET)
    assert (o.tif, o.goodTillDate, o.outsideRth) == ("GTD", "20990102 16:00:00 America/New_York", True)
    p = convert.request_to_order(OrderRequest(AAPL, Action.BUY, 100, OrderType.TRAIL, trailing_percent=2.0))
    assert (p.auxPrice, p.trailingPercent, p.goodTillDate) == (UNSET, 2.0, "")
    u = convert.request_to_order(OrderRequest(AAPL, Action.BUY, 100, OrderType.LIT, limit_price=150.1, stop_price=150.0,
                                              tif=TimeInForce.GTD,
                                              good_till=datetime(2099, 1, 2, 21, 0, tzinfo=timezone.utc)))
    assert (u.orderType, u.lmtPrice, u.auxPrice, u.goodTillDate) == ("LIT", 150.1, 150.0, "20990102-21:00:00")


def _trade(otype, **kw):
    order = Order(orderId=7, clientId=1, permId=555, action="SELL", totalQuantity=100, orderType=otype,
                  tif=kw.pop("tif", "DAY"), **kw)
    return Trade(Stock("AAPL", "SMART", "USD", conId=265598), order,
                 IBOrderStatus(orderId=7, status="PreSubmitted", permId=555, clientId=1), [], [])


def test_trade_to_record_of_trailing_orders():
    r = convert.trade_to_record(_trade("TRAIL", auxPrice=1.5, trailStopPrice=185.25, outsideRth=True, tif="GTC"), AAPL)
    assert (r.order_type, r.trailing_amount, r.trailing_percent, r.stop_price, r.limit_price) == (
        OrderType.TRAIL, 1.5, None, 185.25, None)
    assert (r.outside_rth, r.tif, r.limit_offset, r.good_till) == (True, "GTC", None, "")
    r = convert.trade_to_record(_trade("TRAIL LIMIT", auxPrice=UNSET, trailingPercent=2.0, lmtPriceOffset=0.1,
                                       lmtPrice=UNSET), AAPL)
    assert (r.trailing_amount, r.trailing_percent, r.limit_offset, r.stop_price) == (None, 2.0, 0.1, None)
    r = convert.trade_to_record(_trade("MIT", auxPrice=150.0, lmtPrice=0.0, trailingPercent=3.0,
                                       goodTillDate=" 20990102-21:00:00 ", tif="GTD"), AAPL)
    assert (r.stop_price, r.limit_price, r.trailing_percent, r.trailing_amount, r.good_till) == (
        150.0, None, None, None, "20990102-21:00:00")
    r = convert.trade_to_record(_trade("VWAP", auxPrice=3.0), AAPL)
    assert (r.order_type, r.stop_price, r.trailing_amount) == ("VWAP", 3.0, None)


def test_open_order_updates_copy_the_fields_ib_async_drops():
    """A known order: trailStopPrice and the TIF fields are copied before ib_async's own
    openOrder runs (which emits openOrderEvent); an unknown or whatIf order is left alone."""
    known = Order(orderId=7, clientId=1, permId=555, orderType="TRAIL", auxPrice=1.0, trailStopPrice=185.0)
    seen = []
    wrapper = SimpleNamespace(trades={(1, 7): SimpleNamespace(order=known)},
                              orderKey=lambda c, o, p: (c, o))
    wrapper.openOrder = lambda oid, c, order, st: seen.append(known.trailStopPrice)
    assert openorder_fields.install(SimpleNamespace(wrapper=wrapper))
    update = Order(orderId=7, clientId=1, permId=555, orderType="TRAIL", auxPrice=1.0, trailStopPrice=186.5,
                   tif="GTD", goodTillDate="20990102-21:00:00", outsideRth=True, trailingPercent=UNSET)
    wrapper.openOrder(7, None, update, None)
    assert seen == [186.5]
    assert (known.tif, known.goodTillDate, known.outsideRth) == ("GTD", "20990102-21:00:00", True)
    wrapper.openOrder(8, None, Order(orderId=8, clientId=1, trailStopPrice=1.0), None)
    wrapper.openOrder(7, None, Order(orderId=7, clientId=1, whatIf=True, trailStopPrice=1.0), None)
    assert known.trailStopPrice == 186.5 and len(seen) == 3


def test_install_refuses_an_unknown_wrapper():
    assert openorder_fields.install(SimpleNamespace(wrapper=SimpleNamespace())) is False
