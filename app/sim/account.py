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
  trade value, per order; FX 0.2 bp of trade value in USD, min USD 2.00 per order;
  US equity options USD 0.65 per contract, min USD 1.00 per order (IB "Commissions
  Options", fixed pricing, premium >= USD 0.10; the lower tiers for cheap premiums and
  exchange / regulatory fees are not modelled).
* Options (issue 18) are multiplier-aware: a fill of q contracts at p moves q x p x
  multiplier of cash; ``avg_cost`` is kept per share here and reported per contract
  (x multiplier) in position / updatePortfolio as IB does; market value, P&L and margin use
  price x multiplier. Margin: a long option is paid in full (100 % of its value, no loan
  value); a short option needs its value plus 20 % of strike x multiplier (a simplified
  CBOE naked-option rule, which uses the underlying's price and an OTM reduction).
* Expiry (``settle``): an option position closes at its intrinsic value against the
  underlying's price at the expiry close (cash settlement, 0 = expired worthless), no
  commission; the difference to its average cost is realized.
* Futures (issue 18, ``app.sim.futures``): cash does **not** move by the notional. A fill
  only charges its commission; the position's P&L against its average fill price (``entry``,
  without commissions) is marked to market: unsettled, it counts in NetLiquidation /
  EquityWithLoanValue (and in UnrealizedPnL against the commission-inclusive average cost as
  for every position); a closing fill or the expiry settlement moves the realized price P&L
  into USD cash (IB settles variation daily; the sim settles on close, simpler and the same
  NetLiquidation). Futures are not in GrossPositionValue. Margin: initial / maintenance per
  contract of ``futures.margin_per_contract`` (ES 23,000 / 21,000 USD ...), so MaintMarginReq
  is below InitMarginReq with futures. Commission: ``futures.commission_of_root`` (IB fixed 0.85 +
  exchange fee + NFA fee per contract).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

from app.sim.futures import commission_of_root
from app.sim.futures import margin_per_contract
from app.sim.types import PositionSnapshot, SimContract

STOCK_PER_SHARE = 0.005
STOCK_MIN = 1.00
STOCK_MAX_PCT = 0.01
FX_RATE_BP = 0.2e-4
FX_MIN = 2.00
#: IB Pro fixed, US options: USD 0.65 per contract, USD 1.00 minimum per order
#: (interactivebrokers.com "Commissions Options", premium >= USD 0.10)
OPT_PER_CONTRACT = 0.65
OPT_MIN = 1.00
#: short option initial margin: value + this share of strike x multiplier
OPT_SHORT_PCT = 0.20
INIT_LONG, INIT_SHORT, INIT_FX = 0.25, 0.30, 0.03
BP_MULTIPLIER = 4.0


def order_commission(contract: SimContract, cum_qty: float, cum_value_usd: float) -> float:
    """Total commission (USD) of an order that has filled ``cum_qty`` shares worth
    ``cum_value_usd``; 0 before any fill. Charge each fill the increase of this total
    so the per-order minimum is paid once (:func:`commission_usd`)."""
    return commission_usd(contract.sec_type, contract.symbol, cum_qty, cum_value_usd)


def commission_usd(sec_type: str, symbol: str, qty: float, value_usd: float) -> float:
    """IB Pro fixed commission (USD, cents) of one order of ``qty`` shares / contracts worth
    ``value_usd`` (price x quantity x multiplier) of secType ``sec_type`` ("STK", "CASH",
    "OPT", "FUT"; ``symbol`` the futures root for its exchange fee); 0 for no quantity.
    Stocks 0.005 a share, min 1.00, max 1 % of the value; FX 0.2 bp, min 2.00; options 0.65
    a contract, min 1.00; futures ``app.sim.futures.commission_of_root``. The gateway and the
    backtest (``app.backtest.engine.commission``) charge it. Source: IB Pro fixed pricing."""
    if qty <= 0:
        return 0.0
    if sec_type == "CASH":
        return round(max(FX_MIN, value_usd * FX_RATE_BP), 2)
    if sec_type == "OPT":
        return round(max(OPT_MIN, OPT_PER_CONTRACT * qty), 2)
    if sec_type == "FUT":
        return commission_of_root(symbol, qty)
    c = max(STOCK_MIN, STOCK_PER_SHARE * qty)
    return round(min(c, STOCK_MAX_PCT * value_usd), 2)


