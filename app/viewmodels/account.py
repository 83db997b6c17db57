"""The account panel's view-models: summary values and positions.

:class:`AccountSummary` keeps the latest IB account values (updateAccountValue,
``Session.accountValueEvent``) for the tags in :data:`SUMMARY_TAGS` and emits
``changed`` at most ~30 times a second. :class:`PositionsModel` is a table of
positions (updatePortfolio, ``Session.positionEvent``): one row per (account,
conId); a quantity of 0 removes the row (IB sends 0 for a closed position).
Money is in the value's currency (IB sends the account's base currency for
these tags).

Staleness: when the session's data goes stale (``staleEvent``, a lost or closed
connection) every summary value and position row is marked stale (greyed by the
panel, with "as of HH:MM:SS" and its age) until that value or row is updated
again after the link is live.
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QColor

from app.domain import AccountValue, Position
from app.ui.format import fmt_money, fmt_price, fmt_qty, is_missing, sign_colour
from app.viewmodels.coalesce import FLUSH_INTERVAL_MS
from app.viewmodels.staleness import StaleRows, StaleWatch, fmt_age
from app.viewmodels.table import Column, RecordTableModel

#: (IB tag, label, coloured by sign) in display order (IB API docs, "Account Summary Tags")
SUMMARY_TAGS: tuple[tuple[str, str, bool], ...] = (
    ("NetLiquidation", "Net Liquidation", False),
    ("TotalCashValue", "Total Cash", False),
    ("BuyingPower", "Buying Power", False),
    ("AvailableFunds", "Available Funds", False),
    ("UnrealizedPnL", "Unrealized P&L", True),
    ("RealizedPnL", "Realized P&L", True),
)
_TAGS = {t for t, _, _ in SUMMARY_TAGS}
_SIGNED = {t for t, _, s in SUMMARY_TAGS if s}


class AccountSummary(QObject):
    """Latest summary values of one account.

    Values for an account other than ``session.account_id`` are ignored once
    that id is known; a "BASE"-currency duplicate never replaces a value in a
    real currency. ``changed`` is emitted (coalesced) after updates, and at once
    when the values go stale. ``staleness`` is the
    :class:`~app.viewmodels.staleness.StaleWatch` (``clock`` monotonic seconds and
    ``wall_clock`` local time injectable for tests).
    """

    changed = Signal()

    def __init__(self, session, parent: QObject | None = None, *, interval_ms: int = FLUSH_INTERVAL_MS,
                 clock=time.monotonic, wall_clock=datetime.now):
        super().__init__(parent)
        self.session = session
        self._values: dict[str, AccountValue] = {}
        self._wall_clock = wall_clock
        self._as_of: dict[str, tuple[datetime, float]] = {}  # tag -> (local time, monotonic)
        self._stale_tags: set[str] = set()
        self.staleness = StaleWatch(session, self, clock=clock)
        self.staleness.changed.connect(self._on_stale)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.changed)
        for v in session.account_values():
            self.on_value(v, notify=False)
        session.accountValueEvent += self.on_value

    def close(self) -> None:
        """Stop listening to ``accountValueEvent`` and the staleness events."""
        self.session.accountValueEvent -= self.on_value
        self.staleness.close()

    def _on_stale(self, stale: bool) -> None:
        if stale and self._values:
            self._stale_tags = set(self._values)
            self.changed.emit()

    def is_stale(self, tag: str) -> bool:
        """True while ``tag``'s value is not live (not updated since the data went stale)."""
        return tag in self._stale_tags

    def as_of(self, tag: str) -> datetime | None:
        """Local time of ``tag``'s last update (None if never)."""
        t = self._as_of.get(tag)
        return t[0] if t else None

    def stale_text(self, tag: str) -> str:
        """"as of 14:03:12 (12 s ago)" for a stale value, "" for a live or absent one."""
        t = self._as_of.get(tag)
        if tag not in self._stale_tags or t is None:
            return ""
        return f"as of {t[0]:%H:%M:%S} ({fmt_age(self.staleness.clock() - t[1])} ago)"

    def stale_summary(self) -> str:
        """One line for the panel while values are stale: "Stale for 12 s: Connection lost ·
        values as of 14:03:12" ("" when every value is live)."""
        if not self._stale_tags:
            return ""
        times = [self._as_of[t][0] for t in self._stale_tags if t in self._as_of]
        head = self.staleness.text() or "Not updated since the connection came back"
        return head + (f" · values as of {min(times):%H:%M:%S}" if times else "")

    @property
    def account_id(self) -> str:
        """The session's account id, or the account of the values seen ("" if none)."""
        acc = getattr(self.session, "account_id", "") or ""
        if acc:
            return acc
        for v in self._values.values():
            if v.account:
                return v.account
        return ""

    def on_value(self, value: AccountValue, notify: bool = True) -> None:
        """Session ``accountValueEvent`` handler."""
        if value.tag not in _TAGS:
            return
        acc = getattr(self.session, "account_id", "") or ""
        if acc and value.account and value.account != acc:
            return
        old = self._values.get(value.tag)
        if old is not None and value.currency == "BASE" and old.currency not in ("", "BASE"):
            return
        self._values[value.tag] = value
        self._as_of[value.tag] = (self._wall_clock(), self.staleness.clock())
        if self.staleness.stale:
            self._stale_tags.add(value.tag)
        else:
            self._stale_tags.discard(value.tag)
        if notify and not self._timer.isActive():
            self._timer.start()

    def value(self, tag: str) -> float | None:
        """The number for ``tag`` (e.g. "NetLiquidation") or None if absent/not numeric."""
        v = self._values.get(tag)
        return None if v is None else v.number

    def currency(self, tag: str) -> str:
        """Currency of ``tag``'s value ("" when absent or IB's "BASE")."""
        v = self._values.get(tag)
        return "" if v is None or v.currency == "BASE" else v.currency

    def text(self, tag: str) -> str:
        """Formatted value: "1,234,567.89" ("" when absent; non-numeric values as sent)."""
        v = self._values.get(tag)
        if v is None:
            return ""
        n = v.number
        return v.value if n is None else fmt_money(n)

    def colour(self, tag: str) -> QColor | None:
        """Green/red for signed tags (P&L) by sign, None otherwise."""
        return sign_colour(self.value(tag)) if tag in _SIGNED else None

    def rows(self) -> list[tuple[str, str, str, str, QColor | None]]:
        """(tag, label, text, currency, colour) for every summary tag, in display order."""
        return [(t, label, self.text(t), self.currency(t), self.colour(t)) for t, label, _ in SUMMARY_TAGS]


