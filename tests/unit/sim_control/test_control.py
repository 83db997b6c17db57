"""AdminController command parsing and effects on a real SimGateway (no sockets needed:
commands run directly), plus the clock speed and pump sub-steps."""

from __future__ import annotations

import time

import pytest

from app.sim.clock import MAX_SPEED, check_speed, make_clock
from app.sim.control import DEFAULT_REJECT_TEXT, AdminController
from app.sim.server import MAX_SIM_STEP, SimGateway
from app.sim.types import SimContract


class RecordingExchange:
    """Just enough of the SimExchange facade for the controller (records calls)."""

    account_id = "SIM0001"

    def __init__(self):
        self.calls = []
        self.c = SimContract(con_id=265598, symbol="AAPL", sec_type="STK", exchange="SMART",
                             primary_exchange="NASDAQ", currency="USD", local_symbol="AAPL",
                             trading_class="NMS", min_tick=0.01, long_name="APPLE INC")

    def add_listener(self, fn):
        pass

    def orders(self, client_id=None, working_only=True):
        return []

    def executions(self, client_id=None):
        return []

    def lookup(self, **kw):
        want = (kw.get("symbol") or kw.get("local_symbol") or "").upper()
        return [self.c] if want == "AAPL" else []

    def reject_next_order(self, code=201, text=""):
        self.calls.append(("reject_next_order", code, text))

    def place_manual(self, con_id, ticket, now):
        self.calls.append(("place_manual", con_id, ticket))

        class O:
            order_id, perm_id, status = -1, 77, "Submitted"
        return O()


@pytest.fixture
def ctl():
    gw = SimGateway(RecordingExchange(), clock=lambda: 1_700_000_000.0)
    return AdminController(gw)


def test_help_and_unknown_and_empty(ctl):
    assert ctl.execute("help").startswith("OK commands: drop")
    assert ctl.execute("nope") == "ERR unknown command 'nope'; try 'help'"
    assert ctl.execute("   ").startswith("ERR empty command")
    assert ctl.execute('delay "1').startswith("ERR cannot parse command")
    assert ctl.execute("x" * 5000).startswith("ERR command longer")


@pytest.mark.parametrize("line, err", [
    ("delay", "usage: delay SECONDS"),
    ("delay 1 2", "usage: delay SECONDS"),
    ("delay inf", "seconds must be between"),
    ("delay 61", "seconds must be between"),
    ("pause-accept -3", "seconds must be between"),
    ("pause-accept nan", "seconds must be between"),
    ("connectivity", "usage: connectivity"),
    ("connectivity up", "unknown state"),
    ("reject-next abc", "CODE must be an IB error code number"),
    ("reject-next 5", "is not an IB error code"),
    ("restart", "needs a state file"),
    ("save", "needs a state file"),
    ("drop now", "usage: drop"),
    ("manual-order AAPL", "usage: manual-order"),
    ("manual-order AAPL BUY x MKT", "QTY must be a number"),
    ("manual-order AAPL BUY -1 MKT", "QTY must be > 0"),
    ("manual-order AAPL BUY 1 LMT", "needs a PRICE"),
    ("manual-order AAPL BUY 1 MKT 3", "takes no PRICE"),
    ("manual-order AAPL BUY 1 LMT 0", "PRICE must be > 0"),
    ("manual-order AAPL BUY 1 TRAIL 2", "TYPE must be MKT, LMT or STP"),
    ("manual-order ZZZZ BUY 1 MKT", "unknown symbol"),
])
def test_bad_arguments_get_specific_errors_and_change_nothing(ctl, line, err):
    reply = ctl.execute(line)
    assert reply.startswith("ERR ") and err in reply, reply
    assert ctl.gw.delay == 0 and not ctl.gw.accepting_paused()
    assert ctl.gw.exchange.calls == []


def test_delay_pause_connectivity_state(ctl):
    assert ctl.execute("delay 0.5") == "OK responses delayed by 0.5 s"
    assert ctl.gw.delay == 0.5
    assert ctl.execute("pause-accept 10") == "OK not accepting connections for 10 s"
    assert ctl.gw.accepting_paused()
    assert ctl.execute("PAUSE-ACCEPT 0") == "OK accepting connections"
    assert not ctl.gw.accepting_paused()
    assert ctl.execute("connectivity lost") == "OK sent 1100 to 0 clients"
    assert ctl.gw.connectivity_lost
    assert ctl.execute("connectivity restored-data-lost") == "OK sent 1101 to 0 clients"
    assert not ctl.gw.connectivity_lost
    st = ctl.execute("status")
    assert "delay=0.5" in st and "connectivity=ok" in st and "clock=2023-11-14T22:13:20Z" in st


