"""The blotter's orders view-model: one row per order, updated in place.

Fed by ``Session.orderEvent`` (every change of any order: new, status, fill,
modify, error text; also orders of other API clients) and seeded from
``Session.orders()``. Rows are keyed by (clientId, orderId) — an orderId is
unique per API client (IB API docs, "Order Management") — and by permId for
orders without an API orderId (TWS manual orders, orderId 0). A later record
for the same key replaces the row in place: no duplicate rows, only the
changed cells repaint.

The quantity, limit and stop cells of a working order of this client id are
editable in place (:meth:`OrdersModel.edit_block` says why another cell is not);
the edit goes to ``OrdersModel.edit_handler`` (the blotter sends a ModifyOrder
through the command layer) and never changes the row by itself.

:class:`OrderFilterProxy` filters by status group (:data:`STATUS_FILTERS`) and
symbol prefix, combined, and sorts on raw values (``setSortRole(SORT_ROLE)``).
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Hashable
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, QTimer
from PySide6.QtGui import QColor

from app.domain import OrderRecord, OrderStatus, OrderType
from app.ui import theme
from app.ui.format import fmt_price, fmt_qty, is_missing
from app.viewmodels.timedisplay import TIME_DISPLAY, follow_time_rule
from app.viewmodels.table import (
    RECORD_ROLE, SORT_ROLE, Column, EditableRows, RecordTableModel, with_samples,
)

log = logging.getLogger("ibdesk.orders")


def order_key(order: OrderRecord) -> Hashable:
    """Row key: ("id", clientId, orderId) for API orders, ("perm", permId) otherwise."""
    if order.order_id > 0:
        return ("id", order.client_id, order.order_id)
    return ("perm", order.perm_id)


def status_colour(status: OrderStatus | str) -> QColor:
    """Working blue, Filled green, (Api)Cancelled grey; Inactive, ValidationError and the
    orders a lost connection left unsettled (Not sent, Unknown) red (the current theme's
    ``status_*`` colours, ``app.ui.theme``)."""
    s = OrderStatus.parse(str(status)) if not isinstance(status, OrderStatus) else status
    if s is OrderStatus.FILLED:
        return theme.qcolor("status_filled")
    if s in (OrderStatus.CANCELLED, OrderStatus.API_CANCELLED):
        return theme.qcolor("status_cancelled")
    if s in (OrderStatus.INACTIVE, OrderStatus.VALIDATION_ERROR, OrderStatus.NOT_SENT,
             OrderStatus.UNKNOWN):
        return theme.qcolor("status_inactive")
    return theme.qcolor("status_working")


def _price(attr: str):
    def get(o: OrderRecord):
        v = getattr(o, attr)
        return None if is_missing(v) else v
    return get


def _fmt_price(v, o: OrderRecord) -> str:
    return fmt_price(v, o.instrument.min_tick)


def _avg(o: OrderRecord):
    # 0 is IB's "not known": an order restored through reqCompletedOrders carries its filled
    # quantity but no average price (its fills are in Executions)
    return o.avg_fill_price if o.filled and not is_missing(o.avg_fill_price) and o.avg_fill_price else None


def _time(o: OrderRecord):
    return o.created or o.updated


_LABELS: dict = {}


def _label(v) -> str:
    """``str(v)`` of an enum member or a short text (side, type, status), one object per value:
    the rows of 10,000 orders share a few strings instead of a new one per row and column."""
    text = _LABELS.get(v)
    if text is None:
        text = _LABELS[v] = sys.intern(str(v))
    return text


def _side_colour(v, o) -> QColor:
    return theme.qcolor("buy") if str(v) == "BUY" else theme.qcolor("sell")


#: how the blotter words the statuses that are not IB's own
STATUS_TEXT = {
    OrderStatus.NOT_SENT: "Not sent (connection lost)",
    OrderStatus.UNKNOWN: "Unknown (not reported after reconnect)",
}


def _status_tip(v, o: OrderRecord) -> str | None:
    return o.message or None


COLUMNS: tuple[Column[OrderRecord], ...] = (
    Column("order_id", "Order ID", lambda o: o.order_id, lambda v, o: str(v) if v else "—", numeric=True,
           tooltip=lambda v, o: None if v else (
               f"permId {o.perm_id}: IB reports orders completed before this connection "
               "(reqCompletedOrders) and orders placed in TWS without an API orderId"),
           header_tip="API orderId"),
    Column("time", "Time", _time, lambda v, o: TIME_DISPLAY.text(v, o.instrument),
           sort=lambda v, o: v.timestamp() if v else float("-inf"),
           tooltip=lambda v, o: f"{v.isoformat()} (UTC)" if v else None,
           header_tip="Time the order was placed (the journal's first record of it, else when "
                      "this session first saw it); exchange or local time as chosen in View → Times",
           sample="88:88:88 ET"),
    Column("symbol", "Symbol", lambda o: o.instrument.display_symbol),
    Column("side", "Side", lambda o: _label(o.action), foreground=_side_colour),
    Column("quantity", "Qty", lambda o: o.quantity, lambda v, o: fmt_qty(v), numeric=True),
    Column("type", "Type", lambda o: _label(o.order_type)),
    Column("limit", "Limit", _price("limit_price"), _fmt_price, numeric=True),
    Column("stop", "Stop", _price("stop_price"), _fmt_price, numeric=True),
    Column("tif", "TIF", lambda o: o.tif),
    Column("status", "Status", lambda o: STATUS_TEXT.get(o.status) or _label(o.status),
           foreground=lambda v, o: status_colour(o.status), tooltip=_status_tip),
    Column("filled", "Filled", lambda o: o.filled, lambda v, o: fmt_qty(v), numeric=True),
    Column("remaining", "Remaining", lambda o: o.remaining, lambda v, o: fmt_qty(v), numeric=True),
    Column("avg_price", "Avg Price", _avg, _fmt_price, numeric=True, header_tip="Average fill price"),
    Column("perm_id", "Perm ID", lambda o: o.perm_id or None, lambda v, o: str(v) if v else "",
           numeric=True, header_tip="IB permanent order id"),
    Column("client_id", "Client", lambda o: o.client_id, lambda v, o: str(v), numeric=True,
           header_tip="API client id that placed the order (0 = TWS)"),
    Column("message", "Message", lambda o: o.message, tooltip=lambda v, o: v or None),
)
#: the widest text each column normally shows: its minimum width (``app.ui.columns``), so
#: a later "PreSubmitted" or "STP LMT" is not cut to "PreSub…" after the first rows' fit
COLUMNS = with_samples(COLUMNS, {
    "order_id": "88888", "time": "88:88:88 ET", "symbol": "EUR.USD", "side": "SELL",
    "quantity": "88,888", "type": "STP LMT", "limit": "8,888.88", "stop": "8,888.88", "tif": "GTC",
    "status": "PendingSubmit", "filled": "88,888", "remaining": "88,888", "avg_price": "8,888.88",
    "perm_id": "1888888888", "client_id": "888",
})


#: columns editable in place -> the ``ModifyOrder`` field they change
EDITABLE_FIELDS: dict[str, str] = {"quantity": "quantity", "limit": "limit_price", "stop": "stop_price"}


def uses_prices(order: OrderRecord) -> tuple[bool, bool]:
    """(uses a limit price, uses a stop price) for the order's type (IB "Order Types":
    LMT limit, STP stop, STP LMT both); an unknown type: the prices it carries."""
    try:
        t = OrderType(str(order.order_type))
    except ValueError:
        return not is_missing(order.limit_price), not is_missing(order.stop_price)
    return t.needs_limit, t.needs_stop


class OrdersModel(EditableRows, RecordTableModel[OrderRecord]):
    """Every order the session has seen. ``session`` provides ``orders()``, ``orderEvent``
    and ``client_id`` (whose working orders are editable in place).

    The Time column is when the order was placed, as well as IB lets one know: IB's
    openOrder carries no time, so ``placed_times(perm_ids) -> {permId: UTC datetime}``
    (the audit journal's first event of each permId, ``Journal.first_seen``) is asked once
    per permId, in one batch per loop turn; an earlier time found there replaces the
    record's ``created`` (the first sighting in this session, kept over reconnects by the
    order book). Without a journal, or for an order the journal never saw, it is that
    first sighting. A journal read error leaves the first sighting."""

    def __init__(self, session, parent: QObject | None = None, *, placed_times=None, **kw):
        columns = tuple(
            replace(c, edit_block=(lambda o, key=c.key: self.edit_block(o, key)))
            if c.key in EDITABLE_FIELDS else c for c in COLUMNS)
        super().__init__(columns, parent, **kw)
        self.session = session
        #: clientId -> number of its working orders in the table (kept per upsert/remove,
        #: so "is any of my orders working" costs nothing with 10,000 orders)
        self._working_by_client: Counter[int] = Counter()
        self._counted: dict[Hashable, int] = {}        # key -> clientId of a counted working order
        self._placed_times = placed_times
        self._placed: dict[int, datetime | None] = {}  # permId -> journal's time (None: not there)
        self._lookup: set[int] = set()                 # permIds to ask the journal about
        self._lookup_timer = QTimer(self)
        self._lookup_timer.setSingleShot(True)
        self._lookup_timer.setInterval(0)
        self._lookup_timer.timeout.connect(self._look_up_placed)
        for o in session.orders():
            self.on_order(o)
        session.orderEvent += self.on_order
        follow_time_rule(self)

    def close(self) -> None:
        """Stop listening to ``orderEvent`` and the time rule."""
        self.session.orderEvent -= self.on_order
        follow_time_rule(self, False)

    def on_order(self, order: OrderRecord) -> None:
        """Session ``orderEvent`` handler: insert or update the order's row in place."""
        key = order_key(order)
        if order.order_id > 0 and order.perm_id:
            # the same order may have been seen first by permId only (e.g. after reconnect)
            perm_key = ("perm", order.perm_id)
            if perm_key != key and self.row_of(perm_key) is not None:
                self.remove(perm_key)
        self.upsert(key, self._with_placed(order))

    def _with_placed(self, order: OrderRecord) -> OrderRecord:
        """``order`` with ``created`` = the journal's time when that is earlier."""
        if self._placed_times is None or not order.perm_id:
            return order
        if order.perm_id not in self._placed:
            self._lookup.add(order.perm_id)
            if not self._lookup_timer.isActive():
                self._lookup_timer.start()
            return order
        t = self._placed[order.perm_id]
        if t is not None and (order.created is None or t < order.created):
            return order.copy(created=t)
        return order

    def _look_up_placed(self) -> None:
        perms, self._lookup = sorted(self._lookup), set()
        try:
            found = self._placed_times(perms)
        except Exception as e:  # noqa: BLE001 - a journal problem shows the first sighting
            log.warning("placed times of %d orders not read from the journal: %r", len(perms), e)
            found = {}
        for p in perms:
            self._placed[p] = found.get(p)
        for key, rec in list(zip(self.keys(), self.records())):
            if rec.perm_id in found:
                self.upsert(key, self._with_placed(rec))

    def upsert(self, key: Hashable, record: OrderRecord) -> bool:
        """``RecordTableModel.upsert``, counting working orders per clientId."""
        self._uncount(key)
        if record.is_working:
            self._counted[key] = record.client_id
            self._working_by_client[record.client_id] += 1
        return super().upsert(key, record)

    def remove(self, key: Hashable) -> bool:
        """``RecordTableModel.remove``, counting working orders per clientId."""
        self._uncount(key)
        return super().remove(key)

    def clear(self) -> None:
        super().clear()
        self._counted.clear()
        self._working_by_client.clear()

    def _uncount(self, key: Hashable) -> None:
        cid = self._counted.pop(key, None)
        if cid is not None:
            self._working_by_client[cid] -= 1

    def working_count(self, client_id: int | None = None) -> int:
        """Working orders of ``client_id`` (default the session's) in the table; O(1)."""
        cid = getattr(self.session, "client_id", None) if client_id is None else client_id
        return self._working_by_client[cid]

    def edit_block(self, order: OrderRecord, column_key: str) -> str:
        """Why the ``column_key`` cell ("quantity", "limit", "stop") of ``order`` cannot be
        edited in place, or "" when it can: only working orders placed by this session's
        client id (IB: an API client may modify only its own orders), not while a cancel
        is pending, and only a price the order type uses."""
        own = getattr(self.session, "client_id", None)
        if order.order_id <= 0:
            return "the order has no API orderId (placed in TWS)"
        if order.client_id != own:
            who = "in TWS (client id 0)" if order.client_id == 0 else f"by client id {order.client_id}"
            return f"order {order.order_id} was placed {who}, not by this session (client id {own})"
        if not order.is_working:
            return f"order {order.order_id} is {order.status}"
        if order.status == OrderStatus.PENDING_CANCEL:
            return f"a cancel of order {order.order_id} is pending"
        needs_limit, needs_stop = uses_prices(order)
        if column_key == "limit" and not needs_limit:
            return f"a {order.order_type} order has no limit price"
        if column_key == "stop" and not needs_stop:
            return f"a {order.order_type} order has no stop price"
        return ""

    def order_at(self, row: int) -> OrderRecord:
        """The OrderRecord of source row ``row``."""
        return self.record(row)

    def find(self, order_id: int, client_id: int | None = None) -> OrderRecord | None:
        """The order with API ``order_id`` (of ``client_id``, default the session's)."""
        cid = self.session.client_id if client_id is None else client_id
        return self.record_for(("id", cid, order_id))


