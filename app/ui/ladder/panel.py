"""The depth ladder dock widget: a thin view over ``app.viewmodels.ladder.LadderModel``.

Gestures (every order goes through the command layer, ``OrderCommands.execute``, with the
ticket's confirmation rules, ``app.ui.confirm``):

- click in the Bid column: BUY LMT at that row's price, the quantity of the selector;
  in the Ask column: SELL LMT;
- click on an own order (Buy / Sell column): cancel it; drag it to another row: modify its
  limit price to that row's;
- the wheel scrolls the prices a tick per step; "Centre" (or Space) re-centres.

One-click: only when armed (:meth:`LadderPanel.set_armed`, connect it to
``TradingActions.armedChanged``) a click transmits at once, and then only when the order
type's confirmation toggle (``toggles``, share the ticket's ``ConfirmToggles``) is off;
otherwise the confirmation dialog (``order_confirm_dialog``: the order in words, account,
whatIf margin) asks first. Cancels and modifications ask a Yes/No question unless armed.
Soft risk limits are part of the question (its Yes overrides exactly those); one that
appears only at send time is asked by ``execute_with_override``. Every decision is
journalled through ``commands.record``.

Hotkeys (while the ladder has focus): B buy at the bid, Shift+B buy at the ask, S sell at
the ask, Shift+S sell at the bid (LMT, the selector's quantity), F flatten the symbol
(always asks), C cancel all orders of the symbol, Space re-centre.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.commands import CancelAll, Flatten, describe_command
from app.commands.intents import CancelOrder, ModifyOrder, PlaceOrder
from app.domain import Action, Instrument, OrderRequest, OrderType, account_kind
from app.ui import theme
from app.ui.confirm import (
    ConfirmToggles, ask_override, ask_yes_no, execute_with_override, order_confirm_dialog,
    record_confirmation, record_overrides, resolve, with_warnings,
)
from app.ui.format import tabular_font
from app.ui.ladder.table import LadderTable
from app.viewmodels.ladder import DEFAULT_ROWS, LadderModel
from app.viewmodels.soft_limits import soft_warnings, warning_line

log = logging.getLogger(__name__)

#: hotkey -> (side, price source) of the ladder's buy/sell keys
TRADE_KEYS: dict[str, tuple[Action, str]] = {
    "B": (Action.BUY, "bid"), "Shift+B": (Action.BUY, "ask"),
    "S": (Action.SELL, "ask"), "Shift+S": (Action.SELL, "bid"),
}
#: default quantity of the selector (shares; FX: base units)
DEFAULT_QUANTITY = {"STK": 100.0, "CASH": 20_000.0}


class LadderPanel(QWidget):
    """The ladder dock's widget. ``session`` the Session, ``commands`` an ``OrderCommands``,
    ``toggles`` the ``ConfirmToggles`` to follow (default: a new one, every kind asks);
    ``rows`` the initial number of price rows, refitted to the table's height when ``fit_rows``.

    Public: :meth:`set_instrument` (slot), :meth:`set_armed` (slot), :attr:`armed`,
    :meth:`send` (coroutine: one command through the confirmation rules), ``model``,
    ``table``, ``quantity``; injectable questions ``confirm(text, request, warnings)``,
    ``ask(title, text)`` and ``ask_override(rule, message)`` (each may return an awaitable);
    ``tasks`` the running sends. Signal ``message(bool ok, str text)`` per outcome.
    """

    message = Signal(bool, str)

    def __init__(self, session, commands, *, toggles: ConfirmToggles | None = None,
                 rows: int = DEFAULT_ROWS, fit_rows: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ladderPanel")
        self.session = session
        self.commands = commands
        self.toggles = toggles if toggles is not None else ConfirmToggles()
        self.model = LadderModel(session, rows=rows, parent=self)
        self.confirm: Callable[..., object] = self._confirm_dialog
        self.ask: Callable[[str, str], object] = lambda title, text: ask_yes_no(self, title, text)
        self.ask_override: Callable[[str, str], object] = lambda rule, msg: ask_override(self, rule, msg)
        self.tasks: list[asyncio.Task] = []
        self.dialog = None
        self._armed = False

        self.title = QLabel("No symbol")
        self.title.setObjectName("ladderTitle")
        self.quantity = QDoubleSpinBox()
        self.quantity.setObjectName("ladderQuantity")
        self.quantity.setDecimals(0)
        self.quantity.setRange(1, 1e9)
        self.quantity.setValue(DEFAULT_QUANTITY["STK"])
        self.quantity.setSingleStep(100)
        self.quantity.setGroupSeparatorShown(True)
        self.quantity.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.quantity.setFont(tabular_font())
        self.quantity.setToolTip("Quantity of the ladder's orders (shares; FX: base currency)")
        self.centre = QPushButton("Centre")
        self.centre.setToolTip("Re-centre on the inside market (Space)")
        self.centre.clicked.connect(self.model.recentre)
        self.armed_label = QLabel("")
        self.status = QLabel("")
        self.status.setWordWrap(True)

        self.table = LadderTable(self)
        self.table.setModel(self.model)
        self.table.setFont(tabular_font())
        self.table.cellClicked.connect(self._clicked)
        self.table.orderDragged.connect(self._dragged)
        self.table.wheelTicks.connect(self.model.scroll)
        if fit_rows:
            self.table.rowsFit.connect(self.model.set_row_count)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.armed_label)
        top.addWidget(QLabel("Qty"))
        top.addWidget(self.quantity)
        top.addWidget(self.centre)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.status)

        self.shortcuts: dict[str, QShortcut] = {}
        for key, (action, side) in TRADE_KEYS.items():
            self._shortcut(key, lambda a=action, s=side: self._start(self.trade_at(a, s)))
        self._shortcut("F", lambda: self._start(self.flatten()))
        self._shortcut("C", lambda: self._start(self.cancel_all()))
        self._shortcut("Space", self.model.recentre)

        self._apply_theme()
        theme.notifier().changed.connect(self._apply_theme)
        self.set_armed(False)

    def _shortcut(self, key: str, slot) -> None:
        sc = QShortcut(QKeySequence(key), self)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(slot)
        self.shortcuts[key] = sc

    def _apply_theme(self, *_theme) -> None:
        self.model.colours = {"bid_bg": theme.qcolor("buy_tint_bg"), "ask_bg": theme.qcolor("sell_tint_bg"),
                              "last_bg": theme.qcolor("flash_up_bg"), "buy": theme.qcolor("buy"),
                              "sell": theme.qcolor("sell"), "stale": theme.qcolor("stale_text")}
        theme.style(self.status, "color: $secondary_text;")
        bg, fg = theme.FILLS["one_click_armed"]
        self.armed_label.setStyleSheet(f"background: {bg}; color: {fg}; font-weight: bold; padding: 0 4px;")
        self.table.viewport().update()

    def close_model(self) -> None:
        """Stop the model's subscriptions (call before deleting the panel)."""
        self.model.close()

    # ---- slots -------------------------------------------------------------------------------
    @Slot(object)
    def set_instrument(self, instrument: Instrument | None) -> None:
        """Show ``instrument`` (a resolved ``app.domain.Instrument``; None: empty)."""
        if instrument is not None and instrument != self.model.instrument:
            self.quantity.setValue(DEFAULT_QUANTITY.get(instrument.sec_type, 100.0))
            self.quantity.setSingleStep(10_000 if instrument.is_fx else 100)
        self.model.set_instrument(instrument)
        self.title.setText(instrument.display_symbol if instrument is not None else "No symbol")

    @Slot(bool)
    def set_armed(self, on: bool) -> None:
        """One-click mode (follow ``TradingActions.armedChanged``): clicks transmit without the
        dialog when the order type's confirmation toggle is off."""
        self._armed = bool(on)
        self.armed_label.setText("ONE-CLICK" if self._armed else "")
        self.armed_label.setVisible(self._armed)

    @property
    def armed(self) -> bool:
        """True while one-click trading is armed."""
        return self._armed

    # ---- gestures ---------------------------------------------------------------------------
    def _start(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        if task in self.tasks:
            self.tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("ladder action failed", exc_info=task.exception())
            self._say(False, f"Failed: {task.exception()}")

    def _say(self, ok: bool, text: str) -> None:
        self.status.setText(text)
        self.message.emit(bool(ok), text)

    def _clicked(self, row: int, col: int) -> None:
        cmd = self.model.click_intent(row, col, self.quantity.value())
        if cmd is not None:
            self._start(self.send(cmd))

    def _dragged(self, from_row: int, col: int, to_row: int) -> None:
        cmd = self.model.move_intent(from_row, col, to_row)
        if cmd is not None:
            self._start(self.send(cmd))

    async def trade_at(self, action: Action, side: str):
        """Hotkey: ``action`` LMT at the inside ``side`` ("bid" / "ask") for the selector's
        quantity, through :meth:`send`. Returns its result or None."""
        inst = self.model.instrument
        price = self.model.best_bid() if side == "bid" else self.model.best_ask()
        if inst is None or price is None:
            self._say(False, f"Cannot {action.value.lower()} at the {side}: no {side} yet")
            return None
        req = OrderRequest(inst, action, float(self.quantity.value()), OrderType.LMT, limit_price=price)
        return await self.send(PlaceOrder(req))

    async def flatten(self):
        """Close the symbol's position (``Flatten(key)``), always after a question."""
        inst = self.model.instrument
        if inst is None:
            return None
        return await self.send(Flatten(inst.key), always_ask=True)

    async def cancel_all(self):
        """Cancel every working order of this client for the symbol (``CancelAll(key)``)."""
        inst = self.model.instrument
        if inst is None:
            return None
        return await self.send(CancelAll(inst.key))

    async def send(self, cmd, *, always_ask: bool = False):
        """Send ``cmd`` through the command layer with the confirmation rules of the module
        docstring; returns the ``CommandResult`` or None when the trader declined."""
        inst = self.model.instrument
        symbol = inst.display_symbol if inst is not None else ""
        failures = soft_warnings(self.commands, cmd)
        text = describe_command(cmd, self.session)
        if isinstance(cmd, PlaceOrder):
            needs = not self._armed or self.toggles.needs(cmd.request.order_type)
        else:
            needs = always_ask or not self._armed
        accepted: frozenset[str] = frozenset()
        if needs:
            if isinstance(cmd, PlaceOrder):
                yes = await resolve(self.confirm(text, cmd.request, [warning_line(f) for f in failures]))
            else:
                title = {CancelOrder: "Cancel order", ModifyOrder: "Modify order"}.get(type(cmd), "Ladder")
                yes = await resolve(self.ask(title, with_warnings(f"{text}?", failures)))
            record_confirmation(self.commands, bool(yes), text, symbol, source="ladder")
            if not yes:
                self._say(False, f"Not sent: {text} (declined)")
                return None
            record_overrides(self.commands, failures, text, symbol)
            accepted = frozenset(f.rule for f in failures)
        result = await execute_with_override(self.commands, cmd, self.ask_override, symbol=symbol,
                                             text=text, accepted=accepted)
        self._say(result.ok, result.message)
        return result

    def _confirm_dialog(self, text: str, request: OrderRequest, warnings: list[str]):
        acct = getattr(self.session, "account_id", "") or ""
        self.dialog = order_confirm_dialog(self, text, request, self.session,
                                           account_kind(acct) if acct else None, warnings=warnings)
        return self.dialog.ask()


__all__ = ["DEFAULT_QUANTITY", "LadderPanel", "TRADE_KEYS"]
