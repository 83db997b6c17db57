"""The depth ladder dock widget: a thin view over ``app.viewmodels.ladder.LadderModel``.

Gestures (every order goes through the command layer, ``OrderCommands.execute``, with the
ticket's confirmation rules, ``app.ui.confirm``):

- click in the Bid column: BUY LMT at that row's price, the quantity of the selector;
  in the Ask column: SELL LMT;
- click on an own order (Buy / Sell column): cancel it; drag it to another row: modify its
  limit price to that row's;
- the wheel scrolls the prices a tick per step; "Centre" (or Space) re-centres;
- "Cum." shows cumulative sizes in the Bid / Ask columns (``LadderModel.set_cumulative``);
- the symbol field (IB's symbol search as you type, ``app.ui.symbol_search``): Enter or a
  picked match resolves the symbol (``LadderModel.set_symbol_text``) and loads the ladder on
  it (signal ``instrumentChosen``); an unknown symbol shows the gateway's message under it.

One-click: only when armed (:meth:`LadderPanel.set_armed`, connect it to
``TradingActions.armedChanged``) a click transmits at once, and then only when the order
type's confirmation toggle (``toggles``, share the ticket's ``ConfirmToggles``) is off;
otherwise the confirmation dialog (``order_confirm_dialog``: the order in words, account,
whatIf margin) asks first. Cancels and modifications ask a Yes/No question unless armed.
Soft risk limits are part of the question (its Yes overrides exactly those); one that
appears only at send time is asked by ``execute_with_override``. Every decision is
journalled through ``commands.record``.

Hotkeys (only while the ladder has the focus; ``Qt.WidgetWithChildrenShortcut``; its text
fields keep the letters they type), by default: B buy at the bid, Shift+B buy at the ask, S
sell at the ask, Shift+S sell at the bid (LMT, the selector's quantity), F flatten the symbol
(always asks), C cancel all orders of the symbol, Space re-centre. They are the
``app.ui.hotkeys.LADDER_ACTIONS`` of the trader's ``HotkeyRegistry`` once
:meth:`LadderPanel.bind_hotkeys` is called (edited in the hotkey editor, listed in the cheat
sheet); without a registry the defaults apply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout,
    QWidget,
)

from app.commands import CancelAll, Flatten, describe_command
from app.commands.intents import CancelOrder, ModifyOrder, PlaceOrder
from app.domain import Action, Instrument, OrderRequest, OrderType, account_kind
from app.ui import theme
from app.ui.confirm import (
    ConfirmToggles, ask_override, ask_yes_no, execute_with_override, order_confirm_dialog,
    record_confirmation, record_overrides, resolve, with_warnings,
)
from app.ui.format import tabular_font
from app.ui.hotkeys import LADDER_ACTIONS
from app.ui.ladder.table import LadderTable
from app.ui.symbol_search import attach_symbol_search
from app.viewmodels.ladder import DEFAULT_ROWS, LadderModel
from app.viewmodels.soft_limits import soft_warnings, warning_line

log = logging.getLogger(__name__)

#: ladder hotkey id (``app.ui.hotkeys.LADDER_ACTIONS``) -> (side, price source) of the buy/sell keys
TRADE_HOTKEYS: dict[str, tuple[Action, str]] = {
    "ladder_buy_bid": (Action.BUY, "bid"), "ladder_buy_ask": (Action.BUY, "ask"),
    "ladder_sell_ask": (Action.SELL, "ask"), "ladder_sell_bid": (Action.SELL, "bid"),
}
#: default quantity of the selector (shares; FX: base units)
DEFAULT_QUANTITY = {"STK": 100.0, "CASH": 20_000.0}


class LadderPanel(QWidget):
    """The ladder dock's widget. ``session`` the Session, ``commands`` an ``OrderCommands``,
    ``toggles`` the ``ConfirmToggles`` to follow (default: a new one, every kind asks);
    ``rows`` the initial number of price rows, refitted to the table's height when ``fit_rows``.

    Public: :meth:`set_instrument` (slot), :meth:`set_armed` (slot), :attr:`armed`,
    :meth:`bind_hotkeys`, :meth:`send` (coroutine: one command through the confirmation
    rules), ``model``, ``table``, ``quantity``, ``symbol`` (the symbol field),
    ``symbol_problem`` (its error line), ``cumulative`` (the "Cum." check box), ``shortcuts``
    (hotkey id -> QShortcut); injectable questions ``confirm(text, request, warnings)``,
    ``ask(title, text)`` and ``ask_override(rule, message)`` (each may return an awaitable);
    ``tasks`` the running sends and lookups. Signals ``message(bool ok, str text)`` per
    outcome; ``instrumentChosen(Instrument)`` when the trader picked a symbol in the ladder's
    own field (resolved and shown; not for :meth:`set_instrument` from outside).
    """

    message = Signal(bool, str)
    instrumentChosen = Signal(object)

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
        self._hotkeys = None

        self.symbol = QLineEdit()
        self.symbol.setObjectName("ladderSymbol")
        self.symbol.setPlaceholderText("Symbol, Enter")
        self.symbol.setMinimumWidth(self.symbol.fontMetrics().horizontalAdvance("EUR.USD__"))
        self.symbol.setMaximumWidth(self.symbol.fontMetrics().horizontalAdvance("M" * 10))
        self.symbol.returnPressed.connect(self._symbol_entered)
        self.symbol_search = attach_symbol_search(self.symbol, session)  # IB symbol lookup popup
        self.symbol_problem = QLabel("")
        self.symbol_problem.setObjectName("ladderSymbolProblem")
        self.symbol_problem.setWordWrap(True)
        self.symbol_problem.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.symbol_problem.setVisible(False)
        theme.style(self.symbol_problem, "color: $error_text;")
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
        self.centre.clicked.connect(self.model.recentre)
        self.cumulative = QCheckBox("Cum.")
        self.cumulative.setObjectName("ladderCumulative")
        self.cumulative.setToolTip("Cumulative depth: the Bid / Ask columns add up the sizes from "
                                   "the inside market outward (bids downward, asks upward)")
        self.cumulative.toggled.connect(self.model.set_cumulative)
        self.model.cumulativeChanged.connect(self.cumulative.setChecked)
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

        # two short rows: the ladder shares the ticket's column (its width must not widen it)
        top = QHBoxLayout()
        top.addWidget(self.symbol, 1)
        top.addStretch(1)
        top.addWidget(QLabel("Qty"))
        top.addWidget(self.quantity)
        second = QHBoxLayout()
        second.addWidget(self.armed_label)
        second.addStretch(1)
        second.addWidget(self.cumulative)
        second.addWidget(self.centre)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addLayout(second)
        lay.addWidget(self.symbol_problem)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.status)

        handlers = {aid: (lambda a=action, s=side: self._start(self.trade_at(a, s)))
                    for aid, (action, side) in TRADE_HOTKEYS.items()}
        handlers.update(ladder_flatten=lambda: self._start(self.flatten()),
                        ladder_cancel_all=lambda: self._start(self.cancel_all()),
                        ladder_recentre=self.model.recentre)
        self.shortcuts: dict[str, QShortcut] = {}
        for spec in LADDER_ACTIONS:
            sc = QShortcut(self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(handlers[spec.id])
            self.shortcuts[spec.id] = sc
        self._apply_hotkeys()
        self._show_symbol()

        self._apply_theme()
        theme.notifier().changed.connect(self._apply_theme)
        self.set_armed(False)

    # ---- hotkeys ----------------------------------------------------------------------------
    def bind_hotkeys(self, registry) -> None:
        """Take the ladder's keys from ``registry`` (an ``app.ui.hotkeys.HotkeyRegistry``, its
        ``LADDER_ACTIONS``) now and after every change (``keysChanged``: the hotkey editor, a
        restore of the defaults). The shortcuts stay local to the ladder. None: back to the
        default keys."""
        if self._hotkeys is not None:
            self._hotkeys.keysChanged.disconnect(self._apply_hotkeys)
        self._hotkeys = registry
        if registry is not None:
            registry.keysChanged.connect(self._apply_hotkeys)
        self._apply_hotkeys()

    def hotkey(self, action_id: str) -> QKeySequence:
        """The key of the ladder hotkey ``action_id`` (empty when none); ``KeyError`` for an id
        that is not one of ``LADDER_ACTIONS``."""
        return self.shortcuts[action_id].key()

    def _apply_hotkeys(self) -> None:
        for spec in LADDER_ACTIONS:
            key = self._hotkeys.key(spec.id) if self._hotkeys is not None else QKeySequence(spec.default)
            self.shortcuts[spec.id].setKey(key)
        key = self.hotkey("ladder_recentre").toString(QKeySequence.SequenceFormat.NativeText)
        self.centre.setToolTip(f"Re-centre on the inside market ({key})" if key
                               else "Re-centre on the inside market")

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
        """Show ``instrument`` (a resolved ``app.domain.Instrument``; None: empty). The symbol
        field shows its symbol (unless the trader is typing there); a symbol lookup of the
        field still running is superseded. Does not emit ``instrumentChosen``."""
        if instrument is not None and instrument != self.model.instrument:
            self._default_quantity(instrument)
        self.model.set_instrument(instrument)
        if not (self.symbol.hasFocus() and self.symbol.isModified()):
            self._show_symbol()

    def _default_quantity(self, instrument: Instrument) -> None:
        self.quantity.setValue(DEFAULT_QUANTITY.get(instrument.sec_type, 100.0))
        self.quantity.setSingleStep(10_000 if instrument.is_fx else 100)

    def _show_symbol(self) -> None:
        inst = self.model.instrument
        self.symbol.setText(inst.display_symbol if inst is not None else "")
        self.symbol.setToolTip(inst.long_name if inst is not None and inst.long_name else
                               "Symbol of the ladder (IB symbol search as you type; Enter loads it)")
        self._symbol_error("")

    def _symbol_error(self, text: str) -> None:
        self.symbol_problem.setText(text)
        self.symbol_problem.setVisible(bool(text))

    def _symbol_entered(self) -> None:
        text = self.symbol.text().strip()
        self.symbol.setModified(False)      # submitted: a choice from outside may replace it
        if not text:                        # an emptied field: show the ladder's symbol again
            self._show_symbol()
            return
        self._start(self.choose_symbol(text))

    async def choose_symbol(self, text: str) -> Instrument | None:
        """Load the ladder on the symbol ``text`` as if the trader typed it in the field:
        resolved through ``LadderModel.set_symbol_text``; on success the field shows it and
        ``instrumentChosen`` is emitted; on failure the field keeps the text and the message
        (the gateway's for an unknown symbol) is shown under it. Returns the instrument or None."""
        before = self.model.instrument
        try:
            inst = await self.model.set_symbol_text(text)
        except ValueError as e:
            self._symbol_error(str(e))
            return None
        if inst is None:                     # superseded by a later choice
            return None
        if inst != before:
            self._default_quantity(inst)
        self._show_symbol()
        self.instrumentChosen.emit(inst)
        return inst

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


__all__ = ["DEFAULT_QUANTITY", "LadderPanel", "TRADE_HOTKEYS"]
