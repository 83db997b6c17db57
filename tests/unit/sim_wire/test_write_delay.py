"""Encode -> socket write delay (app.sim.latency, ClientConnection.write_delay, admin status)."""

from __future__ import annotations

import asyncio
import math

from app.sim import encode as E
from app.sim.control import AdminController
from app.sim.latency import DelayWindow, summarize
from app.sim.server import SimGateway
from tests.unit.sim_wire.test_market_pass import _conn


class Clock:
    def __init__(self, t=100.0):
        self.t = t

    def __call__(self):
        return self.t


def test_window_percentiles_and_bounded_history():
    w = DelayWindow(window=10.0, slots=10)
    w.add(50.0, [50.0 - 0.001] * 98 + [50.0 - 0.020, 50.0 - 0.100])    # 98 x 1 ms, 20 ms, 100 ms
    s = w.summary(50.0)
    assert s["n"] == 100
    assert 1.0 <= s["p50_ms"] <= 1.06                   # the bin holding 1 ms (5 % wide)
    assert 20.0 <= s["p99_ms"] <= 21.0
    assert math.isclose(s["max_ms"], 100.0)
    for k in range(1000):                               # many slots later: only the last 10 s count
        w.add(60.0 + k, [60.0 + k - 0.002])
    assert w.summary(1059.0)["n"] == 10 and len(w._data) <= 10
    assert math.isnan(w.summary(5000.0)["p99_ms"])      # nothing left


def test_connection_stamps_each_message_at_send_and_measures_at_write():
    ex, conn = _conn(5)
    clock = Clock()
    conn.clock = clock
    for k in range(10):
        clock.t = 100.0 + k * 0.001                     # encoded 1 ms apart
        conn.send(E.tick_size(1, E.VOLUME, 100.0 + k))
    clock.t = 100.020                                   # written 20 ms after the first
    conn.flush()
    s = conn.write_delay.summary(clock.t)
    assert s["n"] == 10
    assert math.isclose(s["max_ms"], 20.0, rel_tol=1e-6)
    assert 15.0 <= s["p50_ms"] <= 16.5                  # delays 11..20 ms
    assert conn.writer.chunks and conn._sent_at == []   # bytes handed over, stamps consumed


def test_injected_delay_fault_is_not_counted():
    ex, conn = _conn(5)
    conn.delay = 0.2

    async def go():
        conn.send(E.tick_size(1, E.VOLUME, 1.0))
        conn.flush()
        assert not conn.writer.chunks                   # held back by the fault
        await asyncio.sleep(0.3)

    asyncio.run(go())
    assert conn.writer.chunks
    s = conn.write_delay.summary(conn.clock())
    assert s["n"] == 1 and s["max_ms"] < 100.0          # 0.2 s fault not in the figure


def test_status_reports_per_client_and_overall():
    ex, a = _conn(5)
    _, b = _conn(5)
    clock = Clock()
    for conn, cid, wait in ((a, 3, 0.002), (b, 4, 0.050)):
        conn.clock, conn.client_id = clock, cid
        conn.send(E.tick_size(1, E.VOLUME, 1.0))
        clock.t += wait
        conn.flush()
    gw = SimGateway(ex, clock=lambda: 1_700_000_000.0)
    gw.connections.update({a, b})
    st = AdminController(gw).status()
    assert st["write_delay_n"] == "2"
    assert float(st["write_delay_max_ms"]) == 50.0
    assert st["write_delay_c3"].split("/")[2] == "2" and st["write_delay_c4"].split("/")[2] == "50"
    assert summarize([a.write_delay, b.write_delay], clock.t)["n"] == 2
    assert "write_delay_p99_ms=" in AdminController(gw).execute("status")
