"""Bar history of the simulated gateway: generation, CSV replay, aggregation and reqHistoricalData rules.

Model: every instrument has a **minute table** (``Bars``, one row per 1-minute
bar, bar start POSIX seconds UTC, prices in instrument currency, volume in
shares/base units) covering about the last 30 calendar days up to the
exchange's start time ``t0``, and an older **daily table**. Every other bar size
is an aggregate of the minute table (plus the minutes the live market records
after ``t0``), so a 5 min bar's OHLCV is exactly the aggregate of its 1 min bars
and daily bars in the intraday window are the aggregate of that day's minutes.

* Generated history (default): a seeded GBM generated *backwards* from the
  live start price, so the last minute's close equals the price the live
  stream starts from (the chart joins without a jump).
* Replay (``bars_dir``): real OHLCV bars shifted onto the most recent trading
  sessions (prices and shape kept); minutes inside each real bar are a seeded
  Brownian bridge that starts at the bar's open, ends at its close and touches
  its high and low, so the minutes aggregate back to the real bar.

Request rules follow IB's reqHistoricalData ("Historical Bar Data" page of
the TWS API docs): durations ``"<n> S|D|W|M|Y"``, bar sizes ``"1 secs"`` ..
``"1 day"``, ``"1 week"``, ``"1 month"`` (seconds bars: ``app.sim.seconds``); errors
321 (malformed request) and 162 (no data).
"""

from __future__ import annotations

import gzip
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from app.domain.bars import BAR_SIZES, duration_problem
from app.sim.barcheck import check_bars
from app.sim.instruments import (CASH, NY, SimInstrument, day_midnight, session_bounds, trading_date)
from app.sim.types import SimBar, SimError

INTRADAY_DAYS = 30          # calendar days of 1-min history
DAILY_YEARS = 3             # years of daily history before the intraday window

FIELDS = ("t", "o", "h", "l", "c", "v", "wv", "n", "day", "rth")


@dataclass(slots=True)
class Bars:
    """A column table of bars (numpy arrays of equal length, oldest first).

    ``t`` bar start (POSIX s), ``o/h/l/c`` prices, ``v`` volume, ``wv`` sum of
    price*volume (so ``wv / v`` is the VWAP), ``n`` trade count, ``day`` the
    trading date's 00:00 New York (POSIX s), ``rth`` regular-trading-hours flag.
    """

    t: np.ndarray
    o: np.ndarray
    h: np.ndarray
    l: np.ndarray  # noqa: E741
    c: np.ndarray
    v: np.ndarray
    wv: np.ndarray
    n: np.ndarray
    day: np.ndarray
    rth: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    def take(self, sel) -> "Bars":
        return Bars(*(getattr(self, f)[sel] for f in FIELDS))

    @staticmethod
    def empty() -> "Bars":
        z = np.zeros(0)
        return Bars(z, z, z, z, z, z, z, np.zeros(0, dtype=np.int64), z, np.zeros(0, dtype=bool))

    @staticmethod
    def concat(parts: list["Bars"]) -> "Bars":
        parts = [p for p in parts if len(p)]
        if not parts:
            return Bars.empty()
        return Bars(*(np.concatenate([getattr(p, f) for p in parts]) for f in FIELDS))

    def to_sim_bars(self) -> list[SimBar]:
        out = []
        for i in range(len(self.t)):
            v = float(self.v[i])
            wap = float(self.wv[i] / v) if v > 0 else float(self.c[i])
            out.append(SimBar(float(self.t[i]), float(self.o[i]), float(self.h[i]), float(self.l[i]),
                              float(self.c[i]), v, wap, int(self.n[i])))
        return out


def _round_tick(x: np.ndarray, tick: float) -> np.ndarray:
    dec = max(0, -int(math.floor(math.log10(tick))) + 1)
    return np.round(np.round(x / tick) * tick, dec)


# ------------------------------------------------------------------ session grid

