"""Chart trading (issue 14 items 4 and 8): a dragged order line's soft risk limits are in
its confirmation (Yes overrides them, no second question), and the chart's trade message
is cleared when another symbol is charted."""

from __future__ import annotations

from app.commands.orders import ModifyOrder
from app.commands.risk import Limit, RiskLimits
from tests.gui.test_chart_trading import _drop, _place_lmt, trading  # noqa: F401 - fixture
from tests.support import wait_until


def test_dragged_line_beyond_the_band_is_one_question(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    commands.limits = RiskLimits(price_band_percent=Limit(True, 5.0, hard=False))
    session.push_quote("AAPL", bid=99.90, ask=100.10)
    oid = _place_lmt(aloop, session, aapl, 99.5)
    overrides = []
    view.order_lines.ask_override = lambda rule, msg: overrides.append((rule, msg)) or True
    _drop(aloop, view, oid, 110.0)
    (prompt,) = prompts
    assert "⚠ Price band: Limit 110.00 is 9.9 % above the ask 100.10 (band 5 %: 94.90 - 105.10)" in prompt
    assert "price_band" not in prompt
    assert overrides == []
    assert commands.executed == [ModifyOrder(oid, limit_price=110.0)]
    wait_until(aloop, lambda: session.order(oid).limit_price == 110.0, what="modified")


def test_trade_message_is_cleared_on_another_symbol(trading):
    aloop, session, vm, view, commands, prompts, aapl = trading
    oid = _place_lmt(aloop, session, aapl, 99.5)
    _drop(aloop, view, oid, 99.0)
    assert view.trade_message.text().startswith(f"Modify sent for order {oid}")
    vm.set_instrument(session.contracts["MSFT"])
    assert view.trade_message.text() == ""


def test_order_line_and_its_question_write_a_large_quantity_in_full(trading):
    """1,000,000 (an FX size) read "1e+06" on the order line and in its question."""
    from app.domain import Action, OrderRequest, OrderType
    aloop, session, vm, view, commands, prompts, aapl = trading
    rec = session.place_order(OrderRequest(aapl, Action.BUY, 1_000_000, OrderType.LMT, limit_price=99.5))
    wait_until(aloop, lambda: view.order_lines.line_for(rec.order_id) is not None, what="line")
    line = view.order_lines.line_for(rec.order_id)
    assert line.label_text() == "BUY 1,000,000 LMT 99.50"
    _drop(aloop, view, rec.order_id, 99.0)
    assert prompts[0].startswith(f"Modify order {rec.order_id}: BUY 1,000,000 AAPL LMT")
