"""IB pacing rules (app.sim.pacing) with a scripted clock."""

from app.sim.pacing import HistoryPacer, MessagePacer


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_fifty_messages_per_any_one_second_window():
    clk = Clock()
    p = MessagePacer(50, disconnect_drops=5, clock=clk)
    assert all(p.admit() for _ in range(50))
    assert not p.admit() and p.received == 51
    clk.t += 0.999
    assert not p.admit()
    clk.t += 0.002                        # the first 50 are now older than 1 s
    assert all(p.admit() for _ in range(50))
    assert not p.should_disconnect
    for _ in range(4):
        assert not p.admit()
    assert p.should_disconnect            # 6 refused within the strike window


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
