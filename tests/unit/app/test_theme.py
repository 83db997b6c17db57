"""The theme table: every text colour readable (WCAG contrast >= 4.5:1) on the window and
the tables of its theme, the filled banners readable and distinct, the table matching Qt's
Fusion palette; ``--theme`` on the command line."""

from __future__ import annotations

import pytest

from app.domain import AccountKind
from app.ui import theme
from app.ui.session_status import KIND_COLOURS, SessionStatusBar
from app.ui.stale_label import STALE_BADGE_TEXT
from app.viewmodels.staleness import STALE_BADGE

MIN_TEXT_CONTRAST = 4.5  # WCAG 2.1 1.4.3 "contrast (minimum)" for normal text


def test_contrast_ratio_matches_the_wcag_examples():
    assert theme.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert theme.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # WebAIM's limit grey


@pytest.mark.parametrize("name", [theme.LIGHT, theme.DARK])
@pytest.mark.parametrize("role", theme.TEXT_ROLES)
def test_every_text_colour_is_readable_on_window_and_tables(name, role):
    bg = theme.BACKGROUNDS[name]
    for where in ("window", "base"):
        ratio = theme.contrast_ratio(theme.color(role, name), bg[where])
        assert ratio >= MIN_TEXT_CONTRAST, f"{role} {theme.color(role, name)} on {name} {where} {bg[where]}: {ratio:.2f}"


@pytest.mark.parametrize("name", [theme.LIGHT, theme.DARK])
@pytest.mark.parametrize("role", theme.BACKGROUND_ROLES)
def test_every_background_keeps_the_normal_text_readable(name, role):
    text = theme.BACKGROUNDS[name]["text"]
    assert theme.contrast_ratio(theme.color(role, name), text) >= MIN_TEXT_CONTRAST
    # and a tinted background is still visibly not the window: the trader sees BUY / SELL / flash
    assert theme.color(role, name) != theme.BACKGROUNDS[name]["window"]


def test_themes_differ_and_roles_are_complete():
    assert set(theme.TEXT_ROLES) | set(theme.BACKGROUND_ROLES) == set(theme.ROLES)
    for role, (light, dark) in theme.ROLES.items():
        assert light != dark, role  # a colour made for white is not the one for dark grey
    with pytest.raises(KeyError, match="no_such_role"):
        theme.color("no_such_role")


def _filled_labels() -> list[tuple[str, str, str]]:
    pairs = [(f"fill {name}", bg, fg) for name, (bg, fg) in theme.FILLS.items()]
    pairs += [(f"kind {k.value}", bg, fg) for k, (bg, fg) in KIND_COLOURS.items()]
    pairs += [(f"flag {name}", bg, fg) for name, (_text, bg, fg) in SessionStatusBar.FLAG_STYLES.items()]
    pairs.append(("stale badge", STALE_BADGE, STALE_BADGE_TEXT))
    return pairs


@pytest.mark.parametrize("what, bg, fg", _filled_labels())
def test_filled_banners_and_flags_are_readable(what, bg, fg):
    assert theme.contrast_ratio(bg, fg) >= MIN_TEXT_CONTRAST, what


def test_account_kinds_stay_distinct_in_both_themes():
    """SIMULATED, PAPER and LIVE banners carry their own colours: distinct from each other
    and from both themes' window, so no kind can be taken for another or for no banner."""
    bgs = [KIND_COLOURS[k][0] for k in (AccountKind.SIMULATED, AccountKind.PAPER, AccountKind.LIVE)]
    assert len(set(bgs)) == 3
    for bg in bgs:
        for name in (theme.LIGHT, theme.DARK):
            assert theme.contrast_ratio(bg, theme.BACKGROUNDS[name]["window"]) > 1.5


def test_backgrounds_are_qts_fusion_palettes(qapp):
    from PySide6.QtGui import QPalette

    from app.ui.appearance import fusion_palette

    for name, dark in ((theme.LIGHT, False), (theme.DARK, True)):
        pal = fusion_palette(dark)
        bg = theme.BACKGROUNDS[name]
        assert pal.color(QPalette.ColorRole.Window).name() == bg["window"]
        assert pal.color(QPalette.ColorRole.Base).name() == bg["base"]
        assert pal.color(QPalette.ColorRole.Text).name() == bg["text"]
        assert pal.color(QPalette.ColorRole.WindowText).name() == bg["text"]
    # the light one is what Qt's Fusion style gives without a platform theme (offscreen)
    standard = qapp.style().standardPalette() if qapp.style().name().lower() == "fusion" else None
    if standard is not None:
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.Text,
                     QPalette.ColorRole.Highlight, QPalette.ColorRole.Button):
            assert fusion_palette(False).color(role) == standard.color(role), role


def test_theme_option_on_the_command_line(capsys):
    from app.cli import parse_args

    assert parse_args([]).theme is None  # the profile's choice
    assert parse_args(["--theme", "dark"]).theme == "dark"
    assert parse_args(["--theme", "Light"]).theme == "light"
    assert parse_args(["--theme", "system"]).theme == "system"
    with pytest.raises(SystemExit) as ei:
        parse_args(["--theme", "blue"])
    assert ei.value.code == 2
    assert "theme must be one of light, dark, system, got 'blue'" in capsys.readouterr().err
