"""Connection and account-kind indicators: the status bar and the mode banner.

The account kind decides the colours (DESIGN.md, Safety model): SIMULATED is
teal, PAPER amber, LIVE red, so the three can never be mistaken for each other.
The connection state is a coloured dot (RECONNECTING amber); while market and
account data are stale an amber "DATA STALE 12 s" flag says so, with the reason
in its tooltip (:meth:`SessionStatusBar.watch_session`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.domain import AccountKind, ConnectionState
from app.ui import theme
from app.ui.stale_label import stale_label
from app.viewmodels.staleness import StaleWatch, fmt_age

#: account kind -> (background, foreground) (``app.ui.theme.FILLS``, the same in both themes)
KIND_COLOURS: dict[AccountKind, tuple[str, str]] = {
    AccountKind.SIMULATED: theme.FILLS["simulated"],
    AccountKind.PAPER: theme.FILLS["paper"],
    AccountKind.LIVE: theme.FILLS["live"],
}

#: connection state -> theme role of the status bar's dot
STATE_COLOURS: dict[ConnectionState, str] = {
    ConnectionState.CONNECTED: "state_connected",
    ConnectionState.CONNECTING: "state_connecting",
    ConnectionState.LOST: "state_failed",
    ConnectionState.FAILED: "state_failed",
    ConnectionState.DISCONNECTED: "state_disconnected",
    ConnectionState.RECONNECTING: "state_connecting",
}


def kind_text(kind: AccountKind) -> str:
    """Banner text for an account kind."""
    return {
        AccountKind.SIMULATED: "SIMULATED — no real orders",
        AccountKind.PAPER: "PAPER TRADING",
        AccountKind.LIVE: "LIVE TRADING — REAL MONEY",
    }[kind]


class ModeBanner(QLabel):
    """A full-width coloured strip naming the account kind and account id."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("modeBanner")
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumHeight(22)
        self.kind: AccountKind | None = None
        self.set_mode(None, "", "")

    def set_mode(self, kind: AccountKind | None, account: str, endpoint: str, *,
                 lost: bool = False) -> None:
        """Show the account kind, or (``kind`` None) NOT CONNECTED / CONNECTION LOST (red)."""
        self.kind = kind
        if kind is None and lost:
            bg, fg = theme.FILLS["connection_lost"]
            text = f"CONNECTION LOST  ·  {endpoint}  ·  data is stale: Connection → Reconnect"
        elif kind is None:
            (bg, fg), text = theme.FILLS["not_connected"], f"NOT CONNECTED  ·  {endpoint}" if endpoint else "NOT CONNECTED"
        else:
            bg, fg = KIND_COLOURS[kind]
            text = f"{kind_text(kind)}  ·  account {account}  ·  {endpoint}"
        self.setText(text)
        self.setStyleSheet(
            f"QLabel#modeBanner {{ background: {bg}; color: {fg}; font-weight: bold; padding: 2px; }}")


class SessionStatusBar(QStatusBar):
    """Status bar: connection state, endpoint, server version, account id and kind."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.state_label = QLabel()
        self.state_label.setObjectName("connectionState")
        self.server_label = QLabel()
        self.account_label = QLabel()
        self.kind_label = QLabel()
        self.kind_label.setObjectName("accountKind")
        #: trading-mode flags (READ-ONLY, KILL SWITCH, JOURNAL NOT WRITTEN): name -> label;
        #: ONE-CLICK ARMED is ``app.ui.trading_actions.TradingActions.armed_label``, added next to them
        self.flags: dict[str, QLabel] = {}
        for name in ("read_only", "halted", "journal"):
            label = QLabel()
            label.setObjectName(f"flag_{name}")
            label.setVisible(False)
            self.flags[name] = label
        for w in (*self.flags.values(), self.state_label, self.server_label, self.account_label,
                  self.kind_label):
            w.setContentsMargins(6, 0, 6, 0)
            self.addPermanentWidget(w)
        #: "DATA STALE 12 s" while the session's data is stale (see :meth:`watch_session`)
        self.stale_label = stale_label("dataStale", bold=True)
        self.stale_label.setContentsMargins(6, 0, 6, 0)
        self.insertPermanentWidget(0, self.stale_label)
        self.staleness: StaleWatch | None = None
        self.set_state(ConnectionState.DISCONNECTED, "")
        theme.notifier().changed.connect(self._on_theme)  # the dot in the new theme's colour
        self.set_session_info(None, "", None)

    def watch_session(self, session) -> StaleWatch:
        """Show the "DATA STALE 12 s" flag while ``session``'s data is stale (its
        ``staleEvent`` / ``stateEvent``); the age is refreshed once a second."""
        if self.staleness is not None:
            self.staleness.close()
        self.staleness = StaleWatch(session, self)
        self.staleness.changed.connect(self._show_stale)
        self.staleness.tick.connect(self._show_stale)
        self._show_stale()
        return self.staleness

    def _show_stale(self, *_args) -> None:
        watch = self.staleness
        stale = watch is not None and watch.stale
        self.stale_label.setVisible(stale)
        if stale:
            self.stale_label.setText(f" DATA STALE {fmt_age(watch.age())} ")
            self.stale_label.setToolTip(f"{watch.text()}\nGrey prices and values are not live")

    def set_state(self, state: ConnectionState, endpoint: str) -> None:
        self._state = (state, endpoint)
        colour = theme.color(STATE_COLOURS.get(state, "state_disconnected"))
        self.state_label.setText(f"<span style='color:{colour}'>●</span> {state.value}"
                                 + (f"  {endpoint}" if endpoint else ""))

    def _on_theme(self, _name: str = "") -> None:
        self.set_state(*self._state)

    def set_session_info(self, server_version: int | None, account: str,
                         kind: AccountKind | None) -> None:
        self.server_label.setText(f"server v{server_version}" if server_version else "server —")
        self.account_label.setText(f"account {account}" if account else "account —")
        if kind is None:
            self.kind_label.setText("")
            self.kind_label.setStyleSheet("")
        else:
            bg, fg = KIND_COLOURS[kind]
            self.kind_label.setText(f" {kind.value} ")
            self.kind_label.setStyleSheet(
                f"QLabel#accountKind {{ background: {bg}; color: {fg}; font-weight: bold; "
                f"border-radius: 3px; padding: 0 6px; }}")

    FLAG_STYLES = {
        "read_only": ("READ-ONLY", *theme.FILLS["read_only"]),
        "halted": ("KILL SWITCH: NEW ORDERS BLOCKED", *theme.FILLS["halted"]),
        "journal": ("JOURNAL NOT WRITTEN", *theme.FILLS["journal_error"]),
    }

    def set_flag(self, name: str, on: bool, tooltip: str = "") -> None:
        """Show or hide a trading-mode flag: "read_only", "halted" or "journal" (KeyError
        otherwise); ``tooltip`` says why (e.g. the journal's problem)."""
        label = self.flags[name]
        label.setToolTip(tooltip)
        text, bg, fg = self.FLAG_STYLES[name]
        label.setText(f" {text} ")
        label.setStyleSheet(f"QLabel#flag_{name} {{ background: {bg}; color: {fg}; font-weight: bold; "
                            f"border-radius: 3px; padding: 0 6px; }}")
        label.setVisible(bool(on))
