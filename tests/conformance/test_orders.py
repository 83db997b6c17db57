"""Every order type and TIF, modify, cancel, partial fill, bracket, OCA, global cancel, whatIf,
executions + commission reports, order errors: one scenario table, every client."""

from __future__ import annotations

import time

import pytest

from tests.conformance.common import ClientError
from tests.conformance.scenarios import ORDER_TYPES, TIFS, ordered_subsequence, q, run_order_scenario, stk

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("s", ORDER_TYPES, ids=[s.id for s in ORDER_TYPES])
def test_order_type(client, market, s):
    oid, st = run_order_scenario(client, market, s)
    assert st["status"] == s.final
    assert st["orderType"] == s.order["orderType"]
    assert st["permId"] and st["permId"] > 0
    assert st["filled"] == s.filled and st["remaining"] == s.order["totalQuantity"] - s.filled
    lo, hi = s.fill
    assert lo - 1e-9 <= st["avgFillPrice"] <= hi + 1e-9, st
    ex = client.executions(oid)
    assert sum(x["shares"] for x in ex) == s.filled
    assert all(x["side"] == ("BOT" if s.order["action"] == "BUY" else "SLD") for x in ex)
    assert all(x["permId"] == st["permId"] for x in ex)
    assert client.wait(lambda: all(x["commission"] for x in client.executions(oid)))   # commission reports
    seq = client.statuses(oid)
    if s.first == ("PreSubmitted",):
        assert ordered_subsequence(["PreSubmitted", "Filled"], seq), seq     # held until triggered


@pytest.mark.parametrize("s", TIFS, ids=[s.id for s in TIFS])
def test_time_in_force(client, market, s):
    oid, st = run_order_scenario(client, market, s)
    assert st["status"] == s.final, client.statuses(oid)
    assert st["tif"] == s.order["tif"]
    assert st["filled"] == s.filled
    if s.fill:
        assert s.fill[0] <= st["avgFillPrice"] <= s.fill[1]
    if st["status"] == "Submitted":
        client.cancel(oid)
        assert client.wait_status(oid, "Cancelled")


