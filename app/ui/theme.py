"""Named colours of the light and dark themes, and the current theme.

Every colour the panels draw text or cell backgrounds with is a *role* in
:data:`ROLES` with one value per theme, so a widget never hard-codes a colour
that is unreadable in the other theme. Text roles have a contrast ratio of at
least 4.5:1 (WCAG 2.x "contrast (minimum)", https://www.w3.org/TR/WCAG21/#contrast-minimum)
against the window and base colours of their theme (Qt's Fusion palette,
:data:`BACKGROUNDS`); ``tests/unit/ui/test_theme.py`` checks the whole table.

The filled labels (:data:`FILLS`: account-kind banner SIMULATED teal, PAPER
amber, LIVE red; status-bar flags; the stale badge; the checked BUY/SELL
buttons) carry their own background *and* text colour, so they look the same
and stay distinct in both themes.

Use:

* models: ``qcolor("up")`` when Qt asks for ``ForegroundRole`` (looked up per
  call, so a repaint after a theme switch shows the new colour);
* widgets: ``style(label, "color: $error_text;")`` sets a stylesheet whose
  ``$role`` placeholders are filled from the current theme and filled again by
  :func:`restyle` after a switch (``app.ui.appearance.apply_theme`` calls it);
* anything else that keeps a colour (a widget's own palette, chart items):
  connect to ``notifier().changed`` or handle ``QEvent.PaletteChange``.

This module imports only ``QtCore``/``QtGui`` (as ``app.ui.format``) so the
view-models may use it without building a widget. Switching the Qt palette is
``app.ui.appearance``'s job.
"""

from __future__ import annotations

from string import Template

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QGuiApplication

LIGHT, DARK = "light", "dark"

#: window and base (table / edit) backgrounds and the normal text of Qt's Fusion palette
#: per theme (Qt's ``qt_fusionPalette``: window (239,239,239) / (50,50,50), base white /
#: window.darker(140), text black / (240,240,240))
BACKGROUNDS: dict[str, dict[str, str]] = {
    LIGHT: {"window": "#efefef", "base": "#ffffff", "text": "#000000"},
    DARK: {"window": "#323232", "base": "#242424", "text": "#f0f0f0"},
}

#: role -> (light, dark) colour. ``*_bg`` roles are backgrounds that carry the theme's normal text.
ROLES: dict[str, tuple[str, str]] = {
    # text on the window or a table
    "up": ("#1b7a34", "#66bb6a"),              # positive change / P&L
    "down": ("#c62828", "#ff7070"),            # negative change / P&L
    "buy": ("#1565c0", "#64b5f6"),             # BUY / BOT side
    "sell": ("#c62828", "#ff7070"),            # SELL / SLD side
    "status_working": ("#1565c0", "#64b5f6"),
    "status_filled": ("#1b7a34", "#66bb6a"),
    "status_cancelled": ("#6b6b6b", "#a0a0a0"),
    "status_inactive": ("#c62828", "#ff7070"),
    "error_text": ("#c62828", "#ff7070"),
    "ok_text": ("#1b7a34", "#66bb6a"),
    "warning_text": ("#8a5300", "#ffb74d"),
    "secondary_text": ("#616161", "#bdbdbd"),  # a symbol's name, hints, currencies
    "stale_text": ("#6b6b6b", "#9e9e9e"),      # values that are not live (with italics)
    "unresolved_text": ("#6b6b6b", "#9e9e9e"),  # a watchlist symbol not resolved yet
    "avg_cost": ("#8e24aa", "#ce93d8"),        # the chart's average-cost line and its label
    "state_connected": ("#1b7a34", "#66bb6a"),  # the status bar's connection dot
    "state_connecting": ("#8a5300", "#ffb74d"),
    "state_failed": ("#c62828", "#ff7070"),
    "state_disconnected": ("#6b6b6b", "#a0a0a0"),
    # backgrounds under the theme's normal text
    "flash_up_bg": ("#b9f6ca", "#1e5130"),     # a price that just ticked up (~500 ms)
    "flash_down_bg": ("#ffcdd2", "#6b2626"),   # a price that just ticked down
    "buy_tint_bg": ("#e3edff", "#1f2d44"),     # order ticket background for BUY
    "sell_tint_bg": ("#ffe6e6", "#452426"),    # order ticket background for SELL
    "atm_bg": ("#fff3c4", "#4a4020"),          # the option chain's at-the-money row
    "strike_bg": ("#eeeeee", "#303030"),       # the option chain's strike column
}

