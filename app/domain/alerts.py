"""Alerts: conditions on quotes, orders, the connection and the account, and their evaluation.

Qt-free and ib_async-free. An :class:`Alert` is plain data (persisted as JSON by
``app.viewmodels.alerts``); :class:`AlertEngine` keeps the alerts' runtime state (armed
or not, volume samples, orders already reported) and turns session events into
:class:`Firing` records. The caller feeds it the Session's events (``quotesEvent``,
``orderEvent``, ``stateEvent``, ``accountValueEvent``; ``app.broker.events``).

Kinds (:class:`AlertKind`) and their condition ("level" is :attr:`Alert.level`):

- ``PRICE_ABOVE`` / ``PRICE_BELOW``: the price (last trade, else the bid/ask midpoint;
  :func:`quote_price`) is at or above / at or below ``level`` (instrument currency).
- ``PCT_MOVE``: the price is ``level`` percent or more away from the previous close
  (IB tick type 9, ``Quote.close``), either direction: ``abs(change %) >= level``.
- ``VOLUME_ABOVE``: the day's volume (IB tick type 8, ``Quote.volume``, shares) is at
  or above ``level``.
- ``VOLUME_SPIKE``: the volume traded in the last ``window`` minutes is at least ``level``
  times the average volume per ``window`` minutes over the :data:`SPIKE_LOOKBACK` windows
  before it. Measured from the day volume's increase, sampled once a minute (the first
  quote of each minute); with gaps (a quiet instrument) both volumes are scaled to
  shares per ``window`` minutes between the samples nearest the window's edges. Needs a
  full lookback (a just-added alert waits ``(SPIKE_LOOKBACK + 1) * window`` minutes); a
  baseline of 0 shares never fires; a lower day volume (a new day) starts over.
- ``ORDER_FILLED``: an order reaches Filled (IB "Possible Order States"); each order
  fires at most once per alert, and orders reported by a connect's synchronization (the
  day's fills, before the Session is CONNECTED) never fire.
- ``ORDER_REJECTED``: an order ends Inactive or ValidationError, or Cancelled with an
  IB rejection (error 201 "Order rejected", 202 is a plain cancel and does not count).
- ``CONNECTION_LOST``: the session goes LOST (an unexpected drop; a disconnect the
  trader asked for does not count).
- ``CONNECTION_RESTORED``: the session is CONNECTED again after LOST / RECONNECTING.
- ``CUSHION_BELOW``: the account value "Cushion" (IB "Account values": excess
  liquidity / net liquidation value, a fraction, 0.25 = 25 %) is below ``level``
  (a fraction too).

Order kinds apply to every order when :attr:`Alert.key` is "", else to that instrument's.

Firing (an edge, never a level): a condition alert fires when its condition becomes true
while it is armed. New alerts are armed, so a condition already true fires on the first
event that shows it (as TWS's price alerts do). A repeating alert (``repeat=True``) is
disarmed by firing and armed again once its condition is false (the price crosses back,
the cushion recovers); a one-shot alert is disabled (``enabled=False``) by firing. Event
kinds (orders, connection) fire per event.

Cost: quote kinds are indexed by instrument key (``dict`` lookup per quote, then only the
alerts of that instrument); a quote of an instrument without alerts costs one lookup.
"""

from __future__ import annotations

import math
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from app.domain.account import AccountValue
from app.domain.connection import ConnectionState
from app.domain.instruments import Instrument
from app.domain.market import Quote
from app.domain.orders import OrderRecord, OrderStatus, price_text

#: the earlier windows a volume spike compares with (their average per window)
SPIKE_LOOKBACK = 5
#: IB error codes that mean the order was rejected (IB "Error Codes": 201 Order rejected)
REJECT_CODES = ("201",)


class AlertKind(StrEnum):
    """What an alert watches (module docstring: the condition of each)."""

    PRICE_ABOVE = "price_above"
    PRICE_BELOW = "price_below"
    PCT_MOVE = "pct_move"
    VOLUME_ABOVE = "volume_above"
    VOLUME_SPIKE = "volume_spike"
    ORDER_FILLED = "order_filled"
    ORDER_REJECTED = "order_rejected"
    CONNECTION_LOST = "connection_lost"
    CONNECTION_RESTORED = "connection_restored"
    CUSHION_BELOW = "cushion_below"

    @property
    def label(self) -> str:
        """Words for menus and logs ("Price above", ...)."""
        return _LABELS[self]

    @property
    def on_quotes(self) -> bool:
        """True for kinds evaluated on an instrument's quotes (they need a symbol)."""
        return self in QUOTE_KINDS

    @property
    def has_level(self) -> bool:
        """True for kinds with a level (quote kinds and the cushion)."""
        return self in QUOTE_KINDS or self is AlertKind.CUSHION_BELOW


