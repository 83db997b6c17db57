"""Column widths of record tables without per-change layout work.

``QHeaderView.ResizeToContents`` re-measures every row of every column (the
delegate's ``sizeHint`` -> the model's ``data``) whenever any cell changes: with
a few hundred quoting rows that was most of the terminal's CPU (issue 12,
py-spy: 63 % in ``QTableView::sizeHintForColumn``). Tables here use
``Interactive`` sections sized once from the fonts and each column's ``sample``
text (:class:`app.viewmodels.table.Column`), the user may drag them, and
"Fit columns to contents" measures the rows once on demand.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHeaderView, QStyle, QTableView

#: pixels added to a cell text's advance: the item delegate's margins and a little air
CELL_PADDING = 14
#: pixels added to a header text's advance: margins and the sort indicator
HEADER_PADDING = 18


def column_widths(columns: Sequence, text_font: QFont, number_font: QFont, header_font: QFont) -> list[int]:
    """Width in pixels per column: the larger of the header text (``header_font``) and the
    column's ``sample`` text (``number_font`` for numeric columns, else ``text_font``)."""
    text_fm, number_fm, header_fm = QFontMetrics(text_font), QFontMetrics(number_font), QFontMetrics(header_font)
    widths = []
    for c in columns:
        w = header_fm.horizontalAdvance(c.header) + HEADER_PADDING
        if c.sample:
            fm = number_fm if c.numeric else text_fm
            w = max(w, fm.horizontalAdvance(c.sample) + CELL_PADDING)
        widths.append(w)
    return widths


def size_columns(table: QTableView, columns: Sequence, number_font: QFont) -> None:
    """Make every section ``Interactive`` and set its width once from the fonts (see
    :func:`column_widths`); the last section keeps stretching if the table asked for it."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.Interactive)
    for i, w in enumerate(column_widths(columns, table.font(), number_font, header.font())):
        header.resizeSection(i, w)


def shown_columns_width(table: QTableView) -> int:
    """Pixels the table needs to show its visible columns without scrolling sideways:
    the sections' widths, the frame and a vertical scroll bar."""
    header = table.horizontalHeader()
    sections = sum(header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i))
    bar = table.style().pixelMetric(QStyle.PM_ScrollBarExtent)
    return sections + 2 * table.frameWidth() + bar


def fit_to_contents(table: QTableView) -> None:
    """Measure the rows once and fit every column to its contents (on demand; the
    sections stay ``Interactive``, so later changes do no layout work)."""
    table.resizeColumnsToContents()


def visible_source_rows(table: QTableView) -> set[int]:
    """Rows of the table's model it shows now (the model itself, no proxy: see
    ``app.ui.watchlist``); an empty set while the table is not visible. Source for
    :meth:`app.viewmodels.coalesce.DirtyCells.set_visible_rows`."""
    if not table.isVisible():
        return set()
    n = table.model().rowCount()
    top = table.rowAt(0)
    if n == 0 or top < 0:
        return set()
    bottom = table.rowAt(table.viewport().height() - 1)
    return set(range(top, (bottom if bottom >= 0 else n - 1) + 1))
