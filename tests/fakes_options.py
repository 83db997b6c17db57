"""The option chain part of ``tests.fakes.FakeSession`` (a mixin), mirroring
``app.broker.session_options.SessionOptionsMixin`` with deterministic data:

* every stock of ``contracts`` has one SMART chain, trading class = symbol, multiplier 100,
  the expirations :data:`FAKE_EXPIRATIONS` and strikes every :func:`strike_step` within
  +-20 % of :data:`FAKE_PRICES` (100 for a symbol not listed); ``option_chains`` also lists
  a second, non-SMART chain (as IB lists every exchange).
* ``option_contracts`` returns the calls and puts of one expiry (conIds from 700,000,000 up,
  stable per contract) and adds them to ``contracts`` (so ``resolve``, ``push_quote`` and
  ``set_position`` know them by display symbol, "AAPL 20261218 200 C").
* test driver :meth:`FakeOptionsMixin.push_option_quote`: an option's bid / ask / model
  greeks from a Black-Scholes price at a given underlying price and volatility (no rates,
  no dividends: plausible numbers for the views, not a pricing model).
* ``fail_options`` (text): ``option_chains`` / ``option_contracts`` raise
  ``UnknownSymbolError`` with it (IB error 200).

Uses the host's ``calls``, ``contracts``, ``_require_connected``, ``push_quote``.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from datetime import date

from app.broker.errors import UnknownSymbolError
from app.broker.session_options import option_sort_key, pick_chain
from app.domain import Instrument, OptionChain, OptionGreeks, Quote

#: the fake chains' expirations ("YYYYMMDD", ascending): third Fridays
FAKE_EXPIRATIONS: tuple[str, ...] = ("20261218", "20270115", "20270219", "20270319")
#: the fake underlying prices the strikes are centred on
FAKE_PRICES: dict[str, float] = {"AAPL": 200.0, "MSFT": 400.0, "NVDA": 150.0, "SPY": 600.0}
_NO_DEFINITION = "No security definition has been found for the request"


def strike_step(price: float) -> float:
    """IB-like strike interval: 1 under 50, 2.5 under 100, 5 otherwise."""
    return 1.0 if price < 50 else 2.5 if price < 100 else 5.0


def fake_strikes(price: float) -> tuple[float, ...]:
    """Strikes every :func:`strike_step` from 80 % to 120 % of ``price``."""
    step = strike_step(price)
    lo, hi = math.ceil(price * 0.8 / step), math.floor(price * 1.2 / step)
    return tuple(k * step for k in range(lo, hi + 1))


def _n(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def fake_greeks(option: Instrument, und: float, vol: float, today: date) -> OptionGreeks:
    """Black-Scholes value and greeks per share (no rate, no dividend) of ``option`` with the
    underlying at ``und``; vega per volatility point, theta per calendar day."""
    exp = date(int(option.expiry[:4]), int(option.expiry[4:6]), int(option.expiry[6:]))
    t = max((exp - today).days, 1) / 365.0
    k, sq = option.strike, vol * math.sqrt(t)
    d1 = (math.log(und / k) + 0.5 * vol * vol * t) / sq
    d2 = d1 - sq
    pdf = math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    if option.right == "C":
        price, delta = und * _n(d1) - k * _n(d2), _n(d1)
    else:
        price, delta = k * _n(-d2) - und * _n(-d1), _n(d1) - 1.0
    return OptionGreeks(implied_vol=vol, delta=delta, gamma=pdf / (und * sq), vega=und * pdf * math.sqrt(t) / 100,
                        theta=-und * pdf * vol / (2 * math.sqrt(t)) / 365, opt_price=price, und_price=und,
                        pv_dividend=0.0)


class FakeOptionsMixin:
    """Option chains of the fake session (state created on first use)."""

    fail_options: str = ""

    def _option_ids(self) -> dict:
        return self.__dict__.setdefault("_fake_option_ids", {})

    def _fake_chain(self, underlying: Instrument) -> OptionChain:
        price = FAKE_PRICES.get(underlying.symbol, 100.0)
        return OptionChain(underlying, "SMART", underlying.symbol, 100.0, FAKE_EXPIRATIONS, fake_strikes(price))

    async def option_chains(self, underlying: Instrument) -> list[OptionChain]:
        self.calls.append(("option_chains", (underlying,)))
        self._require_connected(f"load the option chain of {underlying.display_symbol}")
        await asyncio.sleep(0)
        known = self.contracts.get(underlying.display_symbol.upper())
        if self.fail_options or known is None or known.sec_type != "STK":
            raise UnknownSymbolError(underlying.display_symbol, self.fail_options or
                                     f"IB lists no options on {underlying.display_symbol}")
        chain = self._fake_chain(known)
        return [chain, replace(chain, exchange="CBOE")]

    async def option_chain(self, underlying: Instrument, exchange: str = "SMART") -> OptionChain:
        chains = await self.option_chains(underlying)
        chain = pick_chain(chains, underlying, exchange)
        if chain is None:
            raise UnknownSymbolError(underlying.display_symbol,
                                     f"IB lists no options on {underlying.display_symbol} at {exchange}")
        return chain

    async def option_contracts(self, underlying: Instrument, expiry: str,
                               strikes: list[float] | None = None, *,
                               trading_class: str = "") -> list[Instrument]:
        self.calls.append(("option_contracts", (underlying, expiry, strikes)))
        expiry = str(expiry).strip()
        if len(expiry) != 8 or not expiry.isdigit():
            raise ValueError(f"An option expiry is a date YYYYMMDD, got {expiry!r}")
        name = f"{underlying.symbol} {expiry}"
        self._require_connected(f"load the options of {name}")
        await asyncio.sleep(0)
        known = self.contracts.get(underlying.display_symbol.upper())
        if self.fail_options or known is None or known.sec_type != "STK" or expiry not in FAKE_EXPIRATIONS:
            raise UnknownSymbolError(name, self.fail_options or _NO_DEFINITION)
        chain = self._fake_chain(known)
        ids = self._option_ids()
        out = []
        for k in chain.strikes:
            if strikes is not None and not any(math.isclose(k, s, abs_tol=1e-6) for s in strikes):
                continue
            for right in ("C", "P"):
                ident = (known.symbol, expiry, k, right)
                con_id = ids.setdefault(ident, 700_000_000 + len(ids))
                local = f"{known.symbol:<6}{expiry[2:]}{right}{round(k * 1000):08d}"
                inst = Instrument(known.symbol, "OPT", "SMART", known.currency, "", con_id, 0.01, local,
                                  known.long_name, known.time_zone, 100.0, expiry, k, right, known.symbol)
                self.contracts[inst.display_symbol.upper()] = inst
                out.append(inst)
        if not out:
            raise UnknownSymbolError(name, _NO_DEFINITION)
        return sorted(out, key=option_sort_key)

    def push_option_quote(self, option: Instrument, und_price: float, vol: float = 0.3,
                          today: date = date(2026, 12, 7), spread: float = 0.05, **fields) -> Quote:
        """Test driver: the option's bid / ask around a Black-Scholes value (instrument
        currency per share, on the 0.01 tick, bid at least 0.01) and the model greeks, as one
        quote batch (only while subscribed, like ``push_quote``); ``fields`` override."""
        g = fake_greeks(option, und_price, vol, today)
        mid = max(g.opt_price, 0.01)
        bid = max(round(mid - spread / 2, 2), 0.01)
        values = dict(bid=bid, ask=round(bid + spread, 2), model_greeks=g)
        values.update(fields)
        return self.push_quote(option.display_symbol, **values)
