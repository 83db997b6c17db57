"""``OrderCommands``: checks and executes the order commands against the session.

The UI never calls the session's order methods: every place / modify / cancel /
bulk action goes through ``OrderCommands.execute`` (DESIGN.md, "user intent ->
app.commands"). TWS's own order precautions are usually bypassed for API
orders, so the checks here are the terminal's pre-trade safety net. The
commands themselves are in ``app.commands.intents`` (re-exported here).
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from eventkit import Event

from app.commands import bulk
from app.commands.intents import (
    CancelAll, CancelOrder, Command, CommandResult, Flatten, GlobalCancel, KillSwitch, ModifyOrder,
    PlaceBracket, PlaceOrder, Reverse, describe_change, describe_command,
)
from app.commands.risk import RiskLimits, check_position, evaluate, order_signature
from app.commands.validation import (
    CommandRejected, check_modification, check_working, find_own_order, fmt_number,
)
from app.domain import (
    Action, ConnectionState, OrderRecord, OrderRequest, OrderType, OrderValidationError,
    validate_order_request,
)
from app.domain.orders import bracket_children, price_problem

log = logging.getLogger("ibdesk.commands")

#: seconds after which a modification the gateway never answered stops blocking
#: (only for sessions without ``pending_action``; the real Session knows)
PENDING_TIMEOUT = 30.0
#: seconds within which an accepted confirmation and the next command are one action
CONFIRM_LINK_SECONDS = 60.0
#: seconds of sent orders kept for the rate limit and (at least) for the duplicate guard
_HISTORY_SECONDS = 3600.0


@dataclass
class _Plan:
    """What a checked command will send."""

    requests: list[OrderRequest] = field(default_factory=list)
    cancels: list[OrderRecord] = field(default_factory=list)
    bracket: tuple | None = None
    modify: ModifyOrder | None = None
    overridden: list[CommandRejected] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class OrderCommands:
    """Checks and executes order commands against a ``Session``.

    ``session`` follows the Session contract (``is_connected``, ``client_id``,
    ``account_id``, ``order``, ``orders``, ``positions``, ``quote``,
    ``place_order``, ``place_bracket``, ``modify_order``, ``cancel_order``,
    ``global_cancel``, ``pending_action``, ``stale_order_ids``; the last ones
    are optional). ``read_only`` (settable) refuses every order command, like
    TWS's "Read-Only API"; ``halted`` (kill switch engaged, settable) refuses new
    orders but allows cancels and Flatten. ``limits`` is a ``RiskLimits``
    (default: every limit off; the app passes ``risk_settings.load_limits``).
    ``journal`` is any object with ``record(kind, **fields)``; its failures never
    stop trading. ``clock`` returns seconds (monotonic) for the time rules.
    ``haltedEvent(halted: bool)`` (``eventkit.Event``) fires when ``halted`` changes.
    A command's ``source`` (``PlaceOrder.source``, e.g. a strategy's name) goes into each
    journal entry of that command as ``source``.
    """

    def __init__(self, session: Any, *, read_only: bool = False, limits: RiskLimits | None = None,
                 journal: Any = None, clock: Callable[[], float] = time.monotonic):
        self.session = session
        self.read_only = bool(read_only)
        self.limits = limits if limits is not None else RiskLimits()
        self.journal = journal
        self._clock = clock
        self._halted = False
        self._journal_failed = False
        self._command_id: str | None = None  # of the execute() running now
        self._source = ""  # the ``source`` of the command execute() runs now ("" = the trader)
        #: ``haltedEvent(halted: bool)`` when :attr:`halted` changes (the kill switch engaged
        #: or cleared); the strategy runners stop on True
        self.haltedEvent = Event("haltedEvent")
        self._confirmed_command: tuple[str, float] | None = None  # (command_id, time) of a "confirm"
        self._sent_times: deque[float] = deque()
        self._recent: deque[tuple[float, tuple, int]] = deque()  # (time, signature, orderId)
        self._local_pending: dict[tuple[int, int], tuple[str, OrderRecord, float]] = {}
        state_event = getattr(session, "stateEvent", None)
        if state_event is not None:
            state_event += self._on_state

    def _on_state(self, state, *_message) -> None:
        """``stateEvent(state, message)``: a (re)connect settles every order with the gateway
        (``Session.connect``): the modify/cancel marks kept here from before it are void (a
        cancel lost in a drop must not block the next cancel)."""
        if state is ConnectionState.CONNECTED and self._local_pending:
            self.record("pending_cleared", orders=sorted(k[1] for k in self._local_pending),
                        text="reconnected: unanswered modify/cancel marks cleared")
            self._local_pending.clear()

    # -------------------------------------------------------------- state

    @property
    def halted(self) -> bool:
        """True while the kill switch is engaged: new orders are refused (rule "halted")."""
        return self._halted

    @halted.setter
    def halted(self, value: bool) -> None:
        value = bool(value)
        if value != self._halted:
            self._halted = value
            self.record("kill_switch", engaged=value,
                        text="trading halted" if value else "trading resumed")
            self.haltedEvent.emit(value)

    def record(self, kind: str, **fields) -> None:
        """Forward one journal entry (``journal.record(kind, client_id=..., **fields)``);
        no-op without a journal; never raises (the first failure is logged).

        Entries written while one ``execute`` runs share a ``command_id`` (details), so
        a new order's intent and check, journalled before IB has an orderId for it,
        are found with the order (``Journal.order_history``). An accepted "confirm" or
        "override" question gets a fresh ``command_id`` that the next ``execute``
        (within ``CONFIRM_LINK_SECONDS``) continues: the answer belongs to that order.
        """
        if self.journal is None:
            return
        fields.setdefault("client_id", getattr(self.session, "client_id", None))
        if self._command_id is not None:
            fields.setdefault("command_id", self._command_id)
            if self._source:
                fields.setdefault("source", self._source)
        elif kind in ("confirm", "override"):  # the trader's answer before the command runs
            cid = fields.setdefault("command_id", uuid.uuid4().hex[:16])
            accepted = fields.get("decision") == "accepted"
            self._confirmed_command = (cid, self._clock()) if accepted else None
        try:
            self.journal.record(kind, **fields)
        except Exception:  # noqa: BLE001 - the journal must never stop trading
            if not self._journal_failed:
                self._journal_failed = True
                log.exception("journal.record(%r) failed; trading continues", kind)

    # -------------------------------------------------------------- lookups

    def _own(self, order_id: int, verb: str) -> OrderRecord:
        own = None
        if isinstance(order_id, int) and not isinstance(order_id, bool):
            own = self.session.order(order_id)
        return find_own_order(order_id, verb, self.session.client_id, own, self.session.orders())

    def _quote(self, key: str):
        f = getattr(self.session, "quote", None)
        return f(key) if callable(f) else None

    def _position(self, key: str) -> float:
        f = getattr(self.session, "positions", None)
        if not callable(f):
            return 0.0
        account = getattr(self.session, "account_id", "")
        return sum(h.quantity for h in bulk.holdings(f(), account, key))

    def _in_flight(self, rec: OrderRecord) -> str | None:
        """"modify" / "cancel" while a previous one of ``rec`` awaits the gateway's answer."""
        key = (rec.client_id, rec.order_id)
        local = self._local_pending.get(key)
        if local is not None:
            kind, after, t = local
            done = (not rec.is_working if kind == "cancel" else
                    (not rec.is_working or rec != after or self._clock() - t > PENDING_TIMEOUT))
            if done:
                self._local_pending.pop(key, None)
                local = None
        f = getattr(self.session, "pending_action", None)
        if callable(f):
            return f(rec.order_id) or (local[0] if local and local[0] == "cancel" else None)
        return local[0] if local else None

    def _stale(self, order_id: int) -> bool:
        f = getattr(self.session, "stale_order_ids", None)
        return callable(f) and order_id in f()

    # -------------------------------------------------------------- checks

    def _check_session(self, what: str, *, new_order: bool = False) -> None:
        """Read-only, halted (``new_order``: an order that adds risk) and connected."""
        if self.read_only:
            raise CommandRejected(f"Cannot {what}: the terminal is in read-only mode", rule="read_only")
        if new_order and self._halted:
            raise CommandRejected(f"Cannot {what}: trading is halted by the kill switch "
                                  "(resume trading first)", rule="halted")
        if not self.session.is_connected:
            raise CommandRejected(f"Cannot {what}: not connected to TWS / IB Gateway",
                                  rule="not_connected")

    def _validate(self, req: OrderRequest) -> None:
        try:
            validate_order_request(req)
        except OrderValidationError as e:
            rule = "tick_size" if "tick size" in str(e) else "invalid_order"
            raise CommandRejected(f"Cannot place order: {e}", rule=rule) from e

    def _risk(self, plan: _Plan, req: OrderRequest, override: bool, *, skip=(), n_orders: int = 1,
              replaces: frozenset[int] = frozenset()) -> None:
        """Run the pre-trade rules; raise the first hard failure, or the first soft one
        unless ``override`` (then it is kept in ``plan.overridden``). Orders sent earlier
        with an orderId in ``replaces`` (cancelled by this same command) are no
        duplicates of ``req``."""
        failures = evaluate(
            req, self.limits, quote=self._quote(req.instrument.key),
            position=self._position(req.instrument.key),
            recent=[(t, sig) for t, sig, oid in self._recent if oid not in replaces],
            sent_times=self._sent_times, now=self._clock(), skip=skip,
            n_orders=n_orders)
        for f in failures:
            if not f.soft:
                raise f
        for f in failures:
            if not _overrides(override, f):
                raise f
            plan.overridden.append(f)

    def _own_working(self, order_id: int, verb: str) -> OrderRecord:
        rec = self._own(order_id, verb)
        self._check_session(f"{verb} order {order_id}")
        if self._stale(rec.order_id):
            raise CommandRejected(
                f"Cannot {verb} order {order_id}: its orderId is from before the reconnect and the "
                "gateway did not report the order again (it may have filled or been cancelled "
                "meanwhile)", rule="stale_order_id")
        check_working(rec, verb, self._in_flight(rec))
        return rec

    def _plan(self, cmd: Command, override: bool) -> _Plan:
        plan = _Plan()
        if isinstance(cmd, PlaceOrder):
            req = cmd.request
            self._check_session(f"place {_describe(req)}", new_order=True)
            self._validate(req)
            self._risk(plan, req, override)
            plan.requests.append(req)
        elif isinstance(cmd, PlaceBracket):
            self._plan_bracket(plan, cmd, override)
        elif isinstance(cmd, ModifyOrder):
            rec = self._own_working(cmd.order_id, "modify")
            check_modification(rec, cmd.quantity, cmd.limit_price, cmd.stop_price, cmd.trailing_amount)
            self._risk_modify(plan, rec, cmd, override)
            plan.modify = cmd
        elif isinstance(cmd, CancelOrder):
            plan.cancels.append(self._own_working(cmd.order_id, "cancel"))
        elif isinstance(cmd, CancelAll):
            self._check_session("cancel orders")
            plan.cancels = self._cancellable(cmd.instrument_key)
            if not plan.cancels:
                of = "" if cmd.instrument_key is None else f" in {_symbol(self.session, cmd.instrument_key)}"
                raise CommandRejected(f"No working orders of this client{of} to cancel",
                                      rule="nothing_to_do")
        elif isinstance(cmd, GlobalCancel):
            self._check_session("send a global cancel")
        elif isinstance(cmd, Flatten):
            self._check_session("flatten")
            self._plan_closing(plan, cmd.instrument_key, override, kind="flatten", style=cmd.style)
        elif isinstance(cmd, Reverse):
            self._check_session("reverse a position", new_order=True)
            self._plan_closing(plan, cmd.instrument_key, override, kind="reverse")
        elif isinstance(cmd, KillSwitch):
            if self.read_only:
                raise CommandRejected("Cannot use the kill switch's cancels: the terminal is in "
                                      "read-only mode (no order was working through it)",
                                      rule="read_only")
            if self.session.is_connected:
                plan.cancels = self._cancellable(None)
                if cmd.flatten:
                    # no override: a soft failure is a duplicate of a closing order that is no
                    # longer working (filled, the position not reported yet), and a second one
                    # would open a position the other way; it is reported, not sent
                    self._plan_closing(plan, None, False, kind="flatten", partial=True,
                                       replaces=frozenset(r.order_id for r in plan.cancels))
            else:
                plan.skipped.append("not connected: no cancels or closing orders sent")
        else:
            raise CommandRejected(f"Unknown command {cmd!r}", rule="unknown_command")
        return plan

    def _cancellable(self, key: str | None) -> list[OrderRecord]:
        out = []
        for rec in bulk.cancellable_orders(self.session.orders(), self.session.client_id, key):
            try:
                check_working(rec, "cancel", self._in_flight(rec))
            except CommandRejected:
                continue
            if not self._stale(rec.order_id):
                out.append(rec)
        return out

    def _risk_modify(self, plan: _Plan, rec: OrderRecord, cmd: ModifyOrder, override: bool) -> None:
        """A modification passes the size/notional/band rules as the order it becomes;
        max position only when the quantity grows (by the growth)."""
        if not isinstance(rec.order_type, OrderType):
            return
        qty = rec.quantity if cmd.quantity is None else cmd.quantity
        # a trailing order's record stop is where IB's trailing stop is now: no price of its own
        stop = None if rec.order_type.is_trailing else (
            cmd.stop_price if cmd.stop_price is not None else rec.stop_price)
        req = OrderRequest(rec.instrument, rec.action, qty, rec.order_type,
                           cmd.limit_price if cmd.limit_price is not None else rec.limit_price, stop)
        self._risk(plan, req, override,
                   skip=("duplicate_order", "max_orders_per_minute", "max_position"))
        growth = qty - rec.quantity
        if growth > 0:
            grown = OrderRequest(rec.instrument, rec.action, growth, OrderType.MKT)
            failure = check_position(grown, self._position(rec.instrument.key),
                                     self.limits.position_limit(grown))
            if failure is not None:
                if not failure.soft or not _overrides(override, failure):
                    raise failure
                plan.overridden.append(failure)

    def _plan_bracket(self, plan: _Plan, cmd: PlaceBracket, override: bool) -> None:
        req = cmd.request
        self._check_session(f"place a bracket {_describe(req)}", new_order=True)
        self._validate(req)
        if cmd.take_profit is None and cmd.stop_loss is None:
            raise CommandRejected("A bracket needs a take-profit or a stop-loss price", rule="bracket")
        tick = req.instrument.min_tick or 0.01
        for name, p in (("Take-profit price", cmd.take_profit), ("Stop-loss price", cmd.stop_loss)):
            if p is not None:
                problem = price_problem(name, p, tick, fmt=fmt_number)
                if problem:
                    rule = "tick_size" if "tick size" in problem else "bracket"
                    raise CommandRejected(f"Cannot place bracket: {problem}", rule=rule)
        for child in bracket_children(req, cmd.take_profit, cmd.stop_loss):
            try:
                validate_order_request(child)
            except OrderValidationError as e:   # the child takes the parent's TIF (IOC, OPG)
                raise CommandRejected(f"Cannot place bracket: its {child.order_type.value} child takes "
                                      f"the parent's TIF: {e}", rule="bracket") from e
        # the entry price: limit (LMT, STP LMT), else stop (STP); None for a MKT entry
        # (validated above: a MKT order carries no stop price)
        entry = req.limit_price if req.order_type.needs_limit else req.stop_price
        buy = req.action is Action.BUY
        tp, sl = cmd.take_profit, cmd.stop_loss
        for name, p, above in (("take profit", tp, buy), ("stop loss", sl, not buy)):
            if p is not None and entry is not None and (p <= entry if above else p >= entry):
                raise CommandRejected(
                    f"Cannot place bracket: the {name} {fmt_number(p)} must be "
                    f"{'above' if above else 'below'} the entry {fmt_number(entry)} of a "
                    f"{req.action.value}", rule="bracket")
        if tp is not None and sl is not None and (tp <= sl if buy else tp >= sl):
            raise CommandRejected(f"Cannot place bracket: take profit {fmt_number(tp)} and stop loss "
                                  f"{fmt_number(sl)} are the wrong way round for a {req.action.value}",
                                  rule="bracket")
        n = 1 + (tp is not None) + (sl is not None)
        self._risk(plan, req, override, n_orders=n)
        plan.bracket = (req, tp, sl)

    def _plan_closing(self, plan: _Plan, key: str | None, override: bool, *, kind: str,
                      style: str = "MKT", partial: bool = False,
                      replaces: frozenset[int] = frozenset()) -> None:
        """Closing orders of the session account's net positions (``key``: one instrument,
        None: all) for ``kind`` "flatten" or "reverse" (rules skipped:
        ``bulk.BULK_SKIP[kind]``); ``replaces``: orderIds this command cancels (the kill
        switch), whose earlier orders are no duplicates of the new ones. ``partial``: an order that fails a rule is left out and
        named in ``plan.skipped`` instead of refusing the whole command, and no position
        at all is not an error (the kill switch)."""
        reverse = kind == "reverse"
        if not reverse and style not in ("MKT", "LMT"):
            raise CommandRejected(f"Unknown flatten style {style!r}: use MKT or LMT", rule="invalid_order")
        account = getattr(self.session, "account_id", "")
        found = bulk.holdings(self.session.positions(), account, key)
        if not found and partial:
            return
        if not found:
            what = "position" if key is None else f"position in {_symbol(self.session, key)}"
            raise CommandRejected(f"No open {what} to {'reverse' if reverse else 'flatten'}",
                                  rule="no_position")
        skip = bulk.BULK_SKIP[kind]
        for h in found:
            try:
                req = (bulk.reverse_request(h) if reverse else
                       bulk.closing_request(h, abs(h.quantity), style,
                                            self._quote(h.instrument.key), self.limits.flatten_ticks))
                self._validate(req)
                self._risk(plan, req, override, skip=skip, n_orders=len(plan.requests) + 1,
                           replaces=replaces)
            except CommandRejected as e:
                if not partial:
                    raise
                plan.skipped.append(e.reason)
                continue
            plan.requests.append(req)

    def check(self, cmd: Command, *, override: bool | Iterable[str] = False) -> None:
        """Raise ``CommandRejected`` (``rule``, ``soft``) when ``cmd`` breaks a rule;
        return None when it may go. No side effects (nothing is sent or journaled).

        Order of rules: the orderId and its owner (modify / cancel), read-only,
        halted (new orders only), connected, stale orderId, working and no
        modify/cancel in flight, IB's order rules (quantity, prices, tick size),
        then the pre-trade limits of ``self.limits`` (``app.commands.risk``).
        ``override=True`` lets soft failures pass, a collection of rule names only the
        soft failures of those rules; hard ones never do.
        """
        self._plan(cmd, _override_arg(override))

    def soft_failures(self, cmd: Command) -> list[CommandRejected]:
        """Every soft failure ``cmd`` meets now (``CommandRejected`` with ``soft=True``, in
        rule order), for the ticket and the confirmation to show before sending; [] when
        none. Raises ``CommandRejected`` for the first hard failure, as :meth:`check`.
        No side effects."""
        return list(self._plan(cmd, True).overridden)

    # -------------------------------------------------------------- execution

    def execute(self, cmd: Command, *, override: bool | Iterable[str] = False) -> CommandResult:
        """Check and send ``cmd``; journal intent, check, overrides and API calls.

        Never raises for a rejection or a gateway/session failure: returns
        ``CommandResult(ok=False, message=reason, rule=..., soft=...)`` instead.
        A soft rejection comes back with ``soft=True``; re-run with ``override=True``
        after asking the trader, or with ``override`` = the rule names of the soft
        failures the trader saw and accepted (:meth:`soft_failures` shown in the
        confirmation): a soft failure of another rule (the market moved meanwhile) is
        then still refused, so that it is asked about.
        """
        override = _override_arg(override)
        confirmed, self._confirmed_command = self._confirmed_command, None
        if confirmed is not None and self._clock() - confirmed[1] <= CONFIRM_LINK_SECONDS:
            self._command_id = confirmed[0]
        else:
            self._command_id = uuid.uuid4().hex[:16]
        self._source = str(getattr(cmd, "source", "") or "")
        try:
            return self._execute(cmd, override)
        finally:
            self._command_id = None
            self._source = ""

    def _execute(self, cmd: Command, override: bool) -> CommandResult:
        existing = None
        if isinstance(cmd, (ModifyOrder, CancelOrder)) and isinstance(cmd.order_id, int):
            existing = self.session.order(cmd.order_id)
        text = _safe_describe(cmd, self.session)
        oid = getattr(cmd, "order_id", None)
        self.record("intent", text=text, command=type(cmd).__name__, order_id=oid,
                    override=bool(override),
                    **({} if isinstance(override, bool) else {"accepted_rules": sorted(override)}))
        try:
            plan = self._plan(cmd, override)
        except CommandRejected as e:
            log.info("rejected %r: %s", cmd, e.reason)
            self.record("check", result="rejected", rule=e.rule, soft=e.soft, text=e.reason,
                        order_id=oid)
            return CommandResult(False, e.reason, existing, rule=e.rule, soft=e.soft)
        self.record("check", result="passed", text=text, order_id=oid)
        for f in plan.overridden:
            self.record("override", rule=f.rule, text=f.reason, order_id=oid)
        try:
            return self._send(cmd, plan)
        except (ConnectionError, LookupError, ValueError) as e:
            log.warning("failed %r: %s", cmd, e)
            return CommandResult(False, str(e), existing)

    def _note_sent(self, req: OrderRequest, order_id: int, n: int = 1) -> None:
        now = self._clock()
        for _ in range(n):
            self._sent_times.append(now)
        self._recent.append((now, order_signature(req), order_id))
        while self._sent_times and now - self._sent_times[0] > _HISTORY_SECONDS:
            self._sent_times.popleft()
        dup = self.limits.duplicate_order   # a duplicate window may be longer than the history
        keep = max(_HISTORY_SECONDS, float(dup.value) if dup.enabled else 0.0)
        while self._recent and now - self._recent[0][0] > keep:
            self._recent.popleft()

    def _api(self, call: str, rec: OrderRecord | None, text: str = "", **extra) -> None:
        about = {} if rec is None else dict(order_id=rec.order_id, perm_id=rec.perm_id,
                                            client_id=rec.client_id,
                                            symbol=rec.instrument.display_symbol)
        self.record("api", call=call, **about, text=text, **extra)

    def _place(self, req: OrderRequest) -> OrderRecord:
        rec = self.session.place_order(req)
        self._note_sent(req, rec.order_id)
        self._api("placeOrder", rec, req.describe())
        return rec

    def _cancel(self, rec: OrderRecord) -> OrderRecord:
        new = self.session.cancel_order(rec.order_id)
        self._local_pending[(new.client_id, new.order_id)] = ("cancel", new, self._clock())
        self._api("cancelOrder", new)
        return new

    def _send(self, cmd: Command, plan: _Plan) -> CommandResult:
        if isinstance(cmd, PlaceOrder):
            (req,) = plan.requests
            rec = self._place(req)
            return self._ok(f"Placed order {rec.order_id}: {req.describe()}", rec)
        if isinstance(cmd, PlaceBracket):
            req, tp, sl = plan.bracket
            recs = tuple(self.session.place_bracket(req, tp, sl))
            self._note_sent(req, recs[0].order_id, len(recs))
            for r in recs:
                self._api("placeOrder", r, _describe_record(r), parent_id=recs[0].order_id)
            ids = ", ".join(str(r.order_id) for r in recs)
            return self._ok(f"Placed bracket of {len(recs)} orders ({ids}): {describe_command(cmd)}",
                            recs[0], recs)
        if isinstance(cmd, ModifyOrder):
            m = plan.modify
            # the trailing amount only when it changes: sessions without trailing orders keep
            # the four-argument modify_order
            trail = {} if m.trailing_amount is None else {"trailing_amount": m.trailing_amount}
            rec = self.session.modify_order(m.order_id, m.quantity, m.limit_price, m.stop_price, **trail)
            self._local_pending[(rec.client_id, rec.order_id)] = ("modify", rec, self._clock())
            change = describe_change(m, rec.instrument.min_tick or 0.01)
            self._api("placeOrder", rec, f"modify: {change}")
            return self._ok(f"Modify sent for order {rec.order_id}: {change}", rec)
        if isinstance(cmd, CancelOrder):
            rec = self._cancel(plan.cancels[0])
            return self._ok(f"Cancel sent for order {rec.order_id}", rec)
        if isinstance(cmd, GlobalCancel):
            working = tuple(o for o in self.session.orders() if o.is_working)
            self.session.global_cancel()
            self._api("reqGlobalCancel", None, f"{len(working)} working orders known")
            return self._ok(f"Global cancel sent: {_count(len(working), 'working order')} of every "
                            "client and TWS known to this session", None, working)
        if isinstance(cmd, KillSwitch):
            self.halted = True
            self.record("kill_switch", engaged=True, flatten=cmd.flatten, text=describe_command(cmd))
        return self._send_bulk(cmd, plan)

    def _send_bulk(self, cmd: Command, plan: _Plan) -> CommandResult:
        sent: list[OrderRecord] = []
        failed: list[str] = list(plan.skipped)
        for rec in plan.cancels:
            try:
                sent.append(self._cancel(rec))
            except (ConnectionError, LookupError, ValueError) as e:
                failed.append(str(e))
        n_cancel = len(sent)
        for req in plan.requests:
            try:
                sent.append(self._place(req))
            except (ConnectionError, LookupError, ValueError) as e:
                failed.append(f"{req.describe()}: {e}")
        n_place = len(sent) - n_cancel
        parts = []
        if isinstance(cmd, KillSwitch):
            parts.append("Trading halted")
        if plan.cancels or isinstance(cmd, (CancelAll, KillSwitch)):
            parts.append(f"cancel sent for {_count(n_cancel, 'order')}")
        if plan.requests or isinstance(cmd, (Flatten, Reverse)) or getattr(cmd, "flatten", False):
            verb = "reversing" if isinstance(cmd, Reverse) else "closing"
            parts.append(f"{_count(n_place, f'{verb} order')} placed" + (
                ": " + "; ".join(r.describe() for r in plan.requests) if plan.requests else ""))
        msg = ", ".join(parts)
        msg = msg[:1].upper() + msg[1:]
        if failed:
            msg += f" ({_count(len(failed), 'problem')}: {'; '.join(failed)})"
        ok = isinstance(cmd, KillSwitch) or (bool(sent) and len(sent) == len(plan.cancels) + len(plan.requests))
        log.info("%s", msg)
        return CommandResult(ok, msg, sent[0] if len(sent) == 1 else None, tuple(sent))

    def _ok(self, msg: str, rec: OrderRecord | None, recs: tuple = ()) -> CommandResult:
        log.info("%s", msg)
        return CommandResult(True, msg, rec, recs or ((rec,) if rec is not None else ()))


