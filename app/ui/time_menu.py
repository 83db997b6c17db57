"""View → Times: the one clock rule (exchange time with its zone, or local time), per profile."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from app.domain.timezones import TimeRule
from app.viewmodels.timedisplay import TIME_DISPLAY, TimeDisplay, load_rule, save_rule

#: menu texts of the rules
RULE_TEXTS = {
    TimeRule.EXCHANGE: "&Exchange time (with zone, e.g. ET)",
    TimeRule.LOCAL: "&Local time",
}


def install_time_menu(view_menu: QMenu, settings: QSettings, display: TimeDisplay = TIME_DISPLAY) -> QMenu:
    """Add the "Times" submenu to ``view_menu``: one checkable action per rule (exclusive),
    checked from the profile's ``settings``; choosing one applies it at once to every panel
    (``display.changed``) and stores it. Returns the submenu (its actions carry the rule in
    ``data()``)."""
    load_rule(settings, display)
    menu = view_menu.addMenu("&Times")
    menu.setObjectName("timesMenu")
    group = QActionGroup(menu)
    group.setExclusive(True)
    for rule, text in RULE_TEXTS.items():
        action = QAction(text, menu)
        action.setCheckable(True)
        action.setData(rule.value)
        action.setChecked(display.rule is rule)
        action.triggered.connect(lambda _checked=False, r=rule: save_rule(settings, r, display))
        group.addAction(action)
        menu.addAction(action)

    def follow() -> None:
        if not shiboken6.isValid(menu):        # the window is gone
            display.changed.disconnect(follow)
            return
        for a in menu.actions():
            a.setChecked(a.data() == display.rule.value)
    display.changed.connect(follow)
    return menu
