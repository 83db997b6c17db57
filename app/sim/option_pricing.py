"""Black-Scholes-Merton prices, greeks and implied volatility of European options.

Used by the simulated gateway's option quotes (``app.sim.options``) and by
calculateImpliedVolatility / calculateOptionPrice. The normal distribution function is
scipy's ``scipy.special.ndtr`` (what ``scipy.stats.norm.cdf`` computes, without its ~50 us
per-call overhead: an implied vol takes ~30 evaluations) and the implied-volatility root
``scipy.optimize.brentq``; no special function is written here.

Units (as IB reports them in tickOptionComputation):

* ``spot`` / ``strike`` / prices: currency per share (per unit of the underlying);
* ``t``: years to expiry (ACT/365); ``rate``: continuously compounded risk-free rate;
  ``div``: continuous dividend yield; ``vol``: annualised volatility (0.25 = 25 %);
* delta: per 1.00 move of the underlying; gamma: delta change per 1.00 move; vega: price
  change per 1 volatility point (0.01); theta: price change per calendar day.

Formulas: Merton (1973), "Theory of Rational Option Pricing"; greeks as in Hull,
*Options, Futures and Other Derivatives*, ch. 19 (dividend-yield form).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.optimize import brentq
from scipy.special import ndtr

_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _pdf(x: float) -> float:
    """Standard normal density."""
    return math.exp(-0.5 * x * x) / _SQRT_2PI

#: volatility bounds of the implied-volatility search (0.1 % .. 1000 %)
IV_LOW, IV_HIGH = 1e-3, 10.0


@dataclass(frozen=True, slots=True)
class Greeks:
    """A model value and its greeks (units in the module docstring)."""

    price: float
    delta: float
    gamma: float
    vega: float
    theta: float


def _check(spot: float, strike: float, t: float, vol: float, right: str) -> str:
    r = right.upper()[:1]
    if r not in ("C", "P"):
        raise ValueError(f"right must be 'C' or 'P', got {right!r}")
    for name, x in (("spot", spot), ("strike", strike)):
        if not (math.isfinite(x) and x > 0):
            raise ValueError(f"{name} must be a positive number, got {x!r}")
    if not (math.isfinite(t) and t >= 0):
        raise ValueError(f"time to expiry must be >= 0 years, got {t!r}")
    if not (math.isfinite(vol) and vol >= 0):
        raise ValueError(f"volatility must be >= 0, got {vol!r}")
    return r


def intrinsic(spot: float, strike: float, right: str) -> float:
    """max(S - K, 0) for a call, max(K - S, 0) for a put."""
    return max(spot - strike, 0.0) if right.upper().startswith("C") else max(strike - spot, 0.0)


def bsm(spot: float, strike: float, t: float, rate: float, div: float, vol: float, right: str) -> Greeks:
    """BSM value and greeks of a European call ('C') or put ('P').

    At expiry (``t`` == 0) or zero volatility: the discounted intrinsic value of the
    forward, delta 1/0/-1, other greeks 0. Raises ValueError for a non-positive spot or
    strike, a negative time or volatility, or a right other than C/P.
    """
    r = _check(spot, strike, t, vol, right)
    call = r == "C"
    dq, dr = math.exp(-div * t), math.exp(-rate * t)
    sd = vol * math.sqrt(t)
    if sd < 1e-12:
        fwd = spot * dq - strike * dr
        value = max(fwd, 0.0) if call else max(-fwd, 0.0)
        itm = fwd > 0 if call else fwd < 0
        delta = (dq if call else -dq) if itm else 0.0
        return Greeks(value, delta, 0.0, 0.0, 0.0)
    d1 = (math.log(spot / strike) + (rate - div + 0.5 * vol * vol) * t) / sd
    d2 = d1 - sd
    pdf = _pdf(d1)
    if call:
        n1, n2 = float(ndtr(d1)), float(ndtr(d2))
        value = spot * dq * n1 - strike * dr * n2
        delta = dq * n1
        theta_y = (-spot * dq * pdf * vol / (2 * math.sqrt(t)) - rate * strike * dr * n2
                   + div * spot * dq * n1)
    else:
        n1, n2 = float(ndtr(-d1)), float(ndtr(-d2))
        value = strike * dr * n2 - spot * dq * n1
        delta = -dq * n1
        theta_y = (-spot * dq * pdf * vol / (2 * math.sqrt(t)) + rate * strike * dr * n2
                   - div * spot * dq * n1)
    gamma = dq * pdf / (spot * sd)
    vega = spot * dq * pdf * math.sqrt(t) / 100.0
    return Greeks(max(value, 0.0), delta, gamma, vega, theta_y / 365.0)


def implied_vol(price: float, spot: float, strike: float, t: float, rate: float, div: float,
                right: str) -> float | None:
    """The volatility at which ``bsm`` gives ``price``; None when no volatility in
    [IV_LOW, IV_HIGH] does (a price below the no-arbitrage bound or above the spot, or an
    expired option). Brent's method (``scipy.optimize.brentq``), tolerance 1e-8."""
    _check(spot, strike, t, 0.0, right)
    if not (math.isfinite(price) and price > 0) or t <= 0:
        return None

    def f(v: float) -> float:
        return bsm(spot, strike, t, rate, div, v, right).price - price

    lo, hi = f(IV_LOW), f(IV_HIGH)
    if lo > 0 or hi < 0:
        return None
    if lo == 0:
        return IV_LOW
    return float(brentq(f, IV_LOW, IV_HIGH, xtol=1e-8))


def pv_dividend(spot: float, t: float, div: float) -> float:
    """Present value of the dividends to expiry under a continuous yield: S (1 - e^{-qT})."""
    return spot * (1.0 - math.exp(-div * max(t, 0.0)))
