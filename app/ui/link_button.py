"""The link-colour chip of a panel (TWS "colour grouping"): a small square in the panel's
colour group; its menu moves the panel to another colour or unlinks it.

The chip is a view of one member of ``app.viewmodels.links.LinkGroups``: it shows the
member's colour (a hollow square when unlinked, tooltip "Linked: blue" / "Not linked") and
follows ``colourChanged`` whoever changed it (the menu, a loaded layout).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.viewmodels.links import LINK_COLOURS, LinkGroups

#: the chip's side in pixels
CHIP_PX = 12


def chip_icon(colour: str, px: int = CHIP_PX) -> QIcon:
    """A ``px``-pixel square icon filled with the group's colour; "" = a hollow grey square."""
    pm = QPixmap(px, px)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    if colour:
        p.setPen(QColor(LINK_COLOURS[colour]).darker(140))
        p.setBrush(QColor(LINK_COLOURS[colour]))
    else:
        p.setPen(QColor("#8a8a8a"))
        p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(0, 0, px - 1, px - 1)
    p.end()
    return QIcon(pm)


class LinkButton(QToolButton):
    """The chip of member ``name`` of ``links``; its menu lists "Not linked" and every
    colour (the current one checked). ``actions`` maps a colour ("" = none) to its QAction."""

    def __init__(self, links: LinkGroups, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.links = links
        self.name = name
        self.setObjectName(f"link.{name}")
        self.setAutoRaise(True)
        self.setIconSize(QSize(CHIP_PX, CHIP_PX))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        menu = QMenu(self)
        group = QActionGroup(menu)
        self.actions_by_colour: dict[str, QAction] = {}
        for colour in ("", *LINK_COLOURS):
            act = QAction(chip_icon(colour), colour.title() if colour else "Not linked", menu)
            act.setCheckable(True)
            act.triggered.connect(lambda _on=False, c=colour: self.links.set_colour(self.name, c))
            group.addAction(act)
            menu.addAction(act)
            self.actions_by_colour[colour] = act
            if not colour:
                menu.addSeparator()
        self.setMenu(menu)
        links.colourChanged.connect(self._on_colour)
        self._show(links.colour(name))

    def _on_colour(self, name: str, colour: str) -> None:
        if name == self.name:
            self._show(colour)

    def _show(self, colour: str) -> None:
        self.setIcon(chip_icon(colour))
        self.setToolTip(f"Linked: {colour} (panels of this colour follow one symbol)" if colour
                        else "Not linked: this panel keeps its own symbol")
        self.actions_by_colour[colour].setChecked(True)

    @property
    def colour(self) -> str:
        """The member's colour as the chip shows it ("" = not linked)."""
        return next(c for c, a in self.actions_by_colour.items() if a.isChecked())
