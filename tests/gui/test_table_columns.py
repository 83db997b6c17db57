"""Record tables' columns (issue 14 item 13): sized to their contents once on the first rows
(not per update), chosen per table in the header's context menu, saved per profile with the
header state; the default layout shows the default columns without scrolling at 1920x1080."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication

from app.commands import PlaceOrder
from app.domain import Action, OrderRequest, OrderStatus, OrderType, TimeInForce
from app.ui.main_window import MainWindow
from tests.fakes import CONTRACTS
from tests.gui.desk_support import fake_panels
from tests.support import run_for, wait_until


_panels = fake_panels


def _place(s, cmds, symbol="AAPL", qty=100, price=187.5):
    req = OrderRequest(CONTRACTS[symbol], Action.BUY, qty, OrderType.LMT, price, None, TimeInForce.DAY)
    return cmds.execute(PlaceOrder(req)).order


def _fill_desk(aloop, s, panels):
    """Orders in several states (one PreSubmitted from another client), two fills, positions."""
    cmds = panels.commands
    a = _place(s, cmds)
    _place(s, cmds, "MSFT", 25, 420.55)
    wait_until(aloop, lambda: s.order(a.order_id).status == OrderStatus.SUBMITTED, what="Submitted")
    s.fill(a.order_id, 40, 187.5)
    s.fill(a.order_id, 60, 187.49)
    other = s.order(a.order_id).copy(order_id=90, client_id=7, perm_id=1_812_345_678,
                                     status=OrderStatus.PRE_SUBMITTED, filled=0.0, remaining=100.0)
    s.add_order(other)
    s.set_position("AAPL", 100, 187.495, 188.10, 60.5)
    s.set_position("MSFT", -25, 420.55, 419.0, 38.75)
    run_for(aloop, 0.2)


def _truncated(table, columns) -> list[str]:
    """Visible columns narrower than their contents (Qt would elide the text, "PreSub…")."""
    header = table.horizontalHeader()
    return [c.key for i, c in enumerate(columns)
            if not header.isSectionHidden(i) and i != header.logicalIndex(header.count() - 1)
            and table.columnWidth(i) < table.sizeHintForColumn(i)]


def test_columns_fit_the_first_rows_once_not_per_update(qtbot, aloop, tmp_path):
    s, panels = _panels(qtbot, QSettings(str(tmp_path / "fit.ini"), QSettings.IniFormat))
    blotter = panels.blotter
    blotter.resize(1200, 300)
    blotter.show()
    _fill_desk(aloop, s, panels)
    orders, executions = blotter.orders_table, blotter.executions_table
    blotter.tabs.setCurrentIndex(1)
    run_for(aloop, 0.1)
    assert _truncated(orders, panels.orders_model.columns) == []      # "PreSubmitted" in full
    assert _truncated(executions, panels.executions_model.columns) == []   # the whole Exec ID
    status = panels.orders_model.column_index("status")
    fm = orders.fontMetrics()
    assert orders.columnWidth(status) >= fm.horizontalAdvance("PreSubmitted")
    # the trader narrows a column: later orders and updates do not refit it
    orders.setColumnWidth(status, 50)
    _place(s, panels.commands, "NVDA", 10, 129.5)
    run_for(aloop, 0.2)
    assert orders.columnWidth(status) == 50
    # a double click on the section's right edge fits it again (Qt's own)
    header = orders.horizontalHeader()
    edge = QPoint(header.sectionViewportPosition(status) + header.sectionSize(status) - 1, header.height() // 2)
    qtbot.mouseDClick(header.viewport(), Qt.LeftButton, pos=edge)
    assert orders.columnWidth(status) >= fm.horizontalAdvance("PreSubmitted")
    orders.setColumnWidth(status, 50)           # and "Fit columns to contents" in its menu
    fit = next(a for a in panels.blotter.orders_columns.build_menu().actions()
               if a.text() == "Fit columns to contents")
    fit.trigger()
    assert orders.columnWidth(status) >= fm.horizontalAdvance("PreSubmitted")
    panels.shutdown()


def test_header_menu_hides_and_shows_columns_per_table(qtbot, aloop, tmp_path):
    s, panels = _panels(qtbot, QSettings(str(tmp_path / "menu.ini"), QSettings.IniFormat))
    for columns in panels.table_columns():
        menu = columns.build_menu()
        titles = [a.text() for a in menu.actions() if a.isCheckable()]
        assert titles == [c.header for c in columns.columns]
        symbol = next(a for a in menu.actions() if a.objectName() == "column.symbol")
        assert not symbol.isEnabled()         # the symbol column always stays
    orders = panels.blotter.orders_columns
    assert orders.hidden_columns() == ["remaining", "perm_id", "client_id"]
    perm = next(a for a in orders.build_menu().actions() if a.objectName() == "column.perm_id")
    assert not perm.isChecked()
    perm.trigger()                        # the trader shows Perm ID
    assert not panels.blotter.orders_table.isColumnHidden(panels.orders_model.column_index("perm_id"))
    tif = next(a for a in orders.build_menu().actions() if a.objectName() == "column.tif")
    tif.trigger()                         # and hides TIF
    assert orders.hidden_columns() == ["tif", "remaining", "client_id"]
    # other tables are not touched
    assert panels.blotter.executions_columns.hidden_columns() == []
    assert panels.watchlist.hidden_columns() == ["bid_size", "ask_size"]
    reset = next(a for a in orders.build_menu().actions() if a.text() == "Default columns")
    reset.trigger()
    assert orders.hidden_columns() == ["remaining", "perm_id", "client_id"]
    panels.shutdown()


def test_columns_and_widths_survive_a_restart_per_profile(qtbot, aloop, tmp_path):
    path = str(tmp_path / "cols.ini")
    s, panels = _panels(qtbot, QSettings(path, QSettings.IniFormat))
    panels.blotter.executions_columns.set_column_visible("exec_id", False)
    panels.account.columns.set_column_visible("avg_cost", False)
    panels.watchlist.columns.set_column_visible("bid_size", True)
    panels.blotter.orders_table.setColumnWidth(panels.orders_model.column_index("symbol"), 123)
    # a column chosen in the menu is saved at once (a crash keeps it)
    assert QSettings(path, QSettings.IniFormat).value("columns/positions/hidden") == "avg_cost,market_price,realized_pnl"
    panels.blotter.executions_columns.set_column_visible("exec_id", True)
    panels.blotter.executions_columns.set_column_visible("exec_id", False)
    panels.blotter.orders_columns.set_hidden_columns([])       # nothing hidden survives too
    panels.shutdown()

    _, again = _panels(qtbot, QSettings(path, QSettings.IniFormat))
    assert again.blotter.executions_columns.hidden_columns() == ["exec_id"]
    assert again.account.columns.hidden_columns() == ["avg_cost", "market_price", "realized_pnl"]
    assert again.watchlist.hidden_columns() == ["ask_size"]
    assert again.blotter.orders_table.columnWidth(again.orders_model.column_index("symbol")) == 123
    assert again.blotter.orders_columns.hidden_columns() == []
    # another profile has its own columns
    _, other = _panels(qtbot, QSettings(str(tmp_path / "other.ini"), QSettings.IniFormat))
    assert other.blotter.executions_columns.hidden_columns() == []
    again.shutdown()
    other.shutdown()


def test_a_header_state_saved_for_other_columns_keeps_only_the_hidden_keys(qtbot, aloop, tmp_path):
    settings = QSettings(str(tmp_path / "old.ini"), QSettings.IniFormat)
    settings.setValue("columns/orders/state", b"\x00\x01garbage")
    settings.setValue("columns/orders/keys", ["order_id", "symbol"])
    settings.setValue("columns/orders/hidden", ["message", "symbol", "nope"])
    _, panels = _panels(qtbot, settings)
    assert panels.blotter.orders_columns.hidden_columns() == ["message"]
    panels.shutdown()


def test_default_layout_shows_default_columns_without_scrolling_at_1920x1080(qtbot, aloop, tmp_path):
    settings = QSettings(str(tmp_path / "wide.ini"), QSettings.IniFormat)
    s, panels = _panels(qtbot, settings)
    w = MainWindow(panels.charts, panels.docks(), settings, chips=panels.chips, restore_layout=False)
    qtbot.addWidget(w)
    w.resize(1920, 1080)
    w.show()
    qtbot.waitExposed(w)
    for sym in ("AAPL", "MSFT", "NVDA", "SPY"):
        s.push_quote(sym, bid=1234.56, ask=1234.57, last=1234.56, volume=98_765_432, close=1200.0)
    _fill_desk(aloop, s, panels)
    QApplication.processEvents()
    tables = {"watchlist": panels.watchlist.table, "orders": panels.blotter.orders_table,
              "positions": panels.account.table}
    for name, table in tables.items():
        assert table.isVisible(), name
        assert table.horizontalScrollBar().maximum() == 0, f"{name} scrolls sideways"
    # the watchlist is no longer a tall column of empty rows: the bottom docks run under it
    assert w.docks["watchlist"].height() < 0.7 * w.height()
    assert w.docks["blotter"].width() > 900
    panels.shutdown()


@pytest.mark.parametrize("volumes", [(9_862_900, 12_300_000, 850_000, 1_234)])
def test_watchlist_volume_one_format_per_column(qtbot, aloop, tmp_path, volumes):
    """Issue 14 item 15: "9,862,900" and "12.3M" in one column; now compact K/M throughout."""
    s, panels = _panels(qtbot, QSettings(str(tmp_path / "vol.ini"), QSettings.IniFormat))
    model = panels.watchlist_model
    panels.on_connected()
    wait_until(aloop, lambda: len(model.instruments()) >= 4, what="watchlist resolved")
    for sym, v in zip(("AAPL", "MSFT", "NVDA", "SPY"), volumes):
        s.push_quote(sym, bid=10.0, ask=10.01, last=10.0, volume=v)
    run_for(aloop, 0.2)
    col = model.column_index("volume")
    texts = {model.record(r).instrument.symbol: model.index(r, col).data() for r in range(model.rowCount())}
    assert [texts[k] for k in ("AAPL", "MSFT", "NVDA", "SPY")] == ["9.86M", "12.3M", "850K", "1.23K"]
    panels.shutdown()
