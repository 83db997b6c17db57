"""The simulated account: cash, positions, commissions, P&L and IB account values.

Conventions (IB "Account Window" / reqAccountUpdates tags, base currency USD):

* Cash is kept per currency. A stock fill moves USD; an FX fill (``EUR.USD``)
  moves the *quote* currency (buying 20,000 EUR.USD debits 20,000 x price USD)
  and holds a position in the base currency, so USD.JPY fills move JPY cash.
  Commissions are always charged in USD.
* Position ``avg_cost`` is per share (FX: per base unit) in the instrument's
  currency and includes commissions (IB convention): buys add commission to
  the cost, short sales subtract it from the proceeds.
* Realized P&L uses the **average-cost** method: a closing fill realizes
  (fill price - avg cost) x closed quantity (sign by side) minus the closing
  part of its commission; reported in USD (converted at the fill price for
  USD.JPY).
* Unrealized P&L = (mark - avg cost) x position, mark = mid price, in USD.
* Margin (Reg T, intraday): initial = maintenance = 25 % of long stock value
  + 30 % of short stock value + 3 % of FX position value. EquityWithLoanValue =
  NetLiquidation = cash (USD-converted) + market value of positions;
  AvailableFunds = ELV - InitMarginReq; ExcessLiquidity = ELV - MaintMarginReq;
  BuyingPower = 4 x ExcessLiquidity (floored at 0).
* Commissions (IB Pro fixed): stocks USD 0.005/share, min USD 1.00, max 1 % of
  trade value, per order; FX 0.2 bp of trade value in USD, min USD 2.00 per order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from app.sim.types import PositionSnapshot, SimContract

STOCK_PER_SHARE = 0.005
STOCK_MIN = 1.00
STOCK_MAX_PCT = 0.01
FX_RATE_BP = 0.2e-4
FX_MIN = 2.00
INIT_LONG, INIT_SHORT, INIT_FX = 0.25, 0.30, 0.03
BP_MULTIPLIER = 4.0


def order_commission(contract: SimContract, cum_qty: float, cum_value_usd: float) -> float:
    """Total commission (USD) of an order that has filled ``cum_qty`` shares worth
    ``cum_value_usd``; 0 before any fill. Charge each fill the increase of this total
    so the per-order minimum is paid once. Source: IB Pro fixed pricing pages."""
    if cum_qty <= 0:
        return 0.0
    if contract.sec_type == "CASH":
        return round(max(FX_MIN, cum_value_usd * FX_RATE_BP), 2)
    c = max(STOCK_MIN, STOCK_PER_SHARE * cum_qty)
    return round(min(c, STOCK_MAX_PCT * cum_value_usd), 2)


@dataclass(slots=True)
class _Pos:
    contract: SimContract
    qty: float = 0.0
    avg_cost: float = 0.0      # per unit, instrument currency, incl. commission
    realized: float = 0.0      # USD, since start
    day: float = 0.0           # trading-day stamp of the last fill


def _fmt(x: float) -> str:
    return f"{x:.2f}"


class Account:
    """One USD-based margin account.

    ``to_usd(ccy)`` -> USD per unit of ``ccy``; ``mark(conId)`` -> current mark price
    (instrument currency). Both are supplied by the exchange from its market model.
    """

    def __init__(self, account_id: str, start_cash: float, to_usd: Callable[[str], float],
                 mark: Callable[[int], float]):
        if not math.isfinite(start_cash):
            raise ValueError(f"start_cash must be finite, got {start_cash!r}")
        self.account_id = account_id
        self.cash: dict[str, float] = {"USD": float(start_cash)}
        self._pos: dict[int, _Pos] = {}
        self._to_usd = to_usd
        self._mark = mark
        self.realized = 0.0

    def rate(self, ccy: str) -> float:
        """USD per unit of currency ``ccy`` at the current mark."""
        return self._to_usd(ccy)

    # ------------------------------------------------------------- fills
    def apply_fill(self, contract: SimContract, side: str, shares: float, price: float,
                   commission_usd: float, day: float = 0.0) -> float:
        """Book one fill. ``side`` "BOT"/"SLD", ``shares`` > 0, ``price`` in instrument currency.

        Returns the realized P&L of the fill in USD (0.0 for an opening fill).
        Raises ValueError for a non-positive or non-finite quantity/price.
        """
        if not (shares > 0 and math.isfinite(shares) and price > 0 and math.isfinite(price)):
            raise ValueError(f"bad fill {shares!r} @ {price!r}")
        ccy = contract.currency
        rate = self._to_usd(ccy)                       # USD per unit of instrument currency
        comm_ccy = commission_usd / rate               # commission in instrument currency
        signed = shares if side == "BOT" else -shares
        self.cash[ccy] = self.cash.get(ccy, 0.0) - signed * price
        self.cash["USD"] = self.cash.get("USD", 0.0) - commission_usd
        p = self._pos.setdefault(contract.con_id, _Pos(contract))
        p.day = day
        realized_ccy = 0.0
        if p.qty == 0 or (p.qty > 0) == (signed > 0):
            new_qty = p.qty + signed
            # buys: cost + commission; short sales: proceeds - commission
            total = abs(p.qty) * p.avg_cost + shares * price + (comm_ccy if signed > 0 else -comm_ccy)
            p.avg_cost = total / abs(new_qty)
            p.qty = new_qty
        else:
            closed = min(abs(p.qty), shares)
            opened = shares - closed
            comm_close = comm_ccy * closed / shares
            direction = 1.0 if p.qty > 0 else -1.0
            realized_ccy = (price - p.avg_cost) * closed * direction - comm_close
            p.qty += signed
            if abs(p.qty) < 1e-9:
                p.qty = 0.0
                p.avg_cost = 0.0
            if opened > 0:
                comm_open = comm_ccy - comm_close
                p.avg_cost = (opened * price + (comm_open if signed > 0 else -comm_open)) / opened
        realized_usd = realized_ccy * rate
        p.realized += realized_usd
        self.realized += realized_usd
        return realized_usd

    # ------------------------------------------------------------- views
    def position_qty(self, con_id: int) -> float:
        p = self._pos.get(con_id)
        return p.qty if p else 0.0

    def positions(self, today: float | None = None) -> list[PositionSnapshot]:
        """Non-zero positions plus positions closed on or after the day stamp ``today``
        (00:00 New York POSIX s; all closed ones if None).

        market_price/market_value/avg_cost in instrument currency; P&L in USD.
        """
        out = []
        for cid, p in sorted(self._pos.items()):
            if p.qty == 0 and today is not None and p.day < today:
                continue
            mark = self._mark(cid)
            rate = self._to_usd(p.contract.currency)
            out.append(PositionSnapshot(
                account=self.account_id, con_id=cid, position=p.qty, avg_cost=p.avg_cost,
                market_price=mark, market_value=p.qty * mark,
                unrealized_pnl=(mark - p.avg_cost) * p.qty * rate if p.qty else 0.0,
                realized_pnl=p.realized))
        return out

    def summary(self) -> dict[str, float]:
        """Account numbers in USD (see module docstring for the formulas)."""
        cash = sum(v * self._to_usd(c) for c, v in self.cash.items())
        long_stk = short_stk = fx_val = unreal = 0.0
        for cid, p in self._pos.items():
            if p.qty == 0:
                continue
            mark = self._mark(cid)
            rate = self._to_usd(p.contract.currency)
            val = p.qty * mark * rate
            unreal += (mark - p.avg_cost) * p.qty * rate
            if p.contract.sec_type == "CASH":
                fx_val += val
            elif val >= 0:
                long_stk += val
            else:
                short_stk += -val
        nlv = cash + long_stk - short_stk + fx_val
        init = INIT_LONG * long_stk + INIT_SHORT * short_stk + INIT_FX * abs(fx_val)
        return {
            "NetLiquidation": nlv, "TotalCashValue": cash, "GrossPositionValue": long_stk + short_stk,
            "EquityWithLoanValue": nlv, "InitMarginReq": init, "MaintMarginReq": init,
            "AvailableFunds": nlv - init, "ExcessLiquidity": nlv - init,
            "BuyingPower": max(0.0, BP_MULTIPLIER * (nlv - init)),
            "UnrealizedPnL": unreal, "RealizedPnL": self.realized,
        }

    def account_values(self) -> list[tuple[str, str, str]]:
        """(tag, value, currency) rows as reqAccountUpdates sends them, values like "1000000.00"."""
        s = self.summary()
        rows: list[tuple[str, str, str]] = [
            ("AccountCode", self.account_id, ""), ("AccountType", "INDIVIDUAL", ""),
            ("Currency", "USD", "USD"), ("Currency", "BASE", "BASE"),
        ]
        for tag in ("NetLiquidation", "TotalCashValue", "GrossPositionValue", "EquityWithLoanValue",
                    "InitMarginReq", "MaintMarginReq", "AvailableFunds", "ExcessLiquidity", "BuyingPower"):
            rows.append((tag, _fmt(s[tag]), "USD"))
        for tag in ("InitMarginReq", "MaintMarginReq", "AvailableFunds", "ExcessLiquidity"):
            rows.append((f"Full{tag}", _fmt(s[tag]), "USD"))
        nlv = s["NetLiquidation"]
        rows.append(("Cushion", f"{(s['ExcessLiquidity'] / nlv) if nlv > 0 else 0.0:.6f}", ""))
        rows.append(("NetLiquidationByCurrency", _fmt(nlv), "BASE"))
        rows.append(("CashBalance", _fmt(s["TotalCashValue"]), "BASE"))
        rows.append(("TotalCashBalance", _fmt(s["TotalCashValue"]), "BASE"))
        for ccy in sorted(self.cash):
            rows.append(("CashBalance", _fmt(self.cash[ccy]), ccy))
            rows.append(("TotalCashBalance", _fmt(self.cash[ccy]), ccy))
            rows.append(("ExchangeRate", f"{self._to_usd(ccy):.8g}", ccy))
        for tag in ("UnrealizedPnL", "RealizedPnL"):
            rows.append((tag, _fmt(s[tag]), "BASE"))
            rows.append((tag, _fmt(s[tag]), "USD"))
        return rows
