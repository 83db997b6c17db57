"""The order ticket panel.

Fields: symbol (set from the watchlist or typed + Enter), BUY/SELL (the panel
tints blue for buy, red for sell), quantity (shares), order type (MKT, LMT,
STP, STP LMT), limit and stop price (enabled only when the type needs them,
stepping by the instrument's tick, prefilled from bid/ask), TIF (DAY, GTC),
live bid/ask buttons (click to take the price), and a Transmit button
labelled with the order in words. The reason an order is invalid is shown
next to the button, which stays disabled meanwhile. Before transmitting, a
confirmation is asked unless "Confirm before transmit" is off; the
confirmation is the ``confirm`` attribute (``callable(text) -> bool``) so tests
and the lead can replace it. All state lives in
:class:`~app.viewmodels.ticket.TicketModel`; orders go through
``OrderCommands`` only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

from app.domain import Action, Instrument, OrderType, TimeInForce
from app.ui.format import BUY_TINT, ERROR_TEXT, OK_TEXT, SELL_TINT, fmt_price, tabular_font, tick_decimals
from app.viewmodels.ticket import TicketModel

log = logging.getLogger(__name__)

#: seconds the Transmit button stays disabled after an order went out (no double-click duplicates)
REPEAT_GUARD_S = 0.6
MAX_PRICE = 1e9
MAX_QUANTITY = 1e9


def _price_spin() -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(0, MAX_PRICE)
    s.setSpecialValueText(" ")  # 0 = no price
    s.setAlignment(Qt.AlignRight)
    s.setKeyboardTracking(True)
    s.setAccelerated(True)
    s.setFont(tabular_font())
    return s


def _set(getter, setter, value) -> None:
    """Call ``setter(value)`` only when it changes something (spin boxes reformat on every set)."""
    if getter() != value:
        setter(value)


class OrderTicket(QWidget):
    """Order ticket widget over a :class:`TicketModel`.

    Public API: :meth:`set_instrument`, :meth:`prefill`, property
    :attr:`confirm_orders`, attribute ``confirm`` (``callable(text) -> bool``,
    default a Yes/No ``QMessageBox``).
    """

    def __init__(self, model: TicketModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.confirm: Callable[[str], bool] = self._ask
        self._syncing = False
        self._holding = False
        self._resolving: asyncio.Future | None = None

        self.symbol = QLineEdit()
        self.symbol.setPlaceholderText("Symbol, Enter")
        self.symbol.returnPressed.connect(self._symbol_entered)
        self.name = QLabel()
        self.name.setStyleSheet("color: #616161;")

        self.buy = QPushButton("BUY")
        self.sell = QPushButton("SELL")
        self.side = QButtonGroup(self)
        for b, action in ((self.buy, Action.BUY), (self.sell, Action.SELL)):
            b.setCheckable(True)
            b.setMinimumWidth(70)
            self.side.addButton(b)
            b.clicked.connect(lambda _=False, a=action: self.model.set_action(a))
        self.buy.setStyleSheet("QPushButton:checked { background: #1565c0; color: white; font-weight: bold; }")
        self.sell.setStyleSheet("QPushButton:checked { background: #c62828; color: white; font-weight: bold; }")

        self.quantity = QDoubleSpinBox()
        self.quantity.setRange(0, MAX_QUANTITY)
        self.quantity.setDecimals(0)
        self.quantity.setSingleStep(100)
        self.quantity.setGroupSeparatorShown(True)
        self.quantity.setAlignment(Qt.AlignRight)
        self.quantity.setFont(tabular_font())
        self.quantity.valueChanged.connect(lambda v: self._edit(self.model.set_quantity, float(v)))

        self.order_type = QComboBox()
        self.order_type.addItems([t.value for t in OrderType])
        self.order_type.currentTextChanged.connect(lambda t: self._edit(self.model.set_order_type, t))
        self.tif = QComboBox()
        self.tif.addItems([t.value for t in TimeInForce])
        self.tif.currentTextChanged.connect(lambda t: self._edit(self.model.set_tif, t))

        self.limit = _price_spin()
        self.limit.valueChanged.connect(lambda v: self._edit(self.model.set_limit_price, v or None))
        self.stop = _price_spin()
        self.stop.valueChanged.connect(lambda v: self._edit(self.model.set_stop_price, v or None))

        self.bid = QPushButton("Bid —")
        self.ask = QPushButton("Ask —")
        for b, side in ((self.bid, "bid"), (self.ask, "ask")):
            b.setFlat(True)
            b.setFont(tabular_font())
            b.setToolTip(f"Click to use the {side} as the order price")
            b.clicked.connect(lambda _=False, s=side: self.take_price(s))

        self.confirm_box = QCheckBox("Confirm before transmit")
        self.confirm_box.setChecked(True)
        self.transmit_button = QPushButton("Transmit")
        self.transmit_button.setDefault(True)
        self.transmit_button.clicked.connect(self.transmit)
        self.transmit_button.setToolTip("Transmit the order (Ctrl+Enter)")
        self.transmit_shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        self.transmit_shortcut.setContext(Qt.WidgetWithChildrenShortcut)
        self.transmit_shortcut.activated.connect(self._transmit_key)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {ERROR_TEXT};")
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextSelectableByMouse)

        sym_row = QHBoxLayout()
        sym_row.addWidget(self.symbol, 1)
        sym_row.addWidget(self.name, 2)
        side_row = QHBoxLayout()
        side_row.addWidget(self.buy)
        side_row.addWidget(self.sell)
        side_row.addStretch(1)
        quote_row = QHBoxLayout()
        quote_row.addWidget(self.bid)
        quote_row.addWidget(self.ask)
        quote_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Symbol", sym_row)
        form.addRow("Side", side_row)
        form.addRow("Quantity", self.quantity)
        form.addRow("Type", self.order_type)
        form.addRow("Limit", self.limit)
        form.addRow("Stop", self.stop)
        form.addRow("TIF", self.tif)
        form.addRow("Market", quote_row)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
        lay.addWidget(self.confirm_box)
        lay.addWidget(self.transmit_button)
        lay.addWidget(self.problem)
        lay.addWidget(self.result)
        lay.addStretch(1)
        self.setAutoFillBackground(True)
        self.setMinimumSize(280, 340)

        model.changed.connect(self._sync)
        model.quoteChanged.connect(self._sync_quote)
        model.transmitted.connect(self._show_result)
        self._sync()
        self._sync_quote()

    # ---- public API ----------------------------------------------------------
    @property
    def confirm_orders(self) -> bool:
        """Ask for confirmation before transmitting (persisted by the main window)."""
        return self.confirm_box.isChecked()

    @confirm_orders.setter
    def confirm_orders(self, on: bool) -> None:
        self.confirm_box.setChecked(bool(on))

    def set_instrument(self, instrument: Instrument) -> None:
        """Show ``instrument`` (a resolved Instrument, e.g. from the watchlist)."""
        self.model.set_instrument(instrument)

    def prefill(self, action: Action | str, order_type: OrderType | str, price: float | None) -> None:
        """Set side, type and price (instrument currency, rounded to tick); see ``TicketModel.prefill``."""
        self.model.prefill(action, order_type, price)

    def take_price(self, side: str) -> None:
        """Use the bid or ask ("bid"/"ask") as the limit price (or stop price for STP)."""
        price = self.model.bid if side == "bid" else self.model.ask
        if price is None:
            return
        if self.model.order_type.needs_limit:
            self.model.set_limit_price(price)
        elif self.model.order_type.needs_stop:
            self.model.set_stop_price(price)

    # ---- editing ---------------------------------------------------------------
    def _edit(self, setter, value) -> None:
        if not self._syncing:
            self.result.clear()
            setter(value)

    def _symbol_entered(self) -> None:
        text = self.symbol.text().strip()
        self.result.clear()
        self._resolving = asyncio.ensure_future(self._resolve(text))

    async def _resolve(self, text: str) -> None:
        try:
            await self.model.set_symbol_text(text)
        except ValueError as e:
            self._show_result(False, str(e))
        except Exception as e:  # shown, never lost
            log.exception("ticket: resolving %s failed", text)
            self._show_result(False, f"Cannot look up {text}: {e}")

    def _sync(self) -> None:
        """Copy the model's fields into the widgets (without feeding them back)."""
        m = self.model
        self._syncing = True
        try:
            inst = m.instrument
            if inst is not None and not self.symbol.hasFocus():
                self.symbol.setText(inst.display_symbol)
            self.name.setText(inst.long_name if inst else "")
            (self.buy if m.action is Action.BUY else self.sell).setChecked(True)
            tint = QColor(BUY_TINT if m.action is Action.BUY else SELL_TINT)
            pal = self.palette()
            pal.setColor(QPalette.Window, tint)
            self.setPalette(pal)
            stock = inst is None or inst.sec_type == "STK"
            _set(self.quantity.decimals, self.quantity.setDecimals, 0 if stock else 2)
            _set(self.quantity.singleStep, self.quantity.setSingleStep, 100 if stock else 10000)
            if abs(self.quantity.value() - (m.quantity or 0)) > 1e-9:  # keep the cursor while typing
                self.quantity.setValue(m.quantity or 0)
            self.order_type.setCurrentText(m.order_type.value)
            self.tif.setCurrentText(m.tif.value)
            decimals, tick = tick_decimals(m.tick), m.tick
            for spin, needed, value in ((self.limit, m.order_type.needs_limit, m.limit_price),
                                        (self.stop, m.order_type.needs_stop, m.stop_price)):
                _set(spin.decimals, spin.setDecimals, decimals)
                _set(spin.singleStep, spin.setSingleStep, tick)
                spin.setEnabled(needed)
                if abs(spin.value() - (value or 0)) > tick / 10:
                    spin.setValue(value or 0)
            problem = m.problem()
            self.problem.setText(problem)
            self.problem.setVisible(bool(problem))
            self.transmit_button.setEnabled(not problem and not self._holding)
            self.transmit_button.setText(m.describe() if inst is not None else "Transmit")
        finally:
            self._syncing = False

    def _sync_quote(self) -> None:
        m = self.model
        self.bid.setText(f"Bid {fmt_price(m.bid, m.tick) or '—'}")
        self.ask.setText(f"Ask {fmt_price(m.ask, m.tick) or '—'}")
        self.bid.setEnabled(m.bid is not None)
        self.ask.setEnabled(m.ask is not None)

    # ---- transmit --------------------------------------------------------------
    def _end_hold(self) -> None:
        self._holding = False
        self._sync()

    def _transmit_key(self) -> None:
        if self.transmit_button.isEnabled():
            self.transmit()

    def transmit(self) -> bool:
        """Confirm (if on) and send the order; True when the command layer accepted it."""
        if self._holding:
            return False
        problem = self.model.problem()
        if problem:
            self._show_result(False, problem)
            return False
        text = self.model.describe()
        if self.confirm_orders and not self.confirm(text):
            self._show_result(False, f"Not sent: {text} (declined)")
            return False
        result = self.model.transmit()
        if result.ok:
            # a double-click must not send the order twice: hold the button for a moment
            self._holding = True
            self.transmit_button.setEnabled(False)
            QTimer.singleShot(int(REPEAT_GUARD_S * 1000), self._end_hold)
        return bool(result.ok)

    def _show_result(self, ok: bool, message: str) -> None:
        self.result.setStyleSheet(f"color: {OK_TEXT if ok else ERROR_TEXT};")
        self.result.setText(message)

    def _ask(self, text: str) -> bool:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Question)
        box.setWindowTitle("Transmit order")
        box.setText(f"Transmit this order?\n\n{text}")
        box.setStandardButtons(QMessageBox.Yes | QMessageBox.No)
        box.setDefaultButton(QMessageBox.No)
        return box.exec() == QMessageBox.Yes
