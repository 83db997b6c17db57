"""AlertEngine: each kind fires exactly when it should, one-shot vs repeating (re-arm),
the per-instrument index, JSON round trip of an Alert."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from app.domain import AccountValue, Action, ConnectionState, Instrument, OrderRecord, OrderStatus, OrderType, Quote
from app.domain.alerts import Alert, AlertEngine, AlertKind, SPIKE_LOOKBACK, quote_price

AAPL = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL", "APPLE INC")
MSFT = Instrument("MSFT", "STK", "SMART", "USD", "NASDAQ", 272093, 0.01, "MSFT", "MICROSOFT CORP")
T0 = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)


def q(inst=AAPL, **kw) -> Quote:
    return Quote(inst.key, **kw)


def engine(*alerts) -> AlertEngine:
    e = AlertEngine(clock=lambda: T0)
    for a in alerts:
        e.put(a)
    return e


def fired(firings):
    return [f.alert.id for f in firings]


def test_price_above_fires_on_the_crossing_and_one_shot_disables():
    a = Alert(AlertKind.PRICE_ABOVE, AAPL, level=190.0)
    e = engine(a)
    assert e.on_quotes([q(last=189.99)]) == []
    f = e.on_quotes([q(last=190.0)])
    assert fired(f) == [a.id] and "AAPL at 190" in f[0].message
    assert f[0].alert.last_fired == T0 and not f[0].alert.enabled
    assert e.on_quotes([q(last=189.0)]) == [] and e.on_quotes([q(last=191.0)]) == []
    assert e.keys() == set()          # a disabled alert leaves the index


def test_repeating_re_arms_after_crossing_back():
    a = Alert(AlertKind.PRICE_BELOW, AAPL, level=100.0, repeat=True)
    e = engine(a)
    assert fired(e.on_quotes([q(last=99.0)])) == [a.id]
    assert e.on_quotes([q(last=98.0)]) == []            # still below: no second firing
    assert e.on_quotes([q(last=100.5)]) == []           # back above: re-armed
    f = e.on_quotes([q(last=100.0)])
    assert fired(f) == [a.id] and f[0].alert.enabled


def test_price_uses_last_else_mid_and_ignores_close_only():
    assert quote_price(q(bid=10.0, ask=10.2)) == pytest.approx(10.1)
    assert quote_price(q(last=11.0, bid=10.0, ask=10.2)) == 11.0
    assert quote_price(q(close=12.0)) is None
    e = engine(Alert(AlertKind.PRICE_ABOVE, AAPL, level=10.0))
    assert e.on_quotes([q(close=12.0)]) == []
    assert len(e.on_quotes([q(bid=10.0, ask=10.2)])) == 1


def test_pct_move_either_direction_from_previous_close():
    up = Alert(AlertKind.PCT_MOVE, AAPL, level=2.0)
    dn = Alert(AlertKind.PCT_MOVE, MSFT, level=2.0)
    e = engine(up, dn)
    assert e.on_quotes([q(last=101.9, close=100.0), q(MSFT, last=98.1, close=100.0)]) == []
    assert e.on_quotes([q(last=102.0)]) == []          # no close yet on this quote
    f = e.on_quotes([q(last=102.0, close=100.0), q(MSFT, last=97.5, close=100.0)])
    assert fired(f) == [up.id, dn.id] and "-2.50 %" in f[1].message


def test_volume_above():
    a = Alert(AlertKind.VOLUME_ABOVE, AAPL, level=1_000_000)
    e = engine(a)
    assert e.on_quotes([q(volume=999_999)]) == []
    assert fired(e.on_quotes([q(volume=1_000_000)])) == [a.id]


def test_volume_spike_compares_the_last_window_with_the_lookback_average():
    a = Alert(AlertKind.VOLUME_SPIKE, AAPL, level=3.0, window=2, repeat=True)
    e = engine(a)
    vol = 0.0
    minutes = 2 * (SPIKE_LOOKBACK + 1)
    out = []
    for m in range(minutes + 1):                       # 100 shares a minute: steady
        out += e.on_quotes([q(volume=vol, time=T0 + timedelta(minutes=m))])
        out += e.on_quotes([q(volume=vol, time=T0 + timedelta(minutes=m, seconds=30))])
        vol += 100
    assert out == []
    t = T0 + timedelta(minutes=minutes + 1)
    assert e.on_quotes([q(volume=vol + 250, time=t)]) == []                 # 2 min: 450 < 3 x 200
    f = e.on_quotes([q(volume=vol + 800, time=t + timedelta(minutes=1))])   # 2 min: 900 + ... >= 600
    assert fired(f) == [a.id] and "× the average" in f[0].message


def test_volume_spike_waits_for_a_full_lookback():
    e = engine(Alert(AlertKind.VOLUME_SPIKE, AAPL, level=2.0, window=1))
    assert e.on_quotes([q(volume=0, time=T0)]) == []
    assert e.on_quotes([q(volume=1e6, time=T0 + timedelta(minutes=1))]) == []


def order(status, oid=1, inst=AAPL, message="", filled=0.0):
    return OrderRecord(order_id=oid, perm_id=0, client_id=1, instrument=inst, action=Action.BUY,
                       quantity=100, order_type=OrderType.LMT, limit_price=10.0, stop_price=None,
                       tif="DAY", status=status, filled=filled, avg_fill_price=10.0, message=message)


def test_order_filled_once_per_order_and_symbol_filter():
    anyone = Alert(AlertKind.ORDER_FILLED, repeat=True)
    msft_only = Alert(AlertKind.ORDER_FILLED, MSFT, repeat=True)
    e = engine(anyone, msft_only)
    assert e.on_order(order(OrderStatus.SUBMITTED)) == []
    f = e.on_order(order(OrderStatus.FILLED, filled=100))
    assert fired(f) == [anyone.id] and "Order 1 filled: BUY 100 AAPL at 10" in f[0].message
    assert e.on_order(order(OrderStatus.FILLED, filled=100)) == []       # the same order again
    assert fired(e.on_order(order(OrderStatus.FILLED, oid=2, inst=MSFT))) == [anyone.id, msft_only.id]


def test_order_rejected_inactive_or_error_201_not_a_plain_cancel():
    a = Alert(AlertKind.ORDER_REJECTED, repeat=True)
    e = engine(a)
    assert e.on_order(order(OrderStatus.CANCELLED, message="202: Order Canceled")) == []
    assert len(e.on_order(order(OrderStatus.INACTIVE, oid=2))) == 1
    f = e.on_order(order(OrderStatus.CANCELLED, oid=3, message="201: Order rejected - reason:"))
    assert len(f) == 1 and "201: Order rejected" in f[0].message


def test_one_shot_order_alert_fires_once():
    a = Alert(AlertKind.ORDER_FILLED)
    e = engine(a)
    assert len(e.on_order(order(OrderStatus.FILLED))) == 1
    assert e.on_order(order(OrderStatus.FILLED, oid=2)) == []


def test_connection_lost_and_restored_once_per_outage_not_on_a_chosen_disconnect():
    lost = Alert(AlertKind.CONNECTION_LOST, repeat=True)
    back = Alert(AlertKind.CONNECTION_RESTORED, repeat=True)
    e = engine(lost, back)
    S = ConnectionState
    assert e.on_state(S.CONNECTING) == [] and e.on_state(S.CONNECTED) == []
    assert fired(e.on_state(S.LOST, "socket")) == [lost.id]
    assert e.on_state(S.RECONNECTING) == [] and e.on_state(S.CONNECTING) == []
    assert fired(e.on_state(S.CONNECTED)) == [back.id]
    assert e.on_state(S.DISCONNECTED) == [] and e.on_state(S.CONNECTED) == []


def test_cushion_below_with_re_arm_and_other_tags_ignored():
    a = Alert(AlertKind.CUSHION_BELOW, level=0.10, repeat=True)
    e = engine(a)
    av = lambda tag, v: AccountValue("DU1", tag, str(v), "")
    assert e.on_account_value(av("NetLiquidation", 0.01)) == []
    assert e.on_account_value(av("Cushion", 0.25)) == []
    f = e.on_account_value(av("Cushion", 0.05))
    assert fired(f) == [a.id] and "5.0 %" in f[0].message
    assert e.on_account_value(av("Cushion", 0.04)) == []
    e.on_account_value(av("Cushion", 0.5))
    assert len(e.on_account_value(av("Cushion", 0.09))) == 1


def test_index_only_touches_the_quoted_instrument_and_disabled_alerts_are_kept():
    a = Alert(AlertKind.PRICE_ABOVE, AAPL, level=1.0)
    b = Alert(AlertKind.PRICE_ABOVE, MSFT, level=1.0, enabled=False)
    e = engine(a, b)
    assert e.keys() == {AAPL.key}
    assert e.on_quotes([q(MSFT, last=5.0)]) == []
    assert [x.id for x in e.alerts()] == [a.id, b.id]
    e.put(Alert(AlertKind.PRICE_ABOVE, MSFT, level=1.0, id=b.id))       # edit: enabled now
    assert e.keys() == {AAPL.key, MSFT.key}
    assert e.remove(a.id) is not None and e.keys() == {MSFT.key} and e.remove("nope") is None


@pytest.mark.parametrize("alert, reason", [
    (Alert(AlertKind.PRICE_ABOVE, None, level=1.0), "needs a symbol"),
    (Alert(AlertKind.PRICE_ABOVE, AAPL, level=0.0), "above 0"),
    (Alert(AlertKind.VOLUME_SPIKE, AAPL, level=0.5), "multiple"),
    (Alert(AlertKind.CUSHION_BELOW, level=10.0), "fraction"),
    (Alert(AlertKind.PCT_MOVE, AAPL, level=float("nan")), "number"),
])
def test_check_rejects_bad_alerts(alert, reason):
    with pytest.raises(ValueError, match=reason):
        AlertEngine().put(alert)


def test_json_round_trip():
    a = Alert(AlertKind.VOLUME_SPIKE, AAPL, level=3.0, window=5, repeat=True, last_fired=T0, note="n")
    b = Alert.from_dict(json.loads(json.dumps(a.to_dict())))
    assert b == a
    c = Alert(AlertKind.CONNECTION_LOST)
    assert Alert.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert c.describe() == "Connection lost" and "AAPL volume over 5 min" in a.describe()


def test_volume_spike_with_gaps_between_quotes_and_a_new_day():
    a = Alert(AlertKind.VOLUME_SPIKE, AAPL, level=2.0, window=2)
    e = engine(a)
    out = []
    for m in range(0, 21, 3):                          # a quote every 3 minutes, 100 a minute
        out += e.on_quotes([q(volume=100.0 * m, time=T0 + timedelta(minutes=m))])
    assert out == []
    t = T0 + timedelta(minutes=21)                     # 3 min at 250 a minute: 2.5x the average
    f = e.on_quotes([q(volume=1800.0 + 750.0, time=t)])
    assert fired(f) == [a.id] and "per 2 min" in f[0].message
    e2 = engine(Alert(AlertKind.VOLUME_SPIKE, AAPL, level=2.0, window=1))
    for m in range(10):
        e2.on_quotes([q(volume=1000.0 * m, time=T0 + timedelta(minutes=m))])
    # a new day: the volume starts over, so the lookback starts over too (no firing)
    assert e2.on_quotes([q(volume=5.0, time=T0 + timedelta(minutes=10))]) == []
    assert e2.on_quotes([q(volume=9000.0, time=T0 + timedelta(minutes=11))]) == []


def test_orders_reported_by_a_connect_sync_never_fire():
    a = Alert(AlertKind.ORDER_FILLED, repeat=True)
    e = engine(a)
    assert e.on_order(order(OrderStatus.FILLED, oid=7), live=False) == []
    assert e.on_order(order(OrderStatus.FILLED, oid=7)) == []            # re-emitted after CONNECTED
    assert len(e.on_order(order(OrderStatus.FILLED, oid=8))) == 1
