"""Client process of ``bench_stream`` (not collected by pytest): one monitor under a firehose.

Run by :mod:`tests.benchmarks.bench_stream`; by hand::

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.stream_client \\
        --port P --admin-port A --token T --impl ibdesk --symbols 500 \\
        --windows 5000:10,20000:10 --out /tmp/client.npz

Two monitors, one per process, fed by the same simulated gateway:

- ``ibdesk``: the terminal's own pieces, as ``ibdesk`` builds them: ``app.broker.Session``
  (ib_async with ``app.broker.fastread``) -> ``WatchlistModel`` -> ``WatchlistView``.
- ``qtablewidget``: the common way (vnpy's ``BaseMonitor``): plain ``ib_async.IB``, one
  ``QTableWidget``, per ticker event ``setSortingEnabled(False)``, ``setText`` on every cell,
  ``setSortingEnabled(True)``.

The client subscribes the first ``--symbols`` instruments of the gateway's universe, then
for each window ``RATE:SECONDS`` sets the gateway's firehose (admin port) to RATE quote
changes per second, warms up, and records for ``SECONDS``:

- every tick message decoded (its index on the connection; ib_async ``Decoder.interpret``),
  the moment the monitor took it into its table (``committed``: the watchlist's flush, the
  QTableWidget's ``setText``) and the moment the table finished painting that row
  (``paintEvent`` of the view, rows in the painted region), and when it was decoded (so
  the latency splits into gateway + socket + waiting to be read, and the client's own part). Only rows on screen are painted,
  so only their messages get a latency; the gateway stamped each message's encode time
  (``stream_gateway``), and the parent joins the two by message index;
- process CPU (user + system) over the window, and event-loop lateness
  (``tests.benchmarks.loopprobe.LoopProbe``, 10 ms timer).

Between windows the firehose stops and the client drains what is queued. Writes one
``.npz`` (``--out``): per window the arrays ``w{k}_msg`` (client message index),
``w{k}_decode`` and ``w{k}_paint`` (monotonic seconds), and ``meta`` (JSON: windows, CPU, loop lag, counts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from array import array
from collections import defaultdict

from app.sim.control import parse_status
from tests.integration.sim_support import admin_command

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WARMUP_S = 3.0
DRAIN_QUIET_S = 0.5
DRAIN_MAX_S = 20.0


class Admin:
    """Commands to the gateway's admin port (app.sim.control) through the test suite's
    ``sim_support.admin_command`` (``auth TOKEN`` then the command); a refused command raises."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token

    def command(self, line: str) -> str:
        reply = admin_command(self.port, line, timeout=10.0, token=self.token)
        if not reply.startswith("OK"):
            raise RuntimeError(f"admin {line.split()[0]!r}: {reply}")
        return reply

    def status(self) -> dict[str, str]:
        return parse_status(self.command("status"))


class Recorder:
    """Tick messages of the connection -> committed into the table -> painted on screen.

    ``req_of_row(row)`` maps a table row on screen to its reqMktData reqId (or None).
    """

    def __init__(self):
        self.msg_index = 0                         # decoded messages after the handshake
        self.recording = False
        self.ticks = 0
        self._decoded: dict[int, list[int]] = defaultdict(list)    # reqId -> msg indexes
        self._committed: dict[int, list[int]] = defaultdict(list)
        self.msg = array("q")
        self.decode = array("d")
        self.paint = array("d")
        self.paints = 0              # paint events of the view in the window
        self.paint_s = 0.0           # seconds spent in them

    def wrap(self, decoder) -> None:
        """Count every message ``decoder.interpret`` handles; remember tick messages by reqId."""
        original = decoder.interpret

        def interpret(fields):
            i = self.msg_index
            self.msg_index = i + 1
            f0 = fields[0]
            if self.recording and (f0 == "1" or f0 == "2"):     # tickPrice, tickSize
                self._decoded[int(fields[2])].append((i, time.monotonic()))
                self.ticks += 1
            original(fields)

        decoder.interpret = interpret

    def committed(self, req_ids) -> None:
        """The table took the latest values of these reqIds (a flush / setText)."""
        for r in req_ids:
            got = self._decoded.pop(r, None)
            if got:
                self._committed[r].extend(got)

    def painted(self, req_ids, on_screen) -> None:
        """These reqIds' rows were painted now; drop what waits for rows off screen."""
        t = time.monotonic()
        for r in req_ids:
            got = self._committed.pop(r, None)
            if got and self.recording:
                for i, t_dec in got:
                    self.msg.append(i)
                    self.decode.append(t_dec)
                self.paint.extend([t] * len(got))
        for table in (self._decoded, self._committed):
            for r in [r for r in table if r not in on_screen]:
                del table[r]

    def reset(self) -> None:
        self._decoded.clear()
        self._committed.clear()
        self.msg = array("q")
        self.decode = array("d")
        self.paint = array("d")
        self.ticks = 0
        self.paints = 0
        self.paint_s = 0.0


