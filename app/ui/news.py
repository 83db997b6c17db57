"""The news panel: a thin view over ``app.viewmodels.news.NewsModel`` (IB news bulletins).

A table, newest on top: Time, Type ("Exchange unavailable" in the theme's "down"
colour, "Exchange available" in "up"), Exchange, Bulletin (the full text in the
tooltip), and a Clear button. The model subscribes to the bulletins itself.

Wiring (the lead's ``app/ui/panels.py``)::

    self.news_model = NewsModel(session, self)
    self.news = NewsView(self.news_model)
    # docks(): "news": self.news
    self.news_model.logLine.connect(window.log.add)     # each bulletin in the log panel
    # shutdown: self.news.shutdown
"""

from __future__ import annotations

from PySide6.QtCore import QIdentityProxyModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTableView, QToolButton, QVBoxLayout, QWidget

from app.domain.scanner import BulletinType
from app.ui import theme
from app.ui.columns import ordered_table, size_from_samples
from app.viewmodels.news import COLUMNS, SAMPLES, NewsModel
from app.viewmodels.table import RECORD_ROLE

#: text colour role per bulletin type (``app.ui.theme`` role names)
TYPE_TEXT = {BulletinType.EXCHANGE_UNAVAILABLE: "down", BulletinType.EXCHANGE_AVAILABLE: "up"}


class TypeColours(QIdentityProxyModel):
    """Adds ``ForegroundRole`` to the Type column from the bulletin's type, with the current
    theme's colours (looked up per paint)."""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ForegroundRole and COLUMNS[index.column()][0] == "type":
            b = super().data(index, RECORD_ROLE)
            name = TYPE_TEXT.get(b.type) if b is not None else None
            return theme.qcolor(name) if name else None
        return super().data(index, role)


class NewsView(QWidget):
    """The bulletin table of ``model`` and a Clear button; only reads the model."""

    def __init__(self, model: NewsModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("news")
        self.model = model
        self.count = QLabel("", self)
        self.count.setObjectName("newsCount")
        self.clear_button = QToolButton(self)
        self.clear_button.setObjectName("newsClear")
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Remove the bulletins shown (new ones still arrive)")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.count, 1)
        top.addWidget(self.clear_button)

        self.proxy = TypeColours(self)
        self.proxy.setSourceModel(model)
        self.table = QTableView(self)
        self.table.setObjectName("newsTable")
        self.table.setModel(self.proxy)
        ordered_table(self.table)                  # newest first is the order
        size_from_samples(self.table, COLUMNS, SAMPLES)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)

        self.clear_button.clicked.connect(model.clear)
        model.rowsInserted.connect(self._show_count)
        model.rowsRemoved.connect(self._show_count)
        model.modelReset.connect(self._show_count)
        theme.notifier().changed.connect(self.table.viewport().update)
        self._show_count()

    def _show_count(self, *_: object) -> None:
        n = self.model.rowCount()
        self.count.setText(f"{n:,} bulletin{'s' if n != 1 else ''}" if n else "No bulletins")

    def shutdown(self) -> None:
        """End the bulletin subscription (the panel goes away for good)."""
        self.model.close()
