"""Chart and strategy indicators: SMA, EMA, Bollinger Bands, VWAP, RSI (Wilder), MACD, SMA crossovers.

Each indicator is computed once over the whole series (:meth:`Indicator.compute`:
TA-Lib's C functions or pandas/numpy) and then kept up to date for the live bar with
:meth:`Indicator.update`, which only recomputes the bars from the last one onwards
(a step of the indicator's recursion in plain numpy, O(period) per bar), never the
whole history. ``update`` after any sequence of ticks equals ``compute`` over the
same bars within float rounding (rtol 1e-12; tests/unit/chart/test_indicators.py
checks it tick by tick on real prices).

Inputs are the chart's bar columns (``app.viewmodels.chart.BarArrays``):
``times`` int64 epoch seconds UTC, prices float64 in instrument currency,
volumes float64 shares. Outputs are float64 arrays of the same length, NaN
during the warm-up, where TA-Lib leaves them NaN (its "lookback").

Reference: TA-Lib (https://ta-lib.org, the C library 0.6 through the ``ta-lib``
Python package 0.8, ``import talib``), default compatibility mode, no "unstable
period". SMA, EMA, Bollinger, RSI and MACD agree with ``talib.SMA``, ``talib.EMA``,
``talib.BBANDS(matype=0)``, ``talib.RSI`` and ``talib.MACD`` within rtol 1e-9 on
real daily stocks and hourly EUR.USD (``../shared/data``; the test above), with one
chosen exception: RSI over a flat window (no gain, no loss) is 50 here, 0 in TA-Lib.

- SMA(n): mean of the last n closes; NaN for the first n-1 bars (``talib.SMA``).
- EMA(n): alpha = 2/(n+1), seeded at bar n-1 with the SMA of the first n closes,
  then ``ema[i] = ema[i-1] + alpha·(close[i] − ema[i-1])``; NaN for the first n-1
  bars (``talib.EMA``; TA-Lib's seeding, not pandas' "first close").
- Bollinger(n, k): middle SMA(n), bands middle ± k · population standard
  deviation (ddof=0) of the last n closes (John Bollinger's definition;
  ``talib.BBANDS(n, k, k, matype=0)``); NaN for the first n-1 bars.
- VWAP: Σ(typical price · volume) / Σ volume with typical = (H+L+C)/3, reset at
  each UTC day (``anchor="day"``) or never (``anchor=None``). TA-Lib has no VWAP.
- RSI(n) (Wilder, "New Concepts in Technical Trading Systems", 1978): average
  gain/loss seeded at bar n with the simple mean of the first n changes, then
  ``avg = (avg·(n−1) + change)/n``; RSI = 100 · avg_gain / (avg_gain + avg_loss);
  NaN for the first n bars (``talib.RSI``).
- MACD(fast, slow, signal) as ``talib.MACD``: both EMAs are seeded at bar slow-1
  (the fast one with the SMA of the ``fast`` closes ending there, so it is *not*
  ``EMA(fast)`` of the whole series), MACD = EMA(fast) − EMA(slow), signal = EMA(signal)
  of the MACD line seeded with the SMA of its first ``signal`` values, histogram =
  MACD − signal; all three NaN for the first slow+signal-2 bars (33 for 12/26/9).
- Crossover(fast, slow): +1 at a bar where SMA(fast) moves above SMA(slow)
  ("golden cross"), −1 where it moves below; see :func:`crossovers`.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import talib

__all__ = [
    "Indicator", "SMA", "EMA", "Bollinger", "VWAP", "RSI", "MACD", "Crossover",
    "crossovers", "make_indicator", "INDICATORS", "PARAMS", "ParamSpec",
]


def _check_period(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Series:
    """Bar columns an indicator reads (views, not copies); see the module docstring."""

    times: np.ndarray
    opens: np.ndarray
    highs: np.ndarray
    lows: np.ndarray
    closes: np.ndarray
    volumes: np.ndarray

    @classmethod
    def of(cls, bars) -> "Series":
        """From any object with ``times, opens, highs, lows, closes, volumes`` arrays."""
        return cls(bars.times, bars.opens, bars.highs, bars.lows, bars.closes, bars.volumes)

    def __len__(self) -> int:
        return int(self.closes.shape[0])


class _Growable:
    """A float64 output column with amortised appends (capacity doubling)."""

    def __init__(self, values: np.ndarray):
        n = values.shape[0]
        self._a = np.empty(max(64, 2 * n), dtype=np.float64)
        self._a[:n] = values
        self.n = n

    def resize(self, n: int) -> None:
        if n > self._a.shape[0]:
            a = np.empty(max(64, 2 * n), dtype=np.float64)
            a[: self.n] = self._a[: self.n]
            self._a = a
        if n > self.n:
            self._a[self.n:n] = np.nan
        self.n = n

    @property
    def values(self) -> np.ndarray:
        return self._a[: self.n]


class Indicator:
    """Base class: ``outputs`` names the result lines; ``pane`` is "price" (drawn
    over the candles) or "own" (a pane of its own below: RSI, MACD).

    ``compute(bars)`` computes everything; ``update(bars)`` after the live bar
    changed or bars were appended (same or longer series) recomputes from the
    previous last bar on. ``values[name]`` are the result arrays.
    Raises ``ValueError`` for bad parameters.
    """

    outputs: tuple[str, ...] = ("value",)
    pane = "price"

    def __init__(self) -> None:
        self._cols: dict[str, _Growable] = {}

    @property
    def label(self) -> str:
        raise NotImplementedError

    @property
    def params(self) -> dict:
        """The constructor parameters of this indicator (``make_indicator(name, **params)``
        builds an equal one), e.g. ``{"period": 20, "width": 2.0}``."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {k: getattr(self, k) for k in names}

    @property
    def values(self) -> dict[str, np.ndarray]:
        return {k: c.values for k, c in self._cols.items()}

    def __len__(self) -> int:
        return next(iter(self._cols.values())).n if self._cols else 0

    def compute(self, bars) -> dict[str, np.ndarray]:
        s = Series.of(bars)
        self._cols = {k: _Growable(np.asarray(v, dtype=np.float64)) for k, v in self._full(s).items()}
        return self.values

    def update(self, bars) -> dict[str, np.ndarray]:
        s = Series.of(bars)
        n_old, n = len(self), len(s)
        if not self._cols or n < n_old or n_old == 0:
            return self.compute(bars)
        for part in self._parts():
            part.update(s)
        for c in self._cols.values():
            c.resize(n)
        for i in range(n_old - 1, n):
            self._step(s, i)
        return self.values

    # subclasses
    def _parts(self) -> tuple[Indicator, ...]:
        """Indicators this one is built on; ``update`` brings them up to date before ``_step``."""
        return ()

    def _full(self, s: Series) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _step(self, s: Series, i: int) -> None:
        raise NotImplementedError

    def _set(self, name: str, i: int, value: float) -> None:
        self._cols[name]._a[i] = value


