"""Trading hotkeys: the action registry, persisted key sequences, the editor and the cheat sheet.

:data:`HOTKEY_ACTIONS` lists every trading action id with its title, menu
group and default key sequence. :class:`HotkeyRegistry` keeps the current key
of each id, persisted in QSettings under ``hotkeys/<id>`` (portable text,
``QKeySequence.PortableText``; an empty string means "no key"), refuses a key
that another action already uses (:class:`HotkeyConflict`) and keeps the
shortcuts of bound ``QAction`` objects in step (:meth:`HotkeyRegistry.bind`),
so the keys show in the menus. :class:`HotkeyEditor` edits them
(``QKeySequenceEdit`` per action, conflicts named, restore defaults);
:class:`CheatSheet` lists every action and its key.

Two scopes (:attr:`HotkeyAction.scope`):

- ``"window"`` (:data:`WINDOW_ACTIONS`, the Trading menu's QActions): live anywhere in the
  main window, so they avoid keys that type text (a plain letter would fire while typing a
  symbol): function keys and modifier combinations only, and none of the main window's own
  keys (Ctrl+Q quit, Ctrl+Return transmit in the ticket);
- ``"ladder"`` (:data:`LADDER_ACTIONS`, BookTrader-style keys of the depth ladder,
  ``LadderPanel.bind_hotkeys``): live only while the ladder has the focus
  (``Qt.WidgetWithChildrenShortcut``), so plain letters and Space are allowed (its text fields
  keep the keys they type); not the keys its fields need (Return, Enter, Tab, Esc, Up, Down).

Every key belongs to one action across both scopes: a window-wide key is live inside the
ladder too, and Qt would call two shortcuts on one key ambiguous and fire neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHeaderView, QKeySequenceEdit, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.ui import theme

SETTINGS_GROUP = "hotkeys"
#: keys the terminal uses elsewhere (a hotkey may not take them)
RESERVED_KEYS: dict[str, str] = {"Ctrl+Q": "Quit", "Ctrl+Return": "Transmit in the order ticket",
                                 "F2": "Edit the selected cell (blotter)",
                                 "Ctrl+T": "New chart", "Ctrl+W": "Close chart"}
#: scopes of a hotkey: the whole main window, or the ladder while it has the focus
WINDOW, LADDER = "window", "ladder"
#: keys the ladder's own fields need (symbol field + completer, quantity, focus chain)
LADDER_FIELD_KEYS = frozenset({Qt.Key_Return, Qt.Key_Enter, Qt.Key_Tab, Qt.Key_Backtab, Qt.Key_Escape,
                               Qt.Key_Up, Qt.Key_Down})


@dataclass(frozen=True)
class HotkeyAction:
    """One trading action: ``id`` (stable, used in settings), ``title`` (menu text),
    ``group`` (menu section), ``default`` key (portable text, "" = none) and ``scope``
    (:data:`WINDOW` or :data:`LADDER`, see the module docstring)."""

    id: str
    title: str
    group: str
    default: str = ""
    scope: str = WINDOW


HOTKEY_ACTIONS: tuple[HotkeyAction, ...] = (
    HotkeyAction("buy_bid", "Buy at bid", "Orders", "F3"),
    HotkeyAction("buy_mid", "Buy at mid", "Orders", "F4"),
    HotkeyAction("buy_ask", "Buy at ask", "Orders", "F5"),
    HotkeyAction("sell_bid", "Sell at bid", "Orders", "F6"),
    HotkeyAction("sell_mid", "Sell at mid", "Orders", "F7"),
    HotkeyAction("sell_ask", "Sell at ask", "Orders", "F8"),
    HotkeyAction("cancel_last", "Cancel last order", "Cancel", "F9"),
    HotkeyAction("cancel_all_symbol", "Cancel all orders of the symbol", "Cancel", "Shift+F9"),
    HotkeyAction("flatten_symbol", "Flatten the symbol…", "Cancel", "Ctrl+Shift+F"),
    HotkeyAction("reverse_symbol", "Reverse the position of the symbol…", "Cancel", ""),
    HotkeyAction("cancel_all", "Cancel all my working orders…", "Cancel", ""),
    HotkeyAction("flatten_all", "Flatten all positions…", "Cancel", ""),
    HotkeyAction("global_cancel", "Global cancel (every client, TWS too)…", "Cancel", ""),
    HotkeyAction("kill_switch", "Kill switch…", "Cancel", "Ctrl+Shift+K"),
    HotkeyAction("resume_trading", "Resume trading after the kill switch…", "Cancel", ""),
    HotkeyAction("focus_watchlist", "Focus watchlist", "Focus", "Ctrl+1"),
    HotkeyAction("focus_chart", "Focus chart", "Focus", "Ctrl+2"),
    HotkeyAction("focus_ticket", "Focus order ticket", "Focus", "Ctrl+3"),
    HotkeyAction("preset_1", "Quantity preset 1", "Quantity", "Alt+1"),
    HotkeyAction("preset_2", "Quantity preset 2", "Quantity", "Alt+2"),
    HotkeyAction("preset_3", "Quantity preset 3", "Quantity", "Alt+3"),
    HotkeyAction("preset_4", "Quantity preset 4", "Quantity", "Alt+4"),
    HotkeyAction("preset_5", "Quantity preset 5", "Quantity", "Alt+5"),
    HotkeyAction("arm_one_click", "Arm one-click trading", "Safety", "Ctrl+Shift+O"),
    HotkeyAction("read_only", "Read-only mode", "Safety", "Ctrl+Shift+R"),
    HotkeyAction("edit_hotkeys", "Edit hotkeys…", "Help", ""),
    HotkeyAction("cheat_sheet", "Hotkey cheat sheet", "Help", "F1"),
    HotkeyAction("ladder_buy_bid", "Ladder: buy at bid", "Ladder", "B", LADDER),
    HotkeyAction("ladder_buy_ask", "Ladder: buy at ask", "Ladder", "Shift+B", LADDER),
    HotkeyAction("ladder_sell_ask", "Ladder: sell at ask", "Ladder", "S", LADDER),
    HotkeyAction("ladder_sell_bid", "Ladder: sell at bid", "Ladder", "Shift+S", LADDER),
    HotkeyAction("ladder_flatten", "Ladder: flatten the symbol…", "Ladder", "F", LADDER),
    HotkeyAction("ladder_cancel_all", "Ladder: cancel all orders of the symbol", "Ladder", "C", LADDER),
    HotkeyAction("ladder_recentre", "Ladder: re-centre", "Ladder", "Space", LADDER),
)
ACTIONS_BY_ID: dict[str, HotkeyAction] = {a.id: a for a in HOTKEY_ACTIONS}
#: the main window's actions (the Trading and Help menus' QActions)
WINDOW_ACTIONS: tuple[HotkeyAction, ...] = tuple(a for a in HOTKEY_ACTIONS if a.scope == WINDOW)
#: the depth ladder's keys (live while the ladder has the focus)
LADDER_ACTIONS: tuple[HotkeyAction, ...] = tuple(a for a in HOTKEY_ACTIONS if a.scope == LADDER)


class HotkeyConflict(ValueError):
    """A key sequence is already used; ``str(e)`` names both actions and the key."""


def _text(seq: QKeySequence | str | None) -> str:
    """Portable text of a key sequence ("" for none)."""
    if seq is None:
        return ""
    if isinstance(seq, str):
        seq = QKeySequence(seq)
    return seq.toString(QKeySequence.PortableText)


def key_problem(seq: QKeySequence | str, scope: str = WINDOW) -> str:
    """Why ``seq`` cannot be a trading hotkey of ``scope`` ("" when it can): it has several
    chords; a :data:`WINDOW` key would type text (a plain letter, digit or symbol without
    Ctrl/Alt/Meta); a :data:`LADDER` key is one the ladder's fields need
    (:data:`LADDER_FIELD_KEYS`, with or without Shift). ``ValueError`` for an unknown scope."""
    if scope not in (WINDOW, LADDER):
        raise ValueError(f"Unknown hotkey scope {scope!r}: {WINDOW!r} or {LADDER!r}")
    seq = QKeySequence(seq) if isinstance(seq, str) else seq
    if seq.isEmpty():
        return ""
    if seq.count() > 1:
        return f"{_text(seq)}: use a single key combination, not a sequence of {seq.count()}"
    combo = seq[0]
    key = combo.key()
    mods = combo.keyboardModifiers()
    typing = mods & ~(Qt.ShiftModifier | Qt.KeypadModifier) == Qt.NoModifier
    if scope == LADDER:
        if typing and key in LADDER_FIELD_KEYS:
            return (f"{_text(seq)} is needed by the ladder's fields (symbol, quantity): "
                    "choose another key")
        return ""
    if typing and (Qt.Key_Space <= key <= Qt.Key_AsciiTilde or key in (Qt.Key_Return, Qt.Key_Enter,
                                                                          Qt.Key_Backspace, Qt.Key_Tab)):
        return (f"{_text(seq)} would fire while typing (e.g. a symbol): add Ctrl or Alt, "
                "or use a function key")
    return ""


class HotkeyRegistry(QObject):
    """Current key sequence of every :data:`HOTKEY_ACTIONS` id, persisted in ``settings``
    (a QSettings, group ``hotkeys``). Signal ``keysChanged()`` after any change."""

    keysChanged = Signal()

    def __init__(self, settings=None, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self._keys: dict[str, str] = {a.id: _text(a.default) for a in HOTKEY_ACTIONS}
        self._bound: dict[str, list[QAction]] = {}
        if settings is not None:
            self.load()

    # ---- reading ----------------------------------------------------------------
    def key(self, action_id: str) -> QKeySequence:
        """The key of ``action_id`` (empty when none); ``KeyError`` for an unknown id."""
        return QKeySequence(self._keys[action_id])

    def key_text(self, action_id: str) -> str:
        """The key as shown to the trader ("Ctrl+Shift+K", "" when none)."""
        return QKeySequence(self._keys[action_id]).toString(QKeySequence.NativeText)

    def keys(self) -> dict[str, str]:
        """Every id -> portable key text."""
        return dict(self._keys)

    def owner(self, seq: QKeySequence | str, *, ignore: str = "") -> str:
        """The id using ``seq`` ("" when free), ignoring ``ignore``; reserved keys give "reserved"."""
        text = _text(seq)
        if not text:
            return ""
        if text in RESERVED_KEYS:
            return "reserved"
        for aid, k in self._keys.items():
            if aid != ignore and k == text:
                return aid
        return ""

    # ---- changing -----------------------------------------------------------------
    @staticmethod
    def conflicts(keys: dict[str, str]) -> list[str]:
        """Sentences naming every problem in a full id -> key mapping (shared or reserved
        keys, keys that would type text); [] when it can be applied."""
        problems = []
        seen: dict[str, str] = {}
        for aid, k in keys.items():
            text = _text(k)
            if not text:
                continue
            spec = ACTIONS_BY_ID.get(aid)
            title = spec.title if spec is not None else aid
            p = key_problem(text, spec.scope if spec is not None else WINDOW)
            if p:
                problems.append(f"{title}: {p}")
            if text in RESERVED_KEYS:
                problems.append(f"{text} is reserved for {RESERVED_KEYS[text]}: choose another key "
                                f"for {title}")
            elif text in seen:
                other = ACTIONS_BY_ID[seen[text]]
                why = "" if spec is None or other.scope == spec.scope else \
                    " (a window-wide key is live in the ladder too)"
                problems.append(f"{text} is used by both {other.title} and {title}{why}")
            else:
                seen[text] = aid
        return problems

    def set_key(self, action_id: str, seq: QKeySequence | str) -> None:
        """Give ``action_id`` the key ``seq`` ("" clears it) and persist it.

        Raises ``KeyError`` for an unknown id and :class:`HotkeyConflict` when the
        key is used by another action, reserved, or would type text.
        """
        if action_id not in self._keys:
            raise KeyError(f"Unknown hotkey action {action_id!r}")
        new = dict(self._keys)
        new[action_id] = _text(seq)
        self.set_keys(new)

    def set_keys(self, keys: dict[str, str]) -> None:
        """Apply a whole id -> key mapping at once (the editor's OK); :class:`HotkeyConflict`
        with every problem when it cannot be applied, and nothing changes."""
        merged = dict(self._keys)
        for aid, k in keys.items():
            if aid not in merged:
                raise KeyError(f"Unknown hotkey action {aid!r}")
            merged[aid] = _text(k)
        problems = self.conflicts(merged)
        if problems:
            raise HotkeyConflict("; ".join(problems))
        if merged == self._keys:
            return
        self._keys = merged
        self.save()
        self._apply()
        self.keysChanged.emit()

    def restore_defaults(self) -> None:
        """Every action back to its default key (persisted)."""
        self.set_keys({a.id: a.default for a in HOTKEY_ACTIONS})

    # ---- persistence --------------------------------------------------------------
    def load(self) -> list[str]:
        """Read ``hotkeys/<id>`` from the settings; a stored mapping with problems is not
        applied (the defaults stay) and the problems are returned."""
        if self.settings is None:
            return []
        keys = dict(self._keys)
        for a in HOTKEY_ACTIONS:
            v = self.settings.value(f"{SETTINGS_GROUP}/{a.id}")
            if v is not None:
                keys[a.id] = _text(str(v))
        problems = self.conflicts(keys)
        if not problems:
            self._keys = keys
            self._apply()
        return problems

    def save(self) -> None:
        """Write every key to ``hotkeys/<id>`` ("" = no key)."""
        if self.settings is None:
            return
        for aid, k in self._keys.items():
            self.settings.setValue(f"{SETTINGS_GROUP}/{aid}", k)

    # ---- QActions -------------------------------------------------------------------
    def bind(self, action_id: str, action: QAction) -> QAction:
        """Keep ``action``'s shortcut equal to the key of ``action_id`` (shown in menus)."""
        self._bound.setdefault(action_id, []).append(action)
        action.setShortcut(self.key(action_id))
        return action

    def _apply(self) -> None:
        for aid, actions in self._bound.items():
            for a in actions:
                a.setShortcut(self.key(aid))


class HotkeyEditor(QDialog):
    """Edits every hotkey: one ``QKeySequenceEdit`` per action (``edits[id]``), a problem
    line naming conflicts (OK disabled meanwhile), "Restore defaults". OK applies the keys
    to the registry (persisted); Cancel changes nothing."""

    def __init__(self, registry: HotkeyRegistry, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Hotkeys")
        self.registry = registry
        self.table = QTableWidget(len(HOTKEY_ACTIONS), 3)
        self.table.setHorizontalHeaderLabels(["Action", "Key", ""])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.edits: dict[str, QKeySequenceEdit] = {}
        for row, a in enumerate(HOTKEY_ACTIONS):
            where = a.group if a.scope == WINDOW else f"{a.group}, while it has the focus"
            item = QTableWidgetItem(f"{a.title}  ({where})")
            item.setFlags(item.flags() & ~Qt.ItemIsEditable)
            self.table.setItem(row, 0, item)
            edit = QKeySequenceEdit(registry.key(a.id))
            if hasattr(edit, "setMaximumSequenceLength"):
                edit.setMaximumSequenceLength(1)
            edit.keySequenceChanged.connect(self._check)
            self.edits[a.id] = edit
            self.table.setCellWidget(row, 1, edit)
            clear = QPushButton("Clear")
            clear.clicked.connect(lambda _=False, e=edit: e.clear())
            self.table.setCellWidget(row, 2, clear)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        theme.style(self.problem, "color: $error_text;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel
                                        | QDialogButtonBox.RestoreDefaults)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.RestoreDefaults).clicked.connect(self.restore_defaults)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        self.resize(560, 620)
        self._check()

    def edited_keys(self) -> dict[str, str]:
        """id -> portable key text as currently edited."""
        return {aid: _text(e.keySequence()) for aid, e in self.edits.items()}

    def _check(self, *_) -> list[str]:
        problems = HotkeyRegistry.conflicts(self.edited_keys())
        self.problem.setText("\n".join(problems))
        self.problem.setVisible(bool(problems))
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(not problems)
        return problems

    def restore_defaults(self) -> None:
        """Put the default keys into the editor (applied on OK)."""
        for a in HOTKEY_ACTIONS:
            self.edits[a.id].setKeySequence(QKeySequence(a.default))
        self._check()

    def apply(self) -> bool:
        """Apply the edited keys to the registry and close; False (dialog stays) on a conflict."""
        try:
            self.registry.set_keys(self.edited_keys())
        except HotkeyConflict as e:
            self.problem.setText(str(e))
            self.problem.setVisible(True)
            return False
        self.accept()
        return True


class CheatSheet(QDialog):
    """Every trading action with its key, grouped as in the Trading menu (read-only)."""

    def __init__(self, registry: HotkeyRegistry, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Hotkeys")
        self.registry = registry
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Group", "Action", "Key"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(buttons)
        self.resize(480, 600)
        registry.keysChanged.connect(self.refresh)
        self.refresh()

    def rows(self) -> list[tuple[str, str, str]]:
        """(group, action title, key text or "—") for every action."""
        return [(a.group, a.title, self.registry.key_text(a.id) or "—") for a in HOTKEY_ACTIONS]

    def refresh(self) -> None:
        rows = self.rows()
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(v))
