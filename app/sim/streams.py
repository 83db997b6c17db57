"""Streaming subscriptions of one API client added in issue 3: market depth, 5-second
real-time bars, tick-by-tick data, PnL, plus the one-shot symbol, market-rule,
head-timestamp and historical-tick requests.

A mixin of :class:`app.sim.connection.ClientConnection` (it uses ``self.ex``,
``self.gw``, ``self.send`` and ``self._resolve``). ``stream_updates`` is called
from the conflated market pass (~every 250 ms of wall time); what it sends is
driven by the simulated clock ``self.gw.clock()`` (POSIX s UTC).

Sources for the rules: IB TWS API docs "Market Depth (Level II)", "Real Time
Bars" (5-second bars only, error 321 otherwise), "Tick-by-Tick Data",
"Historical Time & Sales" (at most 1000 ticks; either start or end),
"Profit & Loss", "Head Time Stamp", "Market Rule"; message layouts in
:mod:`app.sim.encode_market`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from app.sim import encode as E
from app.sim import encode_market as M
from app.sim.types import SimError

#: Most depth rows IB serves per request ("Market Depth": up to 10 for US stocks).
MAX_DEPTH_ROWS = 10
#: Most 5-second bars sent in one pass after a jump of the simulated clock.
MAX_BARS_PER_PASS = 120
#: reqHistoricalTicks: IB answers at most 1000 ticks per request.
MAX_HISTORICAL_TICKS = 1000
RT_WHAT = ("TRADES", "MIDPOINT", "BID", "ASK")
#: wall seconds between PnL / PnLSingle updates of one connection (TWS sends about one a second)
PNL_INTERVAL = 1.0


@dataclass
class DepthSub:
    """A reqMktDepth subscription: rows (<= 10), SMART depth flag, last book sent."""

    con_id: int
    rows: int
    smart: bool
    market_maker: str
    bids: list = field(default_factory=list)
    asks: list = field(default_factory=list)


@dataclass
class BarSub:
    """A reqRealTimeBars subscription: next 5-second bar start (POSIX s UTC)."""

    con_id: int
    what: str
    use_rth: bool
    next_start: float
    liquid_hours: str


@dataclass
class TickSub:
    """A reqTickByTickData subscription: type, time of the last tick sent (POSIX s UTC)."""

    con_id: int
    kind: str            # Last | AllLast | BidAsk | MidPoint
    ignore_size: bool
    since: float
    last_key: tuple | None = None


def _in_hours(hours: str, t: float, tz: str) -> bool:
    """True if ``t`` lies in an IB hours string (``YYYYMMDD:HHMM-YYYYMMDD:HHMM;...``,
    ``YYYYMMDD:CLOSED``) read in zone ``tz``. An empty string means always open."""
    if not hours.strip():
        return True
    from datetime import datetime
    zone = E._zone(tz)
    for part in hours.split(";"):
        a, sep, b = part.partition("-")
        if not sep or "CLOSED" in part:
            continue
        try:
            lo = datetime.strptime(a.strip(), "%Y%m%d:%H%M").replace(tzinfo=zone).timestamp()
            hi = datetime.strptime(b.strip(), "%Y%m%d:%H%M").replace(tzinfo=zone).timestamp()
        except ValueError:
            continue
        if lo <= t < hi:
            return True
    return False


class StreamHandlers:
    """Handlers ``on_<request>`` for the issue-3 streams (mixin)."""

    def _init_streams(self) -> None:
        self.depth_subs: dict[int, DepthSub] = {}
        self.bar_subs: dict[int, BarSub] = {}
        self.tick_subs: dict[int, TickSub] = {}
        self.pnl_subs: dict[int, tuple | None] = {}                 # reqId -> last sent
        self.pnl_single_subs: dict[int, tuple[int, tuple | None]] = {}   # reqId -> (conId, last)
        self.pnl_sent_at = -math.inf                                   # monotonic s of the last pass

    # ---- symbols, rules -----------------------------------------------------
    def on_reqMatchingSymbols(self, req) -> None:
        found = self.ex.matching_symbols(req.params["pattern"])
        self.send(M.symbol_samples(req.req_id, list(found)[:16], self.server_version))

    def on_reqMarketRule(self, req) -> None:
        rid = req.params["marketRuleId"]
        self.send(M.market_rule(rid, self.ex.market_rule(rid)))

    def on_reqMktDepthExchanges(self, req) -> None:
        self.send(M.mkt_depth_exchanges(self.ex.depth_exchanges(), self.server_version))

    # ---- depth ----------------------------------------------------------------
    def on_reqMktDepth(self, req) -> None:
        c = self._resolve(req.contract)
        rows = req.params["numRows"]
        if rows <= 0:
            raise SimError(321, f"Error validating request: invalid numRows {rows}")
        rows = min(rows, MAX_DEPTH_ROWS)
        sub = DepthSub(c.con_id, rows, req.params["isSmartDepth"],
                       c.primary_exchange or c.exchange)
        self._send_depth(req.req_id, sub)     # raises SimError where IB refuses
        self.depth_subs[req.req_id] = sub

    def on_cancelMktDepth(self, req) -> None:
        self.depth_subs.pop(req.req_id, None)

    def _send_depth(self, rid: int, sub: DepthSub) -> None:
        bids, asks = self.ex.depth(sub.con_id, sub.rows)
        bids, asks = list(bids)[:sub.rows], list(asks)[:sub.rows]
        for side, old, new in ((M.SIDE_BID, sub.bids, bids), (M.SIDE_ASK, sub.asks, asks)):
            for pos, op, price, size in M.depth_diff(old, new):
                if sub.smart:
                    self.send(M.update_mkt_depth_l2(rid, pos, sub.market_maker, op, side, price,
                                                    size, True, self.server_version))
                else:
                    self.send(M.update_mkt_depth(rid, pos, op, side, price, size))
        sub.bids, sub.asks = bids, asks

    # ---- real-time bars ----------------------------------------------------
    def on_reqRealTimeBars(self, req) -> None:
        c = self._resolve(req.contract)
        p = req.params
        if p["barSize"] != 5:
            raise SimError(321, "Error validating request: real time bars are available for "
                                f"5 second bars only (barSize={p['barSize']})")
        what = (p["whatToShow"] or "TRADES").upper()
        if what not in RT_WHAT:
            raise SimError(321, f"Error validating request: invalid whatToShow {what!r} for "
                                "real time bars")
        if c.sec_type == "CASH" and what == "TRADES":
            raise SimError(162, "Historical Market Data Service error message:No market data "
                                f"permissions for TRADES of {c.local_symbol} (use MIDPOINT)")
        now = self.gw.clock()
        self.bar_subs[req.req_id] = BarSub(c.con_id, what, p["useRTH"],
                                           math.floor(now / 5.0) * 5.0, c.liquid_hours)

    def on_cancelRealTimeBars(self, req) -> None:
        self.bar_subs.pop(req.req_id, None)

    def _send_bars(self, rid: int, sub: BarSub, now: float) -> None:
        """Send the 5-second bars of ``sub`` completed by ``now``, each exactly once and in order.

        A bar is complete when the exchange has been advanced past its end: the
        clock may already be past it while the market pump has not run yet, and
        such a bar waits for the next pass instead of being skipped (IB sends
        every 5-second bar; a skipped one left a 10 s gap under load).
        """
        now = min(now, self.ex.now)
        n = 0
        if now - sub.next_start > MAX_BARS_PER_PASS * 5:      # clock jumped: skip ahead
            sub.next_start = math.floor(now / 5.0) * 5.0 - MAX_BARS_PER_PASS * 5
        while sub.next_start + 5.0 <= now and n < MAX_BARS_PER_PASS:
            start = sub.next_start
            sub.next_start += 5.0
            n += 1
            if sub.use_rth:
                tz = self.ex.contract(sub.con_id).time_zone_id
                if not _in_hours(self.ex.contract(sub.con_id).liquid_hours, start, tz):
                    continue
            bar = self.ex.realtime_bar(sub.con_id, start, sub.what)
            if bar is not None:
                self.send(M.realtime_bar(rid, bar))

    # ---- tick by tick ----------------------------------------------------------
    def on_reqTickByTickData(self, req) -> None:
        c = self._resolve(req.contract)
        kind = req.params["tickType"]
        if kind not in M.TBT_TYPES:
            raise SimError(321, f"Error validating request: invalid tick-by-tick type {kind!r}")
        if c.sec_type == "CASH" and kind in ("Last", "AllLast"):
            raise SimError(10189, "Failed to request tick-by-tick data: no trades for "
                                  f"{c.local_symbol} (CASH); use BidAsk or MidPoint")
        now = self.gw.clock()
        sub = TickSub(c.con_id, kind, req.params["ignoreSize"], now)
        n = req.params["numberOfTicks"]
        if n > 0:     # IB first sends the latest n ticks, then streams
            sub.since = now - 3600.0
            self._send_ticks_tbt(req.req_id, sub, limit=n)
            sub.since = max(sub.since, now)
        self.tick_subs[req.req_id] = sub

    def on_cancelTickByTickData(self, req) -> None:
        self.tick_subs.pop(req.req_id, None)

    def _send_ticks_tbt(self, rid: int, sub: TickSub, limit: int | None = None) -> None:
        since = sub.since
        if sub.kind in ("Last", "AllLast"):
            items = [t for t in self.ex.trades_since(sub.con_id, since) if t.time > since]
            if sub.kind == "Last":
                items = [t for t in items if not getattr(t, "special_conditions", "")]
            if limit:
                items = items[-limit:]
            tt = M.TBT_TYPES[sub.kind]
            for t in items:
                self.send(M.tick_by_tick_last(rid, tt, t))
        else:
            items = [q for q in self.ex.quotes_since(sub.con_id, since) if q.time > since]
            if limit:
                items = items[-limit:]
            for q in items:
                if sub.kind == "BidAsk":
                    key = (q.bid, q.ask) if sub.ignore_size else (q.bid, q.ask, q.bid_size,
                                                                  q.ask_size)
                    if key != sub.last_key:
                        sub.last_key = key
                        self.send(M.tick_by_tick_bid_ask(rid, q))
                else:
                    mid = (q.bid + q.ask) / 2.0
                    if (mid,) != sub.last_key:
                        sub.last_key = (mid,)
                        self.send(M.tick_by_tick_midpoint(rid, q.time, mid))
        if items:
            sub.since = max(sub.since, max(x.time for x in items))

    # ---- historical ticks, head timestamp -------------------------------------
    def on_reqHeadTimeStamp(self, req) -> None:
        c = self._resolve(req.contract)
        what = (req.params["whatToShow"] or "TRADES").upper()
        t = self.ex.head_timestamp(c.con_id, what, req.params["useRTH"])
        if req.params["formatDate"] == 2:
            stamp = str(int(t))
        else:   # IB sends yyyyMMdd-HH:mm:ss in UTC (ib_async parseIBDatetime)
            stamp = E.ib_datetime(t, "UTC")[:17].replace(" ", "-")
        self.send(M.head_timestamp(req.req_id, stamp))

    def on_cancelHeadTimeStamp(self, req) -> None:
        pass    # answered at once; nothing to stop

    def on_reqHistoricalTicks(self, req) -> None:
        c = self._resolve(req.contract)
        p = req.params
        what = (p["whatToShow"] or "TRADES").upper()
        if what not in ("TRADES", "BID_ASK", "MIDPOINT"):
            raise SimError(321, f"Error validating request: invalid whatToShow {what!r} for "
                                "historical ticks (TRADES, BID_ASK or MIDPOINT)")
        n = p["numberOfTicks"]
        if n <= 0 or n > MAX_HISTORICAL_TICKS:
            raise SimError(321, "Error validating request: numberOfTicks must be 1..1000, "
                                f"got {n}")
        try:
            start = E.parse_end_datetime(p["startDateTime"], c.time_zone_id)
            end = E.parse_end_datetime(p["endDateTime"], c.time_zone_id)
        except (ValueError, KeyError) as e:
            raise SimError(321, f"Error validating request: bad start/end date/time: {e}") \
                from None
        if (start is None) == (end is None):
            raise SimError(321, "Error validating request: exactly one of startDateTime and "
                                "endDateTime must be set")
        self.check_history_pacing(
            (c.con_id, p["startDateTime"], p["endDateTime"], n, what, p["useRth"]),
            (c.con_id, c.exchange, what))
        ticks = self.ex.historical_ticks(c.con_id, start, end, n, what, p["useRth"])
        if what == "TRADES":
            self.send(M.historical_ticks_last(req.req_id, list(ticks), True))
        elif what == "BID_ASK":
            self.send(M.historical_ticks_bid_ask(req.req_id, list(ticks), True))
        else:
            self.send(M.historical_ticks_midpoint(
                req.req_id, [(q.time, (q.bid + q.ask) / 2.0) for q in ticks], True))

    # ---- PnL ----------------------------------------------------------------
    def _check_account(self, account: str) -> None:
        if account and account not in (self.ex.account_id, "All"):
            raise SimError(321, f"Error validating request: unknown account {account!r}")

    def on_reqPnL(self, req) -> None:
        self._check_account(req.params["account"])
        self.pnl_subs[req.req_id] = None
        self._send_pnl()

    def on_cancelPnL(self, req) -> None:
        self.pnl_subs.pop(req.req_id, None)

    def on_reqPnLSingle(self, req) -> None:
        self._check_account(req.params["account"])
        con_id = req.params["conId"]
        self.ex.contract(con_id)            # SimError 200 for an unknown conId
        self.pnl_single_subs[req.req_id] = (con_id, None)
        self._send_pnl()

    def on_cancelPnLSingle(self, req) -> None:
        self.pnl_single_subs.pop(req.req_id, None)

    def _send_pnl(self, paced: bool = False) -> None:
        """Send each PnL / PnLSingle subscription's values if they changed; ``paced``: at
        most once per :data:`PNL_INTERVAL` (the periodic pass; a new subscription is
        answered at once, as TWS does)."""
        if paced:
            now = time.monotonic()
            if now - self.pnl_sent_at < PNL_INTERVAL:
                return
            self.pnl_sent_at = now
        if self.pnl_subs:
            vals = tuple(self.ex.pnl())
            for rid, last in list(self.pnl_subs.items()):
                if last != vals:
                    self.pnl_subs[rid] = vals
                    self.send(M.pnl(rid, *vals))
        for rid, (con_id, last) in list(self.pnl_single_subs.items()):
            v = self.ex.pnl_single(con_id)
            # No position: IB sends position 0 and unset (Double.MAX) values.
            vals = tuple(v) if v is not None else (0.0, E.UNSET_DOUBLE, E.UNSET_DOUBLE,
                                                   E.UNSET_DOUBLE, E.UNSET_DOUBLE)
            if last != vals:
                self.pnl_single_subs[rid] = (con_id, vals)
                self.send(M.pnl_single(rid, *vals))

    # ---- the periodic pass --------------------------------------------------
    def stream_updates(self) -> None:
        """Send what changed on every issue-3 stream (depth diffs, completed 5-second
        bars, new tick-by-tick prints, PnL). A failing stream is reported to the
        client once with the exchange's error and dropped."""
        now = self.gw.clock()
        for table, fn in ((self.depth_subs, self._send_depth),
                          (self.bar_subs, lambda r, s: self._send_bars(r, s, now)),
                          (self.tick_subs, self._send_ticks_tbt)):
            for rid, sub in list(table.items()):
                try:
                    fn(rid, sub)
                except SimError as e:
                    table.pop(rid, None)
                    self.send_error(rid, e.code, e.text)
        try:
            self._send_pnl(paced=True)
        except SimError as e:
            for rid in list(self.pnl_subs) + list(self.pnl_single_subs):
                self.send_error(rid, e.code, e.text)
            self.pnl_subs.clear()
            self.pnl_single_subs.clear()