class SMA(Indicator):
    """Simple moving average of the closes over ``period`` bars; NaN for the first ``period - 1``.

    Equals ``talib.SMA(closes, period)`` (rtol 1e-9). Computed with pandas' rolling mean,
    not TA-Lib: TA-Lib's running sum turns every later value NaN after one NaN close,
    pandas' window recovers ``period`` bars after it.
    """

    def __init__(self, period: int = 20):
        super().__init__()
        self.period = _check_period("SMA period", period)

    @property
    def label(self) -> str:
        return f"SMA {self.period}"

    def _full(self, s):
        return {"value": pd.Series(s.closes).rolling(self.period).mean().to_numpy()}

    def _step(self, s, i):
        p = self.period
        self._set("value", i, float(np.mean(s.closes[i - p + 1:i + 1])) if i >= p - 1 else math.nan)


def _ema_full(x: np.ndarray, period: int, first: int = 0) -> np.ndarray:
    """TA-Lib's EMA of ``x[first:]`` at the bars of ``x`` (``talib.EMA``, default compatibility).

    NaN before bar ``first + period - 1``; there the mean of ``x[first:first + period]``;
    then ``e[i] = e[i-1] + (x[i] − e[i-1]) · 2/(period+1)``. Same length as ``x``.
    """
    out = np.full(x.shape[0], np.nan)
    if x.shape[0] >= first + period:
        out[first:] = talib.EMA(np.ascontiguousarray(x[first:], dtype=np.float64), timeperiod=period)
    return out


