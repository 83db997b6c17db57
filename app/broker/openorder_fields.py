"""Order fields that change while an order works, copied from each openOrder into the
order ib_async keeps.

ib_async 2.1.0's ``Wrapper.openOrder`` updates a known order's permId, totalQuantity,
lmtPrice, auxPrice, orderType and orderRef only, and drops the rest of the message. TWS
re-sends openOrder when a trailing stop moves (the new ``trailStopPrice``) and after a
modify from TWS itself (``trailingPercent``, ``lmtPriceOffset``, ``tif``, ``goodTillDate``,
``outsideRth`` may change). :func:`install` hooks ``IB.wrapper.openOrder`` so that those
fields are copied *before* ib_async emits ``openOrderEvent``: the session's
``OrderRecord`` (``app.broker.convert.trade_to_record``) then shows where the stop is now.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("ibdesk.broker.openorder_fields")

#: the ``Order`` fields copied from every openOrder of a known order
UPDATED_FIELDS = ("trailStopPrice", "trailingPercent", "lmtPriceOffset", "tif", "goodTillDate",
                  "outsideRth")


def install(ib: Any) -> bool:
    """Hook ``ib.wrapper.openOrder`` (an ``ib_async.IB``); False (with a warning) when the
    wrapper lacks the shapes used (``openOrder``, ``orderKey``, ``trades``)."""
    wrapper = getattr(ib, "wrapper", None)
    if not all(hasattr(wrapper, n) for n in ("openOrder", "orderKey", "trades")):
        log.warning("openOrder updates of trailing stops are not followed: unknown ib_async wrapper")
        return False
    inner = wrapper.openOrder

    def open_order(orderId, contract, order, orderState):  # noqa: N803 (ib_async names)
        if not order.whatIf:
            trade = wrapper.trades.get(wrapper.orderKey(order.clientId, order.orderId, order.permId))
            if trade is not None and trade.order is not order:
                for name in UPDATED_FIELDS:
                    value = getattr(order, name, None)
                    if value != getattr(trade.order, name, None):
                        setattr(trade.order, name, value)
        inner(orderId, contract, order, orderState)

    wrapper.openOrder = open_order
    return True
