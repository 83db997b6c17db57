"""The trailing, auction and touch order types and the IOC / FOK / GTD / OPG time-in-force
rules of the domain (app/domain/orders.py), pinned exactly: each rule refuses with its own
sentence, and a valid order of each kind passes and reads as IB writes it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from app.domain import Action, OrderRequest, OrderType, OrderValidationError, TimeInForce, validate_order_request
from app.domain.orders import (
    fmt_good_till, good_till_problem, ib_good_till, outside_rth_problem, tif_problem, zone_name,
)
from tests.fakes import CONTRACTS

AAPL, EURUSD = CONTRACTS["AAPL"], CONTRACTS["EUR.USD"]
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)
T, TL, MOC, LOC, MIT, LIT = (OrderType.TRAIL, OrderType.TRAIL_LIMIT, OrderType.MOC, OrderType.LOC,
                             OrderType.MIT, OrderType.LIT)


def req(otype, *, inst=AAPL, action=Action.SELL, qty=100, tif=TimeInForce.DAY, **kw) -> OrderRequest:
    return OrderRequest(inst, action, qty, otype, tif=tif, **kw)


def refused(r: OrderRequest) -> str:
    with pytest.raises(OrderValidationError) as e:
        validate_order_request(r, now=NOW)
    return str(e.value)


def ok(r: OrderRequest) -> OrderRequest:
    assert validate_order_request(r, now=NOW) is r
    return r


# ---------------------------------------------------------------- valid orders, described

@pytest.mark.parametrize("r, text", [
    (req(T, trailing_amount=1.5, tif=TimeInForce.GTC, outside_rth=True),
     "SELL 100 AAPL TRAIL 1.50 GTC outside RTH"),
    (req(T, trailing_percent=2.5), "SELL 100 AAPL TRAIL 2.5 % DAY"),
    (req(T, trailing_amount=1.5, trail_stop_price=185.0), "SELL 100 AAPL TRAIL 1.50 stop 185.00 DAY"),
    (req(TL, trailing_amount=1.0, limit_offset=0.1), "SELL 100 AAPL TRAIL LIMIT 1.00 offset 0.10 DAY"),
    (req(TL, trailing_percent=1, limit_offset=0.0), "SELL 100 AAPL TRAIL LIMIT 1 % offset 0.00 DAY"),
    (req(MOC, action=Action.BUY), "BUY 100 AAPL MOC DAY"),
    (req(LOC, limit_price=187.5), "SELL 100 AAPL LOC 187.50 DAY"),
    (req(MIT, stop_price=186.0), "SELL 100 AAPL MIT trigger 186.00 DAY"),
    (req(LIT, stop_price=186.0, limit_price=185.9), "SELL 100 AAPL LIT trigger 186.00 limit 185.90 DAY"),
    (req(OrderType.LMT, limit_price=187.5, tif=TimeInForce.IOC), "SELL 100 AAPL LMT 187.50 IOC"),
    (req(OrderType.MKT, tif=TimeInForce.FOK), "SELL 100 AAPL MKT FOK"),
    (req(OrderType.MKT, tif=TimeInForce.OPG), "SELL 100 AAPL MKT OPG"),
    (req(OrderType.LMT, limit_price=187.5, tif=TimeInForce.OPG), "SELL 100 AAPL LMT 187.50 OPG"),
    (req(OrderType.LMT, limit_price=187.5, tif=TimeInForce.GTD,
         good_till=datetime(2026, 12, 8, 16, 0, tzinfo=NY)),
     "SELL 100 AAPL LMT 187.50 GTD 2026-12-08 16:00 America/New_York"),
    (req(OrderType.STP, stop_price=186.0, tif=TimeInForce.GTD, outside_rth=True,
         good_till=datetime(2026, 12, 8, 16, 0, 30, tzinfo=timezone.utc)),
     "SELL 100 AAPL STP stop 186.00 GTD 2026-12-08 16:00:30 UTC outside RTH"),
    (req(T, inst=EURUSD, qty=25000, trailing_amount=0.0005, tif=TimeInForce.GTC),
     "SELL 25,000 EUR.USD TRAIL 0.00050 GTC"),
])
def test_valid_order_of_each_kind_passes_and_reads_as_ib_writes_it(r, text):
    assert ok(r).describe() == text


# ---------------------------------------------------------------- trailing fields

@pytest.mark.parametrize("r, why", [
    (req(T), "A TRAIL order needs a trailing amount or a trailing percent"),
    (req(TL, limit_offset=0.1), "A TRAIL LIMIT order needs a trailing amount or a trailing percent"),
    (req(T, trailing_amount=1.0, trailing_percent=1.0), "Give a trailing amount or a trailing percent, not both"),
    (req(T, trailing_amount=0.0), "Trailing amount must be positive, got 0"),
    (req(T, trailing_amount=1.005), "Trailing amount 1.005 is not a multiple of the tick size 0.01 (nearest: 1.01)"),
    (req(T, trailing_percent=0.0), "Trailing percent must be above 0 and below 100, got 0.0"),
    (req(T, trailing_percent=100), "Trailing percent must be above 0 and below 100, got 100"),
    (req(T, trailing_percent=-1), "Trailing percent must be above 0 and below 100, got -1"),
    (req(T, trailing_percent=True), "Trailing percent must be above 0 and below 100, got True"),
    (req(T, trailing_percent="2"), "Trailing percent must be above 0 and below 100, got '2'"),
    (req(T, trailing_amount=1.0, trail_stop_price=-5.0), "Trail stop price must be positive, got -5"),
    (req(T, trailing_amount=1.0, limit_offset=0.1), "A TRAIL order takes no limit offset (TRAIL LIMIT does)"),
    (req(TL, trailing_amount=1.0),
     "A TRAIL LIMIT order needs a limit offset (how far beyond the stop the limit is)"),
    (req(TL, trailing_amount=1.0, limit_offset=-0.1), "Limit offset must be positive, got -0.1"),
    (req(TL, trailing_amount=1.0, limit_offset=0.015),
     "Limit offset 0.015 is not a multiple of the tick size 0.01 (nearest: 0.02)"),
    (req(T, trailing_amount=1.0, limit_price=180.0), "A TRAIL order takes no limit price"),
    (req(T, trailing_amount=1.0, stop_price=180.0), "A TRAIL order takes no stop price"),
    (req(OrderType.LMT, limit_price=187.5, trailing_amount=1.0), "A LMT order takes no trailing amount"),
    (req(OrderType.STP, stop_price=186.0, trailing_percent=1.0), "A STP order takes no trailing percent"),
    (req(OrderType.MKT, trail_stop_price=186.0), "A MKT order takes no trail stop price"),
    (req(LOC, limit_price=187.5, limit_offset=0.1), "A LOC order takes no limit offset"),
])
def test_trailing_rules(r, why):
    assert refused(r) == why


def test_trailing_percent_just_inside_its_bounds_passes():
    ok(req(T, trailing_percent=0.01))
    ok(req(T, trailing_percent=99.99))
    ok(req(T, trailing_amount=0.01, trail_stop_price=0.01))


# ---------------------------------------------------------------- prices of MIT / LIT / LOC

@pytest.mark.parametrize("r, why", [
    (req(MIT), "Trigger price is required for a MIT order"),
    (req(LIT, limit_price=185.0), "Trigger price is required for a LIT order"),
    (req(LIT, stop_price=186.0), "Limit price is required for a LIT order"),
    (req(LOC), "Limit price is required for a LOC order"),
    (req(MIT, stop_price=186.005), "Trigger price 186.005 is not a multiple of the tick size 0.01 (nearest: 186.01)"),
    (req(MIT, stop_price=186.0, limit_price=185.0), "A MIT order takes no limit price"),
    (req(MOC, limit_price=185.0), "A MOC order takes no limit price"),
    (req(LOC, limit_price=185.0, stop_price=186.0), "A LOC order takes no stop price"),
    (req(OrderType.LMT, limit_price=185.0, stop_price=186.0), "A LMT order takes no stop price"),
])
def test_price_rules_of_the_touch_and_close_types(r, why):
    assert refused(r) == why


# ---------------------------------------------------------------- time in force

@pytest.mark.parametrize("r, why", [
    (req(MOC, tif=TimeInForce.GTC),
     "A MOC order must be a DAY order (it executes in today's closing auction), not GTC"),
    (req(LOC, limit_price=185.0, tif=TimeInForce.IOC),
     "A LOC order must be a DAY order (it executes in today's closing auction), not IOC"),
    (req(MOC, inst=EURUSD, qty=25000), "MOC orders are for stocks: FX has no opening or closing auction"),
    (req(OrderType.MKT, inst=EURUSD, qty=25000, tif=TimeInForce.OPG),
     "OPG orders are for stocks: FX has no opening or closing auction"),
    (req(OrderType.STP, stop_price=186.0, tif=TimeInForce.OPG),
     "OPG (the opening auction) is for MKT and LMT orders only, not STP"),
    (req(MOC, tif=TimeInForce.OPG), "A MOC order must be a DAY order (it executes in today's closing auction), not OPG"),
    (req(OrderType.STP, stop_price=186.0, tif=TimeInForce.IOC),
     "IOC fills at once or cancels, but a STP order waits for its trigger: it would be cancelled "
     "before it triggers (use DAY or GTC)"),
    (req(T, trailing_amount=1.0, tif=TimeInForce.FOK),
     "FOK fills at once or cancels, but a TRAIL order waits for its trigger: it would be cancelled "
     "before it triggers (use DAY or GTC)"),
])
def test_tif_rules(r, why):
    assert refused(r) == why


@pytest.mark.parametrize("otype", list(OrderType))
@pytest.mark.parametrize("tif", list(TimeInForce))
def test_tif_problem_table(otype, tif):
    """Exactly: MOC/LOC DAY only, OPG with MKT/LMT only, IOC/FOK not with a type that waits."""
    waits = otype in (OrderType.STP, OrderType.STP_LMT, T, TL, MIT, LIT)
    bad = ((otype.at_close and tif is not TimeInForce.DAY)
           or (tif is TimeInForce.OPG and otype not in (OrderType.MKT, OrderType.LMT))
           or (tif in (TimeInForce.IOC, TimeInForce.FOK) and waits))
    assert (tif_problem(otype, tif, "STK") is not None) is bad
    fx_bad = bad or otype.at_close or tif is TimeInForce.OPG
    assert (tif_problem(otype, tif, "CASH") is not None) is fx_bad


def test_ioc_and_fok_pass_for_orders_that_act_at_once():
    for tif in (TimeInForce.IOC, TimeInForce.FOK):
        ok(req(OrderType.MKT, tif=tif))
        ok(req(OrderType.LMT, limit_price=187.5, tif=tif))
        ok(req(OrderType.LMT, inst=EURUSD, qty=25000, limit_price=1.1, tif=tif))


# ---------------------------------------------------------------- GTD

def test_gtd_needs_a_future_expiry_with_a_zone():
    gtd = TimeInForce.GTD
    lmt = dict(limit_price=187.5)
    assert refused(req(OrderType.LMT, tif=gtd, **lmt)) == "A GTD order needs the date and time it expires"
    assert refused(req(OrderType.LMT, tif=gtd, good_till=datetime(2026, 12, 8, 16, 0), **lmt)) == \
        "The GTD expiry needs a time zone"
    assert refused(req(OrderType.LMT, tif=gtd, good_till="20261208 16:00:00", **lmt)) == \
        "The GTD expiry needs a time zone"
    assert refused(req(OrderType.LMT, tif=gtd, good_till=NOW, **lmt)) == \
        "The GTD expiry 2026-12-07 15:00 UTC is not in the future"
    past = NOW.astimezone(NY) - timedelta(seconds=1)
    assert refused(req(OrderType.LMT, tif=gtd, good_till=past, **lmt)) == \
        "The GTD expiry 2026-12-07 09:59:59 America/New_York is not in the future"
    ok(req(OrderType.LMT, tif=gtd, good_till=NOW + timedelta(seconds=1), **lmt))
    assert refused(req(OrderType.LMT, tif=TimeInForce.GTC, good_till=NOW + timedelta(days=1), **lmt)) == \
        "Only a GTD order takes an expiry date and time (TIF is GTC)"


def test_gtd_in_the_past_is_refused_against_the_real_clock_by_default():
    r = req(OrderType.LMT, limit_price=187.5, tif=TimeInForce.GTD,
            good_till=datetime(2020, 1, 2, 16, 0, tzinfo=NY))
    with pytest.raises(OrderValidationError, match="not in the future"):
        validate_order_request(r)
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    validate_order_request(req(OrderType.LMT, limit_price=187.5, tif=TimeInForce.GTD, good_till=future))


def test_good_till_problem_direct():
    assert good_till_problem(TimeInForce.DAY, None, NOW) is None
    assert good_till_problem(TimeInForce.GTD, NOW + timedelta(minutes=1), NOW) is None


def test_ib_good_till_formats():
    """IB's two date/time forms: UTC "yyyymmdd-hh:mm:ss", or "yyyymmdd hh:mm:ss <zone>"."""
    assert ib_good_till(datetime(2026, 12, 8, 16, 0, 5, tzinfo=NY)) == "20261208 16:00:05 America/New_York"
    assert ib_good_till(datetime(2026, 12, 8, 21, 0, tzinfo=timezone.utc)) == "20261208-21:00:00"
    assert ib_good_till(datetime(2026, 12, 8, 21, 0, tzinfo=ZoneInfo("UTC"))) == "20261208 21:00:00 UTC"
    plus2 = timezone(timedelta(hours=2))
    assert ib_good_till(datetime(2026, 12, 8, 18, 0, tzinfo=plus2)) == "20261208-16:00:00"
    with pytest.raises(ValueError, match="^goodTillDate needs a time zone$"):
        ib_good_till(datetime(2026, 12, 8, 16, 0))


