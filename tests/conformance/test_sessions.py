"""Session-bound orders on an accelerated clock: MOC/LOC in the 16:00 closing auction, DAY
expiry at the close (outsideRth DAY orders keep working), GTD expiry, OPG in the 09:30
opening auction, market orders held before the open.

Each test runs every client on one gateway whose simulated clock starts shortly before the
event at ``SPEED`` x wall time (``GatewayThread(start_time=..., speed=...)``), so a session
edge is reached in seconds. All clients' orders meet in the same auction, which gives a
cross-client check: they must fill at the same auction price.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from tests.conformance.conftest import CLIENTS, Market, make_driver, next_client_id, rth_start_time
from tests.conformance.scenarios import q, stk

pytestmark = pytest.mark.timeout(60)
NY = ZoneInfo("America/New_York")
SPEED = 150.0


def _at(hh: int, mm: int) -> float:
    d = dt.datetime.fromtimestamp(rth_start_time(), NY).date()
    return dt.datetime(d.year, d.month, d.day, hh, mm, tzinfo=NY).timestamp()


def _gateway(start: float):
    from app.sim.server import GatewayThread

    return GatewayThread(seed=7, start_time=start, speed=SPEED)


def _wait_sim(gw, t: float, limit: float = 20.0) -> None:
    end = time.monotonic() + limit
    while gw.gateway.clock() < t and time.monotonic() < end:
        time.sleep(0.05)
    assert gw.gateway.clock() >= t


@pytest.fixture
def close_gw():
    g = _gateway(_at(15, 45))
    yield g
    g.stop()


@pytest.fixture
def open_gw():
    g = _gateway(_at(9, 25))
    yield g
    g.stop()


def _clients(gw):
    out = []
    for kind in CLIENTS:
        d = make_driver(kind)
        d.connect(gw.port, next_client_id())
        out.append(d)
    return out


def test_close_moc_loc_day_gtd(close_gw):
    gw = close_gw
    market = Market(gw)
    clients = _clients(gw)
    try:
        con = gw.exchange.lookup(symbol="AAPL", sec_type="STK")[0].con_id
        market.set_quote(con, **q(100.00, 100.02))
        gtd = dt.datetime.fromtimestamp(_at(15, 47), NY).strftime("%Y%m%d %H:%M:%S") + " US/Eastern"
        ids = []
        for c in clients:
            ids.append({
                "MOC": c.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 10, "orderType": "MOC"}),
                "LOC fills": c.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 10, "orderType": "LOC",
                                                   "lmtPrice": 150.0}),
                "LOC misses": c.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 10, "orderType": "LOC",
                                                    "lmtPrice": 50.0}),
                "DAY": c.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 10, "orderType": "LMT",
                                             "lmtPrice": 50.0, "tif": "DAY"}),
                "DAY outsideRth": c.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 10, "orderType": "LMT",
                                                        "lmtPrice": 50.0, "tif": "DAY", "outsideRth": True}),
                "GTC": c.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 10, "orderType": "LMT",
                                             "lmtPrice": 50.0, "tif": "GTC"}),
                "GTD": c.place(stk("AAPL"), {"action": "BUY", "totalQuantity": 10, "orderType": "LMT",
                                             "lmtPrice": 50.0, "tif": "GTD", "goodTillDate": gtd}),
            })
        assert gw.gateway.clock() < _at(15, 50), "orders must reach the gateway before the MOC cutoff"
        for c, o in zip(clients, ids):
            for name, oid in o.items():
                assert c.wait_status(oid, "PreSubmitted", "Submitted"), (c.name, name, c.statuses(oid))
        _wait_sim(gw, _at(15, 48))
        for c, o in zip(clients, ids):
            assert c.wait_status(o["GTD"], "Cancelled"), (c.name, c.statuses(o["GTD"]))
        _wait_sim(gw, _at(16, 0) + 30)
        prices = set()
        for c, o in zip(clients, ids):
            for name in ("MOC", "LOC fills"):
                assert c.wait_status(o[name], "Filled"), (c.name, name, c.statuses(o[name]))
                prices.add(round(c.order_state(o[name])["avgFillPrice"], 6))
            for name in ("LOC misses", "DAY"):
                assert c.wait_status(o[name], "Cancelled"), (c.name, name, c.statuses(o[name]))
            for name in ("DAY outsideRth", "GTC"):
                assert not c.wait_status(o[name], "Cancelled", "Filled", timeout=0.2), (c.name, name)
        assert len(prices) == 1, f"one closing auction price for every MOC/LOC, got {prices}"
    finally:
        for c in clients:
            c.disconnect()


def test_open_opg_and_held_market_order(open_gw):
    gw = open_gw
    market = Market(gw)
    clients = _clients(gw)
    try:
        con = gw.exchange.lookup(symbol="MSFT", sec_type="STK")[0].con_id
        market.set_quote(con, **q(100.00, 100.04))
        ids = []
        for c in clients:
            ids.append({
                "MOO": c.place(stk("MSFT"), {"action": "BUY", "totalQuantity": 10, "orderType": "MKT", "tif": "OPG"}),
                "LOO": c.place(stk("MSFT"), {"action": "BUY", "totalQuantity": 10, "orderType": "LMT",
                                             "lmtPrice": 150.0, "tif": "OPG"}),
                "MKT RTH": c.place(stk("MSFT"), {"action": "BUY", "totalQuantity": 10, "orderType": "MKT"}),
            })
        time.sleep(0.5)
        assert gw.gateway.clock() < _at(9, 30)
        for c, o in zip(clients, ids):
            for name, oid in o.items():
                assert c.wait_status(oid, "PreSubmitted", "Submitted"), (c.name, name, c.statuses(oid))
                assert "Filled" not in c.statuses(oid), (c.name, name)          # nothing before the open
        _wait_sim(gw, _at(9, 30) + 30)
        opg = set()
        for c, o in zip(clients, ids):
            for name, oid in o.items():
                assert c.wait_status(oid, "Filled"), (c.name, name, c.statuses(oid))
            opg |= {round(c.order_state(o[n])["avgFillPrice"], 6) for n in ("MOO", "LOO")}
        assert len(opg) == 1, f"one opening auction price, got {opg}"
    finally:
        for c in clients:
            c.disconnect()


@pytest.fixture
def evening_gw():
    g = _gateway(_at(19, 54))
    yield g
    g.stop()


def test_after_hours_wider_quotes_and_outside_rth_day_expiry_at_20(evening_gw, gw):
    """After hours (16:00-20:00 New York) quotes are wider than in regular hours; a DAY order
    with outsideRth works until 20:00 and is then cancelled; GTC persists."""
    rth_spreads, ah_spreads = [], []
    clients = _clients(evening_gw)
    rth_clients = [make_driver(k) for k in CLIENTS]
    try:
        for c in rth_clients:
            c.connect(gw.port, next_client_id())
        for c, r in zip(clients, rth_clients):
            qa, qr = c.quote(stk("IBM")), r.quote(stk("IBM"))
            ah_spreads.append(qa["ask"] - qa["bid"])
            rth_spreads.append(qr["ask"] - qr["bid"])
        assert min(ah_spreads) > max(rth_spreads), (ah_spreads, rth_spreads)
        ids = []
        for c in clients:
            ids.append({
                "DAY outsideRth": c.place(stk("IBM"), {"action": "BUY", "totalQuantity": 10, "orderType": "LMT",
                                                       "lmtPrice": 50.0, "tif": "DAY", "outsideRth": True}),
                "GTC outsideRth": c.place(stk("IBM"), {"action": "BUY", "totalQuantity": 10, "orderType": "LMT",
                                                       "lmtPrice": 50.0, "tif": "GTC", "outsideRth": True}),
            })
        for c, o in zip(clients, ids):
            assert c.wait_status(o["DAY outsideRth"], "Submitted"), c.statuses(o["DAY outsideRth"])
        _wait_sim(evening_gw, _at(20, 0) + 30)
        for c, o in zip(clients, ids):
            assert c.wait_status(o["DAY outsideRth"], "Cancelled"), (c.name, c.statuses(o["DAY outsideRth"]))
            assert not c.wait_status(o["GTC outsideRth"], "Cancelled", timeout=0.2), c.name
    finally:
        for c in clients + rth_clients:
            c.disconnect()


@pytest.fixture(scope="module")
def gw():
    """A regular-hours gateway (11:00 New York, wall speed) to compare quotes with."""
    from app.sim.server import GatewayThread

    g = GatewayThread(seed=7, start_time=rth_start_time())
    yield g
    g.stop()
