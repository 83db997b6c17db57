"""ScannerModel without a view: parameters, start / stop, rows updated in place by rank
(never a reset per refresh), the quote join, 162 / 165, choosing a row resolves it;
plus parse_scanner_parameters on the simulated gateway's XML and an IB-shaped document."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.broker.session_scanner import parse_scanner_parameters
from app.domain.scanner import ScanRequest
from app.viewmodels.scanner import ScannerModel, parse_market_cap
from tests.fakes import FakeSession


def _texts(m, col):
    t = m.table
    c = t.column_index(col)
    return [t.index(r, c).data() for r in range(t.rowCount())]


class Spy:
    def __init__(self, model):
        self.events = []
        for name in ("modelReset", "rowsInserted", "rowsRemoved", "dataChanged"):
            getattr(model, name).connect(lambda *a, n=name: self.events.append(n))


def test_parse_the_simulated_gateways_parameters():
    from app.sim.scanner import parameters_xml

    p = parse_scanner_parameters(parameters_xml())
    assert [c.code for c in p.codes] == ["TOP_PERC_GAIN", "TOP_PERC_LOSE", "MOST_ACTIVE",
                                         "HOT_BY_VOLUME", "HIGH_VS_13W_HL", "LOW_VS_13W_HL"]
    assert p.code_name("TOP_PERC_GAIN") == "Top % Gainers" and p.code_name("X") == "X"
    assert [(l.code, l.name) for l in p.locations] == [("STK.US", "US Stocks"),
                                                       ("STK.US.MAJOR", "Listed/NASDAQ")]
    assert [(f.code, f.kind) for f in p.filters] == [("priceAbove", "DoubleField"),
                                                     ("priceBelow", "DoubleField"),
                                                     ("volumeAbove", "IntField"),
                                                     ("marketCapAbove1e6", "DoubleField"),
                                                     ("marketCapBelow1e6", "DoubleField")]
    assert p.offers_filter("marketCapAbove1e6") and not p.offers_filter("usdMarketCapAbove")
    assert p.instruments == {"STK": "US Stocks"}


def test_parse_keeps_first_of_duplicates_and_rejects_non_xml():
    xml = ("<ScanParameterResponse><ScanTypeList><ScanType><displayName>A</displayName>"
           "<scanCode>X</scanCode></ScanType><ScanType><displayName>B</displayName>"
           "<scanCode>X</scanCode></ScanType><ScanType><scanCode>Y</scanCode></ScanType>"
           "</ScanTypeList></ScanParameterResponse>")
    p = parse_scanner_parameters(xml)
    assert [(c.code, c.name) for c in p.codes] == [("X", "A"), ("Y", "Y")]
    assert p.locations == () and p.filters == ()
    with pytest.raises(ValueError):
        parse_scanner_parameters("not xml <")


def test_filter_tags():
    r = ScanRequest("MOST_ACTIVE", price_above=5, price_below=150.5, volume_above=1e5)
    assert r.filter_tags() == [("priceAbove", "5"), ("priceBelow", "150.5"), ("volumeAbove", "100000")]
    assert ScanRequest("MOST_ACTIVE").filter_tags() == []
    caps = ScanRequest("MOST_ACTIVE", market_cap_above=2000, market_cap_below=1_000_000.5)
    assert caps.filter_tags() == [("marketCapAbove1e6", "2000"), ("marketCapBelow1e6", "1000000.5")]


@pytest.mark.parametrize("text, value", [("", None), ("  ", None), ("2000", 2000.0),
                                         ("2,000", 2000.0), (" 1 500.5 ", 1500.5)])
def test_parse_market_cap_reads_millions(text, value):
    assert parse_market_cap(text) == value


@pytest.mark.parametrize("text, words", [("abc", "'abc' is not a number"), ("2B", "not a number"),
                                         ("0", "must be above 0"), ("-5", "must be above 0"),
                                         ("nan", "must be above 0"), ("1e12", "more than any")])
def test_parse_market_cap_refuses_with_the_fields_name(text, words):
    with pytest.raises(ValueError) as ei:
        parse_market_cap(text, "Market cap min")
    assert str(ei.value).startswith("Market cap min") and words in str(ei.value)


def test_market_cap_is_sent_only_when_the_gateway_offers_it(qapp, aloop):
    s = FakeSession()
    m = ScannerModel(s)
    req = ScanRequest("MOST_ACTIVE", market_cap_above=1_000_000)
    assert not m.offers_filter("marketCapAbove1e6")
    with pytest.raises(ValueError, match="does not offer the market cap filter"):
        m.start(req)                                     # parameters not loaded yet
    aloop.run_until_complete(m.load_parameters())
    assert m.offers_filter("marketCapAbove1e6") and m.offers_filter("marketCapBelow1e6")
    with pytest.raises(ValueError, match="min 2,000 must be below max 1,000"):
        m.start(ScanRequest("MOST_ACTIVE", market_cap_above=2000, market_cap_below=1000))
    with pytest.raises(ValueError, match="must be above 0"):
        m.start(ScanRequest("MOST_ACTIVE", market_cap_below=0))
    assert not s.scans()
    m.start(req)
    assert list(s.scans().values()) == [req]
    assert req.filter_tags() == [("marketCapAbove1e6", "1000000")]


def test_a_tws_without_the_market_cap_filter(qapp, aloop):
    from app.sim.scanner import parameters_xml

    s = FakeSession()
    s.scanner_xml = parameters_xml().replace("marketCap", "noSuchFilter")
    m = ScannerModel(s)
    aloop.run_until_complete(m.load_parameters())
    assert not m.offers_filter("marketCapAbove1e6")
    with pytest.raises(ValueError, match=r"does not offer the market cap filter \(marketCapBelow1e6\)"):
        m.start(ScanRequest("MOST_ACTIVE", market_cap_below=5000))
    assert not s.scans()
    m.start(ScanRequest("MOST_ACTIVE", price_above=5))   # the other filters still work
    assert len(s.scans()) == 1


def test_parameters_load_and_failures_are_messages(qapp, aloop):
    s = FakeSession()
    m = ScannerModel(s)
    got, msgs = [], []
    m.parametersChanged.connect(got.append)
    m.message.connect(msgs.append)
    p = aloop.run_until_complete(m.load_parameters())
    assert got == [p] and m.parameters is p and len(p.codes) == 6
    s.fail_parameters = "no answer within 10 s"
    assert aloop.run_until_complete(m.load_parameters()) is None
    assert "no answer" in msgs[-1]


def test_start_shows_rows_and_refresh_updates_in_place(qapp):
    s = FakeSession()
    m = ScannerModel(s, interval_ms=1)
    m.start(ScanRequest("TOP_PERC_GAIN", rows=80, price_above=5))
    assert m.running and list(s.scans().values())[0].rows == 50     # IB's maximum
    s.push_scan("AAPL", "MSFT", "NVDA")
    assert _texts(m, "symbol") == ["AAPL", "MSFT", "NVDA"] and _texts(m, "rank") == ["1", "2", "3"]
    spy = Spy(m.table)
    s.push_scan("NVDA", "AAPL")           # re-sent list: shorter, reordered
    m.table.dirty.flush_now()
    assert _texts(m, "symbol") == ["NVDA", "AAPL"]
    assert "modelReset" not in spy.events and spy.events.count("rowsRemoved") == 1
    assert "rowsInserted" not in spy.events


def test_quotes_join_and_follow_the_list(qapp):
    s = FakeSession()
    m = ScannerModel(s, interval_ms=1)
    m.start()
    s.push_scan("AAPL", "MSFT")
    assert set(m.followed()) == {"265598", "272093"} and set(s.subscribed) == {"265598", "272093"}
    s.push_quote("AAPL", last=110.0, close=100.0, volume=1_234_567)
    assert _texts(m, "last")[0] == "110.00" and _texts(m, "change_pct")[0] == "+10.00%"
    assert _texts(m, "volume")[0] == "1.23M" and _texts(m, "last")[1] == ""
    s.push_scan("MSFT", "AAPL")           # the quote stays with AAPL at its new rank
    assert _texts(m, "last") == ["", "110.00"]
    s.push_scan("MSFT")
    assert set(s.subscribed) == {"272093"}
    m.stop()
    assert not m.running and not s.subscribed and not s.scans()
    assert _texts(m, "symbol") == ["MSFT"]          # the rows stay after Stop


def test_other_scans_and_late_lists_are_ignored(qapp):
    s = FakeSession()
    m = ScannerModel(s)
    m.start()
    s.push_scan("AAPL", scan_id=99)
    assert m.table.rowCount() == 0
    first = max(s.scans())
    m.start(ScanRequest("MOST_ACTIVE"))            # restart: the old scan is stopped
    assert first not in s.scans()
    s.push_scan("AAPL", scan_id=first)
    assert m.table.rowCount() == 0


def test_165_empties_and_162_ends_the_scan(qapp):
    s = FakeSession()
    m = ScannerModel(s)
    msgs, running = [], []
    m.message.connect(msgs.append)
    m.runningChanged.connect(running.append)
    m.start()
    s.push_scan("AAPL")
    s.fail_scan(165, "Historical Market Data Service query message:no items retrieved")
    assert m.table.rowCount() == 0 and m.running and "No matches" in msgs[-1] and not s.subscribed
    s.fail_scan(162, "Historical Market Data Service error message:Invalid scan code: 'X'")
    assert not m.running and running == [True, False] and "Invalid scan code" in msgs[-1]


def test_price_filters_must_make_a_range(qapp):
    m = ScannerModel(FakeSession())
    with pytest.raises(ValueError):
        m.start(ScanRequest("MOST_ACTIVE", price_above=100, price_below=50))
    assert not m.running


def test_choose_resolves_and_emits_the_instrument(qapp, aloop):
    s = FakeSession()
    m = ScannerModel(s)
    chosen, msgs = [], []
    m.instrumentChosen.connect(chosen.append)
    m.message.connect(msgs.append)
    m.start()
    s.push_scan("MSFT", "AAPL")
    assert m.choose(5) is None
    inst = aloop.run_until_complete(m.choose(1))
    assert chosen == [inst] and inst.symbol == "AAPL" and inst.long_name == "APPLE INC"
    s.contracts.pop("MSFT")
    assert aloop.run_until_complete(m.choose(0)) is None and "MSFT" in msgs[-1]


def test_change_colour_and_close(qapp):
    s = FakeSession()
    m = ScannerModel(s)
    m.start()
    s.push_scan("AAPL")
    s.push_quote("AAPL", last=90.0, close=100.0)
    c = m.table.column_index("change_pct")
    assert m.table.index(0, c).data(Qt.ItemDataRole.ForegroundRole) is not None
    m.close()
    assert not s.scans() and not s.subscribed
    s.push_scan("AAPL", scan_id=1)      # no longer listening: no error