#: the kinds whose level is a price in instrument currency
PRICE_KINDS = frozenset({AlertKind.PRICE_ABOVE, AlertKind.PRICE_BELOW})


_LABELS = {
    AlertKind.PRICE_ABOVE: "Price above", AlertKind.PRICE_BELOW: "Price below",
    AlertKind.PCT_MOVE: "% move from close", AlertKind.VOLUME_ABOVE: "Volume above",
    AlertKind.VOLUME_SPIKE: "Volume spike", AlertKind.ORDER_FILLED: "Order filled",
    AlertKind.ORDER_REJECTED: "Order rejected", AlertKind.CONNECTION_LOST: "Connection lost",
    AlertKind.CONNECTION_RESTORED: "Connection restored",
    AlertKind.CUSHION_BELOW: "Margin cushion below",
}
QUOTE_KINDS = frozenset({AlertKind.PRICE_ABOVE, AlertKind.PRICE_BELOW, AlertKind.PCT_MOVE,
                         AlertKind.VOLUME_ABOVE, AlertKind.VOLUME_SPIKE})
ORDER_KINDS = frozenset({AlertKind.ORDER_FILLED, AlertKind.ORDER_REJECTED})


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _num(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


def quote_price(q: Quote) -> float | None:
    """The price price alerts compare: the last trade, else the bid/ask midpoint; None
    when neither is known (a previous close alone never triggers a price alert)."""
    last = q.last
    if last is not None and last == last and last > 0:
        return last
    return q.mid


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert (plain data, JSON-able with :meth:`to_dict` / :meth:`from_dict`).

    ``id`` unique text; ``kind`` an :class:`AlertKind`; ``instrument`` the resolved
    instrument for quote kinds (optional for order kinds: None = any order, required
    otherwise: ``ValueError`` from :meth:`check`); ``level`` in the kind's unit (price in
    instrument currency, percent, shares, a multiple, a cushion fraction); ``window``
    minutes (volume spike only); ``repeat`` re-arms after the condition goes false
    (False = one-shot); ``enabled``; ``created`` / ``last_fired`` UTC; ``note`` free text.
    """

    kind: AlertKind
    instrument: Instrument | None = None
    level: float = 0.0
    window: int = 5
    repeat: bool = False
    enabled: bool = True
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: datetime = field(default_factory=_utcnow)
    last_fired: datetime | None = None
    note: str = ""

    @property
    def key(self) -> str:
        """The instrument key (conId as text, ``Instrument.key``), "" without an instrument."""
        return self.instrument.key if self.instrument is not None else ""

    @property
    def symbol(self) -> str:
        """The display symbol ("AAPL", "EUR.USD"), "" without an instrument."""
        return self.instrument.display_symbol if self.instrument is not None else ""

    def check(self) -> "Alert":
        """``self`` when the alert is well formed; ``ValueError`` with the reason otherwise
        (a quote kind without instrument, a non-finite level, a negative price level, a
        spike multiple or window below 1, a cushion level outside 0..1)."""
        k = self.kind
        if k.on_quotes and self.instrument is None:
            raise ValueError(f"A {k.label.lower()} alert needs a symbol")
        if k.has_level and not math.isfinite(self.level):
            raise ValueError("The level must be a number")
        if k in (AlertKind.PRICE_ABOVE, AlertKind.PRICE_BELOW) and self.level <= 0:
            raise ValueError("The price level must be above 0")
        if k in (AlertKind.PCT_MOVE, AlertKind.VOLUME_ABOVE) and self.level <= 0:
            raise ValueError(f"The {k.label.lower()} level must be above 0")
        if k is AlertKind.VOLUME_SPIKE and (self.level < 1 or self.window < 1):
            raise ValueError("A volume spike needs a multiple of at least 1 and a window of 1 minute or more")
        if k is AlertKind.CUSHION_BELOW and not 0 < self.level < 1:
            raise ValueError("The cushion level is a fraction between 0 and 1 (0.10 = 10 %)")
        return self

    def price_text(self, price: float) -> str:
        """``price`` with the instrument's tick decimals ("238.40", "1.07050";
        ``app.domain.orders.price_text``)."""
        return price_text(price, self.instrument.min_tick if self.instrument is not None else None)

    def level_text(self) -> str:
        """The level of a price alert as :meth:`price_text` writes it."""
        return self.price_text(self.level)

    def describe(self) -> str:
        """The alert in words: "AAPL price above 190", "Margin cushion below 10 %"."""
        k = self.kind
        lv = self.level_text() if k in PRICE_KINDS else f"{self.level:g}"
        if k is AlertKind.PCT_MOVE:
            text = f"{self.symbol} moves {lv} % from the previous close"
        elif k is AlertKind.VOLUME_SPIKE:
            text = f"{self.symbol} volume over {self.window} min ≥ {lv}× its average"
        elif k.on_quotes:
            text = f"{self.symbol} {k.label.lower()} {lv}"
        elif k is AlertKind.CUSHION_BELOW:
            text = f"Margin cushion below {self.level * 100:g} %"
        elif k in ORDER_KINDS:
            text = f"{k.label} ({self.symbol or 'any symbol'})"
        else:
            text = k.label
        return text + (" (repeating)" if self.repeat else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (times as ISO 8601 UTC, the instrument as its fields)."""
        return {"id": self.id, "kind": self.kind.value,
                "instrument": asdict(self.instrument) if self.instrument is not None else None,
                "level": self.level, "window": self.window, "repeat": self.repeat,
                "enabled": self.enabled, "created": self.created.isoformat(),
                "last_fired": self.last_fired.isoformat() if self.last_fired else None,
                "note": self.note}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Alert":
        """The alert of :meth:`to_dict`'s dict. ``KeyError`` / ``ValueError`` /
        ``TypeError`` for a dict that is not one (unknown kind, bad time, ...)."""
        inst = d.get("instrument")
        last = d.get("last_fired")
        return cls(kind=AlertKind(d["kind"]), instrument=Instrument(**inst) if inst else None,
                   level=float(d.get("level", 0.0)), window=int(d.get("window", 5)),
                   repeat=bool(d.get("repeat", False)), enabled=bool(d.get("enabled", True)),
                   id=str(d["id"]), created=datetime.fromisoformat(d["created"]),
                   last_fired=datetime.fromisoformat(last) if last else None,
                   note=str(d.get("note", "")))