def _override_arg(override: Any) -> bool | frozenset[str]:
    """``override`` of :meth:`OrderCommands.execute`: True / False, or the rule names (one
    name as text, or a collection) as a frozenset."""
    if isinstance(override, bool):
        return override
    if isinstance(override, str):
        return frozenset((override,))
    return frozenset(override or ())


def _overrides(override: bool | frozenset[str], failure: CommandRejected) -> bool:
    """True when the soft ``failure`` may pass: ``override`` True, or it names its rule."""
    return override is True or (not isinstance(override, bool) and failure.rule in override)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _describe(req: Any) -> str:
    try:
        return req.describe()
    except Exception:  # noqa: BLE001 - a malformed request is described by repr
        return repr(req)


def _safe_describe(cmd: Any, session: Any) -> str:
    try:
        return describe_command(cmd, session)
    except Exception:  # noqa: BLE001
        return repr(cmd)


def _describe_record(r: OrderRecord) -> str:
    ot = r.order_type.value if isinstance(r.order_type, OrderType) else str(r.order_type)
    px = " ".join(f"{n} {fmt_number(p)}" for n, p in (("limit", r.limit_price), ("stop", r.stop_price))
                  if p is not None and not (isinstance(p, float) and math.isnan(p)))
    return f"{r.action.value} {fmt_number(r.quantity)} {r.instrument.display_symbol} {ot} {px}".strip()


def _symbol(session: Any, key: str) -> str:
    for items in (session.positions, session.orders):
        for x in items():
            if x.instrument.key == key:
                return x.instrument.display_symbol
    return f"conId {key}"


__all__ = ["OrderCommands", "PlaceOrder", "PlaceBracket", "ModifyOrder", "CancelOrder", "CancelAll",
           "GlobalCancel", "Flatten", "Reverse", "KillSwitch", "CommandResult", "CommandRejected",
           "describe_command"]
