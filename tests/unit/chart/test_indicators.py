"""Indicators against plain-Python reference loops, full and incremental (live bar)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from app.viewmodels.indicators import (
    EMA, MACD, RSI, SMA, VWAP, Bollinger, Crossover, crossovers, make_indicator,
)
from tests.unit.chart.chart_fakes import make_bars


def _bars(n=300, seed=3):
    f = make_bars(n, seed=seed)
    return SimpleNamespace(times=f["time"].dt.as_unit("s").astype("int64").to_numpy(),
                           opens=f["open"].to_numpy(), highs=f["high"].to_numpy(),
                           lows=f["low"].to_numpy(), closes=f["close"].to_numpy(),
                           volumes=f["volume"].to_numpy())


def _slice(b, n):
    return SimpleNamespace(**{k: v[:n] for k, v in vars(b).items()})


def ref_sma(x, p):
    return [math.nan if i < p - 1 else sum(x[i - p + 1:i + 1]) / p for i in range(len(x))]


def ref_ema(x, p, first=0):
    """TA-Lib's EMA of x[first:]: seeded at first+p-1 with the mean of the first p values."""
    a, out = 2 / (p + 1), [math.nan] * len(x)
    for i in range(first + p - 1, len(x)):
        out[i] = sum(x[first:first + p]) / p if i == first + p - 1 else out[i - 1] + a * (x[i] - out[i - 1])
    return out


def ref_rsi(x, p):
    out = [math.nan] * len(x)
    gains = [max(x[i] - x[i - 1], 0) for i in range(1, len(x))]
    losses = [max(x[i - 1] - x[i], 0) for i in range(1, len(x))]
    g, lo = sum(gains[:p]) / p, sum(losses[:p]) / p
    for i in range(p, len(x)):
        if i > p:
            g = (g * (p - 1) + gains[i - 1]) / p
            lo = (lo * (p - 1) + losses[i - 1]) / p
        out[i] = 100 - 100 / (1 + g / lo) if lo else 100.0
    return out


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-9, atol=1e-9, equal_nan=True)


def test_sma_ema_match_reference_loops():
    b = _bars()
    x = list(b.closes)
    close(SMA(20).compute(b)["value"], ref_sma(x, 20))
    close(EMA(12).compute(b)["value"], ref_ema(x, 12))
    assert math.isnan(SMA(20).compute(b)["value"][18]) and not math.isnan(SMA(20).compute(b)["value"][19])


def test_bollinger_population_std():
    b = _bars()
    v = Bollinger(20, 2.5).compute(b)
    x = list(b.closes)
    for i in (19, 100, 299):
        w = x[i - 19:i + 1]
        m = sum(w) / 20
        sd = math.sqrt(sum((y - m) ** 2 for y in w) / 20)
        assert v["middle"][i] == pytest.approx(m)
        assert v["upper"][i] == pytest.approx(m + 2.5 * sd)
        assert v["lower"][i] == pytest.approx(m - 2.5 * sd)


def test_vwap_resets_each_utc_day():
    b = _bars(600)  # 5-minute bars over ~2 UTC days
    v = VWAP().compute(b)["value"]
    day = b.times // 86400
    pv = vol = 0.0
    for i in range(len(b.closes)):
        if i and day[i] != day[i - 1]:
            pv = vol = 0.0
        tp = (b.highs[i] + b.lows[i] + b.closes[i]) / 3
        pv += tp * b.volumes[i]
        vol += b.volumes[i]
        assert v[i] == pytest.approx(pv / vol)
    assert len(set(day)) >= 2


def test_rsi_wilder_matches_reference():
    b = _bars()
    close(RSI(14).compute(b)["value"], ref_rsi(list(b.closes), 14))
    assert np.nanmin(RSI(14).compute(b)["value"]) >= 0 and np.nanmax(RSI(14).compute(b)["value"]) <= 100


def test_macd_matches_reference():
    b = _bars()
    x = list(b.closes)
    # TA-Lib's MACD: both EMAs start at bar 25 (the fast one seeded with closes 14..25),
    # the signal is seeded with the mean of MACD 25..33; everything NaN before bar 33
    line = [f - s for f, s in zip(ref_ema(x, 12, first=14), ref_ema(x, 26))]
    sig = ref_ema(line, 9, first=25)
    m = [math.nan if i < 33 else v for i, v in enumerate(line)]
    v = MACD(12, 26, 9).compute(b)
    assert np.isnan(v["macd"][32]) and not np.isnan(v["macd"][33]) and not np.isnan(v["signal"][33])
    close(v["macd"], m)
    close(v["signal"], sig)
    close(v["histogram"], [a - s for a, s in zip(m, sig)])


