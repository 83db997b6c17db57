"""The log panel: gateway errors/warnings and connection events, newest last."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from PySide6.QtGui import QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from app.broker.errors import message_level
from app.ui import theme

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
    """Read-only, bounded (``max_lines``) log; times shown in local time.

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

    def add(self, level: str, text: str) -> None:
        stamp = datetime.now(timezone.utc).astimezone().strftime("%H:%M:%S")
        self.appendPlainText(f"{stamp}  {level:<5}  {text}")

    def add_gateway_message(self, req_id: int, code: int, text: str) -> None:
        level = {logging.INFO: "INFO", logging.WARNING: "WARN"}.get(message_level(code), "ERROR")
        where = f" [id {req_id}]" if req_id not in (-1, 0) else ""
        self.add(level, f"{code}{where}: {text}")
