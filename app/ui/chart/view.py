"""``ChartView``: the live candlestick chart widget (toolbar, price pane, volume pane).

Reads a :class:`app.viewmodels.chart.ChartViewModel` and emits user intent
only through it (``set_bar_size``). Layout: a toolbar (symbol, bar size
selector, busy indicator while loading, last price, error text), an OHLCV
readout of the bar under the cursor, then a ``pyqtgraph.GraphicsLayoutWidget``
with the price plot (candles, price axis on the right, dashed last-price line
labelled at the right edge) above the volume plot; both share the x axis (bar
index, time labels from :class:`app.ui.chart.axis.TimeAxisItem`).

Interaction: the mouse wheel zooms the x axis around the cursor and dragging
pans it (pyqtgraph ``ViewBox`` with y mouse disabled); y always fits the
visible bars; a double-click shows the last ~150 bars again (also the initial
view after a load); keys: Left/Right pan by a tenth of the view, +/- zoom
around the right edge, Home/End reset. Panning left past the first loaded bar
asks the view-model for older bars (``ChartViewModel.load_older``). A
right-click offers Buy/Sell LMT/STP at the clicked price (rounded to the
tick) and emits ``prefillRequested(action, order_type, price)`` for the
order ticket. Colours follow the widget palette (dark or light); up candles
green, down red.

Trading from the chart (:meth:`ChartView.attach_trading`): working orders of
the charted instrument as draggable lines with price tags on the axis
(``app.ui.chart.order_lines``), fills as buy/sell markers and the position's
average cost as a line (``app.ui.chart.trading``). While the bars are stale (``ChartViewModel.stale``)
an amber badge "Stale: Connection lost (12 s)" sits at the top left of the price
pane (the age refreshed once a second) and the last-price line and label turn
grey; both return to normal with the next bar update after the link is live.
Indicators (:meth:`ChartView.add_indicator`, the menu's parameter form: ``app.ui.chart.indicator_menu``)
are computed by ``app.viewmodels.indicators`` once per load and updated incrementally for the
live bar; each pane has a legend and RSI/MACD panes tag their current value (``app.ui.chart.legend``).
The time axis sits under the lowest pane, FX MIDPOINT bars have no volume pane, and an empty
chart says why in its middle (``app.ui.chart.panes``). Style and indicators are saved per profile.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QPalette
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QHBoxLayout, QLabel, QMenu, QProgressBar, QVBoxLayout, QWidget

from app.domain import round_to_tick
from app.domain.bars import BAR_SIZES, bar_size_seconds
from app.ui.chart.overlays import ChartIndicators
from app.ui.chart.trading import ChartTrading
from app.ui.chart.indicator_menu import IndicatorMenuMixin
from app.ui.chart.legend import LinkedTimeAxis
from app.ui.chart.panes import ChartPanesMixin
from app.ui.chart.priceline import PriceLine
from app.ui.chart.axis import PriceAxisItem, TimeAxisItem, display_timezone, format_bar_time
from app.ui.chart.viewrange import RIGHT_MARGIN_BARS, ChartRangeMixin
from app.ui import theme
from app.ui.format import tick_decimals
from app.ui.stable_label import StableLabel
from app.ui.status_line import StatusLine
from app.ui.symbol_field import SymbolField
from app.viewmodels.timedisplay import TIME_DISPLAY
from app.ui.chart.candles import DOWN_DARK, DOWN_LIGHT, UP_DARK, UP_LIGHT, CandleItem
from app.ui.chart.pyramid import SteppedPyramid
from app.ui.chart.volume import VolumeAxisItem, VolumeItem
from app.viewmodels.chart import ChartViewModel
from app.ui.stale_label import stale_label

#: width in pixels of the right (price / volume) axes, equal so the panes align
AXIS_WIDTH = 72
#: fraction of the visible range one arrow key pans
PAN_STEP = 0.1
#: zoom factor of one +/- key press
ZOOM_STEP = 1.25
#: the right-click menu: (text, IB action, IB order type)
PREFILL_CHOICES = (("Buy LMT", "BUY", "LMT"), ("Sell LMT", "SELL", "LMT"),
                   ("Buy STP", "BUY", "STP"), ("Sell STP", "SELL", "STP"))


class ChartView(IndicatorMenuMixin, ChartPanesMixin, ChartRangeMixin, QWidget):
    """The chart widget for one :class:`ChartViewModel` (see the module docstring).

    Public children for the main window and tests: ``symbol_label``,
    ``bar_size_box``, ``busy``, ``last_price_label``, ``error_label``,
    ``readout``, ``plots`` (the GraphicsLayoutWidget), ``price_plot``,
    ``volume_plot``, ``candles``/``last_candle`` and ``volume``/``last_volume``
    (the bar items), ``last_line`` (last price), ``crosshair_v``/``crosshair_h``,
    ``price_label`` (price at the cursor on the y axis), ``indicator_button``,
    ``trade_message``, ``order_lines`` (:class:`OrderLines`), ``executions``,
    ``avg_cost``, ``indicators`` (list of ``(Indicator, IndicatorOverlay)``),
    ``stale_badge`` (the "Stale: <reason> (12 s)" label over the price pane),
    ``empty_label`` (the centred message of an empty chart), ``indicator_form``
    (the open parameter form, or None).

    ``symbol_label`` is a :class:`app.ui.symbol_field.SymbolField`: typing a symbol and Enter
    charts it (``instrumentChosen``), an unknown one shows IB's reason in ``trade_message``.

    Signal ``prefillRequested(str action, str order_type, float price)``:
    the right-click menu's choice ("BUY"/"SELL", "LMT"/"STP", price in
    instrument currency on the tick) for ``OrderTicket.prefill``. Signal
    ``stateChanged()``: the style or the indicators changed.
    """

    prefillRequested = Signal(str, str, float)
    #: the chart style or the indicators changed (the panels save them per profile)
    stateChanged = Signal()
    #: the trader picked a symbol in the chart's own symbol field (Instrument, resolved)
    instrumentChosen = Signal(object)

    def __init__(self, view_model: ChartViewModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.view_model = view_model
        self._decimals = 2
        self._fitted_volume = 0.0
        self._shown_last = ""  # the last price as the line's label shows it

        # ---- toolbar ----
        #: the charted symbol; typing one (IB's symbol search) and Enter charts it here
        self.symbol_label = SymbolField(view_model.session)
        self.symbol_label.setObjectName("chartSymbol")
        font = self.symbol_label.font()
        font.setBold(True)
        self.symbol_label.setFont(font)
        self.symbol_label.instrumentChosen.connect(self._symbol_chosen)
        self.symbol_label.failed.connect(lambda text: self._show_trade_message(False, text))
        self.bar_size_box = QComboBox()
        self.bar_size_box.addItems(list(BAR_SIZES))
        self.bar_size_box.setCurrentText(view_model.bar_size)
        self.bar_size_box.setToolTip("Bar size")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setTextVisible(False)
        self.busy.setMaximumWidth(80)
        self.busy.setMaximumHeight(12)
        self.busy.setToolTip("Loading history…")
        self.busy.setVisible(False)
        self.last_price_label = StableLabel("")
        self.last_price_label.setObjectName("chartLastPrice")
        self.error_label = QLabel("")
        theme.style(self.error_label, "color: $error_text;")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.symbol_label)
        #: the toolbar row (the panels put the chart's link chip first: :meth:`add_chip`)
        self.toolbar = bar
        self._build_indicator_menu()
        self.style_box = QComboBox()
        self.style_box.setToolTip("Chart style")
        self.trade_message = QLabel("")
        self.trade_message.setObjectName("chartTradeMessage")
        self.trade_message.setWordWrap(True)
        #: keeps the trade message true: cleared when another symbol is charted
        self.trade_status = StatusLine(self.trade_message)
        bar.addWidget(self.bar_size_box)
        bar.addWidget(self.style_box)
        bar.addWidget(self.indicator_button)
        bar.addWidget(self.busy)
        bar.addWidget(self.last_price_label)
        bar.addWidget(self.trade_message, 1)
        bar.addWidget(self.error_label, 1)
        bar.addStretch(0)
        self.readout = QLabel("")
        self.readout.setObjectName("chartReadout")
        self.readout.setContentsMargins(6, 0, 6, 0)

        # ---- plots ----
        self.plots = pg.GraphicsLayoutWidget()
        self.time_axis = TimeAxisItem("bottom")
        self.price_plot = self.plots.addPlot(row=0, col=0, axisItems={"right": PriceAxisItem("right"),
                                                                      "bottom": LinkedTimeAxis(self.time_axis)})
        self.volume_plot = self.plots.addPlot(row=1, col=0, axisItems={"bottom": self.time_axis,
                                                                          "right": VolumeAxisItem("right")})
        for axis in (self.time_axis, self.price_plot.getAxis("right"), self.volume_plot.getAxis("right")):
            # a tick repaints a strip across the panes: the axes then blit a cached pixmap
            # instead of replaying their tick labels (re-rendered when the range changes)
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.plots.ci.layout.setRowStretchFactor(0, 4)
        self.plots.ci.layout.setRowStretchFactor(1, 1)
        self.plots.ci.layout.setSpacing(0)
        for plot in (self.price_plot, self.volume_plot):
            plot.hideAxis("left")
            plot.showAxis("right")
            plot.getAxis("right").setWidth(AXIS_WIDTH)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=0.15)
            vb = plot.getViewBox()
            vb.setMouseEnabled(x=True, y=False)
            vb.enableAutoRange(x=False, y=False)
        self.price_plot.hideAxis("bottom")
        self.volume_plot.setXLink(self.price_plot)
        self.volume_plot.setMaximumHeight(16777215)

        self.candles = CandleItem("history")
        self.last_candle = CandleItem("last")
        self.volume = VolumeItem("history")
        self.last_volume = VolumeItem("last")
        #: merge levels of the raw bars, one for the price and volume items (synced in _set_item_data)
        self.pyramid_build = SteppedPyramid(self._bar_columns, self)
        self.bar_pyramid = self.pyramid_build.pyramid
        self.pyramid_build.built.connect(lambda: (self.candles.update(), self.volume.update()))
        self.candles.share_pyramid(self.bar_pyramid)
        self.volume.share_pyramid(self.bar_pyramid)
        self.price_plot.addItem(self.candles)
        self.price_plot.addItem(self.last_candle)
        self.volume_plot.addItem(self.volume)
        self.volume_plot.addItem(self.last_volume)
        self.last_line = PriceLine()
        self.last_line.setVisible(False)
        self.price_plot.addItem(self.last_line, ignoreBounds=True)
        self.crosshair_v = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair_h = pg.InfiniteLine(angle=0, movable=False)
        self._crosshair_v2 = pg.InfiniteLine(angle=90, movable=False)
        self.price_plot.addItem(self.crosshair_v, ignoreBounds=True)
        self.price_plot.addItem(self.crosshair_h, ignoreBounds=True)
        self.volume_plot.addItem(self._crosshair_v2, ignoreBounds=True)
        self.price_label = pg.TextItem("", anchor=(1, 0.5), fill=pg.mkBrush(60, 60, 60, 220), color="w")
        self.price_label.setZValue(40)
        self.price_plot.addItem(self.price_label, ignoreBounds=True)
        self._show_crosshair(False)

        # ---- overlays and trading ----
        self.indicator_set = ChartIndicators(self.plots, self.price_plot, lambda: self.view_model.bars,
                                             axis_width=AXIS_WIDTH, time_axis=self.time_axis,
                                             decimals=lambda: self._decimals)
        self.indicator_set.computed.connect(self._fit_y)
        self.trading = ChartTrading(self.price_plot, view_model, self)
        self.order_lines.message.connect(self._show_trade_message)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._init_styles()

        # ---- staleness: a badge over the top left of the price pane ----
        self.stale_badge = stale_label("chartStale", self.plots, bold=True)
        self.stale_badge.move(8, 8)
        # ---- an empty chart says why, centred, instead of empty axes ----
        self.empty_label = QLabel("", self.plots)
        self.empty_label.setObjectName("chartEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        theme.style(self.empty_label, "color: $secondary_text; font-size: 15pt;")
        self.plots.installEventFilter(self)
        self.plots.viewport().installEventFilter(self)     # Leave: the mouse went elsewhere

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(bar)
        lay.addWidget(self.readout)
        lay.addWidget(self.plots, 1)

        # ---- wiring ----
        self.bar_size_box.currentTextChanged.connect(self._on_bar_size_chosen)
        self.price_plot.getViewBox().sigXRangeChanged.connect(self._fit_y)
        self.plots.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plots.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        vm = view_model
        vm.barsReset.connect(self._on_bars_reset)
        vm.barAppended.connect(self._on_bar_appended)
        vm.lastBarChanged.connect(self._on_last_bar_changed)
        vm.loadingChanged.connect(self._on_loading)
        vm.errorChanged.connect(self._on_error)
        vm.selectionChanged.connect(self._on_selection)
        vm.barsPrepended.connect(self._on_bars_prepended)
        vm.olderLoadingChanged.connect(lambda _on: self._on_loading(vm.loading))
        vm.staleChanged.connect(self._on_stale)
        TIME_DISPLAY.changed.connect(self._on_time_rule)
        vm.staleness.tick.connect(self._show_stale_age)
        vm.staleness.changed.connect(self._show_stale_age)
        vm.connectedChanged.connect(lambda _c: self._update_empty())
        self.stateChanged.connect(self._update_empty)
        self._apply_palette()
        self._on_selection()
        self._on_loading(vm.loading)
        self._on_error(vm.error)
        self._on_stale(vm.stale)
        if vm.count:
            self._on_bars_reset()

    # ---- view-model -> view ----------------------------------------------------
    def _on_selection(self) -> None:
        vm = self.view_model
        inst = vm.instrument
        self.symbol_label.show_instrument(inst)
        self._decimals = tick_decimals(inst.min_tick if inst else None)
        if inst is not None and inst != self.order_lines.instrument:
            self.trading.set_instrument(inst, self._decimals)
        self.trade_status.symbol_changed(inst.key if inst is not None else None)
        if self.bar_size_box.currentText() != vm.bar_size:
            self.bar_size_box.blockSignals(True)
            self.bar_size_box.setCurrentText(vm.bar_size)
            self.bar_size_box.blockSignals(False)
        self._show_volume(vm.has_volume)
        self._update_empty()

    def _symbol_chosen(self, instrument) -> None:
        """The trader typed a symbol in this chart: chart it, and tell the link group."""
        self.view_model.set_instrument(instrument)
        self.instrumentChosen.emit(instrument)

    def add_chip(self, widget: QWidget) -> None:
        """Put ``widget`` (the link-colour chip) first in the toolbar."""
        self.toolbar.insertWidget(0, widget)

    def _on_bar_size_chosen(self, text: str) -> None:
        if text and text != self.view_model.bar_size:
            self.view_model.set_bar_size(text)

    def _on_loading(self, loading: bool) -> None:
        self.busy.setVisible(bool(loading) or self.view_model.loading_older)
        self._update_empty()

    def _on_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setToolTip(text)
        self.error_label.setVisible(bool(text))

    def _on_stale(self, stale: bool) -> None:
        """Show or hide the stale badge; grey the last-price line while stale."""
        self._show_stale_age()
        self._apply_last_line_colors()
        theme.style(self.last_price_label, "color: $stale_text; font-style: italic;" if stale else "")

    def _show_stale_age(self) -> None:
        text = self.view_model.stale_text()
        if text != self.stale_badge.text():
            self.stale_badge.setText(text)
            self.stale_badge.adjustSize()
        self.stale_badge.setToolTip("The chart is not live: it resumes with the next bar update after "
                                    "the connection is back" if text else "")
        self.stale_badge.setVisible(bool(text))
        if text:
            self.stale_badge.raise_()

    def _set_item_data(self, items, keep: int = 0) -> None:
        """Give ``items`` the current arrays; ``keep`` = leading bars unchanged since the
        last call (only the rest is re-merged: an append or a tick costs O(log n), not O(n))."""
        b = self.view_model.bars
        if any(item.pyramid is self.bar_pyramid for item in items):
            self.pyramid_build.sync(max(0, len(b) - 1), keep=keep)
        for item in items:
            item.set_data(*self._bar_columns(), keep=keep)

    def _bar_columns(self) -> tuple:
        b = self.view_model.bars
        return b.opens, b.highs, b.lows, b.closes, b.volumes

    def _on_bars_reset(self) -> None:
        vm = self.view_model
        self._set_item_data((self.candles, self.last_candle, self.volume, self.last_volume))
        secs = bar_size_seconds(vm.bar_size)
        self.time_axis.set_times(vm.bars.times, display_timezone(vm.instrument, secs))
        self._update_limits()
        self._update_last_price()
        self.readout.setText("")
        self._update_empty()
        self._refresh_overlays(full=True)
        if vm.count:
            self.reset_view()

    def _on_time_rule(self) -> None:
        """View → Times changed: the time axis in the new zone (exchange or local time)."""
        vm = self.view_model
        self.time_axis.set_times(vm.bars.times, display_timezone(vm.instrument, bar_size_seconds(vm.bar_size)))

    def _on_bars_prepended(self, added: int) -> None:
        """Older bars were inserted before index 0: keep the same bars in view."""
        vm = self.view_model
        x0, x1 = self.price_plot.getViewBox().viewRange()[0]
        self._set_item_data((self.candles, self.last_candle, self.volume, self.last_volume))
        self.time_axis.set_times(vm.bars.times, display_timezone(vm.instrument, bar_size_seconds(vm.bar_size)))
        self._update_limits()
        self._refresh_overlays(full=True)
        self.price_plot.setXRange(x0 + added, x1 + added, padding=0)

    def _on_bar_appended(self) -> None:
        vm = self.view_model
        n = vm.count
        x0, x1 = self.price_plot.getViewBox().viewRange()[0]
        old_last = self.last_candle.count - 1
        follow = x1 >= old_last  # the live bar was in view: keep following it
        # bars before the previous live bar are unchanged
        self._set_item_data((self.candles, self.last_candle, self.volume, self.last_volume),
                            keep=max(0, old_last))
        secs = bar_size_seconds(vm.bar_size)
        self.time_axis.set_times(vm.bars.times, display_timezone(vm.instrument, secs))
        self._update_limits()
        self._update_last_price()
        if old_last < 0:
            self._update_empty()
            self.reset_view()  # the first bars of an empty history
        elif follow:
            shift = (n - 1) - old_last
            self.price_plot.setXRange(x0 + shift, x1 + shift, padding=0)
        else:
            self._fit_y()
        self._refresh_overlays(full=False)

    def _on_last_bar_changed(self) -> None:
        self._set_item_data((self.last_candle, self.last_volume), keep=max(0, self.view_model.count - 1))
        self._update_last_price()
        self._refresh_overlays(full=False)
        self._fit_y(live=True)

    def _update_last_price(self) -> None:
        price = self.view_model.last_price
        if price is None or not math.isfinite(price):
            self.last_price_label.setText("")
            self.last_line.setVisible(False)
            return
        text = f"{price:.{self._decimals}f}"
        if text == self._shown_last and self.last_line.isVisible():
            return  # a tick that moved only the volume: nothing to redraw here
        self._shown_last = text
        self.last_price_label.setText(f"Last {text}")
        self.last_line.setVisible(True)
        self.last_line.set_value(price, text)

    def _update_limits(self) -> None:
        n = self.view_model.count
        for plot in (self.price_plot, self.volume_plot):
            vb = plot.getViewBox()
            if n:
                vb.setLimits(xMin=-RIGHT_MARGIN_BARS, xMax=n + 5 * RIGHT_MARGIN_BARS,
                             minXRange=5, maxXRange=n + 6 * RIGHT_MARGIN_BARS)
            else:
                vb.setLimits(xMin=None, xMax=None, minXRange=None, maxXRange=None)

    # ---- keyboard -----------------------------------------------------------------
    def keyPressEvent(self, ev) -> None:  # noqa: N802 (Qt name)
        key = ev.key()
        if key == Qt.Key.Key_Left:
            self.pan(-PAN_STEP)
        elif key == Qt.Key.Key_Right:
            self.pan(PAN_STEP)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1 / ZOOM_STEP)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom(ZOOM_STEP)
        elif key in (Qt.Key.Key_Home, Qt.Key.Key_End):
            self.reset_view()
        else:
            super().keyPressEvent(ev)
            return
        ev.accept()

    # ---- mouse --------------------------------------------------------------------
    def _show_crosshair(self, visible: bool, in_price: bool = True) -> None:
        self.price_label.setVisible(visible and in_price)
        self.crosshair_v.setVisible(visible)
        self._crosshair_v2.setVisible(visible)
        self.crosshair_h.setVisible(visible and in_price)

    def _mouse_left(self) -> None:
        """The mouse left the plots: hide the crosshair, its price tag, the readout and the
        legend's values of the bar under it."""
        self._show_crosshair(False)
        self.readout.setText("")
        self._legend_at(None)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        in_price = self.price_plot.getViewBox().sceneBoundingRect().contains(scene_pos)
        in_volume = self.volume_plot.getViewBox().sceneBoundingRect().contains(scene_pos)
        n = self.view_model.count
        if not (in_price or in_volume) or n == 0:
            self._show_crosshair(False)
            self._legend_at(None)
            return
        vb = (self.price_plot if in_price else self.volume_plot).getViewBox()
        p = vb.mapSceneToView(scene_pos)
        i = int(round(p.x()))
        if not 0 <= i < n:
            self._show_crosshair(False)
            self.readout.setText("")
            return
        self.crosshair_v.setPos(i)
        self._crosshair_v2.setPos(i)
        if in_price:
            self.crosshair_h.setPos(p.y())
            x1 = vb.viewRange()[0][1]
            self.price_label.setText(f"{p.y():.{self._decimals}f}")
            self.price_label.setPos(x1, p.y())
        self._show_crosshair(True, in_price)
        self.readout.setText(self.readout_text(i))
        self._legend_at(i)

    def _legend_at(self, i: int | None) -> None:
        """The legends show the values of bar ``i`` (None: the last bar)."""
        if self.indicator_set.cursor != i:
            self.indicator_set.cursor = i
            self.indicator_set.show_values()

    def readout_text(self, i: int) -> str:
        """"2024-01-05 09:30 EST  O 1.00  H 1.20  L 0.90  C 1.10  V 12,300" for bar ``i``."""
        vm = self.view_model
        t, o, h, lo, c, v = vm.bars.row(i)
        secs = bar_size_seconds(vm.bar_size)
        when = format_bar_time(t, display_timezone(vm.instrument, secs), intraday=secs < 86400)
        d = self._decimals
        vol = f"{v:,.0f}" if math.isfinite(v) and v >= 0 else "—"
        return f"{when}   O {o:.{d}f}   H {h:.{d}f}   L {lo:.{d}f}   C {c:.{d}f}   V {vol}"

    def _on_mouse_clicked(self, ev) -> None:
        if ev.double() and ev.button() == Qt.MouseButton.LeftButton:
            self.reset_view()
            ev.accept()
        elif ev.button() == Qt.MouseButton.RightButton:
            vb = self.price_plot.getViewBox()
            if vb.sceneBoundingRect().contains(ev.scenePos()) and self.view_model.instrument is not None:
                ev.accept()
                menu = self.prefill_menu(vb.mapSceneToView(ev.scenePos()).y())
                menu.popup(QCursor.pos())

    def prefill_price(self, y: float) -> float:
        """``y`` (instrument currency) rounded to the instrument's tick (0.01 when unknown)."""
        inst = self.view_model.instrument
        return round_to_tick(float(y), (inst.min_tick if inst and inst.min_tick else 0.01))

    def prefill_menu(self, y: float) -> QMenu:
        """The right-click menu at price ``y``: Buy/Sell LMT/STP, each emitting ``prefillRequested``."""
        price = self.prefill_price(y)
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for text, action, order_type in PREFILL_CHOICES:
            act = menu.addAction(f"{text} @ {price:.{self._decimals}f}")
            act.triggered.connect(lambda _=False, a=action, t=order_type: self.prefillRequested.emit(a, t, price))
        return menu

    # ---- indicators: app.ui.chart.indicator_menu.IndicatorMenuMixin ---------------------
    def _refresh_overlays(self, full: bool) -> None:
        self.indicator_set.refresh(full)
        if full or self.view_model.count != self.trading.executions_bar_count:
            self.trading.draw_executions()

    # ---- trading from the chart (app.ui.chart.overlays.ChartTrading) -------------------
    @property
    def order_lines(self):
        return self.trading.order_lines

    @property
    def executions(self):
        return self.trading.executions

    @property
    def avg_cost(self):
        return self.trading.avg_cost

    def set_commands(self, commands, client_id: int | None = None) -> None:
        """Give the chart the ``OrderCommands`` that order-line drags and cancels go through;
        ``client_id`` is this API client (other clients' orders stay fixed)."""
        self.trading.set_commands(commands, client_id)

    def attach_trading(self, session, commands=None) -> None:
        """Follow ``session``'s orders, fills and positions (``orderEvent``, ``executionEvent``,
        ``positionEvent``, plus ``orders()``/``executions()``/``positions()`` now) for the charted
        instrument; order lines become draggable when ``commands`` (``OrderCommands``) is given."""
        self.trading.attach(session, commands)

    def detach_trading(self) -> None:
        """Stop following the session (window closing)."""
        self.trading.detach()

    def _show_trade_message(self, ok: bool, text: str) -> None:
        inst = self.view_model.instrument
        self.trade_status.show(ok, text, key=inst.key if inst is not None else None)
        self.trade_message.setToolTip(text)

    # ---- styles (engineer A's items) -------------------------------------------------
    def _init_styles(self) -> None:
        try:
            from app.ui.chart.styles import STYLES
        except ImportError:
            STYLES = ()
        self.style_box.addItems(list(STYLES))
        self.style_box.setVisible(bool(STYLES))
        self.style_box.currentTextChanged.connect(self.set_style)

    def set_style(self, style: str) -> None:
        """Draw prices as ``style`` ("Candle", "OHLC", "Line", "Heikin-Ashi"; ``app.ui.chart.styles``).
        Raises ``ValueError`` for an unknown style."""
        from app.ui.chart.styles import make_bar_item

        new_hist, new_last = make_bar_item(style, "history"), make_bar_item(style, "last")
        for old in (self.candles, self.last_candle):
            self.price_plot.removeItem(old)
        self.candles, self.last_candle = new_hist, new_last
        self.candles.share_pyramid(self.bar_pyramid)
        self.price_plot.addItem(self.candles)
        self.price_plot.addItem(self.last_candle)
        self._apply_palette()
        if self.view_model.count:
            self._set_item_data((self.candles, self.last_candle))
        if self.style_box.currentText() != style:
            self.style_box.blockSignals(True)
            self.style_box.setCurrentText(style)
            self.style_box.blockSignals(False)
        self.stateChanged.emit()

    # ---- palette ---------------------------------------------------------------------
    def is_dark(self) -> bool:
        """True when the palette's window colour is dark (lightness < 128)."""
        return self.palette().color(QPalette.ColorRole.Window).lightness() < 128

    def _apply_palette(self) -> None:
        """Colour the chart from the widget's palette (called on ``QEvent.PaletteChange``, e.g.
        View → Theme): background and axes/grid from Base/Text, candles and volume in the
        theme's up/down colours, crosshair, last-price line, average-cost line. Only pens and
        brushes change: the bar arrays and the merge pyramid are kept."""
        pal = self.palette()
        dark = self.is_dark()
        up, down = (UP_DARK, DOWN_DARK) if dark else (UP_LIGHT, DOWN_LIGHT)
        for item in (self.candles, self.last_candle, self.volume, self.last_volume):
            item.set_colors(up, down)
        bg = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        self.plots.setBackground(bg)
        if hasattr(self, "trading"):
            self.trading.avg_cost.set_color(theme.color("avg_cost", theme.DARK if dark else theme.LIGHT))
        plots = [i for i in self.plots.ci.items if isinstance(i, pg.PlotItem)]  # indicator panes too
        for plot in plots:
            for name in ("right", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(fg))
                axis.setTextPen(pg.mkPen(fg))
        muted = QColor(fg)
        muted.setAlpha(110)
        for line in (self.crosshair_v, self.crosshair_h, self._crosshair_v2):
            line.setPen(pg.mkPen(muted, style=Qt.PenStyle.DashLine))
        self._apply_last_line_colors()

    def _apply_last_line_colors(self) -> None:
        """The last-price line in the palette's accent, or grey while the bars are stale."""
        pal = self.palette()
        if self.view_model.stale:
            self.last_line.set_colors(theme.color("stale_text", theme.DARK if self.is_dark() else theme.LIGHT),
                                      pal.color(QPalette.ColorRole.Base))
        else:
            self.last_line.set_colors(pal.color(QPalette.ColorRole.Highlight),
                                      pal.color(QPalette.ColorRole.HighlightedText))

    def changeEvent(self, ev) -> None:  # noqa: N802 (Qt name)
        if ev.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(ev)
