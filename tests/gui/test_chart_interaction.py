"""ChartView interaction: keyboard/wheel zoom and pan ranges, y auto-fit, crosshair price label,
bar-size switching (all IB sizes, a refused size shown cleanly), older history on demand,
indicators and crossover markers on the chart."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.gui.chart_support import show_chart
from app.broker.errors import HistoryError
from app.domain import Instrument
from app.domain.bars import BAR_SIZES
from app.viewmodels.indicators import crossovers
from tests.support import wait_until
from tests.unit.chart.chart_fakes import FakeHistorySession, make_bars

AAPL = Instrument("AAPL", con_id=265598, min_tick=0.01)


class OlderHistorySession(FakeHistorySession):
    """FakeHistorySession that also answers ``end=`` requests (older bars) from a full table."""

    def __init__(self, full):
        super().__init__()
        self.full = full
        self.older_requests: list = []

    async def history(self, instrument, bar_size, duration=None, keep_up_to_date=True, end=None):
        if end is None:
            return await super().history(instrument, bar_size, duration, keep_up_to_date)
        self.older_requests.append(end)
        older = self.full[self.full["time"] < end].tail(300)
        return 0, older.reset_index(drop=True)


@pytest.fixture
def chart(qtbot, aloop):
    full = make_bars(1000)
    session = OlderHistorySession(full)
    vm, view = show_chart(qtbot, session)
    yield aloop, session, vm, view, full
    vm.shutdown()


def _load(aloop, session, vm, view, frame, index=0):
    wait_until(aloop, lambda: len(session.requests) > index, what="history request")
    session.answer(index, frame)
    wait_until(aloop, lambda: not vm.loading and vm.count == len(frame), what="bars loaded")
    view.plots.grab()


def _xr(view):
    return tuple(view.price_plot.getViewBox().viewRange()[0])


def test_keyboard_pan_and_zoom_ranges(chart, qtbot):
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, full.tail(400).reset_index(drop=True))
    x0, x1 = _xr(view)
    w = x1 - x0
    qtbot.keyClick(view, Qt.Key.Key_Left)
    a0, a1 = _xr(view)
    assert a0 == pytest.approx(x0 - 0.1 * w) and a1 == pytest.approx(x1 - 0.1 * w)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert _xr(view) == pytest.approx((x0, x1))
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    b0, b1 = _xr(view)
    assert b1 == pytest.approx(x1) and b1 - b0 == pytest.approx(w / 1.25)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert _xr(view) == pytest.approx((x0, x1))
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.visible_index_range() == (250, 400)


def test_y_fits_the_visible_bars_after_a_pan(chart, qtbot):
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    frame = full.tail(400).reset_index(drop=True)
    _load(aloop, session, vm, view, frame)
    for _ in range(5):
        qtbot.keyClick(view, Qt.Key.Key_Left)
    s, e = view.visible_index_range()
    vis = frame.iloc[s:e]
    y0, y1 = view.price_plot.getViewBox().viewRange()[1]
    assert y0 <= vis["low"].min() and y1 >= vis["high"].max()
    assert y1 - y0 < 1.3 * (vis["high"].max() - vis["low"].min())


def test_wheel_zooms_around_the_cursor(chart):
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, full.tail(400).reset_index(drop=True))
    vb = view.price_plot.getViewBox()
    x0, x1 = _xr(view)
    cursor_x = 300.0
    y = sum(vb.viewRange()[1]) / 2
    pos = view.plots.mapFromScene(vb.mapViewToScene(QPointF(cursor_x, y)))
    vp = view.plots.viewport()
    ev = QWheelEvent(QPointF(pos), vp.mapToGlobal(pos).toPointF(), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)
    n0, n1 = _xr(view)
    assert n1 - n0 < x1 - x0  # zoomed in
    # the bar under the cursor stays under the cursor (same fraction of the width)
    assert (cursor_x - n0) / (n1 - n0) == pytest.approx((cursor_x - x0) / (x1 - x0), abs=0.02)


def test_crosshair_price_label_on_the_axis_side(chart, qtbot):
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, full.tail(400).reset_index(drop=True))
    vb = view.price_plot.getViewBox()
    y = sum(vb.viewRange()[1]) / 2
    view._on_mouse_moved(vb.mapViewToScene(QPointF(320, y)))
    assert view.price_label.isVisible() and view.price_label.textItem.toPlainText() == f"{y:.2f}"
    assert view.price_label.pos().x() == pytest.approx(vb.viewRange()[0][1])
    assert view.readout.text().startswith("20")


def test_selector_offers_every_bar_size_and_switching_reloads(chart):
    aloop, session, vm, view, full = chart
    sizes = [view.bar_size_box.itemText(i) for i in range(view.bar_size_box.count())]
    assert sizes == list(BAR_SIZES)
    assert {"5 secs", "1 min", "5 mins", "15 mins", "1 hour", "1 day"} <= set(sizes)
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, full.tail(400).reset_index(drop=True))
    view.bar_size_box.setCurrentText("15 mins")
    wait_until(aloop, lambda: len(session.requests) == 2, what="15 mins request")
    assert session.requests[1].bar_size == "15 mins" and view.busy.isVisibleTo(view)
    assert session.cancelled == [session.requests[0].sub_id]
    _load(aloop, session, vm, view, make_bars(200, freq="15min"), index=1)
    assert not view.busy.isVisibleTo(view) and view.visible_index_range() == (50, 200)
    # a refused size (the simulator answers 321 for second bars) is shown, not a crash
    view.bar_size_box.setCurrentText("5 secs")
    wait_until(aloop, lambda: len(session.requests) == 3, what="5 secs request")
    session.answer(2, HistoryError("Error validating request: bar size 5 secs (IB error 321)", 321))
    wait_until(aloop, lambda: not vm.loading, what="error")
    assert "321" in view.error_label.text() and view.error_label.isVisibleTo(view)
    assert not view.busy.isVisibleTo(view)


def test_scrolling_left_past_history_loads_older_bars(chart, qtbot):
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, full.tail(400).reset_index(drop=True))
    first_t = int(vm.bars.times[0])
    view.price_plot.setXRange(-30, 100, padding=0)
    before = _xr(view)  # clamped by the view limits (10 bars of margin left of bar 0)
    assert before[0] < -1
    wait_until(aloop, lambda: vm.count == 700 and not vm.loading_older, what="older bars")
    assert len(session.older_requests) == 1
    assert int(session.older_requests[0].timestamp()) == first_t
    assert np.all(np.diff(vm.bars.times) > 0) and vm.bars.times[300] == first_t
    # the same bars stay in view (every index shifted by 300)
    assert _xr(view) == pytest.approx((before[0] + 300, before[1] + 300))
    np.testing.assert_allclose(vm.bars.closes, full["close"].to_numpy()[300:])
    # scroll to the very beginning: the rest loads, then nothing older is left
    view.price_plot.setXRange(-30, 100, padding=0)
    wait_until(aloop, lambda: vm.count == 1000 and not vm.loading_older, what="rest")
    view.price_plot.setXRange(-30, 100, padding=0)
    wait_until(aloop, lambda: not vm.loading_older, what="empty answer")
    view.price_plot.setXRange(-20, 100, padding=0)
    wait_until(aloop, lambda: not vm.loading_older, what="idle")
    assert len(session.older_requests) == 3 and vm.count == 1000 and not view.error_label.text()


def test_indicators_drawn_and_updated_with_the_live_bar(chart):
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    frame = full.tail(400).reset_index(drop=True)
    _load(aloop, session, vm, view, frame)
    sma = view.add_indicator("SMA", period=10)
    rsi = view.add_indicator("RSI", period=14)
    macd = view.add_indicator("MACD")
    assert id(rsi) in view._panes and id(macd) in view._panes and id(sma) not in view._panes
    ov = dict((id(i), o) for i, o in view.indicators)[id(sma)]
    x, y = ov.drawn("value")
    ref = frame["close"].rolling(10).mean().to_numpy()
    # only the visible bars (and a bar each side) are drawn, one point per bar when zoomed in
    s, e = view.visible_index_range()
    assert x[0] <= s and x[-1] >= e - 1 and len(x) < 160
    np.testing.assert_allclose(y, ref[x.astype(int)], equal_nan=True)
    from datetime import timedelta

    from app.domain import Bar
    t = frame["time"].iloc[-1].to_pydatetime()
    session.barEvent.emit(vm.sub_id, Bar(t + timedelta(minutes=5), 10, 200, 5, 150.0, 1), True)
    vm.flush()
    x, y = ov.drawn("value")
    assert x[-1] == 400 and y[-1] == pytest.approx((frame["close"].iloc[-9:].sum() + 150.0) / 10)
    view.remove_indicator(rsi)
    assert id(rsi) not in view._panes and len(view.indicators) == 2


def test_sma_crossover_markers(chart):
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    frame = full.reset_index(drop=True)
    session.full = frame.iloc[:0]  # no older history
    _load(aloop, session, vm, view, frame)
    cross = view.add_indicator("SMA crossover", fast=20, slow=50)
    markers = view._markers[id(cross)]
    c = frame["close"]
    idx, d = crossovers(c.rolling(20).mean().to_numpy(), c.rolling(50).mean().to_numpy())
    assert idx.size > 0
    assert markers.indices.tolist() == idx.tolist() and markers.directions.tolist() == d.tolist()
    pts = markers.scatter.data
    assert len(pts) == idx.size
    k = int(np.flatnonzero(d > 0)[0])
    assert pts["x"][k] == idx[k] and pts["y"][k] < frame["low"].iloc[idx[k]]


def test_zoomed_out_indicator_keeps_true_extremes(chart):
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    frame = full.reset_index(drop=True)
    session.full = frame.iloc[:0]
    _load(aloop, session, vm, view, frame)
    view.add_indicator("SMA", period=5)
    view.price_plot.setXRange(-5, 1005, padding=0)
    ov = view.indicators[0][1]
    x, y = ov.drawn("value")
    width = view.price_plot.getViewBox().width()
    assert ov.window()[2] > 1 and len(x) <= 2 * width + 8  # merged: about two points per pixel column
    ref = frame["close"].rolling(5).mean()
    assert np.nanmax(y) == pytest.approx(ref.max()) and np.nanmin(y) == pytest.approx(ref.min())


def _type_into(qtbot, box, text: str) -> None:
    """Replace a spin box's text as a user does: select all, type, Tab."""
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Tab)


