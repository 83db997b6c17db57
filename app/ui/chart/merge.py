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


class MergePyramid:
    """Power-of-two merge levels of an OHLCV prefix, built once, extended on append.

    Level ``k`` holds the bars merged ``2**k`` at a time on groups aligned at
    multiples of ``2**k`` (the same groups and rules as :func:`merge_ohlcv`:
    open first, high ``fmax``, low ``fmin``, close last, volume summed with NaN
    as 0). Level 0 is the source open/high/low/close arrays themselves (not
    copied; volume is copied with NaN as 0). Reading a merged range
    (:meth:`merged`) costs the number of *candles drawn*, i.e. the screen
    width, whatever the number of bars; :meth:`extremes` answers
    min(low)/max(high) of any range with O(log n) lookups of aligned blocks
    (no scan of the range).

    ``length`` is the number of leading bars covered (the chart's history
    part excludes the live last bar). Memory: about one extra copy of the
    five arrays in total (levels halve). Raises ``ValueError`` for arrays of
    different lengths or a length outside them.

    ``dtype`` is the element type of the merged levels (level 0's open/high/low/close
    are the source arrays whatever it is); a subclass may hold them narrower
    (``app.ui.chart.pyramid.CompactPyramid``: float32).
    """

    #: element type of the levels above 0 and of level 0's volume copy
    dtype: type = np.float64

    def __init__(self) -> None:
        self.length = 0
        self._levels: list[tuple[np.ndarray, ...]] = []  # arrays with spare capacity at the end
        self._sizes: list[int] = []  # valid length of each level

    @property
    def depth(self) -> int:
        """Number of levels (level 0 included); 0 before :meth:`sync`."""
        return len(self._levels)

    def level(self, k: int) -> tuple[np.ndarray, ...]:
        """(open, high, low, close, volume) of level ``k`` (groups of ``2**k`` bars), valid part only."""
        return tuple(a[: self._sizes[k]] for a in self._levels[k])

    @classmethod
    def _buffers(cls, old, size: int, first: int) -> list[np.ndarray]:
        """Arrays for ``size`` values keeping ``old[:first]``; grown by doubling (amortised appends)."""
        if old is not None and old[0].shape[0] >= size:
            return list(old)
        cap = size if old is None else max(size, 2 * old[0].shape[0])
        bufs = [np.empty(cap, dtype=cls.dtype) for _ in range(5)]
        if old is not None and first:
            for b, o in zip(bufs, old):
                b[:first] = o[:first]
        return bufs

    def sync(self, open_, high, low, close, volume, length: int | None = None, keep: int = 0) -> None:
        """Cover bars ``0..length-1`` of the arrays; ``keep`` leading bars are unchanged since the last sync.

        Only the groups touching bars ``>= keep`` are recomputed in place, so
        an append (``keep = old length``) costs O(log n) small writes
        (amortised: levels grow by doubling). ``keep=0`` rebuilds every level
        (O(n), about 2n element operations: ~40 ms at 1M bars).
        """
        arrays = [np.asarray(a, dtype=np.float64) for a in (open_, high, low, close, volume)]
        n = arrays[0].shape[0]
        if any(a.shape[0] != n for a in arrays):
            raise ValueError("open, high, low, close and volume must have the same length")
        length = n if length is None else int(length)
        if not 0 <= length <= n:
            raise ValueError(f"length {length} is outside 0..{n}")
        keep = max(0, min(int(keep), self.length, length)) if self._levels else 0
        o, h, lo, c, v = (a[:length] for a in arrays)
        old0 = self._levels[0] if keep else None
        vbuf = old0[4] if old0 is not None else None
        if vbuf is None or vbuf.shape[0] < length:
            grown = np.empty(length if vbuf is None else max(length, 2 * vbuf.shape[0]), dtype=self.dtype)
            if vbuf is not None and keep:
                grown[:keep] = vbuf[:keep]
            vbuf = grown
        vbuf[keep:length] = np.nan_to_num(v[keep:], nan=0.0)
        levels, sizes = [(o, h, lo, c, vbuf)], [length]
        k, m = 1, length
        while m > 1:
            prev = [a[:m] for a in levels[-1]]
            size = (m + 1) // 2
            old = self._levels[k] if keep and k < len(self._levels) else None
            first = min(keep >> k, self._sizes[k]) if old is not None else 0
            arrs = self._buffers(old, size, first)
            lo_i = 2 * first
            pairs_end = (m - lo_i) // 2 * 2 + lo_i  # end of the complete pairs
            ev, od = slice(lo_i, pairs_end, 2), slice(lo_i + 1, pairs_end, 2)
            sl = slice(first, first + (pairs_end - lo_i) // 2)
            arrs[0][sl] = prev[0][ev]
            np.fmax(prev[1][ev], prev[1][od], out=arrs[1][sl])
            np.fmin(prev[2][ev], prev[2][od], out=arrs[2][sl])
            arrs[3][sl] = prev[3][od]
            np.add(prev[4][ev], prev[4][od], out=arrs[4][sl])
            if m % 2:  # odd tail: a group of one
                for idx in range(5):
                    arrs[idx][size - 1] = prev[idx][m - 1]
            levels.append(tuple(arrs))
            sizes.append(size)
            k, m = k + 1, size
        self._levels, self._sizes = levels, sizes
        self.length = length

    def reserve(self, length: int) -> None:
        """Give every level room for ``length`` bars (the valid part is kept), so growing to
        ``length`` by :meth:`sync` steps never reallocates (a doubling copies the level and
        first-touches twice its memory: ~50 ms near 1M bars)."""
        k, size = 0, int(length)
        levels = []
        for k, level in enumerate(self._levels):
            size = max(1, -(-int(length) // (1 << k)))
            bufs = list(level)
            for i, a in enumerate(level):
                if (k or i == 4) and a.shape[0] < size:  # level 0: only the volume is a buffer
                    bufs[i] = np.empty(size, dtype=self.dtype)
                    bufs[i][: self._sizes[k]] = a[: self._sizes[k]]
            levels.append(tuple(bufs))
        self._levels = levels

    def merged(self, start: int, stop: int, group: int) -> MergedBars:
        """Bars ``start..stop-1`` merged ``group`` (a power of two) at a time, whole groups.

        ``start`` is rounded down to a multiple of ``group`` and the last group
        is complete (up to ``length``), so every candle shows its whole group's
        true extremes. Raises ``ValueError`` if ``group`` is not a power of two
        or the range is outside ``0..length``.
        """
        if group < 1 or group & (group - 1):
            raise ValueError(f"group must be a power of two, got {group}")
        if not (0 <= start <= stop <= self.length):
            raise ValueError(f"range {start}..{stop} is outside 0..{self.length}")
        k = group.bit_length() - 1
        if start == stop or not self._levels:
            empty = np.empty(0, dtype=np.float64)
            return MergedBars(empty, empty, empty, empty, empty, empty, group)
        k = min(k, len(self._levels) - 1)
        g = 1 << k
        j0, j1 = start >> k, (stop + g - 1) >> k
        o, h, lo, c, v = (a[j0:j1].astype(np.float64) for a in self._levels[k])  # a copy
        g0 = np.arange(j0, j1, dtype=np.float64) * g
        g1 = np.minimum(g0 + g, self.length)
        return MergedBars((g0 + g1 - 1) / 2.0, o, h, lo, c, v, g)

    def extremes(self, start: int, stop: int) -> tuple[float, float]:
        """(min low, max high) of bars ``start..stop-1`` (NaN ignored; NaN, NaN if none).

        Walks the range with the largest aligned power-of-two blocks
        (O(log n) lookups), so fitting the y axis costs nothing at 1M bars.
        """
        if not (0 <= start <= stop <= self.length):
            raise ValueError(f"range {start}..{stop} is outside 0..{self.length}")
        lows, highs = [], []
        i = start
        while i < stop:
            k = (i & -i).bit_length() - 1 if i else len(self._levels) - 1
            while k > 0 and i + (1 << k) > stop:
                k -= 1
            k = min(k, len(self._levels) - 1)
            j = i >> k  # j < self._sizes[k]: the block lies inside the range
            lows.append(self._levels[k][2][j])
            highs.append(self._levels[k][1][j])
            i += 1 << k
        if not lows:
            return math.nan, math.nan
        lo_a, hi_a = np.array(lows), np.array(highs)
        if not np.isfinite(lo_a).any():
            return math.nan, math.nan
        return float(np.nanmin(lo_a)), float(np.nanmax(hi_a))
