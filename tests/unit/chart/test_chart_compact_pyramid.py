"""The chart's float32 merge pyramid (app.ui.chart.pyramid.CompactPyramid): half the memory of
the float64 levels, prices within a tick up to 100,000 and volumes within 1e-6 relative."""

from __future__ import annotations

import numpy as np
import pytest

from app.ui.chart.merge import MergePyramid
from app.ui.chart.pyramid import CompactPyramid, SteppedPyramid


def _walk(n: int, price: float, seed: int = 3):
    """``n`` random-walk bars around ``price`` (float64) with integer volumes up to 5e7."""
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0, 3e-4, n)))
    opn = np.concatenate(([price], close[:-1]))
    spread = np.abs(rng.normal(0, 2e-4, n)) * close
    vol = rng.integers(1, 50_000_000, n).astype(np.float64)
    return [opn, np.maximum(opn, close) + spread, np.minimum(opn, close) - spread, close, vol]


def held_bytes(p: MergePyramid) -> int:
    """Bytes of the buffers a pyramid owns (level 0's open/high/low/close are the sources)."""
    return sum(a.nbytes for k in range(p.depth) for i, a in enumerate(p._levels[k]) if k or i == 4)


def test_compact_pyramid_holds_half_the_bytes_per_bar():
    n = 1 << 18
    arrays = _walk(n, 100.0)
    p = CompactPyramid()
    p.sync(*arrays)
    # float64 levels: 8 B volume copy + 5 arrays * 8 B * (1/2 + 1/4 + ...) = 48 B per bar
    assert held_bytes(p) / n <= 24.5, f"{held_bytes(p) / n:.1f} bytes per bar"


def test_stepped_pyramid_of_the_chart_is_compact(qapp):
    arrays = _walk(10_000, 50.0)
    s = SteppedPyramid(lambda: tuple(arrays))
    s.sync(10_000)
    assert isinstance(s.pyramid, CompactPyramid)
    assert held_bytes(s.pyramid) / 10_000 <= 24.5


@pytest.mark.parametrize("price", [0.5, 125.0, 4_000.0, 100_000.0])
def test_compact_levels_are_within_a_tick_of_float64_levels(price):
    n = 100_003
    arrays = _walk(n, price, seed=int(price))
    exact, compact = MergePyramid(), CompactPyramid()
    exact.sync(*arrays)
    compact.sync(*arrays)
    assert compact.depth == exact.depth
    tick = 0.01 if price >= 1 else 0.0001
    for k in range(1, exact.depth):
        for i, (a, b) in enumerate(zip(exact.level(k), compact.level(k))):
            if i < 4:   # prices: float32 rounding below half a tick
                assert np.max(np.abs(a - b)) < tick / 2, (k, i)
            else:       # summed volumes: relative error far below a pixel
                np.testing.assert_allclose(b, a, rtol=1e-6)
    for g in (2, 64, 4096):
        m, ref = compact.merged(0, n, g), exact.merged(0, n, g)
        assert m.high.dtype == np.float64 and m.volume.dtype == np.float64
        np.testing.assert_array_equal(m.x, ref.x)
        assert np.max(np.abs(m.low - ref.low)) < tick / 2
    lo, hi = compact.extremes(7, n - 5)
    elo, ehi = exact.extremes(7, n - 5)
    assert abs(lo - elo) < tick / 2 and abs(hi - ehi) < tick / 2
