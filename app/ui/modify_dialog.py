"""The "Modify order" dialog: new quantity / limit / stop / trailing amount of one working order.

Prefilled with the order's current values; a price field is enabled only when
the order type uses it (LMT, LOC: limit; STP: stop; MIT: trigger; STP LMT, LIT:
both; IB "Order Types"); a TRAIL / TRAIL LIMIT order that trails by an amount
shows its trailing amount to change, and its stop where it is now (not editable:
IB moves it). While the dialog is open, the change is checked with
``OrderCommands.check(ModifyOrder(...))`` and the reason it would be rejected
is shown next to the OK button, which stays disabled meanwhile; a soft
risk limit (``CommandRejected.soft``) is shown as a warning, every one of
them, and OK stays enabled: OK is the override of those (``shown_rules``, which
the caller passes on as accepted; it asks only about a limit new at send time). The dialog
itself sends nothing: :meth:`ModifyDialog.command` gives the ``ModifyOrder``
for the caller to execute.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QVBoxLayout, QWidget,
)

from app.commands import CommandRejected, ModifyOrder
from app.viewmodels.soft_limits import soft_warnings, warning_line
from app.domain import OrderRecord, OrderType
from app.ui import theme
from app.ui.format import fmt_qty, tabular_font, tick_decimals


def _needs(order: OrderRecord) -> tuple[bool, bool]:
    try:
        t = OrderType(str(order.order_type))
    except ValueError:
        return order.limit_price is not None, order.stop_price is not None
    return t.needs_limit, t.needs_stop


def _spin(decimals: int, step: float, value: float | None) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(0, 1e9)
    s.setDecimals(decimals)
    s.setSingleStep(step)
    s.setValue(value or 0)
    s.setAlignment(Qt.AlignRight)
    s.setFont(tabular_font())
    return s


def _trails_by_amount(order: OrderRecord) -> bool:
    return (isinstance(order.order_type, OrderType) and order.order_type.is_trailing
            and order.trailing_amount is not None)


def modify_command(order: OrderRecord, quantity: float, limit_price: float | None,
                   stop_price: float | None, trailing_amount: float | None = None) -> ModifyOrder:
    """A ``ModifyOrder`` carrying only the values that differ from ``order`` (None = unchanged)."""
    tick = order.instrument.min_tick or 0.01

    def changed(new, old, eps):
        if new is None:
            return None
        return None if old is not None and abs(new - old) < eps else new

    return ModifyOrder(order.order_id,
                       quantity=changed(quantity, order.quantity, 1e-9),
                       limit_price=changed(limit_price, order.limit_price, tick / 1000),
                       stop_price=changed(stop_price, order.stop_price, tick / 1000),
                       trailing_amount=changed(trailing_amount, order.trailing_amount, tick / 1000))


class ModifyDialog(QDialog):
    """Edit quantity (shares) and limit/stop price (instrument currency) of ``order``.

    ``commands`` (an ``OrderCommands``) is used only for ``check``.
    """

    def __init__(self, order: OrderRecord, commands, parent: QWidget | None = None):
        super().__init__(parent)
        self.order = order
        self.commands = commands
        inst = order.instrument
        self.setWindowTitle(f"Modify order {order.order_id}")
        tick = inst.min_tick or 0.01
        decimals = tick_decimals(tick)
        needs_limit, needs_stop = _needs(order)
        whole = inst.sec_type == "STK"
        self.quantity = _spin(0 if whole else 2, 100 if whole else 10000, order.quantity)
        self.quantity.setGroupSeparatorShown(True)
        self.limit = _spin(decimals, tick, order.limit_price)
        self.limit.setEnabled(needs_limit)
        self.stop = _spin(decimals, tick, order.stop_price)
        self.stop.setEnabled(needs_stop)
        self.trail = _spin(decimals, tick, order.trailing_amount)
        head = QLabel(f"{order.action} {fmt_qty(order.quantity)} {inst.display_symbol} "
                      f"{order.order_type} {order.tif} — {order.status}, filled {fmt_qty(order.filled)}")
        form = QFormLayout()
        form.addRow("Quantity", self.quantity)
        form.addRow("Limit price", self.limit)
        trailing = isinstance(order.order_type, OrderType) and order.order_type.is_trailing
        stop_name = order.order_type.stop_name if isinstance(order.order_type, OrderType) else "Stop price"
        form.addRow("Stop now" if trailing else stop_name, self.stop)
        form.addRow("Trailing amount", self.trail)
        form.setRowVisible(self.trail, _trails_by_amount(order))
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        # two lines kept for it, so the fields do not jump when a message comes and goes
        self.problem.setMinimumHeight(2 * self.problem.fontMetrics().lineSpacing())
        self.problem.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        #: the soft risk limits shown now (rule names): OK overrides them
        self.shown_rules: frozenset[str] = frozenset()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addLayout(form)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        for s in (self.quantity, self.limit, self.stop, self.trail):
            s.valueChanged.connect(self._check)
        self._check()

    def command(self) -> ModifyOrder:
        """The ``ModifyOrder`` for the values in the fields (unchanged ones None)."""
        needs_limit, needs_stop = _needs(self.order)
        return modify_command(self.order, self.quantity.value(),
                              self.limit.value() if needs_limit else None,
                              self.stop.value() if needs_stop else None,
                              self.trail.value() if _trails_by_amount(self.order) else None)

    def _check(self) -> None:
        """Check the command the fields make. Nothing changed yet (rule "no_change") is a
        hint, not an error: OK stays off until a value changes. Soft limits are listed
        (``shown_rules``) and OK sends despite them."""
        soft, rule, failures = False, "", []
        cmd = self.command()
        try:
            self.commands.check(cmd, override=True)   # the hard rules
            failures = soft_warnings(self.commands, cmd)
            reason = ""
        except CommandRejected as e:
            reason = getattr(e, "reason", "") or str(e)
            rule = getattr(e, "rule", "")
        self.shown_rules = frozenset(f.rule for f in failures)
        colour = "error_text"
        if rule == "no_change":
            what = "the trailing amount" if _trails_by_amount(self.order) else "a price"
            reason, colour = f"Change the quantity or {what}, then OK sends the modification.", "secondary_text"
        elif failures:
            soft, colour = True, "warning_text"
            reason = "\n".join(f"⚠ {warning_line(f)}" for f in failures) + "\nOK sends it anyway."
        self.problem.setText(reason)
        theme.style(self.problem, f"color: ${colour};")
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(not reason or soft)