def minute_grid(kind: str, t_from: float, t_to: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Session minute starts in [t_from, t_to) with their trading-day stamp and RTH flag.

    Stocks: 04:00-20:00 NY Mon-Fri (RTH 09:30-16:00); FX: Sun 17:00 - Fri 17:00 NY.
    """
    ts, days, rths = [], [], []
    d = trading_date(kind, t_from)
    end_d = trading_date(kind, t_to) + timedelta(days=1)
    while d <= end_d:
        b = session_bounds(kind, d)
        if b is not None:
            lo = max(b[0], math.ceil(t_from / 60) * 60)
            t = np.arange(lo, b[1], 60.0)
            t = t[t < t_to]
            if len(t):
                ts.append(t)
                days.append(np.full(len(t), day_midnight(d)))
                rths.append((t >= b[2]) & (t < b[3]))
        d += timedelta(days=1)
    if not ts:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    return np.concatenate(ts), np.concatenate(days), np.concatenate(rths)


def minute_sigmas(inst: SimInstrument, rth: np.ndarray) -> np.ndarray:
    """Per-minute log-return volatility: stocks put 85 % of daily variance in RTH
    (390 min) and 5 % in the 570 extended minutes (10 % is the overnight gap);
    FX spreads the daily variance over 1,380 minutes."""
    sd = inst.params.annual_vol / math.sqrt(252.0)
    if inst.is_fx:
        return np.full(len(rth), sd / math.sqrt(1380.0))
    if inst.contract.sec_type == "FUT":      # CME Globex: 75 % in the 390 RTH minutes, 25 % in 990 others
        return np.where(rth, sd * math.sqrt(0.75 / 390.0), sd * math.sqrt(0.25 / 990.0))
    return np.where(rth, sd * math.sqrt(0.85 / 390.0), sd * math.sqrt(0.05 / 570.0))


def _volume_profile(inst: SimInstrument, t: np.ndarray, day: np.ndarray, rth: np.ndarray) -> np.ndarray:
    adv = inst.params.adv
    if inst.is_fx:
        return np.full(len(t), adv / 1380.0)
    x = np.clip((t - (day + 9.5 * 3600)) / (6.5 * 3600), 0, 1)   # approx position in RTH (DST ignored)
    u = 1.0 + 2.0 * (2 * x - 1) ** 2
    u = u / 1.6667                                               # mean of u over [0,1] is 5/3
    return np.where(rth, adv * 0.9 / 390.0 * u, adv * 0.1 / (990.0 if inst.contract.sec_type == "FUT" else 570.0))


def start_price(inst: SimInstrument, seed: int) -> float:
    """The seeded live start price: the reference price moved by up to a few % (on tick)."""
    rng = np.random.default_rng([seed, inst.con_id, 0])
    p = inst.params.price * math.exp(0.03 * rng.standard_normal())
    return float(_round_tick(np.array([p]), inst.min_tick)[0])


def synth_minutes(inst: SimInstrument, seed: int, t0: float, s0: float, days: int = INTRADAY_DAYS) -> Bars:
    """Generated minute bars for ``days`` calendar days before ``t0``, whose last close is ``s0``.

    The last bar is the (partial) minute containing ``t0`` when ``t0`` is inside
    a session. Deterministic in (seed, conId, t0).
    """
    t, day, rth = minute_grid(inst.contract.sec_type, t0 - days * 86400.0, t0)
    n = len(t)
    if n == 0:
        return Bars.empty()
    rng = np.random.default_rng([seed, inst.con_id, 1, int(t0 // 60)])
    sig = minute_sigmas(inst, rth)
    r = rng.standard_normal(n) * sig                       # open -> close of each minute
    newday = np.r_[True, day[1:] != day[:-1]]
    sd = inst.params.annual_vol / math.sqrt(252.0)
    g = np.where(newday, rng.standard_normal(n) * sd * math.sqrt(0.10 if not inst.is_fx else 0.0), 0.0)
    d = r + g                                              # close[i-1] -> close[i]
    # log close[i] = log s0 - sum_{j>i} d_j
    rev = np.cumsum(d[::-1])[::-1]
    logc = math.log(s0) - np.r_[rev[1:], 0.0]
    logo = logc - r
    tick = inst.min_tick
    c = _round_tick(np.exp(logc), tick)
    c[-1] = s0
    o = _round_tick(np.exp(logo), tick)
    ext = np.abs(rng.standard_normal((2, n))) * sig * 0.6
    h = np.maximum(_round_tick(np.maximum(o, c) * np.exp(ext[0]), tick), np.maximum(o, c))
    lo = np.minimum(_round_tick(np.minimum(o, c) * np.exp(-ext[1]), tick), np.minimum(o, c))
    lot = 1000.0 if inst.is_fx else inst.lot
    vol = np.round(_volume_profile(inst, t, day, rth) * rng.lognormal(0.0, 0.5, n) / lot) * lot
    vol = np.maximum(vol, lot)
    wap = (h + lo + c) / 3.0
    cnt = np.maximum(1, (vol / (lot * 3)).astype(np.int64))
    return Bars(t, o, h, lo, c, vol, wap * vol, cnt, day, rth)


def synth_daily(inst: SimInstrument, seed: int, first_day: date, close_before: float,
                years: int = DAILY_YEARS) -> Bars:
    """Generated daily bars for the trading dates before ``first_day``; the last close is ``close_before``."""
    dates: list[date] = []
    d = first_day - timedelta(days=1)
    stop = first_day - timedelta(days=int(365.25 * years))
    while d > stop:
        if session_bounds(inst.contract.sec_type, d) is not None:
            dates.append(d)
        d -= timedelta(days=1)
    dates.reverse()
    n = len(dates)
    if n == 0:
        return Bars.empty()
    rng = np.random.default_rng([seed, inst.con_id, 2, first_day.toordinal()])
    sd = inst.params.annual_vol / math.sqrt(252.0)
    r = rng.standard_normal(n) * sd * math.sqrt(0.9)       # open -> close
    g = rng.standard_normal(n) * sd * math.sqrt(0.1)       # prev close -> open
    dd = r + g
    rev = np.cumsum(dd[::-1])[::-1]
    logc = math.log(close_before) - np.r_[rev[1:], 0.0]
    tick = inst.min_tick
    c = _round_tick(np.exp(logc), tick)
    c[-1] = close_before
    o = _round_tick(np.exp(logc - r), tick)
    ext = np.abs(rng.standard_normal((2, n))) * sd * 0.5
    h = np.maximum(_round_tick(np.maximum(o, c) * np.exp(ext[0]), tick), np.maximum(o, c))
    lo = np.minimum(_round_tick(np.minimum(o, c) * np.exp(-ext[1]), tick), np.minimum(o, c))
    lot = 1000.0 if inst.is_fx else inst.lot
    vol = np.round(inst.params.adv * rng.lognormal(0.0, 0.35, n) / lot) * lot
    t = np.array([day_midnight(x) for x in dates])
    return Bars(t, o, h, lo, c, vol, (h + lo + c) / 3.0 * vol, np.maximum(1, (vol / (lot * 3)).astype(np.int64)),
                t.copy(), np.ones(n, dtype=bool))


# ------------------------------------------------------------------ replay

def read_bars_file(path: Path) -> dict[str, pd.DataFrame]:
    """Read a bar CSV: ``<SYMBOL>.csv`` (Date,Open,High,Low,Close,Volume) or a multi-ticker
    file (Ticker,Date,Open,High,Low,Close,Volume[,Adj Close]; may be .gz).

    Returns {SYMBOL: DataFrame[time (naive datetime), open, high, low, close, volume]} sorted by time;
    unadjusted Open..Close are used. Rows with a missing, zero or negative price, high < low, high
    below open/close, low above open/close or negative volume are dropped with a warning naming the
    file and lines (``app.sim.barcheck``). Raises ValueError for a file without those columns or
    with more than half of its bars impossible.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        df = pd.read_csv(fh)
    cols = {c.lower().strip(): c for c in df.columns}
    need = ["date", "open", "high", "low", "close"]
    if any(k not in cols for k in need):
        raise ValueError(f"{path.name}: needs columns Date,Open,High,Low,Close[,Volume], has {list(df.columns)}")
    out = pd.DataFrame({
        "time": pd.to_datetime(df[cols["date"]]),
        "open": df[cols["open"]].astype(float), "high": df[cols["high"]].astype(float),
        "low": df[cols["low"]].astype(float), "close": df[cols["close"]].astype(float),
        "volume": df[cols["volume"]].astype(float) if "volume" in cols else 0.0,
    })
    out = check_bars(out, path.name)      # impossible bars: dropped with a warning, or refused
    if "ticker" in cols:
        tick = df.loc[out.index, cols["ticker"]].astype(str).str.upper()
        return {sym: g.sort_values("time").reset_index(drop=True) for sym, g in out.groupby(tick)}
    sym = re.sub(r"\.csv(\.gz)?$", "", path.name, flags=re.IGNORECASE).upper()
    return {sym: out.sort_values("time").reset_index(drop=True)}


def load_bars_dir(folder: str | Path) -> dict[str, pd.DataFrame]:
    """All bar files (``*.csv``, ``*.csv.gz``) of a replay folder; a later file's symbol wins.

    ``EURUSD`` style six-letter currency-pair names map to ``EUR.USD``.
    Raises SimError-free ValueError if ``folder`` is not a directory.
    """
    p = Path(folder)
    if not p.is_dir():
        raise ValueError(f"bars_dir {folder!r} is not a directory")
    out: dict[str, pd.DataFrame] = {}
    for f in sorted(list(p.glob("*.csv")) + list(p.glob("*.csv.gz"))):
        for sym, df in read_bars_file(f).items():
            if len(df):
                out[sym] = df
    return out


def fx_local_symbol(sym: str) -> str | None:
    """``"EURUSD"`` -> ``"EUR.USD"`` (a six-letter name of known currencies), else None."""
    ccys = {"EUR", "USD", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD"}
    s = sym.upper().replace(".", "").replace("/", "")
    if len(s) == 6 and s[:3] in ccys and s[3:] in ccys:
        return f"{s[:3]}.{s[3:]}"
    return None


def _bridge(rng: np.random.Generator, O, H, L, C, V, m: int) -> tuple[np.ndarray, ...]:
    """Minute paths inside ``len(O)`` bars of ``m`` minutes each: opens at O, closes at C,
    touches H and L, volumes summing to V. Returns 2-D arrays (o, h, l, c, v)."""
    nb = len(O)
    O, H, L, C, V = (np.asarray(x, dtype=float)[:, None] for x in (O, H, L, C, V))
    frac = np.arange(1, m + 1) / m
    w = np.cumsum(rng.standard_normal((nb, m)), axis=1) / math.sqrt(m)
    b = w - frac * w[:, -1:]
    p = O + (C - O) * frac + b * (H - L) * 0.5
    p = np.clip(p, L, H)
    p[:, -1] = C[:, 0]
    o = np.concatenate([O, p[:, :-1]], axis=1)
    hi = np.minimum(np.maximum(o, p) + np.abs(rng.standard_normal((nb, m))) * (H - L) * 0.03, H)
    lo = np.maximum(np.minimum(o, p) - np.abs(rng.standard_normal((nb, m))) * (H - L) * 0.03, L)
    rows = np.arange(nb)
    hi[rows, np.argmax(hi, axis=1)] = H[:, 0]
    lo[rows, np.argmin(lo, axis=1)] = L[:, 0]
    wts = rng.random((nb, m)) + 0.3
    wts /= wts.sum(axis=1, keepdims=True)
    v = np.floor(V * wts)
    v[:, -1] += V[:, 0] - v.sum(axis=1)
    return o, hi, lo, p, v


def _slots_back(kind: str, t0: float, step: float, count: int, rth_only: bool) -> list[tuple[float, float, float]]:
    """The last ``count`` clock-aligned slots of ``step`` seconds inside sessions that started
    before ``t0``, as (slot start, slot end clipped to session/t0, day stamp), oldest first."""
    out: list[tuple[float, float, float]] = []
    d = trading_date(kind, t0)
    guard = 0
    while len(out) < count and guard < 20000:
        guard += 1
        b = session_bounds(kind, d)
        if b is not None:
            lo, hi = (b[2], b[3]) if rth_only else (b[0], b[1])
            hi = min(hi, t0)
            if hi > lo:
                s = math.floor((hi - 1e-9) / step) * step
                while s + step > lo and len(out) < count:
                    a = max(s, lo)
                    z = min(s + step, hi)
                    if z > a:
                        out.append((a, z, day_midnight(d)))
                    s -= step
        d -= timedelta(days=1)
    out.reverse()
    return out


def replay_series(inst: SimInstrument, df: pd.DataFrame, seed: int, t0: float,
                  days: int = INTRADAY_DAYS) -> tuple[Bars, Bars, tuple[np.ndarray, np.ndarray] | None]:
    """Minute and older-daily tables for real bars ``df`` shifted to end at ``t0``.

    Daily data: the last real bar is placed on the latest trading date whose
    regular session has started by ``t0``, earlier bars on the trading dates
    before it; the last ~``days`` calendar days get bridge minutes in RTH (the
    bar containing ``t0`` is squeezed into the minutes before ``t0``).
    Intraday data (bar spacing < 1 day): bars are placed on consecutive
    clock-aligned session slots of the same length ending at ``t0`` (stocks:
    regular-hours slots only, as intraday stock files usually are). The last
    real bar is held back as the *next* bar: the live stream walks through it
    after ``t0`` (see ``ahead``).
    Returns (minutes, daily_before_minutes, ahead) where ``ahead`` is None or
    (times, prices): a path starting at (t0, last history close) that passes
    through the held-back bar's open, low, high and close minute by minute,
    for the live mid to follow. Prices are kept as given.
    """
    kind = inst.contract.sec_type
    times = df["time"].to_numpy()
    step = float(np.median(np.diff(times.astype("datetime64[s]").astype(np.int64)))) if len(df) > 1 else 86400.0
    rng = np.random.default_rng([seed, inst.con_id, 4])
    O, H, L, C, V = (df[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close", "volume"))
    H = np.maximum.reduce([H, O, C])
    L = np.minimum.reduce([L, O, C])
    V = np.nan_to_num(np.maximum(V, 0.0))
    if step >= 20 * 3600:
        rth_only = kind != CASH
        # trading dates whose (RTH) session started before t0, newest last
        dates: list[date] = []
        d = trading_date(kind, t0)
        while len(dates) < len(df):
            b = session_bounds(kind, d)
            if b is not None and (b[2] if rth_only else b[0]) < t0:
                dates.append(d)
            d -= timedelta(days=1)
        dates.reverse()
        cut_day = dates[-1] - timedelta(days=days)
        k = next((i for i, x in enumerate(dates) if x > cut_day), len(dates))
        dt = np.array([day_midnight(x) for x in dates[:k]])
        older = Bars(dt, O[:k], H[:k], L[:k], C[:k], V[:k], (H[:k] + L[:k] + C[:k]) / 3 * V[:k],
                     np.maximum(1, (V[:k] / 300).astype(np.int64)), dt.copy(), np.ones(k, dtype=bool))
        parts = []
        for i in range(k, len(dates)):
            b = session_bounds(kind, dates[i])
            lo, hi = (b[2], b[3]) if rth_only else (b[0], b[1])
            t = np.arange(lo, min(hi, t0), 60.0)
            if len(t) == 0:
                t = np.array([lo])
            o, h, l_, c, v = (x[0] for x in _bridge(rng, O[i:i + 1], H[i:i + 1], L[i:i + 1], C[i:i + 1],
                                                   V[i:i + 1], len(t)))
            parts.append(Bars(t, o, h, l_, c, v, (h + l_ + c) / 3 * v, np.maximum(1, (v / 100).astype(np.int64)),
                              np.full(len(t), day_midnight(dates[i])),
                              np.ones(len(t), dtype=bool) if kind == CASH else (t >= b[2]) & (t < b[3])))
        return Bars.concat(parts), older, None
    step = max(60.0, round(step / 60.0) * 60.0)
    ahead = None
    if len(df) >= 2:
        m = int(step // 60)
        o, h, l_, c, _ = (x[0] for x in _bridge(rng, O[-1:], H[-1:], L[-1:], C[-1:], V[-1:], m))
        ts, ps = [t0], [float(C[-2])]
        for i in range(m):
            up = c[i] >= o[i]                  # rising minute: low first, then high
            first, second = (l_[i], h[i]) if up else (h[i], l_[i])
            ts += [t0 + 60 * i + 1, t0 + 60 * i + 20, t0 + 60 * i + 40, t0 + 60 * (i + 1)]
            ps += [float(o[i]), float(first), float(second), float(c[i])]
        ahead = (np.array(ts), np.array(ps))
        O, H, L, C, V = O[:-1], H[:-1], L[:-1], C[:-1], V[:-1]
        df = df.iloc[:-1]
    slots = _slots_back(kind, t0, step, len(df), rth_only=kind != CASH)
    off = len(df) - len(slots)
    O, H, L, C, V = O[off:], H[off:], L[off:], C[off:], V[off:]
    # full-length slots go through one vectorised bridge, partial ones one by one
    m_full = int(step // 60)
    starts = np.array([a for a, _, _ in slots])
    stamps = np.array([d for _, _, d in slots])
    lens = np.array([max(1, int(math.ceil((z - a) / 60))) for a, z, _ in slots])
    # RTH window per slot (FX: the whole session)
    rth_lo = np.full(len(slots), -np.inf)
    rth_hi = np.full(len(slots), np.inf)
    if kind != CASH:
        for i, a in enumerate(starts):
            b = session_bounds(kind, trading_date(kind, float(a)))
            if b is not None:
                rth_lo[i], rth_hi[i] = b[2], b[3]
    parts = []

    def part(idx: np.ndarray, m: int) -> Bars:
        o, h, l_, c, v = (x.ravel() for x in _bridge(rng, O[idx], H[idx], L[idx], C[idx], V[idx], m))
        t = (starts[idx][:, None] + 60.0 * np.arange(m)).ravel()
        rth = (t >= np.repeat(rth_lo[idx], m)) & (t < np.repeat(rth_hi[idx], m))
        return Bars(t, o, h, l_, c, v, (h + l_ + c) / 3 * v, np.maximum(1, (v / 100).astype(np.int64)),
                    np.repeat(stamps[idx], m), rth)

    full = np.flatnonzero(lens == m_full)
    if len(full):
        parts.append(part(full, m_full))
    for i in np.flatnonzero(lens != m_full):
        parts.append(part(np.array([i]), int(lens[i])))
    out = Bars.concat(parts)
    return out.take(np.argsort(out.t, kind="stable")), Bars.empty(), ahead


# ------------------------------------------------------------------ requests

_DURATION = re.compile(r"^\s*(\d+)\s+([SDWMY])\s*$")
#: IB barSizeSetting -> seconds (the list and the request limits are ``app.domain.bars``'s)
_BAR_SIZES: dict[str, int] = {name: secs for name, (secs, _duration) in BAR_SIZES.items()}
#: aliases TWS also accepts
_BAR_ALIASES = {"1 mins": "1 min", "1 hours": "1 hour", "1W": "1 week", "1M": "1 month"}
#: TWS's text for an unknown bar size (error 321)
BAD_BAR_SIZE_TEXT = ("Error validating request.-'bK' : cause - Historical data bar size setting is invalid. "
                     "Legal ones are: 1 secs, 5 secs, 10 secs, 15 secs, 30 secs, 1 min, 2 mins, 3 mins, 5 mins, "
                     "10 mins, 15 mins, 20 mins, 30 mins, 1 hour, 2 hours, 3 hours, 4 hours, 8 hours, 1 day, "
                     "1W, 1M")
WHAT_TO_SHOW = ("TRADES", "MIDPOINT", "BID", "ASK", "BID_ASK", "ADJUSTED_LAST")


def _bad(cause: str) -> SimError:
    return SimError(321, f"Error validating request.-'bW' : cause - {cause}")


def parse_duration(duration: str) -> tuple[int, str]:
    """``"2 D"`` -> (2, "D"). Raises SimError 321 for anything else (IB's durationStr rules)."""
    m = _DURATION.match(duration or "")
    if not m or int(m.group(1)) <= 0:
        raise _bad(f"Historical data request duration format is invalid: {duration!r}")
    return int(m.group(1)), m.group(2)


def bar_size_key(bar_size: str) -> str:
    """The canonical IB barSizeSetting ("1 mins" -> "1 min", "1W" -> "1 week"). Raises SimError
    321 with TWS's text listing the legal ones for anything else."""
    key = " ".join((bar_size or "").split())
    key = _BAR_ALIASES.get(key, key)
    if key not in _BAR_SIZES:
        raise SimError(321, BAD_BAR_SIZE_TEXT)
    return key


def parse_bar_size(bar_size: str) -> int:
    """IB barSizeSetting -> seconds ("1 min" = 60, "1 day" = 86400). Raises SimError 321.

    Seconds bars ("1 secs" .. "30 secs") are built by ``app.sim.seconds``.
    """
    return _BAR_SIZES[bar_size_key(bar_size)]


def check_request(bar_size: str, duration: str) -> None:
    """Refuse a (bar size, duration) pair as TWS does (``app.domain.bars.duration_problem``:
    IB's step sizes, 162 "invalid step" for seconds bars over a longer duration; 321 for a
    ``D`` duration over 365 days or an ``S`` one over 86400 seconds). SimError 321 for a
    malformed duration or an unknown bar size."""
    parse_duration(duration)
    problem = duration_problem(bar_size_key(bar_size), " ".join(duration.split()))
    if problem is not None:
        raise SimError(*problem)


def aggregate(m: Bars, keys: np.ndarray, stamps: np.ndarray | None = None) -> Bars:
    """Aggregate consecutive rows with equal ``keys`` (non-decreasing) into one bar each:
    open of the first, max high, min low, close of the last, summed volume/wv/count.
    ``stamps`` (default ``keys``) gives each group's time."""
    if len(m) == 0:
        return Bars.empty()
    idx = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    last = np.r_[idx[1:], len(keys)] - 1
    st = (keys if stamps is None else stamps)[idx]
    return Bars(st.astype(float), m.o[idx], np.maximum.reduceat(m.h, idx), np.minimum.reduceat(m.l, idx),
                m.c[last], np.add.reduceat(m.v, idx), np.add.reduceat(m.wv, idx), np.add.reduceat(m.n, idx),
                m.day[idx], m.rth[idx])


def session_open_offsets(kind: str, rth: bool) -> float:
    """Seconds from a trading date's 00:00 New York to its session open
    (FX -7 h = 17:00 the day before; futures -6 h = 18:00 the day before, 09:30 RTH;
    stocks 09:30 RTH or 04:00 extended)."""
    if kind == CASH:
        return -7 * 3600.0
    if kind == "FUT" and not rth:
        return -6 * 3600.0
    return 9.5 * 3600.0 if rth else 4 * 3600.0


def bucket(m: Bars, bar_seconds: int, open_offset: float | None = None) -> Bars:
    """Minute table -> bars of ``bar_seconds``: clock-aligned (UTC = New York on hour
    boundaries) below a day; per trading date for "1 day"; Monday-keyed weeks and
    calendar months (by the trading date) above. With ``open_offset`` (see
    ``session_open_offsets``) an intraday bar that begins before its session opens
    is stamped with the session open, as IB labels the first RTH hour bar 09:30."""
    if bar_seconds < 86400:
        keys = np.floor(m.t / bar_seconds) * bar_seconds
        if open_offset is None:
            return aggregate(m, keys)
        return aggregate(m, keys, stamps=np.maximum(keys, m.day + open_offset))
    daily = aggregate(m, m.day)
    if bar_seconds == 86400:
        return daily
    dts = pd.to_datetime(daily.t, unit="s", utc=True).tz_convert(NY)
    if bar_seconds == 7 * 86400:
        start = (dts.normalize() - pd.to_timedelta(dts.day_of_week, unit="D"))
    else:
        start = dts.normalize() - pd.to_timedelta(dts.day - 1, unit="D")
    keys = (start.asi8 // 10**9).astype(float)
    return aggregate(daily, keys, stamps=daily.t)


def range_start(kind: str, end: float, n: int, unit: str) -> float:
    """POSIX start of a duration ending at ``end``: S seconds; D = the last ``n`` trading
    sessions (the one in progress counts); W/M/Y = 7/30/365 calendar days per unit."""
    if unit == "S":
        return end - n
    if unit == "W":
        return end - n * 7 * 86400.0
    if unit == "M":
        return end - n * 30 * 86400.0
    if unit == "Y":
        return end - n * 365 * 86400.0
    d = trading_date(kind, end)
    found = 0
    start = end
    for _ in range(n * 3 + 15):
        b = session_bounds(kind, d)
        if b is not None and b[0] < end:
            start = b[0]
            found += 1
            if found == n:
                break
        d -= timedelta(days=1)
    return start
