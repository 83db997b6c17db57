"""The blotter's order actions: modify (dialog or in place), cancel selected, cancel all,
CSV export; mixed into :class:`app.ui.blotter.BlotterView`.

Every command goes through ``OrderCommands.execute`` (``ModifyOrder``,
``CancelOrder``, ``CancelAll``). A modification the command layer refuses (quantity
0, off tick, finished order) is refused before any question. Its soft risk limits
are one decision with it: listed in the modify question (``confirm_modifies``) or
in the Modify dialog, whose Yes / OK overrides exactly those; otherwise, or for a
soft limit new at send time, ``ask_override(question)`` asks (no rule ids) and the
command is re-executed with those rules accepted only on Yes. Confirmation and
override decisions go to the journal through ``commands.record("confirm" | "override", ...)``.
A result or refusal is shown in the view's message line (``show_message``).

No question blocks (issue 14 item 16): the actions that may ask (modify, cancel, cancel
all, export) run as asyncio tasks on the qasync loop and await the answer of a dialog
opened with ``open()``, never ``exec()`` (no nested event loop: quotes, orders and the
chart keep updating while it is open). :meth:`BlotterActions.modify_selected`,
:meth:`~BlotterActions.cancel_selected`, :meth:`~BlotterActions.cancel_all` and
:meth:`~BlotterActions.export_current` return that task (its result: True when the
action was sent); the injectables ``confirm``, ``ask_override``, ``edit_order`` and
``choose_export_path`` may answer at once or return an awaitable.

The mixin expects from the view: ``commands``, ``orders_model``,
``orders_proxy``, ``executions_proxy``, ``tabs``, ``message``, the injectables
``confirm``, ``ask_override``, ``edit_order``, ``choose_export_path``, the
settings ``confirm_cancels`` / ``confirm_modifies``, ``_pending_edits`` (dict),
``_action_tasks`` (a set)
and ``selected_order()`` / ``selected_orders()`` / ``_own_working()`` /
``_update_buttons()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QModelIndex, Qt, QTimer

from app.commands import CancelAll, CancelOrder, CommandRejected, ModifyOrder, describe_command
from app.domain import OrderRecord
from app.ui.blotter_export import export_table
from app.ui.confirm import (
    next_override, override_question, record_confirmation, record_overrides, resolve, with_warnings,
)
from app.ui import theme
from app.ui.format import fmt_price, fmt_qty
from app.viewmodels.orders import EDITABLE_FIELDS
from app.viewmodels.soft_limits import soft_warnings

log = logging.getLogger("app.ui.blotter")


def order_words(o: OrderRecord) -> str:
    """An order in words for confirmations: "#3 BUY 100 AAPL LMT 187.50"."""
    price = " ".join(fmt_price(p, o.instrument.min_tick) for p in (o.stop_price, o.limit_price)
                     if p is not None and fmt_price(p, o.instrument.min_tick))
    return " ".join(x for x in (f"#{o.order_id}", str(o.action), fmt_qty(o.quantity),
                                o.instrument.display_symbol, str(o.order_type), price) if x)


def describe_modify(o: OrderRecord, cmd: ModifyOrder) -> str:
    """The change in words: "Modify order 3 (BUY 100 AAPL LMT): limit 187.50 → 188.00",
    "Modify order 4 (SELL 100 AAPL TRAIL): trailing amount 2.39 → 1.50"."""
    tick = o.instrument.min_tick
    parts = []
    if cmd.quantity is not None:
        parts.append(f"quantity {fmt_qty(o.quantity)} → {fmt_qty(cmd.quantity)}")
    if cmd.limit_price is not None:
        parts.append(f"limit {fmt_price(o.limit_price, tick) or '-'} → {fmt_price(cmd.limit_price, tick)}")
    if cmd.stop_price is not None:
        stop = "trigger" if str(o.order_type) in ("MIT", "LIT") else "stop"
        parts.append(f"{stop} {fmt_price(o.stop_price, tick) or '-'} → {fmt_price(cmd.stop_price, tick)}")
    if getattr(cmd, "trailing_amount", None) is not None:
        parts.append(f"trailing amount {fmt_price(o.trailing_amount, tick) or '-'} → "
                     f"{fmt_price(cmd.trailing_amount, tick)}")
    return (f"Modify order {o.order_id} ({o.action} {fmt_qty(o.quantity)} {o.instrument.display_symbol} "
            f"{o.order_type}): {', '.join(parts)}")


class BlotterActions:
    """Order actions of the blotter view (a mixin; see the module docstring)."""

    # ---- commands --------------------------------------------------------------
    def show_message(self, ok: bool, text: str) -> None:
        """Show a command's result inline under the orders table."""
        theme.style(self.message, f"color: ${'ok_text' if ok else 'error_text'};")
        self.message.setText(text)

    def _record(self, kind: str, **fields) -> None:
        record = getattr(self.commands, "record", None)
        if callable(record):
            try:
                record(kind, **fields)
            except Exception:  # the journal must never stop trading
                log.exception("journal record %s failed", kind)

    def _start(self, coro: Coroutine) -> asyncio.Task:
        """Run an action as a task (kept referenced until done; a failure is logged and shown)."""
        task = asyncio.ensure_future(coro)
        self._action_tasks.add(task)
        task.add_done_callback(self._action_done)
        return task

    def running_actions(self) -> list[asyncio.Task]:
        """The actions still running (waiting for an answer or sending); for tests and shutdown."""
        return list(self._action_tasks)

    def _action_done(self, task: asyncio.Task) -> None:
        self._action_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            e = task.exception()
            log.error("blotter action failed", exc_info=(type(e), e, e.__traceback__))
            try:
                self.show_message(False, f"Failed: {e}")
            except RuntimeError:     # the view is gone
                pass

    async def _ask_first(self, text: str, symbol: str = "", **fields) -> bool:
        yes = bool(await resolve(self.confirm(text)))
        record_confirmation(self.commands, yes, text, symbol, **fields)
        return yes

    async def _run(self, cmd, accepted=frozenset()):
        """Execute ``cmd`` with the soft limits ``accepted`` (rule names the trader already
        said yes to); any other soft rejection asks to override and re-executes on Yes.
        Returns the final CommandResult, or None when the command layer raised."""
        accepted = frozenset(accepted)
        try:
            result = self.commands.execute(cmd, override=accepted) if accepted else self.commands.execute(cmd)
            while (question := next_override(self.commands, cmd, result, accepted)) is not None:
                rule, message, rules = question
                yes = bool(await resolve(self.ask_override(override_question(rule, message))))
                self._record("override", decision="accepted" if yes else "declined",
                             rule=rule or result.rule, text=describe_command(cmd), message=message,
                             order_id=getattr(cmd, "order_id", None))
                if not yes:
                    return replace(result, message=f"Not sent: {result.message} (override declined)")
                accepted = accepted | rules
                result = self.commands.execute(cmd, override=accepted)
            return result
        except Exception as e:  # execute never raises for a rejection; anything else is shown
            log.exception("blotter command %r failed", cmd)
            self.show_message(False, f"{type(cmd).__name__} failed: {e}")
            return None

    async def _execute(self, cmd, accepted=frozenset()) -> bool:
        result = await self._run(cmd, accepted)
        if result is None:
            return False
        self.show_message(bool(result.ok), result.message)
        return bool(result.ok)

    # ---- modify ----------------------------------------------------------------
    def modify_selected(self) -> asyncio.Task:
        """Start :meth:`modify_selected_async` (a task; its result True when a modify was sent)."""
        return self._start(self.modify_selected_async())

    async def modify_selected_async(self) -> bool:
        """Open the modify dialog for the current order and send the ModifyOrder it returns."""
        o = self.selected_order()
        if o is None:
            self.show_message(False, "Select an order to modify")
            return False
        try:  # modify and cancel share the preconditions (own order, working, connected)
            self.commands.check(CancelOrder(o.order_id))
        except CommandRejected as e:
            if not getattr(e, "soft", False):
                self.show_message(False, e.reason.replace("Cannot cancel", "Cannot modify", 1))
                return False
        self.edit_accepted = frozenset()
        cmd = await resolve(self.edit_order(o))
        if cmd is None:
            return False
        return await self.send_modify(o, cmd, accepted=self.edit_accepted)

    async def send_modify(self, order: OrderRecord, cmd: ModifyOrder, accepted=frozenset()) -> bool:
        """Send one ``ModifyOrder`` for ``order``. A change the command layer refuses is
        shown without a question; otherwise ask first when :attr:`confirm_modifies` is on,
        with the soft risk limits it breaks in the question (Yes overrides those).
        ``accepted``: soft limits the trader already accepted (shown in the Modify dialog)."""
        try:
            self.commands.check(cmd, override=True)   # every hard rule, before any question
        except CommandRejected as e:
            self.show_message(False, e.reason)
            return False
        accepted = frozenset(accepted)
        failures = soft_warnings(self.commands, cmd)
        if self.confirm_modifies:   # the last look: every soft limit, accepted in the dialog or not
            question = with_warnings(describe_modify(order, cmd) + "?", failures)
            symbol = order.instrument.display_symbol
            if not await self._ask_first(question, order_id=order.order_id, symbol=symbol):
                self.show_message(False, f"Modify of order {order.order_id} not sent (declined)")
                return False
            record_overrides(self.commands, [f for f in failures if f.rule not in accepted], question,
                             symbol, order_id=order.order_id)
            accepted = accepted | {f.rule for f in failures}
        return await self._execute(cmd, accepted)

    def _on_double_click(self, index: QModelIndex) -> None:
        if not index.flags() & Qt.ItemIsEditable:  # editable cells open their in-place editor
            self.modify_selected()

    def _on_cell_edit(self, order: OrderRecord, column_key: str, value) -> bool:
        """``OrdersModel.edit_handler``: queue a ModifyOrder for a changed cell. It is sent
        after the editor has closed, so a confirmation never opens over a live editor."""
        field = EDITABLE_FIELDS[column_key]
        old = getattr(order, field)
        eps = 1e-9 if field == "quantity" else (order.instrument.min_tick or 0.01) / 1000
        if old is not None and abs(float(value) - float(old)) < eps:
            return False  # unchanged: nothing to send
        first = not self._pending_edits
        self._pending_edits[(order.order_id, field)] = float(value)
        if first:
            QTimer.singleShot(0, self, lambda: self._start(self._send_pending_edits()))
        return True

    async def _send_pending_edits(self) -> None:
        edits, self._pending_edits = self._pending_edits, {}
        for (order_id, field), value in edits.items():
            order = self.orders_model.find(order_id)
            if order is None:
                self.show_message(False, f"Order {order_id} is no longer in the blotter")
                continue
            await self.send_modify(order, ModifyOrder(order_id, **{field: value}))
            key = ("id", order.client_id, order.order_id)
            self.orders_model.refresh(key)  # repaint the real value (never the typed one)

    # ---- cancel ----------------------------------------------------------------
    def cancel_selected(self) -> asyncio.Task:
        """Start :meth:`cancel_selected_async` (a task; see there for its result)."""
        return self._start(self.cancel_selected_async())

    async def cancel_selected_async(self) -> bool:
        """Cancel every selected working order of this client after one confirmation.

        Returns True when a cancel was sent for every selected order."""
        selected = self.selected_orders()
        if not selected:
            self.show_message(False, "Select an order to cancel")
            return False
        ok_orders, refused = [], []
        for o in selected:
            try:
                self.commands.check(CancelOrder(o.order_id))
            except CommandRejected as e:
                if not getattr(e, "soft", False):
                    refused.append(e.reason)
                    continue
            ok_orders.append(o)
        if not ok_orders:
            self.show_message(False, "; ".join(refused))
            return False
        if len(ok_orders) == 1:
            o = ok_orders[0]
            text = (f"Cancel order {o.order_id}: {o.action} {fmt_qty(o.quantity)} "
                    f"{o.instrument.display_symbol} {o.order_type} ({o.status})?")
        else:
            text = f"Cancel {len(ok_orders)} orders: {', '.join(order_words(o) for o in ok_orders)}?"
        if self.confirm_cancels and not await self._ask_first(text, order_ids=[o.order_id for o in ok_orders]):
            self.show_message(False, "Cancel declined: nothing sent")
            return False
        sent, failed = [], []
        for o in ok_orders:
            result = await self._run(CancelOrder(o.order_id))
            if result is None:
                failed.append(f"order {o.order_id}: error")
            elif result.ok:
                sent.append(o.order_id)
            else:
                failed.append(result.message)
        problems = refused + failed
        if len(selected) == 1:
            self.show_message(bool(sent), f"Cancel sent for order {sent[0]}" if sent else problems[0])
        else:
            text = f"Cancel sent for {len(sent)} order{'s' if len(sent) != 1 else ''}"
            if sent:
                text += f" ({', '.join(map(str, sent))})"
            if problems:
                text += f"; {len(problems)} refused: " + "; ".join(problems)
            self.show_message(not problems, text)
        self._update_buttons()
        return bool(sent) and not problems

    def cancel_all(self) -> asyncio.Task:
        """Start :meth:`cancel_all_async` (a task; its result True when sent)."""
        return self._start(self.cancel_all_async())

    async def cancel_all_async(self) -> bool:
        """Send ``CancelAll()`` (every working order of this client id) after a confirmation."""
        cmd = CancelAll()
        text = f"{describe_command(cmd, self.orders_model.session)}?"
        if self.confirm_cancels and not await self._ask_first(text):
            self.show_message(False, "Cancel all declined: nothing sent")
            return False
        return await self._execute(cmd)

    # ---- export ----------------------------------------------------------------
    def export_orders(self, path: str) -> bool:
        """Write the orders shown (filter and sort applied) to CSV file ``path``."""
        return self._export("orders", self.orders_proxy, path)

    def export_executions(self, path: str) -> bool:
        """Write the executions shown (sort applied) to CSV file ``path``."""
        return self._export("executions", self.executions_proxy, path)

    def export_current(self) -> asyncio.Task:
        """Ask for a file (``choose_export_path``) and export the current tab to it (a task;
        its result True when written)."""
        return self._start(self.export_current_async())

    async def export_current_async(self) -> bool:
        kind = "orders" if self.tabs.currentIndex() == 0 else "executions"
        path = await resolve(self.choose_export_path(kind, f"{kind}-{datetime.now():%Y%m%d-%H%M%S}.csv"))
        if not path:
            return False
        return self.export_orders(path) if kind == "orders" else self.export_executions(path)

    def _export(self, kind: str, model, path: str) -> bool:
        try:
            n = export_table(model, path)
        except OSError as e:
            self.show_message(False, f"Export of {kind} to {path} failed: {e.strerror or e}")
            return False
        self.show_message(True, f"Exported {n} {kind[:-1] if n == 1 else kind} to {path}")
        return True
