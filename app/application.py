"""Wires the terminal together and runs it on one qasync event loop.

Order of events: (demo mode) start the simulated gateway child process ->
build Session, OrderCommands, view-models and widgets -> show the window ->
connect (async) -> restore watchlist subscriptions and chart. On close:
cancel subscriptions, disconnect, stop the child gateway.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from app.cli import LIVE_PORTS, Options
from app.domain import AccountKind, ConnectionState, account_kind

log = logging.getLogger("ibdesk")

ORGANIZATION = "ibdesk"


def open_settings(profile: str) -> QSettings:
    """The settings store of a profile (INI under the user's config folder,
    ``$XDG_CONFIG_HOME/ibdesk/<profile>.ini``), private: the file 0600 in a 0700 folder, created
    so or tightened if an earlier version left it readable by others (``app.privacy``; Qt keeps
    an existing file's mode when it saves). A folder or file that cannot be changed is logged
    and left as it is."""
    from app.privacy import private_dir, private_file

    settings = QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, profile)
    path = Path(settings.fileName())
    try:
        private_dir(path.parent)
        private_file(path)
    except OSError as e:
        log.warning("settings file %s: could not make it private (%s)", path, e)
    return settings


class Terminal:
    """One running terminal: session, commands, view-models, window.

    ``endpoint`` is "host:port"; ``simulated`` says the gateway is ibdesk's own
    (the banner then says SIMULATED whatever the account id); ``log_folder`` the profile's
    log folder (``app.logfiles.setup_logging``), None when there is no log file.
    """

    def __init__(self, opts: Options, port: int, *, simulated: bool, log_folder: Path | None = None):
        from app.broker.session import Session
        from app.commands import OrderCommands
        from app.ui.panels import build_panels

        self.opts = opts
        self.simulated = simulated
        self.endpoint = f"{opts.host}:{port}"
        self.settings = open_settings(opts.profile)
        self.session = Session(opts.host, port, opts.client_id, connect_timeout=opts.connect_timeout)
        # the audit journal records every order intent, check, decision, API call and
        # broker callback; it never blocks trading (app.journal)
        self.journal = None
        self._detach_journal = lambda: None
        if opts.journal is not None:
            from app.broker.journal_tap import attach_journal
            from app.journal import Journal
            self.journal = Journal(opts.journal, client_id=opts.client_id)
            self._detach_journal = attach_journal(self.journal, self.session)
        from app.commands.risk_settings import load_limits
        self.commands = OrderCommands(self.session, read_only=opts.read_only,
                                      limits=load_limits(self.settings), journal=self.journal)
        self.panels = build_panels(self.session, self.commands, self.settings, journal=self.journal)
        from app.ui.main_window import MainWindow
        self.window = MainWindow(self.panels.charts, self.panels.docks(), self.settings,
                                 restore_layout=not opts.reset_layout, size=opts.geometry,
                                 chips=self.panels.chips)
        self.panels.install_trading(self.window)
        if opts.screenshot is None:
            self.window.close_guard = self.exit_warning
        else:       # a screenshot (e.g. --geometry 1280x720) leaves the saved layout alone
            self.window.keep_layout = False
        # reconnects by itself after a drop, a gateway restart or a dead link (app.broker.supervisor)
        from app.broker.supervisor import ConnectionSupervisor
        self.supervisor = ConnectionSupervisor(self.session)
        self._live_confirmed = ""      # the live account the trader accepted on this endpoint
        #: the open question (Connect to…, live account) as a task: dialogs never block the loop
        self._asking: asyncio.Task | None = None
        self.window.reconnectRequested.connect(self.reconnect)
        self.window.disconnectRequested.connect(self.session.disconnect)
        self.window.stopReconnectRequested.connect(self.supervisor.stop)
        self.window.connectToRequested.connect(self.ask_endpoint)
        self.session.stateEvent += self._on_state
        self.session.errorEvent += self.window.log.add_gateway_message
        # every gateway code to the log file; Help -> Open log folder / API message log
        from app.logfiles import api_log_enabled, log_gateway_message
        self.session.errorEvent += log_gateway_message
        self.log_folder = log_folder
        self.window.set_log_folder(log_folder, api_log_enabled())
        self.window.apiLogToggled.connect(self.set_api_log)
        self.window.show_connection(ConnectionState.DISCONNECTED, self.endpoint)

    def set_api_log(self, on: bool) -> bool:
        """Turn the API message log (``api.log`` in the log folder) on or off and remember the
        choice in the profile's settings; returns whether it is on (False without a log folder)."""
        from app.logfiles import API_LOG_SETTING, set_api_log

        on = set_api_log(on, self.log_folder)
        self.settings.setValue(API_LOG_SETTING, on)
        self.window.set_log_folder(self.log_folder, on)
        return on

    @property
    def kind(self) -> AccountKind:
        if self.simulated:
            return AccountKind.SIMULATED
        return account_kind(self.session.account_id)

    def _on_state(self, state: ConnectionState, message: str) -> None:
        self.window.show_connection(state, self.endpoint, message)
        if state is ConnectionState.CONNECTED:
            self.window.show_session(self.kind, self.session.account_id,
                                     self.session.server_version, self.endpoint)
            self.panels.ticket_model.set_account_kind(self.kind)
            # after the event: a question must not run inside the session's emit
            asyncio.get_event_loop().call_soon(self._after_connect)

    def _after_connect(self) -> None:
        """Every (re)connect, by the trader or the supervisor: a live account is confirmed
        once per endpoint and account (a non-blocking question), then the panels subscribe."""
        if not self.session.is_connected:
            return
        account = self.session.account_id
        if not self.simulated and self.kind is AccountKind.LIVE and not self.opts.yes_live \
                and self._live_confirmed != f"{self.endpoint}/{account}":
            if self._asking is None or self._asking.done():
                self._asking = asyncio.ensure_future(self.confirm_live_then_subscribe(account))
            return
        self.panels.on_connected()

    async def confirm_live_then_subscribe(self, account: str) -> bool:
        """Ask whether to trade on live ``account`` (the loop keeps running meanwhile); Yes:
        remember it for this endpoint and subscribe the panels; No: disconnect. True on Yes."""
        if not await ask_live(self.window, account, self.endpoint):
            self.window.log.add("INFO", "Live connection declined by the user: disconnected")
            self.session.disconnect()
            return False
        self._live_confirmed = f"{self.endpoint}/{account}"
        if self.session.is_connected:
            self.panels.on_connected()
        return True

    async def connect(self) -> bool:
        """Connect (the panels subscribe on CONNECTED); False (and a log line) on failure."""
        try:
            await self.session.connect()
        except ConnectionError as e:
            self.window.log.add("ERROR", str(e))
            self.window.status.showMessage(str(e), 15000)
            return False
        await asyncio.sleep(0)          # _after_connect (and its live question) runs first
        return self.session.is_connected

    def reconnect(self) -> None:
        """Connection → Reconnect: try at once and keep supervising (also after "Stop
        reconnecting")."""
        self.supervisor.start()
        self.supervisor.reconnect_now()

    def ask_endpoint(self) -> asyncio.Task:
        """Connection → Connect to…: start :meth:`ask_endpoint_async` (a task)."""
        self._asking = asyncio.ensure_future(self.ask_endpoint_async())
        return self._asking

    async def ask_endpoint_async(self) -> bool:
        """Ask for host, port and client id (remembered in the profile), then disconnect and
        connect there; a live port asks first. Both dialogs are non-blocking (``open()``, no
        nested event loop). True when the endpoint was switched."""
        from app.ui.confirm import run_dialog
        from app.ui.connect_dialog import ConnectDialog, Endpoint, remember, remembered

        current = Endpoint(self.session.host, self.session.port, self.session.client_id)
        dialog = ConnectDialog(remembered(self.settings, current), self.window)
        if await run_dialog(dialog) != ConnectDialog.Accepted:
            return False
        ep = dialog.endpoint()
        if ep.port in LIVE_PORTS and not self.opts.yes_live \
                and not await ask_live(self.window, "", f"{ep.host}:{ep.port}"):
            return False
        remember(self.settings, ep)
        self.switch_endpoint(ep.host, ep.port, ep.client_id)
        return True

    def switch_endpoint(self, host: str, port: int, client_id: int) -> None:
        """Disconnect, then connect to ``host:port`` as ``client_id`` (the supervisor keeps
        that connection up). Raises ``ValueError`` for a bad port or client id."""
        self.session.disconnect()
        self.session.set_endpoint(host, port, client_id)
        new = f"{host}:{port}"
        if new != self.endpoint:
            self.simulated = False      # ibdesk's own gateway is only the one it started
        self.endpoint = new
        self.reconnect()

    def exit_warning(self) -> str | None:
        """Why quitting now deserves a second thought (working orders of this client, open
        positions, orders whose fate a lost connection left unknown), or None. Orders stay
        working at IB after the terminal exits."""
        from app.domain import OrderStatus

        cid = self.session.client_id
        own = [o for o in self.session.orders() if o.client_id == cid]
        unknown = [o for o in own if o.status is OrderStatus.UNKNOWN]
        parts = []
        if not self.session.is_connected:
            last = [o for o in own if o.is_working]
            if last:
                parts.append(f"{_n(len(last), 'order')} that were working when the connection was "
                             "lost (not connected: their state now is unknown; they may still be "
                             "working at IB)")
            if unknown:
                parts.append(f"{_n(len(unknown), 'order')} in an unknown state (check TWS)")
            return " and ".join(parts) if parts else None
        working = [o for o in own if o.is_working]
        open_pos = [p for p in self.session.positions() if p.quantity]
        if unknown:
            parts.append(f"{_n(len(unknown), 'order')} in an unknown state after a reconnect "
                         "(check TWS)")
        if working:
            parts.append(f"{len(working)} working order{'s' if len(working) != 1 else ''} "
                         "(they stay working at IB after ibdesk exits)")
        if open_pos:
            names = ", ".join(f"{p.quantity:+,g} {p.instrument.display_symbol}" for p in open_pos[:5])
            parts.append(f"{len(open_pos)} open position{'s' if len(open_pos) != 1 else ''} ({names})")
        return " and ".join(parts) if parts else None

    def shutdown(self) -> None:
        self.supervisor.close()
        try:
            self.panels.shutdown()
        finally:
            self.session.disconnect()
            self._detach_journal()
            if self.journal is not None:
                self.journal.close()
            self.settings.sync()


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _live_text(account: str, endpoint: str) -> str:
    return (f"<b>{endpoint}</b> is a LIVE trading connection"
            + (f" (account {account})" if account else "") + ".<br>Orders will use real money.")


async def ask_live(parent, account: str, endpoint: str) -> bool:
    """Ask before trading on a live account (DESIGN.md, Safety model), without blocking the
    event loop; True only on an explicit Yes (No is the default)."""
    from app.ui.confirm import ask_yes_no

    return await ask_yes_no(parent, "Live trading account", _live_text(account, endpoint),
                            informative="Continue with this live connection?")


def confirm_live(parent, account: str, endpoint: str) -> bool:
    """Ask before trading on a live account (DESIGN.md, Safety model). Blocking: only for
    the start-up question, asked before the event loop runs (:func:`ask_live` otherwise)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Warning)
    box.setWindowTitle("Live trading account")
    box.setText(_live_text(account, endpoint))
    box.setInformativeText("Continue with this live connection?")
    box.setStandardButtons(QMessageBox.Yes | QMessageBox.No)
    box.setDefaultButton(QMessageBox.No)
    return box.exec() == QMessageBox.Yes


def run(opts: Options) -> int:
    """Run the terminal until its window closes; returns the process exit code."""
    import qasync

    from app.logfiles import API_LOG_SETTING, setup_logging
    from app.privacy import protect_own_files
    from app.settings_values import setting_bool

    from app.qtplatform import platform_problem

    if QApplication.instance() is None:
        problem = platform_problem()       # Qt would abort (exit 134) with a long plugin dump
        if problem:
            print(problem, file=sys.stderr)
            return 2
    # private by default: umask 0o077, and what earlier versions left readable is tightened
    protect_own_files()
    api_log = opts.api_log or setting_bool(open_settings(opts.profile).value(API_LOG_SETTING), False)
    # WARNING and above to stderr as before; INFO and above to the profile's rotating log file
    log_folder = setup_logging(opts.profile, api_log=api_log)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ibdesk")
    app.setOrganizationName(ORGANIZATION)
    # Fusion in the profile's theme (or --theme) before the first window shows
    from app.ui.appearance import apply_theme, saved_theme
    apply_theme(opts.theme or saved_theme(open_settings(opts.profile)), app)
    # main() below decides when the terminal ends (the window's closing signal), then ends
    # its background tasks on the still-running loop: Qt must not stop the loop first
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # garbage is collected on the GUI thread only (a Qt object freed by a
    # collection on another thread, e.g. the gateway log drain, can crash Qt)
    from pyqtgraph.util.garbage_collector import GarbageCollector
    collector = GarbageCollector(interval=0.5)  # noqa: F841 (kept alive until run() returns)

    gateway = None
    port = opts.port
    if opts.demo:
        from app.simlauncher import GatewayStartError, SimulatedGatewayProcess
        from app.sim.clock import parse_start_time
        sim_start = parse_start_time(opts.sim_start)
        gateway = SimulatedGatewayProcess(seed=opts.seed, bars_dir=opts.bars_dir, start_time=sim_start,
                                          state_path=opts.sim_state, speed=opts.sim_speed)
        try:
            port = gateway.start()
        except GatewayStartError as e:
            print(f"ibdesk: {e}", file=sys.stderr)
            return 1
    elif opts.port in LIVE_PORTS and not opts.yes_live and opts.screenshot is None:
        if not confirm_live(None, "", f"{opts.host}:{opts.port}"):
            print("ibdesk: live connection declined", file=sys.stderr)
            return 1

    exit_code = 0
    terminal = None
    try:
        terminal = Terminal(opts, port, simulated=opts.demo, log_folder=log_folder)
        from app import startup_report
        startup_report.install(terminal.panels)  # IBDESK_REPORT_STARTUP only (benchmarks)
        if gateway is not None and gateway.start_time is not None:
            terminal.window.log.add("INFO", describe_replay(gateway.start_time))
        done = asyncio.Event()
        terminal.window.closing.connect(done.set)
        terminal.window.show()

        async def main() -> None:
            nonlocal exit_code
            watchdog = None
            try:
                connected = await terminal.connect()
                terminal.supervisor.start()     # from now on, reconnect by itself
                if opts.screenshot is not None:
                    exit_code = await take_screenshot(terminal, opts, connected)
                    return
                if gateway is not None:
                    watchdog = asyncio.ensure_future(keep_gateway_alive(gateway, terminal.window.log.add))
                await done.wait()
            finally:
                # end the background tasks while the loop still runs (not "destroyed pending")
                if watchdog is not None:
                    watchdog.cancel()
                    await asyncio.gather(watchdog, return_exceptions=True)
                await terminal.supervisor.aclose()
                if opts.screenshot is not None:
                    terminal.window.close()

        with loop:
            loop.run_until_complete(main())
    finally:
        if terminal is not None:
            terminal.shutdown()
        if gateway is not None:
            gateway.stop()
    return exit_code


async def keep_gateway_alive(gateway, say, interval: float = 1.0) -> None:
    """Demo mode: when the simulated gateway child dies by itself (a crash, ``kill -9``),
    start it again on the same port from its state file (every acknowledged change is
    there, ``app.sim.durable``), so the supervisor's reconnect finds it. ``say(level, text)``
    reports each step (the Log panel). Runs until cancelled; a failed restart is retried
    with a growing pause (up to 30 s)."""
    from app.simlauncher import GatewayStartError

    loop = asyncio.get_running_loop()
    pause = interval
    while True:
        await asyncio.sleep(pause)
        code = gateway.exit_code()
        if code is None:
            pause = interval
            continue
        say("ERROR", f"The simulated gateway exited (code {code}); starting it again on port "
                     f"{gateway.port}" + (" from its state file" if gateway.state_path else ""))
        try:
            await loop.run_in_executor(None, gateway.restart)
        except GatewayStartError as e:
            say("ERROR", str(e))
            pause = min(30.0, max(pause * 2, 2.0))
            continue
        say("INFO", f"The simulated gateway is back on port {gateway.port}")
        pause = interval


def describe_replay(start_time: float) -> str:
    """The log line telling the user that the demo market replays an earlier session."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    t = datetime.fromtimestamp(start_time, ZoneInfo("America/New_York"))
    return (f"US stocks are closed now: the simulated market replays {t:%a %d %b %Y} from "
            f"{t:%H:%M} New York time (use --sim-start now for the wall clock)")


#: seconds a screenshot waits, once quotes and chart are in, for time & sales to show trades
TAPE_WAIT_S = 8.0


async def take_screenshot(terminal: Terminal, opts: Options, connected: bool) -> int:
    """Wait until quotes and the chart have loaded, then save the window to ``opts.screenshot``.

    Returns 0 on success; 1 (after saving what is there) when not connected or
    the data did not load within ``opts.screenshot_timeout`` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + opts.screenshot_timeout
    ready = False
    while connected and loop.time() < deadline:
        if terminal.panels.is_ready():
            ready = True
            break
        await asyncio.sleep(0.1)
    # the tape fills with the next trades: give it a few seconds (a closed market prints none)
    tape_end = min(deadline, loop.time() + TAPE_WAIT_S)
    while ready and loop.time() < tape_end and not terminal.panels.tape_has_prints():
        await asyncio.sleep(0.1)
    # let coalesced view updates flush and the window paint
    await asyncio.sleep(0.6)
    QApplication.processEvents()
    image = terminal.window.grab()
    if not image.save(str(opts.screenshot)):
        print(f"ibdesk: could not write screenshot to {opts.screenshot}", file=sys.stderr)
        return 1
    if not ready:
        why = "not connected" if not connected else f"data did not load within {opts.screenshot_timeout:.0f} s"
        print(f"ibdesk: screenshot saved to {opts.screenshot}, but {why}", file=sys.stderr)
        return 1
    print(f"ibdesk: screenshot saved to {opts.screenshot}")
    return 0
