"""A scripted quote can hold the random walk of its instrument for a while (``hold``
seconds of simulated time), so a scenario's order meets exactly the scripted book; without
``hold`` the walk goes on at once, as before."""

from __future__ import annotations

from tests.unit.sim.helpers import AAPL, make


def _moves(ex, seconds: float, step: float = 0.25) -> int:
    """How many of the steps over ``seconds`` changed AAPL's top of book."""
    n = 0
    for _ in range(int(seconds / step)):
        n += AAPL in ex.market.advance(ex.market.now + step)
    return n


def test_hold_keeps_the_scripted_book_then_the_walk_resumes():
    ex, _ = make()
    ex.set_quote(AAPL, ex.now + 1, bid=100.00, ask=100.02, bid_size=100, ask_size=100, hold=30.0)
    assert _moves(ex, 29.0) == 0
    top = ex.top(AAPL)
    assert (top.bid, top.ask, top.bid_size, top.ask_size) == (100.00, 100.02, 100, 100)
    assert _moves(ex, 60.0) > 0                      # after the hold, the walk goes on


def test_without_hold_the_walk_goes_on_at_once():
    ex, _ = make()
    ex.set_quote(AAPL, ex.now + 1, bid=100.00, ask=100.02, bid_size=100, ask_size=100)
    assert _moves(ex, 29.0) > 0