def _ema_step(x: np.ndarray, e: np.ndarray, period: int, first: int, i: int) -> float:
    """Bar ``i`` of :func:`_ema_full` from ``x[first:i+1]`` and ``e[i-1]`` (the live-bar step)."""
    seed = first + period - 1
    if i < seed:
        return math.nan
    if i == seed:
        return float(np.sum(x[first:seed + 1]) / period)
    prev = e[i - 1]
    return float((x[i] - prev) * (2.0 / (period + 1)) + prev)


class EMA(Indicator):
    """Exponential moving average of the closes, TA-Lib's ``talib.EMA`` (see the module docstring):
    alpha = 2/(period+1), seeded at bar ``period - 1`` with the SMA of the first ``period``
    closes, NaN before. (Until issue 17 it was seeded with the first close, as pandas'
    ``ewm(adjust=False)``; both converge, the first ~3·period values differed.)
    """

    def __init__(self, period: int = 20):
        super().__init__()
        self.period = _check_period("EMA period", period)

    @property
    def label(self) -> str:
        return f"EMA {self.period}"

    def _full(self, s):
        return {"value": _ema_full(s.closes, self.period)}

    def _step(self, s, i):
        self._set("value", i, _ema_step(s.closes, self._cols["value"]._a, self.period, 0, i))


