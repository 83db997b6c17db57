"""ChartView + ChartViewModel against the team's FakeSession (tests/fakes.py): contract check."""

from __future__ import annotations

import pytest

from app.domain import Bar
from app.ui.chart import ChartView
from app.viewmodels.chart import ChartViewModel
from tests.support import wait_until
from tests.unit.chart.chart_fakes import make_bars

fakes = pytest.importorskip("tests.fakes", reason="tests/fakes.py (the team's FakeSession) not written yet")


def test_chart_with_team_fake_session(qtbot, aloop):
    session = fakes.FakeSession()
    aloop.run_until_complete(session.connect())
    session.bars = make_bars(200)
    vm = ChartViewModel(session, bar_size="5 mins")
    view = ChartView(vm)
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.show()
    aapl = session.contracts["AAPL"]
    vm.set_instrument(aapl)
    wait_until(aloop, lambda: vm.is_ready, what="chart loaded")
    assert ("history", (aapl, "5 mins", None, True)) in session.calls
    assert view.visible_index_range() == (50, 200)
    t = session.bars["time"].iloc[-1].to_pydatetime()
    session.emit_bar(vm.sub_id, Bar(t, 1, 2, 0.5, 1.5, 9), False)
    wait_until(aloop, lambda: view.last_price_label.text() == "Last 1.50", what="live bar")
    # an IB history error (HistoryError, 162) is shown
    session.fail_history = "Historical Market Data Service error message:HMDS query returned no data"
    view.bar_size_box.setCurrentText("1 hour")
    wait_until(aloop, lambda: vm.error, what="history error")
    assert "HMDS query returned no data" in view.error_label.text()
    assert any(c[0] == "cancel_history" for c in session.calls)
    vm.shutdown()
