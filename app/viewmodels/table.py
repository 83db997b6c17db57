"""A keyed record table for Qt views, described by declarative column specs.

Each panel (watchlist, orders, executions, positions) is a list of records
(one per row, found by a key such as an orderId) and a tuple of :class:`Column`
specs: field -> header, formatter, alignment, sort key, colours, tooltip.
:class:`RecordTableModel` turns that into a ``QAbstractTableModel``:

* ``upsert(key, record)`` inserts a row (``beginInsertRows``) or replaces it in
  place, comparing the raw value of every column so only the changed cells are
  marked dirty; a :class:`~app.viewmodels.coalesce.DirtyCells` timer then emits
  ``dataChanged`` once per contiguous block (never a repaint per event).
* ``remove(key)`` removes a row (``beginRemoveRows``).
* Roles: ``DisplayRole`` (formatted text), :data:`SORT_ROLE` (= ``Qt.UserRole``,
  the raw number or lower-case text, for ``QSortFilterProxyModel.setSortRole``),
  :data:`RECORD_ROLE` (the record object), :data:`VALUE_ROLE` (the raw value, e.g.
  for CSV export), ``EditRole`` (the raw value of an editable cell),
  ``TextAlignmentRole``, ``ForegroundRole``, ``BackgroundRole``, ``ToolTipRole``,
  ``FontRole`` (tabular digits for number columns).
* Editing (models with the :class:`EditableRows` mixin): a column with ``edit_block`` is
  editable per record (``flags`` gives ``ItemIsEditable`` when ``edit_block(record)`` is
  ""), once the owner sets :attr:`RecordTableModel.edit_handler`. ``setData(EditRole)`` hands the new value
  to that handler and never changes the stored record: the row changes only when
  the source (e.g. the broker) sends the updated record, so a refused edit leaves
  the real value on screen.

Modelled on vnpy's declarative monitor headers and Qt's model/view examples,
without vnpy's per-cell widgets and string sorting (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.ui.format import sort_number, tabular_font
from app.viewmodels.coalesce import FLUSH_INTERVAL_MS, DirtyCells

R = TypeVar("R")

#: raw sort value of a cell (numbers as float, text lower-cased)
SORT_ROLE = Qt.ItemDataRole.UserRole
#: the record object of the row (same for every column)
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
#: the raw value of a cell (number, datetime, text or None; unformatted)
VALUE_ROLE = Qt.ItemDataRole.UserRole + 2
#: first role number free for subclasses
FIRST_CUSTOM_ROLE = Qt.ItemDataRole.UserRole + 8

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


def _text(value: Any, record: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column of a record table.

    ``value(record)`` gives the raw value (a number in the record's units, or
    text); ``text(value, record)`` formats it for display; ``numeric`` makes the
    column right-aligned, tabular-digit and sorted by :func:`sort_number`
    (unless ``sort`` is given). ``foreground``/``background``/``tooltip`` take
    ``(value, record)`` and may return None.

    ``edit_block(record) -> str`` makes the column editable in place: it returns
    "" when this record's cell may be edited, otherwise the reason it may not
    (shown in the cell's tooltip). None (the default): never editable.

    ``sample`` is the widest text the column normally shows ("88,888.88"); a view
    sizes the column from it and the fonts once (``app.ui.columns.size_columns``)
    instead of measuring every row on each change. "" = size from the header text.
    """

    key: str
    header: str
    value: Callable[[R], Any]
    text: Callable[[Any, R], str] = _text
    numeric: bool = False
    sort: Callable[[Any, R], Any] | None = None
    foreground: Callable[[Any, R], QColor | None] | None = None
    background: Callable[[Any, R], QColor | None] | None = None
    tooltip: Callable[[Any, R], str | None] | None = None
    header_tip: str = ""
    edit_block: Callable[[R], str] | None = None
    sample: str = ""

    @property
    def alignment(self) -> Qt.AlignmentFlag:
        return RIGHT if self.numeric else LEFT

    def sort_value(self, value: Any, record: R) -> Any:
        """The raw sort key of a cell: numbers (missing first) or lower-case text."""
        if self.sort is not None:
            return self.sort(value, record)
        if self.numeric:
            return sort_number(value)
        return "" if value is None else str(value).lower()


