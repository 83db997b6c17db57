"""A symbol completer popup for any ``QLineEdit`` (watchlist add field, order ticket).

:func:`attach_symbol_search` hangs a :class:`SymbolCompleter` on a line edit: typing
asks ``app.viewmodels.symbol_search.SymbolSearch`` (debounced IB reqMatchingSymbols);
the matches (or a message such as "No symbol matches 'XQ'") appear in a list under the
field. The popup never takes the focus: keys stay in the field, where Down / Up move the
highlight, Enter with a highlighted match puts its symbol in the field and submits it
(the field's own ``returnPressed``, so the place keeps its add / resolve path and its
errors), Enter without a highlight submits the typed text as before, Esc closes the
popup. Clicking a match picks it too.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QFrame, QLabel, QLineEdit, QListView, QVBoxLayout

from app.domain import SymbolMatch
from app.viewmodels.symbol_search import SymbolSearch

#: rows the list shows before it scrolls
VISIBLE_ROWS = 8


class SymbolCompleter(QObject):
    """The popup of one ``line_edit`` over ``search`` (its parent is the line edit)."""

    def __init__(self, line_edit: QLineEdit, search: SymbolSearch):
        super().__init__(line_edit)
        self.line_edit = line_edit
        self.search = search
        search.setParent(self)
        self.popup = QFrame(line_edit, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.popup.setObjectName("symbolSearchPopup")
        self.popup.setFrameShape(QFrame.Shape.StyledPanel)
        self.popup.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.popup.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.list = QListView(self.popup)
        self.list.setObjectName("symbolSearchList")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setUniformItemSizes(True)
        self.list.setModel(search.matches)
        self.message = QLabel(self.popup)
        self.message.setObjectName("symbolSearchMessage")
        lay = QVBoxLayout(self.popup)
        lay.setContentsMargins(1, 1, 1, 1)
        lay.setSpacing(0)
        lay.addWidget(self.list)
        lay.addWidget(self.message)
        line_edit.textEdited.connect(search.set_text)
        line_edit.returnPressed.connect(self._submitted)
        line_edit.installEventFilter(self)
        search.matchesChanged.connect(self._refresh)
        search.messageChanged.connect(lambda _m: self._refresh())
        search.currentChanged.connect(self._highlight)
        self.list.clicked.connect(lambda idx: (search.set_current(idx.row()), self._pick()))

    def is_open(self) -> bool:
        return self.popup.isVisible()

    def close_popup(self) -> None:
        """Hide the popup and drop pending queries."""
        self.popup.hide()
        self.search.clear()

    def _submitted(self) -> None:
        self.popup.hide()
        self.search.clear()

    def _pick(self) -> SymbolMatch | None:
        m = self.search.pick()
        if m is not None:
            self.line_edit.setText(m.display_symbol)
            self.popup.hide()
            self.line_edit.returnPressed.emit()   # the field's own submit path
        return m

    def _highlight(self, row: int) -> None:
        if row < 0:
            self.list.clearSelection()
            return
        idx = self.search.matches.index(row)
        self.list.setCurrentIndex(idx)
        self.list.scrollTo(idx)

    def _refresh(self) -> None:
        n = self.search.matches.rowCount()
        text = self.search.message
        if not n and not text:
            self.popup.hide()
            return
        self.list.setVisible(bool(n))
        self.message.setVisible(bool(text))
        self.message.setText(text)
        row_h = max(self.list.sizeHintForRow(0), self.line_edit.fontMetrics().height() + 4) if n else 0
        height = row_h * min(n, VISIBLE_ROWS) + (self.message.sizeHint().height() if text else 0) + 4
        width = max(self.line_edit.width(), 320)
        self.popup.resize(width, height)
        self.popup.move(self.line_edit.mapToGlobal(QPoint(0, self.line_edit.height())))
        if self.line_edit.isVisible():
            self.popup.show()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if obj is self.line_edit:
            t = event.type()
            if t == QEvent.Type.KeyPress and self.popup.isVisible():
                key = event.key()
                if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                    self.search.move(+1 if key == Qt.Key.Key_Down else -1)
                    return True
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.search.current >= 0:
                    self._pick()
                    return True
                if key == Qt.Key.Key_Escape:
                    self.close_popup()
                    return True
            elif t in (QEvent.Type.FocusOut, QEvent.Type.Hide):
                self.popup.hide()
        return False


def attach_symbol_search(line_edit: QLineEdit, session, *, delay_ms: int | None = None) -> SymbolCompleter:
    """Give ``line_edit`` a symbol completer over ``session`` (``Session.matching_symbols``;
    a session without it leaves the field as it was). Returns the completer (a child of
    the line edit); ``delay_ms`` overrides the debounce (default 250 ms)."""
    kw = {} if delay_ms is None else {"delay_ms": delay_ms}
    return SymbolCompleter(line_edit, SymbolSearch(session, **kw))
