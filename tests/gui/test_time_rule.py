"""One clock rule for every time shown (issue 14 item 6): View → Times → Exchange time
(with its zone) or Local time, stored per profile, applied at once to the Orders and
Executions tables, the log panel, the journal view and the chart's time axis."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSettings

from app.commands import OrderCommands
from app.domain import Action, OrderRequest, OrderType
from app.domain.timezones import TimeRule
from app.journal import Journal
from app.ui.main_window import MainWindow
from app.ui.panels import build_panels
from app.viewmodels.timedisplay import KEY_TIME_RULE, TIME_DISPLAY
from tests.fakes import FakeSession
from tests.support import wait_until

TOKYO = ZoneInfo("Asia/Tokyo")       # the "machine's" zone: never New York, whatever the host's


def _terminal(qtbot, aloop, settings, journal):
    session = FakeSession()
    panels = build_panels(session, OrderCommands(session), settings, journal=journal)
    window = MainWindow(panels.charts, panels.docks(), settings, chips=panels.chips, restore_layout=False)
    panels.install_trading(window)
    qtbot.addWidget(window)
    panels.on_connected()
    wait_until(aloop, lambda: panels.chart_model.instrument is not None and not panels.chart_model.loading,
               5, what="chart loaded")
    return session, panels, window


def _action(window, rule: TimeRule):
    return next(a for a in window.times_menu.actions() if a.data() == rule.value)


def _cell(model, row, key="time"):
    return model.index(row, model.column_index(key)).data()


def test_view_times_switches_every_panel_live_and_is_kept_per_profile(qtbot, aloop, tmp_path):
    TIME_DISPLAY.local_zone = TOKYO
    settings = QSettings(str(tmp_path / "p.ini"), QSettings.IniFormat)
    journal = Journal(tmp_path / "journal.sqlite", client_id=1)
    session, panels, window = _terminal(qtbot, aloop, settings, journal)
    rec = session.place_order(OrderRequest(session.contracts["AAPL"], Action.BUY, 10, OrderType.MKT))
    ex = session.fill(rec.order_id, price=190.0)
    journal.record("api", call="placeOrder", order_id=rec.order_id, symbol="AAPL")
    assert journal.flush()
    window.log.add("INFO", "hello")
    session.set_account_value("NetLiquidation", "100000")
    net_liq_name = panels.account._names["NetLiquidation.reported"]
    wait_until(aloop, lambda: net_liq_name.text().endswith(" ET)"), 3, what="Net Liq. time in ET")
    wait_until(aloop, lambda: panels.journal_view.model.rowCount() >= 1, 5, what="journal row")
    orders, execs, jmodel = panels.orders_model, panels.executions_model, panels.journal_view.model
    placed = panels.orders_model.find(rec.order_id).created
    ny = ZoneInfo("America/New_York")

    # the default: exchange time with its zone, everywhere
    assert _action(window, TimeRule.EXCHANGE).isChecked()
    assert _cell(orders, 0) == f"{placed.astimezone(ny):%H:%M:%S} ET"
    assert _cell(execs, 0) == f"{ex.time.astimezone(ny):%H:%M:%S} ET"
    assert window.log.toPlainText().splitlines()[-1].split("  ")[0].endswith(" ET")
    assert jmodel.data(jmodel.index(0, 0)).endswith(" ET")
    assert getattr(panels.chart_view.time_axis._tz, "key", "") == "America/New_York"

    # View → Times → Local time: every panel follows at once
    _action(window, TimeRule.LOCAL).trigger()
    assert TIME_DISPLAY.rule is TimeRule.LOCAL and _action(window, TimeRule.LOCAL).isChecked()
    assert _cell(orders, 0) == f"{placed.astimezone(TOKYO):%H:%M:%S}"
    assert _cell(execs, 0) == f"{ex.time.astimezone(TOKYO):%H:%M:%S}"
    last_log = window.log.toPlainText().splitlines()[-1]
    assert not last_log.split("  ")[0].endswith("ET") and last_log.endswith("hello")
    ts = jmodel.event_at(0).ts
    assert jmodel.data(jmodel.index(0, 0)) == ts.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    assert panels.chart_view.time_axis._tz is TOKYO
    assert "ET" not in net_liq_name.text() and net_liq_name.text().startswith("Net Liq. (IB ")
    assert settings.value(KEY_TIME_RULE) == "local"
    panels.shutdown()
    journal.close()

    # the profile keeps the choice
    TIME_DISPLAY.set_rule(TimeRule.EXCHANGE)
    again = QSettings(str(tmp_path / "p.ini"), QSettings.IniFormat)
    window2 = MainWindow(panels.chart_view, {}, again, restore_layout=False)
    qtbot.addWidget(window2)
    assert TIME_DISPLAY.rule is TimeRule.LOCAL and _action(window2, TimeRule.LOCAL).isChecked()


def test_exchange_time_uses_the_instruments_zone_from_ib():
    from app.domain import Instrument
    from app.viewmodels.timedisplay import TimeDisplay

    t = datetime(2026, 7, 1, 13, 30, 5, tzinfo=timezone.utc)
    shown = TimeDisplay(TimeRule.EXCHANGE, local_zone=TOKYO)
    assert shown.text(t, Instrument("AAPL", time_zone="US/Eastern")) == "09:30:05 ET"
    assert shown.text(t, Instrument("VOD", time_zone="Europe/London")) == "14:30:05 London"
    assert shown.text(t, Instrument("X", time_zone="EST (Eastern Standard Time)")) == "09:30:05 ET"
    assert shown.text(t, with_date=True, ms=True) == "2026-07-01 09:30:05.000 ET"
    shown.set_rule("local")
    assert shown.text(t) == "22:30:05" and shown.label() == "local"
