"""ChartView with pytest-qt: candles drawn, crosshair readout, bar size switch, real data."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from tests.gui.chart_support import show_chart
from app.domain import Bar, Instrument
from tests.support import run_for, wait_until
from tests.unit.chart.chart_fakes import FakeHistorySession, make_bars, read_csv_bars

AAPL = Instrument("AAPL", con_id=265598, min_tick=0.01)


@pytest.fixture
def chart(qtbot, aloop):
    session = FakeHistorySession()
    vm, view = show_chart(qtbot, session)
    yield aloop, session, vm, view
    vm.shutdown()


def _load(aloop, session, vm, view, frame, index=0):
    wait_until(aloop, lambda: len(session.requests) > index, what="history request")
    session.answer(index, frame)
    wait_until(aloop, lambda: not vm.loading and vm.count == len(frame), what="bars loaded")
    view.plots.grab()  # paint once: the items build their paths for the view


def test_load_shows_the_last_150_candles(chart):
    aloop, session, vm, view = chart
    vm.set_instrument(AAPL)
    assert view.busy.isVisibleTo(view)
    frame = make_bars(400)
    _load(aloop, session, vm, view, frame)
    assert not view.busy.isVisibleTo(view)
    assert view.symbol_label.text() == "AAPL"
    assert view.visible_index_range() == (250, 400)
    # history item: bars 250..398 visible (+ margin bars 248, 249), the live bar is its own item
    assert view.candles.group == 1 and not view.candles.thin
    assert view.candles.drawn_range == (248, 399) and view.candles.drawn_count == 151
    assert view.last_candle.drawn_range == (399, 400) and view.last_candle.drawn_count == 1
    assert view.volume.drawn_count == 151
    last = frame["close"].iloc[-1]
    assert view.last_price_label.text() == f"Last {last:.2f}"
    assert view.last_line.value() == pytest.approx(last)
    # y fits the visible bars
    y0, y1 = view.price_plot.getViewBox().viewRange()[1]
    vis = frame.iloc[250:400]
    assert y0 <= vis["low"].min() and y1 >= vis["high"].max()
    assert y1 - y0 < 1.3 * (vis["high"].max() - vis["low"].min())


def _load_aapl(chart, n: int = 400):
    """AAPL selected and ``n`` random bars loaded and painted; returns the bars' frame."""
    aloop, session, vm, view = chart
    vm.set_instrument(AAPL)
    frame = make_bars(n)
    _load(aloop, session, vm, view, frame)
    return frame


def test_live_tick_rebuilds_only_the_last_bar_item(chart):
    aloop, session, vm, view = chart
    frame = _load_aapl(chart)
    builds = view.candles.builds
    t = frame["time"].iloc[-1].to_pydatetime()
    for i in range(50):
        session.barEvent.emit(vm.sub_id, Bar(t, 100, 500 + i, 90, 101 + i, 1e6), False)
    wait_until(aloop, lambda: view.last_price_label.text() == "Last 150.00", what="last price")
    view.plots.grab()
    assert view.candles.builds == builds  # history untouched
    assert view.last_candle.boundingRect().bottom() == pytest.approx(549)  # new high drawn
    # a new bar: the view follows the live bar
    session.barEvent.emit(vm.sub_id, Bar(t + timedelta(minutes=5), 150, 151, 149, 150.5, 10), True)
    wait_until(aloop, lambda: vm.count == 401 and view.last_candle.count == 401, what="append")
    view.plots.grab()
    assert view.visible_index_range()[1] == 401
    assert view.last_candle.drawn_range == (400, 401)


def _colour_pixels(img, rgb) -> int:
    """Pixels of exactly ``rgb`` in a QImage (ARGB32)."""
    from PySide6.QtGui import QImage
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    px = np.frombuffer(img.constBits(), dtype=np.uint32, count=img.width() * img.height())
    return int(np.count_nonzero((px & 0xFFFFFF) == ((rgb[0] << 16) | (rgb[1] << 8) | rgb[2])))


