"""After the trader's Disconnect (Connection → Disconnect, not only a dropped link) the
watchlist's quotes and the positions' marks turn to the stale style (issue 14 item 6),
with the real Session against the simulated gateway."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.viewmodels.staleness import STALE_ROLE, STALE_TEXT
from tests.integration.sim_support import gateway_fixture, sim_session
from tests.support import wait_until

gateway = gateway_fixture(seed=5)


def test_quotes_and_position_marks_grey_after_disconnect(qtbot, aloop, gateway):
    from app.domain import Action, OrderRequest, OrderType, OrderStatus
    from app.ui.watchlist import WatchlistView
    from app.viewmodels.account import PositionsModel
    from app.viewmodels.watchlist import WatchlistModel

    session = sim_session(gateway)
    aloop.run_until_complete(session.connect())
    watch = WatchlistModel(session)
    view = WatchlistView(watch)
    qtbot.addWidget(view)
    positions = PositionsModel(session)
    watch.set_symbols(["AAPL"])
    aloop.run_until_complete(watch.start())
    wait_until(aloop, watch.is_ready, 10, what="AAPL quotes")
    aapl = watch.instruments()[0]
    rec = session.place_order(OrderRequest(aapl, Action.BUY, 100, OrderType.MKT))
    wait_until(aloop, lambda: session.order(rec.order_id).status is OrderStatus.FILLED, 10, what="filled")
    wait_until(aloop, lambda: len(positions) == 1, 5, what="position row")
    last = watch.index(0, watch.column_index("last"))
    mark = positions.index(0, positions.column_index("market_price"))
    assert not last.data(STALE_ROLE) and not mark.data(STALE_ROLE)
    session.disconnect()                     # what Connection → Disconnect calls
    wait_until(aloop, lambda: last.data(STALE_ROLE), 2, what="watchlist quote greyed")
    assert last.data(Qt.ItemDataRole.ForegroundRole).name() == STALE_TEXT
    assert mark.data(STALE_ROLE) and mark.data(Qt.ItemDataRole.ForegroundRole).name() == STALE_TEXT
    watch.close()
    positions.close()
    session.disconnect()
