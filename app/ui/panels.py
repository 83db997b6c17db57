"""Builds the terminal's panels (view-models + widgets) and wires them together.

The main window only places what this module builds: the chart as the central
widget and the docked panels. Wiring done here:

- watchlist selection -> chart view-model and order ticket (one instrument);
- settings (QSettings, per profile): the named watchlists (``app.viewmodels.watchlists``:
  names, symbols, the shown list; saved when a list is added, renamed, removed or
  reordered, and on shutdown), the selected symbol,
  each table's columns (shown, order, widths: ``columns/<table>/*``), chart bar
  size, chart style and indicators with their parameters
  (``app.ui.chart.indicator_menu``), "confirm before transmit" of the ticket and
  "confirm cancel" of the blotter; saved on change and on shutdown;
- after every (re)connect: resolve and subscribe the watchlist, reload the chart
  (a subscription does not survive a new API connection).
"""

from __future__ import annotations

import asyncio
import json
import logging

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QWidget

from app.settings_values import setting_bool
from app.domain import Instrument
from app.domain.bars import BAR_SIZES
from app.ui.account import AccountPanel
from app.ui.alerts import make_alerts_panel
from app.ui.blotter import BlotterView
from app.ui.journal_view import JournalView
from app.ui.ladder import LadderPanel
from app.ui.news import NewsView
from app.ui.scanner import ScannerView
from app.ui.chart.indicator_menu import load_chart_state, save_chart_state
from app.ui.chart.view import ChartView
from app.ui.chart.workspace import ChartWorkspace
from app.ui.link_button import LinkButton
from app.ui.ticket import OrderTicket
from app.ui.timesales import TimeSalesView
from app.ui.watchlist import WatchlistView
from app.ui.watchlists import WatchlistTabs
from app.viewmodels.account import AccountSummary, PositionsModel
from app.viewmodels.chart import ChartViewModel
from app.viewmodels.executions import ExecutionsModel
from app.viewmodels.orders import OrdersModel
from app.viewmodels.news import NewsModel
from app.viewmodels.scanner import ScannerModel
from app.viewmodels.ticket import TicketModel
from app.viewmodels.timesales import TimeSalesModel
from app.viewmodels.watchlist import WatchlistModel
from app.viewmodels.links import DEFAULT_COLOUR, LinkGroups
from app.viewmodels.watchlists import KEY_OLD_SYMBOLS, WatchlistSet

log = logging.getLogger(__name__)

#: the first list's symbols (the single watchlist of older versions; read once, still written)
KEY_SYMBOLS = KEY_OLD_SYMBOLS
KEY_SELECTED = "watchlist/selected"
#: the watchlist's hidden columns (``app.ui.columns.TableColumns``, ``columns/<table>/*``)
KEY_HIDDEN_COLUMNS = "columns/watchlist/hidden"
KEY_BAR_SIZE = "chart/bar_size"
KEY_CONFIRM_ORDERS = "ticket/confirm_orders"
KEY_CONFIRM_CANCELS = "blotter/confirm_cancels"
KEY_CONFIRM_MODIFIES = "blotter/confirm_modifies"
KEY_STATUS_FILTER = "blotter/status_filter"
KEY_SYMBOL_FILTER = "blotter/symbol_filter"
DEFAULT_BAR_SIZE = "5 mins"
#: the workspace (link colours, charts, symbols of unlinked panels) as JSON: :meth:`Panels.workspace_state`
KEY_WORKSPACE = "workspace/state"
#: the main chart: the trading actions' chart, never closed (``Panels.chart_view``)
MAIN_CHART = "chart1"
#: docks with a link-colour chip (they select a symbol, follow one, or both)
LINKED_DOCKS = ("watchlist", "scanner", "ticket", "ladder", "timesales", "alerts")


