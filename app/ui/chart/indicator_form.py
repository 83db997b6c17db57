"""``IndicatorForm``: the small form that asks for an indicator's parameters.

One row per parameter of ``app.viewmodels.indicators.PARAMS`` (``QFormLayout``): a
``QSpinBox`` for a period in bars, a ``QDoubleSpinBox`` for a multiplier, a ``QComboBox``
for a choice; the spin boxes' ranges are the indicator's own limits (RSI period >= 2,
Bollinger width > 0), so a value out of range cannot be typed. Rules between parameters
(MACD fast shorter than slow) are checked by building the indicator
(``make_indicator``): the error shows in red under the fields and OK stays disabled
until the values are valid. The form is opened non-blocking (``open()``); ``accepted``
then carries the parameters (``params()``).
"""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox,
                               QVBoxLayout, QWidget)

from app.ui import theme
from app.viewmodels.indicators import PARAMS, make_indicator


class IndicatorForm(QDialog):
    """Parameters of indicator ``name`` (one of ``INDICATORS``), prefilled with ``values``
    (default: the indicator's defaults). ``fields`` maps parameter name -> its editor;
    ``error_label`` shows why the values are refused; ``ok_button`` is disabled meanwhile."""

    def __init__(self, name: str, parent: QWidget | None = None, values: dict | None = None):
        super().__init__(parent)
        self.name = name
        self.setWindowTitle(f"{name} parameters")
        self.setObjectName("indicatorForm")
        values = values or {}
        form = QFormLayout()
        self.fields: dict[str, QWidget] = {}
        for spec in PARAMS[name]:
            value = values.get(spec.name, spec.default)
            if spec.kind == "int":
                box = QSpinBox()
                box.setRange(int(spec.minimum), int(spec.maximum))
                box.setValue(int(value))
                box.valueChanged.connect(self._validate)
            elif spec.kind == "float":
                box = QDoubleSpinBox()
                box.setDecimals(spec.decimals)
                box.setRange(spec.minimum, spec.maximum)
                box.setSingleStep(spec.step)
                box.setValue(float(value))
                box.valueChanged.connect(self._validate)
            else:
                box = QComboBox()
                for text, choice in spec.choices:
                    box.addItem(text, choice)
                box.setCurrentIndex(next((i for i, (_t, c) in enumerate(spec.choices) if c == value), 0))
                box.currentIndexChanged.connect(self._validate)
            box.setObjectName(f"param_{spec.name}")
            form.addRow(spec.label, box)
            self.fields[spec.name] = box
        self.error_label = QLabel("")
        self.error_label.setObjectName("indicatorFormError")
        theme.style(self.error_label, "color: $error_text;")
        self.error_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error_label)
        lay.addWidget(buttons)
        self._validate()

    def params(self) -> dict:
        """The parameters as entered: ``{"period": 20, "width": 2.0}`` (ints, floats, choices)."""
        out = {}
        for name, box in self.fields.items():
            if isinstance(box, QComboBox):
                out[name] = box.currentData()
            else:
                box.interpretText()  # a value still being typed counts
                out[name] = box.value()
        return out

    def _validate(self, *_args) -> bool:
        try:
            make_indicator(self.name, **self.params())
        except ValueError as e:
            self.error_label.setText(str(e))
            self.ok_button.setEnabled(False)
            return False
        self.error_label.setText("")
        self.ok_button.setEnabled(True)
        return True

    def accept(self) -> None:  # noqa: D102 (Qt)
        if self._validate():
            super().accept()
