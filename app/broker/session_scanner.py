"""Market scanner of the API session (mixed into ``app.broker.session.Session``).

* :meth:`SessionScannerMixin.scanner_parameters` asks IB reqScannerParameters (ib_async
  ``IB.reqScannerParametersAsync``) and parses the XML (:func:`parse_scanner_parameters`)
  into the scan codes, locations and filters offered, with their display names.
* :meth:`SessionScannerMixin.start_scan` opens a live subscription (ib_async
  ``IB.reqScannerSubscription`` -> ``ScanDataList`` whose ``updateEvent`` fires on every
  full list IB re-sends); each list comes as ``scanEvent(scan_id, rows: list[ScanRow])``.
  IB keeps a scanner subscription alive and re-sends the whole list when it changes.
* Errors of a scan come as ``scanErrorEvent(scan_id, code, message)``: 162 ("Historical
  Market Data Service error message: ...": unknown scan code, refused filter; the scan
  is over), 165 ("no items retrieved": the list is empty; ``scanEvent`` also fires with
  ``[]``, the scan stays live). IB's 162 acknowledging our own cancel is not reported.
* Scans survive a lost connection: the scan id stays, and when the session is CONNECTED
  again (a reconnect, or IB 1101 "data lost") the subscription is requested again
  (PROTOCOL.md: the app must redo every subscription itself).

The mixin creates its state on first use, so ``Session.__init__`` needs no change; the
events are created on first access (:class:`ScannerEvents`, shared with test fakes).
Source: IB API docs "Market Scanners"; ib_async ``IB.reqScannerSubscription`` /
``IB.cancelScannerSubscription``.
"""

from __future__ import annotations

import itertools
import logging
import xml.etree.ElementTree as ET
from typing import Any

from eventkit import Event

from app.domain import ConnectionState
from app.domain.scanner import (
    MAX_SCAN_ROWS, ScanCode, ScanFilterSpec, ScanLocation, ScannerParameters, ScanRequest, ScanRow,
)

log = logging.getLogger("ibdesk.broker")

#: IB "Historical Market Data Service error message" (scanner refused or ended)
SCANNER_ERROR = 162
#: IB "Historical Market Data Service query message: no items retrieved" (empty scan)
SCANNER_EMPTY = 165


def lazy_event(name: str) -> property:
    """A property creating ``eventkit.Event(name)`` on first access (stored as
    ``_ev_<name>``), so mixins add events without touching ``__init__``. Assigning is
    allowed only for what ``session.scanEvent += handler`` assigns back: the same event
    (anything else raises ``AttributeError``)."""
    attr = f"_ev_{name}"

    def get(self) -> Event:
        ev = self.__dict__.get(attr)
        if ev is None:
            ev = self.__dict__[attr] = Event(name)
        return ev
    def put(self, value: Event) -> None:
        if value is not get(self):
            raise AttributeError(f"{name} cannot be replaced")

    get.__doc__ = f"``eventkit.Event`` {name} (created on first access)."
    return property(get, put)


class ScannerEvents:
    """The scanner events of a session (the contract shared by ``Session`` and fakes):

    - ``scanEvent(scan_id: int, rows: list[ScanRow])`` every full list IB sends, rank order
    - ``scanErrorEvent(scan_id: int, code: int, message: str)`` IB 162 / 165 of a scan
    """

    scanEvent = lazy_event("scanEvent")
    scanErrorEvent = lazy_event("scanErrorEvent")


def _text(el: ET.Element | None, tag: str) -> str:
    child = None if el is None else el.find(tag)
    return (child.text or "").strip() if child is not None else ""


def parse_scanner_parameters(xml: str) -> ScannerParameters:
    """Parse IB's ``ScanParameterResponse`` XML (reqScannerParameters' answer).

    Reads ``InstrumentList/Instrument`` (type, name), every ``Location`` of the nested
    ``LocationTree`` (locationCode, displayName, instruments), ``ScanTypeList/ScanType``
    (scanCode, displayName, instruments) and the ``AbstractField`` of each
    ``FilterList`` filter (code, displayName, type attribute), each kept once in document
    order. Raises ``ValueError`` for text that is not XML."""
    try:
        root = ET.fromstring(xml.encode() if isinstance(xml, str) else xml)
    except ET.ParseError as e:
        raise ValueError(f"scanner parameters are not XML: {e}") from e

    def split(text: str) -> tuple[str, ...]:
        return tuple(t for t in (s.strip() for s in text.split(",")) if t)

    instruments: dict[str, str] = {}
    for el in root.iter("Instrument"):
        kind = _text(el, "type")
        if kind and kind not in instruments:
            instruments[kind] = _text(el, "name") or kind

    def named(tag: str, code_tag: str, make) -> tuple:
        found: dict[str, Any] = {}
        for el in root.iter(tag):
            code = _text(el, code_tag)
            if code and code not in found:
                found[code] = make(code, _text(el, "displayName") or code,
                                   split(_text(el, "instruments")))
        return tuple(found.values())

    locations = named("Location", "locationCode", ScanLocation)
    codes = named("ScanType", "scanCode", ScanCode)
    filters: dict[str, ScanFilterSpec] = {}
    for fl in root.iter("FilterList"):
        for el in fl.iter("AbstractField"):
            code = _text(el, "code")
            if code and code not in filters:
                filters[code] = ScanFilterSpec(code, _text(el, "displayName") or code,
                                               el.get("type", ""))
    return ScannerParameters(instruments, locations, codes, tuple(filters.values()))


