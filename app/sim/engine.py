"""Matching engine of the simulated gateway: order life cycle, triggers and fills.

Rules (prices in instrument currency, quantities in shares / FX base units,
times POSIX seconds UTC):

* MKT fills at once, in full, at the opposite quote (BUY at the ask, SELL at
  the bid).
* LMT BUY fills in full at the ask when ask < limit (a marketable limit gets
  the better price, the ask); at the touch (ask == limit) it fills only the
  displayed ask size, once per quote update, and the rest keeps working
  (Submitted, filled/remaining updated). LMT SELL mirrors on the bid.
* STP BUY triggers when last >= stop, STP SELL when last <= stop, then acts as
  MKT; STP LMT triggers likewise and then works as LMT. Untriggered stops are
  PreSubmitted, triggered ones Submitted.
* Stock orders trade in regular hours (09:30-16:00 NY) unless outsideRth, then
  04:00-20:00; outside those hours they are held as PreSubmitted. FX trades 24h
  Sun 17:00 - Fri 17:00 NY.
* TIF: DAY orders expire (Cancelled) at the close of their session (stocks 16:00,
  20:00 with outsideRth; FX 17:00 NY); GTC orders stay; IOC cancels whatever is
  not filled at placement.
* Brackets: a child (parentId) is PreSubmitted until its parent is completely
  filled; cancelling an unfilled parent cancels its children; a fill of one child
  cancels its siblings. ocaGroup: a fill cancels the group's other working orders
  (ocaType 1 semantics). The transmit flag is not modelled (orders are live when placed).
* Status sequence (IB "Order Status" docs): PendingSubmit -> PreSubmitted or
  Submitted -> Filled, or -> PendingCancel -> Cancelled; rejected orders are
  Inactive with an error.

Events go to ``emit`` synchronously and in causal order: an OrderEvent carrying
the status and permId precedes every FillEvent of that order; after a fill come
the FillEvent, the OrderEvent with the new filled/remaining, then a
PortfolioEvent. Events carry *copies* of the order (a snapshot of that moment).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

from app.domain.orders import is_on_tick
from app.sim.account import INIT_FX, INIT_LONG, INIT_SHORT, Account, order_commission
from app.sim.instruments import day_midnight, is_open, next_session_close, trading_date
from app.sim.market import MarketModel
from app.sim.types import (FillEvent, OrderErrorEvent, OrderEvent, OrderTicket, PortfolioEvent, SimError,
                           SimFill, SimOrder)

ORDER_TYPES = ("MKT", "LMT", "STP", "STP LMT")
TIFS = ("DAY", "GTC", "IOC")
_TYPE_ALIASES = {"STPLMT": "STP LMT", "STOP": "STP", "STOP LIMIT": "STP LMT", "MARKET": "MKT", "LIMIT": "LMT"}


@dataclass(slots=True)
class _Meta:
    expires: float            # POSIX s, inf for GTC
    comm_paid: float = 0.0    # USD charged so far (per-order minimum)
    value_usd: float = 0.0    # cumulative filled value in USD


def _normalize(t: OrderTicket) -> OrderTicket:
    ot = " ".join((t.order_type or "").upper().split())
    ot = _TYPE_ALIASES.get(ot, ot)
    tif = (t.tif or "DAY").upper().strip() or "DAY"
    return dataclasses.replace(t, action=(t.action or "").upper().strip(), order_type=ot, tif=tif)


def _num(x) -> float | None:
    """A usable price, or None for IB's unset markers (None, NaN, inf, 1.7976931348623157E308)."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f) or f >= 1e300:
        return None
    return f