#: status filter name -> (label for the combo, statuses shown; None = every status)
STATUS_FILTERS: dict[str, tuple[str, frozenset[OrderStatus] | None]] = {
    "all": ("All", None),
    "working": ("Working", frozenset({
        OrderStatus.API_PENDING, OrderStatus.PENDING_SUBMIT, OrderStatus.PENDING_CANCEL,
        OrderStatus.PRE_SUBMITTED, OrderStatus.SUBMITTED})),
    "filled": ("Filled", frozenset({OrderStatus.FILLED})),
    "cancelled": ("Cancelled", frozenset({OrderStatus.CANCELLED, OrderStatus.API_CANCELLED})),
    "rejected": ("Rejected (Inactive)", frozenset({OrderStatus.INACTIVE, OrderStatus.VALIDATION_ERROR})),
    "lost": ("Not sent / unknown (connection lost)",
             frozenset({OrderStatus.NOT_SENT, OrderStatus.UNKNOWN})),
}


class OrderFilterProxy(QSortFilterProxyModel):
    """Sort by raw values (``SORT_ROLE``) and filter by status group and symbol, combined.

    Status groups (:data:`STATUS_FILTERS`, IB "Possible Order States"): "all";
    "working" (ApiPending, PendingSubmit, PendingCancel, PreSubmitted, Submitted;
    a partly filled order is working); "filled"; "cancelled" (Cancelled,
    ApiCancelled); "rejected" (Inactive, ValidationError). The symbol filter is a
    case-insensitive prefix of the display symbol ("eur" shows EUR.USD).
    """

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._status = "all"
        self._symbol = ""
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def _refilter(self) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            self.endFilterChange()
        else:
            self.invalidateFilter()

    @property
    def status_filter(self) -> str:
        """The status group shown: a key of :data:`STATUS_FILTERS`."""
        return self._status

    def set_status_filter(self, name: str) -> None:
        """Show the status group ``name``; raises ``ValueError`` for an unknown name."""
        if name not in STATUS_FILTERS:
            raise ValueError(f"unknown status filter {name!r}; expected one of {', '.join(STATUS_FILTERS)}")
        if name != self._status:
            self._status = name
            self._refilter()

    @property
    def symbol_filter(self) -> str:
        """The symbol prefix shown ("" = every symbol), as typed."""
        return self._symbol

    def set_symbol_filter(self, prefix: str) -> None:
        """Show orders whose display symbol starts with ``prefix`` (case-insensitive, trimmed)."""
        prefix = (prefix or "").strip()
        if prefix != self._symbol:
            self._symbol = prefix
            self._refilter()

    @property
    def working_only(self) -> bool:
        return self._status == "working"

    def set_working_only(self, on: bool) -> None:
        """Show only working orders (True) or all orders (False)."""
        self.set_status_filter("working" if on else "all")

    def accepts(self, order: OrderRecord) -> bool:
        """True when ``order`` passes the status and symbol filters."""
        statuses = STATUS_FILTERS[self._status][1]
        if statuses is not None and OrderStatus.parse(str(order.status)) not in statuses:
            return False
        if self._symbol and not order.instrument.display_symbol.lower().startswith(self._symbol.lower()):
            return False
        return True

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        order = self.sourceModel().index(source_row, 0, source_parent).data(RECORD_ROLE)
        return order is not None and self.accepts(order)

    def order_at(self, proxy_row: int) -> OrderRecord | None:
        """The OrderRecord shown on ``proxy_row`` (None when out of range)."""
        if not 0 <= proxy_row < self.rowCount():
            return None
        return self.index(proxy_row, 0).data(RECORD_ROLE)
