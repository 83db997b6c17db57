"""Server messages at every server version the gateway speaks (157..178): exact field
counts for both ib_async and ibapi decoders at each version gate, and the openOrder
layout of the labeled vector."""

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from ib_async.decoder import Decoder as AsyncDecoder
from ibapi.decoder import Decoder as ApiDecoder

from app.sim import encode as E
from app.sim import encode_orders as EO
from app.sim.types import OrderTicket, PositionSnapshot, SimBar, SimContract, SimFill, SimOrder
from app.sim.wire import split_fields

PROTO = Path("/work/shared/protocol")
AAPL = SimContract(265598, "AAPL", "STK", "SMART", "NASDAQ", "USD", "AAPL", "NMS", 0.01,
                   "APPLE INC", trading_hours="20260123:0400-20260123:2000")
ORDER = SimOrder(1, 7, 1000001, 265598,
                 OrderTicket("BUY", 100, "LMT", 150.0, None, "DAY", account="DU1234567"),
                 status="Submitted", remaining=100)
FILL = SimFill("0000e0d5.6552f1a3.01.01", 1_700_000_000.0, 1, 7, 1000001, 265598, "BOT", 100,
               150.0, 100, 150.0, "DU1234567", 1.0, "USD", 0.0)
TRAIL = SimOrder(2, 7, 1000002, 265598,
                 OrderTicket("SELL", 100, "TRAIL", None, None, "GTC", account="DU1234567",
                             trailing_percent=1.0, trail_stop_price=148.5),
                 status="Submitted", remaining=100)
WHAT_IF = SimpleNamespace(status="PreSubmitted", init_margin_before=0.0, maint_margin_before=0.0,
                          equity_with_loan_before=1e6, init_margin_change=3000.0,
                          maint_margin_change=3000.0, equity_with_loan_change=-1.0,
                          init_margin_after=3000.0, maint_margin_after=3000.0,
                          equity_with_loan_after=999999.0, commission=1.0,
                          min_commission=None, max_commission=None, commission_currency="USD",
                          warning_text="")
BAR = SimBar(1_700_000_000.0, 1.0, 2.0, 0.5, 1.5, 1000, 1.2, 10)
POS = PositionSnapshot("DU1234567", 265598, 100, 150.0, 151.0, 15100.0, 100.0, 0.0)


class Recorder:
    """Stands in for both clients' wrappers: records every callback."""

    def __init__(self):
        self.calls = []
        self.ib = SimpleNamespace(TimezoneTWS=None)
        self.defaultTimezone = dt.timezone.utc

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *a, **k: self.calls.append((name, a))


class CountingIter:
    def __init__(self, items):
        self.items, self.n = list(items), 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.n >= len(self.items):
            raise StopIteration
        self.n += 1
        return self.items[self.n - 1]


#: one version below and at each gate inside 157..178 (ibapi ``server_versions``)
VERSIONS = (157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 169, 170, 176, 177, 178)


def via_ib_async(msg: bytes, version: int = 178):
    rec = Recorder()
    d = AsyncDecoder(rec, version)
    fields = split_fields(msg[4:])
    d.handlers[int(fields[0])](fields)      # handlers raise on a wrong count of fields
    return rec.calls


def via_ibapi(msg: bytes, version: int = 178):
    """Run ibapi's decoder at ``version``; assert every field was consumed exactly."""
    payload = msg[4:]
    head, _, rest = payload.partition(b"\0")
    msg_id = int(head)
    fields = tuple(rest.split(b"\0")[:-1])
    rec = Recorder()
    d = ApiDecoder(rec, version)
    info = d.msgId2handleInfo[msg_id]
    if info.wrapperMeth is not None:
        d.interpretWithSignature(fields, info)   # checks the count itself
    else:
        it = CountingIter(fields)
        info.processMeth(d, it)
        assert it.n == len(fields), f"ibapi consumed {it.n} of {len(fields)} fields"
    assert rec.calls, "ibapi dropped the message"
    return rec.calls