class MatchingEngine:
    """Holds all orders and fills; see the module docstring for the rules."""

    def __init__(self, market: MarketModel, account: Account, emit: Callable[[object], None], *,
                 perm_start: int, exec_base: int):
        self.market = market
        self.account = account
        self._emit = emit
        self._orders: dict[tuple[int, int], SimOrder] = {}
        self._meta: dict[tuple[int, int], _Meta] = {}
        self._working: dict[int, dict[tuple[int, int], SimOrder]] = {}   # conId -> working orders
        self._fills: list[SimFill] = []
        self._perm = perm_start
        self._exec_base = exec_base & 0xFFFFFFFF
        self._exec_seq = 0
        self._touch: dict[tuple[int, str], tuple[float, float]] = {}   # (conId, side) -> (quote time, size left)

    # ----------------------------------------------------------- ids
    def next_perm_id(self) -> int:
        """A new unique, positive permId."""
        self._perm += 1
        return self._perm

    def _exec_id(self) -> str:
        self._exec_seq += 1
        return f"0000e215.{(self._exec_base + self._exec_seq) & 0xFFFFFFFF:08x}.01.01"

    # ----------------------------------------------------------- validation
    def _validate(self, order_con: int, t: OrderTicket, existing: SimOrder | None,
                  client_id: int = 0) -> tuple[int, str] | None:
        inst = self.market.instrument(order_con)
        tick = inst.min_tick
        if t.action not in ("BUY", "SELL"):
            return 201, f"Order rejected - reason:Invalid action {t.action!r}; use BUY or SELL."
        q = _num(t.total_qty)
        if q is None or q <= 0:
            return 434, "The order size cannot be zero."
        if t.order_type not in ORDER_TYPES:
            return 387, "Unsupported order type for this exchange and security type."
        if t.tif not in TIFS:
            return 201, f"Order rejected - reason:Time in force {t.tif} is not supported by the simulator."
        if t.order_type in ("LMT", "STP LMT"):
            p = _num(t.lmt_price)
            if p is None or p <= 0:
                return 321, ("Error validating request.-'bN' : cause - "
                             "The limit price must be specified for this order type.")
            if not is_on_tick(p, tick):
                return 110, "The price does not conform to the minimum price variation for this contract."
        if t.order_type in ("STP", "STP LMT"):
            p = _num(t.aux_price)
            if p is None or p <= 0:
                return 321, ("Error validating request.-'bN' : cause - "
                             "The stop price must be specified for this order type.")
            if not is_on_tick(p, tick):
                return 110, "The price does not conform to the minimum price variation for this contract."
        if t.parent_id and existing is None:
            parent = self._orders.get((client_id, t.parent_id))
            if parent is None or parent.status in ("Cancelled", "Inactive"):
                return 201, f"Order rejected - reason:Parent order {t.parent_id} is not found or not working."
        if existing is not None:
            if t.action != existing.ticket.action:
                return 105, "Order being modified does not match original order."
            if q < existing.filled:
                return 201, "Order rejected - reason:The order quantity is less than the quantity already filled."
        return self._margin_check(order_con, t, q, existing)

    def _margin_check(self, con_id: int, t: OrderTicket, q: float, existing: SimOrder | None) -> tuple[int, str] | None:
        """Reject orders whose opening part needs more initial margin than AvailableFunds (Reg T)."""
        if t.parent_id:
            return None                 # a bracket child closes what its parent opens
        inst = self.market.instrument(con_id)
        top = self.market.top(con_id)
        pos = self.account.position_qty(con_id)
        rest = q - (existing.filled if existing else 0.0)
        signed = rest if t.action == "BUY" else -rest
        opening = max(0.0, abs(pos + signed) - abs(pos)) if (pos == 0 or (pos > 0) == (signed > 0)) else \
            max(0.0, abs(signed) - abs(pos))
        if opening <= 0:
            return None
        px = _num(t.lmt_price) or (top.ask if t.action == "BUY" else top.bid) or top.last
        rate = self.account.rate(inst.contract.currency)
        value = opening * px * rate
        pct = INIT_FX if inst.is_fx else (INIT_LONG if signed > 0 else INIT_SHORT)
        need = value * pct
        s = self.account.summary()
        if need > s["AvailableFunds"]:
            return 201, (f"Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED "
                         f"POSITION YOUR EQUITY WITH LOAN VALUE [{s['EquityWithLoanValue']:.2f} USD] MUST EXCEED "
                         f"THE INITIAL MARGIN [{s['InitMarginReq'] + need:.2f} USD]")
        return None

    # ----------------------------------------------------------- placing
    def place(self, client_id: int, order_id: int, con_id: int, ticket: OrderTicket, now: float) -> SimOrder:
        """New order or modification; see ``SimExchange.place`` for the contract."""
        self.market.instrument(con_id)          # SimError 200 for an unknown conId
        key = (client_id, order_id)
        existing = self._orders.get(key)
        t = _normalize(ticket)
        if existing is not None:
            if not existing.is_working:
                raise SimError(103, "Duplicate order id")
            if existing.con_id != con_id:
                raise SimError(105, "Order being modified does not match original order.")
            return self._modify(existing, t, now)
        q = _num(t.total_qty)
        order = SimOrder(order_id=order_id, client_id=client_id, perm_id=self.next_perm_id(), con_id=con_id,
                         ticket=t, status="PendingSubmit", remaining=q if q is not None and q > 0 else 0.0,
                         created=now)
        self._orders[key] = order
        err = self._validate(con_id, t, None, client_id)
        if err is not None:
            order.status = "Inactive"
            self._meta[key] = _Meta(expires=math.inf)
            self._emit(OrderErrorEvent(client_id, order_id, err[0], err[1]))
            self._emit(OrderEvent(dataclasses.replace(order)))
            return order
        self._meta[key] = _Meta(expires=self._expiry(con_id, t, now))
        self._working.setdefault(con_id, {})[key] = order
        self._emit(OrderEvent(dataclasses.replace(order)))
        order.status = "PreSubmitted" if (t.order_type in ("STP", "STP LMT") or not self._tradable(order, now)
                                          or self._held_by_parent(order)) else "Submitted"
        self._emit(OrderEvent(dataclasses.replace(order)))
        self._match(order, now)
        if t.tif == "IOC" and order.is_working:
            self._finish_cancel(order, pending=False)
        return order

    def _expiry(self, con_id: int, t: OrderTicket, now: float) -> float:
        if t.tif != "DAY":
            return math.inf
        inst = self.market.instrument(con_id)
        rth = not inst.is_fx and not t.outside_rth
        return next_session_close(inst.contract.sec_type, now, rth)

    def _modify(self, order: SimOrder, t: OrderTicket, now: float) -> SimOrder:
        err = self._validate(order.con_id, t, order, order.client_id)
        if err is not None:
            self._emit(OrderErrorEvent(order.client_id, order.order_id, err[0], err[1]))
            return order
        key = (order.client_id, order.order_id)
        order.ticket = t
        order.remaining = float(t.total_qty) - order.filled
        self._meta[key].expires = self._expiry(order.con_id, t, now)
        if t.order_type not in ("STP", "STP LMT"):
            order.triggered = False
        if order.remaining <= 1e-9:
            order.remaining = 0.0
            order.status = "Filled"
        self._emit(OrderEvent(dataclasses.replace(order)))
        self._match(order, now)
        return order

    # ----------------------------------------------------------- cancelling
    def cancel(self, client_id: int, order_id: int, now: float) -> SimOrder:
        """Cancel the client's own working order (PendingCancel then Cancelled, error 202).

        Raises SimError 10147 (not found / not own) or 10148 (already done).
        """
        order = self._orders.get((client_id, order_id))
        if order is None:
            raise SimError(10147, f"OrderId {order_id} that needs to be cancelled is not found.")
        if not order.is_working:
            raise SimError(10148, f"OrderId {order_id} that needs to be cancelled cannot be cancelled, "
                                  f"state: {order.status}.")
        self._finish_cancel(order, pending=True)
        return order

    def _finish_cancel(self, order: SimOrder, *, pending: bool, reason: str = "") -> None:
        if pending:
            order.status = "PendingCancel"
            self._emit(OrderEvent(dataclasses.replace(order)))
        order.status = "Cancelled"
        self._emit(OrderEvent(dataclasses.replace(order)))
        self._emit(OrderErrorEvent(order.client_id, order.order_id, 202, f"Order Canceled - reason:{reason}"))
        if order.filled == 0:
            for child in self._children(order):
                if child.is_working:
                    self._finish_cancel(child, pending=False, reason="parent order cancelled")

    # ----------------------------------------------------------- brackets and OCA
    def _children(self, order: SimOrder) -> list[SimOrder]:
        return [o for o in self._orders.values()
                if o.client_id == order.client_id and o.ticket.parent_id == order.order_id]

    def _held_by_parent(self, order: SimOrder) -> bool:
        """A child order (parentId set) stays inactive until its parent is completely filled."""
        if not order.ticket.parent_id:
            return False
        parent = self._orders.get((order.client_id, order.ticket.parent_id))
        return parent is None or parent.status != "Filled"

    def _after_fill(self, order: SimOrder, now: float) -> None:
        """Bracket and OCA follow-ups of a fill: a filled parent releases its children;
        a fill of a child cancels its siblings (IB links bracket children as OCA); a fill
        of an order in an ocaGroup cancels the group's other working orders (ocaType 1)."""
        if order.status == "Filled":
            for child in self._children(order):
                if child.is_working:
                    self._match(child, now)
        peers: list[SimOrder] = []
        if order.ticket.parent_id:
            peers += [o for o in self._orders.values() if o.client_id == order.client_id
                      and o.ticket.parent_id == order.ticket.parent_id and o is not order]
        if order.ticket.oca_group:
            peers += [o for o in self._orders.values() if o.client_id == order.client_id
                      and o.ticket.oca_group == order.ticket.oca_group and o is not order]
        for o in peers:
            if o.is_working:
                self._finish_cancel(o, pending=False, reason="OCA group")

    def global_cancel(self, now: float) -> None:
        """reqGlobalCancel: cancel every working order of every client."""
        for book in self._working.values():
            for order in list(book.values()):
                if order.is_working:
                    self._finish_cancel(order, pending=True)
        self._prune()

    def expire(self, now: float) -> None:
        """Cancel DAY orders whose session has closed by ``now``."""
        for book in self._working.values():
            for key, order in list(book.items()):
                if order.is_working and self._meta[key].expires <= now:
                    self._finish_cancel(order, pending=False)
        self._prune()

    def _prune(self) -> None:
        for book in self._working.values():
            for key in [k for k, o in book.items() if not o.is_working]:
                del book[key]

    # ----------------------------------------------------------- matching
    def _tradable(self, order: SimOrder, now: float) -> bool:
        inst = self.market.instrument(order.con_id)
        if inst.is_fx:
            return is_open(inst.contract.sec_type, now)
        return is_open(inst.contract.sec_type, now, rth=not order.ticket.outside_rth)

    def match_instrument(self, con_id: int, now: float) -> None:
        """Run matching for every working order of one instrument (after its quote changed)."""
        book = self._working.get(con_id)
        if not book:
            return
        for key, order in list(book.items()):
            self._match(order, now)
            if not order.is_working:
                book.pop(key, None)

    def _touch_left(self, con_id: int, side: str, quote_time: float, displayed: float) -> float:
        t, left = self._touch.get((con_id, side), (math.nan, 0.0))
        if t != quote_time:
            left = displayed
            self._touch[(con_id, side)] = (quote_time, left)
        return left

    def _match(self, order: SimOrder, now: float) -> None:
        if not order.is_working or order.status == "PendingCancel" or order.remaining <= 0:
            return
        if not self._tradable(order, now) or self._held_by_parent(order):
            return
        t = order.ticket
        top = self.market.top(order.con_id)
        buy = t.action == "BUY"
        if t.order_type in ("STP", "STP LMT") and not order.triggered:
            stop = float(t.aux_price)
            if not ((buy and top.last >= stop) or (not buy and top.last <= stop)):
                return
            order.triggered = True
        if order.status == "PreSubmitted":
            order.status = "Submitted"
            self._emit(OrderEvent(dataclasses.replace(order)))
        px = top.ask if buy else top.bid
        if px <= 0:
            return
        if t.order_type in ("MKT", "STP"):
            self._fill(order, order.remaining, px, now)
            return
        limit = float(t.lmt_price)
        eps = self.market.instrument(order.con_id).min_tick * 1e-6
        through = px < limit - eps if buy else px > limit + eps
        touch = abs(px - limit) <= eps
        if through:
            self._fill(order, order.remaining, px, now)
        elif touch:
            side = "ask" if buy else "bid"
            left = self._touch_left(order.con_id, side, top.time, top.ask_size if buy else top.bid_size)
            qty = min(order.remaining, left)
            if qty > 0:
                self._touch[(order.con_id, side)] = (top.time, left - qty)
                self._fill(order, qty, px, now)

    def _fill(self, order: SimOrder, qty: float, price: float, now: float) -> None:
        key = (order.client_id, order.order_id)
        meta = self._meta[key]
        inst = self.market.instrument(order.con_id)
        c = inst.contract
        prev = order.filled
        order.filled = prev + qty
        order.remaining = max(0.0, order.remaining - qty)
        if order.remaining < 1e-9:
            order.remaining = 0.0
        order.avg_fill_price = price if prev == 0 else round(
            (order.avg_fill_price * prev + price * qty) / order.filled, 10)
        order.last_fill_price = price
        meta.value_usd += qty * price * self.account.rate(c.currency)
        total_comm = order_commission(c, order.filled, meta.value_usd)
        comm = round(total_comm - meta.comm_paid, 2)
        meta.comm_paid = total_comm
        side = "BOT" if order.ticket.action == "BUY" else "SLD"
        day = day_midnight(trading_date(c.sec_type, now))
        realized = self.account.apply_fill(c, side, qty, price, comm, day)
        fill = SimFill(exec_id=self._exec_id(), time=now, order_id=order.order_id, client_id=order.client_id,
                       perm_id=order.perm_id, con_id=order.con_id, side=side, shares=qty, price=price,
                       cum_qty=order.filled, avg_price=order.avg_fill_price, account=self.account.account_id,
                       commission=comm, commission_currency="USD", realized_pnl=round(realized, 6),
                       order_ref=order.ticket.order_ref)
        self._fills.append(fill)
        order.status = "Filled" if order.remaining == 0 else "Submitted"
        self._emit(FillEvent(fill))
        self._emit(OrderEvent(dataclasses.replace(order)))
        snap = tuple(p for p in self.account.positions(None) if p.con_id == order.con_id)
        self._emit(PortfolioEvent(snap, tuple(self.account.account_values())))
        self._after_fill(order, now)

    # ----------------------------------------------------------- views
    def orders(self, client_id: int | None = None, *, working_only: bool = True) -> list[SimOrder]:
        return [o for o in self._orders.values()
                if (client_id is None or o.client_id == client_id) and (o.is_working or not working_only)]

    def completed_orders(self) -> list[SimOrder]:
        return [o for o in self._orders.values() if not o.is_working]

    def executions(self, client_id: int | None = None) -> list[SimFill]:
        return [f for f in self._fills if client_id is None or f.client_id == client_id]
