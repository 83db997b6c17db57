"""Scanner rankings, request validation and the scannerParameters XML (app.sim.scanner);
the news bulletin board's schedule and day (app.sim.bulletins)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from app.sim import scanner as S
from app.sim.bulletins import BulletinBoard
from app.sim.exchange import SimExchange
from app.sim.instruments import NY
from app.sim.types import SimError


def row(sym, last, prev=100.0, vol=1e6, exp=1e6, hi=120.0, lo=80.0, con=None, cap=None):
    return S.ScanRow(con or hash(sym) % 10**6, sym, last, prev, vol, exp, hi, lo, cap)


ROWS = [row("UP5", 105.0, vol=3e6, exp=1e6), row("UP1", 101.0, vol=9e6, exp=9e6),
        row("DN3", 97.0, vol=2e6, exp=4e6, lo=96.0), row("DN9", 91.0, vol=5e5, exp=1e5, hi=95.0, lo=90.0),
        row("FLAT", 100.0, vol=0.0, hi=100.5)]


def codes(code, data=ROWS, **kw):
    return [r.symbol for r in S.rank(S.ScanFilter(code, **kw), data)]


def test_rankings_follow_their_definitions():
    assert codes("TOP_PERC_GAIN") == ["UP5", "UP1"]
    assert codes("TOP_PERC_LOSE") == ["DN9", "DN3"]
    assert codes("MOST_ACTIVE") == ["UP1", "UP5", "DN3", "DN9"]
    assert codes("HOT_BY_VOLUME") == ["DN9", "UP5", "UP1", "DN3"]       # 5x, 3x, 1x, 0.5x
    assert codes("HIGH_VS_13W_HL")[:2] == ["FLAT", "DN9"]                # 100/100.5, 91/95
    assert codes("LOW_VS_13W_HL")[:2] == ["DN3", "DN9"]                   # 97/96, 91/90


def test_filters_and_rows():
    assert codes("MOST_ACTIVE", above_price=100.0) == ["UP1", "UP5"]
    assert codes("MOST_ACTIVE", below_price=100.0) == ["DN3", "DN9"]
    assert codes("MOST_ACTIVE", above_volume=1e6) == ["UP1", "UP5", "DN3"]
    assert codes("MOST_ACTIVE", rows=2) == ["UP1", "UP5"]
    ties = [row("B", 110.0), row("A", 110.0)]
    assert codes("TOP_PERC_GAIN", ties) == ["A", "B"]                     # ties by symbol


def test_market_cap_filters_keep_only_stocks_with_a_cap_in_range():
    rows = [row("BIG", 101.0, cap=3e12), row("MID", 102.0, cap=2e11), row("SMALL", 103.0, cap=5e9),
            row("ETF", 104.0, cap=None)]
    assert codes("TOP_PERC_GAIN", rows) == ["ETF", "SMALL", "MID", "BIG"]
    assert codes("TOP_PERC_GAIN", rows, above_market_cap=1e11) == ["MID", "BIG"]
    assert codes("TOP_PERC_GAIN", rows, below_market_cap=1e12) == ["SMALL", "MID"]
    assert codes("TOP_PERC_GAIN", rows, above_market_cap=1e10, below_market_cap=1e12) == ["MID"]
    assert codes("TOP_PERC_GAIN", rows, above_market_cap=2e11) == ["BIG"]      # strictly above
    assert codes("TOP_PERC_GAIN", rows, above_market_cap=0.0) == ["SMALL", "MID", "BIG"]   # no cap: out


def _req(**kw):
    p = {n: "" for n in ("numberOfRows", "instrument", "locationCode", "filterOptions",
                         *S.SERVED_FIELDS, *S.UNSERVED_FIELDS)}
    p.update(scanCode="TOP_PERC_GAIN", instrument="STK", locationCode="STK.US.MAJOR", numberOfRows="-1")
    p.update(kw)
    return p


def test_parse_request_reads_fields_and_tags():
    f = S.parse_request(_req(numberOfRows="7", abovePrice="5.0", filterOptions="volumeAbove=1000;priceBelow=300;"))
    assert (f.scan_code, f.rows, f.above_price, f.below_price, f.above_volume) == \
        ("TOP_PERC_GAIN", 7, 5.0, 300.0, 1000.0)
    assert S.parse_request(_req()).rows == S.MAX_ROWS                     # -1: IB's maximum, 50
    assert S.parse_request(_req(numberOfRows="500")).rows == S.MAX_ROWS
    assert S.parse_request(_req(abovePrice="1.7976931348623157e+308")).above_price is None


def test_parse_request_reads_market_cap_tags_in_millions_and_fields_in_usd():
    f = S.parse_request(_req(filterOptions="marketCapAbove1e6=1000;marketCapBelow1e6=2500.5;"))
    assert (f.above_market_cap, f.below_market_cap) == (1e9, 2.5005e9)
    f = S.parse_request(_req(marketCapAbove="5e9", marketCapBelow="1.7976931348623157e+308"))
    assert (f.above_market_cap, f.below_market_cap) == (5e9, None)          # unset marker
    f = S.parse_request(_req(marketCapAbove="5e9", filterOptions="marketCapAbove1e6=7;marketCapBelow=8e9;"))
    assert (f.above_market_cap, f.below_market_cap) == (7e6, 8e9)           # a tag overrides its field
    with pytest.raises(SimError) as ei:
        S.parse_request(_req(filterOptions="marketCapAbove1e6=lots;"))
    assert ei.value.code == 321


@pytest.mark.parametrize("kw, text", [
    ({"scanCode": "NOPE"}, "Invalid scan code"),
    ({"instrument": "FUT.US"}, "Invalid instrument"),
    ({"locationCode": "STK.EU"}, "Invalid location code"),
    ({"couponRateAbove": "3"}, "Scanner filter couponRateAbove is disabled."),
    ({"filterOptions": "usdMarketCapAbove=5;"}, "Scanner filter usdMarketCapAbove is disabled."),
    ({"filterOptions": "marketCapAbove1e6=5;avgVolumeAbove=1;"}, "Scanner filter avgVolumeAbove is disabled."),
])
def test_refusals_are_162(kw, text):
    with pytest.raises(SimError) as ei:
        S.parse_request(_req(**kw))
    assert ei.value.code == 162 and ei.value.text.startswith(S.HMDS_ERROR) and text in ei.value.text


def test_parameters_xml_lists_codes_locations_filters():
    root = ET.fromstring(S.parameters_xml())
    assert root.tag == "ScanParameterResponse"
    assert [e.text for e in root.iter("scanCode")] == list(S.SCAN_CODES)
    assert {"TOP_PERC_GAIN", "TOP_PERC_LOSE", "MOST_ACTIVE", "HOT_BY_VOLUME", "HIGH_VS_13W_HL",
            "LOW_VS_13W_HL"} <= set(S.SCAN_CODES)
    assert [e.text for e in root.iter("locationCode")] == ["STK.US", "STK.US.MAJOR"]
    assert [e.text for e in root.iter("type")] == ["STK"]
    codes_ = ["priceAbove", "priceBelow", "volumeAbove", "marketCapAbove1e6", "marketCapBelow1e6"]
    assert [e.text for e in root.iter("code")] == codes_
    assert root.find("InstrumentList/Instrument/filters").text == ",".join(codes_)
    cap = [f for f in root.iterfind("FilterList/RangeFilter") if f.findtext("id") == "MARKETCAPABOVE1E6"]
    field = cap[0].find("AbstractField")
    assert field.get("type") == "DoubleField" and field.findtext("displayName") == "Market Cap Above ($M)"


def test_model_rows_from_the_market():
    t = datetime(2026, 1, 14, 11, 0, tzinfo=NY).timestamp()
    ex = SimExchange(seed=7, now=t)
    model = S.ScannerModel(ex)
    rows = {r.symbol: r for r in model.rows()}
    assert "AAPL" in rows and "EUR" not in rows                          # stocks only
    a = rows["AAPL"]
    assert a.market_cap == pytest.approx(15_116e6 * a.last)               # shares x last, USD
    assert rows["SPY"].market_cap is None                                # an ETF: no share count
    top = ex.top(265598)
    assert a.prev_close == top.close and a.volume == top.volume
    assert a.low_13w <= min(a.last, top.low) and a.high_13w >= max(a.last, top.high)
    assert a.expected_volume == pytest.approx(50e6 * 1.5 / 6.5)           # 90 of 390 minutes
    today = {r.symbol: r for r in model.rows(with_13w=False)}["AAPL"]
    assert (today.high_13w, today.low_13w) == (max(top.high, a.last), min(top.low, a.last))
    ex.set_quote(265598, t, bid=top.close * 1.3, ask=top.close * 1.3 + 0.01, last=top.close * 1.3)
    first = S.rank(S.ScanFilter("TOP_PERC_GAIN"), model.rows())[0]
    assert first.symbol == "AAPL" and first.change_pct == pytest.approx(30.0, abs=0.1)


def _ny(h, m, day=14):
    return datetime(2026, 1, day, h, m, tzinfo=NY).timestamp()


def test_bulletin_board_schedule_and_day():
    b = BulletinBoard(_ny(11, 0))
    first = b.advance(_ny(11, 0))
    assert [(x.msg_id, x.msg_type, x.exchange) for x in first] == [(1, 3, "ISLAND"), (2, 1, "")]
    assert b.advance(_ny(11, 30)) == []                                    # idempotent
    assert [x.msg_id for x in b.today(_ny(11, 30))] == [1, 2]
    added = b.add(1, "hello", _ny(11, 31))
    assert added.msg_id == 3 and b.since(2) == [added]
    noon = b.advance(_ny(12, 6))
    assert [(x.msg_type, x.exchange) for x in noon] == [(2, "ARCA"), (3, "ARCA")]
    nxt = b.advance(_ny(5, 0, day=15))                                     # 15:50, then next day's 04:00
    assert [x.msg_type for x in nxt] == [1, 3]
    assert [x.msg_id for x in b.today(_ny(5, 0, day=15))] == [nxt[-1].msg_id]
    with pytest.raises(ValueError):
        b.add(4, "x", _ny(6, 0, day=15))
    with pytest.raises(ValueError):
        b.add(1, "  ", _ny(6, 0, day=15))


def test_bulletin_board_skips_weekends():
    b = BulletinBoard(_ny(11, 0, day=17))                                   # a Saturday
    assert b.advance(_ny(23, 0, day=18)) == []


def test_share_counts_belong_to_the_default_stocks():
    from app.sim.instruments import default_universe
    from app.sim.market_cap import SHARES_OUTSTANDING, market_cap

    stocks = {i.con_id: i for i in default_universe() if i.contract.sec_type == "STK"}
    assert set(SHARES_OUTSTANDING) <= set(stocks)
    common = {cid for cid, i in stocks.items() if i.contract.stock_type == "COMMON"}
    assert set(SHARES_OUTSTANDING) == common                              # every company, no ETF
    for cid, shares in SHARES_OUTSTANDING.items():                        # $10B..$5T at the reference price
        assert 1e10 < shares * stocks[cid].params.price < 5e12, stocks[cid].contract.symbol
    assert market_cap(265598, 0.0) is None and market_cap(12087792, 1.08) is None   # no price; EUR.USD
