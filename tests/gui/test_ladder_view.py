"""The ladder widget over a fake session: wheel, hotkeys, theme colours, declined confirmations."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from app.domain import Action, OrderRequest, OrderType
from app.ui import theme
from app.viewmodels.ladder import COL_BID, COL_BUYS
from tests.fakes import CONTRACTS
from tests.ladder_support import DepthFake
from tests.support import run_for, wait_until

AAPL = CONTRACTS["AAPL"]


def _book(bid=100.00):
    return ([(round(bid - i * 0.01, 2), 100.0) for i in range(10)],
            [(round(bid + (i + 1) * 0.01, 2), 200.0) for i in range(10)])


@pytest.fixture
def panel(qtbot, aloop):
    from app.commands import OrderCommands
    from app.ui.ladder import LadderPanel

    session = DepthFake()
    p = LadderPanel(session, OrderCommands(session), rows=21)
    qtbot.addWidget(p)
    p.resize(480, 700)
    p.show()
    p.set_instrument(AAPL)
    session.push_book(AAPL, *_book())
    yield p, session
    p.close_model()


def _wheel(view, steps: int) -> None:
    vp = view.viewport()
    pos = QPointF(vp.rect().center())
    ev = QWheelEvent(pos, QPointF(vp.mapToGlobal(pos.toPoint())), QPoint(), QPoint(0, 120 * steps),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)


def test_wheel_scrolls_and_space_recentres(panel, qtbot, aloop):
    p, session = panel
    mid = p.model.rowCount() // 2
    assert p.model.price_at(mid) == 100.00
    _wheel(p.table, 3)
    assert p.model.price_at(mid) == 100.03
    _wheel(p.table, -1)
    assert p.model.price_at(mid) == 100.02
    p.table.setFocus()
    p.shortcuts["ladder_recentre"].activated.emit()
    assert p.model.price_at(mid) == 100.00


def test_rows_fit_the_height_and_keep_the_centre(panel, qtbot, aloop):
    p, session = panel
    assert p.model.rowCount() == p.table.rows_that_fit()
    p.resize(480, 400)
    qtbot.waitUntil(lambda: p.model.rowCount() == p.table.rows_that_fit())
    assert p.model.rowCount() < 21
    assert p.model.price_at(p.model.rowCount() // 2) == 100.00
    last = p.table.visualRect(p.model.index(p.model.rowCount() - 1, 0))
    assert p.table.viewport().rect().contains(last)       # every row fully visible


def test_hotkey_buy_at_bid_not_armed_asks_and_decline_sends_nothing(panel, aloop):
    p, session = panel
    asked = []
    p.confirm = lambda text, req, warnings: asked.append(text) or False
    p.shortcuts["ladder_buy_bid"].activated.emit()
    wait_until(aloop, lambda: asked and not p.tasks, 3, what="the question")
    assert "BUY 100 AAPL LMT 100.00" in asked[0]
    assert not session.orders()
    assert "declined" in p.status.text()


def test_armed_hotkeys_send_at_once(panel, aloop):
    p, session = panel
    p.set_armed(True)
    p.toggles.set("LMT", False)
    p.confirm = lambda *a: pytest.fail("armed with LMT confirmations off must not ask")
    p.shortcuts["ladder_sell_bid"].activated.emit()       # sell at the bid
    wait_until(aloop, lambda: session.orders(), 3, what="the SELL")
    (rec,) = session.orders()
    assert rec.action is Action.SELL and rec.limit_price == 100.00
    assert p.armed_label.text() == "ONE-CLICK"


def test_theme_colours_on_the_cells(panel, aloop):
    p, session = panel
    run_for(aloop, 0.05)
    row = p.model.row_of(100.00)
    bg = p.model.data(p.model.index(row, COL_BID), Qt.ItemDataRole.BackgroundRole)
    assert bg == theme.qcolor("buy_tint_bg")
    session.place_order(OrderRequest(AAPL, Action.BUY, 100, OrderType.LMT, limit_price=99.98))
    fg = p.model.data(p.model.index(p.model.row_of(99.98), COL_BUYS), Qt.ItemDataRole.ForegroundRole)
    assert fg == theme.qcolor("buy")
