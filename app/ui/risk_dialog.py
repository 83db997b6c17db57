"""Settings dialog for the pre-trade risk limits (``app.commands.RiskLimits``).

One row per limit: an "On" check box, the value (unit shown) and Hard / Soft
(soft = the trader may override after an explicit question); plus the ticks a
marketable-limit Flatten goes beyond the quote. OK validates
(``RiskLimits.problems``: a clear message, the dialog stays open) and writes
through ``app.commands.risk_settings.save_limits``.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QGridLayout, QLabel, QSpinBox,
    QVBoxLayout, QWidget,
)

from app.commands.risk import LIMIT_RULES, Limit, RiskLimits
from app.commands.risk_settings import load_limits, save_limits
from app.ui import theme

#: row titles of the limits, in display order
TITLES = {
    "max_order_quantity": "Maximum quantity per order",
    "max_order_notional": "Maximum notional per order",
    "max_position": "Maximum position per symbol",
    "max_fx_order_quantity": "Maximum FX quantity per order",
    "max_fx_position": "Maximum FX position per pair",
    "max_future_order_quantity": "Maximum futures contracts per order",
    "max_future_position": "Maximum futures position per contract",
    "price_band_percent": "Price band around the NBBO (percent)",
    "price_band_ticks": "Price band around the NBBO (ticks)",
    "duplicate_order": "Duplicate-order guard",
    "max_orders_per_minute": "Maximum orders per minute",
}


class LimitSpinBox(QDoubleSpinBox):
    """A limit's value as a trader writes it: "1,000" shares, "100,000" USD, "2.5" s, "5" %,
    with group separators and without trailing zeros ("1000.00" before); up to
    ``decimals()`` decimals are still kept and typed."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        loc = QLocale(self.locale())
        if self.isGroupSeparatorShown():   # the C locale omits separators by default
            loc.setNumberOptions(QLocale.NumberOption.DefaultNumberOptions)
        text = loc.toString(float(value), "f", self.decimals())
        point = loc.decimalPoint()
        if point in text:
            text = text.rstrip("0").rstrip(point)
        return text


class RiskDialog(QDialog):
    """Edits the ``RiskLimits`` stored in ``settings`` (a ``QSettings``).

    Widgets per limit name: ``enabled[name]`` (QCheckBox), ``values[name]``
    (QDoubleSpinBox), ``modes[name]`` (QComboBox "Hard" / "Soft"); ``flatten_ticks``
    (QSpinBox); ``problem`` (QLabel with the validation message). After OK,
    ``.result_limits`` holds the saved limits.
    """

    def __init__(self, settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Pre-trade risk limits")
        self.settings = settings
        self.result_limits: RiskLimits | None = None
        self.enabled: dict[str, QCheckBox] = {}
        self.values: dict[str, QDoubleSpinBox] = {}
        self.modes: dict[str, QComboBox] = {}
        grid = QGridLayout()
        for col, text in enumerate(("Rule", "On", "Value", "Unit", "Hard / soft")):
            grid.addWidget(QLabel(f"<b>{text}</b>"), 0, col)
        for row, name in enumerate(LIMIT_RULES, start=1):
            on, value, mode = QCheckBox(), LimitSpinBox(), QComboBox()
            value.setRange(-1e12, 1e12)
            value.setDecimals(0 if name in ("max_orders_per_minute", "price_band_ticks") else 2)
            value.setGroupSeparatorShown(True)
            mode.addItems(["Hard", "Soft"])
            on.toggled.connect(value.setEnabled)
            on.toggled.connect(mode.setEnabled)
            self.enabled[name], self.values[name], self.modes[name] = on, value, mode
            grid.addWidget(QLabel(TITLES[name]), row, 0)
            grid.addWidget(on, row, 1)
            grid.addWidget(value, row, 2)
            grid.addWidget(QLabel(LIMIT_RULES[name][1]), row, 3)
            grid.addWidget(mode, row, 4)
        self.flatten_ticks = QSpinBox()
        self.flatten_ticks.setRange(-1, 1000)
        n = len(LIMIT_RULES) + 1
        grid.addWidget(QLabel("Flatten marketable limit: ticks beyond the quote"), n, 0)
        grid.addWidget(self.flatten_ticks, n, 2)
        self.problem = QLabel()
        theme.style(self.problem, "color: $error_text;")
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel
                                   | QDialogButtonBox.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.RestoreDefaults).clicked.connect(
            lambda: self.set_limits(RiskLimits.recommended()))
        lay = QVBoxLayout(self)
        lay.addLayout(grid)
        lay.addWidget(self.problem)
        lay.addWidget(buttons)
        self.set_limits(load_limits(settings))

    def set_limits(self, limits: RiskLimits) -> None:
        """Show ``limits`` in the widgets."""
        for name, lim in limits.limits().items():
            self.values[name].setValue(float(lim.value))
            self.modes[name].setCurrentIndex(0 if lim.hard else 1)
            self.enabled[name].setChecked(bool(lim.enabled))
            self.values[name].setEnabled(lim.enabled)
            self.modes[name].setEnabled(lim.enabled)
        self.flatten_ticks.setValue(int(limits.flatten_ticks))

    def limits(self) -> RiskLimits:
        """The limits as currently entered (not validated)."""
        out = RiskLimits(flatten_ticks=self.flatten_ticks.value())
        for name in LIMIT_RULES:
            out = out.with_limit(name, Limit(self.enabled[name].isChecked(), self.values[name].value(),
                                             self.modes[name].currentIndex() == 0))
        return out

    def accept(self) -> None:
        """Validate, save through ``risk_settings.save_limits`` and close; on a problem
        show it (every problem, one per line) and stay open."""
        limits = self.limits()
        problems = limits.problems()
        if problems:
            self.problem.setText("\n".join(p[:1].upper() + p[1:] for p in problems))
            self.problem.show()
            return
        save_limits(self.settings, limits)
        self.result_limits = limits
        super().accept()
