"""The live runner: one :class:`~app.strategy.base.Strategy` on one instrument and bar size on
the current connection (the simulated gateway, a paper or a live account).

:class:`StrategyRunner` is the strategy's :class:`~app.strategy.base.StrategyContext`. It never
talks to ib_async and never sends an order itself:

- **Bars**: ``session.history(instrument, bar_size, keep_up_to_date=True)`` (IB
  reqHistoricalData keepUpToDate) and the session's ``barEvent(sub_id, bar, new_bar)``; a bar is
  passed to ``on_bar`` when it is *complete* (the next one started,
  :class:`app.strategy.completed_bars.BarCompleter`). The loaded history is fed first as the
  **warm-up** (at most ``warmup_bars`` bars): the strategy sees the bars and builds its
  indicators, but an order it asks for then is *ignored* (not sent; ``submit`` returns
  :data:`NOT_SENT` and logs "not sent (warm-up)"), so a strategy never trades on the past.
  ``warming_up`` tells it. After a reconnect (``stateEvent`` CONNECTED) the runner subscribes
  again and feeds the bars completed meanwhile the same way (catch-up: no orders), then live.
- **Orders**: ``submit`` builds an ``app.domain.OrderRequest`` and runs
  ``commands.execute(PlaceOrder(req, source=...))``: pre-trade checks, the journal (every entry
  of the command carries ``source`` "strategy <name> <symbol> <bar size>"), read-only and the
  kill switch apply as to a click in the ticket. A soft limit is not overridden (no one to ask):
  it refuses like a hard one. A refusal raises ``StrategyError`` with the command layer's reason
  and becomes :attr:`last_error`. Cancels go through ``CancelOrder``.
- **Own orders and fills**: only the orderIds this runner placed (of this client id) are
  followed: ``orderEvent`` -> ``on_order(OrderUpdate)``, ``executionEvent`` -> ``on_fill(Fill)``
  (once per IB execId; the commission report that follows only adds the commission). The
  position is the strategy's own (:class:`app.strategy.ledger.Ledger`: from its fills, not the
  account's), with realized P&L (average-cost method, net of commissions) and unrealized P&L
  marked at the last price (the instrument's last trade or mid from its quotes, else the
  forming bar's close). Quotes also go to ``on_tick``.
- **Stopping**: :meth:`stop` (the trader), the kill switch (``OrderCommands.haltedEvent``: the
  strategy stops at once, state "halted"; the kill switch's own cancels are the only ones),
  or an exception of the strategy (state "error", :attr:`last_error` is the traceback's last
  line; the app never crashes). A ``StrategyError`` the strategy does not catch (a refused
  order) is recorded as the error and the runner goes on.

Units: quantities in shares (FX: base units); prices and P&L in the instrument's currency (USD
for US stocks); commissions in the account currency as IB reports them. Times are UTC.
"""

from __future__ import annotations

import asyncio
import logging
import math
import traceback
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Callable

import pandas as pd
from PySide6.QtCore import QObject, Signal

from app.commands import CancelOrder, PlaceOrder
from app.domain import Action, OrderRequest, OrderType, TimeInForce
from app.domain.bars import BAR_SIZES, Bar, keeps_up_to_date
from app.domain.connection import ConnectionState
from app.domain.instruments import Instrument
from app.strategy.roundtrips import RoundTrips
from app.strategy.base import Fill, OrderUpdate, Strategy, StrategyError
from app.strategy.completed_bars import BarCompleter, frame_bars
from app.strategy.ledger import Ledger
from app.strategy.runner_context import RunnerContext

log = logging.getLogger("ibdesk.strategy")

#: what :meth:`StrategyRunner.submit` returns for an order ignored during the warm-up
NOT_SENT = -1
#: default number of history bars fed as the warm-up (the most recent ones)
WARMUP_BARS = 1000
#: IB refuses an identical historical request within 15 s (error 162 "pacing violation"; IB API
#: docs, "Historical Data Limitations"): the runner waits this long (seconds) and asks again,
#: at most :data:`PACING_RETRIES` times (the chart often asked for the same bars just before)
PACING_WAIT_S = 16.0
PACING_RETRIES = 3
#: lines kept in a runner's log
LOG_LINES = 1000
#: history bars fed between two event-loop turns during the warm-up
_FEED_SLICE = 200


