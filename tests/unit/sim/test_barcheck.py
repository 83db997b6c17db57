"""Impossible bars in ``--bars`` files (high < low, high below open/close, low above
open/close, zero/negative prices, negative volume) never replay silently."""

from __future__ import annotations

import logging

import pytest

from app.sim.history import load_bars_dir, read_bars_file

HEAD = "Date,Open,High,Low,Close,Volume\n"
GOOD = ["2024-01-0{d},10,11,9,10.5,1000\n".format(d=d) for d in range(2, 10)]


def test_impossible_rows_are_dropped_with_file_line_and_problem(tmp_path, caplog):
    bad = ["2024-01-10,10,9,11,10,100\n",       # line 10: high < low (and high below open)
           "2024-01-11,-5,11,9,10,100\n",       # line 11: negative price
           "2024-01-12,10,11,9,10,-3\n"]        # line 12: negative volume
    f = tmp_path / "XYZ.csv"
    f.write_text(HEAD + "".join(GOOD + bad))
    with caplog.at_level(logging.WARNING, logger="app.sim.bars"):
        df = read_bars_file(f)["XYZ"]
    assert len(df) == len(GOOD)
    assert (df["high"] >= df["low"]).all() and (df["low"] > 0).all() and (df["volume"] >= 0).all()
    text = caplog.text
    assert "XYZ.csv" in text and "skipped 3 of 11" in text
    assert "line 10: " in text and "high < low" in text
    assert "line 11: zero or negative price" in text and "line 12: negative volume" in text


def test_bar_outside_its_range_is_impossible(tmp_path, caplog):
    f = tmp_path / "ABC.csv"
    f.write_text(HEAD + "".join(GOOD) + "2024-01-10,12,11,9,10,100\n2024-01-11,10,11,10.2,10.5,100\n")
    with caplog.at_level(logging.WARNING, logger="app.sim.bars"):
        assert len(read_bars_file(f)["ABC"]) == len(GOOD)
    assert "line 10: high below open/close" in caplog.text
    assert "line 11: low above open/close" in caplog.text


def test_a_mostly_impossible_file_is_refused(tmp_path):
    f = tmp_path / "BAD.csv"
    f.write_text(HEAD + GOOD[0] + "".join(f"2024-02-0{d},10,9,11,10,1\n" for d in range(1, 4)))
    with pytest.raises(ValueError, match="BAD.csv: 3 of 4 bars are impossible"):
        load_bars_dir(tmp_path)


def test_clean_file_loads_without_warning(tmp_path, caplog):
    (tmp_path / "OK.csv").write_text(HEAD + "".join(GOOD))
    with caplog.at_level(logging.WARNING, logger="app.sim.bars"):
        assert len(load_bars_dir(tmp_path)["OK"]) == len(GOOD)
    assert caplog.text == ""
