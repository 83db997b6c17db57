"""The application's look: Qt's Fusion style in light, dark or the system's colour scheme.

Choices (:data:`THEMES`): "light", "dark", "system" (follow the desktop's colour
scheme and its changes). The choice is saved per profile in QSettings under
:data:`THEME_SETTING` (View → Theme) and applied before the first window shows;
``--theme`` overrides it for one run (``app.cli``).

How a choice is applied (:func:`apply_theme`):

1. the style is Fusion (``QApplication.setStyle("Fusion")``);
2. Qt 6.8's ``QStyleHints.setColorScheme(Qt.ColorScheme.Light/Dark)`` asks the
   platform for the scheme ("system": ``unsetColorScheme()``), which also themes
   the title bar where the platform supports it (Windows, macOS, GNOME/KDE
   platform themes);
3. the platform may not honour it: xcb without a desktop platform theme and the
   offscreen platform keep ``colorScheme()`` ``Unknown`` and the light palette
   (checked under Xvfb and offscreen with PySide6 6.11). When the style's standard
   palette is not of the wanted lightness, the application palette is Qt's own
   Fusion palette of that scheme (:func:`fusion_palette`, the colours of Qt's
   ``qt_fusionPalette(darkAppearance)``);
4. the named colours (``app.ui.theme``) switch, widgets styled with
   ``theme.style`` are restyled, and widgets that keep colours (chart, ticket)
   follow ``QEvent.PaletteChange`` / ``theme.notifier().changed``.

"system" follows ``QStyleHints.colorSchemeChanged`` while it is chosen.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMenu

from app.ui import theme

log = logging.getLogger(__name__)

#: theme choices in menu order
THEMES = ("light", "dark", "system")
#: menu texts of the choices
THEME_LABELS = {"light": "&Light", "dark": "&Dark", "system": "Follow &system"}
#: QSettings key of the profile's choice
THEME_SETTING = "view/theme"
DEFAULT_THEME = "system"

_SCHEMES = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
_choice: str | None = None
_following = False


def check_theme(text: str) -> str:
    """``text`` as a theme choice ("light", "dark", "system"; case-insensitive);
    ``ValueError`` naming the choices otherwise."""
    value = str(text).strip().lower()
    if value not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, got '{text}'")
    return value


def saved_theme(settings: QSettings) -> str:
    """The profile's saved choice; :data:`DEFAULT_THEME` when unset or not a choice."""
    try:
        return check_theme(settings.value(THEME_SETTING, DEFAULT_THEME) or DEFAULT_THEME)
    except ValueError:
        return DEFAULT_THEME


def save_theme(settings: QSettings, choice: str) -> None:
    """Save ``choice`` (``check_theme``) as the profile's theme."""
    settings.setValue(THEME_SETTING, check_theme(choice))
    settings.sync()


def fusion_palette(dark: bool) -> QPalette:
    """Qt's Fusion palette of the light or dark scheme, built with Qt's own roles as Qt's
    ``qt_fusionPalette(bool darkAppearance)`` (qtbase ``src/gui/kernel/qplatformtheme.cpp``)
    does: window (239,239,239) / (50,50,50), window text black / (240,240,240), base white /
    window.darker(140), highlight (48,140,198); used when the platform does not honour
    ``QStyleHints.setColorScheme``."""
    window_text = QColor(240, 240, 240) if dark else QColor(Qt.GlobalColor.black)
    window = QColor(50, 50, 50) if dark else QColor(239, 239, 239)
    light = window.lighter(150)
    mid = window.darker(130)
    mid_light = mid.lighter(110)
    base = window.darker(140) if dark else QColor(Qt.GlobalColor.white)
    dark_role = window.darker(150)
    text = window_text if dark else QColor(Qt.GlobalColor.black)
    highlight = QColor(48, 140, 198)
    highlighted_text = window_text if dark else QColor(Qt.GlobalColor.white)
    disabled_text = QColor(130, 130, 130) if dark else QColor(190, 190, 190)
    shadow = dark_role.darker(135)
    placeholder = QColor(text)
    placeholder.setAlpha(128)

    P = QPalette
    pal = QPalette(window_text, window, light, dark_role, mid, text, base)
    pal.setBrush(P.ColorRole.Midlight, mid_light)
    pal.setBrush(P.ColorRole.Button, window)
    pal.setBrush(P.ColorRole.Shadow, shadow)
    pal.setBrush(P.ColorRole.HighlightedText, highlighted_text)
    pal.setBrush(P.ColorRole.AlternateBase, base.darker(110) if not dark else base.lighter(120))
    pal.setBrush(P.ColorRole.ToolTipBase, QColor(255, 255, 220) if not dark else window.lighter(130))
    pal.setBrush(P.ColorRole.ToolTipText, QColor(Qt.GlobalColor.black) if not dark else window_text)
    for role, colour in ((P.ColorRole.Text, disabled_text), (P.ColorRole.WindowText, disabled_text),
                         (P.ColorRole.ButtonText, disabled_text), (P.ColorRole.Base, window),
                         (P.ColorRole.Dark, QColor(209, 209, 209).darker(110)),
                         (P.ColorRole.Shadow, shadow.lighter(150)),
                         (P.ColorRole.Highlight, QColor(145, 145, 145))):
        pal.setBrush(P.ColorGroup.Disabled, role, colour)
    for group in (P.ColorGroup.Active, P.ColorGroup.Inactive):
        pal.setBrush(group, P.ColorRole.Highlight, highlight)
        pal.setBrush(group, P.ColorRole.Accent, highlight)
    pal.setBrush(P.ColorGroup.Disabled, P.ColorRole.Accent, QColor(145, 145, 145))
    pal.setBrush(P.ColorRole.PlaceholderText, placeholder)
    if dark:  # Qt: "a more legible light blue on dark backgrounds than the default Qt::blue"
        pal.setBrush(P.ColorRole.Link, highlight)
        pal.setBrush(P.ColorRole.LinkVisited, highlight.lighter(120))
    return pal


