"""app.viewmodels.soft_limits: the IDEALPRO minimum note of an FX ticket (IBKR KB 1285:
USD 25,000 or its equivalent) and the soft-limit lines, without widgets."""

from __future__ import annotations

import pytest

from app.commands import CommandRejected
from app.domain import Instrument
from app.viewmodels.soft_limits import idealpro_note, is_fx, soft_warnings, usd_value, warning_line
from tests.fakes import CONTRACTS

EURUSD = CONTRACTS["EUR.USD"]
USDJPY = Instrument("USD", "CASH", "IDEALPRO", "JPY", "", 15016059, 0.005, "USD.JPY")
EURGBP = Instrument("EUR", "CASH", "IDEALPRO", "GBP", "", 12087797, 0.00005, "EUR.GBP")


@pytest.mark.parametrize("inst, qty, price, value", [
    (EURUSD, 20_000, 1.25, 25_000.0), (USDJPY, 20_000, 150.0, 20_000.0),
    (EURGBP, 20_000, 0.85, None), (EURUSD, 20_000, None, None)])
def test_usd_value(inst, qty, price, value):
    assert usd_value(inst, qty, price) == value


@pytest.mark.parametrize("inst, qty, price, note", [
    (EURUSD, 25_000, 1.1, ""),
    (EURUSD, 22_000, 1.13637, ""),                       # 25,000 USD and a hair over
    (EURUSD, 22_000, 1.13636, "22,000 EUR is about 24,999 USD, below IDEALPRO's minimum of 25,000 "
                              "USD: IB routes it to IDEAL as an odd lot (wider spread)"),
    (EURUSD, 20_000, 1.1, "20,000 EUR is about 22,000 USD, below IDEALPRO's minimum of 25,000 USD: "
                          "IB routes it to IDEAL as an odd lot (wider spread)"),
    (USDJPY, 24_999, 150.0, "24,999 USD is below IDEALPRO's minimum of 25,000 USD: IB routes it to "
                            "IDEAL as an odd lot (wider spread)"),
    (USDJPY, 25_000, 150.0, ""),
    (EURGBP, 20_000, 0.85, "20,000 EUR may be below IDEALPRO's minimum of 25,000 USD: IB routes it "
                           "to IDEAL as an odd lot (wider spread)"),
    (EURGBP, 25_000, 0.85, ""),
    (CONTRACTS["AAPL"], 5, 187.5, ""),
    (EURUSD, 0, 1.1, ""), (EURUSD, None, 1.1, ""), (None, 5, 1.0, ""),
])
def test_idealpro_note(inst, qty, price, note):
    assert idealpro_note(inst, qty, price) == note


def test_is_fx():
    assert is_fx(EURUSD) and not is_fx(CONTRACTS["AAPL"]) and not is_fx(None)


class _Commands:
    def __init__(self, result):
        self.result = result

    def soft_failures(self, cmd):
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_soft_warnings_and_lines():
    band = CommandRejected("Limit 257.40 is 16.2 % above the ask 221.60", rule="price_band", soft=True)
    assert soft_warnings(_Commands([band]), object()) == [band]
    assert soft_warnings(_Commands(CommandRejected("halted", rule="halted")), object()) == []
    assert soft_warnings(_Commands(RuntimeError("boom")), object()) == []
    assert soft_warnings(object(), object()) == []
    assert warning_line(band) == "Price band: Limit 257.40 is 16.2 % above the ask 221.60"
