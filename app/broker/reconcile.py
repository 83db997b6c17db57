"""Settling this client's orders after a (re)connect: the gateway's truth wins.

After a drop, a gateway restart or a ``kill -9``, ib_async forgets every order
and reports again what the gateway sends at connect: open orders (reqOpenOrders,
reqAllOpenOrders), completed orders (reqCompletedOrders: filled, cancelled,
inactive; they carry permId and orderRef but no orderId) and the day's
executions (reqExecutions). ``Session`` merges those into its order book (a
completed order is matched to the API order by permId, or by the orderRef
ibdesk gives every order, ``order_ref``). What is left are this client's orders
that were unsettled before the connect (working, PendingSubmit, PendingCancel)
and that the gateway reported nowhere: :func:`settle_unreported` decides what
they are. Nothing here sends anything: an order is never re-sent by itself.

Sources: PROTOCOL.md "Reconnect facts"; IB API docs "Open Orders",
"Completed Orders", "Executions and Commissions".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from app.domain import Execution, OrderRecord, OrderStatus

#: orderRef prefix of the orders ibdesk places
ORDER_REF_PREFIX = "ibdesk"


def order_ref(tag: str, order_id: int) -> str:
    """The orderRef ibdesk gives an order: ``ibdesk-<tag>-<orderId>`` (``tag`` is unique
    per Session, so orderIds reused after a TWS id reset never match an old order)."""
    return f"{ORDER_REF_PREFIX}-{tag}-{int(order_id)}"


@dataclass(frozen=True)
class Settlement:
    """What to make of one unreported order: its new ``status`` and the trader-facing
    ``message`` (shown in the blotter's status tooltip and the journal)."""

    key: tuple
    status: OrderStatus
    message: str


def filled_quantity(rec: OrderRecord, executions: Iterable[Execution]) -> float:
    """Shares filled for ``rec`` according to ``executions`` (matched by clientId and
    orderId, or by permId when both have one)."""
    total = 0.0
    for e in executions:
        if (e.client_id == rec.client_id and e.order_id == rec.order_id and rec.order_id) or (
                rec.perm_id and e.perm_id == rec.perm_id):
            total += float(e.shares)
    return total


def settle_unreported(before: Mapping[tuple, OrderRecord], reported: set,
                      executions: Iterable[Execution]) -> list[Settlement]:
    """The settlements for the orders in ``before`` (key -> record as it was before the
    connect, unsettled orders of this client only) whose key is not in ``reported``
    (the keys the gateway reported as open or completed on this connect).

    - filled in full per ``executions``: Filled (the fills are the gateway's record);
    - never acknowledged (no permId) and no fill: ``OrderStatus.NOT_SENT``, "Not sent
      (connection lost)" — the gateway has no such order, ibdesk does not re-send it;
    - acknowledged (has a permId): ``OrderStatus.UNKNOWN`` — the gateway knew it but
      reports it nowhere now (e.g. a gateway restarted without its state); the trader
      must check TWS. Partial fills are named in the message.
    """
    fills = list(executions)
    out = []
    for key, rec in before.items():
        if key in reported:
            continue
        filled = filled_quantity(rec, fills)
        if rec.quantity and filled >= rec.quantity:
            out.append(Settlement(key, OrderStatus.FILLED,
                                  f"Filled {filled:g} (from the gateway's executions; the order "
                                  "was not reported again after the reconnect)"))
        elif not rec.perm_id and not filled:
            out.append(Settlement(key, OrderStatus.NOT_SENT,
                                  "Not sent (connection lost): the link dropped before the gateway "
                                  "acknowledged this order, and after reconnecting the gateway knows "
                                  "no such order. ibdesk did not send it again; place it again if "
                                  "you still want it."))
        else:
            part = f"; {filled:g} of {rec.quantity:g} filled per executions" if filled else ""
            out.append(Settlement(key, OrderStatus.UNKNOWN,
                                  f"Unknown: the gateway acknowledged this order (permId "
                                  f"{rec.perm_id}) but reported it neither open nor completed after "
                                  f"the reconnect{part}. Check it in TWS."))
    return out


__all__ = ["ORDER_REF_PREFIX", "Settlement", "filled_quantity", "order_ref", "settle_unreported"]
