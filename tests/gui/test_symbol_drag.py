"""A symbol dragged onto a panel loads it (issue 16), acting as Qt's drag manager does:
DragEnter / DragMove / Drop events sent to the widget under the cursor (Qt hands them to
the nearest parent that accepts drops). A real drag loop cannot run headless, so the
dragged data is the source model's own ``mimeData`` (what ``QAbstractItemView.startDrag``
sends)."""

from __future__ import annotations

from typing import NamedTuple

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.domain import Instrument
from app.domain.scanner import ScanRow
from app.ui.account import AccountPanel
from app.ui.symbol_drag import ACTIVE_PROPERTY, SymbolDropTarget, instrument_mime, instruments_from_mime
from app.viewmodels.account import AccountSummary, PositionsModel
from app.viewmodels.scanner import ScanResultsModel
from app.viewmodels.watchlist import ROW_MIME
from tests.fakes import FakeSession
from tests.gui.watchlist_support import show_tabs
from tests.gui.chart_support import show_chart
from tests.support import wait_until
from tests.unit.chart.chart_fakes import FakeHistorySession

ACTIONS = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction


def _text(text: str):
    from PySide6.QtCore import QMimeData

    m = QMimeData()
    m.setText(text)
    return m


def drag_drop(widget: QWidget, mime, pos: QPoint | None = None):
    """Drag ``mime`` over ``widget`` at ``pos`` (its centre) and drop it there, offering
    copy or move with Shift held (Qt then proposes a move: the worst case for the source's
    row). Returns what the widgets answered (plain values: a Qt event is not kept)."""
    pos = pos if pos is not None else widget.rect().center()
    button, shift = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier
    enter = QDragEnterEvent(pos, ACTIONS, mime, button, shift)
    assert enter.proposedAction() == Qt.DropAction.MoveAction
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return Dropped(False, False, Qt.DropAction.IgnoreAction)
    QApplication.sendEvent(widget, QDragMoveEvent(pos, ACTIONS, mime, button, shift))
    drop = QDropEvent(QPointF(pos), ACTIONS, mime, button, shift)
    QApplication.sendEvent(widget, drop)
    return Dropped(True, drop.isAccepted(), drop.dropAction())


class Dropped(NamedTuple):
    """The answer to a drag: DragEnter accepted, Drop accepted, the drop's action (what the
    source's ``QDrag.exec`` would return: MoveAction would let a view remove the row)."""

    entered: bool
    accepted: bool
    action: Qt.DropAction


class Spy:
    def __init__(self, target: SymbolDropTarget):
        self.instruments: list = []
        self.symbols: list = []
        self.ready: list = []
        self.messages: list = []
        target.instrumentDropped.connect(self.instruments.append)
        target.symbolDropped.connect(self.symbols.append)
        target.instrumentReady.connect(self.ready.append)
        target.message.connect(self.messages.append)


def _panel(qtbot):
    """A panel with a label (takes no drops) and a line edit (takes text itself)."""
    panel = QWidget()
    label = QLabel("Time & Sales", panel)
    edit = QLineEdit(panel)
    lay = QVBoxLayout(panel)
    lay.addWidget(label)
    lay.addWidget(edit)
    qtbot.addWidget(panel)
    panel.resize(300, 200)
    panel.show()
    return panel, label, edit


def test_an_instrument_dropped_on_a_panels_child_reaches_the_panels_target(qtbot):
    panel, label, _edit = _panel(qtbot)
    target = SymbolDropTarget(panel)
    spy = Spy(target)
    assert panel.acceptDrops()
    aapl = Instrument("AAPL", con_id=265598, primary_exchange="NASDAQ")
    got = drag_drop(label, instrument_mime(aapl))
    assert got == (True, True, Qt.DropAction.CopyAction)      # a copy: the source keeps its row
    assert spy.instruments == [aapl] and spy.symbols == [] and spy.ready == []
    assert not panel.property(ACTIVE_PROPERTY)


def test_symbol_text_is_a_symbol_drop_and_other_text_is_not_taken(qtbot):
    panel, label, edit = _panel(qtbot)
    spy = Spy(SymbolDropTarget(panel))
    assert drag_drop(label, _text(" eur.usd\n")) == (True, True, Qt.DropAction.CopyAction)
    assert spy.symbols == ["EUR.USD"] and spy.instruments == []
    assert not drag_drop(label, _text("Buy 100 AAPL now!")).entered
    assert spy.symbols == ["EUR.USD"]
    # a line edit in the panel takes a dragged symbol as text (it types it)
    drag_drop(edit, instrument_mime(Instrument("MSFT")))
    assert edit.text() == "MSFT" and spy.instruments == []


def test_a_drop_with_a_session_is_resolved_before_it_is_loaded(qtbot, aloop):
    panel, label, _edit = _panel(qtbot)
    s = FakeSession()
    target = SymbolDropTarget(panel, session=s)
    spy = Spy(target)
    drag_drop(label, _text("aapl"))
    wait_until(aloop, lambda: spy.ready, what="AAPL resolved")
    assert spy.ready == [s.contracts["AAPL"]] and spy.symbols == ["AAPL"]
    # a scanner row has IB's conId but not the tick size: resolved as well
    drag_drop(label, instrument_mime(Instrument("MSFT", con_id=272093)))
    wait_until(aloop, lambda: len(spy.ready) == 2, what="MSFT resolved")
    assert spy.ready[1] == s.contracts["MSFT"] and spy.ready[1].long_name == "MICROSOFT CORP"
    drag_drop(label, _text("ZZZZ"))
    wait_until(aloop, lambda: spy.messages, what="unknown symbol message")
    assert spy.messages == ["No security definition for 'ZZZZ'"] and len(spy.ready) == 2
    s.drop_connection()
    drag_drop(label, _text("SPY"))
    wait_until(aloop, lambda: len(spy.messages) == 2, what="not connected message")
    assert spy.messages[1].startswith("Cannot load SPY:") and len(spy.ready) == 2


