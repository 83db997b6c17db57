"""Options and futures as instruments: multiplier, expiry, strike, right; IB contracts both ways."""

from __future__ import annotations

import pytest
from ib_async import Contract

from app.broker.convert import contract_to_instrument, instrument_to_contract
from app.domain import Instrument

CALL = Instrument("AAPL", "OPT", "SMART", "USD", con_id=900001, min_tick=0.01, local_symbol="AAPL  261218C00200000",
                  multiplier=100.0, expiry="20261218", strike=200.0, right="C", trading_class="AAPL")
ES = Instrument("ES", "FUT", "CME", "USD", con_id=900002, min_tick=0.25, local_symbol="ESZ6",
                multiplier=50.0, expiry="20261218", trading_class="ES")


def test_names_and_kinds():
    assert CALL.is_option and not CALL.is_future and CALL.display_symbol == "AAPL 20261218 200 C"
    assert ES.is_future and ES.display_symbol == "ESZ6"
    assert Instrument("AAPL").multiplier == 1.0 and Instrument("AAPL").display_symbol == "AAPL"


def test_round_trip_through_ib_contracts():
    c = instrument_to_contract(CALL)
    assert (c.secType, c.symbol, c.lastTradeDateOrContractMonth, c.strike, c.right, c.multiplier,
            c.exchange, c.tradingClass, c.conId) == ("OPT", "AAPL", "20261218", 200.0, "C", "100",
                                                     "SMART", "AAPL", 900001)
    assert contract_to_instrument(c, min_tick=0.01) == CALL
    f = instrument_to_contract(ES)
    assert (f.secType, f.lastTradeDateOrContractMonth, f.multiplier, f.exchange, f.localSymbol) == (
        "FUT", "20261218", "50", "CME", "ESZ6")
    assert contract_to_instrument(f, min_tick=0.25) == ES


@pytest.mark.parametrize("right, expected", [("C", "C"), ("CALL", "C"), ("P", "P"), ("PUT", "P"), ("?", "")])
def test_ib_rights_and_multipliers(right, expected):
    c = Contract(secType="OPT", symbol="SPY", lastTradeDateOrContractMonth="20261120", strike=580.0,
                 right=right, multiplier="100", currency="USD", exchange="SMART")
    inst = contract_to_instrument(c)
    assert inst.right == expected and inst.multiplier == 100.0
    assert contract_to_instrument(Contract(secType="STK", symbol="AAPL", multiplier="")).multiplier == 1.0


def test_dict_round_trip_and_bad_numbers():
    assert Instrument.from_dict(CALL.to_dict()) == CALL
    with pytest.raises(ValueError, match="multiplier"):
        Instrument.from_dict({**CALL.to_dict(), "multiplier": -1})
    with pytest.raises(ValueError):
        Instrument.from_dict({**CALL.to_dict(), "strike": "x"})


@pytest.mark.parametrize("inst", [
    Instrument("AAPL"), Instrument("BRK B"), Instrument("EUR", "CASH", "IDEALPRO", "USD", local_symbol="EUR.USD"),
    Instrument("AAPL", "OPT", "SMART", "USD", multiplier=100.0, expiry="20261218", strike=200.0, right="C"),
    Instrument("SPY", "OPT", "SMART", "USD", multiplier=100.0, expiry="20261120", strike=582.5, right="P"),
    Instrument("ES", "FUT", "CME", "USD", local_symbol="ESZ6"),
    Instrument("ES", "FUT", "CME", "USD", expiry="202612"),
    Instrument("ES", "FUT", "CME", "USD"),
])
def test_what_a_row_shows_parses_back(inst):
    """A watchlist saves display symbols and parses them at the next start: every form the
    terminal shows must come back as the same contract (BRK B and options were dropped)."""
    back = Instrument.parse(inst.display_symbol)
    assert back.display_symbol == inst.display_symbol
    assert (back.symbol, back.sec_type, back.expiry, back.strike, back.right) == (
        inst.symbol, inst.sec_type, inst.expiry, inst.strike, inst.right)


@pytest.mark.parametrize("text, message", [
    ("AAPL 2026121 240 C", "expiry YYYYMMDD"), ("AAPL 20261218 -5 C", "strike"),
    ("AAPL 20261218 240 X", "right C or P"), ("AAPL 20261318 240 C", "expiry YYYYMMDD"),
    ("BRK BB", "contain no spaces"), ("AAPL 20261218 240", "contain no spaces"),
])
def test_malformed_option_text_says_why(text, message):
    with pytest.raises(ValueError, match=message):
        Instrument.parse(text)


def test_typed_option_is_a_us_equity_option():
    o = Instrument.parse("aapl 20261218 240 call")
    assert (o.sec_type, o.symbol, o.exchange, o.currency, o.expiry, o.strike, o.right, o.multiplier) == (
        "OPT", "AAPL", "SMART", "USD", "20261218", 240.0, "C", 100.0)
