"""The order ticket's field group for the trailing, auction and touch order types and the
time-in-force details: trail by amount or percent, the initial trail stop (with where the
stop is now), the TRAIL LIMIT limit offset, the GTD expiry with its zone, and outside RTH.

Each row shows only when the chosen type / TIF uses it; the outside RTH box (the ticket puts
it beside the TIF) stays visible but is disabled, with IB's reason as its tooltip, where it
does not apply (MKT, MOC, LOC, OPG).
The values live in :class:`~app.viewmodels.ticket_order_type.OrderTypeFields`
(``TicketModel.type_fields``); the ticket (``app.ui.ticket``) only inserts this widget
and hands it its price-field factory and the label of its Stop row (rows hidden when the
type has no such price; the Stop row reads "Trigger" for MIT / LIT).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateTimeEdit, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QWidget,
)

from app.domain import OrderRequest, OrderType, TimeInForce
from app.domain.orders import outside_rth_problem
from app.ui import theme
from app.ui.format import fmt_price, tabular_font, tick_decimals
from app.viewmodels.ticket import TicketModel
from app.viewmodels.ticket_order_type import GTD_ZONES, trailing_stop_now

#: the trailing percent field's range (IB: above 0, below 100)
PERCENT_RANGE = (0.01, 99.99)


def _set(getter, setter, value) -> None:
    if getter() != value:
        setter(value)


class OrderTypeGroup(QWidget):
    """The type-specific rows of the ticket over ``model.type_fields``.

    ``price_spin()`` makes an empty-able price field (the ticket's own). Children:
    ``trail_by`` (Amount / Percent), ``trail_amount``, ``trail_percent``, ``trail_stop``
    (blank = from the market), ``stop_now`` (where the stop is now), ``limit_offset``,
    ``expiry`` (date and time), ``expiry_zone``, ``outside_rth`` (not in a row: its owner
    places it); :meth:`row_shown` says whether a row is visible ("trail", "trail_stop",
    "limit_offset", "expiry", "expiry_zone").
    """

    def __init__(self, model: TicketModel, price_spin: Callable[[], QDoubleSpinBox],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ticketOrderTypeFields")
        self.model = model
        self._syncing = False
        self._stop_label: QLabel | None = None
        self._price_rows: tuple[QFormLayout, QWidget, QWidget] | None = None

        self.trail_by = QComboBox()
        self.trail_by.addItems(["Amount", "Percent"])
        self.trail_by.setToolTip("Trail the stop by a price amount (IB auxPrice) or by a percent of "
                                 "the price (IB trailingPercent): one or the other")
        self.trail_by.currentIndexChanged.connect(
            lambda i: self._edit("trail_by", "percent" if i == 1 else "amount"))
        self.trail_amount = price_spin()
        self.trail_amount.setToolTip("Trailing amount: how far the stop follows the market")
        self.trail_amount.valueChanged.connect(lambda v: self._edit("trailing_amount", v or None))
        self.trail_percent = QDoubleSpinBox()
        self.trail_percent.setRange(0, PERCENT_RANGE[1])
        self.trail_percent.setDecimals(2)
        self.trail_percent.setSingleStep(0.1)
        self.trail_percent.setSuffix(" %")
        self.trail_percent.setSpecialValueText(" ")
        self.trail_percent.setAlignment(Qt.AlignRight)
        self.trail_percent.setFont(tabular_font())
        self.trail_percent.setToolTip("Trailing percent: how far the stop follows the market, in % of the price")
        self.trail_percent.valueChanged.connect(lambda v: self._edit("trailing_percent", v or None))
        trail_row = QHBoxLayout()
        trail_row.setContentsMargins(0, 0, 0, 0)
        trail_row.addWidget(self.trail_by)
        trail_row.addWidget(self.trail_amount, 1)
        trail_row.addWidget(self.trail_percent, 1)

        self.trail_stop = price_spin()
        self.trail_stop.setToolTip("Initial stop price (IB trailStopPrice); empty: from the market")
        self.trail_stop.valueChanged.connect(lambda v: self._edit("trail_stop_price", v or None))
        self.stop_now = QLabel()
        self.stop_now.setObjectName("ticketStopNow")
        theme.style(self.stop_now, "color: $secondary_text;")
        stop_row = QHBoxLayout()
        stop_row.setContentsMargins(0, 0, 0, 0)
        stop_row.addWidget(self.trail_stop, 1)
        stop_row.addWidget(self.stop_now, 1)

        self.limit_offset = price_spin()
        self.limit_offset.setToolTip("TRAIL LIMIT: the limit works this far beyond the stop "
                                     "(IB lmtPriceOffset)")
        self.limit_offset.valueChanged.connect(lambda v: self._edit("limit_offset", v or None))

        self.expiry = QDateTimeEdit()
        self.expiry.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.expiry.setCalendarPopup(True)
        self.expiry.setToolTip("GTD: the order is cancelled at this time (IB goodTillDate)")
        self.expiry.dateTimeChanged.connect(lambda dt: self._edit("expiry", dt.toPython()))
        self.expiry_zone = QComboBox()
        self.expiry_zone.addItems(list(GTD_ZONES))
        self.expiry_zone.setToolTip("The time zone of the expiry")
        self.expiry_zone.currentTextChanged.connect(lambda z: self._edit("expiry_zone", z))

        #: the ticket places it beside its TIF (it belongs to no row of this group)
        self.outside_rth = QCheckBox("Outside RTH")
        self.outside_rth.toggled.connect(lambda on: self._edit("outside_rth", bool(on)))

        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self._rows = {}
        for key, label, field in (("trail", "Trail by", trail_row), ("trail_stop", "Trail stop", stop_row),
                                  ("limit_offset", "Limit offset", self.limit_offset),
                                  # the zone on its own row: beside the date ("America/New_York")
                                  # it widened the row past the ticket and squeezed "Expires"
                                  ("expiry", "Expires", self.expiry), ("expiry_zone", "Zone", self.expiry_zone)):
            self._rows[key] = self.form.rowCount()
            self.form.addRow(label, field)
        self._shown: dict[str, bool] = {}
        model.changed.connect(self.sync)
        model.quoteChanged.connect(self._sync_stop_now)
        self.sync()

    # ---- API ---------------------------------------------------------------------
    def attach_price_rows(self, form: QFormLayout, limit: QWidget, stop: QWidget) -> None:
        """The ticket's ``form`` with its Limit and Stop fields: each row shows only when the
        type uses it, and the Stop row reads "Trigger" for MIT / LIT."""
        self._price_rows = (form, limit, stop)
        self._stop_label = form.labelForField(stop)
        self._align_labels(form)
        self.sync()

    def _align_labels(self, form: QFormLayout) -> None:
        """One label width for the ticket's form and this group's (which sits in it as a
        spanning row), so that every field starts at the same x whichever rows show."""
        labels = [item.widget() for f in (form, self.form) for row in range(f.rowCount())
                  if (item := f.itemAt(row, QFormLayout.LabelRole)) is not None and item.widget() is not None]
        width = max(lab.fontMetrics().horizontalAdvance(t) for lab in labels
                    for t in (lab.text(), "Trigger"))
        for lab in labels:
            lab.setMinimumWidth(width)

    def row_shown(self, key: str) -> bool:
        """True when row ``key`` ("trail", "trail_stop", "limit_offset", "expiry", "expiry_zone") is visible
        for the current type and TIF."""
        return self._shown.get(key, False)

    # ---- sync ----------------------------------------------------------------------
    def _edit(self, name: str, value) -> None:
        if not self._syncing:
            self.model.type_fields.set(name, value)

    def sync(self) -> None:
        """Copy the model into the fields and show the rows the type and TIF use."""
        m, f = self.model, self.model.type_fields
        ot, tif = m.order_type, m.tif
        self._syncing = True
        try:
            by_pct = f.trail_by == "percent"
            self._show("trail", ot.is_trailing)
            self._show("trail_stop", ot.is_trailing)
            self._show("limit_offset", ot is OrderType.TRAIL_LIMIT)
            self._show("expiry", tif is TimeInForce.GTD)
            self._show("expiry_zone", tif is TimeInForce.GTD)
            _set(self.trail_by.currentIndex, self.trail_by.setCurrentIndex, 1 if by_pct else 0)
            # after the rows: showing a row shows every widget in it, the unused field too
            self.trail_amount.setVisible(ot.is_trailing and not by_pct)
            self.trail_percent.setVisible(ot.is_trailing and by_pct)
            decimals, tick = tick_decimals(m.tick), m.tick
            for spin, value in ((self.trail_amount, f.trailing_amount), (self.trail_stop, f.trail_stop_price),
                                (self.limit_offset, f.limit_offset)):
                _set(spin.decimals, spin.setDecimals, decimals)
                _set(spin.singleStep, spin.setSingleStep, tick)
                if abs(spin.value() - (value or 0)) > tick / 10:
                    spin.setValue(value or 0)
            if abs(self.trail_percent.value() - (f.trailing_percent or 0)) > 1e-9:
                self.trail_percent.setValue(f.trailing_percent or 0)
            if f.expiry is not None and self.expiry.dateTime().toPython() != f.expiry:
                self.expiry.setDateTime(QDateTime(f.expiry))
            if self.expiry_zone.findText(f.expiry_zone) < 0:
                self.expiry_zone.addItem(f.expiry_zone)
            _set(self.expiry_zone.currentText, self.expiry_zone.setCurrentText, f.expiry_zone)
            why = outside_rth_problem(ot, tif)
            self.outside_rth.setEnabled(why is None)
            _set(self.outside_rth.isChecked, self.outside_rth.setChecked, f.outside_rth and why is None)
            self.outside_rth.setToolTip(why or "IB outsideRth: the order may also trigger or fill in the "
                                               "pre-market and after-hours sessions")
            if self._price_rows is not None:
                form, limit, stop = self._price_rows
                form.setRowVisible(limit, ot.needs_limit)
                form.setRowVisible(stop, ot.needs_stop)
                self._stop_label.setText("Trigger" if ot in (OrderType.MIT, OrderType.LIT) else "Stop")
        finally:
            self._syncing = False
        self._sync_stop_now()

    def _show(self, key: str, on: bool) -> None:
        if self._shown.get(key) != on:
            self._shown[key] = on
            self.form.setRowVisible(self._rows[key], on)

    def _sync_stop_now(self) -> None:
        m, f = self.model, self.model.type_fields
        text = ""
        if m.order_type.is_trailing and m.instrument is not None and f.trail_stop_price is None:
            fields = f.request_fields(m.order_type, m.tif)
            try:
                req = OrderRequest(m.instrument, m.action, m.quantity or 0, m.order_type,
                                   **{k: v for k, v in fields.items() if k != "good_till"})
                stop = trailing_stop_now(req, m.quote)
            except (TypeError, ValueError):
                stop = None
            if stop is not None:
                text = f"stop now {fmt_price(stop, m.tick)}"
        self.stop_now.setText(text)