def _rows_in(table, event) -> tuple[int, int]:
    """First and last view rows of a paint event's region (inclusive; -1, -2 when none)."""
    rect = event.rect()
    top = table.rowAt(rect.top())
    if top < 0:
        return -1, -2
    bottom = table.rowAt(rect.bottom())
    if bottom < 0:
        bottom = table.model().rowCount() - 1
    return top, bottom


def _on_screen(table) -> tuple[int, int]:
    top = table.rowAt(0)
    bottom = table.rowAt(table.viewport().height() - 1)
    if top < 0:
        return -1, -2
    return top, (bottom if bottom >= 0 else table.model().rowCount() - 1)


def hook_paint(table, rec: Recorder, req_of_view_row) -> None:
    """Wrap ``table.paintEvent``: after Qt painted, the rows in the region count as painted."""
    original = type(table).paintEvent

    def paint_event(event):
        t0 = time.perf_counter()
        original(table, event)
        rec.paint_s += time.perf_counter() - t0
        rec.paints += 1
        top, bottom = _rows_in(table, event)
        s_top, s_bottom = _on_screen(table)
        painted = {req_of_view_row(r) for r in range(top, bottom + 1)}
        screen = {req_of_view_row(r) for r in range(s_top, s_bottom + 1)}
        rec.painted(painted - {None}, screen)

    table.paintEvent = paint_event


def universe_symbols(n: int) -> list:
    """The first ``n`` SimContracts of the gateway's universe (``app.sim.instruments.universe``)."""
    from app.sim.instruments import universe

    return [i.contract for i in universe(n)][:n]


def _display(c) -> str:
    return c.local_symbol if c.sec_type == "CASH" else c.symbol


# ---------------------------------------------------------------- ibdesk
async def build_ibdesk(args, rec: Recorder):
    from app.broker.session import Session
    from app.ui.watchlist import WatchlistView
    from app.viewmodels.watchlist import WatchlistModel

    session = Session("127.0.0.1", args.port, args.client_id)
    rec.wrap(session.ib.client.decoder)
    await session.connect()
    model = WatchlistModel(session)
    view = WatchlistView(model)
    view.resize(args.width, args.height)
    view.show()
    model.set_symbols([_display(c) for c in universe_symbols(args.symbols)])
    await model.start()
    while not model.is_ready():
        await asyncio.sleep(0.1)
    wrapper = session.ib.wrapper
    req_of_key = {}
    for key, ticker in session._quotes._tickers.items():
        req_of_key[key] = wrapper.ticker2ReqId["mktData"][ticker]
    def req_of_row(row: int):
        return req_of_key.get(model.record(row).instrument.key) if 0 <= row < len(model) else None

    flush = model.dirty._flush

    def flushed(top, left, bottom, right):
        flush(top, left, bottom, right)
        rec.committed(req_of_row(r) for r in range(top, bottom + 1))

    model.dirty._flush = flushed
    view_model = view.table.model()          # the model itself, or a proxy over it

    def req_of_view_row(r: int):
        if view_model is model:
            return req_of_row(r)
        src = view_model.mapToSource(view_model.index(r, 0))
        return req_of_row(src.row()) if src.isValid() else None

    hook_paint(view.table, rec, req_of_view_row)
    return view, session.ib, lambda: (model.close(), session.disconnect())


