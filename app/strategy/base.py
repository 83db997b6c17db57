"""The strategy API: one strategy class backtests, forward-tests on the simulated gateway and
trades a paper or live account without a change.

A strategy subclasses :class:`Strategy`, declares its parameters (:class:`Param`: type,
default, bounds; the UI builds its form from them) and reacts to events:

- :meth:`Strategy.on_start` once, before the first bar;
- :meth:`Strategy.on_bar` for every *completed* bar (``app.domain.bars.Bar``: UTC start time,
  OHLC in instrument currency, volume in shares; any IB bar size); ``self.bars`` then holds
  every completed bar so far, oldest first (a pandas DataFrame with columns time, open, high,
  low, close, volume);
- :meth:`Strategy.on_tick` for a quote (``app.domain.Quote``), only where the context feeds
  quotes (live; a backtest over bars has none);
- :meth:`Strategy.on_fill` for each fill of its own orders (:class:`Fill`);
- :meth:`Strategy.on_order` when one of its orders changes status (:class:`OrderUpdate`);
- :meth:`Strategy.on_stop` once, at the end (the backtest's last bar, the trader's Stop, the
  kill switch).

It acts only through its helpers: :meth:`Strategy.buy`, :meth:`Strategy.sell`,
:meth:`Strategy.close_position`, :meth:`Strategy.cancel_all`, :attr:`Strategy.position`,
:meth:`Strategy.log`. They call a :class:`StrategyContext`: the backtest broker
(``app.backtest``) or the live runner (``app.strategy.runner``), which turns an order into a
``PlaceOrder`` command of the command layer (pre-trade checks, journal, read-only and kill
switch apply, as to a click in the ticket). A strategy never talks to ib_async.

Indicators: a strategy returns its indicator columns from :meth:`Strategy.compute` (causal:
row i depends on rows 0..i only) and reads them with :meth:`Strategy.value`. A backtest calls
``compute`` once over the whole history (:meth:`Strategy.attach_history`, vectorised, no
look-ahead because the columns are causal); a live context recomputes it once per new bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from app.domain import Action, OrderType, TimeInForce
from app.domain.bars import Bar

#: the columns of :attr:`Strategy.bars`
BAR_COLUMNS = ("time", "open", "high", "low", "close", "volume")


class StrategyError(RuntimeError):
    """A strategy asked for something its context refused (the reason is IB's, the command
    layer's or the backtest's); the strategy may catch it and go on."""


@dataclass(frozen=True)
class Param:
    """One parameter of a strategy: ``name`` (a Python identifier), ``type`` (int, float, bool
    or str), ``default``, optional inclusive ``minimum`` / ``maximum`` (numbers), ``label``
    (form text; default the name) and ``help`` (tooltip)."""

    name: str
    type: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    label: str = ""
    help: str = ""

    def parse(self, value: Any) -> Any:
        """``value`` (a Python value or command-line text such as "10", "0.5", "false")
        converted to :attr:`type` and checked against the bounds. Raises ``ValueError``
        naming the parameter and why."""
        t = self.type
        try:
            if t is bool:
                if isinstance(value, str):
                    text = value.strip().lower()
                    if text not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                        raise ValueError("use true or false")
                    v = text in ("true", "1", "yes", "on")
                elif isinstance(value, (bool, int)):
                    v = bool(value)
                else:
                    raise ValueError("use true or false")
            elif t is int:
                if isinstance(value, bool):
                    raise ValueError("a whole number is needed")
                f = float(value)
                if not math.isfinite(f) or f != int(f):
                    raise ValueError("a whole number is needed")
                v = int(f)
            elif t is float:
                if isinstance(value, bool):
                    raise ValueError("a number is needed")
                v = float(value)
                if not math.isfinite(v):
                    raise ValueError("a finite number is needed")
            else:
                v = t(value)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Parameter {self.name}: {value!r} is not valid ({e})") from None
        if self.minimum is not None and v < self.minimum:
            raise ValueError(f"Parameter {self.name}: {v} is below the minimum {self.minimum:g}")
        if self.maximum is not None and v > self.maximum:
            raise ValueError(f"Parameter {self.name}: {v} is above the maximum {self.maximum:g}")
        return v


@dataclass(frozen=True)
class Fill:
    """One fill of a strategy's order: ``order_id`` (the context's id of the order), ``time``
    (UTC), ``action`` (BUY / SELL), ``quantity`` (shares, > 0), ``price`` (instrument
    currency), ``commission`` (account currency, >= 0)."""

    order_id: int
    time: datetime
    action: Action
    quantity: float
    price: float
    commission: float = 0.0


@dataclass(frozen=True)
class OrderUpdate:
    """A status change of a strategy's order: ``order_id``, IB's ``status`` text
    ("Submitted", "Filled", "Cancelled", "Inactive"...), ``filled`` / ``remaining`` (shares)
    and ``message`` (IB's or the command layer's reason on a rejection, else "")."""

    order_id: int
    status: str
    filled: float = 0.0
    remaining: float = 0.0
    message: str = ""


class StrategyContext(Protocol):
    """What runs a strategy (the backtest broker, the live runner). Units as in
    ``app.domain.OrderRequest``: quantity in shares (> 0), prices in instrument currency."""

    def submit(self, action: Action, quantity: float, order_type: OrderType, *,
               limit_price: float | None, stop_price: float | None, tif: TimeInForce) -> int:
        """Send one order; returns its id. Raises :class:`StrategyError` when refused."""

    def cancel_all(self) -> None:
        """Cancel every working order of the strategy."""

    def cancel(self, order_id: int) -> None:
        """Cancel one working order of the strategy (no-op when it is no longer working)."""

    def position(self) -> float:
        """The strategy's position in shares (long > 0, short < 0)."""

    def log(self, text: str) -> None:
        """Record a line of the strategy's log (with the context's time)."""

    def now(self) -> datetime:
        """The context's current time (UTC): the bar's time in a backtest, the clock live."""


