"""Trading drawn on the chart: order lines, fills and the position.

- ``ExecutionMarkers``: a ▲ (BOT) / ▼ (SLD) at each fill of the charted
  instrument, x = the bar containing the execution time (UTC), y = the fill
  price (instrument currency).
- ``AverageCostLine``: the position's average cost per share as a dotted line
  labelled "Pos 100 @ 150.25", with a tag on the price axis.
- ``ChartTrading``: the chart's manager of these and of the order lines
  (``app.ui.chart.order_lines``); keeps the labels of the order lines and of
  the position from overlapping (:func:`app.ui.chart.axis_tags.stack_labels`).

x is the bar index (the chart plots on bar index to skip nights and weekends).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from app.domain.bars import bar_size_seconds
from app.ui.chart.axis_tags import AxisTags, stack_labels
from app.ui.chart.order_lines import LABEL_POSITION, OrderLines
from app.ui.chart.overlays import BUY_MARK, SELL_MARK
from app.ui.chart.styles import POSITION_COLOR, TAG_TEXT
from app.ui.format import fmt_qty


class ExecutionMarkers:
    """Fills of the charted instrument as ▲ (BOT) / ▼ (SLD) at (bar index, price)."""

    def __init__(self, plot: pg.PlotItem, *, hollow: bool = False):
        self.plot = plot
        self.hollow = hollow     # a backtest's fills: outlined, so they never pass for real ones
        self.scatter = pg.ScatterPlotItem(size=12, pen=pg.mkPen("w", width=0.8))
        self.scatter.setZValue(15)
        plot.addItem(self.scatter)
        self.points: list[tuple[float, float, str, str]] = []  # (x, price, side, exec_id)

    def refresh(self, executions, times: np.ndarray, bar_seconds: int) -> None:
        """``executions``: ``app.domain.Execution`` of the charted instrument; ``times`` the bar
        start times (epoch seconds UTC). Fills before the first bar or after the end of the last
        bar are not drawn."""
        pts = []
        n = times.shape[0]
        seen = set()
        for ex in executions:
            if ex.exec_id in seen:
                continue
            seen.add(ex.exec_id)
            t = ex.time.timestamp()
            i = int(np.searchsorted(times, t, side="right")) - 1
            if i < 0 or n == 0 or t >= times[-1] + bar_seconds:
                continue
            pts.append((float(i), float(ex.price), ex.side, ex.exec_id))
        self.points = pts
        if not pts:
            self.scatter.setData([], [])
            return
        colours = [BUY_MARK if p[2] == "BOT" else SELL_MARK for p in pts]
        self.scatter.setData(
            x=[p[0] for p in pts], y=[p[1] for p in pts],
            symbol=["t1" if p[2] == "BOT" else "t" for p in pts],
            brush=[pg.mkBrush(None) if self.hollow else pg.mkBrush(c) for c in colours],
            pen=[pg.mkPen(c, width=2) if self.hollow else pg.mkPen("w", width=0.8) for c in colours],
            data=[p[3] for p in pts])


@dataclass(frozen=True)
class BacktestMark:
    """A backtest's fill as :class:`ExecutionMarkers` draws it: ``time`` (UTC), ``price``
    (instrument currency), ``side`` ("BOT" / "SLD"), ``exec_id`` (unique per run)."""

    time: datetime
    price: float
    side: str
    exec_id: str


class AverageCostLine:
    """The position's average cost (instrument currency per share) as a labelled line: white
    text on an opaque box of :data:`POSITION_COLOR`, and a tag with the price on the axis
    (``tags``, shared with the order lines so the tags stack, key ``"position"``)."""

    TAG_KEY = "position"

    def __init__(self, plot: pg.PlotItem, tags: AxisTags | None = None):
        self.plot = plot
        self.tags = tags
        color = QColor(POSITION_COLOR)
        self.line = pg.InfiniteLine(angle=0, movable=False,
                                    pen=pg.mkPen(color, width=1.2, style=Qt.PenStyle.DotLine),
                                    label="", labelOpts={"position": 0.5, "color": QColor(TAG_TEXT),
                                                         "fill": pg.mkBrush(color), "anchors": [(0, 1), (0, 1)]})
        self.line.setVisible(False)
        self.line.setZValue(20)  # its label over the candles, as the order lines'
        plot.addItem(self.line, ignoreBounds=True)

    def set_color(self, color) -> None:
        """The dotted line's colour over the chart background (a ``QColor`` or name: the
        theme's ``avg_cost`` role, from ``ChartView._apply_palette``); the label box and the
        axis tag keep :data:`POSITION_COLOR` under their white text (readable in both themes)."""
        self.line.setPen(pg.mkPen(QColor(color), width=1.2, style=Qt.PenStyle.DotLine))

    def set_position(self, quantity: float | None, avg_cost: float | None, decimals: int = 2) -> None:
        """Show ``quantity`` shares at ``avg_cost``; hidden when flat or unknown."""
        if not quantity or avg_cost is None or not math.isfinite(avg_cost) or avg_cost <= 0:
            self.line.setVisible(False)
            if self.tags is not None:
                self.tags.remove(self.TAG_KEY)
            return
        self.line.setVisible(True)
        self.line.setPos(avg_cost)
        text = f"Pos {fmt_qty(quantity)} @ {avg_cost:.{decimals}f}"
        self.line.label.setFormat(text)
        if self.tags is not None:
            self.tags.set(self.TAG_KEY, avg_cost, f"{avg_cost:.{decimals}f}", POSITION_COLOR, TAG_TEXT, tooltip=text)


class ChartTrading:
    """Orders, fills and position of the charted instrument, from the session's events.

    Owns the ``order_lines`` (:class:`app.ui.chart.order_lines.OrderLines`),
    ``executions`` (:class:`ExecutionMarkers`) and ``avg_cost``
    (:class:`AverageCostLine`) on ``price_plot``. ``view_model`` is the
    ``ChartViewModel`` (instrument, bars, bar size).
    """

    def __init__(self, price_plot: pg.PlotItem, view_model, widget):
        self.view_model = view_model
        self.order_lines = OrderLines(price_plot, widget)
        self.executions = ExecutionMarkers(price_plot)
        #: the last backtest's fills (hollow ▲ / ▼), of ``backtest_key``'s instrument
        self.backtest = ExecutionMarkers(price_plot, hollow=True)
        self.backtest_marks: list[BacktestMark] = []
        self.backtest_key: str | None = None
        self.avg_cost = AverageCostLine(price_plot, self.order_lines.tags)
        self.plot = price_plot
        price_plot.getViewBox().sigRangeChanged.connect(self.stack_labels)
        price_plot.getViewBox().sigResized.connect(self.stack_labels)
        self.order_lines.linesChanged.connect(self.stack_labels)
        self.session = None
        self.fills: dict[str, object] = {}
        self.decimals = 2
        self.executions_bar_count = -1  #: bars when the markers were placed (a tick needs no redraw)

    def set_commands(self, commands, client_id: int | None = None) -> None:
        self.order_lines.commands = commands
        self.order_lines.client_id = client_id
        self.order_lines.set_orders(list(self.order_lines._records.values()))

    def attach(self, session, commands=None) -> None:
        self.session = session
        session.orderEvent += self.order_lines.update_order
        session.executionEvent += self._on_execution
        session.positionEvent += self._on_position
        if commands is not None:
            self.set_commands(commands, getattr(session, "client_id", None))
        self.load_state()

    def detach(self) -> None:
        s, self.session = self.session, None
        if s is None:
            return
        for event, handler in ((s.orderEvent, self.order_lines.update_order),
                               (s.executionEvent, self._on_execution), (s.positionEvent, self._on_position)):
            try:
                event -= handler
            except ValueError:
                pass

    def set_instrument(self, instrument, decimals: int) -> None:
        """The chart shows ``instrument`` now: lines, markers and position of that one."""
        self.decimals = decimals
        self.order_lines.set_instrument(instrument, decimals)
        if self.session is not None:
            self.load_state()

    def load_state(self) -> None:
        s = self.session
        self.order_lines.set_orders(s.orders())
        self.fills = {e.exec_id: e for e in s.executions()}
        self.draw_executions()
        inst = self.view_model.instrument
        pos = [p for p in s.positions() if inst is not None and p.instrument.key == inst.key]
        if pos:
            self._on_position(pos[-1])
        else:
            self.avg_cost.set_position(None, None)

    def _on_execution(self, ex) -> None:
        self.fills[ex.exec_id] = ex
        inst = self.view_model.instrument
        if inst is not None and ex.instrument.key == inst.key:
            self.draw_executions()

    def _on_position(self, pos) -> None:
        inst = self.view_model.instrument
        if inst is not None and pos.instrument.key == inst.key:
            self.avg_cost.set_position(pos.quantity, pos.avg_price, self.decimals)   # per share, as the chart
            self.stack_labels()

    def labels(self) -> list:
        """The in-view labels that must not overlap, first placed first: the position's, then the
        order lines' from the highest price down."""
        out = [self.avg_cost.line] if self.avg_cost.line.isVisible() else []
        out += sorted(self.order_lines.lines.values(), key=lambda ln: -float(ln.value()))
        return out

    def stack_labels(self, *_args) -> None:
        """Move labels that would overlap (close prices) right of the one they hit
        (:func:`app.ui.chart.axis_tags.stack_labels`); each keeps its own height."""
        vb = self.plot.getViewBox()
        width = float(vb.width())
        if width <= 0:
            return
        lines = self.labels()
        boxes = []
        for ln in lines:
            want = 0.5 if ln is self.avg_cost.line else LABEL_POSITION
            r = ln.label.boundingRect()
            y = vb.mapViewToScene(QPointF(0.0, float(ln.value()))).y()
            boxes.append((want * width, y - r.height(), r.width(), r.height()))
        for ln, left in zip(lines, stack_labels(boxes)):
            pos = min(0.98, left / width)
            if abs(ln.label.orthoPos - pos) > 1e-6:
                ln.label.setPosition(pos)

    def set_backtest(self, instrument_key: str | None, marks: list[BacktestMark]) -> None:
        """Show a backtest's fills of the instrument ``instrument_key`` (hidden while the chart
        shows another one); an empty list clears them."""
        self.backtest_key = instrument_key
        self.backtest_marks = list(marks)
        self.draw_executions()

    def draw_executions(self) -> None:
        vm = self.view_model
        inst = vm.instrument
        fills = [e for e in self.fills.values() if inst is not None and e.instrument.key == inst.key]
        self.executions_bar_count = vm.count
        seconds = bar_size_seconds(vm.bar_size)
        self.executions.refresh(fills, vm.bars.times, seconds)
        shown = inst is not None and inst.key == self.backtest_key
        self.backtest.refresh(self.backtest_marks if shown else [], vm.bars.times, seconds)
