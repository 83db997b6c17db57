"""The market scanner through the real ib_async client over a socket to the simulated gateway:
the parameters' XML parsed into codes / locations / filters, a live TOP_PERC_GAIN scan whose
rows refresh after a scripted market move, filters (the market cap's above and below split
the stocks with a share count), IB's 162 for an unknown code, the scan
requested again after a reconnect, and the panel's view-model filling and choosing a row."""

from __future__ import annotations

import asyncio

import pytest

from app.domain.scanner import ScanRequest
from tests.integration.sim_support import (
    arun, cap_between, drop_and_reconnect, fast_supervisor, market_caps, rth_start_time, sim_session,
    until,
)

pytestmark = pytest.mark.timeout(90)

#: KO, INTC, WMT, DIS: stocks the refresh test pushes to the top of the gainers
MOVERS = (8894, 270639, 13824, 6459)


@pytest.fixture(scope="module")
def gateway():
    from app.sim.server import GatewayThread

    with GatewayThread(seed=5, start_time=rth_start_time(), admin_port=0) as gw:
        yield gw


def move_up(gw, con_id: int, pct: float) -> None:
    """Put ``con_id``'s last ``pct`` % above its previous close, on the gateway's loop."""
    ex, gateway = gw.exchange, gw.gateway

    def set_it():
        top = ex.top(con_id)
        px = round(top.close * (1 + pct / 100.0), 2)
        ex.set_quote(con_id, max(gateway.clock(), ex.now), bid=px - 0.01, ask=px + 0.01,
                     bid_size=500, ask_size=500, last=px, last_size=100)

    async def job():
        gateway.call_exchange(set_it)
    asyncio.run_coroutine_threadsafe(job(), gw.loop).result(5)


def test_parameters_and_a_live_scan_that_refreshes(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        try:
            p = await s.scanner_parameters()
            assert {c.code for c in p.codes} >= {"TOP_PERC_GAIN", "MOST_ACTIVE", "LOW_VS_13W_HL"}
            assert p.code_name("TOP_PERC_GAIN") == "Top % Gainers"
            assert {f.code for f in p.filters} == {"priceAbove", "priceBelow", "volumeAbove",
                                                   "marketCapAbove1e6", "marketCapBelow1e6"}
            lists = []
            s.scanEvent += lambda sid, rows: lists.append((sid, rows))
            sid = s.start_scan(ScanRequest("TOP_PERC_GAIN", "STK.US.MAJOR", rows=3))
            await until(lambda: lists, 10, "the first list")
            first = lists[-1][1]
            assert lists[-1][0] == sid and [r.rank for r in first] == [0, 1, 2]
            assert all(r.con_id and r.symbol and r.sec_type == "STK" and r.currency == "USD"
                       for r in first)
            con = next(c for c in MOVERS if c != first[0].con_id)
            move_up(gateway, con, 60.0)
            await until(lambda: lists[-1][1] and lists[-1][1][0].con_id == con, 10,
                        "the moved stock on top")
            s.stop_scan(sid)
            await asyncio.sleep(0.3)
            n = len(lists)
            move_up(gateway, next(c for c in MOVERS if c != con), 90.0)
            await asyncio.sleep(2.0)
            assert len(lists) == n, "lists after stop_scan"
            assert not s.scans()
        finally:
            s.disconnect()
    arun(go(), 40)


def test_filters_and_an_unknown_code(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        try:
            lists, errors = {}, []
            s.scanEvent += lambda sid, rows: lists.__setitem__(sid, rows)
            s.scanErrorEvent += lambda *a: errors.append(a)
            cheap = s.start_scan(ScanRequest("MOST_ACTIVE", rows=50, price_below=150))
            bad = s.start_scan(ScanRequest("NO_SUCH_SCAN"))
            await until(lambda: cheap in lists and errors, 10, "the list and the error")
            aapl = await s.resolve("AAPL")
            assert lists[cheap] and all(r.con_id != aapl.con_id or s.quote(aapl.key) for r in lists[cheap])
            assert errors[0][:2] == (bad, 162) and "Invalid scan code" in errors[0][2]
            assert bad not in s.scans() and cheap in s.scans()
        finally:
            s.disconnect()
    arun(go(), 40)


def test_market_cap_filters_through_ib_async(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        try:
            lists = {}
            s.scanEvent += lambda sid, rows: lists.__setitem__(sid, rows)
            caps = {con: cap for con, (_, cap) in market_caps(gateway).items()}
            bound = cap_between(caps.values())                # millions of USD
            big = s.start_scan(ScanRequest("MOST_ACTIVE", rows=50, market_cap_above=bound))
            rest = s.start_scan(ScanRequest("MOST_ACTIVE", rows=50, market_cap_below=bound))
            await until(lambda: big in lists and rest in lists, 10, "both lists")
            above = {r.con_id for r in lists[big]}
            below = {r.con_id for r in lists[rest]}
            assert above and below and not above & below
            assert above == {c for c, cap in caps.items() if cap and cap > bound * 1e6}
            assert above | below == {c for c, cap in caps.items() if cap}    # no ETF in either
        finally:
            s.disconnect()
    arun(go(), 40)


def test_the_scan_comes_back_after_a_reconnect(gateway):
    async def go():
        s = sim_session(gateway)
        await s.connect()
        sup = fast_supervisor(s)
        try:
            lists = []
            s.scanEvent += lambda sid, rows: lists.append((sid, rows))
            sid = s.start_scan(ScanRequest("MOST_ACTIVE", rows=5))
            await until(lambda: lists, 10, "the first list")
            n = len(lists)
            await drop_and_reconnect(s)
            await until(lambda: len(lists) > n, 10, "a list after the reconnect")
            assert lists[-1][0] == sid and len(lists[-1][1]) == 5 and sid in s.scans()
        finally:
            sup.close()
            s.disconnect()
    arun(go(), 40)


def test_the_panel_model_fills_joins_quotes_and_chooses(gateway, qapp):
    from app.viewmodels.scanner import ScannerModel

    async def go():
        s = sim_session(gateway)
        await s.connect()
        m = ScannerModel(s)
        chosen = []
        m.instrumentChosen.connect(chosen.append)
        try:
            assert await m.load_parameters() is not None
            m.start(ScanRequest("MOST_ACTIVE", rows=5))
            await until(lambda: m.table.rowCount() == 5, 10, "five rows")
            await until(lambda: all(line.last for line in m.table.records()), 10, "last prices")
            assert all(line.volume for line in m.table.records())
            inst = await m.choose(0)
            assert chosen == [inst] and inst.con_id == m.table.record(0).row.con_id
            assert inst.long_name                      # resolved through reqContractDetails
            m.stop()
            assert not s.scans() and not m.followed()
        finally:
            m.close()
            s.disconnect()
    arun(go(), 40)