def with_samples(columns: Iterable[Column[R]], samples: dict[str, str]) -> tuple[Column[R], ...]:
    """``columns`` with the ``sample`` texts of ``samples`` (column key -> the widest text
    the column normally shows); ``KeyError`` for a key no column has."""
    columns = tuple(columns)
    unknown = set(samples) - {c.key for c in columns}
    if unknown:
        raise KeyError(f"samples for unknown columns: {', '.join(sorted(unknown))}")
    return tuple(replace(c, sample=samples[c.key]) if c.key in samples else c for c in columns)


class RecordTableModel(QAbstractTableModel, Generic[R]):
    """A table of records keyed by ``Hashable`` keys, with coalesced updates.

    ``columns`` is the declarative spec; ``interval_ms`` the flush interval of
    ``dataChanged`` (default 33 ms). Read access: ``record(row)``,
    ``record_for(key)``, ``row_of(key)``, ``keys()``, ``records()``.
    """

    def __init__(self, columns: Iterable[Column[R]], parent: QObject | None = None, *,
                 interval_ms: int = FLUSH_INTERVAL_MS):
        super().__init__(parent)
        self.columns: tuple[Column[R], ...] = tuple(columns)
        self._keys: list[Hashable] = []
        self._records: list[R] = []
        self._values: list[list[Any]] = []
        #: formatted text per row (None: not formatted since the row last changed)
        self._texts: list[list[str | None] | None] = []
        self._row: dict[Hashable, int] = {}
        self.dirty = DirtyCells(self._emit_changed, interval_ms=interval_ms, parent=self)
        self._number_font = tabular_font()
        #: ``handler(record, column_key, value) -> bool`` receiving in-place edits;
        #: None = no cell is editable
        self.edit_handler: Callable[[R, str, Any], bool] | None = None

    # ---- record access ---------------------------------------------------
    def column_index(self, key: str) -> int:
        """Column number of the column whose spec key is ``key``; ``KeyError`` if none."""
        for i, c in enumerate(self.columns):
            if c.key == key:
                return i
        raise KeyError(f"no column {key!r} in {type(self).__name__}")

    def record(self, row: int) -> R:
        return self._records[row]

    def record_for(self, key: Hashable) -> R | None:
        row = self._row.get(key)
        return None if row is None else self._records[row]

    def row_of(self, key: Hashable) -> int | None:
        return self._row.get(key)

    def keys(self) -> list[Hashable]:
        return list(self._keys)

    def records(self) -> list[R]:
        return list(self._records)

    def __len__(self) -> int:
        return len(self._records)

    # ---- mutation --------------------------------------------------------
    def _raw_values(self, record: R) -> list[Any]:
        return [c.value(record) for c in self.columns]

    def upsert(self, key: Hashable, record: R) -> bool:
        """Insert ``record`` under ``key`` at the end, or replace it in place.

        Returns True when a row was inserted. On replace, only the columns whose raw
        value changed are marked dirty: a change that shows only in colours or tooltips
        (fields that are not column values) needs :meth:`refresh`.
        """
        row = self._row.get(key)
        values = self._raw_values(record)
        if row is None:
            self.dirty.flush_now()
            n = len(self._records)
            self.beginInsertRows(QModelIndex(), n, n)
            self._keys.append(key)
            self._records.append(record)
            self._values.append(values)
            self._texts.append(None)
            self._row[key] = n
            self.endInsertRows()
            return True
        old = self._values[row]
        self._records[row] = record
        self._values[row] = values
        try:   # scalars (the hot path, per quote): inline compare, NaN equals NaN
            changed = [i for i, a, b in zip(range(len(values)), old, values)
                       if a is not b and a != b and (a == a or b == b)]
        except Exception:   # a value whose comparison raises or is ambiguous
            changed = [i for i, (a, b) in enumerate(zip(old, values)) if not _same(a, b)]
        if changed:
            self._texts[row] = None     # a cell's text may read the record, not only its value
            self.dirty.mark(row, changed[0], changed[-1])
        return False

    def refresh(self, key: Hashable, columns: Iterable[int] | None = None) -> None:
        """Mark cells of ``key``'s row dirty without changing the record (e.g. a flash ended)."""
        row = self._row.get(key)
        if row is None:
            return
        self._values[row] = self._raw_values(self._records[row])
        self._texts[row] = None
        if columns is None:
            self.dirty.mark(row, 0, len(self.columns) - 1)
        else:
            self.dirty.mark_columns(row, columns)

    def retext(self, column_keys: Iterable[str]) -> None:
        """Format the cells of the columns ``column_keys`` anew in every row (their text
        depends on a setting that changed, e.g. the time rule): one ``dataChanged`` per column."""
        if not self._records:
            return
        self._texts = [None] * len(self._records)
        for key in column_keys:
            c = self.column_index(key)
            self.dataChanged.emit(self.index(0, c), self.index(len(self._records) - 1, c))

    def remove(self, key: Hashable) -> bool:
        """Remove ``key``'s row; returns False when there is no such row."""
        row = self._row.get(key)
        if row is None:
            return False
        self.dirty.flush_now()
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._keys[row], self._records[row], self._values[row], self._texts[row]
        self._row = {k: i for i, k in enumerate(self._keys)}
        self.endRemoveRows()
        return True

    def move_row(self, src: int, dst: int) -> bool:
        """Move row ``src`` so that it ends at row ``dst`` (both 0-based, ``dst`` clamped to
        the last row); one ``beginMoveRows``/``endMoveRows`` (selections follow). False when
        ``src`` is out of range or nothing moves."""
        n = len(self._records)
        if not 0 <= src < n:
            return False
        dst = max(0, min(dst, n - 1))
        if dst == src:
            return False
        self.dirty.flush_now()          # pending row numbers are about to change
        # Qt's destination is the row the moved row is inserted before (in the old numbering)
        if not self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), dst + 1 if dst > src else dst):
            return False
        for lst in (self._keys, self._records, self._values, self._texts):
            lst.insert(dst, lst.pop(src))
        self._row = {k: i for i, k in enumerate(self._keys)}
        self.endMoveRows()
        return True

    def clear(self) -> None:
        """Remove every row (one model reset)."""
        self.beginResetModel()
        self.dirty.clear()
        self._keys.clear()
        self._records.clear()
        self._values.clear()
        self._texts.clear()
        self._row.clear()
        self.endResetModel()

    def _emit_changed(self, top: int, left: int, bottom: int, right: int) -> None:
        if bottom >= len(self._records):
            return
        self.dataChanged.emit(self.index(top, left), self.index(bottom, right))

    # ---- QAbstractTableModel ---------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        col = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.header
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(col.alignment)
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.header_tip or None
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role in _NEVER_ROLES:     # asked for every cell on every paint; no table has them
            return None
        if not index.isValid():
            return None
        row, c = index.row(), index.column()
        if not (0 <= row < len(self._records) and 0 <= c < len(self.columns)):
            return None
        return self._cell(row, c, role)

    def _cell(self, row: int, c: int, role: int):
        """``data`` of an in-range cell (the answer of :meth:`data` and :meth:`multiData`)."""
        col = self.columns[c]
        record = self._records[row]
        value = self._values[row][c]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, c, col, value, record)   # formatted once per change
        if role == SORT_ROLE:
            return col.sort_value(value, record)
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(col.alignment)
        if role == Qt.ItemDataRole.ForegroundRole:
            return col.foreground(value, record) if col.foreground else None
        if role == Qt.ItemDataRole.BackgroundRole:
            background = col.background(value, record) if col.background else None
            return background if background is not None else self.extra_data(row, c, role)
        if role == VALUE_ROLE:
            return value
        if role == Qt.ItemDataRole.EditRole:
            return value if col.edit_block is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = col.tooltip(value, record) if col.tooltip else None
            if col.edit_block is not None and self.edit_handler is not None:
                reason = col.edit_block(record)
                edit_tip = f"Not editable: {reason}" if reason else "Double-click or F2 to edit"
                tip = f"{tip}\n{edit_tip}" if tip else edit_tip
            return tip
        if role == Qt.ItemDataRole.FontRole and col.numeric:
            return self._number_font
        return self.extra_data(row, c, role)

    def multiData(self, index: QModelIndex | QPersistentModelIndex, roleDataSpan) -> None:
        """All the roles a delegate asks for a cell, in one call (Qt 6
        ``QAbstractItemModel::multiData``; ``QStyledItemDelegate::initStyleOption`` uses it).

        Qt's default answers each role with its own ``data`` call, and every call crossing
        from C++ into Python costs microseconds: one call per cell instead of seven made a
        full watchlist repaint several times cheaper (issue 12). The answers are exactly
        ``data(index, role)``'s (the same :meth:`_cell`; a :meth:`_special_row`, e.g. a
        stale row, asks ``data`` itself). A proxy model does not forward ``multiData``:
        views that want the saving show the model directly (``sort`` below).
        """
        row, c = index.row(), index.column()
        data = partial(self.data, index)
        # a plain row's paint roles straight from the cell (no checks per role); a stale row
        # and other roles through data(), which subclasses extend
        cell = (partial(self._cell, row, c) if 0 <= row < len(self._records) and
                0 <= c < len(self.columns) and not self._special_row(row) else data)
        for rd in roleDataSpan:
            role = rd.role()
            value = None if role in _NEVER_ROLES else (cell if role in _PAINT_ROLES else data)(role)
            if value is None:
                rd.clearData()
            else:
                rd.setData(value)

    def _special_row(self, row: int) -> bool:
        """True when a subclass's ``data`` answers this row's paint roles its own way (a
        stale row), so :meth:`multiData` must ask ``data``; False here."""
        return False

    def _text(self, row: int, c: int, col: Column, value: Any, record: Any) -> str:
        """The cell's formatted text, made once per change of its row (cached)."""
        texts = self._texts[row]
        if texts is None:
            texts = self._texts[row] = [None] * len(self.columns)
        text = texts[c]
        if text is None:
            text = texts[c] = col.text(value, record)
        return text

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Reorder the rows by ``column``'s raw sort values (:meth:`Column.sort_value`: numbers
        as numbers, missing first; text case-blind), stable; ``column`` -1 or out of range
        keeps the order. Called by a view with sorting enabled (header click); rows do not
        move again on later updates (no re-sort per tick), new rows go to the end.
        Selections and other persistent indexes follow their rows."""
        if not 0 <= column < len(self.columns) or len(self._records) < 2:
            return
        self.dirty.flush_now()          # pending row numbers are about to change
        col = self.columns[column]
        keys = [col.sort_value(v[column], r) for v, r in zip(self._values, self._records)]
        perm = sorted(range(len(keys)), key=keys.__getitem__,
                      reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutAboutToBeChanged.emit()
        new_row = {old: new for new, old in enumerate(perm)}
        old_indexes = self.persistentIndexList()
        self._keys = [self._keys[i] for i in perm]
        self._records = [self._records[i] for i in perm]
        self._values = [self._values[i] for i in perm]
        self._texts = [self._texts[i] for i in perm]
        self._row = {k: i for i, k in enumerate(self._keys)}
        self.changePersistentIndexList(old_indexes, [self.index(new_row[i.row()], i.column())
                                                     for i in old_indexes])
        self.layoutChanged.emit()

    def is_editable(self, row: int, column: int) -> bool:
        """True when the cell may be edited in place now (see :class:`Column` ``edit_block``)."""
        if self.edit_handler is None or not (0 <= row < len(self._records) and 0 <= column < len(self.columns)):
            return False
        col = self.columns[column]
        return col.edit_block is not None and not col.edit_block(self._records[row])

    def extra_data(self, row: int, column: int, role: int):
        """Hook for subclasses' own roles (and ``BackgroundRole`` where the column spec
        gives none, e.g. the watchlist's flash); returns None by default."""
        return None


