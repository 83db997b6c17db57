"""View-model of the option chain: calls | strike | puts of one expiry of one underlying.

- :meth:`OptionChainModel.set_underlying` loads the underlying's chain (IB reqSecDefOptParams
  through ``Session.option_chain``: expirations and strikes) and subscribes its quote (the
  at-the-money strike follows its price);
- :meth:`OptionChainModel.set_expiry` qualifies that expiry's calls and puts
  (``Session.option_contracts``, one reqContractDetails) and subscribes the quotes of the
  :attr:`strikes_shown` strikes nearest the money (IB sends the option computation ticks with
  them: implied volatility and greeks; open interest where the gateway serves it, generic tick
  101: blank otherwise);
- rows are strikes, low to high; columns :data:`CALL_COLUMNS`, "Strike", then the same for the
  puts mirrored (:data:`COLUMNS`); the at-the-money row is :attr:`OptionChainModel.atm_row`.
  Updates are coalesced to one repaint per :data:`FRAME_MS`.
- :meth:`OptionChainModel.click_intent` turns a click on a bid (sell at the bid) or an ask (buy
  at the ask) into ``(Action, option Instrument, price)`` for the order ticket.

Prices in the option's currency per share (an option's value per contract is price x
multiplier); implied volatility and greeks as IB sends them (IV a fraction, shown in %; delta
per share of the underlying, gamma per 1 of the underlying's price, vega per 1 vol point,
theta per calendar day).
"""

from __future__ import annotations

import asyncio
import logging
import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal

from app.domain import Action, Instrument

log = logging.getLogger(__name__)

#: one side's columns, as the calls show them left to right (the puts mirror them)
SIDE_COLUMNS = ("Bid", "Ask", "Last", "Volume", "Open int.", "IV %", "Delta", "Gamma", "Theta", "Vega")
CALL_COLUMNS = SIDE_COLUMNS
PUT_COLUMNS = tuple(reversed(SIDE_COLUMNS))
COLUMNS = CALL_COLUMNS + ("Strike",) + PUT_COLUMNS
STRIKE_COL = len(CALL_COLUMNS)
#: how many strikes around the money the chain shows (choices of the panel)
STRIKE_CHOICES = (10, 20, 40, 80)
FRAME_MS = 100


def _greek(quote, name: str):
    """A greek of ``quote`` (its ``greeks``: IB's model computation, else none)."""
    g = getattr(quote, "greeks", None)
    return getattr(g, name, None) if g is not None else None


def _fmt(v, decimals: int) -> str:
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
        return ""
    return f"{v:,.{decimals}f}"


