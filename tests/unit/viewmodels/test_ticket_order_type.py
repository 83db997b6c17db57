"""The ticket's type-specific fields (app/viewmodels/ticket_order_type.py) without a widget:
which request fields each type and TIF carries, the trailing stop's start, the GTD default,
and every order type and TIF in a trader's words."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.domain import Action, OrderRequest, OrderType, Quote, TimeInForce
from app.viewmodels.ticket_order_type import (
    OrderTypeFields, explain, plain_order, reference_price, trailing_stop_now,
)
from tests.fakes import CONTRACTS

AAPL, EUR = CONTRACTS["AAPL"], CONTRACTS["EUR.USD"]
NY = ZoneInfo("America/New_York")
Q = Quote(AAPL.key, bid=187.49, ask=187.51, last=187.40)


def r(otype, action=Action.SELL, tif=TimeInForce.DAY, inst=AAPL, **kw):
    return OrderRequest(inst, action, 100, otype, tif=tif, **kw)


@pytest.mark.parametrize("req, text", [
    (r(OrderType.MKT, Action.BUY), "Buy 100 AAPL at the market, DAY"),
    (r(OrderType.LMT, limit_price=187.5, tif=TimeInForce.GTC), "Sell 100 AAPL limit 187.50, GTC"),
    (r(OrderType.STP, stop_price=186.0), "Sell 100 AAPL stop 186.00 (then at the market), DAY"),
    (r(OrderType.STP_LMT, stop_price=186.0, limit_price=185.9),
     "Sell 100 AAPL stop 186.00, then limit 185.90, DAY"),
    (r(OrderType.TRAIL, trailing_amount=1.5, tif=TimeInForce.GTC, outside_rth=True),
     "Sell 100 AAPL trailing stop 1.50 below the market (stop now 185.90), GTC, outside RTH"),
    (r(OrderType.TRAIL, Action.BUY, trailing_percent=2.0),
     "Buy 100 AAPL trailing stop 2 % above the market (stop now 191.15), DAY"),
    (r(OrderType.TRAIL_LIMIT, trailing_amount=1.0, trail_stop_price=185.0, limit_offset=0.1),
     "Sell 100 AAPL trailing stop 1.00 below the market (stop starts at 185.00), then a limit 0.10 "
     "below the stop, DAY"),
    (r(OrderType.MOC, Action.BUY), "Buy 100 AAPL at the market on the close (MOC), DAY"),
    (r(OrderType.LOC, limit_price=188.0), "Sell 100 AAPL limit 188.00 on the close (LOC), DAY"),
    (r(OrderType.MIT, stop_price=188.0), "Sell 100 AAPL at the market once it touches 188.00 (MIT), DAY"),
    (r(OrderType.LIT, stop_price=188.0, limit_price=187.9),
     "Sell 100 AAPL limit 187.90 once the market touches 188.00 (LIT), DAY"),
    (r(OrderType.LMT, limit_price=187.5, tif=TimeInForce.IOC),
     "Sell 100 AAPL limit 187.50, immediate or cancel (IOC: what does not fill at once is cancelled)"),
    (r(OrderType.MKT, tif=TimeInForce.FOK), "Sell 100 AAPL at the market, fill or kill (FOK: all at once or nothing)"),
    (r(OrderType.MKT, tif=TimeInForce.OPG), "Sell 100 AAPL at the market, in the opening auction (OPG)"),
    (r(OrderType.LMT, limit_price=187.5, tif=TimeInForce.GTD, good_till=datetime(2099, 1, 2, 16, 0, tzinfo=NY)),
     "Sell 100 AAPL limit 187.50, good till 2099-01-02 16:00 America/New_York (GTD)"),
    (r(OrderType.LMT, tif=TimeInForce.GTD), "Sell 100 AAPL limit ?, good till ? (GTD)"),
])
def test_every_type_and_tif_in_words(req, text):
    assert explain(req, Q) == text


def test_plain_orders_keep_ibs_form():
    assert plain_order(r(OrderType.LMT, limit_price=1.0, tif=TimeInForce.GTC))
    assert not plain_order(r(OrderType.LMT, limit_price=1.0, outside_rth=True))
    assert not plain_order(r(OrderType.LMT, limit_price=1.0, tif=TimeInForce.IOC))
    assert not plain_order(r(OrderType.MIT, stop_price=1.0))


def test_reference_price_last_for_stocks_mid_for_fx():
    assert reference_price(Q, "STK") == 187.40
    assert reference_price(Q, "CASH") == pytest.approx(187.50)
    assert reference_price(Quote(AAPL.key, bid=187.49, ask=187.51), "STK") == pytest.approx(187.50)
    assert reference_price(Quote(AAPL.key, bid=187.49), "STK") == 187.49
    assert reference_price(Quote(AAPL.key, last=187.3), "CASH") == 187.3
    assert reference_price(Quote(AAPL.key), "STK") is None and reference_price(None, "STK") is None


def test_trailing_stop_now_rounds_away_from_the_market():
    fx = Quote(EUR.key, bid=1.10004, ask=1.10007)   # mid 1.100055
    req = OrderRequest(EUR, Action.SELL, 25000, OrderType.TRAIL, trailing_amount=0.0005)
    assert trailing_stop_now(req, fx) == 1.09955          # 1.099555 down to the tick
    assert trailing_stop_now(r(OrderType.TRAIL, Action.BUY, trailing_amount=0.005), Q) is not None
    assert trailing_stop_now(r(OrderType.TRAIL), Q) is None                  # no distance yet
    assert trailing_stop_now(r(OrderType.TRAIL, trailing_amount=1.0), None) is None
    assert trailing_stop_now(r(OrderType.LMT, limit_price=1.0), Q) is None


def test_request_fields_follow_type_and_tif():
    f = OrderTypeFields()
    f.trailing_amount, f.limit_offset, f.trail_stop_price = 1.5, 0.1, 185.0
    f.outside_rth = True
    f.expiry = datetime(2099, 1, 2, 16, 0)
    assert f.request_fields(OrderType.LMT, TimeInForce.DAY) == {"outside_rth": True}
    assert f.request_fields(OrderType.MKT, TimeInForce.DAY) == {}
    assert f.request_fields(OrderType.TRAIL, TimeInForce.GTD) == {
        "trailing_amount": 1.5, "trail_stop_price": 185.0, "outside_rth": True,
        "good_till": datetime(2099, 1, 2, 16, 0, tzinfo=NY)}
    f.trail_by = "percent"
    assert f.request_fields(OrderType.TRAIL_LIMIT, TimeInForce.DAY) == {
        "trailing_percent": 1.0, "trail_stop_price": 185.0, "limit_offset": 0.1, "outside_rth": True}


def test_set_checks_names_and_values_and_reports_changes():
    seen = []
    f = OrderTypeFields(lambda: seen.append(1))
    f.set("trailing_amount", 2.0)
    f.set("trailing_amount", 2.0)          # unchanged: no report
    assert f.trailing_amount == 2.0 and seen == [1]
    with pytest.raises(ValueError, match="amount' or 'percent"):
        f.set("trail_by", "ticks")
    with pytest.raises(AttributeError):
        f.set("lmt_price", 1.0)
    with pytest.raises(AttributeError):
        f.set("_on_change", None)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        f.set("expiry_zone", "Mars/Olympus")
    f.set("expiry_zone", "UTC")
    f.set("expiry", datetime(2099, 1, 2, 16, 0))
    assert f.good_till() == datetime(2099, 1, 2, 16, 0, tzinfo=ZoneInfo("UTC"))


def test_default_expiry_is_the_next_1600_of_its_zone():
    f = OrderTypeFields()
    morning = datetime(2026, 12, 7, 14, 0, tzinfo=timezone.utc)          # 09:00 New York
    assert f.default_expiry(morning) == datetime(2026, 12, 7, 16, 0)
    evening = datetime(2026, 12, 7, 22, 0, tzinfo=timezone.utc)          # 17:00 New York
    assert f.default_expiry(evening) == datetime(2026, 12, 8, 16, 0)


def test_prefill_of_trailing_fields():
    f = OrderTypeFields()
    assert f.prefill(OrderType.TRAIL_LIMIT, 187.5, 0.01)
    assert (f.trailing_amount, f.limit_offset) == (1.88, 0.19)
    assert not f.prefill(OrderType.TRAIL_LIMIT, 200.0, 0.01)            # kept
    g = OrderTypeFields()
    assert not g.prefill(OrderType.LMT, 187.5, 0.01)
    assert not g.prefill(OrderType.TRAIL, float("nan"), 0.01) and g.trailing_amount is None
    assert g.prefill(OrderType.TRAIL, 0.5, 0.01) and g.trailing_amount == 0.01   # at least one tick
