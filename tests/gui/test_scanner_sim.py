"""The scanner panel against the simulated gateway (a real Session: ib_async over a socket):
a user types a market cap minimum and sees only the large caps, and the maximum gives the
others (the gateway's market caps: shares outstanding x its live price, app.sim.market_cap)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.integration.sim_support import cap_between, gateway_fixture, market_caps, sim_session
from tests.support import run_for, wait_until

pytestmark = pytest.mark.timeout(90)

gateway = gateway_fixture(seed=5)  # clock in regular trading hours of a past Wednesday


def _caps(gw) -> dict[str, float | None]:
    """symbol -> market cap (USD) of every stock at the gateway's prices now."""
    return dict(market_caps(gw).values())


def _symbols(v) -> list[str]:
    t = v.table.model()
    c = t.column_index("symbol")
    return [t.index(r, c).data() for r in range(t.rowCount())]


@pytest.fixture
def scanner(qtbot, aloop, gateway):
    from app.ui.scanner import ScannerView
    from app.viewmodels.scanner import ScannerModel

    session = sim_session(gateway)
    aloop.run_until_complete(session.connect())
    view = ScannerView(ScannerModel(session))
    qtbot.addWidget(view)
    view.show()
    wait_until(aloop, lambda: view.market_cap_row.isVisible(), 10, what="the market cap filter")
    yield view
    view.shutdown()
    session.disconnect()
    run_for(aloop, 0.05)


def test_market_cap_min_shows_only_large_caps(qtbot, aloop, gateway, scanner):
    v = scanner
    v.code.setCurrentIndex(v.code.findData("MOST_ACTIVE"))
    v.rows.setValue(50)
    split = cap_between(_caps(gateway).values())            # millions of USD
    qtbot.keyClicks(v.market_cap_min, f"{split:,}")
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)
    wait_until(aloop, lambda: v.table.model().rowCount() > 0, 10, what="the large caps")
    caps = _caps(gateway)
    large = {s for s, cap in caps.items() if cap and cap > split * 1e6}
    assert 3 <= len(large) <= 9                            # AAPL, MSFT, NVDA, ... not all stocks
    assert set(_symbols(v)) == large and "SPY" not in _symbols(v)

    v.market_cap_min.clear()
    qtbot.keyClicks(v.market_cap_max, str(split))
    qtbot.mouseClick(v.start_button, Qt.MouseButton.LeftButton)     # restart with the maximum
    wait_until(aloop, lambda: _symbols(v) and not set(_symbols(v)) & large, 10, what="the others")
    caps = _caps(gateway)
    assert all(caps[s] is not None and caps[s] < split * 1e6 for s in _symbols(v))   # no ETF: no cap
    assert len(_symbols(v)) == len([c for c in caps.values() if c]) - len(large)
