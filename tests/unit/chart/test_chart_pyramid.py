"""Power-of-two merge pyramid (app.ui.chart.merge.MergePyramid) against merge_ohlcv."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ui.chart.merge import MergePyramid, merge_ohlcv
from tests.unit.chart.test_chart_merge import _random_bars


def _check(p: MergePyramid, arrays, length: int) -> None:
    o, h, lo, c, v = (a[:length] for a in arrays)
    for k in range(p.depth):
        g = 1 << k
        for start, stop in ((0, length), (length // 3, length), (0, max(0, length // 2))):
            start -= start % g
            m = p.merged(start, stop, g)
            end = min(length, -(-stop // g) * g) if stop > start else start
            ref = merge_ohlcv(o, h, lo, c, v, start, end, g)
            for name in ("x", "open", "high", "low", "close", "volume"):
                np.testing.assert_array_equal(getattr(m, name), getattr(ref, name), err_msg=f"{name} g={g}")


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 1000), cut=st.floats(0, 1))
def test_pyramid_levels_equal_direct_merge_and_extend_incrementally(n, seed, cut):
    arrays = _random_bars(n, seed)
    arrays[1][seed % n] = np.nan  # a missing high is ignored
    p = MergePyramid()
    first = int(cut * n)
    p.sync(*arrays, length=first)
    _check(p, arrays, first)
    p.sync(*arrays, length=n, keep=first)  # append the rest incrementally
    _check(p, arrays, n)
    full = MergePyramid()
    full.sync(*arrays, length=n)
    assert p.depth == full.depth
    for k in range(p.depth):
        for x, y in zip(p.level(k), full.level(k)):
            np.testing.assert_array_equal(x, y)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 500), seed=st.integers(0, 1000), a=st.floats(0, 1), b=st.floats(0, 1))
def test_extremes_are_the_true_min_low_and_max_high(n, seed, a, b):
    o, h, lo, c, v = _random_bars(n, seed)
    p = MergePyramid()
    p.sync(o, h, lo, c, v)
    start, stop = sorted((int(a * n), int(b * n)))
    if start == stop:
        assert np.isnan(p.extremes(start, stop)[0])
        return
    assert p.extremes(start, stop) == (lo[start:stop].min(), h[start:stop].max())


def test_million_bars_zoomed_out_reads_about_one_candle_per_pixel():
    n = 1_000_000
    arrays = _random_bars(n, 7)
    p = MergePyramid()
    p.sync(*arrays, length=n - 1)
    m = p.merged(0, n - 1, 1024)  # ~1000 px wide view of all bars
    assert len(m) == -(-(n - 1) // 1024)
    assert m.high.max() == arrays[1][: n - 1].max()
    assert m.low.min() == arrays[2][: n - 1].min()
    k = 500
    assert m.high[k] == arrays[1][k * 1024:(k + 1) * 1024].max()


def test_pyramid_rejects_bad_input():
    o, h, lo, c, v = _random_bars(10, 1)
    p = MergePyramid()
    with pytest.raises(ValueError, match="same length"):
        p.sync(o, h[:-1], lo, c, v)
    with pytest.raises(ValueError, match="outside"):
        p.sync(o, h, lo, c, v, length=11)
    p.sync(o, h, lo, c, v)
    with pytest.raises(ValueError, match="power of two"):
        p.merged(0, 10, 3)
    with pytest.raises(ValueError, match="outside"):
        p.merged(0, 11, 1)


def test_item_fit_helpers_equal_direct_computation(qapp):
    from app.ui.chart.candles import CandleItem
    from app.ui.chart.volume import VolumeItem
    n = 10_001
    o, h, lo, c, v = _random_bars(n, 9)
    candles, volume = CandleItem("history"), VolumeItem("history")
    candles.set_data(o, h, lo, c, v)
    volume.set_data(o, h, lo, c, v)
    v[-1] = 1e9  # the live bar has the largest volume: it must count even when its group is partial
    for item in (candles, volume):
        item.set_data(o, h, lo, c, v)
    assert volume.visible_volume_max(0, n, 64) == 1e9
    assert volume.visible_volume_max(0, n - 1, 64) < 1e9
    for start, stop in ((0, n), (123, 4567), (9000, n), (5, 6)):
        assert candles.visible_extremes(start, stop) == (lo[start:stop].min(), h[start:stop].max())
        for group in (1, 4, 64):
            s0 = start - start % group
            hist_stop = min(stop, n - 1)  # as drawn: whole aligned groups of the history, the live bar alone
            sums = [v[g:min(g + group, n - 1)].sum() for g in range(s0, hist_stop, group)]
            want = max(sums + ([v[n - 1]] if stop == n else []))
            assert volume.visible_volume_max(start, stop, group) == pytest.approx(want)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 400), step=st.integers(1, 64), seed=st.integers(0, 1000))
def test_reserved_pyramid_grows_in_steps_without_reallocating(n, step, seed):
    arrays = _random_bars(n, seed)
    p = MergePyramid()
    p.sync(*arrays, length=min(n, step))
    p.reserve(n)
    buffers = [tuple(id(a) for a in p._levels[k]) for k in range(1, p.depth)]
    while p.length < n:
        p.sync(*arrays, length=min(n, p.length + step), keep=p.length)
    # the levels that existed when reserving kept their buffers (no doubling copy)
    assert [tuple(id(a) for a in p._levels[k]) for k in range(1, len(buffers) + 1)] == buffers
    _check(p, arrays, n)
