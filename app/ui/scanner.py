"""The market scanner panel: a thin view over ``app.viewmodels.scanner.ScannerModel``.

Top row: the scan code combo (display names from the gateway's scanner parameters, the
code in the tooltip) and the location combo; second row: Rows (1..50), Start and Stop;
third row: the filters Price above / Price below (0 = not set) and Volume above (0 = not
set); fourth row, only when the gateway's parameters list IB's market cap filters
(``marketCapAbove1e6`` / ``marketCapBelow1e6``; a field whose filter is not listed is
disabled): market cap min / max in millions of USD (blank = no bound; text that is not a
number is shown at the field and in the status line, and nothing is sent). Then a status
line (IB's messages) and the table (rank order, as IB sends it). Double-click on a row
resolves its instrument and emits :attr:`ScannerView.instrumentChosen`; a row dragged onto a
panel or a watchlist carries its instrument (``app.ui.symbol_drag``). The rows stay
narrow: the panel shares the watchlist's column (every left dock fits 340 px).

Wiring (the lead's ``app/ui/panels.py``)::

    self.scanner_model = ScannerModel(session, self)
    self.scanner = ScannerView(self.scanner_model)
    # docks(): "scanner": self.scanner
    self.scanner.instrumentChosen.connect(<load the instrument in the linked panels>)
    # shutdown: self.scanner.shutdown
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QSpinBox, QTableView, QToolTip, QVBoxLayout, QWidget,
)

from app.domain.scanner import (
    MARKET_CAP_ABOVE, MARKET_CAP_BELOW, MAX_SCAN_ROWS, ScannerParameters, ScanRequest,
)
from app.ui.columns import ordered_table, size_columns
from app.ui.format import tabular_font
from app.ui.symbol_drag import drag_rows_out
from app.viewmodels.scanner import ScannerModel, parse_market_cap

#: shown before the gateway's parameters arrive (IB scan codes every TWS offers)
DEFAULT_CODES = (("TOP_PERC_GAIN", "Top % Gainers"), ("TOP_PERC_LOSE", "Top % Losers"),
                 ("MOST_ACTIVE", "Most Active"), ("HOT_BY_VOLUME", "Hot Contracts by Volume"))
DEFAULT_LOCATIONS = (("STK.US.MAJOR", "Listed/NASDAQ"), ("STK.US", "US Stocks"))
#: the largest price / volume the filter fields take
MAX_PRICE = 1_000_000.0
MAX_VOLUME = 2_000_000_000
#: style of a field whose text was refused
BAD_FIELD_STYLE = "QLineEdit { border: 1px solid #d32f2f; }"


class ScannerView(QWidget):
    """Scan choice, filters, Start / Stop, status and the result table of ``model``.

    Only reads the model and passes the user's intents to it. Signal
    ``instrumentChosen(Instrument)``: a row was double-clicked and its
    instrument resolved (``Session.resolve``)."""

    instrumentChosen = Signal(object)

    def __init__(self, model: ScannerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("scanner")
        self.model = model

        self.code = QComboBox(self)
        self.code.setObjectName("scannerCode")
        self.code.setToolTip("Scan type (IB scan code)")
        self.location = QComboBox(self)
        self.location.setObjectName("scannerLocation")
        self.location.setToolTip("Where to scan (IB location code)")
        self.rows = QSpinBox(self)
        self.rows.setObjectName("scannerRows")
        self.rows.setRange(1, MAX_SCAN_ROWS)
        self.rows.setValue(model.request.rows)
        self.rows.setToolTip(f"Number of results (IB sends at most {MAX_SCAN_ROWS})")
        self.start_button = QPushButton("Start", self)
        self.start_button.setObjectName("scannerStart")
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("scannerStop")

        self.price_above = self._price_box("scannerPriceAbove", "Only prices above this (0 = any)")
        self.price_below = self._price_box("scannerPriceBelow", "Only prices below this (0 = any)")
        self.volume_above = QSpinBox(self)
        self.volume_above.setObjectName("scannerVolumeAbove")
        self.volume_above.setRange(0, MAX_VOLUME)
        self.volume_above.setSingleStep(10_000)
        self.volume_above.setGroupSeparatorShown(True)
        self.volume_above.setSpecialValueText("Any")
        self.volume_above.setToolTip("Only day volumes above this many shares (0 = any)")

        self.market_cap_min = self._cap_box("scannerMarketCapMin", "min",
                                            "Only market caps above this, millions of USD "
                                            "(e.g. 2000 = $2B; blank = any)")
        self.market_cap_max = self._cap_box("scannerMarketCapMax", "max",
                                            "Only market caps below this, millions of USD "
                                            "(e.g. 10000 = $10B; blank = any)")

        self.status = QLabel("", self)
        self.status.setObjectName("scannerStatus")
        self.status.setWordWrap(True)

        # the scanner shares the watchlist's column (320 px minimum): combos shrink to a few
        # characters and the controls take three short rows instead of one wide one
        for combo in (self.code, self.location):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        for box in (self.price_above, self.price_below, self.volume_above):
            box.setMinimumWidth(60)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.code, 2)
        top.addWidget(self.location, 1)
        run = QHBoxLayout()
        run.setContentsMargins(0, 0, 0, 0)
        run.addWidget(QLabel("Rows", self))
        run.addWidget(self.rows)
        run.addStretch(1)
        run.addWidget(self.start_button)
        run.addWidget(self.stop_button)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        for text, box in (("Price >", self.price_above), ("Price <", self.price_below),
                          ("Vol >", self.volume_above)):
            filters.addWidget(QLabel(text, self))
            filters.addWidget(box, 1)
        # shown once the gateway lists the market cap filters (a real TWS does; some may not)
        self.market_cap_row = QWidget(self)
        self.market_cap_row.setObjectName("scannerMarketCapRow")
        caps = QHBoxLayout(self.market_cap_row)
        caps.setContentsMargins(0, 0, 0, 0)
        caps.addWidget(QLabel("Mkt cap $M  >", self.market_cap_row))
        caps.addWidget(self.market_cap_min, 1)
        caps.addWidget(QLabel("<", self.market_cap_row))
        caps.addWidget(self.market_cap_max, 1)
        self.market_cap_row.setVisible(False)

        self.table = QTableView(self)
        self.table.setObjectName("scannerTable")
        self.table.setModel(model.table)
        ordered_table(self.table)                  # IB's rank order is the meaning
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setToolTip("Double-click a row to load its instrument, or drag it onto a panel "
                              "or a watchlist")
        drag_rows_out(self.table)
        size_columns(self.table, model.table.columns, tabular_font())

        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addLayout(run)
        lay.addLayout(filters)
        lay.addWidget(self.market_cap_row)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 1)

        self._fill(self.code, DEFAULT_CODES, model.request.code)
        self._fill(self.location, DEFAULT_LOCATIONS, model.request.location)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(model.stop)
        self.table.doubleClicked.connect(self._choose)
        model.parametersChanged.connect(self._show_parameters)
        model.runningChanged.connect(self._show_running)
        model.message.connect(self.status.setText)
        model.instrumentChosen.connect(self.instrumentChosen)
        if model.parameters is not None:
            self._show_parameters(model.parameters)
        self._show_running(model.running)

    def _price_box(self, name: str, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        box.setObjectName(name)
        box.setRange(0.0, MAX_PRICE)
        box.setDecimals(2)
        box.setSingleStep(1.0)
        box.setGroupSeparatorShown(True)
        box.setSpecialValueText("Any")
        box.setToolTip(tip)
        return box

    def _cap_box(self, name: str, placeholder: str, tip: str) -> QLineEdit:
        box = QLineEdit(self)
        box.setObjectName(name)
        box.setPlaceholderText(placeholder)
        box.setToolTip(tip)
        box.setProperty("tip", tip)
        box.setMinimumWidth(60)
        box.setAlignment(Qt.AlignmentFlag.AlignRight)
        box.textEdited.connect(lambda _t, b=box: self._clear_bad(b))
        box.returnPressed.connect(self.start)
        return box

    def _mark_bad(self, box: QLineEdit, message: str) -> None:
        """Show ``message`` at ``box`` (red border, tooltip) and in the status line."""
        box.setStyleSheet(BAD_FIELD_STYLE)
        box.setToolTip(message)
        box.setFocus()
        self.status.setText(message)
        if box.isVisible():
            QToolTip.showText(box.mapToGlobal(box.rect().bottomLeft()), message, box)

    def _clear_bad(self, box: QLineEdit) -> None:
        box.setStyleSheet("")
        box.setToolTip(box.property("tip"))

    def _market_cap(self, box: QLineEdit, label: str) -> float | None:
        """The bound typed in ``box`` (millions of USD; None when blank or the gateway does
        not offer its filter); a bad text is marked at the field and raises ValueError."""
        if not box.isEnabled() or self.market_cap_row.isHidden():
            return None
        try:
            return parse_market_cap(box.text(), label)
        except ValueError as e:
            self._mark_bad(box, str(e))
            raise

    @staticmethod
    def _fill(combo: QComboBox, items, current: str) -> None:
        keep = combo.currentData() or current
        combo.blockSignals(True)
        combo.clear()
        for code, name in items:
            combo.addItem(name, code)
            combo.setItemData(combo.count() - 1, code, Qt.ItemDataRole.ToolTipRole)
        i = combo.findData(keep)
        combo.setCurrentIndex(i if i >= 0 else 0)
        combo.blockSignals(False)

    def _show_parameters(self, params: ScannerParameters) -> None:
        if params.codes:
            self._fill(self.code, [(c.code, c.name) for c in params.codes], self.model.request.code)
        if params.locations:
            self._fill(self.location, [(l.code, l.name) for l in params.locations],
                       self.model.request.location)
        above, below = params.offers_filter(MARKET_CAP_ABOVE), params.offers_filter(MARKET_CAP_BELOW)
        self.market_cap_min.setEnabled(above)
        self.market_cap_max.setEnabled(below)
        self.market_cap_row.setVisible(above or below)

    def _show_running(self, running: bool) -> None:
        self.start_button.setText("Restart" if running else "Start")
        self.stop_button.setEnabled(running)

    def request(self) -> ScanRequest:
        """The scan the fields describe (price / volume filters at 0 and blank market caps are
        not set). ``ValueError`` (shown at the field) for a market cap that is not a number."""
        def opt(v: float):
            return float(v) if v > 0 else None
        return ScanRequest(self.code.currentData() or "TOP_PERC_GAIN",
                           self.location.currentData() or "STK.US.MAJOR",
                           rows=self.rows.value(), price_above=opt(self.price_above.value()),
                           price_below=opt(self.price_below.value()),
                           volume_above=opt(self.volume_above.value()),
                           market_cap_above=self._market_cap(self.market_cap_min, "Market cap min"),
                           market_cap_below=self._market_cap(self.market_cap_max, "Market cap max"))

    @Slot()
    def start(self) -> None:
        """Start (or restart) the scan the fields describe; a bad field or range is shown in
        the status line (and at a market cap field) instead, and nothing is sent."""
        for box in (self.market_cap_min, self.market_cap_max):
            self._clear_bad(box)
        try:
            req = self.request()
        except ValueError:
            return                       # already shown at the field
        try:
            self.model.start(req)
        except ValueError as e:
            text = str(e)
            if text.startswith("Market cap min"):
                self._mark_bad(self.market_cap_min, text)
            elif text.startswith("Market cap max"):
                self._mark_bad(self.market_cap_max, text)
            else:
                self.status.setText(text)

    def _choose(self, index: QModelIndex) -> None:
        if index.isValid():
            self.model.choose(index.row())

    def showEvent(self, event) -> None:  # noqa: N802 (Qt)
        """Load the gateway's scanner parameters the first time the panel is shown."""
        super().showEvent(event)
        try:
            self.model.ensure_parameters()
        except RuntimeError:        # no event loop
            pass

    def shutdown(self) -> None:
        """Stop the scan and its quote subscriptions (the panel goes away for good)."""
        self.model.close()