class Panels(QObject):
    """The view-models and widgets of one terminal window.

    ``session`` is an ``app.broker.session.Session`` (or a fake with the same
    contract), ``commands`` an ``app.commands.OrderCommands``; ``settings`` the
    profile's QSettings. ``watchlists`` holds every named list, ``watchlist_tabs`` is the
    Watchlist dock; ``watchlist`` / ``watchlist_model`` are the shown list's view and model.
    """

    def __init__(self, session, commands, settings: QSettings, parent: QObject | None = None, *,
                 journal=None):
        super().__init__(parent)
        self.session = session
        self.commands = commands
        self.settings = settings
        self.journal = journal
        self.window = None     # the MainWindow, once install_trading ran
        self.hotkeys = None    # HotkeyRegistry and TradingActions, built by install_trading
        self.trading = None

        self.watchlists = WatchlistSet(session, self)
        for s in self.watchlists.load(settings):
            log.warning("watchlist entry from settings skipped: %s", s)
        self.ticket_model = TicketModel(session, commands, self)
        self.orders_model = OrdersModel(session, self,
                                        placed_times=journal.first_seen if journal is not None else None)
        self.executions_model = ExecutionsModel(session, self)
        self.account_summary = AccountSummary(session, self)
        self.positions_model = PositionsModel(session, self)
        bar_size = str(settings.value(KEY_BAR_SIZE, DEFAULT_BAR_SIZE))
        self.chart_model = ChartViewModel(session, self,
                                          bar_size=bar_size if bar_size in BAR_SIZES else DEFAULT_BAR_SIZE)

        self.watchlist_tabs = WatchlistTabs(self.watchlists)
        self.ticket = OrderTicket(self.ticket_model)
        self.blotter = BlotterView(self.orders_model, self.executions_model, commands)
        self.account = AccountPanel(self.account_summary, self.positions_model)
        self.chart_view = ChartView(self.chart_model)
        self.timesales_model = TimeSalesModel(session, self)
        self.timesales = TimeSalesView(self.timesales_model)
        # the ladder shares the ticket's confirmation toggles (one rule for every order entry)
        self.ladder = LadderPanel(session, commands, toggles=self.ticket.toggles)
        self.scanner_model = ScannerModel(session, self)
        self.scanner = ScannerView(self.scanner_model)
        self.news_model = NewsModel(session, self)
        self.news = NewsView(self.news_model)
        self.alerts = make_alerts_panel(session, settings)   # <profile>.alerts.json
        self.journal_view = JournalView(journal) if journal is not None else None

        self.ticket.confirm_orders = setting_bool(settings.value(KEY_CONFIRM_ORDERS), True)
        self.ticket.load_confirm_settings(settings)  # per order kind (confirm/<kind>)
        self.blotter.confirm_cancels = setting_bool(settings.value(KEY_CONFIRM_CANCELS), True)
        self.blotter.confirm_modifies = setting_bool(settings.value(KEY_CONFIRM_MODIFIES), True)
        try:
            self.blotter.status_filter = str(settings.value(KEY_STATUS_FILTER, "all") or "all")
        except ValueError as e:
            log.warning("blotter status filter from settings ignored: %s", e)
        self.blotter.symbol_filter = str(settings.value(KEY_SYMBOL_FILTER, "") or "")
        self._selected = str(settings.value(KEY_SELECTED, "") or "")
        for columns in self.table_columns()[1:]:
            self._restore_columns(columns)       # the user's columns and widths per table
        for view in self.watchlist_tabs.views:
            self._watchlist_view(view)
        self.watchlist_tabs.viewCreated.connect(self._watchlist_view)
        self.watchlist_tabs.instrumentSelected.connect(lambda inst: self.select_instrument(inst, "watchlist"))
        for sig in (self.watchlists.listAdded, self.watchlists.listRemoved,
                    self.watchlists.listRenamed, self.watchlists.currentChanged):
            sig.connect(self._save_watchlists)
        self.watchlists.listAdded.connect(lambda i: self._watch_order(self.watchlists.model(i)))
        for m in self.watchlists.models():
            self._watch_order(m)
        # link groups (TWS colour grouping): what one panel selects, its colour follows
        self.links = LinkGroups(self)
        self.links.add("watchlist", self._watchlist_follow)
        self.links.add("scanner", None)            # selects (double-click), never follows
        self.links.add("ticket", lambda inst: self.ticket.set_instrument(inst))
        self.links.add("ladder", lambda inst: self.ladder.set_instrument(inst))
        self.links.add("timesales", lambda inst: self.timesales.set_instrument(inst))
        self.links.add("alerts", lambda inst: self.alerts.set_instrument(inst))
        #: the link chip of each linked dock (MainWindow puts it in the dock's title bar)
        self.chips = {name: LinkButton(self.links, name) for name in LINKED_DOCKS}
        self.scanner.instrumentChosen.connect(lambda inst: self.select_instrument(inst, "scanner"))
        self.ticket.instrumentChosen.connect(lambda inst: self.select_instrument(inst, "ticket"))
        ladder_chosen = getattr(self.ladder, "instrumentChosen", None)
        if ladder_chosen is not None:
            ladder_chosen.connect(lambda inst: self.select_instrument(inst, "ladder"))
        #: the central charts (tabs or a grid), each with its own symbol, bar size and indicators
        self.charts = ChartWorkspace(fixed=(MAIN_CHART,))
        self._chart_models: dict[str, ChartViewModel] = {}
        self._workspace_loaded = False
        self._add_chart(MAIN_CHART, self.chart_model, self.chart_view)
        self.charts.newChartRequested.connect(self._new_chart_clicked)
        self.charts.closeRequested.connect(self.close_chart)
        # trading from the chart: order lines, fills, average cost; right-click prefills the ticket
        self.chart_view.attach_trading(session, commands)
        self.chart_view.prefillRequested.connect(self.ticket.prefill)
        self.chart_view.order_lines.confirm_orders = self.ticket.confirm_orders
        # toggles are saved when changed, not only at exit (a crash keeps them)
        self.ticket.confirm_box.toggled.connect(self._confirm_orders_toggled)
        self.ticket.confirmTogglesChanged.connect(self._confirm_kinds_toggled)
        self.chart_model.selectionChanged.connect(self._save_bar_size)
        load_chart_state(settings, self.chart_view)  # style and indicators of the last session
        self.chart_view.stateChanged.connect(lambda: save_chart_state(self.settings, self.chart_view))
        self._starting: asyncio.Future | None = None
        #: panel -> the instrument it had when unlinked (restored on the first connect)
        self._own_instruments: dict[str, Instrument] = {}
        self._workspace_loaded = False     # no save before the saved workspace is read
        for problem in self._load_workspace():
            log.warning("saved workspace: %s", problem)
        self._workspace_loaded = True
        self.charts.changed.connect(self._save_workspace)
        self.links.colourChanged.connect(self._save_workspace)

    # ---- the watchlists -------------------------------------------------------
    @property
    def watchlist(self) -> WatchlistView:
        """The shown watchlist's view."""
        return self.watchlist_tabs.current_view

    @property
    def watchlist_model(self) -> WatchlistModel:
        """The shown watchlist's model."""
        return self.watchlists.current_model

    def _restore_columns(self, columns) -> None:
        columns.restore(self.settings)
        columns.changed.connect(lambda c=columns: c.save(self.settings))   # saved at once

    def _watchlist_view(self, view: WatchlistView) -> None:
        """A list's view: the saved columns, and a column shown or hidden in one tab is
        shown or hidden in every tab (one ``columns/watchlist/*`` per profile)."""
        self._restore_columns(view.columns)
        view.columns.changed.connect(lambda c=view.columns: self._share_watchlist_columns(c))

    def _share_watchlist_columns(self, columns) -> None:
        hidden = columns.hidden_columns()
        for v in self.watchlist_tabs.views:
            if v.columns is not columns:
                v.columns.set_hidden_columns(hidden)

    def _watch_order(self, model: WatchlistModel) -> None:
        model.rowsMoved.connect(self._save_watchlists)    # a dragged row: the order is saved

    def _save_watchlists(self, *_args) -> None:
        self.watchlists.save(self.settings)

    # ---- the main window's view ---------------------------------------------
    def docks(self) -> dict[str, QWidget]:
        """Docked panels by name (MainWindow names the docks ``dock.<name>``)."""
        docks = {"watchlist": self.watchlist_tabs, "ticket": self.ticket,
                 "blotter": self.blotter, "account": self.account, "timesales": self.timesales,
                 "ladder": self.ladder, "scanner": self.scanner, "news": self.news,
                 "alerts": self.alerts}
        if self.journal_view is not None:
            docks["journal"] = self.journal_view
        return docks

    def table_columns(self) -> list:
        """The :class:`app.ui.columns.TableColumns` of every record table (the shown
        watchlist, orders, executions, positions), saved and restored with the profile
        (every watchlist tab reads the same ``columns/watchlist/*`` when built)."""
        return [self.watchlist.columns, self.blotter.orders_columns,
                self.blotter.executions_columns, self.account.columns]

    def select_instrument(self, instrument: Instrument, source: str = "watchlist") -> list[str]:
        """The panel ``source`` (a link member: "watchlist", "scanner", "ticket", "ladder",
        "chart2" …) selected ``instrument``: every other panel of its link colour loads it
        (none when ``source`` is not linked). Returns the panels that followed."""
        if source == "watchlist":
            self._selected = instrument.display_symbol
            self.settings.setValue(KEY_SELECTED, self._selected)
        return self.links.select(source, instrument)

    def _watchlist_follow(self, instrument: Instrument) -> None:
        """The watchlist follows its colour by selecting the symbol's row when it has one."""
        self.watchlist.select_symbol(instrument.display_symbol)

    # ---- charts ----------------------------------------------------------------
    def chart_models(self) -> dict[str, ChartViewModel]:
        """Every chart's view-model by name ("chart1" is the main chart)."""
        return dict(self._chart_models)

    def _add_chart(self, name: str, model: ChartViewModel, view: ChartView,
                   colour: str = DEFAULT_COLOUR) -> None:
        self._chart_models[name] = model
        self.links.add(name, lambda inst: model.set_instrument(inst), colour)
        view.add_chip(LinkButton(self.links, name))
        view.instrumentChosen.connect(lambda inst, n=name: self.select_instrument(inst, n))
        self.charts.add_chart(name, view)
        model.selectionChanged.connect(self._save_workspace)
        view.stateChanged.connect(self._save_workspace)

    def new_chart(self, entry: dict | None = None) -> str:
        """Open one more chart (tab or grid cell) and return its name. ``entry`` is a chart of
        :meth:`workspace_state` (bar size, style, indicators, instrument, link colour); without
        it the chart starts on the current chart's symbol and bar size, in the default colour.
        Raises ``ValueError`` when ``app.ui.chart.workspace.MAX_CHARTS`` are open."""
        if not self.charts.can_add():
            raise ValueError(f"At most {self.charts.count()} charts: each one is a live history "
                             "subscription")
        entry = dict(entry or {})
        current = self._chart_models.get(self.charts.current_name(), self.chart_model)
        bar_size = str(entry.get("bar_size") or current.bar_size)
        name = next(f"chart{i}" for i in range(2, 100) if f"chart{i}" not in self._chart_models)
        model = ChartViewModel(self.session, self,
                               bar_size=bar_size if bar_size in BAR_SIZES else DEFAULT_BAR_SIZE)
        view = ChartView(model)
        view.attach_trading(self.session, self.commands)
        view.prefillRequested.connect(self.ticket.prefill)
        view.order_lines.confirm_orders = self.ticket.confirm_orders
        colour = str(entry.get("link", DEFAULT_COLOUR) or "")
        try:
            self._add_chart(name, model, view, colour)
        except ValueError:
            self._add_chart(name, model, view)
        for problem in view.restore_state(entry) if entry else []:
            log.warning("chart %s: %s", name, problem)
        inst = self._entry_instrument(entry) or self.links.current(self.links.colour(name)) \
            or current.instrument
        if inst is not None:
            model.set_instrument(inst)
        return name

    def _new_chart_clicked(self) -> None:
        try:
            self.new_chart()
        except ValueError as e:
            if self.window is not None:
                self.window.status.showMessage(str(e), 10000)

    def close_chart(self, name: str) -> None:
        """Close chart ``name`` (its history subscription is cancelled). The main chart stays:
        ``ValueError`` for it; ``KeyError`` for an unknown name."""
        view = self.charts.remove_chart(name)     # raises for the main / last chart
        model = self._chart_models.pop(name)
        self.links.remove(name)
        view.detach_trading()
        model.shutdown()
        view.deleteLater()
        model.deleteLater()
        self._save_workspace()

    @staticmethod
    def _entry_instrument(entry: dict) -> Instrument | None:
        raw = entry.get("instrument")
        if not raw:
            return None
        try:
            return Instrument.from_dict(raw)
        except ValueError as e:
            log.warning("saved chart instrument skipped: %s", e)
            return None

    # ---- the workspace (link colours, charts) -----------------------------------
    def workspace_state(self) -> dict:
        """``{"links": {panel: colour}, "charts": {"mode", "current", "charts": [{"name",
        "bar_size", "style", "indicators", "link", "instrument"}]}, "instruments": {panel:
        instrument dict}}``: what a named layout keeps of the panels (``app.ui.layouts``);
        "instruments" are the symbols of unlinked docks (charts keep theirs in their entry)."""
        charts = []
        for name in self.charts.names():
            model = self._chart_models[name]
            view = self.charts.view(name)
            charts.append({"name": name, "bar_size": model.bar_size, **view.chart_state(),
                           "link": self.links.colour(name),
                           "instrument": model.instrument.to_dict() if model.instrument else None})
        own = {}
        for name, inst in (("ticket", self.ticket_model.instrument), ("ladder", self.ladder.model.instrument),
                           ("timesales", self.timesales_model.instrument)):
            if inst is not None and not self.links.colour(name):
                own[name] = inst.to_dict()
        return {"links": self.links.state(),
                "charts": {"mode": self.charts.mode, "current": self.charts.current_name(),
                           "charts": charts},
                "instruments": own}

    def restore_workspace(self, state: dict) -> list[str]:
        """Apply a :meth:`workspace_state` dict: the charts (extra ones closed, then opened
        as listed; the main chart takes the entry named "chart1"), the arrangement, the
        link colours and the symbols of unlinked panels. Returns what was skipped and why."""
        problems: list[str] = []
        if not isinstance(state, dict):
            return [f"not a workspace: {state!r}"]
        charts = state.get("charts") or {}
        for name in [n for n in self.charts.names() if n != MAIN_CHART]:
            self.close_chart(name)
        for entry in charts.get("charts") or []:
            if not isinstance(entry, dict):
                problems.append(f"chart entry skipped: {entry!r}")
                continue
            if entry.get("name") == MAIN_CHART:
                problems += self._apply_main_chart(entry)
                continue
            try:
                self.new_chart(entry)
            except ValueError as e:
                problems.append(str(e))
        try:
            self.charts.set_mode(str(charts.get("mode") or "tabs"))
        except ValueError as e:
            problems.append(str(e))
        current = charts.get("current")
        if current in self.charts.names():
            self.charts.set_current(current)
        problems += self.links.restore(state.get("links") or {})
        for name, raw in (state.get("instruments") or {}).items():
            try:
                inst = Instrument.from_dict(raw)
            except ValueError as e:
                problems.append(f"{name}: {e}")
                continue
            if name in self.links.names() and not self.links.colour(name):
                self._own_instruments[name] = inst
        if getattr(self.session, "is_connected", False):
            self._load_own_instruments()
        return problems

    def _load_own_instruments(self) -> None:
        """Give the unlinked docks the symbols they had (once connected: they subscribe)."""
        follow = {"ticket": self.ticket.set_instrument, "ladder": self.ladder.set_instrument,
                  "timesales": self.timesales.set_instrument}
        own, self._own_instruments = self._own_instruments, {}
        for name, inst in own.items():
            if name in follow and not self.links.colour(name):
                follow[name](inst)

    def _apply_main_chart(self, entry: dict) -> list[str]:
        problems = self.chart_view.restore_state(entry)
        bar_size = entry.get("bar_size")
        if bar_size in BAR_SIZES:
            self.chart_model.set_bar_size(bar_size)
        elif bar_size:
            problems.append(f"chart1: unknown bar size {bar_size!r}")
        try:
            self.links.set_colour(MAIN_CHART, str(entry.get("link", DEFAULT_COLOUR) or ""))
        except ValueError as e:
            problems.append(f"chart1: {e}")
        inst = self._entry_instrument(entry)
        if inst is not None and not self.links.colour(MAIN_CHART):
            self.chart_model.set_instrument(inst)    # an unlinked chart keeps its own symbol
        return problems

    def _load_workspace(self) -> list[str]:
        raw = self.settings.value(KEY_WORKSPACE)
        if not raw:
            return []
        try:
            state = json.loads(str(raw))
        except ValueError as e:
            return [f"not JSON ({e}): the default workspace is used"]
        return self.restore_workspace(state)

    def _save_workspace(self, *_args) -> None:
        if not self._workspace_loaded:
            return
        try:
            state = self.workspace_state()
        except RuntimeError:    # the window's widgets are being deleted (closing): keep the last save
            return
        self.settings.setValue(KEY_WORKSPACE, json.dumps(state))

    def reset_workspace(self) -> None:
        """View → Reset layout: every panel back in the default colour, the charts in tabs."""
        for name in self.links.names():
            self.links.set_colour(name, DEFAULT_COLOUR)
        self.charts.set_mode("tabs")

    # ---- connection life cycle -----------------------------------------------
    def on_connected(self) -> None:
        """After a (re)connect: subscribe the watchlist, then select and chart a symbol."""
        if self._starting is not None and not self._starting.done():
            return
        self._starting = asyncio.ensure_future(self._start())

    async def _start(self) -> None:
        self._load_own_instruments()
        try:
            await self.watchlists.start()   # every list stays subscribed (app.viewmodels.watchlists)
        except Exception as e:  # shown, never lost
            log.exception("watchlist start failed")
            self.watchlist.show_message(f"Watchlist: {e}")
        rows = {inst.display_symbol.upper(): inst for inst in self.watchlist_model.instruments()
                if inst.con_id}
        if not rows:
            return
        want = self._selected.upper() if self._selected.upper() in rows else next(iter(rows))
        # a changed row emits a selection its colour follows (a reconnect: the same row, no
        # signal; the chart reloads itself on CONNECTED and quotes are requested again)
        self.watchlist.select_symbol(want)
        colours = {self.links.colour(n) for n in self.links.names()}
        for colour in sorted(c for c in colours if c):
            if self.links.current(colour) is None:
                self.links.load(colour, rows[want])   # a group without a symbol yet starts on it

    def tape_has_prints(self, rows: int = 10) -> bool:
        """Time & sales shows at least ``rows`` trades (screenshot mode waits a little for them)."""
        return self.timesales_model.rowCount() >= rows

    def is_ready(self) -> bool:
        """Quotes for every watchlist row and the chart's bars have arrived (screenshot mode)."""
        return self.watchlist_model.is_ready() and self.chart_model.is_ready

    # ---- the Trading menu, hotkeys and safety flags ----------------------------
    def install_trading(self, window) -> None:
        """Build the trading actions (hotkeys, cancels, flatten, kill switch, one-click
        arming, read-only) into ``window`` (an ``app.ui.main_window.MainWindow``): its
        Trading menu, Help menu and status-bar flags (with JOURNAL NOT WRITTEN), plus
        "Risk limits…"."""
        from PySide6.QtGui import QAction

        from app.ui.hotkeys import HotkeyRegistry
        from app.ui.layouts import LayoutStore, layouts_folder
        from app.ui.trading_actions import TradingActions
        from app.ui.workspace_menu import WorkspaceMenu

        self.window = window
        # View → Charts ▸ / Layouts ▸ (named layouts in <profile>.layouts/)
        self.workspace_menu = WorkspaceMenu(window, self, LayoutStore(layouts_folder(self.settings)))
        self.hotkeys = HotkeyRegistry(self.settings, self)
        self.trading = TradingActions(window, commands=self.commands, session=self.session,
                                      ticket=self.ticket, ticket_model=self.ticket_model,
                                      watchlist=self.watchlist_tabs, chart=self.chart_view,
                                      blotter=self.blotter, settings=self.settings, hotkeys=self.hotkeys)
        menu = window.trading_menu
        for group, actions in self.trading.menu_actions().items():
            if group == "Help":  # hotkey editor and cheat sheet
                first = window.help_menu.actions()[0] if window.help_menu.actions() else None
                window.help_menu.insertActions(first, actions)
                window.help_menu.insertSeparator(first)
                continue
            menu.addSection(group)
            menu.addActions(actions)
        menu.addSeparator()
        self.risk_action = QAction("Risk &limits…", window)
        self.risk_action.triggered.connect(self.edit_risk_limits)
        menu.addAction(self.risk_action)
        status = window.status
        status.insertPermanentWidget(0, self.trading.armed_label)  # ONE-CLICK ARMED
        self.trading.armedChanged.connect(self.ladder.set_armed)   # one-click in the ladder too
        self.ladder.set_armed(self.trading.armed)
        self.ladder.message.connect(self._trading_message)
        self.news_model.logLine.connect(window.log.add)            # every IB bulletin in the log
        # alerts: a desktop notification where there is a tray, else the status bar; always the log
        self.alerts.notifier.fallback = lambda text: window.status.showMessage(text, 10000)
        self.alerts.model.fired.connect(lambda _alert, text: window.log.add("WARNING", f"Alert: {text}"))
        self.trading.readOnlyChanged.connect(lambda on: status.set_flag("read_only", on))
        self.trading.message.connect(self._trading_message)
        status.set_flag("read_only", self.commands.read_only)
        status.set_flag("halted", self.commands.halted)
        status.watch_session(self.session)  # DATA STALE 12 s while market data is not live
        if self.journal_view is not None:
            # the journal's problem, marshalled to the GUI thread by the Journal dock's signal
            self.journal_view.problemReported.connect(self._journal_problem)
            self._journal_problem(self.journal.problem)

    def _journal_problem(self, text: str) -> None:
        """Show (text) or clear ("") the status bar's JOURNAL NOT WRITTEN flag: trading goes on
        while the journal cannot write, so it must be visible whichever dock is shown."""
        self.window.status.set_flag("journal", bool(text), text)

    def _trading_message(self, ok: bool, text: str) -> None:
        window = self.window
        window.status.showMessage(text, 10000)
        window.log.add("INFO" if ok else "WARNING", text)
        window.status.set_flag("halted", self.commands.halted)

    def edit_risk_limits(self):
        """Open the risk-limits dialog; OK saves the limits and applies them at once."""
        from app.ui.risk_dialog import RiskDialog

        dlg = RiskDialog(self.settings, self.window)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def done(result: int) -> None:
            if result and dlg.result_limits is not None:
                self.commands.limits = dlg.result_limits
                self.commands.record("settings", text="risk limits changed",
                                     limits=repr(dlg.result_limits))
                if self.window is not None:
                    self.window.log.add("INFO", "Risk limits saved and applied")

        dlg.finished.connect(done)
        dlg.open()
        return dlg

    # ---- settings and shutdown -------------------------------------------------
    def _confirm_orders_toggled(self, on: bool) -> None:
        self.settings.setValue(KEY_CONFIRM_ORDERS, bool(on))
        for view in self.charts.views():
            view.order_lines.confirm_orders = bool(on)

    def _confirm_kinds_toggled(self) -> None:
        self.ticket.save_confirm_settings(self.settings)
        for view in self.charts.views():
            view.order_lines.confirm_orders = self.ticket.confirm_orders

    def _save_bar_size(self) -> None:
        self.settings.setValue(KEY_BAR_SIZE, self.chart_model.bar_size)

    def save_settings(self) -> None:
        """Write the watchlist, selection, bar size, chart style and indicators and the confirmation
        toggles to QSettings."""
        self.watchlists.save(self.settings)
        self.settings.setValue(KEY_SELECTED, self._selected)
        self.settings.setValue(KEY_BAR_SIZE, self.chart_model.bar_size)
        save_chart_state(self.settings, self.chart_view)
        self._save_workspace()
        self.settings.setValue(KEY_CONFIRM_ORDERS, self.ticket.confirm_orders)
        self.ticket.save_confirm_settings(self.settings)
        self.settings.setValue(KEY_CONFIRM_CANCELS, self.blotter.confirm_cancels)
        self.settings.setValue(KEY_CONFIRM_MODIFIES, self.blotter.confirm_modifies)
        self.settings.setValue(KEY_STATUS_FILTER, self.blotter.status_filter)
        self.settings.setValue(KEY_SYMBOL_FILTER, self.blotter.symbol_filter)
        for columns in self.table_columns():
            columns.save(self.settings)

    def shutdown(self) -> None:
        """Save settings, cancel the chart subscription and release quote subscriptions."""
        self.save_settings()
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        closers = [self.trading.close] if self.trading is not None else []
        for name in [n for n in self.charts.names() if n != MAIN_CHART]:
            view = self.charts.view(name)
            closers += [view.detach_trading, self._chart_models[name].shutdown]
        closers += [self.chart_view.detach_trading, self.chart_model.shutdown, self.watchlists.close,
                    self.ticket_model.close, self.orders_model.close, self.executions_model.close,
                    self.account_summary.close, self.positions_model.close, self.timesales.shutdown,
                    self.ladder.close_model, self.scanner.shutdown, self.news.shutdown,
                    self.alerts.shutdown]
        for close in closers:
            try:
                close()
            except Exception:  # one panel failing to close must not keep the others open
                log.exception("closing %s failed", getattr(close, "__qualname__", close))


def build_panels(session, commands, settings: QSettings, *, journal=None) -> Panels:
    """The panels of a terminal window (see :class:`Panels`); ``journal`` (an
    ``app.journal.Journal`` or None) gets a Journal dock."""
    return Panels(session, commands, settings, journal=journal)
