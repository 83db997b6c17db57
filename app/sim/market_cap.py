"""Shares outstanding of the simulator's stocks, for the scanner's market-cap filter.

Market capitalisation (USD) = shares outstanding x the current simulated price
(:func:`market_cap`). Only the default universe's common stocks have a figure
(:data:`SHARES_OUTSTANDING`); the ETFs (SPY, QQQ: their share count changes every day with
creations and redemptions and IB's market-cap filter is a company figure), the generated
stocks ``S0001``... (no real company) and the FX pairs (no market cap at all, as at IB where
the filter applies to stocks) have none, so they never pass a market-cap filter.

Sources: the number of shares outstanding on the cover page of each company's latest annual
report (Form 10-K, SEC EDGAR) before this module was written, in millions, rounded (the
filing and the "as of" date per line). They are approximate and do not move: the simulator
issues and buys back nothing, and a market cap a few per cent off changes nothing a scan of
twenty stocks can show. Where a company lists several classes the company's total is used
(as quote sites show one market cap for GOOG and GOOGL), except Visa (class A only: its
class B and C common shares are not listed; they convert into class A at varying rates).
"""

from __future__ import annotations

#: conId -> shares outstanding (not millions: the count). Comments: symbol, filing, date.
SHARES_OUTSTANDING: dict[int, float] = {
    265598: 15_116e6,      # AAPL  10-K FY ended 2024-09-28: 15,115,823,000 as of 2024-10-18
    272093: 7_433e6,       # MSFT  10-K FY ended 2024-06-30: about 7,433 million as of 2024-07-25
    208813720: 12_190e6,   # GOOG  10-K 2024: class A 5,833 + B 860 + C 5,497 million, 2025-01-28
    3691937: 10_598e6,     # AMZN  10-K 2024: about 10,598 million as of 2025-01-24
    4815747: 24_400e6,     # NVDA  10-K FY ended 2025-01-26: 24.4 billion as of 2025-02-21
    107113386: 2_533e6,    # META  10-K 2024: class A about 2,190 + class B 343 million, 2025-01-24
    76792991: 3_217e6,     # TSLA  10-K 2024: about 3,217 million as of 2025-01-23
    8314: 927e6,           # IBM   10-K 2024: about 927 million as of 2025-02-03
    1520593: 2_796e6,      # JPM   10-K 2024: about 2,796 million as of 2025-01-31
    49462172: 1_713e6,     # V     10-K FY ended 2024-09-30: class A about 1,713 million, 2024-11-08
    13977: 4_344e6,        # XOM   10-K 2024: about 4,344 million as of 2025-01-31
    8894: 4_302e6,         # KO    10-K 2024: about 4,302 million as of 2025-02-14
    6459: 1_811e6,         # DIS   10-K FY ended 2024-09-28: about 1,811 million as of 2024-11-06
    15124833: 4_278e6,     # NFLX  10-K 2024: about 427.8 million as of 2025-01-17, x10 for the
                           #       10-for-1 split of November 2025 (the simulated price is ~110)
    4391: 1_622e6,         # AMD   10-K 2024: about 1,622 million as of 2025-01-29
    270639: 4_363e6,       # INTC  10-K 2024: about 4,363 million as of 2025-01-24 (before the
                           #       2025 issues to the US government and investors)
    4762: 750e6,           # BA    10-K 2024: about 750 million as of 2025-01-24 (after the
                           #       October 2024 offering)
    13824: 8_020e6,        # WMT   10-K FY ended 2025-01-31: about 8,020 million as of 2025-03-14
}


def shares_outstanding(con_id: int) -> float | None:
    """Shares outstanding of stock ``con_id`` (a count), None when the simulator has no figure
    (ETFs, generated and replay-only stocks, FX pairs)."""
    return SHARES_OUTSTANDING.get(int(con_id))


def market_cap(con_id: int, price: float) -> float | None:
    """Market capitalisation in USD of ``con_id`` at ``price`` (USD per share): shares
    outstanding x price; None without a share count or a positive price."""
    shares = SHARES_OUTSTANDING.get(int(con_id))
    if shares is None or not price or price <= 0:
        return None
    return shares * float(price)
