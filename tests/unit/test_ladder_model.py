"""The depth ladder's view-model without a widget: rows around the inside market, tick
rounding (stocks and FX), own orders, re-centring, coalesced dataChanged, intents."""

from __future__ import annotations

import pytest

from app.commands.intents import CancelOrder, ModifyOrder, PlaceOrder
from app.domain import Action, OrderRequest, OrderType
from app.viewmodels.ladder import (
    COL_ASK, COL_BID, COL_BUYS, COL_LAST, COL_PRICE, COL_SELLS, LadderModel, RawRole,
    cumulate, tick_index, tick_price,
)
from tests.fakes import CONTRACTS
from tests.ladder_support import DepthFake
from tests.support import run_for

AAPL = CONTRACTS["AAPL"]
EUR = CONTRACTS["EUR.USD"]


def _book(mid_bid=100.00, tick=0.01, n=10):
    bids = [(round(mid_bid - i * tick, 5), 100.0 * (i + 1)) for i in range(n)]
    asks = [(round(mid_bid + (i + 1) * tick, 5), 200.0 * (i + 1)) for i in range(n)]
    return bids, asks


@pytest.fixture
def session(qapp):
    return DepthFake()


@pytest.fixture
def model(session):
    m = LadderModel(session, rows=21, interval_ms=0)
    yield m
    m.close()


def test_tick_index_and_price_are_exact_for_fx_ticks():
    assert tick_index(1.08455, 0.00005) == 21691
    assert tick_price(21691, 0.00005) == 1.08455
    assert tick_index(1.084549999, 0.00005) == 21691
    assert tick_price(tick_index(187.505, 0.01), 0.01) in (187.5, 187.51)
    assert tick_price(10001, 0.01) == 100.01


def test_rows_around_the_inside_market(session, model):
    model.set_instrument(AAPL)
    assert session.depth_refs[AAPL.key] == 1 and AAPL.key in session.subscribed
    bids, asks = _book(100.00)
    session.push_book(AAPL, bids, asks)
    assert model.rowCount() == 21
    # mid of 100.00 / 100.01 floors to 100.00: the middle row
    assert model.price_at(10) == 100.00
    assert model.price_at(0) == 100.10 and model.price_at(20) == 99.90
    assert model.data(model.index(10, COL_PRICE)) == "100.00"
    assert model.data(model.index(10, COL_BID), RawRole) == 100.0
    assert model.data(model.index(9, COL_ASK), RawRole) == 200.0
    assert model.data(model.index(9, COL_BID)) is None
    assert model.data(model.index(10, COL_ASK)) is None
    assert model.best_bid() == 100.00 and model.best_ask() == 100.01


def test_fx_ladder_steps_by_half_pips(session, model):
    model.set_instrument(EUR)
    bids, asks = _book(1.08455, 0.00005)
    session.push_book(EUR, bids, asks)
    row = model.row_of(1.08455)
    assert row is not None
    assert model.data(model.index(row, COL_PRICE)) == "1.08455"
    assert model.data(model.index(row - 1, COL_PRICE)) == "1.08460"
    assert model.data(model.index(row - 1, COL_ASK), RawRole) == 200.0
    assert model.data(model.index(row + 1, COL_BID), RawRole) == 200.0
    # a float-noisy price from the wire lands on the same row
    assert model.row_of(1.0845500000001) == row


def test_own_working_orders_are_shown_and_cleared(session, model, aloop):
    model.set_instrument(AAPL)
    session.push_book(AAPL, *_book(100.00))
    rec = session.place_order(OrderRequest(AAPL, Action.BUY, 300, OrderType.LMT, limit_price=99.95))
    row = model.row_of(99.95)
    assert model.data(model.index(row, COL_BUYS)) == "B 300"
    assert model.data(model.index(row, COL_SELLS)) is None
    sell = session.place_order(OrderRequest(AAPL, Action.SELL, 100, OrderType.LMT, limit_price=100.05))
    assert model.data(model.index(model.row_of(100.05), COL_SELLS)) == "S 100"
    assert [o.order_id for o in model.orders_at(row, COL_BUYS)] == [rec.order_id]
    session.cancel_order(rec.order_id)
    session.confirm_cancel(rec.order_id)
    run_for(aloop, 0.01)
    assert model.data(model.index(row, COL_BUYS)) is None
    assert model.orders_at(model.row_of(100.05), COL_SELLS)[0].order_id == sell.order_id


def test_recentre_on_demand_and_when_the_market_leaves(session, model):
    model.set_instrument(AAPL)
    session.push_book(AAPL, *_book(100.00))
    model.scroll(5)
    assert model.price_at(10) == 100.05
    assert model.recentre()
    assert model.price_at(10) == 100.00
    moved = []
    model.recentred.connect(lambda: moved.append(True))
    session.push_book(AAPL, *_book(100.05))      # still inside the 21 rows: no move
    assert not moved and model.price_at(10) == 100.00
    session.push_book(AAPL, *_book(100.50))      # left the rows: re-centred
    assert moved and model.price_at(10) == 100.50


