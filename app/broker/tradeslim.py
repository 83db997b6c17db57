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

The values are shared too (issue 12: 10,000 orders of a master client): every ``Order`` and
``Contract`` field the decoder filled holds its own copy of "BUY", "LMT", "DAY", the account,
"SMART", "USD", 100.0... :func:`slim_order` keeps one object per distinct value
(:func:`shared_value`: strings interned, floats from a bounded table), the empty list fields
become the one :data:`EMPTY_LIST` (a list that refuses changes), and :func:`shared_contract`
gives equal contracts of slimmed trades one ``Contract`` object (nobody changes the contract
of another client's order: ib_async updates only a known order's prices, quantity, type and
permId). Measured with the session's own records: 3.8 KB -> 2.5 KB per order.

:func:`install` hooks ``IB.wrapper.openOrder`` and ``completedOrder`` (where ib_async
creates those ``Trade`` objects) of one ``IB``; it checks the ib_async version and the
shapes it relies on and leaves ib_async alone (with a warning) when they differ.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
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


class _EmptyList(list):
    """An empty ``list`` (equal to ``[]``, same repr) that refuses every change with
    ``TypeError``: one object stands for the empty list fields of every slimmed order."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("the list fields of other clients' orders are shared and read-only "
                        "(app.broker.tradeslim)")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


#: the one empty list standing for the empty list fields (algoParams, conditions...) of slim orders
EMPTY_LIST = _EmptyList()

#: most distinct floats :func:`shared_value` keeps (then it stops adding)
SHARED_FLOATS_MAX = 16_384
_FLOATS: dict[float, float] = {}
_ZERO = 0.0


def shared_value(v: Any) -> Any:
    """One object per distinct value for the scalars of slim orders and contracts: ``str``
    interned (``sys.intern``); a ``float`` from a table of up to :data:`SHARED_FLOATS_MAX`
    values (quantities, prices: 100.0 on most orders; +0.0); anything else (ints: ids are
    distinct and small ones are shared by Python; -0.0, NaN) as is. The result is always
    ``==`` to ``v`` and of the same type."""
    t = type(v)
    if t is str:
        return sys.intern(v)
    if t is float and v == v:            # not NaN
        if not v:                        # 0.0 and -0.0 are equal keys: only +0.0 is shared
            return _ZERO if math.copysign(1.0, v) > 0 else v
        got = _FLOATS.get(v)
        if got is None:
            if len(_FLOATS) >= SHARED_FLOATS_MAX:
                return v
            got = _FLOATS[v] = v
        return got
    return v


def slim_order(order: Any) -> Any:
    """A copy of an ib_async ``Order`` (dataclass) holding only the attributes whose value
    differs from the class default, each a :func:`shared_value`; empty list fields are
    :data:`EMPTY_LIST`, other ``default_factory`` fields (non-empty lists, the soft dollar
    tier) are kept as they are. Reads of any field give an equal value."""
    cls = type(order)
    slim = cls.__new__(cls)
    slim.__dict__.update({k: _shared_field(v) for k, v in vars(order).items()
                          if not (k in _defaults(cls) and _is_default(v, _defaults(cls)[k]))})
    return slim


def _shared_field(v: Any) -> Any:
    if type(v) is list and not v:
        return EMPTY_LIST
    return shared_value(v)


_CONTRACTS: dict[tuple, Any] = {}


def shared_contract(contract: Any) -> Any:
    """The first contract seen equal to ``contract`` (same class, every field equal; a contract
    with combo legs or a delta-neutral contract is returned as it is). Its scalars are
    :func:`shared_value` s and an empty ``comboLegs`` is :data:`EMPTY_LIST`. Keeps one entry per
    distinct contract of the account's orders (the session's life)."""
    fields = vars(contract)
    if fields.get("comboLegs") or fields.get("deltaNeutralContract") is not None:
        return contract
    try:
        key = (type(contract), *((k, v) for k, v in fields.items() if k != "comboLegs"))
        got = _CONTRACTS.get(key)
    except TypeError:                    # an unhashable field: keep it whole
        return contract
    if got is None:
        for k, v in fields.items():
            fields[k] = _shared_field(v)
        got = _CONTRACTS[key] = contract
    return got


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _defaults(cls: type) -> dict[str, Any]:
    """Field name -> class-level default of dataclass ``cls`` (plain defaults only)."""
    d = _DEFAULTS.get(cls)
    if d is None:
        d = _DEFAULTS[cls] = {f.name: getattr(cls, f.name) for f in dataclasses.fields(cls)
                              if f.default is not dataclasses.MISSING and hasattr(cls, f.name)}
    return d


def slim_trade(trade: Any) -> Any:
    """Slim ``trade`` (an ib_async ``Trade``) in place: :func:`slim_order` for its order,
    :func:`shared_contract` for its contract and :data:`NO_LISTENERS` for its seven events
    (refused if one of them has a listener).
    Returns ``trade``. Idempotent."""
    if getattr(trade, TRADE_EVENTS[0], None) is NO_LISTENERS:
        return trade
    if any(len(getattr(trade, name)) for name in TRADE_EVENTS):
        return trade                     # somebody listens: keep it whole
    trade.order = slim_order(trade.order)
    trade.contract = shared_contract(trade.contract)
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
