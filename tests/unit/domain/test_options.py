"""Options in the domain: the chain's strikes around the money, greeks totals per underlying
(delta-adjusted exposure), whole contracts, and positions valued with the multiplier."""

from __future__ import annotations

import pytest

from app.domain import (Action, GreeksTotal, Instrument, OptionChain, OptionGreeks, OrderRequest, OrderType,
                        OrderValidationError, Position, PositionPnL, live_position, greeks_totals,
                        validate_order_request)
from app.domain.orders import quantity_problem

AAPL = Instrument("AAPL", con_id=265598)
CALL = Instrument("AAPL", "OPT", con_id=9001, multiplier=100.0, expiry="20261218", strike=200.0, right="C",
                  trading_class="AAPL")
PUT = Instrument("AAPL", "OPT", con_id=9002, multiplier=100.0, expiry="20261218", strike=190.0, right="P")
ES = Instrument("ES", "FUT", "CME", con_id=7001, min_tick=0.25, local_symbol="ESZ6", multiplier=50.0,
                expiry="20261218")
EUR = Instrument("EUR", "CASH", "IDEALPRO", con_id=12087792, min_tick=0.00005, local_symbol="EUR.USD")


def test_chain_at_the_money_strike_and_strikes_around_it():
    chain = OptionChain(AAPL, "SMART", "AAPL", 100.0, ("20261218",), (180.0, 185.0, 190.0, 195.0, 200.0))
    assert chain.atm_strike(192.4) == 190.0 and chain.atm_strike(192.6) == 195.0
    assert chain.atm_strike(192.5) == 190.0                       # a tie: the lower strike
    assert chain.atm_strike(None) is None and chain.atm_strike(float("nan")) is None
    assert chain.strikes_around(191.0, 3) == (185.0, 190.0, 195.0)
    assert chain.strikes_around(179.0, 3) == (180.0, 185.0, 190.0)   # at the end of the list
    assert chain.strikes_around(250.0, 2) == (195.0, 200.0)
    assert chain.strikes_around(None, 3) == chain.strikes and chain.strikes_around(190.0, 0) == chain.strikes
    assert OptionChain(AAPL, "SMART", "AAPL", 100.0, (), ()).atm_strike(190.0) is None


def test_greeks_totals_sum_delta_times_multiplier_times_position_per_underlying():
    greeks = {9001: OptionGreeks(implied_vol=0.3, delta=0.5, gamma=0.02, vega=0.4, theta=-0.05,
                                 opt_price=2.5, und_price=201.0),
              9002: OptionGreeks(delta=-0.25, gamma=0.01, vega=0.3, theta=-0.04, und_price=201.0)}
    msft_call = Instrument("MSFT", "OPT", con_id=9100, multiplier=100.0, expiry="20261218", strike=400.0, right="C")
    positions = [Position("DU1", CALL, 2, 250.0), Position("DU1", PUT, -3, 180.0),
                 Position("DU1", AAPL, 100, 190.0), Position("DU1", msft_call, 1, 500.0),
                 Position("DU1", EUR, 20_000, 1.08), Position("DU1", ES, 1, 300_000.0)]
    out = greeks_totals(positions, lambda inst: greeks.get(inst.con_id))
    assert list(out) == ["AAPL", "MSFT"]                 # FX and futures are left out
    a = out["AAPL"]
    # 0.5 x 100 x 2 + (-0.25) x 100 x (-3) + 100 shares = 100 + 75 + 100
    assert a.delta_shares == pytest.approx(275.0)
    assert a.delta_value == pytest.approx(275.0 * 201.0)   # at the options' underlying price
    assert a.gamma == pytest.approx(0.02 * 200 + 0.01 * -300)
    assert a.vega == pytest.approx(0.4 * 200 + 0.3 * -300)
    assert a.theta == pytest.approx(-0.05 * 200 + -0.04 * -300)
    assert (a.positions, a.missing, a.currency) == (3, 0, "USD")
    m = out["MSFT"]                                       # no greeks yet: counted as missing
    assert m == GreeksTotal("MSFT", "USD", 0.0, None, 0.0, 0.0, 0.0, 1, 1)
    # the underlying's own price wins over the options' und_price
    priced = greeks_totals(positions, lambda inst: greeks.get(inst.con_id), {"AAPL": 200.0}.get)
    assert priced["AAPL"].delta_value == pytest.approx(275.0 * 200.0)


