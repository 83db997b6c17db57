"""The blotter's orders view-model: one row per order, updated in place.

Fed by ``Session.orderEvent`` (every change of any order: new, status, fill,
modify, error text; also orders of other API clients) and seeded from
``Session.orders()``. Rows are keyed by (clientId, orderId) — an orderId is
unique per API client (IB API docs, "Order Management") — and by permId for
orders without an API orderId (TWS manual orders, orderId 0). A later record
for the same key replaces the row in place: no duplicate rows, only the
changed cells repaint.

:class:`OrderFilterProxy` adds the "working only / all" filter and numeric
sorting (``setSortRole(SORT_ROLE)``).
"""

from __future__ import annotations

from collections.abc import Hashable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel
from PySide6.QtGui import QColor

from app.domain import OrderRecord, OrderStatus
from app.ui.format import (
    BUY, SELL, STATUS_CANCELLED, STATUS_FILLED, STATUS_INACTIVE, STATUS_WORKING,
    fmt_price, fmt_qty, fmt_time, is_missing,
)
from app.viewmodels.table import RECORD_ROLE, SORT_ROLE, Column, RecordTableModel


def order_key(order: OrderRecord) -> Hashable:
    """Row key: ("id", clientId, orderId) for API orders, ("perm", permId) otherwise."""
    if order.order_id > 0:
        return ("id", order.client_id, order.order_id)
    return ("perm", order.perm_id)


def status_colour(status: OrderStatus | str) -> QColor:
    """Working blue, Filled green, (Api)Cancelled grey, Inactive/ValidationError red."""
    s = OrderStatus.parse(str(status)) if not isinstance(status, OrderStatus) else status
    if s is OrderStatus.FILLED:
        return QColor(STATUS_FILLED)
    if s in (OrderStatus.CANCELLED, OrderStatus.API_CANCELLED):
        return QColor(STATUS_CANCELLED)
    if s in (OrderStatus.INACTIVE, OrderStatus.VALIDATION_ERROR):
        return QColor(STATUS_INACTIVE)
    return QColor(STATUS_WORKING)


def _price(attr: str):
    def get(o: OrderRecord):
        v = getattr(o, attr)
        return None if is_missing(v) else v
    return get


def _fmt_price(v, o: OrderRecord) -> str:
    return fmt_price(v, o.instrument.min_tick)


def _avg(o: OrderRecord):
    return o.avg_fill_price if o.filled and not is_missing(o.avg_fill_price) else None


def _time(o: OrderRecord):
    return o.created or o.updated


def _side_colour(v, o) -> QColor:
    return QColor(BUY) if str(v) == "BUY" else QColor(SELL)


def _status_tip(v, o: OrderRecord) -> str | None:
    return o.message or None


COLUMNS: tuple[Column[OrderRecord], ...] = (
    Column("order_id", "Order ID", lambda o: o.order_id, lambda v, o: str(v), numeric=True,
           header_tip="API orderId"),
    Column("time", "Time", _time, lambda v, o: fmt_time(v),
           sort=lambda v, o: v.timestamp() if v else float("-inf"),
           tooltip=lambda v, o: f"{v.isoformat()} (UTC)" if v else None,
           header_tip="Time the order was first seen (local time)"),
    Column("symbol", "Symbol", lambda o: o.instrument.display_symbol),
    Column("side", "Side", lambda o: str(o.action), foreground=_side_colour),
    Column("quantity", "Qty", lambda o: o.quantity, lambda v, o: fmt_qty(v), numeric=True),
    Column("type", "Type", lambda o: str(o.order_type)),
    Column("limit", "Limit", _price("limit_price"), _fmt_price, numeric=True),
    Column("stop", "Stop", _price("stop_price"), _fmt_price, numeric=True),
    Column("tif", "TIF", lambda o: o.tif),
    Column("status", "Status", lambda o: str(o.status),
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


class OrdersModel(RecordTableModel[OrderRecord]):
    """Every order the session has seen. ``session`` provides ``orders()`` and ``orderEvent``."""

    def __init__(self, session, parent: QObject | None = None, **kw):
        super().__init__(COLUMNS, parent, **kw)
        self.session = session
        for o in session.orders():
            self.on_order(o)
        session.orderEvent += self.on_order

    def close(self) -> None:
        """Stop listening to ``orderEvent``."""
        self.session.orderEvent -= self.on_order

    def on_order(self, order: OrderRecord) -> None:
        """Session ``orderEvent`` handler: insert or update the order's row in place."""
        key = order_key(order)
        if order.order_id > 0 and order.perm_id:
            # the same order may have been seen first by permId only (e.g. after reconnect)
            perm_key = ("perm", order.perm_id)
            if perm_key != key and self.row_of(perm_key) is not None:
                self.remove(perm_key)
        self.upsert(key, order)

    def order_at(self, row: int) -> OrderRecord:
        """The OrderRecord of source row ``row``."""
        return self.record(row)

    def find(self, order_id: int, client_id: int | None = None) -> OrderRecord | None:
        """The order with API ``order_id`` (of ``client_id``, default the session's)."""
        cid = self.session.client_id if client_id is None else client_id
        return self.record_for(("id", cid, order_id))


class OrderFilterProxy(QSortFilterProxyModel):
    """Sort by raw values and optionally show working orders only (IB working states:
    ApiPending, PendingSubmit, PendingCancel, PreSubmitted, Submitted)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._working_only = False
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    @property
    def working_only(self) -> bool:
        return self._working_only

    def set_working_only(self, on: bool) -> None:
        """Show only working orders (True) or all orders (False)."""
        if on != self._working_only:
            self._working_only = on
            if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
                self.beginFilterChange()
                self.endFilterChange()
            else:
                self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self._working_only:
            return True
        order = self.sourceModel().index(source_row, 0, source_parent).data(RECORD_ROLE)
        return order is not None and order.is_working

    def order_at(self, proxy_row: int) -> OrderRecord | None:
        """The OrderRecord shown on ``proxy_row`` (None when out of range)."""
        if not 0 <= proxy_row < self.rowCount():
            return None
        return self.index(proxy_row, 0).data(RECORD_ROLE)
