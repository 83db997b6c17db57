"""The main window: chart in the centre, panels in dockable, persistent docks.

Default layout (fits a 1280x720 screen, issue 14 item 5): the order ticket on the
right over the full height (in a scroll area, so a small screen never squeezes its
fields on top of each other); the watchlist top left; the blotter, log and journal
tabbed along the bottom, under the watchlist and the chart. The account sits right
of the blotter on a wide window (:data:`WIDE_LAYOUT_PX` and more) and is one more
bottom tab on a narrower one. Sizes follow the window (:meth:`MainWindow._default_sizes`).
Geometry and dock state persist in QSettings under ``window/*`` and are restored on
the next start (``--reset-layout`` skips it).
"""

from __future__ import annotations

import asyncio
import inspect
import logging

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget, QFrame, QMainWindow, QMessageBox, QScrollArea, QStyle, QVBoxLayout, QWidget,
)

from app.domain import AccountKind, ConnectionState
from app.ui.appearance import add_theme_menu
from app.ui.dock_title import DockTitleBar
from app.ui.log_panel import LogPanel
from app.ui.confirm import ask_yes_no
from app.ui.session_status import ModeBanner, SessionStatusBar
from app.ui.time_menu import install_time_menu

log = logging.getLogger(__name__)

#: bump when the dock set changes so an old saved state is not applied to a new layout
LAYOUT_VERSION = 7
#: window width (pixels) from which the account dock sits beside the blotter, not in a tab
WIDE_LAYOUT_PX = 1800
#: the window's size when nothing was saved (smaller on a smaller screen)
DEFAULT_SIZE = QSize(1920, 1080)
#: docks whose panel scrolls instead of being squeezed when the dock is smaller than it
SCROLLED_PANELS = ("ticket", "account")