def test_indicator_menu_opens_a_parameter_form(chart, qtbot):
    """Issue 14 item 15: parameters in a small form (spin boxes per parameter), not "period=20" text."""
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, full.tail(400).reset_index(drop=True))
    act = next(a for a in view.indicator_menu.actions() if a.text() == "Bollinger Bands")
    act.trigger()
    form = view.indicator_form
    assert form is not None and form.isVisible() and not view.indicators
    assert list(form.fields) == ["period", "width"]
    assert form.fields["period"].value() == 20 and form.fields["width"].value() == 2.0
    _type_into(qtbot, form.fields["period"], "10")
    _type_into(qtbot, form.fields["width"], "2.5")
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    ind = view.indicators[0][0]
    assert len(view.indicators) == 1 and set(view.indicators[0][1].items) == {"middle", "upper", "lower"}
    assert ind.period == 10 and ind.width == 2.5 and act.isChecked() and view.indicator_form is None
    act.trigger()  # unticked: removed
    assert view.indicators == [] and not act.isChecked()
    # Cancel adds nothing and unticks the entry
    act.trigger()
    qtbot.keyClick(view.indicator_form, Qt.Key.Key_Escape)
    assert view.indicators == [] and not act.isChecked()


def test_parameter_form_refuses_what_the_indicator_refuses(chart, qtbot):
    aloop, session, vm, view, full = chart
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, full.tail(400).reset_index(drop=True))
    next(a for a in view.indicator_menu.actions() if a.text() == "MACD").trigger()
    form = view.indicator_form
    assert [form.fields[k].value() for k in ("fast", "slow", "signal")] == [12, 26, 9]
    _type_into(qtbot, form.fields["fast"], "30")  # fast must be shorter than slow
    assert not form.ok_button.isEnabled() and "shorter than the slow period" in form.error_label.text()
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    assert view.indicators == [] and form.isVisible()
    _type_into(qtbot, form.fields["fast"], "8")
    assert form.ok_button.isEnabled() and form.error_label.text() == ""
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)
    macd = view.indicators[0][0]
    assert (macd.fast, macd.slow, macd.signal) == (8, 26, 9)
    # a period below the indicator's minimum cannot even be typed (RSI period >= 2)
    next(a for a in view.indicator_menu.actions() if a.text() == "RSI").trigger()
    box = view.indicator_form.fields["period"]
    assert box.minimum() == 2
    _type_into(qtbot, box, "1")
    assert box.value() >= 2


def test_style_selector_switches_the_price_items(chart):
    aloop, session, vm, view, full = chart
    from app.ui.chart.styles import STYLES, HeikinAshiItem, LineItem
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, full.tail(400).reset_index(drop=True))
    assert [view.style_box.itemText(i) for i in range(view.style_box.count())] == list(STYLES)
    view.style_box.setCurrentText("Heikin-Ashi")
    assert isinstance(view.candles, HeikinAshiItem) and view.candles.count == 400
    view.set_style("Line")
    assert isinstance(view.candles, LineItem) and view.style_box.currentText() == "Line"
    assert view.candles in view.price_plot.items and view.last_candle in view.price_plot.items
    with pytest.raises(ValueError):
        view.set_style("Renko")
