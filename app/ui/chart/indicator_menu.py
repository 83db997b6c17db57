"""The chart's indicator menu, parameter form and saved state (a mixin of ``ChartView``).

- The "Indicators" menu has one checkable entry per indicator
  (``app.viewmodels.indicators.INDICATORS``). Ticking one opens the parameter form
  (:class:`app.ui.chart.indicator_form.IndicatorForm`, non-blocking, kept as
  ``indicator_form``); OK adds the indicator, Cancel unticks the entry.
  Unticking removes it.
- :meth:`IndicatorMenuMixin.chart_state` / :meth:`restore_state`: the chart style
  and the indicators with their parameters as a plain dict (the profile's
  QSettings keep it as JSON: :func:`save_chart_state`, :func:`load_chart_state`),
  so both come back after a restart. ``stateChanged`` (a signal of the view)
  fires when the style or an indicator changes.
"""

from __future__ import annotations

import json
import logging

from PySide6.QtWidgets import QMenu, QToolButton

from app.ui.chart.indicator_form import IndicatorForm
from app.viewmodels.indicators import INDICATORS, Indicator

log = logging.getLogger(__name__)

#: QSettings keys (per profile) of the chart's style and indicators
KEY_STYLE = "chart/style"
KEY_INDICATORS = "chart/indicators"


def indicator_name(ind: Indicator) -> str:
    """The menu name of ``ind`` ("Bollinger Bands" for a ``Bollinger``)."""
    return next(name for name, cls in INDICATORS.items() if type(ind) is cls)


class IndicatorMenuMixin:
    """Indicator menu, form and state of ``ChartView`` (module docstring). Needs the view's
    ``indicator_set`` (``ChartIndicators``), ``style_box``, ``set_style``, ``_fit_y``,
    ``_show_trade_message`` and a ``stateChanged`` signal."""

    def _build_indicator_menu(self) -> QToolButton:
        self.indicator_button = QToolButton()
        self.indicator_button.setText("Indicators")
        self.indicator_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.indicator_menu = QMenu(self.indicator_button)
        for name in INDICATORS:
            act = self.indicator_menu.addAction(name)
            act.setCheckable(True)
            act.toggled.connect(lambda on, n=name: self._toggle_indicator(n, on))
        self.indicator_button.setMenu(self.indicator_menu)
        #: the open parameter form (None when none is open)
        self.indicator_form: IndicatorForm | None = None
        return self.indicator_button

    @property
    def indicators(self) -> list:
        """``[(Indicator, IndicatorOverlay), ...]`` shown on this chart."""
        return self.indicator_set.items

    @property
    def _panes(self) -> dict:
        return self.indicator_set.panes

    @property
    def _markers(self) -> dict:
        return self.indicator_set.markers

    def add_indicator(self, name: str, **params) -> Indicator:
        """Show indicator ``name`` (``app.viewmodels.indicators.INDICATORS``) with ``params``.

        Price-scale indicators draw over the candles; RSI and MACD get a pane
        of their own below the volume pane, x-linked, with the time axis moved
        under the lowest pane. Raises ``ValueError`` for an unknown name or bad
        parameters.
        """
        ind = self.indicator_set.add(name, **params)
        self._menu_action(name).blockSignals(True)
        self._menu_action(name).setChecked(True)
        self._menu_action(name).blockSignals(False)
        self._panes_changed()
        self._apply_palette()  # a new pane's axes in the current theme
        self._fit_y()
        self.stateChanged.emit()
        return ind

    def remove_indicator(self, ind: Indicator) -> None:
        """Remove an indicator added by :meth:`add_indicator` (and its pane, markers)."""
        self.indicator_set.remove(ind)
        name = indicator_name(ind)
        if not any(type(i) is type(ind) for i, _ov in self.indicators):
            act = self._menu_action(name)
            act.blockSignals(True)
            act.setChecked(False)
            act.blockSignals(False)
        self._panes_changed()
        self.stateChanged.emit()

    def _menu_action(self, name: str):
        return next(a for a in self.indicator_menu.actions() if a.text() == name)

    def open_indicator_form(self, name: str) -> IndicatorForm:
        """Open the parameter form of ``name`` (non-blocking); OK adds the indicator."""
        if self.indicator_form is not None:
            self.indicator_form.reject()
        form = self.indicator_form = IndicatorForm(name, self)
        form.accepted.connect(lambda: self._form_done(form, True))
        form.rejected.connect(lambda: self._form_done(form, False))
        form.open()
        return form

    def _form_done(self, form: IndicatorForm, ok: bool) -> None:
        if self.indicator_form is form:
            self.indicator_form = None
        form.deleteLater()
        if ok:
            try:
                self.add_indicator(form.name, **form.params())
                return
            except ValueError as e:  # the form validates; a rule it missed is still shown
                self._show_trade_message(False, str(e))
        act = self._menu_action(form.name)
        if not any(type(i) is INDICATORS[form.name] for i, _ov in self.indicators):
            act.blockSignals(True)
            act.setChecked(False)
            act.blockSignals(False)

    def _toggle_indicator(self, name: str, on: bool) -> None:
        if on:
            self.open_indicator_form(name)
        else:
            for ind, _ov in list(self.indicators):
                if type(ind) is INDICATORS[name]:
                    self.remove_indicator(ind)

    # ---- saved state ------------------------------------------------------------------
    def chart_state(self) -> dict:
        """``{"style": "Candle", "indicators": [{"name": "RSI", "params": {"period": 14}}, ...]}``."""
        return {"style": self.style_box.currentText() or "Candle",
                "indicators": [{"name": indicator_name(ind), "params": ind.params} for ind, _ov in self.indicators]}

    def restore_state(self, state: dict) -> list[str]:
        """Apply a :meth:`chart_state` dict: style, then the indicators (the ones shown are
        replaced). Entries that cannot be applied (unknown style or indicator, bad parameters:
        a damaged settings file) are skipped; returns why, one text each."""
        problems = []
        style = state.get("style")
        if style:
            try:
                self.set_style(str(style))
            except ValueError as e:
                problems.append(str(e))
        for ind, _ov in list(self.indicators):
            self.remove_indicator(ind)
        for entry in state.get("indicators") or []:
            try:
                self.add_indicator(str(entry["name"]), **dict(entry.get("params") or {}))
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                problems.append(f"indicator {entry!r} skipped: {e}")
        return problems


def save_chart_state(settings, view) -> None:
    """Write ``view.chart_state()`` to ``settings`` (QSettings of the profile)."""
    state = view.chart_state()
    settings.setValue(KEY_STYLE, state["style"])
    settings.setValue(KEY_INDICATORS, json.dumps(state["indicators"]))


def load_chart_state(settings, view) -> None:
    """Restore the style and indicators saved by :func:`save_chart_state`; a damaged value is
    logged and skipped (the chart keeps its defaults)."""
    state: dict = {"style": str(settings.value(KEY_STYLE, "") or "")}
    raw = settings.value(KEY_INDICATORS)
    if raw:
        try:
            state["indicators"] = json.loads(str(raw))
        except ValueError as e:
            log.warning("saved chart indicators ignored: %s", e)
    for problem in view.restore_state(state):
        log.warning("saved chart setting skipped: %s", problem)
