"""The Options dock: an option chain (calls | strike | puts) over
``app.viewmodels.option_chain.OptionChainModel``.

Top: the underlying's symbol field (IB symbol search; the dock follows its link colour, and a
symbol typed here drives that colour), how many strikes to show, a status line. Under it one
tab per expiry ("2026-12-18"), then the table: bid, ask, last, volume, open interest (where
served), implied volatility and
the greeks of each call and put, the strike in the middle, the at-the-money row tinted.
Clicking a call's or a put's Ask emits ``orderRequested(BUY, option, ask)``, its Bid
``orderRequested(SELL, option, bid)``: the panels load the option in the order ticket with a
LMT at that price, which the trader then transmits (with the ticket's checks and confirmation).
Dragging a call's or a put's cell drags that option out (``app.viewmodels.instrument_mime``,
as a copy): dropped on the watchlist it is added, on a chart it is charted, on the ticket it
is loaded.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QIdentityProxyModel, QMimeData, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QApplication, QComboBox, QHBoxLayout, QHeaderView, QLabel, QTabBar, QTableView, QVBoxLayout, QWidget,
)

from app.domain import Instrument
from app.ui import theme
from app.ui.format import tabular_font
from app.ui.symbol_field import SymbolField
from app.viewmodels.instrument_mime import instrument_mime
from app.viewmodels.option_chain import COLUMNS, STRIKE_CHOICES, STRIKE_COL, OptionChainModel

log = logging.getLogger(__name__)


class _ChainColours(QIdentityProxyModel):
    """The at-the-money row and the strike column tinted, bids and asks in the buy / sell tints."""

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.BackgroundRole:
            src = self.sourceModel()
            if index.row() == src.atm_row:
                return theme.qcolor("atm_bg")
            if index.column() == STRIKE_COL:
                return theme.qcolor("strike_bg")
            return None
        if role == Qt.ItemDataRole.ForegroundRole and index.column() != STRIKE_COL:
            name = COLUMNS[index.column()]
            if name == "Bid":
                return theme.qcolor("down")
            if name == "Ask":
                return theme.qcolor("up")
        return super().data(index, role)


class ChainTable(QTableView):
    """The chain's table: a press and a move past the drag distance on a call's or a put's
    cell drags that option out as an instrument (copy); a click stays a click (the table
    has no selection, so Qt's own drag, which takes the selected rows, never starts)."""

    def __init__(self, chain: OptionChainModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.chain = chain
        self._press: tuple[QPoint, QModelIndex] | None = None
        self._dragged = False       # the press became a drag: its release is not a click

    def drag_mime(self, index: QModelIndex) -> QMimeData | None:
        """The drag data of a cell (of this view's model): its option, None for the strike
        column or a cell without a contract."""
        if not index.isValid():
            return None
        opt = self.chain.option_at(index.row(), index.column())
        return instrument_mime([opt]) if opt is not None else None

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            pos = event.position().toPoint()
            self._press = (pos, self.indexAt(pos))
            self._dragged = False
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt override)
        press = self._press
        if press is not None and event.buttons() & Qt.MouseButton.LeftButton and \
                (event.position().toPoint() - press[0]).manhattanLength() >= QApplication.startDragDistance():
            self._press = None
            mime = self.drag_mime(press[1])
            if mime is not None:
                self._dragged = True
                drag = QDrag(self)
                drag.setMimeData(mime)
                drag.exec(Qt.DropAction.CopyAction)
                return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._press = None
        if self._dragged:           # the end of a drag (where Qt's drag loop left it to us)
            self._dragged = False
            self.setState(QTableView.State.NoState)
            return
        super().mouseReleaseEvent(event)


class OptionChainPanel(QWidget):
    """The Options dock (module docstring). Children for tests: ``symbol``, ``strikes_box``,
    ``expiry_tabs``, ``table``, ``status``. Signals ``orderRequested(Action, Instrument,
    float)`` and ``instrumentChosen(Instrument)`` (the trader typed an underlying here)."""

    orderRequested = Signal(object, object, float)
    instrumentChosen = Signal(object)

    def __init__(self, model: OptionChainModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("optionChain")
        self.model = model
        self.symbol = SymbolField(model.session)
        self.symbol.setObjectName("chainSymbol")
        self.strikes_box = QComboBox()
        for n in STRIKE_CHOICES:
            self.strikes_box.addItem(f"{n} strikes", n)
        self.strikes_box.setCurrentIndex(max(0, self.strikes_box.findData(model.strikes_shown)))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Underlying"))
        top.addWidget(self.symbol)
        top.addWidget(self.strikes_box)
        top.addWidget(self.status, 1)
        self.expiry_tabs = QTabBar()
        self.expiry_tabs.setObjectName("expiryTabs")
        self.expiry_tabs.setExpanding(False)
        self.expiry_tabs.setUsesScrollButtons(True)
        self.proxy = _ChainColours(self)
        self.proxy.setSourceModel(model)
        self.table = ChainTable(model)
        self.table.setObjectName("chainTable")
        self.table.setModel(self.proxy)
        self.table.setFont(tabular_font())
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Click an Ask to buy, a Bid to sell: the order ticket gets a LMT at that price. "
                              "Drag a cell to put its option in the watchlist, a chart or the ticket")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.expiry_tabs)
        lay.addWidget(self.table, 1)

        self.symbol.instrumentChosen.connect(self._typed)
        self.symbol.failed.connect(lambda text: self._say(False, text))
        self.strikes_box.currentIndexChanged.connect(lambda _i: model.set_strikes_shown(self.strikes_box.currentData()))
        self.expiry_tabs.currentChanged.connect(self._expiry_chosen)
        self.table.clicked.connect(self._clicked)
        model.expiriesChanged.connect(self._show_expiries)
        model.message.connect(self._say)
        model.underlyingChanged.connect(self.symbol.show_instrument)
        # the at-the-money row in the middle of the view once it is known (after a reset, or
        # when the underlying's first price arrives), then left where the trader scrolls
        self._centred_on = None
        model.modelReset.connect(self._model_reset)       # bound methods: disconnected with the panel
        model.dataChanged.connect(self._scroll_to_money)

    def set_instrument(self, instrument: Instrument | None) -> None:
        """Show the chain of ``instrument``'s underlying (the link colour's symbol)."""
        if instrument is None or instrument.is_fx or instrument.is_future:
            return      # no options on FX pairs or futures here
        self.model.set_underlying(instrument)

    def _typed(self, instrument: Instrument) -> None:
        self.model.set_underlying(instrument)
        self.instrumentChosen.emit(instrument)

    def _show_expiries(self, expiries: list) -> None:
        self.expiry_tabs.blockSignals(True)
        while self.expiry_tabs.count():
            self.expiry_tabs.removeTab(0)
        for e in expiries:
            i = self.expiry_tabs.addTab(f"{e[:4]}-{e[4:6]}-{e[6:8]}")
            self.expiry_tabs.setTabData(i, e)
        self.expiry_tabs.blockSignals(False)

    def _expiry_chosen(self, i: int) -> None:
        expiry = self.expiry_tabs.tabData(i)
        if expiry and expiry != self.model.expiry:
            self.model.set_expiry(expiry)

    def _clicked(self, index: QModelIndex) -> None:
        intent = self.model.click_intent(index.row(), index.column())
        if intent is not None:
            self.orderRequested.emit(*intent)

    def _model_reset(self) -> None:
        self._centred_on = None
        QTimer.singleShot(0, self, self._scroll_to_money)   # the panel as context: dropped with it

    def _scroll_to_money(self, *_args) -> None:
        row = self.model.atm_row
        shown = (self.model.underlying.key if self.model.underlying else None, self.model.expiry)
        if row is not None and self._centred_on != shown:
            self._centred_on = shown
            self.table.doItemsLayout()      # the reset's rows laid out (Qt delays it) before scrolling
            self.table.scrollTo(self.proxy.index(row, STRIKE_COL), QTableView.ScrollHint.PositionAtCenter)

    def _say(self, ok: bool, text: str) -> None:
        self.status.setText(text)
        theme.style(self.status, "" if ok else "color: $error_text;")

    def shutdown(self) -> None:
        """Release the chain's quote subscriptions (the window is closing)."""
        self.model.close()
