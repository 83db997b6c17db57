"""The central chart area: one to :data:`MAX_CHARTS` charts, as tabs or in a grid.

Each chart is a ``ChartView`` over its own ``ChartViewModel`` (own symbol, bar size, style and
indicators: one history subscription each). :class:`ChartWorkspace` only arranges them:

- ``tabs``: a tab per chart, titled "AAPL · 5 mins", closable while more than one is open,
  a "+" button beside the tabs asks for a new chart;
- ``grid``: every chart visible at once, one beside the other for two, 2x2 for three or four.

Creating and closing charts (the view-model, trading overlays, link membership) is the
owner's job (``app.ui.panels.Panels``): the workspace emits ``newChartRequested`` and
``closeRequested(name)`` and is given views with :meth:`add_chart` / :meth:`remove_chart`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication, QGridLayout, QStackedLayout, QTabWidget, QToolButton, QWidget,
)

#: the most charts a window shows (each is a live reqHistoricalData keepUpToDate subscription)
MAX_CHARTS = 4
#: the arrangements, in menu order
MODES = ("tabs", "grid")


class ChartWorkspace(QWidget):
    """Charts by name ("chart1" …) in tabs or a grid (see the module docstring).

    Signals: ``newChartRequested()`` (the "+" button), ``closeRequested(name)`` (a tab's
    close button), ``changed()`` (a chart added / removed, the mode or current chart changed:
    the owner saves the workspace).
    """

    newChartRequested = Signal()
    closeRequested = Signal(str)
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, fixed: tuple[str, ...] = ()):
        super().__init__(parent)
        self.setObjectName("chartWorkspace")
        #: charts that cannot be closed (the main chart the trading actions use)
        self.fixed = frozenset(fixed)
        self._views: dict[str, QWidget] = {}
        self._mode = "tabs"
        self._current = ""
        self.tabs = QTabWidget()
        self.tabs.setObjectName("chartTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setMovable(True)
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(lambda i: self.closeRequested.emit(self._name_of(self.tabs.widget(i))))
        self.tabs.currentChanged.connect(lambda _i: self.changed.emit())
        self.tabs.tabBar().tabMoved.connect(self._tab_moved)
        self.add_button = QToolButton()
        self.add_button.setObjectName("newChart")
        self.add_button.setText("+")
        self.add_button.setAutoRaise(True)
        self.add_button.setToolTip(f"New chart (up to {MAX_CHARTS})")
        self.add_button.clicked.connect(self.newChartRequested)
        self.tabs.setCornerWidget(self.add_button, Qt.Corner.TopRightCorner)
        self.grid_widget = QWidget()
        self.grid_widget.setObjectName("chartGrid")
        self.grid = QGridLayout(self.grid_widget)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(3)
        # in a grid the current chart is the one the trader last clicked or typed in
        QApplication.instance().focusChanged.connect(self._focus_changed)
        self.stack = QStackedLayout(self)
        self.stack.addWidget(self.tabs)
        self.stack.addWidget(self.grid_widget)

    # ---- charts ---------------------------------------------------------------
    def names(self) -> list[str]:
        """Chart names in display order (tab order in tabs mode)."""
        return list(self._views)

    def view(self, name: str) -> QWidget:
        """The chart view ``name``. Raises ``KeyError``."""
        return self._views[name]

    def views(self) -> list[QWidget]:
        """Every chart view in display order."""
        return list(self._views.values())

    def count(self) -> int:
        """How many charts are open."""
        return len(self._views)

    def can_add(self) -> bool:
        """False when :data:`MAX_CHARTS` charts are open."""
        return len(self._views) < MAX_CHARTS

    def add_chart(self, name: str, view: QWidget) -> None:
        """Show ``view`` as chart ``name`` (made current). Raises ``ValueError`` for a taken
        name or when :data:`MAX_CHARTS` are open."""
        if name in self._views:
            raise ValueError(f"chart {name!r} exists already")
        if not self.can_add():
            raise ValueError(f"At most {MAX_CHARTS} charts: each one is a live history subscription")
        self._views[name] = view
        model = getattr(view, "view_model", None)
        if model is not None:
            model.selectionChanged.connect(lambda v=view: self._retitle(v))
        self._arrange()
        self.set_current(name)
        self.changed.emit()

    def remove_chart(self, name: str) -> QWidget:
        """Take chart ``name`` out (the caller closes it); returns its view. Raises
        ``ValueError`` for the last chart, ``KeyError`` for an unknown one."""
        if name not in self._views:
            raise KeyError(name)
        if len(self._views) == 1 or name in self.fixed:
            raise ValueError("The main chart cannot be closed" if name in self.fixed
                             else "The last chart cannot be closed")
        view = self._views.pop(name)
        self._arrange()
        view.setParent(None)
        if self._current == name:
            self._current = next(iter(self._views))
        self.changed.emit()
        return view

    def current_name(self) -> str:
        """The current chart (the shown tab; in a grid the one made current last)."""
        if self._mode == "tabs" and self.tabs.currentWidget() is not None:
            return self._name_of(self.tabs.currentWidget())
        return self._current if self._current in self._views else next(iter(self._views), "")

    def set_current(self, name: str) -> None:
        """Make ``name`` the current chart (its tab shown). Raises ``KeyError``."""
        view = self._views[name]
        self._current = name
        if self.tabs.indexOf(view) >= 0:
            self.tabs.setCurrentWidget(view)

    # ---- arrangement ---------------------------------------------------------
    @property
    def mode(self) -> str:
        """``"tabs"`` or ``"grid"``."""
        return self._mode

    def set_mode(self, mode: str) -> None:
        """Arrange the charts as ``mode`` ("tabs" / "grid"). Raises ``ValueError`` otherwise."""
        if mode not in MODES:
            raise ValueError(f"Unknown chart arrangement {mode!r}: use {' or '.join(MODES)}")
        if mode == self._mode:
            return
        current = self.current_name()
        self._mode = mode
        self._arrange()
        if current:
            self.set_current(current)
        self.changed.emit()

    def _arrange(self) -> None:
        """Put the views (in ``_views`` order) in the tabs or the grid."""
        views = list(self._views.values())
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        for v in views:
            self.grid.removeWidget(v)
        if self._mode == "tabs":
            for v in views:
                self.tabs.addTab(v, self._title(v))
            self.tabs.setTabsClosable(len(views) > 1)
            bar = self.tabs.tabBar()
            for i, v in enumerate(views):
                if self._name_of(v) in self.fixed:
                    for side in (bar.ButtonPosition.RightSide, bar.ButtonPosition.LeftSide):
                        if bar.tabButton(i, side) is not None:
                            bar.tabButton(i, side).hide()
                            bar.setTabButton(i, side, None)
            self.stack.setCurrentWidget(self.tabs)
        else:
            cols = 1 if len(views) == 1 else 2
            for i, v in enumerate(views):
                self.grid.addWidget(v, i // cols, i % cols)
                v.show()
            self.stack.setCurrentWidget(self.grid_widget)
        self.tabs.blockSignals(False)
        self.add_button.setEnabled(self.can_add())

    def _focus_changed(self, _old, new) -> None:
        while new is not None:
            name = self._name_of(new)
            if name:
                self._current = name
                return
            new = new.parentWidget()

    def _tab_moved(self, *_args) -> None:
        order = [self._name_of(self.tabs.widget(i)) for i in range(self.tabs.count())]
        self._views = {n: self._views[n] for n in order}
        self.changed.emit()

    def _retitle(self, view: QWidget) -> None:
        i = self.tabs.indexOf(view)
        if i >= 0:
            self.tabs.setTabText(i, self._title(view))
        self.changed.emit()

    @staticmethod
    def _title(view: QWidget) -> str:
        model = getattr(view, "view_model", None)
        inst = getattr(model, "instrument", None)
        symbol = inst.display_symbol if inst is not None else "Chart"
        return f"{symbol} · {model.bar_size}" if model is not None else symbol

    def _name_of(self, view: QWidget | None) -> str:
        return next((n for n, v in self._views.items() if v is view), "")
