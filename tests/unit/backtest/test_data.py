"""load_csv: the shared OHLCV format, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from app.backtest import load_csv


def test_goog(shared_data):
    df = load_csv(shared_data / "GOOG.csv")
    assert list(df.columns) == ["time", "open", "high", "low", "close", "volume"]
    assert len(df) == 2148 and str(df["time"].dt.tz) == "UTC"
    assert df["time"].iloc[0] == pd.Timestamp("2004-08-19", tz="UTC") and df["close"].iloc[0] == 100.34


def test_intraday_and_order(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("time,close,open,low,high\n2020-01-01 10:05,2,1,1,2\n2020-01-01 10:00:00,1,1,1,1\n")
    df = load_csv(p)
    assert df["time"].tolist() == [pd.Timestamp("2020-01-01 10:00", tz="UTC"), pd.Timestamp("2020-01-01 10:05", tz="UTC")]
    assert df["volume"].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("text,message", [
    ("Date,Open,High\n2020-01-01,1,2\n", "missing column(s) Low, Close"),
    ("Date,Open,High,Low,Close,Volume\n", "no data rows"),
    ("Date,Open,High,Low,Close,Volume\n2020-01-01,1,1,1,1,1\nyesterday,1,1,1,1,1\n2020-01-03,1,x,1,1,1\n",
     "line(s) 3, 4"),
    ("Date,Open,High,Low,Close,Volume\n2020-01-01,1,1,1,1,1\n2020-01-01,1,1,1,1,1\n", "increase strictly"),
    ("Date,Open,High,Low,Close,Volume\n2020-01-01,1,0.5,1,1,1\n", "bad prices"),
])
def test_errors(tmp_path, text, message):
    p = tmp_path / "b.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match="b.csv") as e:
        load_csv(p)
    assert message in str(e.value)
