"""Startup moments for benchmarks: off unless ``IBDESK_REPORT_STARTUP`` names a file.

With ``IBDESK_REPORT_STARTUP=/path/file.jsonl`` in the environment, ``ibdesk`` appends one
JSON line per moment to that file, each the first time it happens:

- ``{"event": "first_quote_paint", "monotonic": t}``: the watchlist table painted while
  a row had a quote;
- ``{"event": "first_chart_frame", "monotonic": t, "bars": n}``: the chart's plots painted
  with the loaded bars of its selection (``n`` bars).

``monotonic`` is ``time.monotonic()`` seconds (CLOCK_MONOTONIC, comparable between
processes of one machine: the benchmark ``tests/benchmarks/bench_startup.py`` takes its launch
time with the same clock). Paints are seen through an event filter on the two viewports; the
filter removes itself once both moments are written.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject

#: the environment variable naming the report file
ENV_VAR = "IBDESK_REPORT_STARTUP"


class StartupReport(QObject):
    """Watches ``panels`` (``app.ui.panels.Panels``) paints and writes the moments to ``path``
    (see the module docstring). ``clock`` (seconds, monotonic) is injectable for tests."""

    def __init__(self, path: Path, panels, parent: QObject | None = None, *, clock=time.monotonic):
        super().__init__(parent)
        self.path = Path(path)
        self.panels = panels
        self.written: set[str] = set()
        self._clock = clock
        self._watch = {panels.watchlist.table.viewport(): "first_quote_paint",
                       panels.chart_view.plots.viewport(): "first_chart_frame"}
        for widget in self._watch:
            widget.installEventFilter(self)

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 (Qt name)
        if ev.type() == QEvent.Type.Paint:
            event = self._watch.get(obj)
            if event is not None and event not in self.written:
                self._check(event, obj)
        return False

    def _check(self, event: str, widget) -> None:
        extra = {}
        if event == "first_quote_paint":
            if not any(r.quote is not None for r in self.panels.watchlist_model.records()):
                return
        else:
            vm = self.panels.chart_model
            if vm.loading or vm.count == 0:
                return
            extra["bars"] = vm.count
        line = {"event": event, "monotonic": self._clock(), **extra}
        with self.path.open("a") as f:
            f.write(json.dumps(line) + "\n")
        self.written.add(event)
        widget.removeEventFilter(self)


def install(panels) -> StartupReport | None:
    """A :class:`StartupReport` on ``panels`` when ``IBDESK_REPORT_STARTUP`` is set, else None."""
    path = os.environ.get(ENV_VAR)
    return StartupReport(Path(path), panels, panels) if path else None
