"""Coalescing of table updates: mark cells dirty now, emit ``dataChanged`` later.

Session events can arrive thousands of times a second; a view must not repaint
per tick (DESIGN.md, "Updates are coalesced"). A model marks the changed
(row, column) cells with :meth:`DirtyCells.mark`; a single-shot ``QTimer``
(default 33 ms, about 30 Hz) then calls the model's flush callback once per
contiguous block of dirty rows with the smallest column range covering that
block. Structural changes (insert/remove rows) must call :meth:`flush_now` or
:meth:`clear` first, because the stored row numbers would otherwise be stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer

#: default flush interval in milliseconds (about 30 flushes per second)
FLUSH_INTERVAL_MS = 33


def contiguous_blocks(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Group row numbers into sorted, inclusive ``(first, last)`` runs.

    ``contiguous_blocks([5, 1, 2, 3, 9])`` -> ``[(1, 3), (5, 5), (9, 9)]``.
    """
    blocks: list[tuple[int, int]] = []
    for r in sorted(set(rows)):
        if blocks and r == blocks[-1][1] + 1:
            blocks[-1] = (blocks[-1][0], r)
        else:
            blocks.append((r, r))
    return blocks


class DirtyCells(QObject):
    """Collects dirty cells and flushes them at most once per ``interval_ms``.

    ``flush(top, left, bottom, right)`` is called once per contiguous block of
    dirty rows (inclusive row and column numbers), from the Qt event loop.
    ``flush_count`` counts those calls (handy for tests and benchmarks).
    """

    def __init__(self, flush: Callable[[int, int, int, int], None], *,
                 interval_ms: int = FLUSH_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self._flush = flush
        self._rows: dict[int, tuple[int, int]] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush_now)
        self.flush_count = 0

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
            self._timer.start()

    def mark_columns(self, row: int, columns: Iterable[int]) -> None:
        """Mark a set of columns of ``row``; no-op for an empty set."""
        cols = list(columns)
        if cols:
            self.mark(row, min(cols), max(cols))

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
        for first, last in contiguous_blocks(rows):
            left = min(rows[r][0] for r in range(first, last + 1))
            right = max(rows[r][1] for r in range(first, last + 1))
            self.flush_count += 1
            self._flush(first, left, last, right)
