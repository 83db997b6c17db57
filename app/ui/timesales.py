"""The time & sales panel: a thin view over ``app.viewmodels.timesales.TimeSalesModel``.

A row per trade (newest on top), coloured by where it printed against the quote
(:class:`~app.viewmodels.timesales.PrintSide`, the model's ``SIDE_ROLE``) with the
current theme's named colours only (``app.ui.theme``): at / above the ask "up"
(above also on "flash_up_bg"), at / below the bid "down" (below also on
"flash_down_bg"), between "secondary_text". Above the table: the symbol, a minimum
size spin box (0 = all prints) and a Pause button (the tape keeps being collected;
Resume shows the latest). The symbol follows the selected instrument through
:meth:`TimeSalesView.set_instrument`.

Wiring (the lead's ``app/ui/panels.py``): ``dock = make_timesales_dock(session, window)``,
``window.addDockWidget(Qt.BottomDockWidgetArea, dock)``, and connect the selection:
``watchlist_selection_changed.connect(dock.timesales.set_instrument)``.
"""

from __future__ import annotations

from PySide6.QtCore import QIdentityProxyModel, QModelIndex, QPersistentModelIndex, Qt, Slot
from PySide6.QtWidgets import (
    QDockWidget, QHBoxLayout, QLabel, QSpinBox, QTableView, QToolButton, QVBoxLayout, QWidget,
)

from app.domain import Instrument
from app.ui import theme
from app.ui.columns import ordered_table, size_from_samples
from app.viewmodels.timesales import COLUMNS, SAMPLES, SIDE_ROLE, PrintSide, TimeSalesModel

#: text colour role per side (``app.ui.theme`` role names)
SIDE_TEXT = {
    PrintSide.ABOVE_ASK: "up", PrintSide.AT_ASK: "up",
    PrintSide.AT_BID: "down", PrintSide.BELOW_BID: "down",
    PrintSide.BETWEEN: "secondary_text",
}
#: background colour role per side (trades through the quote stand out)
SIDE_BACKGROUND = {PrintSide.ABOVE_ASK: "flash_up_bg", PrintSide.BELOW_BID: "flash_down_bg"}
#: the largest minimum size the spin box offers (shares)
MAX_MIN_SIZE = 10_000_000


class SideColours(QIdentityProxyModel):
    """Adds ``ForegroundRole`` / ``BackgroundRole`` from the model's ``SIDE_ROLE`` using the
    current theme (looked up per paint, so a theme switch needs only a repaint)."""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ForegroundRole:
            name = SIDE_TEXT.get(super().data(index, SIDE_ROLE))
            return theme.qcolor(name) if name else None
        if role == Qt.ItemDataRole.BackgroundRole:
            name = SIDE_BACKGROUND.get(super().data(index, SIDE_ROLE))
            return theme.qcolor(name) if name else None
        return super().data(index, role)


class TimeSalesView(QWidget):
    """Symbol label, minimum-size spin box, Pause button and the table of ``model``.

    Only reads the model and passes the user's intents (instrument, minimum size, pause)
    to it. Keyboard: Tab reaches the spin box, the button (Space toggles) and the table.
    """

    def __init__(self, model: TimeSalesModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timeSales")
        self.model = model
        self.symbol = QLabel("—", self)
        self.symbol.setObjectName("timeSalesSymbol")
        self.min_size = QSpinBox(self)
        self.min_size.setObjectName("timeSalesMinSize")
        self.min_size.setRange(0, MAX_MIN_SIZE)
        self.min_size.setSingleStep(100)
        self.min_size.setSpecialValueText("All sizes")
        self.min_size.setPrefix("≥ ")
        self.min_size.setAccelerated(True)
        self.min_size.setToolTip("Hide trades smaller than this many shares (0 = show all)")
        self.min_size.setValue(int(model.min_size))
        self.pause = QToolButton(self)
        self.pause.setObjectName("timeSalesPause")
        self.pause.setCheckable(True)
        self.pause.setToolTip("Freeze the table; trades are still collected and shown on resume")

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.symbol, 1)
        top.addWidget(QLabel("Min size", self))
        top.addWidget(self.min_size)
        top.addWidget(self.pause)

        self.proxy = SideColours(self)
        self.proxy.setSourceModel(model)
        self.table = QTableView(self)
        self.table.setObjectName("timeSalesTable")
        self.table.setModel(self.proxy)
        ordered_table(self.table)                # the tape's order is its meaning
        size_from_samples(self.table, COLUMNS, SAMPLES)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)

        self.min_size.valueChanged.connect(lambda v: model.set_min_size(v))
        self.pause.toggled.connect(model.set_paused)
        model.pausedChanged.connect(self._show_pause)
        model.unseenChanged.connect(lambda _n: self._show_pause(model.paused))
        model.instrumentChanged.connect(self._show_instrument)
        theme.notifier().changed.connect(self.table.viewport().update)
        self._show_pause(model.paused)
        self._show_instrument(model.instrument)

    @Slot(object)
    def set_instrument(self, instrument: Instrument | None) -> None:
        """Show the trades of ``instrument`` (a resolved ``Instrument``; None = none)."""
        self.model.set_instrument(instrument)

    def _show_instrument(self, instrument: Instrument | None) -> None:
        if instrument is None:
            self.symbol.setText("—")
            self.symbol.setToolTip("")
        else:
            self.symbol.setText(instrument.display_symbol)
            self.symbol.setToolTip(instrument.long_name or instrument.display_symbol)

    def _show_pause(self, paused: bool) -> None:
        if self.pause.isChecked() != paused:
            self.pause.setChecked(paused)
        n = self.model.unseen
        self.pause.setText(("Resume" + (f" ({n:,} new)" if n else "")) if paused else "Pause")

    def shutdown(self) -> None:
        """End the model's subscriptions (the panel goes away for good)."""
        self.model.close()


def make_timesales_dock(session, parent: QWidget | None = None, *,
                        title: str = "Time & Sales") -> QDockWidget:
    """A movable, floatable, closable dock (objectName ``dock.timesales``) holding a
    :class:`TimeSalesView` over a new :class:`TimeSalesModel` of ``session`` (an
    ``app.broker.session.Session`` or a fake with its contract). The view is
    ``dock.timesales``; call ``dock.timesales.set_instrument(instrument)`` when the
    selected instrument changes and ``dock.timesales.shutdown()`` before the session goes."""
    dock = QDockWidget(title, parent)
    dock.setObjectName("dock.timesales")
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    model = TimeSalesModel(session)
    view = TimeSalesView(model, dock)
    model.setParent(view)
    dock.setWidget(view)
    dock.timesales = view
    return dock
