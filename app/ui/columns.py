"""Column widths of record tables without per-change layout work.

``QHeaderView.ResizeToContents`` re-measures every row of every column (the
delegate's ``sizeHint`` -> the model's ``data``) whenever any cell changes: with
a few hundred quoting rows that was most of the terminal's CPU (issue 12,
py-spy: 63 % in ``QTableView::sizeHintForColumn``). Tables here use
``Interactive`` sections sized once from the fonts and each column's ``sample``
text (:class:`app.viewmodels.table.Column`), the user may drag them, and
"Fit columns to contents" measures the rows once on demand.
:class:`TableColumns` adds the rest for one table: fit once on the first rows, the
header's menu of columns, and the saved header state per profile.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QStyle, QTableView

from app.ui.format import tabular_font

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
        header.resizeSection(i, max(w, header.sectionSizeHint(i)))   # Qt's own header measure too


def ordered_table(table: QTableView) -> None:
    """Set up a read-only table whose row order is its meaning (a tape, a ranking, a news
    feed): whole-row selection, no editing, no word wrap, no sorting, a hidden vertical
    header of fixed one-line rows, the last section stretching."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.setSortingEnabled(False)
    vh = table.verticalHeader()
    vh.hide()
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vh.setDefaultSectionSize(table.fontMetrics().height() + 4)
    table.horizontalHeader().setStretchLastSection(True)


