"""Working orders drawn on the chart as draggable price lines, traded through ``OrderCommands``.

``OrderLine`` is a horizontal ``pyqtgraph.InfiniteLine`` for one price of one
working order (a STP LMT order has two lines: its stop and its limit price),
labelled "BUY 100 LMT 150.25" (side, quantity in shares, type, price in
instrument currency) in white on an opaque box of the order's colour (readable
over candles), with a small "✕" cancel button at the left edge and a tag with
the price on the right axis (``app.ui.chart.axis_tags.AxisTags``); an order
outside the visible prices keeps its tag at the top or bottom edge with an arrow.

``OrderLines`` keeps the lines of the charted instrument's working orders in
sync with the session's order records and turns the trader's gestures into
commands (DESIGN.md: user intent -> app.commands):

- dropping a dragged line sends exactly ONE ``ModifyOrder`` with the dropped
  price rounded to the instrument's ``min_tick`` (``app.domain.round_to_tick``,
  IB's market rule minimum increment), confirmed as the ticket confirms: a
  non-blocking question (``confirm(text) -> bool | Awaitable[bool]``, injectable;
  skipped when ``confirm_orders`` is off) that lists the soft risk limits the
  change breaks (its Yes overrides those), the answer journalled; a soft limit
  nobody was shown is asked about with ``ask_override``. The line is
  held at the dropped price while asking. A drop on the same tick, a declined
  confirmation or a rejected/failed command snaps the line back to the order's
  price; the reason is shown through ``message(ok, text)``.
- the cancel button sends ``CancelOrder`` after the same question.

Only this client's working orders are draggable; others (TWS manual orders,
other client ids) are drawn but not movable, since IB lets a client modify
only its own orders (``OrderCommands.check``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from app.commands.orders import CancelOrder, ModifyOrder, OrderCommands
from app.domain import OrderRecord, round_to_tick
from app.domain.orders import Action
from app.ui.format import fmt_qty
from app.ui.chart.axis_tags import AxisTags
from app.ui.chart.styles import ORDER_BUY, ORDER_SELL, TAG_TEXT
from app.ui.confirm import (
    ask_override, ask_yes_no, execute_with_override, record_confirmation, record_overrides, resolve,
    with_warnings,
)
from app.viewmodels.soft_limits import soft_warnings

log = logging.getLogger(__name__)

BUY_COLOR = QColor(ORDER_BUY)
SELL_COLOR = QColor(ORDER_SELL)


#: where an order line's label sits along the line (fraction of the view's width from the left)
LABEL_POSITION = 0.08


def _type_text(order_type) -> str:
    return getattr(order_type, "value", str(order_type))


def _action_text(action) -> str:
    return getattr(action, "value", str(action))


def order_prices(rec: OrderRecord) -> list[tuple[str, float]]:
    """The prices of ``rec`` drawn as lines: ``[("limit", p)]``, ``[("stop", p)]`` or both."""
    out = []
    if rec.stop_price is not None:
        out.append(("stop", float(rec.stop_price)))
    if rec.limit_price is not None:
        out.append(("limit", float(rec.limit_price)))
    return out


class CancelButton(pg.TextItem):
    """The "✕" on an order line; a left click calls ``on_click`` (the line's cancel)."""

    def __init__(self, on_click: Callable[[], None], color: QColor):
        super().__init__("✕", color=color, anchor=(0, 0.5), fill=pg.mkBrush(0, 0, 0, 60))
        self._on_click = on_click
        self.setToolTip("Cancel this order")
        self.setZValue(30)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph name)
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_click()


