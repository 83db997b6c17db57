"""Tables do no per-change layout work and repaint only what is in sight (issue 12).

``QHeaderView.ResizeToContents`` made every quote re-measure every row of every
column (py-spy: 63 % of the terminal's CPU under a busy feed). These tests count
the model's ``data`` calls a single quote causes, and the rows a flush emits.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QHeaderView, QStyledItemDelegate

from app.domain import ConnectionState, Instrument, Position
from app.ui.account import AccountPanel
from app.ui.watchlist import WatchlistView
from app.viewmodels.account import AccountSummary, PositionsModel
from app.viewmodels.table import SORT_ROLE
from app.viewmodels.watchlist import WatchlistModel
from tests.fakes import FakeSession
from tests.support import wait_until

N = 200


def _contracts(n: int) -> list[Instrument]:
    return [Instrument(f"S{i:04d}", "STK", "SMART", "USD", "NASDAQ", 100000 + i, 0.01, f"S{i:04d}",
                       f"STOCK {i}") for i in range(n)]


def _shown(qtbot, widget, width: int, height: int):
    """``widget`` on screen at ``width`` x ``height`` (exposed, so it paints)."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _watchlist(qtbot, n: int, width: int, height: int):
    s = FakeSession(contracts=_contracts(n))
    m = WatchlistModel(s)
    return s, m, _shown(qtbot, WatchlistView(m), width, height)


def _busy_watchlist(qtbot, aloop, n: int = N):
    s, m, v = _watchlist(qtbot, n, 900, 600)
    m.set_symbols([f"S{i:04d}" for i in range(n)])
    wait_until(aloop, lambda: len(s.subscribed) == n, what="subscribed")
    for i in range(n):
        s.push_quote(f"S{i:04d}", bid=100.0 + i, ask=100.02 + i, last=100.01 + i, close=99.0, volume=1000 + i)
    wait_until(aloop, lambda: not m.dirty.pending, what="first flush")
    _settle(qtbot, v.table)
    return s, m, v


def _settle(qtbot, table):
    """Paint everything pending now, so a later count sees only the change under test."""
    qtbot.wait(30)
    table.viewport().repaint()
    qtbot.wait(10)


def _count_data_calls(model):
    """Count the model's answers to Qt (data and multiData calls)."""
    calls = [0]
    original, original_multi = type(model).data, type(model).multiData

    def counting(index, role=0):
        calls[0] += 1
        return original(model, index, role)

    def counting_multi(index, span):
        calls[0] += 1
        return original_multi(model, index, span)

    model.data = counting
    model.multiData = counting_multi
    return calls


def test_one_quote_does_not_measure_every_row(qtbot, aloop):
    s, m, v = _busy_watchlist(qtbot, aloop)
    for i in range(v.model.columnCount()):
        assert v.table.horizontalHeader().sectionResizeMode(i) != QHeaderView.ResizeToContents
    # Qt's own delegate paints the cells (the flash is BackgroundRole): no Python paint per cell
    assert type(v.table.itemDelegate()) is QStyledItemDelegate
    calls = _count_data_calls(m)
    s.push_quote("S0003", bid=103.5, last=103.51)
    wait_until(aloop, lambda: not m.dirty.pending, what="flush")
    qtbot.wait(30)
    # one row repainted (a few roles per cell); measuring the columns asks every row
    assert 0 < calls[0] < N, calls[0]


def test_columns_fit_the_sample_texts_and_stay_put(qtbot, aloop):
    s, m, v = _busy_watchlist(qtbot, aloop, 20)
    bid = m.column_index("bid")
    fm = v.table.fontMetrics()
    header = v.table.horizontalHeader()
    width = header.sectionSize(bid)
    assert width >= fm.horizontalAdvance("Bid")
    cell = m.index(m.row_of("S0001"), bid)
    assert v.table.visualRect(cell).width() >= v.table.sizeHintForColumn(bid) - 2
    s.push_quote("S0001", bid=12345.67)     # wider text: no re-layout per change
    wait_until(aloop, lambda: not m.dirty.pending, what="flush")
    assert header.sectionSize(bid) == width