MESSAGES = {
    "managedAccounts": E.managed_accounts("DU1234567"),
    "nextValidId": E.next_valid_id(5),
    "currentTime": E.current_time(1_700_000_000),
    "error": E.error(-1, 2104, "Market data farm connection is OK:usfarm"),
    "tickReqParams": E.tick_req_params(3, 0.01, "9c0001", 3),
    "marketDataType": E.market_data_type(3, 1),
    "tickPrice": E.tick_price(3, E.BID, 150.01, 200),
    "tickSize": E.tick_size(3, E.VOLUME, 12345),
    "tickSnapshotEnd": E.tick_snapshot_end(3),
    "contractDetails": E.contract_details(4, AAPL),
    "contractDetailsEnd": E.contract_details_end(4),
    "historicalData": E.historical_data(5, "20231114 17:13:20", "20231114 18:00:00",
                                        [("20231114 17:13:20 UTC", BAR)] * 3),
    "historicalDataUpdate": E.historical_data_update(5, "20231114 17:13:20 UTC", BAR),
    "updateAccountValue": E.account_value("NetLiquidation", "1000.00", "USD", "DU1234567"),
    "updatePortfolio": E.portfolio_value(AAPL, POS),
    "updateAccountTime": E.account_update_time("12:34"),
    "accountDownloadEnd": E.account_download_end("DU1234567"),
    "position": E.position("DU1234567", AAPL, 100, 150.0),
    "positionEnd": E.position_end(),
    "accountSummary": E.account_summary(6, "DU1234567", "NetLiquidation", "1000.00", "USD"),
    "accountSummaryEnd": E.account_summary_end(6),
    "accountUpdateMulti": E.account_update_multi(7, "DU1234567", "", "NetLiquidation",
                                                 "1000.00", "USD"),
    "accountUpdateMultiEnd": E.account_update_multi_end(7),
    "execDetails": E.exec_details(-1, AAPL, FILL, "20231114 22:13:20 UTC"),
    "execDetailsEnd": E.exec_details_end(8),
    "commissionReport": E.commission_report(FILL),
    "openOrder": EO.open_order(ORDER, AAPL, "DU1234567"),
    "openOrderEnd": EO.open_order_end(),
    "orderStatus": EO.order_status(ORDER),
    "completedOrder": EO.completed_order(ORDER, AAPL, "DU1234567", "20231114 22:13:20 UTC"),
    "completedOrdersEnd": EO.completed_orders_end(),
}


def versioned(v: int) -> dict[str, bytes]:
    """The messages whose layout depends on the server version, encoded at ``v``."""
    return {
        "error": E.error(-1, 2104, "Market data farm connection is OK:usfarm", version=v),
        "contractDetails": E.contract_details(4, AAPL, version=v),
        "execDetails": E.exec_details(-1, AAPL, FILL, "20231114 22:13:20 UTC", version=v),
        "openOrder": EO.open_order(ORDER, AAPL, "DU1234567", version=v),
        "openOrderTrail": EO.open_order(TRAIL, AAPL, "DU1234567", version=v),
        "whatIf": EO.open_order(ORDER, AAPL, "DU1234567", WHAT_IF, version=v),
        "completedOrder": EO.completed_order(ORDER, AAPL, "DU1234567",
                                             "20231114 22:13:20 UTC", version=v),
    }


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_ibapi_decodes_with_exact_field_count(name):
    calls = via_ibapi(MESSAGES[name])
    assert calls


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_ib_async_decodes(name):
    calls = via_ib_async(MESSAGES[name])
    assert calls or name == "tickSnapshotEnd"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_gate_decodes_exactly_in_ibapi(version):
    for name, msg in versioned(version).items():
        assert via_ibapi(msg, version), name


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_gate_decodes_in_ib_async(version):
    """ib_async's handlers unpack fixed tuples: a field too many or too few raises."""
    if version == 158:
        pytest.skip("ib_async (like ib_insync) reads openOrder.duration from 159 where "
                    "ibapi and TWS send it from 158; it never negotiates 158 (offers ..178)")
    for name, msg in versioned(version).items():
        calls = via_ib_async(msg, version)
        assert calls, name


def test_open_order_field_counts_per_version():
    """136 fields at 170..176 (faProfile), as the recorded v176 TWS whatIf frame; 135 from 177;
    the gated tail shrinks below 170, 162, 160 and 158."""
    counts = {v: len(split_fields(versioned(v)["openOrder"][4:])) for v in VERSIONS}
    assert counts[178] == counts[177] == 135 and counts[176] == counts[170] == 136
    assert (counts[169], counts[162], counts[160], counts[158], counts[157]) == \
        (131, 131, 130, 129, 128)


