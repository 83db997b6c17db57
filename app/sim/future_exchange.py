"""The exchange side of the simulated futures: ``FuturesMixin`` of ``SimExchange``.

Unlike options, futures *are* instruments of the market model (``app.sim.market``): each listed
contract has its own seeded random walk from its reference price (``app.sim.futures.instruments``),
so quotes, trade prints, time & sales, history bars and depth come from the same code as for
stocks, in the CME Globex session (``instruments`` session kind "FUT": nearly 24 h with the
daily 16:00-17:00 Central break). They are kept out of ``SimExchange.contracts()`` (the stock /
FX universe the scanner and symbol search use) and found through ``future_lookup`` and
``contract(conId)``.

* Orders: refused with error 201 once the contract is past its last trading moment
  (``orderrules.validate_ticket``).
* Expiry: when the clock passes a contract's last trading moment, its working orders are
  cancelled and a position is cash-settled at the last trade price (``Account.settle``; for
  the demo every future is cash-settled, CL and GC physical delivery is not modelled), with a
  portfolio update. The expired contract's quote stops moving (``MarketModel.retire``); its
  history and last quote stay.
"""

from __future__ import annotations

from app.sim import futures as F
from app.sim.types import SimContract


class FuturesMixin:
    """Futures contracts and expiry of ``SimExchange``. Expects ``self.market`` and
    ``self._close_expired`` (``OptionsMixin``); ``_future_instruments`` before the market is built."""

    def _future_instruments(self, t0: float):
        insts = F.instruments(t0)
        self.futures = F.FutureBook(insts)
        self._fut_done: set[int] = set()
        self._fut_next = min((F.last_trade_ts(i.contract) for i in insts), default=float("inf"))
        return insts

    def _retire_expired_futures(self, t0: float) -> None:
        """Freeze the quotes of the contracts already expired at ``t0`` (built for restored positions)."""
        for c in self.futures.contracts():
            if F.is_expired(c, t0):
                self.market.retire(c.con_id)

    def future_lookup(self, *, symbol: str = "", expiry: str = "", local_symbol: str = "", exchange: str = "",
                      currency: str = "", multiplier: str = "", trading_class: str = "") -> list[SimContract]:
        """reqContractDetails for secType FUT (``FutureBook.lookup``); [] when nothing matches."""
        return self.futures.lookup(self.market.now, symbol=symbol, expiry=expiry, local_symbol=local_symbol,
                                   exchange=exchange, currency=currency, multiplier=multiplier,
                                   trading_class=trading_class)

    def _expire_futures(self, now: float) -> None:
        """Cancel the working orders of futures past their last trading moment and cash-settle
        their positions at the last trade price."""
        if now < self._fut_next:
            return
        self._fut_next = min((F.last_trade_ts(c) for c in self.futures.contracts()
                              if not F.is_expired(c, now)), default=float("inf"))
        for c in self.futures.contracts():
            if c.con_id in self._fut_done or not F.is_expired(c, now):
                continue
            self._fut_done.add(c.con_id)
            self._close_expired(c.con_id, lambda c=c: self._last_price(c), now)
            self.market.retire(c.con_id)

    def _last_price(self, c: SimContract) -> float:
        """The last trade price of a future at its last trading moment (the mark if none)."""
        last = self.market.tape(c.con_id).last_trade_before(F.last_trade_ts(c) + 1e-6)
        return last.price if last is not None else self.market.mark(c.con_id)
