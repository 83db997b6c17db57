"""Order commands (user intents) and ``OrderCommands``, which checks and executes them.

The UI never calls the session's order methods: every place / modify / cancel
goes through ``OrderCommands.execute`` (DESIGN.md, "user intent -> app.commands").
TWS's own order precautions are usually bypassed for API orders, so the checks
here are the terminal's pre-trade safety net.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.commands.validation import (
    CommandRejected,
    check_modification,
    check_working,
    find_own_order,
)
from app.domain import OrderRecord, OrderRequest, OrderValidationError, validate_order_request

log = logging.getLogger("ibdesk.commands")


@dataclass(frozen=True)
class PlaceOrder:
    """Send a new order (IB placeOrder with a new orderId)."""

    request: OrderRequest


@dataclass(frozen=True)
class ModifyOrder:
    """Change a working order of this client (IB placeOrder with the same orderId).

    ``quantity`` in shares, prices in instrument currency; None = unchanged.
    """

    order_id: int
    quantity: float | None = None
    limit_price: float | None = None
    stop_price: float | None = None


@dataclass(frozen=True)
class CancelOrder:
    """Cancel a working order of this client (IB cancelOrder)."""

    order_id: int


Command = PlaceOrder | ModifyOrder | CancelOrder


@dataclass(frozen=True)
class CommandResult:
    """Outcome of ``OrderCommands.execute``: ``ok``, a sentence for the trader, and
    the order record (the new/updated one on success; the existing one, if any,
    on a rejection)."""

    ok: bool
    message: str
    order: OrderRecord | None = None


class OrderCommands:
    """Checks and executes order commands against a ``Session``.

    ``session`` follows the Session contract (``is_connected``, ``client_id``,
    ``order``, ``orders``, ``place_order``, ``modify_order``, ``cancel_order``).
    ``read_only`` (settable) refuses every order command, like TWS's "Read-Only
    API" setting.
    """

    def __init__(self, session: Any, *, read_only: bool = False):
        self.session = session
        self.read_only = bool(read_only)
        self._cancels_sent: set[tuple[int, int]] = set()

    # -------------------------------------------------------------- checks

    def _check_session(self, what: str) -> None:
        if self.read_only:
            raise CommandRejected(f"Cannot {what}: the terminal is in read-only mode")
        if not self.session.is_connected:
            raise CommandRejected(f"Cannot {what}: not connected to TWS / IB Gateway")

    def _own(self, order_id: int, verb: str) -> OrderRecord:
        own = None
        if isinstance(order_id, int) and not isinstance(order_id, bool):
            own = self.session.order(order_id)
        return find_own_order(order_id, verb, self.session.client_id, own, self.session.orders())

    def _cancel_sent(self, rec: OrderRecord) -> bool:
        key = (rec.client_id, rec.order_id)
        if key in self._cancels_sent and not rec.is_working:
            self._cancels_sent.discard(key)
        return key in self._cancels_sent

    def check(self, cmd: Command) -> None:
        """Raise ``CommandRejected`` when ``cmd`` breaks a rule; return None when it may go.

        place: ``validate_order_request`` (quantity, prices, tick), connected,
        not read-only. modify / cancel: connected, not read-only, orderId known to
        this session and placed by this client id, still working, no cancel
        pending; modify also a valid quantity (> 0, >= filled, whole shares for
        stocks), prices the order type uses and on tick, and a real change.
        """
        if isinstance(cmd, PlaceOrder):
            try:
                validate_order_request(cmd.request)
            except OrderValidationError as e:
                raise CommandRejected(f"Cannot place order: {e}") from e
            self._check_session(f"place {cmd.request.describe()}")
        elif isinstance(cmd, ModifyOrder):
            rec = self._own(cmd.order_id, "modify")
            self._check_session(f"modify order {cmd.order_id}")
            check_working(rec, "modify", self._cancel_sent(rec))
            check_modification(rec, cmd.quantity, cmd.limit_price, cmd.stop_price)
        elif isinstance(cmd, CancelOrder):
            rec = self._own(cmd.order_id, "cancel")
            self._check_session(f"cancel order {cmd.order_id}")
            check_working(rec, "cancel", self._cancel_sent(rec))
        else:
            raise CommandRejected(f"Unknown command {cmd!r}")

    # -------------------------------------------------------------- execution

    def execute(self, cmd: Command) -> CommandResult:
        """Check and send ``cmd``. Never raises for a rejection or a gateway/session
        failure: returns ``CommandResult(ok=False, message=reason)`` instead."""
        existing = None
        if isinstance(cmd, (ModifyOrder, CancelOrder)) and isinstance(cmd.order_id, int):
            existing = self.session.order(cmd.order_id)
        try:
            self.check(cmd)
        except CommandRejected as e:
            log.info("rejected %r: %s", cmd, e.reason)
            return CommandResult(False, e.reason, existing)
        try:
            if isinstance(cmd, PlaceOrder):
                rec = self.session.place_order(cmd.request)
                msg = f"Placed order {rec.order_id}: {cmd.request.describe()}"
            elif isinstance(cmd, ModifyOrder):
                rec = self.session.modify_order(cmd.order_id, cmd.quantity, cmd.limit_price,
                                                cmd.stop_price)
                msg = f"Modify sent for order {rec.order_id}: {_describe_change(cmd)}"
            else:
                rec = self.session.cancel_order(cmd.order_id)
                self._cancels_sent.add((rec.client_id, rec.order_id))
                msg = f"Cancel sent for order {rec.order_id}"
        except (ConnectionError, LookupError, ValueError) as e:
            log.warning("failed %r: %s", cmd, e)
            return CommandResult(False, str(e), existing)
        log.info("%s", msg)
        return CommandResult(True, msg, rec)


def _describe_change(cmd: ModifyOrder) -> str:
    parts = []
    if cmd.quantity is not None:
        parts.append(f"quantity {cmd.quantity:g}")
    if cmd.limit_price is not None:
        parts.append(f"limit {cmd.limit_price:g}")
    if cmd.stop_price is not None:
        parts.append(f"stop {cmd.stop_price:g}")
    return ", ".join(parts)