def test_greeks_totals_skip_flat_positions_and_missing_greek_values():
    g = OptionGreeks(delta=0.5)                            # IB sent a delta only
    out = greeks_totals([Position("DU1", CALL, 1, 250.0), Position("DU1", PUT, 0, 0.0)], lambda inst: g)
    assert out["AAPL"].delta_shares == 50.0 and out["AAPL"].gamma == 0.0 and out["AAPL"].positions == 1
    assert out["AAPL"].delta_value is None
    assert greeks_totals([Position("DU1", CALL, 1, 250.0)], lambda inst: OptionGreeks())["AAPL"].missing == 1


@pytest.mark.parametrize("inst, qty, problem", [
    (CALL, 1.5, "Option quantity must be whole contracts, got 1.5"),
    (ES, 0.5, "Future quantity must be whole contracts, got 0.5"),
    (CALL, 2.0, None),
    (ES, 3, None),
    (EUR, 20_000.5, None),                                   # FX: base units, fractions allowed
])
def test_option_and_future_quantities_are_whole_contracts(inst, qty, problem):
    assert quantity_problem(qty, inst) == problem


def test_a_fractional_option_order_is_refused():
    req = OrderRequest(CALL, Action.BUY, 0.5, OrderType.LMT, limit_price=2.5)
    with pytest.raises(OrderValidationError, match="whole contracts"):
        validate_order_request(req)


def test_option_order_describes_itself_with_the_contract():
    req = OrderRequest(CALL, Action.BUY, 1, OrderType.LMT, limit_price=2.5)
    assert req.describe() == "BUY 1 AAPL 20261218 200 C LMT 2.50 DAY"


def test_position_avg_price_is_per_share():
    assert Position("DU1", CALL, 1, 250.35).avg_price == pytest.approx(2.5035)
    assert Position("DU1", AAPL, 100, 187.5).avg_price == 187.5


def test_option_position_valued_with_the_multiplier_without_ib_pnl():
    # IB: 2 calls bought at 2.50 -> avgCost 250 per contract; the quote's mark is 3.10
    pos = Position("DU1", CALL, 2, 250.0, 2.6, 520.0, 40.0, 0.0)
    p = live_position(pos, None, 3.10)
    assert p.market_price == 3.10
    assert p.market_value == pytest.approx(620.0)           # 2 x 3.10 x 100
    assert p.unrealized_pnl == pytest.approx(120.0)         # 2 x (310 - 250)
    assert p.daily_pnl is None


def test_option_position_moves_ib_pnl_by_quantity_times_multiplier():
    pos = Position("DU1", CALL, 2, 250.0, 2.6, 520.0, 40.0, 0.0)
    # IB reqPnLSingle: value includes the multiplier (2 x 2.60 x 100 = 520), so IB's mark is 2.60
    pnl = PositionPnL("DU1", 9001, 2.0, daily=30.0, unrealized=40.0, realized=0.0, value=520.0)
    p = live_position(pos, pnl, 2.70)
    assert p.unrealized_pnl == pytest.approx(60.0)          # 40 + 2 x 100 x 0.10
    assert p.daily_pnl == pytest.approx(50.0)
    assert p.market_value == pytest.approx(540.0)
    # no live mark: IB's own mark per share, 2.60 (not 260)
    q = live_position(pos, pnl, None)
    assert q.market_price == pytest.approx(2.60) and q.unrealized_pnl == pytest.approx(40.0)


def test_future_position_valued_with_its_multiplier():
    pos = Position("DU1", ES, -1, 300_000.0, 6000.0, -300_000.0, 0.0, 0.0)   # short 1 ES at 6000
    p = live_position(pos, None, 5990.0)
    assert p.market_value == pytest.approx(-299_500.0)
    assert p.unrealized_pnl == pytest.approx(500.0)


def test_pair_by_strike_gives_the_chain_rows():
    from dataclasses import replace
    from app.domain import pair_by_strike
    call_205 = replace(CALL, strike=205.0, con_id=9003)
    put_200 = replace(PUT, strike=200.0, con_id=9004)
    rows = pair_by_strike([call_205, PUT, AAPL, put_200, CALL])
    assert rows == [(190.0, None, PUT), (200.0, CALL, put_200), (205.0, call_205, None)]
    assert pair_by_strike([]) == []
