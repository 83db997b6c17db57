"""Options: an underlying's option chain, an option's greeks and the greeks of positions.

Pure data and functions (no Qt, no ib_async). Units follow IB's (IB API docs "Option
Chains", "Option Greeks", tick types 10-13 "tickOptionComputation"):

- prices (strike, model price, underlying price) in the instrument's currency per share;
- implied volatility annualised, as a fraction (0.25 = 25 %);
- delta per share of the underlying (-1..1), gamma per 1 of underlying price, vega per 1
  volatility point (0.01), theta per calendar day, all *per share*: one contract moves by
  the value x the multiplier (100 for US equity options).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

from app.domain.account import Position
from app.domain.instruments import Instrument


@dataclass(frozen=True, slots=True)
class OptionChain:
    """What options exist on one underlying (IB reqSecDefOptParams, one
    ``securityDefinitionOptionParameter`` message).

    ``underlying`` the resolved stock (its ``con_id`` is IB's underlyingConId);
    ``exchange`` "SMART"; ``trading_class`` IB's tradingClass ("AAPL", "SPXW");
    ``multiplier`` shares per contract (100.0); ``expirations`` IB's "YYYYMMDD" dates,
    ascending; ``strikes`` ascending, instrument currency. Not every strike exists for
    every expiry: :meth:`app.broker.session.Session.option_contracts` lists one expiry's.
    """

    underlying: Instrument
    exchange: str
    trading_class: str
    multiplier: float
    expirations: tuple[str, ...]
    strikes: tuple[float, ...]

    def atm_strike(self, price: float | None) -> float | None:
        """The strike nearest ``price`` (the lower one on a tie); None without a price or strikes."""
        if price is None or not math.isfinite(price) or not self.strikes:
            return None
        return min(self.strikes, key=lambda k: (abs(k - price), k))

    def strikes_around(self, price: float | None, count: int) -> tuple[float, ...]:
        """``count`` strikes centred on the at-the-money one (ascending; fewer near the ends
        of the list); all strikes when ``price`` is unknown or ``count`` <= 0."""
        atm = self.atm_strike(price)
        if atm is None or count <= 0:
            return self.strikes
        i = self.strikes.index(atm)
        lo = max(0, min(i - count // 2, len(self.strikes) - count))
        return self.strikes[lo:lo + count]


def pair_by_strike(options: Iterable[Instrument]) -> list[tuple[float, Instrument | None, Instrument | None]]:
    """The rows of a chain table: ``(strike, call, put)`` by ascending strike, None where the
    expiry has only one of them. ``options`` are one expiry's (``Session.option_contracts``);
    anything but an option is skipped."""
    rows: dict[float, list] = {}
    for o in options:
        if o.is_option and o.right in ("C", "P"):
            rows.setdefault(o.strike, [None, None])[0 if o.right == "C" else 1] = o
    return [(k, *rows[k]) for k in sorted(rows)]


@dataclass(frozen=True, slots=True)
class OptionGreeks:
    """One IB option computation (tickOptionComputation; ib_async ``OptionComputation``):
    the model's view of an option at one price (bid, ask, last or IB's own model price).

    ``implied_vol`` annualised fraction; ``delta`` / ``gamma`` / ``vega`` / ``theta`` per
    share (see the module docstring); ``opt_price`` the option price the values belong to
    (for the model computation: IB's model price), ``und_price`` the underlying's price,
    ``pv_dividend`` the present value of dividends until expiry. None where IB sent none.
    """

    implied_vol: float | None = None
    delta: float | None = None
    gamma: float | None = None
    vega: float | None = None
    theta: float | None = None
    opt_price: float | None = None
    und_price: float | None = None
    pv_dividend: float | None = None


@dataclass(frozen=True, slots=True)
class GreeksTotal:
    """The greeks of every position on one underlying, summed.

    ``delta_shares`` the delta-adjusted exposure in shares of the underlying: sum of
    delta x multiplier x position (a stock position counts with delta 1); ``delta_value``
    that exposure x the underlying's price (currency; None without a price); ``gamma``
    shares of delta per 1 of underlying price, ``vega`` currency per volatility point,
    ``theta`` currency per day (each per-share greek x multiplier x position).
    ``positions`` the positions counted, ``missing`` the option positions without greeks
    yet (their delta is not in the sums: the totals are incomplete while it is > 0).
    """

    underlying: str
    currency: str
    delta_shares: float = 0.0
    delta_value: float | None = None
    gamma: float = 0.0
    vega: float = 0.0
    theta: float = 0.0
    positions: int = 0
    missing: int = 0


def greeks_totals(positions: Iterable[Position],
                  greeks_of: Callable[[Instrument], OptionGreeks | None],
                  price_of: Callable[[str], float | None] = lambda symbol: None,
                  ) -> dict[str, GreeksTotal]:
    """Greeks totals per underlying symbol ("AAPL") over ``positions`` (options and stocks;
    FX and futures are left out), in the order first seen.

    ``greeks_of(option)`` gives an option's latest greeks (IB's model computation, e.g.
    ``Quote.greeks``) or None; ``price_of(symbol)`` the underlying's price, used for
    ``delta_value`` when no option computation carried one. Quantities are IB's signed
    positions (contracts for options, shares for stocks).
    """
    acc: dict[str, dict] = {}
    for p in positions:
        inst = p.instrument
        if not p.quantity or not (inst.is_option or inst.sec_type == "STK"):
            continue
        t = acc.setdefault(inst.symbol, {"currency": inst.currency, "delta": 0.0, "gamma": 0.0,
                                         "vega": 0.0, "theta": 0.0, "n": 0, "missing": 0,
                                         "und": None})
        t["n"] += 1
        if not inst.is_option:
            t["delta"] += p.quantity
            continue
        g = greeks_of(inst)
        if g is None or g.delta is None:
            t["missing"] += 1
            continue
        size = p.quantity * inst.multiplier
        t["delta"] += g.delta * size
        for name in ("gamma", "vega", "theta"):
            v = getattr(g, name)
            if v is not None:
                t[name] += v * size
        if g.und_price is not None:
            t["und"] = g.und_price
    out = {}
    for sym, t in acc.items():
        und = price_of(sym)
        und = und if und is not None else t["und"]
        out[sym] = GreeksTotal(sym, t["currency"], t["delta"] + 0.0,
                               None if und is None else t["delta"] * und + 0.0,
                               t["gamma"], t["vega"], t["theta"], t["n"], t["missing"])
    return out
