"""Number formatting, colours and fonts shared by the panels' view-models and views.

Pure functions (no widgets): the view-models call them to produce Qt's
``DisplayRole`` text, the views use the colours and the tabular-digit font.
This module imports only ``QtGui`` so importing it never builds a widget.

Prices are shown with the instrument's tick decimals (``min_tick`` 0.01 -> 2,
0.00005 -> 5, 0.25 -> 2), at least two decimals; quantities with thousands
separators and no decimals when whole; money with two decimals; percentages
with two decimals and a sign. A missing value (``None``, NaN, IB's "unset"
1.7976931348623157E308 or 2147483647) is shown as an empty string.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache

from PySide6.QtGui import QColor, QFont, QFontDatabase

from app.ui import theme

#: IB's "unset" sentinels (ib_async ``util.UNSET_DOUBLE`` / ``UNSET_INTEGER``)
UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INTEGER = 2147483647

# Colours are app.ui.theme's roles (``theme.qcolor("up")``, ``theme.style``): the dark theme
# applies wherever they are asked for.


def is_missing(value) -> bool:
    """True for None, NaN, +-inf and IB's unset sentinels."""
    if type(value) is float:    # the common case, asked per quote and per cell
        # nan fails the comparison; +-inf and UNSET_DOUBLE (1.8e308) are outside it
        return not -1e308 < value < 1e308 or value == UNSET_INTEGER
    if value is None:
        return True
    try:
        v = float(value)
    except (TypeError, ValueError):
        return True
    return math.isnan(v) or math.isinf(v) or v == UNSET_DOUBLE or v == UNSET_INTEGER


def tick_decimals(tick: float | None) -> int:
    """Decimals needed to show prices on ``tick`` (at least 2): 0.01 -> 2, 0.00005 -> 5."""
    if not tick or is_missing(tick) or tick <= 0:
        return 2
    return _decimals(float(tick))


@lru_cache(maxsize=1024)
def _decimals(tick: float) -> int:
    # asked for every price cell painted: a Decimal per call was the dearest part of a cell
    d = Decimal(repr(tick)).normalize()
    return max(2, -d.as_tuple().exponent)


def fmt_price(value, tick: float | None = 0.01) -> str:
    """A price in instrument currency with the tick's decimals: ``fmt_price(187.5, 0.01)`` -> "187.50"."""
    if is_missing(value):
        return ""
    return f"{float(value):,.{tick_decimals(tick)}f}"


def fmt_qty(value) -> str:
    """A quantity in shares: "1,200"; fractional quantities keep their decimals ("0.5")."""
    if is_missing(value):
        return ""
    v = float(value)
    if v.is_integer():
        return f"{v:,.0f}"
    return f"{v:,.8f}".rstrip("0").rstrip(".")


def fmt_qty_short(value) -> str:
    """A quantity for a small button: whole thousands from 10,000 as "25K", whole millions
    as "1M"; anything else as :func:`fmt_qty` ("500", "1,000", "1,500")."""
    if is_missing(value):
        return ""
    v = float(value)
    if v >= 1e6 and v % 1e6 == 0:
        return f"{v / 1e6:,.0f}M"
    if v >= 1e4 and v % 1e3 == 0:
        return f"{v / 1e3:,.0f}K"
    return fmt_qty(v)


def fmt_money(value, decimals: int = 2) -> str:
    """An amount of money: "1,234,567.89" (negative with a leading minus; never "-0.00")."""
    if is_missing(value):
        return ""
    text = f"{float(value):,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def fmt_signed(value, decimals: int = 2) -> str:
    """A change with an explicit sign: "+1.25", "-0.50", "0.00"."""
    if is_missing(value):
        return ""
    v = float(value)
    if v == 0:
        return f"{0:.{decimals}f}"
    return f"{v:+,.{decimals}f}"


def fmt_pct(value) -> str:
    """A percentage with sign and two decimals: "+1.23%"."""
    if is_missing(value):
        return ""
    return fmt_signed(value, 2) + "%"


#: the compact volume units, largest first (shares)
_VOLUME_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))


def fmt_volume(value) -> str:
    """Day volume in shares, compact with three significant digits so that one column reads
    alike (issue 14 item 15: "9,862,900" next to "12.3M"): 980 -> "980", 1,234 -> "1.23K",
    850,000 -> "850K", 9,862,900 -> "9.86M", 12,300,000 -> "12.3M", 2.5e9 -> "2.50B".
    Missing or negative (IB's -1 for no volume) -> ""."""
    if is_missing(value) or float(value) < 0:
        return ""
    v = float(f"{float(value):.3g}")        # three significant digits: 999,999 -> 1.00M
    for scale, unit in _VOLUME_UNITS:
        if v >= scale:
            x = v / scale
            return f"{x:.{2 if x < 10 else 1 if x < 100 else 0}f}{unit}"
    return f"{v:.0f}"


def fmt_time(value: datetime | None, *, with_date: bool = False) -> str:
    """A UTC ``datetime`` shown in the machine's local time, "HH:MM:SS" (or with the date)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    local = value.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def sign_colour(value) -> QColor | None:
    """Text colour by sign in the current theme (``theme.qcolor``): green above zero, red
    below, None for zero or missing."""
    if is_missing(value):
        return None
    v = float(value)
    if v > 0:
        return theme.qcolor("up")
    if v < 0:
        return theme.qcolor("down")
    return None


def sort_number(value) -> float:
    """Sort key for a number column: missing values sort first (as -inf)."""
    return float("-inf") if is_missing(value) else float(value)


def tabular_font(base: QFont | None = None) -> QFont:
    """A font whose digits all have the same width (tabular figures) for number columns.

    Uses the system fixed-pitch font at the size of ``base`` (or the default).
    """
    font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
    if base is not None and base.pointSizeF() > 0:
        font.setPointSizeF(base.pointSizeF())
    return font