@dataclass(frozen=True, slots=True)
class Firing:
    """An alert that fired: ``alert`` as it is after firing (``last_fired`` set; a one-shot
    alert disabled), ``message`` for the trader, ``time`` UTC."""

    alert: Alert
    message: str
    time: datetime


class _State:
    """Runtime state of one alert (not persisted)."""

    __slots__ = ("alert", "armed", "orders", "samples", "minute")

    def __init__(self, alert: Alert):
        self.alert = alert
        self.armed = True
        self.orders: set[tuple] = set()                 # orders already reported
        self.samples: deque = deque()                   # (minute, day volume) of volume spikes
        self.minute = -1


class AlertEngine:
    """The alerts and their evaluation; every ``on_*`` method returns the :class:`Firing`
    list of that event (empty almost always), oldest first.

    ``clock() -> datetime`` (UTC) stamps firings (default: now); volume spikes use the
    quote's ``time`` when set, else the clock. Disabled alerts are kept but not evaluated.
    """

    def __init__(self, clock=_utcnow):
        self._clock = clock
        self._states: dict[str, _State] = {}            # id -> state (every alert)
        self._by_key: dict[str, list[_State]] = {}      # instrument key -> enabled quote alerts
        self._by_kind: dict[AlertKind, list[_State]] = {}   # enabled non-quote alerts
        self._synced: set[tuple] = set()                # done orders reported by a connect's sync
        self._outage = False                            # LOST / RECONNECTING seen, not CONNECTED since

    # ---- the alert list ------------------------------------------------------
    def alerts(self) -> list[Alert]:
        """Every alert, in the order added (an edit keeps its place)."""
        return [s.alert for s in self._states.values()]

    def get(self, alert_id: str) -> Alert | None:
        """The alert ``alert_id`` or None."""
        s = self._states.get(alert_id)
        return s.alert if s is not None else None

    def keys(self) -> set[str]:
        """Instrument keys with enabled quote alerts (the instruments that need quotes)."""
        return {k for k, v in self._by_key.items() if v}

    def put(self, alert: Alert) -> Alert:
        """Add ``alert`` or replace the alert with its id (an edit: it is armed again and
        its samples start over). ``ValueError`` from :meth:`Alert.check`."""
        alert.check()
        old = self._states.get(alert.id)
        if old is not None:
            self._unindex(old)                          # replaced in place: the order stays
        st = _State(alert)
        self._states[alert.id] = st
        self._index(st)
        return alert

    def remove(self, alert_id: str) -> Alert | None:
        """Remove an alert; returns it (None when unknown)."""
        st = self._states.pop(alert_id, None)
        if st is None:
            return None
        self._unindex(st)
        return st.alert

    def _index(self, st: _State) -> None:
        a = st.alert
        if not a.enabled:
            return
        if a.kind.on_quotes:
            self._by_key.setdefault(a.key, []).append(st)
        else:
            self._by_kind.setdefault(a.kind, []).append(st)

    def _unindex(self, st: _State) -> None:
        a = st.alert
        lst = self._by_key.get(a.key) if a.kind.on_quotes else self._by_kind.get(a.kind)
        if lst is not None and st in lst:
            lst.remove(st)
            if not lst and a.kind.on_quotes:
                del self._by_key[a.key]

    def _fire(self, st: _State, message: str, now: datetime | None = None) -> Firing:
        now = now or self._clock()
        a = replace(st.alert, last_fired=now, enabled=st.alert.enabled and st.alert.repeat)
        if not a.enabled:
            self._unindex(st)
        st.alert = a
        st.armed = False
        return Firing(a, message, now)

    def _edge(self, st: _State, cond: bool, message, out: list[Firing]) -> None:
        if cond:
            if st.armed:
                out.append(self._fire(st, message()))
        else:
            st.armed = True

    # ---- events --------------------------------------------------------------
    def on_quotes(self, quotes: list[Quote]) -> list[Firing]:
        """A ``quotesEvent`` batch: evaluates the quote alerts of each quote's instrument."""
        out: list[Firing] = []
        by_key = self._by_key
        for q in quotes:
            states = by_key.get(q.key)
            if states:
                for st in tuple(states):
                    self._quote(st, q, out)
        return out

    def _quote(self, st: _State, q: Quote, out: list[Firing]) -> None:
        a = st.alert
        k = a.kind
        if k is AlertKind.PRICE_ABOVE or k is AlertKind.PRICE_BELOW:
            p = quote_price(q)
            if p is None:
                return
            cond = p >= a.level if k is AlertKind.PRICE_ABOVE else p <= a.level
            self._edge(st, cond, lambda: f"{a.symbol} at {a.price_text(p)}: {k.label.lower()} "
                                         f"{a.level_text()}", out)
        elif k is AlertKind.PCT_MOVE:
            p, c = quote_price(q), q.close
            if p is None or not _num(c) or c <= 0:
                return
            pct = 100.0 * (p - c) / c
            self._edge(st, abs(pct) >= a.level,
                       lambda: f"{a.symbol} at {a.price_text(p)} is {pct:+.2f} % from the previous close "
                               f"{a.price_text(c)}", out)
        elif k is AlertKind.VOLUME_ABOVE:
            v = q.volume
            if not _num(v):
                return
            self._edge(st, v >= a.level, lambda: f"{a.symbol} day volume {v:,.0f} ≥ {a.level:,.0f}", out)
        elif k is AlertKind.VOLUME_SPIKE:
            self._spike(st, q, out)

    def _spike(self, st: _State, q: Quote, out: list[Firing]) -> None:
        v = q.volume
        if not _num(v):
            return
        a = st.alert
        t = q.time or self._clock()
        minute = int(t.timestamp() // 60)
        if minute == st.minute:
            return                                  # sampled once a minute
        st.minute = minute
        s = st.samples
        if s and v < s[-1][1]:
            s.clear()                               # a new day: the volume started over
        s.append((minute, v))
        cut = minute - a.window * (SPIKE_LOOKBACK + 1)
        while len(s) > 1 and s[1][0] <= cut:
            s.popleft()                             # keep one sample at or before the cut
        m0, v0 = s[0]
        if m0 > cut:                                # not a full lookback of samples yet
            return
        split = minute - a.window                   # the last sample at or before it
        mr, vr = m0, v0
        for m, vol in s:
            if m > split:
                break
            mr, vr = m, vol
        if mr <= m0:
            return
        avg = (vr - v0) / (mr - m0) * a.window      # shares per window, before
        recent = (v - vr) / (minute - mr) * a.window
        cond = avg > 0 and recent >= a.level * avg
        self._edge(st, cond, lambda: (f"{a.symbol} traded {recent:,.0f} per {a.window} min, "
                                      f"{recent / avg:.1f}× the average {avg:,.0f}"), out)

    def on_order(self, order: OrderRecord, live: bool = True) -> list[Firing]:
        """An ``orderEvent``: order filled / rejected alerts (each order once per alert).

        ``live`` False: the order was reported by a connect's synchronization (the Session
        is not CONNECTED yet: the day's completed orders and executions, IB reqExecutions /
        reqAllOpenOrders); it fires nothing, now or when reported again, so old fills do
        not fire at every (re)connect."""
        out: list[Firing] = []
        status = order.status
        if status is OrderStatus.FILLED:
            kind = AlertKind.ORDER_FILLED
        elif status in (OrderStatus.INACTIVE, OrderStatus.VALIDATION_ERROR) or (
                status in (OrderStatus.CANCELLED, OrderStatus.API_CANCELLED)
                and order.message.startswith(REJECT_CODES)):
            kind = AlertKind.ORDER_REJECTED
        else:
            return out
        ident = (kind, order.client_id, order.order_id, order.perm_id)
        if not live:
            self._synced.add(ident)
            return out
        states = self._by_kind.get(kind)
        if not states or ident in self._synced:
            return out
        inst = order.instrument
        for st in tuple(states):
            a = st.alert
            if a.instrument is not None and a.key != inst.key:
                continue
            if ident in st.orders:
                continue
            st.orders.add(ident)
            side = order.action.value if hasattr(order.action, "value") else str(order.action)
            if kind is AlertKind.ORDER_FILLED:
                msg = (f"Order {order.order_id} filled: {side} {order.filled:g} {inst.display_symbol} "
                       f"at {order.avg_fill_price:g}")
            else:
                msg = (f"Order {order.order_id} rejected ({status.value}): {side} {order.quantity:g} "
                       f"{inst.display_symbol}" + (f": {order.message}" if order.message else ""))
            out.append(self._fire(st, msg))
        return out

    def on_state(self, state: ConnectionState, message: str = "") -> list[Firing]:
        """A ``stateEvent``: connection lost alerts fire on the first LOST or RECONNECTING of
        an outage, restored alerts on the CONNECTED that ends it. A disconnect the trader
        asked for (DISCONNECTED) ends the outage without a restored alert."""
        kind = None
        if state in (ConnectionState.LOST, ConnectionState.RECONNECTING):
            if not self._outage:
                kind, msg = AlertKind.CONNECTION_LOST, "Connection lost" + (f": {message}" if message else "")
            self._outage = True
        elif state is ConnectionState.CONNECTED:
            if self._outage:
                kind, msg = AlertKind.CONNECTION_RESTORED, "Connection restored" + (
                    f": {message}" if message else "")
            self._outage = False
        elif state is ConnectionState.DISCONNECTED:
            self._outage = False
        out: list[Firing] = []
        if kind is None:
            return out
        for st in tuple(self._by_kind.get(kind, ())):
            out.append(self._fire(st, msg))
        return out

    def on_account_value(self, value: AccountValue) -> list[Firing]:
        """An ``accountValueEvent``: margin cushion alerts on tag "Cushion" (a fraction)."""
        if value.tag != "Cushion":
            return []
        states = self._by_kind.get(AlertKind.CUSHION_BELOW)
        x = value.number
        if not states or x is None:
            return []
        out: list[Firing] = []
        for st in tuple(states):
            a = st.alert
            self._edge(st, x < a.level, lambda: (f"Margin cushion {x * 100:.1f} % is below "
                                                 f"{a.level * 100:g} % (account {value.account})"), out)
        return out


__all__ = ["Alert", "AlertEngine", "AlertKind", "Firing", "ORDER_KINDS", "QUOTE_KINDS",
           "SPIKE_LOOKBACK", "quote_price"]
