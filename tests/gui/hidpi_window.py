"""Build the real main window (every panel over the in-memory FakeSession, 300 bars charted)
and print what ``tests/gui/test_high_dpi.py`` checks, as JSON on stdout.

Run in a fresh process because Qt reads ``QT_SCALE_FACTOR`` once, when the QApplication is
created: ``QT_SCALE_FACTOR=2 QT_QPA_PLATFORM=offscreen python -m tests.gui.hidpi_window DIR [THEME]``.
Saves the window's picture to DIR/window.png.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QWidget


def clipped(root: QWidget) -> list[str]:
    """Visible labels, buttons and combo boxes too small for their text (cut off): a label
    narrower than its size hint (one line), a button or combo box narrower than its text or
    lower than a line of its font (fixed pixel sizes that do not follow the font cause it)."""
    found = []
    for w in root.findChildren(QWidget):
        if not w.isVisible() or not isinstance(w, (QLabel, QAbstractButton, QComboBox)):
            continue
        text = w.currentText() if isinstance(w, QComboBox) else w.text()
        if not text or (isinstance(w, QLabel) and (w.wordWrap() or "<" in text)):
            continue
        fm = w.fontMetrics()
        need_w = w.sizeHint().width() if isinstance(w, QLabel) else fm.horizontalAdvance(text) + 4
        if w.width() < need_w - 1 or w.height() < fm.height():
            name = w.objectName() or type(w).__name__
            found.append(f"{name} {text!r} {w.width()}x{w.height()} < {need_w}x{fm.height()}")
    return found


def main(out: Path, theme_choice: str = "light") -> dict:
    import qasync

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from app.commands import OrderCommands
    from app.ui.appearance import apply_theme
    from app.ui.main_window import MainWindow
    from app.ui.panels import build_panels
    from tests.fakes import FakeSession
    from tests.unit.chart.chart_fakes import make_bars

    apply_theme(theme_choice, app)
    session = FakeSession()
    session.bars = make_bars(300)
    settings = QSettings(str(out / "hidpi.ini"), QSettings.IniFormat)
    panels = build_panels(session, OrderCommands(session), settings)
    window = MainWindow(panels.charts, panels.docks(), settings, chips=panels.chips, restore_layout=False)
    panels.install_trading(window)
    window.resize(1600, 950)
    window.show()
    panels.on_connected()
    view = panels.chart_view

    async def settle() -> None:
        for _ in range(400):
            await asyncio.sleep(0.01)
            if panels.chart_model.count == 300 and not panels.chart_model.loading:
                break
        await asyncio.sleep(0.2)

    loop.run_until_complete(settle())
    shot = window.grab()
    shot.save(str(out / "window.png"))
    chart = view.plots.grab().toImage()
    colours = {chart.pixelColor(x, y).name() for x in range(0, chart.width(), 2) for y in range(0, chart.height(), 2)}
    result = {
        "dpr": app.devicePixelRatio(),
        "window_dpr": window.devicePixelRatio(),
        "window_logical": [window.width(), window.height()],
        "shot_physical": [shot.width(), shot.height()],
        "chart_logical": [view.plots.width(), view.plots.height()],
        "chart_physical": [chart.width(), chart.height()],
        "bars": panels.chart_model.count,
        "drawn": view.candles.drawn_count,
        "up": view.candles._up.name(), "down": view.candles._down.name(),
        "candle_colours": sorted(c for c in colours if c in (view.candles._up.name(), view.candles._down.name())),
        "clipped": clipped(window),
        "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
    }
    panels.shutdown()
    window.close()
    return result


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), *(sys.argv[2:3]))))
