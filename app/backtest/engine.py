"""The event-driven backtest over bars: a broker implementing ``StrategyContext`` with the
simulated gateway's order semantics, and :func:`run_backtest`.

Per bar i, in order:

1. working orders submitted before bar i (on an earlier bar's close, in ``on_start`` or in a
   fill callback) are matched against bar i's range, oldest order first:

   - MKT: fills at the open.
   - LMT buy at L: open <= L fills at the open (a gap through the limit is a better price, as on
     an exchange); else low <= L fills at L. Sell: open >= L at the open; else high >= L at L.
   - STP buy at S: open >= S fills at the open (a gap: worse than S); else high >= S fills at S.
     Sell: open <= S at the open; else low <= S at S. A triggered stop is a market order.
   - STP LMT: triggers like STP; then works as LMT at L from the trigger price on (open on a
     gap, else S): fills at the trigger price when it is within the limit, else at L if the rest
     of the bar reaches L, else it stays a working LMT.
   - quantity always fills in full (no volume limit, no partial fills).
   - slippage (``slippage_pct``, ``slippage_ticks``) worsens MKT and triggered-STP fills only.
   - TIF: DAY works during the UTC date of its first bar (daily bars: one bar), GTC until
     filled or cancelled, IOC / FOK only on their first bar, OPG as DAY. GTD and the
     trailing / on-close order types are refused (``StrategyError``).

   Each fill updates cash and position, calls ``on_fill`` then ``on_order`` ("Filled").
2. equity = cash + position × close × multiplier is recorded;
3. the strategy sees the bar (``on_bar``); its orders work from bar i+1.

After the last bar: ``on_stop``; orders still working are cancelled; an open position is closed
at the last close (a market fill with slippage and commission) so the metrics see it.

Commissions: ``BacktestConfig.commission``. Cash has no margin check (it may go negative; a
short sale credits cash). Prices are in the instrument's currency, taken as USD; a contract's
value is price × ``BacktestConfig.multiplier`` (futures move cash by their full value here,
which leaves equity exactly as daily variation margin would).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import numpy as np
import pandas as pd

from app.backtest.data import check_bars
from app.backtest.metrics import compute_metrics
from app.backtest.model import BacktestCancelled, BacktestConfig, BacktestResult, Trade
from app.strategy.roundtrips import RoundTrips
from app.domain import Action, OrderType, TimeInForce
from app.domain.bars import Bar
from app.sim.account import commission_usd
from app.strategy.base import Fill, OrderUpdate, Strategy, StrategyError

_TYPES = (OrderType.MKT, OrderType.LMT, OrderType.STP, OrderType.STP_LMT)


def commission(config: BacktestConfig, quantity: float, price: float) -> float:
    """Commission of one order filling ``quantity`` shares / contracts at ``price``, USD,
    rounded to cents. ``"ib"``: the simulated gateway's schedule for ``config.sec_type``
    (``app.sim.account.commission_usd``); a number: that many USD per share / contract."""
    c = config.commission
    if c != "ib":
        return float(c) * quantity
    return commission_usd(config.sec_type, config.symbol, quantity, quantity * price * config.multiplier)


@dataclass(slots=True)
class _Order:
    id: int
    action: Action
    qty: float
    type: OrderType
    limit: float | None
    stop: float | None
    tif: TimeInForce
    eligible: int             # first bar index it may fill on
    day: object = None        # UTC date it works on (DAY / OPG), set on its first bar
    triggered: bool = False   # STP LMT: stop reached, now a limit


class BacktestBroker:
    """``StrategyContext`` of a backtest (module docstring for the rules). Created by
    :func:`run_backtest`; not reused across runs."""

    def __init__(self, strategy: Strategy, times: list[datetime], config: BacktestConfig):
        self.s, self.times, self.cfg = strategy, times, config
        self.i = -1                      # the bar being processed (-1: on_start)
        self.cash, self.pos = float(config.cash), 0.0
        self.working: list[_Order] = []
        self.fills: list[Fill] = []
        self._mult = float(config.multiplier)
        self._trips = RoundTrips(self._mult)
        self.trades: list[Trade] = self._trips.trades
        self.lines: list[str] = []
        self._next_id = 1
        self.closed = False

    # ---- StrategyContext ------------------------------------------------------------
    def submit(self, action: Action, quantity: float, order_type: OrderType, *,
               limit_price: float | None, stop_price: float | None, tif: TimeInForce) -> int:
        if self.closed:
            raise StrategyError("the backtest is over: no more orders")
        if order_type not in _TYPES:
            raise StrategyError(f"the backtest supports MKT, LMT, STP and STP LMT orders, not {order_type}")
        if tif == TimeInForce.GTD:
            raise StrategyError("the backtest does not support GTD (use DAY or GTC)")
        for label, v, needed in (("limit price", limit_price, order_type in (OrderType.LMT, OrderType.STP_LMT)),
                                 ("stop price", stop_price, order_type in (OrderType.STP, OrderType.STP_LMT))):
            if needed and not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise StrategyError(f"{order_type} order needs a positive {label}, got {v!r}")
        oid = self._next_id
        self._next_id += 1
        self.working.append(_Order(oid, Action(action), float(quantity), order_type,
                                   None if limit_price is None else float(limit_price),
                                   None if stop_price is None else float(stop_price), tif, self.i + 1))
        return oid

    def cancel_all(self) -> None:
        for o in list(self.working):
            self._cancel(o, "cancelled by the strategy")

    def cancel(self, order_id: int) -> None:
        for o in self.working:
            if o.id == order_id:
                self._cancel(o, "cancelled by the strategy")
                return

    def position(self) -> float:
        return self.pos

    def log(self, text: str) -> None:
        self.lines.append(f"{self.now().isoformat()} {text}")

    def now(self) -> datetime:
        return self.times[max(self.i, 0)]

    # ---- matching ---------------------------------------------------------------------
    def _cancel(self, o: _Order, why: str) -> None:
        self.working.remove(o)
        self.s.on_order(OrderUpdate(o.id, "Cancelled", 0.0, o.qty, why))

    def match(self, i: int, o_: float, h: float, l_: float) -> None:
        """Match the working orders against bar ``i`` (open ``o_``, high ``h``, low ``l_``)."""
        self.i = i
        day = None
        for o in list(self.working):
            if o.eligible > i or o not in self.working:
                continue
            if o.tif in (TimeInForce.DAY, TimeInForce.OPG):
                day = day or self.times[i].date()
                if o.day is None:
                    o.day = day
                elif day != o.day:
                    self._cancel(o, "DAY order expired")
                    continue
            px, market = self._price(o, o_, h, l_)
            if px is not None:
                self.working.remove(o)
                self._fill(o.id, o.action, o.qty, px, market)
            elif o.tif in (TimeInForce.IOC, TimeInForce.FOK):
                self._cancel(o, f"{o.tif} order not filled on its first bar")

    def _price(self, o: _Order, op: float, hi: float, lo: float) -> tuple[float | None, bool]:
        """(fill price or None, True when it is a market-price fill that takes slippage)."""
        buy = o.action == Action.BUY
        t = o.type
        if t == OrderType.MKT:
            return op, True
        if t == OrderType.LMT or (t == OrderType.STP_LMT and o.triggered):
            L = o.limit
            if buy:
                return (op, False) if op <= L else ((L, False) if lo <= L else (None, False))
            return (op, False) if op >= L else ((L, False) if hi >= L else (None, False))
        S = o.stop
        if buy:
            trig = op if op >= S else (S if hi >= S else None)
        else:
            trig = op if op <= S else (S if lo <= S else None)
        if trig is None:
            return None, False
        if t == OrderType.STP:
            return trig, True
        o.triggered = True
        L = o.limit
        if buy:
            return (trig, False) if trig <= L else ((L, False) if lo <= L else (None, False))
        return (trig, False) if trig >= L else ((L, False) if hi >= L else (None, False))

    def _slip(self, px: float, buy: bool) -> float:
        c = self.cfg
        d = px * c.slippage_pct / 100.0 + c.slippage_ticks * c.tick_size
        return px + d if buy else px - d

    def _fill(self, oid: int, action: Action, qty: float, px: float, market: bool, notify: bool = True) -> None:
        buy = action == Action.BUY
        if market:
            px = self._slip(px, buy)
        comm = commission(self.cfg, qty, px)
        signed = qty if buy else -qty
        self.cash -= signed * px * self._mult + comm
        t = self.now()
        self._book(signed, px, t, comm / qty)
        self.pos += signed
        if abs(self.pos) < 1e-9:
            self.pos = 0.0
        f = Fill(oid, t, action, qty, px, comm)
        self.fills.append(f)
        if notify:
            self.s.on_fill(f)
            self.s.on_order(OrderUpdate(oid, "Filled", qty, 0.0))

    def _book(self, signed: float, px: float, t: datetime, comm_ps: float) -> None:
        """First-in first-out round trips (:class:`app.strategy.roundtrips.RoundTrips`)."""
        self._trips.book(signed, px, t, comm_ps)

    def finish(self, last_close: float) -> None:
        """After the last bar: cancel what works, close the position at ``last_close``."""
        self.closed = True
        for o in list(self.working):
            self._cancel(o, "the backtest ended")
        if self.cfg.close_at_end and self.pos:
            q = abs(self.pos)
            self.lines.append(f"{self.now().isoformat()} backtest: position {self.pos:g} closed at the last close")
            oid = self._next_id
            self._next_id += 1
            self._fill(oid, Action.SELL if self.pos > 0 else Action.BUY, q, last_close, True, notify=False)


def run_backtest(strategy: Strategy, bars: pd.DataFrame, config: BacktestConfig = BacktestConfig(), *,
                 progress: Callable[[float], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> BacktestResult:
    """Run ``strategy`` (a fresh instance with its parameters) over ``bars`` (columns time
    (UTC; naive times are taken as UTC), open, high, low, close, volume; oldest first) and
    judge it (:mod:`app.backtest.metrics`).

    ``progress(fraction)`` (0..1) is called about every 1 % of the bars and at the end;
    ``should_stop()`` is polled about every 1,000 bars and when it returns True the run raises
    :class:`BacktestCancelled`. Raises ``ValueError`` for unusable bars (:func:`check_bars`);
    a strategy's own exceptions propagate with the bar time added to the message's notes.
    """
    df = check_bars(bars)
    n = len(df)
    times = pd.DatetimeIndex(df["time"]).to_pydatetime().tolist()
    o_, h_, l_, c_, v_ = (df[k].to_numpy(dtype=np.float64).tolist() for k in ("open", "high", "low", "close", "volume"))
    broker = BacktestBroker(strategy, times, config)
    strategy.bind(broker)
    strategy.attach_history(df)
    pos = np.zeros(n)
    cash = np.zeros(n)
    strategy.on_start()
    step = max(1000, n // 100)
    checkpoint = step
    match, feed, working = broker.match, strategy.feed_bar, broker.working
    i = 0
    try:
        for i in range(n):
            if working:
                match(i, o_[i], h_[i], l_[i])
            else:
                broker.i = i
            pos[i] = broker.pos
            cash[i] = broker.cash
            feed(Bar(times[i], o_[i], h_[i], l_[i], c_[i], v_[i]))
            if i == checkpoint:
                checkpoint += step
                if should_stop is not None and should_stop():
                    raise BacktestCancelled(f"backtest cancelled at bar {i + 1} of {n}")
                if progress is not None:
                    progress(i / n)
        strategy.on_stop()
    except BacktestCancelled:
        raise
    except Exception as e:
        e.add_note(f"strategy {strategy.name}: at bar {i} ({times[i].isoformat()})")
        raise
    broker.finish(c_[-1])
    close = np.asarray(c_) * float(config.multiplier)        # value of one share / contract
    equity_v = cash + pos * close
    equity_v[-1] = broker.cash + broker.pos * close[-1]
    index = pd.DatetimeIndex(df["time"])
    equity = pd.Series(equity_v, index=index, name="equity")
    drawdown = (equity / np.maximum.accumulate(np.maximum(equity_v, config.cash)) - 1.0).rename("drawdown")
    position = pd.Series(pos, index=index, name="position")
    metrics = compute_metrics(equity, broker.trades, config, position=position, fills=broker.fills)
    if progress is not None:
        progress(1.0)
    info = {"strategy": strategy.name, "params": dict(strategy.p), "bars": n,
            "start": times[0].isoformat(), "end": times[-1].isoformat(),
            "config": {k: getattr(config, k) for k in config.__dataclass_fields__}}
    return BacktestResult(equity, drawdown, broker.trades, broker.fills, metrics, broker.lines, position, info)
