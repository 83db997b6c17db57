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

from app.domain import (AccountPnL, AccountValue, GreeksTotal, Instrument, Position, PositionPnL, greeks_totals,
                        live_position)
from app.ui.format import fmt_money, fmt_price, fmt_qty, is_missing, sign_colour
from app.viewmodels.coalesce import FLUSH_INTERVAL_MS
from app.viewmodels.instrument_mime import InstrumentDragRows
from app.viewmodels.staleness import StaleRows, StaleWatch, fmt_age
from app.viewmodels.table import Column, RecordTableModel
from app.viewmodels.timedisplay import TIME_DISPLAY

#: pseudo tag of the Net Liquidation IB last reported (updateAccountValue; TWS sends it every ~3 min)
NET_LIQ_REPORTED = "NetLiquidation.reported"
#: pseudo tag of IB reqPnL dailyPnL
DAILY_PNL = "DailyPnL"
#: the P&L tags that IB reqPnL supplies live (once it answered, updateAccountValue's are not used)
PNL_TAGS = (DAILY_PNL, "UnrealizedPnL", "RealizedPnL")

#: (tag, label, coloured by sign) in display order (IB API docs, "Account Summary Tags",
#: "Profit & Loss"). "NetLiquidation" is the live estimate (IB's value moved with the
#: positions' live market value), NET_LIQ_REPORTED the value IB last sent.
SUMMARY_TAGS: tuple[tuple[str, str, bool], ...] = (
    ("NetLiquidation", "Net Liq. (live est.)", False),
    (NET_LIQ_REPORTED, "Net Liq. reported", False),
    ("TotalCashValue", "Total Cash", False),
    ("BuyingPower", "Buying Power", False),
    ("AvailableFunds", "Available Funds", False),
    (DAILY_PNL, "Daily P&L", True),
    ("UnrealizedPnL", "Unrealized P&L", True),
    ("RealizedPnL", "Realized P&L", True),
)
_TAGS = {t for t, _, _ in SUMMARY_TAGS}
_SIGNED = {t for t, _, s in SUMMARY_TAGS if s}
#: the update time of a pseudo tag is its source's
_SOURCE = {NET_LIQ_REPORTED: "NetLiquidation"}


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
        self._pnl: AccountPnL | None = None
        self.positions: PositionsModel | None = None
        for v in session.account_values():
            self.on_value(v, notify=False)
        pnl = getattr(session, "account_pnl", lambda: None)()
        if pnl is not None:
            self.on_pnl(pnl, notify=False)
        session.accountValueEvent += self.on_value
        session.pnlEvent += self.on_pnl

    def close(self) -> None:
        """Stop listening to ``accountValueEvent``, ``pnlEvent`` and the staleness events."""
        self.session.accountValueEvent -= self.on_value
        self.session.pnlEvent -= self.on_pnl
        self.staleness.close()

    def follow_positions(self, positions: "PositionsModel") -> None:
        """Move Net Liquidation and the P&L values with ``positions``' live valuation
        (``marksChanged``) between IB's account updates."""
        self.positions = positions
        positions.marksChanged.connect(self._schedule)

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _stamp(self, tag: str) -> None:
        self._as_of[tag] = (self._wall_clock(), self.staleness.clock())
        if self.staleness.stale:
            self._stale_tags.add(tag)
        else:
            self._stale_tags.discard(tag)

    def _on_stale(self, stale: bool) -> None:
        if stale and self._as_of:
            self._stale_tags = set(self._as_of)
            self.changed.emit()

    def is_stale(self, tag: str) -> bool:
        """True while ``tag``'s value is not live (not updated since the data went stale)."""
        return _SOURCE.get(tag, tag) in self._stale_tags

    def as_of(self, tag: str) -> datetime | None:
        """Local time of ``tag``'s last update (None if never)."""
        t = self._as_of.get(_SOURCE.get(tag, tag))
        return t[0] if t else None

    def stale_text(self, tag: str) -> str:
        """"as of 14:03:12 (12 s ago)" for a stale value, "" for a live or absent one."""
        tag = _SOURCE.get(tag, tag)
        t = self._as_of.get(tag)
        if tag not in self._stale_tags or t is None:
            return ""
        return f"as of {self.time_text(t[0])} ({fmt_age(self.staleness.clock() - t[1])} ago)"

    def stale_summary(self) -> str:
        """One line for the panel while values are stale: "Stale for 12 s: Connection lost ·
        values as of 14:03:12" ("" when every value is live)."""
        if not self._stale_tags:
            return ""
        times = [self._as_of[t][0] for t in self._stale_tags if t in self._as_of]
        head = self.staleness.text() or "Not updated since the connection came back"
        return head + (f" · values as of {self.time_text(min(times))}" if times else "")

    @staticmethod
    def time_text(t: datetime) -> str:
        """A local wall-clock time (``wall_clock``; naive = the machine's zone) shown by the one
        clock rule (:data:`~app.viewmodels.timedisplay.TIME_DISPLAY`)."""
        return TIME_DISPLAY.text(t.astimezone())

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
        if not (self._pnl is not None and value.tag in PNL_TAGS):
            self._stamp(value.tag)
        if notify:
            self._schedule()

    def on_pnl(self, pnl: AccountPnL, notify: bool = True) -> None:
        """Session ``pnlEvent`` handler (IB reqPnL): Daily, Unrealized and Realized P&L."""
        acc = getattr(self.session, "account_id", "") or ""
        if acc and pnl.account and pnl.account != acc:
            return
        self._pnl = pnl
        for tag in PNL_TAGS:
            self._stamp(tag)
        if notify:
            self._schedule()

    def value(self, tag: str) -> float | None:
        """The number for ``tag`` or None if absent/not numeric. "NetLiquidation" is the live
        estimate: IB's last NetLiquidation plus the positions' market value change since
        (:meth:`PositionsModel.value_change`); NET_LIQ_REPORTED is IB's value itself. The P&L
        tags come from IB reqPnL once it answered (moved with the quotes like the position
        rows), else from updateAccountValue."""
        if tag == NET_LIQ_REPORTED:
            return self._reported("NetLiquidation")
        if tag == "NetLiquidation":
            n = self._reported(tag)
            return n if n is None or self.positions is None else n + self.positions.value_change()
        if tag in PNL_TAGS and self._pnl is not None:
            move = self.positions.pnl_change() if self.positions is not None else 0.0
            if tag == DAILY_PNL:
                return None if self._pnl.daily is None else self._pnl.daily + move
            if tag == "UnrealizedPnL":
                return None if self._pnl.unrealized is None else self._pnl.unrealized + move
            return self._pnl.realized
        return self._reported(tag)

    def _reported(self, tag: str) -> float | None:
        v = self._values.get(tag)
        return None if v is None else v.number

    def currency(self, tag: str) -> str:
        """Currency of ``tag``'s value ("" when absent or IB's "BASE"); reqPnL's values are
        in the account's base currency, that of NetLiquidation."""
        if tag in _SOURCE or (tag in PNL_TAGS and self._pnl is not None) or tag == DAILY_PNL:
            tag = "NetLiquidation"
        v = self._values.get(tag)
        return "" if v is None or v.currency == "BASE" else v.currency

    def text(self, tag: str) -> str:
        """Formatted value: "1,234,567.89" ("" when absent; non-numeric values as sent)."""
        n = self.value(tag)
        if n is not None:
            return fmt_money(n)
        v = self._values.get(_SOURCE.get(tag, tag))
        return "" if v is None or tag in PNL_TAGS and self._pnl is not None else v.value

    def colour(self, tag: str) -> QColor | None:
        """Green/red for signed tags (P&L) by sign, None otherwise."""
        return sign_colour(self.value(tag)) if tag in _SIGNED else None

    def rows(self) -> list[tuple[str, str, str, str, QColor | None]]:
        """(tag, label, text, currency, colour) for every summary tag, in display order."""
        return [(t, label, self.text(t), self.currency(t), self.colour(t)) for t, label, _ in SUMMARY_TAGS]


