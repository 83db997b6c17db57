"""The amber label every panel shows while its data is stale ("Stale for 12 s: reason")."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from app.ui.theme import FILLS
from app.viewmodels.staleness import STALE_BADGE

STALE_BADGE_TEXT = FILLS["stale"][1]


def stale_label(object_name: str, parent: QWidget | None = None, *, bold: bool = False,
                wrap: bool = False) -> QLabel:
    """A hidden amber (:data:`~app.viewmodels.staleness.STALE_BADGE`) label with black text,
    named ``object_name`` (its stylesheet selector and the tests' handle); ``bold`` for the
    status bar and the chart badge, ``wrap`` where the reason may need two lines."""
    label = QLabel("", parent)
    label.setObjectName(object_name)
    weight = " font-weight: bold;" if bold else ""
    label.setStyleSheet(f"QLabel#{object_name} {{ background: {STALE_BADGE}; color: {STALE_BADGE_TEXT};{weight} "
                        "padding: 1px 6px; border-radius: 3px; }")
    label.setWordWrap(wrap)
    label.hide()
    return label
