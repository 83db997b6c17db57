"""Instrument: the FX rule."""

from __future__ import annotations

from app.domain import Instrument


def test_is_fx_is_the_cash_sectype():
    """One rule for "is this an FX pair" (IB secType CASH), used by the risk limits and the ticket."""
    assert Instrument.parse("EUR.USD").is_fx and not Instrument.parse("AAPL").is_fx
