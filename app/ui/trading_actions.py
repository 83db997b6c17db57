"""The Trading menu's actions: hotkey trading, cancels, flatten, kill switch, one-click arming.

:class:`TradingActions` creates one ``QAction`` per id of
:data:`app.ui.hotkeys.WINDOW_ACTIONS` (keys from the :class:`HotkeyRegistry`,
shown in menus) and implements them (the ladder's keys, ``LADDER_ACTIONS``, are the
ladder's own local shortcuts). Every order action goes through the
command layer (``OrderCommands.execute``: read-only, kill switch, risk limits);
nothing here talks to the session's order methods.

- Buy/sell at bid/ask/mid: prefill the ticket (LMT at that price, the ticket's
  quantity; mid rounded to the tick on the passive side: down for a buy, up for
  a sell). Only when one-click trading is armed the order is transmitted at once
  (the ticket's per-type confirmation still applies unless turned off);
  otherwise the ticket gets the keyboard with the order ready (Ctrl+Enter).
- One-click trading is armed explicitly (checkable action, one question per
  arming), shows "ONE-CLICK ARMED" (:attr:`TradingActions.armed_label`, signal
  ``armedChanged(bool)``) and disarms on any disconnect and on the kill switch.
- Cancel last: the most recent (highest orderId) working order of this client id.
  Cancel all for the symbol: ``CancelAll(key)``. Flatten the symbol:
  ``Flatten(key)`` after a confirmation. Kill switch: ``KillSwitch(flatten=...)``
  after ONE question: "Cancel all and flatten" / "Cancel all only" / "Back".
- Read-only toggle: ``commands.read_only`` (signal ``readOnlyChanged(bool)``;
  leaving read-only asks first).

Every outcome, refusals included, is emitted as ``message(ok, text)`` for the
status bar / log. Confirmation decisions are journalled
(``commands.record("confirm", ...)``). Questions are non-blocking and
injectable for tests: ``ask(title, text) -> bool | Awaitable[bool]`` and
``ask_kill(text) -> "flatten" | "cancel" | None | Awaitable``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QWidget

from app.commands import (
    CancelAll, CancelOrder, Flatten, GlobalCancel, KillSwitch, Reverse, describe_command,
)
from app.domain import Action, ConnectionState, OrderStatus
from app.ui.confirm import (
    ask_choice, ask_yes_no, execute_with_override, record_confirmation, record_overrides, resolve,
    with_warnings,
)
from app.viewmodels.soft_limits import soft_warnings
from app.ui import theme
from app.ui.format import fmt_qty
from app.ui.hotkeys import WINDOW_ACTIONS, CheatSheet, HotkeyEditor, HotkeyRegistry

log = logging.getLogger(__name__)

ARMED_TEXT = "ONE-CLICK ARMED"
#: (action id) -> (side, price source) of the hotkey trading actions
TRADE_ACTIONS: dict[str, tuple[Action, str]] = {
    "buy_bid": (Action.BUY, "bid"), "buy_mid": (Action.BUY, "mid"), "buy_ask": (Action.BUY, "ask"),
    "sell_bid": (Action.SELL, "bid"), "sell_mid": (Action.SELL, "mid"), "sell_ask": (Action.SELL, "ask"),
}
KILL_FLATTEN = "flatten"
KILL_CANCEL = "cancel"


def passive_round(price: float, tick: float, action: Action) -> float:
    """``price`` on the tick, rounded away from the market: down for a BUY, up for a SELL
    (a mid price between two ticks never pays the spread). Exact in decimal ticks."""
    t = Decimal(repr(float(tick)))
    steps = Decimal(repr(float(price))) / t
    n = steps.to_integral_value(ROUND_FLOOR if action is Action.BUY else ROUND_CEILING)
    return float(n * t)


class TradingActions(QObject):
    """The trading QActions of one terminal window (see the module docstring).

    ``window`` the main window (actions are added to it so their keys work before
    any menu holds them); ``commands`` an ``OrderCommands``; ``session`` the Session
    contract; ``ticket``/``ticket_model`` the ``OrderTicket`` and its ``TicketModel``;
    ``watchlist``, ``chart``, ``blotter`` the widgets to focus; ``settings`` a
    QSettings; ``hotkeys`` a :class:`HotkeyRegistry` (default: one over ``settings``).

    Public: ``actions`` (id -> QAction), :meth:`menu_actions`, :meth:`trigger`,
    :attr:`armed`, :meth:`set_armed`, :meth:`set_read_only`, ``armed_label``;
    signals ``armedChanged(bool)``, ``readOnlyChanged(bool)``, ``message(bool, str)``.
    """

    armedChanged = Signal(bool)
    readOnlyChanged = Signal(bool)
    message = Signal(bool, str)

    def __init__(self, window: QWidget, *, commands, session, ticket, ticket_model, watchlist=None,
                 chart=None, blotter=None, settings=None, hotkeys: HotkeyRegistry | None = None,
                 parent: QObject | None = None):
        super().__init__(parent if parent is not None else window)
        self.window = window
        self.commands = commands
        self.session = session
        self.ticket = ticket
        self.ticket_model = ticket_model
        self.watchlist = watchlist
        self.chart = chart
        self.blotter = blotter
        self.settings = settings
        self.hotkeys = hotkeys if hotkeys is not None else HotkeyRegistry(settings, self)
        self.ask: Callable[[str, str], object] = lambda title, text: ask_yes_no(window, title, text)
        self.ask_kill: Callable[[str], object] = self._ask_kill
        self.tasks: list[asyncio.Task] = []
        self.dialogs: list[QWidget] = []
        self._armed = False
        self._last_task: asyncio.Task | None = None

        self.armed_label = QLabel("")
        self.armed_label.setObjectName("oneClickArmed")
        self.armed_label.setVisible(False)
        bg, fg = theme.FILLS["one_click_armed"]
        self.armed_label.setStyleSheet(f"QLabel#oneClickArmed {{ background: {bg}; color: {fg}; "
                                       "font-weight: bold; padding: 0 6px; border-radius: 3px; }")

        self.actions: dict[str, QAction] = {}
        handlers: dict[str, Callable[[], object]] = {
            "cancel_last": self.cancel_last, "cancel_all_symbol": self.cancel_all_symbol,
            "flatten_symbol": self.flatten_symbol, "kill_switch": self.kill_switch,
            "reverse_symbol": self.reverse_symbol, "cancel_all": self.cancel_all,
            "flatten_all": self.flatten_all, "global_cancel": self.global_cancel,
            "resume_trading": self.resume_trading,
            "focus_watchlist": self.focus_watchlist, "focus_chart": self.focus_chart,
            "focus_ticket": self.focus_ticket, "cheat_sheet": self.show_cheat_sheet,
            "edit_hotkeys": self.edit_hotkeys,
        }
        for spec in WINDOW_ACTIONS:     # the ladder's keys are its own (LadderPanel.bind_hotkeys)
            a = QAction(spec.title, window)
            a.setObjectName(f"trading.{spec.id}")
            a.setShortcutContext(Qt.WindowShortcut)
            self.hotkeys.bind(spec.id, a)
            if spec.id in TRADE_ACTIONS:
                side, source = TRADE_ACTIONS[spec.id]
                a.triggered.connect(lambda _=False, s=side, p=source: self._start(self.trade(s, p)))
            elif spec.id.startswith("preset_"):
                i = int(spec.id.split("_")[1]) - 1
                a.triggered.connect(lambda _=False, i=i: self.apply_preset(i))
            elif spec.id == "arm_one_click":
                a.setCheckable(True)
                a.triggered.connect(self._arm_triggered)
            elif spec.id == "read_only":
                a.setCheckable(True)
                a.setChecked(bool(commands.read_only))
                a.triggered.connect(self._read_only_triggered)
            else:
                a.triggered.connect(lambda _=False, h=handlers[spec.id]: self._start(h()))
            window.addAction(a)
            self.actions[spec.id] = a
        ticket_model.presetsChanged.connect(self._title_presets)
        self._title_presets()
        session.stateEvent += self._on_state

    def close(self) -> None:
        """Stop listening to the session and cancel running actions."""
        self.session.stateEvent -= self._on_state
        for t in self.tasks:
            t.cancel()

    # ---- plumbing --------------------------------------------------------------------
    def menu_actions(self) -> dict[str, list[QAction]]:
        """Actions grouped for a "Trading" menu: Orders, Cancel, Quantity, Focus, Safety, Help."""
        groups: dict[str, list[QAction]] = {}
        for spec in WINDOW_ACTIONS:
            groups.setdefault(spec.group, []).append(self.actions[spec.id])
        return groups

    def trigger(self, action_id: str) -> asyncio.Task | None:
        """Run the action ``action_id`` as its menu item / key does; returns the task it
        started (None for synchronous actions). ``KeyError`` for an unknown id."""
        if action_id not in self.actions:
            raise KeyError(f"Unknown trading action {action_id!r}")
        self._last_task = None
        self.actions[action_id].trigger()
        return self._last_task

    def _start(self, value) -> None:
        if asyncio.iscoroutine(value):
            task = asyncio.ensure_future(value)
            self._last_task = task
            self.tasks = [t for t in self.tasks if not t.done()] + [task]
            task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("trading action failed", exc_info=task.exception())
            self.message.emit(False, f"Trading action failed: {task.exception()}")

    def _say(self, ok: bool, text: str) -> bool:
        self.message.emit(bool(ok), text)
        return bool(ok)

    def _instrument(self, verb: str):
        inst = self.ticket_model.instrument
        if inst is None or not inst.con_id:
            self._say(False, f"Cannot {verb}: choose a symbol first")
            return None
        return inst

    def _title_presets(self) -> None:
        presets = self.ticket_model.presets
        for i in range(5):
            a = self.actions[f"preset_{i + 1}"]
            a.setText(f"Quantity preset {i + 1} ({fmt_qty(presets[i])})" if i < len(presets)
                      else f"Quantity preset {i + 1} (none)")
            a.setEnabled(i < len(presets))

    # ---- one-click ---------------------------------------------------------------------
    @property
    def armed(self) -> bool:
        """True while one-click trading is armed (hotkey buy/sell transmit at once)."""
        return self._armed

    def set_armed(self, on: bool, reason: str = "") -> None:
        """Arm or disarm without asking (the arming question is in the action)."""
        on = bool(on)
        act = self.actions["arm_one_click"]
        act.blockSignals(True)
        act.setChecked(on)
        act.blockSignals(False)
        if on == self._armed:
            return
        self._armed = on
        self.armed_label.setText(ARMED_TEXT if on else "")
        self.armed_label.setVisible(on)
        self.commands.record("one_click", armed=on, text=reason or ("armed" if on else "disarmed"))
        self.armedChanged.emit(on)
        self._say(True, f"One-click trading {'ARMED: hotkeys transmit at once' if on else 'disarmed'}"
                  + (f" ({reason})" if reason else ""))

    def _arm_triggered(self, checked: bool) -> None:
        if not checked:
            self.set_armed(False)
            return
        self.set_armed(False)  # armed only after the explicit yes
        self._start(self._arm())

    async def _arm(self) -> bool:
        if not self.session.is_connected:
            return self._say(False, "Cannot arm one-click trading: not connected")
        yes = bool(await resolve(self.ask(
            "Arm one-click trading",
            "Arm one-click trading?\n\nBuy/sell hotkeys will transmit orders at once "
            "(risk checks and the per-type confirmations you left on still apply).")))
        record_confirmation(self.commands, yes, "arm one-click trading")
        if yes and self.session.is_connected:
            self.set_armed(True)
        elif not yes:
            self._say(False, "One-click trading not armed")
        return self._armed

    def _on_state(self, state, message: str = "") -> None:
        if state is not ConnectionState.CONNECTED and self._armed:
            self.set_armed(False, f"connection {getattr(state, 'value', state)}")

    # ---- read-only -------------------------------------------------------------------------
    def set_read_only(self, on: bool) -> None:
        """Set ``commands.read_only`` (no question) and reflect it in the action."""
        on = bool(on)
        act = self.actions["read_only"]
        act.blockSignals(True)
        act.setChecked(on)
        act.blockSignals(False)
        if bool(self.commands.read_only) == on:
            return
        self.commands.read_only = on
        self.commands.record("read_only", enabled=on, text="read-only on" if on else "read-only off")
        self.ticket_model.changed.emit()  # the ticket shows the refusal at once
        self.readOnlyChanged.emit(on)
        self._say(True, "Read-only mode: every order command is refused" if on
                  else "Read-only mode off: orders can be sent")

    def _read_only_triggered(self, checked: bool) -> None:
        if checked:
            self.set_read_only(True)
            return
        self.set_read_only(True)  # stays on until the trader says yes
        self._start(self._leave_read_only())

    async def _leave_read_only(self) -> bool:
        yes = bool(await resolve(self.ask("Read-only mode", "Leave read-only mode? Orders can be sent again.")))
        record_confirmation(self.commands, yes, "leave read-only mode")
        if yes:
            self.set_read_only(False)
        return yes

    # ---- trading ------------------------------------------------------------------------------
    def _price(self, side: str, action: Action) -> float | None:
        m = self.ticket_model
        if side == "bid":
            return m.bid
        if side == "ask":
            return m.ask
        mid = m.quote.mid if m.quote is not None else None
        return None if mid is None else passive_round(mid, m.tick, action)

    async def trade(self, action: Action, side: str):
        """Buy/sell at the bid/ask/mid: prefill the ticket; transmit when armed.

        Returns the ``CommandResult`` when an order was transmitted, else None.
        """
        verb = f"{action.value.lower()} at the {side}"
        inst = self._instrument(verb)
        if inst is None:
            return None
        price = self._price(side, action)
        if price is None or price <= 0:
            self._say(False, f"Cannot {verb}: no {side} for {inst.display_symbol} yet")
            return None
        self.ticket.prefill(action, "LMT", price)
        if not self._armed:
            self.focus_ticket()
            problem = self.ticket_model.problem()
            if problem:
                self._say(False, f"Ticket ready but cannot be sent: {problem}")
                return None
            self._say(True, f"Ticket ready: {self.ticket_model.describe()} (Ctrl+Enter transmits; "
                            "one-click trading is not armed)")
            return None
        result = await self.ticket.transmit_async()
        if result is None:
            why = self.ticket.result.text() or self.ticket_model.problem() or "not sent"
            self._say(False, why if why.startswith("Not sent") else f"Not sent: {why}")
            return None
        self._say(result.ok, result.message)
        return result

    def apply_preset(self, index: int) -> bool:
        """Quantity preset ``index`` (0-based) into the ticket."""
        if not self.ticket.apply_preset(index):
            return self._say(False, f"No quantity preset {index + 1}")
        return self._say(True, f"Quantity {fmt_qty(self.ticket_model.quantity)}")

    async def cancel_last(self):
        """Cancel the most recent working order (highest orderId) of this client id."""
        cid = self.session.client_id
        own = [o for o in self.session.orders() if o.client_id == cid and o.is_working
               and o.status is not OrderStatus.PENDING_CANCEL]
        if not own:
            self._say(False, "Cancel last: no working order of this client")
            return None
        last = max(own, key=lambda o: o.order_id)
        result = self.commands.execute(CancelOrder(last.order_id))
        self._say(result.ok, result.message)
        return result

    async def cancel_all_symbol(self):
        """Cancel every working order of this client for the ticket's symbol (``CancelAll(key)``)."""
        inst = self._instrument("cancel all orders of the symbol")
        if inst is None:
            return None
        result = self.commands.execute(CancelAll(inst.key))
        self._say(result.ok, result.message)
        return result

    async def flatten_symbol(self):
        """Close the position of the ticket's symbol (``Flatten(key)``) after a confirmation."""
        inst = self._instrument("flatten")
        if inst is None:
            return None
        cmd = Flatten(inst.key)
        text = describe_command(cmd, self.session)
        pos = sum(p.quantity for p in self.session.positions() if p.instrument.key == inst.key)
        if pos:
            text += f" (position {fmt_qty(pos)})"
        return await self._confirmed("Flatten", cmd, f"{text}?", inst.display_symbol, text=text)

    async def _confirmed(self, title: str, cmd, question: str, symbol: str = "", text: str = ""):
        """Ask ``question``, followed by the soft risk limits ``cmd`` breaks (Yes overrides
        exactly those); on Yes execute ``cmd`` through the command layer (a soft limit new
        at send time asks again); the decision is journalled. Returns the CommandResult or None."""
        failures = soft_warnings(self.commands, cmd)
        yes = bool(await resolve(self.ask(title, with_warnings(question, failures))))
        text = text or describe_command(cmd, self.session)
        record_confirmation(self.commands, yes, text, symbol)
        if not yes:
            self._say(False, f"Not sent: {text} (declined)")
            return None
        record_overrides(self.commands, failures, text, symbol)
        result = await execute_with_override(self.commands, cmd, self.ticket.ask_override,
                                             symbol=symbol, text=text,
                                             accepted=frozenset(f.rule for f in failures))
        self._say(result.ok, result.message)
        return result

    async def reverse_symbol(self):
        """Turn the ticket symbol's position the other way (``Reverse(key)``: one order for
        twice the position) after a confirmation."""
        inst = self._instrument("reverse")
        if inst is None:
            return None
        cmd = Reverse(inst.key)
        pos = sum(p.quantity for p in self.session.positions() if p.instrument.key == inst.key)
        text = describe_command(cmd, self.session) + (f" (position {fmt_qty(pos)})" if pos else "")
        return await self._confirmed("Reverse", cmd, f"{text}?", inst.display_symbol)

    async def cancel_all(self):
        """Cancel every working order of this client id (``CancelAll()``) after a confirmation."""
        cmd = CancelAll()
        return await self._confirmed("Cancel all", cmd, f"{describe_command(cmd, self.session)}?")

    async def flatten_all(self):
        """Close every position with market orders (``Flatten()``) after a confirmation."""
        cmd = Flatten()
        return await self._confirmed("Flatten all", cmd, f"{describe_command(cmd, self.session)}?")

    async def global_cancel(self):
        """IB reqGlobalCancel (``GlobalCancel()``): cancels every open order of the account,
        other API clients' and TWS's included, after a stronger warning."""
        cmd = GlobalCancel()
        question = ("GLOBAL CANCEL: cancel EVERY open order of the account — orders of other API "
                    "programs and orders entered in TWS included, not only this terminal's. "
                    "This cannot be undone. Send the global cancel?")
        return await self._confirmed("Global cancel", cmd, question)

    def _ask_kill(self, text: str):
        return ask_choice(self.window, "Kill switch", text,
                          [(KILL_FLATTEN, "Cancel all and flatten"), (KILL_CANCEL, "Cancel all only")],
                          informative="New orders are refused until you resume trading.")

    async def kill_switch(self):
        """Halt trading and cancel every working order, flattening too if chosen, after ONE
        question ("Cancel all and flatten" / "Cancel all only" / "Back")."""
        cid = self.session.client_id
        n = sum(1 for o in self.session.orders() if o.client_id == cid and o.is_working)
        positions = sum(1 for p in self.session.positions() if p.quantity)
        text = (f"Kill switch: halt trading and cancel {n} working order{'' if n == 1 else 's'}; "
                f"{positions} open position{'' if positions == 1 else 's'}.")
        choice = await resolve(self.ask_kill(text))
        if choice not in (KILL_FLATTEN, KILL_CANCEL):
            record_confirmation(self.commands, False, text)
            self._say(False, "Kill switch not engaged (back)")
            return None
        record_confirmation(self.commands, True, text, choice=choice)
        self.set_armed(False, "kill switch")
        result = self.commands.execute(KillSwitch(flatten=choice == KILL_FLATTEN))
        self.ticket_model.changed.emit()  # the ticket shows "halted" at once
        self._say(result.ok, result.message)
        return result

    async def resume_trading(self) -> bool:
        """Clear the kill switch (``commands.halted = False``) after a question."""
        if not self.commands.halted:
            return self._say(False, "Trading is not halted")
        yes = bool(await resolve(self.ask("Resume trading", "Resume trading? New orders will be accepted again.")))
        record_confirmation(self.commands, yes, "resume trading after the kill switch")
        if not yes:
            return self._say(False, "Trading stays halted")
        self.commands.halted = False
        self.ticket_model.changed.emit()
        return self._say(True, "Trading resumed: new orders are accepted")

    # ---- focus and dialogs ------------------------------------------------------------------
    def _focus(self, widget: QWidget | None, inner: QWidget | None, name: str) -> bool:
        if widget is None:
            return self._say(False, f"No {name} in this window")
        w = widget.parentWidget()
        while w is not None and not isinstance(w, QDockWidget):
            w = w.parentWidget()
        if w is not None:
            w.show()
            w.raise_()
        (inner or widget).setFocus(Qt.ShortcutFocusReason)
        return True

    def focus_ticket(self) -> bool:
        """Show the ticket's dock and give the keyboard to its quantity field."""
        ok = self._focus(self.ticket, None, "order ticket")
        if ok:
            self.ticket.focus_order()
        return ok

    def focus_watchlist(self) -> bool:
        return self._focus(self.watchlist, getattr(self.watchlist, "table", None), "watchlist")

    def focus_chart(self) -> bool:
        return self._focus(self.chart, None, "chart")

    def show_cheat_sheet(self) -> CheatSheet:
        """Open (non-modal) the list of every action and its key."""
        sheet = CheatSheet(self.hotkeys, self.window)
        sheet.setAttribute(Qt.WA_DeleteOnClose)
        self.dialogs = [sheet]
        sheet.show()
        return sheet

    def edit_hotkeys(self) -> HotkeyEditor:
        """Open the hotkey editor (window-modal, non-blocking)."""
        editor = HotkeyEditor(self.hotkeys, self.window)
        editor.setAttribute(Qt.WA_DeleteOnClose)
        self.dialogs = [editor]
        editor.open()
        return editor


__all__ = ["ARMED_TEXT", "TradingActions", "TRADE_ACTIONS", "passive_round"]
