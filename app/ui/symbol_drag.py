"""Drag a symbol onto any panel to load it: the instrument drag format and a drop target.

The format (:data:`INSTRUMENT_MIME` JSON of the ``Instrument`` fields plus ``text/plain``
display symbols) lives in :mod:`app.viewmodels.instrument_mime`, where the row models
that start drags can read it; it is re-exported here: :func:`instrument_mime`,
:func:`instruments_from_mime`, :func:`symbols_from_text`, :func:`symbols_from_mime`.
:func:`drag_rows_out` makes a table's rows draggable (its model mixes in
``InstrumentDragRows``: the scanner's results, the positions).

:class:`SymbolDropTarget` is an event filter for any widget (a dock, the chart): it makes
the widget accept drops and turns a drop into a signal. Qt hands a drag that a child
ignores to the nearest parent that accepts drops (``QApplication::notify`` walks up from
the widget under the cursor on DragEnter; DragMove and Drop then go to the widget that
accepted it), so one target on a dock covers its children, except children that accept
the drop themselves (a ``QLineEdit`` takes text; the watchlist's table takes instruments
to add them).

Graphics views: a ``QGraphicsView`` accepts drops itself and hands them to its scene.
Over pyqtgraph's views (``PlotWidget``, ``GraphicsLayoutWidget``: the chart) the scene
accepts no drag when no item does, so the drag passes on to the parent: one target on the
chart's container covers its plots (``tests/gui/test_symbol_drag.py`` drops on the
chart's plot viewport). For a view whose scene items do take drags, :meth:`watch` its
``viewport()`` as well; the target then sees the drag first. The target also watches every
``QGraphicsView`` viewport under the widget when it is built, for that reason.

Source: Qt docs "Drag and Drop" and ``QApplication::notify`` (DragEnter goes up the parents
that accept drops until one accepts; that one gets the DragMove and Drop); checked headless
in ``tests/gui/test_symbol_drag.py``.
"""

from __future__ import annotations

import asyncio
import logging

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QGraphicsView, QWidget

from app.domain import Instrument
from app.viewmodels.instrument_mime import (  # noqa: F401 (re-exported)
    INSTRUMENT_MIME, MAX_TEXT_SYMBOLS, add_instruments, instrument_mime, instruments_from_mime,
    symbols_from_mime, symbols_from_text,
)

log = logging.getLogger(__name__)

#: the dynamic property set (True) on the target widget while an acceptable drag is over it,
#: for a style sheet highlight: ``[symbolDropActive="true"] { border: 1px solid ... }``
ACTIVE_PROPERTY = "symbolDropActive"

_DRAG_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove)


def drag_rows_out(view: QAbstractItemView) -> None:
    """Let ``view``'s rows be dragged out (onto a panel, a watchlist, another application)
    and take no drops itself: the model gives the data (``InstrumentDragRows``) and offers
    a copy only, so the row stays."""
    view.setDragEnabled(True)
    view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
    view.setDefaultDropAction(Qt.DropAction.CopyAction)


