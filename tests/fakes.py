"""An in-memory Session for tests: the ``app.broker.session.Session`` contract without a socket.

:class:`FakeSession` keeps the same events (``eventkit.Event``), properties and
methods as the real Session, with state in dicts:

* ``resolve`` looks symbols up in ``contracts`` (display symbol -> Instrument);
  unknown symbols raise ``UnknownSymbolError`` with IB's error 200 text.
* ``place_order`` gives the order the next orderId and returns it in
  PendingSubmit; the order moves to Submitted on the next loop turn
  (``auto_submit=True``) or when the test calls :meth:`FakeSession.submit`.
* ``modify_order`` / ``cancel_order`` behave like IB: a modify keeps the
  orderId and contract; a cancel goes PendingCancel, then Cancelled. Until the
  "gateway" answers (next loop turn with ``auto_submit``, or :meth:`answer` /
  :meth:`confirm_cancel`), ``pending_action(order_id)`` says "modify" / "cancel".
* ``place_bracket`` places parent + children (parentId, OCA group, transmit on
  the last); ``global_cancel`` cancels every working order of every client;
  ``what_if`` returns ``what_if_result`` (a ``WhatIf``);
  :meth:`reconnect` simulates a reconnect after which the orders in
  ``lost_orders`` are not reported again (``stale_order_ids``).
* Test drivers: :meth:`push_quote`, :meth:`fill`, :meth:`set_account_value`,
  :meth:`set_position`, :meth:`set_pnl`, :meth:`set_position_pnl`, :meth:`add_order` (orders of other clients),
  :meth:`emit_bar`, :meth:`drop_connection`.
* Scanner and news bulletins: :class:`tests.fakes_scanner.FakeScannerMixin`.
* Option chains (``option_chain``, ``option_contracts``, :meth:`push_option_quote`):
  :class:`tests.fakes_options.FakeOptionsMixin`.
* Futures ("ESZ6", the front month "/ES"; ES, NQ, CL, GC with their multipliers and ticks):
  :class:`tests.fakes_futures.FakeFuturesMixin`.
* ``calls`` records every request method called, as ``(name, args)``.

Times are UTC. Nothing here is used by product code.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import datetime, timezone

import pandas as pd
from eventkit import Event

from app.domain import (
    DONE_STATUSES, AccountPnL, AccountValue, Action, Bar, ConnectionState, Execution, Instrument, OrderRecord, OrderRequest,
    OrderStatus, OrderType, Position, PositionPnL, Quote, TradePrint, WhatIf, empty_bars,
    validate_order_request,
)

from app.domain.depth import DepthBook
from app.domain.orders import bracket_children
from app.broker.events import SessionEvents
from app.broker.errors import HistoryError, NotConnectedError, UnknownSymbolError
from tests.fakes_scanner import FakeScannerMixin
from tests.fakes_options import FAKE_EXPIRATIONS, FakeOptionsMixin
from tests.fakes_futures import FakeFuturesMixin


def _now() -> datetime:
    return datetime.now(timezone.utc)


DEFAULT_CONTRACTS: tuple[Instrument, ...] = (
    Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL", "APPLE INC"),
    Instrument("MSFT", "STK", "SMART", "USD", "NASDAQ", 272093, 0.01, "MSFT", "MICROSOFT CORP"),
    Instrument("NVDA", "STK", "SMART", "USD", "NASDAQ", 4815747, 0.01, "NVDA", "NVIDIA CORP"),
    Instrument("SPY", "STK", "SMART", "USD", "ARCA", 756733, 0.01, "SPY", "SPDR S&P 500 ETF TRUST"),
    Instrument("EUR", "CASH", "IDEALPRO", "USD", "", 12087792, 0.00005, "EUR.USD",
               "European Monetary Union Euro"),
)
#: :data:`DEFAULT_CONTRACTS` by display symbol ("AAPL", "EUR.USD", ...)
CONTRACTS: dict[str, Instrument] = {c.display_symbol: c for c in DEFAULT_CONTRACTS}


class FakeSession(FakeFuturesMixin, FakeOptionsMixin, FakeScannerMixin, SessionEvents):
    """In-memory stand-in for ``app.broker.session.Session`` (same constructor and API).

    Extra keyword ``contracts`` (Instruments it can resolve, default
    :data:`DEFAULT_CONTRACTS`) and ``account_id`` (default "DU1234567").
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 4002, client_id: int = 1, *,
                 connect_timeout: float = 10.0, account_id: str = "DU1234567",
                 contracts: tuple[Instrument, ...] | list[Instrument] = DEFAULT_CONTRACTS,
                 auto_submit: bool = True, connected: bool = True):
        self.host, self.port, self.client_id = host, port, client_id
        self.connect_timeout = connect_timeout
        self._init_events()
        self.contracts = {c.display_symbol.upper(): c for c in contracts}
        self.auto_submit = auto_submit
        self.server_version = 178 if connected else 0
        self.connection_time = "20260105 14:30:00 UTC" if connected else ""
        self._account_id = account_id
        self._state = ConnectionState.CONNECTED if connected else ConnectionState.DISCONNECTED
        self._ever_connected = connected
        self.calls: list[tuple[str, tuple]] = []
        self.subscribed: dict[str, Instrument] = {}  # key -> instrument with quote_refs > 0
        self.quote_refs: dict[str, int] = {}
        self.print_refs: dict[str, int] = {}       # trade prints: subscribers per key
        self.depthEvent = Event("depthEvent")      # the Session's depth API (session_depth)
        self.depth_refs: dict[str, int] = {}
        self._books: dict[str, DepthBook] = {}
        self._quotes: dict[str, Quote] = {}
        self._orders: dict[int, OrderRecord] = {}
        self._foreign: list[OrderRecord] = []
        self._executions: dict[str, Execution] = {}
        self._positions: dict[tuple[str, str], Position] = {}
        self._values: dict[tuple[str, str], AccountValue] = {}
        self._next_order_id = 1
        self._req_ids = itertools.count(1)
        self._exec_ids = itertools.count(1)
        self._histories: dict[int, Instrument] = {}
        self.fail_connect: str = ""
        self.fail_history: str = ""
        self.bars: pd.DataFrame | None = None
        self.in_flight: dict[int, str] = {}
        self.stale: set[int] = set()
        self._pnl: AccountPnL | None = None
        self._position_pnl: dict[int, PositionPnL] = {}
        self.parents: dict[int, int] = {}          # child orderId -> parentId
        self.oca: dict[int, str] = {}              # orderId -> ocaGroup
        self.what_if_result = WhatIf(init_margin_change=4687.5, maint_margin_change=4687.5,
                                     equity_with_loan_change=-1.0, commission=1.0,
                                     commission_currency="USD")

    # ---- properties -------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def is_connected(self) -> bool:
        return self._state is ConnectionState.CONNECTED

    @property
    def account_id(self) -> str:
        """The managed account ("" before the first connect; kept after a disconnect)."""
        return self._account_id if self._ever_connected else ""

    @property
    def accounts(self) -> list[str]:
        return [self._account_id] if self._ever_connected else []

    def _set_state(self, state: ConnectionState, message: str = "") -> None:
        self._state = state
        self.stateEvent.emit(state, message)

    # ---- connection -------------------------------------------------------
    async def connect(self) -> None:
        """CONNECTING then CONNECTED; with ``fail_connect`` set: FAILED and ``ConnectionError``."""
        self.calls.append(("connect", ()))
        self._set_state(ConnectionState.CONNECTING, f"{self.host}:{self.port}")
        await asyncio.sleep(0)
        if self.fail_connect:
            self._set_state(ConnectionState.FAILED, self.fail_connect)
            raise ConnectionError(self.fail_connect)
        self.server_version = 178
        self.connection_time = "20260105 14:30:00 UTC"
        self._ever_connected = True
        self._set_state(ConnectionState.CONNECTED, "")

    def disconnect(self) -> None:
        self.calls.append(("disconnect", ()))
        if self._state is not ConnectionState.DISCONNECTED:
            self._set_state(ConnectionState.DISCONNECTED, "")

    def drop_connection(self, message: str = "Socket disconnect") -> None:
        """Test driver: an unexpected disconnect (LOST); subscriptions are kept, like the real Session."""
        self._set_state(ConnectionState.LOST, message)

    def _require_connected(self, what: str) -> None:
        if not self.is_connected:
            raise NotConnectedError(f"Not connected: cannot {what}")

    # ---- contracts and quotes ---------------------------------------------
    async def resolve(self, symbol_or_instrument: str | Instrument) -> Instrument:
        """Look the symbol up in ``contracts`` (a future: in ``futures``, see
        ``tests.fakes_futures``; an option typed as "AAPL 20261218 200 C": in the fake chains
        of ``tests.fakes_options``); error 200 text for an unknown one."""
        self.calls.append(("resolve", (symbol_or_instrument,)))
        inst = (Instrument.parse(symbol_or_instrument) if isinstance(symbol_or_instrument, str)
                else symbol_or_instrument)
        self._require_connected(f"resolve {inst.display_symbol}")
        await asyncio.sleep(0)
        if inst.is_future and not inst.con_id:
            return self._resolve_future(inst, next(self._req_ids))
        if inst.is_option and not inst.con_id and inst.display_symbol.upper() not in self.contracts:
            under = self.contracts.get(inst.symbol.upper())
            if under is not None and inst.expiry in FAKE_EXPIRATIONS:
                await self.option_contracts(under, inst.expiry, [inst.strike])   # lists them in contracts
        found = self.contracts.get(inst.display_symbol.upper())
        if found is None:
            req_id = next(self._req_ids)
            text = "No security definition has been found for the request"
            self.errorEvent.emit(req_id, 200, text)
            raise UnknownSymbolError(inst.display_symbol, text)
        return found

    def subscribe_quotes(self, instrument: Instrument) -> None:
        """Counted like the real Session: each call needs one ``unsubscribe_quotes``;
        allowed while disconnected (the real one sends it on the next connect)."""
        self.calls.append(("subscribe_quotes", (instrument,)))
        self.quote_refs[instrument.key] = self.quote_refs.get(instrument.key, 0) + 1
        self.subscribed[instrument.key] = instrument

    def unsubscribe_quotes(self, instrument: Instrument) -> None:
        """Drop one subscription; the last one stops the quotes. Unknown: no-op."""
        self.calls.append(("unsubscribe_quotes", (instrument,)))
        n = self.quote_refs.get(instrument.key, 0) - 1
        if n > 0:
            self.quote_refs[instrument.key] = n
            return
        self.quote_refs.pop(instrument.key, None)
        self.subscribed.pop(instrument.key, None)

    def quote(self, key: str) -> Quote | None:
        return self._quotes.get(key)

    def push_quote(self, symbol: str, **fields) -> Quote:
        """Test driver: update the quote of ``symbol`` (display symbol) and emit one batch.

        ``fields`` are Quote fields (bid, ask, last, close, volume, ...). Only
        subscribed instruments get events, and only while connected, like IB.
        """
        inst = self.contracts[symbol.upper()]
        old = self._quotes.get(inst.key) or Quote(inst.key)
        q = replace(old, time=_now(), **fields)
        self._quotes[inst.key] = q
        if inst.key in self.subscribed and self.is_connected:
            self.quotesEvent.emit([q])
        return q

    # ---- history ----------------------------------------------------------
    async def history(self, instrument: Instrument, bar_size: str, duration: str | None = None,
                      keep_up_to_date: bool = True, end: datetime | None = None) -> tuple[int, pd.DataFrame]:
        """Empty bars unless ``self.bars`` (a DataFrame) was set by the test; with
        ``self.fail_history`` set, raises ``HistoryError`` with that text (IB error 162).
        ``end`` (UTC) returns only the bars before it and, like the real Session, cannot
        be combined with ``keep_up_to_date`` (``ValueError``)."""
        self.calls.append(("history", (instrument, bar_size, duration, keep_up_to_date)))
        if end is not None and keep_up_to_date:
            raise ValueError("keep_up_to_date needs end=None (IB: endDateTime must be empty)")
        self._require_connected("request history")
        await asyncio.sleep(0)
        if self.fail_history:
            raise HistoryError(self.fail_history, 162)
        sub_id = next(self._req_ids)
        if keep_up_to_date:
            self._histories[sub_id] = instrument
        bars = self.bars.copy() if self.bars is not None else empty_bars()
        if end is not None and len(bars):
            bars = bars[bars["time"] < pd.Timestamp(end)].reset_index(drop=True)
        return sub_id, bars

    def cancel_history(self, sub_id: int) -> None:
        self.calls.append(("cancel_history", (sub_id,)))
        self._histories.pop(sub_id, None)

    def emit_bar(self, sub_id: int, bar: Bar, new_bar: bool) -> None:
        """Test driver: a live bar update of a keepUpToDate subscription."""
        if sub_id in self._histories:
            self.barEvent.emit(sub_id, bar, new_bar)

    # ---- orders -----------------------------------------------------------
    def orders(self) -> list[OrderRecord]:
        return list(self._orders.values()) + list(self._foreign)

    def order(self, order_id: int, client_id: int | None = None) -> OrderRecord | None:
        """The order ``order_id`` of ``client_id`` (default this session's client id)."""
        if client_id is None or client_id == self.client_id:
            return self._orders.get(order_id)
        return next((o for o in self._foreign if o.order_id == order_id and o.client_id == client_id), None)

    def executions(self) -> list[Execution]:
        return list(self._executions.values())

    def positions(self) -> list[Position]:
        return list(self._positions.values())

    def account_values(self) -> list[AccountValue]:
        return list(self._values.values())

    def _update(self, order: OrderRecord, **changes) -> OrderRecord:
        new = order.copy(updated=_now(), **changes)
        self._orders[new.order_id] = new
        self.orderEvent.emit(new)
        return new

    def place_order(self, req: OrderRequest) -> OrderRecord:
        """Assign the next orderId, record the order in PendingSubmit, emit orderEvent."""
        self.calls.append(("place_order", (req,)))
        validate_order_request(req)  # OrderValidationError, like the real Session
        self._require_connected("place an order")
        return self._new_order(req)

    def _new_order(self, req: OrderRequest) -> OrderRecord:
        oid = self._next_order_id
        self._next_order_id += 1
        now = _now()
        rec = OrderRecord(
            order_id=oid, perm_id=0, client_id=self.client_id, instrument=req.instrument,
            action=req.action, quantity=req.quantity, order_type=req.order_type,
            limit_price=req.limit_price, stop_price=req.stop_price, tif=req.tif.value,
            status=OrderStatus.PENDING_SUBMIT, remaining=req.quantity, created=now, updated=now,
            account=self._account_id, outside_rth=req.outside_rth,
            trailing_amount=req.trailing_amount, trailing_percent=req.trailing_percent,
            limit_offset=req.limit_offset)
        self._orders[oid] = rec
        self.orderEvent.emit(rec)
        if req.oca_group:
            self.oca[oid] = req.oca_group
        if self.auto_submit:
            asyncio.get_event_loop().call_soon(self.submit, oid)
        return rec

    def place_bracket(self, req: OrderRequest, take_profit: float | None,
                      stop_loss: float | None) -> list[OrderRecord]:
        """Parent + take-profit LMT + stop-loss STP (other side), like the real Session:
        children remember ``parents`` and share the OCA group "ibdesk-<parentId>"."""
        self.calls.append(("place_bracket", (req, take_profit, stop_loss)))
        validate_order_request(req)
        if take_profit is None and stop_loss is None:
            raise ValueError("A bracket needs a take-profit or a stop-loss price")
        self._require_connected("place a bracket")
        parent = self._new_order(req)
        recs = [parent]
        group = f"ibdesk-{parent.order_id}"
        for child in bracket_children(req, take_profit, stop_loss):
            child = replace(child, oca_group=group, oca_type=1)
            validate_order_request(child)
            rec = self._new_order(child)
            self.parents[rec.order_id] = parent.order_id
            recs.append(rec)
        return recs

    def global_cancel(self) -> None:
        """reqGlobalCancel: every working order of every client goes Cancelled."""
        self.calls.append(("global_cancel", ()))
        self._require_connected("send a global cancel")
        for rec in list(self._orders.values()):
            if rec.is_working:
                self._update(rec, status=OrderStatus.CANCELLED, remaining=0.0)
        for o in list(self._foreign):
            if o.is_working:
                self.add_order(o.copy(status=OrderStatus.CANCELLED, remaining=0.0))

    async def what_if(self, req: OrderRequest) -> WhatIf:
        """``what_if_result`` (margin/commission preview) after one loop turn."""
        self.calls.append(("what_if", (req,)))
        validate_order_request(req)
        self._require_connected("preview an order")
        await asyncio.sleep(0)
        return self.what_if_result

    def pending_action(self, order_id: int) -> str | None:
        """"modify" / "cancel" sent and not yet answered by the fake gateway."""
        return self.in_flight.get(order_id)

    def stale_order_ids(self) -> frozenset[int]:
        return frozenset(self.stale)

    def answer(self, order_id: int) -> OrderRecord | None:
        """Test driver: the gateway answered a modify (openOrder + orderStatus)."""
        self.in_flight.pop(order_id, None)
        rec = self._orders.get(order_id)
        if rec is not None:
            self.orderEvent.emit(rec)
        return rec

    def reconnect(self, lost_orders: tuple[int, ...] = ()) -> None:
        """Test driver: LOST then CONNECTED again; working orders in ``lost_orders`` were
        not reported again by the gateway (they become stale); unanswered
        modify/cancel requests are forgotten; new orderIds continue above the old."""
        self._set_state(ConnectionState.LOST, "Socket disconnect")
        self.in_flight.clear()
        self.stale |= {o for o in lost_orders if o in self._orders and self._orders[o].is_working}
        self._set_state(ConnectionState.CONNECTED, "")

    def submit(self, order_id: int) -> OrderRecord | None:
        """Test driver: the gateway accepted the order (PendingSubmit -> Submitted, permId set)."""
        rec = self._orders.get(order_id)
        if rec is None or rec.status is not OrderStatus.PENDING_SUBMIT:
            return rec
        return self._update(rec, status=OrderStatus.SUBMITTED, perm_id=1_000_000 + order_id)

    def _own(self, order_id: int, verb: str) -> OrderRecord:
        rec = self._orders.get(order_id)
        if rec is None:
            raise LookupError(f"Cannot {verb} order {order_id}: no such order of client id "
                              f"{self.client_id} in this session")
        if rec.status in DONE_STATUSES:
            raise ValueError(f"Cannot {verb} order {order_id}: it is {rec.status.value}")
        return rec

    def modify_order(self, order_id: int, quantity: float | None = None,
                     limit_price: float | None = None, stop_price: float | None = None,
                     trailing_amount: float | None = None) -> OrderRecord:
        """placeOrder again with the same orderId and contract; None keeps a value.

        Raises ``LookupError`` (unknown order), ``ValueError`` (finished order),
        ``NotConnectedError`` like the real Session.
        """
        self.calls.append(("modify_order", (order_id, quantity, limit_price, stop_price)
                           + (() if trailing_amount is None else (trailing_amount,))))
        self._require_connected(f"modify order {order_id}")
        rec = self._own(order_id, "modify")
        qty = rec.quantity if quantity is None else quantity
        new = self._update(rec, quantity=qty,
                           limit_price=rec.limit_price if limit_price is None else limit_price,
                           stop_price=rec.stop_price if stop_price is None else stop_price,
                           trailing_amount=(rec.trailing_amount if trailing_amount is None
                                            else trailing_amount),
                           remaining=qty - rec.filled)
        self.in_flight[order_id] = "modify"
        if self.auto_submit:
            asyncio.get_event_loop().call_soon(self.answer, order_id)
        return new

    def cancel_order(self, order_id: int) -> OrderRecord:
        """cancelOrder: PendingCancel now, Cancelled on the next loop turn (or via :meth:`confirm_cancel`)."""
        self.calls.append(("cancel_order", (order_id,)))
        self._require_connected(f"cancel order {order_id}")
        rec = self._update(self._own(order_id, "cancel"), status=OrderStatus.PENDING_CANCEL)
        self.in_flight[order_id] = "cancel"
        if self.auto_submit:
            asyncio.get_event_loop().call_soon(self.confirm_cancel, order_id)
        return rec

    def confirm_cancel(self, order_id: int) -> OrderRecord | None:
        """Test driver: the gateway confirmed a cancel (status Cancelled, remaining 0)."""
        rec = self._orders.get(order_id)
        self.in_flight.pop(order_id, None)
        if rec is None or rec.status is not OrderStatus.PENDING_CANCEL:
            return rec
        return self._update(rec, status=OrderStatus.CANCELLED, remaining=0.0)

    def add_order(self, order: OrderRecord) -> None:
        """Test driver: an order from another client / TWS appears."""
        self._foreign = [o for o in self._foreign if o.order_id != order.order_id] + [order]
        self.orderEvent.emit(order)

    def fill(self, order_id: int, quantity: float | None = None, price: float | None = None,
             commission: float | None = 1.0) -> Execution:
        """Test driver: fill ``quantity`` (default the rest) at ``price`` (default limit or 100).

        Emits orderEvent (Filled or still Submitted), executionEvent and, when
        ``commission`` is given, executionEvent again with the commission set.
        """
        rec = self._orders[order_id]
        qty = rec.remaining if quantity is None else quantity
        px = price if price is not None else (rec.limit_price or rec.stop_price or 100.0)
        filled = rec.filled + qty
        avg = (rec.avg_fill_price * rec.filled + px * qty) / filled
        status = OrderStatus.FILLED if filled >= rec.quantity else OrderStatus.SUBMITTED
        self.in_flight.pop(order_id, None)
        self._update(rec, filled=filled, remaining=rec.quantity - filled, avg_fill_price=avg,
                     last_fill_price=px, status=status)
        ex = Execution(
            exec_id=f"0000e0d5.{next(self._exec_ids):08x}.01.01", time=_now(), order_id=order_id,
            perm_id=rec.perm_id, client_id=rec.client_id, instrument=rec.instrument,
            side="BOT" if rec.action is Action.BUY else "SLD", shares=qty, price=px, cum_qty=filled,
            avg_price=avg, account=self._account_id)
        self._executions[ex.exec_id] = ex
        self.executionEvent.emit(ex)
        if commission is not None:
            ex = replace(ex, commission=commission, commission_currency="USD", realized_pnl=0.0)
            self._executions[ex.exec_id] = ex
            self.executionEvent.emit(ex)
        return ex

    # ---- account ----------------------------------------------------------
    def set_account_value(self, tag: str, value: str | float, currency: str = "USD",
                          account: str | None = None) -> AccountValue:
        """Test driver: one updateAccountValue."""
        v = AccountValue(account or self._account_id, tag, str(value), currency)
        self._values[(tag, currency)] = v
        self.accountValueEvent.emit(v)
        return v

    def set_position(self, symbol: str, quantity: float, avg_cost: float, market_price: float | None = None,
                     unrealized_pnl: float | None = None, realized_pnl: float | None = 0.0) -> Position:
        """Test driver: one updatePortfolio (quantity 0 closes the position). As IB sends it:
        ``avg_cost`` per contract including the multiplier (an option bought at 2.50: 250),
        ``market_price`` per share, market value = price x quantity x multiplier."""
        inst = self.contracts[symbol.upper()]
        mv = None if market_price is None else market_price * quantity * inst.multiplier
        p = Position(self._account_id, inst, quantity, avg_cost, market_price, mv, unrealized_pnl, realized_pnl)
        if quantity:
            self._positions[(p.account, inst.key)] = p
        else:
            self._positions.pop((p.account, inst.key), None)
        self.positionEvent.emit(p)
        return p

    def account_pnl(self, account: str = "") -> AccountPnL | None:
        return self._pnl

    def position_pnls(self) -> list[PositionPnL]:
        return list(self._position_pnl.values())

    def set_pnl(self, daily: float | None, unrealized: float | None, realized: float | None) -> AccountPnL:
        """Test driver: one IB pnl message (reqPnL) of the account."""
        self._pnl = AccountPnL(self._account_id, daily, unrealized, realized)
        self.pnlEvent.emit(self._pnl)
        return self._pnl

    def set_position_pnl(self, symbol: str, position: float, daily: float | None,
                         unrealized: float | None, realized: float | None, value: float | None) -> PositionPnL:
        """Test driver: one IB pnlSingle message (reqPnLSingle) of ``symbol``'s position."""
        inst = self.contracts[symbol.upper()]
        p = PositionPnL(self._account_id, inst.con_id, position, daily, unrealized, realized, value)
        self._position_pnl[inst.con_id] = p
        self.positionPnlEvent.emit(p)
        return p

    # ---- trade prints (app.broker.session_ticks) ----------------------------------
    def subscribe_trade_prints(self, instrument: Instrument) -> None:
        self.calls.append(("subscribe_trade_prints", (instrument,)))
        self.print_refs[instrument.key] = self.print_refs.get(instrument.key, 0) + 1

    def unsubscribe_trade_prints(self, instrument: Instrument) -> None:
        self.calls.append(("unsubscribe_trade_prints", (instrument,)))
        n = self.print_refs.get(instrument.key, 0) - 1
        if n > 0:
            self.print_refs[instrument.key] = n
        else:
            self.print_refs.pop(instrument.key, None)

    def trade_print_subscriptions(self) -> dict[str, Instrument]:
        return {k: i for k, i in ((c.key, c) for c in self.contracts.values()) if k in self.print_refs}

    def push_prints(self, symbol: str, *trades: tuple, exchange: str = "NASDAQ") -> list[TradePrint]:
        """Emit one ``tradePrintEvent`` batch of ``(price, size)`` trades of ``symbol`` (only
        while subscribed, like IB); returns the batch."""
        inst = self.contracts[symbol.upper()]
        if inst.key not in self.print_refs:
            return []
        now = datetime.now(timezone.utc).replace(microsecond=0)
        batch = [TradePrint(inst.key, now, float(p), float(s), exchange) for p, s in trades]
        self.tradePrintEvent.emit(batch)
        return batch

    # ---- market depth (app.broker.session_depth) -------------------------------------
    def subscribe_depth(self, inst) -> None:
        self.depth_refs[inst.key] = self.depth_refs.get(inst.key, 0) + 1

    def unsubscribe_depth(self, inst) -> None:
        self.depth_refs[inst.key] -= 1

    def depth(self, key: str) -> DepthBook | None:
        return self._books.get(key)

    def push_book(self, inst, bids, asks) -> DepthBook:
        """Emit one ``depthEvent`` batch with the book ``bids`` / ``asks`` ([(price, size)])."""
        book = DepthBook(inst.key, tuple(bids), tuple(asks))
        self._books[inst.key] = book
        self.depthEvent.emit([book])
        return book


class ListJournal:
    """A journal that keeps ``record(kind, **fields)`` calls in ``rows`` as ``(kind, fields)``
    (the product's :class:`app.journal.Journal` writes them to SQLite)."""

    def __init__(self):
        self.rows: list[tuple[str, dict]] = []

    def record(self, kind, **fields):
        self.rows.append((kind, fields))

    def of(self, kind):
        """The fields of every row of ``kind``, oldest first."""
        return [f for k, f in self.rows if k == kind]
