"""Visible-range slicing and OHLCV merging (app.ui.chart.merge)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ui.chart.merge import group_for, merge_ohlcv, visible_slice


def _random_bars(n: int, seed: int):
    rng = np.random.default_rng(seed)
    c = 50 + np.cumsum(rng.normal(0, 1, n))
    o = c + rng.normal(0, 0.5, n)
    h = np.maximum(o, c) + rng.uniform(0, 1, n)
    lo = np.minimum(o, c) - rng.uniform(0, 1, n)
    v = rng.integers(0, 1000, n).astype(float)
    return o, h, lo, c, v


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 400), seed=st.integers(0, 10_000), group=st.sampled_from([1, 2, 3, 4, 8, 16, 64]),
       a=st.floats(0, 1), b=st.floats(0, 1))
def test_merged_groups_keep_true_extremes(n, seed, group, a, b):
    o, h, lo, c, v = _random_bars(n, seed)
    start, stop = sorted((int(a * n), int(b * n)))
    start -= start % group
    m = merge_ohlcv(o, h, lo, c, v, start, stop, group)
    expected_groups = range(start, stop, group)
    assert len(m) == len(expected_groups)
    for k, g0 in enumerate(expected_groups):
        g1 = min(g0 + group, stop)
        assert m.high[k] == h[g0:g1].max()
        assert m.low[k] == lo[g0:g1].min()
        assert m.open[k] == o[g0]
        assert m.close[k] == c[g1 - 1]
        assert m.volume[k] == pytest.approx(v[g0:g1].sum())
        assert m.x[k] == (g0 + g1 - 1) / 2
    assert m.width == group


def test_merge_ignores_nan_inside_a_group_and_rejects_bad_input():
    o, h, lo, c, v = _random_bars(8, 3)
    h[1] = np.nan
    lo[2] = np.nan
    m = merge_ohlcv(o, h, lo, c, v, 0, 8, 4)
    assert m.high[0] == np.nanmax(h[0:4])
    assert m.low[0] == np.nanmin(lo[0:4])
    with pytest.raises(ValueError, match="same length"):
        merge_ohlcv(o, h[:-1], lo, c, v, 0, 7, 1)
    with pytest.raises(ValueError, match="group"):
        merge_ohlcv(o, h, lo, c, v, 0, 8, 0)
    with pytest.raises(ValueError, match="outside"):
        merge_ohlcv(o, h, lo, c, v, 0, 9, 1)
    assert len(merge_ohlcv(o, h, lo, c, v, 3, 3, 1)) == 0


def test_unmerged_range_is_a_plain_slice():
    o, h, lo, c, v = _random_bars(50, 4)
    m = merge_ohlcv(o, h, lo, c, v, 10, 20, 1)
    np.testing.assert_array_equal(m.x, np.arange(10, 20))
    np.testing.assert_array_equal(m.high, h[10:20])


@pytest.mark.parametrize("x0,x1,count,group,expected", [
    (10.2, 19.7, 100, 1, (9, 22)),        # bars 10..20 visible + one bar of margin each side
    (-50, 500, 100, 1, (0, 100)),         # clipped to the data
    (10.2, 19.7, 100, 4, (8, 22)),        # start aligned on the group
    (200, 300, 100, 1, (0, 0)),           # nothing visible
    (5, 2, 100, 1, (0, 0)),               # inverted
    (0, 10, 0, 1, (0, 0)),                # no data
])
def test_visible_slice(x0, x1, count, group, expected):
    assert visible_slice(x0, x1, count, group) == expected


def test_visible_slice_rejects_bad_group():
    with pytest.raises(ValueError):
        visible_slice(0, 1, 10, 0)


@pytest.mark.parametrize("bpp,group", [(0.1, 1), (1.0, 1), (1.01, 2), (3, 4), (4, 4), (5, 8), (float("nan"), 1)])
def test_group_for(bpp, group):
    assert group_for(bpp) == group