def option_margin(contract: SimContract, qty: float, price: float) -> float:
    """Initial margin (instrument currency) of ``qty`` option contracts at ``price``: a long
    option its full value; a short one its value + OPT_SHORT_PCT x strike x multiplier."""
    m = contract.mult
    if qty >= 0:
        return qty * price * m
    return -qty * (price + OPT_SHORT_PCT * contract.strike) * m


@dataclass(slots=True)
class _Pos:
    contract: SimContract
    qty: float = 0.0
    avg_cost: float = 0.0      # per unit, instrument currency, incl. commission
    realized: float = 0.0      # USD, since start
    day: float = 0.0           # trading-day stamp of the last fill
    ref_qty: float = 0.0       # position at the start of the P&L day
    ref_mark: float = 0.0      # mark at the start of the P&L day (instrument currency)
    flow: float = 0.0          # today's signed fill value (qty x price, instrument currency)
    comm_today: float = 0.0    # today's commissions, USD
    realized_today: float = 0.0
    entry: float = 0.0         # futures: average fill price of the position, without commissions


class OpenPosition(NamedTuple):
    """A non-zero position: quantity (shares / base units) and market value (instrument currency)."""

    con_id: int
    currency: str
    qty: float
    market_value: float


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
        self.pnl_day = 0.0          # trading-day stamp (00:00 NY POSIX) daily P&L counts from

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
        if day and day != self.pnl_day:
            self.roll_day(day)
        ccy = contract.currency
        rate = self._to_usd(ccy)                       # USD per unit of instrument currency
        m = contract.mult
        comm_ccy = commission_usd / rate / m           # commission in instrument currency per share
        signed = shares if side == "BOT" else -shares
        fut = contract.sec_type == "FUT"
        if not fut:
            self.cash[ccy] = self.cash.get(ccy, 0.0) - signed * price * m
        self.cash["USD"] = self.cash.get("USD", 0.0) - commission_usd
        p = self._pos.setdefault(contract.con_id, _Pos(contract))
        p.day = day
        p.flow += signed * price * m
        p.comm_today += commission_usd
        realized_ccy = 0.0
        if p.qty == 0 or (p.qty > 0) == (signed > 0):
            new_qty = p.qty + signed
            # buys: cost + commission; short sales: proceeds - commission
            total = abs(p.qty) * p.avg_cost + shares * price + (comm_ccy if signed > 0 else -comm_ccy)
            p.avg_cost = total / abs(new_qty)
            p.entry = (abs(p.qty) * p.entry + shares * price) / abs(new_qty)
            p.qty = new_qty
        else:
            closed = min(abs(p.qty), shares)
            opened = shares - closed
            comm_close = comm_ccy * closed / shares
            direction = 1.0 if p.qty > 0 else -1.0
            realized_ccy = ((price - p.avg_cost) * closed * direction - comm_close) * m
            if fut:       # the closed part's price P&L settles into cash (variation margin)
                self.cash[ccy] = self.cash.get(ccy, 0.0) + (price - p.entry) * closed * direction * m
            p.qty += signed
            if abs(p.qty) < 1e-9:
                p.qty = 0.0
                p.avg_cost = 0.0
            if opened > 0:
                p.entry = price
                comm_open = comm_ccy - comm_close
                p.avg_cost = (opened * price + (comm_open if signed > 0 else -comm_open)) / opened
        realized_usd = realized_ccy * rate
        p.realized_today += realized_usd
        p.realized += realized_usd
        self.realized += realized_usd
        return realized_usd

    def settle(self, con_id: int, price: float, day: float = 0.0) -> float:
        """Close the position in ``con_id`` at ``price`` (an option's cash settlement at expiry;
        0 = expired worthless) without commission; returns the realized P&L in USD (0.0 when
        there is no position). Raises ValueError for a negative or non-finite price."""
        if not (math.isfinite(price) and price >= 0):
            raise ValueError(f"bad settlement price {price!r}")
        p = self._pos.get(con_id)
        if p is None or p.qty == 0:
            return 0.0
        m = p.contract.mult
        rate = self._to_usd(p.contract.currency)
        if p.contract.sec_type == "FUT":       # cash settlement of the price P&L only
            self.cash[p.contract.currency] = self.cash.get(p.contract.currency, 0.0) + (price - p.entry) * p.qty * m
        else:
            self.cash[p.contract.currency] = self.cash.get(p.contract.currency, 0.0) + p.qty * price * m
        realized = (price - p.avg_cost) * p.qty * m * rate
        p.flow -= p.qty * price * m
        p.qty = 0.0
        p.avg_cost = 0.0
        p.day = day or p.day
        p.realized += realized
        p.realized_today += realized
        self.realized += realized
        return realized

    def roll_day(self, day: float, ref_price: Callable[[int], float] | None = None) -> None:
        """Start a new P&L day (``day`` = 00:00 New York POSIX s of the trading date): every
        position's reference becomes its current quantity at ``ref_price(conId)`` (the prior
        session's closing price, as IB's dailyPnL uses; default the current mark)."""
        self.pnl_day = day
        ref = ref_price or self._mark
        for cid, p in self._pos.items():
            p.ref_qty = p.qty
            p.ref_mark = ref(cid) if p.qty else 0.0
            p.flow = p.comm_today = p.realized_today = 0.0

    def pnl_single(self, con_id: int) -> tuple[float, float, float, float, float] | None:
        """IB reqPnLSingle for one position: (pos, dailyPnL, unrealizedPnL, realizedPnL, value).

        P&L in USD; value = position x mark in instrument currency. dailyPnL = (value now -
        value at day start - today's net fill value) x rate - today's commissions, so for a
        position opened today dailyPnL == unrealizedPnL + realizedPnL(today). None if the
        account never held the conId.
        """
        p = self._pos.get(con_id)
        if p is None:
            return None
        mark = self._mark(con_id)
        rate = self._to_usd(p.contract.currency)
        m = p.contract.mult
        value = p.qty * mark * m
        daily = (value - p.ref_qty * p.ref_mark * m - p.flow) * rate - p.comm_today
        unreal = (mark - p.avg_cost) * p.qty * m * rate if p.qty else 0.0
        return p.qty, daily, unreal, p.realized_today, value

    def pnl(self) -> tuple[float, float, float]:
        """IB reqPnL for the account: (dailyPnL, unrealizedPnL, realizedPnL of today), USD;
        the sums of ``pnl_single`` over all positions."""
        d = u = r = 0.0
        for cid in self._pos:
            row = self.pnl_single(cid)
            assert row is not None
            d += row[1]
            u += row[2]
            r += row[3]
        return d, u, r

    # ------------------------------------------------------------- views
    def open_positions(self) -> list[OpenPosition]:
        """Non-zero positions with their market value in instrument currency at the current mark."""
        return [OpenPosition(cid, p.contract.currency, p.qty, p.qty * self._mark(cid) * p.contract.mult)
                for cid, p in sorted(self._pos.items()) if p.qty]

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
            m = p.contract.mult
            out.append(PositionSnapshot(
                account=self.account_id, con_id=cid, position=p.qty, avg_cost=p.avg_cost * m,
                market_price=mark, market_value=p.qty * mark * m,
                unrealized_pnl=(mark - p.avg_cost) * p.qty * m * rate if p.qty else 0.0,
                realized_pnl=p.realized))
        return out

    def summary(self) -> dict[str, float]:
        """Account numbers in USD (see module docstring for the formulas)."""
        cash = sum(v * self._to_usd(c) for c, v in self.cash.items())
        long_stk = short_stk = fx_val = unreal = opt_val = opt_margin = fut_pnl = fut_init = fut_maint = 0.0
        for cid, p in self._pos.items():
            if p.qty == 0:
                continue
            mark = self._mark(cid)
            rate = self._to_usd(p.contract.currency)
            m = p.contract.mult
            val = p.qty * mark * m * rate
            unreal += (mark - p.avg_cost) * p.qty * m * rate
            if p.contract.sec_type == "FUT":
                fut_pnl += (mark - p.entry) * p.qty * m * rate
                im, mm = margin_per_contract(p.contract)
                fut_init += abs(p.qty) * im
                fut_maint += abs(p.qty) * mm
            elif p.contract.sec_type == "OPT":
                opt_val += val
                opt_margin += option_margin(p.contract, p.qty, mark) * rate
            elif p.contract.sec_type == "CASH":
                fx_val += val
            elif val >= 0:
                long_stk += val
            else:
                short_stk += -val
        nlv = cash + long_stk - short_stk + fx_val + opt_val + fut_pnl
        base = INIT_LONG * long_stk + INIT_SHORT * short_stk + INIT_FX * abs(fx_val) + opt_margin
        init, maint = base + fut_init, base + fut_maint
        return {
            "NetLiquidation": nlv, "TotalCashValue": cash,
            "GrossPositionValue": long_stk + short_stk + abs(opt_val),
            "EquityWithLoanValue": nlv, "InitMarginReq": init, "MaintMarginReq": maint,
            "AvailableFunds": nlv - init, "ExcessLiquidity": nlv - maint,
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