def test_lmt_partial_fill_at_touch_then_cancel(client, market):
    """A limit at the touch fills against the displayed size; the rest keeps working."""
    con = client.contract_details(stk("IBM"))[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    oid = client.place(stk("IBM"), {"action": "BUY", "totalQuantity": 300, "orderType": "LMT", "lmtPrice": 99.50})
    assert client.wait_status(oid, "Submitted")
    market.steps(dict(con_id=con, **q(99.48, 99.50, size=100)), dict(con_id=con, **q(100.00, 100.02)))
    assert client.wait(lambda: (client.order_state(oid) or {}).get("filled") == 100), client.order_state(oid)
    st = client.order_state(oid)
    assert st["status"] == "Submitted" and st["remaining"] == 200 and st["avgFillPrice"] == pytest.approx(99.50)
    client.cancel(oid)
    assert client.wait_status(oid, "Cancelled")
    assert client.wait(lambda: 202 in client.order_errors(oid))
    st = client.order_state(oid)
    assert st["filled"] == 100


def test_modify_then_cancel(client, market):
    con = client.contract_details(stk("MSFT"))[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    order = {"action": "BUY", "totalQuantity": 10, "orderType": "LMT", "lmtPrice": 95.00, "orderRef": "conf-mod"}
    oid = client.place(stk("MSFT"), order)
    assert client.wait_status(oid, "Submitted")
    perm = client.order_state(oid)["permId"]
    client.place(stk("MSFT"), dict(order, lmtPrice=96.00, totalQuantity=20), order_id=oid)
    assert client.wait(lambda: (client.order_state(oid) or {}).get("lmtPrice") == 96.00
                       and client.order_state(oid).get("totalQuantity") == 20), client.order_state(oid)
    st = client.order_state(oid)
    assert st["permId"] == perm and st["status"] == "Submitted" and st["orderRef"] == "conf-mod"
    client.cancel(oid)
    assert client.wait_status(oid, "Cancelled")
    assert "Filled" not in client.statuses(oid)


def test_bracket(client, market):
    """Parent + take-profit + stop-loss; transmit=False on all but the last child; children held
    until the parent fills; the take-profit fill cancels the stop-loss (implicit OCA)."""
    spec = stk("QQQ")
    con = client.contract_details(spec)[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    pid = client.next_order_id()
    parent = client.place(spec, {"action": "BUY", "totalQuantity": 10, "orderType": "LMT", "lmtPrice": 99.00,
                                 "transmit": False}, order_id=pid)
    tp = client.place(spec, {"action": "SELL", "totalQuantity": 10, "orderType": "LMT", "lmtPrice": 102.00,
                             "parentId": pid, "transmit": False})
    sl = client.place(spec, {"action": "SELL", "totalQuantity": 10, "orderType": "STP", "auxPrice": 97.00,
                             "parentId": pid, "transmit": True})
    assert client.wait_status(parent, "Submitted"), client.statuses(parent)
    assert client.wait_status(tp, "PreSubmitted") and client.wait_status(sl, "PreSubmitted")
    assert client.order_state(tp)["parentId"] == pid
    market.set_quote(con, **q(98.96, 98.98))
    assert client.wait_status(parent, "Filled")
    assert client.wait_status(tp, "Submitted"), client.statuses(tp)
    market.set_quote(con, **q(102.02, 102.04, 102.03))
    assert client.wait_status(tp, "Filled"), client.statuses(tp)
    assert client.wait_status(sl, "Cancelled"), client.statuses(sl)
    assert "Filled" not in client.statuses(sl)


def test_oca_cancel_with_block(client, market):
    spec = stk("SPY")
    con = client.contract_details(spec)[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    group = f"OCA-{client.name}-{time.monotonic_ns()}"
    a = client.place(spec, {"action": "BUY", "totalQuantity": 10, "orderType": "LMT", "lmtPrice": 99.00,
                            "ocaGroup": group, "ocaType": 1})
    b = client.place(spec, {"action": "BUY", "totalQuantity": 10, "orderType": "LMT", "lmtPrice": 98.00,
                            "ocaGroup": group, "ocaType": 1})
    assert client.wait_status(a, "Submitted") and client.wait_status(b, "Submitted")
    assert client.order_state(b)["ocaGroup"] == group
    market.set_quote(con, **q(98.96, 98.98))
    assert client.wait_status(a, "Filled")
    assert client.wait_status(b, "Cancelled"), client.statuses(b)
    assert client.order_state(b)["filled"] == 0


def test_global_cancel(client, market):
    spec = stk("NVDA")
    con = client.contract_details(spec)[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    ids = [client.place(spec, {"action": "BUY", "totalQuantity": 1, "orderType": "LMT", "lmtPrice": 90.0 + i})
           for i in range(3)]
    assert all(client.wait_status(i, "Submitted") for i in ids)
    client.global_cancel()
    assert all(client.wait_status(i, "Cancelled") for i in ids), [client.statuses(i) for i in ids]


def test_what_if_margin_and_commission(client, market):
    spec = stk("BA")
    n_before = len(client.open_orders())
    s = client.what_if(spec, {"action": "BUY", "totalQuantity": 100, "orderType": "LMT", "lmtPrice": 50.0})
    assert s["initMarginChange"] is not None and s["initMarginChange"] > 0
    assert s["maintMarginChange"] is not None and s["maintMarginChange"] > 0
    assert s["initMarginAfter"] == pytest.approx(s["initMarginBefore"] + s["initMarginChange"], rel=1e-6)
    assert s["commission"] is not None and s["commission"] > 0
    assert s["commissionCurrency"] == "USD"
    assert len(client.open_orders()) == n_before                      # no order was created


def test_executions_and_commission_reports(client, market):
    spec = stk("WMT")
    con = client.contract_details(spec)[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    oid = client.place(spec, {"action": "SELL", "totalQuantity": 7, "orderType": "MKT", "orderRef": "conf-exec"})
    assert client.wait_status(oid, "Filled")
    assert client.wait(lambda: client.executions(oid) and all(x["commission"] for x in client.executions(oid)))
    (x,) = client.executions(oid)
    assert x["side"] == "SLD" and x["shares"] == 7 and x["cumQty"] == 7 and x["conId"] == con
    assert x["price"] == pytest.approx(100.00, abs=0.1) and x["avgPrice"] == x["price"]
    assert x["orderRef"] == "conf-exec" and x["commission"] > 0 and x["reqId"] == -1
    assert x["permId"] == client.order_state(oid)["permId"]
    assert x["execId"] in {e["execId"] for e in client.req_executions()}


def test_duplicate_order_id_103(client, market):
    spec = stk("WMT")
    con = client.contract_details(spec)[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    oid = client.place(spec, {"action": "BUY", "totalQuantity": 1, "orderType": "MKT"})
    assert client.wait_status(oid, "Filled")
    client.place(spec, {"action": "BUY", "totalQuantity": 1, "orderType": "MKT"}, order_id=oid)
    assert client.wait_error(oid, 103), client.errors()


def test_cancel_unknown_order_10147(client):
    oid = client.next_order_id() + 500
    client.cancel(oid)
    assert client.wait_error(oid, 10147), client.errors()


def test_order_for_unknown_symbol_200(client):
    try:
        oid = client.place(stk("NOSUCHSYM"), {"action": "BUY", "totalQuantity": 1, "orderType": "MKT"})
    except ClientError as e:                       # ib_async qualifies the contract first
        assert e.code == 200
        return
    assert client.wait_error(oid, 200), client.errors()


REJECTS = [
    # (id, order fields, error code IB sends with the Inactive status)
    ("off-tick price 110", {"action": "BUY", "totalQuantity": 10, "orderType": "LMT", "lmtPrice": 100.003}, 110),
    ("limit missing 321", {"action": "BUY", "totalQuantity": 10, "orderType": "LMT"}, 321),
]


@pytest.mark.parametrize("rid,order,code", REJECTS, ids=[r[0] for r in REJECTS])
def test_rejected_order_inactive_with_reason(client, market, rid, order, code):
    """An order the gateway refuses ends Inactive, with the reason as an error message for
    its orderId (IB "Order Management": Inactive)."""
    spec = stk("DIS")
    con = client.contract_details(spec)[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    oid = client.place(spec, order)
    assert client.wait(lambda: [c for c in client.order_errors(oid) if c not in (202,)]), client.errors()[-3:]
    assert code in client.order_errors(oid)
    assert client.wait_status(oid, "Inactive", timeout=2), client.statuses(oid)
    assert "Filled" not in client.statuses(oid) and not client.executions(oid)


def test_reject_next_order_fault(client, market, gw):
    """The fault hook ``reject_next_order`` makes the next placeOrder Inactive with error 201."""
    spec = stk("DIS")
    con = client.contract_details(spec)[0]["conId"]
    market.set_quote(con, **q(100.00, 100.02))
    market.run(gw.exchange.reject_next_order, 201, "Order rejected - reason:simulated rejection")
    oid = client.place(spec, {"action": "BUY", "totalQuantity": 1, "orderType": "MKT"})
    assert client.wait_error(oid, 201), client.errors()[-3:]
    assert client.wait_status(oid, "Inactive"), client.statuses(oid)
    assert not client.executions(oid)
    ok = client.place(spec, {"action": "BUY", "totalQuantity": 1, "orderType": "MKT"})   # only the next one
    assert client.wait_status(ok, "Filled"), client.statuses(ok)