def test_live_tick_repaints_history_from_its_pixmap_cache(chart):
    aloop, session, vm, view = chart
    from PySide6.QtWidgets import QGraphicsItem
    frame = _load_aapl(chart)
    cached = QGraphicsItem.CacheMode.DeviceCoordinateCache
    assert view.candles.cacheMode() == cached and view.volume.cacheMode() == cached
    assert view.last_candle.cacheMode() == QGraphicsItem.CacheMode.NoCache  # changes on every tick
    run_for(aloop, 0.1)  # the first on-screen paint fills the caches
    hist, vol, live = view.candles.paints, view.volume.paints, view.last_candle.paints
    t, c = frame["time"].iloc[-1].to_pydatetime(), float(frame["close"].iloc[-1])
    lo, hi = frame["low"].iloc[-1], frame["high"].iloc[-1]
    for i in range(5):  # ticks inside the shown price range: the y range stays put
        session.barEvent.emit(vm.sub_id, Bar(t, frame["open"].iloc[-1], hi, lo, c + 0.01 * (i % 2), 1000 + i), False)
        vm.flush()
        run_for(aloop, 0.02)
    assert view.last_candle.paints > live  # the live bar was drawn ...
    assert (view.candles.paints, view.volume.paints) == (hist, vol)  # ... the history blitted, not redrawn
    # any change of the history re-renders the pixmap: new colours are on screen at once
    view.candles.set_colors("#0000ff", "#ff00ff")
    run_for(aloop, 0.05)
    assert view.candles.paints > hist
    img = view.plots.grab().toImage()
    assert _colour_pixels(img, (0, 0, 255)) > 100 and _colour_pixels(img, (255, 0, 255)) > 100


def test_crosshair_readout_after_mouse_move(chart, qtbot):
    aloop, session, vm, view = chart
    vm.set_instrument(AAPL)
    frame = make_bars(400)
    _load(aloop, session, vm, view, frame)
    vb = view.price_plot.getViewBox()
    y_mid = sum(vb.viewRange()[1]) / 2
    scene_pt = vb.mapViewToScene(QPointF(300, y_mid))
    widget_pt = view.plots.mapFromScene(scene_pt)
    qtbot.mouseMove(view.plots.viewport(), QPoint(widget_pt.x(), widget_pt.y()))
    run_for(aloop, 0.05)
    row = frame.iloc[300]
    when = row["time"].tz_convert("America/New_York").strftime("%Y-%m-%d %H:%M %Z")
    assert view.readout.text() == (f"{when}   O {row.open:.2f}   H {row.high:.2f}   L {row.low:.2f}"
                                   f"   C {row.close:.2f}   V {row.volume:,.0f}")
    assert view.crosshair_v.isVisible() and view.crosshair_v.value() == 300
    assert view.crosshair_h.value() == pytest.approx(y_mid, rel=0.01)
    # leaving the plots hides the crosshair
    view.plots.scene().sigMouseMoved.emit(QPointF(-100, -100))
    assert not view.crosshair_v.isVisible()
    # the mouse leaving the chart widget (to another chart of a grid, a dock) hides it too,
    # and the readout no longer shows a bar the mouse is not on
    qtbot.mouseMove(view.plots.viewport(), QPoint(widget_pt.x(), widget_pt.y() + 1))
    run_for(aloop, 0.05)
    assert view.crosshair_v.isVisible() and view.readout.text()
    QApplication.sendEvent(view.plots.viewport(), QEvent(QEvent.Type.Leave))
    assert not view.crosshair_v.isVisible() and not view.price_label.isVisible()
    assert view.readout.text() == ""


def test_bar_size_switch_requests_new_history_and_cancels_old(chart):
    aloop, session, vm, view = chart
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, make_bars(100))
    old = vm.sub_id
    view.bar_size_box.setCurrentText("1 hour")
    wait_until(aloop, lambda: len(session.requests) == 2, what="second history request")
    assert session.requests[1].bar_size == "1 hour" and session.requests[1].instrument == AAPL
    assert session.cancelled == [old]
    assert view.busy.isVisibleTo(view)
    _load(aloop, session, vm, view, make_bars(60, freq="1h"), index=1)
    assert view.candles.drawn_count == 59 and view.last_candle.drawn_count == 1