class MainWindow(QMainWindow):
    """Top-level window. Owns no trading logic: it arranges the panels it is given.

    ``panels`` maps a dock name ("watchlist", "ticket", "account", "blotter")
    to its widget; ``chart`` is the central widget; ``size`` (width, height in pixels,
    ``--geometry``) overrides the saved or default window size; ``chips`` maps a dock name
    to a widget shown left of its title (the link-colour chip, ``app.ui.link_button``). Emits ``reconnectRequested``
    and ``disconnectRequested`` from the Connection menu and ``closing`` when
    the window closes (after the layout is saved).
    """

    #: View → Reset layout ran (the panels reset their link colours and chart arrangement)
    layoutReset = Signal()
    reconnectRequested = Signal()
    disconnectRequested = Signal()
    #: Connection → Connect to… (the terminal asks for the endpoint)
    connectToRequested = Signal()
    #: Connection → Stop reconnecting
    stopReconnectRequested = Signal()
    closing = Signal()
    #: Help → API message log toggled (checked = on)
    apiLogToggled = Signal(bool)

    DOCK_TITLES = {
        "watchlist": "Watchlist",
        "ticket": "Order Ticket",
        "account": "Account",
        "blotter": "Orders && Executions",
        "log": "Log",
        "journal": "Journal",
        "timesales": "Time && Sales",
        "ladder": "Ladder",
        "scanner": "Scanner",
        "news": "News",
        "alerts": "Alerts",
        "strategies": "Strategies",
        "options": "Options",
    }

    def __init__(self, chart: QWidget, panels: dict[str, QWidget], settings: QSettings,
                 *, restore_layout: bool = True, size: tuple[int, int] | None = None,
                 chips: dict[str, QWidget] | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = settings
        self.setWindowTitle("ibdesk")
        self.resize(DEFAULT_SIZE.boundedTo(self.screen().availableGeometry().size()))
        self.setDockNestingEnabled(True)
        # the ticket keeps the full height on the right; the bottom docks run under the
        # watchlist (a short watchlist left ~550 px empty above a cramped blotter)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.setCorner(Qt.BottomLeftCorner, Qt.BottomDockWidgetArea)

        self.banner = ModeBanner()
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(chart, 1)
        self.chart = chart
        self.setCentralWidget(central)

        self.status = SessionStatusBar(self)
        self.setStatusBar(self.status)
        self.log = LogPanel()
        self.panels = dict(panels)
        self.panels["log"] = self.log
        self.docks: dict[str, QDockWidget] = {}
        for name, widget in self.panels.items():
            dock = QDockWidget(self.DOCK_TITLES.get(name, name.title()), self)
            dock.setObjectName(f"dock.{name}")
            dock.setWidget(_scrolled(widget) if name in SCROLLED_PANELS else widget)
            dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                             | QDockWidget.DockWidgetClosable)
            # every dock the same title bar; a linkable panel's has its colour chip
            dock.setTitleBarWidget(DockTitleBar(dock, (chips or {}).get(name)))
            self.docks[name] = dock
        self._default_layout()
        self._build_menus()
        #: ``callable() -> str | None``: why closing deserves a question (working orders,
        #: open positions); None = close without asking. Set by the application.
        self.close_guard = None
        #: ``callable(text) -> bool | Awaitable[bool]`` asking the exit question (tests
        #: inject); the default opens a non-blocking question (no nested event loop)
        self.ask_exit = self._ask_exit
        self._quit_confirmed = False
        #: save the geometry and dock state on close (off for ``--screenshot`` runs, which
        #: must not leave their window size in the trader's profile)
        self.keep_layout = True
        self._asking_exit: asyncio.Task | None = None
        # dock sizes only take once the window has its real size: apply them on
        # first show unless a saved layout was restored
        self._size_docks_on_show = not (restore_layout and self.restore_layout())
        if size is not None:    # --geometry WxH: this size whatever was saved
            self.resize(*size)

    # ----------------------------------------------------------------- layout
    def _default_layout(self) -> None:
        """Place every dock in the default arrangement for the window's current width."""
        d = self.docks
        size = self.size()   # the bottom docks sit side by side until tabbed: that widens a window
        if "watchlist" in d:
            self.addDockWidget(Qt.LeftDockWidgetArea, d["watchlist"])
            if "timesales" in d:   # the tape under the watchlist, as on most desks
                self.splitDockWidget(d["watchlist"], d["timesales"], Qt.Vertical)
            if "scanner" in d:     # a tab beside the watchlist: both pick the symbol
                self.tabifyDockWidget(d["watchlist"], d["scanner"])
                d["watchlist"].raise_()
        elif "timesales" in d:
            self.addDockWidget(Qt.LeftDockWidgetArea, d["timesales"])
        if "ticket" in d:
            self.addDockWidget(Qt.RightDockWidgetArea, d["ticket"])
            if "ladder" in d:   # a tab beside the ticket: both trade the selected symbol
                self.tabifyDockWidget(d["ticket"], d["ladder"])
                d["ticket"].raise_()
        elif "ladder" in d:
            self.addDockWidget(Qt.RightDockWidgetArea, d["ladder"])
        bottom = [d[n] for n in ("blotter", "account", "log", "journal", "news", "alerts", "strategies",
                                 "options") if n in d]
        for dock in bottom:
            self.addDockWidget(Qt.BottomDockWidgetArea, dock)
        first = bottom[0]
        wide = "account" in d and "blotter" in d and size.width() >= WIDE_LAYOUT_PX
        if wide:   # account beside the blotter; log and journal are tabs of the blotter
            self.splitDockWidget(d["blotter"], d["account"], Qt.Horizontal)
        for dock in bottom[1:]:
            if not (wide and dock is d["account"]):
                self.tabifyDockWidget(first, dock)
        first.raise_()
        if self.size() != size:
            self.layout().activate()    # the minimum of the tabbed layout, then the size again
            self.resize(size)
        self._default_sizes()

    def _default_sizes(self) -> None:
        """Dock sizes of the default layout from the window size (pixels): the ticket as
        wide as its fields, the watchlist as wide as its columns (at most 40 % of what
        the ticket leaves), the bottom docks about a third of the height."""
        d = self.docks
        w, h = self.width(), self.height()
        widths = []
        if "ticket" in d:
            panel = d["ticket"].widget()
            widths.append((d["ticket"], max(panel.minimumWidth(), panel.minimumSizeHint().width())))
        rest = w - sum(x for _, x in widths)
        if "watchlist" in d:
            want = d["watchlist"].widget().sizeHint().width()
            widths.append((d["watchlist"], max(320, min(want, int(rest * 0.4)))))
        if widths:
            self.resizeDocks([x[0] for x in widths], [x[1] for x in widths], Qt.Horizontal)
        if "watchlist" in d and "timesales" in d and \
                self.dockWidgetArea(d["timesales"]) == self.dockWidgetArea(d["watchlist"]):
            above = h - max(260, min(420, int(h * 0.34)))     # what the bottom docks leave
            tape = max(200, int(above * 0.4))
            self.resizeDocks([d["watchlist"], d["timesales"]], [above - tape, tape], Qt.Vertical)
        if "blotter" in d:
            bottom_h = max(260, min(420, int(h * 0.34)))
            self.resizeDocks([d["blotter"]], [bottom_h], Qt.Vertical)
            account = d.get("account")
            if account is not None and self.dockWidgetArea(account) == Qt.BottomDockWidgetArea \
                    and not self.tabifiedDockWidgets(account):
                ticket_w = widths[0][1] if "ticket" in d else 0
                account_w = max(380, min(_wanted_width(account, bottom_h), int((w - ticket_w) * 0.42)))
                self.resizeDocks([d["blotter"], account], [w - ticket_w - account_w, account_w],
                                 Qt.Horizontal)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if self._size_docks_on_show:
            self._size_docks_on_show = False
            self._default_layout()      # for the size the window is shown at

    def restore_layout(self) -> bool:
        """Apply the saved geometry and dock state; False when none (or incompatible) was saved."""
        s = self.settings
        if int(s.value("window/layoutVersion", 0) or 0) != LAYOUT_VERSION:
            return False
        ok = True
        geometry = s.value("window/geometry")
        if geometry is not None:
            ok &= bool(self.restoreGeometry(geometry))
        state = s.value("window/state")
        if state is not None:
            ok &= bool(self.restoreState(state, LAYOUT_VERSION))
        return ok

    def save_layout(self) -> None:
        s = self.settings
        s.setValue("window/layoutVersion", LAYOUT_VERSION)
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(LAYOUT_VERSION))
        s.sync()

    def reset_layout(self) -> None:
        """Show every dock again in the default arrangement (``layoutReset`` then resets
        what the panels own: link colours, chart arrangement)."""
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self._default_layout()
        self.layoutReset.emit()

    def window_layout(self) -> dict:
        """The window part of a named layout (``app.ui.layouts``): size in pixels, each dock's
        visibility and floating state (readable), and Qt's geometry and dock state (base64)."""
        return {"width": self.width(), "height": self.height(),
                "docks": {name: {"visible": not dock.isHidden(), "floating": dock.isFloating()}
                          for name, dock in self.docks.items()},
                "qt_geometry": bytes(self.saveGeometry().toBase64()).decode("ascii"),
                "qt_state": bytes(self.saveState(LAYOUT_VERSION).toBase64()).decode("ascii"),
                "qt_layout_version": LAYOUT_VERSION}

    def apply_window_layout(self, layout: dict) -> list[str]:
        """Apply a :meth:`window_layout` dict: Qt's state when it is of this build's dock set
        (else the default arrangement; none in a hand-written file: the arrangement stays),
        then each dock's ``visible``. Returns what could not
        be applied, one text each (the rest is applied)."""
        problems = []
        geometry, state = layout.get("qt_geometry"), layout.get("qt_state")
        try:
            if geometry and not self.restoreGeometry(QByteArray.fromBase64(str(geometry).encode("ascii"))):
                problems.append("window geometry not applied (damaged)")
            if state and int(layout.get("qt_layout_version") or 0) != LAYOUT_VERSION:
                problems.append("dock arrangement of an older ibdesk: the default arrangement is used")
                self.reset_layout()
            elif state and not self.restoreState(QByteArray.fromBase64(str(state).encode("ascii")),
                                                 LAYOUT_VERSION):
                problems.append("dock arrangement not applied (damaged)")
        except (TypeError, ValueError, UnicodeEncodeError) as e:
            problems.append(f"window arrangement not applied: {e}")
        for name, entry in (layout.get("docks") or {}).items():
            dock = self.docks.get(name)
            if dock is None:
                problems.append(f"no panel named {name!r} in this ibdesk")
            elif isinstance(entry, dict) and "visible" in entry:
                dock.setVisible(bool(entry["visible"]))
        return problems

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        conn = mb.addMenu("&Connection")
        self.connect_to_action = QAction("&Connect to…", self)
        self.connect_to_action.setToolTip("Host, port and client id of TWS / IB Gateway")
        self.connect_to_action.triggered.connect(self.connectToRequested)
        self.reconnect_action = QAction("&Reconnect", self)
        self.reconnect_action.triggered.connect(self.reconnectRequested)
        self.stop_reconnect_action = QAction("&Stop reconnecting", self)
        self.stop_reconnect_action.setToolTip("Stop the automatic reconnect attempts")
        self.stop_reconnect_action.setEnabled(False)
        self.stop_reconnect_action.triggered.connect(self.stopReconnectRequested)
        self.disconnect_action = QAction("&Disconnect", self)
        self.disconnect_action.triggered.connect(self.disconnectRequested)
        conn.addAction(self.connect_to_action)
        conn.addAction(self.reconnect_action)
        conn.addAction(self.stop_reconnect_action)
        conn.addAction(self.disconnect_action)

        #: the Trading menu (filled by ``app.ui.panels.Panels.install_trading``)
        self.trading_menu = mb.addMenu("&Trading")
        #: the View menu (the panels add Charts ▸ and Layouts ▸: ``app.ui.workspace_menu``)
        self.view_menu = view = mb.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self.reset_layout_action = reset = QAction("Reset &layout", self)
        reset.triggered.connect(self.reset_layout)
        view.addAction(reset)
        #: View → Theme ▸ Light / Dark / Follow system: choice -> QAction (``app.ui.appearance``)
        self.theme_actions = add_theme_menu(view, self.settings, self)
        self.times_menu = install_time_menu(view, self.settings)

        self.help_menu = help_menu = mb.addMenu("&Help")
        self.open_logs_action = QAction("Open &log folder", self)
        self.open_logs_action.setEnabled(False)  # until set_log_folder
        self.open_logs_action.triggered.connect(self.open_log_folder)
        help_menu.addAction(self.open_logs_action)
        self.api_log_action = QAction("&API message log", self)
        self.api_log_action.setCheckable(True)
        self.api_log_action.setEnabled(False)
        self.api_log_action.setToolTip("Log every message to and from TWS / IB Gateway (api.log)")
        self.api_log_action.toggled.connect(self.apiLogToggled)
        help_menu.addAction(self.api_log_action)
        help_menu.addSeparator()
        about = QAction("&About ibdesk", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)
        #: the profile's log folder (``app.logfiles``); None = no log file
        self.log_folder = None
        #: ``callable(QUrl) -> bool`` opening the folder in the desktop's file manager (tests inject)
        self.open_url = QDesktopServices.openUrl

    def set_log_folder(self, folder, api_log: bool) -> None:
        """Enable Help → Open log folder on ``folder`` (a path; None disables it) and show
        whether the API message log is on (without emitting ``apiLogToggled``)."""
        self.log_folder = folder
        self.open_logs_action.setEnabled(folder is not None)
        self.api_log_action.setEnabled(folder is not None)
        self.api_log_action.blockSignals(True)
        self.api_log_action.setChecked(bool(api_log) and folder is not None)
        self.api_log_action.blockSignals(False)
        if folder is not None:
            self.open_logs_action.setStatusTip(str(folder))

    def open_log_folder(self) -> None:
        """Show the log folder in the file manager (a status-bar message when that fails)."""
        if self.log_folder is None:
            return
        if not self.open_url(QUrl.fromLocalFile(str(self.log_folder))):
            self.status.showMessage(f"Could not open {self.log_folder}", 15000)

    def _about(self) -> QMessageBox:
        """Help → About: a non-blocking box (``open()``, not the static ``about()`` that runs
        a nested event loop); returns it."""
        from app import __version__
        box = QMessageBox(QMessageBox.Information, "About ibdesk",
                          f"<b>ibdesk {__version__}</b><br>A desktop trading terminal for "
                          "Interactive Brokers (TWS API, via ib_async).", QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        return box

    # ------------------------------------------------------------- session UI
    def show_connection(self, state: ConnectionState, endpoint: str, message: str = "") -> None:
        """Reflect a connection state change in the status bar, banner and log."""
        self.status.set_state(state, endpoint)
        self.reconnect_action.setEnabled(state in (ConnectionState.LOST, ConnectionState.FAILED,
                                                   ConnectionState.DISCONNECTED,
                                                   ConnectionState.RECONNECTING))
        self.stop_reconnect_action.setEnabled(state is ConnectionState.RECONNECTING)
        self.disconnect_action.setEnabled(state is ConnectionState.CONNECTED)
        if state is not ConnectionState.CONNECTED:
            self.banner.set_mode(None, "", endpoint, lost=state in (ConnectionState.LOST,
                                                                    ConnectionState.RECONNECTING))
            self.status.set_session_info(None, "", None)
            if message and state in (ConnectionState.LOST, ConnectionState.FAILED,
                                     ConnectionState.RECONNECTING):
                # each step of an automatic reconnect stays until the next one
                timeout = 0 if state is ConnectionState.RECONNECTING else 30000
                self.status.showMessage(f"{state.value}: {message}", timeout)
        else:
            self.status.clearMessage()
        level = "ERROR" if state in (ConnectionState.LOST, ConnectionState.FAILED) else "INFO"
        self.log.add(level, f"{state.value} {endpoint}" + (f": {message}" if message else ""))

    def show_session(self, kind: AccountKind, account: str, server_version: int, endpoint: str) -> None:
        """Show the connected account: banner, status bar and window title."""
        self.banner.set_mode(kind, account, endpoint)
        self.status.set_session_info(server_version, account, kind)
        self.setWindowTitle(f"ibdesk — {kind.value} — {account} — {endpoint}")

    async def _ask_exit(self, text: str) -> bool:
        return await ask_yes_no(self, "Quit ibdesk?", f"You have {text}.", yes="Quit", no="No",
                                informative="Quit anyway?")

    async def _exit_when_confirmed(self, answer, warning: str) -> None:
        try:
            yes = bool(await answer)
        except Exception:   # the question failed: stay open, the trader can try again
            log.exception("exit question failed")
            yes = False
        if not yes:
            self.log.add("INFO", f"Quit cancelled: {warning}")
            return
        self._quit_confirmed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        """Close (saving the layout) unless ``close_guard`` has a warning and the trader does
        not confirm it. An asynchronous answer (the default question) keeps the window open
        while it is asked; "Quit" then closes it."""
        warning = None if self._quit_confirmed or self.close_guard is None else self.close_guard()
        if warning:
            answer = self.ask_exit(warning)
            if inspect.isawaitable(answer):
                event.ignore()
                if self._asking_exit is not None and not self._asking_exit.done():
                    if inspect.iscoroutine(answer):     # the question is open already
                        answer.close()
                    return
                self._asking_exit = asyncio.ensure_future(self._exit_when_confirmed(answer, warning))
                return
            if not answer:
                event.ignore()
                self.log.add("INFO", f"Quit cancelled: {warning}")
                return
        if self.keep_layout:
            self.save_layout()
        self.closing.emit()
        super().closeEvent(event)


def _wanted_width(dock: QDockWidget, height: int) -> int:
    """The width the dock's panel asks for (``sizeHint``) in a dock ``height`` pixels high,
    plus the vertical scroll bar when the panel sits in a scroll area (:func:`_scrolled`)
    and is taller than that."""
    w = dock.widget()
    if isinstance(w, QScrollArea):
        panel = w.widget()
        bar = w.style().pixelMetric(QStyle.PM_ScrollBarExtent)
        return panel.sizeHint().width() + (bar if panel.minimumSizeHint().height() > height else 0)
    return w.sizeHint().width()


def _scrolled(panel: QWidget) -> QScrollArea:
    """``panel`` in a frameless vertical scroll area as wide as the panel needs: a dock
    shorter than the panel scrolls it instead of squeezing its widgets over each other."""
    area = QScrollArea()
    area.setObjectName(f"{panel.objectName() or 'panel'}Scroll")
    area.setFrameShape(QFrame.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    area.setWidget(panel)
    bar = area.style().pixelMetric(QStyle.PM_ScrollBarExtent)
    area.setMinimumWidth(panel.minimumSizeHint().width() + bar)
    return area