#: the roles a delegate paints from (answered by ``_cell`` directly in ``multiData``)
_PAINT_ROLES = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.FontRole,
                          Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole,
                          Qt.ItemDataRole.BackgroundRole})
#: roles a delegate asks for on each paint that no record table provides
_NEVER_ROLES = frozenset({Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.CheckStateRole,
                          Qt.ItemDataRole.SizeHintRole, Qt.ItemDataRole.StatusTipRole,
                          Qt.ItemDataRole.WhatsThisRole, Qt.ItemDataRole.AccessibleTextRole,
                          Qt.ItemDataRole.AccessibleDescriptionRole})


class EditableRows:
    """Mixin for a :class:`RecordTableModel` with cells editable in place (the blotter's
    orders): ``flags`` gives ``ItemIsEditable`` where :meth:`RecordTableModel.is_editable`
    says so and ``setData`` hands the edit to ``edit_handler``. Only editable tables carry
    these overrides: a Python ``flags`` is one more call from C++ for every cell of every
    repaint (issue 12), and Qt's own answer is right for the other tables.
    Use as ``class OrdersModel(EditableRows, RecordTableModel[...])``.
    """

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and self.is_editable(index.row(), index.column()):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Hand an in-place edit to :attr:`edit_handler`; the stored record is not changed.

        Returns the handler's answer (False for a non-editable cell or another role).
        The cell is repainted from the stored record either way.
        """
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, c = index.row(), index.column()
        if not self.is_editable(row, c):
            return False
        record = self._records[row]
        try:
            accepted = bool(self.edit_handler(record, self.columns[c].key, value))
        finally:
            self.dirty.mark(row, c, c)
        return accepted


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        if a != a and b != b:  # both NaN
            return True
        return bool(a == b)
    except Exception:
        return False