def test_a_plot_passes_the_drag_to_its_container_and_the_chart_takes_it(qtbot, aloop):
    # a pyqtgraph view under a target that does not watch it: the scene takes no drag, so Qt
    # hands it to the container (the target was built before the plot was added)
    box = QWidget()
    target = SymbolDropTarget(box)
    spy = Spy(target)
    plot = pg.PlotWidget()
    QVBoxLayout(box).addWidget(plot)
    qtbot.addWidget(box)
    box.resize(300, 300)
    box.show()
    assert plot.viewport() not in target._watched
    assert drag_drop(plot.viewport(), _text("NVDA")).accepted and spy.symbols == ["NVDA"]
    # the real chart: one target on the ChartView covers its plots
    vm, view = show_chart(qtbot, FakeHistorySession())
    spy = Spy(SymbolDropTarget(view))
    assert drag_drop(view.plots.viewport(), instrument_mime(Instrument("SPY", con_id=756733))).accepted
    assert [i.symbol for i in spy.instruments] == ["SPY"]
    vm.shutdown()


_tabs = show_tabs


def _below_rows(table) -> QPoint:
    return QPoint(10, table.viewport().height() - 5)


def test_a_watchlist_row_dragged_onto_a_panel_loads_it_and_stays(qtbot, aloop):
    s, ws, w = _tabs(qtbot, aloop)
    model = ws.model(0)
    mime = model.mimeData([model.index(1, c) for c in range(model.columnCount())])
    assert instruments_from_mime(mime) == [s.contracts["MSFT"]] and mime.text() == "MSFT"
    assert mime.hasFormat(ROW_MIME)
    assert model.supportedDragActions() == Qt.DropAction.CopyAction
    panel, label, _edit = _panel(qtbot)
    spy = Spy(SymbolDropTarget(panel))
    assert drag_drop(label, mime).action == Qt.DropAction.CopyAction
    assert spy.instruments == [s.contracts["MSFT"]]
    assert model.symbols() == ["AAPL", "MSFT", "NVDA"]


def test_a_scanner_row_or_symbol_text_dropped_on_the_watchlist_is_added(qtbot, aloop):
    s, ws, w = _tabs(qtbot, aloop, (("Main", ("AAPL",)),))
    scan = ScanResultsModel()
    scan.set_rows([ScanRow(0, "MSFT", 272093, primary_exchange="NASDAQ"),
                   ScanRow(1, "AAPL", 265598, primary_exchange="NASDAQ")])
    table = w.current_view.table
    assert drag_drop(table.viewport(), scan.mimeData([scan.index(0, 1)]), _below_rows(table)).accepted
    wait_until(aloop, lambda: ws.model(0).symbols() == ["AAPL", "MSFT"], what="MSFT added")
    assert ws.model(0).instruments()[1] == s.contracts["MSFT"]    # resolved: tick, long name
    assert s.quote_refs[s.contracts["MSFT"].key] == 1
    # a symbol already in the list: the add-symbol message
    drag_drop(table.viewport(), scan.mimeData([scan.index(1, 1)]), _below_rows(table))
    msg = w.current_view.message
    wait_until(aloop, lambda: msg.text() == "AAPL is already in the watchlist", what="duplicate message")
    # text from another application
    drag_drop(table.viewport(), _text("spy"), _below_rows(table))
    wait_until(aloop, lambda: ws.model(0).symbols() == ["AAPL", "MSFT", "SPY"], what="SPY added")


def test_a_row_dragged_to_another_list_is_copied_not_moved(qtbot, aloop):
    s, ws, w = _tabs(qtbot, aloop, (("Main", ("AAPL", "MSFT", "NVDA")), ("Tech", ("SPY",))))
    src = ws.model(0)
    mime = src.mimeData([src.index(2, 0)])                 # NVDA, row 2 of Main
    ws.set_current(1)
    table = w.current_view.table
    assert w.current_view.model is ws.model(1)
    drag_drop(table.viewport(), mime, _below_rows(table))
    wait_until(aloop, lambda: ws.model(1).symbols() == ["SPY", "NVDA"], what="NVDA added to Tech")
    assert src.symbols() == ["AAPL", "MSFT", "NVDA"]
    # within its own list the same kind of drag still reorders
    own = ws.model(1).mimeData([ws.model(1).index(1, 0)])
    drag_drop(table.viewport(), own, table.visualRect(ws.model(1).index(0, 0)).topLeft() + QPoint(5, 2))
    assert ws.model(1).symbols() == ["NVDA", "SPY"]


def test_a_position_drags_out_as_its_instrument(qtbot, aloop):
    s = FakeSession()
    s.set_position("AAPL", 100, 180.0, 187.5)
    s.set_position("MSFT", -5, 410.0, 400.0)
    p = AccountPanel(AccountSummary(s), PositionsModel(s))
    qtbot.addWidget(p)
    assert p.table.dragEnabled() and not p.table.acceptDrops()
    proxy = p.proxy
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == "MSFT")
    mime = proxy.mimeData([proxy.index(row, c) for c in range(proxy.columnCount())])
    assert instruments_from_mime(mime) == [s.contracts["MSFT"]]
    assert proxy.supportedDragActions() == Qt.DropAction.CopyAction