def test_reject_next_passes_code_and_text(ctl):
    assert ctl.execute("reject-next") == "OK next order will be rejected with 201"
    assert ctl.execute("reject-next 203 The security is not available") == \
        "OK next order will be rejected with 203"
    assert ctl.gw.exchange.calls == [("reject_next_order", 201, DEFAULT_REJECT_TEXT),
                                     ("reject_next_order", 203, "The security is not available")]


def test_manual_order_builds_the_ticket(ctl):
    reply = ctl.execute("manual-order aapl sell 25 stp 180.5")
    assert reply.startswith("OK manual order -1 permId 77 SELL 25 AAPL STP"), reply
    (name, con_id, t), = ctl.gw.exchange.calls
    assert (name, con_id) == ("place_manual", 265598)
    assert (t.action, t.total_qty, t.order_type, t.aux_price, t.lmt_price) == \
        ("SELL", 25.0, "STP", 180.5, None)
    assert t.account == "SIM0001"


def test_a_failing_command_is_an_error_not_a_crash(ctl):
    def boom(*a):
        raise RuntimeError("disk full")

    ctl.gw.exchange.reject_next_order = boom
    assert ctl.execute("reject-next") == "ERR reject-next failed: RuntimeError: disk full"


def test_make_clock_speed():
    assert make_clock(None) is None
    clock = make_clock(1000.0, 100.0)
    a = clock()
    time.sleep(0.05)
    b = clock()
    assert 1000.0 <= a and b - a >= 4.0          # 0.05 s wall at 100x >= 5 s, minus jitter
    wall = make_clock(None, 2.0)
    assert abs(wall() - time.time()) < 1.0
    assert check_speed("60") == 60.0
    for bad in (0, -1, "x", float("inf"), MAX_SPEED * 2):
        with pytest.raises(ValueError):
            check_speed(bad)


def test_substeps_bound_each_advance():
    gw = SimGateway(RecordingExchange(), clock=lambda: 0.0)
    assert gw._substeps(100.0, 0.1) == [100.0]                # first call: no history
    steps = gw._substeps(106.0, 0.1)                           # 6 s simulated in one pass
    assert steps[-1] == 106.0 and len(steps) == 6
    assert all(b - a <= MAX_SIM_STEP + 1e-9 for a, b in zip([100.0] + steps, steps))
    assert gw._substeps(106.0, 0.1) == [106.0]                 # no time passed
    gw.firehose = (10, 1000.0)                                 # 1000/s over 10 symbols
    steps = gw._substeps(106.1, 0.1)
    assert len(steps) == 40          # 100 changes per symbol per s * 0.1 s * 4 steps per change
    gw._step_cost = 0.01             # measured: 10 ms a sub-step -> 5 fit in the 50 ms budget
    steps = gw._substeps(106.2, 0.1)
    assert len(steps) == 5 and steps[-1] == 106.2


def test_firehose_command_starts_changes_and_stops_load_mode():
    from app.sim.exchange import SimExchange
    from tests.unit.sim.helpers import T0

    gw = SimGateway(SimExchange(now=T0, universe=50), clock=lambda: T0)
    ctl = AdminController(gw)
    assert ctl.execute("firehose 40 2000") == "OK firehose 40 symbols at 2000 quote changes/s"
    assert gw.firehose == (40, 2000.0) and gw.exchange.market.firehose_on
    assert ctl.execute("firehose 0 0") == "OK firehose off"
    assert gw.firehose is None and not gw.exchange.market.firehose_on
    assert ctl.execute("firehose 51 10").startswith("ERR firehose: n_symbols must be in 0..50")
    assert ctl.execute("firehose x 10").startswith("ERR firehose: SYMBOLS must be a whole number")
    assert ctl.execute("firehose 5 nan").startswith("ERR firehose: RATE must be in")
    assert ctl.execute("firehose 5").startswith("ERR usage: firehose SYMBOLS RATE")


def test_parse_status_reads_back_the_status_reply():
    from app.sim.control import parse_status

    assert parse_status("OK port=4002 clients=1,7 clock_posix=1767625200.000") == {
        "port": "4002", "clients": "1,7", "clock_posix": "1767625200.000"}
    assert parse_status("ERR status failed: boom") == {}