class RunnerState(str, Enum):
    """Where a runner is: "idle" (never started), "starting" (loading the history / warm-up),
    "running", "stopped", "halted" (by the kill switch), "error" (the strategy failed)."""

    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    STOPPED = "stopped"
    HALTED = "halted"
    ERROR = "error"


HALTED_TEXT = "Halted by the kill switch"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _last_line(exc: BaseException) -> str:
    """The last line of the exception's traceback ("ZeroDivisionError: division by zero")."""
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


class StrategyRunner(QObject):
    """Runs ``strategy`` on ``instrument`` at ``bar_size`` through ``session`` (the Session
    contract: ``history``, ``cancel_history``, ``barEvent``, ``stateEvent``, ``orderEvent``,
    ``executionEvent``, ``order``, ``client_id``) and ``commands`` (``app.commands.OrderCommands``).

    ``bar_size`` must be one IB keeps up to date (5 secs or more; else ``ValueError``).
    ``warmup_bars``: most recent history bars fed before going live. ``ticks``: while running,
    subscribe the instrument's quotes (``subscribe_quotes``, ``quotesEvent``): each quote goes to
    ``on_tick`` and marks the position (last trade, else the mid). ``clock`` returns the UTC
    time (log lines, :meth:`now`).

    Signals: ``stateChanged(str)`` (a :class:`RunnerState` value), ``changed()`` (any status
    value: position, P&L, working orders, last signal, last error), ``logAdded(object, str)``
    (UTC datetime, text), ``errorChanged(str)``.
    """

    stateChanged = Signal(str)
    changed = Signal()
    logAdded = Signal(object, str)
    errorChanged = Signal(str)

    def __init__(self, strategy: Strategy, instrument: Instrument, bar_size: str, session: Any,
                 commands: Any, parent: QObject | None = None, *, warmup_bars: int = WARMUP_BARS,
                 ticks: bool = True, clock: Callable[[], datetime] = _utcnow,
                 pacing_wait: float = PACING_WAIT_S):
        super().__init__(parent)
        if not isinstance(strategy, Strategy):
            raise TypeError(f"expected a Strategy, got {type(strategy).__name__}")
        if not isinstance(instrument, Instrument):
            raise TypeError(f"expected an Instrument, got {type(instrument).__name__}")
        if bar_size not in BAR_SIZES:
            raise ValueError(f"unsupported bar size {bar_size!r}: use one of {', '.join(BAR_SIZES)}")
        if not keeps_up_to_date(bar_size):
            raise ValueError(f"a strategy cannot run live on {bar_size} bars: IB keeps only bars of "
                             "5 secs and longer up to date")
        self.strategy = strategy
        self.instrument = instrument
        self.bar_size = bar_size
        self.session = session
        self.commands = commands
        self.warmup_bars = max(0, int(warmup_bars))
        self.pacing_wait = float(pacing_wait)
        self._clock = clock
        self._state = RunnerState.IDLE
        self._status = ""
        self._warming = False
        self._completer = BarCompleter()
        self._sub_id: int | None = None
        self._generation = 0
        self._task: asyncio.Future | None = None
        self._last_fed: datetime | None = None
        self._queue: list[Bar] = []            # bars completed while the history loads
        self._order_ids: list[int] = []
        self._records: dict[int, Any] = {}     # orderId -> last OrderRecord seen
        self.fills: list[Fill] = []
        self.ledger = Ledger(instrument.multiplier)
        #: the forward test: round trips of its fills, and (UTC bar time, P&L) at each live bar
        self.trips = RoundTrips(instrument.multiplier)
        self.equity_points: list[tuple[datetime, float]] = []
        self._forward_cache: tuple | None = None   # (equity points, trades, cash) -> metrics
        self._last_price: float | None = None
        self._last_signal = ""
        self._last_error = ""
        self._log: list[tuple[datetime, str]] = []
        self._listening = False
        self._ticks = bool(ticks)
        self._quotes_on = False
        self._stopping = False  # on_stop runs after the trader's Stop (it may send orders)
        self.source = f"strategy {strategy.name or type(strategy).__name__} " \
                      f"{instrument.display_symbol} {bar_size}"

    # ---- status -----------------------------------------------------------------
    @property
    def state(self) -> RunnerState:
        return self._state

    @property
    def running(self) -> bool:
        """True while starting or running (the strategy may act)."""
        return self._state in (RunnerState.STARTING, RunnerState.RUNNING)

    @property
    def status_text(self) -> str:
        """The state in words for the status row: "Running", "Warming up (120 bars)",
        "Stopped by the trader", "Halted by the kill switch", "Error: ZeroDivisionError: ..."."""
        return self._status or self._state.value.capitalize()

    @property
    def warming_up(self) -> bool:
        """True while history (warm-up or catch-up after a reconnect) is fed: orders are not sent."""
        return self._warming

    @property
    def position(self) -> float:
        """The strategy's own net position in shares (from its fills; long > 0, short < 0)."""
        return self.ledger.position

    @property
    def avg_price(self) -> float:
        """Average cost of the open position (instrument currency), 0 when flat."""
        return self.ledger.avg_price

    @property
    def realized_pnl(self) -> float:
        """Realized P&L of the strategy's closed shares, net of its commissions."""
        return self.ledger.realized_pnl

    @property
    def commissions(self) -> float:
        return self.ledger.commissions

    @property
    def unrealized_pnl(self) -> float:
        """(last price - average cost) x position; 0 without a last price or when flat."""
        return self.ledger.unrealized_pnl(self._last_price)

    @property
    def last_price(self) -> float | None:
        """The last price seen (instrument currency): the last quote's trade (else mid) or the
        forming bar's close, whichever came last; None before any."""
        return self._last_price

    @property
    def order_ids(self) -> list[int]:
        """The orderIds this runner placed, oldest first."""
        return list(self._order_ids)

    @property
    def working_orders(self) -> int:
        """How many of the runner's orders are still working."""
        n = 0
        for oid in self._order_ids:
            rec = self.session.order(oid) or self._records.get(oid)
            n += bool(rec is not None and rec.is_working)
        return n

    @property
    def last_signal(self) -> str:
        """The last order the strategy sent, in words ("BUY 100 AAPL MKT DAY"), "" before any."""
        return self._last_signal

    @property
    def last_error(self) -> str:
        return self._last_error

    @property
    def log_lines(self) -> list[tuple[datetime, str]]:
        """The runner's log: (UTC time, text), oldest first (at most :data:`LOG_LINES`)."""
        return list(self._log)

    # ---- StrategyContext ----------------------------------------------------------
    def now(self) -> datetime:
        return self._clock()

    def log(self, text: str) -> None:
        """Record a line in the runner's log (``logAdded``)."""
        t = self._clock()
        self._log.append((t, str(text)))
        del self._log[:-LOG_LINES]
        log.info("%s: %s", self.source, text)
        self.logAdded.emit(t, str(text))

    def submit(self, action: Action, quantity: float, order_type: OrderType, *,
               limit_price: float | None = None, stop_price: float | None = None,
               tif: TimeInForce = TimeInForce.DAY) -> int:
        """Send one order through ``PlaceOrder``; returns its orderId, or :data:`NOT_SENT`
        during the warm-up. Raises ``StrategyError`` with the command layer's reason when it
        refuses (risk limit, read-only, kill switch, not connected) or the runner is not
        running."""
        try:
            req = OrderRequest(self.instrument, Action(action), float(quantity), OrderType(order_type),
                               limit_price, stop_price, TimeInForce(tif))
        except (TypeError, ValueError) as e:
            raise self._refused(f"Order not valid: {e}") from None
        if not (self.running or self._stopping):
            raise self._refused(f"Not sent (the strategy is {self._state.value}): {req.describe()}")
        if self._warming:
            self.log(f"Not sent (warm-up on history bars): {req.describe()}")
            return NOT_SENT
        result = self.commands.execute(PlaceOrder(req, source=self.source))
        if not result.ok:
            err = self._refused(result.message)
            if result.rule == "halted":
                self._halt()
            raise err
        rec = result.order
        self._order_ids.append(rec.order_id)
        self._records[rec.order_id] = rec
        self._last_signal = req.describe()
        self.log(f"Sent order {rec.order_id}: {self._last_signal}")
        self.changed.emit()
        return rec.order_id

    def cancel_all(self) -> None:
        """Cancel every working order of the runner through ``CancelOrder``; raises
        ``StrategyError`` naming the refusals, after trying them all."""
        problems = []
        for oid in self._order_ids:
            rec = self.session.order(oid) or self._records.get(oid)
            if rec is None or not rec.is_working:
                continue
            result = self.commands.execute(CancelOrder(oid, source=self.source))
            if result.ok:
                self.log(f"Cancel sent for order {oid}")
            else:
                problems.append(result.message)
        if problems:
            raise self._refused("; ".join(problems))

    def cancel(self, order_id: int) -> None:
        """Cancel one of the runner's own working orders through ``CancelOrder`` (an id it did
        not place, :data:`NOT_SENT`, or an order no longer working: nothing to do). Raises
        ``StrategyError`` with the command layer's reason when refused."""
        if order_id not in self._order_ids:
            return
        rec = self.session.order(order_id) or self._records.get(order_id)
        if rec is None or not rec.is_working:
            return
        result = self.commands.execute(CancelOrder(order_id, source=self.source))
        if not result.ok:
            raise self._refused(result.message)
        self.log(f"Cancel sent for order {order_id}")

    def _refused(self, reason: str) -> StrategyError:
        self._set_error(reason)
        self.log(f"Refused: {reason}")
        return StrategyError(reason)

    # ---- life cycle -----------------------------------------------------------------
    async def start(self) -> None:
        """Subscribe, warm the strategy up on the history, then run it live. Returns when
        live (or stopped/failed: see :attr:`state`, :attr:`last_error`). Refused while halted
        by the kill switch (state "halted"). Never raises for a broker or strategy failure."""
        if self.running:
            return
        if getattr(self.commands, "halted", False):
            self._set_error("Trading is halted by the kill switch (resume trading first)")
            self._set_state(RunnerState.HALTED, HALTED_TEXT)
            return
        self._listen(True)
        self._set_error("")
        self._set_state(RunnerState.STARTING, "Loading history")
        self.strategy.bind(RunnerContext(self))
        self.log(f"Starting {self.strategy.name} {self.strategy.p} on "
                 f"{self.instrument.display_symbol} {self.bar_size}")
        if not self._call("on_start"):
            return
        self._subscribe_quotes(True)
        await self._subscribe(first=True)

    def stop(self, reason: str = "Stopped by the trader", *, cancel_orders: bool = False) -> None:
        """Stop the strategy (``on_stop``) and the bar subscription; with ``cancel_orders`` its
        working orders are cancelled first (through the command layer). Fills of orders still
        working keep updating the position."""
        if not self.running:
            return
        if cancel_orders:
            try:
                self.cancel_all()
            except StrategyError:
                pass  # recorded as the last error
        self._end(RunnerState.STOPPED, reason)

    def shutdown(self) -> None:
        """Stop and stop listening to the session and commands (the runner is being removed)."""
        self.stop("Closed")
        self._listen(False)

    def spec(self) -> dict:
        """What the profile keeps to offer this runner again: ``{"strategy": name, "params":
        {...}, "instrument": Instrument.to_dict(), "bar_size": ...}`` (JSON-ready)."""
        return {"strategy": self.strategy.name, "params": dict(self.strategy.p),
                "instrument": self.instrument.to_dict(), "bar_size": self.bar_size}

    # ---- internals -------------------------------------------------------------------
    def _listen(self, on: bool) -> None:
        if on == self._listening:
            return
        pairs = [(self.session.barEvent, self._on_bar), (self.session.stateEvent, self._on_state),
                 (self.session.quotesEvent, self._on_quotes),
                 (self.session.orderEvent, self._on_order),
                 (self.session.executionEvent, self._on_execution)]
        halted = getattr(self.commands, "haltedEvent", None)
        if halted is not None:
            pairs.append((halted, self._on_halted))
        for event, handler in pairs:
            if on:
                event += handler
            else:
                try:
                    event -= handler
                except ValueError:
                    pass
        self._listening = on

    def _set_state(self, state: RunnerState, text: str = "") -> None:
        changed = state is not self._state or text != self._status
        self._state, self._status = state, text
        if changed:
            self.stateChanged.emit(state.value)
            self.changed.emit()

    def _set_error(self, text: str) -> None:
        if text != self._last_error:
            self._last_error = text
            self.errorChanged.emit(text)
            self.changed.emit()

    def _call(self, name: str, *args) -> bool:
        """Run a strategy event; False when it failed and the runner stopped."""
        try:
            getattr(self.strategy, name)(*args)
            return True
        except StrategyError as e:  # a refused order the strategy did not catch: go on
            self._set_error(str(e))
            return self.running
        except Exception as e:  # noqa: BLE001 - a strategy bug stops its runner, not the app
            log.exception("%s: %s failed", self.source, name)
            line = _last_line(e)
            self._set_error(line)
            self.log(f"{name} failed: {line}")
            self._end(RunnerState.ERROR, f"Error: {line}")
            return False

    def _end(self, state: RunnerState, text: str) -> None:
        was_running = self.running
        self._generation += 1
        self._cancel_sub()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._warming = False
        self._queue.clear()
        self._subscribe_quotes(False)
        self._set_state(state, text)
        self.log(text)
        if was_running:
            # a trader's Stop lets on_stop send orders (e.g. close the position); after the kill
            # switch or an error the command layer / this flag refuses them
            self._stopping = state is RunnerState.STOPPED
            try:
                self.strategy.on_stop()
            except Exception as e:  # noqa: BLE001 - StrategyError included: recorded, not raised
                log.warning("%s: on_stop failed: %s", self.source, e)
                self._set_error(_last_line(e) if not isinstance(e, StrategyError) else str(e))
            finally:
                self._stopping = False

    def _halt(self) -> None:
        if self.running:
            self._end(RunnerState.HALTED, HALTED_TEXT)

    def _on_halted(self, halted: bool) -> None:
        if halted:
            self._halt()

    def _cancel_sub(self) -> None:
        sub, self._sub_id = self._sub_id, None
        if sub is not None:
            try:
                self.session.cancel_history(sub)
            except Exception:  # noqa: BLE001 - a lost link already ended it
                log.debug("cancel_history(%s) failed", sub, exc_info=True)

    async def _load_history(self, gen: int, first: bool):
        """``(sub_id, frame)`` of the keepUpToDate history, or None (stopped meanwhile, or failed:
        recorded, and on the first load the runner ends in "error"). A pacing violation waits
        :attr:`pacing_wait` seconds and asks again, at most :data:`PACING_RETRIES` times."""
        for attempt in range(PACING_RETRIES + 1):
            try:
                return await self.session.history(self.instrument, self.bar_size, keep_up_to_date=True)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - HistoryError, ConnectionError, ValueError
                if gen != self._generation or not self.running:
                    return None
                if "pacing violation" in str(e).lower() and attempt < PACING_RETRIES:
                    self._status = (f"Waiting {self.pacing_wait:g} s for IB's history pacing rule "
                                    "(no identical request within 15 s)")
                    self.log(self._status)
                    self.changed.emit()
                    await asyncio.sleep(self.pacing_wait)
                    if gen != self._generation or not self.running:
                        return None
                    continue
                text = f"History of {self.instrument.display_symbol} ({self.bar_size}) failed: {e}"
                self._set_error(text)
                self.log(text)
                if first:
                    self._end(RunnerState.ERROR, f"Error: {text}")
                return None
        return None

    async def _subscribe(self, first: bool) -> None:
        """Load the history with keepUpToDate; feed the completed bars newer than the last fed
        one with orders off (warm-up / catch-up), then the bars completed meanwhile, live."""
        gen = self._generation
        loaded = await self._load_history(gen, first)
        if loaded is None:
            return
        sub_id, frame = loaded
        if gen != self._generation or not self.running:
            self._cancel_sub_id(sub_id)
            return
        try:
            bars = frame_bars(frame)
        except (ValueError, TypeError, KeyError) as e:
            self._cancel_sub_id(sub_id)
            self._end(RunnerState.ERROR, f"Error: history is malformed: {e}")
            return
        self._sub_id = sub_id
        self._queue.clear()
        done = self._completer.load(bars, after=self._last_fed)
        if first and self.warmup_bars < len(done):
            done = done[len(done) - self.warmup_bars:]
        if self._completer.forming is not None:
            self._last_price = self._completer.forming.close
        self._warming = True
        self._status = f"Warming up ({len(done)} bars)" if first else f"Catching up ({len(done)} bars)"
        self.changed.emit()
        for i, bar in enumerate(done):
            if not self._feed(bar):
                return
            if i % _FEED_SLICE == _FEED_SLICE - 1:
                await asyncio.sleep(0)
                if gen != self._generation or not self.running:
                    return
        self._warming = False
        self.log(("Warm-up" if first else "Catch-up after the reconnect") +
                 f" done on {len(done)} bars; live")
        self._set_state(RunnerState.RUNNING, "")
        queued, self._queue = self._queue, []
        for bar in queued:
            if not self._feed(bar):
                return

    def _cancel_sub_id(self, sub_id: int) -> None:
        try:
            self.session.cancel_history(sub_id)
        except Exception:  # noqa: BLE001
            pass

    def _feed(self, bar: Bar) -> bool:
        if self._last_fed is not None and bar.time <= self._last_fed:
            return True
        self._last_fed = bar.time
        ok = self._call("feed_bar", bar)
        if not self._warming:       # the forward test's equity: P&L at each live bar's close
            self.equity_points.append((bar.time, self.ledger.realized_pnl + self.ledger.unrealized_pnl(bar.close)))
        return ok

    def forward_metrics(self, cash: float = 100_000.0) -> dict[str, float]:
        """The backtest's metrics (``app.backtest.metrics.compute_metrics``) of the live run so
        far: equity = ``cash`` (USD) + the strategy's P&L at each live bar's close, trades =
        its round trips (first-in first-out; their P&L without the commissions, which IB
        reports after the fill; the equity has them). Empty before two live bars."""
        from app.backtest import BacktestConfig, compute_metrics
        if len(self.equity_points) < 2:
            return {}
        key = (len(self.equity_points), len(self.trips.trades), cash)
        if self._forward_cache is not None and self._forward_cache[0] == key:
            return self._forward_cache[1]     # the status row refreshes often; the bars do not
        times = pd.DatetimeIndex([t for t, _ in self.equity_points]).tz_convert("UTC")
        equity = pd.Series([cash + v for _, v in self.equity_points], index=times, dtype=float)
        metrics = compute_metrics(equity, self.trips.trades, BacktestConfig(cash=cash))
        self._forward_cache = (key, metrics)
        return metrics

    def _on_bar(self, sub_id: int, bar: Bar, new_bar: bool) -> None:
        if sub_id != self._sub_id or self._sub_id is None or not self.running:
            return
        try:
            completed = self._completer.update(bar)
        except (TypeError, ValueError, AttributeError) as e:
            log.warning("%s: ignored malformed bar %r: %s", self.source, bar, e)
            return
        self._last_price = float(self._completer.forming.close)
        self.changed.emit()
        for b in completed:
            if self._warming:
                self._queue.append(b)
            elif not self._feed(b):
                return

    def _on_state(self, state: ConnectionState, message: str = "") -> None:
        """A lost link ends the subscription (the session drops it); CONNECTED subscribes again
        and catches up without trading on the missed bars."""
        if state in (ConnectionState.LOST, ConnectionState.DISCONNECTED, ConnectionState.RECONNECTING):
            if self._sub_id is not None:
                self._cancel_sub()           # the session dropped it; frees its entry if not
                self._generation += 1
                if self.running:
                    self.log(f"Connection {state.value.lower()}: bars paused")
        elif state is ConnectionState.CONNECTED and self.running and self._sub_id is None \
                and (self._task is None or self._task.done()):
            self._task = asyncio.ensure_future(self._subscribe(first=False))
            self._task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future) -> None:
        """A failure that escaped the subscription task (a bug) stops the runner, shown."""
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        log.error("%s: resubscribe failed", self.source, exc_info=exc)
        self._set_error(_last_line(exc))
        if self.running:
            self._end(RunnerState.ERROR, f"Error: {_last_line(exc)}")

    def _subscribe_quotes(self, on: bool) -> None:
        if not self._ticks or on == self._quotes_on:
            return
        try:
            if on:
                self.session.subscribe_quotes(self.instrument)
            else:
                self.session.unsubscribe_quotes(self.instrument)
            self._quotes_on = on
        except Exception as e:  # noqa: BLE001 - no quotes: bars still run the strategy
            log.warning("%s: quotes %s failed: %s", self.source, "on" if on else "off", e)

    def _on_quotes(self, quotes) -> None:
        key = self.instrument.key
        for q in quotes:
            if q.key != key:
                continue
            price = q.last if q.last is not None and math.isfinite(q.last) and q.last > 0 else q.mid
            if price is not None and math.isfinite(price) and price != self._last_price:
                self._last_price = float(price)
                self.changed.emit()
            if self._state is RunnerState.RUNNING and not self._warming:
                if not self._call("on_tick", q):
                    return

    def _mine(self, client_id: int, order_id: int) -> bool:
        return client_id == getattr(self.session, "client_id", client_id) and order_id in self._records

    def _on_order(self, rec) -> None:
        if not self._mine(rec.client_id, rec.order_id):
            return
        prev = self._records.get(rec.order_id)
        self._records[rec.order_id] = rec
        self.changed.emit()
        if prev is not None and (prev.status, prev.filled, prev.message) == (rec.status, rec.filled, rec.message):
            return
        if self.running:
            self._call("on_order", OrderUpdate(rec.order_id, getattr(rec.status, "value", str(rec.status)),
                                               float(rec.filled), float(rec.remaining), rec.message))

    def _on_execution(self, ex) -> None:
        if not self._mine(ex.client_id, ex.order_id):
            return
        action = Action.BUY if ex.side == "BOT" else Action.SELL
        qty, price = float(ex.shares), float(ex.price)
        commission = float(ex.commission or 0.0)
        if not self.ledger.apply_execution(ex.exec_id, qty if action is Action.BUY else -qty, price,
                                           commission):
            self.changed.emit()      # the commission report of a fill already counted
            return
        fill = Fill(ex.order_id, ex.time, action, qty, price, commission)
        self.fills.append(fill)
        self.trips.book(qty if action is Action.BUY else -qty, price, ex.time)
        self.log(f"Fill of order {ex.order_id}: {action.value} {qty:g} at {price:g}; "
                 f"position {self.ledger.position:g}")
        self.changed.emit()
        if self.running:
            self._call("on_fill", fill)


__all__ = ["HALTED_TEXT", "NOT_SENT", "PACING_RETRIES", "PACING_WAIT_S", "RunnerState", "StrategyRunner",
           "WARMUP_BARS"]
