"""On-demand benchmark of the chart items (not collected by pytest: no ``test_`` prefix).

Run: ``cd /work/main && QT_QPA_PLATFORM=offscreen /work/venv/bin/python -m tests.benchmarks.bench_chart_items [BARS]``

Prints one JSON object: milliseconds to build the candle paths for the last
150 bars and for the whole history (merged to about one candle per pixel), to
render the widget once in each state, and microseconds per live tick applied
to the view-model (array update only, signals coalesced) and per coalesced
last-bar redraw. Uses random-walk bars (times UTC, 1-minute spacing).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(bars: int = 100_000) -> dict:
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.domain import Bar, Instrument
    from app.ui.chart import ChartView
    from app.viewmodels.chart import ChartViewModel
    from tests.unit.chart.chart_fakes import FakeHistorySession, make_bars

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    session = FakeHistorySession()
    vm = ChartViewModel(session, bar_size="1 min")
    view = ChartView(vm)
    view.resize(1200, 700)
    view.show()
    frame = make_bars(bars, freq="1min")
    out: dict = {"bars": bars, "width_px": None}

    async def run() -> None:
        vm.set_instrument(Instrument("BENCH", con_id=1))
        await asyncio.sleep(0.01)
        session.answer(0, frame)
        while vm.loading:
            await asyncio.sleep(0.005)
        out["width_px"] = int(view.price_plot.getViewBox().width())

        def timed_build(item) -> float:
            item._key = None
            t0 = time.perf_counter()
            item.refresh()
            return (time.perf_counter() - t0) * 1000

        view.plots.grab()
        out["build_last150_ms"] = round(timed_build(view.candles), 3)
        t0 = time.perf_counter()
        view.plots.grab()
        out["render_last150_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        view.price_plot.setXRange(0, vm.count, padding=0)
        view.plots.grab()
        out["build_full_ms"] = round(timed_build(view.candles), 3)
        out["full_group"] = view.candles.group
        out["full_candles"] = view.candles.drawn_count
        t0 = time.perf_counter()
        view.plots.grab()
        out["render_full_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        view.reset_view()
        view.plots.grab()
        t = frame["time"].iloc[-1].to_pydatetime()
        ticks = 20_000
        t0 = time.perf_counter()
        for i in range(ticks):
            session.barEvent.emit(vm.sub_id, Bar(t, 100, 101 + i * 1e-4, 99, 100.5, 1000 + i), False)
        out["tick_apply_us"] = round((time.perf_counter() - t0) / ticks * 1e6, 2)
        builds = view.candles.builds
        redraws = 50
        t0 = time.perf_counter()
        for _ in range(redraws):
            session.barEvent.emit(vm.sub_id, Bar(t, 100, 103, 99, 100.7, 5000), False)
            vm.flush()
            view.plots.grab()
        out["tick_redraw_ms"] = round((time.perf_counter() - t0) / redraws * 1000, 2)
        out["history_rebuilds_during_ticks"] = view.candles.builds - builds

    loop.run_until_complete(run())
    vm.shutdown()
    view.close()
    return out


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(json.dumps(main(n)))