def test_zone_names_and_readable_expiry():
    assert zone_name(datetime(2026, 12, 8, tzinfo=NY)) == "America/New_York"
    assert zone_name(datetime(2026, 12, 8, tzinfo=timezone.utc)) == "UTC"
    assert zone_name(datetime(2026, 12, 8, tzinfo=timezone(timedelta(0), "Z0"))) == "UTC"
    assert zone_name(datetime(2026, 12, 8, tzinfo=timezone(timedelta(hours=1), "CET"))) == "CET"
    assert fmt_good_till(datetime(2026, 12, 8, 16, 0, tzinfo=NY)) == "2026-12-08 16:00 America/New_York"
    assert fmt_good_till(datetime(2026, 12, 8, 16, 0, 1, tzinfo=NY)) == "2026-12-08 16:00:01 America/New_York"


# ---------------------------------------------------------------- outside RTH

@pytest.mark.parametrize("r, why", [
    (req(OrderType.MKT, outside_rth=True),
     "Outside RTH does not apply to a MKT order: IB fills market orders in regular trading hours "
     "only (use a LMT order outside RTH)"),
    (req(MOC, outside_rth=True), "Outside RTH does not apply to a MOC order: it executes in the closing auction"),
    (req(LOC, limit_price=185.0, outside_rth=True),
     "Outside RTH does not apply to a LOC order: it executes in the closing auction"),
    (req(OrderType.LMT, limit_price=185.0, tif=TimeInForce.OPG, outside_rth=True),
     "Outside RTH does not apply to an OPG order: it executes in the opening auction"),
])
def test_outside_rth_rules(r, why):
    assert refused(r) == why


