"""View-model of the live candlestick chart: history load, live bars, Qt signals.

``ChartViewModel`` asks the session for the history of one instrument at one
bar size with ``keep_up_to_date=True`` (IB ``reqHistoricalData`` with
``keepUpToDate``; ib_async ``IB.reqHistoricalDataAsync``), keeps the bars in
numpy arrays and applies the session's ``barEvent(sub_id, bar, new_bar)`` live
updates. Arrays: ``times`` int64 epoch seconds UTC (bar start), ``opens``,
``highs``, ``lows``, ``closes`` float64 in instrument currency, ``volumes``
float64 shares (FX: 0 or -1 when IB sends none). Appends are amortised
(capacity doubling), never a DataFrame concat per tick.

Live updates are coalesced: the arrays change at once, the signals
``lastBarChanged``/``barAppended`` are emitted at most once per ~33 ms frame
(about 30 Hz), so a burst of ticks costs one redraw.

Staleness: when the session's data goes stale (``staleEvent`` True, a lost or
closed connection) the bars shown are marked stale (``stale``,
``staleChanged(True)``, :meth:`ChartViewModel.stale_text` "Stale: Connection lost
(12 s)"); they are live again on the next bar update (or a new history load)
after the data is live again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, QTimer, Signal

from app.domain.bars import BAR_SIZES, Bar, has_volume, keeps_up_to_date, what_to_show
from app.domain.connection import ConnectionState
from app.domain.instruments import Instrument
from app.viewmodels.staleness import StaleWatch, fmt_age

log = logging.getLogger(__name__)

#: coalescing interval of live-bar signals in milliseconds (~30 Hz)
FRAME_MS = 33
#: rows copied per step of :meth:`BarArrays.load_steps` (the event loop runs between steps)
LOAD_SLICE = 100_000
#: initial capacity of the bar arrays
_MIN_CAPACITY = 256
#: ticks per second of numpy datetime units
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def bar_epoch_seconds(t: datetime | date | pd.Timestamp) -> int:
    """Epoch seconds (UTC) of a bar time.

    A naive ``datetime`` is taken as UTC (the session delivers UTC); a ``date``
    (IB daily bars, ib_async ``BarData.date``) is its midnight UTC.
    Raises ``TypeError`` for anything else.
    """
    if isinstance(t, datetime):  # includes pd.Timestamp
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        return int(t.timestamp())
    if isinstance(t, date):
        return int(datetime(t.year, t.month, t.day, tzinfo=timezone.utc).timestamp())
    raise TypeError(f"bar time must be a datetime or date, got {type(t).__name__}")


def _epoch_seconds(time: pd.Series) -> np.ndarray:
    """int64 epoch seconds UTC of a bar table's ``time`` column (tz-aware: converted to UTC;
    naive: taken as UTC). A tz-aware column (``Session.history`` gives ``datetime64[ns, UTC]``)
    is read from its int64 UTC values without a pandas conversion."""
    if isinstance(time.dtype, pd.DatetimeTZDtype):
        return time.array.asi8 // _PER_SECOND[time.dtype.unit]
    t = pd.to_datetime(time)
    t = t.dt.tz_localize("UTC") if t.dt.tz is None else t.dt.tz_convert("UTC")
    return t.dt.as_unit("s").astype("int64").to_numpy()


class BarArrays:
    """Growable OHLCV columns (numpy) with amortised O(1) append.

    ``times`` int64 epoch seconds UTC; the other columns float64. The
    properties return views of the first ``len(self)`` rows; a view is
    invalidated by the next append that grows the capacity, so fetch them again
    after ``barAppended``.
    """

    _COLUMNS = ("open", "high", "low", "close", "volume")

    def __init__(self, capacity: int = _MIN_CAPACITY):
        self._n = 0
        self._t = np.empty(capacity, dtype=np.int64)
        self._f = np.empty((5, capacity), dtype=np.float64)

    def __len__(self) -> int:
        return self._n

    @property
    def capacity(self) -> int:
        return int(self._t.shape[0])

    @property
    def times(self) -> np.ndarray:
        return self._t[: self._n]

    @property
    def opens(self) -> np.ndarray:
        return self._f[0, : self._n]

    @property
    def highs(self) -> np.ndarray:
        return self._f[1, : self._n]

    @property
    def lows(self) -> np.ndarray:
        return self._f[2, : self._n]

    @property
    def closes(self) -> np.ndarray:
        return self._f[3, : self._n]

    @property
    def volumes(self) -> np.ndarray:
        return self._f[4, : self._n]

    def clear(self) -> None:
        self._n = 0

    def frame(self, drop_last: bool = False) -> pd.DataFrame:
        """A copy as a bar table: ``time`` (UTC, tz-aware), open, high, low, close, volume;
        ``drop_last`` leaves out the last bar (the one still forming on a live chart)."""
        n = self._n - 1 if drop_last and self._n else self._n
        return pd.DataFrame({"time": pd.to_datetime(self._t[:n].copy(), unit="s", utc=True),
                             **{c: self._f[i, :n].copy() for i, c in enumerate(self._COLUMNS)}})

    def load(self, frame: pd.DataFrame) -> None:
        """Replace the content with a bar table (``app.domain.bars`` columns) in one go;
        see :meth:`load_steps`."""
        for _ in self.load_steps(frame):
            pass

    def load_steps(self, frame: pd.DataFrame, rows: int | None = None):
        """Replace the content with a bar table, ``rows`` rows (default :data:`LOAD_SLICE`) per
        step: a generator to drive to its end, the caller may let the event loop run between
        steps (1M bars: copying and first touching 48 MB costs ~150 ms; ~15 ms per step).
        Until it ends the object is partly filled: load into a new one and swap.

        ``time`` may be tz-aware (converted to UTC) or naive (taken as UTC).
        Rows are sorted by time. Raises ``ValueError`` naming missing columns (at the first
        step). The columns are copied once into this object's arrays (room for ``len/8``
        live bars, then doubling); nothing keeps a reference to ``frame``, so the caller's
        table can be dropped: the bars are then held once.
        """
        missing = [c for c in ("time", *self._COLUMNS) if c not in frame.columns]
        if missing:
            raise ValueError(f"bar table lacks column(s) {', '.join(missing)}")
        rows = LOAD_SLICE if rows is None else max(1, int(rows))
        secs = _epoch_seconds(frame["time"])
        n = secs.shape[0]
        order = None
        if n > 1 and bool((secs[1:] < secs[:-1]).any()):
            order = np.argsort(secs, kind="stable")
        cols = [frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in self._COLUMNS]
        if order is not None:
            secs, cols = secs[order], [c[order] for c in cols]
        cap = n + max(_MIN_CAPACITY, n // 8)  # room for live bars before the first reallocation
        self._t = np.empty(cap, dtype=np.int64)
        self._f = np.empty((5, cap), dtype=np.float64)
        self._n = 0
        for i in range(0, n, rows):
            yield
            j = min(n, i + rows)
            self._t[i:j] = secs[i:j]
            for k, col in enumerate(cols):
                self._f[k, i:j] = col[i:j]
        self._n = n

    def prepend(self, frame: pd.DataFrame) -> int:
        """Insert the bars of ``frame`` that are older than the first bar (older history
        loaded on demand); returns how many were added. Same table rules as :meth:`load`."""
        older = BarArrays()
        older.load(frame)
        if self._n:
            keep = older.times < self._t[0]
            k = int(keep.sum())
        else:
            keep, k = np.ones(len(older), dtype=bool), len(older)
        if k == 0:
            return 0
        n = self._n + k
        t_new = np.empty(max(_MIN_CAPACITY, 2 * n), dtype=np.int64)
        f_new = np.empty((5, t_new.shape[0]), dtype=np.float64)
        t_new[:k] = older.times[keep]
        f_new[:, :k] = older._f[:, : len(older)][:, keep]
        t_new[k:n] = self._t[: self._n]
        f_new[:, k:n] = self._f[:, : self._n]
        self._t, self._f, self._n = t_new, f_new, n
        return k

    def append(self, t: int, o: float, h: float, lo: float, c: float, v: float) -> None:
        """Add a bar at the end, doubling the capacity when full."""
        if self._n == self.capacity:
            cap = max(_MIN_CAPACITY, self.capacity * 2)
            t_new = np.empty(cap, dtype=np.int64)
            f_new = np.empty((5, cap), dtype=np.float64)
            t_new[: self._n] = self._t[: self._n]
            f_new[:, : self._n] = self._f[:, : self._n]
            self._t, self._f = t_new, f_new
        i = self._n
        self._t[i] = t
        self._f[:, i] = (o, h, lo, c, v)
        self._n += 1

    def set_last(self, o: float, h: float, lo: float, c: float, v: float) -> None:
        """Overwrite the values of the last bar (its time stays). Raises ``IndexError`` when empty."""
        if self._n == 0:
            raise IndexError("no bar to update")
        self._f[:, self._n - 1] = (o, h, lo, c, v)

    def row(self, i: int) -> tuple[int, float, float, float, float, float]:
        """``(time, open, high, low, close, volume)`` of bar ``i`` (negative counts from the end)."""
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"bar {i} out of range 0..{self._n - 1}")
        return (int(self._t[i]), *(float(x) for x in self._f[:, i]))


class ChartViewModel(QObject):
    """Bars of the selected instrument and bar size, kept live from the session.

    ``session`` is an ``app.broker.session.Session`` (or a fake with the same
    ``history``, ``cancel_history`` and ``barEvent``). Select with
    :meth:`set_instrument` / :meth:`set_bar_size`; each change cancels the
    previous subscription (``session.cancel_history(sub_id)``) and starts a
    new load with ``asyncio.ensure_future`` (needs a running asyncio loop,
    qasync in the app). A load that finishes after the selection changed is
    discarded and its subscription cancelled. Load errors (``HistoryError``
    with IB's text, ``ConnectionError``...) are shown through ``errorChanged``,
    never lost.

    On ``stateEvent`` LOST/DISCONNECTED/RECONNECTING the subscription is
    dropped (LOST is shown as an error, the bars stay visible); on CONNECTED the
    selection is loaded again. ``staleness`` (a
    :class:`~app.viewmodels.staleness.StaleWatch`, ``clock`` injectable) decides
    when the bars shown are ``stale``.

    Signals: ``barsReset()`` (new history), ``lastBarChanged()`` (the live
    bar's values changed), ``barAppended()`` (one or more bars added; also
    implies the last bar changed), ``loadingChanged(bool)``,
    ``errorChanged(str)`` ("" = no error), ``selectionChanged()`` (instrument
    or bar size), ``barsPrepended(int count)`` (older bars inserted before
    index 0 by :meth:`load_older`; every index shifts by ``count``),
    ``olderLoadingChanged(bool)``, ``connectedChanged(bool)`` (see ``connected``).
    """

    barsReset = Signal()
    lastBarChanged = Signal()
    barAppended = Signal()
    loadingChanged = Signal(bool)
    errorChanged = Signal(str)
    selectionChanged = Signal()
    barsPrepended = Signal(int)
    olderLoadingChanged = Signal(bool)
    staleChanged = Signal(bool)
    connectedChanged = Signal(bool)

    def __init__(self, session, parent: QObject | None = None, *, bar_size: str = "5 mins",
                 frame_ms: int = FRAME_MS, clock=time.monotonic):
        super().__init__(parent)
        if bar_size not in BAR_SIZES:
            raise ValueError(f"unsupported bar size '{bar_size}': use one of {', '.join(BAR_SIZES)}")
        self._session = session
        self._instrument: Instrument | None = None
        self._bar_size = bar_size
        self._bars = BarArrays()
        self._sub_id: int | None = None
        self._generation = 0
        self._loading = False
        self._error = ""
        self._task: asyncio.Future | None = None
        self._pending_append = False
        self._pending_last = False
        self._older_task: asyncio.Future | None = None
        self._no_older = False  # the broker had nothing older than the first bar
        self.updates_applied = 0  #: live bar updates applied (tests, benchmarks)
        self.flushes = 0  #: coalesced signal flushes emitted
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(frame_ms)
        self._timer.timeout.connect(self.flush)
        session.barEvent += self._on_bar
        session.stateEvent += self._on_state
        self._stale = False
        #: the session is connected (the empty chart says "Not connected" otherwise); a session
        #: without ``is_connected`` (a test fake) counts as connected until a state says otherwise
        self._connected = bool(getattr(session, "is_connected", True))
        self.staleness = StaleWatch(session, self, clock=clock)
        self.staleness.changed.connect(self._on_stale)

    # ---- state -------------------------------------------------------------
    @property
    def session(self):
        return self._session

    @property
    def instrument(self) -> Instrument | None:
        return self._instrument

    @property
    def bar_size(self) -> str:
        return self._bar_size

    @property
    def connected(self) -> bool:
        """True while the session is connected (``stateEvent`` CONNECTED)."""
        return self._connected

    @property
    def what_to_show(self) -> str:
        """The history's IB ``whatToShow``: "MIDPOINT" for FX, else "TRADES"
        (``app.domain.bars.what_to_show``); "" without an instrument."""
        return what_to_show(self._instrument.sec_type) if self._instrument is not None else ""

    @property
    def has_volume(self) -> bool:
        """False for bars without volume (MIDPOINT: IB sends -1 in the history, and the live
        bar's volume is ignored so it cannot dwarf the history); True otherwise."""
        return self._instrument is None or has_volume(self.what_to_show)

    @property
    def bars(self) -> BarArrays:
        """The bar columns (see :class:`BarArrays`)."""
        return self._bars

    @property
    def count(self) -> int:
        return len(self._bars)

    @property
    def sub_id(self) -> int | None:
        """The session's history subscription id, None when none is active."""
        return self._sub_id

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def error(self) -> str:
        return self._error

    @property
    def is_ready(self) -> bool:
        """True once bars of the current selection are loaded."""
        return self._instrument is not None and not self._loading and self.count > 0

    @property
    def stale(self) -> bool:
        """True while the bars shown may be out of date (until a bar update after the link is live)."""
        return self._stale

    def stale_text(self) -> str:
        """"Stale: Connection lost (12 s)" while stale; "Stale: not updated since the
        connection came back" after it until the next bar; "" when live."""
        if not self._stale:
            return ""
        watch = self.staleness
        if watch.stale:
            return f"Stale: {watch.reason or 'data may be out of date'} ({fmt_age(watch.age())})"
        return "Stale: not updated since the connection came back"

    def _on_stale(self, stale: bool) -> None:
        if stale and self.count and not self._stale:
            self._set_stale(True)

    def _set_stale(self, stale: bool) -> None:
        if stale != self._stale:
            self._stale = stale
            self.staleChanged.emit(stale)

    def _fresh(self) -> None:
        """New bar data arrived: live again unless the data is still stale."""
        if self._stale and not self.staleness.stale:
            self._set_stale(False)

    @property
    def last_price(self) -> float | None:
        """Close of the last bar (instrument currency), None without bars."""
        return float(self._bars.closes[-1]) if self.count else None

    # ---- selection -----------------------------------------------------------
    def set_instrument(self, instrument: Instrument) -> None:
        """Show ``instrument``; reloads unless it is already shown at this bar size."""
        if not isinstance(instrument, Instrument):
            raise TypeError(f"expected an Instrument, got {type(instrument).__name__}")
        if instrument == self._instrument and (self._loading or self._sub_id is not None):
            return
        self._instrument = instrument
        self.selectionChanged.emit()
        self.reload()

    def set_bar_size(self, bar_size: str) -> None:
        """Change the bar size (one of ``app.domain.bars.BAR_SIZES``); raises ``ValueError`` otherwise."""
        if bar_size not in BAR_SIZES:
            raise ValueError(f"unsupported bar size '{bar_size}': use one of {', '.join(BAR_SIZES)}")
        if bar_size == self._bar_size:
            return
        self._bar_size = bar_size
        self.selectionChanged.emit()
        if self._instrument is not None:
            self.reload()

    def reload(self) -> None:
        """Cancel the current subscription and load the selection again (e.g. after a reconnect)."""
        if self._instrument is None:
            return
        self._cancel_subscription()
        self._generation += 1
        self._bars.clear()
        self._pending_append = self._pending_last = False
        self._no_older = False
        self._timer.stop()
        self.barsReset.emit()
        self._set_error("")
        self._set_loading(True)
        self._task = asyncio.ensure_future(self._load(self._generation, self._instrument, self._bar_size))
        self._task.add_done_callback(self._load_done)

    def _load_done(self, task: asyncio.Future) -> None:
        """Show an exception that escaped the load coroutine (a bug, never a lost one)."""
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("chart history load failed", exc_info=exc)
            self._set_loading(False)
            self._set_error(f"Chart failed: {type(exc).__name__}: {exc}")

    def shutdown(self) -> None:
        """Cancel the subscription and stop listening to the session (window closing)."""
        self._generation += 1
        self._cancel_subscription()
        self._timer.stop()
        self.staleness.close()
        for event, handler in ((self._session.barEvent, self._on_bar), (self._session.stateEvent, self._on_state)):
            try:
                event -= handler
            except ValueError:
                pass
        self._set_loading(False)

    # ---- loading -------------------------------------------------------------
    async def _load(self, generation: int, instrument: Instrument, bar_size: str) -> None:
        try:
            sub_id, frame = await self._session.history(instrument, bar_size,
                                                        keep_up_to_date=keeps_up_to_date(bar_size))
        except asyncio.CancelledError:
            if generation == self._generation:
                self._set_loading(False)
            raise
        except Exception as e:  # shown, not lost (HistoryError, ConnectionError, ...)
            if generation != self._generation:
                log.info("stale history load of %s %s failed: %s", instrument.display_symbol, bar_size, e)
                return
            log.warning("history of %s %s failed: %s", instrument.display_symbol, bar_size, e)
            self._set_loading(False)
            self._set_error(f"History of {instrument.display_symbol} ({bar_size}) failed: {e}")
            return
        if generation != self._generation:
            # the selection changed while loading: discard and free the subscription
            self._cancel_sub_id(sub_id)
            return
        bars = BarArrays()
        try:
            for _ in bars.load_steps(frame):
                await asyncio.sleep(0)  # a big history: paints and ticks run between the steps
                if generation != self._generation:
                    self._cancel_sub_id(sub_id)
                    return
        except (ValueError, TypeError, KeyError) as e:
            self._cancel_sub_id(sub_id)
            self._set_loading(False)
            self._set_error(f"History of {instrument.display_symbol} ({bar_size}) is malformed: {e}")
            return
        del frame  # the bars are held once, in self._bars, while the view builds on them
        self._bars = bars
        self._sub_id = sub_id
        self._set_loading(False)
        if not keeps_up_to_date(bar_size):
            self._sub_id = None  # no subscription: IB keeps only 5 secs and longer up to date
            self._set_error(f"{bar_size} bars are not updated live: IB keeps bars of 5 secs and longer "
                            "up to date")
        elif not len(self._bars):  # live bars may still come on the subscription
            self._set_error(f"No {bar_size} bars for {instrument.display_symbol} yet")
        self._fresh()
        self.barsReset.emit()

    # ---- older history on demand ---------------------------------------------------
    @property
    def loading_older(self) -> bool:
        """True while :meth:`load_older` waits for the broker."""
        return self._older_task is not None and not self._older_task.done()

    def load_older(self) -> bool:
        """Ask the broker for the bars before the first loaded one (scrolling left).

        One request at a time, ``session.history(..., keep_up_to_date=False,
        end=<first bar time UTC>)`` with the bar size's default duration (IB
        reqHistoricalData endDateTime). Returns False when nothing was started
        (no bars, loading, already loading, or the broker had nothing older).
        Errors are shown through ``errorChanged``.
        """
        if self._instrument is None or self._loading or self.loading_older or self._no_older or not self.count:
            return False
        end = datetime.fromtimestamp(int(self._bars.times[0]), tz=timezone.utc)
        self._older_task = asyncio.ensure_future(
            self._load_older(self._generation, self._instrument, self._bar_size, end))
        self._older_task.add_done_callback(self._older_done)
        self.olderLoadingChanged.emit(True)
        return True

    def _older_done(self, task: asyncio.Future) -> None:
        self.olderLoadingChanged.emit(False)
        if not task.cancelled() and task.exception() is not None:
            log.error("loading older bars failed", exc_info=task.exception())
            self._set_error(f"Older bars failed: {type(task.exception()).__name__}: {task.exception()}")

    async def _load_older(self, generation: int, instrument: Instrument, bar_size: str, end: datetime) -> None:
        try:
            _sub, frame = await self._session.history(instrument, bar_size, keep_up_to_date=False, end=end)
        except Exception as e:  # shown, not lost
            if generation == self._generation:
                self._set_error(f"Older {bar_size} bars of {instrument.display_symbol} failed: {e}")
            return
        if generation != self._generation:
            return
        try:
            added = self._bars.prepend(frame)
        except (ValueError, TypeError, KeyError) as e:
            self._set_error(f"Older {bar_size} bars of {instrument.display_symbol} are malformed: {e}")
            return
        if added == 0:
            self._no_older = True
            return
        self.barsPrepended.emit(added)

    def _cancel_subscription(self) -> None:
        if self._sub_id is not None:
            sub, self._sub_id = self._sub_id, None
            self._cancel_sub_id(sub)

    def _cancel_sub_id(self, sub_id: int) -> None:
        try:
            self._session.cancel_history(sub_id)
        except Exception as e:  # a lost connection must not break the selection change
            log.warning("cancel_history(%s) failed: %s", sub_id, e)

    def _set_loading(self, value: bool) -> None:
        if value != self._loading:
            self._loading = value
            self.loadingChanged.emit(value)

    def _set_error(self, text: str) -> None:
        if text != self._error:
            self._error = text
            self.errorChanged.emit(text)

    def _on_state(self, state: ConnectionState, message: str = "") -> None:
        """A lost link ends the subscription (shown); the next CONNECTED reloads the chart."""
        connected = state is ConnectionState.CONNECTED
        if connected != self._connected:
            self._connected = connected
            self.connectedChanged.emit(connected)
        if state in (ConnectionState.LOST, ConnectionState.DISCONNECTED, ConnectionState.RECONNECTING):
            if self._sub_id is not None or self._loading:
                self._generation += 1  # a load in flight cannot finish usefully
                self._cancel_subscription()
                self._set_loading(False)
                if state is ConnectionState.LOST:
                    self._set_error("Connection lost: the chart is not live")
        elif state is ConnectionState.CONNECTED:
            if self._instrument is not None and self._sub_id is None and not self._loading:
                self.reload()

    # ---- live bars -------------------------------------------------------------
    def _on_bar(self, sub_id: int, bar: Bar, new_bar: bool) -> None:
        """Apply ``barEvent``: same start time -> update in place; later -> append.

        ``new_bar`` (the session's hint) is not needed to decide: the bar start
        time is. A bar older than the last one is ignored (late duplicate).
        """
        if sub_id != self._sub_id or self._sub_id is None:
            return
        try:
            t = bar_epoch_seconds(bar.time)
            values = (float(bar.open), float(bar.high), float(bar.low), float(bar.close),
                      float(bar.volume) if self.has_volume else -1.0)  # MIDPOINT: no volume
        except (TypeError, ValueError, AttributeError) as e:
            log.warning("ignored malformed live bar %r: %s", bar, e)
            return
        n = self.count
        last_t = int(self._bars.times[-1]) if n else None
        if last_t is None or t > last_t:
            self._bars.append(t, *values)
            self._pending_append = True
            if last_t is None:
                self._set_error("")  # the "no bars yet" notice is obsolete
        elif t == last_t:
            self._bars.set_last(*values)
            self._pending_last = True
        else:
            log.debug("ignored live bar at %s older than the last bar %s", t, last_t)
            return
        self.updates_applied += 1
        self._fresh()
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Emit the pending coalesced signals now (normally called by the frame timer)."""
        self._timer.stop()
        appended, changed = self._pending_append, self._pending_last
        self._pending_append = self._pending_last = False
        if not (appended or changed):
            return
        self.flushes += 1
        if appended:
            self.barAppended.emit()
        else:
            self.lastBarChanged.emit()