def test_fit_columns_on_demand(qtbot, aloop):
    from app.ui.columns import fit_to_contents

    s, m, v = _busy_watchlist(qtbot, aloop, 20)
    sym = m.column_index("symbol")
    v.table.horizontalHeader().resizeSection(sym, 10)
    fit_to_contents(v.table)
    assert v.table.horizontalHeader().sectionSize(sym) >= v.table.sizeHintForColumn(sym)


def test_flush_emits_only_rows_in_sight(qtbot, aloop):
    s, m, v = _busy_watchlist(qtbot, aloop)
    emitted: list[tuple[int, int]] = []
    m.dataChanged.connect(lambda tl, br, roles=(): emitted.append((tl.row(), br.row())))
    for i in range(N):
        s.push_quote(f"S{i:04d}", bid=200.0 + i)
    wait_until(aloop, lambda: not m.dirty.pending, what="flush")
    rows = {r for top, bottom in emitted for r in range(top, bottom + 1)}
    shown = v.table.rowAt(v.table.viewport().height() - 1) + 1
    assert 0 < len(rows) <= shown + 1 < N
    # a row scrolled into sight shows its latest quote (read fresh, never stale text)
    v.table.scrollToBottom()
    qtbot.wait(30)
    last = m.index(m.row_of(f"S{N - 1:04d}"), m.column_index("bid"))
    assert last.data() == f"{200.0 + N - 1:,.2f}"


def test_hidden_table_flushes_nothing(qtbot, aloop):
    s, m, v = _busy_watchlist(qtbot, aloop, 20)
    v.hide()
    before = m.dirty.flush_count
    s.push_quote("S0001", bid=1.5)
    wait_until(aloop, lambda: not m.dirty.pending, what="flush")
    assert m.dirty.flush_count == before and m.dirty.dropped_rows >= 1
    v.show()
    qtbot.waitExposed(v)
    assert m.index(m.row_of("S0001"), m.column_index("bid")).data() == "1.50"


def test_positions_table_does_not_measure_every_row(qtbot, aloop):
    s = FakeSession()
    summary = AccountSummary(s)
    positions = PositionsModel(s)
    view = _shown(qtbot, AccountPanel(summary, positions), 700, 500)
    insts = _contracts(N)
    for i, inst in enumerate(insts):
        positions.upsert(("DU1", inst.key), Position("DU1", inst, 100 + i, 50.0, 51.0, 5100.0, 100.0, 0.0))
    positions.dirty.flush_now()
    _settle(qtbot, view.table)
    for i in range(positions.columnCount()):
        assert view.table.horizontalHeader().sectionResizeMode(i) != QHeaderView.ResizeToContents
    calls = _count_data_calls(positions)
    positions.upsert(("DU1", insts[2].key), Position("DU1", insts[2], 102, 50.0, 52.0, 5304.0, 204.0, 0.0))
    positions.dirty.flush_now()
    qtbot.wait(30)
    assert 0 < calls[0] < N, calls[0]


def test_repaint_asks_each_cell_once(qtbot, aloop):
    """The view shows the model itself (no proxy) and asks each cell's roles in one
    multiData call: a proxy asked data() once per role, seven calls from C++ per cell."""
    s, m, v = _busy_watchlist(qtbot, aloop)
    assert v.table.model() is m
    multi = [0]
    direct = [0]
    inside = [False]
    original_multi, original_data = type(m).multiData, type(m).data

    def multi_data(index, span):
        multi[0] += 1
        inside[0] = True
        try:
            original_multi(m, index, span)
        finally:
            inside[0] = False

    def data(index, role=0):
        if not inside[0]:
            direct[0] += 1
        return original_data(m, index, role)

    m.multiData = multi_data
    m.data = data
    v.table.viewport().repaint()
    shown = v.table.rowAt(v.table.viewport().height() - 1) + 1
    visible_columns = sum(not v.table.isColumnHidden(c) for c in range(m.columnCount()))
    assert multi[0] >= shown * visible_columns - visible_columns
    assert direct[0] <= shown          # nothing per role any more


