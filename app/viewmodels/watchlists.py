"""Several named watchlists (tabs of the Watchlist dock): names, order, the current list,
settings and CSV import / export.

Each list is its own :class:`~app.viewmodels.watchlist.WatchlistModel`. Quote
subscriptions: **every list stays subscribed** (not only the shown one), so switching
tabs is instant (no re-resolve, no waiting for first quotes). The cost is one market
data line per distinct instrument over all lists (IB's default allowance is about 100
lines); the Session counts subscriptions per instrument, so a symbol in several lists
is requested from the gateway once.

Settings (per profile QSettings): ``watchlists/names`` (list names in tab order),
``watchlists/<i>/symbols`` (display symbols in row order, ``i`` the tab index) and
``watchlists/current`` (tab index). Backwards compatibility: without
``watchlists/names`` the old single-list key ``watchlist/symbols`` (or the default
symbols) becomes the one list "Main"; the first list is also written back to
``watchlist/symbols`` so an older version still finds it.

CSV: one symbol per row under the header ``symbol`` (:func:`symbols_to_csv`);
:func:`parse_symbols_csv` accepts a ``symbol`` / ``Symbol`` column or a single column
and reports every skipped row.
"""

from __future__ import annotations

import csv
import io
import logging

from PySide6.QtCore import QObject, Signal

from app.domain import Instrument
from app.viewmodels.watchlist import DEFAULT_SYMBOLS, WatchlistError, WatchlistModel

log = logging.getLogger(__name__)

KEY_OLD_SYMBOLS = "watchlist/symbols"
KEY_NAMES = "watchlists/names"
KEY_CURRENT = "watchlists/current"
FIRST_NAME = "Main"


def _key_symbols(i: int) -> str:
    return f"watchlists/{i}/symbols"


def _str_list(value) -> list[str] | None:
    """A QSettings list value (one entry comes back as a plain string, none as "" or None)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


#: a single column's first cell taken as its header, not as a symbol
_HEADER_WORDS = frozenset({"symbols", "ticker", "tickers", "instrument", "contract", "code"})


# ---- CSV ------------------------------------------------------------------------
def symbols_to_csv(symbols) -> str:
    """CSV text of ``symbols`` (display symbols): header ``symbol``, one symbol per row."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["symbol"])
    for s in symbols:
        w.writerow([s])
    return out.getvalue()


def parse_symbols_csv(text: str) -> tuple[list[str], list[str]]:
    """Symbols from CSV ``text``: the column headed ``symbol`` (any case) or, without one,
    the first column of a file whose rows have a single column (a first cell such as
    ``ticker`` or ``symbols`` is taken as its header).

    Returns ``(symbols, skipped)``: symbols as written (upper-cased) in file order, and
    one message per skipped row, e.g. ``"row 3: '12$': bad symbol ..."``, ``"row 4: AAPL:
    duplicate"`` or ``"row 5: empty"``. Raises ``ValueError`` when the file has several
    columns and none is headed ``symbol``.
    """
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        return [], []
    header = [c.strip().lower() for c in rows[0]]
    start = 1
    if "symbol" in header:
        col = header.index("symbol")
    elif max(len([c for c in r if c.strip()]) for r in rows) <= 1:
        col = 0
        first = rows[0][0].strip().lower() if rows[0] else ""
        start = 1 if first in _HEADER_WORDS else 0
    else:
        raise ValueError(f"no 'symbol' column in the header ({', '.join(rows[0])}) "
                         "and more than one column")
    symbols: list[str] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for n, r in enumerate(rows[start:], start=start + 1):
        text_ = r[col].strip() if col < len(r) else ""
        if not text_:
            skipped.append(f"row {n}: empty")
            continue
        try:
            inst = Instrument.parse(text_)
        except ValueError as e:
            skipped.append(f"row {n}: {text_!r}: {e}")
            continue
        key = inst.display_symbol.upper()
        if key in seen:
            skipped.append(f"row {n}: {text_}: duplicate")
            continue
        seen.add(key)
        symbols.append(text_.upper())
    return symbols, skipped


