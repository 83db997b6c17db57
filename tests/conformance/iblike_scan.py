"""Market scanner and news bulletin requests of an ib_insync-like :class:`iblike.Session`
(a mixin of it; the same code runs with ib_async in-process and with ib_insync 0.9.86 in its
child process, so this module imports only the standard library and ``base.py``).

Answers are plain values (see ``iblike.plain``): scanner rows as
``{"rank", "conId", "symbol"}``, bulletins through the recorded ``updateNewsBulletin``
callbacks, which the driver side reads from its log.
"""

from __future__ import annotations

from typing import Any

if __package__:                  # tests.conformance.iblike_scan (the test process)
    from .base import ClientError
else:                            # beside insync_child.py (the ib_insync child)
    from base import ClientError  # type: ignore[no-redef]

#: IB's acknowledgement of cancelScannerSubscription (error 162 with this text)
CANCEL_ACK = "API scanner subscription cancelled"


def scan_rows(items) -> list[dict]:
    """ScanData objects -> [{rank, conId, symbol}] in the library's order."""
    return [{"rank": d.rank, "conId": d.contractDetails.contract.conId,
             "symbol": d.contractDetails.contract.symbol} for d in items]


class ScanSession:
    """``scanner_*`` and ``*_bulletins`` requests (mixin of ``iblike.Session``: uses ``ib``,
    ``flavor``, ``call``, ``acall``, ``wait``, ``_errors``)."""

    def _subscription(self, code: str, rows: int, location: str, fields: dict | None = None):
        lib = self.flavor.lib
        return lib.ScannerSubscription(instrument="STK", locationCode=location, scanCode=code, numberOfRows=rows,
                                       **(fields or {}))

    def _tags(self, filters: dict | None) -> list:
        return [self.flavor.lib.TagValue(k, str(v)) for k, v in (filters or {}).items()]

    def _cancel_acked(self, req_id: int, timeout: float = 1.5) -> bool:
        """Wait for IB's 162 cancel acknowledgement of ``req_id`` so that it cannot land inside
        the next request (the library logs it as an error)."""
        return self.wait(lambda: any(r == req_id and c == 162 and CANCEL_ACK in (t or "")
                                     for r, c, t in list(self._errors)), timeout)

    def _raise_for(self, mark: int, req_id: int) -> None:
        for r, code, text in self._errors[mark:]:
            if r == req_id and not (code == 162 and CANCEL_ACK in (text or "")) and code not in (165,):
                raise ClientError(code, text)

    def scanner_parameters(self) -> str:
        """reqScannerParameters: the XML document."""
        return self.acall(self.ib.reqScannerParametersAsync)

    def scanner(self, code: str, rows: int = 10, filters: dict | None = None,
                location: str = "STK.US.MAJOR", fields: dict | None = None) -> list[dict]:
        """reqScannerDataAsync (subscribe, first list, cancel): [{rank, conId, symbol}];
        ``fields``: more ScannerSubscription fields."""
        mark = len(self._errors)
        res = self.acall(self.ib.reqScannerDataAsync, self._subscription(code, rows, location, fields), [],
                         self._tags(filters))
        rid = getattr(res, "reqId", None)
        if rid is not None:
            self._raise_for(mark, rid)
            self._cancel_acked(rid)
        return scan_rows(res or [])

    def scanner_subscribe(self, code: str, rows: int = 10, filters: dict | None = None,
                          location: str = "STK.US.MAJOR", fields: dict | None = None) -> int:
        """reqScannerSubscription; returns the reqId. The lists the library makes from every
        scannerDataEnd are kept for :meth:`scanner_lists` (an empty list for a 165 "no items" clear)."""
        mark = len(self._errors)
        seen: list[Any] = []
        sub, tags = self._subscription(code, rows, location, fields), self._tags(filters)

        def start():                  # in the loop: the handler is on before any answer is read
            dl = self.ib.reqScannerSubscription(sub, [], tags)
            dl.updateEvent += lambda d: seen.append(scan_rows(d))
            return dl
        lst = self.call(start)
        self._scans = getattr(self, "_scans", {})
        self._scans[lst.reqId] = (lst, seen)
        self.wait(lambda: seen or any(r == lst.reqId for r, _, _ in self._errors[mark:]))
        self._raise_for(mark, lst.reqId)
        return lst.reqId

    def scanner_lists(self, req_id: int) -> list[list[dict]]:
        """Every full list the subscription delivered so far, oldest first."""
        return [list(x) for x in self._scans[req_id][1]]

    def scanner_cancel(self, req_id: int) -> None:
        """cancelScannerSubscription (waits for IB's 162 acknowledgement)."""
        lst, _ = self._scans.pop(req_id)
        self.call(self.ib.cancelScannerSubscription, lst)
        self._cancel_acked(req_id)

    def subscribe_bulletins(self, all_msgs: bool) -> None:
        """reqNewsBulletins(allMsgs)."""
        self.call(self.ib.reqNewsBulletins, all_msgs)

    def cancel_bulletins(self) -> None:
        """cancelNewsBulletins."""
        self.call(self.ib.cancelNewsBulletins)
