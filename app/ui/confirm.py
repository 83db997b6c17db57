"""Order confirmations: the pre-transmit dialog, per-order-type toggles, soft-limit overrides.

TWS's own order precautions are usually bypassed for API orders, so this is
the trader's last look before an order leaves the terminal (issue 5,
"Confirmations and account awareness"):

- :class:`ConfirmDialog` shows the order in words with its value ("BUY 100
  AAPL LMT 187.50 DAY, about 18,750 USD"), the account id and kind
  (SIMULATED / PAPER / LIVE, LIVE in red) and the margin and commission
  impact the gateway previews (IB placeOrder with ``whatIf``; ``await
  session.what_if(request)`` -> ``app.domain.WhatIf``), fetched while the
  dialog is open: "checking margin…", then the numbers or "not available".
- :class:`ConfirmToggles`: which order kinds ask first (MKT, LMT, STP,
  STP LMT and bracket), persisted in QSettings as ``confirm/<kind>``.
- Soft risk limits are one decision with the order: :func:`soft_warnings` lists
  them before sending, the confirmation shows each ("Price band: Limit 257.40 is
  16.2 % above the ask 221.60 (band 5 %: ...)") and its Transmit / Yes overrides
  exactly those (``accepted`` rule names). :func:`execute_with_override` asks
  only about a soft failure nobody was shown (confirmations turned off, or the
  market moved after the confirmation: "New since you confirmed: ..."), and
  re-runs the command only on an explicit Yes; every decision is journalled.
  No message shows a rule id.

Every dialog here is non-blocking: ``QDialog.open()`` plus an asyncio future
awaited in a task (never ``exec()``, which would nest an event loop under
qasync). The coroutines :func:`ask_yes_no`, :func:`ask_choice` and
:meth:`ConfirmDialog.ask` return when the trader answers.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

from app.commands.risk import rule_title
from app.settings_values import setting_bool
from app.domain import AccountKind, OrderRequest, OrderType, WhatIf
from app.ui import theme
from app.ui.format import fmt_money, is_missing
from app.ui.session_status import KIND_COLOURS
from app.viewmodels.soft_limits import soft_warnings, warning_line

log = logging.getLogger(__name__)

#: order kinds with their own confirmation toggle (IB orderType strings, plus brackets)
CONFIRM_KINDS: tuple[str, ...] = ("MKT", "LMT", "STP", "STP LMT", "BRACKET")
#: the toggle an order type without its own follows: the kind of order it becomes (a trailing
#: stop is a stop, a trailing stop limit a stop limit; MOC and MIT end as market orders, LOC
#: and LIT as limit orders)
CONFIRM_FAMILY: dict[str, str] = {"TRAIL": "STP", "TRAIL LIMIT": "STP LMT", "MOC": "MKT", "MIT": "MKT",
                                  "LOC": "LMT", "LIT": "LMT"}
#: QSettings key prefix of the toggles ("confirm/MKT", ..., "confirm/BRACKET")
SETTINGS_PREFIX = "confirm/"
#: seconds to wait for the gateway's whatIf answer before showing "not available"
WHATIF_TIMEOUT_S = 8.0


async def resolve(value: Any) -> Any:
    """``await value`` when it is awaitable, else return it (confirm callables may be sync)."""
    if inspect.isawaitable(value):
        return await value
    return value


# ---------------------------------------------------------------- toggles
class ConfirmToggles:
    """Which orders ask for confirmation: one flag per kind of :data:`CONFIRM_KINDS`.

    A bracket (take profit / stop loss attached) asks when "BRACKET" is on,
    whatever its parent's type; any other order when its type's flag is on.
    """

    def __init__(self, **flags: bool):
        self.flags: dict[str, bool] = {k: True for k in CONFIRM_KINDS}
        for k, v in flags.items():
            self.set(k.replace("_", " ").upper(), v)

    def set(self, kind: str, on: bool) -> None:
        """Turn the confirmation of ``kind`` ("MKT", "STP LMT", "BRACKET") on or off;
        ``ValueError`` for an unknown kind."""
        if kind not in self.flags:
            raise ValueError(f"Unknown confirmation kind {kind!r}: one of {', '.join(CONFIRM_KINDS)}")
        self.flags[kind] = bool(on)

    def needs(self, order_type: OrderType | str, bracket: bool = False) -> bool:
        """True when an order of ``order_type`` (with a bracket attached or not) asks first;
        a type without a toggle of its own follows :data:`CONFIRM_FAMILY` (TRAIL as STP, ...)."""
        kind = "BRACKET" if bracket else str(OrderType(order_type).value)
        return self.flags.get(CONFIRM_FAMILY.get(kind, kind), True)

    @property
    def any(self) -> bool:
        """True when at least one kind asks (what the chart's order lines follow)."""
        return any(self.flags.values())

    def set_all(self, on: bool) -> None:
        for k in self.flags:
            self.flags[k] = bool(on)

    def load(self, settings) -> None:
        """Read ``confirm/<kind>`` from a QSettings (missing keys stay on)."""
        for k in CONFIRM_KINDS:
            self.flags[k] = setting_bool(settings.value(SETTINGS_PREFIX + k), self.flags[k])

    def save(self, settings) -> None:
        """Write every flag to ``confirm/<kind>`` of a QSettings."""
        for k, v in self.flags.items():
            settings.setValue(SETTINGS_PREFIX + k, bool(v))


# ------------------------------------------------------------------ whatIf
def what_if_lines(w: WhatIf, currency: str = "") -> list[str]:
    """The whatIf preview in words: initial/maintenance margin change, equity with
    loan change, commission (or its range) and IB's warning text; only the fields
    the gateway gave. Amounts in the account's base currency ``currency``. IB's warning
    text comes hard-wrapped with newlines (TWS's odd-lot note); it becomes one paragraph
    that the dialog wraps to its width."""
    cur = f" {currency}" if currency else ""
    out = []
    for name, value in (("Initial margin", w.init_margin_change),
                        ("Maintenance margin", w.maint_margin_change),
                        ("Equity with loan", w.equity_with_loan_change)):
        if not is_missing(value):
            out.append(f"{name} change: {float(value):+,.2f}{cur}")
    ccy = f" {w.commission_currency}" if w.commission_currency else ""
    if not is_missing(w.commission):
        out.append(f"Commission: {fmt_money(w.commission)}{ccy}")
    elif not is_missing(w.min_commission) and not is_missing(w.max_commission):
        out.append(f"Commission: {fmt_money(w.min_commission)} – {fmt_money(w.max_commission)}{ccy}")
    if w.warning:
        out.append("Warning: " + " ".join(w.warning.split()))
    return out


# ------------------------------------------------------------------ dialogs
def _finished(dialog: QDialog) -> asyncio.Future:
    """Open ``dialog`` (non-blocking, modal to its window) and return a future of its result code."""
    fut = asyncio.get_event_loop().create_future()

    def done(code: int) -> None:
        if not fut.done():
            fut.set_result(int(code))

    dialog.finished.connect(done)
    dialog.open()
    return fut


async def run_dialog(dialog: QDialog) -> int:
    """Open ``dialog`` window-modal without a nested event loop (``open()``, never
    ``exec()``: quotes and orders keep updating under it) and return its result code
    (``QDialog.Accepted`` / ``Rejected``) once it is closed. The dialog is deleted later
    (read its fields right after the ``await``); cancelling the awaiting task rejects it."""
    return await _await_dialog(dialog)


async def _await_dialog(dialog: QDialog) -> int:
    fut = _finished(dialog)
    try:
        return await fut
    finally:
        try:
            if not fut.done():  # the waiting task was cancelled: close the dialog
                dialog.reject()
            dialog.deleteLater()
        except RuntimeError:  # the dialog's parent (and so the dialog) is gone already
            pass


class ConfirmDialog(QDialog):
    """The confirmation before transmitting an order.

    ``text``: the order in words with its value; ``account``/``kind``: where
    it goes; ``what_if``: a zero-argument callable returning an awaitable of
    ``WhatIf`` (e.g. ``lambda: session.what_if(request)``) or None. Widgets for
    tests: ``order_label``, ``account_label``, ``warnings_label``, ``impact_label``,
    ``transmit_button``, ``cancel_button``. Use ``await dialog.ask()``.

    ``warnings``: lines shown in amber under the order (the soft risk limits it breaks,
    :func:`warning_line`, and notes such as an FX odd lot); with any, the button reads
    "Transmit anyway": clicking it is the override of the soft limits shown.
    """

    def __init__(self, text: str, *, account: str = "", kind: AccountKind | None = None,
                 what_if: Callable[[], Awaitable[WhatIf]] | None = None, currency: str = "",
                 title: str = "Transmit order", parent: QWidget | None = None,
                 warnings: list[str] | tuple[str, ...] = ()):
        super().__init__(parent)
        self.setObjectName("confirmDialog")
        self.setWindowTitle(title)
        self._what_if = what_if
        self._currency = currency
        self._task: asyncio.Task | None = None
        self.what_if_result: WhatIf | None = None

        self.order_label = QLabel(text)
        self.order_label.setObjectName("confirmOrder")
        self.order_label.setWordWrap(True)
        self.order_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.order_label.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.account_label = QLabel(self._account_text(account, kind))
        self.account_label.setObjectName("confirmAccount")
        if kind is not None:
            bg, fg = KIND_COLOURS[kind]
            self.account_label.setStyleSheet(
                f"QLabel#confirmAccount {{ background: {bg}; color: {fg}; font-weight: bold; padding: 3px; }}")
        self.warnings = list(warnings)
        self.warnings_label = QLabel("\n".join(f"⚠ {w}" for w in self.warnings))
        self.warnings_label.setObjectName("confirmWarnings")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        theme.style(self.warnings_label, "color: $warning_text; font-weight: bold;")
        self.warnings_label.setVisible(bool(self.warnings))
        self.impact_label = QLabel("checking margin…" if what_if is not None else "Margin impact: not available")
        self.impact_label.setObjectName("confirmImpact")
        self.impact_label.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.transmit_button = self.buttons.addButton(
            "&Transmit anyway" if self.warnings else "&Transmit", QDialogButtonBox.AcceptRole)
        self.cancel_button = self.buttons.addButton("Cancel", QDialogButtonBox.RejectRole)
        self.cancel_button.setDefault(True)  # Enter alone never sends an order
        self.cancel_button.setAutoDefault(True)
        self.transmit_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.addWidget(self.account_label)
        lay.addWidget(self.order_label)
        lay.addWidget(self.warnings_label)
        lay.addWidget(self.impact_label)
        lay.addWidget(self.buttons)
        self.setMinimumWidth(420)

    @staticmethod
    def _account_text(account: str, kind: AccountKind | None) -> str:
        name = kind.value if kind is not None else "UNKNOWN ACCOUNT KIND"
        suffix = "  —  REAL MONEY" if kind is AccountKind.LIVE else ""
        return f"{name}  ·  account {account or '—'}{suffix}"

    def start_what_if(self) -> None:
        """Ask the gateway for the margin/commission preview (once; shown when it arrives)."""
        if self._what_if is None or self._task is not None:
            return
        self._task = asyncio.ensure_future(self._fetch())

    async def _fetch(self) -> None:
        try:
            w = await asyncio.wait_for(resolve(self._what_if()), WHATIF_TIMEOUT_S)
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            self._show_impact(None, f"no answer within {WHATIF_TIMEOUT_S:g} s")
            return
        except Exception as e:  # not connected, rejected by the gateway, no whatIf support...
            log.info("whatIf failed: %s", e, exc_info=True)
            self._show_impact(None, str(e) or type(e).__name__)
            return
        self.what_if_result = w
        self._show_impact(w, "")

    def _show_impact(self, w: WhatIf | None, why: str) -> None:
        try:
            lines = what_if_lines(w, self._currency) if w is not None else []
            if lines:
                self.impact_label.setText("\n".join(lines))
            else:
                self.impact_label.setText("Margin impact: not available" + (f" ({why})" if why else ""))
            self._fit_height()
        except RuntimeError:  # the dialog is gone already
            pass

    def _fit_height(self) -> None:
        """Grow to the height the contents need at the current width (wrapped labels):
        the whatIf lines arrive after the dialog is shown, and it kept the size of
        "checking margin…", cutting the equity, commission and warning lines off."""
        self.layout().activate()
        need = self.heightForWidth(self.width())
        if need > self.height():
            self.resize(self.width(), need)
        self.setMinimumHeight(max(need, self.minimumSizeHint().height()))

    async def ask(self) -> bool:
        """Open the dialog, fetch the whatIf meanwhile; True only when Transmit was clicked."""
        self.start_what_if()
        try:
            code = await _await_dialog(self)
        finally:
            if self._task is not None and not self._task.done():
                self._task.cancel()
        return code == QDialog.Accepted


async def ask_yes_no(parent: QWidget | None, title: str, text: str, *, yes: str = "Yes", no: str = "No",
                     informative: str = "", danger: bool = True) -> bool:
    """A non-blocking Yes/No question; True only when ``yes`` was clicked (No is the
    default button and Escape answers No)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Warning if danger else QMessageBox.Question)
    box.setWindowTitle(title)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    yes_b = box.addButton(yes, QMessageBox.YesRole)
    no_b = box.addButton(no, QMessageBox.NoRole)
    box.setDefaultButton(no_b)
    box.setEscapeButton(no_b)
    await _await_dialog(box)
    return box.clickedButton() is yes_b


async def ask_choice(parent: QWidget | None, title: str, text: str,
                     choices: list[tuple[str, str]], *, informative: str = "") -> str | None:
    """A non-blocking question with several answers: ``choices`` is ``[(answer_id, label)]``;
    returns the chosen answer id, None for the added "Back" button or Escape."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    buttons: dict[QPushButton, str] = {}
    for answer, label in choices:
        buttons[box.addButton(label, QMessageBox.AcceptRole)] = answer
    back = box.addButton("Back", QMessageBox.RejectRole)
    box.setDefaultButton(back)
    box.setEscapeButton(back)
    await _await_dialog(box)
    return buttons.get(box.clickedButton())


# ----------------------------------------------------------------- override
OverrideAsk = Callable[[str, str], "bool | Awaitable[bool]"]


def with_warnings(question: str, failures) -> str:
    """``question`` followed by the soft limits it would override (a Yes/No question whose
    Yes is then the override): unchanged without failures."""
    if not failures:
        return question
    lines = "\n".join(f"⚠ {warning_line(f)}" for f in failures)
    return f"{question}\n\n{lines}\n\nYes sends it anyway (overrides {'this soft limit' if len(failures) == 1 else 'these soft limits'})."


def override_question(rule: str, message: str) -> str:
    """The question for a soft limit nobody was shown yet, in words (no rule id):
    "Price band: Limit 257.40 is 16.2 % above the ask 221.60 (...)\n\nSend it anyway?";
    ``rule`` "" when ``message`` already names its limits (several lines)."""
    head = f"{rule_title(rule)}: " if rule else ""
    return f"{head}{message}\n\nSend it anyway?"


async def ask_override(parent: QWidget | None, rule: str, message: str) -> bool:
    """The default soft-limit question (Override / Do not send)."""
    return await ask_yes_no(parent, "Soft risk limit", override_question(rule, message),
                            yes="Override and send", no="Do not send",
                            informative="The order breaks a soft risk limit. "
                                        "Override it only if you are sure.")


def next_override(commands, cmd, result, accepted: frozenset[str]
                  ) -> tuple[str, str, frozenset[str]] | None:
    """After ``result`` (a ``CommandResult`` of ``cmd``): ``(rule, message, rules)`` of the
    question to ask when it is a soft rejection of a rule not in ``accepted`` (``rules``:
    every rule the question names, accepted by a yes), else None.

    Every soft failure not accepted yet is named in one question (rule "" and one line
    each when several); when some were accepted (shown in a confirmation) the message
    starts "New since you confirmed: " (the market or the position moved meanwhile)."""
    if result.ok or not getattr(result, "soft", False) or getattr(result, "rule", "") in accepted:
        return None
    new = [f for f in soft_warnings(commands, cmd) if f.rule not in accepted]
    rules = frozenset({result.rule} | {f.rule for f in new})
    if len(rules) > 1:
        rule, message = "", "\n".join(warning_line(f) for f in new)
    else:
        rule, message = result.rule, result.message
    if accepted:
        message = f"New since you confirmed: {message}"
    return rule, message, rules


def _send(commands, cmd, accepted: frozenset[str]):
    return commands.execute(cmd, override=accepted) if accepted else commands.execute(cmd)


async def execute_with_override(commands, cmd, ask: OverrideAsk, *, symbol: str = "",
                                text: str = "", accepted=()):
    """``commands.execute(cmd, override=accepted)``; on a soft rejection of a rule not in
    ``accepted`` (rule names the trader already accepted in the confirmation) ask
    ``ask(rule, message)`` (:func:`next_override`) and, on an explicit yes, execute
    again with that rule accepted too (asking again if yet another appears).

    The decision is journalled with ``commands.record("override", decision=
    "accepted"|"declined", rule=..., text=..., symbol=...)``. Returns the final
    ``CommandResult``; a declined override returns the soft rejection with its
    message prefixed "Not sent: ".
    """
    accepted = frozenset(accepted)
    result = _send(commands, cmd, accepted)
    while (question := next_override(commands, cmd, result, accepted)) is not None:
        rule, message, rules = question
        yes = bool(await resolve(ask(rule, message)))
        _record(commands, "override", decision="accepted" if yes else "declined",
                rule=rule or result.rule, text=text or result.message, symbol=symbol, message=message)
        if not yes:
            from dataclasses import replace
            return replace(result, message=f"Not sent: {result.message} (override declined)")
        accepted = accepted | rules
        result = _send(commands, cmd, accepted)
    return result


def record_overrides(commands, failures, text: str, symbol: str = "", **fields) -> None:
    """Journal that the trader accepted ``failures`` (soft limits shown in a confirmation
    answered Transmit / Yes): one ``override`` entry each, ``decision="accepted"``."""
    for f in failures:
        _record(commands, "override", decision="accepted", rule=f.rule, text=text, symbol=symbol,
                message=f.reason, shown="confirmation", **fields)


def _record(commands, kind: str, **fields) -> None:
    """``commands.record`` when the command layer has one (it never raises)."""
    record = getattr(commands, "record", None)
    if record is None:
        return
    try:
        record(kind, **fields)
    except Exception:  # the journal is never required for trading
        log.exception("journal record %s failed", kind)


def record_confirmation(commands, accepted: bool, text: str, symbol: str = "", **fields) -> None:
    """Journal a confirmation decision: ``commands.record("confirm", decision=...)``."""
    _record(commands, "confirm", decision="accepted" if accepted else "declined", text=text,
            symbol=symbol, **fields)


def order_confirm_dialog(parent: QWidget | None, text: str, request: OrderRequest, session,
                         kind: AccountKind | None, warnings=()) -> ConfirmDialog:
    """A :class:`ConfirmDialog` for ``request`` with the whatIf taken from ``session.what_if``
    (None when the session has none) and the ``warnings`` lines shown."""
    what_if = getattr(session, "what_if", None)
    return ConfirmDialog(
        text, account=str(getattr(session, "account_id", "") or ""), kind=kind,
        what_if=(lambda: what_if(request)) if what_if is not None else None,
        currency="", parent=parent, warnings=warnings)


__all__ = ["CONFIRM_KINDS", "ConfirmDialog", "ConfirmToggles", "ask_choice", "ask_override",
           "ask_yes_no", "execute_with_override", "next_override", "order_confirm_dialog",
           "override_question", "record_confirmation", "record_overrides", "resolve", "run_dialog",
           "soft_warnings", "warning_line", "what_if_lines", "with_warnings"]
