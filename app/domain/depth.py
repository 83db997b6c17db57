"""Market depth (IB "Market Depth (Level II)"): a snapshot of the order book of one instrument."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DepthBook:
    """The book of one instrument at one moment.

    ``key`` is ``Instrument.key``; ``bids`` best (highest) first and ``asks`` best (lowest)
    first, each a tuple of ``(price, size)``: prices in the instrument's currency, sizes in
    shares (FX: base-currency units). At most the requested number of rows per side (IB
    serves up to 10). Source: IB reqMktDepth / updateMktDepth(L2), as ib_async keeps it in
    ``Ticker.domBids`` / ``Ticker.domAsks`` (``domBidsDict`` / ``domAsksDict`` by position).
    """

    key: str
    bids: tuple[tuple[float, float], ...] = ()
    asks: tuple[tuple[float, float], ...] = ()

    @property
    def best_bid(self) -> float | None:
        """The highest bid price, or None for an empty bid side."""
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> float | None:
        """The lowest ask price, or None for an empty ask side."""
        return self.asks[0][0] if self.asks else None
