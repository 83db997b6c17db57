"""The linked workspace of :class:`app.ui.panels.Panels` (a mixin): link groups (TWS colour
grouping), the central charts (``app.ui.chart.workspace``), symbols dropped onto panels
(``app.ui.symbol_drag``) and the workspace state kept per profile and in named layouts
(``app.ui.layouts``).

Members of the link groups: the docks of :data:`LINKED_DOCKS` and every chart ("chart1" is
the main chart, never closed). What one member selects (a watchlist or scanner row, a symbol
typed in the ticket, the ladder or a chart, a symbol dropped on a panel) is loaded by every
other member of its colour; a member without colour keeps its own symbol, which the
workspace state keeps too (restored on the first connect).
"""

from __future__ import annotations

import json
import logging

from PySide6.QtWidgets import QWidget

from app.domain import Instrument
from app.domain.bars import BAR_SIZES
from app.ui.chart.view import ChartView
from app.ui.chart.workspace import ChartWorkspace
from app.ui.link_button import LinkButton
from app.ui.symbol_drag import SymbolDropTarget
from app.viewmodels.chart import ChartViewModel
from app.viewmodels.links import DEFAULT_COLOUR, LinkGroups, check_colour

log = logging.getLogger(__name__)

#: the watchlist's selected symbol (display symbol), charted again at the next start
KEY_SELECTED = "watchlist/selected"
#: the workspace (link colours, charts, symbols of unlinked panels) as JSON: :meth:`WorkspaceMixin.workspace_state`
KEY_WORKSPACE = "workspace/state"
#: the main chart: the trading actions' chart, never closed (``Panels.chart_view``)
MAIN_CHART = "chart1"
#: docks with a link-colour chip (they select a symbol, follow one, or both)
LINKED_DOCKS = ("watchlist", "scanner", "ticket", "ladder", "timesales", "alerts", "options")
#: bar size of a chart whose saved one is unknown
DEFAULT_BAR_SIZE = "5 mins"