class OptionChainModel(QAbstractTableModel):
    """The chain of one underlying and expiry (module docstring) over ``session``.

    Signals: ``expiriesChanged(list[str])`` ("YYYYMMDD"), ``message(ok, text)`` (IB's reason
    when a chain or an expiry cannot be loaded), ``underlyingChanged(object)``.
    """

    expiriesChanged = Signal(list)
    message = Signal(bool, str)
    underlyingChanged = Signal(object)

    def __init__(self, session, parent: QObject | None = None, *, strikes_shown: int = 20):
        super().__init__(parent)
        self.session = session
        self.underlying: Instrument | None = None
        self.chain = None
        self.expiry = ""
        self.strikes_shown = int(strikes_shown)
        self.strikes: list[float] = []                 # the rows shown
        self._contracts: dict[tuple[float, str], Instrument] = {}   # (strike, right) -> option
        self._quotes: dict[str, object] = {}           # option key -> last Quote
        self._subscribed: list[Instrument] = []
        self._und_price: float | None = None
        self._task: asyncio.Future | None = None
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._flush)
        session.quotesEvent += self._on_quotes

    def close(self) -> None:
        """Release every quote subscription (the panel is closing)."""
        self._release()
        if self.underlying is not None:
            self.session.unsubscribe_quotes(self.underlying)
            self.underlying = None
        try:
            self.session.quotesEvent -= self._on_quotes
        except ValueError:
            pass

    # ---- loading ----------------------------------------------------------------------
    def set_underlying(self, underlying: Instrument) -> asyncio.Future | None:
        """Show the options of ``underlying`` (a stock or ETF; an option shows its own
        underlying's chain). Returns the loading task (None when already shown)."""
        if underlying.is_option:
            underlying = Instrument(underlying.symbol, "STK", currency=underlying.currency)
        if self.underlying is not None and self.underlying.key == underlying.key and self.chain is not None:
            return None
        if self.underlying is not None:
            self.session.unsubscribe_quotes(self.underlying)
        self.underlying = underlying
        self._und_price = None
        self.session.subscribe_quotes(underlying)
        self._take_underlying_price(self.session.quote(underlying.key))   # already quoted elsewhere
        self.underlyingChanged.emit(underlying)
        self._release()
        self.beginResetModel()
        self.strikes, self._contracts, self.chain, self.expiry = [], {}, None, ""
        self.endResetModel()
        self.expiriesChanged.emit([])
        return self._start(self._load_chain(underlying))

    def set_expiry(self, expiry: str) -> asyncio.Future | None:
        """Show ``expiry`` ("YYYYMMDD", one of the chain's). Raises ``ValueError`` otherwise."""
        if self.chain is None:
            return None
        if expiry not in self.chain.expirations:
            raise ValueError(f"{expiry} is not an expiry of {self.underlying.display_symbol}")
        self.expiry = expiry
        return self._start(self._load_expiry(self.underlying, expiry))

    def set_strikes_shown(self, n: int) -> None:
        """Show the ``n`` strikes nearest the money (quotes subscribed again)."""
        self.strikes_shown = max(2, int(n))
        if self._contracts:
            self._show_rows()

    def _start(self, coro) -> asyncio.Future:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.ensure_future(coro)
        return self._task

    async def _load_chain(self, underlying: Instrument) -> None:
        try:
            if not underlying.con_id:
                underlying = await self.session.resolve(underlying)
                self.underlying = underlying
            chain = await self.session.option_chain(underlying)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # IB's reason, shown at the panel
            self.message.emit(False, f"No options for {underlying.display_symbol}: {e}")
            return
        self.chain = chain
        self.expiriesChanged.emit(list(chain.expirations))
        if chain.expirations:
            self.expiry = chain.expirations[0]
            await self._load_expiry(underlying, self.expiry)

    async def _load_expiry(self, underlying: Instrument, expiry: str) -> None:
        try:
            options = await self.session.option_contracts(underlying, expiry)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.message.emit(False, f"{underlying.display_symbol} {expiry}: {e}")
            return
        if underlying is not self.underlying or expiry != self.expiry:
            return
        self._contracts = {(o.strike, o.right): o for o in options}
        self._show_rows()
        self.message.emit(True, f"{underlying.display_symbol} {expiry}: {len(options)} options")

    def _show_rows(self) -> None:
        """The strikes nearest the money (or the middle of the chain without a price); their
        quotes subscribed, the others released."""
        strikes = sorted({k for k, _ in self._contracts})
        centre = self._und_price
        if centre is None and strikes:
            centre = strikes[len(strikes) // 2]
        if centre is not None:
            strikes = sorted(sorted(strikes, key=lambda k: (abs(k - centre), k))[: self.strikes_shown])
        self._release()
        self.beginResetModel()
        self.strikes = strikes
        self.endResetModel()
        for k in strikes:
            for right in ("C", "P"):
                opt = self._contracts.get((k, right))
                if opt is not None:
                    self.session.subscribe_quotes(opt)
                    self._subscribed.append(opt)

    def _release(self) -> None:
        for opt in self._subscribed:
            self.session.unsubscribe_quotes(opt)
        self._subscribed = []
        self._quotes = {}

    # ---- quotes -----------------------------------------------------------------------------
    def _on_quotes(self, quotes) -> None:
        und_key = self.underlying.key if self.underlying is not None else None
        keys = {o.key for o in self._subscribed}
        changed = False
        for q in quotes:
            if q.key == und_key:
                changed = self._take_underlying_price(q) or changed
            elif q.key in keys:
                self._quotes[q.key] = q
                changed = True
        if changed and not self._timer.isActive():
            self._timer.start()

    def _take_underlying_price(self, q) -> bool:
        """The underlying's last (else mid) price from ``q``; the first one centres the rows."""
        price = (q.last if q.last else q.mid) if q is not None else None
        if not price:
            return False
        recentre = self._und_price is None and bool(self._contracts)
        self._und_price = float(price)
        if recentre:
            self._show_rows()
        return True

    def _flush(self) -> None:
        if self.strikes:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.strikes) - 1, len(COLUMNS) - 1))

    @property
    def underlying_price(self) -> float | None:
        """The underlying's last (or mid) price, instrument currency."""
        return self._und_price

    @property
    def atm_row(self) -> int | None:
        """The row of the strike nearest the underlying's price (None without a price)."""
        if self._und_price is None or not self.strikes:
            return None
        return min(range(len(self.strikes)), key=lambda r: abs(self.strikes[r] - self._und_price))

    # ---- cells ---------------------------------------------------------------------------
    def option_at(self, row: int, col: int) -> Instrument | None:
        """The option of a cell (a call left of the strike, a put right of it)."""
        if not 0 <= row < len(self.strikes) or col == STRIKE_COL:
            return None
        return self._contracts.get((self.strikes[row], "C" if col < STRIKE_COL else "P"))

    def column_name(self, col: int) -> str:
        return COLUMNS[col]

    def raw(self, row: int, col: int):
        """A cell's value: strike, or the option's bid / ask / last / volume / IV (fraction) /
        greek (None when IB sent none yet)."""
        if col == STRIKE_COL:
            return self.strikes[row]
        opt = self.option_at(row, col)
        q = self._quotes.get(opt.key) if opt is not None else None
        if q is None:
            return None
        name = COLUMNS[col]
        return {"Bid": lambda: q.bid, "Ask": lambda: q.ask, "Last": lambda: q.last,
                "Volume": lambda: q.volume, "Open int.": lambda: q.open_interest,
                "IV %": lambda: _greek(q, "implied_vol"),
                "Delta": lambda: _greek(q, "delta"), "Gamma": lambda: _greek(q, "gamma"),
                "Theta": lambda: _greek(q, "theta"), "Vega": lambda: _greek(q, "vega")}[name]()

    def text(self, row: int, col: int) -> str:
        v = self.raw(row, col)
        name = COLUMNS[col]
        if name == "Strike":
            return f"{v:g}"
        if name == "IV %":
            return _fmt(v * 100 if v is not None else None, 1)
        if name in ("Volume", "Open int."):
            return _fmt(v, 0)
        if name in ("Delta", "Gamma", "Theta", "Vega"):
            return _fmt(v, 3)
        return _fmt(v, 2)

    def click_intent(self, row: int, col: int):
        """``(Action, option, price)`` for a click on a Bid cell (SELL at the bid) or an Ask
        cell (BUY at the ask); None for other cells or without a price."""
        name = COLUMNS[col] if 0 <= col < len(COLUMNS) else ""
        if name not in ("Bid", "Ask"):
            return None
        opt = self.option_at(row, col)
        price = self.raw(row, col)
        if opt is None or not price:
            return None
        return (Action.SELL if name == "Bid" else Action.BUY), opt, float(price)

    # ---- Qt model -----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.strikes)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(r, c)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int((Qt.AlignmentFlag.AlignCenter if c == STRIKE_COL else Qt.AlignmentFlag.AlignRight)
                       | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            opt = self.option_at(r, c)
            return opt.display_symbol if opt is not None else None
        return None
