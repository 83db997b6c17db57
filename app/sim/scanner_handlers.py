"""Market scanner and news bulletin requests of one API client: reqScannerParameters,
reqScannerSubscription / cancelScannerSubscription, reqNewsBulletins / cancelNewsBulletins.

A mixin of :class:`app.sim.connection.ClientConnection` (uses ``self.ex``, ``self.gw``,
``self.send``, ``self.clock``, ``self.server_version``); :meth:`ScannerHandlers.scanner_updates`
runs in the conflated market pass (about every 250 ms of wall time).

* A scanner subscription is answered at once with the full ranked list (scannerData, rank 0
  first; an empty list when nothing qualifies) and then, like IB, re-sent in full while it
  lives: whenever the ranked list of contracts differs from the last one sent, checked at most
  every :data:`SCAN_REFRESH_S` wall seconds (IB resends scanner results periodically and only
  the full list; the simulator resends on change so a quiet market costs nothing); a list
  that becomes empty is IB's 165 "...query message:no items retrieved".
  cancelScannerSubscription ends it and is acknowledged as IB does, with error 162 "Historical
  Market Data Service error message:API scanner subscription cancelled: <reqId>".
* reqNewsBulletins(allMsgs): with allMsgs the day's bulletins so far first, then every new one
  (scheduled on the simulated clock or added by the admin ``bulletin`` command,
  :mod:`app.sim.bulletins`); cancelNewsBulletins ends it.

Layouts: :mod:`app.sim.encode_scanner`; rankings and errors: :mod:`app.sim.scanner`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.sim import encode_scanner as ES
from app.sim import scanner as S
from app.sim.bulletins import board_of

#: wall seconds between two checks of a scanner subscription for a changed ranking
SCAN_REFRESH_S = 1.0
#: IB's 165 when a live scan no longer has any match
NO_ITEMS = "Historical Market Data Service query message:no items retrieved"


@dataclass
class ScanSub:
    """A live scanner subscription: its filter, the conIds last sent (rank order) and when the
    ranking was last checked (``time.monotonic`` s)."""

    scan: S.ScanFilter
    last: tuple[int, ...]
    checked: float


def scanner_of(gateway) -> S.ScannerModel:
    """The gateway's :class:`~app.sim.scanner.ScannerModel` (``gateway.scanner``), made on first
    use; remade when the gateway's exchange was replaced (admin ``restart``)."""
    model = getattr(gateway, "scanner", None)
    if model is None or model.ex is not gateway.exchange:
        model = gateway.scanner = S.ScannerModel(gateway.exchange)
    return model


class ScannerHandlers:
    """``on_<request>`` handlers for the scanner and news bulletins (mixin)."""

    def _init_scanner(self) -> None:
        self.scan_subs: dict[int, ScanSub] = {}
        self.news_subscribed = False
        self.news_seen = 0                 # msgId of the last bulletin sent (or skipped)

    # ---- scanner ---------------------------------------------------------------
    def on_reqScannerParameters(self, req) -> None:
        self.send(ES.scanner_parameters(S.parameters_xml(), self.server_version))

    def _ranked(self, scan: S.ScanFilter) -> list:
        return S.rank(scan, scanner_of(self.gw).rows(with_13w=scan.scan_code in S.USES_13W))

    def _send_scan(self, rid: int, ranked) -> None:
        rows = [(i, self.ex.contract(r.con_id)) for i, r in enumerate(ranked)]
        self.send(ES.scanner_data(rid, rows, self.server_version))

    def on_reqScannerSubscription(self, req) -> None:
        scan = S.parse_request(req.params)           # SimError 162 for what is not served
        ranked = self._ranked(scan)
        self._send_scan(req.req_id, ranked)
        self.scan_subs[req.req_id] = ScanSub(scan, tuple(r.con_id for r in ranked), self.clock())

    def on_cancelScannerSubscription(self, req) -> None:
        if self.scan_subs.pop(req.req_id, None) is not None:
            self.send_error(req.req_id, 162, f"{S.HMDS_ERROR}API scanner subscription cancelled: "
                                             f"{req.req_id}")

    def scanner_updates(self) -> None:
        """Conflated pass: re-send the full list of each scanner subscription whose ranking
        changed (checked at most every SCAN_REFRESH_S wall seconds); new news bulletins."""
        if self.scan_subs:
            now = self.clock()
            for rid, sub in list(self.scan_subs.items()):
                if now - sub.checked < SCAN_REFRESH_S:
                    continue
                sub.checked = now
                ranked = self._ranked(sub.scan)
                ids = tuple(r.con_id for r in ranked)
                if ids != sub.last:
                    sub.last = ids
                    if ids:
                        self._send_scan(rid, ranked)
                    else:             # IB: no longer any match (ib_async/ib_insync clear the list)
                        self.send_error(rid, 165, NO_ITEMS)
        if self.news_subscribed:
            self.send_new_bulletins()

    # ---- news bulletins ----------------------------------------------------------
    def on_reqNewsBulletins(self, req) -> None:
        board = board_of(self.gw)
        now = self.gw.clock()
        board.advance(now)
        if req.params.get("allMsgs"):
            for b in board.today(now):
                self.send(ES.news_bulletin(b.msg_id, b.msg_type, b.message, b.exchange,
                                           self.server_version))
        self.news_seen = board.last_id
        self.news_subscribed = True

    def on_cancelNewsBulletins(self, req) -> None:
        self.news_subscribed = False

    def send_new_bulletins(self) -> int:
        """Send the bulletins issued since the last one this client got (when subscribed);
        returns how many."""
        if not self.news_subscribed:
            return 0
        board = board_of(self.gw)
        board.advance(self.gw.clock())
        new = board.since(self.news_seen)
        for b in new:
            self.send(ES.news_bulletin(b.msg_id, b.msg_type, b.message, b.exchange,
                                       self.server_version))
        if new:
            self.news_seen = new[-1].msg_id
        return len(new)
