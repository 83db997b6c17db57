"""Client requests (captured from ib_async and the labeled placeOrder vector) parse."""

from pathlib import Path

import pytest

from app.sim import decode as D
from app.sim.wire import FieldError

PROTO = Path("/work/shared/protocol")
need_vectors = pytest.mark.skipif(not PROTO.is_dir(), reason="/work/shared/protocol absent")


def _captured():
    out = []
    for line in (PROTO / "captured_ib_async_requests.txt").read_text().splitlines():
        if line.startswith("[srv] >>> "):
            out.append(line[len("[srv] >>> "):].split(","))
    return out


@need_vectors
def test_every_captured_request_parses():
    reqs = _captured()
    assert len(reqs) > 30
    names = []
    for fields in reqs:
        r = D.decode_request(fields)
        assert r.name != "unknown", fields
        names.append(r.name)
    for n in ("startApi", "reqPositions", "reqOpenOrders", "reqCompletedOrders",
              "reqAccountUpdates", "reqAccountUpdatesMulti", "reqExecutions",
              "reqHistoricalData", "reqMktData", "reqContractDetails", "reqAccountSummary",
              "reqGlobalCancel", "reqMarketDataType", "reqAllOpenOrders", "reqCurrentTime",
              "reqIds", "cancelHistoricalData", "cancelMktData"):
        assert n in names


@need_vectors
def test_captured_history_and_mktdata_fields():
    reqs = {tuple(f[:2]): D.decode_request(f) for f in _captured()}
    h = reqs[("20", "11")]
    assert h.req_id == 11 and h.contract.con_id == 265598
    assert h.params["endDateTime"] == "20240115 16:00:00 US/Eastern"
    assert h.params["barSizeSetting"] == "5 mins" and h.params["durationStr"] == "2 D"
    assert h.params["whatToShow"] == "MIDPOINT" and h.params["formatDate"] == 2
    assert reqs[("20", "10")].params["keepUpToDate"] is True
    m = reqs[("1", "11")]
    assert m.name == "reqMktData" and m.contract.symbol == "AAPL"
    assert m.params["genericTickList"] in ("233,236", "")


@need_vectors
def test_labeled_placeorder_vector_parses_to_ticket():
    lines = (PROTO / "placeorder_v178_labeled.txt").read_text().splitlines()[1:]
    fields = []
    for line in lines:
        val = line.rstrip()[-2:] == "''" and "" or line.rsplit(None, 1)[-1].strip("'")
        fields.append(val)
    assert len(fields) == 114
    r = D.decode_request(fields)
    assert r.name == "placeOrder" and r.req_id == 3
    t = r.ticket
    assert (t.action, t.total_qty, t.order_type, t.lmt_price, t.aux_price, t.tif) == \
        ("BUY", 100.0, "LMT", 140.0, None, "DAY")
    assert t.transmit is True and t.parent_id == 0
    assert t.raw["manualOrderTime"] == "" and t.raw["openClose"] == "O"


def test_truncated_place_order_is_a_field_error():
    with pytest.raises(FieldError):
        D.decode_request(["3", "5", "265598", "AAPL", "STK"])


def test_garbage_fields_raise_field_error_not_crash():
    with pytest.raises(FieldError):
        D.decode_request(["1", "11", "notanumber"])
    assert D.decode_request(["12345"]).name == "unknown"
    assert D.decode_request(["xyz"]).name == "unknown"
    with pytest.raises(FieldError):
        D.decode_request([])


def test_unsupported_request_keeps_its_req_id():
    r = D.decode_request(["52", "2", "77", "265598"])
    assert r.name == "reqFundamentalData" and r.req_id == 77 and r.params["unsupported"]


def test_truncated_realtime_bars_request_is_a_field_error():
    with pytest.raises(FieldError):
        D.decode_request(["50", "3", "77", "265598"])
