"""The Log dock colours WARN and ERROR lines in the theme's warning / error text colour, INFO
lines keep the palette's text colour, and earlier lines follow a theme switch (issue 14 items
12, 19)."""

from __future__ import annotations

import pytest

from app.ui import theme
from app.ui.log_panel import LogPanel


def _line_colour(panel: LogPanel, line: int):
    block = panel.document().findBlockByNumber(line)
    ranges = block.layout().formats()
    return ranges[0].format.foreground().color().name() if ranges else None


@pytest.fixture
def light_theme():
    before = theme.current()
    theme.set_theme("light")
    yield
    theme.set_theme(before)


def test_levels_have_their_colours_and_follow_a_theme_switch(qtbot, light_theme):
    panel = LogPanel()
    qtbot.addWidget(panel)
    panel.add_gateway_message(5, 202, "Order Canceled")          # INFO
    panel.add_gateway_message(-1, 2100, "unsubscribed")          # WARN
    panel.add_gateway_message(7, 201, "Order rejected")          # ERROR
    assert _line_colour(panel, 0) is None
    assert _line_colour(panel, 1) == theme.color("warning_text", "light")
    assert _line_colour(panel, 2) == theme.color("error_text", "light")
    theme.set_theme("dark")
    assert _line_colour(panel, 1) == theme.color("warning_text", "dark")
    assert _line_colour(panel, 2) == theme.color("error_text", "dark")
    assert _line_colour(panel, 0) is None


def test_a_text_that_merely_mentions_error_is_not_coloured(qtbot, light_theme):
    panel = LogPanel()
    qtbot.addWidget(panel)
    panel.add("INFO", "ERROR  WARN in the text")
    assert _line_colour(panel, 0) is None