#: headers of :func:`greeks_rows` (per underlying; greeks x multiplier x position)
GREEKS_HEADERS = ("Underlying", "Delta (shares)", "Delta value", "Gamma", "Vega", "Theta / day")


def greeks_rows(totals: dict[str, GreeksTotal]) -> list[tuple[str, ...]]:
    """The greeks totals (:meth:`PositionsModel.greeks_totals`) as text rows for a table or a
    tooltip, in :data:`GREEKS_HEADERS` order, sorted by underlying: delta-adjusted shares
    ("275"), its value in the underlying's currency ("55,275.00", "" without a price), gamma
    (shares of delta per 1 of price, "1.00"), vega (currency per vol point), theta (currency
    per day). An underlying with option positions still without greeks gets " *" after its
    name (its sums are incomplete)."""
    out = []
    for sym in sorted(totals):
        t = totals[sym]
        out.append((sym + (" *" if t.missing else ""), fmt_money(t.delta_shares, 0),
                    fmt_money(t.delta_value), fmt_money(t.gamma), fmt_money(t.vega), fmt_money(t.theta)))
    return out


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
           header_tip="Position in shares, options and futures in contracts (negative = short)",
           sample="-8,888"),
    Column("avg_cost", "Avg Cost", lambda p: None if is_missing(p.avg_cost) else p.avg_price, _price,
           numeric=True, header_tip="Average cost per share (an option's: IB's cost per contract / "
           "multiplier), comparable with Mkt Price", sample="888.88"),
    Column("market_price", "Mkt Price", _num("market_price"), _price, numeric=True, sample="888.88",
           header_tip="The live quote (last, else mid), as the watchlist shows it"),
    Column("market_value", "Mkt Value", _num("market_value"), lambda v, p: fmt_money(v), numeric=True,
           sample="88,888.88"),
    Column("unrealized_pnl", "Unrealized P&L", _num("unrealized_pnl"), lambda v, p: fmt_money(v),
           numeric=True, foreground=lambda v, p: sign_colour(v), sample="-8,888.88"),
    Column("daily_pnl", "Daily P&L", _num("daily_pnl"), lambda v, p: fmt_money(v),
           numeric=True, foreground=lambda v, p: sign_colour(v), sample="-8,888.88",
           header_tip="Today's P&L since the prior close (IB reqPnLSingle dailyPnL), moved with the quote"),
    Column("realized_pnl", "Realized P&L", _num("realized_pnl"), lambda v, p: fmt_money(v),
           numeric=True, foreground=lambda v, p: sign_colour(v), sample="-8,888.88"),
)