class Strategy:
    """Base class of a strategy (module docstring). Subclasses set ``name`` (the id used on
    the command line and in settings, e.g. "sma_cross"), ``title`` and ``params``.

    ``Strategy(**values)`` checks ``values`` against ``params`` (unknown names and bad values
    raise ``ValueError``) and keeps them in ``self.p`` (a dict, defaults filled in).
    A context is attached with :meth:`bind` before ``on_start``.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()

    def __init__(self, **values: Any):
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"{self.name or type(self).__name__} has no parameter "
                             f"{', '.join(unknown)}; it has {', '.join(known) or 'none'}")
        self.p: dict[str, Any] = {n: (spec.parse(values[n]) if n in values else spec.default)
                                  for n, spec in known.items()}
        self.check_params()
        self._ctx: StrategyContext | None = None
        self._rows: list[tuple] = []
        self._bars_cache: pd.DataFrame | None = None
        # a backtest hands the whole history once (:meth:`attach_history`): ``bars`` is then a
        # prefix of it and :meth:`compute` runs once, vectorised (module docstring, "Indicators")
        self._hist: pd.DataFrame | None = None
        self._n = 0
        self._ind: dict[str, np.ndarray] | None = None
        self._ind_n = -1

    def check_params(self) -> None:
        """Checks between parameters (e.g. fast < slow); raise ``ValueError`` with the reason.
        The default checks nothing."""

    # ---- the context ------------------------------------------------------------
    def bind(self, context: StrategyContext) -> None:
        """Attach the context that carries out the strategy's orders."""
        self._ctx = context

    @property
    def context(self) -> StrategyContext:
        if self._ctx is None:
            raise StrategyError(f"{self.name}: not attached to a backtest or a live runner")
        return self._ctx

    def attach_history(self, bars: pd.DataFrame) -> None:
        """Backtests only: ``bars`` (columns :data:`BAR_COLUMNS`, oldest first) are the bars
        that :meth:`feed_bar` will deliver in order. :meth:`compute` runs once over all of them
        (it must be causal, see there) and :attr:`bars` becomes a view of the delivered prefix,
        so a bar costs O(1) instead of a growing table."""
        self._hist = bars.reset_index(drop=True)
        self._n = 0
        self._ind = {k: np.asarray(v, dtype=np.float64) for k, v in self.compute(self._hist).items()}
        self._ind_n = len(self._hist)

    def feed_bar(self, bar: Bar) -> None:
        """Called by the context for each completed bar: appends it to :attr:`bars`, then
        calls :meth:`on_bar`."""
        if self._hist is not None:
            self._n += 1
        else:
            self._rows.append((bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume))
        self._bars_cache = None
        self.on_bar(bar)

    @property
    def bars(self) -> pd.DataFrame:
        """Every completed bar so far, oldest first (columns :data:`BAR_COLUMNS`)."""
        if self._hist is not None:
            return self._hist.iloc[: self._n]
        if self._bars_cache is None or len(self._bars_cache) != len(self._rows):
            self._bars_cache = pd.DataFrame(self._rows, columns=list(BAR_COLUMNS))
        return self._bars_cache

    # ---- indicators -----------------------------------------------------------------
    def compute(self, bars: pd.DataFrame) -> dict[str, np.ndarray]:
        """Indicator columns over ``bars`` (columns :data:`BAR_COLUMNS`), one float64 array of
        ``len(bars)`` per name, NaN where undefined. Must be *causal*: the value at row i
        depends only on rows 0..i (SMA, RSI, EMA of ``app.viewmodels.indicators`` are), so
        computing once over a backtest's whole history never looks ahead. Read the values with
        :meth:`value`. The default computes nothing."""
        return {}

    def value(self, name: str, ago: int = 0) -> float:
        """The indicator ``name`` of :meth:`compute` at the current bar (``ago=0``) or ``ago``
        bars before it; NaN before the first bar or where undefined. ``KeyError`` for a name
        :meth:`compute` does not return."""
        n = self._n if self._hist is not None else len(self._rows)
        if self._hist is None and self._ind_n != n:     # live: recompute once per new bar
            self._ind = {k: np.asarray(v, dtype=np.float64) for k, v in self.compute(self.bars).items()}
            self._ind_n = n
        col = self._ind[name] if self._ind is not None else {}[name]
        i = n - 1 - ago
        return float(col[i]) if 0 <= i < n else math.nan

    # ---- events (override what you need) ------------------------------------------
    def on_start(self) -> None:
        """Before the first bar."""

    def on_bar(self, bar: Bar) -> None:
        """A completed bar (``self.bars`` already holds it)."""

    def on_tick(self, quote) -> None:
        """A quote (live contexts only)."""

    def on_fill(self, fill: Fill) -> None:
        """A fill of one of the strategy's orders (the position already includes it)."""

    def on_order(self, update: OrderUpdate) -> None:
        """A status change of one of the strategy's orders."""

    def on_stop(self) -> None:
        """After the last event (end of a backtest, Stop, kill switch)."""

    # ---- helpers --------------------------------------------------------------------
    def buy(self, quantity: float, order_type: str | OrderType = "MKT", *, price: float | None = None,
            stop: float | None = None, tif: str | TimeInForce = "DAY") -> int:
        """Buy ``quantity`` shares: MKT (default), LMT at ``price``, STP at ``stop``, STP LMT
        (both). Returns the order id; raises :class:`StrategyError` when the context refuses."""
        return self._order(Action.BUY, quantity, order_type, price, stop, tif)

    def sell(self, quantity: float, order_type: str | OrderType = "MKT", *, price: float | None = None,
             stop: float | None = None, tif: str | TimeInForce = "DAY") -> int:
        """Sell ``quantity`` shares (see :meth:`buy`); selling more than the position opens a
        short."""
        return self._order(Action.SELL, quantity, order_type, price, stop, tif)

    def close_position(self) -> int | None:
        """Flatten the position with a MKT order; None when already flat."""
        pos = self.position
        if pos > 0:
            return self.sell(pos)
        if pos < 0:
            return self.buy(-pos)
        return None

    def cancel_all(self) -> None:
        """Cancel every working order of this strategy."""
        self.context.cancel_all()

    def cancel(self, order_id: int) -> None:
        """Cancel one working order of this strategy (by the id :meth:`buy` / :meth:`sell`
        returned); nothing happens when it already filled or was cancelled."""
        self.context.cancel(order_id)

    @property
    def position(self) -> float:
        """The strategy's position in shares (long > 0, short < 0, flat 0)."""
        return self.context.position()

    def log(self, text: str) -> None:
        """A line in the strategy's log."""
        self.context.log(text)

    def _order(self, action: Action, quantity: float, order_type, price, stop, tif) -> int:
        if not (isinstance(quantity, (int, float)) and math.isfinite(quantity) and quantity > 0):
            raise StrategyError(f"{self.name}: quantity must be a positive number, got {quantity!r}")
        try:
            ot = OrderType(order_type)
            t = TimeInForce(tif)
        except ValueError as e:
            raise StrategyError(f"{self.name}: {e}") from None
        return self.context.submit(action, float(quantity), ot, limit_price=price, stop_price=stop, tif=t)
