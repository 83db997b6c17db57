"""app.ui.format.is_missing: IB's "no value" markers, with the float fast path (issue 12)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.ui.format import UNSET_DOUBLE, UNSET_INTEGER, is_missing


@pytest.mark.parametrize("value, missing", [
    (None, True), (math.nan, True), (math.inf, True), (-math.inf, True), (UNSET_DOUBLE, True),
    (float(UNSET_INTEGER), True), (UNSET_INTEGER, True), ("abc", True), (np.float64("nan"), True),
    (187.25, False), (0.0, False), (-3.5, False), (1e300, False), (7, False), ("12.5", False),
    (np.float64(1.5), False), (-1e300, False),
])
def test_is_missing(value, missing):
    assert is_missing(value) is missing
