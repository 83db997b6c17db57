"""``StableLabel``: a ``QLabel`` for numbers that change many times a second.

A plain ``QLabel.setText`` calls ``updateGeometry()``, which posts a layout
request to the parent: at a live tick rate the toolbar is laid out again on
every price. ``StableLabel`` fixes its size to fit the text with every digit
drawn as the widest one ("8"), and changes that size only when the text's
shape changes (more digits, another prefix); Qt skips the layout for a
fixed-size widget (``QWidgetPrivate::updateGeometry_helper``), so a new price
of the same shape costs a repaint of the label only.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QLabel

_DIGIT = re.compile(r"\d")


class StableLabel(QLabel):
    """A label whose size follows the *shape* of its text, not each new value.

    ``setText(text)`` as ``QLabel``; the width is that of ``text`` with its
    digits replaced by "8" (plus the label's margins), the height the
    label's size hint. An empty text gives a zero-width label.
    """

    def __init__(self, text: str = "", parent=None):
        super().__init__("", parent)
        self._shape: str | None = None
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt name)
        shape = _DIGIT.sub("8", text)
        if shape != self._shape:
            self._shape = shape
            if text:
                m = self.contentsMargins()
                width = (self.fontMetrics().horizontalAdvance(shape) + 2 * self.margin()
                         + m.left() + m.right() + 2)
                super().setText(shape)
                height = self.sizeHint().height()
                self.setFixedSize(width, height)
            else:
                self.setFixedSize(0, self.sizeHint().height())
        super().setText(text)
