"""Bars for a backtest: :func:`load_csv` (OHLCV files as ``../shared/data/GOOG.csv``) and
:func:`check_bars` (the table :func:`app.backtest.run_backtest` accepts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from app.strategy.base import BAR_COLUMNS

_PRICES = ("open", "high", "low", "close")


def load_csv(path: str | Path) -> pd.DataFrame:
    """Read an OHLCV CSV with a header row ``Date,Open,High,Low,Close,Volume`` (names in any
    case and order; ``Time``/``Datetime``/``Timestamp`` also name the time column; other columns
    ignored; Volume optional, 0 when absent). Dates/times without a zone are taken as UTC
    (daily bars: midnight UTC of the date). Returns columns time (UTC), open, high, low, close
    (float64, instrument currency), volume (float64, shares), sorted by time.

    Raises ``ValueError`` naming the file and the problem: missing columns, a row whose time
    or price cannot be read (its line number), no rows, duplicate times. ``FileNotFoundError``
    for a missing file.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such file")
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise ValueError(f"{p}: not a readable CSV file ({e})") from None
    cols = {c.strip().lower(): c for c in raw.columns}
    time_col = next((cols[k] for k in ("date", "time", "datetime", "timestamp") if k in cols), None)
    missing = ([] if time_col else ["Date"]) + [k.capitalize() for k in _PRICES if k not in cols]
    if missing:
        raise ValueError(f"{p}: missing column(s) {', '.join(missing)}; the header must have "
                         f"Date,Open,High,Low,Close[,Volume] (found {', '.join(map(str, raw.columns)) or 'none'})")
    if raw.empty:
        raise ValueError(f"{p}: no data rows")
    times = pd.to_datetime(raw[time_col].str.strip(), errors="coerce", utc=True, format="mixed")
    out = {"time": times}
    bad = times.isna()
    for k in (*_PRICES, "volume"):
        if k in cols:
            v = pd.to_numeric(raw[cols[k]].str.strip(), errors="coerce")
        else:
            v = pd.Series(0.0, index=raw.index)
        bad |= v.isna()
        out[k] = v.astype(np.float64)
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 2).tolist()   # +1 header, +1 one-based
        shown = ", ".join(map(str, rows[:5])) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
        raise ValueError(f"{p}: cannot read the time or a number on line(s) {shown}")
    df = pd.DataFrame(out).sort_values("time", kind="stable").reset_index(drop=True)
    try:
        return check_bars(df)
    except ValueError as e:
        raise ValueError(f"{p}: {e}") from None


def check_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """``bars`` checked and normalised for a backtest: columns :data:`BAR_COLUMNS` (volume
    optional), at least one row, times UTC (naive taken as UTC) strictly increasing, prices
    finite and > 0, low <= open, close <= high. Returns a new frame (float64 prices). Raises
    ``ValueError`` saying what is wrong (the first bad row's time)."""
    if not isinstance(bars, pd.DataFrame):
        raise ValueError(f"bars must be a pandas DataFrame, got {type(bars).__name__}")
    missing = [c for c in ("time", *_PRICES) if c not in bars.columns]
    if missing:
        raise ValueError(f"bars miss column(s) {', '.join(missing)} (need {', '.join(BAR_COLUMNS)})")
    if len(bars) == 0:
        raise ValueError("no bars")
    t = pd.to_datetime(bars["time"], utc=True)
    df = pd.DataFrame({"time": t.reset_index(drop=True)})
    for k in _PRICES:
        df[k] = bars[k].to_numpy(dtype=np.float64)
    df["volume"] = bars["volume"].to_numpy(dtype=np.float64) if "volume" in bars else 0.0
    tv = df["time"].to_numpy()
    dup = np.flatnonzero(tv[1:] <= tv[:-1])
    if len(dup):
        raise ValueError(f"bar times must increase strictly: {df['time'].iloc[dup[0] + 1]} follows "
                         f"{df['time'].iloc[dup[0]]}")
    px = df[list(_PRICES)].to_numpy()
    bad = ~np.isfinite(px).all(axis=1) | (px <= 0).any(axis=1)
    o, h, lo, c = px.T
    with np.errstate(invalid="ignore"):
        bad |= (lo > np.minimum(o, c) + 1e-9) | (h < np.maximum(o, c) - 1e-9)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"bar at {df['time'].iloc[j]} has bad prices (open {o[j]}, high {h[j]}, low {lo[j]}, "
                         f"close {c[j]}): need finite prices > 0 with low <= open, close <= high")
    return df
