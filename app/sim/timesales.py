"""Tick-level market data queries of ``SimExchange`` (mixed into the facade): tick-by-tick
streams, 5-second real-time bars, head timestamp and historical ticks.

Times POSIX seconds UTC; prices instrument currency; sizes shares (FX base units).
Sources: IB TWS API docs "Tick-by-Tick Data" (reqTickByTickData Last/AllLast/BidAsk/
MidPoint), "Real Time Bars" (reqRealTimeBars, 5-second bars), "Historical Time and
Sales" (reqHistoricalTicks: at most 1000 ticks, exactly one of start/end), "Head
Time Stamp" (reqHeadTimeStamp).
"""

from __future__ import annotations

import math

from app.sim.history import Bars
from app.sim.instruments import CASH, is_open
from app.sim.market import MarketModel
from app.sim.tape import MAX_TICKS, REALTIME_BAR, quote_bar, ticks_from_bars, trade_bar
from app.sim.types import SimBar, SimContract, SimError, SimQuoteTick, SimTrade

TICK_WHATS = ("TRADES", "BID_ASK", "MIDPOINT")
RTBAR_WHATS = ("TRADES", "MIDPOINT", "BID", "ASK")


class TimeSalesMixin:
    """Needs ``self.market`` (MarketModel), ``self.contract(conId)``, ``self.now`` and ``self._no_data``."""

    market: MarketModel

    def contract(self, con_id: int) -> SimContract:  # pragma: no cover - provided by SimExchange
        raise NotImplementedError

    def _no_data(self, c: SimContract, what: str) -> SimError:  # pragma: no cover - provided by SimExchange
        raise NotImplementedError

    def trades_since(self, con_id: int, since: float) -> list[SimTrade]:
        """Trade prints with ``since < time <= now``, oldest first (tick-by-tick Last/AllLast).
        FX has no prints ([]: IDEALPRO reports no trades). Raises SimError 200 for an unknown conId."""
        if self.contract(con_id).sec_type == CASH:
            return []
        return self.market.tape(con_id).trades_between(float(since), self.market.now)

    def quotes_since(self, con_id: int, since: float) -> list[SimQuoteTick]:
        """Top-of-book changes with ``since < time <= now`` (tick-by-tick BidAsk/MidPoint).
        Raises SimError 200 for an unknown conId."""
        self.contract(con_id)
        return self.market.tape(con_id).quotes_between(float(since), self.market.now)

    def realtime_bar(self, con_id: int, start: float, what: str = "TRADES") -> SimBar | None:
        """The 5-second bar [start, start+5) of TRADES, MIDPOINT, BID or ASK; None while the bar is
        not complete (start + 5 > now) or the instrument is not trading at ``start``.

        A TRADES bar without prints is flat at the last price with volume 0 (IB sends such bars).
        Raises SimError 200 (unknown conId), 321 (bad whatToShow), 162 (TRADES for FX: IB has no
        trade data for IDEALPRO).
        """
        c = self.contract(con_id)
        wts = (what or "TRADES").upper().strip()
        if wts not in RTBAR_WHATS:
            raise SimError(321, f"Error validating request.-'bY' : cause - Invalid whatToShow {what!r} "
                                "for real-time bars (TRADES, MIDPOINT, BID, ASK)")
        if c.sec_type == CASH and wts == "TRADES":
            raise self._no_data(c, wts)
        start = float(start)
        if not math.isfinite(start) or start + REALTIME_BAR > self.market.now or not is_open(c.sec_type, start):
            return None
        tape = self.market.tape(con_id)
        end = start + REALTIME_BAR
        if wts == "TRADES":
            prev = tape.last_trade_before(start)
            trades = tape.trades_between(start, end, left_open=False)
            prev_px = prev.price if prev is not None else (self.market.top(con_id).last if not trades else None)
            return trade_bar(start, trades, prev_px)
        return quote_bar(start, tape.quotes_between(start, end, left_open=False), tape.last_quote_before(start), wts)

    def head_timestamp(self, con_id: int, what: str = "TRADES", use_rth: bool = False) -> float:
        """POSIX time of the earliest available data for ``what`` (the first daily bar's date, or
        the first minute bar when there are no older daily bars; with ``use_rth`` the first
        regular-hours minute). Raises SimError 200, 162 (TRADES for FX / no data)."""
        c = self.contract(con_id)
        wts = (what or "TRADES").upper().strip()
        if c.sec_type == CASH and wts in ("TRADES", "ADJUSTED_LAST"):
            raise self._no_data(c, wts)
        older = self.market.older_daily(con_id)
        if len(older):
            return float(older.t[0])
        m = self.market.minutes(con_id)
        if use_rth:
            m = m.take(m.rth)
        if len(m) == 0:
            raise self._no_data(c, wts)
        return float(m.t[0])

    def _synth(self, con_id: int, m: Bars) -> tuple[list[SimTrade], list[SimQuoteTick]]:
        inst = self.market.instrument(con_id)
        c = inst.contract
        lot = 100_000.0 if inst.is_fx else 100.0
        return ticks_from_bars(m, c.exchange if inst.is_fx else c.primary_exchange, lot,
                               self.market.half_spread(con_id), inst.min_tick)

    def historical_ticks(self, con_id: int, start: float | None, end: float | None, n: int, what: str,
                         use_rth: bool = False) -> list[SimTrade] | list[SimQuoteTick]:
        """Up to ``n`` (<= 1000) ticks of TRADES (SimTrade), BID_ASK or MIDPOINT (SimQuoteTick,
        bid == ask == mid, sizes 0), oldest first: the first ``n`` at or after ``start``, or the
        last ``n`` at or before ``end`` (``end`` None and ``start`` None = now). History before
        the live tape is synthesised inside the 1-minute bars (``app.sim.tape``). [] if none.

        Raises SimError 200 (unknown conId), 321 (bad whatToShow / numberOfTicks), 162 (TRADES
        for FX).
        """
        c = self.contract(con_id)
        wts = (what or "").upper().strip()
        if wts not in TICK_WHATS:
            raise SimError(321, f"Error validating request.-'bZ' : cause - Invalid whatToShow {what!r} "
                                "for historical ticks (TRADES, BID_ASK, MIDPOINT)")
        try:
            n = int(n)
        except (TypeError, ValueError):
            raise SimError(321, f"Error validating request.-'bZ' : cause - Invalid numberOfTicks {n!r}") from None
        if n <= 0:
            raise SimError(321, f"Error validating request.-'bZ' : cause - numberOfTicks must be positive: {n}")
        n = min(n, MAX_TICKS)
        if c.sec_type == CASH and wts == "TRADES":
            raise self._no_data(c, wts)
        now = self.market.now
        forward = start is not None and end is None
        lo = float(start) if start is not None else -math.inf
        hi = min(float(end), now) if end is not None else now
        tape = self.market.tape(con_id)
        live_from = tape.first_trade_time if wts == "TRADES" else tape.first_quote_time
        live_from = min(live_from, self.market.t0)
        m = self.market.minutes(con_id)
        m = m.take(m.t < live_from - 60.0 + 1e-9)          # minutes wholly before the live stream
        if use_rth:
            m = m.take(m.rth)
        per_bar = max(2, n // 4 + 2)
        if forward:
            m = m.take(m.t >= math.floor(lo / 60.0) * 60.0)
            m = m.take(slice(0, per_bar))
        else:
            m = m.take(m.t <= hi)
            m = m.take(slice(max(0, len(m) - per_bar), len(m)))
        st, sq = self._synth(con_id, m)
        if wts == "TRADES":
            items: list = st + list(tape.trades_between(max(lo, -1e18) - 1e-9, hi))
        else:
            items = sq + list(tape.quotes_between(max(lo, -1e18) - 1e-9, hi))
        items = [x for x in items if lo <= x.time <= hi]
        if use_rth:
            items = [x for x in items if is_open(c.sec_type, x.time, rth=True)]
        items = items[:n] if forward else items[-n:]
        if wts == "MIDPOINT":
            items = [SimQuoteTick(q.time, q.mid, q.mid, 0.0, 0.0) for q in items]
        return items
