"""Order scenarios as data, run the same way through either client (see ``run_order_scenario``).

A scenario scripts the market with :class:`tests.conformance.conftest.Market` (quotes set on
the gateway's loop at the simulated now) instead of waiting for random moves: it sets a
start quote, places one order, waits for the first status the gateway must report, applies
the scripted moves and waits for the final status. Prices in USD, sizes in shares.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


def stk(sym: str) -> dict:
    return {"symbol": sym, "secType": "STK", "exchange": "SMART", "currency": "USD"}


@dataclass
class OrderScenario:
    """``start``/``moves``: set_quote kwargs (bid, ask, bid_size, ask_size, last);
    ``first``: statuses of which one must arrive after placing (before any move);
    ``final``: the status the order must end in; ``fill``: (low, high) bounds of avgFillPrice;
    ``filled``: expected filled quantity at the end."""

    id: str
    symbol: str
    order: dict
    start: dict
    first: tuple[str, ...]
    moves: list[dict] = field(default_factory=list)
    final: str = "Filled"
    fill: tuple[float, float] | None = None
    filled: float | None = None


Q = dict  # readability: a quote


def q(bid: float, ask: float, last: float | None = None, size: float = 500) -> dict:
    return Q(bid=bid, ask=ask, bid_size=size, ask_size=size, last=last if last is not None else round((bid + ask) / 2, 2))


ORDER_TYPES = [
    OrderScenario("MKT", "WMT", {"action": "BUY", "totalQuantity": 10, "orderType": "MKT"},
                  q(100.00, 100.02), ("Filled",), fill=(99.9, 100.1), filled=10),
    OrderScenario("LMT", "BA", {"action": "BUY", "totalQuantity": 10, "orderType": "LMT", "lmtPrice": 99.00},
                  q(100.00, 100.02), ("Submitted",), [q(98.96, 98.98)], fill=(98.90, 99.00), filled=10),
    OrderScenario("STP", "INTC", {"action": "BUY", "totalQuantity": 10, "orderType": "STP", "auxPrice": 101.00},
                  q(100.00, 100.02), ("PreSubmitted",), [q(101.00, 101.02, 101.01)], fill=(100.9, 101.2), filled=10),
    OrderScenario("STP LMT", "AMD", {"action": "SELL", "totalQuantity": 10, "orderType": "STP LMT",
                                     "auxPrice": 99.00, "lmtPrice": 98.50},
                  q(100.00, 100.02), ("PreSubmitted",), [q(98.90, 98.92, 98.91)], fill=(98.50, 99.0), filled=10),
    OrderScenario("TRAIL amount", "V", {"action": "SELL", "totalQuantity": 10, "orderType": "TRAIL", "auxPrice": 1.00},
                  q(100.00, 100.02, 100.01), ("PreSubmitted",),
                  [q(102.00, 102.02, 102.01), q(100.98, 101.00, 100.99)], fill=(100.5, 101.1), filled=10),
    OrderScenario("TRAIL percent", "XOM", {"action": "SELL", "totalQuantity": 10, "orderType": "TRAIL",
                                           "trailingPercent": 1.0},
                  q(100.00, 100.02, 100.01), ("PreSubmitted",),
                  [q(102.00, 102.02, 102.01), q(100.88, 100.90, 100.89)], fill=(100.5, 101.0), filled=10),
    OrderScenario("TRAIL LIMIT", "KO", {"action": "SELL", "totalQuantity": 10, "orderType": "TRAIL LIMIT",
                                        "auxPrice": 1.00, "lmtPriceOffset": 0.10},
                  q(100.00, 100.02, 100.01), ("PreSubmitted",),
                  [q(102.00, 102.02, 102.01), q(100.98, 101.00, 100.99)], fill=(100.91, 101.1), filled=10),
    OrderScenario("MIT", "DIS", {"action": "BUY", "totalQuantity": 10, "orderType": "MIT", "auxPrice": 99.00},
                  q(100.00, 100.02), ("PreSubmitted",), [q(98.98, 99.00, 98.99)], fill=(98.9, 99.1), filled=10),
    OrderScenario("LIT", "JPM", {"action": "SELL", "totalQuantity": 10, "orderType": "LIT", "auxPrice": 101.00,
                                 "lmtPrice": 100.90},
                  q(100.00, 100.02), ("PreSubmitted",), [q(101.00, 101.02, 101.01)], fill=(100.90, 101.1), filled=10),
]

TIFS = [
    OrderScenario("GTC", "NFLX", {"action": "BUY", "totalQuantity": 5, "orderType": "LMT", "lmtPrice": 90.00,
                                  "tif": "GTC"}, q(100.00, 100.02), ("Submitted",), final="Submitted", filled=0),
    OrderScenario("IOC partial", "GOOG", {"action": "BUY", "totalQuantity": 300, "orderType": "LMT",
                                          "lmtPrice": 100.02, "tif": "IOC"},
                  q(100.00, 100.02, size=100), ("Cancelled", "Filled"), final="Cancelled", fill=(100.02, 100.02),
                  filled=100),
    OrderScenario("FOK too big", "AMZN", {"action": "BUY", "totalQuantity": 300, "orderType": "LMT",
                                          "lmtPrice": 100.02, "tif": "FOK"},
                  q(100.00, 100.02, size=100), ("Cancelled", "Filled"), final="Cancelled", filled=0),
    OrderScenario("FOK fits", "META", {"action": "BUY", "totalQuantity": 50, "orderType": "LMT",
                                       "lmtPrice": 100.02, "tif": "FOK"},
                  q(100.00, 100.02, size=100), ("Filled",), fill=(100.02, 100.02), filled=50),
    OrderScenario("DAY", "TSLA", {"action": "BUY", "totalQuantity": 5, "orderType": "LMT", "lmtPrice": 90.00,
                                  "tif": "DAY"}, q(100.00, 100.02), ("Submitted",), final="Submitted", filled=0),
]


def ordered_subsequence(want: list[str], got: list[str]) -> bool:
    """True when ``want`` appears in ``got`` in order (other statuses may come between)."""
    it = iter(got)
    return all(any(g == w for g in it) for w in want)


#: seconds (simulated) a scenario's scripted quote holds its instrument's random walk
SCRIPT_HOLD = 5.0


def run_order_scenario(client, market, s: OrderScenario) -> tuple[int, dict]:
    """Run ``s``; returns (orderId, final neutral order state). Raises AssertionError on a
    missing status (with the statuses and errors received)."""
    cd = client.contract_details(stk(s.symbol))[0]
    con_id = cd["conId"]
    # the scripted book holds (no random moves) while the order meets it: a random tick
    # between the quote and the order made 'FOK too big' fill now and then
    market.set_quote(con_id, **s.start, hold=SCRIPT_HOLD)
    oid = client.place(stk(s.symbol), s.order)
    assert client.wait_status(oid, *s.first, timeout=4), (s.id, client.statuses(oid), client.order_errors(oid))
    for m in s.moves:
        market.set_quote(con_id, **m, hold=SCRIPT_HOLD)
        time.sleep(0.15)
    if s.final in ("Filled", "Cancelled", "ApiCancelled", "Inactive"):
        assert client.wait_status(oid, s.final, timeout=4), (s.id, client.statuses(oid), client.order_errors(oid))
    else:
        time.sleep(0.3)
    client.wait(lambda: (client.order_state(oid) or {}).get("status") == s.final, 2)
    return oid, client.order_state(oid)
