"""Chart panes (issue 14 items 15 and 11): legends with the indicators' values, a current-value
tag on the RSI/MACD axes, the time axis only under the lowest pane, a centred message on an
empty chart, and no volume pane for FX (MIDPOINT) bars."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QPointF

from app.domain import Bar, ConnectionState, Instrument
from tests.gui.test_chart_view import _load, chart  # noqa: F401  (fixture)
from tests.support import run_for, wait_until
from tests.unit.chart.chart_fakes import make_bars

AAPL = Instrument("AAPL", con_id=265598, min_tick=0.01)
EUR = Instrument("EUR", "CASH", "IDEALPRO", "USD", con_id=12087792, min_tick=0.00005, local_symbol="EUR.USD")


def _bottom_axis_shown(plot) -> bool:
    return plot.getAxis("bottom").isVisible()


def test_time_axis_only_under_the_lowest_pane(chart):  # noqa: F811
    aloop, session, vm, view = chart
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, make_bars(300))
    assert _bottom_axis_shown(view.volume_plot) and not _bottom_axis_shown(view.price_plot)
    rsi = view.add_indicator("RSI", period=14)
    macd = view.add_indicator("MACD")
    rsi_pane, macd_pane = view._panes[id(rsi)], view._panes[id(macd)]
    shown = [p for p in (view.price_plot, view.volume_plot, rsi_pane, macd_pane) if _bottom_axis_shown(p)]
    assert shown == [macd_pane]
    # the lowest pane's axis labels the same bar times as the chart's time axis
    ticks = [0, 100, 200]
    assert macd_pane.getAxis("bottom").tickStrings(ticks, 1, 100) == view.time_axis.tickStrings(ticks, 1, 100)
    view.remove_indicator(macd)
    assert [p for p in (view.price_plot, view.volume_plot, rsi_pane) if _bottom_axis_shown(p)] == [rsi_pane]
    view.remove_indicator(rsi)
    assert _bottom_axis_shown(view.volume_plot)


def test_legends_show_name_parameters_and_values(chart, qtbot):  # noqa: F811
    aloop, session, vm, view = chart
    vm.set_instrument(AAPL)
    frame = make_bars(300)
    _load(aloop, session, vm, view, frame)
    sma = view.add_indicator("SMA", period=20)
    rsi = view.add_indicator("RSI", period=14)
    last_sma = frame["close"].tail(20).mean()
    price_legend = view.indicator_set.price_legend
    assert price_legend.isVisible() and price_legend.text_lines() == [f"SMA 20  {last_sma:.2f}"]
    rsi_legend = view.indicator_set.legends[id(rsi)]
    assert rsi_legend.text_lines() == [f"RSI 14  {rsi.values['value'][-1]:.2f}"]
    # the legend sits at the top left of its pane
    vb = view._panes[id(rsi)].getViewBox()
    top_left = rsi_legend.mapToItem(vb, QPointF(0, 0))
    assert 0 <= top_left.x() < 10 and 0 <= top_left.y() < 10
    # under the cursor: that bar's values
    vb = view.price_plot.getViewBox()
    x0, x1 = vb.viewRange()[0]
    i = int(round(x0 + 0.5 * (x1 - x0)))
    scene = vb.mapViewToScene(QPointF(i, float(frame["close"].iloc[i])))
    qtbot.mouseMove(view.plots.viewport(), view.plots.mapFromScene(scene))
    wait_until(aloop, lambda: view.indicator_set.cursor == i, what="legend at the cursor")
    assert price_legend.text_lines() == [f"SMA 20  {sma.values['value'][i]:.2f}"]
    assert rsi_legend.text_lines() == [f"RSI 14  {rsi.values['value'][i]:.2f}"]


def test_rsi_and_macd_panes_tag_their_current_value(chart):  # noqa: F811
    aloop, session, vm, view = chart
    vm.set_instrument(AAPL)
    frame = make_bars(300)
    _load(aloop, session, vm, view, frame)
    rsi = view.add_indicator("RSI", period=14)
    macd = view.add_indicator("MACD")
    run_for(aloop, 0.05)
    view.plots.grab()
    tags = view.indicator_set.value_tags[id(rsi)]
    assert tags.tag_text("value") == f"{rsi.values['value'][-1]:.2f}"
    pane = view._panes[id(rsi)]
    axis = pane.getAxis("right")
    y = axis.mapFromScene(pane.getViewBox().mapViewToScene(QPointF(0, rsi.values["value"][-1]))).y()
    rect = tags.tag_rect("value")
    assert rect.top() - 1 <= y <= rect.bottom() + 1
    mtags = view.indicator_set.value_tags[id(macd)]
    assert mtags.tag_text("macd") == f"{macd.values['macd'][-1]:.3f}"
    assert mtags.tag_text("signal") == f"{macd.values['signal'][-1]:.3f}"
    # a live tick moves the tag
    last_t = frame["time"].iloc[-1].to_pydatetime()
    session.barEvent.emit(vm.sub_id, Bar(last_t, 100, 150, 99, 150, 10), False)
    wait_until(aloop, lambda: tags.tag_text("value") == f"{rsi.values['value'][-1]:.2f}"
               and rsi.values["value"][-1] > 90, what="tag follows the live bar")


def test_empty_chart_says_why_instead_of_axes(chart, qtbot):  # noqa: F811
    aloop, session, vm, view = chart
    assert view.empty_label.isVisible() and view.empty_label.text() == "Choose a symbol in the watchlist"
    assert not view.price_plot.getAxis("right").isVisible()
    vm.set_instrument(AAPL)
    wait_until(aloop, lambda: len(session.requests) == 1, what="request")
    assert view.empty_label.text() == "Loading AAPL 5 mins…"
    centre = view.empty_label.geometry().center()
    assert abs(centre.x() - view.plots.width() / 2) <= 2 and abs(centre.y() - view.plots.height() / 2) <= 2
    session.answer(0, make_bars(0))
    wait_until(aloop, lambda: not vm.loading, what="empty answer")
    assert view.empty_label.isVisible() and view.empty_label.text() == "No data for AAPL 5 mins"
    session.stateEvent.emit(ConnectionState.LOST, "")
    assert view.empty_label.text() == "Not connected"
    session.stateEvent.emit(ConnectionState.CONNECTED, "")
    wait_until(aloop, lambda: len(session.requests) == 2, what="reload after connecting")
    _load(aloop, session, vm, view, make_bars(50), index=1)
    assert not view.empty_label.isVisible()
    assert view.price_plot.getAxis("right").isVisible() and view.price_plot.getViewBox().isVisible()


def test_fx_midpoint_has_no_volume_pane(chart):  # noqa: F811
    aloop, session, vm, view = chart
    vm.set_instrument(EUR)
    frame = make_bars(200)
    frame["volume"] = -1.0
    _load(aloop, session, vm, view, frame)
    assert not view.volume_plot.isVisible() and _bottom_axis_shown(view.price_plot)
    price_h = view.price_plot.getViewBox().height()
    last_t = frame["time"].iloc[-1].to_pydatetime()
    session.barEvent.emit(vm.sub_id, Bar(last_t + timedelta(minutes=5), 100, 101, 99, 100, 6_000_000), True)
    wait_until(aloop, lambda: vm.count == 201, what="live bar")
    assert vm.bars.volumes[-1] == -1 and not view.volume_plot.isVisible()
    vm.set_instrument(AAPL)
    _load(aloop, session, vm, view, make_bars(200), index=1)
    assert view.volume_plot.isVisible() and _bottom_axis_shown(view.volume_plot)
    view.plots.grab()
    assert view.price_plot.getViewBox().height() < price_h  # the volume pane takes room again
