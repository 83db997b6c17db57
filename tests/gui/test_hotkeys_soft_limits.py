"""Trading-menu actions (issue 14 item 4): the soft risk limits of Reverse / Flatten are in
their one question; Yes overrides exactly those, no "Override?" afterwards."""

from __future__ import annotations

from app.commands.risk import Limit, RiskLimits
from tests.gui.test_hotkeys import _placed, _run, env, settings  # noqa: F401 - fixtures


def test_reverse_soft_limit_is_in_its_question(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    ta.commands.limits = RiskLimits(max_order_quantity=Limit(True, 50, hard=False))
    s.set_position("AAPL", 40, 180.0)
    questions, overrides = [], []
    ta.ask = lambda title, text: questions.append(text) or True
    ticket.ask_override = lambda rule, msg: overrides.append(rule) or True
    result = _run(aloop, ta.trigger("reverse_symbol"))
    assert result.ok, result.message
    (question,) = questions
    assert question.startswith("Reverse the AAPL position")
    assert "⚠ Order quantity limit: Order quantity 80 exceeds the maximum of 50 shares" in question
    assert "max_order_quantity" not in question and overrides == []
    (req,) = _placed(s)
    assert req.quantity == 80
    assert [o["rule"] for o in journal.of("override") if o.get("decision") == "accepted"] == [
        "max_order_quantity"]


def test_flatten_declined_with_a_warning_sends_nothing(env, aloop):
    s, ta, ticket, messages, asked, journal = env
    ta.commands.limits = RiskLimits(price_band_percent=Limit(True, 5.0, hard=False))
    s.set_position("AAPL", 40, 180.0)
    ta.ask = lambda title, text: False
    assert _run(aloop, ta.trigger("flatten_symbol")) is None
    assert _placed(s) == [] and messages[-1][1].startswith("Not sent: Flatten AAPL")
