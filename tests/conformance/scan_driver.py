"""The neutral scanner / news bulletin API of the conformance drivers (mixins):
:class:`IbapiScan` for :class:`tests.conformance.ibapi_driver.IbapiDriver` (official client),
:class:`IbLikeScan` for :class:`tests.conformance.iblike_driver.IbLikeDriver` (ib_async and
ib_insync, through the session's ``iblike_scan.ScanSession``).

Shapes (same for every client):

* ``scanner_parameters() -> str``: the XML document;
* ``scanner(code, rows=10, filters=None, location="STK.US.MAJOR", fields=None) -> [{rank, conId,
  symbol}]``: one list (subscribe, first answer, cancel); ``filters``: scannerSubscriptionFilterOptions
  as a dict tag -> value; ``fields``: more ScannerSubscription fields (name -> value, e.g.
  ``{"marketCapAbove": 1e12}``); ClientError (IB code) when refused;
* ``scanner_subscribe(...) -> reqId``, ``scanner_lists(reqId) -> [[{rank, conId, symbol}]]`` (every
  full list delivered so far, oldest first; a 165 "no items" clear is an empty list),
  ``scanner_cancel(reqId)``;
* ``subscribe_bulletins(all_msgs)``, ``bulletins(n=0, timeout=None) ->
  [{msgId, msgType, message, exchange}]`` (received since the last subscribe; waits until at
  least ``n`` arrived or ``timeout`` s passed, then returns what came), ``cancel_bulletins()``.
"""

from __future__ import annotations

from ibapi.scanner import ScannerSubscription
from ibapi.tag_value import TagValue

#: IB's acknowledgement of cancelScannerSubscription (error 162 with this text)
CANCEL_ACK = "API scanner subscription cancelled"


def _bulletin(args: dict) -> dict:
    """updateNewsBulletin arguments of any client -> {msgId, msgType, message, exchange}."""
    return {"msgId": int(args["msgId"]), "msgType": int(args["msgType"]),
            "message": args.get("message", args.get("newsMessage")),
            "exchange": args.get("origExchange", args.get("originExch"))}


class _Bulletins:
    """The bulletin half, shared: reads ``updateNewsBulletin`` from the driver's ``events()``."""

    _news_mark = 0

    def bulletins(self, n: int = 0, timeout: float | None = None) -> list[dict]:
        def got():
            return [_bulletin(e.args) for e in self.events()[self._news_mark:] if e.name == "updateNewsBulletin"]
        if n:
            self.wait(lambda: len(got()) >= n, timeout)
        return got()


class IbapiScan(_Bulletins):
    """Scanner and bulletins over ibapi's EClient (uses the driver's ``app``, ``events``,
    ``wait``, ``errors``, ``_rid``, ``_check``, ``_wait_end``)."""

    def scanner_parameters(self) -> str:
        n = len(self.events("scannerParameters"))
        self.app.reqScannerParameters()
        if not self.wait(lambda: len(self.events("scannerParameters")) > n):
            raise TimeoutError("ibapi: no scannerParameters")
        return self.events("scannerParameters")[-1]["xml"]

    def _sub(self, code: str, rows: int, location: str, fields: dict | None = None) -> ScannerSubscription:
        s = ScannerSubscription()
        s.instrument, s.locationCode, s.scanCode, s.numberOfRows = "STK", location, code, rows
        for name, value in (fields or {}).items():
            setattr(s, name, value)
        return s

    def scanner_subscribe(self, code: str, rows: int = 10, filters: dict | None = None,
                          location: str = "STK.US.MAJOR", fields: dict | None = None) -> int:
        rid = self._rid()
        self.app.reqScannerSubscription(rid, self._sub(code, rows, location, fields), [],
                                        [TagValue(k, str(v)) for k, v in (filters or {}).items()])
        self._wait_end(rid, "scannerDataEnd")
        return rid

    def scanner_lists(self, req_id: int) -> list[list[dict]]:
        out, cur = [], []
        for e in self.events():
            if e.args.get("reqId") != req_id:
                continue
            if e.name == "scannerData":
                c = e["contractDetails"].contract
                cur.append({"rank": e["rank"], "conId": c.conId, "symbol": c.symbol})
            elif e.name == "scannerDataEnd":
                out.append(cur)
                cur = []
            elif e.name == "error" and e["errorCode"] == 165:
                out.append([])
        return out

    def scanner_cancel(self, req_id: int) -> None:
        self.app.cancelScannerSubscription(req_id)
        self.wait(lambda: any(r == req_id and c == 162 and CANCEL_ACK in t for r, c, t in self.errors()), 1.5)

    def scanner(self, code: str, rows: int = 10, filters: dict | None = None,
                location: str = "STK.US.MAJOR", fields: dict | None = None) -> list[dict]:
        rid = self.scanner_subscribe(code, rows, filters, location, fields)
        try:
            return self.scanner_lists(rid)[0]
        finally:
            self.scanner_cancel(rid)

    def subscribe_bulletins(self, all_msgs: bool) -> None:
        self._news_mark = len(self.events())
        self.app.reqNewsBulletins(all_msgs)

    def cancel_bulletins(self) -> None:
        self.app.cancelNewsBulletins()


class IbLikeScan(_Bulletins):
    """Scanner and bulletins over an ib_insync-like session (uses the driver's ``rpc`` and
    ``events``)."""

    def scanner_parameters(self) -> str:
        return self.rpc("scanner_parameters")

    def scanner(self, code: str, rows: int = 10, filters: dict | None = None,
                location: str = "STK.US.MAJOR", fields: dict | None = None) -> list[dict]:
        return self.rpc("scanner", code, rows, filters, location, fields)

    def scanner_subscribe(self, code: str, rows: int = 10, filters: dict | None = None,
                          location: str = "STK.US.MAJOR", fields: dict | None = None) -> int:
        return self.rpc("scanner_subscribe", code, rows, filters, location, fields)

    def scanner_lists(self, req_id: int) -> list[list[dict]]:
        return self.rpc("scanner_lists", req_id)

    def scanner_cancel(self, req_id: int) -> None:
        self.rpc("scanner_cancel", req_id)

    def subscribe_bulletins(self, all_msgs: bool) -> None:
        self._news_mark = len(self.events())
        self.rpc("subscribe_bulletins", all_msgs)

    def cancel_bulletins(self) -> None:
        self.rpc("cancel_bulletins")
