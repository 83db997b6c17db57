"""convert: option computations (tickOptionComputation) and open interest on quotes, the
option chain of reqSecDefOptParams, the generic ticks of an option's market data."""

from __future__ import annotations

import math

from ib_async import Future, Option, Stock
from ib_async.objects import OptionChain as IBOptionChain, OptionComputation
from ib_async.ticker import Ticker

from app.broker import convert
from app.broker.convert import UNSET_DOUBLE
from app.domain import Instrument, OptionGreeks

AAPL = Instrument("AAPL", con_id=265598)


def test_greeks_from_an_option_computation_with_ibs_unset_markers():
    # ib_async keeps vega / theta of -2 ("not computed") as they are: they must not be greeks
    comp = OptionComputation(0, impliedVol=0.31, delta=0.52, optPrice=2.55, pvDividend=0.1, gamma=0.021,
                             vega=-2.0, theta=-2.0, undPrice=201.3)
    g = convert.to_greeks(comp)
    assert g == OptionGreeks(implied_vol=0.31, delta=0.52, gamma=0.021, vega=None, theta=None,
                             opt_price=2.55, und_price=201.3, pv_dividend=0.1)
    assert convert.to_greeks(None) is None
    raw = OptionComputation(0, impliedVol=-1.0, delta=-2.0, optPrice=-1.0, pvDividend=-1.0, gamma=-2.0,
                            vega=0.4, theta=-0.05, undPrice=UNSET_DOUBLE)
    g = convert.to_greeks(raw)
    assert (g.implied_vol, g.delta, g.opt_price, g.pv_dividend, g.gamma, g.und_price) == (None,) * 6
    assert (g.vega, g.theta) == (0.4, -0.05)
    assert convert.to_greeks(OptionComputation(0, delta=math.nan)).delta is None


def _option_ticker(right="C"):
    t = Ticker(contract=Option("AAPL", "20261218", 200, right, "SMART", conId=9001))
    t.bid, t.ask, t.volume = 2.45, 2.55, 1234.0
    t.modelGreeks = OptionComputation(0, 0.3, 0.5 if right == "C" else -0.5, 2.5, 0.0, 0.02, 0.4, -0.05, 201.0)
    t.bidGreeks = OptionComputation(0, 0.29, 0.49, 2.45, 0.0, 0.02, 0.4, -0.05, 201.0)
    t.callOpenInterest, t.putOpenInterest = 5000.0, 7000.0
    return t


def test_option_quote_carries_the_computations_and_its_open_interest():
    q = convert.ticker_to_quote(_option_ticker("C"), "9001")
    assert (q.bid, q.ask, q.volume) == (2.45, 2.55, 1234.0)
    assert q.model_greeks.delta == 0.5 and q.model_greeks.opt_price == 2.5 and q.model_greeks.und_price == 201.0
    assert q.bid_greeks.implied_vol == 0.29 and q.ask_greeks is None and q.last_greeks is None
    assert q.greeks is q.model_greeks
    assert q.open_interest == 5000.0                       # a call: IB tick 27
    assert convert.ticker_to_quote(_option_ticker("P"), "9002").open_interest == 7000.0   # a put: tick 28


def test_quote_greeks_fall_back_to_last_then_bid_then_ask():
    t = _option_ticker()
    t.modelGreeks = None
    assert convert.ticker_to_quote(t, "k").greeks.implied_vol == 0.29      # the bid's
    t.lastGreeks = OptionComputation(0, 0.33, 0.5, 2.5, 0.0, 0.02, 0.4, -0.05, 201.0)
    assert convert.ticker_to_quote(t, "k").greeks.implied_vol == 0.33      # the last's
    t.lastGreeks = t.bidGreeks = None
    t.askGreeks = OptionComputation(0, 0.35, 0.5, 2.55, 0.0, 0.02, 0.4, -0.05, 201.0)
    assert convert.ticker_to_quote(t, "k").greeks.implied_vol == 0.35


def test_stock_and_future_quotes():
    t = Ticker(contract=Stock("AAPL", "SMART", "USD", conId=265598))
    t.bid, t.ask = 200.0, 200.02
    q = convert.ticker_to_quote(t, "265598")
    assert q.greeks is None and q.model_greeks is None and q.open_interest is None
    f = Ticker(contract=Future("ES", "20261218", "CME", conId=7001))
    f.futuresOpenInterest = 2_100_000.0
    assert convert.ticker_to_quote(f, "7001").open_interest == 2_100_000.0


def test_generic_ticks_of_market_data():
    assert convert.generic_ticks(Instrument("AAPL", "OPT", strike=200, right="C", expiry="20261218")) == "101"
    assert convert.generic_ticks(Instrument("ES", "FUT", "CME", expiry="20261218")) == "588"
    assert convert.generic_ticks(AAPL) == ""


def test_option_chain_sorted_with_a_numeric_multiplier():
    ib = IBOptionChain("SMART", 265598, "AAPL", "100", ["20270115", "20261218", "20261218"],
                       [205.0, 195.0, 200.0])
    c = convert.to_option_chain(ib, AAPL)
    assert (c.exchange, c.trading_class, c.multiplier) == ("SMART", "AAPL", 100.0)
    assert c.expirations == ("20261218", "20270115") and c.strikes == (195.0, 200.0, 205.0)
    assert c.underlying is AAPL
    assert convert.to_option_chain(IBOptionChain("CBOE", 1, "X", "", [], []), AAPL).multiplier == 1.0
