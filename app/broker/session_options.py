"""Option chains of the API session (mixed into ``app.broker.session.Session``).

``option_chain``: which expirations and strikes an underlying has (IB reqSecDefOptParams);
``option_contracts``: the calls and puts of one expiry, resolved (IB reqContractDetails with
an Option contract whose strike and right are left empty: one request answers the whole
expiry, instead of one per strike). Quotes and greeks of an option come from
``subscribe_quotes`` like any instrument (``Quote.model_greeks`` ...).
Sources: IB API docs "Option Chains"; ib_async ``IB.reqSecDefOptParamsAsync``,
``IB.reqContractDetailsAsync``.
"""

from __future__ import annotations

import asyncio
import math

from ib_async import Option
from ib_async.wrapper import RequestError

from app.broker import convert
from app.broker.errors import UnknownSymbolError
from app.domain import Instrument, OptionChain

#: IB "No security definition has been found for the request"
_NO_DEFINITION = 200
_NO_DEFINITION_TEXT = "No security definition has been found for the request"


def pick_chain(chains: list[OptionChain], underlying: Instrument, exchange: str = "SMART") -> OptionChain | None:
    """The chain to trade ``underlying``'s options with: among ``exchange``'s chains, the one
    whose trading class is the symbol (IB also lists e.g. SPXW beside SPX, or adjusted
    classes after a corporate action), else the one with the most expirations; None when
    IB listed none for ``exchange``."""
    on = [c for c in chains if c.exchange == exchange]
    if not on:
        return None
    for c in on:
        if c.trading_class == underlying.symbol:
            return c
    return max(on, key=lambda c: len(c.expirations))


def option_sort_key(inst: Instrument) -> tuple:
    """Strike ascending, the call before the put."""
    return (inst.strike, inst.right != "C")


class SessionOptionsMixin:
    """``option_chain`` and ``option_contracts`` of ``Session``; uses its ``ib``,
    ``resolve``, ``_require_connected``, ``_connect_timeout`` and ``_instruments``."""

    async def _ask_options(self, request, name: str, what: str):
        """The answer of ``request`` (an ib_async awaitable) within ``connect_timeout``;
        ``UnknownSymbolError`` for ``name`` with IB's code and text, or code 0 after the
        timeout or on a lost connection."""
        try:
            return await asyncio.wait_for(request, self._connect_timeout)
        except RequestError as e:
            raise UnknownSymbolError(name, e.message, e.code) from e
        except (asyncio.TimeoutError, TimeoutError) as e:
            raise UnknownSymbolError(name, f"no {what} within {self._connect_timeout:g} s", 0) from e
        except ConnectionError as e:
            raise UnknownSymbolError(name, f"connection lost ({e})", 0) from e

    async def option_chains(self, underlying: Instrument) -> list[OptionChain]:
        """Every option chain IB lists for the stock ``underlying`` (IB reqSecDefOptParams
        with futFopExchange "" and underlyingSecType "STK"): one per exchange and trading
        class, expirations and strikes sorted. An unresolved underlying (con_id 0) is
        resolved first. Raises ``NotConnectedError``; ``UnknownSymbolError`` with IB's code
        and text on an error, after ``connect_timeout`` or when IB lists no chain."""
        if not underlying.con_id:
            underlying = await self.resolve(underlying)
        name = underlying.display_symbol
        self._require_connected(f"load the option chain of {name}")
        found = await self._ask_options(
            self.ib.reqSecDefOptParamsAsync(underlying.symbol, "", underlying.sec_type, underlying.con_id),
            name, "option chain")
        chains = [convert.to_option_chain(c, underlying) for c in found or ()]
        if not chains:
            raise UnknownSymbolError(name, f"IB lists no options on {name}", _NO_DEFINITION)
        return chains

    async def option_chain(self, underlying: Instrument, exchange: str = "SMART") -> OptionChain:
        """The option chain of the stock ``underlying`` on ``exchange`` (:func:`pick_chain`
        among :meth:`option_chains`): expirations ("YYYYMMDD", ascending), strikes (ascending,
        instrument currency), multiplier (100.0 for US equity options), trading class.
        Raises as :meth:`option_chains`, and ``UnknownSymbolError`` when IB lists none on
        ``exchange``."""
        chains = await self.option_chains(underlying)
        chain = pick_chain(chains, underlying, exchange)
        if chain is None:
            name = underlying.display_symbol
            on = ", ".join(sorted({c.exchange for c in chains}))
            raise UnknownSymbolError(name, f"IB lists no options on {name} at {exchange} (only at {on})",
                                     _NO_DEFINITION)
        return chain

    async def option_contracts(self, underlying: Instrument, expiry: str,
                               strikes: list[float] | None = None, *,
                               trading_class: str = "") -> list[Instrument]:
        """The calls and puts of ``underlying`` expiring on ``expiry`` ("YYYYMMDD"), resolved
        (con_id, min_tick, multiplier, local symbol "AAPL  261218C00200000", trading class),
        sorted by strike, call before put; only the ``strikes`` given (instrument currency)
        when not None. One IB reqContractDetails for ``Option(symbol, expiry, "", "",
        "SMART")`` answers the whole expiry. Raises ``ValueError`` for an expiry that is not
        8 digits, ``NotConnectedError``, ``UnknownSymbolError`` with IB's code and text (error
        200 when the expiry does not exist, or none of ``strikes`` does)."""
        expiry = str(expiry).strip()
        if len(expiry) != 8 or not expiry.isdigit():
            raise ValueError(f"An option expiry is a date YYYYMMDD, got {expiry!r}")
        name = f"{underlying.symbol} {expiry}"
        self._require_connected(f"load the options of {name}")
        contract = Option(underlying.symbol, expiry, 0.0, "", "SMART", currency=underlying.currency or "USD",
                          tradingClass=trading_class)
        details = await self._ask_options(self.ib.reqContractDetailsAsync(contract), name, "contract details")
        out = []
        for cd in details or ():
            if cd.contract is None or cd.contract.secType != "OPT":
                continue
            inst = convert.details_to_instrument(cd)
            if strikes is not None and not any(math.isclose(inst.strike, k, abs_tol=1e-6) for k in strikes):
                continue
            out.append(inst)
        if not out:
            raise UnknownSymbolError(name, _NO_DEFINITION_TEXT, _NO_DEFINITION)
        out.sort(key=option_sort_key)
        for inst in out:
            self._instruments[inst.con_id] = inst
        return out