class OrderLine(pg.InfiniteLine):
    """One price line of one order (see the module docstring).

    ``field`` is "limit" or "stop" (which price a drag modifies). Signals are
    the manager's; this item calls ``OrderLines._dropped`` on a finished drag.
    """

    def __init__(self, rec: OrderRecord, field: str, price: float, movable: bool, decimals: int):
        color = BUY_COLOR if _action_text(rec.action) == Action.BUY.value else SELL_COLOR
        super().__init__(pos=price, angle=0, movable=movable,
                         pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine),
                         hoverPen=pg.mkPen(color, width=3),
                         label="", labelOpts={"position": LABEL_POSITION, "color": QColor(TAG_TEXT),
                                              "fill": pg.mkBrush(color), "anchors": [(0, 1), (0, 1)]})
        self.record = rec
        self.field = field
        self.decimals = decimals
        self.color = color
        self.setZValue(20)
        self.cancel_button = CancelButton(self._cancel_clicked, color)
        self.on_cancel: Callable[[OrderLine], None] | None = None
        self.on_drop: Callable[[OrderLine], None] | None = None
        self.sigPositionChangeFinished.connect(self._finished)
        self.set_record(rec, price)

    @property
    def order_id(self) -> int:
        return self.record.order_id

    @property
    def order_price(self) -> float:
        """The order's current price for this line's field (instrument currency)."""
        p = self.record.limit_price if self.field == "limit" else self.record.stop_price
        return float(p)

    def label_text(self, price: float | None = None) -> str:
        r = self.record
        price = self.order_price if price is None else price
        typ = _type_text(r.order_type)
        if typ == "STP LMT":
            typ = f"STP LMT ({self.field})"
        return f"{_action_text(r.action)} {fmt_qty(r.remaining or r.quantity)} {typ} {price:.{self.decimals}f}"

    def set_record(self, rec: OrderRecord, price: float | None = None) -> None:
        """Show ``rec`` (new price/quantity after a modify) and move to its price."""
        self.record = rec
        self.setPos(self.order_price if price is None else price)
        self.label.setFormat(self.label_text())

    def snap_back(self) -> None:
        """Return to the order's price (after a declined/rejected modify)."""
        self.setPos(self.order_price)
        self.label.setFormat(self.label_text())

    def _finished(self, *_args) -> None:
        if self.on_drop is not None:
            self.on_drop(self)

    def _cancel_clicked(self) -> None:
        if self.on_cancel is not None:
            self.on_cancel(self)


