"""The soak run: a trading day with scripted faults against the simulated gateway.

One :class:`SoakRun` starts ``python -m app.sim`` (:class:`~tests.soak.gateway.GatewayProcess`,
accelerated clock, ``--state`` file, master client id 0), runs the terminal's own objects
headless on this asyncio loop (``Session`` + ``OrderCommands`` + ``Journal`` +
``ConnectionSupervisor``, as ``app.application`` wires them, no widgets) and an independent
official ``ibapi`` client as the referee (:class:`~tests.soak.referee.Referee`).

Each cycle: trade (place, modify, cancel resting LMT orders, one MKT fill), then with a 2 s
response delay send a modify, a cancel and a new order, then one fault:

==================  ============================================================================
``drop``            admin ``drop``; an order is sent into the dead socket before the terminal sees it
``conn_1102``       ``connectivity lost`` 1 s, then ``restored`` (1100 -> 1102)
``conn_1101``       ``connectivity lost`` 1 s, then ``restored-data-lost`` (1100 -> 1101)
``restart``         admin ``restart`` (state saved, clients dropped, reloaded)
``kill9``           SIGKILL of the gateway, an order into the dead socket, restart from the
                    same ``--state`` on the same port
``global_cancel``   the referee's reqGlobalCancel while the terminal's answers are delayed, then
                    ``pause-accept`` + ``drop``: the terminal learns of it only after reconnecting
==================  ============================================================================

After the fault: the time the gateway accepts again, the time the terminal is connected
again by itself, then :mod:`tests.soak.checks` every ``poll`` s until consistent (or the window
plus a grace has passed). Problems become violations (recorded, never raised); the summary
(:meth:`SoakRun.summary`) counts them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.soak import checks
from tests.soak.checks import Problem
from tests.soak.gateway import GatewayProcess
from tests.soak.referee import Referee, RefereeError, Snapshot

log = logging.getLogger("soak")

KINDS = ("drop", "conn_1102", "conn_1101", "restart", "kill9", "global_cancel")
#: faults that close the API sockets (the terminal must reconnect)
SOCKET_FAULTS = {"drop", "restart", "kill9", "global_cancel"}


@dataclass
class SoakConfig:
    """``minutes`` of wall time, then whole rounds (every kind once) until ``min_cycles`` are
    done, never starting a cycle after ``max_minutes``; or exactly ``cycles`` cycles;
    ``speed`` of the simulated clock;
    ``window`` s after the gateway accepts again within which the terminal must be consistent;
    ``reconnect_target`` s within which it must be connected again; ``grace`` extra s of
    polling after the window to tell "late" from "stuck"."""

    minutes: float | None = None
    cycles: int | None = None
    min_cycles: int = 0
    max_minutes: float | None = None
    seed: int = 1
    speed: float = 60.0
    window: float = 5.0
    reconnect_target: float = 2.0
    grace: float = 2.0
    poll: float = 0.25
    delay: float = 2.0
    client_id: int = 5
    symbols: tuple[str, ...] = ("AAPL", "MSFT")
    kinds: tuple[str, ...] = KINDS
    supervisor: bool = True
    workdir: str | None = None
    max_reconnect_wait: float = 35.0


@dataclass
class Violation:
    cycle: int
    fault: str
    check: str
    key: str
    detail: str
    at: float | None        # s after the gateway accepted again (None: outside a window)
    repeated: bool = False  # the same (check, key) was reported in an earlier cycle


@dataclass
class CycleResult:
    cycle: int
    fault: str
    accept_t: float = 0.0
    reconnect_s: float | None = None
    connect_s: float | None = None       # the successful attempt: CONNECTING -> CONNECTED
    connect_attempts: int = 0
    consistent_s: float | None = None
    consistent_in_window: bool = False
    problems_at_window: int = 0


def _mono() -> float:
    return time.monotonic()


class SoakRun:
    """One soak run; ``await run()`` returns the summary dict."""

    def __init__(self, cfg: SoakConfig):
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.tmp = None
        if cfg.workdir:
            self.dir = Path(cfg.workdir)
            self.dir.mkdir(parents=True, exist_ok=True)
        else:
            self.tmp = tempfile.TemporaryDirectory(prefix="ibdesk-soak-")
            self.dir = Path(self.tmp.name)
        self.gw: GatewayProcess | None = None
        self.referee: Referee | None = None
        self.session = None
        self.commands = None
        self.journal = None
        self.supervisor = None
        self._retry_task: asyncio.Task | None = None
        self.instruments: list = []
        self.mid: dict[str, float] = {}
        self.last_quote_t: dict[str, float] = {}
        self.states: list[tuple[float, str, str]] = []
        # bookkeeping of every command the harness executed
        self.executed: list[dict] = []
        self.placed: dict[int, dict] = {}
        self.counts: Counter = Counter()
        self.refused: Counter = Counter()
        self.violations: list[Violation] = []
        self._seen: set[tuple[str, str]] = set()
        self.cycles: list[CycleResult] = []
        self.faults: Counter = Counter()
        self.started = 0.0
        self.errors: list[str] = []
        self.position = 0.0

    # ================================================================ setup / teardown
    async def setup(self) -> None:
        from app.broker.journal_tap import attach_journal
        from app.broker.session import Session
        from app.commands import OrderCommands
        from app.journal import Journal
        from tests.integration.sim_support import rth_start_time

        loop = asyncio.get_running_loop()
        start = rth_start_time() - 85 * 60        # 09:35 New York: the day ahead is regular hours
        self.gw = GatewayProcess(self.dir / "sim-state.sqlite", self.dir / "gateway.log",
                                 speed=self.cfg.speed, seed=self.cfg.seed, start_time=start)
        await loop.run_in_executor(None, self.gw.start)
        self.referee = Referee(self.gw.port, client_id=0)
        await loop.run_in_executor(None, self.referee.ensure)

        self.session = Session("127.0.0.1", self.gw.port, self.cfg.client_id, connect_timeout=4)
        self.journal = Journal(self.dir / "journal.sqlite", client_id=self.cfg.client_id)
        self._detach = attach_journal(self.journal, self.session)
        self.commands = OrderCommands(self.session, journal=self.journal)
        self.session.stateEvent += self._on_state
        self.session.quotesEvent += self._on_quotes
        await self.session.connect()
        for sym in self.cfg.symbols:
            inst = await self.session.resolve(sym)
            self.instruments.append(inst)
            self.session.subscribe_quotes(inst)
        for inst in self.instruments:
            await self._until(lambda i=inst: i.key in self.mid, 10, f"first quote of {inst.symbol}")
        self._start_supervision()

    def _start_supervision(self) -> None:
        sup_cls = None
        if self.cfg.supervisor:
            try:
                from app.broker.supervisor import ConnectionSupervisor as sup_cls  # noqa: N813
            except ImportError:
                sup_cls = None
        if sup_cls is not None:
            self.supervisor = sup_cls(self.session, first_delay=0.5, max_delay=30.0,
                                      heartbeat_interval=5.0, heartbeat_timeout=4.0)
            self.supervisor.start()
        else:  # the plain retry loop used before app.broker.supervisor existed (--no-supervisor)
            self._retry_task = asyncio.ensure_future(self._retry_loop())

    async def _retry_loop(self) -> None:
        from app.domain import ConnectionState

        while True:
            await asyncio.sleep(0.25)
            if not self.session.is_connected and self.session.state is not ConnectionState.CONNECTING:
                try:
                    await self.session.connect()
                except ConnectionError:
                    pass

    async def teardown(self) -> None:
        loop = asyncio.get_running_loop()
        if self.supervisor is not None:
            for name in ("close", "stop"):
                fn = getattr(self.supervisor, name, None)
                if fn is not None:
                    fn()
                    break
        if self._retry_task is not None:
            self._retry_task.cancel()
        if self.session is not None:
            self.session.disconnect()
        if self.referee is not None:
            await loop.run_in_executor(None, self.referee.close)
        if self.gw is not None:
            await loop.run_in_executor(None, self.gw.stop)
        if self.journal is not None:
            self._detach()
            self.journal.close()

    # ================================================================ terminal events
    def _on_state(self, state, message: str = "") -> None:
        self.states.append((_mono(), getattr(state, "value", str(state)), message))

    def _on_quotes(self, quotes) -> None:
        now = _mono()
        for q in quotes:
            key = getattr(q, "key", None) or getattr(getattr(q, "instrument", None), "key", None)
            if key is None:
                continue
            self.last_quote_t[key] = now
            if q.bid and q.ask and q.bid > 0 and q.ask > 0:
                self.mid[key] = (q.bid + q.ask) / 2

    # ================================================================ helpers
    @staticmethod
    async def _until(pred, timeout: float, what: str = "") -> bool:
        end = _mono() + timeout
        while _mono() < end:
            if pred():
                return True
            await asyncio.sleep(0.02)
        return bool(pred())

    def _price(self, inst, factor: float) -> float:
        from app.domain import round_to_tick

        return round_to_tick(self.mid[inst.key] * factor, inst.min_tick or 0.01)

    @staticmethod
    def _tick(inst, price: float) -> float:
        from app.domain import round_to_tick

        return round_to_tick(price, inst.min_tick or 0.01)

    def _execute(self, cmd, phase: str, cycle: int):
        res = self.commands.execute(cmd)
        name = type(cmd).__name__
        oid = getattr(cmd, "order_id", None)
        if res.ok and res.order is not None:
            oid = res.order.order_id
        self.executed.append({"cycle": cycle, "phase": phase, "command": name, "ok": res.ok,
                              "order_id": oid, "rule": res.rule, "message": res.message,
                              "connected": self.session.is_connected})
        if res.ok:
            self.counts[{"PlaceOrder": "placed", "ModifyOrder": "modified",
                         "CancelOrder": "cancelled"}.get(name, name)] += 1
            if name == "PlaceOrder":
                self.placed[oid] = {"cycle": cycle, "phase": phase}
        else:
            self.refused[f"{name}:{res.rule or 'failed'}"] += 1
        return res

    def _own_working(self) -> list:
        """This client's acknowledged resting LMT orders with no modify/cancel in flight."""
        from app.domain import OrderType

        cid = self.session.client_id
        return [r for r in self.session.orders()
                if r.client_id == cid and r.is_working and r.perm_id and r.limit_price
                and r.order_type is OrderType.LMT and r.status.value in ("Submitted", "PreSubmitted")
                and self.session.pending_action(r.order_id) is None]

    def _free(self, recs) -> list:
        """Records the command layer lets us modify / cancel now."""
        from app.commands import CancelOrder, CommandRejected

        out = []
        for r in recs:
            try:
                self.commands.check(CancelOrder(r.order_id))
            except CommandRejected:
                continue
            out.append(r)
        return out

    def _violate(self, cycle: int, fault: str, p: Problem, at: float | None) -> None:
        key = (p.check, p.key)
        v = Violation(cycle, fault, p.check, p.key, p.detail, None if at is None else round(at, 3),
                      repeated=key in self._seen)
        self._seen.add(key)
        self.violations.append(v)
        log.warning("cycle %d %s: VIOLATION %s %s: %s", cycle, fault, p.check, p.key, p.detail)

    async def _snapshot(self, timeout: float = 10.0) -> Snapshot:
        """A referee snapshot, reconnecting the referee as needed."""
        loop = asyncio.get_running_loop()
        end = _mono() + timeout
        last: Exception | None = None
        while _mono() < end:
            try:
                await loop.run_in_executor(None, self.referee.ensure, max(0.5, end - _mono()))
                return await loop.run_in_executor(None, self.referee.snapshot)
            except (RefereeError, TimeoutError, OSError) as e:
                last = e
                await loop.run_in_executor(None, self.referee.close)
                await asyncio.sleep(0.05)
        raise RefereeError(f"no referee snapshot within {timeout} s: {last}")

    # ================================================================ the cycle
    async def trade(self, cycle: int) -> None:
        """Place two resting LMT orders, modify one, cancel surplus ones, one MKT fill."""
        from app.commands import CancelOrder, ModifyOrder, PlaceOrder
        from app.domain import Action, OrderRequest, OrderType, TimeInForce

        inst = self.instruments[cycle % len(self.instruments)]
        new = []
        for action, factor in ((Action.BUY, 0.80 - 0.05 * self.rng.random()),
                               (Action.SELL, 1.20 + 0.05 * self.rng.random())):
            req = OrderRequest(inst, action, self.rng.randint(1, 20), OrderType.LMT,
                               limit_price=self._price(inst, factor), tif=TimeInForce.GTC)
            res = self._execute(PlaceOrder(req), "trade", cycle)
            if res.ok:
                new.append(res.order.order_id)
        await self._until(lambda: all(self.session.order(o).perm_id for o in new), 5, "acks")
        # modify one working order (price, sometimes quantity)
        free = self._free(self._own_working())
        if free:
            r = self.rng.choice(free)
            factor = 0.99 + 0.02 * self.rng.random()
            qty = r.quantity + 1 if self.rng.random() < 0.5 else None
            px = self._tick(r.instrument, r.limit_price * factor)
            res = self._execute(ModifyOrder(r.order_id, quantity=qty, limit_price=px), "trade", cycle)
            if res.ok:
                await self._until(lambda: self.session.pending_action(r.order_id) is None, 5, "modify")
        # keep at most 6 working orders: cancel the oldest
        free = sorted(self._free(self._own_working()), key=lambda r: r.order_id)
        cancelled = []
        for r in free[:max(0, len(free) - 6)]:
            if self._execute(CancelOrder(r.order_id), "trade", cycle).ok:
                cancelled.append(r.order_id)
        await self._until(lambda: all(not self.session.order(o).is_working for o in cancelled), 5, "cancels")
        # one MKT fill, keeping the position between -20 and +20
        qty = self.rng.randint(1, 5)
        side = Action.BUY if (self.position + qty <= 20 and (self.position < -10 or self.rng.random() < 0.5)) \
            else Action.SELL
        res = self._execute(PlaceOrder(OrderRequest(inst, side, qty, OrderType.MKT)), "trade", cycle)
        if res.ok:
            oid = res.order.order_id
            if await self._until(lambda: self.session.order(oid).status.value == "Filled", 5, "fill"):
                self.position += qty if side is Action.BUY else -qty

    async def in_flight(self, cycle: int, fault: str) -> None:
        """With a response delay: a modify, a cancel and a new order (and, for
        ``global_cancel``, the referee's reqGlobalCancel) just before the fault."""
        from app.commands import CancelOrder, ModifyOrder, PlaceOrder
        from app.domain import Action, OrderRequest, OrderType, TimeInForce

        free = self._free(self._own_working())
        self.rng.shuffle(free)
        self.gw.admin(f"delay {self.cfg.delay:g}")
        if free:
            r = free.pop()
            self._execute(ModifyOrder(r.order_id, limit_price=self._tick(r.instrument, r.limit_price * 0.995)),
                          "in-flight", cycle)
        if free:
            self._execute(CancelOrder(free.pop().order_id), "in-flight", cycle)
        inst = self.instruments[(cycle + 1) % len(self.instruments)]
        req = OrderRequest(inst, Action.BUY, self.rng.randint(1, 20), OrderType.LMT,
                           limit_price=self._price(inst, 0.75), tif=TimeInForce.GTC)
        self._execute(PlaceOrder(req), "in-flight", cycle)
        if fault == "global_cancel":
            await asyncio.get_running_loop().run_in_executor(None, self.referee.global_cancel)
        await asyncio.sleep(0.3)   # the gateway has processed everything; answers still delayed

    def _dead_socket_order(self, cycle: int) -> None:
        """An order sent after the gateway closed the socket and before the terminal read the
        close: it never reaches the gateway."""
        from app.commands import PlaceOrder
        from app.domain import Action, OrderRequest, OrderType, TimeInForce

        inst = self.instruments[0]
        req = OrderRequest(inst, Action.BUY, self.rng.randint(1, 20), OrderType.LMT,
                           limit_price=self._price(inst, 0.7), tif=TimeInForce.GTC)
        res = self._execute(PlaceOrder(req), "dead-socket", cycle)
        if res.ok:
            self.counts["dead_socket"] += 1

    async def _while_away(self, cycle: int, fault: str) -> None:
        """A new order while the terminal knows it is disconnected: must be refused."""
        from app.commands import PlaceOrder
        from app.domain import Action, OrderRequest, OrderType, TimeInForce

        if not await self._until(lambda: not self.session.is_connected, 1.0):
            return
        inst = self.instruments[0]
        req = OrderRequest(inst, Action.BUY, 1, OrderType.LMT, limit_price=self._price(inst, 0.7),
                           tif=TimeInForce.GTC)
        res = self._execute(PlaceOrder(req), "while-away", cycle)
        if res.ok and not self.session.is_connected:
            self._violate(cycle, fault, Problem(
                "accepted_while_disconnected", f"order {res.order.order_id}",
                f"PlaceOrder accepted while disconnected: {res.message}"), None)

    async def inject(self, cycle: int, fault: str) -> float:
        """Carry out ``fault``; returns the monotonic time the gateway accepts again."""
        loop = asyncio.get_running_loop()
        if fault == "drop":
            self.gw.admin("drop")
            self._dead_socket_order(cycle)
            accept = _mono()
            self.gw.admin("delay 0")
        elif fault in ("conn_1102", "conn_1101"):
            self.gw.admin("connectivity lost")
            await asyncio.sleep(1.0)
            self.gw.admin("connectivity " + ("restored" if fault == "conn_1102" else "restored-data-lost"))
            accept = _mono()
            self.gw.admin("delay 0")
        elif fault == "restart":
            self.gw.admin("restart")
            accept = _mono()
            self.gw.admin("delay 0")
        elif fault == "kill9":
            self.gw.read_clock()
            self.gw.kill9()
            self._dead_socket_order(cycle)
            accept = await loop.run_in_executor(None, self.gw.start)
        elif fault == "global_cancel":
            pause = 1.5
            self.gw.admin(f"pause-accept {pause:g}")
            t = _mono()
            self.gw.admin("drop")
            self.gw.admin("delay 0")
            accept = t + pause
        else:
            raise ValueError(f"unknown fault {fault!r}")
        if fault in SOCKET_FAULTS:
            await loop.run_in_executor(None, self.referee.close)
            if fault != "drop":
                await self._while_away(cycle, fault)
        return accept

    async def settle(self, cycle: int, fault: str, accept: float, fault_t: float,
                     before: Snapshot) -> CycleResult:
        """Reconnect time, then consistency within the window; violations recorded."""
        res = CycleResult(cycle, fault, accept_t=accept)
        cfg = self.cfg
        if fault in SOCKET_FAULTS:
            ok = await self._until(lambda: self._connected_since(fault_t) is not None,
                                   max(0.0, accept - _mono()) + cfg.max_reconnect_wait)
            t = self._connected_since(fault_t)
            res.connect_attempts = sum(1 for (ts, s, _m) in self.states
                                       if ts > fault_t and s.lower() == "connecting")
            if not ok or t is None:
                self._violate(cycle, fault, Problem(
                    "no_reconnect", "session",
                    f"not connected {cfg.max_reconnect_wait:g} s after the gateway accepted again; "
                    f"states since the fault: {self._states_since(fault_t)}"), None)
                await self._force_reconnect()
            else:
                res.reconnect_s = max(0.0, t - accept)
                starts = [ts for ts, s, _m in self.states if fault_t < ts <= t and s.lower() == "connecting"]
                res.connect_s = round(t - starts[-1], 3) if starts else None
                if res.reconnect_s > cfg.reconnect_target:
                    self._violate(cycle, fault, Problem(
                        "slow_reconnect", "session",
                        f"connected {res.reconnect_s:.2f} s after the gateway accepted again "
                        f"(target {cfg.reconnect_target:g} s; {res.connect_attempts} attempts; "
                        f"states {self._states_since(fault_t)})"), res.reconnect_s)
        deadline = accept + cfg.window
        problems: list[Problem] = []
        at_window: list[Problem] | None = None
        while True:
            try:
                snap = await self._snapshot(timeout=max(3.0, deadline + cfg.grace - _mono()))
            except RefereeError as e:
                self.errors.append(f"cycle {cycle}: {e}")
                snap = None
            now = _mono()
            if snap is not None:
                problems = self._terminal_problems(snap, accept)
                if not problems:
                    res.consistent_s = max(0.0, now - accept)
                    res.consistent_in_window = now <= deadline
                    break
            if now > deadline and at_window is None:
                at_window = problems
            if now > deadline + cfg.grace:
                break
            await asyncio.sleep(cfg.poll)
        if not res.consistent_in_window:
            reported = at_window if at_window is not None else problems
            res.problems_at_window = len(reported)
            still = {(p.check, p.key) for p in problems}
            for p in reported:
                late = "" if (p.check, p.key) in still else \
                    f" [resolved {res.consistent_s or (now - accept):.2f} s after accept]"
                self._violate(cycle, fault, Problem(p.check, p.key, p.detail + late), cfg.window)
            if snap is None and not reported:
                self._violate(cycle, fault, Problem("referee_unavailable", "referee",
                                                    "no gateway snapshot in the window"), None)
        # once per cycle: nothing sent twice, every command journaled, gateway durability
        if snap is not None:
            for p in checks.sent_twice(snap, self.referee.keys, set(self.placed), self.session.client_id):
                self._violate(cycle, fault, p, None)
            for p in checks.perm_reuse(self.referee.keys):
                if (p.check, p.key) not in self._seen:
                    self._violate(cycle, fault, p, None)
            if fault in ("restart", "kill9"):
                for p in checks.durability(before, snap):
                    self._violate(cycle, fault, p, None)
        for p in await self._journal_problems():
            self._violate(cycle, fault, p, None)
        return res

    def _terminal_problems(self, snap: Snapshot, accept: float) -> list[Problem]:
        out = []
        if not self.session.is_connected:
            out.append(Problem("not_connected", "session",
                               f"terminal state {self.session.state.value}"))
        out += checks.terminal_vs_gateway(self.session, self.commands, snap)
        for inst in self.instruments:
            if self.last_quote_t.get(inst.key, 0.0) < accept:
                out.append(Problem("quotes_stopped", inst.symbol,
                                   f"no quote for {inst.symbol} since the gateway accepted again "
                                   f"(data_stale={getattr(self.session, 'data_stale', '?')})"))
        return out

    async def _journal_problems(self) -> list[Problem]:
        """Every command the harness executed is in the journal (intent, and the API call of
        each accepted one); no new order's placeOrder journaled twice."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.journal.flush)
        try:
            intents = self.journal.events(kind="intent", limit=100_000)
            api = self.journal.events(kind="api", limit=100_000)
        except Exception as e:  # noqa: BLE001 - a journal that cannot be read is a finding
            return [Problem("journal_unreadable", "journal", repr(e))]
        out = []
        cid = self.session.client_id
        n_intent = sum(1 for e in intents if e.client_id in (cid, None))
        if n_intent < len(self.executed):
            out.append(Problem("journal_missing_command", "intents",
                               f"{len(self.executed)} commands executed, {n_intent} intents journaled"))
        calls: Counter = Counter()
        new_orders: Counter = Counter()
        for e in api:
            call = e.details.get("call")
            calls[(call, e.order_id)] += 1
            if call == "placeOrder" and not str(e.text or "").startswith("modify"):
                new_orders[e.order_id] += 1
        for x in self.executed:
            if not x["ok"]:
                continue
            call = "cancelOrder" if x["command"] == "CancelOrder" else "placeOrder"
            if calls[(call, x["order_id"])] == 0:
                out.append(Problem("journal_missing_command", f"order {x['order_id']}",
                                   f"{x['command']} of cycle {x['cycle']} ({x['phase']}) has no "
                                   f"journaled {call}"))
        for oid, n in new_orders.items():
            if n > 1:
                out.append(Problem("sent_twice", f"order {oid}", f"{n} placeOrder calls journaled"))
        return out

    def _connected_since(self, t0: float) -> float | None:
        for ts, s, _m in self.states:
            if ts > t0 and s.lower() == "connected":
                return ts
        return None

    def _states_since(self, t0: float) -> str:
        out = [f"{s}@{ts - t0:.2f}" for ts, s, _m in self.states if ts > t0]
        return ", ".join(out[:12]) + (" ..." if len(out) > 12 else "")

    async def _force_reconnect(self) -> None:
        if self.supervisor is not None and hasattr(self.supervisor, "reconnect_now"):
            self.supervisor.reconnect_now()
            if await self._until(lambda: self.session.is_connected, 10):
                return
        try:
            await self.session.connect()
        except ConnectionError as e:
            self.errors.append(f"forced reconnect failed: {e}")

    async def cycle(self, i: int, fault: str) -> CycleResult:
        if not self.session.is_connected:
            await self._until(lambda: self.session.is_connected, 10)
            if not self.session.is_connected:
                await self._force_reconnect()
        await self.trade(i)
        await asyncio.sleep(0.2)
        before = await self._snapshot()
        await self.in_flight(i, fault)
        fault_t = _mono()
        accept = await self.inject(i, fault)
        self.faults[fault] += 1
        res = await self.settle(i, fault, accept, fault_t, before)
        log.info("cycle %d %-13s reconnect %s consistent %s%s", i, fault,
                 "-" if res.reconnect_s is None else f"{res.reconnect_s:.2f}s",
                 "-" if res.consistent_s is None else f"{res.consistent_s:.2f}s",
                 "" if res.consistent_in_window else f" INCONSISTENT ({res.problems_at_window})")
        return res

    def schedule(self):
        """Fault kinds in rounds, each round every kind once in a seeded order."""
        i = 0
        while True:
            kinds = list(self.cfg.kinds)
            self.rng.shuffle(kinds)
            for k in kinds:
                yield i, k
                i += 1

    async def run(self) -> dict:
        self.started = _mono()
        try:
            await self.setup()
            cfg = self.cfg
            end = None if cfg.minutes is None else self.started + cfg.minutes * 60
            cap = None if cfg.max_minutes is None else self.started + cfg.max_minutes * 60
            for i, fault in self.schedule():
                if cfg.cycles is not None and i >= cfg.cycles:
                    break
                if cap is not None and _mono() >= cap:
                    break
                if end is not None and _mono() >= end and i >= cfg.min_cycles \
                        and i % len(cfg.kinds) == 0:
                    break
                self.cycles.append(await self.cycle(i, fault))
        except Exception as e:  # noqa: BLE001 - the summary says what stopped the run
            log.exception("soak run aborted")
            self.errors.append(f"aborted: {type(e).__name__}: {e}")
        finally:
            try:
                await self.teardown()
            except Exception as e:  # noqa: BLE001
                self.errors.append(f"teardown: {type(e).__name__}: {e}")
        return self.summary()

    # ================================================================ summary
    def _final_statuses(self) -> dict:
        """This client's orders in the terminal at the end, by status (and by phase for the
        orders sent into a dead socket)."""
        if self.session is None:
            return {}
        cid = self.session.client_id
        out = Counter(getattr(r.status, "value", str(r.status)) for r in self.session.orders()
                      if r.client_id == cid)
        dead = Counter(getattr(self.session.order(oid).status, "value", "?")
                       for oid, info in self.placed.items()
                       if info["phase"] == "dead-socket" and self.session.order(oid) is not None)
        return {"all": dict(out.most_common()), "dead_socket_orders": dict(dead)}

    def summary(self) -> dict:
        def stats(xs: list[float]) -> dict:
            if not xs:
                return {"n": 0, "p50": None, "max": None}
            return {"n": len(xs), "p50": round(statistics.median(xs), 3), "max": round(max(xs), 3)}

        recon = [c.reconnect_s for c in self.cycles if c.reconnect_s is not None]
        connect = [c.connect_s for c in self.cycles if c.connect_s is not None]
        third = max(1, len(connect) // 3)
        cons = [c.consistent_s for c in self.cycles if c.consistent_s is not None]
        by_check = Counter(v.check for v in self.violations)
        new = [v for v in self.violations if not v.repeated]
        dup_checks = ("duplicate_perm_id", "duplicate_order_id", "sent_twice", "perm_id_reused")
        n = len(self.cycles)
        ok = sum(1 for c in self.cycles if c.consistent_in_window)
        return {
            "cycles": n,
            "wall_s": round(_mono() - self.started, 1),
            "seed": self.cfg.seed,
            "speed": self.cfg.speed,
            "supervisor": self.supervisor is not None,
            "faults": dict(sorted(self.faults.items())),
            "consistent_within_window": ok,
            "consistent_pct": round(100.0 * ok / n, 1) if n else 0.0,
            "window_s": self.cfg.window,
            "reconnect_s": {**stats(recon), "target": self.cfg.reconnect_target,
                            "over_target": sum(1 for x in recon if x > self.cfg.reconnect_target)},
            "connect_s": {**stats(connect), "first_third": stats(connect[:third]),
                          "last_third": stats(connect[-third:])},
            "consistency_s": stats(cons),
            "violations": len(self.violations),
            "violations_distinct": len(new),
            "violations_by_check": dict(by_check.most_common()),
            "violations_by_fault": dict(Counter(v.fault for v in self.violations).most_common()),
            "duplicates": sum(1 for v in new if v.check in dup_checks),
            "orders": {"placed": self.counts["placed"], "modified": self.counts["modified"],
                       "cancelled": self.counts["cancelled"],
                       "dead_socket": self.counts["dead_socket"],
                       "refused": dict(self.refused.most_common())},
            "terminal_order_statuses": self._final_statuses(),
            "gateway": {"starts": self.gw.starts if self.gw else 0,
                        "referee_connects": self.referee.connects if self.referee else 0},
            "cycles_detail": [{k: v for k, v in asdict(c).items() if k != "accept_t"}
                              for c in self.cycles],
            "violation_details": [asdict(v) for v in new[:200]],
            "errors": self.errors,
            "workdir": str(self.dir) if self.tmp is None else None,
        }


def run_soak(cfg: SoakConfig) -> dict:
    """Run a soak in a new event loop; returns the summary."""
    return asyncio.run(SoakRun(cfg).run())


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m tests.soak",
                                description="ibdesk soak run: a trading day with scripted faults "
                                            "against the simulated gateway; prints a JSON summary.")
    p.add_argument("--minutes", type=float, default=10.0, help="wall minutes to run (default 10)")
    p.add_argument("--cycles", type=int, default=None, help="stop after this many fault cycles")
    p.add_argument("--seed", type=int, default=1, help="order/fault schedule and market seed")
    p.add_argument("--speed", type=float, default=30.0,
                   help="simulated clock speed (default 30: 10 wall minutes = 5 trading hours)")
    p.add_argument("--window", type=float, default=5.0, help="consistency window, s (default 5)")
    p.add_argument("--kinds", default=",".join(KINDS), help=f"fault kinds (default {','.join(KINDS)})")
    p.add_argument("--no-supervisor", action="store_true",
                   help="reconnect with the harness's plain retry loop instead of ConnectionSupervisor")
    p.add_argument("--workdir", default=None, help="keep state, journal and gateway log here")
    p.add_argument("--details", action="store_true", help="include per-cycle figures in the JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="one log line per cycle on stderr")
    a = p.parse_args(argv)
    kinds = tuple(k.strip() for k in a.kinds.split(",") if k.strip())
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        p.error(f"unknown fault kinds {bad}; choose from {', '.join(KINDS)}")
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("soak").setLevel(logging.INFO if a.verbose else logging.ERROR)
    cfg = SoakConfig(minutes=a.minutes or None, cycles=a.cycles,
                     seed=a.seed, speed=a.speed, window=a.window, kinds=kinds,
                     supervisor=not a.no_supervisor, workdir=a.workdir)
    summary = run_soak(cfg)
    if not a.details:
        summary.pop("cycles_detail", None)
    print(json.dumps(summary, indent=2, default=str))
    return 0 if summary["violations"] == 0 and not summary["errors"] else 1


__all__ = ["SoakConfig", "SoakRun", "run_soak", "main", "KINDS"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
