"""Shared fixtures of the view-model tests."""

from __future__ import annotations

import pytest

from app.commands import OrderCommands
from app.viewmodels.ticket import TicketModel
from tests.fakes import FakeSession


@pytest.fixture
def ticket(aloop):
    """``(FakeSession, TicketModel)`` on AAPL with a quote 187.49 / 187.51, last 187.50."""
    s = FakeSession()
    t = TicketModel(s, OrderCommands(s))
    s.subscribe_quotes(s.contracts["AAPL"])
    s.push_quote("AAPL", bid=187.49, ask=187.51, last=187.5)
    t.set_instrument(s.contracts["AAPL"])
    return s, t