# ---- the lists --------------------------------------------------------------------
class WatchlistSet(QObject):
    """Named watchlists in tab order, one :class:`WatchlistModel` each, and the current one.

    ``session`` follows the Session contract of :class:`WatchlistModel`. Signals:
    ``listAdded(int)``, ``listRemoved(int)``, ``listRenamed(int, str)``,
    ``currentChanged(int)`` (tab index). There is always at least one list.
    """

    listAdded = Signal(int)
    listRemoved = Signal(int)
    listRenamed = Signal(int, str)
    currentChanged = Signal(int)

    def __init__(self, session, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self._names: list[str] = []
        self._models: list[WatchlistModel] = []
        self._current = 0

    # ---- read ----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._models)

    def names(self) -> list[str]:
        """List names in tab order."""
        return list(self._names)

    def model(self, i: int) -> WatchlistModel:
        """The WatchlistModel of tab ``i`` (IndexError when out of range)."""
        return self._models[i]

    def models(self) -> list[WatchlistModel]:
        """Every list's model, in tab order."""
        return list(self._models)

    @property
    def current(self) -> int:
        """Index of the shown list."""
        return self._current

    @property
    def current_model(self) -> WatchlistModel:
        """The shown list's model."""
        return self._models[self._current]

    # ---- edit ----------------------------------------------------------------
    def unique_name(self, base: str = "List") -> str:
        """``base``, or ``base 2``, ``base 3``… whichever is not taken (case-blind)."""
        taken = {n.lower() for n in self._names}
        if base.lower() not in taken:
            return base
        k = 2
        while f"{base} {k}".lower() in taken:
            k += 1
        return f"{base} {k}"

    def _check_name(self, name: str, ignore: int | None = None) -> str:
        name = name.strip()
        if not name:
            raise WatchlistError("A watchlist needs a name")
        if any(n.lower() == name.lower() for i, n in enumerate(self._names) if i != ignore):
            raise WatchlistError(f"There is already a watchlist named '{name}'")
        return name

    def add_list(self, name: str | None = None, symbols=()) -> tuple[int, list[str]]:
        """Append a list (``name`` None: "List", "List 2", …) holding ``symbols``.

        Returns ``(index, skipped)`` (skipped entries with reasons, as
        :meth:`WatchlistModel.set_symbols`). Raises :class:`WatchlistError` for an empty
        or taken name.
        """
        name = self._check_name(self.unique_name() if name is None else name)
        model = WatchlistModel(self.session, self)
        skipped = model.set_symbols(list(symbols))
        self._names.append(name)
        self._models.append(model)
        i = len(self._models) - 1
        self.listAdded.emit(i)
        return i, skipped

    def rename_list(self, i: int, name: str) -> str:
        """Rename tab ``i``; returns the stripped name. Raises :class:`WatchlistError` for an
        empty or taken name, IndexError for a bad index."""
        self._models[i]
        name = self._check_name(name, ignore=i)
        self._names[i] = name
        self.listRenamed.emit(i, name)
        return name

    def remove_list(self, i: int) -> None:
        """Remove tab ``i`` and release its quote subscriptions. Raises
        :class:`WatchlistError` for the last list, IndexError for a bad index."""
        self._models[i]
        if len(self._models) == 1:
            raise WatchlistError("The last watchlist cannot be removed")
        model = self._models.pop(i)
        self._names.pop(i)
        model.close()
        model.deleteLater()
        if self._current > i or self._current >= len(self._models):
            self._current = max(0, self._current - 1)
        self.listRemoved.emit(i)
        self.currentChanged.emit(self._current)

    def set_current(self, i: int) -> None:
        """Show tab ``i`` (IndexError when out of range)."""
        self._models[i]
        if i != self._current:
            self._current = i
            self.currentChanged.emit(i)

    # ---- connection --------------------------------------------------------------
    async def start(self) -> list[str]:
        """Resolve and subscribe every list (see the module doc: all lists stay subscribed);
        returns the error messages of all lists, the current list's first."""
        order = [self._current] + [i for i in range(len(self._models)) if i != self._current]
        errors: list[str] = []
        for i in order:
            errors += await self._models[i].start()
        return errors

    def close(self) -> None:
        """Release every list's quote subscriptions and session handlers."""
        for m in self._models:
            m.close()

    # ---- settings ------------------------------------------------------------------
    def load(self, settings) -> list[str]:
        """Replace the lists with those in ``settings`` (QSettings or anything with
        ``value(key, default=None)``), see the module doc for the keys and the old
        single-list key. Returns skipped entries ("Main: XYZ$: ...") for the log."""
        for m in self._models:
            m.close()
            m.deleteLater()
        self._names, self._models, self._current = [], [], 0
        skipped: list[str] = []
        names = _str_list(settings.value(KEY_NAMES))
        if names:
            lists = [(n, _str_list(settings.value(_key_symbols(i))) or []) for i, n in enumerate(names)]
        else:
            old = _str_list(settings.value(KEY_OLD_SYMBOLS))
            lists = [(FIRST_NAME, old if old is not None else list(DEFAULT_SYMBOLS))]
        for name, symbols in lists:
            try:
                _, bad = self.add_list(name, symbols)
            except WatchlistError as e:   # a hand-edited file: an empty or repeated name
                log.warning("watchlist %r from settings renamed: %s", name, e)
                _, bad = self.add_list(self.unique_name(name.strip() or "List"), symbols)
            skipped += [f"{self._names[-1]}: {b}" for b in bad]
        try:
            cur = int(settings.value(KEY_CURRENT, 0) or 0)
        except (TypeError, ValueError):
            cur = 0
        self._current = cur if 0 <= cur < len(self._models) else 0
        self.currentChanged.emit(self._current)
        return skipped

    def save(self, settings) -> None:
        """Write the names, each list's symbols and the current tab to ``settings``; stale
        ``watchlists/<i>/symbols`` keys of removed tabs are deleted."""
        old = _str_list(settings.value(KEY_NAMES)) or []
        settings.setValue(KEY_NAMES, self.names())
        for i, m in enumerate(self._models):
            settings.setValue(_key_symbols(i), m.symbols())
        for i in range(len(self._models), len(old)):
            settings.remove(_key_symbols(i))
        settings.setValue(KEY_CURRENT, self._current)
        settings.setValue(KEY_OLD_SYMBOLS, self._models[0].symbols())   # for older versions

    # ---- CSV -------------------------------------------------------------------
    def export_csv(self, i: int) -> str:
        """CSV text of list ``i`` (:func:`symbols_to_csv`)."""
        return symbols_to_csv(self._models[i].symbols())

    def import_csv(self, text: str, name: str) -> tuple[int, list[str]]:
        """Add a new list (named ``name``, made unique) from CSV ``text``; returns
        ``(index, skipped)`` with one message per skipped row. Symbols that parse but are
        unknown to IB show up red in the list (tooltip and ``message``) once resolved.
        Raises ``ValueError`` for a file without a usable column."""
        symbols, skipped = parse_symbols_csv(text)
        i, bad = self.add_list(self.unique_name(name.strip() or "Imported"), symbols)
        return i, skipped + bad