def scan_data_to_rows(data: Any) -> list[ScanRow]:
    """An ib_async ``ScanDataList`` (``ScanData`` items: rank, contractDetails) as
    :class:`ScanRow` objects in rank order."""
    rows = []
    for d in data:
        cd = getattr(d, "contractDetails", None)
        c = getattr(cd, "contract", None)
        if c is None:
            continue
        rows.append(ScanRow(int(d.rank), c.symbol or "", int(c.conId or 0), c.secType or "",
                            c.exchange or "", c.currency or "", c.localSymbol or "",
                            c.primaryExchange or "", getattr(cd, "marketName", "") or ""))
    rows.sort(key=lambda r: r.rank)
    return rows


class SessionScannerMixin(ScannerEvents):
    """Scanner methods of ``Session``; uses its ``ib``, ``is_connected``, ``stateEvent``,
    ``errorEvent``, ``_require_connected`` and ``_connect_timeout``."""

    def _scan_state(self) -> dict:
        st = getattr(self, "_scans", None)
        if st is None:
            st = self._scans = {"requests": {}, "lists": {}, "req_ids": {},
                                "ids": itertools.count(1), "params": None}
            self.stateEvent += self._scans_on_state
            self.errorEvent += self._scans_on_error
        return st

    async def scanner_parameters(self, refresh: bool = False) -> ScannerParameters:
        """The scan codes, locations and filters the gateway offers (IB reqScannerParameters,
        ib_async ``IB.reqScannerParametersAsync``; the XML can be large on a real TWS, so it
        is asked once per session and cached; ``refresh`` asks again). Raises
        ``NotConnectedError`` when not connected, ``TimeoutError`` without an answer within
        the session's timeout, ``ValueError`` when the answer is not XML."""
        import asyncio

        st = self._scan_state()
        if st["params"] is not None and not refresh:
            return st["params"]
        self._require_connected("ask for the scanner parameters")
        xml = await asyncio.wait_for(self.ib.reqScannerParametersAsync(), self._connect_timeout)
        st["params"] = parse_scanner_parameters(xml)
        return st["params"]

    def start_scan(self, request: ScanRequest) -> int:
        """Start a live scan (IB reqScannerSubscription) and return its scan id (stable across
        reconnects). Lists come on ``scanEvent(scan_id, rows)``; errors on
        ``scanErrorEvent``. When not connected it is requested once CONNECTED. ``rows`` is
        clamped to 1..50 (IB's maximum)."""
        st = self._scan_state()
        scan_id = next(st["ids"])
        st["requests"][scan_id] = request
        if self.is_connected:
            self._send_scan(scan_id)
        return scan_id

    def stop_scan(self, scan_id: int) -> None:
        """End scan ``scan_id`` (IB cancelScannerSubscription when live). Unknown: no-op."""
        st = self._scan_state()
        st["requests"].pop(scan_id, None)
        self._cancel_scan_list(scan_id, send=self.ib.isConnected())

    def scans(self) -> dict[int, ScanRequest]:
        """The running scans, by scan id."""
        return dict(self._scan_state()["requests"])

    def _send_scan(self, scan_id: int) -> None:
        from ib_async import ScannerSubscription, TagValue

        st = self._scan_state()
        req: ScanRequest = st["requests"][scan_id]
        sub = ScannerSubscription(numberOfRows=max(1, min(MAX_SCAN_ROWS, int(req.rows))),
                                  instrument=req.instrument, locationCode=req.location,
                                  scanCode=req.code)
        filters = [TagValue(t, v) for t, v in req.filter_tags()]
        data = self.ib.reqScannerSubscription(sub, [], filters)
        st["lists"][scan_id] = data
        st["req_ids"][data.reqId] = scan_id
        data.updateEvent += lambda d, sid=scan_id: self._on_scan_data(sid, d)

    def _cancel_scan_list(self, scan_id: int, send: bool) -> None:
        st = self._scan_state()
        data = st["lists"].pop(scan_id, None)
        if data is None:
            return
        st["req_ids"].pop(data.reqId, None)
        data.updateEvent.clear()
        if send:
            try:
                self.ib.cancelScannerSubscription(data)
            except (ConnectionError, OSError) as e:
                log.debug("cancel of scan %s not sent: %s", scan_id, e)
        else:
            self.ib.wrapper.endSubscription(data)

    def _on_scan_data(self, scan_id: int, data: Any) -> None:
        if self._scan_state()["lists"].get(scan_id) is data:
            self.scanEvent.emit(scan_id, scan_data_to_rows(data))

    def _scans_on_error(self, req_id: int, code: int, message: str) -> None:
        st = self._scan_state()
        scan_id = st["req_ids"].get(req_id)
        if scan_id is None or code not in (SCANNER_ERROR, SCANNER_EMPTY):
            return
        if code == SCANNER_ERROR:      # IB ended the subscription
            st["requests"].pop(scan_id, None)
            self._cancel_scan_list(scan_id, send=False)
        self.scanErrorEvent.emit(scan_id, code, message)

    def _scans_on_state(self, state: ConnectionState, message: str = "") -> None:
        st = self._scan_state()
        if state is ConnectionState.CONNECTED:
            for scan_id in list(st["requests"]):
                if scan_id not in st["lists"]:
                    self._send_scan(scan_id)
        else:   # LOST with the socket up is IB 1101: cancel now, CONNECTED follows at once
            live = self.ib.isConnected() and state is ConnectionState.LOST
            for scan_id in list(st["lists"]):
                self._cancel_scan_list(scan_id, send=live)
