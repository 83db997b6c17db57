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
from app.ui.stale_label import stale_label
from app.viewmodels.staleness import StaleWatch, fmt_age

#: account kind -> (background, foreground)
KIND_COLOURS: dict[AccountKind, tuple[str, str]] = {
    AccountKind.SIMULATED: ("#00838f", "#ffffff"),
    AccountKind.PAPER: ("#f9a825", "#000000"),
    AccountKind.LIVE: ("#c62828", "#ffffff"),
}

STATE_COLOURS: dict[ConnectionState, str] = {
    ConnectionState.CONNECTED: "#2e7d32",
    ConnectionState.CONNECTING: "#f9a825",
    ConnectionState.LOST: "#c62828",
    ConnectionState.FAILED: "#c62828",
    ConnectionState.DISCONNECTED: "#757575",
    ConnectionState.RECONNECTING: "#f9a825",
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
            bg, fg = "#c62828", "#ffffff"
            text = f"CONNECTION LOST  ·  {endpoint}  ·  data is stale: Connection → Reconnect"
        elif kind is None:
            bg, fg, text = "#616161", "#ffffff", f"NOT CONNECTED  ·  {endpoint}" if endpoint else "NOT CONNECTED"
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
        colour = STATE_COLOURS.get(state, "#757575")
        self.state_label.setText(f"<span style='color:{colour}'>●</span> {state.value}"
                                 + (f"  {endpoint}" if endpoint else ""))

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
        "read_only": ("READ-ONLY", "#455a64", "#ffffff"),
        "halted": ("KILL SWITCH: NEW ORDERS BLOCKED", "#b71c1c", "#ffffff"),
        "journal": ("JOURNAL NOT WRITTEN", "#b00020", "#ffffff"),
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
