"""Coalescing of table updates: mark cells dirty now, emit ``dataChanged`` later.

Session events can arrive thousands of times a second; a view must not repaint
per tick (DESIGN.md, "Updates are coalesced"). A model marks the changed
(row, column) cells with :meth:`DirtyCells.mark`; the model's flush callback
is then called once per range of :func:`changed_ranges` (consecutive rows with
the same changed columns; no clean cell between dirty ones is repainted), at most once per ``interval_ms`` (default 16 ms, one
frame at 60 Hz) and with a leading edge: the first change after a quiet spell is
flushed on the next pass of the event loop (after the rest of the socket read
that carried it), later ones when the interval since the previous flush is over.
A change therefore waits at most one interval, never a full interval after
another one.

Frame pacing: when the flush timer fires late (the event loop is saturated: socket reads
and paints take all of it), the interval grows by half, up to ``MAX_FLUSH_INTERVAL_MS``, so
painting yields time to decoding and no backlog builds; each on-time flush brings it back
toward ``interval_ms``.

A view may restrict the flush to the rows it shows (:meth:`DirtyCells.set_visible_rows`):
marks on rows it does not show are dropped, because a view asks the model for the
current values when it paints a row that scrolls into sight. Only set it when the
view is the model's only consumer of ``dataChanged``.

Structural changes (insert/remove rows) must call :meth:`flush_now` or
:meth:`clear` first, because the stored row numbers would otherwise be stale.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable

from PySide6.QtCore import QObject, Qt, QTimer

#: default flush interval in milliseconds (one frame at 60 Hz)
FLUSH_INTERVAL_MS = 16
#: the longest interval frame pacing stretches to while the event loop is saturated (ms)
MAX_FLUSH_INTERVAL_MS = 100


def changed_ranges(rows: dict[int, tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """The smallest ``(top, left, bottom, right)`` ranges (inclusive) covering dirty cells
    given as ``row -> (first column, last column)``: consecutive rows with the same
    columns share one range, no range covers a clean row or a clean column of a row.

    ``changed_ranges({1: (2, 3), 2: (2, 3), 3: (5, 5), 7: (1, 1)})`` ->
    ``[(1, 2, 2, 3), (3, 5, 3, 5), (7, 1, 7, 1)]``.
    """
    out: list[tuple[int, int, int, int]] = []
    for r in sorted(rows):
        left, right = rows[r]
        if out and out[-1][2] == r - 1 and out[-1][1] == left and out[-1][3] == right:
            top = out[-1][0]
            out[-1] = (top, left, r, right)
        else:
            out.append((r, left, r, right))
    return out


class DirtyCells(QObject):
    """Collects dirty cells and flushes them at most once per ``interval_ms``.

    ``flush(top, left, bottom, right)`` is called once per range of
    :func:`changed_ranges` (inclusive row and column numbers), from the Qt event loop.
    ``flush_count`` counts those calls, ``passes`` the flushes, ``dropped_rows`` the dirty rows not
    flushed because no view showed them (handy for tests and benchmarks).
    ``clock`` (monotonic seconds) is injectable for tests.
    """

    def __init__(self, flush: Callable[[int, int, int, int], None], *,
                 interval_ms: int = FLUSH_INTERVAL_MS, parent: QObject | None = None,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        self._flush = flush
        self._rows: dict[int, tuple[int, int]] = {}
        self._base = max(0, int(interval_ms)) / 1000.0
        self._max = max(self._base, MAX_FLUSH_INTERVAL_MS / 1000.0)
        self._interval = self._base
        self._clock = clock
        self._last_flush = float("-inf")
        self._due = 0.0
        self._visible: Callable[[], Collection[int] | None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)   # a frame, not 5 % of it late
        self._timer.setInterval(int(interval_ms))
        self._timer.timeout.connect(self._on_timer)
        self.flush_count = 0
        self.passes = 0
        self.dropped_rows = 0

    def set_visible_rows(self, rows: Callable[[], Collection[int] | None] | None) -> None:
        """Flush only the rows ``rows()`` returns (model row numbers a view shows now;
        None from the callable = every row). ``None`` here removes the filter."""
        self._visible = rows

    @property
    def interval_ms(self) -> float:
        """The flush interval now (ms): ``interval_ms`` while the loop keeps up, longer while
        it is saturated (frame pacing, see the module docstring)."""
        return self._interval * 1000.0

    @property
    def pending(self) -> bool:
        """True while some cells wait for the next flush."""
        return bool(self._rows)

    def mark(self, row: int, first_col: int, last_col: int | None = None) -> None:
        """Mark columns ``first_col..last_col`` (inclusive) of ``row`` as changed."""
        if last_col is None:
            last_col = first_col
        old = self._rows.get(row)
        if old is not None:
            first_col, last_col = min(first_col, old[0]), max(last_col, old[1])
        self._rows[row] = (first_col, last_col)
        if not self._timer.isActive():
            # leading edge: after a quiet spell flush on the next loop pass, else when
            # the interval since the last flush is over
            now = self._clock()
            wait = self._last_flush + self._interval - now
            ms = int(wait * 1000.0 + 0.999) if wait > 0 else 0
            self._due = now + ms / 1000.0
            self._timer.start(ms)

    def mark_columns(self, row: int, columns: Iterable[int]) -> None:
        """Mark a set of columns of ``row``; no-op for an empty set."""
        cols = list(columns)
        if cols:
            self.mark(row, min(cols), max(cols))

    def _on_timer(self) -> None:
        self._pace(self._clock() - self._due)
        self.flush_now()

    def _pace(self, late: float) -> None:
        """Frame pacing from the timer's lateness (seconds): late by more than half the base
        interval -> 1.5x the interval (at most MAX_FLUSH_INTERVAL_MS), else back by 20 %."""
        if late > max(self._base / 2, 0.004):
            self._interval = min(self._max, max(self._interval, self._base, 0.001) * 1.5)
        else:
            self._interval = max(self._base, self._interval * 0.8)

    def clear(self) -> None:
        """Forget everything pending (after a model reset)."""
        self._rows.clear()
        self._timer.stop()

    def flush_now(self) -> None:
        """Call the flush callback now for everything pending."""
        self._timer.stop()
        if not self._rows:
            return
        rows, self._rows = self._rows, {}
        self._last_flush = self._clock()
        self.passes += 1
        shown = self._visible() if self._visible is not None else None
        if shown is not None:
            kept = {r: cols for r, cols in rows.items() if r in shown}
            self.dropped_rows += len(rows) - len(kept)
            rows = kept
        for top, left, bottom, right in changed_ranges(rows):
            self.flush_count += 1
            self._flush(top, left, bottom, right)
