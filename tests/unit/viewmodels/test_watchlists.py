"""WatchlistSet without a view: lists, rename, remove, reorder, CSV round trip (bad rows),
settings round trip (incl. the old single-list key), shared quote subscriptions."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QSettings, Qt

from app.viewmodels.instrument_mime import INSTRUMENT_MIME
from app.viewmodels.watchlist import DEFAULT_SYMBOLS, ROW_MIME, WatchlistError
from app.viewmodels.watchlists import (
    KEY_CURRENT, KEY_NAMES, KEY_OLD_SYMBOLS, WatchlistSet, parse_symbols_csv, symbols_to_csv,
)
from tests.fakes import FakeSession
from tests.support import wait_until


def _settings(tmp_path, name="p.ini") -> QSettings:
    return QSettings(str(tmp_path / name), QSettings.IniFormat)


def _resolved(aloop, lists: WatchlistSet) -> None:
    wait_until(aloop, lambda: all(r.resolved for m in lists.models() for r in m.records()),
               what="rows resolved")


def test_add_rename_remove_and_current(qapp):
    lists = WatchlistSet(FakeSession(connected=False))
    lists.add_list("Main", ["AAPL"])
    i, skipped = lists.add_list()
    assert (i, skipped, lists.names()) == (1, [], ["Main", "List"])
    assert lists.add_list(symbols=["SPY", "spy", "bad symbol!"])[1][0] == "spy: duplicate"
    assert lists.names() == ["Main", "List", "List 2"]
    with pytest.raises(WatchlistError, match="already"):
        lists.rename_list(1, "main")
    with pytest.raises(WatchlistError, match="name"):
        lists.add_list("  ")
    assert lists.rename_list(1, " Tech ") == "Tech"
    lists.set_current(2)
    assert lists.current_model.symbols() == ["SPY"]
    lists.remove_list(1)                       # before the current one: the current follows
    assert lists.names() == ["Main", "List 2"] and lists.current == 1
    lists.remove_list(1)
    assert lists.current == 0
    with pytest.raises(WatchlistError, match="last"):
        lists.remove_list(0)


def test_overlapping_lists_share_one_subscription_and_removing_releases(qapp, aloop):
    s = FakeSession()
    lists = WatchlistSet(s)
    lists.add_list("A", ["AAPL", "MSFT"])
    lists.add_list("B", ["AAPL"])
    _resolved(aloop, lists)
    aapl = lists.model(0).instruments()[0].key
    assert s.quote_refs[aapl] == 2             # counted by the Session: one gateway request
    lists.remove_list(1)
    assert s.quote_refs[aapl] == 1 and aapl in s.subscribed


def test_reorder_by_drop_and_move(qapp, aloop):
    lists = WatchlistSet(FakeSession())
    lists.add_list("Main", ["AAPL", "MSFT", "NVDA", "SPY"])
    _resolved(aloop, lists)
    m = lists.model(0)
    assert m.move_symbol(0, 2) and m.symbols() == ["MSFT", "NVDA", "AAPL", "SPY"]
    assert not m.move_symbol(1, 1) and not m.move_symbol(9, 0)
    # the drag: the row number as mime data, dropped before row 0
    data = m.mimeData([m.index(3, 0)])
    assert m.dropMimeData(data, Qt.CopyAction, 0, 0, QModelIndex())
    assert m.symbols() == ["SPY", "MSFT", "NVDA", "AAPL"]
    data = m.mimeData([m.index(0, 0)])         # dropped at the end (below the last row)
    assert m.dropMimeData(data, Qt.CopyAction, -1, -1, QModelIndex())
    assert m.symbols() == ["MSFT", "NVDA", "AAPL", "SPY"]
    # the row, then its instrument (dragged onto another list or a panel it is added / loaded)
    assert m.mimeTypes() == [ROW_MIME, INSTRUMENT_MIME, "text/plain"]
    assert m.flags(m.index(0, 0)) & Qt.ItemIsDragEnabled


def test_drops_from_elsewhere_add_and_other_data_is_refused(qapp, aloop):
    from PySide6.QtCore import QMimeData

    lists = WatchlistSet(FakeSession())
    lists.add_list("Main", ["AAPL"])
    lists.add_list("B", ["MSFT", "NVDA"])
    _resolved(aloop, lists)
    m, b = lists.model(0), lists.model(1)
    prose, foreign_row = QMimeData(), QMimeData()
    prose.setText("not a symbol!")
    foreign_row.setData(ROW_MIME, b"1:0")          # a row number without its instrument
    for data in (prose, foreign_row, QMimeData()):
        assert not m.canDropMimeData(data, Qt.CopyAction, -1, -1, QModelIndex())
        assert not m.dropMimeData(data, Qt.CopyAction, -1, -1, QModelIndex())
    row_of_b = b.mimeData([b.index(1, 0)])         # NVDA of list B: added to Main, B unchanged
    assert not m.dropMimeData(row_of_b, Qt.IgnoreAction, -1, -1, QModelIndex())
    assert m.canDropMimeData(row_of_b, Qt.MoveAction, 0, 0, QModelIndex())
    assert m.dropMimeData(row_of_b, Qt.MoveAction, 0, 0, QModelIndex())
    wait_until(aloop, lambda: not m.drops, what="drop added")
    assert m.symbols() == ["AAPL", "NVDA"] and b.symbols() == ["MSFT", "NVDA"]


def test_csv_round_trip_and_bad_rows(qapp):
    text = symbols_to_csv(["AAPL", "EUR.USD", "SPY"])
    assert text.splitlines()[0] == "symbol"
    assert parse_symbols_csv(text) == (["AAPL", "EUR.USD", "SPY"], [])
    # a broker export: several columns, "Symbol" header, bad and repeated rows
    syms, skipped = parse_symbols_csv("Name,Symbol,Qty\nApple,aapl,1\nX,,2\nY,not ok!,3\nZ,AAPL,4\n")
    assert syms == ["AAPL"]
    assert skipped[0] == "row 3: empty" and skipped[1].startswith("row 4: 'not ok!'")
    assert skipped[2] == "row 5: AAPL: duplicate"
    # one column without a header, or with another header
    assert parse_symbols_csv("MSFT\nspy\n\n") == (["MSFT", "SPY"], [])
    assert parse_symbols_csv("ticker\nMSFT\n")[0] == ["MSFT"]
    with pytest.raises(ValueError, match="no 'symbol' column"):
        parse_symbols_csv("a,b\n1,2\n")
    lists = WatchlistSet(FakeSession(connected=False))
    lists.add_list("Main", ["AAPL", "MSFT"])
    i, skipped = lists.import_csv(lists.export_csv(0) + "??\n", "Main")
    assert lists.names()[i] == "Main 2" and lists.model(i).symbols() == ["AAPL", "MSFT"]
    assert len(skipped) == 1 and skipped[0].startswith("row 4: '??'")


def test_settings_round_trip(qapp, tmp_path):
    st = _settings(tmp_path)
    lists = WatchlistSet(FakeSession(connected=False))
    assert lists.load(st) == []
    assert lists.names() == ["Main"] and lists.model(0).symbols() == list(DEFAULT_SYMBOLS)
    lists.add_list("Tech", ["NVDA", "MSFT"])
    lists.add_list("FX", ["EUR.USD"])
    lists.model(1).move_symbol(1, 0)
    lists.set_current(1)
    lists.save(st)
    again = WatchlistSet(FakeSession(connected=False))
    again.load(_settings(tmp_path))
    assert again.names() == ["Main", "Tech", "FX"] and again.current == 1
    assert again.model(1).symbols() == ["MSFT", "NVDA"] and again.model(2).symbols() == ["EUR.USD"]
    again.remove_list(2)
    again.add_list("Empty")
    again.save(st)
    st.sync()
    assert st.value("watchlists/2/symbols") is None or list(st.value("watchlists/2/symbols") or []) == []
    third = WatchlistSet(FakeSession(connected=False))
    third.load(_settings(tmp_path))
    assert third.names() == ["Main", "Tech", "Empty"] and third.model(2).symbols() == []


def test_old_single_list_key_becomes_main(qapp, tmp_path):
    st = _settings(tmp_path)
    st.setValue(KEY_OLD_SYMBOLS, ["SPY", "AAPL", "oops!"])
    lists = WatchlistSet(FakeSession(connected=False))
    skipped = lists.load(st)
    assert lists.names() == ["Main"] and lists.model(0).symbols() == ["SPY", "AAPL"]
    assert len(skipped) == 1 and skipped[0].startswith("Main: oops!")
    lists.save(st)
    assert st.value(KEY_NAMES) in (["Main"], "Main") and int(st.value(KEY_CURRENT)) == 0
    assert st.value(KEY_OLD_SYMBOLS) == ["SPY", "AAPL"]   # still written for older versions
