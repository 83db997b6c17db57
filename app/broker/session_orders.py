"""Order methods of the API session (mixed into ``app.broker.session.Session``).

Place (single, bracket), preview (whatIf), modify, cancel and global cancel over
ib_async, and the state the command layer reads before it allows a modify or a
cancel: the modify/cancel still waiting for the gateway's answer
(``pending_action``) and the orderIds a reconnect made stale
(``stale_order_ids``). Rule checks live in ``app.commands``; call through it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ib_async.wrapper import RequestError

from app.broker import convert
from app.broker.errors import NotConnectedError
from app.broker.reconcile import order_ref
from app.domain import DONE_STATUSES, OrderRecord, OrderRequest, WhatIf, validate_order_request
from app.domain.orders import bracket_children


class SessionOrdersMixin:
    """Order methods of ``Session``; uses its ``ib``, ``_book``, ``_client_id``,
    ``_instruments``, ``_in_flight``, ``_stale``, ``_refs``, ``_ref_tag``, ``_connect_timeout``,
    ``account_id``, ``_require_connected`` and ``orderEvent``."""

    def _on_trade(self, trade: Any) -> None:
        o = trade.order
        key = self._refs.get(o.orderRef or "")
        if key is not None and o.permId:
            # a completed order carries no orderId: its orderRef says which order it is
            self._book.bind_perm(int(o.permId), key)
        rec = self._book.update(trade)
        if rec is not None:
            self.orderEvent.emit(rec)

    def _on_gateway_order(self, trade: Any) -> None:
        """openOrder / orderStatus for an order: the gateway has answered any modify or
        cancel sent before (ib_async emits these only for gateway messages, except
        the local orderStatusEvent inside ``IB.cancelOrder``, which runs before the
        cancel is marked in flight)."""
        o = trade.order
        if int(o.clientId or 0) == self._client_id and o.orderId:
            self._in_flight.pop(int(o.orderId), None)
            self._stale.discard(int(o.orderId))

    def pending_action(self, order_id: int) -> str | None:
        """"modify" or "cancel" while one sent for this client's ``order_id`` has not been
        answered by the gateway (openOrder, orderStatus or an error), else None."""
        return self._in_flight.get(order_id)

    def stale_order_ids(self) -> frozenset[int]:
        """This client's orderIds that the gateway had acknowledged but reported neither
        open nor completed after the last reconnect (status Unknown,
        ``app.broker.reconcile``); cleared per order when the gateway reports it."""
        return frozenset(self._stale)

    def orders(self) -> list[OrderRecord]:
        """Every order this session has seen (all clients), oldest orderId first."""
        return self._book.records()

    def order(self, order_id: int, client_id: int | None = None) -> OrderRecord | None:
        """The record of orderId ``order_id`` of ``client_id`` (default: this client)."""
        cid = self._client_id if client_id is None else client_id
        return self._book.record(cid, order_id)

    def place_order(self, req: OrderRequest) -> OrderRecord:
        """Send a new order (IB placeOrder with the next orderId) and return its
        record in PendingSubmit. Raises ``OrderValidationError`` for an invalid
        request, ``NotConnectedError`` when not connected, ``ValueError`` for an
        unsupported instrument. Call through ``app.commands`` only.
        Source: ib_async ``IB.placeOrder``.
        """
        validate_order_request(req)
        self._require_connected(f"place {req.describe()}")
        contract = convert.instrument_to_contract(req.instrument)
        order = convert.request_to_order(req, self.account_id)
        return self._send_new(contract, order, req)

    def _send_new(self, contract: Any, order: Any, req: OrderRequest) -> OrderRecord:
        order.orderId = self.ib.client.getReqId()
        key = (self._client_id, order.orderId)
        if not order.orderRef:
            order.orderRef = order_ref(self._ref_tag, order.orderId)
        self._refs[order.orderRef] = key
        self._book.remember_instrument(key, req.instrument)
        if req.instrument.con_id:
            self._instruments.setdefault(req.instrument.con_id, req.instrument)
        self.ib.placeOrder(contract, order)
        return self._book.record(self._client_id, order.orderId)

    def place_bracket(self, req: OrderRequest, take_profit: float | None,
                      stop_loss: float | None) -> list[OrderRecord]:
        """A bracket: the parent ``req`` plus a take-profit LMT at ``take_profit`` and/or
        a stop-loss STP at ``stop_loss`` on the other side (prices in instrument
        currency, None = no such child), same quantity and TIF. The children carry
        parentId and share the OCA group "ibdesk-<parentId>" (ocaType 1), and only the
        last order has transmit=True, so the gateway holds the family until it is
        complete (IB "Bracket Orders"; ib_async ``IB.bracketOrder``). Returns the
        records [parent, take profit, stop loss] (those sent). Raises like
        ``place_order``; ``ValueError`` when both child prices are None.
        """
        validate_order_request(req)
        if take_profit is None and stop_loss is None:
            raise ValueError("A bracket needs a take-profit or a stop-loss price")
        self._require_connected(f"place a bracket {req.describe()}")
        contract = convert.instrument_to_contract(req.instrument)
        children = bracket_children(req, take_profit, stop_loss)
        for child in children:
            validate_order_request(child)
        parent = convert.request_to_order(req, self.account_id)
        parent.transmit = False
        recs = [self._send_new(contract, parent, req)]
        group = f"ibdesk-{parent.orderId}"
        for i, child in enumerate(children):
            order = convert.request_to_order(child, self.account_id)
            order.parentId = parent.orderId
            order.ocaGroup, order.ocaType = group, 1
            order.transmit = i == len(children) - 1
            recs.append(self._send_new(contract, order, child))
        return recs

    def global_cancel(self) -> None:
        """Cancel every open order of every client and of TWS (IB reqGlobalCancel;
        ib_async ``IB.reqGlobalCancel``). Raises ``NotConnectedError``."""
        self._require_connected("send a global cancel")
        self.ib.reqGlobalCancel()

    async def what_if(self, req: OrderRequest) -> WhatIf:
        """Margin and commission impact of ``req`` without placing it (IB placeOrder with
        whatIf=True; ib_async ``IB.whatIfOrderAsync``). Raises ``OrderValidationError``,
        ``NotConnectedError``, ``ValueError`` with IB's text when the gateway refuses
        the preview, ``TimeoutError`` after ``connect_timeout`` seconds."""
        validate_order_request(req)
        self._require_connected(f"preview {req.describe()}")
        contract = convert.instrument_to_contract(req.instrument)
        order = convert.request_to_order(req, self.account_id)
        try:
            state = await asyncio.wait_for(self.ib.whatIfOrderAsync(contract, order),
                                           self._connect_timeout)
        except RequestError as e:
            raise ValueError(f"No margin preview for {req.describe()}: {e.message} "
                             f"(IB error {e.code})") from e
        except (asyncio.TimeoutError, TimeoutError) as e:
            raise TimeoutError(f"No margin preview for {req.describe()} within "
                               f"{self._connect_timeout:g} s") from e
        except ConnectionError as e:
            raise NotConnectedError(f"No margin preview for {req.describe()}: connection lost ({e})") from e
        if not state:   # ib_async ends the request with [] when the gateway sent no OrderState
            raise ValueError(f"No margin preview for {req.describe()}: the gateway sent none")
        return convert.order_state_to_what_if(state)

    def _own_trade(self, order_id: int, verb: str) -> Any:
        trade = self._book.trade(self._client_id, order_id)
        if trade is None:
            raise LookupError(f"Cannot {verb} order {order_id}: no such order of client id "
                              f"{self._client_id} in this session")
        rec = self._book.record(self._client_id, order_id)
        if rec.status in DONE_STATUSES:
            raise ValueError(f"Cannot {verb} order {order_id}: it is {rec.status.value}")
        return trade

    def modify_order(self, order_id: int, quantity: float | None = None,
                     limit_price: float | None = None,
                     stop_price: float | None = None,
                     trailing_amount: float | None = None) -> OrderRecord:
        """Change a working order of this client: IB placeOrder again with the same
        orderId and contract; None keeps a value (``stop_price`` and ``trailing_amount`` both
        go to ``auxPrice``: the stop / trigger, or a TRAIL order's distance). Returns the
        updated record.
        Raises ``LookupError`` (unknown order), ``ValueError`` (finished order),
        ``NotConnectedError``. Rule checks live in ``app.commands``.
        """
        self._require_connected(f"modify order {order_id}")
        trade = self._own_trade(order_id, "modify")
        order = trade.order
        if quantity is not None:
            order.totalQuantity = float(quantity)
        if limit_price is not None:
            order.lmtPrice = float(limit_price)
        if stop_price is not None:
            order.auxPrice = float(stop_price)
        if trailing_amount is not None:
            order.auxPrice = float(trailing_amount)
        order.transmit = True
        self.ib.placeOrder(trade.contract, order)
        self._in_flight[int(order_id)] = "modify"
        self._on_trade(trade)
        return self._book.record(self._client_id, order_id)

    def cancel_order(self, order_id: int) -> OrderRecord:
        """Cancel a working order of this client (IB cancelOrder); returns the record,
        normally in PendingCancel. Raises like ``modify_order``."""
        self._require_connected(f"cancel order {order_id}")
        trade = self._own_trade(order_id, "cancel")
        self.ib.cancelOrder(trade.order)
        self._in_flight[int(order_id)] = "cancel"
        self._on_trade(trade)
        return self._book.record(self._client_id, order_id)
