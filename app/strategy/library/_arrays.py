"""Bar table -> the column object ``app.viewmodels.indicators`` reads (shared indicators, one
definition for the chart and the strategies)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.viewmodels.indicators import Series


def series_of(bars: pd.DataFrame) -> Series:
    """``bars`` (columns time, open, high, low, close, volume) as an indicator ``Series``
    (float64 prices in instrument currency, volumes in shares, times int64 epoch seconds)."""
    t = pd.to_datetime(bars["time"], utc=True)
    times = (t.dt.as_unit("ns").astype("int64") // 10**9).to_numpy() if len(t) else np.zeros(0, dtype=np.int64)
    col = lambda c: bars[c].to_numpy(dtype=np.float64)  # noqa: E731
    return Series(times, col("open"), col("high"), col("low"), col("close"), col("volume"))
