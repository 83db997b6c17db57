"""IB pacing rules (app.sim.pacing) with a scripted clock."""

from app.sim.pacing import HistoryPacer, MessagePacer


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_a_burst_of_fifty_passes_and_the_bucket_refills_at_fifty_per_second():
    clk = Clock()
    p = MessagePacer(50, disconnect_drops=5, clock=clk)
    assert all(p.admit() for _ in range(50))
    assert not p.admit() and p.received == 51
    clk.t += 0.1                          # 5 tokens back
    assert [p.admit() for _ in range(6)] == [True] * 5 + [False]
    clk.t += 1.0                          # full again, never above 50
    assert all(p.admit() for _ in range(50))
    assert not p.should_disconnect
    for _ in range(4):
        assert not p.admit()
    assert p.should_disconnect            # 6 refused within the strike window
    clk.t += 11.0
    assert p.admit() and not p.should_disconnect


def test_sustained_rate_above_fifty_is_refused_the_excess():
    clk = Clock()
    p = MessagePacer(50, clock=clk)
    ok = 0
    for _ in range(600):                  # 60 messages/s for 10 s
        clk.t += 1 / 60
        ok += p.admit()
    assert 50 * 10 <= ok <= 50 * 10 + 50  # the rate, plus at most the first burst
    clk2 = Clock()
    q = MessagePacer(50, clock=clk2)
    for _ in range(600):                  # exactly 50/s: never refused
        clk2.t += 1 / 50
        assert q.admit()


def ib_async_schedule(n, jitter):
    """Send times of ib_async's throttle (Client.sendMsg: at most 45 sends within any
    RequestsInterval of 1 s; queued requests go out when the oldest send is older than
    1 s), all ``n`` requested at t=0 and each send seen ``jitter(i)`` seconds late."""
    sent = []
    for i in range(n):
        t = 0.0 if i < 45 else sent[i - 45] + 1.0 + 1e-4
        sent.append(t)
    return sorted(t + jitter(i) for i, t in enumerate(sent))


def test_ib_async_throttle_passes_with_uneven_arrivals():
    """A sliding 50-per-second window refuses ib_async's 45/s batches as soon as one
    batch is read a few ms later than the next; the bucket takes ~0.1 s of such jitter."""
    for late in (0.0, 0.005, 0.05, 0.09):
        # every first batch read late, the next one on time: the worst case for packing
        arrivals = ib_async_schedule(180, lambda i: late if (i // 45) % 2 == 0 else 0.0)
        clk = Clock()
        p = MessagePacer(50, clock=clk)
        refused = 0
        for t in arrivals:
            clk.t = 1000.0 + t
            refused += not p.admit()
        assert refused == 0, (late, refused)


def test_history_pacing_rules():
    clk = Clock()
    h = HistoryPacer(clock=clk)
    k = (1, "", "5 secs", "1800 S", "TRADES", False)
    assert h.check(k, (1, "SMART", "TRADES")) is None
    assert "identical" in h.check(k, (1, "SMART", "TRADES"))
    clk.t += 15.0
    assert h.check(k, (1, "SMART", "TRADES")) is None
    for i in range(4):                    # 5 for the contract within 2 s are fine
        assert h.check((1, i), (1, "SMART", "TRADES")) is None
    assert "same contract" in h.check((1, 99), (1, "SMART", "TRADES"))
    assert h.check((2, 0), (2, "SMART", "TRADES")) is None
    clk.t += 3
    for i in range(53):
        clk.t += 3
        assert h.check((3, i), (3, i)) is None
    assert "60 requests" in h.check((4, 0), (4, 0))
    clk.t += 600
    assert h.check((4, 0), (4, 0)) is None
