"""StrategyRunner with FakeSession and the real OrderCommands: warm-up without orders, completed
bars only, orders through the command layer (journal with the strategy as source), refusals,
own orders and fills only, P&L, kill switch, strategy exceptions, reconnect, spec."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from app.commands import KillSwitch, Limit, OrderCommands, PlaceOrder, RiskLimits
from app.domain import Action, ConnectionState, OrderRequest, OrderType
from app.domain.bars import Bar
from app.strategy.base import Param, Strategy, StrategyError
from app.strategy.completed_bars import BarCompleter
from app.strategy.ledger import Ledger
from app.strategy.runner import NOT_SENT, RunnerState, StrategyRunner
from app.strategy.runner_spec import runner_from_spec
from tests.fakes import CONTRACTS, FakeSession, ListJournal

T0 = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)
AAPL = CONTRACTS["AAPL"]


def t(i: int) -> datetime:
    return T0 + timedelta(seconds=5 * i)


def bar(i: int, close: float = 100.0) -> Bar:
    return Bar(t(i), close, close + 1, close - 1, close, 10.0)


def history(n: int) -> pd.DataFrame:
    """``n`` bars of 5 secs, the last one forming (as IB sends with keepUpToDate)."""
    return pd.DataFrame({"time": pd.to_datetime([t(i) for i in range(n)], utc=True),
                         "open": 100.0, "high": 101.0, "low": 99.0,
                         "close": [100.0 + i for i in range(n)], "volume": 10.0})


class Recorder(Strategy):
    """Buys ``quantity`` on every bar (the runner decides whether it is sent); records events."""

    name = "recorder"
    params = (Param("quantity", int, 10, minimum=1),)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.events: list = []
        self.sent: list[int] = []

    def on_start(self):
        self.events.append("start")

    def on_bar(self, b):
        self.events.append(("bar", b.time, self.context.warming_up))
        try:
            self.sent.append(self.buy(self.p["quantity"]))
        except StrategyError as e:
            self.events.append(("refused", str(e)))

    def on_fill(self, f):
        self.events.append(("fill", f.order_id, f.quantity, self.position))

    def on_order(self, u):
        self.events.append(("order", u.order_id, u.status))

    def on_tick(self, q):
        self.events.append(("tick", q.key, q.last))

    def on_stop(self):
        self.events.append("stop")


class Boom(Strategy):
    name = "boom"

    def on_bar(self, b):
        if len(self.bars) >= 3:
            raise ZeroDivisionError("division by zero")


@pytest.fixture
def env(aloop):
    s = FakeSession()
    s.bars = history(5)
    j = ListJournal()
    c = OrderCommands(s, journal=j)
    return s, c, j


def started(env, aloop, strategy=None, **kw):
    s, c, _ = env
    r = StrategyRunner(strategy or Recorder(), AAPL, "5 secs", s, c, **kw)
    aloop.run_until_complete(r.start())
    return r


def settle(aloop):
    aloop.run_until_complete(asyncio.sleep(0.01))


def test_warm_up_feeds_completed_history_and_sends_no_order(env, aloop):
    s, c, j = env
    r = started(env, aloop)
    st = r.strategy
    # 5 history bars, the last forming: 4 fed, all during the warm-up, none sent
    assert [e[1] for e in st.events if e[0] == "bar"] == [t(i) for i in range(4)]
    assert all(e[2] for e in st.events if e[0] == "bar")
    assert st.sent == [NOT_SENT] * 4 and not j.of("intent")
    assert r.state is RunnerState.RUNNING and not r.warming_up
    assert sum("Not sent (warm-up" in text for _, text in r.log_lines) == 4


def test_a_live_bar_is_fed_when_the_next_one_starts_and_its_order_goes_through_commands(env, aloop):
    s, c, j = env
    r = started(env, aloop)
    sub = r._sub_id
    s.emit_bar(sub, bar(4, 104.5), False)          # the forming bar changes: nothing fed
    assert len(r.strategy.sent) == 4
    s.emit_bar(sub, bar(5, 105), True)            # bar 4 is complete
    assert ("bar", t(4), False) in r.strategy.events
    (oid,) = [x for x in r.strategy.sent if x != NOT_SENT]
    assert r.order_ids == [oid]
    assert r.last_signal == "BUY 10 AAPL MKT DAY"
    intents = j.of("intent")
    assert len(intents) == 1 and intents[0]["source"] == "strategy recorder AAPL 5 secs"
    assert all(f["source"] == r.source for f in j.of("api"))
    assert r.working_orders == 1


def test_fills_of_its_own_orders_only_make_its_position_and_pnl(env, aloop):
    s, c, j = env
    r = started(env, aloop)
    s.emit_bar(r._sub_id, bar(5, 105), True)
    (oid,) = r.order_ids
    settle(aloop)                                   # PendingSubmit -> Submitted
    other = c.execute(PlaceOrder(OrderRequest(AAPL, Action.BUY, 7, OrderType.MKT))).order
    s.fill(other.order_id, price=90.0)              # the trader's order: not the strategy's
    s.fill(oid, price=100.0, commission=1.0)        # execution + its commission report
    assert r.position == 10 and r.avg_price == 100.0
    assert r.commissions == 1.0 and r.realized_pnl == -1.0
    assert ("fill", oid, 10.0, 10.0) in r.strategy.events
    assert not any(e[0] == "fill" and e[1] == other.order_id for e in r.strategy.events)
    assert ("order", oid, "Submitted") in r.strategy.events
    s.emit_bar(r._sub_id, bar(6, 103), True)        # marks at 103 (the forming bar's close)
    assert r.unrealized_pnl == pytest.approx(30.0)
    assert r.working_orders == 1                    # bar 5's buy, not filled


def test_quotes_of_its_instrument_go_to_on_tick_and_mark_the_position(env, aloop):
    s, c, j = env
    r = started(env, aloop)
    assert s.quote_refs == {AAPL.key: 1}
    s.emit_bar(r._sub_id, bar(5, 105), True)
    s.fill(r.order_ids[0], price=100.0, commission=None)
    s.push_quote("AAPL", bid=101.0, ask=101.2)          # no trade yet: marked at the mid
    assert r.unrealized_pnl == pytest.approx(11.0)
    s.push_quote("AAPL", last=102.0)
    assert r.unrealized_pnl == pytest.approx(20.0)
    s.subscribe_quotes(CONTRACTS["MSFT"])
    s.push_quote("MSFT", last=400.0)                    # another instrument: not the strategy's
    assert [e for e in r.strategy.events if e[0] == "tick"] == [
        ("tick", AAPL.key, None), ("tick", AAPL.key, 102.0)]
    r.stop()
    assert AAPL.key not in s.quote_refs                 # its subscription is given back


def test_average_cost_accounting_through_a_reversal():
    led = Ledger()
    assert led.apply_execution("e1", 10, 100.0, None)
    assert led.apply_execution("e2", 10, 110.0, 1.0)
    assert not led.apply_execution("e2", 10, 110.0, 1.5)   # its commission report: no new fill
    assert (led.position, led.avg_price, led.commissions) == (20, 105.0, 1.5)
    led.apply_fill(-30, 120.0)                      # closes 20 (+300), opens 10 short at 120
    assert (led.position, led.avg_price, led.gross_realized) == (-10, 120.0, 300.0)
    assert led.unrealized_pnl(118.0) == 20.0
    led.apply_fill(10, 125.0)
    assert (led.position, led.avg_price, led.realized_pnl) == (0, 0.0, 248.5)


def test_a_risk_limit_refuses_the_order_and_the_runner_reports_why(env, aloop):
    s, c, j = env
    c.limits = RiskLimits(max_order_quantity=Limit(True, 5))
    r = started(env, aloop)
    s.emit_bar(r._sub_id, bar(5), True)
    refused = [e for e in r.strategy.events if e[0] == "refused"]
    assert len(refused) == 1 and "5" in refused[0][1]
    assert r.last_error == refused[0][1] and not r.order_ids
    assert r.state is RunnerState.RUNNING
    assert j.of("check")[-1]["result"] == "rejected" and j.of("check")[-1]["source"] == r.source


def test_read_only_refuses_with_the_command_layers_message(env, aloop):
    s, c, j = env
    c.read_only = True
    r = started(env, aloop)
    s.emit_bar(r._sub_id, bar(5), True)
    assert "read-only mode" in r.last_error and not r.order_ids


def test_the_kill_switch_halts_the_runner_at_once(env, aloop):
    s, c, j = env
    r = started(env, aloop)
    s.emit_bar(r._sub_id, bar(5), True)
    settle(aloop)
    res = c.execute(KillSwitch())
    assert res.ok
    assert r.state is RunnerState.HALTED and r.status_text == "Halted by the kill switch"
    assert r.strategy.events[-1] == "stop"
    assert ("cancel_history", (1,)) in s.calls
    n = len(r.strategy.events)
    s.emit_bar(1, bar(6), True)                     # nothing reaches the strategy any more
    assert len(r.strategy.events) == n
    assert len(j.of("intent")) == 2                 # the strategy's order and the kill switch only


def test_start_while_halted_is_refused(env, aloop):
    s, c, j = env
    c.halted = True
    r = started(env, aloop)
    assert r.state is RunnerState.HALTED and "kill switch" in r.last_error
    assert "start" not in r.strategy.events


def test_an_exception_in_the_strategy_stops_only_its_runner(env, aloop):
    s, c, j = env
    r = started(env, aloop, Boom())
    assert r.state is RunnerState.ERROR
    assert r.last_error == "ZeroDivisionError: division by zero"
    assert r.status_text == "Error: ZeroDivisionError: division by zero"
    assert ("cancel_history", (1,)) in s.calls


def test_stop_calls_on_stop_and_may_cancel_its_orders(env, aloop):
    s, c, j = env
    r = started(env, aloop)
    s.emit_bar(r._sub_id, bar(5), True)
    settle(aloop)
    r.stop(cancel_orders=True)
    assert r.state is RunnerState.STOPPED and r.status_text == "Stopped by the trader"
    assert r.strategy.events[-1] == "stop"
    assert [f["command"] for f in j.of("intent")] == ["PlaceOrder", "CancelOrder"]
    assert j.of("intent")[-1]["source"] == r.source


def test_reconnect_subscribes_again_and_catches_up_without_orders(env, aloop):
    s, c, j = env
    r = started(env, aloop)
    s.emit_bar(r._sub_id, bar(5), True)            # bar 4 live: one order
    s._set_state(ConnectionState.LOST, "Socket disconnect")
    s._set_state(ConnectionState.CONNECTED, "")
    s.bars = history(9)                             # bars 5..7 completed meanwhile, 8 forming
    settle(aloop)
    assert r._sub_id == 2
    fed = [e for e in r.strategy.events if e[0] == "bar"]
    assert [e[1] for e in fed] == [t(i) for i in range(8)]     # no bar twice
    assert [e[2] for e in fed[5:]] == [True] * 3                # catch-up: orders off
    assert len(r.order_ids) == 1
    s.emit_bar(2, bar(9), True)                     # bar 8 live again
    assert len(r.order_ids) == 2


def test_spec_round_trip(env, aloop):
    s, c, _ = env
    r = StrategyRunner(Recorder(quantity=3), AAPL, "1 min", s, c)
    spec = r.spec()
    assert spec == {"strategy": "recorder", "params": {"quantity": 3},
                    "instrument": AAPL.to_dict(), "bar_size": "1 min"}
    again = runner_from_spec(spec, {"recorder": Recorder}, s, c)
    assert again.spec() == spec and again.state is RunnerState.IDLE
    with pytest.raises(ValueError, match="'nope' is not available"):
        runner_from_spec({**spec, "strategy": "nope"}, {"recorder": Recorder}, s, c)
    with pytest.raises(ValueError, match="quantity"):
        runner_from_spec({**spec, "params": {"quantity": 0}}, {"recorder": Recorder}, s, c)


def test_bar_sizes_ib_does_not_keep_up_to_date_are_refused(env):
    with pytest.raises(ValueError, match="5 secs and longer"):
        StrategyRunner(Recorder(), AAPL, "1 secs", *env[:2])


def test_completer_ignores_late_duplicates():
    comp = BarCompleter()
    assert comp.load([bar(0), bar(1)]) == [bar(0)]
    assert comp.update(bar(0)) == [] and comp.forming.time == t(1)
    assert comp.update(bar(2)) == [bar(1)]


def test_cancel_by_id_cancels_only_its_own_working_order(env, aloop):
    """A stop-loss / take-profit pair cancels the other leg by id (StrategyContext.cancel)."""
    s, c, j = env
    r = started(env, aloop)
    s.emit_bar(r._sub_id, bar(5), True)
    settle(aloop)
    (oid,) = r.order_ids
    r.cancel(NOT_SENT)                     # a warm-up id: nothing
    r.cancel(oid + 1000)                   # not the runner's: nothing
    assert [f["command"] for f in j.of("intent")] == ["PlaceOrder"]
    r.strategy.cancel(oid)
    assert [f["command"] for f in j.of("intent")] == ["PlaceOrder", "CancelOrder"]
    assert j.of("intent")[-1]["source"] == r.source


PACING = ("No 5 secs history for AAPL: Historical Market Data Service error message:Historical data "
          "request pacing violation (identical request within 15 seconds)")


def test_a_pacing_violation_waits_and_asks_again(env, aloop):
    """IB refuses an identical history request within 15 s (error 162 "pacing violation"): the
    chart asked for the same bars a moment before. The runner waits and asks again instead of
    ending in an error (found against the simulated gateway, which enforces the rule)."""
    s, c, j = env
    s.fail_history = PACING
    r = StrategyRunner(Recorder(), AAPL, "5 secs", s, c, pacing_wait=0.05)
    task = asyncio.ensure_future(r.start())
    aloop.run_until_complete(asyncio.sleep(0.02))
    assert r.running and "pacing" in r.status_text.lower()
    s.fail_history = None
    aloop.run_until_complete(task)
    aloop.run_until_complete(asyncio.sleep(0.1))
    assert r.state is RunnerState.RUNNING and [e for e in r.strategy.events if e[0] == "bar"]
    assert sum(1 for name, _ in s.calls if name == "history") == 2


def test_pacing_retries_give_up_with_the_reason(env, aloop):
    s, c, j = env
    s.fail_history = PACING
    r = StrategyRunner(Recorder(), AAPL, "5 secs", s, c, pacing_wait=0.01)
    aloop.run_until_complete(r.start())
    aloop.run_until_complete(asyncio.sleep(0.2))
    assert r.state is RunnerState.ERROR and "pacing violation" in r.last_error


def test_forward_test_metrics_from_live_bars_and_round_trips(env, aloop):
    """The forward test shows the backtest's metrics: equity = cash + the strategy's P&L at each
    live bar's close, trades = the round trips of its own fills."""
    s, c, j = env
    r = started(env, aloop, Recorder(quantity=10))
    assert r.forward_metrics() == {}                 # warm-up bars are not the forward test
    s.emit_bar(r._sub_id, bar(5, 100), True)         # bar 4 live: BUY 10
    settle(aloop)
    oid = r.order_ids[0]
    s.fill(oid, price=100.0, commission=1.0)
    s.emit_bar(r._sub_id, bar(6, 106), True)         # bar 5 live at 100
    s.emit_bar(r._sub_id, bar(7, 110), True)         # bar 6 live at 106
    m = r.forward_metrics(cash=10_000.0)
    # bar 4 closed before the fill (P&L 0); bars 5 and 6: 10 x (close - 100) - 1 commission
    assert [round(v, 6) for _, v in r.equity_points] == [0.0, -1.0, 59.0]
    assert m["final_equity"] == pytest.approx(10_059.0) and m["n_trades"] == 0
    assert m["return_pct"] == pytest.approx(0.59)
    sell_id = r.strategy.sell(10)                    # the strategy sells what it bought
    settle(aloop)
    s.fill(sell_id, price=108.0)
    assert [(t.side, t.quantity, t.entry_price, t.exit_price) for t in r.trips.trades] == [
        ("long", 10.0, 100.0, 108.0)]
    assert r.forward_metrics()["n_trades"] == 1


