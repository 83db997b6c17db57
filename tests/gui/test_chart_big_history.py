"""A big history reaches the chart without stalling the event loop and is held once.

- the view-model copies the bar table in steps with the loop running between them and keeps
  no reference to the table (the caller's DataFrame is freed);
- the price and volume items read one merge pyramid, built in steps after a big reset, equal
  to one built in one go;
- a full indicator compute over a big history runs on the worker thread, live updates wait
  for it and are caught up;
- memory held per bar after a load (tracemalloc): the bars once, plus one pyramid.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

from app.domain import Bar, Instrument
from app.ui.chart import overlays
from app.ui.chart import pyramid as pyramid_module
from app.ui.chart.pyramid import CompactPyramid
from app.viewmodels import chart as chart_module
from app.viewmodels.chart import ChartViewModel
from app.viewmodels.indicators import EMA, MACD
from tests.gui.chart_support import show_chart
from tests.support import wait_until
from tests.unit.chart.chart_fakes import FakeHistorySession, make_bars

BENCH = Instrument("BENCH", con_id=1)


class OneShotSession(FakeHistorySession):
    """Answers each history request with a table it does not keep (as ``Session.history``)."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n
        self.frame_ref = None

    async def history(self, instrument, bar_size, duration=None, keep_up_to_date=True):
        self._next_sub += 1
        frame = make_bars(self.n, freq="1min")
        self.frame_ref = weakref.ref(frame)
        await asyncio.sleep(0)
        return self._next_sub, frame


def test_view_model_load_yields_between_steps_and_drops_the_table(aloop, monkeypatch):
    monkeypatch.setattr(chart_module, "LOAD_SLICE", 1000)
    session = OneShotSession(5500)
    vm = ChartViewModel(session, bar_size="1 min")
    ran = []

    async def other_work():
        while True:
            if vm.loading:
                ran.append(vm.count)
            await asyncio.sleep(0)

    task = aloop.create_task(other_work())
    vm.set_instrument(BENCH)
    wait_until(aloop, lambda: vm.is_ready, what="bars loaded")
    task.cancel()
    assert len(ran) >= 6               # 6 copy steps: the loop ran between them
    assert vm.count == 5500 and np.all(np.diff(vm.bars.times) == 60)
    gc.collect()
    assert session.frame_ref() is None  # nothing keeps the caller's table
    assert vm.bars.capacity <= 5500 + max(256, 5500 // 8)
    vm.shutdown()


def _answer(aloop, session, vm, frame):
    session.answer(len(session.requests) - 1, frame)
    wait_until(aloop, lambda: vm.is_ready, what="bars loaded")


def test_price_and_volume_share_one_pyramid_built_in_steps(qtbot, aloop, monkeypatch):
    monkeypatch.setattr(pyramid_module, "PYRAMID_STEP", 1000)
    session = FakeHistorySession()
    vm, view = show_chart(qtbot, session, bar_size="1 min")
    view.pyramid_build.step = 1000
    vm.set_instrument(BENCH)
    wait_until(aloop, lambda: session.requests, what="history request")
    frame = make_bars(10_000, freq="1min")
    _answer(aloop, session, vm, frame)
    assert view.candles.pyramid is view.volume.pyramid is view.bar_pyramid
    assert np.shares_memory(view.candles._o, vm.bars.opens)
    assert np.shares_memory(view.bar_pyramid.level(0)[0], vm.bars.opens)
    wait_until(aloop, lambda: not view.pyramid_build.building, what="pyramid built")
    assert view.pyramid_build.steps >= 9  # 10k bars, 1k per event-loop callback
    whole = CompactPyramid()
    whole.sync(vm.bars.opens, vm.bars.highs, vm.bars.lows, vm.bars.closes, vm.bars.volumes,
               length=vm.count - 1)
    assert view.bar_pyramid.depth == whole.depth
    for k in range(whole.depth):
        for a, b in zip(view.bar_pyramid.level(k), whole.level(k)):
            np.testing.assert_array_equal(a, b)
    # a live bar on a built pyramid: synced at once
    last = frame["time"].iloc[-1].to_pydatetime()
    session.barEvent.emit(vm.sub_id, Bar(last + (last - frame["time"].iloc[-2].to_pydatetime()),
                                         100, 101, 99, 100.5, 10), True)
    vm.flush()
    assert view.bar_pyramid.length == vm.count - 1 and not view.pyramid_build.building


def test_big_indicator_compute_runs_on_the_worker_and_catches_up(qtbot, aloop, monkeypatch):
    monkeypatch.setattr(overlays, "WORKER_BARS", 100)
    session = FakeHistorySession()
    vm, view = show_chart(qtbot, session, bar_size="1 min")
    ema = view.add_indicator("EMA", period=10)
    macd = view.add_indicator("MACD")
    vm.set_instrument(BENCH)
    wait_until(aloop, lambda: session.requests, what="history request")
    frame = make_bars(3000, freq="1min")
    _answer(aloop, session, vm, frame)
    # a live tick while the computes may still be outstanding
    last = frame["time"].iloc[-1].to_pydatetime()
    session.barEvent.emit(vm.sub_id, Bar(last, 100, 130, 99, 125.0, 10), False)
    vm.flush()
    wait_until(aloop, lambda: not view.indicator_set.computing, what="indicator computes")
    assert view.indicator_set._job >= 2  # both went through the worker
    for ind, fresh in ((ema, EMA(10)), (macd, MACD())):
        want = fresh.compute(vm.bars)
        for name, values in want.items():
            np.testing.assert_allclose(ind.values[name], values, equal_nan=True, rtol=1e-9)


@pytest.mark.parametrize("n", [100_000])
def test_memory_held_per_bar(qtbot, aloop, n):
    """Bars held once (48 B/bar) plus one float32 merge pyramid (~24 B/bar): under 90 B/bar
    (before: 2x array capacity and a pyramid per item, ~192 B/bar; a float64 pyramid ~103)."""
    session = OneShotSession(n)
    vm, view = show_chart(qtbot, session, bar_size="1 min")
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        vm.set_instrument(BENCH)
        wait_until(aloop, lambda: vm.is_ready and not getattr(getattr(view, "pyramid_build", None), "building", False), timeout=20,
                   what="bars loaded")
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert session.frame_ref() is None
    print(f"{held / n:.0f} bytes held per bar")
    assert held / n < 90, f"{held / n:.0f} bytes held per bar"
