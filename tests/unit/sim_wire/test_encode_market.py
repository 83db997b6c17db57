"""Issue-3 server messages: exact field counts for the ib_async and ibapi decoders at
v178 and at the lower server versions where a layout changes; depth diffs; whatIf."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest
from ib_async.decoder import Decoder as AsyncDecoder
from ibapi.decoder import Decoder as ApiDecoder

from app.sim import encode_market as M
from app.sim import encode_orders as EO
from app.sim.types import SimOrderState, SimQuoteTick, SimTrade
from app.sim.wire import split_fields
from tests.unit.sim_wire.test_encode import AAPL, BAR, ORDER, CountingIter, Recorder

TRADE = SimTrade(1_700_000_000.0, 150.25, 100, "NASDAQ", "")
QUOTE = SimQuoteTick(1_700_000_001.0, 150.2, 150.3, 300, 400)
STATE = SimOrderState("PreSubmitted", 10.0, 8.0, 1e6, 3750.0, 3000.0, 0.0, 3760.0, 3008.0,
                      1e6, 1.0, 1.0, 1.5, "USD", "")


def via_ib_async(msg: bytes, version: int = 178):
    rec = Recorder()
    fields = split_fields(msg[4:])
    AsyncDecoder(rec, version).handlers[int(fields[0])](fields)
    return rec.calls


def via_ibapi(msg: bytes, version: int = 178):
    head, _, rest = msg[4:].partition(b"\0")
    fields = tuple(rest.split(b"\0")[:-1])
    rec = Recorder()
    d = ApiDecoder(rec, version)
    info = d.msgId2handleInfo[int(head)]
    if info.wrapperMeth is not None:
        d.interpretWithSignature(fields, info)
    else:
        it = CountingIter(fields)
        info.processMeth(d, it)
        assert it.n == len(fields), f"ibapi consumed {it.n} of {len(fields)} fields"
    assert rec.calls, "ibapi dropped the message"
    return rec.calls


def messages(v: int) -> dict[str, bytes]:
    return {
        "symbolSamples": M.symbol_samples(1, [AAPL, AAPL], v),
        "marketRule": M.market_rule(26, [(0.0, 0.01), (1.0, 0.05)]),
        "mktDepthExchanges": M.mkt_depth_exchanges([("NASDAQ", "STK", "NASDAQ", "Deep2", 1)], v),
        "updateMktDepth": M.update_mkt_depth(2, 0, 0, 1, 150.2, 300),
        "updateMktDepthL2": M.update_mkt_depth_l2(2, 0, "NASDAQ", 1, 0, 150.3, 400, True, v),
        "realtimeBar": M.realtime_bar(3, BAR),
        "headTimestamp": M.head_timestamp(4, "20040123-14:30:00"),
        "pnl": M.pnl(5, 10.0, 5.0, 5.0),
        "pnlSingle": M.pnl_single(6, 100, 10.0, 5.0, 5.0, 15000.0),
        "historicalTicks": M.historical_ticks_midpoint(7, [(1_700_000_000, 150.25)] * 2, True),
        "historicalTicksBidAsk": M.historical_ticks_bid_ask(8, [QUOTE] * 3, True),
        "historicalTicksLast": M.historical_ticks_last(9, [TRADE] * 2, True),
        "tickByTickLast": M.tick_by_tick_last(10, 1, TRADE),
        "tickByTickAllLast": M.tick_by_tick_last(10, 2, TRADE),
        "tickByTickBidAsk": M.tick_by_tick_bid_ask(11, QUOTE),
        "tickByTickMidPoint": M.tick_by_tick_midpoint(12, QUOTE.time, 150.25),
        "orderBound": M.order_bound(1000001, 0, -5),
        "openOrderWhatIf": EO.open_order(ORDER, AAPL, "DU1234567", STATE, version=v),
    }


#: the versions the gateway speaks where some layout changes (157..178)
VERSIONS = [178, 177, 176, 175, 170, 166, 164, 163, 159, 157]


@pytest.mark.parametrize("v", VERSIONS)
@pytest.mark.parametrize("name", sorted(messages(178)))
def test_both_clients_decode(name, v):
    msg = messages(v)[name]
    assert via_ibapi(msg, v)
    via_ib_async(msg, v)


def test_values_survive_both_decoders():
    (_, (rid, descs)), = via_ibapi(messages(178)["symbolSamples"])
    assert rid == 1 and descs[0].contract.conId == AAPL.con_id
    assert descs[0].contract.description == AAPL.long_name
    (_, (rid, descs)), = via_ibapi(messages(175)["symbolSamples"], 175)
    assert descs[1].contract.symbol == "AAPL"
    calls = dict(via_ib_async(messages(178)["tickByTickBidAsk"]))
    assert calls["tickByTickBidAsk"][2:6] == (150.2, 150.3, 300.0, 400.0)
    calls = dict(via_ibapi(messages(178)["historicalTicksLast"]))
    ticks, done = calls["historicalTicksLast"][1:]
    assert done is True and len(ticks) == 2 and ticks[0].price == 150.25
    calls = dict(via_ibapi(messages(178)["pnlSingle"]))
    assert calls["pnlSingle"][2:] == (10.0, 5.0, 5.0, 15000.0)
    calls = dict(via_ibapi(messages(178)["orderBound"]))
    assert calls["orderBound"] == (1000001, 0, -5)


def test_whatif_open_order_carries_margins_and_commission():
    (_, (oid, c, o, state)), = [x for x in via_ib_async(messages(178)["openOrderWhatIf"])
                                if x[0] == "openOrder"]
    assert o.whatIf is True and state.status == "PreSubmitted"
    assert float(state.initMarginChange) == 3750.0 and state.commission == 1.0
    assert state.maxCommission == 1.5 and state.commissionCurrency == "USD"
    fields = split_fields(messages(178)["openOrderWhatIf"][4:])
    assert len(fields) == 135 and fields[92] == "1"          # whatIf, as in real TWS frames
    fields = split_fields(messages(176)["openOrderWhatIf"][4:])
    assert len(fields) == 136 and fields[93] == "1"          # + faProfile below 177


def test_open_order_echoes_trailing_gtd_and_oca_type():
    from dataclasses import replace
    t = replace(ORDER.ticket, order_type="TRAIL LIMIT", trailing_percent=1.5,
                trail_stop_price=148.0, lmt_price_offset=0.1, good_till_date="20260130 16:00:00",
                oca_type=1, tif="GTD")
    o = replace(ORDER, ticket=t)
    (_, (_, _, order, _)), = [x for x in via_ib_async(EO.open_order(o, AAPL, "DU1"))
                              if x[0] == "openOrder"]
    assert (order.trailingPercent, order.trailStopPrice, order.lmtPriceOffset,
            order.goodTillDate, order.ocaType) == (1.5, 148.0, 0.1, "20260130 16:00:00", 1)


levels = st.lists(st.tuples(st.floats(1, 1000, allow_nan=False), st.integers(1, 10**6)),
                  max_size=10)


@settings(max_examples=200, deadline=None)
@given(old=levels, new=levels)
def test_depth_diff_turns_old_into_new_for_list_and_dict_clients(old, new):
    as_list = list(old)                  # ibapi sample style: list insert/update/delete
    as_dict = dict(enumerate(old))       # ib_async style: dict keyed by position
    for pos, op, price, size in M.depth_diff(old, new):
        if op == M.DEPTH_INSERT:
            as_list.insert(pos, (price, size))
            as_dict[pos] = (price, size)
        elif op == M.DEPTH_UPDATE:
            as_list[pos] = (price, size)
            as_dict[pos] = (price, size)
        else:
            del as_list[pos]
            as_dict.pop(pos)
    assert as_list == list(new)
    assert [as_dict[k] for k in sorted(as_dict)] == list(new)
