"""Matching engine of the simulated gateway: order life cycle, triggers and fills.

Rules (prices in instrument currency, quantities in shares / FX base units,
times POSIX seconds UTC); order-type rules are in ``app.sim.orderrules``:

* MKT fills at once, in full, at the opposite quote (BUY at the ask, SELL at
  the bid).
* LMT BUY fills in full at the ask when ask < limit (a marketable limit gets
  the better price, the ask); at the touch (ask == limit) it fills only the
  displayed ask size, once per quote update, and the rest keeps working
  (Submitted, filled/remaining updated). LMT SELL mirrors on the bid.
* STP / TRAIL trigger on the last price and then act as MKT; STP LMT / TRAIL LIMIT
  then work as LMT; a TRAIL stop that moves is re-sent (openOrder with the new
  trailStopPrice, orderStatus unchanged); MIT / LIT trigger on the touch (BUY when the price falls to the
  trigger) and then act as MKT / LMT. Untriggered orders are PreSubmitted,
  triggered ones Submitted.
* MOC / LOC fill in the 16:00 New York closing auction at the closing price (LOC
  only if the price is at or better than its limit, else Cancelled); OPG orders
  (MOO / LOO) in the next 09:30 opening auction. Until then PreSubmitted.
* Stock orders trade in regular hours (09:30-16:00 NY) unless outsideRth, then
  04:00-20:00; outside those hours they are held as PreSubmitted. FX trades 24h
  Sun 17:00 - Fri 17:00 NY.
* TIF: DAY orders expire (Cancelled) at the close of their session (stocks 16:00,
  20:00 with outsideRth; FX 17:00 NY); GTD at goodTillDate; GTC orders stay; IOC
  cancels whatever is not filled at placement; FOK fills completely at placement or
  is cancelled without any fill.
* Brackets: a child (parentId) is PreSubmitted until its parent is completely
  filled; cancelling an unfilled parent cancels its children; a partial fill of one
  child reduces its siblings, a complete fill cancels them (IB links bracket
  children as an OCA group).
* OCA (ocaGroup, ocaType): type 1 (and 0 = unset) cancels the group's other working
  orders on the first fill; types 2 and 3 reduce their quantity by each fill and
  cancel them when nothing remains. "Block" (overfill protection) vs "non-block"
  makes no difference here: fills are processed one at a time.
* transmit=False: the order is stored but not worked and nothing is emitted (the
  API client keeps seeing PendingSubmit, as with TWS's untransmitted orders) until an
  order of its group (same parent / the held parent itself / same ocaGroup) arrives
  with transmit=True; then all are released in orderId order.
* Cancel by the owning client: PendingCancel then Cancelled (error 202); an order
  cancelled before it was acknowledged (still PendingSubmit, e.g. untransmitted) goes
  to ApiCancelled (IB "Order Status" docs). Another client's order: error 10147.
* Manual ("TWS GUI") orders: clientId -1 and orderId 0 while unbound; client 0 that
  called reqAutoOpenOrders(True) binds them and later ones to itself with negative
  orderIds (TWS default "Use negative numbers to bind automatic orders").
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

from app.sim.account import Account, order_commission
from app.sim.instruments import day_midnight, is_open, next_session_close, trading_date
from app.sim.margin import margin_reject, opening_margin
from app.sim.market import MarketModel
from app.sim.orderrules import (AUCTION_CLOSE_TYPES, ORDER_TYPES, STOP_TYPES, TIFS, TOUCH_TYPES, is_triggered,
                                next_auction, normalize, num, parse_gtd, trigger_price, update_trail,
                                validate_ticket, working_limit)
from app.sim.types import (FillEvent, OrderErrorEvent, OrderEvent, OrderTicket, PortfolioEvent, SimError,
                           SimFill, SimOrder)

__all__ = ["MatchingEngine", "ORDER_TYPES", "TIFS"]

MANUAL_CLIENT = -1      # clientId of unbound TWS manual orders


@dataclass(slots=True)
class _Meta:
    expires: float            # POSIX s, inf for GTC
    comm_paid: float = 0.0    # USD charged so far (per-order minimum)
    value_usd: float = 0.0    # cumulative filled value in USD
    auction: float = math.inf  # POSIX s of the auction this order waits for (MOC/LOC/OPG)


def _copy(o: SimOrder) -> SimOrder:
    return dataclasses.replace(o)


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
        self._reject_next: tuple[int, str] | None = None
        self._bind_seq = 0                      # last negative orderId given to a bound manual order
        self.auto_bind_client: int | None = None

    # ----------------------------------------------------------- ids
    def next_perm_id(self) -> int:
        """A new unique, positive permId."""
        self._perm += 1
        return self._perm

    def _exec_id(self) -> str:
        self._exec_seq += 1
        return f"0000e215.{(self._exec_base + self._exec_seq) & 0xFFFFFFFF:08x}.01.01"

    @staticmethod
    def _key(o: SimOrder) -> tuple[int, int]:
        return (o.client_id, o.order_id if o.client_id != MANUAL_CLIENT else -o.perm_id)

    # ----------------------------------------------------------- validation
    def _validate(self, con_id: int, t: OrderTicket, existing: SimOrder | None, client_id: int,
                  now: float) -> tuple[int, str] | None:
        inst = self.market.instrument(con_id)
        err = validate_ticket(inst, t, now)
        if err is not None:
            return err
        q = float(num(t.total_qty) or 0.0)
        if t.parent_id and existing is None:
            parent = self._orders.get((client_id, t.parent_id))
            if parent is None or not (parent.is_working or parent.status == "Filled"):
                return 201, f"Order rejected - reason:Parent order {t.parent_id} is not found or not working."
        if existing is not None:
            if t.action != existing.ticket.action:
                return 105, "Order being modified does not match original order."
            if q < existing.filled:
                return 201, "Order rejected - reason:The order quantity is less than the quantity already filled."
        return self._margin_check(con_id, t, q, existing)

    def opening_margin(self, con_id: int, t: OrderTicket, q: float, filled: float = 0.0) -> float:
        """Initial margin (USD, Reg T) the opening part of an order of ``q`` shares needs."""
        return opening_margin(self.market, self.account, con_id, t, q, filled)

    def _margin_check(self, con_id: int, t: OrderTicket, q: float, existing: SimOrder | None) -> tuple[int, str] | None:
        if t.parent_id:
            return None                 # a bracket child closes what its parent opens
        return margin_reject(self.market, self.account, con_id, t, q, existing.filled if existing else 0.0)

    # ----------------------------------------------------------- placing
    def reject_next_order(self, code: int, text: str) -> None:
        """Fault injection: the next new order or modification is rejected with (code, text)."""
        self._reject_next = (int(code), str(text))

    def place(self, client_id: int, order_id: int, con_id: int, ticket: OrderTicket, now: float) -> SimOrder:
        """New order or modification; see ``SimExchange.place`` for the contract."""
        self.market.instrument(con_id)          # SimError 200 for an unknown conId
        t = normalize(ticket)
        if t.what_if:
            raise SimError(321, "Error validating request.-'bN' : cause - whatIf orders are previewed with "
                                "SimExchange.what_if; no order was created")
        existing = self._orders.get((client_id, order_id))
        if existing is not None:
            if not existing.is_working:
                raise SimError(103, "Duplicate order id")
            if existing.con_id != con_id:
                raise SimError(105, "Order being modified does not match original order.")
            return self._modify(existing, t, now)
        return self._new(client_id, order_id, con_id, t, now)

    def place_manual(self, con_id: int, ticket: OrderTicket, now: float) -> SimOrder:
        """An order entered in the (simulated) TWS window: unbound (clientId -1, orderId 0), or bound
        to ``auto_bind_client`` with the next negative orderId when auto-binding is on.
        Raises SimError 200 for an unknown conId."""
        self.market.instrument(con_id)
        t = dataclasses.replace(normalize(ticket), transmit=True, parent_id=0, what_if=False)
        if self.auto_bind_client is not None:
            self._bind_seq -= 1
            o = self._new(self.auto_bind_client, self._bind_seq, con_id, t, now)
            o.bound = True
            return o
        return self._new(MANUAL_CLIENT, 0, con_id, t, now)

    def bind_manual_orders(self, client_id: int, auto: bool = True) -> list[SimOrder]:
        """Bind every working unbound manual order to ``client_id`` (must be 0) with negative
        orderIds, and (``auto``) bind later manual orders too; returns the newly bound orders.
        Raises SimError 321 for another client id (IB: only client 0 binds TWS orders)."""
        if client_id != 0:
            raise SimError(321, "Error validating request.-'bE' : cause - Only client id 0 can bind TWS orders "
                                "(reqAutoOpenOrders / reqOpenOrders from client 0)")
        self.auto_bind_client = 0 if auto else None
        out = []
        for key, o in sorted(self._orders.items(), key=lambda kv: kv[1].perm_id):
            if o.client_id != MANUAL_CLIENT or not o.is_working:
                continue
            del self._orders[key]
            meta = self._meta.pop(key)
            book = self._working.get(o.con_id, {})
            book.pop(key, None)
            self._bind_seq -= 1
            o.client_id, o.order_id, o.bound = client_id, self._bind_seq, True
            nk = self._key(o)
            self._orders[nk] = o
            self._meta[nk] = meta
            book[nk] = o
            out.append(o)
        return out

    def _new(self, client_id: int, order_id: int, con_id: int, t: OrderTicket, now: float) -> SimOrder:
        q = num(t.total_qty)
        order = SimOrder(order_id=order_id, client_id=client_id, perm_id=self.next_perm_id(), con_id=con_id,
                         ticket=t, status="PendingSubmit", remaining=q if q is not None and q > 0 else 0.0,
                         created=now)
        key = self._key(order)
        self._orders[key] = order
        err = self._reject_next or self._validate(con_id, t, None, client_id, now)
        self._reject_next = None
        if err is not None:
            order.status = "Inactive"
            self._meta[key] = _Meta(expires=math.inf)
            self._emit(OrderErrorEvent(client_id, order_id, err[0], err[1]))
            self._emit(OrderEvent(_copy(order)))
            return order
        self._meta[key] = self._make_meta(con_id, t, now)
        if not t.transmit:
            order.held = True
            return order
        for o in self._release_group(order):
            self._activate(o, now)
        return order

    def _release_group(self, order: SimOrder) -> list[SimOrder]:
        """``order`` plus the untransmitted orders it releases, in orderId order."""
        t = order.ticket
        root = t.parent_id or order.order_id
        group = [order]
        for o in self._orders.values():
            if o is order or not o.held or o.client_id != order.client_id or o.status != "PendingSubmit":
                continue
            if o.order_id == root or o.ticket.parent_id == root or (t.oca_group and o.ticket.oca_group == t.oca_group):
                group.append(o)
        group.sort(key=lambda o: o.order_id)
        return group

    def _make_meta(self, con_id: int, t: OrderTicket, now: float) -> _Meta:
        kind = self.market.instrument(con_id).contract.sec_type
        auction = math.inf
        if t.order_type in AUCTION_CLOSE_TYPES:
            auction = next_auction(kind, now, "close")
        elif t.tif == "OPG":
            auction = next_auction(kind, now, "open")
        return _Meta(expires=self._expiry(con_id, t, now, auction), auction=auction)

    def _expiry(self, con_id: int, t: OrderTicket, now: float, auction: float) -> float:
        if math.isfinite(auction):
            return auction + 1.0            # an auction order not filled in its auction is cancelled
        if t.tif == "GTD":
            return parse_gtd(t.good_till_date) or math.inf
        if t.tif != "DAY":
            return math.inf
        inst = self.market.instrument(con_id)
        rth = not inst.round_the_clock and not t.outside_rth
        return next_session_close(inst.contract.sec_type, now, rth)

    def _waits(self, order: SimOrder, now: float) -> bool:
        """True while the order is held PreSubmitted (untriggered, auction, hours or parent)."""
        t = order.ticket
        if t.order_type in STOP_TYPES + TOUCH_TYPES and not order.triggered:
            return True
        if math.isfinite(self._meta[self._key(order)].auction):
            return True
        return not self._tradable(order, now) or self._held_by_parent(order)

    def _activate(self, order: SimOrder, now: float) -> None:
        key = self._key(order)
        order.held = False
        t = order.ticket
        self._working.setdefault(order.con_id, {})[key] = order
        self._emit(OrderEvent(_copy(order)))
        inst = self.market.instrument(order.con_id)
        if t.order_type in ("TRAIL", "TRAIL LIMIT"):
            update_trail(order, trigger_price(inst, self.market.top(order.con_id)), inst.min_tick)
        order.status = "PreSubmitted" if self._waits(order, now) else "Submitted"
        self._emit(OrderEvent(_copy(order)))
        if t.tif in ("IOC", "FOK"):
            if order.status != "Submitted" or (t.tif == "FOK" and not self._fillable_now(order)):
                self._finish_cancel(order, pending=False, reason="not filled immediately")
                return
        self._match(order, now)
        if t.tif in ("IOC", "FOK") and order.is_working:
            self._finish_cancel(order, pending=False, reason="not filled immediately")

    def _fillable_now(self, order: SimOrder) -> bool:
        """FOK: whether the whole remaining quantity would fill against the current quote."""
        top = self.market.top(order.con_id)
        buy = order.ticket.action == "BUY"
        px = top.ask if buy else top.bid
        if px <= 0:
            return False
        limit = working_limit(order, self.market.instrument(order.con_id).min_tick)
        if limit is None:
            return True
        eps = self.market.instrument(order.con_id).min_tick * 1e-6
        if (buy and px < limit - eps) or (not buy and px > limit + eps):
            return True
        if abs(px - limit) <= eps:
            return (top.ask_size if buy else top.bid_size) >= order.remaining
        return False

    def _modify(self, order: SimOrder, t: OrderTicket, now: float) -> SimOrder:
        err = self._reject_next or self._validate(order.con_id, t, order, order.client_id, now)
        self._reject_next = None
        if err is not None:
            self._emit(OrderErrorEvent(order.client_id, order.order_id, err[0], err[1]))
            return order
        key = self._key(order)
        old = order.ticket
        order.ticket = t
        order.remaining = float(t.total_qty) - order.filled
        self._meta[key] = dataclasses.replace(self._make_meta(order.con_id, t, now),
                                              comm_paid=self._meta[key].comm_paid,
                                              value_usd=self._meta[key].value_usd)
        if (t.order_type, t.aux_price, t.trailing_percent, t.trail_stop_price) != \
                (old.order_type, old.aux_price, old.trailing_percent, old.trail_stop_price):
            order.triggered = False
            order.trail_stop = 0.0
        if order.held:
            if t.transmit:
                for o in self._release_group(order):
                    self._activate(o, now)
            return order
        if order.remaining <= 1e-9:
            order.remaining = 0.0
            order.status = "Filled"
        inst = self.market.instrument(order.con_id)
        if t.order_type in ("TRAIL", "TRAIL LIMIT") and order.trail_stop <= 0:
            update_trail(order, trigger_price(inst, self.market.top(order.con_id)), inst.min_tick)
        if order.status == "Submitted" and self._waits(order, now):
            order.status = "PreSubmitted"
        self._emit(OrderEvent(_copy(order)))
        self._match(order, now)
        return order

    # ----------------------------------------------------------- cancelling
    def cancel(self, client_id: int, order_id: int, now: float) -> SimOrder:
        """Cancel the client's own working order: PendingCancel then Cancelled (error 202);
        ApiCancelled if it was not yet acknowledged (PendingSubmit / untransmitted).

        Raises SimError 10147 (not found / not own) or 10148 (already done).
        """
        order = self._orders.get((client_id, order_id))
        if order is None or client_id == MANUAL_CLIENT:
            raise SimError(10147, f"OrderId {order_id} that needs to be cancelled is not found.")
        if not order.is_working:
            raise SimError(10148, f"OrderId {order_id} that needs to be cancelled cannot be cancelled, "
                                  f"state: {order.status}.")
        if order.status == "PendingSubmit":
            order.held = False
            order.status = "ApiCancelled"
            self._emit(OrderEvent(_copy(order)))
            self._emit(OrderErrorEvent(order.client_id, order.order_id, 202, "Order Canceled - reason:"))
            self._drop(order)
            return order
        self._finish_cancel(order, pending=True)
        return order

    def _drop(self, order: SimOrder) -> None:
        self._working.get(order.con_id, {}).pop(self._key(order), None)

    def _finish_cancel(self, order: SimOrder, *, pending: bool, reason: str = "") -> None:
        if pending:
            order.status = "PendingCancel"
            self._emit(OrderEvent(_copy(order)))
        order.status = "Cancelled"
        order.held = False
        self._drop(order)
        self._emit(OrderEvent(_copy(order)))
        self._emit(OrderErrorEvent(order.client_id, order.order_id, 202, f"Order Canceled - reason:{reason}"))
        if order.filled == 0:
            for child in self._children(order):
                if child.is_working:
                    self._finish_cancel(child, pending=False, reason="parent order cancelled")

    def global_cancel(self, now: float) -> None:
        """reqGlobalCancel: cancel every working order of every client (manual ones too)."""
        for o in list(self._orders.values()):
            if o.is_working:
                if o.status == "PendingSubmit":
                    o.held = False
                    o.status = "Cancelled"
                    self._emit(OrderEvent(_copy(o)))
                else:
                    self._finish_cancel(o, pending=True)

    # ----------------------------------------------------------- brackets and OCA
    def _children(self, order: SimOrder) -> list[SimOrder]:
        return [o for o in self._orders.values()
                if o.client_id == order.client_id and o.ticket.parent_id == order.order_id and o is not order]

    def _held_by_parent(self, order: SimOrder) -> bool:
        """A child order (parentId set) stays inactive until its parent is completely filled."""
        if not order.ticket.parent_id:
            return False
        parent = self._orders.get((order.client_id, order.ticket.parent_id))
        return parent is None or parent.status != "Filled"

    def _reduce(self, o: SimOrder, qty: float, reason: str) -> None:
        """OCA reduce: take ``qty`` off a working peer; cancel it when nothing remains."""
        o.ticket = dataclasses.replace(o.ticket, total_qty=max(o.filled, float(o.ticket.total_qty) - qty))
        o.remaining = max(0.0, float(o.ticket.total_qty) - o.filled)
        if o.remaining <= 1e-9:
            o.remaining = 0.0
            self._finish_cancel(o, pending=False, reason=reason)
        else:
            self._emit(OrderEvent(_copy(o)))

    def _after_fill(self, order: SimOrder, qty: float, now: float) -> None:
        """Bracket and OCA follow-ups of a fill of ``qty`` (see module docstring)."""
        if order.status == "Filled":
            for child in self._children(order):
                if child.is_working and not child.held:
                    if child.status == "PreSubmitted" and not self._waits(child, now):
                        child.status = "Submitted"
                        self._emit(OrderEvent(_copy(child)))
                    self._match(child, now)
        t = order.ticket
        if t.parent_id:
            for o in self._children_of(order.client_id, t.parent_id):
                if o is not order and o.is_working:
                    if order.status == "Filled":
                        self._finish_cancel(o, pending=False, reason="OCA group")
                    else:
                        self._reduce(o, qty, "OCA group")
        if t.oca_group:
            peers = [o for o in self._orders.values() if o.client_id == order.client_id and o is not order
                     and o.ticket.oca_group == t.oca_group and o.is_working]
            for o in peers:
                if t.oca_type in (2, 3):
                    self._reduce(o, qty, "OCA group")
                else:
                    self._finish_cancel(o, pending=False, reason="OCA group")

    def _children_of(self, client_id: int, parent_id: int) -> list[SimOrder]:
        return [o for o in self._orders.values() if o.client_id == client_id and o.ticket.parent_id == parent_id]

    # ----------------------------------------------------------- time
    def expire(self, now: float) -> None:
        """Run due auctions, then cancel DAY/GTD/auction orders whose time has passed by ``now``."""
        self.run_auctions(now)
        for book in self._working.values():
            for key, order in list(book.items()):
                if order.is_working and self._meta[key].expires <= now:
                    self._finish_cancel(order, pending=False)
        self._prune()

    def run_auctions(self, now: float) -> None:
        """Fill MOC/LOC orders in a closing auction and OPG orders in an opening auction due by ``now``."""
        for book in self._working.values():
            for key, order in list(book.items()):
                meta = self._meta[key]
                if not order.is_working or order.held or meta.auction > now or self._held_by_parent(order):
                    continue
                self._auction_fill(order, meta.auction, now)

    def _auction_fill(self, order: SimOrder, when: float, now: float) -> None:
        inst = self.market.instrument(order.con_id)
        tick = inst.min_tick
        top = self.market.top(order.con_id)
        if order.ticket.order_type in AUCTION_CLOSE_TYPES:
            tr = self.market.tape(order.con_id).last_trade_before(when + 1e-6)
            price = tr.price if tr is not None else top.last
        else:
            price = round(round(self.market.mark(order.con_id) / tick) * tick, 10)
        self._meta[self._key(order)].auction = math.inf
        limit = num(order.ticket.lmt_price) if order.ticket.order_type in ("LOC", "LMT") else None
        buy = order.ticket.action == "BUY"
        if price <= 0 or (limit is not None and ((buy and price > limit + 1e-9) or (not buy and price < limit - 1e-9))):
            self._finish_cancel(order, pending=False, reason="not filled in the auction")
            return
        if order.status == "PreSubmitted":
            order.status = "Submitted"
            self._emit(OrderEvent(_copy(order)))
        self._fill(order, order.remaining, price, max(now, when))

    def _prune(self) -> None:
        for book in self._working.values():
            for key in [k for k, o in book.items() if not o.is_working]:
                del book[key]

    # ----------------------------------------------------------- matching
    def _tradable(self, order: SimOrder, now: float) -> bool:
        inst = self.market.instrument(order.con_id)
        if inst.round_the_clock:
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
        if not order.is_working or order.held or order.status in ("PendingCancel", "PendingSubmit") \
                or order.remaining <= 0:
            return
        if math.isfinite(self._meta[self._key(order)].auction):
            return
        if not self._tradable(order, now) or self._held_by_parent(order):
            return
        t = order.ticket
        inst = self.market.instrument(order.con_id)
        top = self.market.top(order.con_id)
        buy = t.action == "BUY"
        if t.order_type in STOP_TYPES + TOUCH_TYPES and not order.triggered:
            price = trigger_price(inst, top)
            moved = t.order_type in ("TRAIL", "TRAIL LIMIT") and update_trail(order, price, inst.min_tick)
            if not is_triggered(order, price):
                if moved:   # TWS re-sends openOrder with the new trailStopPrice when the stop moves
                    self._emit(OrderEvent(_copy(order)))
                return
            order.triggered = True
        if order.status == "PreSubmitted":
            order.status = "Submitted"
            self._emit(OrderEvent(_copy(order)))
        px = top.ask if buy else top.bid
        if px <= 0:
            return
        limit = working_limit(order, inst.min_tick)
        if limit is None:
            self._fill(order, order.remaining, px, now)
            return
        eps = inst.min_tick * 1e-6
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
        key = self._key(order)
        meta = self._meta[key]
        c = self.market.instrument(order.con_id).contract
        prev = order.filled
        order.filled = prev + qty
        order.remaining = max(0.0, order.remaining - qty)
        if order.remaining < 1e-9:
            order.remaining = 0.0
        order.avg_fill_price = price if prev == 0 else round(
            (order.avg_fill_price * prev + price * qty) / order.filled, 10)
        order.last_fill_price = price
        meta.value_usd += qty * price * c.mult * self.account.rate(c.currency)
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
        if order.status == "Filled":
            self._drop(order)
        self._emit(FillEvent(fill))
        self._emit(OrderEvent(_copy(order)))
        snap = tuple(p for p in self.account.positions(None) if p.con_id == order.con_id)
        self._emit(PortfolioEvent(snap, tuple(self.account.account_values())))
        self._after_fill(order, qty, now)

    # ----------------------------------------------------------- views
    def orders(self, client_id: int | None = None, *, working_only: bool = True) -> list[SimOrder]:
        return [o for o in self._orders.values()
                if (client_id is None or o.client_id == client_id) and (o.is_working or not working_only)]

    def completed_orders(self) -> list[SimOrder]:
        return [o for o in self._orders.values() if not o.is_working]

    def executions(self, client_id: int | None = None) -> list[SimFill]:
        return [f for f in self._fills if client_id is None or f.client_id == client_id]
