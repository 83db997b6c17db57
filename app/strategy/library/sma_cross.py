"""SMA crossover, the classic first strategy (issue 17).

When SMA(fast) of the closes crosses above SMA(slow) ("golden cross", as
``app.viewmodels.indicators.crossovers``: fast from <= slow to > slow) the strategy goes long
``quantity`` shares, closing a short first; when it crosses below it goes short ``quantity``,
closing a long first, or with ``long_only`` only closes the long. A signal on a bar's close is
one MKT order, filled at the next bar's open (a reversal is one order of position + quantity).

Optional protection, in percent of the entry fill price (0 = off): ``stop_loss_pct`` places a
STP order to close, ``take_profit_pct`` a LMT order to close, both GTC right after the entry
fill; when one fills the other is cancelled (one-cancels-other), and a new crossover cancels
both before it reverses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.strategy.base import Fill, OrderUpdate, Param, Strategy
from app.strategy.library._arrays import series_of
from app.viewmodels.indicators import SMA, crossovers


class SmaCross(Strategy):
    name = "sma_cross"
    title = "SMA crossover"
    params = (
        Param("fast", int, 10, minimum=1, label="Fast SMA (bars)"),
        Param("slow", int, 20, minimum=2, label="Slow SMA (bars)"),
        Param("quantity", int, 100, minimum=1, label="Quantity (shares / contracts)"),
        Param("long_only", bool, False, label="Long only", help="On a cross below only close the long"),
        Param("stop_loss_pct", float, 0.0, minimum=0, maximum=99, label="Stop-loss %",
              help="Percent below (long) / above (short) the entry price; 0 = off"),
        Param("take_profit_pct", float, 0.0, minimum=0, maximum=1000, label="Take-profit %",
              help="Percent above (long) / below (short) the entry price; 0 = off"),
    )

    def check_params(self) -> None:
        if self.p["fast"] >= self.p["slow"]:
            raise ValueError(f"sma_cross: fast ({self.p['fast']}) must be shorter than slow ({self.p['slow']})")

    def compute(self, bars: pd.DataFrame) -> dict[str, np.ndarray]:
        """``fast``/``slow``: the SMAs; ``cross``: +1 on a golden cross, -1 on a death cross,
        0 elsewhere (all causal)."""
        s = series_of(bars)
        fast = SMA(self.p["fast"]).compute(s)["value"]
        slow = SMA(self.p["slow"]).compute(s)["value"]
        cross = np.zeros(len(s), dtype=np.float64)
        idx, direction = crossovers(fast, slow)
        cross[idx] = direction
        return {"fast": fast, "slow": slow, "cross": cross}

    def on_start(self) -> None:
        self._protect: set[int] = set()

    def on_bar(self, bar) -> None:
        c = self.value("cross")
        if c == 0:
            return
        q, pos = self.p["quantity"], self.position
        self._cancel_protection()
        if c > 0:
            if pos < q:
                self.buy(q - pos)
                self.log(f"golden cross at {bar.close:g}: buy {q - pos:g}")
        elif self.p["long_only"]:
            if pos > 0:
                self.sell(pos)
                self.log(f"death cross at {bar.close:g}: close long {pos:g}")
        elif pos > -q:
            self.sell(pos + q)
            self.log(f"death cross at {bar.close:g}: sell {pos + q:g}")

    def on_fill(self, fill: Fill) -> None:
        if fill.order_id in self._protect:          # a stop or a target closed the position
            self._cancel_protection()
            return
        pos = self.position
        sl, tp = self.p["stop_loss_pct"] / 100.0, self.p["take_profit_pct"] / 100.0
        if pos == 0 or (sl == 0 and tp == 0):
            return
        px, qty = fill.price, abs(pos)
        if pos > 0:
            if sl:
                self._protect.add(self.sell(qty, "STP", stop=round(px * (1 - sl), 2), tif="GTC"))
            if tp:
                self._protect.add(self.sell(qty, "LMT", price=round(px * (1 + tp), 2), tif="GTC"))
        else:
            if sl:
                self._protect.add(self.buy(qty, "STP", stop=round(px * (1 + sl), 2), tif="GTC"))
            if tp:
                self._protect.add(self.buy(qty, "LMT", price=round(px * (1 - tp), 2), tif="GTC"))

    def on_order(self, update: OrderUpdate) -> None:
        if update.status in ("Filled", "Cancelled", "Inactive"):
            self._protect.discard(update.order_id)

    def _cancel_protection(self) -> None:
        for oid in list(self._protect):
            self.cancel(oid)
        self._protect.clear()