class SymbolDropTarget(QObject):
    """Accept dragged instruments and symbols on ``widget`` (see the module doc).

    Installed as an event filter on ``widget`` (and on the viewport of every
    ``QGraphicsView`` under it; more with :meth:`watch`); sets ``acceptDrops`` on them and
    lives as long as ``widget`` (its Qt parent). A drag is accepted, always as a copy (the
    source keeps its row), when it carries :data:`INSTRUMENT_MIME` instruments or
    ``text/plain`` that is a list of symbols (:func:`symbols_from_text`). A drop emits
    one of:

    * ``instrumentDropped(Instrument)``: the first dragged instrument (as the source
      knew it: a watchlist row is resolved, a scanner or position row has IB's conId but
      maybe not the tick size; resolve with ``Session.resolve`` before trading on it);
    * ``symbolDropped(str)``: the first symbol of dropped text ("AAPL", "EUR.USD"),
      unresolved: resolve it through the session as the watchlist's "Add" does.

    Several dragged items: the signals carry the first (a panel shows one instrument).

    With a ``session`` (``app.broker.session.Session`` or a fake: ``resolve``), every drop
    is also resolved (IB reqContractDetails, so the tick size, long name and time zone
    are IB's) and then ``instrumentReady(Instrument)`` is emitted, or ``message(str)``
    with the reason ("No security definition for 'XYZ'", "Cannot load AAPL: not
    connected"): connect ``instrumentReady`` to the panel and nothing else is needed.
    """

    instrumentDropped = Signal(object)
    symbolDropped = Signal(str)
    #: a dropped instrument or symbol, resolved through the session (only with ``session``)
    instrumentReady = Signal(object)
    #: why a drop could not be resolved (only with ``session``)
    message = Signal(str)

    def __init__(self, widget: QWidget, session=None):
        super().__init__(widget)
        self.widget = widget
        self.session = session
        #: the resolve tasks of drops still being looked up (tests await them)
        self.pending: set[asyncio.Future] = set()
        self._watched: list[QWidget] = []
        self.watch(widget)
        for view in widget.findChildren(QGraphicsView):
            self.watch(view.viewport())

    def watch(self, widget: QWidget) -> None:
        """Take drags on ``widget`` too (e.g. a graphics view's ``viewport()`` whose scene
        items accept drags): sets ``acceptDrops`` and installs this filter. Idempotent."""
        if widget in self._watched:
            return
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)
        self._watched.append(widget)

    @staticmethod
    def accepts(mime) -> bool:
        """True when ``mime`` carries instruments or a symbol list as text."""
        return bool(instruments_from_mime(mime) or symbols_from_mime(mime))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        t = event.type()
        if t in _DRAG_EVENTS or t == QEvent.Type.Drop:
            if not self.accepts(event.mimeData()):
                return False                    # not ours: the widget (or its parent) decides
            event.setDropAction(Qt.DropAction.CopyAction)   # a copy: the source keeps its row
            event.accept()
            if t == QEvent.Type.Drop:
                self._set_active(False)
                self.drop(event.mimeData())
            else:
                self._set_active(True)
            return True
        if t == QEvent.Type.DragLeave:
            self._set_active(False)
        return False

    def drop(self, mime) -> bool:
        """Emit the signal for ``mime`` (what a Drop does); False when it holds nothing."""
        instruments = instruments_from_mime(mime)
        if instruments:
            item: Instrument | str = instruments[0]
            self.instrumentDropped.emit(item)
        else:
            symbols = symbols_from_mime(mime)
            if not symbols:
                return False
            item = symbols[0]
            self.symbolDropped.emit(item)
        if self.session is not None:
            task = asyncio.ensure_future(self._resolve(item))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
        return True

    async def _resolve(self, item: Instrument | str) -> Instrument | None:
        """``Session.resolve`` the dropped ``item`` and emit ``instrumentReady`` or ``message``."""
        name = item.display_symbol if isinstance(item, Instrument) else item
        try:
            inst = await self.session.resolve(item)
        except LookupError:       # app.broker.errors.UnknownSymbolError (IB error 200)
            self._tell(f"No security definition for '{name}'")
            return None
        except (ValueError, ConnectionError) as e:   # NotConnectedError is a ConnectionError
            self._tell(f"Cannot load {name}: {e}")
            return None
        except Exception as e:    # noqa: BLE001 - shown to the user, never lost
            log.exception("resolving dropped %s failed", name)
            self._tell(f"Cannot load {name}: {e}")
            return None
        if shiboken6.isValid(self):
            self.instrumentReady.emit(inst)
        return inst

    def _tell(self, text: str) -> None:
        if shiboken6.isValid(self):
            self.message.emit(text)

    def _set_active(self, on: bool) -> None:
        w = self.widget
        if bool(w.property(ACTIVE_PROPERTY)) != on:
            w.setProperty(ACTIVE_PROPERTY, on)
            w.style().unpolish(w)               # a style sheet on the property repaints
            w.style().polish(w)


__all__ = ["ACTIVE_PROPERTY", "INSTRUMENT_MIME", "MAX_TEXT_SYMBOLS", "Instrument", "SymbolDropTarget",
           "add_instruments", "drag_rows_out", "instrument_mime", "instruments_from_mime", "symbols_from_mime",
           "symbols_from_text"]
