"""Shipped strategies (parameters, causal indicators, stop-loss / take-profit) and loading a
user's strategies from a file or a folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.backtest import BacktestConfig, run_backtest
from app.domain import OrderType
from app.strategy.library import STRATEGIES, RsiReversion, SmaCross, StrategyLoadError, load_strategy_file


def walk(n=400, seed=3):
    rng = np.random.default_rng(seed)
    c = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    o = np.concatenate(([100.0], c[:-1]))
    t = pd.date_range("2020-01-01", periods=n, freq="D", tz="UTC")
    return pd.DataFrame({"time": t, "open": o, "high": np.maximum(o, c) * 1.01, "low": np.minimum(o, c) * 0.99,
                         "close": c, "volume": 1e5})


def test_registry_and_params():
    assert set(STRATEGIES) >= {"sma_cross", "rsi_reversion"}
    s = SmaCross()
    assert s.p == {"fast": 10, "slow": 20, "quantity": 100, "long_only": False, "stop_loss_pct": 0.0,
                   "take_profit_pct": 0.0}
    assert SmaCross(fast="5", slow="8", long_only="true").p["long_only"] is True
    with pytest.raises(ValueError, match="fast .* shorter than slow"):
        SmaCross(fast=20, slow=20)
    with pytest.raises(ValueError, match="entry .* below exit"):
        RsiReversion(entry=60, exit=50)


@pytest.mark.parametrize("cls", [SmaCross, RsiReversion])
def test_compute_is_causal(cls):
    """Computed once over the whole history, a column at row i equals the column computed from
    rows 0..i only: no look-ahead in the backtest."""
    df = walk(200)
    s = cls()
    full = s.compute(df)
    for i in (0, 15, 30, 120, 199):
        part = s.compute(df.iloc[: i + 1])
        for k in full:
            np.testing.assert_allclose(part[k][i], full[k][i], equal_nan=True)


def test_live_path_recomputes_and_matches_the_backtest_path():
    """Without attach_history (the live runner), value() recomputes per bar and gives the same
    orders as the backtest."""
    df = walk(150)
    res = run_backtest(SmaCross(fast=5, slow=12), df, BacktestConfig(commission=0))
    from app.backtest.engine import BacktestBroker
    from app.domain.bars import Bar
    s = SmaCross(fast=5, slow=12)
    broker = BacktestBroker(s, list(df["time"].dt.to_pydatetime()), BacktestConfig(commission=0))
    s.bind(broker)
    s.on_start()
    for i, r in enumerate(df.itertuples()):
        broker.match(i, r.open, r.high, r.low)
        s.feed_bar(Bar(r.time.to_pydatetime(), r.open, r.high, r.low, r.close, r.volume))
    assert [(f.time, f.price) for f in broker.fills] == [(f.time, f.price) for f in res.fills[:len(broker.fills)]]
    assert len(broker.fills) >= len(res.fills) - 1


def frame(opens, closes):
    """Daily bars from 2021-01-01 UTC with high/low half a dollar outside open and close."""
    t = pd.date_range("2021-01-01", periods=len(closes), freq="D", tz="UTC")
    return pd.DataFrame({"time": t, "open": opens, "close": closes,
                         "high": np.maximum(opens, closes) + 0.5, "low": np.minimum(opens, closes) - 0.5,
                         "volume": 1.0})


def test_stop_loss_closes_a_long_at_the_stop():
    # golden cross at bar 5's close, entry at bar 6's open (100), then a fall through 95
    df = frame([100, 100, 99, 98, 97, 96, 100, 101, 99, 93, 92], [100, 99, 98, 97, 96, 104, 101, 100, 93, 92, 91])
    t = df["time"]
    res = run_backtest(SmaCross(fast=2, slow=4, long_only=True, stop_loss_pct=5), df, BacktestConfig(commission=0))
    assert res.trades[0].side == "long" and res.trades[0].entry_price == 100.0
    assert res.trades[0].exit_price == 95.0              # the STP at 100 * (1 - 5 %)
    assert res.trades[0].exit_time == t[8]


def test_take_profit_exits_at_the_limit():
    df = frame([100, 100, 99, 98, 97, 96, 100, 101, 108, 107, 109], [100, 99, 98, 97, 96, 104, 101, 108, 107, 109, 110])
    t = df["time"]
    res = run_backtest(SmaCross(fast=2, slow=4, long_only=True, take_profit_pct=5, stop_loss_pct=5), df,
                       BacktestConfig(commission=0))
    assert (res.trades[0].entry_price, res.trades[0].exit_price) == (100.0, 105.0)
    assert res.trades[0].exit_time == t[7]
    # the stop of the one-cancels-other pair was cancelled, nothing else filled
    assert len(res.fills) == 2


def test_rsi_reversion_buys_oversold_and_sells_above_exit():
    df = walk(500, seed=11)
    res = run_backtest(RsiReversion(), df, BacktestConfig(commission=0))
    from app.viewmodels.indicators import RSI
    from app.strategy.library._arrays import series_of
    rsi = RSI(14).compute(series_of(df))["value"]
    assert res.trades
    for t in res.trades:
        i = df.index[df["time"] == pd.Timestamp(t.entry_time)][0]
        assert rsi[i - 1] < 30 and t.side == "long"


GOOD = '''
from app.strategy import Strategy, Param

class Hold(Strategy):
    name = "hold"
    params = (Param("quantity", int, 10, minimum=1),)
    def on_start(self):
        self.buy(self.p["quantity"])

class _Helper:
    pass
'''


def test_load_a_file_and_a_folder(tmp_path):
    f = tmp_path / "hold.py"
    f.write_text(GOOD)
    (cls,) = load_strategy_file(f)
    assert cls.name == "hold"
    res = run_backtest(cls(quantity=3), walk(20), BacktestConfig(commission=0))
    assert res.trades[0].quantity == 3
    (tmp_path / "two.py").write_text(GOOD.replace('"hold"', '"hold2"').replace("class Hold", "class Hold2"))
    (tmp_path / "_private.py").write_text("raise RuntimeError('not loaded')")
    assert [c.name for c in load_strategy_file(tmp_path)] == ["hold", "hold2"]


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(StrategyLoadError, match="no such file"):
        load_strategy_file(tmp_path / "missing.py")
    bad = tmp_path / "bad.py"
    bad.write_text("class X(:\n  pass\n")
    with pytest.raises(StrategyLoadError, match=r"bad.py: syntax error at line 1"):
        load_strategy_file(bad)
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(StrategyLoadError, match="defines no Strategy subclass"):
        load_strategy_file(empty)
    boom = tmp_path / "boom.py"
    boom.write_text("import no_such_module_here\n")
    with pytest.raises(StrategyLoadError, match="ModuleNotFoundError"):
        load_strategy_file(boom)
    txt = tmp_path / "s.txt"
    txt.write_text("")
    with pytest.raises(StrategyLoadError, match=r"\.py file"):
        load_strategy_file(txt)
    d = tmp_path / "d"
    d.mkdir()
    with pytest.raises(StrategyLoadError, match="no .py files"):
        load_strategy_file(d)


@pytest.mark.parametrize("unit", ["s", "us", "ns"])
def test_series_of_gives_epoch_seconds_whatever_the_time_resolution(unit):
    from app.strategy.library._arrays import series_of
    t = pd.DatetimeIndex(["2024-01-02 14:30", "2024-01-02 14:31"], tz="UTC").as_unit(unit)
    df = pd.DataFrame({"time": t, "open": 1.0, "high": 1.0, "low": 1.0, "close": [1.0, 2.0], "volume": 5.0})
    s = series_of(df)
    assert s.times.tolist() == [1704205800, 1704205860] and s.closes.tolist() == [1.0, 2.0]
