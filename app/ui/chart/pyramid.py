"""The chart's one merge pyramid of the raw bars, built in steps on the Qt event loop.

The price and volume items of a chart read the same :class:`~app.ui.chart.merge.MergePyramid`
(``BarSeriesItem.share_pyramid``): one copy of the merge levels (1M bars: ~24 MB in float32) instead of
one per item. Building it for a new history is O(n) (1M bars: ~50 ms plus first touching
its memory), too long for one event-loop callback, so :class:`SteppedPyramid` extends it by
:data:`PYRAMID_STEP` bars per zero-timeout ``QTimer`` callback until it covers the history.
Meanwhile the items stay correct: bars past ``pyramid.length`` are merged directly
(``BarSeriesItem.merged``/``visible_extremes`` fall back to :func:`merge_ohlcv`), only slower
when zoomed far out. Small changes (a live tick, an appended bar, a small history) are synced
at once.

The pyramid is a :class:`CompactPyramid`: its merged levels are float32 (1M bars: 24 MB instead
of 48 MB). They are only drawn (candles, volume bars, the y range fit); the bars themselves, the
readouts and the live bar stay float64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.ui.chart.merge import MergePyramid

#: bars added to the pyramid per event-loop callback (a few ms)
PYRAMID_STEP = 65_536


class CompactPyramid(MergePyramid):
    """A :class:`MergePyramid` whose merged levels (and level 0's volume copy) are float32.

    float32 keeps 24 significant bits: a price is off by at most ``p * 2**-24`` (under 0.006
    at 100,000, below a 0.01 tick; under a millionth of the price at any level, far below a
    pixel), and a volume is exact up to 16,777,216 shares and within 6e-8 of itself above
    (summed groups may lose that much per level). Merged bars are returned as float64 as
    before (:meth:`MergePyramid.merged` converts the screen's few candles).
    """

    dtype = np.float32


class SteppedPyramid(QObject):
    """A :class:`CompactPyramid` (``pyramid``) kept in step with the chart's bars.

    ``arrays()`` returns the current ``(open, high, low, close, volume)`` float64 arrays
    (fetched again at every step: the owner may reallocate them). :meth:`sync` is called on
    every data change with the length to cover (the history part: count - 1) and ``keep``
    (leading bars unchanged, as ``MergePyramid.sync``). Signal ``built()`` when a stepped
    build has covered the whole length (the items then redraw from the pyramid).
    ``steps`` counts the stepped callbacks (tests).
    """

    built = Signal()

    def __init__(self, arrays: Callable[[], tuple[np.ndarray, ...]], parent: QObject | None = None, *,
                 step: int = PYRAMID_STEP):
        super().__init__(parent)
        self.pyramid = CompactPyramid()
        self.step = int(step)
        self.steps = 0
        self._arrays = arrays
        self._target = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._extend)

    @property
    def building(self) -> bool:
        """True while the pyramid covers fewer bars than the last :meth:`sync` asked for."""
        return self.pyramid.length < self._target

    def sync(self, length: int, keep: int = 0) -> None:
        """Cover bars ``0..length-1``; ``keep`` leading bars are unchanged since the last call.
        Up to :attr:`step` new bars are synced now, more in later event-loop callbacks."""
        self._target = int(length)
        keep = min(int(keep), self.pyramid.length, self._target)
        if self._target - keep <= self.step:
            self.pyramid.sync(*self._arrays(), length=self._target, keep=keep)
            self._timer.stop()
            return
        # the valid prefix only; the rest comes step by step
        self.pyramid.sync(*self._arrays(), length=keep, keep=keep)
        if not self._timer.isActive():
            self._timer.start()

    def _extend(self) -> None:
        self.steps += 1
        done = self.pyramid.length
        if done >= self._target:
            return
        self.pyramid.sync(*self._arrays(), length=min(self._target, done + self.step), keep=done)
        if self.pyramid.length < self._target:
            self.pyramid.reserve(self._target)  # later steps fill, never reallocate
            self._timer.start()
        else:
            self.built.emit()
