"""The drag-and-drop format of an instrument: what a panel's row carries when it is dragged.

A drag of one or several instruments (a watchlist, scanner or position row) carries two
formats in one ``QMimeData``:

* :data:`INSTRUMENT_MIME` (``application/x-ibdesk-instrument``): UTF-8 JSON, a list of
  objects with the :class:`~app.domain.Instrument` fields under their Python names
  (``symbol``, ``sec_type``, ``exchange``, ``currency``, ``primary_exchange``, ``con_id``,
  ``min_tick``, ``local_symbol``, ``long_name``, ``time_zone``; IB's Contract /
  ContractDetails fields), e.g.
  ``[{"symbol": "AAPL", "sec_type": "STK", "con_id": 265598, ...}]``;
* ``text/plain``: the display symbols ("AAPL", "EUR.USD"), one per line, so a drop into
  any text field or another application types the symbol.

:func:`instruments_from_mime` reads the first format back (all or nothing: malformed JSON
or a malformed entry gives ``[]``); :func:`symbols_from_text` reads symbols typed or
dropped as text ("AAPL", "EUR.USD", "AAPL, MSFT"; anything that is not a short list of
symbols gives ``[]``). Both are pure and used by the view-models' ``mimeData`` /
``dropMimeData`` and by :class:`app.ui.symbol_drag.SymbolDropTarget`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, fields
from typing import Iterable

from PySide6.QtCore import QMimeData, Qt

from app.domain import Instrument

log = logging.getLogger(__name__)

#: the MIME type of a dragged instrument list (UTF-8 JSON, see the module doc)
INSTRUMENT_MIME = "application/x-ibdesk-instrument"
#: the most symbols a plain-text drop may hold (more is prose or a file, not a symbol list)
MAX_TEXT_SYMBOLS = 50

_FIELDS = {f.name: f.type for f in fields(Instrument)}
_INT_FIELDS = ("con_id",)
_FLOAT_FIELDS = ("min_tick", "multiplier")          # numbers > 0
_NONNEG_FIELDS = ("strike",)                         # a number >= 0 (0: not an option)
_SEPARATORS = re.compile(r"[\s,;]+")


def instrument_mime(instruments: Instrument | Iterable[Instrument]) -> QMimeData:
    """A ``QMimeData`` carrying ``instruments`` (one ``Instrument`` or several, in order) as
    :data:`INSTRUMENT_MIME` JSON and their display symbols as ``text/plain`` (one per
    line). An empty list gives an empty ``QMimeData`` (no formats). ``TypeError`` for an
    item that is not an ``Instrument``."""
    items = [instruments] if isinstance(instruments, Instrument) else list(instruments)
    for i in items:
        if not isinstance(i, Instrument):
            raise TypeError(f"instrument_mime takes Instruments, not {type(i).__name__}")
    data = QMimeData()
    if items:
        add_instruments(data, items)
    return data


def add_instruments(data: QMimeData, instruments: list[Instrument]) -> None:
    """Set the two formats of :func:`instrument_mime` on an existing ``data`` (a model's
    ``mimeData`` that carries its own formats as well)."""
    payload = json.dumps([asdict(i) for i in instruments], separators=(",", ":"))
    data.setData(INSTRUMENT_MIME, payload.encode("utf-8"))
    data.setText("\n".join(i.display_symbol for i in instruments))


def _instrument(obj) -> Instrument:
    if not isinstance(obj, dict):
        raise ValueError(f"an instrument is a JSON object, not {type(obj).__name__}")
    kw = {}
    for name, value in obj.items():
        if name not in _FIELDS:
            continue                       # a newer version's field: ignored
        if name in _INT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
        elif name in _FLOAT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a number > 0, not {value!r}")
            value = float(value)
        elif name in _NONNEG_FIELDS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"{name} must be a number >= 0, not {value!r}")
            value = float(value)
        elif not isinstance(value, str):
            raise ValueError(f"{name} must be text, not {value!r}")
        kw[name] = value
    if not kw.get("symbol", "").strip():
        raise ValueError("an instrument needs a symbol")
    return Instrument(**kw)


def instruments_from_mime(mime: QMimeData | None) -> list[Instrument]:
    """The instruments of an :data:`INSTRUMENT_MIME` payload in ``mime``, in order; ``[]``
    when ``mime`` is None, lacks the format, or holds anything but a non-empty JSON list of
    instrument objects (bad UTF-8 or JSON, a missing symbol, a field of the wrong type:
    logged, never raised). Unknown keys are ignored."""
    if mime is None or not mime.hasFormat(INSTRUMENT_MIME):
        return []
    try:
        items = json.loads(bytes(mime.data(INSTRUMENT_MIME)).decode("utf-8"))
        if not isinstance(items, list):
            raise ValueError(f"a list of instruments, not {type(items).__name__}")
        return [_instrument(obj) for obj in items]
    except (UnicodeDecodeError, ValueError, TypeError) as e:   # JSONDecodeError is a ValueError
        log.warning("dropped instrument data ignored: %s", e)
        return []


def symbols_from_text(text: str | None) -> list[str]:
    """Display symbols in dropped or pasted text: "AAPL" -> ["AAPL"], "eur.usd" ->
    ["EUR.USD"], "AAPL, MSFT" or one per line -> both (commas, semicolons, blanks and line
    breaks separate; duplicates kept once, in order). ``[]`` when any part is not a symbol
    (``Instrument.parse`` refuses it) or there are more than :data:`MAX_TEXT_SYMBOLS`:
    text that is not a symbol list is not guessed at."""
    parts = [p for p in _SEPARATORS.split(text or "") if p]
    if not parts or len(parts) > MAX_TEXT_SYMBOLS:
        return []
    out: list[str] = []
    for p in parts:
        try:
            sym = Instrument.parse(p).display_symbol
        except ValueError:
            return []
        if sym not in out:
            out.append(sym)
    return out


def symbols_from_mime(mime: QMimeData | None) -> list[str]:
    """:func:`symbols_from_text` of the ``text/plain`` in ``mime`` (``[]`` without text)."""
    if mime is None or not mime.hasText():
        return []
    return symbols_from_text(mime.text())


class InstrumentDragRows:
    """Mixin for a ``RecordTableModel`` whose rows are instruments (watchlist, scanner,
    positions): a row is drag-enabled and drags out as its instrument
    (:func:`instrument_mime`; several selected rows: several instruments, in row order).
    The drag is only ever a copy (``supportedDragActions``), so a view never removes the
    source row, whatever the drop target or application answers.

    The model implements :meth:`drag_instrument`; put the mixin first in the bases."""

    def drag_instrument(self, row: int) -> Instrument | None:
        """The instrument of row ``row`` (None: the row does not drag)."""
        raise NotImplementedError

    def flags(self, index):  # noqa: D102 (Qt override)
        f = super().flags(index)
        if index.isValid():
            f |= Qt.ItemFlag.ItemIsDragEnabled
        return f

    def supportedDragActions(self):  # noqa: N802, D102 (Qt override)
        return Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:  # noqa: N802, D102 (Qt override)
        return [INSTRUMENT_MIME, "text/plain"]

    def drag_rows(self, indexes) -> list[int]:
        """The distinct valid rows of ``indexes`` in order."""
        return sorted({i.row() for i in indexes if i.isValid() and 0 <= i.row() < self.rowCount()})

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802 (Qt override)
        """The instruments of the dragged rows (:func:`instrument_mime`)."""
        rows = self.drag_rows(indexes)
        return instrument_mime([i for i in map(self.drag_instrument, rows) if i is not None])
