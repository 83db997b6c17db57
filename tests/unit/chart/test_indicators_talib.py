"""Indicators against TA-Lib (the reference implementation) on real prices, and the chart's
incremental live-bar update against a full recomputation, tick by tick (issue 17).

Data: ``../shared/data`` (README there): daily AAPL/MSFT/IBM/GOOG 2000-2013
(stocks_daily_2000_2013.csv.gz), daily GOOG 2004-2013 (GOOG.csv), hourly EUR.USD
2017-2018 (EURUSD.csv). Skipped with a reason where that folder is absent.

Tolerances: against TA-Lib rtol 1e-9 (the sums and the smoothing are done in another
order: measured up to 1.5e-11 relative for the Bollinger bands on daily AAPL, where TA-Lib's
running sum of squares of prices up to 700 loses digits, ~4e-15 for the rest); absolute
1e-12 in the instrument's price unit for values crossing zero (MACD, its histogram).
Incremental against full: rtol 1e-12 (the same formulas, one bar at a time against
TA-Lib/pandas/numpy over the whole series).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

talib = pytest.importorskip("talib")

from app.viewmodels.indicators import EMA, MACD, RSI, SMA, VWAP, Bollinger, Crossover  # noqa: E402
from tests.conftest import SHARED_DATA, require_shared  # noqa: E402

SERIES = ["AAPL", "MSFT", "IBM", "GOOG", "GOOG.csv", "EURUSD.csv"]


@functools.cache
def _frame(name: str) -> pd.DataFrame:
    if name.endswith(".csv"):
        return pd.read_csv(require_shared(SHARED_DATA / name))
    df = pd.read_csv(require_shared(SHARED_DATA / "stocks_daily_2000_2013.csv.gz"))
    return df[df["Ticker"] == name].reset_index(drop=True)


def real_bars(name: str) -> SimpleNamespace:
    """The chart's bar columns of one real series (times int64 epoch s UTC, float64 the rest)."""
    f = _frame(name)
    times = pd.to_datetime(f["Date"]).astype("datetime64[s]").astype("int64").to_numpy()
    return SimpleNamespace(times=times, **{k: f[c].to_numpy(np.float64).copy() for k, c in
                                          (("opens", "Open"), ("highs", "High"), ("lows", "Low"),
                                           ("closes", "Close"), ("volumes", "Volume"))})


def agree(ours, ref, *, rtol=1e-9, atol=1e-12):
    """Equal within tolerance, NaN exactly where the reference is NaN (TA-Lib's warm-up)."""
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg="warm-up (NaN) bars differ")
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name", SERIES)
def test_indicators_agree_with_talib_on_real_prices(name):
    b = real_bars(name)
    c = b.closes
    assert len(c) > 2000 and np.isfinite(c).all()
    for p in (5, 20, 50, 200):
        agree(SMA(p).compute(b)["value"], talib.SMA(c, timeperiod=p))
        agree(EMA(p).compute(b)["value"], talib.EMA(c, timeperiod=p))
    for p, k in ((20, 2.0), (10, 1.5)):
        up, mid, lo = talib.BBANDS(c, timeperiod=p, nbdevup=k, nbdevdn=k, matype=0)
        v = Bollinger(p, k).compute(b)
        agree(v["upper"], up)
        agree(v["middle"], mid)
        agree(v["lower"], lo)
    for p in (14, 2, 30):
        agree(RSI(p).compute(b)["value"], talib.RSI(c, timeperiod=p))
    for f, s, g in ((12, 26, 9), (5, 35, 5), (3, 10, 16)):
        m, sig, hist = talib.MACD(c, fastperiod=f, slowperiod=s, signalperiod=g)
        v = MACD(f, s, g).compute(b)
        agree(v["macd"], m)
        agree(v["signal"], sig)
        agree(v["histogram"], hist)
    cross = Crossover(20, 50).compute(b)
    agree(cross["fast"], talib.SMA(c, 20))
    agree(cross["slow"], talib.SMA(c, 50))


