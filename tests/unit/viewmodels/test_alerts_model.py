"""AlertsModel with FakeSession: fired log and signal, counted quote subscriptions (one per
instrument), enable / disable / remove, persistence round trip, a damaged file."""

from __future__ import annotations

import json

from app.domain import ConnectionState, OrderStatus
from app.domain.alerts import Alert, AlertKind
from app.viewmodels.alerts import AlertsModel
from tests.fakes import FakeSession


def _model(tmp_path=None, session=None):
    s = session or FakeSession()
    m = AlertsModel(s, path=(tmp_path / "default.alerts.json") if tmp_path else None)
    fired = []
    m.fired.connect(lambda a, msg: fired.append((a.id, msg)))
    return s, m, fired


def test_price_alert_fires_into_the_log_and_the_signal(qapp):
    s, m, fired = _model()
    a = m.add(Alert(AlertKind.PRICE_ABOVE, s.contracts["AAPL"], level=190.0))
    s.push_quote("AAPL", last=189.5)
    assert fired == [] and m.log.rowCount() == 0
    s.push_quote("AAPL", last=190.25)
    assert fired == [(a.id, "AAPL at 190.25: price above 190.00")]
    assert m.log.rowCount() == 1 and m.log.record(0).alert.id == a.id
    row = m.alerts.record(m.alerts.row_of(a.id))
    assert not row.enabled and row.last_fired is not None      # one-shot: disabled
    assert s.quote_refs == {}                                  # and its quotes released


def test_one_subscription_per_instrument_counted_with_other_panels(qapp):
    s, m, _ = _model()
    aapl = s.contracts["AAPL"]
    s.subscribe_quotes(aapl)                                   # the watchlist quotes AAPL already
    a = m.add(Alert(AlertKind.PRICE_ABOVE, aapl, level=500.0))
    b = m.add(Alert(AlertKind.PRICE_BELOW, aapl, level=1.0))
    assert s.quote_refs == {aapl.key: 2}                       # one count for both alerts
    m.set_enabled(a.id, False)
    assert s.quote_refs == {aapl.key: 2}
    m.remove(b.id)
    assert s.quote_refs == {aapl.key: 1}                       # the watchlist's stays
    m.set_enabled(a.id, True)
    assert s.quote_refs == {aapl.key: 2}
    m.close()
    assert s.quote_refs == {aapl.key: 1}


def test_the_latest_quote_is_evaluated_when_an_alert_is_added(qapp):
    s, m, fired = _model()
    s.subscribe_quotes(s.contracts["MSFT"])
    s.push_quote("MSFT", last=400.0)
    m.add(Alert(AlertKind.PRICE_ABOVE, s.contracts["MSFT"], level=399.0))
    assert len(fired) == 1


def test_order_connection_and_cushion_alerts_through_session_events(qapp):
    s, m, fired = _model()
    m.add(Alert(AlertKind.ORDER_FILLED, repeat=True))
    m.add(Alert(AlertKind.CONNECTION_LOST, repeat=True))
    m.add(Alert(AlertKind.CONNECTION_RESTORED, repeat=True))
    m.add(Alert(AlertKind.CUSHION_BELOW, level=0.2, repeat=True))
    from app.domain import Action, OrderRequest, OrderType
    s.auto_submit = False
    rec = s.place_order(OrderRequest(s.contracts["AAPL"], Action.BUY, 10, OrderType.LMT, limit_price=100.0))
    s.submit(rec.order_id)
    s.fill(rec.order_id)
    assert s.order(rec.order_id).status is OrderStatus.FILLED
    s.reconnect()
    s.set_account_value("Cushion", "0.15")
    texts = [msg for _, msg in fired]
    assert texts[0].startswith(f"Order {rec.order_id} filled: BUY 10 AAPL")
    assert texts[1:3] == ["Connection lost: Socket disconnect", "Connection restored"]
    assert texts[3].startswith("Margin cushion 15.0 % is below 20 %")
    assert m.log.rowCount() == 4 and m.log.record(0).message == texts[3]     # newest first
    assert s.state is ConnectionState.CONNECTED


