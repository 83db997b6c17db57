"""The linked workspace acting as a trader: colour chips on docks and charts, several charts
(tabs, 2x2 grid), named layouts saved / loaded / reset, and the workspace kept across a restart.
Real Panels and MainWindow over a FakeSession."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings, Qt

from app.ui.chart.workspace import MAX_CHARTS
from tests.fakes import CONTRACTS
from tests.gui.desk_support import fake_panels
from tests.gui.terminal_support import show_window
from tests.support import run_for, wait_until


def _window(qtbot, aloop, settings):
    s, panels = fake_panels(qtbot, settings)
    w = show_window(qtbot, panels, settings)
    aloop.run_until_complete(s.connect())
    panels.on_connected()
    wait_until(aloop, lambda: panels.chart_model.instrument is not None, what="first symbol charted")
    return s, panels, w


@pytest.fixture
def desk(qtbot, aloop, tmp_path):
    settings = QSettings(str(tmp_path / "desk.ini"), QSettings.IniFormat)
    settings.setValue("watchlist/symbols", ["AAPL", "MSFT", "NVDA"])
    s, panels, w = _window(qtbot, aloop, settings)
    yield s, panels, w, settings
    panels.shutdown()


def _symbol(model):
    return model.instrument.display_symbol if model.instrument is not None else None


def _pick_colour(chip, colour: str) -> None:
    """Choose ``colour`` in a link chip's menu as a trader does (the menu's action)."""
    chip.actions_by_colour[colour].trigger()


def _type_symbol(qtbot, aloop, field, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key_Return)
    wait_until(aloop, lambda: field.resolving is not None and field.resolving.done(), what=f"{text} resolved")


def test_every_linked_dock_has_a_chip_in_its_title_bar(desk):
    _s, panels, w, _ = desk
    for name in ("watchlist", "scanner", "ticket", "ladder", "timesales", "alerts"):
        bar = w.docks[name].titleBarWidget()
        assert bar.chip is panels.chips[name] and bar.chip.colour == "red"
    assert w.docks["blotter"].titleBarWidget().chip is None
    assert w.docks["blotter"].titleBarWidget().title.text() == "Orders & Executions"
    w.docks["news"].titleBarWidget().close_button.click()
    assert w.docks["news"].isHidden()


def test_linked_panels_follow_the_watchlist_and_an_unlinked_one_stays_put(desk, qtbot, aloop):
    _s, panels, w, _ = desk
    _pick_colour(panels.chips["ladder"], "")             # the ladder keeps its symbol
    first = _symbol(panels.chart_model)
    assert panels.ladder.model.instrument.display_symbol == first
    panels.watchlist.select_symbol("NVDA")
    wait_until(aloop, lambda: _symbol(panels.chart_model) == "NVDA", what="chart follows")
    assert panels.ticket_model.instrument.display_symbol == "NVDA"
    assert panels.timesales_model.instrument.display_symbol == "NVDA"
    assert panels.ladder.model.instrument.display_symbol == first
    # the ladder rejoins red: it loads red's symbol at once
    _pick_colour(panels.chips["ladder"], "red")
    assert panels.ladder.model.instrument.display_symbol == "NVDA"


def test_a_second_chart_in_its_own_colour_drives_only_its_group(desk, qtbot, aloop):
    _s, panels, w, _ = desk
    qtbot.mouseClick(panels.charts.add_button, Qt.LeftButton)
    assert panels.charts.names() == ["chart1", "chart2"] and panels.charts.current_name() == "chart2"
    chart2 = panels.charts.view("chart2")
    model2 = panels.chart_models()["chart2"]
    assert _symbol(model2) == _symbol(panels.chart_model)          # starts on red's symbol
    chip2 = chart2.toolbar.itemAt(0).widget()
    _pick_colour(chip2, "blue")
    _pick_colour(panels.chips["ladder"], "blue")
    _type_symbol(qtbot, aloop, chart2.symbol_label, "msft")
    assert _symbol(model2) == "MSFT"
    assert panels.ladder.model.instrument.display_symbol == "MSFT"     # blue follows
    assert _symbol(panels.chart_model) != "MSFT"                        # red stays
    assert panels.ticket_model.instrument.display_symbol != "MSFT"
    assert panels.charts.tabs.tabText(1) == "MSFT · 5 mins"
    # an unknown symbol: IB's reason in the chart, the chart keeps MSFT
    _type_symbol(qtbot, aloop, chart2.symbol_label, "xqzz")
    assert _symbol(model2) == "MSFT" and "XQZZ" in chart2.trade_message.text()


def test_charts_in_a_grid_at_most_four_and_the_main_chart_stays(desk, qtbot, aloop):
    _s, panels, w, _ = desk
    menu = panels.workspace_menu
    for _ in range(MAX_CHARTS - 1):
        menu.new_chart_action.trigger()
    assert panels.charts.count() == MAX_CHARTS and not panels.charts.add_button.isEnabled()
    assert not menu.new_chart_action.isEnabled()            # Ctrl+T at the limit: nothing
    assert menu.new_chart() is None and panels.charts.count() == MAX_CHARTS
    assert "At most 4 charts" in w.status.currentMessage()
    menu.mode_actions["grid"].trigger()
    assert panels.charts.mode == "grid"
    views = panels.charts.views()
    run_for(aloop, 0.05)
    assert all(v.isVisible() for v in views)
    positions = sorted((v.mapTo(panels.charts, v.rect().topLeft()).x() > 10,
                        v.mapTo(panels.charts, v.rect().topLeft()).y() > 10) for v in views)
    assert positions == [(False, False), (False, True), (True, False), (True, True)]   # 2x2
    menu.mode_actions["tabs"].trigger()
    panels.charts.set_current("chart1")
    assert not menu.close_chart_action.isEnabled()          # Ctrl+W on the main chart: nothing
    menu.close_chart()
    assert "main chart cannot be closed" in w.status.currentMessage()
    panels.charts.set_current("chart2")
    assert menu.close_chart_action.isEnabled()
    # a tab's close button closes that chart and cancels its history subscription
    model3 = panels.chart_models()["chart3"]
    i = panels.charts.names().index("chart3")
    panels.charts.tabs.tabCloseRequested.emit(i)
    assert "chart3" not in panels.charts.names() and "chart3" not in panels.links.names()
    assert model3.instrument is not None and getattr(model3, "_sub_id", None) is None
    assert panels.charts.add_button.isEnabled()


def test_named_layout_save_change_load_reset(desk, qtbot, aloop, tmp_path):
    _s, panels, w, settings = desk
    menu = panels.workspace_menu
    name = panels.new_chart()
    chart2 = panels.charts.view(name)
    _pick_colour(chart2.toolbar.itemAt(0).widget(), "")
    _type_symbol(qtbot, aloop, chart2.symbol_label, "NVDA")
    panels.chart_models()[name].set_bar_size("1 hour")
    chart2.add_indicator("RSI", period=9)
    menu.mode_actions["grid"].trigger()
    w.docks["ladder"].close()
    menu.ask_name = lambda default: _done("Scalp 1")
    aloop.run_until_complete(menu.save_as())
    path = tmp_path / "desk.layouts" / "Scalp 1.json"
    doc = json.loads(path.read_text())
    assert doc["links"]["chart2"] == "" and doc["links"]["ticket"] == "red"
    assert doc["window"]["docks"]["ladder"] == {"visible": False, "floating": False}
    assert doc["charts"]["mode"] == "grid"
    c2 = next(c for c in doc["charts"]["charts"] if c["name"] == "chart2")
    assert c2["bar_size"] == "1 hour" and c2["instrument"]["symbol"] == "NVDA"
    assert c2["indicators"] == [{"name": "RSI", "params": {"period": 9}}]
    # change everything, then load it back
    w.reset_layout_action.trigger()
    assert panels.charts.mode == "tabs" and panels.links.colour("chart2") == "red"
    assert not w.docks["ladder"].isHidden()
    panels.close_chart("chart2")
    assert menu.load("Scalp 1") == []
    assert panels.charts.mode == "grid" and panels.charts.names() == ["chart1", "chart2"]
    m2 = panels.chart_models()["chart2"]
    assert _symbol(m2) == "NVDA" and m2.bar_size == "1 hour" and panels.links.colour("chart2") == ""
    assert [type(i).__name__ for i, _ in panels.charts.view("chart2").indicators] == ["RSI"]
    assert w.docks["ladder"].isHidden()
    assert "Layout 'Scalp 1' loaded" in w.status.currentMessage()
    # the menu lists it; saving again asks before replacing (No keeps the file)
    menu._refresh_layouts()
    assert "Scalp 1" in [a.text() for a in menu.layouts_menu.actions()]
    before = path.read_text()
    menu.ask_overwrite = lambda n: _done(False)
    assert aloop.run_until_complete(menu.save_as()) is False and path.read_text() == before


def test_bad_layout_files_and_names_get_a_clear_message(desk, aloop, tmp_path):
    _s, panels, w, _ = desk
    menu = panels.workspace_menu
    folder = tmp_path / "desk.layouts"
    folder.mkdir()
    (folder / "broken.json").write_text("{oops")
    charts_before = panels.charts.names()
    assert menu.load("broken") is None
    assert "cannot be read" in w.status.currentMessage() and "broken.json" in w.status.currentMessage()
    assert panels.charts.names() == charts_before
    menu.ask_name = lambda default: _done("../x")
    assert aloop.run_until_complete(menu.save_as()) is False
    assert "letters, digits" in w.status.currentMessage()
    # a hand-edited file: an unknown colour and a panel this build lacks are reported, the rest applies
    doc = menu.layout()
    doc["links"]["ticket"] = "magenta"
    doc["links"]["timesales"] = ""
    doc["window"]["docks"]["nonesuch"] = {"visible": True}
    doc["charts"]["charts"].append({"name": "chart2", "link": "pink", "bar_size": "1 min"})
    menu.store.save("edited", doc)
    problems = menu.load("edited")
    assert any("magenta" in p for p in problems) and any("nonesuch" in p for p in problems)
    assert any(p.startswith("chart2: Unknown link colour 'pink'") for p in problems)
    assert panels.links.colour("chart2") == "red" and panels.chart_models()["chart2"].bar_size == "1 min"
    assert panels.links.colour("timesales") == "" and panels.links.colour("ticket") == "red"


def test_the_workspace_survives_a_restart(qtbot, aloop, tmp_path):
    settings = QSettings(str(tmp_path / "r.ini"), QSettings.IniFormat)
    settings.setValue("watchlist/symbols", ["AAPL", "MSFT"])
    _s, panels, w = _window(qtbot, aloop, settings)
    name = panels.new_chart()
    _pick_colour(panels.charts.view(name).toolbar.itemAt(0).widget(), "green")
    _pick_colour(panels.chips["ladder"], "green")
    _type_symbol(qtbot, aloop, panels.charts.view(name).symbol_label, "MSFT")
    _pick_colour(panels.chips["ticket"], "")
    panels.ticket.set_instrument(CONTRACTS["NVDA"])
    panels.charts.set_mode("grid")
    panels.shutdown()
    w.close()
    _s2, again, w2 = _window(qtbot, aloop, QSettings(str(tmp_path / "r.ini"), QSettings.IniFormat))
    try:
        assert again.charts.names() == ["chart1", "chart2"] and again.charts.mode == "grid"
        assert again.links.colour("chart2") == "green" and again.links.colour("ticket") == ""
        wait_until(aloop, lambda: again.ticket_model.instrument is not None, what="ticket symbol")
        assert again.ticket_model.instrument.display_symbol == "NVDA"    # unlinked: its own symbol
        assert again.chips["ticket"].colour == ""
        # green starts on its chart's symbol, not on the watchlist's
        assert _symbol(again.chart_models()["chart2"]) == "MSFT"
        assert again.ladder.model.instrument.display_symbol == "MSFT"
        assert _symbol(again.chart_model) == "AAPL"
    finally:
        again.shutdown()


async def _async(value):
    return value


def _done(value):
    return _async(value)


def test_a_symbol_dragged_onto_a_panel_loads_it_and_its_colour_follows(desk, qtbot, aloop):
    from tests.gui.test_symbol_drag import _text, drag_drop
    from app.ui.symbol_drag import instrument_mime

    _s, panels, w, _ = desk
    # a watchlist row dragged onto the order ticket: the ticket and every red panel load it
    model = panels.watchlist_model
    row = next(r for r in range(model.rowCount()) if model.records()[r].instrument.symbol == "MSFT")
    assert drag_drop(panels.ticket, model.mimeData([model.index(row, 0)])).accepted
    wait_until(aloop, lambda: _symbol(panels.chart_model) == "MSFT", what="red follows the drop")
    assert panels.ticket_model.instrument.display_symbol == "MSFT"
    # typed text dropped onto an unlinked second chart: only that chart loads it
    name = panels.new_chart()
    chart2 = panels.charts.view(name)
    _pick_colour(chart2.toolbar.itemAt(0).widget(), "")
    assert drag_drop(chart2.plots.viewport(), _text("nvda")).accepted
    wait_until(aloop, lambda: _symbol(panels.chart_models()[name]) == "NVDA", what="chart2 loads NVDA")
    assert _symbol(panels.chart_model) == "MSFT"
    # an unknown symbol: the gateway's reason in the status bar, nothing changes
    assert drag_drop(panels.timesales, instrument_mime([CONTRACTS["AAPL"].__class__("XQZZ")])).accepted
    wait_until(aloop, lambda: "XQZZ" in w.status.currentMessage(), what="drop refused")
    assert panels.timesales_model.instrument.display_symbol == "MSFT"


def test_ladder_keys_are_trader_hotkeys_and_chart_keys_are_reserved(desk):
    _s, panels, w, _ = desk
    assert panels.hotkeys.key_text("ladder_buy_bid") == "B"
    assert panels.ladder.shortcuts["ladder_buy_bid"].key().toString() == "B"
    panels.hotkeys.set_key("ladder_buy_bid", "X")
    assert panels.ladder.shortcuts["ladder_buy_bid"].key().toString() == "X"
    with pytest.raises(ValueError, match="New chart"):
        panels.hotkeys.set_key("buy_bid", "Ctrl+T")


def test_in_a_grid_the_chart_clicked_last_is_current(desk, qtbot, aloop):
    _s, panels, w, _ = desk
    panels.new_chart()
    panels.new_chart()
    panels.charts.set_mode("grid")
    chart2 = panels.charts.view("chart2")
    qtbot.mouseClick(chart2.symbol_label, Qt.LeftButton)
    assert panels.charts.current_name() == "chart2"
    panels.workspace_menu.close_chart_action.trigger()       # Ctrl+W closes the chart in use
    assert panels.charts.names() == ["chart1", "chart3"]


def test_a_hand_written_layout_applies_without_qt_state(desk, tmp_path):
    """A trader writes a layout by hand (no Qt blobs): the docks and charts it names apply,
    nothing is reported missing."""
    _s, panels, w, _ = desk
    folder = tmp_path / "desk.layouts"
    folder.mkdir()
    (folder / "Two charts.json").write_text(json.dumps({
        "format": "ibdesk-layout", "version": 1,
        "window": {"docks": {"news": {"visible": False}}},
        "links": {"ladder": "blue"},
        "charts": {"mode": "grid", "charts": [
            {"name": "chart1", "bar_size": "1 hour"},
            {"name": "chart2", "link": "blue", "instrument": {"symbol": "MSFT", "con_id": 272093}}]}}))
    assert panels.workspace_menu.load("Two charts") == []
    assert w.docks["news"].isHidden() and panels.charts.mode == "grid"
    assert panels.chart_model.bar_size == "1 hour" and panels.links.colour("ladder") == "blue"
    assert _symbol(panels.chart_models()["chart2"]) == "MSFT"
    assert panels.ladder.model.instrument.display_symbol == "MSFT"    # blue shows blue's chart
