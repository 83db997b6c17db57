"""Symbol search (reqMatchingSymbols) and market rules (reqMarketRule) of the simulated gateway.

* ``matching_symbols``: IB's "Stock Contract Search" (reqMatchingSymbols ->
  symbolSamples): the pattern matches a symbol by prefix or the company name by
  the start of one of its words, case-insensitive; at most 16 results, best match
  first (exact symbol, then symbol prefixes shortest first, then name matches).
  Source: IB TWS API docs "Stock Contract Search" / ib_async ``IB.reqMatchingSymbols``.
* ``MARKET_RULES``: price-increment tables as reqMarketRule returns them
  (``[(lowEdge, increment)]``, prices in instrument currency). Rule 26 is IB's
  rule for US stocks routed SMART (0.01 at every price, as reported for AAPL);
  239 is IDEALPRO's 0.00005 (EUR.USD, GBP.USD); the simulator uses 62 for
  0.005 pairs (USD.JPY). Unknown ids raise SimError 321 (IB "Error validating request").
"""

from __future__ import annotations

import re

from app.sim.types import SimContract, SimError

MAX_MATCHES = 16

MARKET_RULES: dict[int, list[tuple[float, float]]] = {
    26: [(0.0, 0.01)],
    239: [(0.0, 0.00005)],
    62: [(0.0, 0.005)],
    # the simulator's option rules (ids of its own): 110 US equity options 0.01 below 3.00 and
    # 0.05 from 3.00; 32 the penny-programme classes quoted in 0.01 at every price (SPY, QQQ)
    110: [(0.0, 0.01), (3.0, 0.05)],
    32: [(0.0, 0.01)],
    # futures (ids of the simulator's own): 67 ES / NQ 0.25, 41 GC 0.10 (CL uses 32: 0.01)
    67: [(0.0, 0.25)],
    41: [(0.0, 0.10)],
}


def market_rule(rule_id: int) -> list[tuple[float, float]]:
    """Price increments of market rule ``rule_id``: [(low_edge, increment)], low edges ascending.

    Raises SimError 321 for an id the gateway does not know.
    """
    try:
        rid = int(rule_id)
    except (TypeError, ValueError):
        raise SimError(321, f"Error validating request.-'bT' : cause - Invalid market rule id {rule_id!r}") from None
    rule = MARKET_RULES.get(rid)
    if rule is None:
        raise SimError(321, f"Error validating request.-'bT' : cause - Unknown market rule id {rid}")
    return list(rule)


def increment_at(rule: list[tuple[float, float]], price: float) -> float:
    """The price increment a rule gives at ``price`` (the row with the highest low edge <= price)."""
    inc = rule[0][1]
    for low, step in rule:
        if price >= low:
            inc = step
    return inc


_WORD = re.compile(r"[A-Z0-9]+")


def _score(c: SimContract, pat: str) -> tuple[int, int] | None:
    sym = c.symbol.upper()
    local = c.local_symbol.upper()
    if pat in (sym, local):
        return (0, len(local))
    if sym.startswith(pat) or local.startswith(pat):
        return (1, len(local))
    words = _WORD.findall(c.long_name.upper())
    pwords = _WORD.findall(pat)
    if pwords and len(pwords) <= len(words):
        # every pattern word starts one of consecutive name words ("APPLE", "INTL BUS")
        for i in range(len(words) - len(pwords) + 1):
            if all(words[i + k].startswith(w) for k, w in enumerate(pwords)):
                return (2 + (i > 0), len(c.long_name))
    return None


def matching_symbols(contracts: list[SimContract], pattern: str) -> list[SimContract]:
    """Contracts whose symbol starts with ``pattern`` or whose long name has words starting with
    it (case-insensitive), best first, at most 16. An empty/blank pattern gives []."""
    pat = " ".join(str(pattern or "").upper().split())
    if not pat:
        return []
    scored = []
    for c in contracts:
        s = _score(c, pat)
        if s is not None:
            scored.append((s, c.symbol, c.con_id, c))
    scored.sort(key=lambda x: x[:3])
    return [x[3] for x in scored[:MAX_MATCHES]]