def test_last_trade_row_is_highlighted(session, model):
    model.colours = {"last_bg": "LAST", "bid_bg": "BID", "ask_bg": "ASK"}
    model.set_instrument(AAPL)
    session.push_book(AAPL, *_book(100.00))
    session.push_quote("AAPL", last=100.01, last_size=300)
    row = model.row_of(100.01)
    from PySide6.QtCore import Qt
    assert model.data(model.index(row, COL_PRICE), Qt.ItemDataRole.BackgroundRole) == "LAST"
    assert model.data(model.index(row, COL_LAST)) == "300"
    assert model.data(model.index(row + 1, COL_BID), Qt.ItemDataRole.BackgroundRole) == "BID"
    session.push_quote("AAPL", last=100.00, last_size=100)
    assert model.data(model.index(row, COL_LAST)) is None
    assert model.data(model.index(row + 1, COL_LAST)) == "100"


def test_updates_are_coalesced_into_small_ranges(session, aloop):
    model = LadderModel(session, rows=21, interval_ms=50)
    try:
        model.set_instrument(AAPL)
        session.push_book(AAPL, *_book(100.00))
        run_for(aloop, 0.1)
        changes, resets = [], []
        model.dataChanged.connect(lambda tl, br, *_: changes.append(
            (tl.row(), tl.column(), br.row(), br.column())))
        model.modelReset.connect(lambda: resets.append(1))
        bids, asks = _book(100.00)
        for size in range(1, 101):              # 100 updates of the best bid's size
            bids[0] = (100.00, float(size))
            session.push_book(AAPL, bids, asks)
        run_for(aloop, 0.15)
        assert not resets
        assert changes == [(10, COL_BID, 10, COL_BID)]
        assert model.data(model.index(10, COL_BID), RawRole) == 100.0
    finally:
        model.close()


def test_click_and_drag_intents(session, model, aloop):
    model.set_instrument(AAPL)
    session.push_book(AAPL, *_book(100.00))
    row = model.row_of(99.97)
    cmd = model.click_intent(row, COL_BID, 200)
    assert isinstance(cmd, PlaceOrder)
    assert (cmd.request.action, cmd.request.quantity, cmd.request.order_type,
            cmd.request.limit_price) == (Action.BUY, 200, OrderType.LMT, 99.97)
    sell = model.click_intent(model.row_of(100.03), COL_ASK, 100)
    assert sell.request.action is Action.SELL and sell.request.limit_price == 100.03
    assert model.click_intent(row, COL_PRICE, 100) is None
    assert model.click_intent(row, COL_BUYS, 100) is None          # no own order there
    rec = session.place_order(cmd.request)
    assert model.click_intent(row, COL_BUYS, 100) == CancelOrder(rec.order_id)
    assert model.move_intent(row, COL_BUYS, row + 2) == ModifyOrder(rec.order_id, limit_price=99.95)
    assert model.move_intent(row, COL_BUYS, row) is None


def test_instrument_switch_unsubscribes(session, model):
    model.set_instrument(AAPL)
    model.set_instrument(EUR)
    assert session.depth_refs[AAPL.key] == 0 and AAPL.key not in session.subscribed
    model.set_instrument(None)
    assert model.rowCount() == 0 and session.depth_refs[EUR.key] == 0


def test_row_count_change_keeps_the_centre(session, model):
    model.set_instrument(AAPL)
    session.push_book(AAPL, *_book(100.00))
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.set_row_count(11)
    assert model.rowCount() == 11 and model.price_at(5) == 100.00 and resets == [1]
    model.set_row_count(11)
    assert resets == [1]
    model.set_row_count(1)
    assert model.rowCount() == 3


def test_stale_book_is_greyed_until_the_next_book_after_the_link_is_back(session, model):
    from PySide6.QtCore import Qt
    model.colours = {"stale": "GREY"}
    model.set_instrument(AAPL)
    session.push_book(AAPL, *_book(100.00))
    row = model.row_of(100.00)
    fg = lambda: model.data(model.index(row, COL_BID), Qt.ItemDataRole.ForegroundRole)  # noqa: E731
    assert not model.stale and fg() is None
    session.staleEvent.emit(True, "link lost")
    assert model.stale and fg() == "GREY"
    session.push_book(AAPL, *_book(100.00))        # a book while stale: still grey
    assert model.stale
    session.staleEvent.emit(False, "")
    assert model.stale                              # until a fresh book arrives
    session.push_book(AAPL, *_book(100.01))
    assert not model.stale and fg() is None