def test_a_futures_runner_counts_pnl_with_the_contract_multiplier(aloop):
    """ES moves 50 USD a point: the strategy's realized and unrealized P&L and its round trips
    are price difference x contracts x 50 (they were x 1, as for shares)."""
    from tests.fakes_futures import FAKE_FUTURES
    es = next(f for f in FAKE_FUTURES if f.local_symbol == "ESZ6")
    s = FakeSession()
    s.bars = history(5)
    c = OrderCommands(s, journal=ListJournal())
    r = StrategyRunner(Recorder(quantity=1), es, "5 secs", s, c)
    aloop.run_until_complete(r.start())
    s.emit_bar(r._sub_id, bar(5, 6000.0), True)
    (oid,) = r.order_ids
    settle(aloop)
    s.fill(oid, price=6000.0, commission=2.25)
    s.emit_bar(r._sub_id, bar(6, 6010.0), True)     # marks at 6010: +10 points
    assert r.position == 1 and r.unrealized_pnl == pytest.approx(10 * 50)
    r.strategy.sell(1)
    oid2 = r.order_ids[-1]
    settle(aloop)
    s.fill(oid2, price=6004.0, commission=2.25)
    assert r.position == 0 and r.realized_pnl == pytest.approx(4 * 50 - 4.5)
    (trade,) = r.trips.trades
    assert trade.multiplier == 50 and trade.pnl == pytest.approx(4 * 50)
    assert trade.return_pct == pytest.approx(100 * 200 / (6000 * 50))


def test_ledger_multiplier():
    led = Ledger(multiplier=100)                     # an option: 100 shares a contract
    led.apply_fill(2, 2.50)
    led.apply_fill(-1, 3.00)
    assert led.realized_pnl == pytest.approx(50.0) and led.unrealized_pnl(3.10) == pytest.approx(60.0)
