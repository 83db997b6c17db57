"""Backtests of futures, options and FX: P&L, cash and equity are price x quantity x the
contract multiplier, and the "ib" commission follows the simulated gateway's schedule of the
instrument's secType (they were priced as shares of a stock)."""

from __future__ import annotations

import pytest

from app.backtest import BacktestConfig, commission, run_backtest
from app.domain import Instrument
from tests.unit.backtest.test_orders import Script, bars

ES = Instrument("ES", "FUT", "CME", "USD", "", 600_000_001, 0.25, "ESZ6", "E-mini S&P 500",
                multiplier=50.0, expiry="20261218", trading_class="ES")


def test_an_es_round_trip_is_worth_50_usd_a_point():
    cfg = BacktestConfig.for_instrument(ES, close_at_end=False)
    assert (cfg.sec_type, cfg.multiplier, cfg.symbol, cfg.tick_size) == ("FUT", 50.0, "ES", 0.25)
    s = Script({0: lambda s: s.buy(2), 1: lambda s: s.sell(2)})
    res = run_backtest(s, bars((6000, 6001, 5999, 6000), (6000, 6012, 5998, 6010), (6008, 6009, 6007, 6008)),
                       cfg)
    (trade,) = res.trades
    assert (trade.entry_price, trade.exit_price, trade.quantity) == (6000, 6008, 2)
    assert trade.pnl == pytest.approx(8 * 2 * 50 - 2 * 4.50)     # 2.25 per contract, each way
    assert trade.return_pct == pytest.approx(100 * trade.pnl / (6000 * 2 * 50))
    # equity marks the open position at 50 USD a point: +10 points x 2 contracts at bar 1's close
    assert res.equity.iloc[1] == pytest.approx(100_000 + 10 * 2 * 50 - 4.50)
    assert res.equity.iloc[-1] == pytest.approx(100_000 + trade.pnl)
    assert res.metrics["commissions"] == pytest.approx(9.0)


def test_option_contracts_carry_100_shares():
    cfg = BacktestConfig(sec_type="OPT", multiplier=100, close_at_end=False)
    s = Script({0: lambda s: s.buy(3), 1: lambda s: s.sell(3)})
    res = run_backtest(s, bars((2.0, 2.1, 1.9, 2.0), (2.5, 2.6, 2.4, 2.5), (3.0, 3.1, 2.9, 3.0)), cfg)
    (trade,) = res.trades
    assert trade.pnl == pytest.approx(0.5 * 3 * 100 - 2 * 1.95)   # 0.65 per contract, min 1.00


@pytest.mark.parametrize("cfg,qty,price,usd", [
    (BacktestConfig(), 100, 200.0, 1.00),                              # stock minimum
    (BacktestConfig(), 1000, 200.0, 5.00),                             # 0.005 per share
    (BacktestConfig(), 100, 0.50, 0.50),                               # capped at 1 % of value
    (BacktestConfig(sec_type="CASH"), 20_000, 1.10, 2.00),             # FX minimum
    (BacktestConfig(sec_type="CASH"), 1_000_000, 1.10, 22.00),         # 0.2 bp of the value
    (BacktestConfig(sec_type="OPT", multiplier=100), 1, 2.0, 1.00),    # option minimum
    (BacktestConfig(sec_type="OPT", multiplier=100), 3, 2.0, 1.95),
    (BacktestConfig(sec_type="FUT", multiplier=50, symbol="ES"), 2, 6000.0, 4.50),
    (BacktestConfig(sec_type="FUT", multiplier=1000, symbol="CL"), 1, 70.0, None),
    (BacktestConfig(sec_type="FUT", multiplier=50, commission=1.25), 2, 6000.0, 2.50),   # a number: per contract
])
def test_the_ib_schedule_by_sec_type(cfg, qty, price, usd):
    from app.sim.futures import commission_of_root
    expected = commission_of_root("CL", qty) if usd is None else usd
    assert commission(cfg, qty, price) == pytest.approx(expected)


@pytest.mark.parametrize("kw,text", [({"sec_type": "BOND"}, "sec_type must be one of STK, CASH, FUT, OPT"),
                                     ({"multiplier": 0}, "multiplier must be a positive number"),
                                     ({"multiplier": float("nan")}, "multiplier must be a positive number"),
                                     ({"multiplier": True}, "multiplier must be a positive number")])
def test_bad_instrument_settings_are_refused(kw, text):
    with pytest.raises(ValueError, match=text):
        BacktestConfig(**kw)
