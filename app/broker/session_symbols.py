"""Symbol search of the API session (mixed into ``app.broker.session.Session``).

IB reqMatchingSymbols: the contracts whose symbol (or name) starts with a typed pattern,
as TWS's own symbol lookup shows them. IB paces API requests, so a caller that asks per
keystroke debounces (``app.viewmodels.symbol_search``). Source: IB API docs "Stock Symbol Search";
ib_async ``IB.reqMatchingSymbolsAsync``.
"""

from __future__ import annotations

from typing import Any

from ib_async.wrapper import RequestError

from app.broker.errors import UnknownSymbolError
from app.domain import SymbolMatch


def description_to_match(cd: Any) -> SymbolMatch | None:
    """An ib_async ``ContractDescription`` as a :class:`SymbolMatch` (None without a contract)."""
    c = getattr(cd, "contract", None)
    if c is None or not c.symbol:
        return None
    return SymbolMatch(str(c.symbol), str(getattr(c, "description", "") or ""), str(c.secType or ""),
                       str(c.primaryExchange or ""), str(c.currency or ""), int(c.conId or 0),
                       tuple(str(t) for t in (cd.derivativeSecTypes or ())))


class SessionSymbolsMixin:
    """``matching_symbols`` of ``Session``; uses its ``ib``, ``_require_connected`` and
    ``_connect_timeout``."""

    async def matching_symbols(self, pattern: str) -> list[SymbolMatch]:
        """The contracts IB matches to ``pattern`` (IB reqMatchingSymbols), in IB's order;
        [] for a blank pattern (nothing is sent) or when nothing matches. Raises
        ``NotConnectedError`` when not connected, ``TimeoutError`` when the gateway does
        not answer (ib_async waits 4 s), ``UnknownSymbolError`` with IB's code and text
        when the gateway answers with an error. Cancelling the awaiting task abandons the
        request (IB has no cancel for it; a late answer is dropped by ib_async)."""
        text = pattern.strip()
        if not text:
            return []
        self._require_connected(f"search symbols for {text!r}")
        try:
            found = await self.ib.reqMatchingSymbolsAsync(text)
        except RequestError as e:
            raise UnknownSymbolError(text, e.message, e.code) from e
        except ConnectionError as e:
            raise TimeoutError(f"No symbol search answer for {text!r}: connection lost ({e})") from e
        if found is None:
            raise TimeoutError(f"No symbol search answer for {text!r} from the gateway")
        return [m for m in (description_to_match(cd) for cd in found) if m is not None]
