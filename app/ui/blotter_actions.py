"""The blotter's order actions: modify (dialog or in place), cancel selected, cancel all,
CSV export; mixed into :class:`app.ui.blotter.BlotterView`.

Every command goes through ``OrderCommands.execute`` (``ModifyOrder``,
``CancelOrder``, ``CancelAll``). A soft rejection (``CommandResult.soft``, e.g. a
soft risk limit) asks ``ask_override("Override <rule>? <message>")`` and
re-executes with ``override=True`` only on Yes. Confirmation and override
decisions go to the journal through ``commands.record("confirm" | "override", ...)``.
A result or refusal is shown in the view's message line (``show_message``).

The mixin expects from the view: ``commands``, ``orders_model``,
``orders_proxy``, ``executions_proxy``, ``tabs``, ``message``, the injectables
``confirm``, ``ask_override``, ``edit_order``, ``choose_export_path``, the
settings ``confirm_cancels`` / ``confirm_modifies``, ``_pending_edits`` (dict)
and ``selected_order()`` / ``selected_orders()`` / ``_own_working()`` /
``_update_buttons()``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QModelIndex, Qt, QTimer

from app.commands import CancelAll, CancelOrder, CommandRejected, ModifyOrder, describe_command
from app.domain import OrderRecord
from app.ui.blotter_export import export_table
from app.ui.confirm import override_question, record_confirmation
from app.ui.format import ERROR_TEXT, OK_TEXT, fmt_price, fmt_qty
from app.viewmodels.orders import EDITABLE_FIELDS

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
        self.message.setStyleSheet(f"color: {OK_TEXT if ok else ERROR_TEXT};")
        self.message.setText(text)

    def _record(self, kind: str, **fields) -> None:
        record = getattr(self.commands, "record", None)
        if callable(record):
            try:
                record(kind, **fields)
            except Exception:  # the journal must never stop trading
                log.exception("journal record %s failed", kind)

    def _ask_first(self, text: str, symbol: str = "", **fields) -> bool:
        yes = bool(self.confirm(text))
        record_confirmation(self.commands, yes, text, symbol, **fields)
        return yes

    def _run(self, cmd):
        """Execute ``cmd``; a soft rejection asks to override and re-executes on Yes.
        Returns the final CommandResult, or None when the command layer raised."""
        try:
            result = self.commands.execute(cmd)
            if not result.ok and getattr(result, "soft", False):
                rule = getattr(result, "rule", "")
                yes = bool(self.ask_override(override_question(rule, result.message)))
                self._record("override", decision="accepted" if yes else "declined", rule=rule,
                             text=describe_command(cmd), message=result.message,
                             order_id=getattr(cmd, "order_id", None))
                if not yes:
                    return replace(result, message=f"Not sent: {result.message} (override declined)")
                result = self.commands.execute(cmd, override=True)
            return result
        except Exception as e:  # execute never raises for a rejection; anything else is shown
            log.exception("blotter command %r failed", cmd)
            self.show_message(False, f"{type(cmd).__name__} failed: {e}")
            return None

    def _execute(self, cmd) -> bool:
        result = self._run(cmd)
        if result is None:
            return False
        self.show_message(bool(result.ok), result.message)
        return bool(result.ok)

    # ---- modify ----------------------------------------------------------------
    def modify_selected(self) -> bool:
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
        cmd = self.edit_order(o)
        if cmd is None:
            return False
        return self.send_modify(o, cmd)

    def send_modify(self, order: OrderRecord, cmd: ModifyOrder) -> bool:
        """Send one ``ModifyOrder`` for ``order``, asking first when :attr:`confirm_modifies` is on."""
        if self.confirm_modifies and not self._ask_first(
                describe_modify(order, cmd) + "?", order_id=order.order_id,
                symbol=order.instrument.display_symbol):
            self.show_message(False, f"Modify of order {order.order_id} not sent (declined)")
            return False
        return self._execute(cmd)

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
            QTimer.singleShot(0, self, self._send_pending_edits)
        return True

    def _send_pending_edits(self) -> None:
        edits, self._pending_edits = self._pending_edits, {}
        for (order_id, field), value in edits.items():
            order = self.orders_model.find(order_id)
            if order is None:
                self.show_message(False, f"Order {order_id} is no longer in the blotter")
                continue
            self.send_modify(order, ModifyOrder(order_id, **{field: value}))
            key = ("id", order.client_id, order.order_id)
            self.orders_model.refresh(key)  # repaint the real value (never the typed one)

    # ---- cancel ----------------------------------------------------------------
    def cancel_selected(self) -> bool:
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
        if self.confirm_cancels and not self._ask_first(text, order_ids=[o.order_id for o in ok_orders]):
            self.show_message(False, "Cancel declined: nothing sent")
            return False
        sent, failed = [], []
        for o in ok_orders:
            result = self._run(CancelOrder(o.order_id))
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

    def cancel_all(self) -> bool:
        """Send ``CancelAll()`` (every working order of this client id) after a confirmation."""
        cmd = CancelAll()
        text = f"{describe_command(cmd, self.orders_model.session)}?"
        if self.confirm_cancels and not self._ask_first(text):
            self.show_message(False, "Cancel all declined: nothing sent")
            return False
        return self._execute(cmd)

    # ---- export ----------------------------------------------------------------
    def export_orders(self, path: str | None = None) -> bool:
        """Write the orders shown (filter and sort applied) to CSV; asks for a path when None."""
        return self._export("orders", self.orders_proxy, path)

    def export_executions(self, path: str | None = None) -> bool:
        """Write the executions shown (sort applied) to CSV; asks for a path when None."""
        return self._export("executions", self.executions_proxy, path)

    def export_current(self) -> bool:
        """Export the current tab."""
        return self.export_orders() if self.tabs.currentIndex() == 0 else self.export_executions()

    def _export(self, kind: str, model, path: str | None) -> bool:
        if path is None:
            path = self.choose_export_path(kind, f"{kind}-{datetime.now():%Y%m%d-%H%M%S}.csv")
            if not path:
                return False
        try:
            n = export_table(model, path)
        except OSError as e:
            self.show_message(False, f"Export of {kind} to {path} failed: {e.strerror or e}")
            return False
        self.show_message(True, f"Exported {n} {kind[:-1] if n == 1 else kind} to {path}")
        return True
