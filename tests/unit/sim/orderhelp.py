"""Helpers for order-rule tests: scripted quotes, tickets, status extraction."""

from __future__ import annotations

from app.sim.types import OrderErrorEvent, OrderEvent, OrderTicket
from tests.unit.sim.helpers import AAPL


def q(ex, bid, ask, last=None, bs=1000, as_=1000, cid=AAPL, dt=1.0):
    """Script a quote ``dt`` seconds after the exchange's clock (and a print at ``last``)."""
    ex.set_quote(cid, ex.now + dt, bid=bid, ask=ask, bid_size=bs, ask_size=as_, last=last)


def tk(action, qty, otype, lmt=None, aux=None, **kw):
    return OrderTicket(action=action, total_qty=qty, order_type=otype, lmt_price=lmt, aux_price=aux, **kw)


def statuses(events, order_id=None):
    return [e.order.status for e in events
            if isinstance(e, OrderEvent) and (order_id is None or e.order.order_id == order_id)]


def errors(events, order_id=None):
    return [e.code for e in events if isinstance(e, OrderErrorEvent) and (order_id is None or e.order_id == order_id)]
