"""The depth ladder dock (BookTrader-style): :class:`LadderPanel` over
``app.viewmodels.ladder.LadderModel``. ``LadderTable`` is the price table (mouse and wheel)."""

from app.ui.ladder.panel import LadderPanel
from app.ui.ladder.table import LadderTable

__all__ = ["LadderPanel", "LadderTable"]
