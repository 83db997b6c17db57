"""Typing a future: IB local symbols ("ESZ6") and the front-month shortcut ("/ES")."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import Instrument
from app.domain.futures import FUTURE_ROOTS, front_month, is_front_month, parse_future


@pytest.mark.parametrize("text, root, exchange, local", [
    ("ESZ6", "ES", "CME", "ESZ6"), ("esz6", "ES", "CME", "ESZ6"), ("NQH7", "NQ", "CME", "NQH7"),
    ("CLF7", "CL", "NYMEX", "CLF7"), ("GCG7", "GC", "COMEX", "GCG7"), ("YMZ6", "YM", "CBOT", "YMZ6"),
    ("RTYZ6", "RTY", "CME", "RTYZ6"), ("ZNH7", "ZN", "CBOT", "ZNH7"), ("SIK7", "SI", "COMEX", "SIK7"),
    ("NGF7", "NG", "NYMEX", "NGF7"),
])
def test_local_symbols_parse_as_futures(text, root, exchange, local):
    inst = Instrument.parse(text)
    assert (inst.sec_type, inst.symbol, inst.exchange, inst.currency, inst.local_symbol, inst.expiry) == (
        "FUT", root, exchange, "USD", local, "")
    assert inst.display_symbol == local


def test_a_two_digit_year_is_sent_with_one_digit_and_the_contract_month():
    inst = Instrument.parse("ESZ26")
    assert (inst.local_symbol, inst.expiry, inst.display_symbol) == ("ESZ6", "202612", "ESZ6")
    assert Instrument.parse("CLF27").expiry == "202701"
    assert Instrument.parse("GCG27").expiry == "202702"


@pytest.mark.parametrize("text", ["ESGR", "ESZ", "CLF", "ES", "GC", "ESZ", "AAPL", "ESA6", "ESZ666",
                                  "XXZ6", "ESZ6A", "E", "ZZ"])
def test_stock_symbols_stay_stocks(text):
    inst = Instrument.parse(text)
    assert (inst.sec_type, inst.symbol) == ("STK", text)


@pytest.mark.parametrize("text, root, exchange", [("/ES", "ES", "CME"), ("/cl", "CL", "NYMEX"),
                                                  ("/GC", "GC", "COMEX"), ("/YM", "YM", "CBOT")])
def test_the_front_month_shortcut(text, root, exchange):
    inst = Instrument.parse(text)
    assert (inst.sec_type, inst.symbol, inst.exchange, inst.local_symbol, inst.expiry) == (
        "FUT", root, exchange, "", "")
    assert is_front_month(inst) and inst.display_symbol == f"/{root}"


def test_the_front_month_of_an_unknown_root_says_which_roots_are_known():
    with pytest.raises(ValueError, match=r"'/XYZ' is not a known futures root; ibdesk knows CL, ES"):
        Instrument.parse("/xyz")
    with pytest.raises(ValueError, match="not a known futures root"):
        Instrument.parse("/")


def test_is_front_month_only_for_a_future_without_month():
    assert not is_front_month(Instrument.parse("ESZ6"))
    assert not is_front_month(Instrument("ES", "FUT", "CME", expiry="20261218"))
    assert not is_front_month(Instrument("ES"))
    assert parse_future("AAPL") is None


def test_roots_table():
    assert FUTURE_ROOTS["ES"] == "CME" and FUTURE_ROOTS["CL"] == "NYMEX" and FUTURE_ROOTS["GC"] == "COMEX"


def _fut(local, expiry):
    return Instrument("ES", "FUT", "CME", local_symbol=local, expiry=expiry, multiplier=50)


def test_front_month_is_the_nearest_expiry_not_yet_past():
    z6, h7, m7 = _fut("ESZ6", "20261218"), _fut("ESH7", "20270319"), _fut("ESM7", "20270618")
    assert front_month([m7, h7, z6], date(2026, 12, 7)) is z6
    assert front_month([m7, h7, z6], date(2026, 12, 18)) is z6      # its last trade day still trades
    assert front_month([m7, h7, z6], date(2026, 12, 19)) is h7
    assert front_month([m7, h7, z6], date(2027, 6, 19)) is None
    assert front_month([], date(2026, 1, 1)) is None


def test_front_month_with_a_contract_month_counts_to_the_months_end():
    dec = _fut("ESZ6", "202612")
    assert front_month([dec], date(2026, 12, 31)) is dec
    assert front_month([dec], date(2027, 1, 1)) is None


def test_front_month_ignores_other_sec_types():
    assert front_month([Instrument("ES", expiry="20261218")], date(2026, 1, 1)) is None


def test_a_future_charts_trades():
    from app.domain.bars import has_volume, what_to_show
    assert what_to_show(Instrument.parse("ESZ6").sec_type) == "TRADES" and has_volume("TRADES")

