"""Event-loop stalls while the chart loads a big history (not collected by pytest).

Run headless::

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.bench_stalls [--json FILE] [--bars N]

A :class:`tests.benchmarks.loopprobe.LoopProbe` (5 ms timer, lateness in ms) runs on the
qasync loop while a chart (``ChartViewModel`` + ``ChartView``, 1200x700) takes a history,
from the moment the bars are handed over until the chart is loaded, its merge pyramid built
and 0.3 s more have passed. Phases:

- ``view_model_view``: N random-walk 1-minute bars (a bar table, as ``Session.history``
  returns it) into the view-model and the view: the path of every history load after the
  broker; ``..._4_indicators`` the same with SMA, EMA, RSI and MACD shown.
- ``session``: the real ``Session.history`` (conversion of ib_async's ``BarDataList`` to the
  bar table) then the chart, with ib_async's ``reqHistoricalDataAsync`` answering N
  ``BarData`` objects as ib_async decodes them (the decoding itself is ib_async's: see
  ``gateway``).
- ``gateway``: the whole path from the simulated gateway (its own process, ``app.simlauncher``)
  over the socket: EUR.USD 1-minute bars over "1 M" (the most the simulated gateway serves:
  30 days of minutes, ~30k bars); ``ib_async_decode_ms`` is the one callback in which
  ib_async decodes the historicalData message (``Decoder.interpret``, not ours), measured by
  wrapping it.

Each phase reports ``bars``, ``longest_stall_ms``, ``p99_ms``, ``stalls_over_50ms`` and
``load_ms`` (hand-over to loaded). Target: no stall over 50 ms in code we own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

W, H = 1200, 700


async def _settle(view, vm, t0: float) -> float:
    """Wait until ``vm`` loaded, the view's pyramid built and its indicators computed;
    returns ms since ``t0``."""
    def busy() -> bool:  # getattr: the same benchmark runs on code before the stepped loads
        return (vm.loading or getattr(getattr(view, "pyramid_build", None), "building", False)
                or getattr(view.indicator_set, "computing", False))
    while busy():
        await asyncio.sleep(0.001)
    load_ms = (time.perf_counter() - t0) * 1000
    view.plots.repaint()
    await asyncio.sleep(0.3)
    return round(load_ms, 1)


def _chart(session):
    from app.ui.chart import ChartView
    from app.viewmodels.chart import ChartViewModel

    vm = ChartViewModel(session, bar_size="1 min")
    view = ChartView(vm)
    view.resize(W, H)
    view.show()
    return vm, view


def _close(vm, view, app) -> None:
    vm.shutdown()
    view.close()
    view.deleteLater()
    app.processEvents()


def phase_view_model_view(loop, app, frame, indicators: bool) -> dict:
    from app.domain import Instrument
    from tests.benchmarks.loopprobe import LoopProbe
    from tests.unit.chart.chart_fakes import FakeHistorySession

    session = FakeHistorySession()
    vm, view = _chart(session)
    if indicators:
        for name in ("SMA", "EMA", "RSI", "MACD"):
            view.add_indicator(name)
    probe = LoopProbe()
    out: dict = {"bars": len(frame)}

    async def run() -> None:
        vm.set_instrument(Instrument("BENCH", con_id=1))
        await asyncio.sleep(0.05)
        probe.start()
        t0 = time.perf_counter()
        session.answer(0, frame)
        out["load_ms"] = await _settle(view, vm, t0)
        probe.stop()

    loop.run_until_complete(run())
    out.update(probe.summary())
    _close(vm, view, app)
    return out


def _bar_data_list(n: int):
    import numpy as np
    from ib_async.objects import BarData, BarDataList

    rng = np.random.default_rng(3)
    close = (1.1 + np.cumsum(rng.normal(0, 1e-4, n))).tolist()
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    bars = BarDataList()
    bars.reqId = 9
    step = timedelta(minutes=1)
    for i, c in enumerate(close):
        bars.append(BarData(date=t0 + i * step, open=c, high=c + 2e-4, low=c - 2e-4, close=c,
                            volume=-1.0, average=c, barCount=0))
    return bars


def phase_session(loop, app, n: int) -> dict:
    from app.broker import Session
    from app.domain import Instrument
    from tests.benchmarks.loopprobe import LoopProbe

    bars = _bar_data_list(n)
    session = Session("127.0.0.1", 4002, 1)
    session._require_connected = lambda what: None
    answered = asyncio.Event()

    async def req(*args, **kwargs):
        await answered.wait()
        return bars
    session.ib.reqHistoricalDataAsync = req
    vm, view = _chart(session)
    probe = LoopProbe()
    out: dict = {"bars": n}

    async def run() -> None:
        vm.set_instrument(Instrument("EUR", "CASH", "IDEALPRO", "USD", con_id=12087792))
        await asyncio.sleep(0.05)
        probe.start()
        t0 = time.perf_counter()
        answered.set()
        out["load_ms"] = await _settle(view, vm, t0)
        probe.stop()

    loop.run_until_complete(run())
    out.update(probe.summary())
    out["ib_async_list_after_load"] = len(bars)
    _close(vm, view, app)
    return out


def phase_gateway(loop, app) -> dict:
    from ib_async.decoder import Decoder

    from app.broker import Session
    from app.simlauncher import SimulatedGatewayProcess
    from tests.benchmarks.loopprobe import LoopProbe

    gateway = SimulatedGatewayProcess(seed=7)
    port = gateway.start()
    session = Session("127.0.0.1", port, 77)
    real_history = session.history

    async def month_of_minutes(instrument, bar_size, duration=None, keep_up_to_date=True, end=None):
        return await real_history(instrument, bar_size, "1 M", keep_up_to_date, end)
    session.history = month_of_minutes
    decode_ms: list[float] = []
    original = Decoder.interpret

    def timed(self, fields):
        t0 = time.perf_counter()
        original(self, fields)
        ms = (time.perf_counter() - t0) * 1000
        if ms > 5:
            decode_ms.append(round(ms, 1))
    Decoder.interpret = timed
    vm, view = _chart(session)
    probe = LoopProbe()
    out: dict = {}

    async def run() -> None:
        await session.connect()
        eur = await session.resolve("EUR.USD")
        probe.start()
        t0 = time.perf_counter()
        vm.set_instrument(eur)
        out["load_ms"] = await _settle(view, vm, t0)
        probe.stop()

    try:
        loop.run_until_complete(run())
    finally:
        Decoder.interpret = original
        _close(vm, view, app)
        session.disconnect()
        gateway.stop()
    out["bars"] = vm.count
    out.update(probe.summary())
    out["ib_async_decode_ms"] = max(decode_ms) if decode_ms else 0.0
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the results to this file")
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--skip-gateway", action="store_true")
    args = ap.parse_args(argv)
    import qasync
    from PySide6.QtWidgets import QApplication

    from tests.benchmarks.loopprobe import print_result
    from tests.unit.chart.chart_fakes import make_bars

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    frame = make_bars(args.bars, freq="1min")
    result: dict = {"view_model_view": phase_view_model_view(loop, app, frame, False)}
    result["view_model_view_4_indicators"] = phase_view_model_view(loop, app, frame, True)
    del frame
    result["session"] = phase_session(loop, app, args.bars)
    if not args.skip_gateway:
        result["gateway"] = phase_gateway(loop, app)
    for name, r in result.items():
        print(name, json.dumps(r), file=sys.stderr)
    print_result(result, args.json)
    return result


if __name__ == "__main__":
    main()
