"""Chart benchmark, ibdesk against finplot on the same bars (issue 4; not collected by pytest).

Run headless::

    cd /work/main && QT_QPA_PLATFORM=offscreen /work/venv/bin/python tests/benchmarks/bench_chart.py --json out.json

For 10k, 100k and 1M random-walk 1-minute bars (times UTC) and each library,
in one process and one window size (1200x700): ``first_frame_ms`` (data handed
over -> first painted frame), ``pan_frame_ms`` (200 bars visible, pan by 10
bars + y fit + paint), ``zoom_frame_ms`` (zoom around the right edge between
150 and 250 bars), ``zoomed_out_frame_ms`` (all bars visible, pan by 1% +
paint): medians over repeated frames. Painting is forced with
``QWidget.grab()`` (renders into an image). ibdesk also reports
``tick_ms`` (apply one live tick through the view-model and repaint the whole
widget into an image, an upper bound), ``tick_event_loop_ms`` (event-loop time
of one tick: apply it and process every event it causes, the partial repaint
included) and ``tick_event_loop_4_indicators_ms`` (the same with SMA, EMA, RSI
and MACD shown). finplot (PyPI ``finplot``, ``pip install .[bench]``) runs on
our PySide6 through pyqtgraph; if it cannot run, its entry holds ``error``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere (bench only)

SIZES = (10_000, 100_000, 1_000_000)
W, H = 1200, 700


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def _median(xs) -> float:
    return round(statistics.median(xs), 2)


def _range_frames(n: int, set_x_range, grab) -> dict:
    """Median frame times (ms) of the same three workloads for either library, each frame
    ``set_x_range(x0, x1)`` (bar indices; the library fits y) then ``grab()`` (paint):
    ``pan_frame_ms`` (200 bars shown, moved by 10 bars), ``zoom_frame_ms`` (150 <-> 250 bars
    at the right edge), ``zoomed_out_frame_ms`` (all ``n`` bars, moved by 1%)."""
    def frames(ranges) -> float:
        times = []
        for x0, x1 in ranges:
            t0 = time.perf_counter()
            set_x_range(x0, x1)
            grab()
            times.append(_ms(t0))
        return _median(times)

    step = n // 100
    return {
        "pan_frame_ms": frames([(n - 300 - (i % 10) * 10, n - 100 - (i % 10) * 10) for i in range(40)]),
        "zoom_frame_ms": frames([(n - 150 - (i % 2) * 100, n) for i in range(30)]),
        "zoomed_out_frame_ms": frames([(-0.5 + (i % 2) * step, n + (i % 2) * step) for i in range(20)]),
    }


def _tick_event_loop(app, session, vm, t) -> float:
    """Median event-loop time of one live tick (ms): the bar update through the
    view-model and the view, then every event it causes (the partial repaint of
    the shown window) until the queue is empty. Prices move by a tick around the
    last close, as a live market does."""
    from app.domain import Bar

    c0 = float(vm.bars.closes[-1])
    times = []
    for i in range(200):
        close = c0 + ((i % 5) - 2) * 0.01
        t0 = time.perf_counter()
        session.barEvent.emit(vm.sub_id, Bar(t, c0, c0 + 0.05, c0 - 0.05, close, 5000 + i), False)
        vm.flush()
        app.processEvents()
        times.append(_ms(t0))
        time.sleep(0.001)
    return _median(times)


def bench_ibdesk(frame, loop, app) -> dict:
    from app.domain import Bar, Instrument
    from app.ui.chart import ChartView
    from app.viewmodels.chart import ChartViewModel
    from tests.unit.chart.chart_fakes import FakeHistorySession

    session = FakeHistorySession()
    vm = ChartViewModel(session, bar_size="1 min")
    view = ChartView(vm)
    view.resize(W, H)
    view.show()
    out: dict = {}

    async def run() -> None:
        vm.set_instrument(Instrument("BENCH", con_id=1))
        await asyncio.sleep(0.01)
        view.plots.grab()
        t0 = time.perf_counter()
        session.answer(0, frame)
        while vm.loading:
            await asyncio.sleep(0)
        view.plots.grab()
        out["first_frame_ms"] = round(_ms(t0), 2)
        n = vm.count
        out.update(_range_frames(n, lambda x0, x1: view.price_plot.setXRange(x0, x1, padding=0),
                                 view.plots.grab))
        out["zoomed_out_candles"] = view.candles.drawn_count
        view.reset_view()
        view.plots.grab()
        t = frame["time"].iloc[-1].to_pydatetime()
        builds = view.candles.builds
        ticks = []
        for i in range(50):
            t0 = time.perf_counter()
            session.barEvent.emit(vm.sub_id, Bar(t, 100, 103 + i * 0.01, 99, 100.7, 5000 + i), False)
            vm.flush()
            view.plots.grab()
            ticks.append(_ms(t0))
        out["tick_ms"] = _median(ticks)  # apply + full-widget repaint into an image
        out["tick_event_loop_ms"] = _tick_event_loop(app, session, vm, t)
        for name in ("SMA", "EMA", "RSI", "MACD"):
            view.add_indicator(name)
        app.processEvents()
        out["tick_event_loop_4_indicators_ms"] = _tick_event_loop(app, session, vm, t)
        out["history_rebuilds_during_ticks"] = view.candles.builds - builds

    loop.run_until_complete(run())
    vm.shutdown()
    view.close()
    view.deleteLater()
    app.processEvents()
    return out


def bench_finplot(frame, app) -> dict:
    try:
        import finplot as fplt
    except Exception as e:  # noqa: BLE001 (recorded in the JSON)
        return {"error": f"finplot does not import: {type(e).__name__}: {e}"}
    out: dict = {}
    df = frame.rename(columns=str.lower).copy()
    t0 = time.perf_counter()
    ax, ax2 = fplt.create_plot("bench", rows=2, init_zoom_periods=200, maximize=False)
    fplt.candlestick_ochl(df[["time", "open", "close", "high", "low"]], ax=ax)
    fplt.volume_ocv(df[["time", "open", "close", "volume"]], ax=ax2)
    fplt.show(qt_exec=False)
    win = fplt.windows[-1]
    win.resize(W, H)
    win.grab()
    out["first_frame_ms"] = round(_ms(t0), 2)
    out.update(_range_frames(len(df), ax.vb.update_y_zoom, win.grab))
    fplt.close()
    fplt.windows.clear()
    win.deleteLater()
    app.processEvents()
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the results to this file")
    ap.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = ap.parse_args(argv)
    import qasync
    from PySide6.QtWidgets import QApplication

    from tests.unit.chart.chart_fakes import make_bars

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    result: dict = {"ibdesk": {}, "finplot": {}, "window_px": [W, H]}
    frames = {n: make_bars(n, freq="1min") for n in args.sizes}
    # ibdesk first for every size: finplot leaves timers behind in the process that would
    # then run inside ibdesk's measured event-loop time
    for n, frame in frames.items():
        result["ibdesk"][str(n)] = bench_ibdesk(frame, loop, app)
        print("ibdesk", n, json.dumps(result["ibdesk"][str(n)]), file=sys.stderr)
    for n, frame in frames.items():
        try:
            result["finplot"][str(n)] = bench_finplot(frame, app)
        except Exception as e:  # noqa: BLE001 (recorded in the JSON)
            result["finplot"][str(n)] = {"error": f"{type(e).__name__}: {e}"}
        print("finplot", n, json.dumps(result["finplot"][str(n)]), file=sys.stderr)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text)
    print(text)
    return result


if __name__ == "__main__":
    main()
