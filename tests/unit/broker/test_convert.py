"""ib_async objects -> app.domain conversion (app/broker/convert.py)."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

import pytest
from ib_async import ContractDetails, Forex, Order, OrderStatus as IBOrderStatus, Stock, Trade
from ib_async.objects import (
    AccountValue as IBAccountValue,
    BarData,
    BarDataList,
    CommissionReport,
    Execution as IBExecution,
    Fill,
    PortfolioItem,
    TradeLogEntry,
)
from ib_async.ticker import Ticker

from app.broker import convert
from app.domain import BAR_COLUMNS, Action, Instrument, OrderStatus, OrderType

T0 = datetime(2026, 1, 23, 15, 30, tzinfo=timezone.utc)
AAPL = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL", "Apple Inc")


@pytest.mark.parametrize("raw, expected", [
    ("", None), (None, None), (math.nan, None), (1.7976931348623157e308, None),
    (2147483647, None), (9223372036854775807, None), ("12.5", 12.5), (0, 0.0), (-3, -3.0), ("abc", None),
    (math.inf, None), (-math.inf, None), (2147483647.0, None), (9.223372036854776e18, None),
    (-1.7976931348623157e308, None), (187.25, 187.25), (-0.5, -0.5), (0.0, 0.0), (1e299, 1e299),
])
def test_num_maps_ib_unset_markers_to_none(raw, expected):
    assert convert.num(raw) == expected


def test_utc_handles_date_naive_and_aware():
    assert convert.utc(date(2026, 1, 2)) == datetime(2026, 1, 2, tzinfo=timezone.utc)
    assert convert.utc(datetime(2026, 1, 2, 3)).tzinfo is timezone.utc
    assert convert.utc(None) is None


def test_instrument_to_contract_stock_and_fx():
    c = convert.instrument_to_contract(AAPL)
    assert (c.secType, c.symbol, c.exchange, c.currency, c.conId, c.primaryExchange) == \
        ("STK", "AAPL", "SMART", "USD", 265598, "NASDAQ")
    fx = convert.instrument_to_contract(Instrument.parse("EUR.USD"))
    assert (fx.secType, fx.symbol, fx.currency, fx.exchange) == ("CASH", "EUR", "USD", "IDEALPRO")
    with pytest.raises(ValueError, match="Unsupported security type 'BOND'"):
        convert.instrument_to_contract(Instrument("T", "BOND"))


def test_details_to_instrument_fills_tick_names_and_conid():
    cd = ContractDetails(contract=Forex("EURUSD", conId=12087792, localSymbol="EUR.USD"),
                         minTick=0.00005, longName="European Monetary Union Euro")
    inst = convert.details_to_instrument(cd)
    assert inst.con_id == 12087792 and inst.min_tick == 0.00005
    assert inst.display_symbol == "EUR.USD" and inst.key == "12087792"
    assert inst.long_name.startswith("European")


def test_ticker_to_quote_maps_nan_and_minus_one_to_none():
    t = Ticker(contract=Stock("AAPL", "SMART", "USD"))  # as ib_async's wrapper builds it
    for k, v in dict(time=T0, bid=-1.0, ask=190.02, last=190.01, bidSize=100, askSize=math.nan,
                     volume=12345, close=188.0).items():
        setattr(t, k, v)
    q = convert.ticker_to_quote(t, "265598")
    assert q.key == "265598" and q.bid is None and q.ask == 190.02 and q.ask_size is None
    assert q.last == 190.01 and q.volume == 12345 and q.close == 188.0 and q.time == T0
    assert q.change == pytest.approx(2.01)


def _trade(order_type="LMT", lmt=150.0, aux=1.7976931348623157e308, status="Submitted",
           filled=0.0, remaining=100.0, log=None):
    order = Order(orderId=7, clientId=1, permId=555, action="BUY", totalQuantity=100,
                  orderType=order_type, lmtPrice=lmt, auxPrice=aux, tif="DAY", account="DU123")
    st = IBOrderStatus(orderId=7, status=status, filled=filled, remaining=remaining,
                       avgFillPrice=0.0, permId=555, clientId=1)
    return Trade(Stock("AAPL", "SMART", "USD", conId=265598), order, st, [],
                 log or [TradeLogEntry(T0, "PendingSubmit"), TradeLogEntry(T0, status)])


def test_trade_to_record_lmt():
    rec = convert.trade_to_record(_trade(), AAPL, "399: warning")
    assert (rec.order_id, rec.perm_id, rec.client_id) == (7, 555, 1)
    assert rec.instrument is AAPL and rec.action is Action.BUY and rec.quantity == 100
    assert rec.order_type is OrderType.LMT and rec.limit_price == 150.0 and rec.stop_price is None
    assert rec.status is OrderStatus.SUBMITTED and rec.remaining == 100 and rec.is_working
    assert rec.message == "399: warning" and rec.account == "DU123" and rec.created == T0


def test_trade_to_record_mkt_drops_prices_and_keeps_unknown_types():
    rec = convert.trade_to_record(_trade("MKT", lmt=0.0, aux=0.0))
    assert rec.limit_price is None and rec.stop_price is None
    assert rec.instrument.symbol == "AAPL" and rec.instrument.con_id == 265598
    assert convert.trade_to_record(_trade("TRAIL")).order_type == "TRAIL"


def test_validation_error_status_falls_back_to_last_real_status():
    log = [TradeLogEntry(T0, "PendingSubmit"), TradeLogEntry(T0, "Submitted"),
           TradeLogEntry(T0, "ValidationError", "Warning 399", 399)]
    rec = convert.trade_to_record(_trade(status="ValidationError", log=log))
    assert rec.status is OrderStatus.SUBMITTED and rec.is_working


def test_fill_to_execution_without_and_with_commission():
    ex = IBExecution(execId="0001.01", time=T0, acctNumber="DU123", side="BOT", shares=100,
                     price=190.0, permId=555, clientId=1, orderId=7, cumQty=100, avgPrice=190.0)
    c = Stock("AAPL", "SMART", "USD", conId=265598)
    e1 = convert.fill_to_execution(Fill(c, ex, CommissionReport(), T0), AAPL)
    assert e1.commission is None and e1.side == "BOT" and e1.shares == 100 and e1.time == T0
    e2 = convert.fill_to_execution(
        Fill(c, ex, CommissionReport("0001.01", 1.0, "USD", 1.7976931348623157e308), T0), AAPL)
    assert e2.commission == 1.0 and e2.commission_currency == "USD" and e2.realized_pnl is None


def test_portfolio_and_account_value():
    item = PortfolioItem(Stock("AAPL", "SMART", "USD", conId=265598), 100, 191.0, 19100.0, 190.0,
                         100.0, 0.0, "DU123")
    p = convert.portfolio_to_position(item, AAPL)
    assert (p.account, p.quantity, p.avg_cost, p.market_value, p.unrealized_pnl) == \
        ("DU123", 100, 190.0, 19100.0, 100.0)
    av = convert.to_account_value(IBAccountValue("DU123", "NetLiquidation", "100000.5", "USD", ""))
    assert av.tag == "NetLiquidation" and av.number == 100000.5


def test_bars_to_frame_columns_dtypes_and_utc():
    bars = BarDataList()
    bars += [BarData(date=T0, open=1, high=2, low=0.5, close=1.5, volume=10),
             BarData(date=date(2026, 1, 24), open=1.5, high=2.5, low=1, close=2, volume=-1)]
    df = convert.bars_to_frame(bars)
    assert tuple(df.columns) == BAR_COLUMNS
    assert str(df["time"].dtype) == "datetime64[ns, UTC]"
    assert df["close"].tolist() == [1.5, 2.0]
    assert df["time"].iloc[1] == datetime(2026, 1, 24, tzinfo=timezone.utc)
    assert convert.bars_to_frame(BarDataList()).empty


def test_completed_order_takes_filled_from_the_order():
    """After a restart a filled order comes back through reqCompletedOrders: ib_async's
    completedOrder gives an OrderStatus with the status only (filled 0, remaining 0) and
    the shares in Order.filledQuantity. The blotter showed "Filled" with Filled 0."""
    t = _trade(status="Filled", filled=0.0, remaining=0.0)
    t.order.orderId, t.orderStatus = 0, IBOrderStatus(orderId=0, status="Filled")
    t.order.filledQuantity = 100.0
    rec = convert.trade_to_record(t, AAPL)
    assert (rec.status, rec.filled, rec.remaining) == (OrderStatus.FILLED, 100.0, 0.0)
    t.order.filledQuantity = 1.7976931348623157e308      # unset (ib_async's UNSET_DOUBLE)
    assert convert.trade_to_record(t, AAPL).filled == 0.0