def test_checkbox_column_toggles(qapp):
    from PySide6.QtCore import Qt
    s, m, _ = _model()
    a = m.add(Alert(AlertKind.PRICE_ABOVE, s.contracts["AAPL"], level=500.0))
    idx = m.alerts.index(0, 0)
    assert m.alerts.data(idx, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert m.alerts.setData(idx, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert not m.engine.get(a.id).enabled
    assert m.alerts.data(idx, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked


def test_persistence_round_trip(qapp, tmp_path):
    s, m, _ = _model(tmp_path)
    a = m.add(Alert(AlertKind.PRICE_ABOVE, s.contracts["AAPL"], level=190.0, repeat=True))
    b = m.add(Alert(AlertKind.CUSHION_BELOW, level=0.1))
    m.add(Alert(AlertKind.VOLUME_SPIKE, s.contracts["EUR.USD"], level=3.0, window=2))
    s.push_quote("AAPL", last=191.0)
    m.set_enabled(b.id, False)
    path = tmp_path / "default.alerts.json"
    doc = json.loads(path.read_text())
    assert doc["version"] == 1 and [d["kind"] for d in doc["alerts"]] == [
        "price_above", "cushion_below", "volume_spike"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    m.close()
    s2, m2, _ = _model(tmp_path)
    assert m2.items() == m.items()
    assert m2.engine.get(a.id).last_fired is not None and not m2.engine.get(b.id).enabled
    assert set(s2.quote_refs) == {s.contracts["AAPL"].key, s.contracts["EUR.USD"].key}
    assert m2.alerts.rowCount() == 3


def test_a_damaged_file_is_set_aside(qapp, tmp_path):
    path = tmp_path / "default.alerts.json"
    path.write_text("{not json")
    s, m, _ = _model(tmp_path)
    assert m.items() == [] and (tmp_path / "default.alerts.json.bad").exists()


def test_add_symbol_resolves_and_reports_unknown(qapp, aloop):
    s, m, _ = _model()
    problems = []
    m.problem.connect(problems.append)
    a = aloop.run_until_complete(m.add_symbol("msft", AlertKind.PRICE_BELOW, 300.0))
    assert a.instrument == s.contracts["MSFT"] and m.items() == [a]
    edited = aloop.run_until_complete(m.add_symbol("MSFT", AlertKind.PRICE_BELOW, 250.0, alert_id=a.id))
    assert edited.id == a.id and m.items()[0].level == 250.0
    assert aloop.run_until_complete(m.add_symbol("ZZZZ", AlertKind.PRICE_BELOW, 1.0)) is None
    assert problems and "No security definition" in problems[0]


def test_fired_log_is_bounded_newest_first(qapp):
    from datetime import datetime, timezone

    from app.domain.alerts import Firing
    from app.viewmodels.alerts import FiredLogModel

    log = FiredLogModel(capacity=3)
    a = Alert(AlertKind.CONNECTION_LOST)
    for i in range(5):
        log.add(Firing(a, f"m{i}", datetime.now(timezone.utc)))
    assert [log.record(r).message for r in range(log.rowCount())] == ["m4", "m3", "m2"]
    assert log.row_of(5) == 0 and log.row_of(3) == 2 and log.row_of(1) is None
    assert log.record_for(4).message == "m3"


def test_firings_are_saved_later_and_on_close(qapp, tmp_path):
    s, m, _ = _model(tmp_path)
    a = m.add(Alert(AlertKind.PRICE_ABOVE, s.contracts["AAPL"], level=10.0, repeat=True))
    s.push_quote("AAPL", last=11.0)
    path = tmp_path / "default.alerts.json"
    assert json.loads(path.read_text())["alerts"][0]["last_fired"] is None     # not yet
    m.close()
    assert json.loads(path.read_text())["alerts"][0]["last_fired"] is not None
    assert m.engine.get(a.id).last_fired is not None


def test_orders_seen_while_connecting_do_not_fire(qapp):
    s, m, fired = _model()
    m.add(Alert(AlertKind.ORDER_FILLED, repeat=True))
    s._set_state(ConnectionState.CONNECTING, "sync")
    from app.domain import Action, OrderRecord, OrderType
    old = OrderRecord(order_id=3, perm_id=9, client_id=1, instrument=s.contracts["AAPL"], action=Action.SELL,
                      quantity=5, order_type=OrderType.MKT, limit_price=None, stop_price=None, tif="DAY",
                      status=OrderStatus.FILLED, filled=5)
    s.add_order(old)
    s._set_state(ConnectionState.CONNECTED, "")
    s.add_order(old)
    assert fired == []


def test_alert_times_follow_the_time_rule():
    """Last fired and the fired log show times as every other panel does (View → Times):
    exchange time with its zone label, or local time; they change when the rule does."""
    from datetime import datetime, timezone

    from PySide6.QtCore import Qt

    from app.domain.alerts import Firing
    from app.viewmodels.alerts import FiredLogModel
    from app.viewmodels.timedisplay import TIME_DISPLAY, TimeRule

    log = FiredLogModel()
    alert = Alert(AlertKind.PRICE_ABOVE, FakeSession().contracts["AAPL"], level=238.84)
    log.add(Firing(alert, "AAPL at 238.86", datetime(2026, 12, 7, 14, 45, 39, tzinfo=timezone.utc)))
    saved = TIME_DISPLAY.rule
    try:
        TIME_DISPLAY.set_rule(TimeRule.EXCHANGE)
        assert log.data(log.index(0, 0), Qt.DisplayRole) == "09:45:39 ET"
        TIME_DISPLAY.set_rule(TimeRule.LOCAL)
        assert log.data(log.index(0, 0), Qt.DisplayRole) == \
            datetime(2026, 12, 7, 14, 45, 39, tzinfo=timezone.utc).astimezone().strftime("%H:%M:%S")
    finally:
        TIME_DISPLAY.set_rule(saved)


def test_levels_and_messages_use_the_instruments_tick(qapp):
    """A price level reads as the instrument's prices do (238.40, 1.07050), not 238.4."""
    s, m, fired = _model()
    a = m.add(Alert(AlertKind.PRICE_BELOW, s.contracts["EUR.USD"], level=1.0705))
    b = m.add(Alert(AlertKind.PRICE_ABOVE, s.contracts["AAPL"], level=238.4))
    col = m.alerts.column_index("level")
    assert m.alerts.index(m.alerts.row_of(a.id), col).data() == "1.07050"
    assert m.alerts.index(m.alerts.row_of(b.id), col).data() == "238.40"
    assert b.describe() == "AAPL price above 238.40"
    s.push_quote("EUR.USD", bid=1.0704, ask=1.0705)
    assert fired and fired[-1][1].endswith("price below 1.07050") and "at 1.07045" in fired[-1][1]
