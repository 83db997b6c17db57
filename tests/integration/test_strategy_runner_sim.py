"""A strategy run live against the simulated gateway (issue 17 §3, "Done when"): the real
ib_async Session over a real socket, the real OrderCommands and a SQLite Journal. The gateway's
clock runs 30x, so 5 secs bars complete every ~0.17 s. The strategy's order goes through the
command layer (the journal shows it with the strategy as its source) and fills, a risk limit
refuses its next order (the runner reports the reason), and the kill switch halts it."""

from __future__ import annotations

import asyncio

import pytest

from app.broker import Session
from app.commands import KillSwitch, Limit, OrderCommands, RiskLimits
from app.journal import Journal
from app.sim.server import GatewayThread
from app.strategy.base import Strategy, StrategyError
from app.strategy.runner import RunnerState, StrategyRunner
from tests.integration.sim_support import next_client_id, rth_start_time, until

pytestmark = pytest.mark.timeout(90)


class BuyThenTooMuch(Strategy):
    """Buys 5 on its first live bar, then asks for 50 on the next (over the limit of 10)."""

    name = "buy_then_too_much"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.live_bars = 0
        self.warm_bars = 0
        self.refusals: list[str] = []
        self.fills = []
        self.stopped = False

    def on_bar(self, bar):
        if self.context.warming_up:
            self.warm_bars += 1
            return
        self.live_bars += 1
        if self.live_bars == 1:
            self.buy(5)
        elif self.live_bars == 2:
            try:
                self.buy(50)
            except StrategyError as e:
                self.refusals.append(str(e))

    def on_fill(self, fill):
        self.fills.append(fill)

    def on_stop(self):
        self.stopped = True


def test_strategy_orders_go_through_the_command_layer_limit_and_kill_switch(qapp, tmp_path):
    journal = Journal(tmp_path / "journal.sqlite", batch_interval=0.02)
    gw = GatewayThread(seed=7, start_time=rth_start_time(), speed=30)
    try:
        async def main():
            s = Session("127.0.0.1", gw.port, next_client_id(), connect_timeout=5)
            await s.connect()
            try:
                commands = OrderCommands(s, journal=journal,
                                         limits=RiskLimits(max_order_quantity=Limit(True, 10)))
                aapl = await s.resolve("AAPL")
                strat = BuyThenTooMuch()
                runner = StrategyRunner(strat, aapl, "5 secs", s, commands)
                await runner.start()
                assert runner.state is RunnerState.RUNNING, runner.last_error
                assert strat.warm_bars > 100                 # an hour of 5 secs history
                await until(lambda: strat.live_bars >= 2, 15, "two live bars")
                (oid,) = runner.order_ids
                assert runner.last_signal == "BUY 5 AAPL MKT DAY"
                assert len(strat.refusals) == 1 and "10" in strat.refusals[0]
                assert runner.last_error == strat.refusals[0]
                await until(lambda: runner.position == 5, 15, "the strategy's fill")
                assert [f.order_id for f in strat.fills] == [oid] and runner.avg_price > 0
                assert commands.execute(KillSwitch()).ok
                assert runner.state is RunnerState.HALTED
                assert runner.status_text == "Halted by the kill switch" and strat.stopped
                n = strat.live_bars
                await asyncio.sleep(0.6)                     # several bars later: nothing fed
                assert strat.live_bars == n
                return oid, s.client_id, runner.source
            finally:
                s.disconnect()
                await asyncio.sleep(0.05)
        oid, client_id, source = asyncio.run(asyncio.wait_for(main(), 60))
    finally:
        gw.stop()
    assert journal.flush(5)
    history = journal.order_history(order_id=oid, client_id=client_id)
    api = [e for e in history if e.kind == "api"]
    assert api and api[0].details["source"] == source == "strategy buy_then_too_much AAPL 5 secs"
    rejected = [e for e in journal.events(kind="check") if e.details.get("result") == "rejected"]
    assert len(rejected) == 1 and rejected[0].details["source"] == source
    assert rejected[0].details["rule"] == "max_order_quantity"
    journal.close()