def _rolling_std(x: np.ndarray, period: int) -> np.ndarray:
    """Population std (ddof=0) of each window of ``period`` values of ``x``, NaN for the first
    ``period - 1``: ``np.std`` of each window (mean, then mean squared deviation), computed in
    blocks of windows (at most ~4M values, 32 MB, at a time). O(len · period)."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    if n < period:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(x, period)
    block = max(1, (1 << 22) // period)
    for a in range(0, windows.shape[0], block):
        chunk = windows[a:a + block]
        out[period - 1 + a:period - 1 + a + chunk.shape[0]] = np.std(chunk, axis=1)
    return out


class Bollinger(Indicator):
    """Bollinger Bands: SMA(period) ± width · population std (ddof=0) of the last ``period`` closes.

    John Bollinger's definition, equal to ``talib.BBANDS(closes, period, width, width, matype=0)``
    (rtol 1e-9; outputs ``upperband, middleband, lowerband``); NaN for the first ``period - 1``
    bars. The std is computed per window in two passes (:func:`_rolling_std`, as the live
    step's ``np.std``), not from running sums as TA-Lib and pandas do: measured against exact
    arithmetic, TA-Lib's std is off by up to 3e-10 (relative) on daily AAPL, pandas' rolling
    std by 2e-9 on hourly EUR.USD, this one by ~1e-15; and a NaN close spoils only the windows
    that hold it (TA-Lib's running sums stay NaN for the rest of the series).
    """

    outputs = ("middle", "upper", "lower")

    def __init__(self, period: int = 20, width: float = 2.0):
        super().__init__()
        self.period = _check_period("Bollinger period", period, 2)
        if not (isinstance(width, (int, float)) and math.isfinite(width) and width > 0):
            raise ValueError(f"Bollinger width must be a positive number, got {width!r}")
        self.width = float(width)

    @property
    def label(self) -> str:
        return f"BB {self.period} {self.width:g}"

    def _full(self, s):
        mid = pd.Series(s.closes).rolling(self.period).mean().to_numpy()
        sd = _rolling_std(s.closes, self.period)
        return {"middle": mid, "upper": mid + self.width * sd, "lower": mid - self.width * sd}

    def _step(self, s, i):
        p = self.period
        if i < p - 1:
            m = sd = math.nan
        else:
            w = s.closes[i - p + 1:i + 1]
            m, sd = float(np.mean(w)), float(np.std(w))
        self._set("middle", i, m)
        self._set("upper", i, m + self.width * sd)
        self._set("lower", i, m - self.width * sd)


class VWAP(Indicator):
    """Volume-weighted average price of the typical price (H+L+C)/3.

    ``anchor="day"`` restarts at each UTC calendar day of the bar start time;
    ``anchor=None`` accumulates over the whole series. Bars with no volume
    (NaN, 0 or IB's -1 for FX) add nothing; NaN until some volume is seen.
    """

    def __init__(self, anchor: str | None = "day"):
        super().__init__()
        if anchor not in ("day", None):
            raise ValueError(f"VWAP anchor must be 'day' or None, got {anchor!r}")
        self.anchor = anchor
        self._pv: _Growable | None = None
        self._v: _Growable | None = None

    @property
    def label(self) -> str:
        return "VWAP"

    def _groups(self, times: np.ndarray) -> np.ndarray:
        return times // 86400 if self.anchor == "day" else np.zeros_like(times)

    def _full(self, s):
        vol = np.where(np.isfinite(s.volumes) & (s.volumes > 0), s.volumes, 0.0)
        tp = (s.highs + s.lows + s.closes) / 3.0
        pv = np.where(vol > 0, tp * vol, 0.0)
        g = self._groups(s.times)
        cpv = pd.Series(pv).groupby(g).cumsum().to_numpy()
        cv = pd.Series(vol).groupby(g).cumsum().to_numpy()
        self._pv, self._v = _Growable(cpv), _Growable(cv)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"value": np.where(cv > 0, cpv / np.where(cv > 0, cv, 1.0), np.nan)}

    def _step(self, s, i):
        self._pv.resize(len(s))
        self._v.resize(len(s))
        v = s.volumes[i]
        v = v if math.isfinite(v) and v > 0 else 0.0
        pv = (s.highs[i] + s.lows[i] + s.closes[i]) / 3.0 * v if v > 0 else 0.0
        same = i > 0 and self._groups(s.times[i - 1:i + 1])[0] == self._groups(s.times[i:i + 1])[0]
        cpv = pv + (self._pv._a[i - 1] if same else 0.0)
        cv = v + (self._v._a[i - 1] if same else 0.0)
        self._pv._a[i], self._v._a[i] = cpv, cv
        self._set("value", i, cpv / cv if cv > 0 else math.nan)


class RSI(Indicator):
    """Wilder's Relative Strength Index (0..100) of the closes over ``period`` changes, as ``talib.RSI``.

    Average gain and loss seeded at bar ``period`` with the simple means of the first ``period``
    close-to-close changes, then Wilder's smoothing ``avg = (avg·(period−1) + change)/period``
    (J. Welles Wilder, "New Concepts in Technical Trading Systems", 1978);
    RSI = 100 · avg_gain / (avg_gain + avg_loss); NaN for the first ``period`` bars.
    Agrees with ``talib.RSI`` (rtol 1e-9) except over a flat window (no gain and no loss),
    where this gives 50 (neutral) and TA-Lib 0 ("oversold", which would fire an RSI-below-30
    rule on a halted or untraded instrument); TA-Lib also gives 0 when
    avg_gain + avg_loss < 1e-8, this computes it.
    """

    pane = "own"

    def __init__(self, period: int = 14):
        super().__init__()
        self.period = _check_period("RSI period", period, 2)
        self._gain: _Growable | None = None
        self._loss: _Growable | None = None

    @property
    def label(self) -> str:
        return f"RSI {self.period}"

    @staticmethod
    def _rsi(g: float, lo: float) -> float:
        if not (math.isfinite(g) and math.isfinite(lo)):
            return math.nan
        total = g + lo
        return 100.0 * (g / total) if total > 0 else 50.0

    def _full(self, s):
        n, p = len(s), self.period
        gain, loss = np.full(n, np.nan), np.full(n, np.nan)
        if n > p:
            d = np.diff(s.closes)
            up, dn = np.clip(d, 0, None), np.clip(-d, 0, None)
            # seed at bar p with the simple mean, then Wilder smoothing (alpha = 1/p)
            up_s = np.concatenate(([up[:p].mean()], up[p:]))
            dn_s = np.concatenate(([dn[:p].mean()], dn[p:]))
            gain[p:] = pd.Series(up_s).ewm(alpha=1.0 / p, adjust=False).mean().to_numpy()
            loss[p:] = pd.Series(dn_s).ewm(alpha=1.0 / p, adjust=False).mean().to_numpy()
        self._gain, self._loss = _Growable(gain), _Growable(loss)
        return {"value": self._vector_rsi(gain, loss)}

    @staticmethod
    def _vector_rsi(gain: np.ndarray, loss: np.ndarray) -> np.ndarray:
        total = gain + loss
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(total > 0, 100.0 * (gain / total), 50.0)
        return np.where(np.isfinite(total), out, np.nan)

    def _step(self, s, i):
        p = self.period
        self._gain.resize(len(s))
        self._loss.resize(len(s))
        g, lo = self._gain._a, self._loss._a
        if i < p:
            g[i] = lo[i] = math.nan
        elif i == p:
            d = np.diff(s.closes[: p + 1])
            g[i], lo[i] = float(np.clip(d, 0, None).mean()), float(np.clip(-d, 0, None).mean())
        else:
            d = s.closes[i] - s.closes[i - 1]
            g[i] = (g[i - 1] * (p - 1) + max(d, 0.0)) / p
            lo[i] = (lo[i - 1] * (p - 1) + max(-d, 0.0)) / p
        self._set("value", i, self._rsi(g[i], lo[i]))


class MACD(Indicator):
    """MACD as ``talib.MACD(closes, fast, slow, signal)`` (Gerald Appel; TA-Lib's alignment).

    Both EMAs (:func:`_ema_full`) start at bar ``slow - 1``: EMA(slow) seeded with the SMA of
    the first ``slow`` closes, EMA(fast) with the SMA of the ``fast`` closes ending at that
    bar (so the fast line is not ``EMA(fast)`` of the whole series, it converges to it).
    ``macd`` = EMA(fast) − EMA(slow); ``signal`` = EMA(signal) of the MACD line seeded with
    the SMA of its first ``signal`` values; ``histogram`` = macd − signal. All three NaN for
    the first ``slow + signal - 2`` bars (33 for 12/26/9), as TA-Lib: until issue 17 the
    MACD line was shown from bar ``slow - 1`` with the fast EMA seeded with the first close.
    """

    outputs = ("macd", "signal", "histogram")
    pane = "own"

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9):
        super().__init__()
        self.fast = _check_period("MACD fast period", fast)
        self.slow = _check_period("MACD slow period", slow)
        self.signal = _check_period("MACD signal period", signal)
        if self.fast >= self.slow:
            raise ValueError(f"MACD fast period ({fast}) must be shorter than the slow period ({slow})")
        # the recursion's state: both EMAs and the MACD line including their warm-up bars
        self._state: dict[str, _Growable] = {}

    @property
    def label(self) -> str:
        return f"MACD {self.fast} {self.slow} {self.signal}"

    @property
    def _first_output(self) -> int:
        return self.slow + self.signal - 2

    def _full(self, s):
        x = s.closes
        fast = _ema_full(x, self.fast, self.slow - self.fast)
        slow = _ema_full(x, self.slow)
        line = fast - slow
        sig = _ema_full(line, self.signal, self.slow - 1)
        self._state = {"fast": _Growable(fast), "slow": _Growable(slow), "line": _Growable(line)}
        macd = line.copy()
        macd[: self._first_output] = np.nan
        return {"macd": macd, "signal": sig, "histogram": macd - sig}

    def _step(self, s, i):
        for g in self._state.values():
            g.resize(len(s))
        f, sl, line = (self._state[k]._a for k in ("fast", "slow", "line"))
        f[i] = _ema_step(s.closes, f, self.fast, self.slow - self.fast, i)
        sl[i] = _ema_step(s.closes, sl, self.slow, 0, i)
        line[i] = f[i] - sl[i]
        sig = _ema_step(line, self._cols["signal"]._a, self.signal, self.slow - 1, i)
        m = line[i] if i >= self._first_output else math.nan
        self._set("macd", i, m)
        self._set("signal", i, sig)
        self._set("histogram", i, m - sig)


def crossovers(fast: np.ndarray, slow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bars where ``fast`` crosses ``slow``: ``(indices, directions)``.

    Direction +1 where fast goes from <= slow to > slow (bullish, "golden
    cross"), −1 where it goes from >= slow to < slow. A bar with NaN in either
    line is no crossing. Both arrays must have the same length (``ValueError``).
    """
    fast, slow = np.asarray(fast, dtype=np.float64), np.asarray(slow, dtype=np.float64)
    if fast.shape != slow.shape:
        raise ValueError(f"line lengths differ: {fast.shape} vs {slow.shape}")
    d = fast - slow
    prev, cur = d[:-1], d[1:]
    with np.errstate(invalid="ignore"):
        up = (prev <= 0) & (cur > 0)
        down = (prev >= 0) & (cur < 0)
    idx = np.flatnonzero(up | down) + 1
    return idx, np.where(up[idx - 1], 1, -1).astype(np.int8)


class Crossover(Indicator):
    """Moving-average crossover signals (default the classic SMA 20/50).

    ``values["fast"]``/``["slow"]`` are the two SMAs; ``signals()`` gives
    ``(indices, directions)`` as :func:`crossovers`.
    """

    outputs = ("fast", "slow")

    def __init__(self, fast: int = 20, slow: int = 50):
        super().__init__()
        self._f = SMA(fast)
        self._s = SMA(slow)
        if self._f.period >= self._s.period:
            raise ValueError(f"crossover fast period ({fast}) must be shorter than the slow period ({slow})")

    @property
    def fast(self) -> int:
        return self._f.period

    @property
    def slow(self) -> int:
        return self._s.period

    @property
    def label(self) -> str:
        return f"Cross SMA {self._f.period}/{self._s.period}"

    def _full(self, s):
        return {"fast": self._f.compute(s)["value"], "slow": self._s.compute(s)["value"]}

    def _parts(self):
        return self._f, self._s

    def _step(self, s, i):
        self._set("fast", i, self._f.values["value"][i])
        self._set("slow", i, self._s.values["value"][i])

    def signals(self) -> tuple[np.ndarray, np.ndarray]:
        v = self.values
        return crossovers(v["fast"], v["slow"])


#: indicator name -> class (the chart's indicator menu)
INDICATORS: dict[str, type[Indicator]] = {
    "SMA": SMA, "EMA": EMA, "Bollinger Bands": Bollinger, "VWAP": VWAP,
    "RSI": RSI, "MACD": MACD, "SMA crossover": Crossover,
}


@dataclass(frozen=True)
class ParamSpec:
    """One indicator parameter as the parameter form shows it.

    ``kind`` "int" (a period in bars), "float" (a multiplier) or "choice" (``choices``:
    ``(text, value)`` pairs); ``minimum``/``maximum`` bound the spin box (the indicator's own
    check, e.g. RSI period >= 2, is the minimum); ``step``/``decimals`` for floats.
    """

    name: str
    label: str
    kind: str
    default: object
    minimum: float = 1
    maximum: float = 1000
    step: float = 1
    decimals: int = 0
    choices: tuple = ()


def _period(name: str = "period", label: str = "Period (bars)", default: int = 20, minimum: int = 1) -> ParamSpec:
    return ParamSpec(name, label, "int", default, minimum, 1000)


#: indicator name -> its parameters in form order (defaults = the constructors' defaults)
PARAMS: dict[str, tuple[ParamSpec, ...]] = {
    "SMA": (_period(),),
    "EMA": (_period(),),
    "Bollinger Bands": (_period(minimum=2), ParamSpec("width", "Width (std devs)", "float", 2.0, 0.1, 10.0, 0.1, 2)),
    "VWAP": (ParamSpec("anchor", "Reset", "choice", "day", choices=(("Each day (UTC)", "day"), ("Never", None))),),
    "RSI": (_period(default=14, minimum=2),),
    "MACD": (_period("fast", "Fast EMA (bars)", 12), _period("slow", "Slow EMA (bars)", 26),
             _period("signal", "Signal EMA (bars)", 9)),
    "SMA crossover": (_period("fast", "Fast SMA (bars)", 20), _period("slow", "Slow SMA (bars)", 50)),
}


def make_indicator(name: str, **params) -> Indicator:
    """An indicator by its menu name (``INDICATORS``) with parameters; ``ValueError`` otherwise."""
    try:
        cls = INDICATORS[name]
    except KeyError:
        raise ValueError(f"unknown indicator {name!r}: use one of {', '.join(INDICATORS)}") from None
    try:
        return cls(**params)
    except TypeError as e:
        raise ValueError(f"bad parameters for {name}: {e}") from None
