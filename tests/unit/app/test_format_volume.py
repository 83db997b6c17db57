"""app.ui.format.fmt_volume: one compact format for every volume (issue 14 item 15)."""

from __future__ import annotations

import pytest

from app.ui.format import UNSET_DOUBLE, fmt_volume


@pytest.mark.parametrize("value, text", [
    (0, "0"), (980, "980"), (999.6, "1.00K"), (1_234, "1.23K"), (9_999, "10.0K"), (850_000, "850K"),
    (999_400, "999K"), (999_999, "1.00M"), (9_862_900, "9.86M"), (12_300_000, "12.3M"),
    (123_456_789, "123M"), (2.5e9, "2.50B"), (-1, ""), (None, ""), (UNSET_DOUBLE, ""),
])
def test_volume_is_compact_with_three_significant_digits(value, text):
    assert fmt_volume(value) == text
