"""The time & sales view-model: the latest trades of one instrument, newest first.

Fed by ``Session.tradePrintEvent`` (tick-by-tick "AllLast", ``app.broker.session_ticks``)
for the instrument set with :meth:`TimeSalesModel.set_instrument`; the model also
follows that instrument's quotes (``Session.subscribe_quotes`` / ``quotesEvent``) to
classify every print against the bid and ask in force when it arrived
(:func:`classify`, exposed as :data:`SIDE_ROLE`; the widget picks the colours).

* Bounded: at most ``capacity`` prints (default :data:`DEFAULT_CAPACITY`) are kept, in
  ring buffers (``collections.deque(maxlen=...)``): memory does not grow with the tape.
* Coalesced: prints wait in a queue; once per frame (``app.viewmodels.coalesce.DirtyCells``,
  16 ms, frame pacing under load) one ``beginInsertRows`` at the top adds them all and
  one ``beginRemoveRows`` at the bottom drops what fell out of the ring. Never a model
  reset per tick; a reset only on a user action (another instrument, another minimum
  size, resume).
* Filter: :meth:`set_min_size` hides prints smaller than a size (shares); the hidden
  ones are kept, so lowering the minimum shows them again.
* Pause: :meth:`set_paused` keeps collecting but freezes the table; resuming shows the
  latest ``capacity`` prints. :attr:`TimeSalesModel.unseen` counts the prints that came
  in while paused.

Times are UTC in the records and shown by the one clock rule (exchange time with its
zone or local time, :data:`~app.viewmodels.timedisplay.TIME_DISPLAY`), with
milliseconds hidden (IB sends whole seconds). Source: IB API docs "Tick-by-Tick Data";
TWS Time & Sales window.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import Any, NamedTuple

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from app.domain import Instrument, Quote, TradePrint
from app.ui.format import fmt_price, fmt_qty, sort_number, tabular_font
from app.viewmodels.coalesce import FLUSH_INTERVAL_MS, DirtyCells
from app.viewmodels.table import LEFT, RECORD_ROLE, RIGHT, SORT_ROLE, VALUE_ROLE
from app.viewmodels.timedisplay import TIME_DISPLAY, TimeDisplay

#: prints kept by default (TWS's Time & Sales keeps a few thousand lines)
DEFAULT_CAPACITY = 5_000
#: the :class:`PrintSide` of a row (every column)
SIDE_ROLE = Qt.ItemDataRole.UserRole + 8

COLUMNS: tuple[tuple[str, str], ...] = (
    ("time", "Time"), ("price", "Price"), ("size", "Size"), ("exchange", "Exch"),
)
#: the widest text each column normally shows (a view sizes the columns from it)
SAMPLES = {"time": "88:88:88 ET", "price": "8,888.88", "size": "888,888", "exchange": "NASDAQ"}


class PrintSide(enum.Enum):
    """Where a trade printed against the quote in force: the aggressor side as a tape
    reader reads it (at or above the ask: a buyer lifted the offer; at or below the bid:
    a seller hit the bid). ``UNKNOWN`` when there was no two-sided quote."""

    UNKNOWN = "unknown"
    BELOW_BID = "below_bid"
    AT_BID = "at_bid"
    BETWEEN = "between"
    AT_ASK = "at_ask"
    ABOVE_ASK = "above_ask"


def classify(price: float, bid: float | None, ask: float | None, tick: float = 0.0) -> PrintSide:
    """The :class:`PrintSide` of a trade at ``price`` against ``bid`` / ``ask`` (instrument
    currency). Prices within half a ``tick`` (the instrument's minimum tick; 0 = exact,
    up to 1e-9) count as equal. A missing, zero or crossed side gives ``UNKNOWN`` for the
    comparisons that need it: ``classify(10.0, None, 10.0)`` is ``AT_ASK``, not between."""
    tol = max(tick / 2.0, 1e-9)
    have_bid = bid is not None and bid == bid and bid > 0
    have_ask = ask is not None and ask == ask and ask > 0
    if have_bid and have_ask and bid > ask:          # crossed: no trustworthy side
        return PrintSide.UNKNOWN
    if have_ask:
        if abs(price - ask) <= tol:
            return PrintSide.AT_ASK
        if price > ask:
            return PrintSide.ABOVE_ASK
    if have_bid:
        if abs(price - bid) <= tol:
            return PrintSide.AT_BID
        if price < bid:
            return PrintSide.BELOW_BID
    if have_bid and have_ask:
        return PrintSide.BETWEEN
    return PrintSide.UNKNOWN


class PrintRow(NamedTuple):
    """One row: the print and its classification against the quote of its moment."""

    trade: TradePrint
    side: PrintSide


class TimeSalesModel(QAbstractTableModel):
    """The last ``capacity`` trade prints of one instrument, newest in row 0.

    ``session`` provides ``subscribe_trade_prints`` / ``unsubscribe_trade_prints``,
    ``subscribe_quotes`` / ``unsubscribe_quotes``, ``quote(key)``, ``tradePrintEvent``
    and ``quotesEvent`` (``app.broker.session.Session`` or a fake). ``interval_ms``
    is the coalescing interval (default one frame); ``time_display`` the clock rule.
    Roles: ``DisplayRole`` (text), :data:`SIDE_ROLE` (:class:`PrintSide`),
    :data:`RECORD_ROLE` (the ``TradePrint``), :data:`VALUE_ROLE` / :data:`SORT_ROLE`
    (raw value), ``TextAlignmentRole``, ``FontRole`` (tabular digits for numbers),
    ``ToolTipRole`` (UTC time, conditions). Raises ``ValueError`` for ``capacity`` < 1.
    """

    #: the instrument changed (None = none)
    instrumentChanged = Signal(object)
    #: paused or resumed
    pausedChanged = Signal(bool)
    #: the number of prints collected while paused changed
    unseenChanged = Signal(int)

    def __init__(self, session, parent: QObject | None = None, *, capacity: int = DEFAULT_CAPACITY,
                 interval_ms: int = FLUSH_INTERVAL_MS, time_display: TimeDisplay | None = None):
        super().__init__(parent)
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.session = session
        self.capacity = int(capacity)
        self._time = time_display or TIME_DISPLAY
        self._instrument: Instrument | None = None
        self._bid: float | None = None
        self._ask: float | None = None
        self._all: deque[PrintRow] = deque(maxlen=self.capacity)      # every print kept, oldest first
        self._shown: deque[PrintRow] = deque(maxlen=self.capacity)    # the rows, oldest first
        self._queue: deque[PrintRow] = deque(maxlen=self.capacity)    # collected, not shown yet
        self._min_size = 0.0
        self._paused = False
        self._unseen = 0
        self._font = tabular_font()
        self._pulse = DirtyCells(lambda *_: self._flush(), interval_ms=interval_ms, parent=self)
        session.tradePrintEvent += self.on_prints
        session.quotesEvent += self.on_quotes
        self._time.changed.connect(self._retext_times)

    # ------------------------------------------------------------ state

    @property
    def instrument(self) -> Instrument | None:
        return self._instrument

    @property
    def min_size(self) -> float:
        """Prints smaller than this (shares) are hidden; 0 = show all."""
        return self._min_size

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def unseen(self) -> int:
        """Prints collected while paused (shown on resume, up to ``capacity``)."""
        return self._unseen

    @property
    def flushes(self) -> int:
        """How many coalesced insertions the model has made (for tests and benchmarks)."""
        return self._pulse.passes

    def collected(self) -> int:
        """Prints kept (shown or not), at most ``capacity``."""
        return len(self._all)

    def row(self, row: int) -> PrintRow:
        """The row ``row`` (0 = newest shown). ``IndexError`` outside ``0..rowCount()-1``."""
        if not 0 <= row < len(self._shown):
            raise IndexError(row)
        return self._shown[len(self._shown) - 1 - row]

    # ------------------------------------------------------------ user intents

    def set_instrument(self, instrument: Instrument | None) -> None:
        """Follow ``instrument`` (a resolved ``Instrument`` with ``con_id``; None = none):
        the previous one's subscriptions end, the rows are cleared, trades and quotes of
        the new one are subscribed. The same instrument again: no-op."""
        old = self._instrument
        if (old is None and instrument is None) or (
                old is not None and instrument is not None and old.key == instrument.key):
            return
        if old is not None:
            self.session.unsubscribe_trade_prints(old)
            self.session.unsubscribe_quotes(old)
        self._instrument = instrument
        self._bid = self._ask = None
        self.beginResetModel()
        self._all.clear()
        self._shown.clear()
        self._queue.clear()
        self._pulse.clear()
        self.endResetModel()
        self._set_unseen(0)
        if instrument is not None:
            q = self.session.quote(instrument.key)
            if q is not None:
                self._bid, self._ask = q.bid, q.ask
            self.session.subscribe_quotes(instrument)
            self.session.subscribe_trade_prints(instrument)
        self.instrumentChanged.emit(instrument)

    def set_min_size(self, size: float) -> None:
        """Show only prints of at least ``size`` shares (0 or less = all); the rows are
        rebuilt from the kept prints (a reset, a user action, never per tick)."""
        size = max(0.0, float(size))
        if size == self._min_size:
            return
        self._min_size = size
        if not self._paused:
            self._rebuild()

    def set_paused(self, paused: bool) -> None:
        """Freeze the rows (``True``: prints are still collected) or resume (``False``:
        the latest prints are shown at once)."""
        paused = bool(paused)
        if paused == self._paused:
            return
        self._paused = paused
        if not paused:
            self._rebuild()
            self._set_unseen(0)
        self.pausedChanged.emit(paused)

    def close(self) -> None:
        """End the subscriptions and stop listening (the panel is closed)."""
        self.set_instrument(None)
        self.session.tradePrintEvent -= self.on_prints
        self.session.quotesEvent -= self.on_quotes
        try:
            self._time.changed.disconnect(self._retext_times)
        except (RuntimeError, TypeError):
            pass
        self._pulse.clear()

    def flush_now(self) -> None:
        """Show the queued prints now instead of at the next frame."""
        self._pulse.flush_now()

    # ------------------------------------------------------------ session events

    def on_quotes(self, quotes: list[Quote]) -> None:
        """Session ``quotesEvent`` handler: keep the bid and ask of the instrument."""
        inst = self._instrument
        if inst is None:
            return
        for q in quotes:
            if q.key == inst.key:
                self._bid, self._ask = q.bid, q.ask

    def on_prints(self, prints: list[TradePrint]) -> None:
        """Session ``tradePrintEvent`` handler: classify and queue the instrument's prints
        (shown at the next frame unless paused)."""
        inst = self._instrument
        if inst is None:
            return
        key, tick = inst.key, inst.min_tick or 0.0
        n = 0
        for p in prints:
            if p.key != key:
                continue
            r = PrintRow(p, classify(p.price, self._bid, self._ask, tick))
            self._all.append(r)
            n += 1
            if self._paused:
                continue
            if p.size >= self._min_size:
                self._queue.append(r)
        if not n:
            return
        if self._paused:
            self._set_unseen(self._unseen + n)
        elif self._queue:
            self._pulse.mark(0, 0)

    # ------------------------------------------------------------ internals

    def _set_unseen(self, n: int) -> None:
        if n != self._unseen:
            self._unseen = n
            self.unseenChanged.emit(n)

    def _visible(self, r: PrintRow) -> bool:
        return r.trade.size >= self._min_size

    def _rebuild(self) -> None:
        self.beginResetModel()
        self._queue.clear()
        self._pulse.clear()
        self._shown.clear()
        self._shown.extend(r for r in self._all if self._visible(r))
        self.endResetModel()

    def _flush(self) -> None:
        """Insert the queued prints at the top and drop what falls out of the ring."""
        if self._paused or not self._queue:
            self._queue.clear()
            return
        new = list(self._queue)
        self._queue.clear()
        k = len(new)                       # <= capacity: the queue is a ring too
        overflow = min(len(self._shown), len(self._shown) + k - self.capacity)
        if overflow > 0:                   # the oldest rows are the last ones shown
            last = len(self._shown) - 1
            self.beginRemoveRows(QModelIndex(), last - overflow + 1, last)
            for _ in range(overflow):
                self._shown.popleft()
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, k - 1)
        self._shown.extend(new)
        self.endInsertRows()

    def _retext_times(self) -> None:
        if self._shown:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._shown) - 1, 0),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole])
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 0)

    # ------------------------------------------------------------ Qt model

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt)
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 (Qt)
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        name, title = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return title
        if role == Qt.ItemDataRole.ToolTipRole and name == "time":
            return f"Trade time ({self._time.label(self._instrument)}); View → Times"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return LEFT if name in ("time", "exchange") else RIGHT
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        r = self._shown[len(self._shown) - 1 - index.row()]
        name = COLUMNS[index.column()][0]
        p = r.trade
        if role == Qt.ItemDataRole.DisplayRole:
            if name == "time":
                return self._time.text(p.time, self._instrument)
            if name == "price":
                return fmt_price(p.price, self._instrument.min_tick if self._instrument else 0.01)
            if name == "size":
                return fmt_qty(p.size)
            return p.exchange
        if role == SIDE_ROLE:
            return r.side
        if role == RECORD_ROLE:
            return p
        if role in (VALUE_ROLE, SORT_ROLE):
            v = getattr(p, name)
            return sort_number(v) if role == SORT_ROLE and name in ("price", "size") else v
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return LEFT if name in ("time", "exchange") else RIGHT
        if role == Qt.ItemDataRole.FontRole and name in ("price", "size", "time"):
            return self._font
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{p.time.isoformat()} (UTC), {r.side.value.replace('_', ' ')}"
            if p.conditions:
                tip += f"; conditions {p.conditions}"
            if p.unreported:
                tip += "; unreported"
            return tip
        return None