class WorkspaceMixin:
    """Link groups, charts, drops and the workspace state of ``Panels`` (module docstring).
    Needs the Panels' ``session``, ``commands``, ``settings``, ``window``, the panels
    (``ticket``, ``ladder``, ``timesales``, ``alerts``, ``scanner``, ``watchlist``,
    ``ticket_model``, ``timesales_model``, ``chart_model``, ``chart_view``) and
    ``_trading_message``; :meth:`_build_workspace` runs in ``__init__`` after the panels are
    built, :meth:`_load_saved_workspace` at its end."""

    def _build_workspace(self) -> None:
        # link groups (TWS colour grouping): what one panel selects, its colour follows
        self.links = LinkGroups(self)
        self.links.add("watchlist", self._watchlist_follow)
        self.links.add("scanner", None)            # selects (double-click), never follows
        self.links.add("ticket", lambda inst: self.ticket.set_instrument(inst))
        self.links.add("ladder", lambda inst: self.ladder.set_instrument(inst))
        self.links.add("timesales", lambda inst: self.timesales.set_instrument(inst))
        self.links.add("alerts", lambda inst: self.alerts.set_instrument(inst))
        self.links.add("options", lambda inst: self.chain.set_instrument(inst))
        #: the link chip of each linked dock (MainWindow puts it in the dock's title bar)
        self.chips = {name: LinkButton(self.links, name) for name in LINKED_DOCKS}
        self.scanner.instrumentChosen.connect(lambda inst: self.select_instrument(inst, "scanner"))
        self.ticket.instrumentChosen.connect(lambda inst: self.select_instrument(inst, "ticket"))
        self.ladder.instrumentChosen.connect(lambda inst: self.select_instrument(inst, "ladder"))
        self.chain.instrumentChosen.connect(lambda inst: self.select_instrument(inst, "options"))
        self.chain.orderRequested.connect(self._option_order)
        #: the central charts (tabs or a grid), each with its own symbol, bar size and indicators
        self.charts = ChartWorkspace(fixed=(MAIN_CHART,))
        self._chart_models: dict[str, ChartViewModel] = {}
        self._workspace_loaded = False
        self._add_chart(MAIN_CHART, self.chart_model, self.chart_view)
        self.charts.newChartRequested.connect(self._new_chart_clicked)
        self.charts.closeRequested.connect(self.close_chart)
        # a symbol dragged onto a panel (a watchlist, scanner or position row, or text) loads it
        # there, and its colour follows; the watchlist's own table adds a dropped symbol
        for name, widget in (("ticket", self.ticket), ("ladder", self.ladder),
                             ("timesales", self.timesales), ("alerts", self.alerts)):
            self._drop_target(name, widget)

    def _load_saved_workspace(self) -> None:
        #: panel -> the instrument it had when unlinked (restored on the first connect)
        self._own_instruments: dict[str, Instrument] = {}
        self._workspace_loaded = False     # no save before the saved workspace is read
        for problem in self._load_workspace():
            log.warning("saved workspace: %s", problem)
        self._workspace_loaded = True
        self.charts.changed.connect(self._save_workspace)
        self.links.colourChanged.connect(self._save_workspace)

    def select_instrument(self, instrument: Instrument, source: str = "watchlist") -> list[str]:
        """The panel ``source`` (a link member: "watchlist", "scanner", "ticket", "ladder",
        "chart2" …) selected ``instrument``: every other panel of its link colour loads it
        (none when ``source`` is not linked). Returns the panels that followed."""
        if source == "watchlist":
            self._selected = instrument.display_symbol
            self.settings.setValue(KEY_SELECTED, self._selected)
        return self.links.select(source, instrument)

    def _drop_target(self, name: str, widget: QWidget) -> SymbolDropTarget:
        """Accept symbols dropped on ``widget`` (IB-resolved first): member ``name`` loads the
        instrument and its colour follows; why a drop failed goes to the status bar / log."""
        target = SymbolDropTarget(widget, session=self.session)
        target.instrumentReady.connect(lambda inst, n=name: self._dropped(n, inst))
        target.message.connect(lambda text: self._trading_message(False, text) if self.window is not None
                               else log.warning("drop: %s", text))
        return target

    def _dropped(self, name: str, instrument: Instrument) -> None:
        if name in self.links.names():      # a chart closed while its drop resolved: nothing
            self.links.choose(name, instrument)

    def _option_order(self, action, option: Instrument, price: float) -> None:
        """A click on a bid / ask of the chain: the option in the ticket (not its link colour:
        the chain's rows are options of the colour's symbol), a LMT at that price."""
        self.ticket.set_instrument(option)
        self.ticket.prefill(action.value, "LMT", price)
        window = getattr(self, "window", None)
        if window is not None:
            window.docks["ticket"].raise_()

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
        self._drop_target(name, view)
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
        try:
            colour = check_colour(str(entry.get("link", DEFAULT_COLOUR) or ""))
        except ValueError as e:
            log.warning("chart %s: %s", name, e)
            colour = DEFAULT_COLOUR
        self._add_chart(name, model, view, colour)
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
            try:
                check_colour(str(entry.get("link", DEFAULT_COLOUR) or ""))
            except ValueError as e:
                problems.append(f"{entry.get('name', 'chart')}: {e}")
                entry = {**entry, "link": DEFAULT_COLOUR}
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

    def sync_link_groups(self, *, only_new: bool = False) -> list[str]:
        """The first chart of each colour gives its symbol to its colour (after a layout load;
        at start, ``only_new``, just to the colours without a symbol yet): a ladder in blue
        beside a blue MSFT chart shows MSFT. Returns the members that followed."""
        done, followed = set(), []
        for name in self.charts.names():
            colour, inst = self.links.colour(name), self._chart_models[name].instrument
            if only_new and colour and self.links.current(colour) is not None:
                continue
            if colour and colour not in done and inst is not None:
                done.add(colour)
                followed += self.links.select(name, inst)
        return followed

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

