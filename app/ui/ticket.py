"""The order ticket panel.

Fields: symbol (set from the watchlist or typed + Enter), BUY/SELL (the panel
tints blue for buy, red for sell), quantity (shares) with preset buttons and
sizing by a cash amount, order type (IB's MKT, LMT, STP, STP LMT, TRAIL, TRAIL
LIMIT, MOC, LOC, MIT, LIT), limit and stop / trigger price (shown only when the type
needs them, stepping by the instrument's tick, prefilled from bid/ask), TIF (DAY, GTC,
IOC, FOK, GTD, OPG) with outside RTH, the trailing / GTD fields
(:class:`app.ui.ticket_order_type.OrderTypeGroup`), a bracket (take profit LMT and
stop loss STP children), an OCA group, live bid/ask buttons (click to take
the price; grey and italic, with "stale for 12 s: <reason>" beside them, while
the quote is stale), and a Transmit button labelled with the order in words. The
reason an order is invalid is shown next to the button, which stays disabled
meanwhile. A header names the account and its kind; a LIVE account also gets
a red frame.

Before transmitting, a confirmation (:class:`app.ui.confirm.ConfirmDialog`,
non-blocking, with the whatIf margin impact) is asked when the toggle of the
order's type (or "Bracket") is on. The confirmation is the ``confirm``
attribute (``callable(text) -> bool`` or an awaitable of bool) and the
soft-limit question the ``ask_override`` attribute (``callable(rule, message)``),
so tests and the lead can replace them. All state lives in
:class:`~app.viewmodels.ticket.TicketModel`; orders go through
``OrderCommands`` only.

Soft risk limits (and an FX order below IDEALPRO's minimum) show as an amber
``warning`` line while the order is composed and in the confirmation, whose
"Transmit anyway" overrides them (issue 14 item 4). The ``result`` and cash
lines are :class:`~app.ui.status_line.StatusLine` s: cleared on another symbol,
replaced when the order they name finishes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPalette, QPen, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel,
    QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from app.domain import AccountKind, Action, Instrument, OrderType, OrderValidationError, TimeInForce
from app.domain.futures import FUTURES_HINT
from app.ui.confirm import (
    CONFIRM_KINDS, ConfirmToggles, ask_override, execute_with_override, order_confirm_dialog,
    record_confirmation, record_overrides, resolve,
)
from app.ui.format import (
    fmt_price, fmt_qty, fmt_qty_short, tabular_font, tick_decimals,
)
from app.ui import theme
from app.ui.status_line import StatusLine
from app.ui.session_status import KIND_COLOURS
from app.ui.stale_label import stale_label
from app.ui.symbol_search import attach_symbol_search
from app.ui.elided_button import ElidedButton
from app.ui.ticket_order_type import OrderTypeGroup
from app.viewmodels.ticket import TicketModel

log = logging.getLogger(__name__)

#: seconds the Transmit button stays disabled after an order went out (no double-click duplicates)
REPEAT_GUARD_S = 0.6
MAX_PRICE = 1e9
MAX_QUANTITY = 1e9
MAX_CASH = 1e12
#: width in pixels of the red frame of a ticket on a LIVE account
LIVE_FRAME_PX = 4
LIVE_FRAME = KIND_COLOURS[AccountKind.LIVE][0]


class BlankableSpinBox(QDoubleSpinBox):
    """A number field that may be empty (its minimum shows the blank special value text):
    the ticket's Cash amount and its prices (0 = no price).

    The first digit typed into the empty field starts the number with the cursor after
    it. Qt edited the blank special value text wherever the click had put the cursor and
    then moved the cursor in front of the new digit, so 12345 typed into an empty Cash
    field read "23451 USD" and a stop of 190.5 read 90.51 (issue 14).
    """

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        digit = event.text()[:1]
        edit = self.lineEdit()
        # only while the blank shows: a typed "0" (of "0.25") is a number being written
        blank = edit.text()[len(self.prefix()):len(edit.text()) - len(self.suffix())].strip() == ""
        if self.specialValueText() and self.value() == self.minimum() and digit.isdigit() and blank:
            edit.setText(f"{self.prefix()}{digit}{self.suffix()}")
            edit.setCursorPosition(len(self.prefix()) + 1)
            return
        super().keyPressEvent(event)


def _price_spin() -> QDoubleSpinBox:
    s = BlankableSpinBox()
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

    Public API: :meth:`set_instrument`, :meth:`prefill`, :meth:`transmit`
    (returns the asyncio task of :meth:`transmit_async`), :meth:`size_by_cash`,
    :meth:`apply_preset`, :meth:`focus_order`; confirmations: property
    :attr:`confirm_orders` (any kind asks; setting it sets every kind),
    :attr:`toggles` (:class:`ConfirmToggles`), :meth:`set_confirm_kind`,
    :meth:`load_confirm_settings` / :meth:`save_confirm_settings`; attributes
    ``confirm`` (``callable(text) -> bool | Awaitable[bool]``, default the
    :class:`ConfirmDialog`) and ``ask_override`` (``callable(rule, message)``).
    Signal ``confirmTogglesChanged()`` after any toggle changes (to persist it);
    ``instrumentChosen(Instrument)`` after the trader typed a symbol the gateway resolved
    (the ticket's link group follows it).
    """

    confirmTogglesChanged = Signal()
    instrumentChosen = Signal(object)

    def __init__(self, model: TicketModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("orderTicket")
        self.model = model
        self.toggles = ConfirmToggles()
        self.confirm: Callable[[str], object] = self._ask
        self.ask_override: Callable[[str, str], object] = lambda rule, msg: ask_override(self, rule, msg)
        self._syncing = False
        self._holding = False
        self._busy = False
        self._syncing_master = False
        self._resolving: asyncio.Future | None = None
        self._pending_cmd = None
        self.sending: asyncio.Task | None = None
        self.dialog = None  # the open ConfirmDialog, if any
        #: the warning lines the confirmation being asked shows (soft limits, FX odd lot)
        self.pending_warnings: list[str] = []
        self._sent_orders: tuple = ()  # the orders of the result being announced

        self.header = QLabel()
        self.header.setObjectName("ticketHeader")
        self.header.setAlignment(Qt.AlignCenter)

        self.symbol = QLineEdit()
        self.symbol.setPlaceholderText("Symbol, Enter")
        self.symbol.setToolTip(FUTURES_HINT)
        self.symbol.returnPressed.connect(self._symbol_entered)
        self.symbol_search = attach_symbol_search(self.symbol, model.session)  # IB symbol lookup popup
        self.name = QLabel()
        theme.style(self.name, "color: $secondary_text;")

        self.buy = QPushButton("BUY")
        self.sell = QPushButton("SELL")
        self.side = QButtonGroup(self)
        for b, action in ((self.buy, Action.BUY), (self.sell, Action.SELL)):
            b.setCheckable(True)
            b.setMinimumWidth(70)
            self.side.addButton(b)
            b.clicked.connect(lambda _=False, a=action: self.model.set_action(a))
        for button, fill in ((self.buy, "buy_button"), (self.sell, "sell_button")):
            button.setStyleSheet("QPushButton:checked {{ background: {}; color: {}; font-weight: bold; }}"
                                 .format(*theme.FILLS[fill]))

        self.quantity = QDoubleSpinBox()
        self.quantity.setRange(0, MAX_QUANTITY)
        self.quantity.setDecimals(0)
        self.quantity.setSingleStep(100)
        self.quantity.setGroupSeparatorShown(True)
        self.quantity.setAlignment(Qt.AlignRight)
        self.quantity.setFont(tabular_font())
        self.quantity.valueChanged.connect(lambda v: self._edit(self.model.set_quantity, float(v)))
        self.presets_row = QHBoxLayout()
        self.presets_row.setSpacing(2)
        self.preset_buttons: list[QPushButton] = []
        self._build_presets()
        model.presetsChanged.connect(self._build_presets)

        self.cash = BlankableSpinBox()
        self.cash.setRange(0, MAX_CASH)
        self.cash.setDecimals(0)
        self.cash.setSingleStep(1000)
        self.cash.setGroupSeparatorShown(True)
        self.cash.setAlignment(Qt.AlignRight)
        self.cash.setFont(tabular_font())
        self.cash.setSpecialValueText(" ")
        self.cash.setToolTip("Size by cash: quantity = floor(amount / price); Enter or Size applies it")
        self.cash.lineEdit().returnPressed.connect(self.size_by_cash)
        self.cash_button = QPushButton("Size")
        self.cash_button.clicked.connect(self.size_by_cash)
        self.cash_result = QLabel()
        self.cash_result.setWordWrap(True)

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
        #: trailing distance, limit offset, GTD expiry, outside RTH (rows shown per type / TIF)
        self.type_fields = OrderTypeGroup(model, _price_spin)

        self.tp_box = QCheckBox("Take profit")
        self.tp_box.setToolTip("Attach a take-profit LMT child order (bracket)")
        self.tp_box.toggled.connect(lambda on: self._edit(self.model.set_take_profit, on))
        self.tp = _price_spin()
        self.tp.valueChanged.connect(
            lambda v: self._edit(lambda p: self.model.set_take_profit(self.model.take_profit_on, p), v or 0.0))
        self.sl_box = QCheckBox("Stop loss")
        self.sl_box.setToolTip("Attach a stop-loss STP child order (bracket)")
        self.sl_box.toggled.connect(lambda on: self._edit(self.model.set_stop_loss, on))
        self.sl = _price_spin()
        self.sl.valueChanged.connect(
            lambda v: self._edit(lambda p: self.model.set_stop_loss(self.model.stop_loss_on, p), v or 0.0))
        self.oca = QLineEdit()
        self.oca.setPlaceholderText("none")
        self.oca.setToolTip("OCA group: orders with the same group name cancel each other (IB ocaType 1)")
        self.oca.textChanged.connect(lambda t: self._edit(self.model.set_oca_group, t))

        self.bid = QPushButton("Bid —")
        self.ask = QPushButton("Ask —")
        for b, side in ((self.bid, "bid"), (self.ask, "ask")):
            b.setFlat(True)
            b.setFont(tabular_font())
            b.setToolTip(f"Click to use the {side} as the order price")
            b.clicked.connect(lambda _=False, s=side: self.take_price(s))

        self.confirm_box = QCheckBox("Confirm before transmit:")
        self.confirm_box.setToolTip("Ask before transmitting (per order type below)")
        self.confirm_box.setChecked(True)
        self.confirm_box.toggled.connect(self._confirm_all_toggled)
        self.confirm_type_boxes: dict[str, QCheckBox] = {}
        confirm_row = QGridLayout()  # the master toggle, then the kinds three to a row
        confirm_row.setHorizontalSpacing(10)
        confirm_row.setVerticalSpacing(2)
        confirm_row.addWidget(self.confirm_box, 0, 0, 1, 3)
        for i, kind in enumerate(CONFIRM_KINDS):
            box = QCheckBox("Bracket" if kind == "BRACKET" else kind)
            box.setChecked(True)
            box.setToolTip(f"Confirm {'bracket' if kind == 'BRACKET' else kind} orders before transmitting")
            box.toggled.connect(lambda on, k=kind: self.set_confirm_kind(k, on))
            self.confirm_type_boxes[kind] = box
            confirm_row.addWidget(box, 1 + i // 3, i % 3)
        confirm_row.setColumnStretch(3, 1)
        self.transmit_button = ElidedButton("Transmit")  # the order in words, "…" when long
        self.transmit_button.setDefault(True)
        self.transmit_button.clicked.connect(self.transmit)
        self.transmit_button.setToolTip("Transmit the order (Ctrl+Enter)")
        self.transmit_shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        self.transmit_shortcut.setContext(Qt.WidgetWithChildrenShortcut)
        self.transmit_shortcut.activated.connect(self._transmit_key)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        theme.style(self.problem, "color: $error_text;")
        #: soft warnings while the order is composed (soft risk limits, an FX odd lot)
        self.warning = QLabel()
        self.warning.setObjectName("ticketWarning")
        self.warning.setWordWrap(True)
        theme.style(self.warning, "color: $warning_text;")
        self.warning.setVisible(False)
        self._warning_timer = QTimer(self)  # time-based limits (duplicate window) age in a quiet market
        self._warning_timer.setInterval(1000)
        self._warning_timer.timeout.connect(self._sync_warning)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.status = StatusLine(self.result)        # cleared / replaced when no longer true
        self.cash_status = StatusLine(self.cash_result)

        sym_row = QHBoxLayout()
        sym_row.addWidget(self.symbol, 1)
        sym_row.addWidget(self.name, 2)
        self._sym_row = sym_row
        side_row = QHBoxLayout()
        side_row.addWidget(self.buy)
        side_row.addWidget(self.sell)
        side_row.addStretch(1)
        quote_row = QHBoxLayout()
        quote_row.addWidget(self.bid)
        quote_row.addWidget(self.ask)
        #: "stale for 12 s: Connection lost" while the bid/ask are not live
        self.quote_stale = stale_label("ticketQuoteStale", wrap=True)
        quote_row.addStretch(1)
        cash_row = QHBoxLayout()
        cash_row.addWidget(self.cash, 1)
        cash_row.addWidget(self.cash_button)
        tp_row = QHBoxLayout()
        tp_row.addWidget(self.tp_box)
        tp_row.addWidget(self.tp, 1)
        sl_row = QHBoxLayout()
        sl_row.addWidget(self.sl_box)
        sl_row.addWidget(self.sl, 1)
        form = QFormLayout()
        form.addRow("Symbol", sym_row)
        form.addRow("Side", side_row)
        form.addRow("Quantity", self.quantity)
        form.addRow("", self.presets_row)
        form.addRow("Cash", cash_row)
        form.addRow("", self.cash_result)
        form.addRow("Type", self.order_type)
        form.addRow("Limit", self.limit)
        form.addRow("Stop", self.stop)
        tif_row = QHBoxLayout()
        tif_row.addWidget(self.tif, 1)
        tif_row.addWidget(self.type_fields.outside_rth)
        form.addRow("TIF", tif_row)
        form.addRow(self.type_fields)
        self.type_fields.attach_price_rows(form, self.limit, self.stop)
        form.addRow("Bracket", tp_row)
        form.addRow("", sl_row)
        form.addRow("OCA group", self.oca)
        form.addRow("Market", quote_row)
        form.addRow("", self.quote_stale)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6 + LIVE_FRAME_PX, 6 + LIVE_FRAME_PX, 6 + LIVE_FRAME_PX, 6 + LIVE_FRAME_PX)
        lay.addWidget(self.header)
        lay.addLayout(form)
        lay.addLayout(confirm_row)
        lay.addWidget(self.transmit_button)
        lay.addWidget(self.problem)
        lay.addWidget(self.warning)
        lay.addWidget(self.result)
        lay.addStretch(1)
        self.setAutoFillBackground(True)
        # width only: the height is what the rows shown need (a fixed minimum let the dock
        # squeeze the rows of a TRAIL LIMIT GTD order on top of each other)
        self.setMinimumWidth(300)

        model.changed.connect(self._sync)
        theme.notifier().changed.connect(self._sync)  # the tint of the new theme
        model.quoteChanged.connect(self._sync_quote)
        model.transmitted.connect(self._show_result)
        model.orderChanged.connect(self.status.order_changed)
        self._sync()
        self._sync_quote()

    # ---- public API ----------------------------------------------------------
    @property
    def confirm_orders(self) -> bool:
        """True when any order kind asks for confirmation (the chart's order lines follow
        this); setting it turns every kind on or off."""
        return self.toggles.any

    @confirm_orders.setter
    def confirm_orders(self, on: bool) -> None:
        self.toggles.set_all(bool(on))
        self._sync_toggles()
        self.confirmTogglesChanged.emit()

    def set_confirm_kind(self, kind: str, on: bool) -> None:
        """Confirm orders of ``kind`` ("MKT", "LMT", "STP", "STP LMT", "BRACKET") or not."""
        if self.toggles.flags.get(kind) == bool(on):
            return
        self.toggles.set(kind, on)
        self._sync_toggles()
        self.confirmTogglesChanged.emit()

    def load_confirm_settings(self, settings) -> None:
        """Read the per-kind toggles from QSettings (``confirm/<kind>``)."""
        self.toggles.load(settings)
        self._sync_toggles()
        self.confirmTogglesChanged.emit()

    def save_confirm_settings(self, settings) -> None:
        """Write the per-kind toggles to QSettings (``confirm/<kind>``)."""
        self.toggles.save(settings)

    def _confirm_all_toggled(self, on: bool) -> None:
        if not self._syncing_master:  # the trader (or the lead's code) set the master box
            self.confirm_orders = on

    def _sync_toggles(self) -> None:
        for kind, box in self.confirm_type_boxes.items():
            if box.isChecked() != self.toggles.flags[kind]:
                box.blockSignals(True)
                box.setChecked(self.toggles.flags[kind])
                box.blockSignals(False)
        if self.confirm_box.isChecked() != self.toggles.any:
            self._syncing_master = True
            try:
                self.confirm_box.setChecked(self.toggles.any)  # emits toggled (panels persist it)
            finally:
                self._syncing_master = False

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

    def apply_preset(self, index: int) -> bool:
        """Quantity preset ``index`` (0-based); False (and a message) when there is none."""
        try:
            self.model.apply_preset(index)
        except IndexError as e:
            self._show_result(False, str(e))
            return False
        return True

    def size_by_cash(self, amount: float | None = None) -> bool:
        """Quantity = floor(amount / price) for ``amount`` (default the Cash field) in the
        instrument's currency; the result or the reason is shown under the field."""
        amount = self.cash.value() if amount is None or isinstance(amount, bool) else amount
        try:
            qty = self.model.size_by_cash(amount)
        except ValueError as e:
            self.cash_status.show(False, str(e), key=self._key())
            return False
        m = self.model
        note = m.quote_note() if m.sizing_from_quote() else ""
        self.cash_status.show(True, f"{amount:,.0f} {m.instrument.currency} at "
                                    f"{fmt_price(m.sizing_price(), m.tick)} = {fmt_qty(qty)}{note}",
                              key=self._key())
        theme.style(self.cash_result, "color: $stale_text; font-style: italic;" if note else "")
        return True

    def _key(self) -> str | None:
        inst = self.model.instrument
        return inst.key if inst is not None else None

    def focus_order(self) -> None:
        """Give the keyboard to the ticket (quantity field) with the order ready:
        Ctrl+Enter transmits."""
        self.quantity.setFocus(Qt.ShortcutFocusReason)
        self.quantity.selectAll()

    @property
    def busy(self) -> bool:
        """True while a transmit is in progress (confirmation or override question open)."""
        return self._busy

    # ---- editing ---------------------------------------------------------------
    def _edit(self, setter, value) -> None:
        if not self._syncing:
            self.status.clear()
            setter(value)

    def _build_presets(self) -> None:
        for b in self.preset_buttons:
            self.presets_row.removeWidget(b)
            b.deleteLater()
        self.preset_buttons = []
        for i, q in enumerate(self.model.presets):
            b = QPushButton(fmt_qty_short(q))
            b.setToolTip(f"Quantity {fmt_qty(q)} (preset {i + 1})")
            b.setMinimumWidth(20)
            b.clicked.connect(lambda _=False, i=i: self.apply_preset(i))
            self.presets_row.addWidget(b)
            self.preset_buttons.append(b)

    def _symbol_entered(self) -> None:
        text = self.symbol.text().strip()
        self.status.clear()
        self._resolving = asyncio.ensure_future(self._resolve(text))

    async def _resolve(self, text: str) -> None:
        try:
            before = self.model.instrument
            inst = await self.model.set_symbol_text(text)
            if inst is not before:
                self.instrumentChosen.emit(inst)
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
                self.symbol.setCursorPosition(0)
            self.name.setText(_instrument_name(inst))
            self.name.setToolTip(inst.long_name if inst else "")
            # an option's name is long: the field takes the room the company name leaves
            self._sym_row.setStretch(0, 3 if inst is not None and inst.is_option else 1)
            (self.buy if m.action is Action.BUY else self.sell).setChecked(True)
            tint = theme.qcolor("buy_tint_bg" if m.action is Action.BUY else "sell_tint_bg")
            pal = self.palette()
            pal.setColor(QPalette.Window, tint)
            self.setPalette(pal)
            self._sync_header()
            stock = inst is None or inst.sec_type == "STK"
            contracts = inst is not None and (inst.is_option or inst.is_future)   # whole contracts
            _set(self.quantity.decimals, self.quantity.setDecimals, 0 if stock or contracts else 2)
            _set(self.quantity.singleStep, self.quantity.setSingleStep,
                 100 if stock else 1 if contracts else 10000)
            if abs(self.quantity.value() - (m.quantity or 0)) > 1e-9:  # keep the cursor while typing
                self.quantity.setValue(m.quantity or 0)
            cur = f" {inst.currency}" if inst is not None else ""
            _set(self.cash.suffix, self.cash.setSuffix, cur)
            self.order_type.setCurrentText(m.order_type.value)
            self.tif.setCurrentText(m.tif.value)
            decimals, tick = tick_decimals(m.tick), m.tick
            for spin, needed, value in ((self.limit, m.order_type.needs_limit, m.limit_price),
                                        (self.stop, m.order_type.needs_stop, m.stop_price),
                                        (self.tp, m.take_profit_on, m.take_profit),
                                        (self.sl, m.stop_loss_on, m.stop_loss)):
                _set(spin.decimals, spin.setDecimals, decimals)
                _set(spin.singleStep, spin.setSingleStep, tick)
                spin.setEnabled(needed)
                if abs(spin.value() - (value or 0)) > tick / 10:
                    spin.setValue(value or 0)
            _set(self.tp_box.isChecked, self.tp_box.setChecked, m.take_profit_on)
            _set(self.sl_box.isChecked, self.sl_box.setChecked, m.stop_loss_on)
            if self.oca.text().strip() != m.oca_group:
                self.oca.setText(m.oca_group)
            self.status.symbol_changed(self._key())
            self.cash_status.symbol_changed(self._key())
            problem = m.problem()
            self.problem.setText(problem)
            self.problem.setVisible(bool(problem))
            self._sync_warning()
            self.transmit_button.setEnabled(not problem and not self._holding and not self._busy)
            self.transmit_button.setText(m.describe() if inst is not None else "Transmit")
        finally:
            self._syncing = False

    def _sync_header(self) -> None:
        kind = self.model.account_kind
        account = self.model.account_id
        if kind is None:
            self.header.setText("no account")
            theme.style(self.header, "QLabel#ticketHeader { color: $secondary_text; }")
        else:
            bg, fg = KIND_COLOURS[kind]
            extra = "  —  REAL MONEY" if kind is AccountKind.LIVE else ""
            self.header.setText(f"{kind.value}  ·  {account}{extra}")
            theme.style(self.header, f"QLabel#ticketHeader {{ background: {bg}; color: {fg}; "
                                     "font-weight: bold; padding: 2px; }")
        if kind is not getattr(self, "_painted_kind", None):
            self._painted_kind = kind
            self.update()

    @property
    def live_frame(self) -> bool:
        """True when the ticket is framed red (the account is LIVE)."""
        return self.model.account_kind is AccountKind.LIVE

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        if self.live_frame:
            p = QPainter(self)
            pen = QPen(QColor(LIVE_FRAME))
            pen.setWidth(LIVE_FRAME_PX)
            p.setPen(pen)
            half = LIVE_FRAME_PX // 2
            p.drawRect(self.rect().adjusted(half, half, -half - 1 + LIVE_FRAME_PX % 2, -half - 1 + LIVE_FRAME_PX % 2))
            p.end()

    def _sync_quote(self) -> None:
        m = self.model
        self.bid.setText(f"Bid {fmt_price(m.bid, m.tick) or '—'}")
        self.ask.setText(f"Ask {fmt_price(m.ask, m.tick) or '—'}")
        self.bid.setEnabled(m.bid is not None)
        self.ask.setEnabled(m.ask is not None)
        stale = m.stale_text()
        style = "color: $stale_text; font-style: italic;" if stale else ""
        for b, side in ((self.bid, "bid"), (self.ask, "ask")):
            theme.style(b, style)
            b.setToolTip(f"Click to use the {side} as the order price" + (f"\nThe quote is {stale}" if stale else ""))
        self.quote_stale.setText(stale)
        self.quote_stale.setVisible(bool(stale))
        self._sync_warning()  # the price band moves with the quote

    def _sync_warning(self) -> None:
        lines = self.model.warnings()
        text = "\n".join(f"⚠ {w}" for w in lines)
        if self.warning.text() != text:
            self.warning.setText(text)
            self.warning.setVisible(bool(text))
        if text and not self._warning_timer.isActive():
            self._warning_timer.start()
        elif not text:
            self._warning_timer.stop()

    # ---- transmit --------------------------------------------------------------
    def _end_hold(self) -> None:
        self._holding = False
        self._sync()

    def _transmit_key(self) -> None:
        if self.transmit_button.isEnabled():
            self.transmit()

    def transmit(self) -> asyncio.Task:
        """Start :meth:`transmit_async` (confirmation, command layer, soft-limit question)
        in a task and return it; the GUI never blocks."""
        self.sending = asyncio.ensure_future(self.transmit_async())
        return self.sending

    async def transmit_async(self):
        """Confirm (when the toggle of the order's kind is on) and send the order.

        Returns the ``CommandResult`` of the command layer, or None when nothing
        was sent (invalid order, confirmation declined, a transmit already in
        progress or held after a send). The decision is journalled
        (``commands.record("confirm", ...)``). Soft risk limits are part of the
        confirmation (``pending_warnings``): its Transmit overrides exactly those. Without
        a confirmation (the order type's toggle off) every soft limit is asked about in one
        ``ask_override`` question, and so is one that appears only at send time (the
        market moved after the confirmation).
        """
        if self._holding or self._busy:
            return None
        m = self.model
        problem = m.problem()
        if problem:
            self._show_result(False, problem)
            return None
        try:
            cmd = m.command()
        except OrderValidationError as e:
            self._show_result(False, str(e))
            return None
        text = m.confirm_text(cmd)
        symbol = cmd.request.instrument.display_symbol
        failures = m.soft_failures(cmd)
        accepted: frozenset[str] = frozenset()
        self._busy = True
        self._sync()
        try:
            if self.toggles.needs(cmd.request.order_type, m.bracket):
                self._pending_cmd = cmd
                self.pending_warnings = m.warnings(cmd, failures)
                try:
                    ok = bool(await resolve(self.confirm(text)))
                finally:
                    self._pending_cmd = None
                record_confirmation(m.commands, ok, text, symbol, warnings=self.pending_warnings)
                if not ok:
                    self._show_result(False, f"Not sent: {cmd.request.describe()} (declined)")
                    return None
                record_overrides(m.commands, failures, text, symbol)
                accepted = frozenset(f.rule for f in failures)
            result = await execute_with_override(
                m.commands, cmd, self.ask_override, symbol=symbol, text=text, accepted=accepted)
            if getattr(result, "soft", False) and not result.ok:
                self._show_result(False, result.message)  # override declined
            else:
                self._announce(result, cmd)
            if result.ok:
                # a double-click must not send the order twice: hold the button for a moment
                self._holding = True
                QTimer.singleShot(int(REPEAT_GUARD_S * 1000), self._end_hold)
        finally:
            self._busy = False
            try:
                self._sync()
            except RuntimeError:  # the ticket was deleted meanwhile
                pass
        return result

    def _announce(self, result, cmd) -> None:
        msg = result.message or (f"Sent: {cmd.request.describe()}" if result.ok
                                 else "Rejected by the command layer")
        self._sent_orders = tuple(getattr(result, "orders", ()) or ()) if result.ok else ()
        try:
            self.model.transmitted.emit(bool(result.ok), msg)
        finally:
            self._sent_orders = ()

    def _show_result(self, ok: bool, message: str) -> None:
        self.status.show(ok, message, key=self._key(), orders=self._sent_orders)

    def _ask(self, text: str):
        """The default confirmation: a :class:`ConfirmDialog` with the whatIf impact
        (returns an awaitable of bool)."""
        cmd = self._pending_cmd
        self.dialog = order_confirm_dialog(self, text, cmd.request, self.model.session,
                                           self.model.account_kind, warnings=self.pending_warnings)
        return self.dialog.ask()


def _instrument_name(inst) -> str:
    """The line beside the symbol: the company's name; for an option "Call 240 · 11 Dec 2026"
    (its right, strike and expiry), for a future its contract month and multiplier."""
    if inst is None:
        return ""
    if inst.is_option and len(inst.expiry) == 8:
        e = inst.expiry
        months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
        return (f"{'Call' if inst.right == 'C' else 'Put'} {inst.strike:g} · {int(e[6:])} "
                f"{months[int(e[4:6]) - 1]} {e[:4]} · x{inst.multiplier:g}")
    if inst.is_future:
        return f"{inst.long_name or inst.symbol} · x{inst.multiplier:g}"
    return inst.long_name
