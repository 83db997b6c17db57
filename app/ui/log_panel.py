"""The log panel: gateway errors/warnings and connection events, newest last."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from app.broker.errors import message_level


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

    def add(self, level: str, text: str) -> None:
        stamp = datetime.now(timezone.utc).astimezone().strftime("%H:%M:%S")
        self.appendPlainText(f"{stamp}  {level:<5}  {text}")

    def add_gateway_message(self, req_id: int, code: int, text: str) -> None:
        level = {logging.INFO: "INFO", logging.WARNING: "WARN"}.get(message_level(code), "ERROR")
        where = f" [id {req_id}]" if req_id not in (-1, 0) else ""
        self.add(level, f"{code}{where}: {text}")
