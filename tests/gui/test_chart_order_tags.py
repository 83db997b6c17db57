"""Order lines readable over candles: opaque labels with contrast, a price tag on the right axis,
an edge marker for an order outside the visible prices, no label or tag covering another
(issue 14 item 14)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from app.domain import Action
from app.ui.chart.axis_tags import spread, stack_labels
from tests.gui.test_chart_trading import _place_lmt, trading  # noqa: F401  (fixture)
from tests.support import run_for


def _luminance(c: QColor) -> float:
    def ch(v: float) -> float:
        v /= 255.0
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * ch(c.red()) + 0.7152 * ch(c.green()) + 0.0722 * ch(c.blue())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two opaque colours (4.5 = readable body text)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _settle(aloop, view):
    run_for(aloop, 0.05)
    view.plots.grab()


def test_order_label_is_opaque_with_readable_contrast(trading):  # noqa: F811
    aloop, session, vm, view, commands, prompts, aapl = trading
    for action in (Action.BUY, Action.SELL):
        oid = _place_lmt(aloop, session, aapl, 99.5, action=action)
        label = view.order_lines.line_for(oid).label
        fill = label.fill.color()
        assert fill.alpha() == 255  # candles never show through the text
        assert contrast(label.color, fill) >= 4.5, (action, label.color.name(), fill.name())
    pos_label = view.avg_cost.line.label
    assert pos_label.fill.color().alpha() == 255 and contrast(pos_label.color, pos_label.fill.color()) >= 4.5


def test_each_order_has_a_price_tag_on_the_right_axis(trading):  # noqa: F811
    aloop, session, vm, view, commands, prompts, aapl = trading
    y0, y1 = view.price_plot.getViewBox().viewRange()[1]
    price = round((y0 + y1) / 2, 2)
    oid = _place_lmt(aloop, session, aapl, price)
    _settle(aloop, view)
    tags = view.order_lines.tags
    key = next(k for k, ln in view.order_lines.lines.items() if ln.order_id == oid)
    assert tags.tag_text(key) == f"{price:.2f}"
    rect = tags.tag_rect(key)
    axis = view.price_plot.getAxis("right")
    vb = view.price_plot.getViewBox()
    y_line = axis.mapFromScene(vb.mapViewToScene(QPointF(0, price))).y()
    assert rect is not None and rect.top() <= y_line <= rect.bottom()
    assert rect.left() == 0 and rect.width() == pytest.approx(axis.width())
    # the tag follows the line when it moves, and goes with the order
    view.order_lines.line_for(oid).setPos(price + 0.1)
    assert tags.tag_text(key) == f"{price + 0.1:.2f}"
    session.cancel_order(oid)
    run_for(aloop, 0.1)
    assert key not in tags.tags and tags.tag_rect(key) is None


def test_order_outside_the_view_has_an_edge_marker(trading):  # noqa: F811
    aloop, session, vm, view, commands, prompts, aapl = trading
    vb = view.price_plot.getViewBox()
    y0, y1 = vb.viewRange()[1]
    high = _place_lmt(aloop, session, aapl, round(y1 + 30, 2), action=Action.SELL)
    low = _place_lmt(aloop, session, aapl, round(y0 - 30, 2))
    _settle(aloop, view)
    tags = view.order_lines.tags
    keys = {ln.order_id: k for k, ln in view.order_lines.lines.items()}
    axis_h = view.price_plot.getAxis("right").geometry().height()
    assert tags.tag_text(keys[high]) == f"▲ {y1 + 30:.2f}" and tags.tag_rect(keys[high]).top() == pytest.approx(0)
    assert tags.tag_text(keys[low]) == f"▼ {y0 - 30:.2f}"
    assert tags.tag_rect(keys[low]).bottom() == pytest.approx(axis_h)
    # scrolled so that the high order is in view: a plain tag at its price
    view.price_plot.setYRange(y1 + 20, y1 + 40, padding=0)
    assert tags.tag_text(keys[high]) == f"{y1 + 30:.2f}"
    assert tags.tag_text(keys[low]) == f"▼ {y0 - 30:.2f}"


def test_position_and_order_labels_and_tags_do_not_overlap(trading):  # noqa: F811
    aloop, session, vm, view, commands, prompts, aapl = trading
    view.resize(520, 500)  # narrow: the labels would meet
    y0, y1 = view.price_plot.getViewBox().viewRange()[1]
    mid = round((y0 + y1) / 2, 2)
    session.set_position("AAPL", 100, mid)
    a = _place_lmt(aloop, session, aapl, mid + 0.01)
    b = _place_lmt(aloop, session, aapl, mid - 0.01, action=Action.SELL)
    _settle(aloop, view)
    labels = [view.avg_cost.line.label, view.order_lines.line_for(a).label, view.order_lines.line_for(b).label]
    rects = [lb.sceneBoundingRect() for lb in labels]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not rects[i].intersects(rects[j]), (labels[i].format, labels[j].format)
    tags = view.order_lines.tags
    trs = [tags.tag_rect(k) for k in tags.tags]
    assert len(trs) == 3
    for i in range(3):
        for j in range(i + 1, 3):
            assert not trs[i].intersects(trs[j])


def test_spread_and_stack_rules():
    assert spread([3, 5, 50], 10, 0, 100) == [5, 15, 50]  # clamped to the top, then pushed down
    assert spread([10, 12, 50], 10, 0, 100) == [10, 20, 50]
    assert spread([99, 98], 10, 0, 100) == [95, 85]  # no room below: pushed up
    xs = stack_labels([(10, 0, 50, 10), (10, 5, 50, 10), (200, 5, 20, 10)], gap=4)
    assert xs == [10, 64, 200]


def test_labels_stay_over_the_candles_after_a_style_switch(trading):  # noqa: F811
    """The candles of a new style are added after the lines: the lines (and labels) must still
    be drawn on top (the position's label was cut by candles in the window)."""
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    session.set_position("AAPL", 100, 99.0)
    view.set_style("Heikin-Ashi")
    for line in (view.avg_cost.line, view.order_lines.line_for(oid)):
        assert line.zValue() > view.candles.zValue() and line.zValue() > view.last_candle.zValue()


def test_labels_set_while_the_chart_is_empty_show_their_text(qtbot, aloop):
    """The empty chart hides its panes; a position or an order arriving then must still be
    labelled once the bars are there (the window showed an empty purple box)."""
    from tests.fakes import FakeSession
    from tests.gui.chart_support import show_chart
    from tests.unit.chart.chart_fakes import make_bars
    from tests.support import wait_until

    session = FakeSession()
    aapl = session.contracts["AAPL"]
    session.bars = make_bars(300, start="2026-01-05 14:30")
    vm, view = show_chart(qtbot, session)
    view.attach_trading(session, None)
    session.set_position("AAPL", 100, 98.765)
    vm.set_instrument(aapl)
    assert view.empty_label.isVisible()
    wait_until(aloop, lambda: vm.count == 300 and not vm.loading, what="bars loaded")
    assert not view.empty_label.isVisible()
    assert view.avg_cost.line.label.toPlainText() == "Pos 100 @ 98.77"
    view.detach_trading()
    vm.shutdown()
