"""View → Charts ▸ and View → Layouts ▸: several charts and named layouts.

Charts ▸ New chart (Ctrl+T), Close chart (Ctrl+W; not the main chart), Tabs / Grid.
Layouts ▸ Save layout as…, one entry per saved layout (loads it), Delete ▸ <name>, Open
layouts folder. View → Reset layout (the window's) also puts every panel back in the default
link colour and the charts in tabs. Layout files: ``app.ui.layouts``.

Every question is non-blocking (``open()``), a failure is a status-bar message and a log
line naming the file and why; a layout that applies only in part says what was skipped.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu

from app.ui.chart.workspace import MODES
from app.ui.confirm import ask_yes_no
from app.ui.layouts import LayoutError, LayoutStore, check_name

log = logging.getLogger(__name__)

MODE_TITLES = {"tabs": "&Tabs", "grid": "&Grid (2x2)"}


class WorkspaceMenu(QObject):
    """The Charts and Layouts submenus of ``window`` (an ``app.ui.main_window.MainWindow``)
    over ``panels`` (``app.ui.panels.Panels``) and ``store`` (:class:`LayoutStore`).
    Children for tests: ``charts_menu``, ``layouts_menu``, ``new_chart_action``,
    ``close_chart_action``, ``mode_actions`` (mode -> QAction), ``save_action``; ``ask_name``
    (``callable(default) -> Awaitable[str | None]``) and ``ask_overwrite``
    (``callable(name) -> Awaitable[bool]``) may be replaced by tests."""

    def __init__(self, window, panels, store: LayoutStore):
        super().__init__(window)
        self.window = window
        self.panels = panels
        self.store = store
        self.ask_name = self._ask_name
        self.ask_overwrite = self._ask_overwrite
        self._task: asyncio.Future | None = None
        view = window.view_menu
        before = window.reset_layout_action
        self.charts_menu = QMenu("C&harts", view)
        self.new_chart_action = QAction("&New chart", self.charts_menu)
        self.new_chart_action.setShortcut(QKeySequence("Ctrl+T"))
        self.new_chart_action.triggered.connect(self.new_chart)
        self.close_chart_action = QAction("&Close chart", self.charts_menu)
        self.close_chart_action.setShortcut(QKeySequence("Ctrl+W"))
        self.close_chart_action.triggered.connect(self.close_chart)
        self.charts_menu.addAction(self.new_chart_action)
        self.charts_menu.addAction(self.close_chart_action)
        self.charts_menu.addSeparator()
        group = QActionGroup(self.charts_menu)
        self.mode_actions: dict[str, QAction] = {}
        for mode in MODES:
            act = QAction(MODE_TITLES[mode], self.charts_menu)
            act.setCheckable(True)
            act.triggered.connect(lambda _on=False, m=mode: panels.charts.set_mode(m))
            group.addAction(act)
            self.charts_menu.addAction(act)
            self.mode_actions[mode] = act
        self.charts_menu.aboutToShow.connect(self._refresh_charts)
        panels.charts.changed.connect(self._refresh_charts)    # the keys follow too
        view.insertMenu(before, self.charts_menu)

        self.layouts_menu = QMenu("Layo&uts", view)
        self.layouts_menu.aboutToShow.connect(self._refresh_layouts)
        self.save_action = QAction("&Save layout as…", self)   # not the menu's: clear() deletes those
        self.save_action.triggered.connect(self.save_as)
        view.insertMenu(before, self.layouts_menu)
        window.addActions([self.new_chart_action, self.close_chart_action])   # keys work anywhere
        window.layoutReset.connect(panels.reset_workspace)
        self._refresh_layouts()
        self._refresh_charts()

    # ---- charts ---------------------------------------------------------------
    def new_chart(self) -> str | None:
        """Open a chart; a status message says why not (the limit)."""
        try:
            return self.panels.new_chart()
        except ValueError as e:
            self._say(False, str(e))
            return None

    def close_chart(self) -> None:
        """Close the current chart (the main chart says it stays)."""
        name = self.panels.charts.current_name()
        try:
            self.panels.close_chart(name)
        except ValueError as e:
            self._say(False, str(e))

    def _refresh_charts(self) -> None:
        charts = self.panels.charts
        self.mode_actions[charts.mode].setChecked(True)
        self.new_chart_action.setEnabled(charts.can_add())
        self.close_chart_action.setEnabled(charts.current_name() not in charts.fixed)

    # ---- layouts --------------------------------------------------------------
    def _refresh_layouts(self) -> None:
        m = self.layouts_menu
        m.clear()
        m.addAction(self.save_action)
        names = self.store.names()
        if names:
            m.addSection("Load")
        for name in names:
            act = m.addAction(name)
            act.setToolTip(str(self.store.path(name)))
            act.triggered.connect(lambda _on=False, n=name: self.load(n))
        delete = m.addMenu("&Delete")
        delete.setEnabled(bool(names))
        for name in names:
            act = delete.addAction(name)
            act.triggered.connect(lambda _on=False, n=name: self.delete(n))
        m.addSeparator()
        folder = m.addAction("Open layouts &folder")
        folder.triggered.connect(self._open_folder)

    def layout(self) -> dict:
        """The current layout (window + panels), as :meth:`LayoutStore.save` writes it."""
        return {"window": self.window.window_layout(), **self.panels.workspace_state()}

    def save(self, name: str) -> bool:
        """Save the current layout as ``name`` (overwrites). False with a message on error."""
        try:
            path = self.store.save(name, self.layout())
        except (LayoutError, OSError) as e:
            self._say(False, f"Layout not saved: {e}")
            return False
        self._say(True, f"Layout {check_name(name)!r} saved to {path}")
        return True

    def load(self, name: str) -> list[str] | None:
        """Apply layout ``name``; returns what was skipped ([] = all of it), None when the file
        cannot be used (the window is left as it was; the message names the file and why)."""
        try:
            doc = self.store.load(name)
        except LayoutError as e:
            self._say(False, str(e))
            return None
        problems = self.window.apply_window_layout(doc.get("window") or {})
        problems += self.panels.restore_workspace(doc)
        self.panels.sync_link_groups()       # each colour shows its chart's symbol
        if problems:
            self._say(False, f"Layout {name!r} loaded, except: " + "; ".join(problems))
        else:
            self._say(True, f"Layout {name!r} loaded")
        return problems

    def delete(self, name: str) -> bool:
        """Delete layout ``name`` (the menu entry is the trader's explicit choice)."""
        try:
            self.store.delete(name)
        except (LayoutError, OSError) as e:
            self._say(False, str(e))
            return False
        self._say(True, f"Layout {name!r} deleted")
        return True

    def save_as(self) -> asyncio.Future:
        """Ask a name (non-blocking), ask before overwriting, save. Returns the task."""
        self._task = asyncio.ensure_future(self._save_as())
        return self._task

    async def _save_as(self) -> bool:
        name = await self.ask_name("")
        if name is None:
            return False
        try:
            name = check_name(name)
        except LayoutError as e:
            self._say(False, str(e))
            return False
        if self.store.exists(name) and not await self.ask_overwrite(name):
            return False
        return self.save(name)

    async def _ask_name(self, default: str) -> str | None:
        dlg = QInputDialog(self.window)
        dlg.setWindowTitle("Save layout")
        dlg.setLabelText("Layout name:")
        dlg.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dlg.setTextValue(default)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        done: asyncio.Future = asyncio.get_event_loop().create_future()
        dlg.finished.connect(lambda r: done.done() or done.set_result(dlg.textValue() if r else None))
        dlg.open()
        return await done

    async def _ask_overwrite(self, name: str) -> bool:
        return await ask_yes_no(self.window, "Save layout", f"A layout named {name!r} exists.",
                                yes="Replace", no="Cancel", informative="Replace it?", danger=False)

    def _open_folder(self) -> None:
        self.store.folder.mkdir(parents=True, exist_ok=True)
        if not self.window.open_url(QUrl.fromLocalFile(str(self.store.folder))):
            self._say(False, f"Could not open {self.store.folder}")

    def _say(self, ok: bool, text: str) -> None:
        self.window.status.showMessage(text, 10000)
        self.window.log.add("INFO" if ok else "WARNING", text)
