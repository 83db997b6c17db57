"""The title bar of a dock: optional link-colour chip, the dock's title, float and close.

Qt's own title bar has no room for a widget, so every dock gets this one (the same look for
all). Mouse presses outside the buttons are ignored, so the ``QDockWidget`` still moves the
dock when the bar is dragged and floats / docks it on a double-click (Qt docs,
``QDockWidget.setTitleBarWidget``).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QStyle, QToolButton, QWidget


class DockTitleBar(QWidget):
    """Title bar of ``dock``; ``chip`` (a widget such as ``app.ui.link_button.LinkButton``,
    or None) sits left of the title. Children: ``title`` (QLabel following the dock's
    window title), ``float_button``, ``close_button``."""

    def __init__(self, dock: QDockWidget, chip: QWidget | None = None):
        super().__init__(dock)
        self.dock = dock
        self.setObjectName(f"{dock.objectName()}.title")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 1, 2, 1)
        lay.setSpacing(4)
        self.chip = chip
        if chip is not None:
            lay.addWidget(chip)
        self.title = QLabel(dock.windowTitle().replace("&&", "&"))
        lay.addWidget(self.title, 1)
        dock.windowTitleChanged.connect(lambda t: self.title.setText(t.replace("&&", "&")))
        style = self.style()
        side = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.float_button = self._button(QStyle.StandardPixmap.SP_TitleBarNormalButton,
                                         "Float / dock this panel", side)
        self.float_button.clicked.connect(lambda: dock.setFloating(not dock.isFloating()))
        self.close_button = self._button(QStyle.StandardPixmap.SP_TitleBarCloseButton,
                                         "Close this panel (View menu shows it again)", side)
        self.close_button.clicked.connect(dock.close)
        lay.addWidget(self.float_button)
        lay.addWidget(self.close_button)
        dock.featuresChanged.connect(self._features)
        self._features(dock.features())

    def _button(self, pixmap: QStyle.StandardPixmap, tip: str, side: int) -> QToolButton:
        b = QToolButton(self)
        b.setAutoRaise(True)
        b.setIcon(self.style().standardIcon(pixmap, None, self))
        b.setIconSize(QSize(side - 4, side - 4))
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return b

    def _features(self, features) -> None:
        self.float_button.setVisible(bool(features & QDockWidget.DockWidgetFeature.DockWidgetFloatable))
        self.close_button.setVisible(bool(features & QDockWidget.DockWidgetFeature.DockWidgetClosable))
