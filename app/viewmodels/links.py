"""Link groups: panels of one colour follow the symbol selected in any of them (TWS's
"colour grouping" of Mosaic windows).

Each panel is a *member* with a name ("watchlist", "ticket", "chart1" …), a colour (one of
:data:`LINK_COLOURS`, or ``""`` = not linked) and a ``follow(instrument)`` callback (None for a
panel that only selects, such as the scanner). :meth:`LinkGroups.select` is called when the
trader picks a symbol in a member; every *other* member of the same colour is given the
instrument. A member without colour neither drives nor follows: it stays put. A member that
joins a colour loads the symbol that colour last selected, as TWS does when a window is
put in a group.

Selections made while followers are being updated are not passed on again (a watchlist that
follows by selecting its row emits a selection of its own: that must not start a loop).

Source of the behaviour: IB TWS Users' Guide, "Link Windows by Color" (Mosaic: "Windows in
the same colour group … change to reflect the ticker selected in any of them").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app.domain import Instrument

log = logging.getLogger(__name__)

#: the colour groups, in menu order (name -> RGB hex of the chip)
LINK_COLOURS: dict[str, str] = {
    "red": "#d64541", "green": "#2e9d4f", "blue": "#3b7dd8",
    "yellow": "#e0b526", "purple": "#8e5bc4", "orange": "#e67e22",
}
#: the colour every panel starts in (all panels follow one symbol, like the terminal always did)
DEFAULT_COLOUR = "red"


@dataclass
class _Member:
    follow: Callable[[Instrument], None] | None
    colour: str


def check_colour(colour: str) -> str:
    """``colour`` normalised (lower case; "" = none). Raises ``ValueError`` naming the
    colours for anything else."""
    c = (colour or "").strip().lower()
    if c and c not in LINK_COLOURS:
        raise ValueError(f"Unknown link colour {colour!r}: use one of {', '.join(LINK_COLOURS)} "
                         "or none")
    return c


class LinkGroups(QObject):
    """The members of every colour group (see the module docstring).

    Signals: ``colourChanged(name, colour)`` when a member changes group ("" = none);
    ``selected(colour, instrument)`` after a member of ``colour`` selected ``instrument``.
    """

    colourChanged = Signal(str, str)
    selected = Signal(str, object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._members: dict[str, _Member] = {}
        #: colour -> the instrument last selected in it
        self._current: dict[str, Instrument] = {}
        self._dispatching = False

    def add(self, name: str, follow: Callable[[Instrument], None] | None,
            colour: str = DEFAULT_COLOUR) -> None:
        """Register the member ``name`` (unique) in ``colour``; ``follow`` is called with the
        instrument another member of its colour selected (None: the member never follows).
        Raises ``ValueError`` for a taken name or an unknown colour."""
        if name in self._members:
            raise ValueError(f"link member {name!r} exists already")
        self._members[name] = _Member(follow, check_colour(colour))

    def remove(self, name: str) -> None:
        """Forget the member ``name`` (a closed chart); unknown names are ignored."""
        self._members.pop(name, None)

    def names(self) -> list[str]:
        """Every member's name, in the order they were added."""
        return list(self._members)

    def colour(self, name: str) -> str:
        """The colour of ``name`` ("" = not linked). Raises ``KeyError`` for an unknown member."""
        return self._members[name].colour

    def current(self, colour: str) -> Instrument | None:
        """The instrument ``colour`` last selected (None before any selection)."""
        return self._current.get(colour)

    def set_colour(self, name: str, colour: str) -> None:
        """Put ``name`` in ``colour`` ("" = unlink). A member that joins a colour follows the
        symbol that colour last selected. Raises ``KeyError`` (member) / ``ValueError`` (colour)."""
        member = self._members[name]
        colour = check_colour(colour)
        if colour == member.colour:
            return
        member.colour = colour
        self.colourChanged.emit(name, colour)
        inst = self._current.get(colour) if colour else None
        if inst is not None and member.follow is not None:
            self._call(name, member, inst)

    def select(self, name: str, instrument: Instrument) -> list[str]:
        """``name`` selected ``instrument``: give it to every other member of its colour.
        Returns the names of the members that followed ([] for an unlinked member, an
        unknown one, or a selection made while followers are being updated)."""
        member = self._members.get(name)
        if member is None or not member.colour or self._dispatching:
            return []
        return self._give(member.colour, instrument, skip=name)

    def choose(self, name: str, instrument: Instrument) -> list[str]:
        """The trader put ``instrument`` into member ``name`` itself (dropped a symbol on it):
        ``name`` loads it and, when linked, its colour follows. Returns the members that
        followed. Raises ``KeyError`` for an unknown member."""
        member = self._members[name]
        if member.follow is not None:
            self._call(name, member, instrument)
        return self.select(name, instrument)

    def load(self, colour: str, instrument: Instrument) -> list[str]:
        """Give ``instrument`` to every member of ``colour`` (a start: the group had no symbol
        yet). Returns the members that followed. Raises ``ValueError`` for an unknown colour."""
        colour = check_colour(colour)
        if not colour or self._dispatching:
            return []
        return self._give(colour, instrument, skip=None)

    def _give(self, colour: str, instrument: Instrument, skip: str | None) -> list[str]:
        self._current[colour] = instrument
        followed = []
        self._dispatching = True
        try:
            for other_name, other in list(self._members.items()):
                if other_name != skip and other.colour == colour and other.follow is not None:
                    self._call(other_name, other, instrument)
                    followed.append(other_name)
        finally:
            self._dispatching = False
        self.selected.emit(colour, instrument)
        return followed

    def _call(self, name: str, member: _Member, instrument: Instrument) -> None:
        was, self._dispatching = self._dispatching, True
        try:
            member.follow(instrument)
        except Exception:   # one panel failing must not keep the others from following
            log.exception("link: %s could not follow %s", name, instrument.display_symbol)
        finally:
            self._dispatching = was

    # ---- persistence (the layout) ---------------------------------------------
    def state(self) -> dict[str, str]:
        """``{member name: colour}`` ("" = not linked) for the layout file."""
        return {n: m.colour for n, m in self._members.items()}

    def restore(self, state: dict) -> list[str]:
        """Apply a :meth:`state` dict to the members that exist (names of panels this window
        does not have are ignored); returns why entries were skipped (bad colour)."""
        problems = []
        for name, colour in (state or {}).items():
            try:
                c = check_colour(str(colour))
            except ValueError as e:
                problems.append(f"{name}: {e}")
                continue
            if name in self._members:
                self.set_colour(name, c)
        return problems
