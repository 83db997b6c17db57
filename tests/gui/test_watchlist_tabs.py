"""Several named watchlists as tabs, acting as a user: "+" adds a list, a symbol is typed
into it, tabs switch, a row is dragged, CSV exported and imported, tabs renamed and
removed; the Panels keep ``watchlist`` / ``watchlist_model`` on the shown list."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.gui.watchlist_support import show_tabs
from tests.support import wait_until


_tabs = show_tabs


def _click_tab(qtbot, w, i):
    qtbot.mouseClick(w.tabs, Qt.LeftButton, pos=w.tabs.tabRect(i).center())


def _drag_row(w, src: int, dst: int) -> None:
    """Drop row ``src`` of the shown table onto the upper half of row ``dst`` (the view's own
    drop handling: drag enter, move, drop with the model's mime data)."""
    table = w.current_view.table
    model = table.model()
    mime = model.mimeData([model.index(src, 0)])
    rect = table.visualRect(model.index(dst, 0))
    pos = QPointF(rect.center().x(), rect.top() + 2)
    vp = table.viewport()
    actions = Qt.CopyAction | Qt.MoveAction
    for ev in (QDragEnterEvent(pos.toPoint(), actions, mime, Qt.LeftButton, Qt.NoModifier),
               QDragMoveEvent(pos.toPoint(), actions, mime, Qt.LeftButton, Qt.NoModifier),
               QDropEvent(pos, actions, mime, Qt.LeftButton, Qt.NoModifier)):
        QApplication.sendEvent(vp, ev)


def test_plus_adds_a_list_type_a_symbol_and_switch_tabs(qtbot, aloop, monkeypatch):
    s, ws, w = _tabs(qtbot, aloop)
    monkeypatch.setattr(w, "ask_name", lambda title, current: "Tech")
    qtbot.mouseClick(w.add_button, Qt.LeftButton)
    assert w.tabs.count() == 2 and w.tabs.tabText(1) == "Tech" and w.tabs.currentIndex() == 1
    assert w.stack.currentWidget() is w.current_view and ws.current == 1
    view = w.current_view
    qtbot.keyClicks(view.entry, "spy")
    qtbot.keyClick(view.entry, Qt.Key_Return)
    wait_until(aloop, lambda: ws.model(1).symbols() == ["SPY"], what="SPY added to Tech")
    assert ws.model(0).symbols() == ["AAPL", "MSFT", "NVDA"]
    _click_tab(qtbot, w, 0)
    assert ws.current == 0 and w.current_view.model.symbols() == ["AAPL", "MSFT", "NVDA"]
    # both lists stay subscribed: switching back shows live rows at once
    s.push_quote("SPY", last=500.0)
    _click_tab(qtbot, w, 1)
    wait_until(aloop, lambda: ws.model(1).records()[0].quote is not None, what="SPY quote")


def test_drag_a_row_reorders_the_list(qtbot, aloop):
    s, ws, w = _tabs(qtbot, aloop)
    _drag_row(w, 2, 0)
    assert ws.model(0).symbols() == ["NVDA", "AAPL", "MSFT"]
    _drag_row(w, 0, 2)                     # onto MSFT's upper half: before MSFT
    assert ws.model(0).symbols() == ["AAPL", "NVDA", "MSFT"]


def test_rename_by_double_click_and_remove_with_confirmation(qtbot, aloop, monkeypatch):
    s, ws, w = _tabs(qtbot, aloop, (("Main", ("AAPL",)), ("Other", ("MSFT",)), ("Empty", ())))
    monkeypatch.setattr(w, "ask_name", lambda title, current: "Growth")
    qtbot.mouseDClick(w.tabs, Qt.LeftButton, pos=w.tabs.tabRect(1).center())
    assert ws.names() == ["Main", "Growth", "Empty"] and w.tabs.tabText(1) == "Growth"
    asked = []
    monkeypatch.setattr(w, "confirm_remove", lambda name, n: asked.append((name, n)) or False)
    assert not w.remove_tab(1) and asked == [("Growth", 1)] and len(ws) == 3
    assert w.remove_tab(2) and asked == [("Growth", 1)]      # empty: no question
    monkeypatch.setattr(w, "confirm_remove", lambda name, n: True)
    assert w.remove_tab(1) and w.tabs.count() == 1 and ws.names() == ["Main"]
    assert not w.remove_tab(0)                               # never the last list
    assert w.current_view.model.symbols() == ["AAPL"]


def test_export_then_import_csv_with_a_temp_file(qtbot, aloop, monkeypatch, tmp_path):
    s, ws, w = _tabs(qtbot, aloop)
    path = tmp_path / "mine.csv"
    monkeypatch.setattr(w, "ask_save_path", lambda name: str(path))
    qtbot.mouseClick(w.export_button, Qt.LeftButton)
    assert path.read_text().splitlines() == ["symbol", "AAPL", "MSFT", "NVDA"]
    assert "Exported 'Main' (3 symbols)" in w.notice.text()
    path.write_text(path.read_text() + "bad sym!\nZZZZQX\nAAPL\n")
    monkeypatch.setattr(w, "ask_open_path", lambda: str(path))
    qtbot.mouseClick(w.import_button, Qt.LeftButton)
    assert ws.names() == ["Main", "mine"] and ws.current == 1
    assert ws.model(1).symbols() == ["AAPL", "MSFT", "NVDA", "ZZZZQX"]
    text = w.notice.text()
    assert "Imported 4 symbol(s) into 'mine'; skipped 2" in text
    assert "row 5: 'bad sym!'" in text and "row 7: AAPL: duplicate" in text
    # the unknown symbol is reported by the list once IB answers
    wait_until(aloop, lambda: "No security definition for 'ZZZZQX'" in w.current_view.message.text(),
               what="unknown symbol reported")
    path.write_text("a,b\n1,2\n")
    qtbot.mouseClick(w.import_button, Qt.LeftButton)
    assert w.notice.text().startswith("Import failed: no 'symbol' column") and len(ws) == 2


def test_panels_follow_the_shown_list_and_keep_old_settings(qtbot, aloop, tmp_path, monkeypatch):
    from app.ui.panels import KEY_SYMBOLS
    from tests.gui.desk_support import fake_panels

    path = str(tmp_path / "p.ini")
    settings = QSettings(path, QSettings.IniFormat)
    settings.setValue(KEY_SYMBOLS, ["SPY", "AAPL"])       # a profile from the single-list version
    session, panels = fake_panels(qtbot, settings)
    tabs = panels.docks()["watchlist"]
    tabs.show()
    assert panels.watchlists.names() == ["Main"] and panels.watchlist_model.symbols() == ["SPY", "AAPL"]
    monkeypatch.setattr(tabs, "ask_name", lambda title, current: current)
    qtbot.mouseClick(tabs.add_button, Qt.LeftButton)
    assert panels.watchlist is tabs.current_view and panels.watchlist_model is panels.watchlists.model(1)
    assert QSettings(path, QSettings.IniFormat).value("watchlists/names") == ["Main", "List"]
    panels.watchlist.columns.set_column_visible("volume", False)    # one tab's header menu
    assert tabs.views[0].hidden_columns() == panels.watchlist.hidden_columns()
    assert "volume" in tabs.views[0].hidden_columns()
    picked = []
    panels.chart_model.set_instrument = picked.append
    _click_tab(qtbot, tabs, 0)
    wait_until(aloop, lambda: all(r.resolved for r in panels.watchlist_model.records()), what="resolved")
    _drag_row(tabs, 1, 0)
    assert QSettings(path, QSettings.IniFormat).value("watchlists/0/symbols") == ["AAPL", "SPY"]
    panels.watchlist.select_symbol("SPY")
    assert picked and picked[-1].display_symbol == "SPY"
    panels.shutdown()
    _, again = fake_panels(qtbot, QSettings(path, QSettings.IniFormat))
    assert again.watchlists.names() == ["Main", "List"] and again.watchlists.current == 0
    assert again.watchlist_model.symbols() == ["AAPL", "SPY"]
    again.shutdown()