class PositionsModel(InstrumentDragRows, StaleRows, RecordTableModel[Position]):
    """Open positions keyed by (account, conId or symbol); quantity 0 removes the row.

    Each row is IB's updatePortfolio position (sent every ~3 minutes) valued live
    (:func:`app.domain.live_position`): at the quote's mark (the session's quotes,
    subscribed here per position and counted with the watchlist's, so a symbol in
    both is requested once) and with IB's reqPnLSingle P&L (``positionPnlEvent``,
    about once a second), so Mkt Price, Mkt Value, Unrealized and Daily P&L move with
    the quote. ``marksChanged`` is emitted after a row's valuation changed. Options and
    futures are valued with their multiplier (IB's avg cost, market value and P&L include
    it); :meth:`greeks_totals` sums the options' greeks per underlying (``greeksChanged``
    after a held option's quote arrived).

    Rows go grey while the data is stale (:class:`~app.viewmodels.staleness.StaleRows`)
    until a new position, P&L or quote arrives for them after the link is live.

    A row drags out as its instrument (``app.viewmodels.instrument_mime``).
    """

    marksChanged = Signal()
    #: a quote of a held option arrived (its greeks may have changed): :meth:`greeks_totals` anew
    greeksChanged = Signal()

    def __init__(self, session, parent: QObject | None = None, *, clock=time.monotonic, **kw):
        super().__init__(POSITION_COLUMNS, parent, **kw)
        self.session = session
        self._reported: dict[tuple, Position] = {}     # key -> IB's updatePortfolio position
        self._pnl: dict[tuple, PositionPnL] = {}       # key -> latest reqPnLSingle
        self._marks: dict[str, float] = {}             # instrument key -> live quote mark
        self._quoted: dict[tuple, Instrument] = {}     # key -> instrument subscribed for quotes
        self._init_stale(session, range(1, len(POSITION_COLUMNS)), clock=clock)
        for p in session.positions():
            self.on_position(p)
        for pnl in getattr(session, "position_pnls", list)():
            self.on_position_pnl(pnl)
        session.positionEvent += self.on_position
        session.positionPnlEvent += self.on_position_pnl
        session.quotesEvent += self.on_quotes

    def drag_instrument(self, row: int) -> Instrument:
        """The instrument of position row ``row`` as IB reported it (InstrumentDragRows)."""
        return self.record(row).instrument

    def close(self) -> None:
        """Stop listening to the session and drop the quote subscriptions of the positions."""
        self.session.positionEvent -= self.on_position
        self.session.positionPnlEvent -= self.on_position_pnl
        self.session.quotesEvent -= self.on_quotes
        for inst in self._quoted.values():
            self.session.unsubscribe_quotes(inst)
        self._quoted.clear()
        self.staleness.close()

    def on_position(self, position: Position) -> None:
        """Session ``positionEvent`` handler."""
        key = (position.account, position.instrument.key)
        if not position.quantity:
            self.forget(key)
            self.remove(key)
            self._reported.pop(key, None)
            self._pnl.pop(key, None)
            inst = self._quoted.pop(key, None)
            if inst is not None:
                self.session.unsubscribe_quotes(inst)
            self.marksChanged.emit()
            return
        self._reported[key] = position
        if key not in self._quoted:
            self._quoted[key] = position.instrument
            self.session.subscribe_quotes(position.instrument)
            q = self.session.quote(position.instrument.key)
            if q is not None and q.mark is not None:
                self._marks[position.instrument.key] = q.mark
        self._revalue(key)

    def on_position_pnl(self, pnl: PositionPnL) -> None:
        """Session ``positionPnlEvent`` handler (IB reqPnLSingle)."""
        key = (pnl.account, str(pnl.con_id))
        if key not in self._reported:
            return
        self._pnl[key] = pnl
        self._revalue(key)

    def on_quotes(self, quotes) -> None:
        """Session ``quotesEvent`` handler: revalue the positions at the new marks."""
        changed = greeks = False
        for q in quotes:
            if not greeks and q.greeks is not None and any(k[1] == q.key for k in self._reported):
                greeks = True
            mark = q.mark
            if mark is None or self._marks.get(q.key) == mark:
                continue
            self._marks[q.key] = mark
            for key in self._reported:
                if key[1] == q.key:
                    self._revalue(key, notify=False)
                    changed = True
        if changed:
            self.marksChanged.emit()
        if greeks:
            self.greeksChanged.emit()

    def _revalue(self, key: tuple, notify: bool = True) -> None:
        pos = self._reported[key]
        self.upsert(key, live_position(pos, self._pnl.get(key), self._marks.get(pos.instrument.key)))
        self.touch(key)
        if notify:
            self.marksChanged.emit()

    def greeks_totals(self) -> dict[str, GreeksTotal]:
        """Greeks totals per underlying symbol over the positions (:func:`app.domain.greeks_totals`):
        delta-adjusted exposure in shares (sum of delta x multiplier x position, a stock
        counting delta 1) and its value at the underlying's price, gamma, vega (currency per
        vol point), theta (currency per day). Greeks come from the options' live quotes (IB's
        model computation, ``Quote.greeks``; the positions' quotes are subscribed here), the
        underlying's price from its quote when subscribed (else the options' underlying
        price). ``missing`` counts option positions without greeks yet."""
        def greeks_of(inst: Instrument):
            q = self.session.quote(inst.key)
            return None if q is None else q.greeks

        stocks = {p.instrument.symbol: p.instrument.key for p in self._reported.values()
                  if p.instrument.sec_type == "STK"}

        def price_of(symbol: str):
            key = stocks.get(symbol)
            return self._marks.get(key) if key is not None else None

        return greeks_totals(self._reported.values(), greeks_of, price_of)

    def value_change(self) -> float:
        """Market value now minus the market value IB last reported (updatePortfolio) summed
        over the positions, in instrument currency: how far Net Liquidation has moved
        since IB's last account update (0 when nothing moved or nothing is known)."""
        return self._drift(self._reported, "market_value", "market_value")

    def pnl_change(self) -> float:
        """The live rows' Daily P&L minus IB's last reqPnLSingle dailyPnL, summed: how far
        the account's reqPnL values have moved with the quotes since IB's last update."""
        return self._drift(self._pnl, "daily_pnl", "daily")

    def _drift(self, reported: dict, live_attr: str, reported_attr: str) -> float:
        total = 0.0
        for key, rep in reported.items():
            row = self.record_for(key)
            now, then = getattr(row, live_attr, None), getattr(rep, reported_attr)
            if now is not None and then is not None:
                total += now - then
        return total