@pytest.mark.parametrize("otype", list(OrderType))
def test_outside_rth_applies_to_every_type_that_trades_in_the_session(otype):
    expected = otype in (OrderType.MKT, MOC, LOC)
    assert (outside_rth_problem(otype, TimeInForce.DAY) is not None) is expected
    assert outside_rth_problem(otype, TimeInForce.OPG) is not None


def test_outside_rth_passes_for_limit_stop_trailing_and_touch_orders():
    ok(req(OrderType.LMT, limit_price=185.0, outside_rth=True, tif=TimeInForce.GTC))
    ok(req(OrderType.STP_LMT, stop_price=186.0, limit_price=185.9, outside_rth=True))
    ok(req(T, trailing_percent=1.0, outside_rth=True))
    ok(req(LIT, stop_price=186.0, limit_price=185.9, outside_rth=True))


class _NoOffset(tzinfo):
    """A zone that knows no offset (``utcoffset`` None): not a usable time zone."""

    def utcoffset(self, dt):
        return None

    def tzname(self, dt):
        return None

    def dst(self, dt):
        return None


class _Nameless(_NoOffset):
    def utcoffset(self, dt):
        return timedelta(hours=1)


def test_a_zone_without_an_offset_is_no_zone():
    t = datetime(2099, 1, 2, 16, 0, tzinfo=_NoOffset())
    assert good_till_problem(TimeInForce.GTD, t, NOW) == "The GTD expiry needs a time zone"
    with pytest.raises(ValueError, match="time zone"):
        ib_good_till(t)


