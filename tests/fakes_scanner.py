"""The scanner and news bulletin part of ``tests.fakes.FakeSession`` (a mixin), mirroring
``app.broker.session_scanner.SessionScannerMixin`` and ``app.broker.session_news.SessionNewsMixin``.

* ``scanner_parameters()`` parses the simulated gateway's XML (``app.sim.scanner``: it lists
  the price, volume and market cap filters) or ``scanner_xml`` when set (e.g. a TWS document
  without the market cap filters); ``fail_parameters`` (text) makes it raise ``TimeoutError``.
* ``start_scan`` / ``stop_scan`` / ``scans`` as the Session; test drivers
  :meth:`FakeScannerMixin.push_scan` (a list of symbols as IB would send it) and
  :meth:`FakeScannerMixin.fail_scan` (IB 162 / 165).
* ``subscribe_bulletins`` / ``unsubscribe_bulletins`` / ``bulletin_subscribers`` as the
  Session; test driver :meth:`FakeScannerMixin.push_bulletin`.

Uses the host's ``calls``, ``contracts``, ``_require_connected``.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timezone

from app.broker.session_news import NewsEvents
from app.broker.session_scanner import ScannerEvents, parse_scanner_parameters
from app.domain.scanner import BulletinType, NewsBulletin, ScannerParameters, ScanRequest, ScanRow


class FakeScannerMixin(ScannerEvents, NewsEvents):
    """Scanner and bulletins of the fake session (state created on first use)."""

    fail_parameters: str = ""
    #: the scanner parameters' XML to answer instead of the simulated gateway's ("" = its own)
    scanner_xml: str = ""

    def _fake_scan(self) -> dict:
        st = self.__dict__.get("_fake_scan_state")
        if st is None:
            st = self.__dict__["_fake_scan_state"] = {
                "requests": {}, "ids": itertools.count(1), "news_refs": 0, "news_all": False,
                "msg_ids": itertools.count(1)}
        return st

    # ---- scanner -----------------------------------------------------------
    async def scanner_parameters(self, refresh: bool = False) -> ScannerParameters:
        """The simulated gateway's scanner parameters (parsed from its XML)."""
        from app.sim.scanner import parameters_xml

        self.calls.append(("scanner_parameters", ()))
        self._require_connected("ask for the scanner parameters")
        await asyncio.sleep(0)
        if self.fail_parameters:
            raise TimeoutError(self.fail_parameters)
        return parse_scanner_parameters(self.scanner_xml or parameters_xml())

    def start_scan(self, request: ScanRequest) -> int:
        self.calls.append(("start_scan", (request,)))
        st = self._fake_scan()
        scan_id = next(st["ids"])
        st["requests"][scan_id] = request
        return scan_id

    def stop_scan(self, scan_id: int) -> None:
        self.calls.append(("stop_scan", (scan_id,)))
        self._fake_scan()["requests"].pop(scan_id, None)

    def scans(self) -> dict[int, ScanRequest]:
        return dict(self._fake_scan()["requests"])

    def push_scan(self, *symbols: str, scan_id: int | None = None) -> list[ScanRow]:
        """Test driver: IB sends the full list ``symbols`` (display symbols of ``contracts``,
        rank order) for ``scan_id`` (default: the latest running scan). Returns the rows."""
        reqs = self._fake_scan()["requests"]
        sid = scan_id if scan_id is not None else max(reqs)
        rows = []
        for rank, sym in enumerate(symbols):
            c = self.contracts[sym.upper()]
            rows.append(ScanRow(rank, c.symbol, c.con_id, c.sec_type, "SMART", c.currency,
                                c.local_symbol, "", "NMS"))
        self.scanEvent.emit(sid, rows)
        return rows

    def fail_scan(self, code: int = 162, message: str = "Historical Market Data Service error "
                  "message:Invalid scan code", scan_id: int | None = None) -> None:
        """Test driver: IB error ``code`` for a scan (162 ends it, 165 = no items)."""
        reqs = self._fake_scan()["requests"]
        sid = scan_id if scan_id is not None else max(reqs)
        if code == 162:
            reqs.pop(sid, None)
        self.scanErrorEvent.emit(sid, code, message)

    # ---- news bulletins ----------------------------------------------------
    def subscribe_bulletins(self, all_messages: bool = True) -> None:
        self.calls.append(("subscribe_bulletins", (all_messages,)))
        st = self._fake_scan()
        st["news_refs"] += 1
        st["news_all"] = st["news_all"] or bool(all_messages)

    def unsubscribe_bulletins(self) -> None:
        self.calls.append(("unsubscribe_bulletins", ()))
        st = self._fake_scan()
        st["news_refs"] = max(0, st["news_refs"] - 1)

    def bulletin_subscribers(self) -> int:
        return self._fake_scan()["news_refs"]

    def push_bulletin(self, text: str, type: int = 1, exchange: str = "") -> NewsBulletin | None:
        """Test driver: IB sends a bulletin (only while subscribed); returns it."""
        st = self._fake_scan()
        if st["news_refs"] <= 0:
            return None
        b = NewsBulletin(next(st["msg_ids"]), BulletinType(type), text, exchange,
                         datetime.now(timezone.utc))
        self.bulletinEvent.emit(b)
        return b