def test_error_is_shown_in_the_toolbar(chart):
    aloop, session, vm, view = chart
    vm.set_instrument(AAPL)
    wait_until(aloop, lambda: session.requests, what="request")
    session.answer(0, LookupError("No market data permissions for NASDAQ STK"))
    wait_until(aloop, lambda: view.error_label.isVisibleTo(view), what="error label")
    assert "No market data permissions" in view.error_label.text()
    assert not view.busy.isVisibleTo(view)


def test_double_click_resets_the_view(chart, qtbot):
    aloop, session, vm, view = chart
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, make_bars(400))
    view.price_plot.setXRange(10, 40, padding=0)
    assert view.visible_index_range()[1] < 100
    vb = view.price_plot.getViewBox()
    pt = view.plots.mapFromScene(vb.mapViewToScene(QPointF(25, sum(vb.viewRange()[1]) / 2)))
    pos = QPoint(pt.x(), pt.y())
    qtbot.mouseDClick(view.plots.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    # QTest's double click ends without the final release a real mouse sends; pyqtgraph reports on release
    qtbot.mouseRelease(view.plots.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    wait_until(aloop, lambda: view.visible_index_range() == (250, 400), what="view reset")


def test_real_goog_daily_history(chart, shared_data):
    aloop, session, vm, view = chart
    frame = read_csv_bars(shared_data / "GOOG.csv")
    vm.set_bar_size("1 day")
    vm.set_instrument(Instrument("GOOG", con_id=208813720))
    _load(aloop, session, vm, view, frame)
    n = len(frame)
    assert vm.count == n == 2148
    assert view.visible_index_range() == (n - 150, n)
    assert view.candles.drawn_count == 151 and view.candles.drawn_range == (n - 152, n - 1)
    assert view.readout_text(n - 1).startswith("2013-03-01   O ")
    # zoomed out to the whole history: merged to about one candle per pixel, true extremes kept
    view.price_plot.setXRange(0, n, padding=0)
    view.plots.grab()
    width_px = view.price_plot.getViewBox().width()
    g = view.candles.group
    assert g > 1 and view.candles.thin and view.candles.drawn_count == -(-(n - 1) // g)
    assert view.candles.drawn_count <= 2 * width_px
    y0, y1 = view.price_plot.getViewBox().viewRange()[1]
    assert y0 <= frame["low"].min() and y1 >= frame["high"].max()
    b = view.candles.boundingRect()
    assert b.top() == pytest.approx(frame["low"].iloc[:-1].min())
    assert b.bottom() == pytest.approx(frame["high"].iloc[:-1].max())
    labels = view.time_axis.tickStrings([0, 600, 1200], 1, 600)
    assert labels == ["2004", "2007", "2009"]


def test_palette_colours(chart):
    aloop, session, vm, view = chart
    from PySide6.QtGui import QColor, QPalette
    pal = view.palette()
    pal.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    pal.setColor(QPalette.ColorRole.Base, QColor("#101010"))
    view.setPalette(pal)
    assert view.is_dark()
    assert view.candles._up.name() == "#26a69a"
    pal.setColor(QPalette.ColorRole.Window, QColor("#f0f0f0"))
    view.setPalette(pal)
    assert not view.is_dark() and view.candles._up.name() == "#1b8a3a"
    assert np.isfinite(view.candles.count)


def test_empty_history_then_live_bars(chart):
    aloop, session, vm, view = chart
    from app.domain import empty_bars
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, empty_bars())
    assert view.error_label.text() == "No 5 mins bars for AAPL yet" and view.candles.drawn_count == 0
    t = make_bars(1)["time"].iloc[0].to_pydatetime()
    for k in range(3):
        session.barEvent.emit(vm.sub_id, Bar(t + timedelta(minutes=5 * k), 10, 11, 9, 10.5, 100), True)
    wait_until(aloop, lambda: view.last_candle.count == 3, what="live bars drawn")
    view.plots.grab()
    assert view.visible_index_range() == (0, 3) and not view.error_label.isVisibleTo(view)
    assert view.candles.drawn_count == 2 and view.last_candle.drawn_count == 1
