"""One API client's connection to the simulated gateway: handshake, request dispatch,
subscriptions and batched writes.

Protocol flow (PROTOCOL.md, ibapi ``EClient.connect``): raw ``API\\0``, a framed
``v<min>..<max>`` handshake, the reply (server version, connection time),
then startApi (71) which is answered with managedAccounts (15), nextValidId
(9) and the 2104/2106/2158 farm messages. Nothing is sent between the
version reply and startApi.

Malformed input never raises out of here: a bad frame length or bad
handshake closes this connection only; an unparsable request is answered
with error 320 (505 for an unknown message id).
"""

# ---------------------------------------------------------------------------
# FOR THE FAULTS ENGINEER (issue 3) - the names the wire side provides:
#   ClientConnection (alias ``Connection``), one per API client, in
#   ``SimGateway.connections`` (a set; read ``conn.client_id``, ``conn.ready``):
#     conn.close()                          drop this client (idempotent)
#     conn.send_error(req_id, code, text)   queue an IB error/info message (id 4);
#                                           req_id -1 for system codes 1100/1101/1102
#     conn.flush()                          write what is queued (the pump does it too)
#     conn.delay: float                     seconds added before each outgoing batch
#                                           (0 = none; order of messages is kept)
#   Please add to ``SimGateway.__init__`` (server.py is yours):
#     message_log=None        -> ``self.message_log`` callable(direction "<-"/"->",
#                                client_id, msg name, fields list) or None
#     master_client_id=None   -> ``self.master_client_id`` (IB "Master API client ID")
#   and route exchange events through the wire side instead of server.py's own
#   _on_order/_on_fill/order_targets:
#     def _on_event(self, ev): app.sim.connection.dispatch_event(self, ev)
#   (dispatch_event handles OrderEvent/FillEvent/PortfolioEvent/OrderErrorEvent,
#   whatIf, master client id, client-0 auto-bind, deferred commission reports via
#   ``self._deferred`` / flush_deferred which stay in server.py).
#   The connection reads both attributes with getattr(..., None), so nothing
#   breaks before you add them.
# ---------------------------------------------------------------------------

from __future__ import annotations

import asyncio
import logging
import time

from app.sim import decode as D
from app.sim import encode as E
from app.sim.order_handlers import OrderHandlers
from app.sim.option_handlers import OptionHandlers
from app.sim.options import OPTION_CON_ID_BASE
from app.sim.latency import DelayWindow
from app.sim.pacing import HistoryPacer, MessagePacer
from app.sim.history import bar_size_key
from app.sim.seconds import check_keep_up_to_date
from app.sim.scanner_handlers import ScannerHandlers
from app.sim.routing import dispatch_event, log_outgoing, order_targets  # noqa: F401
from app.sim.streams import StreamHandlers
from app.sim.subscriptions import Subscriptions
from app.sim.types import PortfolioEvent, SimError
from app.sim.wire import API_PREFIX, FieldError, FrameReader, ProtocolError, parse_handshake, \
    split_fields

log = logging.getLogger("app.sim.connection")

MAX_SERVER_VERSION = E.SERVER_VERSION
#: every message is encoded per negotiated version from here up (docs/simulator.md table)
MIN_SERVER_VERSION = E.MIN_SERVER_VERSION
WRITE_CHUNK = 16 * 1024
#: IB's limit on client messages (IB API docs "Pacing": 50 messages per second; error 100);
#: see :mod:`app.sim.pacing` for the disconnect rule after repeated violations.
MAX_MESSAGES_PER_SECOND = 50
#: Historical bar sizes IB paces strictly ("Pacing Violations for Small Bars": 30 s or less).
SMALL_BAR_SECONDS = {"1 secs": 1, "5 secs": 5, "10 secs": 10, "15 secs": 15, "30 secs": 30}