def _num(attr: str):
    def get(p: Position):
        v = getattr(p, attr)
        return None if is_missing(v) else v
    return get


def _price(v, p: Position) -> str:
    return fmt_price(v, p.instrument.min_tick)


POSITION_COLUMNS: tuple[Column[Position], ...] = (
    Column("symbol", "Symbol", lambda p: p.instrument.display_symbol,
           tooltip=lambda v, p: f"{p.instrument.long_name or v} ({p.account})", sample="EUR.USD"),
    Column("quantity", "Qty", lambda p: p.quantity, lambda v, p: fmt_qty(v), numeric=True,
           foreground=lambda v, p: sign_colour(v) if v < 0 else None,
           header_tip="Position in shares (negative = short)", sample="-8,888"),
    Column("avg_cost", "Avg Cost", _num("avg_cost"), _price, numeric=True,
           header_tip="Average cost per share", sample="888.88"),
    Column("market_price", "Mkt Price", _num("market_price"), _price, numeric=True, sample="888.88"),
    Column("market_value", "Mkt Value", _num("market_value"), lambda v, p: fmt_money(v), numeric=True,
           sample="88,888.88"),
    Column("unrealized_pnl", "Unrealized P&L", _num("unrealized_pnl"), lambda v, p: fmt_money(v),
           numeric=True, foreground=lambda v, p: sign_colour(v), sample="-8,888.88"),
    Column("realized_pnl", "Realized P&L", _num("realized_pnl"), lambda v, p: fmt_money(v),
           numeric=True, foreground=lambda v, p: sign_colour(v), sample="-8,888.88"),
)


class PositionsModel(StaleRows, RecordTableModel[Position]):
    """Open positions keyed by (account, conId or symbol); quantity 0 removes the row.

    Rows go grey while the data is stale (:class:`~app.viewmodels.staleness.StaleRows`)
    until IB sends the position again after the link is live.
    """

    def __init__(self, session, parent: QObject | None = None, *, clock=time.monotonic, **kw):
        super().__init__(POSITION_COLUMNS, parent, **kw)
        self.session = session
        self._init_stale(session, range(1, len(POSITION_COLUMNS)), clock=clock)
        for p in session.positions():
            self.on_position(p)
        session.positionEvent += self.on_position

    def close(self) -> None:
        """Stop listening to ``positionEvent`` and the staleness events."""
        self.session.positionEvent -= self.on_position
        self.staleness.close()

    def on_position(self, position: Position) -> None:
        """Session ``positionEvent`` handler."""
        key = (position.account, position.instrument.key)
        if not position.quantity:
            self.forget(key)
            self.remove(key)
        else:
            self.upsert(key, position)
            self.touch(key)
