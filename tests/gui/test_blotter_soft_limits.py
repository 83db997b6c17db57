"""Blotter modifications (issue 14 items 4 and 9): an invalid in-place edit is refused
before any question, and a modification's soft risk limits are part of its question (the
modify confirmation or the Modify dialog): one decision, no second dialog."""

from __future__ import annotations

from app.commands.risk import Limit, RiskLimits
from app.ui import blotter as blotter_module
from app.ui.modify_dialog import ModifyDialog
from tests.gui.test_blotter_view import _calls, _commit, _open_editor, setup  # noqa: F401 - fixture

SOFT_QTY = RiskLimits(max_order_quantity=Limit(True, 150, hard=False))


def test_in_place_quantity_zero_is_refused_before_the_question(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.confirm_modifies = True
    editor = _open_editor(qtbot, b, rec.order_id, "quantity")
    _commit(qtbot, aloop, editor, "0")
    assert asked == []                                   # no "Modify ...?" before the refusal
    assert _calls(s, "modify_order") == []
    assert b.message.text() == "Cannot modify order 1: quantity must be positive, got 0"


def test_soft_limit_is_in_the_modify_question_and_yes_sends(qtbot, setup, aloop):
    s, b, rec, asked = setup
    b.confirm_modifies = True
    b.commands.limits = SOFT_QTY
    overrides = []
    b.ask_override = lambda text: overrides.append(text) or True
    editor = _open_editor(qtbot, b, rec.order_id, "quantity")
    _commit(qtbot, aloop, editor, "200")
    (question,) = asked
    assert question.startswith("Modify order 1 (BUY 100 AAPL LMT): quantity 100 → 200?")
    assert "⚠ Order quantity limit: Order quantity 200 exceeds the maximum of 150 shares" in question
    assert "max_order_quantity" not in question
    assert overrides == [] and _calls(s, "modify_order") == [(1, 200, None, None)]


def _answer_dialog(monkeypatch, answer):
    """The Modify dialog (opened non-blocking, ``run_dialog``) answered by ``answer(dlg)``."""
    async def run_dialog(dlg):
        return answer(dlg)
    monkeypatch.setattr(blotter_module, "run_dialog", run_dialog)


def test_modify_dialog_ok_is_the_override(qtbot, setup, monkeypatch, aloop):
    s, b, rec, asked = setup
    b.commands.limits = SOFT_QTY
    overrides = []
    b.ask_override = lambda text: overrides.append(text) or True

    def fake_exec(dlg):
        dlg.quantity.setValue(200)
        assert dlg.problem.text() == ("⚠ Order quantity limit: Order quantity 200 exceeds the maximum "
                                      "of 150 shares per order\nOK sends it anyway.")
        assert dlg.shown_rules == {"max_order_quantity"}
        return ModifyDialog.Accepted

    _answer_dialog(monkeypatch, fake_exec)
    b.select_order(rec.order_id)
    assert aloop.run_until_complete(b.modify_selected())
    assert overrides == [] and _calls(s, "modify_order") == [(1, 200, None, None)]


def test_modify_confirmation_after_the_dialog_still_names_the_soft_limit(qtbot, setup, monkeypatch, aloop):
    """With modify confirmations on, the last question names the soft limit the dialog
    showed (its Yes sends), and nothing asks a third time."""
    s, b, rec, asked = setup
    b.confirm_modifies = True
    b.commands.limits = SOFT_QTY
    overrides = []
    b.ask_override = lambda text: overrides.append(text) or True

    def fake_exec(dlg):
        dlg.quantity.setValue(200)
        return ModifyDialog.Accepted

    _answer_dialog(monkeypatch, fake_exec)
    b.select_order(rec.order_id)
    assert aloop.run_until_complete(b.modify_selected())
    (question,) = asked
    assert "⚠ Order quantity limit: Order quantity 200 exceeds" in question
    assert overrides == [] and _calls(s, "modify_order") == [(1, 200, None, None)]