def size_from_samples(table: QTableView, columns: Sequence[tuple[str, str]], samples: dict[str, str]) -> None:
    """``Interactive`` sections sized once from the wider of each column's title and its
    sample text; ``columns`` are (key, title) pairs, ``samples`` key -> widest usual text."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    fm = table.fontMetrics()
    for i, (name, title) in enumerate(columns):
        text = max(samples.get(name, ""), title, key=fm.horizontalAdvance)
        header.resizeSection(i, fm.horizontalAdvance(text) + 16)


def shown_columns_width(table: QTableView) -> int:
    """Pixels the table needs to show its visible columns without scrolling sideways:
    the sections' widths (a stretched last section counts with its own size hint, not
    the width it was stretched to), the frame and a vertical scroll bar."""
    header = table.horizontalHeader()
    shown = [i for i in range(header.count()) if not header.isSectionHidden(i)]
    last = header.logicalIndex(max((header.visualIndex(i) for i in shown), default=-1)) if shown else -1
    sections = sum(max(header.sectionSizeHint(i), header.minimumSectionSize())
                   if i == last and header.stretchLastSection() else header.sectionSize(i) for i in shown)
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


#: the widest a column grows when fitted to its rows (pixels): a long message stays in its tooltip
MAX_FIT_PX = 360


class TableColumns(QObject):
    """Which columns a record table shows and how wide they are, chosen by the user and
    saved per profile (issue 14 item 13).

    ``table`` shows a model (or a proxy of one) whose columns are ``columns``
    (:class:`app.viewmodels.table.Column` specs, in model order); ``name`` names the
    table in the settings (``columns/<name>/...``). ``hidden`` are the keys hidden by
    default, ``fixed`` the keys that can never be hidden (the symbol), ``grow`` the keys
    whose column widens (never narrows, at most :data:`MAX_FIT_PX`) to fit rows inserted
    after the first fit (an option's long symbol added to a watchlist of stocks).

    * Widths: at first from the header text and each column's ``sample`` (the minimum a
      column gets); when the first rows arrive the visible columns are fitted once to
      their contents (at most :data:`MAX_FIT_PX`), never again per update; a double
      click on a section's edge fits that column (Qt's own); the user drags the rest.
    * The header's context menu: "Fit columns to contents", one check box per column,
      "Default columns".
    * :meth:`save` / :meth:`restore`: ``QHeaderView.saveState`` (widths, order, hidden
      sections, sort) with the column keys it belongs to, plus the hidden keys (applied
      alone when the table's columns changed since the state was saved). Signal
      ``changed`` after the trader shows or hides a column or restores the defaults
      (the owner saves then; widths are saved with the profile at exit).
    """

    changed = Signal()

    def __init__(self, table: QTableView, columns: Sequence, name: str, *,
                 hidden: Sequence[str] = (), fixed: Sequence[str] = (), grow: Sequence[str] = (),
                 parent: QObject | None = None):
        super().__init__(parent or table)
        self.table = table
        self.columns = tuple(columns)
        self.name = name
        self.default_hidden = tuple(k for k in hidden if k not in fixed)
        self.fixed = frozenset(fixed)
        self.grow = tuple(i for i, c in enumerate(self.columns) if c.key in grow)
        self.fitted = False
        self.header = header = table.horizontalHeader()
        number_font = tabular_font(table.font())
        size_columns(table, self.columns, number_font)
        self.min_widths = [header.sectionSize(i) for i in range(len(self.columns))]
        self.set_hidden_columns(self.default_hidden)
        header.setContextMenuPolicy(Qt.CustomContextMenu)
        header.customContextMenuRequested.connect(self._menu)
        model = table.model()
        model.rowsInserted.connect(self._first_rows)
        model.modelReset.connect(self._first_rows)
        if self.grow:
            model.rowsInserted.connect(self._rows_added)
        self._first_rows()

    # ---- keys --------------------------------------------------------------
    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def index(self, key: str) -> int:
        """The column number of ``key``; ``KeyError`` if the table has no such column."""
        try:
            return self.keys.index(key)
        except ValueError:
            raise KeyError(f"no column {key!r} in the {self.name} table") from None

    def hidden_columns(self) -> list[str]:
        """Keys of the hidden columns, in model order."""
        return [c.key for i, c in enumerate(self.columns) if self.header.isSectionHidden(i)]

    def set_hidden_columns(self, keys: Sequence[str]) -> None:
        """Hide exactly the columns named in ``keys`` (unknown and fixed keys are ignored)."""
        for i, c in enumerate(self.columns):
            self.header.setSectionHidden(i, c.key in keys and c.key not in self.fixed)

    def set_column_visible(self, key: str, on: bool) -> None:
        """Show or hide the column ``key`` (a fixed column stays shown); a column shown
        again gets at least its minimum width."""
        i = self.index(key)
        if key in self.fixed:
            return
        self.header.setSectionHidden(i, not on)
        if on and self.header.sectionSize(i) < self.min_widths[i]:
            self.header.resizeSection(i, self.min_widths[i])
        self.changed.emit()

    # ---- widths ------------------------------------------------------------
    def _first_rows(self, *_args) -> None:
        if not self.fitted and self.table.model().rowCount() > 0:
            self.fitted = True
            # after the insert has been laid out (and a proxy has filtered and sorted)
            QTimer.singleShot(0, self, self.fit_to_contents)

    def _rows_added(self, _parent, first: int, last: int) -> None:
        if self.fitted:       # after the first fit: only the ``grow`` columns, only wider
            QTimer.singleShot(0, self, lambda: self._widen(first, last))

    def _widen(self, first: int, last: int) -> None:
        model = self.table.model()
        last = min(last, model.rowCount() - 1)
        for i in self.grow:
            if self.header.isSectionHidden(i):
                continue
            need = max((self.table.sizeHintForIndex(model.index(r, i)).width() for r in range(first, last + 1)),
                       default=0)
            if need > self.header.sectionSize(i):
                self.header.resizeSection(i, min(MAX_FIT_PX, need))

    def fit_to_contents(self) -> None:
        """Fit every visible column once to the rows in sight: at least its header and
        sample width, at most :data:`MAX_FIT_PX`; the sections stay ``Interactive``."""
        for i in range(len(self.columns)):
            if self.header.isSectionHidden(i):
                continue
            need = min(MAX_FIT_PX, max(self.table.sizeHintForColumn(i), self.header.sectionSizeHint(i)))
            self.header.resizeSection(i, max(self.min_widths[i], need))

    def reset(self) -> None:
        """The default columns: default hidden set, original order, fitted widths."""
        for visual, logical in enumerate(range(len(self.columns))):
            self.header.moveSection(self.header.visualIndex(logical), visual)
        self.set_hidden_columns(self.default_hidden)
        for i, w in enumerate(self.min_widths):
            self.header.resizeSection(i, w)
        self.fit_to_contents()
        self.changed.emit()

    # ---- the header's menu ---------------------------------------------------
    def build_menu(self) -> QMenu:
        """The header's context menu (also for tests): fit, one check box per column, reset."""
        menu = QMenu(self.table)
        menu.addAction("Fit columns to contents", self.fit_to_contents)
        menu.addSeparator()
        for i, c in enumerate(self.columns):
            act = menu.addAction(c.header)
            act.setObjectName(f"column.{c.key}")
            act.setCheckable(True)
            act.setChecked(not self.header.isSectionHidden(i))
            act.setEnabled(c.key not in self.fixed)
            if c.header_tip:
                act.setToolTip(c.header_tip)
            act.toggled.connect(lambda on, key=c.key: self.set_column_visible(key, on))
        menu.addSeparator()
        menu.addAction("Default columns", self.reset)
        return menu

    def _menu(self, pos) -> None:
        menu = self.build_menu()
        menu.setAttribute(Qt.WA_DeleteOnClose)
        menu.popup(self.header.mapToGlobal(pos))

    # ---- settings ------------------------------------------------------------
    def save(self, settings) -> None:
        """Write the header state, its column keys and the hidden keys (``columns/<name>/*``)."""
        prefix = f"columns/{self.name}"
        settings.setValue(f"{prefix}/state", self.header.saveState())
        settings.setValue(f"{prefix}/keys", self.keys)
        # one text: QSettings writes an empty list as @Invalid() (read back as "nothing saved")
        settings.setValue(f"{prefix}/hidden", ",".join(self.hidden_columns()))

    def restore(self, settings) -> bool:
        """Apply what :meth:`save` wrote; True when the saved widths were applied (then the
        first rows do not refit them). A state saved for other columns is skipped, its
        hidden keys still apply; bad values are ignored."""
        prefix = f"columns/{self.name}"
        hidden = settings.value(f"{prefix}/hidden")
        state = settings.value(f"{prefix}/state")
        keys = settings.value(f"{prefix}/keys")
        keys = [keys] if isinstance(keys, str) else list(keys or [])
        applied = False
        if isinstance(state, (bytes, bytearray, QByteArray)) and keys == self.keys:
            applied = bool(self.header.restoreState(state))
        if hidden is not None:   # "a,b" (or a list, as older versions wrote it)
            keys_hidden = hidden.split(",") if isinstance(hidden, str) else [str(k) for k in hidden]
            self.set_hidden_columns([k.strip() for k in keys_hidden if k.strip()])
        if applied:
            self.fitted = True
        return applied
