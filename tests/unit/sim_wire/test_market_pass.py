"""The firehose pass of a client connection looks only at the subscriptions of the conIds
``advance`` reported (not every subscription on every sub-step)."""

from __future__ import annotations

from app.sim.connection import ClientConnection, Subscriptions
from app.sim.exchange import SimExchange
from tests.unit.sim.helpers import T0


class FakeTransport:
    def __init__(self):
        self.buffered = 0

    def get_write_buffer_size(self):
        return self.buffered


class FakeWriter:
    def __init__(self):
        self.transport = FakeTransport()
        self.chunks: list[bytes] = []

    def write(self, data):
        self.chunks.append(bytes(data))

    def close(self):
        pass


class FakeGateway:
    def __init__(self, ex):
        self.exchange = ex
        self.message_log = None
        self.clock = lambda: T0


def _conn(n_subs=100):
    ex = SimExchange(seed=7, now=T0, universe=n_subs)
    conn = ClientConnection(FakeGateway(ex), reader=None, writer=FakeWriter())
    conn.ready = True
    for k, c in enumerate(ex.contracts()):
        conn.mkt[1000 + k] = c.con_id
        conn._send_ticks(1000 + k, c.con_id)
    conn.out.clear()
    conn._sent_at.clear()
    return ex, conn


def test_changed_pass_touches_only_changed_subscriptions(monkeypatch):
    ex, conn = _conn()
    seen = []
    orig = ClientConnection._send_ticks
    monkeypatch.setattr(ClientConnection, "_send_ticks",
                        lambda self, rid, cid: (seen.append(rid), orig(self, rid, cid)))
    c3 = ex.contracts()[3].con_id
    ex.set_quote(c3, T0 + 1, bid=10.0, ask=10.02)
    conn.send_market_updates([c3])
    assert seen == [1003]
    assert conn.out                                   # its ticks went out
    seen.clear()
    conn.send_market_updates()                        # the full pass still visits everyone
    assert len(seen) == 100


def test_reverse_index_follows_every_change():
    s = Subscriptions()
    s[1] = 10
    s[2] = 10
    s[3] = 11
    assert s.by_con_id() == {10: [1, 2], 11: [3]}
    s.pop(2)
    assert s.by_con_id() == {10: [1], 11: [3]}
    del s[1]
    s.update({4: 12})
    assert s.by_con_id() == {11: [3], 12: [4]}
    s.clear()
    assert s.by_con_id() == {}