# ---------------------------------------------------------------- QTableWidget
def _fmt(v, dec: int = 2) -> str:
    return "" if v is None or v != v else f"{v:,.{dec}f}"


async def build_qtablewidget(args, rec: Recorder):
    """The common monitor: setText per cell, sorting toggled per event (vnpy BaseMonitor)."""
    from ib_async import IB, Forex, Stock
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

    ib = IB()
    rec.wrap(ib.client.decoder)
    await ib.connectAsync("127.0.0.1", args.port, args.client_id, timeout=20)
    headers = ["Symbol", "Bid", "Ask", "Last", "Change", "Chg %", "Volume"]
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
    table.setSortingEnabled(True)
    table.resize(args.width, args.height)
    table.show()
    contracts = []
    for c in universe_symbols(args.symbols):
        contracts.append(Forex(c.symbol + c.currency) if c.sec_type == "CASH" else Stock(c.symbol, "SMART", "USD"))
    await ib.qualifyContractsAsync(*contracts)
    cells: dict[int, list[QTableWidgetItem]] = {}
    req_of_ticker: dict[int, int] = {}
    for c in contracts:
        ticker = ib.reqMktData(c)
        req = ib.wrapper.ticker2ReqId["mktData"][ticker]
        req_of_ticker[id(ticker)] = req
        row = table.rowCount()
        table.setSortingEnabled(False)
        table.insertRow(row)
        items = [QTableWidgetItem() for _ in headers]
        items[0].setText(c.localSymbol if c.secType == "CASH" else c.symbol)
        items[0].setData(Qt.UserRole, req)
        for i, it in enumerate(items):
            if i:
                it.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
            table.setItem(row, i, it)
        cells[req] = items
        table.setSortingEnabled(True)

    def on_pending(tickers):
        for t in tickers:
            req = req_of_ticker.get(id(t))
            if req is None:
                continue
            table.setSortingEnabled(False)
            items = cells[req]
            dec = 5 if t.contract is not None and t.contract.secType == "CASH" else 2
            mark = t.marketPrice()
            change = mark - t.close if t.close == t.close and mark == mark else float("nan")
            items[1].setText(_fmt(t.bid, dec))
            items[2].setText(_fmt(t.ask, dec))
            items[3].setText(_fmt(t.last, dec))
            items[4].setText(_fmt(change, dec))
            items[5].setText(_fmt(100.0 * change / t.close if t.close else float("nan")) + "%")
            items[6].setText(_fmt(t.volume, 0))
            table.setSortingEnabled(True)
            rec.committed((req,))

    ib.pendingTickersEvent += on_pending

    def req_of_view_row(r: int):
        it = table.item(r, 0)
        return it.data(Qt.UserRole) if it is not None else None

    hook_paint(table, rec, req_of_view_row)
    return table, ib, ib.disconnect


