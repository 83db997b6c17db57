"""Chart styles (app.ui.chart.styles): Heikin-Ashi values, incremental updates, every style draws."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from app.ui.chart.styles import STYLES, HeikinAshiItem, heikin_ashi, make_bar_item
from tests.unit.chart.test_chart_merge import _random_bars


def _ha_reference(o, h, lo, c):
    """Plain-loop Heikin-Ashi, written independently of the numpy/pandas version."""
    n = len(o)
    ho, hh, hl, hc = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
    for i in range(n):
        hc[i] = (o[i] + h[i] + lo[i] + c[i]) / 4
        ho[i] = (o[0] + c[0]) / 2 if i == 0 else (ho[i - 1] + hc[i - 1]) / 2
        hh[i] = max(h[i], ho[i], hc[i])
        hl[i] = min(lo[i], ho[i], hc[i])
    return ho, hh, hl, hc


def test_heikin_ashi_matches_a_plain_loop():
    o, h, lo, c, _ = _random_bars(500, 11)
    got = heikin_ashi(o, h, lo, c)
    for g, r in zip(got, _ha_reference(o, h, lo, c)):
        np.testing.assert_allclose(g, r, rtol=0, atol=1e-9)
    # hand-checked two bars: HA close (1+3+0+2)/4=1.5, HA open 1.5; next open (1.5+1.5)/2, close 2.5
    ho, hh, hl, hc = heikin_ashi([1, 2], [3, 4], [0, 1], [2, 3])
    assert list(hc) == [1.5, 2.5] and list(ho) == [1.5, 1.5] and list(hh) == [3, 4] and list(hl) == [0, 1]
    with pytest.raises(ValueError, match="same length"):
        heikin_ashi([1], [1, 2], [1], [1])


def test_heikin_ashi_item_incremental_update_equals_full_recompute(qapp):
    o, h, lo, c, v = _random_bars(1000, 5)
    item = HeikinAshiItem("last")
    item.set_data(o[:900], h[:900], lo[:900], c[:900], v[:900])
    item.set_data(o, h, lo, c, v, keep=899)  # append 100 bars (bar 899 was live)
    o2 = o.copy()
    o2[-1] += 0.5  # a tick changes the live bar
    item.set_data(o2, h, lo, c, v, keep=999)
    ref = heikin_ashi(o2, h, lo, c)
    for got, want in zip((item._o, item._h, item._l, item._c), ref):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_unknown_style_is_a_clear_error():
    with pytest.raises(ValueError, match="Candle, OHLC, Line, Heikin-Ashi"):
        make_bar_item("Renko")


@pytest.mark.parametrize("style", STYLES)
def test_every_style_draws_visible_bars_merged_when_zoomed_out(qtbot, style):
    n = 50_000
    o, h, lo, c, v = _random_bars(n, 3)
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(600, 300)
    w.show()
    hist, last = make_bar_item(style, "history"), make_bar_item(style, "last")
    for item in (hist, last):
        w.addItem(item)
        item.set_data(o, h, lo, c, v)
    w.setXRange(n - 200, n, padding=0)
    w.grab()
    assert hist.group == 1 and 190 <= hist.drawn_count <= 205
    assert last.drawn_count == 1 and last.drawn_range == (n - 1, n)
    w.setXRange(0, n, padding=0)
    w.grab()
    px = w.getViewBox().width()
    assert hist.group > 1
    assert hist.drawn_count <= 2 * px  # about one candle per pixel column, not 50k
    assert hist.drawn_range[1] <= n - 1  # the live bar is not in the history item
    builds = hist.builds
    for i in range(5):  # live ticks: only the last item rebuilds
        c2 = c.copy()
        c2[-1] += i
        last.set_data(o, h, lo, c2, v, keep=n - 1)
        w.grab()
    assert hist.builds == builds


def test_zoomed_out_line_keeps_the_true_extremes_of_the_closes(qtbot):
    """Merged groups draw their lowest and highest close (not one sampled close per group)."""
    n = 20_000
    o, h, lo, c, v = _random_bars(n, 8)
    spike = 12_345  # a one-bar spike inside a merged group, not at a group's end
    c = c.copy()
    c[spike] = c.max() + 50.0
    c[spike + 100] = c.min() - 50.0
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(600, 300)
    w.show()
    line = make_bar_item("Line", "history")
    w.addItem(line)
    line.set_data(o, h, lo, c, v)
    w.setXRange(0, n, padding=0)
    w.grab()
    assert line.group > 1 and line.drawn_count <= 2 * w.getViewBox().width()
    path = line._layers[0][2]
    ys = np.array([path.elementAt(i).y for i in range(path.elementCount())])
    assert ys.max() == pytest.approx(c[: n - 1].max()) and ys.min() == pytest.approx(c[: n - 1].min())
    assert line.visible_extremes(0, n - 1) == (pytest.approx(c[: n - 1].min()), pytest.approx(c[: n - 1].max()))
    # zoomed in, one point per close
    w.setXRange(spike - 50, spike + 50, padding=0)
    w.grab()
    path = line._layers[0][2]
    pts = {round(path.elementAt(i).x): path.elementAt(i).y for i in range(path.elementCount())}
    assert line.group == 1 and pts[spike] == pytest.approx(c[spike]) and pts[spike - 1] == pytest.approx(c[spike - 1])