def is_dark_palette(pal: QPalette) -> bool:
    """True when the palette's window colour is dark (lightness < 128)."""
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def system_scheme() -> Qt.ColorScheme:
    """The platform's colour scheme (``QStyleHints.colorScheme()``; ``Unknown`` where the
    platform has no desktop theme, e.g. xcb without one or offscreen: shown light)."""
    return QGuiApplication.styleHints().colorScheme()


def current_choice() -> str | None:
    """The choice last given to :func:`apply_theme` (None before)."""
    return _choice


def apply_theme(choice: str, app: QApplication | None = None) -> str:
    """Apply ``choice`` ("light", "dark", "system"; module docstring) to ``app`` (default:
    the running QApplication); returns the theme now shown ("light" or "dark").
    ``ValueError`` for another choice, ``RuntimeError`` without a QApplication."""
    global _choice
    choice = check_theme(choice)
    app = app or QApplication.instance()
    if app is None:
        raise RuntimeError("apply_theme needs a QApplication")
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    _choice = choice
    hints = QGuiApplication.styleHints()
    if choice == "system":
        hints.unsetColorScheme()
    else:
        hints.setColorScheme(_SCHEMES[choice])
    _follow(hints)
    dark = choice == "dark" or (choice == "system" and system_scheme() == Qt.ColorScheme.Dark)
    pal = app.style().standardPalette()
    if is_dark_palette(pal) != dark:  # the platform did not honour the scheme
        pal = fusion_palette(dark)
    app.setPalette(pal)
    shown = theme.DARK if dark else theme.LIGHT
    theme.set_theme(shown)
    log.info("theme %s: showing %s (platform colour scheme %s)", choice, shown, system_scheme().name)
    return shown


def _follow(hints) -> None:
    """Re-apply "system" when the desktop's colour scheme changes (connected once)."""
    global _following
    if not _following:
        _following = True
        hints.colorSchemeChanged.connect(_on_scheme_changed)


def _on_scheme_changed(_scheme) -> None:
    if _choice == "system":
        apply_theme("system")


def add_theme_menu(view_menu: QMenu, settings: QSettings, parent: QObject | None = None) -> dict[str, QAction]:
    """Add "Theme ▸ Light / Dark / Follow system" to ``view_menu``: the choice is applied at
    once and saved in ``settings`` (the profile's). Returns choice -> checkable QAction; the
    current choice (:func:`current_choice`, else the saved one) is checked."""
    menu = view_menu.addMenu("&Theme")
    menu.setObjectName("themeMenu")
    group = QActionGroup(parent or menu)
    group.setExclusive(True)
    shown = current_choice() or saved_theme(settings)
    actions: dict[str, QAction] = {}
    for choice in THEMES:
        act = QAction(THEME_LABELS[choice], parent or menu)
        act.setCheckable(True)
        act.setChecked(choice == shown)
        act.setData(choice)
        group.addAction(act)
        menu.addAction(act)
        act.triggered.connect(lambda _checked=False, c=choice: _choose(c, settings))
        actions[choice] = act
    return actions


def _choose(choice: str, settings: QSettings) -> None:
    save_theme(settings, choice)
    apply_theme(choice)