def test_cumulate_sums_from_the_inside_outward():
    assert cumulate({100: 5, 99: 3, 97: 2}, downward=True) == {100: 5, 99: 8, 97: 10}
    assert cumulate({101: 1, 102: 4, 105: 2}, downward=False) == {101: 1, 102: 5, 105: 7}
    assert cumulate({}, downward=True) == {}


def _sizes(model, col, prices):
    return [model.data(model.index(model.row_of(p), col), RawRole) for p in prices]


def test_cumulative_depth_sums_bids_down_and_asks_up(session, model):
    from PySide6.QtCore import Qt
    model.set_instrument(AAPL)
    bids = [(100.00, 100.0), (99.99, 200.0), (99.97, 300.0)]      # a gap at 99.98
    asks = [(100.01, 50.0), (100.02, 150.0), (100.04, 25.0)]       # a gap at 100.03
    session.push_book(AAPL, bids, asks)
    seen = []
    model.cumulativeChanged.connect(seen.append)
    assert not model.cumulative
    assert _sizes(model, COL_BID, (100.00, 99.99, 99.98, 99.97)) == [100.0, 200.0, None, 300.0]
    model.set_cumulative(True)
    assert model.cumulative and seen == [True]
    assert _sizes(model, COL_BID, (100.00, 99.99, 99.98, 99.97, 99.96)) == [100.0, 300.0, None, 600.0, None]
    assert _sizes(model, COL_ASK, (100.01, 100.02, 100.03, 100.04, 100.05)) == [50.0, 200.0, None, 225.0, None]
    assert model.data(model.index(model.row_of(99.97), COL_BID)) == "600"
    assert model.headerData(COL_BID, Qt.Orientation.Horizontal) == "Σ Bid"
    assert model.headerData(COL_ASK, Qt.Orientation.Horizontal) == "Σ Ask"
    tip = model.data(model.index(model.row_of(99.99), COL_BID), Qt.ItemDataRole.ToolTipRole)
    assert tip == "200 at 99.99; 300 from the best bid to here"
    # the best bid's size changes: every deeper cumulative size follows
    session.push_book(AAPL, [(100.00, 1000.0)] + bids[1:], asks)
    assert _sizes(model, COL_BID, (100.00, 99.99, 99.97)) == [1000.0, 1200.0, 1500.0]
    model.set_cumulative(True)                   # no change: no signal
    assert seen == [True]
    model.set_cumulative(False)
    assert seen == [True, False] and not model.cumulative
    assert _sizes(model, COL_BID, (100.00, 99.99, 99.97)) == [1000.0, 200.0, 300.0]
    assert model.headerData(COL_BID, Qt.Orientation.Horizontal) == "Bid"
    assert model.data(model.index(model.row_of(99.99), COL_BID), Qt.ItemDataRole.ToolTipRole) is None


def test_cumulative_mode_survives_an_instrument_switch(session, model):
    model.set_cumulative(True)
    model.set_instrument(EUR)
    session.push_book(EUR, *_book(1.08455, 0.00005, n=3))
    assert model.cumulative
    assert _sizes(model, COL_BID, (1.08455, 1.08450, 1.08445)) == [100.0, 300.0, 600.0]


def test_cumulative_toggle_and_updates_mark_only_the_size_columns(session, aloop):
    model = LadderModel(session, rows=21, interval_ms=50)
    try:
        model.set_instrument(AAPL)
        session.push_book(AAPL, *_book(100.00, n=3))
        run_for(aloop, 0.1)
        changes, resets, headers = [], [], []
        model.dataChanged.connect(lambda tl, br, *_: changes.append(
            (tl.row(), tl.column(), br.row(), br.column())))
        model.modelReset.connect(lambda: resets.append(1))
        model.headerDataChanged.connect(lambda o, first, last: headers.append((first, last)))
        model.set_cumulative(True)
        run_for(aloop, 0.15)
        # the bids below the best (rows 11, 12) and the asks above it (rows 8, 7) change
        assert not resets and headers == [(COL_BID, COL_ASK)]
        assert {c[1] for c in changes} <= {COL_BID, COL_ASK} and changes
        marked = {(r, c[1]) for c in changes for r in range(c[0], c[2] + 1) if c[1] == c[3]}
        assert {(11, COL_BID), (12, COL_BID), (8, COL_ASK), (7, COL_ASK)} <= marked
        assert (10, COL_BID) not in marked and (9, COL_ASK) not in marked   # the inside is the same
        changes.clear()
        bids, asks = _book(100.00, n=3)
        for size in range(1, 51):              # 50 updates of the deepest bid only
            bids[2] = (99.98, float(size))
            session.push_book(AAPL, bids, asks)
        run_for(aloop, 0.15)
        assert changes == [(12, COL_BID, 12, COL_BID)]
        assert model.data(model.index(12, COL_BID), RawRole) == 100.0 + 200.0 + 50.0
    finally:
        model.close()
