"""Fixtures shared by the exchange-side tests."""

from __future__ import annotations

import pytest

from tests.unit.sim.helpers import make
from tests.unit.sim.orderhelp import q


@pytest.fixture
def mk():
    """A fresh exchange with AAPL quoted 230.00 / 230.02 (last 230.01), events cleared:
    ``(exchange, events)``."""
    ex, ev = make()
    q(ex, 230.00, 230.02, last=230.01)
    ev.clear()
    return ex, ev
