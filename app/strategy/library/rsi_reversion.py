"""RSI mean reversion (long only), after Wilder and the usual 30/70 reading of RSI.

Buy ``quantity`` shares when Wilder's RSI(``period``) of the closes falls below ``entry``
(oversold) and the strategy is flat; sell the whole position when RSI rises above ``exit``.
Signals on a bar's close are MKT orders filled at the next bar's open. RSI from
``app.viewmodels.indicators.RSI`` (the chart's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.strategy.base import Param, Strategy
from app.strategy.library._arrays import series_of
from app.viewmodels.indicators import RSI


class RsiReversion(Strategy):
    name = "rsi_reversion"
    title = "RSI mean reversion"
    params = (
        Param("period", int, 14, minimum=2, label="RSI period (bars)"),
        Param("entry", float, 30.0, minimum=0, maximum=100, label="Buy below RSI"),
        Param("exit", float, 50.0, minimum=0, maximum=100, label="Sell above RSI"),
        Param("quantity", int, 100, minimum=1, label="Quantity (shares / contracts)"),
    )

    def check_params(self) -> None:
        if self.p["entry"] >= self.p["exit"]:
            raise ValueError(f"rsi_reversion: entry ({self.p['entry']:g}) must be below exit ({self.p['exit']:g})")

    def compute(self, bars: pd.DataFrame) -> dict[str, np.ndarray]:
        """``rsi``: Wilder's RSI (0..100), NaN for the first ``period`` bars."""
        return {"rsi": RSI(self.p["period"]).compute(series_of(bars))["value"]}

    def on_bar(self, bar) -> None:
        r = self.value("rsi")
        if r != r:          # NaN: not defined yet
            return
        pos = self.position
        if pos == 0 and r < self.p["entry"]:
            self.buy(self.p["quantity"])
            self.log(f"RSI {r:.1f} < {self.p['entry']:g}: buy {self.p['quantity']}")
        elif pos > 0 and r > self.p["exit"]:
            self.sell(pos)
            self.log(f"RSI {r:.1f} > {self.p['exit']:g}: sell {pos:g}")
