"""The Transmit button says the whole order; a long one (GTD with its zone) is painted with
"…" to the button's width, whole in the tooltip, and never widens the ticket (issue 14
item 17: a GTD ticket's button text was cut off at both ends)."""

from __future__ import annotations

from app.ui.elided_button import ElidedButton

LONG = "BUY 100 AAPL LMT 238.68 GTD 2026-12-07 16:00 America/New_York, outside RTH"


def test_long_text_is_elided_to_the_width_and_whole_in_the_tooltip(qtbot):
    b = ElidedButton("Transmit")
    qtbot.addWidget(b)
    b.setToolTip("Transmit the order (Ctrl+Enter)")
    b.resize(200, 30)
    b.show()
    b.setText(LONG)
    assert b.text() == LONG                                  # the text itself stays whole
    assert b.shown_text().endswith("…") and len(b.shown_text()) < len(LONG)
    assert b.fontMetrics().horizontalAdvance(b.shown_text()) <= b.width()
    assert b.toolTip() == LONG
    b.resize(2000, 30)                                       # room enough: whole, own tooltip
    assert b.shown_text() == LONG and b.toolTip() == "Transmit the order (Ctrl+Enter)"
    b.setText("BUY 100 AAPL LMT 238.68 DAY")
    b.resize(400, 30)                                        # the ticket's width
    assert b.shown_text() == b.text() and b.toolTip() == "Transmit the order (Ctrl+Enter)"


def test_a_long_text_does_not_ask_for_more_width(qtbot):
    b = ElidedButton("Transmit")
    qtbot.addWidget(b)
    short = b.minimumSizeHint().width()
    b.setText(LONG)
    assert b.minimumSizeHint().width() <= max(short, 12 * b.fontMetrics().averageCharWidth())
    assert b.sizeHint().width() < b.fontMetrics().horizontalAdvance(LONG)