def test_version_gated_values_reach_the_clients():
    (_, (req_id, contract, ex)), = [c for c in via_ibapi(versioned(177)["execDetails"], 177)
                                    if c[0] == "execDetails"]
    assert (ex.execId, ex.lastLiquidity) == (FILL.exec_id, 1)
    (_, (_, cd)), = [c for c in via_ib_async(versioned(163)["contractDetails"], 163)
                     if c[0] == "contractDetails"]
    assert (cd.contract.conId, cd.minTick, cd.longName) == (265598, 0.01, "APPLE INC")
    err = [c for c in via_ib_async(versioned(165)["error"], 165) if c[0] == "error"]
    assert err[0][1][:3] == (-1, 2104, "Market data farm connection is OK:usfarm")
    (_, (oid, c, o, st)), = [x for x in via_ib_async(versioned(176)["openOrderTrail"], 176)
                             if x[0] == "openOrder"]
    assert (o.orderType, o.trailStopPrice, o.trailingPercent, st.status) == \
        ("TRAIL", 148.5, 1.0, "Submitted")
    (_, (oid, c, o, st)), = [x for x in via_ib_async(versioned(166)["whatIf"], 166)
                             if x[0] == "openOrder"]
    assert (o.whatIf, st.initMarginChange, st.commission) == (True, "3000.0", 1.0)


def test_values_survive_both_decoders():
    (name, (oid, c, o, st)), = [x for x in via_ib_async(MESSAGES["openOrder"])
                                if x[0] == "openOrder"]
    assert (oid, c.conId, o.permId, o.clientId, o.lmtPrice, o.whatIf, st.status) == \
        (1, 265598, 1000001, 7, 150.0, False, "Submitted")
    calls = dict(via_ibapi(MESSAGES["execDetails"]))
    req_id, contract, ex = calls["execDetails"]
    assert (req_id, ex.execId, ex.side, float(ex.shares), ex.permId) == \
        (-1, FILL.exec_id, "BOT", 100.0, 1000001)
    calls = dict(via_ib_async(MESSAGES["updatePortfolio"]))
    assert calls["updatePortfolio"][1:4] == (100.0, 151.0, 15100.0)
    bars = [a for n, a in via_ib_async(MESSAGES["historicalData"]) if n == "historicalData"]
    assert len(bars) == 3 and bars[0][1].close == 1.5
    upd = dict(via_ibapi(MESSAGES["historicalDataUpdate"]))["historicalDataUpdate"][1]
    assert (upd.open, upd.close, upd.high, upd.low) == (1.0, 1.5, 2.0, 0.5)


@pytest.mark.skipif(not PROTO.is_dir(), reason="/work/shared/protocol absent")
def test_open_order_keeps_the_labeled_vector_order():
    """Every field of the labeled v178 vector comes in the same order (ibapi's decoder names
    them); ours adds what real TWS sends beyond it: deltaNeutralOrderType 'None' and its
    8-field block (tests/conformance/test_recorded.py compares with the real frames)."""
    from tests.conformance.framelabels import label_fields
    vector = []
    for line in (PROTO / "openorder_v178_labeled.txt").read_text().splitlines():
        value = line[37:].strip() if len(line) > 37 else ""
        vector.append(value.strip("'"))
    theirs = [f.label for f in label_fields(vector, 178)]
    ours = [f.label for f in label_fields(split_fields(MESSAGES["openOrder"][4:]), 178)]
    assert len(theirs) == 127 and len(ours) == 135
    extra = [x for x in ours if x not in theirs]
    assert extra == ["deltaNeutralConId", "deltaNeutralSettlingFirm", "deltaNeutralClearingAccount",
                     "deltaNeutralClearingIntent", "deltaNeutralOpenClose", "deltaNeutralShortSale",
                     "deltaNeutralShortSaleSlot", "deltaNeutralDesignatedLocation"]
    assert [x for x in ours if x in theirs] == theirs


def test_ib_datetime_and_end_parsing_roundtrip():
    s = E.ib_datetime(1_700_000_000, "US/Eastern")
    assert s == "20231114 17:13:20 US/Eastern"
    assert E.parse_end_datetime(s) == 1_700_000_000
    assert E.parse_end_datetime("20231114-22:13:20") == 1_700_000_000
    assert E.parse_end_datetime("") is None
    with pytest.raises(ValueError):
        E.parse_end_datetime("yesterday")