def test_warm_up_bars_are_talibs():
    """The first defined bar of each line is TA-Lib's (its lookback + 1)."""
    b = real_bars("AAPL")
    first = {k: int(np.flatnonzero(~np.isnan(v))[0]) for k, v in MACD().compute(b).items()}
    assert first == {"macd": 33, "signal": 33, "histogram": 33}
    assert int(np.flatnonzero(~np.isnan(RSI(14).compute(b)["value"]))[0]) == 14
    assert int(np.flatnonzero(~np.isnan(EMA(20).compute(b)["value"]))[0]) == 19
    assert EMA(20).compute(b)["value"][19] == pytest.approx(b.closes[:20].mean(), rel=1e-15)


def test_rsi_over_a_flat_window_is_50_where_talib_says_0():
    """The one chosen difference from TA-Lib: no gain and no loss is neutral, not oversold."""
    # (after any move Wilder's averages decay but never reach 0: only a series flat from its
    # start has no gain and no loss, e.g. an instrument that has not traded yet)
    c = np.concatenate((np.full(30, 110.0), np.linspace(111, 120, 25), np.linspace(120, 100, 25)))
    b = SimpleNamespace(times=np.arange(80) * 60, opens=c, highs=c, lows=c, closes=c, volumes=np.ones(80))
    ours, ref = RSI(14).compute(b)["value"], talib.RSI(c, timeperiod=14)
    flat = np.arange(14, 30)  # bars 14..29: all changes so far are zero
    assert (ref[flat] == 0).all() and (ours[flat] == 50).all()
    rest = np.setdiff1d(np.arange(80), flat)
    agree(ours[rest], ref[rest])


def _ind_params():
    return [SMA(20), EMA(20), EMA(1), Bollinger(20, 2), VWAP(), VWAP(None), RSI(14), MACD(), MACD(3, 10, 16),
            Crossover(20, 50)]


def _fresh(ind):
    return type(ind)(**ind.params)


@pytest.mark.parametrize("name,spans", [("AAPL", ((0, 130), (3000, 3060))),
                                        ("EURUSD.csv", ((0, 130), (4900, 5000)))])
@pytest.mark.parametrize("ind", _ind_params(), ids=lambda i: i.label.replace(" ", "_"))
def test_live_tail_equals_full_recompute_tick_by_tick(name, spans, ind):
    """As the chart does (``ChartIndicators.refresh(full=False)`` → ``Indicator.update``): each
    bar opens with one tick, its high, low and close move over three more ticks in place,
    then the next bar is appended; after every tick the live values equal a full compute."""
    real = real_bars(name)
    for start, stop in spans:
        live = SimpleNamespace(**{k: v.copy() for k, v in vars(real).items()})
        view = SimpleNamespace(**{k: v[:max(start, 1)] for k, v in vars(live).items()})
        ind.compute(view)
        ticks = 0
        for i in range(max(start, 1), stop):
            o, h, lo, c, vol = (getattr(real, k)[i] for k in ("opens", "highs", "lows", "closes", "volumes"))
            for hi_, low_, last, v in ((o, o, o, vol / 4), (max(o, h), o, h, vol / 2),
                                       (h, lo, lo, 3 * vol / 4), (h, lo, c, vol)):
                live.opens[i], live.highs[i], live.lows[i], live.closes[i], live.volumes[i] = o, hi_, low_, last, v
                view = SimpleNamespace(**{k: a[:i + 1] for k, a in vars(live).items()})
                got = ind.update(view)
                want = _fresh(ind).compute(view)
                for k in ind.outputs:
                    np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-12, equal_nan=True,
                                               err_msg=f"{ind.label} {k} at bar {i}")
                ticks += 1
        assert ticks == 4 * (stop - max(start, 1))
    assert np.isfinite(ind.values[ind.outputs[0]][-1])
