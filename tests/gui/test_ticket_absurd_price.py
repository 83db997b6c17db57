"""Issue 11 item 9: the order ticket shows the absurd-price message before any confirmation
and does not transmit (the domain's MAX_PRICE; the ticket's field allows up to that value)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.domain.orders import MAX_PRICE
from tests.gui.test_ticket_view import setup  # noqa: F401 (fixture: ticket on AAPL with a quote)


def test_typing_an_absurd_limit_shows_why_and_asks_nothing(qtbot, aloop, setup):
    s, t, asked = setup
    t.limit.selectAll()
    qtbot.keyClicks(t.limit, f"{MAX_PRICE:.0f}")
    qtbot.keyClick(t.limit, Qt.Key_Tab)
    qtbot.waitUntil(lambda: t.problem.isVisible(), timeout=2000)
    assert "not a plausible price" in t.problem.text()
    assert not t.transmit_button.isEnabled()
    aloop.run_until_complete(t.transmit())
    assert asked == []
    assert [c for c in s.calls if c[0] == "place_order"] == []


def test_the_model_refuses_1e308_from_any_source(setup):
    s, t, _ = setup
    t.model.set_limit_price(1e308)     # e.g. a prefill that bypasses the field's range
    problem = t.model.problem()
    assert "not a plausible price" in problem and len(problem) < 160
