"""The log panel: gateway errors/warnings and connection events, newest last."""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime, timezone

from PySide6.QtGui import QFontDatabase, QSyntaxHighlighter, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from app.broker.errors import message_level
from app.ui import theme
from app.viewmodels.timedisplay import TIME_DISPLAY

#: Theme role of the text of each level's lines (INFO keeps the palette's text colour).
LEVEL_ROLES = {"WARN": "warning_text", "ERROR": "error_text"}


class LevelHighlighter(QSyntaxHighlighter):
    """Colours WARN and ERROR lines of the log panel in the current theme's warning / error
    text colour; re-run on a theme switch (``theme.notifier().changed``) so earlier lines
    follow it too."""

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt name)
        parts = text.split("  ", 2)  # "time  LEVEL  text"
        role = LEVEL_ROLES.get(parts[1].strip()) if len(parts) == 3 else None
        if role is not None:
            fmt = QTextCharFormat()
            fmt.setForeground(theme.qcolor(role))
            self.setFormat(0, len(text), fmt)


class LogPanel(QPlainTextEdit):
    """Read-only, bounded (``max_lines``) log; times shown by the one clock rule
    (:data:`~app.viewmodels.timedisplay.TIME_DISPLAY`: exchange time with its zone, or
    local time), every line again when the rule changes.

    ``add(level, text)`` appends one line; ``add_gateway_message(req_id, code,
    text)`` formats an IB error/warning message (msg id 4).
    """

    def __init__(self, parent: QWidget | None = None, max_lines: int = 5000):
        super().__init__(parent)
        self.setObjectName("logPanel")
        self.setReadOnly(True)
        self.setMaximumBlockCount(max_lines)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self._highlighter = LevelHighlighter(self.document())
        theme.notifier().changed.connect(self._highlighter.rehighlight)
        self._lines: deque[tuple[datetime, str, str]] = deque(maxlen=max_lines)  # (UTC, level, text)
        TIME_DISPLAY.changed.connect(self._retime)

    @staticmethod
    def _line(t: datetime, level: str, text: str) -> str:
        return f"{TIME_DISPLAY.text(t)}  {level:<5}  {text}"

    def add(self, level: str, text: str) -> None:
        t = datetime.now(timezone.utc)
        self._lines.append((t, level, text))
        self.appendPlainText(self._line(t, level, text))

    def _retime(self) -> None:
        """The time rule changed: write every kept line with its time shown anew."""
        self.setPlainText("\n".join(self._line(*line) for line in self._lines))
        self.moveCursor(QTextCursor.End)
        self.moveCursor(QTextCursor.StartOfLine)     # newest line in view, times at the left
        self.horizontalScrollBar().setValue(0)

    def add_gateway_message(self, req_id: int, code: int, text: str) -> None:
        level = {logging.INFO: "INFO", logging.WARNING: "WARN"}.get(message_level(code), "ERROR")
        where = f" [id {req_id}]" if req_id not in (-1, 0) else ""
        self.add(level, f"{code}{where}: {text}")