# ---------------------------------------------------------------- windows
async def run(args) -> dict:
    import psutil

    from tests.benchmarks.loopprobe import LoopProbe

    rec = Recorder()
    build = build_ibdesk if args.impl == "ibdesk" else build_qtablewidget
    t0 = time.monotonic()
    widget, ib, close = await build(args, rec)
    setup_s = time.monotonic() - t0
    admin = Admin(args.admin_port, args.token)
    proc = psutil.Process()
    probe = LoopProbe(interval_ms=10)
    arrays: dict[str, array] = {}
    windows = []
    behind = False
    for k, (rate, seconds, step) in enumerate(args.windows):
        if step and behind:
            continue
        admin.command(f"firehose {args.symbols} {rate:g}")
        await asyncio.sleep(WARMUP_S)
        rec.reset()
        rec.recording = True
        probe.start()
        cpu0, w0, m0 = sum(proc.cpu_times()[:2]), time.monotonic(), rec.msg_index
        await asyncio.sleep(seconds)
        cpu1, w1, m1 = sum(proc.cpu_times()[:2]), time.monotonic(), rec.msg_index
        probe.stop()
        rec.recording = False
        gw = admin.status()
        admin.command(f"firehose {args.symbols} 0")
        drained = await drain(rec, (m1 - m0) / (w1 - w0))
        arrays[f"w{k}_msg"] = rec.msg
        arrays[f"w{k}_paint"] = rec.paint
        arrays[f"w{k}_decode"] = rec.decode
        windows.append({"index": k, "rate": rate, "ceiling_step": step, "seconds": round(w1 - w0, 3), "cpu_pct": round(100 * (cpu1 - cpu0) / (w1 - w0), 1),
                        "messages": m1 - m0, "ticks": rec.ticks,
                        "paints_per_s": round(rec.paints / (w1 - w0), 1),
                        "paint_pct": round(100 * rec.paint_s / (w1 - w0), 1), "msg_from": m0, "msg_to": m1,
                        "loop": probe.summary(), "gateway_tick_rate": float(gw.get("tick_rate", "0")),
                        "gateway_status": gw, "drain_s": round(drained, 2)})
        behind = behind or (step and fell_behind(windows[-1]))
        print(f"[{args.impl} {args.symbols}] rate {rate:g}: {windows[-1]['messages'] / (w1 - w0):.0f} msg/s "
              f"cpu {windows[-1]['cpu_pct']}% painted {len(rec.msg)}", file=sys.stderr, flush=True)
    close()
    await asyncio.sleep(0.5)
    return {"meta": {"impl": args.impl, "symbols": args.symbols, "setup_s": round(setup_s, 2),
                     "windows": windows}, "arrays": arrays}


async def drain(rec: Recorder, window_rate: float) -> float:
    """Wait until the queued data is read: fewer than 2 % of the window's messages/s (the
    gateway's normal ticks keep coming, e.g. FX at night) over DRAIN_QUIET_S, at most
    DRAIN_MAX_S; returns seconds waited."""
    t0 = time.monotonic()
    quiet = max(20.0, 0.02 * window_rate) * DRAIN_QUIET_S
    while time.monotonic() - t0 < DRAIN_MAX_S:
        m0 = rec.msg_index
        await asyncio.sleep(DRAIN_QUIET_S)
        if rec.msg_index - m0 < quiet:
            break
    return time.monotonic() - t0


def parse_windows(text: str) -> list[tuple[float, float, bool]]:
    """``"5000:10,20000:60:L"`` -> [(5000.0, 10.0, False), (20000.0, 60.0, True)]: rate in quote
    changes/s, seconds, and whether the window is a ceiling step (skipped once the client fell
    behind on an earlier step). ValueError for bad text."""
    out = []
    for part in text.split(","):
        bits = part.split(":")
        if not 1 <= len(bits) <= 3 or (len(bits) == 3 and bits[2] != "L"):
            raise ValueError(f"bad --windows part {part!r}: use RATE:SECONDS[:L]")
        out.append((float(bits[0]), float(bits[1]) if len(bits) > 1 else 10.0, len(bits) == 3))
    if not out or any(r <= 0 or s <= 0 for r, s, _ in out):
        raise ValueError(f"bad --windows {text!r}: use RATE:SECONDS[:L],...")
    return out


def fell_behind(window: dict) -> bool:
    """The client could not keep up (the ceiling steps above this one are skipped): the
    event loop was late by 100 ms at p99, or the queued data took over 2 s to drain."""
    return window["loop"]["p99_ms"] > 100.0 or window["drain_s"] > 2.0


def main(argv=None) -> int:
    import numpy as np
    import qasync
    from PySide6.QtWidgets import QApplication

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--admin-port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--impl", choices=["ibdesk", "qtablewidget"], required=True)
    p.add_argument("--symbols", type=int, default=500)
    p.add_argument("--windows", type=parse_windows, default=parse_windows("5000:10"))
    p.add_argument("--client-id", type=int, default=1)
    p.add_argument("--width", type=int, default=900)
    p.add_argument("--height", type=int, default=1000)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(run(args))
    arrays = {k: np.frombuffer(v, dtype=np.int64 if k.endswith("_msg") else np.float64) if len(v) else
              np.zeros(0) for k, v in result["arrays"].items()}
    np.savez(args.out, meta=json.dumps(result["meta"]), **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main())
