"""A panel's own symbol field: type (with IB's symbol search), Enter resolves, the panel loads it.

:class:`SymbolField` is a ``QLineEdit`` with ``app.ui.symbol_search`` attached. Enter (or a
picked match) resolves the text through ``Session.resolve`` (IB reqContractDetails) and emits
``instrumentChosen(Instrument)``; bad or unknown text emits ``failed(message)`` with the
gateway's reason and leaves the panel on its symbol. :meth:`SymbolField.show_instrument`
shows the panel's symbol when it changes from outside (not while the trader is typing).
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from app.domain import Instrument
from app.ui.symbol_search import attach_symbol_search

log = logging.getLogger(__name__)


class SymbolField(QLineEdit):
    """Symbol entry over ``session`` (``resolve`` and ``matching_symbols``). Signals:
    ``instrumentChosen(Instrument)`` (resolved, con_id set), ``failed(str)`` (why not)."""

    instrumentChosen = Signal(object)
    failed = Signal(str)

    def __init__(self, session, parent: QWidget | None = None, *, width_chars: int = 9):
        super().__init__(parent)
        self.session = session
        self.setPlaceholderText("Symbol")
        self.setToolTip("Type a symbol (AAPL, EUR.USD) and press Enter")
        self.setMaximumWidth(self.fontMetrics().horizontalAdvance("W") * width_chars)
        self.completer_popup = attach_symbol_search(self, session)
        self.returnPressed.connect(self._entered)
        self._shown = ""
        self.resolving: asyncio.Future | None = None

    def show_instrument(self, instrument: Instrument | None) -> None:
        """Show ``instrument``'s display symbol (name as tooltip), unless the trader is typing
        in the field (``isModified``)."""
        self._shown = instrument.display_symbol if instrument is not None else ""
        if not (self.hasFocus() and self.isModified()):
            self.setText(self._shown)
        self.setToolTip(instrument.long_name if instrument is not None and instrument.long_name
                        else "Type a symbol (AAPL, EUR.USD) and press Enter")

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().focusOutEvent(event)
        if not self.resolving or self.resolving.done():
            self.setText(self._shown)     # a half-typed symbol does not stay as if loaded

    def _entered(self) -> None:
        text = self.text().strip()
        if not text:
            return
        if self.resolving is not None and not self.resolving.done():
            self.resolving.cancel()
        self.resolving = asyncio.ensure_future(self.resolve_text(text))

    async def resolve_text(self, text: str) -> Instrument | None:
        """Resolve ``text`` and emit ``instrumentChosen``; on failure emit ``failed`` with the
        reason (malformed text, IB error 200, not connected). Returns the instrument or None."""
        try:
            inst = Instrument.parse(text)
        except ValueError as e:
            self.failed.emit(str(e))
            return None
        if not getattr(self.session, "is_connected", False):
            self.failed.emit(f"Cannot look up {inst.display_symbol}: not connected")
            return None
        try:
            resolved = await self.session.resolve(inst)
        except LookupError as e:
            self.failed.emit(str(e) or f"No security definition for '{inst.display_symbol}'")
            return None
        except (ConnectionError, ValueError) as e:
            self.failed.emit(f"Cannot look up {inst.display_symbol}: {e}")
            return None
        self._shown = resolved.display_symbol
        self.setText(self._shown)
        self.instrumentChosen.emit(resolved)
        return resolved
