"""Smaller ib_async ``Trade`` objects for the orders of other API clients and of TWS.

ib_async 2.1.0 keeps one ``Trade`` per order it hears of (``IB.trades()``) for the life of
the connection: an ``Order`` dataclass holding all of its 139 fields in its own
``__dict__`` (about 3 KB even when 130 of them are the defaults) and seven
``eventkit.Event`` objects (``statusEvent`` ... ``cancelledEvent``, about 3.5 KB). A master
API client or client 0 sees every order of the account: 10,000 working orders cost about
100 MB in ib_async alone (measured: 10.4 KB per trade).

ibdesk can neither modify nor cancel the orders of other clients (IB API: a client
manages its own orders; TWS orders only after binding) and never listens to per-trade
events (it uses ``IB.openOrderEvent`` / ``orderStatusEvent``). For those trades,
:func:`slim_trade` keeps only the order fields that differ from ``Order``'s defaults
(``Order``'s class attributes answer the rest, so every read, ``==``, ``repr`` and
``dataclasses.fields``-based copy gives the same values) and shares one
:data:`NO_LISTENERS` event for the seven events (it refuses listeners, so a later use
fails loudly instead of never firing). Measured: 2.0 KB per trade.

:func:`install` hooks ``IB.wrapper.openOrder`` and ``completedOrder`` (where ib_async
creates those ``Trade`` objects) of one ``IB``; it checks the ib_async version and the
shapes it relies on and leaves ib_async alone (with a warning) when they differ.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Callable

from eventkit import Event

log = logging.getLogger("ibdesk.broker.tradeslim")

#: ib_async major version the shapes below were checked against (2.1.0)
WRITTEN_FOR_MAJOR = 2
#: the per-trade events ib_async 2.1.0 creates in ``Trade.__post_init__``
TRADE_EVENTS = ("statusEvent", "modifyEvent", "fillEvent", "commissionReportEvent",
                "filledEvent", "cancelEvent", "cancelledEvent")


class NoListenersEvent(Event):
    """An event that is emitted into the void: ``emit`` and ``set_done`` do nothing and
    ``connect`` (``+=``) raises ``RuntimeError`` naming this module."""

    def connect(self, listener, error=None, done=None, keep_ref: bool = False):
        raise RuntimeError(
            "per-trade events of other clients' orders are not kept (app.broker.tradeslim): "
            "listen to IB.openOrderEvent / orderStatusEvent / execDetailsEvent instead")

    __iadd__ = connect

    def emit(self, *args) -> None:
        return None

    def set_done(self) -> None:
        return None


#: the one event standing for the seven per-trade events of every slimmed trade
NO_LISTENERS = NoListenersEvent("tradeslim")


def _is_default(value: Any, default: Any) -> bool:
    return value is default or (type(value) is type(default) and value == default)


def slim_order(order: Any) -> Any:
    """A copy of an ib_async ``Order`` (dataclass) holding only the attributes whose value
    differs from the class default; fields with a ``default_factory`` (lists, the soft
    dollar tier) are kept as they are. Reads of any field give the same value."""
    cls = type(order)
    slim = cls.__new__(cls)
    slim.__dict__.update({k: v for k, v in vars(order).items()
                          if not (k in _defaults(cls) and _is_default(v, _defaults(cls)[k]))})
    return slim


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _defaults(cls: type) -> dict[str, Any]:
    """Field name -> class-level default of dataclass ``cls`` (plain defaults only)."""
    d = _DEFAULTS.get(cls)
    if d is None:
        d = _DEFAULTS[cls] = {f.name: getattr(cls, f.name) for f in dataclasses.fields(cls)
                              if f.default is not dataclasses.MISSING and hasattr(cls, f.name)}
    return d


def slim_trade(trade: Any) -> Any:
    """Slim ``trade`` (an ib_async ``Trade``) in place: :func:`slim_order` for its order and
    :data:`NO_LISTENERS` for its seven events (refused if one of them has a listener).
    Returns ``trade``. Idempotent."""
    if getattr(trade, TRADE_EVENTS[0], None) is NO_LISTENERS:
        return trade
    if any(len(getattr(trade, name)) for name in TRADE_EVENTS):
        return trade                     # somebody listens: keep it whole
    trade.order = slim_order(trade.order)
    for name in TRADE_EVENTS:
        setattr(trade, name, NO_LISTENERS)
    return trade


def _mismatch(ib: Any) -> str:
    import ib_async
    from ib_async import Order, Trade

    version = getattr(ib_async, "__version__", "?")
    if getattr(ib_async, "__version_info__", (None,))[0] != WRITTEN_FOR_MAJOR:
        return f"ib_async {version} is not {WRITTEN_FOR_MAJOR}.x"
    if not dataclasses.is_dataclass(Order) or not hasattr(Order(), "__dict__"):
        return "ib_async's Order is not a dataclass with a __dict__"
    trade = Trade()
    missing = [n for n in TRADE_EVENTS if not isinstance(getattr(trade, n, None), Event)]
    if missing:
        return f"ib_async's Trade has no {', '.join(missing)} event"
    wrapper = getattr(ib, "wrapper", None)
    for name in ("openOrder", "completedOrder", "orderKey", "trades", "permId2Trade"):
        if not hasattr(wrapper, name):
            return f"ib_async's Wrapper has no {name}"
    return ""


def install(ib: Any, own_client_id: Callable[[], int]) -> bool:
    """Slim every ``Trade`` ib_async creates on ``ib`` (an ``ib_async.IB``) for an order of
    another client than ``own_client_id()`` (read at each order: the session may switch
    endpoints). Returns True when installed, False (with a warning) when the ib_async
    version or shapes differ from 2.1.0's."""
    reason = _mismatch(ib)
    if reason:
        log.warning("keeping ib_async's full Trade objects for other clients' orders: %s", reason)
        return False
    wrapper = ib.wrapper
    open_order, completed_order = wrapper.openOrder, wrapper.completedOrder

    def slim_open_order(orderId, contract, order, orderState):  # noqa: N803 (ib_async names)
        open_order(orderId, contract, order, orderState)
        if order.whatIf or int(order.clientId or 0) == own_client_id():
            return
        trade = wrapper.trades.get(wrapper.orderKey(order.clientId, order.orderId, order.permId))
        if trade is not None:
            slim_trade(trade)

    def slim_completed_order(contract, order, orderState):  # noqa: N803
        completed_order(contract, order, orderState)
        trade = wrapper.permId2Trade.get(order.permId)
        if trade is not None and int(trade.order.clientId or 0) != own_client_id():
            slim_trade(trade)

    wrapper.openOrder = slim_open_order
    wrapper.completedOrder = slim_completed_order
    return True
