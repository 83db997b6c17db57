"""TailItem (the live end of an indicator line): NaN gaps, fill, bounds, drawing."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QImage

from app.ui.chart.light import TailItem

RED = QColor("#ff0000")


def _plot(qtbot):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(400, 300)
    w.hideAxis("left")
    w.hideAxis("bottom")
    w.setXRange(0, 4, padding=0)
    w.setYRange(0, 4, padding=0)
    w.show()
    qtbot.waitExposed(w)
    return w


def _red_columns(w) -> np.ndarray:
    """x pixel columns of the plot's viewport holding a pure red pixel."""
    img = w.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    a = np.frombuffer(img.constBits(), dtype=np.uint32, count=img.width() * img.height()).reshape(img.height(), img.width())
    return np.nonzero(((a & 0xFFFFFF) == 0xFF0000).any(axis=0))[0]


def test_nan_breaks_the_line_and_the_bounds_cover_the_points(qtbot):
    w = _plot(qtbot)
    tail = TailItem(pg.mkPen(RED, width=1))
    w.addItem(tail)
    tail.set_data([0.5, 1.5, 2.5, 3.5], [1.0, math.nan, 2.0, 3.0])
    xs, ys = tail.getData()
    np.testing.assert_array_equal(xs, [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_array_equal(ys, [1.0, math.nan, 2.0, 3.0])  # NaN kept: it is the gap
    b = tail.boundingRect()
    assert b.left() < 0.5 and b.right() > 3.5 and b.top() < 1.0 and b.bottom() > 3.0
    cols = _red_columns(w)
    vb_x = w.getViewBox().mapViewToDevice(pg.Point(0, 0)).x()
    px_per_unit = w.getViewBox().width() / 4.0
    x = lambda v: vb_x + v * px_per_unit  # noqa: E731
    drawn = set(cols.tolist())
    assert any(x(2.6) <= c <= x(3.4) for c in drawn)  # the finite run 2.5 -> 3.5
    assert not any(x(0.7) <= c <= x(2.3) for c in drawn)  # no line across the NaN
    with pytest.raises(ValueError, match="same length"):
        tail.set_data([1, 2], [1])


def test_fill_level_extends_the_bounds_and_fills(qtbot):
    w = _plot(qtbot)
    tail = TailItem(pg.mkPen("#0000ff"), fill_level=0.0, brush=pg.mkBrush(RED))
    w.addItem(tail)
    tail.set_data([1.0, 3.0], [2.0, 3.0])
    assert tail.boundingRect().top() <= 0.0
    assert len(_red_columns(w)) > 0.4 * w.getViewBox().width() * 0.5  # the area under 1..3 is red
