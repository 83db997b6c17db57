"""Visible-range slicing and merging of OHLCV bars for drawing (pure numpy, no Qt).

When the chart is zoomed out so far that several bars share one pixel column,
drawing every bar wastes time and shows nothing more. :func:`merge_ohlcv`
combines each group of ``group`` consecutive bars into one candle that keeps
the group's TRUE extremes: open = first open, high = max high, low = min low,
close = last close, volume = sum of volumes. Groups are aligned on multiples
of ``group`` (bar index ``k*group .. k*group+group-1``) so that panning does not
change which bars merge (the picture is stable while the mouse drags).
The approach follows finplot (draw only the visible range, about one candle
per pixel).

Arrays are float64 prices in instrument currency and volumes in shares; the x
axis is the bar index (0 = oldest bar).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class MergedBars:
    """Bars ready to draw: ``x`` is the centre (in bar-index units) of each candle.

    ``width`` is the number of source bars per candle (1 = not merged); every
    array has the same length.
    """

    x: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    width: int

    def __len__(self) -> int:
        return int(self.x.shape[0])


def visible_slice(x_min: float, x_max: float, count: int, group: int = 1, margin: int = 1) -> tuple[int, int]:
    """The half-open index range ``[start, stop)`` of bars to draw for a view of ``x_min..x_max``.

    ``count`` is the number of bars; ``margin`` extra bars are kept on each side
    so candles cut by the view edge are still drawn. ``start`` is rounded down
    to a multiple of ``group`` (merge alignment). Returns ``(0, 0)`` when the
    view shows no bar. Raises ``ValueError`` for ``group < 1`` or ``count < 0``.
    """
    if group < 1:
        raise ValueError(f"group must be >= 1, got {group}")
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    if count == 0 or not (math.isfinite(x_min) and math.isfinite(x_max)) or x_max < x_min:
        return 0, 0
    start = max(0, math.floor(x_min) - margin)
    stop = min(count, math.ceil(x_max) + margin + 1)
    if start >= stop:
        return 0, 0
    start -= start % group
    return start, stop


def group_for(bars_per_pixel: float) -> int:
    """Bars merged per candle for a zoom of ``bars_per_pixel`` (bars per device pixel).

    1 while a bar is at least a pixel wide; otherwise the next power of two
    at or above ``bars_per_pixel`` (powers of two keep groups stable while
    zooming by small steps), so about one candle per pixel column.
    """
    if not math.isfinite(bars_per_pixel) or bars_per_pixel <= 1.0:
        return 1
    return 1 << math.ceil(math.log2(bars_per_pixel))


def merge_ohlcv(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray,
                volume: np.ndarray, start: int, stop: int, group: int = 1) -> MergedBars:
    """Bars ``start..stop-1`` merged ``group`` at a time (see the module docstring).

    ``start`` should be a multiple of ``group`` (as :func:`visible_slice`
    returns); the last group may be shorter. NaN prices in a group are ignored
    (``fmax``/``fmin``), a group of only NaN stays NaN. Raises ``ValueError``
    for arrays of different lengths, ``group < 1`` or a range outside the arrays.
    """
    n = open_.shape[0]
    if not (high.shape[0] == low.shape[0] == close.shape[0] == volume.shape[0] == n):
        raise ValueError("open, high, low, close and volume must have the same length")
    if group < 1:
        raise ValueError(f"group must be >= 1, got {group}")
    if not (0 <= start <= stop <= n):
        raise ValueError(f"range {start}..{stop} is outside 0..{n}")
    if start == stop:
        empty = np.empty(0, dtype=np.float64)
        return MergedBars(empty, empty, empty, empty, empty, empty, group)
    if group == 1:
        x = np.arange(start, stop, dtype=np.float64)
        return MergedBars(x, open_[start:stop], high[start:stop], low[start:stop],
                          close[start:stop], volume[start:stop], 1)
    starts = np.arange(start, stop, group)
    ends = np.minimum(starts + group, stop)  # exclusive
    rel = starts - start
    h = np.fmax.reduceat(high[start:stop], rel)
    lo = np.fmin.reduceat(low[start:stop], rel)
    v = np.add.reduceat(np.nan_to_num(volume[start:stop], nan=0.0), rel)
    o = open_[starts]
    c = close[ends - 1]
    x = (starts + ends - 1) / 2.0
    return MergedBars(x.astype(np.float64), o, h, lo, c, v, group)
