"""Sanity checks of replayed bar files (``--bars DIR``): impossible bars never replay silently.

A bar is impossible when a price is missing, zero or negative, ``high < low``, ``high`` is
below the open or the close, ``low`` is above the open or the close, or the volume is
negative. :func:`check_bars` drops such rows and logs one warning per file on the
``app.sim.bars`` logger (stderr under ``python -m app.sim``) naming the file, the count and
the first :data:`SHOWN` rows with their CSV line numbers and problems; a file where more than
:data:`MAX_BAD_SHARE` of the rows are impossible is refused (ValueError), since what is left
would not be that market.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

log = logging.getLogger("app.sim.bars")

#: more than this share of impossible rows refuses the whole file
MAX_BAD_SHARE = 0.5
#: rows quoted in the warning (the rest are counted)
SHOWN = 5
#: the header is line 1 of a CSV; data row i (0-based) is line i + 2
_FIRST_LINE = 2


def bar_problems(df: pd.DataFrame) -> pd.Series:
    """Per row: "" for a possible bar, else the problems joined by "; ". ``df`` has float
    columns open, high, low, close, volume (NaN volume counts as unknown, not negative)."""
    o, h, lo, c, v = (df[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close", "volume"))
    checks = [
        (np.isnan(o) | np.isnan(h) | np.isnan(lo) | np.isnan(c), "missing price"),
        ((o <= 0) | (h <= 0) | (lo <= 0) | (c <= 0), "zero or negative price"),
        (h < lo, "high < low"),
        ((h < o) | (h < c), "high below open/close"),
        ((lo > o) | (lo > c), "low above open/close"),
        (v < 0, "negative volume"),
    ]
    out = [""] * len(df)
    for mask, text in checks:
        for i in np.flatnonzero(mask):
            out[i] = f"{out[i]}; {text}" if out[i] else text
    return pd.Series(out, index=df.index)


def check_bars(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """``df`` (rows in file order, a RangeIndex from ``pd.read_csv``) without impossible bars.
    Logs a warning naming ``name`` (the file), how many rows were dropped and the first
    :data:`SHOWN` with their line numbers and problems. Raises ValueError when more than
    :data:`MAX_BAD_SHARE` of the rows are impossible."""
    problems = bar_problems(df)
    bad = problems[problems != ""]
    if bad.empty:
        return df
    n, total = len(bad), len(df)
    shown = "; ".join(f"line {int(i) + _FIRST_LINE}: {p}" for i, p in bad.head(SHOWN).items())
    more = f" (and {n - SHOWN} more)" if n > SHOWN else ""
    if n > MAX_BAD_SHARE * total:
        raise ValueError(f"{name}: {n} of {total} bars are impossible ({shown}{more}); "
                         "refusing the file")
    log.warning("%s: skipped %d of %d impossible bars: %s%s", name, n, total, shown, more)
    return df[problems == ""]
