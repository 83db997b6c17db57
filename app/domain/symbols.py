"""Matches of a symbol search (IB reqMatchingSymbols)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SymbolMatch:
    """One contract IB found for a typed pattern ("AA" -> AAPL, AAL, ...).

    ``symbol`` IB's symbol ("AAPL", "EUR" for EUR.USD); ``name`` IB's description
    ("APPLE INC"; "" from gateways older than server version 176); ``sec_type`` IB
    secType ("STK", "CASH", ...); ``primary_exchange`` the listing venue ("NASDAQ");
    ``currency``; ``con_id`` IB conId; ``derivative_types`` the secTypes of derivatives IB
    lists on it ("OPT", "WAR", ...). Source: IB API docs "Stock Symbol Search"
    (symbolSamples / ContractDescription).
    """

    symbol: str
    name: str = ""
    sec_type: str = "STK"
    primary_exchange: str = ""
    currency: str = "USD"
    con_id: int = 0
    derivative_types: tuple[str, ...] = ()

    @property
    def display_symbol(self) -> str:
        """What a symbol field takes for it: "AAPL", "EUR.USD" for a currency pair
        (``app.domain.Instrument.parse`` reads both)."""
        if self.sec_type == "CASH" and self.currency:
            return f"{self.symbol}.{self.currency}"
        return self.symbol
