"""Builds the terminal's panels (view-models + widgets) and wires them together.

The main window only places what this module builds: the chart as the central
widget and the docked panels. Wiring done here:

- link groups (``app.ui.workspace_panels``): a symbol selected in the watchlist, the scanner,
  the ticket, the ladder or a chart, or dropped on a panel, loads in every panel of the same
  colour; several charts (tabs / 2x2 grid); the workspace and named layouts;
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
import logging

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QWidget

from app.settings_values import setting_bool
from app.domain.bars import BAR_SIZES, keeps_up_to_date
from app.ui.account import AccountPanel
from app.ui.alerts import make_alerts_panel
from app.ui.blotter import BlotterView
from app.ui.journal_view import JournalView
from app.ui.ladder import LadderPanel
from app.ui.news import NewsView
from app.ui.option_chain import OptionChainPanel
from app.ui.scanner import ScannerView
from app.ui.strategies import StrategiesPanel
from app.ui.chart.indicator_menu import load_chart_state, save_chart_state
from app.ui.chart.view import ChartView
from app.ui.ticket import OrderTicket
from app.ui.timesales import TimeSalesView
from app.ui.watchlist import WatchlistView
from app.ui.watchlists import WatchlistTabs
from app.ui.workspace_panels import (  # noqa: F401 (names the tests and the app use)
    DEFAULT_BAR_SIZE as WORKSPACE_BAR_SIZE, KEY_SELECTED, KEY_WORKSPACE, LINKED_DOCKS, MAIN_CHART,
    WorkspaceMixin,
)
from app.viewmodels.account import AccountSummary, PositionsModel
from app.viewmodels.chart import ChartViewModel
from app.viewmodels.executions import ExecutionsModel
from app.viewmodels.orders import OrdersModel
from app.viewmodels.news import NewsModel
from app.viewmodels.option_chain import OptionChainModel
from app.viewmodels.scanner import ScannerModel
from app.viewmodels.strategies import StrategiesModel
from app.viewmodels.ticket import TicketModel
from app.viewmodels.timesales import TimeSalesModel
from app.viewmodels.watchlist import WatchlistModel
from app.viewmodels.watchlists import KEY_OLD_SYMBOLS, WatchlistSet

log = logging.getLogger(__name__)

#: the first list's symbols (the single watchlist of older versions; read once, still written)
KEY_SYMBOLS = KEY_OLD_SYMBOLS
#: the watchlist's hidden columns (``app.ui.columns.TableColumns``, ``columns/<table>/*``)
KEY_HIDDEN_COLUMNS = "columns/watchlist/hidden"
KEY_BAR_SIZE = "chart/bar_size"
KEY_CONFIRM_ORDERS = "ticket/confirm_orders"
KEY_CONFIRM_CANCELS = "blotter/confirm_cancels"
KEY_CONFIRM_MODIFIES = "blotter/confirm_modifies"
KEY_STATUS_FILTER = "blotter/status_filter"
KEY_SYMBOL_FILTER = "blotter/symbol_filter"
DEFAULT_BAR_SIZE = WORKSPACE_BAR_SIZE


class Panels(WorkspaceMixin, QObject):
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
        # options: the chain of the linked symbol; a click on a bid / ask loads the ticket
        self.chain_model = OptionChainModel(session, self)
        self.chain = OptionChainPanel(self.chain_model)
        # strategies: backtest on the current chart's bars, run live through the command layer
        self.strategies_model = StrategiesModel(self)
        self.strategies = StrategiesPanel(self.strategies_model, self._backtest_bars)
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
        self._build_workspace()     # link groups, charts, drops (app.ui.workspace_panels)
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
        self._load_saved_workspace()

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
                 "alerts": self.alerts, "strategies": self.strategies, "options": self.chain}
        if self.journal_view is not None:
            docks["journal"] = self.journal_view
        return docks

    def _backtest_bars(self) -> tuple:
        """``(instrument, bar size, bars)`` of the current chart for a backtest: its completed
        bars (a live chart's forming bar left out)."""
        charts = getattr(self, "charts", None)      # None while the panels are being built
        model = self.chart_models().get(charts.current_name(), self.chart_model) if charts else self.chart_model
        return model.instrument, model.bar_size, model.bars.frame(drop_last=keeps_up_to_date(model.bar_size))

    def _show_backtest(self, instrument_key: str, marks: list) -> None:
        """A backtest's fills as hollow markers on the charts of that instrument."""
        for view in self.charts.views():
            view.trading.set_backtest(instrument_key, marks)

    def table_columns(self) -> list:
        """The :class:`app.ui.columns.TableColumns` of every record table (the shown
        watchlist, orders, executions, positions), saved and restored with the profile
        (every watchlist tab reads the same ``columns/watchlist/*`` when built)."""
        return [self.watchlist.columns, self.blotter.orders_columns,
                self.blotter.executions_columns, self.account.columns]

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
        # a colour without a symbol yet starts on its first chart's (restored) symbol, else
        # on the watchlist's
        self.sync_link_groups(only_new=True)
        colours = {self.links.colour(n) for n in self.links.names()}
        for colour in sorted(c for c in colours if c):
            if self.links.current(colour) is None:
                self.links.load(colour, rows[want])

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
        self.ladder.bind_hotkeys(self.hotkeys)     # the ladder's keys: editable, in the cheat sheet
        self.strategies.attach_live(self.session, self.commands, self.settings,
                                    lambda: self.ticket_model.account_kind)
        self.strategies.backtestDone.connect(self._show_backtest)
        self.charts.changed.connect(self.strategies.refresh_source)          # the bars it would test
        self.chart_model.barsReset.connect(self.strategies.refresh_source)
        self.strategies.model.message.connect(lambda ok, text: window.log.add("INFO" if ok else "WARNING",
                                                                              f"Strategies: {text}"))
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
                    self.alerts.shutdown, self.strategies.shutdown, self.chain.shutdown]
        for close in closers:
            try:
                close()
            except Exception:  # one panel failing to close must not keep the others open
                log.exception("closing %s failed", getattr(close, "__qualname__", close))


def build_panels(session, commands, settings: QSettings, *, journal=None) -> Panels:
    """The panels of a terminal window (see :class:`Panels`); ``journal`` (an
    ``app.journal.Journal`` or None) gets a Journal dock."""
    return Panels(session, commands, settings, journal=journal)