@pytest.mark.parametrize("ind", [SMA(20), EMA(20), Bollinger(20, 2), VWAP(), RSI(14), MACD(), Crossover(20, 50)])
def test_incremental_update_equals_full_recompute(ind):
    b = _bars(400)
    ind.compute(_slice(b, 300))
    # the live bar changes in place, then bars are appended one and several at a time
    live = _slice(b, 300)
    live.closes = live.closes.copy()
    live.closes[-1] += 1.7
    ind.update(live)
    for k, v in type(ind)(*_params(ind)).compute(live).items():
        close(ind.values[k], v)
    for n in (301, 302, 310, 400):
        ind.update(_slice(b, n))
    for k, v in type(ind)(*_params(ind)).compute(b).items():
        close(ind.values[k], v)


def _params(ind):
    if isinstance(ind, MACD):
        return (ind.fast, ind.slow, ind.signal)
    if isinstance(ind, Crossover):
        return (ind._f.period, ind._s.period)
    if isinstance(ind, Bollinger):
        return (ind.period, ind.width)
    if isinstance(ind, VWAP):
        return (ind.anchor,)
    return (ind.period,)


def test_crossovers_reference():
    fast = np.array([1, 2, 3, 2, 1, np.nan, 3, 3, 1.0])
    slow = np.array([2, 2, 2, 2, 2, 2, 2, 2, 2.0])
    idx, d = crossovers(fast, slow)
    assert idx.tolist() == [2, 4, 8] and d.tolist() == [1, -1, -1]


def test_sma_20_50_crossover_signals_match_loop():
    b = _bars(1000, seed=7)
    c = Crossover(20, 50)
    c.compute(b)
    f, s = ref_sma(list(b.closes), 20), ref_sma(list(b.closes), 50)
    expected = []
    for i in range(1, len(f)):
        if any(math.isnan(v) for v in (f[i], s[i], f[i - 1], s[i - 1])):
            continue
        if f[i - 1] <= s[i - 1] and f[i] > s[i]:
            expected.append((i, 1))
        elif f[i - 1] >= s[i - 1] and f[i] < s[i]:
            expected.append((i, -1))
    idx, d = c.signals()
    assert list(zip(idx.tolist(), d.tolist())) == expected and expected


@pytest.mark.parametrize("name,params", [("SMA", {"period": 0}), ("RSI", {"period": 1}), ("MACD", {"fast": 30}),
                                         ("Bollinger Bands", {"width": -1}), ("VWAP", {"anchor": "week"}),
                                         ("Nope", {}), ("EMA", {"bogus": 1})])
def test_bad_parameters_are_clear_errors(name, params):
    with pytest.raises(ValueError):
        make_indicator(name, **params)


def test_parameter_specs_match_the_indicators_and_round_trip():
    """The form's fields (PARAMS) are the constructors' parameters with their defaults; an
    indicator's ``params`` build an equal one (what the chart saves per profile)."""
    import inspect

    from app.viewmodels.indicators import INDICATORS, PARAMS
    assert set(PARAMS) == set(INDICATORS)
    for name, cls in INDICATORS.items():
        sig = list(inspect.signature(cls.__init__).parameters.values())[1:]
        assert [(p.name, p.default) for p in sig] == [(q.name, q.default) for q in PARAMS[name]], name
        ind = make_indicator(name)
        assert make_indicator(name, **ind.params).params == ind.params
        for spec in PARAMS[name]:
            if spec.kind == "int":  # a period's spin box stops at the indicator's own minimum
                with pytest.raises(ValueError):
                    make_indicator(name, **{**ind.params, spec.name: int(spec.minimum) - 1})
    assert make_indicator("SMA crossover", fast=5, slow=30).params == {"fast": 5, "slow": 30}


def test_sma_and_bollinger_recover_after_a_nan_close():
    """A NaN close spoils only the windows holding it (TA-Lib's running sums would stay NaN
    for the rest of the series: the reason SMA and Bollinger are not computed with talib),
    and the live step agrees with the full compute across it."""
    b = _bars(120)
    b.closes = b.closes.copy()
    b.closes[50] = np.nan
    x = list(b.closes)
    for ind in (SMA(20), Bollinger(20, 2)):
        full = ind.compute(b)
        first = next(iter(full.values()))
        assert np.isnan(first[50:70]).all() and np.isfinite(first[70:]).all() and np.isfinite(first[19:50]).all()
        step = type(ind)(**ind.params)
        step.compute(_slice(b, 30))
        for n in range(31, 121):
            step.update(_slice(b, n))
        for k, v in full.items():
            close(step.values[k], v)
    w = x[100:120]
    m = sum(w) / 20
    assert Bollinger(20, 2).compute(b)["upper"][119] == pytest.approx(m + 2 * math.sqrt(sum((y - m) ** 2 for y in w) / 20))