def test_header_click_sorts_numbers_and_keeps_selection(qtbot, aloop):
    s, m, v = _busy_watchlist(qtbot, aloop, 20)
    s.push_quote("S0005", last=9.5)          # 9.5 < 100.x: numeric, not text order
    s.push_quote("S0006", last=1000.25)
    wait_until(aloop, lambda: not m.dirty.pending, what="flush")
    v.select_symbol("S0006")
    last = m.column_index("last")
    header = v.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=QPoint(header.sectionViewportPosition(last) + 5, 5))
    wait_until(aloop, lambda: m.index(0, 0).data() == "S0005", what="sorted ascending")
    order = [m.index(r, last).data(SORT_ROLE) for r in range(len(m))]
    assert order == sorted(order)
    assert v.selected_instrument().symbol == "S0006"     # the selection followed its row
    assert m.index(len(m) - 1, 0).data() == "S0006"
    s.push_quote("S0006", last=1.0)                      # no re-sort per tick
    wait_until(aloop, lambda: not m.dirty.pending, what="flush")
    assert m.index(len(m) - 1, 0).data() == "S0006"
    assert m.row_of("S0006") == len(m) - 1


def _multi(model, index, role):
    from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan

    rd = QModelRoleData(int(role))
    model.multiData(index, QModelRoleDataSpan(rd))
    return rd.data()


def _same_value(a, b) -> bool:
    if hasattr(a, "name") and hasattr(b, "name"):          # QColor
        return a.name() == b.name()
    if hasattr(a, "italic") and hasattr(b, "italic"):      # QFont
        return a.family() == b.family() and a.italic() == b.italic() and a.pointSizeF() == b.pointSizeF()
    return a == b


def test_multidata_answers_exactly_what_data_answers(qtbot, aloop):
    """The one-call path gives every role the same answer as data(): plain rows, flashing
    cells, signed colours and stale rows (grey, italic)."""
    from app.viewmodels.staleness import STALE_ROLE

    s, m, v = _busy_watchlist(qtbot, aloop, 10)
    s.push_quote("S0001", bid=99.0, last=98.5)              # flash down, negative change colour
    s.push_quote("S0002", bid=103.0, last=103.5, close=99.0)  # flash up, positive
    roles = [Qt.DisplayRole, Qt.FontRole, Qt.TextAlignmentRole, Qt.ForegroundRole, Qt.BackgroundRole,
             Qt.ToolTipRole, Qt.DecorationRole, Qt.CheckStateRole, SORT_ROLE, STALE_ROLE]

    def check():
        for r in range(len(m)):
            for c in range(m.columnCount()):
                idx = m.index(r, c)
                for role in roles:
                    want, got = m.data(idx, role), _multi(m, idx, role)
                    assert (want is None and got is None) or _same_value(want, got), (r, c, role, want, got)

    check()
    m._stale_changed(True)                                   # every row stale: grey italic
    m._stale_keys = set(m.keys())
    assert m._special_row(0)
    check()


def test_model_outlives_its_view(qtbot, aloop):
    """The in-sight filter of a deleted view must not break the model's flushes."""
    s, m, v = _busy_watchlist(qtbot, aloop, 10)
    v.table.deleteLater()
    qtbot.wait(20)
    s.push_quote("S0001", bid=5.0)
    m.dirty.flush_now()                     # raised RuntimeError: C++ object already deleted
    assert not m.dirty.pending


def test_resolved_symbol_repainted_black(qtbot, aloop):
    """A row resolved after it was painted grey is repainted: its symbol's colour comes from
    the record, not from a column value (the smallest-range flush left it grey)."""
    s, m, v = _watchlist(qtbot, 5, 600, 300)
    s._state = ConnectionState.DISCONNECTED
    m.set_symbols(["S0001"])
    qtbot.wait(30)
    cell = m.index(0, m.column_index("symbol"))
    assert m.data(cell, Qt.ForegroundRole).name() == "#6b6b6b"      # unresolved: grey
    rect = v.table.visualRect(cell)
    emitted = []
    m.dataChanged.connect(lambda tl, br, roles=(): emitted.append((tl.column(), br.column())))
    s._state = ConnectionState.CONNECTED
    aloop.run_until_complete(m.start())
    wait_until(aloop, lambda: not m.dirty.pending, what="flush")
    assert m.data(cell, Qt.ForegroundRole) is None
    assert any(left <= cell.column() <= right for left, right in emitted), emitted
    assert rect.isValid()
