"""A push button whose long text is shortened with "…" to the width it has.

The ticket's Transmit button says the whole order ("BUY 100 AAPL LMT 238.68 GTD 2026-12-07
16:00 America/New_York"); a plain ``QPushButton`` asks for the width of its whole text, so
such a text either widened the ticket or was cut off at both ends. ``ElidedButton`` keeps
``text()`` whole (tests, accessibility), paints it elided on the right to the button's
width, shows the whole text as the tooltip when it does not fit, and asks for no more width
than ``min_chars`` average characters.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QPushButton, QStyle, QStyleOptionButton, QStylePainter, QWidget


class ElidedButton(QPushButton):
    """A ``QPushButton`` painting its text elided ("…") to its width; ``text()`` stays whole.
    ``tooltip`` (the button's own tooltip) is shown when the whole text fits; otherwise the
    tooltip is the whole text."""

    def __init__(self, text: str = "", parent: QWidget | None = None, min_chars: int = 12):
        super().__init__(text, parent)
        self._min_chars = min_chars
        self._tooltip = ""

    def setToolTip(self, text: str) -> None:  # noqa: N802 (Qt name)
        self._tooltip = text
        self._sync_tooltip()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt name)
        super().setText(text)
        self._sync_tooltip()

    def shown_text(self) -> str:
        """The text as painted: whole, or elided with "…" to the room inside the button."""
        return self.fontMetrics().elidedText(self.text(), Qt.ElideRight, self._text_room())

    def _text_room(self) -> int:
        opt = QStyleOptionButton()
        self.initStyleOption(opt)
        rect = self.style().subElementRect(QStyle.SE_PushButtonContents, opt, self)
        return max(0, rect.width() - 2 * self.style().pixelMetric(QStyle.PM_ButtonMargin, opt, self))

    def _sync_tooltip(self) -> None:
        whole = self.shown_text() == self.text()
        super().setToolTip(self._tooltip if whole else self.text())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._sync_tooltip()

    def _narrow(self, hint: QSize) -> QSize:
        return QSize(min(hint.width(), self.fontMetrics().averageCharWidth() * self._min_chars), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return self._narrow(super().sizeHint())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name; QPushButton's asks sizeHint)
        return self._narrow(super().minimumSizeHint())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QStylePainter(self)
        opt = QStyleOptionButton()
        self.initStyleOption(opt)
        opt.text = self.shown_text()
        painter.drawControl(QStyle.CE_PushButton, opt)


__all__ = ["ElidedButton"]
