"""setting_bool: QSettings flags read back from INI strings; damage falls back to the default."""

import pytest

from app.settings_values import setting_bool


@pytest.mark.parametrize("raw, default, want", [
    (None, True, True), (None, False, False),
    (True, False, True), (False, True, False),
    (1, False, True), (0, True, False),
    ("true", False, True), ("False", True, False), (" YES ", False, True), ("off", True, False),
    ("1", False, True), ("0", True, False),
    ("garbage", True, True), ("garbage", False, False), ("", True, True),
])
def test_setting_bool(raw, default, want):
    assert setting_bool(raw, default) is want