def test_a_nameless_zone_is_written_by_its_offset():
    t = datetime(2099, 1, 2, 16, 0, tzinfo=_Nameless())
    assert zone_name(t) == "UTC+0100"
    assert ib_good_till(t) == "20990102-15:00:00"


def test_good_till_in_utc_does_not_depend_on_the_computers_zone(monkeypatch):
    import time
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        t = datetime(2099, 1, 2, 18, 0, tzinfo=timezone(timedelta(hours=2)))
        assert ib_good_till(t) == "20990102-16:00:00"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("pct, text", [(10.0, "10 %"), (1e15, "1e+15 %"), (999999999999999.0, "999999999999999 %"),
                                       (0.25, "0.25 %")])
def test_trailing_percent_is_written_as_typed(pct, text):
    """An unvalidated request (the journal describes it too) never reads 1E+1 or 300 digits."""
    assert req(T, trailing_percent=pct).describe() == f"SELL 100 AAPL TRAIL {text} DAY"


def test_an_invalid_request_reads_as_asked():
    """The journal describes a refused request too: every field the trader gave is in it."""
    assert req(T, trailing_amount=1.5, limit_offset=0.1).describe() == "SELL 100 AAPL TRAIL 1.50 offset 0.10 DAY"
    assert req(OrderType.MKT, good_till=datetime(2099, 1, 2, 16, 0, tzinfo=NY)).describe() == \
        "SELL 100 AAPL MKT DAY 2099-01-02 16:00 America/New_York"
    assert req(TL, trailing_amount=1.5).describe() == "SELL 100 AAPL TRAIL LIMIT 1.50 DAY"
    assert req(OrderType.LMT, limit_price=1.0, tif=TimeInForce.GTD).describe() == "SELL 100 AAPL LMT 1.00 GTD"