#: Delayed tick ids IB uses with reqMarketDataType 3/4 (IB "Available Tick Types").
DELAYED_TICK = {E.BID: 66, E.ASK: 67, E.LAST: 68, E.HIGH: 72, E.LOW: 73, E.VOLUME: 74,
                E.CLOSE: 75, E.OPEN: 76}

class ClientConnection(StreamHandlers, OrderHandlers, ScannerHandlers, OptionHandlers):
    """State of one API client (subscriptions keyed by IB reqId).

    Faults interface: :meth:`close`, :meth:`send_error`, :meth:`flush`, ``delay``
    (seconds added before each outgoing batch). Pacing: messages beyond IB's 50 per
    second (a token bucket of 50, refilled at 50/s) get IB error 100 and are dropped (see
    :mod:`app.sim.pacing` for the disconnect rule and historical-data pacing, error 162).
    """

    def __init__(self, gateway, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.gw = gateway
        self.ex = gateway.exchange
        self.reader = reader
        self.writer = writer
        self.client_id: int | None = None
        self.server_version = 0
        self.ready = False          # startApi done
        self.closed = False
        self.out = bytearray()
        self.mkt = Subscriptions()                        # reqId -> conId
        self._is_fx: dict[int, bool] = {}                 # conId -> FX pair (no LAST/VOLUME ticks)
        self.mkt_last: dict[int, dict[int, float]] = {}   # reqId -> tickType -> last sent value
        # reqId -> (conId, barSize, formatDate, time zone) of keepUpToDate requests
        self.hist_live: dict[int, tuple[int, str, int, str, str]] = {}
        self.hist_last: dict[int, tuple] = {}
        self.account_updates = False
        self.positions_sub = False
        self.summary: dict[int, set[str] | None] = {}     # reqId -> tags (None = all)
        self.multi: set[int] = set()
        self.follow_all_orders = False
        self.auto_open_orders = False
        self.market_data_type = 1
        self.delay = 0.0
        self._last_due = 0.0
        self._pending_writes = 0
        #: clock of the encode -> write stamps (time.monotonic; tests inject one)
        self.clock = time.monotonic
        self._sent_at: list[float] = []                   # send() time of each queued message
        #: encode -> writer.write delays of the last 10 s (app.sim.latency; admin ``status``)
        self.write_delay = DelayWindow()
        self.pacer = MessagePacer(MAX_MESSAGES_PER_SECOND)
        self.history_pacer = HistoryPacer()
        self._init_streams()
        self._init_scanner()

    # ---- I/O ---------------------------------------------------------------
    def send(self, msg: bytes) -> None:
        """Queue one framed message; written by :meth:`flush` in chunks. Its queue time is
        stamped for the encode -> write delay (``write_delay``)."""
        if not self.closed:
            self.out += msg
            self._sent_at.append(self.clock())
            log_fn = getattr(self.gw, "message_log", None)
            if log_fn is not None:
                try:
                    log_outgoing(log_fn, self.client_id, msg)
                except Exception:
                    log.exception("message_log failed")

    def send_error(self, req_id: int, code: int, text: str) -> None:
        """Queue an IB error/info message (id 4): ``req_id`` -1 for system messages
        (1100 connectivity lost, 1101/1102 restored, 2104 farm OK...), in the layout of the
        negotiated server version."""
        self.send(E.error(req_id, code, text, version=self.server_version))

    def flush(self) -> None:
        """Write queued bytes in chunks of at most 16 KB (TCP_NODELAY is on), ``delay``
        seconds later when a delay is set (batches keep their order)."""
        if self.closed or not self.out:
            return
        data, self.out = bytes(self.out), bytearray()
        stamps, self._sent_at = self._sent_at, []
        if self.delay > 0 or self._pending_writes:
            loop = asyncio.get_running_loop()
            due = max(loop.time() + max(self.delay, 0.0), self._last_due)
            self._last_due = due
            self._pending_writes += 1
            loop.call_at(due, self._write_delayed, data, stamps, max(self.delay, 0.0))
            return
        self._write(data, stamps)

    def _write_delayed(self, data: bytes, stamps: list[float], injected: float) -> None:
        self._pending_writes -= 1
        self._write(data, stamps, injected)

    def _write(self, data: bytes, stamps: list[float] = (), injected: float = 0.0) -> None:
        """Hand ``data`` to the transport and record the delay of its messages (``stamps``:
        their send() times), less the deliberate ``injected`` delay."""
        if self.closed:
            return
        try:
            for i in range(0, len(data), WRITE_CHUNK):
                self.writer.write(data[i:i + WRITE_CHUNK])
        except (ConnectionError, RuntimeError, OSError):
            self.close()
            return
        if stamps:
            self.write_delay.add(self.clock(), stamps, injected)

    def close(self) -> None:
        """Close this client's socket (idempotent); other clients are unaffected."""
        if self.closed:
            return
        self.closed = True
        self.ready = False
        try:
            self.writer.close()
        except Exception:
            pass

    async def run(self) -> None:
        """Serve this client until it disconnects or violates the framing."""
        try:
            prefix = await self.reader.readexactly(4)
            if prefix != API_PREFIX:
                log.warning("client sent no API prefix: %r", prefix)
                return
            frames = FrameReader()
            hs = None
            while hs is None:
                data = await self.reader.read(65536)
                if not data:
                    return
                got = frames.feed(data)
                if got:
                    hs = parse_handshake(got[0])
                    rest = got[1:]
            if hs.max_version < MIN_SERVER_VERSION or hs.min_version > MAX_SERVER_VERSION:
                self._refuse_version(hs.min_version, hs.max_version)
                return
            self.server_version = min(hs.max_version, MAX_SERVER_VERSION)
            self.send(E.handshake_reply(self.server_version, E.ib_datetime(self.gw.clock(), "UTC")))
            self.flush()
            for payload in rest:
                self.handle_payload(payload)
            self.flush()
            while not self.closed:
                data = await self.reader.read(65536)
                if not data:
                    break
                for payload in frames.feed(data):
                    self.handle_payload(payload)
                    if self.closed:
                        break
                self.flush()
                if self.writer.transport.get_write_buffer_size() > 4 * 1024 * 1024:
                    await self.writer.drain()
        except ProtocolError as e:
            log.warning("client %s: protocol error, closing: %s", self.client_id, e)
            self.send_error(-1, 505, f"Fatal Error: {e}")
            self.flush()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("client %s: unexpected error, closing", self.client_id)
        finally:
            self.close()

    # ---- dispatch --------------------------------------------------------
    def _paced(self) -> bool:
        """Count one request; False (and error 100) if the client exceeds 50 messages per
        second (token bucket, :class:`app.sim.pacing.MessagePacer`). Messages before startApi are not paced (there are only two)."""
        if not self.ready or self.pacer.admit():
            return True
        self.send_error(-1, 100, "Max rate of messages per second has been exceeded:"
                                   f"max={MAX_MESSAGES_PER_SECOND} rec={self.pacer.received} (1)")
        if self.pacer.should_disconnect:
            log.warning("client %s: repeated pacing violations, disconnecting", self.client_id)
            self.flush()
            self.close()
        return False

    def check_history_pacing(self, key: tuple, contract_key: tuple) -> None:
        """Raise SimError 162 when a historical request breaks IB's pacing rules."""
        why = self.history_pacer.check(key, contract_key)
        if why is not None:
            raise SimError(162, why)

    def _refuse_version(self, lo: int, hi: int) -> None:
        """Refuse a client whose version range misses 157..178: one error message (IB code
        506 "Unsupported version", in the pre-handshake layout every client decodes:
        version 2, reqId -1, code, text) and the connection is closed. No version reply
        is sent, so no client believes it negotiated a version the gateway cannot encode
        (ibapi then reports the disconnect; ib_insync logs the error and disconnects)."""
        log.warning("client version range %d..%d unsupported", lo, hi)
        self.send(E.error(-1, 506, f"Unsupported version: the client offers server versions "
                                   f"{lo}..{hi}; this gateway speaks {MIN_SERVER_VERSION}.."
                                   f"{MAX_SERVER_VERSION}. Upgrade the API client (ib_async, "
                                   f"ib_insync 0.9.86, or an ibapi that offers 157 or above).", version=0))
        self.flush()

    def handle_payload(self, payload: bytes) -> None:
        fields = split_fields(payload)
        req_id = -1
        if not self._paced():
            return
        try:
            req = D.decode_request(fields, self.server_version)
            req_id = req.req_id
            log_fn = getattr(self.gw, "message_log", None)
            if log_fn is not None:
                try:
                    log_fn("<-", self.client_id, req.name, list(fields))
                except Exception:
                    log.exception("message_log failed")
            if not self.ready and req.msg_id != D.START_API:
                raise FieldError("startApi must be the first request", 320)
            handler = getattr(self, "on_" + req.name, None)
            if req.name == "unknown":
                self.send_error(-1, 505, f"Fatal Error: Unknown message id "
                                           f"{fields[0][:20] if fields else ''}")
            elif req.params.get("unsupported"):
                self.send_error(req.req_id, 321,
                                  f"Error validating request: {req.name} is not supported "
                                  "by the simulated gateway")
            elif req.params.get("ignored"):
                pass
            elif handler is None:
                self.send_error(req_id, 321, f"Error validating request: {req.name} "
                                               "is not supported by the simulated gateway")
            else:
                handler(req)
        except FieldError as e:
            self.send_error(req_id, e.code, f"Error reading request: {e.text}")
        except SimError as e:
            self.send_error(req_id, e.code, e.text)
        except Exception:  # a bug must cost one request, not the connection
            log.exception("client %s: request %r failed", self.client_id, fields[:3])
            self.send_error(req_id, 321, "Error validating request: internal error in the "
                                           "simulated gateway")

    def _resolve(self, spec: D.ContractSpec):
        """Contract of a request: by conId, else by symbol/secType/currency/exchange.
        Raises SimError(200) when unknown or ambiguous."""
        if spec.con_id:
            return self.ex.contract(spec.con_id)
        found = self._lookup(spec)
        if len(found) == 1:
            return found[0]
        if not found:
            raise SimError(200, "No security definition has been found for the request")
        raise SimError(200, f"The contract description specified for {spec.symbol} is "
                            "ambiguous")

    def _lookup(self, spec: D.ContractSpec):
        if spec.sec_type.upper() == "OPT" or (not spec.sec_type and spec.right):
            return self._option_lookup(spec)
        if spec.sec_type.upper() == "FUT":
            return self.ex.future_lookup(symbol=spec.symbol, expiry=spec.last_trade_date,
                                         local_symbol=spec.local_symbol, exchange=spec.exchange,
                                         currency=spec.currency, multiplier=spec.multiplier,
                                         trading_class=spec.trading_class)
        kw = dict(con_id=spec.con_id, symbol=spec.symbol, sec_type=spec.sec_type,
                  currency=spec.currency, local_symbol=spec.local_symbol)
        found = self.ex.lookup(exchange=spec.exchange, **kw)
        if not found and spec.exchange:
            found = self.ex.lookup(**kw)
        return found

    # ---- session -------------------------------------------------------
    def on_startApi(self, req: D.Request) -> None:
        if self.ready:
            return
        cid = req.params["clientId"]
        if not self.gw.register(self, cid):
            self.send_error(-1, 326, "Unable to connect as the client id is already in use. "
                                       "Retry with a unique client id.")
            self.flush()
            self.close()
            return
        self.client_id = cid
        self.ready = True
        self.send(E.managed_accounts(self.ex.account_id))
        self.send(E.next_valid_id(self.gw.next_valid_id(cid)))
        self.send_error(-1, 2104, "Market data farm connection is OK:usfarm")
        self.send_error(-1, 2106, "HMDS data farm connection is OK:ushmds")
        self.send_error(-1, 2158, "Sec-def data farm connection is OK:secdefnj")

    def on_reqIds(self, req) -> None:
        self.send(E.next_valid_id(self.gw.next_valid_id(self.client_id)))

    def on_reqCurrentTime(self, req) -> None:
        self.send(E.current_time(int(self.gw.clock())))

    def on_reqManagedAccts(self, req) -> None:
        self.send(E.managed_accounts(self.ex.account_id))

    def on_reqMarketDataType(self, req) -> None:
        t = req.params["marketDataType"]
        if t not in (1, 2, 3, 4):
            raise SimError(321, f"Error validating request: invalid market data type {t}")
        if t != self.market_data_type:
            for rid in self.mkt:    # IB announces the new type on every live subscription
                self.send(E.market_data_type(rid, t))
        self.market_data_type = t

    # ---- contracts & market data -------------------------------------
    def on_reqContractDetails(self, req) -> None:
        spec = req.contract
        found = [self.ex.contract(spec.con_id)] if spec.con_id else self._lookup(spec)
        if not found:
            raise SimError(200, "No security definition has been found for the request")
        for c in found:
            self.send(E.contract_details(req.req_id, c, version=self.server_version))
        self.send(E.contract_details_end(req.req_id))

    def on_reqMktData(self, req) -> None:
        c = self._resolve(req.contract)
        rid = req.req_id
        self.send(E.tick_req_params(rid, c.min_tick, "9c0001" if c.sec_type == "STK" else "", 3))
        self.send(E.market_data_type(rid, self.market_data_type))
        self.mkt[rid] = c.con_id
        self.mkt_last[rid] = {}
        self._send_ticks(rid, c.con_id)
        if req.params.get("snapshot") or req.params.get("regulatorySnapshot"):
            self.send(E.tick_snapshot_end(rid))
            self.mkt.pop(rid, None)
            self.mkt_last.pop(rid, None)

    def on_cancelMktData(self, req) -> None:
        self.mkt.pop(req.req_id, None)
        self.mkt_last.pop(req.req_id, None)

    def _tt(self, tick_type: int) -> int:
        """Tick type id for the client's market data type (delayed ids for 3/4)."""
        if self.market_data_type in (3, 4):
            return DELAYED_TICK.get(tick_type, tick_type)
        return tick_type

    def _send_ticks(self, rid: int, con_id: int) -> None:
        """The ticks of subscription ``rid`` whose value differs from what it was last sent."""
        ex = self.ex
        view = getattr(ex, "top_view", None)         # the live top of book, not a copy
        top = view(con_id) if view is not None else ex.top(con_id)
        last = self.mkt_last.get(rid)
        if last is None:
            last = self.mkt_last[rid] = {}
        fx = self._is_fx.get(con_id)
        if fx is None:
            fx = self._is_fx[con_id] = ex.contract(con_id).sec_type == "CASH"
        send, tt = self.send, self._tt
        for t, px, sz in ((E.BID, top.bid, top.bid_size), (E.ASK, top.ask, top.ask_size),
                          (E.LAST, top.last, top.last_size)):
            if px is None or (fx and t == E.LAST):
                continue
            if last.get(t) != px or last.get(-t - 1) != sz:
                send(E.tick_price(rid, tt(t), px, sz or 0.0))
                last[t] = px
                last[-t - 1] = sz
        for t, px in ((E.HIGH, top.high), (E.LOW, top.low), (E.CLOSE, top.close), (E.OPEN, top.open)):
            if px is not None and last.get(t) != px:
                send(E.tick_price(rid, tt(t), px, 0.0))
                last[t] = px
        if not fx and top.volume is not None and last.get(E.VOLUME) != top.volume:
            send(E.tick_size(rid, tt(E.VOLUME), top.volume))
            last[E.VOLUME] = top.volume
        if con_id >= OPTION_CON_ID_BASE and hasattr(ex, "option_computations"):
            self._send_option_ticks(rid, con_id, last)

    def send_market_updates(self, changed=None) -> None:
        """Conflated pass: changed ticks of each subscription, forming bars of keepUpToDate.

        ``changed`` (conIds whose top of book moved, as ``exchange.advance`` reports them):
        only the tick subscriptions of those instruments are looked at, and nothing else (the
        firehose pump's per-step pass); None = every subscription, bars and streams.
        Skipped while the client is not reading (socket backlog above 1 MB): the
        next pass sends the then-current values, so nothing piles up."""
        try:
            if self.writer.transport.get_write_buffer_size() > 1024 * 1024:
                return
        except (AttributeError, RuntimeError):
            return
        if changed is not None:
            by_con = self.mkt.by_con_id()
            for cid in changed:
                for rid in by_con.get(cid, ()):
                    self._send_ticks(rid, cid)
            return
        for rid, con_id in list(self.mkt.items()):
            self._send_ticks(rid, con_id)
        for rid, (con_id, bar_size, fmt, tz, what) in list(self.hist_live.items()):
            try:
                b = self.ex.live_bar(con_id, bar_size, what)
            except SimError:              # no bar yet (replayed seconds bars before the first print)
                continue
            key = (b.time, b.open, b.high, b.low, b.close, b.volume)
            if self.hist_last.get(rid) != key:
                self.hist_last[rid] = key
                self.send(E.historical_data_update(rid, self._bar_date(b.time, bar_size, fmt,
                                                                       tz), b))
        self.stream_updates()
        self.scanner_updates()

    @staticmethod
    def _bar_date(t: float, bar_size: str, fmt: int, tz: str) -> str:
        daily = bar_size.endswith(("day", "week", "month"))
        if daily:
            return E.ib_date(t, tz)
        if fmt == 2:
            return str(int(t))
        return E.ib_datetime(t, tz)

    def on_reqHistoricalData(self, req) -> None:
        p = req.params
        c = self._resolve(req.contract)
        bar_size = bar_size_key(p["barSizeSetting"])  # SimError 321 with TWS's list of legal ones
        if p["keepUpToDate"]:
            check_keep_up_to_date(bar_size)          # IB: 5 secs and more only
        if p["keepUpToDate"] and p["endDateTime"].strip():
            raise SimError(321, "Error validating request: end date/time must be empty "
                                "when keepUpToDate is set")
        try:
            end = E.parse_end_datetime(p["endDateTime"], c.time_zone_id)
        except (ValueError, KeyError) as e:
            raise SimError(321, f"Error validating request: bad endDateTime: {e}") from None
        if bar_size in SMALL_BAR_SECONDS:
            self.check_history_pacing(
                (c.con_id, p["endDateTime"], bar_size, p["durationStr"], p["whatToShow"],
                 p["useRTH"]), (c.con_id, c.exchange, p["whatToShow"]))
        bars = self.ex.history(c.con_id, end=end, duration=p["durationStr"], bar_size=bar_size,
                               what_to_show=p["whatToShow"] or "TRADES", use_rth=p["useRTH"])
        fmt = p["formatDate"]
        tz = c.time_zone_id
        rows = [(self._bar_date(b.time, bar_size, fmt, tz), b) for b in bars]
        end_t = end if end is not None else self.gw.clock()
        start_t = bars[0].time if bars else end_t
        self.send(E.historical_data(req.req_id, E.ib_datetime(start_t, tz)[:17],
                                    E.ib_datetime(end_t, tz)[:17], rows))
        if p["keepUpToDate"]:
            self.hist_live[req.req_id] = (c.con_id, bar_size, fmt, tz, p["whatToShow"] or "TRADES")

    def on_cancelHistoricalData(self, req) -> None:
        self.hist_live.pop(req.req_id, None)
        self.hist_last.pop(req.req_id, None)

    # ---- account -------------------------------------------------------------
    def on_reqAccountUpdates(self, req) -> None:
        acct = self.ex.account_id
        self.account_updates = req.params["subscribe"]
        if not self.account_updates:
            return
        for tag, value, cur in self.ex.account_values():
            self.send(E.account_value(tag, value, cur, acct))
        for p in self.ex.positions():
            self.send(E.portfolio_value(self.ex.contract(p.con_id), p))
        self.send(E.account_update_time(time.strftime("%H:%M", time.gmtime(self.gw.clock()))))
        self.send(E.account_download_end(acct))

    def on_reqAccountUpdatesMulti(self, req) -> None:
        acct = self.ex.account_id
        want = req.params["account"]
        if want and want not in (acct, "All"):
            raise SimError(321, f"Error validating request: unknown account {want!r}")
        for tag, value, cur in self.ex.account_values():
            self.send(E.account_update_multi(req.req_id, acct, req.params["modelCode"], tag,
                                             value, cur))
        self.send(E.account_update_multi_end(req.req_id))
        self.multi.add(req.req_id)

    def on_cancelAccountUpdatesMulti(self, req) -> None:
        self.multi.discard(req.req_id)

    def on_reqPositions(self, req) -> None:
        for p in self.ex.positions():
            self.send(E.position(p.account, self.ex.contract(p.con_id), p.position, p.avg_cost))
        self.send(E.position_end())
        self.positions_sub = True

    def on_cancelPositions(self, req) -> None:
        self.positions_sub = False

    def on_reqAccountSummary(self, req) -> None:
        group = req.params["groupName"].strip() or "All"
        tag_list = [t.strip() for t in req.params["tags"].split(",") if t.strip()]
        if hasattr(self.ex, "account_summary"):
            rows = self.ex.account_summary(group, tag_list)   # SimError for a bad group/tag
            self.summary[req.req_id] = (group, tag_list)
            for acct, tag, value, cur in rows:
                self.send(E.account_summary(req.req_id, acct, tag, value, cur))
            self.send(E.account_summary_end(req.req_id))
            return
        tags = set(tag_list)
        wanted = None if (not tags or "All" in tags or "$LEDGER" in tags
                          or "$LEDGER:ALL" in tags) else tags
        self.summary[req.req_id] = wanted
        self._send_summary(req.req_id, wanted, self.ex.account_values())
        self.send(E.account_summary_end(req.req_id))

    def _send_summary(self, rid, wanted, values) -> None:
        acct = self.ex.account_id
        for tag, value, cur in values:
            if wanted is None or tag in wanted:
                self.send(E.account_summary(rid, acct, tag, value, cur))

    def on_cancelAccountSummary(self, req) -> None:
        self.summary.pop(req.req_id, None)

    def on_portfolio(self, ev: PortfolioEvent) -> None:
        """Forward a portfolio/account change to this client's subscriptions."""
        acct = self.ex.account_id
        if self.account_updates:
            for p in ev.positions:
                self.send(E.portfolio_value(self.ex.contract(p.con_id), p))
            for tag, value, cur in ev.account_values:
                self.send(E.account_value(tag, value, cur, acct))
        if self.positions_sub:
            for p in ev.positions:
                self.send(E.position(p.account, self.ex.contract(p.con_id), p.position,
                                     p.avg_cost))
        for rid, wanted in list(self.summary.items()):
            if isinstance(wanted, tuple):     # facade subscription: resend changed rows
                group, tag_list = wanted
                changed = {tag for tag, _v, _c in ev.account_values}
                for acct, tag, value, cur in self.ex.account_summary(group, tag_list):
                    if tag.split(":")[0] in changed or tag in changed:
                        self.send(E.account_summary(rid, acct, tag, value, cur))
            else:
                self._send_summary(rid, wanted, ev.account_values)
        for rid in self.multi:
            for tag, value, cur in ev.account_values:
                self.send(E.account_update_multi(rid, acct, "", tag, value, cur))


#: The name the faults interface uses.
Connection = ClientConnection