#: filled labels and buttons: name -> (background, text), the same in both themes
FILLS: dict[str, tuple[str, str]] = {
    "simulated": ("#00838f", "#ffffff"),       # account kinds (DESIGN.md, Safety model)
    "paper": ("#f9a825", "#000000"),
    "live": ("#c62828", "#ffffff"),
    "connection_lost": ("#c62828", "#ffffff"),
    "not_connected": ("#616161", "#ffffff"),
    "read_only": ("#455a64", "#ffffff"),       # status-bar flags
    "halted": ("#b71c1c", "#ffffff"),
    "journal_error": ("#b00020", "#ffffff"),
    "one_click_armed": ("#c62828", "#ffffff"),
    "stale": ("#f9a825", "#000000"),           # "Stale for 12 s" badges
    "buy_button": ("#1565c0", "#ffffff"),      # the ticket's checked BUY / SELL
    "sell_button": ("#c62828", "#ffffff"),
}

#: roles that are text (checked against the window and base colours)
TEXT_ROLES = tuple(r for r in ROLES if not r.endswith("_bg"))
#: roles that are backgrounds (checked against the theme's normal text)
BACKGROUND_ROLES = tuple(r for r in ROLES if r.endswith("_bg"))

_current = LIGHT
_qcolors: dict[str, QColor] = {}


def _fill_cache() -> None:
    i = 1 if _current == DARK else 0
    _qcolors.clear()
    _qcolors.update({role: QColor(pair[i]) for role, pair in ROLES.items()})


_fill_cache()


def current() -> str:
    """The current theme: "light" or "dark"."""
    return _current


def is_dark() -> bool:
    """True while the dark theme is current."""
    return _current == DARK


def color(role: str, theme: str | None = None) -> str:
    """The colour of ``role`` (a key of :data:`ROLES`) as "#rrggbb" in ``theme`` (default:
    the current one). Raises ``KeyError`` naming the role for an unknown one."""
    try:
        pair = ROLES[role]
    except KeyError:
        raise KeyError(f"unknown theme colour role {role!r}") from None
    return pair[1] if (theme or _current) == DARK else pair[0]


def qcolor(role: str) -> QColor:
    """The current theme's colour of ``role`` as a shared ``QColor`` (do not modify it); asked
    per cell and repaint by the models. ``KeyError`` for an unknown role."""
    return _qcolors[role]


def colors(theme: str | None = None) -> dict[str, str]:
    """Every role's colour in ``theme`` (default: current), for ``$role`` templates."""
    return {role: color(role, theme) for role in ROLES}


class ThemeNotifier(QObject):
    """Emits ``changed(str theme)`` after the current theme changed (:func:`set_theme`)."""

    changed = Signal(str)


_notifier: ThemeNotifier | None = None


def notifier() -> ThemeNotifier:
    """The process-wide :class:`ThemeNotifier` (created on first use)."""
    global _notifier
    if _notifier is None:
        _notifier = ThemeNotifier()
    return _notifier


def set_theme(theme: str) -> bool:
    """Make ``theme`` ("light" or "dark") current, restyle the widgets made with :func:`style`
    and emit ``notifier().changed``; returns whether it changed. ``ValueError`` otherwise.
    (This does not change Qt's palette: ``app.ui.appearance.apply_theme`` does both.)"""
    global _current
    if theme not in (LIGHT, DARK):
        raise ValueError(f"theme must be 'light' or 'dark', got {theme!r}")
    if theme == _current:
        return False
    _current = theme
    _fill_cache()
    restyle()
    notifier().changed.emit(theme)
    return True


_TEMPLATE = "ibdeskThemeStyle"


def style(widget, template: str) -> None:
    """Give ``widget`` the stylesheet ``template`` with ``$role`` placeholders filled from
    the current theme (e.g. ``"color: $error_text; font-style: italic;"``); :func:`restyle`
    fills it again after a theme switch. ``KeyError`` for an unknown role."""
    if widget.property(_TEMPLATE) != template:  # asked per quote update by the ticket: no event if unchanged
        widget.setProperty(_TEMPLATE, template)
    sheet = _fill(template)
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def _fill(template: str) -> str:
    return Template(template).substitute(colors()) if "$" in template else template


def restyle() -> None:
    """Fill again the stylesheet of every widget styled with :func:`style` and polish again
    every other widget with a stylesheet (after a switch, once the new palette has reached the
    widgets)."""
    app = QGuiApplication.instance()
    if app is None or not hasattr(app, "allWidgets"):
        return
    for w in app.allWidgets():
        template = w.property(_TEMPLATE)
        sheet = _fill(template) if isinstance(template, str) else w.styleSheet()
        if sheet or w.styleSheet():
            # also when unchanged: a widget with a stylesheet keeps the palette it was polished
            # with, setting it again polishes it with the new one (an unchecked SELL button)
            w.setStyleSheet(sheet)


def contrast_ratio(a: str | QColor, b: str | QColor) -> float:
    """WCAG 2.x contrast ratio (1..21) of two colours (relative luminance of sRGB)."""
    def luminance(c) -> float:
        q = QColor(c)
        def lin(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * lin(q.redF()) + 0.7152 * lin(q.greenF()) + 0.0722 * lin(q.blueF())
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