class OrderLines(QObject):
    """Order lines of the charted instrument on ``plot`` (a ``pyqtgraph.PlotItem``).

    API: :meth:`set_instrument`, :meth:`set_orders` (all records; keeps the
    working ones of the instrument), :meth:`update_order` (one orderEvent),
    :meth:`drop` (what a finished drag does), :meth:`cancel` (both return the task that
    asks and sends, also kept as ``sending``).
    Attributes: ``commands`` (``OrderCommands`` or None = view only),
    ``confirm`` (``callable(text) -> bool | Awaitable[bool]``, default a non-blocking
    Yes/No box), ``ask_override`` (``callable(rule, message)``), ``confirm_orders`` (bool),
    ``client_id`` (this API client; other clients' orders are not movable).
    Signal ``message(bool ok, str text)``: the result of a modify/cancel; ``linesChanged()``
    after the lines were synced with the orders; ``tags`` the lines' price tags on the axis.
    """

    message = Signal(bool, str)
    #: the set of lines or a line's price changed (the chart re-stacks the labels)
    linesChanged = Signal()

    def __init__(self, plot: pg.PlotItem, parent_widget: QWidget | None = None):
        super().__init__(parent_widget)
        self.plot = plot
        self._widget = parent_widget
        self.commands: OrderCommands | None = None
        self.confirm: Callable[[str], object] = \
            lambda text: ask_yes_no(parent_widget, "Confirm", text, danger=False)
        self.ask_override: Callable[[str, str], object] = \
            lambda rule, msg: ask_override(parent_widget, rule, msg)
        self.confirm_orders = True
        self.sending: asyncio.Task | None = None
        self._held: set[OrderLine] = set()
        self.client_id: int | None = None
        self.instrument = None
        self.decimals = 2
        self._records: dict[int, OrderRecord] = {}
        self.lines: dict[tuple[int, str], OrderLine] = {}
        #: the price tags of the lines on the right axis, keyed as ``lines``
        self.tags = AxisTags(plot)
        plot.getViewBox().sigRangeChanged.connect(self._place_buttons)

    # ---- records -> lines ----------------------------------------------------------
    def set_instrument(self, instrument, decimals: int = 2) -> None:
        """Chart another instrument: drop the lines of the previous one."""
        self.instrument = instrument
        self.decimals = decimals
        self._records = {k: r for k, r in self._records.items() if self._charted(r)}
        self._sync()

    def _charted(self, rec: OrderRecord) -> bool:
        return self.instrument is not None and rec.instrument.key == self.instrument.key

    def set_orders(self, records) -> None:
        """Replace the known orders (e.g. ``session.orders()`` after connecting)."""
        self._records = {}
        for r in records:
            if self._charted(r) and r.is_working:
                self._records[self._rec_key(r)] = r
        self._sync()

    @staticmethod
    def _rec_key(rec: OrderRecord) -> int:
        return rec.perm_id or hash((rec.client_id, rec.order_id))

    def update_order(self, rec: OrderRecord) -> None:
        """Apply one ``orderEvent``: add, move or remove (no longer working) its lines."""
        key = self._rec_key(rec)
        stale = [k for k, r in self._records.items()
                 if r.client_id == rec.client_id and r.order_id == rec.order_id]
        for k in stale:
            self._records.pop(k)
        if self._charted(rec) and rec.is_working:
            self._records[key] = rec
        self._sync()

    def _movable(self, rec: OrderRecord) -> bool:
        return self.commands is not None and (self.client_id is None or rec.client_id == self.client_id)

    def _sync(self) -> None:
        wanted: dict[tuple[int, str], tuple[OrderRecord, float]] = {}
        for r in self._records.values():
            for field, price in order_prices(r):
                wanted[(r.client_id * 10**9 + r.order_id, field)] = (r, price)
        for key in list(self.lines):
            if key not in wanted:
                line = self.lines.pop(key)
                self.plot.removeItem(line)
                self.plot.removeItem(line.cancel_button)
                self.tags.remove(key)
        for key, (rec, price) in wanted.items():
            line = self.lines.get(key)
            if line is None:
                line = OrderLine(rec, key[1], price, self._movable(rec), self.decimals)
                line.on_drop = self.drop
                line.on_cancel = self.cancel
                line.sigPositionChanged.connect(lambda _l, k=key: self._tag(k))
                self.lines[key] = line
                self.plot.addItem(line, ignoreBounds=True)
                self.plot.addItem(line.cancel_button, ignoreBounds=True)
            else:
                line.decimals = self.decimals
                line.setMovable(self._movable(rec) and line not in self._held)
                if line not in self._held:          # keeps the dropped price while asking
                    line.set_record(rec)
            self._tag(key)
        self._place_buttons()
        self.linesChanged.emit()

    def _tag(self, key) -> None:
        """The line's price tag on the axis (follows a drag; the label's text as tooltip)."""
        line = self.lines.get(key)
        if line is not None:
            price = float(line.value())
            self.tags.set(key, price, f"{price:.{self.decimals}f}", line.color, TAG_TEXT,
                          tooltip=line.label_text(price))

    def _place_buttons(self, *_args) -> None:
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        for line in self.lines.values():
            line.cancel_button.setPos(x0, line.value())
            line.cancel_button.setVisible(self._movable(line.record))

    def line_for(self, order_id: int, field: str | None = None) -> OrderLine | None:
        """This client's line of ``order_id`` (the given field, or the first)."""
        for (_k, f), line in self.lines.items():
            if line.order_id == order_id and (field is None or f == field) and \
                    (self.client_id is None or line.record.client_id == self.client_id):
                return line
        return None

    # ---- gestures -> commands ----------------------------------------------------------
    def drop(self, line: OrderLine) -> asyncio.Task | None:
        """A finished drag: ONE ``ModifyOrder`` at the dropped price rounded to the tick.

        Without order commands, on a bad price or on the same tick the line snaps back
        at once and None is returned. Otherwise the line stays at the rounded price and
        is held (not draggable) while a task (returned, and kept as ``sending``) asks,
        journals the answer and sends through the command layer as the ticket does
        (:func:`app.ui.confirm.execute_with_override`: a soft risk limit asks "Override?").
        The task's result is True when the command layer accepted the modify; otherwise
        the line snaps back and ``message`` tells why. The Qt loop never blocks.
        """
        rec = line.record
        if self.commands is None:
            line.snap_back()
            self.message.emit(False, "Cannot modify from the chart: no order commands connected")
            return None
        tick = rec.instrument.min_tick or (self.instrument.min_tick if self.instrument else None)
        try:
            price = round_to_tick(float(line.value()), tick)
        except (TypeError, ValueError) as e:
            line.snap_back()
            self.message.emit(False, f"Cannot modify order {rec.order_id}: {e}")
            return None
        if abs(price - line.order_price) < (tick or 1e-9) / 2:
            line.snap_back()
            return None
        line.setPos(price)
        line.label.setFormat(line.label_text(price))
        cmd = ModifyOrder(rec.order_id, limit_price=price) if line.field == "limit" \
            else ModifyOrder(rec.order_id, stop_price=price)
        text = (f"Modify order {rec.order_id}: {_action_text(rec.action)} {fmt_qty(rec.quantity)} "
                f"{rec.instrument.display_symbol} {_type_text(rec.order_type)}, {line.field} price "
                f"{line.order_price:.{self.decimals}f} → {price:.{self.decimals}f}?")
        return self._start(self._modify(line, cmd, text))

    async def _modify(self, line: OrderLine, cmd: ModifyOrder, text: str) -> bool:
        self._held.add(line)
        line.setMovable(False)
        try:
            result = await self._confirm_and_send(cmd, text, line.record, "modify")
        finally:
            self._held.discard(line)
            line.setMovable(self._movable(line.record))
        if result is None or not result.ok:
            line.snap_back()
            return False
        if result.order is not None:
            self.update_order(result.order)
        return True

    def cancel(self, line: OrderLine) -> asyncio.Task | None:
        """The cancel button: ``CancelOrder`` through the command layer after the same
        confirmation, in a task (returned, kept as ``sending``; result True when accepted)."""
        rec = line.record
        if self.commands is None:
            self.message.emit(False, "Cannot cancel from the chart: no order commands connected")
            return None
        text = (f"Cancel order {rec.order_id}: {_action_text(rec.action)} {fmt_qty(rec.quantity)} "
                f"{rec.instrument.display_symbol} {_type_text(rec.order_type)} ({rec.status})?")
        return self._start(self._cancel(rec, text))

    async def _cancel(self, rec: OrderRecord, text: str) -> bool:
        result = await self._confirm_and_send(CancelOrder(rec.order_id), text, rec, "cancel")
        if result is None or not result.ok:
            return False
        if result.order is not None:
            self.update_order(result.order)
        return True

    def _start(self, coro) -> asyncio.Task:
        self.sending = asyncio.ensure_future(coro)
        return self.sending

    async def _confirm_and_send(self, cmd, text: str, rec: OrderRecord, what: str):
        """Ask (when ``confirm_orders``), journal the answer, execute; the outcome goes to
        ``message``. Returns the ``CommandResult``, or None when nothing was sent."""
        symbol = rec.instrument.display_symbol
        accepted: frozenset[str] = frozenset()
        try:
            if self.confirm_orders:
                failures = soft_warnings(self.commands, cmd)
                text = with_warnings(text, failures)
                ok = bool(await resolve(self.confirm(text)))
                record_confirmation(self.commands, ok, text, symbol)
                if not ok:
                    self.message.emit(False, f"Not sent: {what} of order {rec.order_id} declined")
                    return None
                record_overrides(self.commands, failures, text, symbol, order_id=rec.order_id)
                accepted = frozenset(f.rule for f in failures)
            result = await execute_with_override(self.commands, cmd, self.ask_override,
                                                 symbol=symbol, text=text, accepted=accepted)
        except Exception as e:  # execute never raises for a rejection; anything else is shown
            log.exception("chart %s %r failed", what, cmd)
            self.message.emit(False, f"{what.capitalize()} of order {rec.order_id} failed: {e}")
            return None
        self.message.emit(bool(result.ok), result.message)
        return result
