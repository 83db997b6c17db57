"""The API client session: one ``ib_async.IB`` on the running asyncio loop.

``Session`` connects to TWS / IB Gateway (or ibdesk's simulated gateway, same
socket protocol), translates ib_async events into ``app.domain`` objects and
re-emits them as ``eventkit.Event`` objects (handlers run on the loop thread).
Only the ``...Async`` methods of ib_async are used; never ``IB.run()`` or
``util.useQt()``: in the app the loop is a ``qasync.QEventLoop``.

Order records are keyed by (clientId, orderId) (IB: orderIds are unique per API
client) and, for orders without an API orderId (placed in TWS), by permId; after
a reconnect ib_async returns open orders as new ``Trade`` objects and the same
keys find the existing records (PROTOCOL.md, "Reconnect facts").
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timezone
from typing import Any

import numpy as np
from ib_async import IB
from ib_async.wrapper import RequestError

from app.broker import convert, fastread, openorder_fields, tradeslim
from app.broker.orderbook import OrderBook
from app.broker.reconcile import settle_unreported
from app.broker.quotes import QuoteBook
from app.broker.events import SessionEvents
from app.broker.session_account import SessionAccountMixin
from app.broker.session_link import LINK_CODES, SessionLinkMixin
from app.broker.session_pnl import SessionPnLMixin
from app.broker.session_ticks import SessionTicksMixin
from app.broker.session_news import SessionNewsMixin
from app.broker.session_scanner import SessionScannerMixin
from app.broker.session_symbols import SessionSymbolsMixin
from app.broker.session_options import SessionOptionsMixin
from app.broker.session_futures import pick_details
from app.broker.session_depth import SessionDepthMixin
from app.broker.session_orders import SessionOrdersMixin
from app.broker.errors import (
    HistoryError,
    NotConnectedError,
    UnknownSymbolError,
    describe_connect_error,
)
from app.domain import (
    BAR_SIZES,
    AccountValue,
    DONE_STATUSES,
    ConnectionState,
    Execution,
    Instrument,
    OrderStatus,
    Position,
    Quote,
)
from app.domain.bars import duration_problem, keeps_up_to_date, what_to_show

log = logging.getLogger("ibdesk.broker")

#: IB error codes seen while connecting that mean "this client id is taken"
CLIENT_ID_IN_USE = 326
#: IB "No security definition has been found for the request"
NO_SECURITY_DEFINITION = 200
#: bars converted per slice of ``Session.history`` (a few ms; the event loop runs between slices)
HISTORY_SLICE = 10_000

class Session(SessionLinkMixin, SessionOrdersMixin, SessionAccountMixin, SessionPnLMixin,
              SessionTicksMixin, SessionSymbolsMixin, SessionOptionsMixin, SessionDepthMixin,
              SessionScannerMixin, SessionNewsMixin, SessionEvents):
    """One API connection to TWS / IB Gateway (IB "client"), identified by
    ``host``, ``port`` and ``client_id`` (IB clientId).

    ``connect_timeout`` (seconds) bounds the socket handshake and each of
    ib_async's start-up requests (positions, open orders, account updates...),
    and every ``resolve``. Events (``eventkit.Event``; subscribe with
    ``session.quotesEvent += handler``):

    - ``stateEvent(state: ConnectionState, message: str)``
    - ``quotesEvent(quotes: list[Quote])`` one batch per socket read
    - ``orderEvent(order: OrderRecord)`` every change of any order
    - ``executionEvent(execution: Execution)`` new fill, again with commission
    - ``positionEvent(position: Position)`` updatePortfolio (0 = closed)
    - ``accountValueEvent(value: AccountValue)`` updateAccountValue
    - ``barEvent(sub_id: int, bar: Bar, new_bar: bool)`` keepUpToDate bars
    - ``errorEvent(req_id: int, code: int, message: str)`` every gateway error/warning
    """

    def __init__(self, host: str, port: int, client_id: int, *, connect_timeout: float = 10.0):
        self._host = host
        self._port = int(port)
        self._client_id = int(client_id)
        self._connect_timeout = float(connect_timeout)

        self._init_events()

        self._state = ConnectionState.DISCONNECTED
        self._closing = False
        self._connect_task: asyncio.Task | None = None
        self._connect_failure: asyncio.Future | None = None
        self._server_version = 0
        self._accounts: list[str] = []
        self._connection_time = ""
        self._data_stale = False
        self._synced: set = set()
        self._stale_reasons: dict[str, str] = {}     # cause -> text, oldest first
        self._lost_reason = ""                        # why the link was dropped on purpose
        self._ref_tag = secrets.token_hex(3)          # orderRef tag of this Session's orders
        self._refs: dict[str, tuple] = {}             # orderRef -> (clientId, orderId)

        self._instruments: dict[int, Instrument] = {}          # conId -> resolved instrument
        self._histories: dict[int, Any] = {}                  # sub_id (reqId) -> BarDataList

        self._book = OrderBook(self._instrument_of)
        self._in_flight: dict[int, str] = {}     # own orderId -> "modify" / "cancel" sent, unanswered
        self._stale: set[int] = set()            # own orderIds not reported again after a reconnect
        self._executions: dict[str, Execution] = {}
        self._positions: dict[tuple[str, str], Position] = {}
        self._account_values: dict[tuple[str, str, str], AccountValue] = {}

        self.ib = IB()
        fastread.install(self.ib.client)     # linear-time socket reads (app/broker/fastread.py)
        tradeslim.install(self.ib, lambda: self._client_id)  # other clients' orders: ~2 KB, not 10
        openorder_fields.install(self.ib)   # a trailing stop's moves (trailStopPrice) reach the record
        self._quotes = QuoteBook(
            lambda inst: self.ib.reqMktData(convert.instrument_to_contract(inst),
                                            convert.generic_ticks(inst), False, False),
            lambda ticker: self.ib.cancelMktData(ticker.contract))
        self.ib.RaiseRequestErrors = True
        self.ib.disconnectedEvent += self._on_disconnected
        self.ib.errorEvent += self._on_error
        self.ib.client.apiError += self._on_api_error
        self.ib.client.conn.disconnected += self._on_socket_closed
        self.ib.pendingTickersEvent += self._on_pending_tickers
        self.ib.barUpdateEvent += self._on_bar_update
        for ev in (self.ib.newOrderEvent, self.ib.orderModifyEvent, self.ib.cancelOrderEvent,
                   self.ib.openOrderEvent, self.ib.orderStatusEvent):
            ev += self._on_trade
        for ev in (self.ib.openOrderEvent, self.ib.orderStatusEvent):
            ev += self._on_gateway_order
        self.ib.execDetailsEvent += self._on_exec_details
        self.ib.commissionReportEvent += self._on_commission
        self.ib.updatePortfolioEvent += self._on_portfolio
        self.ib.accountValueEvent += self._on_account_value
        self._init_pnl()

    # ------------------------------------------------------------ properties

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def is_connected(self) -> bool:
        """True when the API connection is up and synchronized (ib_async ``isConnected``)."""
        return self._state is ConnectionState.CONNECTED and self.ib.isConnected()

    @property
    def server_version(self) -> int:
        """The negotiated TWS API server version (0 when not connected)."""
        return self._server_version

    @property
    def accounts(self) -> list[str]:
        """Managed accounts (IB managedAccounts message)."""
        return list(self._accounts)

    @property
    def account_id(self) -> str:
        """The first managed account ("" before connecting)."""
        return self._accounts[0] if self._accounts else ""

    @property
    def client_id(self) -> int:
        return self._client_id

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def connection_time(self) -> str:
        """When the API connection was established, IB style "YYYYMMDD HH:MM:SS UTC"
        (local clock; ib_async does not keep the gateway's own handshake time)."""
        return self._connection_time

    @property
    def data_stale(self) -> bool:
        """True while quotes, bars and account values may be out of date (see
        ``staleEvent``): from a lost link or IB 1100 until the link is live again."""
        return self._data_stale

    def set_endpoint(self, host: str, port: int, client_id: int) -> None:
        """Use another TWS / IB Gateway (``host``, ``port``) or client id for the next
        ``connect``. Raises ``RuntimeError`` while connected or connecting (disconnect
        first), ``ValueError`` for a port outside 1..65535 or a negative client id."""
        if self._state in (ConnectionState.CONNECTED, ConnectionState.CONNECTING):
            raise RuntimeError("Disconnect before changing the host, port or client id")
        port, client_id = int(port), int(client_id)
        if not 1 <= port <= 65535:
            raise ValueError(f"port must be between 1 and 65535, got {port}")
        if client_id < 0:
            raise ValueError(f"client id must be 0 or more, got {client_id}")
        self._host, self._port, self._client_id = str(host).strip(), port, client_id

    # ------------------------------------------------------------ connection

    def _set_state(self, state: ConnectionState, message: str) -> None:
        self._state = state
        log.info("session %s: %s", state.value, message)
        self.stateEvent.emit(state, message)

    def _endpoint(self) -> str:
        return f"{self._host}:{self._port}"

    async def connect(self) -> None:
        """Connect, wait for ib_async's start-up synchronization, then re-request
        the quote subscriptions kept from before (after a lost connection).

        Emits CONNECTING then CONNECTED, or FAILED and raises ``ConnectionError``
        with a readable reason: connection refused, no answer within
        ``connect_timeout``, client id already in use (IB error 326), peer closed.
        A no-op when already connected; raises ``ConnectionError`` when a connect
        is already in progress. Source: ib_async ``IB.connectAsync``.
        """
        if self.is_connected:
            return
        if self._state is ConnectionState.CONNECTING:
            raise ConnectionError(f"Already connecting to {self._endpoint()}")
        self._closing = False
        self._set_state(ConnectionState.CONNECTING,
                        f"Connecting to {self._endpoint()} as client id {self._client_id}")
        await self._wait_socket_closed()
        unsettled = {(r.client_id, r.order_id): r for r in self._book.records()
                     if r.client_id == self._client_id and r.order_id > 0
                     and r.status not in DONE_STATUSES}
        self._synced = set()            # position / account value keys this connection reported
        loop = asyncio.get_running_loop()
        self._connect_failure = loop.create_future()
        self._connect_task = asyncio.ensure_future(self.ib.connectAsync(
            self._host, self._port, self._client_id, timeout=self._connect_timeout))
        failure = self._connect_failure
        try:
            done, _ = await asyncio.wait({self._connect_task, failure},
                                         return_when=asyncio.FIRST_COMPLETED)
            if self._connect_task not in done:
                self._connect_task.cancel()
                try:
                    await self._connect_task
                except BaseException:
                    pass
                raise ConnectionError(failure.result())
            self._connect_task.result()   # re-raise the connect error, if any
            if failure.done() and not self.ib.isConnected():
                raise ConnectionError(failure.result())
        except asyncio.CancelledError:
            self._fail_quietly()
            self._set_state(ConnectionState.FAILED, "Connect cancelled")
            raise
        except BaseException as e:  # noqa: BLE001 - every failure becomes a ConnectionError
            told = failure.result() if failure.done() and not failure.cancelled() else ""
            msg = describe_connect_error(e, self._endpoint(), self._connect_timeout, told)
            self._fail_quietly()
            self._set_state(ConnectionState.FAILED, msg)
            raise ConnectionError(msg) from e
        finally:
            self._connect_failure = None
            if not failure.done():
                failure.cancel()
        self._server_version = self.ib.client.serverVersion()
        self._accounts = list(self.ib.managedAccounts())
        self._connection_time = datetime.now(timezone.utc).strftime("%Y%m%d %H:%M:%S UTC")
        self._seed_from_ib()
        await self._load_all_open_orders()
        self._settle_orders(unsettled)
        self._resync_order_ids()
        if not self.ib.isConnected():
            msg = f"{self._endpoint()} closed the connection right after connecting"
            self._set_state(ConnectionState.FAILED, msg)
            raise ConnectionError(msg)
        self._lost_reason = ""
        self._stale_reasons.clear()   # a fresh connection: the gateway reports farms anew
        self._set_state(ConnectionState.CONNECTED,
                        f"Connected to {self._endpoint()} (server version {self._server_version}, "
                        f"account {self.account_id or '?'}, client id {self._client_id})")
        self._quotes.resubscribe()
        self._mark_stale("link", None)
        self._confirm_account()
        self._subscribe_pnl()

    async def _wait_socket_closed(self) -> None:
        """Let the socket of a previous connection finish closing (its close
        notice must not be taken for the new connection's)."""
        conn = self.ib.client.conn
        if conn.transport is None:
            return
        conn.disconnect()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2.0
        while conn.transport is not None and loop.time() < deadline:
            await asyncio.sleep(0.005)   # connection_lost runs on a later loop iteration
        if conn.transport is not None:
            conn.reset()

    async def _load_all_open_orders(self) -> None:
        """Open orders of every client (IB reqAllOpenOrders), so the blotter shows
        them too; ib_async's own start-up sync asks only for this client's."""
        try:
            trades = await asyncio.wait_for(self.ib.reqAllOpenOrdersAsync(), self._connect_timeout)
        except (asyncio.TimeoutError, TimeoutError, ConnectionError, RequestError) as e:
            log.warning("reqAllOpenOrders failed: %r", e)
            return
        for trade in trades:
            self._on_trade(trade)

    def _settle_orders(self, unsettled: dict) -> None:
        """Resolve this client's orders that were unsettled before the connect and that
        the gateway reported neither open nor completed (``app.broker.reconcile``):
        Not sent, Unknown or Filled; their unknown fate ends here, and the unanswered
        modify/cancel marks of every order are forgotten (the gateway's reports are
        the answer). Unknown orders are listed in ``stale_order_ids``."""
        reported = set()
        for t in self.ib.trades():
            o = t.order
            reported.add(self._book.key_for(int(o.clientId or 0), int(o.orderId or 0),
                                            int(o.permId or 0)))
        self._in_flight.clear()
        self._stale.clear()
        for s in settle_unreported(unsettled, reported, self._executions.values()):
            rec = self._book.settle(s.key, s.status, s.message)
            log.warning("order %s of client id %s settled as %s after the reconnect: %s",
                        s.key[1], s.key[0], s.status.value, s.message)
            if s.status is OrderStatus.UNKNOWN:
                self._stale.add(int(s.key[1]))
            if rec is not None:
                self.orderEvent.emit(rec)

    def _resync_order_ids(self) -> None:
        """Keep new orderIds above every orderId this session has seen (ib_async resets
        its id sequence on disconnect and re-syncs it from nextValidId on connect:
        ``Client.reset`` / ``updateReqId``; the floor guards against a gateway whose
        nextValidId is lower)."""
        own = [r.order_id for r in self._book.records() if r.client_id == self._client_id]
        if own:
            self.ib.client.updateReqId(max(own) + 1)

    def _fail_quietly(self) -> None:
        self._closing = True
        try:
            self.ib.disconnect()
        except Exception:  # noqa: BLE001
            pass
        self._closing = False

    def _on_api_error(self, msg: str) -> None:
        fut = self._connect_failure
        if fut is None or fut.done():
            return
        if "already in use" in msg:
            fut.set_result(f"{self._endpoint()} closed the connection: client id {self._client_id} "
                           "is probably already in use (IB error 326); choose another client id")
        elif "Peer closed" in msg:
            fut.set_result(f"{self._endpoint()} closed the connection during the handshake")

    def _on_socket_closed(self, msg: str = "") -> None:
        fut = self._connect_failure
        if fut is not None and not fut.done() and not self._closing:
            # the gateway hung up before the API was ready (ib_async only reports this
            # after the version handshake, as "clientId already in use?")
            fut.set_result(f"{self._endpoint()} closed the connection during the API handshake"
                           + (f" ({msg})" if msg else "")
                           + f"; client id {self._client_id} may already be in use (IB error 326)")

    def disconnect(self) -> None:
        """Close the connection (stateEvent DISCONNECTED). Safe to call at any time;
        cancels a connect in progress. Live bar subscriptions end; quote
        subscriptions are kept and re-requested by the next ``connect``."""
        self._closing = True
        if self._connect_task is not None and not self._connect_task.done():
            self._connect_task.cancel()
        was = self._state
        try:
            self.ib.disconnect()
        finally:
            self._drop_live_state()
        if self._state is not ConnectionState.DISCONNECTED and was is not ConnectionState.DISCONNECTED:
            self._set_state(ConnectionState.DISCONNECTED, f"Disconnected from {self._endpoint()}")
        self._mark_stale("link", f"Disconnected from {self._endpoint()}")

    def _drop_live_state(self) -> None:
        self._quotes.drop_tickers()
        self._histories.clear()

    def _on_disconnected(self) -> None:
        self._drop_live_state()
        if self._state is ConnectionState.CONNECTING:
            return  # connect() reports FAILED
        if self._closing:
            self._set_state(ConnectionState.DISCONNECTED, f"Disconnected from {self._endpoint()}")
        elif self._state is ConnectionState.CONNECTED:
            why = self._lost_reason or "TWS / IB Gateway closed the socket"
            msg = f"Connection to {self._endpoint()} lost: {why} (orders at IB keep working)"
            self._mark_stale("link", msg)
            self._set_state(ConnectionState.LOST, msg)

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        if code == CLIENT_ID_IN_USE and self._connect_failure is not None \
                and not self._connect_failure.done():
            self._connect_failure.set_result(
                f"Client id {self._client_id} is already in use at {self._endpoint()} "
                f"(IB error 326: {message})")
        if req_id <= 0 and code in LINK_CODES:
            self._on_link_message(code, message)
        if req_id > 0:
            self._in_flight.pop(req_id, None)   # the gateway answered a modify/cancel with an error
            rec = self._book.set_message(self._client_id, req_id, f"{code}: {message}")
            if rec is not None:
                self.orderEvent.emit(rec)
        self.errorEvent.emit(req_id, code, message)

    def _require_connected(self, what: str) -> None:
        if not self.is_connected:
            raise NotConnectedError(f"Cannot {what}: not connected to {self._endpoint()}")

    def _seed_from_ib(self) -> None:
        """Take over what ib_async gathered during its start-up sync (fills from
        reqExecutions are not emitted as live events by ib_async)."""
        for trade in self.ib.trades():
            self._on_trade(trade)
        for fill in self.ib.fills():   # the day's fills (reqExecutions): the Executions tab
            ex = convert.fill_to_execution(fill, self._instrument_of(fill.contract))
            if self._store_execution(ex):
                self.executionEvent.emit(self._executions[ex.exec_id])
        for item in self.ib.portfolio():
            self._on_portfolio(item)

    # ------------------------------------------------------------ instruments

    def _instrument_of(self, contract: Any) -> Instrument:
        cid = int(getattr(contract, "conId", 0) or 0)
        if cid and cid in self._instruments:
            return self._instruments[cid]
        return convert.contract_to_instrument(contract)

    async def resolve(self, symbol_or_instrument: str | Instrument) -> Instrument:
        """Resolve text ("AAPL", "EUR.USD", "ESZ6", "/ES") or an instrument with IB reqContractDetails.

        Returns the Instrument with con_id, min_tick, exchange, primary_exchange,
        long_name and local_symbol filled; a front-month future ("/ES") resolves to the listed
        month with the nearest last trade date not yet past (UTC date). Raises ``ValueError`` for text that
        ``Instrument.parse`` rejects, ``UnknownSymbolError`` (a ``LookupError``)
        with IB's text on error 200 or when no contract comes back,
        ``NotConnectedError`` when not connected.
        Source: ib_async ``IB.reqContractDetailsAsync``.
        """
        inst = (Instrument.parse(symbol_or_instrument) if isinstance(symbol_or_instrument, str)
                else symbol_or_instrument)
        self._require_connected(f"look up {inst.display_symbol}")
        contract = convert.instrument_to_contract(inst)
        try:
            details = await asyncio.wait_for(self.ib.reqContractDetailsAsync(contract),
                                             self._connect_timeout)
        except RequestError as e:
            raise UnknownSymbolError(inst.display_symbol, e.message, e.code) from e
        except (asyncio.TimeoutError, TimeoutError) as e:
            raise UnknownSymbolError(inst.display_symbol,
                                     f"no contract details within {self._connect_timeout:g} s", 0) from e
        except ConnectionError as e:
            raise UnknownSymbolError(inst.display_symbol, f"connection lost ({e})", 0) from e
        if not details:
            raise UnknownSymbolError(inst.display_symbol,
                                     "No security definition has been found for the request",
                                     NO_SECURITY_DEFINITION)
        best = pick_details(inst, details, datetime.now(timezone.utc).date())
        if best is None:
            raise UnknownSymbolError(inst.display_symbol, "every listed contract month has expired",
                                     NO_SECURITY_DEFINITION)
        resolved = convert.details_to_instrument(best)
        if inst.exchange and resolved.exchange != inst.exchange and inst.sec_type == "STK":
            # IB answers SMART requests with SMART; keep what the trader routes to
            from dataclasses import replace
            resolved = replace(resolved, exchange=inst.exchange)
        self._instruments[resolved.con_id] = resolved
        return resolved

    # ------------------------------------------------------------ quotes

    def subscribe_quotes(self, instrument: Instrument) -> None:
        """Start streaming quotes (IB reqMktData) for ``instrument``; quotes arrive on
        ``quotesEvent`` keyed by ``instrument.key``. Subscriptions are counted: each
        call needs one ``unsubscribe_quotes``. When not connected, the request is sent
        on the next ``connect`` (also after a lost connection)."""
        if instrument.con_id:
            self._instruments.setdefault(instrument.con_id, instrument)
        self._quotes.add(instrument, live=self.is_connected)

    def unsubscribe_quotes(self, instrument: Instrument) -> None:
        """Drop one subscription; the last one sends IB cancelMktData. Unknown: no-op."""
        self._quotes.remove(instrument, live=self.ib.isConnected())

    def quote(self, key: str) -> Quote | None:
        """The latest quote for an instrument key (conId as str), or None."""
        return self._quotes.quote(key)

    def _on_pending_tickers(self, tickers: Any) -> None:
        batch = self._quotes.on_tickers(tickers)
        if batch:
            self.quotesEvent.emit(batch)

    # ------------------------------------------------------------ history

    async def history(self, instrument: Instrument, bar_size: str, duration: str | None = None,
                      keep_up_to_date: bool = True, end: datetime | None = None):
        """Historical bars (IB reqHistoricalData, formatDate=2 so times are UTC).

        ``bar_size`` is one of ``app.domain.BAR_SIZES`` (IB's list, "1 secs" .. "1 month");
        ``duration`` an IB duration ("2 D"), default per bar size; a pair TWS refuses (IB's
        step sizes, ``app.domain.bars.duration_problem``) raises ``HistoryError`` with TWS's
        code and text before anything is sent; ``keep_up_to_date`` needs 5 secs or more
        (``ValueError``). TRADES for stocks, MIDPOINT for FX
        (``app.domain.bars.what_to_show``); all hours (useRTH=0). Returns
        ``(sub_id, DataFrame)`` with ``app.domain.bars`` columns. With
        ``keep_up_to_date`` the live bar arrives on ``barEvent(sub_id, bar, new_bar)``
        until ``cancel_history(sub_id)``. ``end`` (UTC datetime, IB endDateTime)
        asks for the bars before it (older history); it needs ``keep_up_to_date``
        False (IB rule: keepUpToDate requires an empty endDateTime), else
        ``ValueError``. Raises ``ValueError`` for an unknown bar
        size, ``HistoryError`` with IB's message (e.g. 162) or on a lost connection.
        Source: ib_async ``IB.reqHistoricalDataAsync``.
        """
        if bar_size not in BAR_SIZES:
            raise ValueError(f"Unsupported bar size {bar_size!r}; use one of {', '.join(BAR_SIZES)}")
        if end is not None and keep_up_to_date:
            raise ValueError("history with an end time cannot keep up to date (IB keepUpToDate needs no endDateTime)")
        if keep_up_to_date and not keeps_up_to_date(bar_size):
            raise ValueError(f"IB keeps only bars of 5 secs or more up to date, not {bar_size!r}")
        duration = duration or BAR_SIZES[bar_size][1]
        problem = duration_problem(bar_size, duration)  # what TWS would refuse, refused before sending
        if problem is not None:
            raise HistoryError(f"No {bar_size} history for {instrument.display_symbol} over {duration}: "
                               f"{problem[1]} (IB error {problem[0]})", problem[0])
        self._require_connected(f"load {bar_size} bars of {instrument.display_symbol}")
        what = what_to_show(instrument.sec_type)
        contract = convert.instrument_to_contract(instrument)
        try:
            bars = await self.ib.reqHistoricalDataAsync(
                contract, "" if end is None else end, duration, bar_size, what, False, formatDate=2,
                keepUpToDate=keep_up_to_date, timeout=60)
        except RequestError as e:
            raise HistoryError(f"No {bar_size} history for {instrument.display_symbol}: "
                               f"{e.message} (IB error {e.code})", e.code) from e
        except ConnectionError as e:
            raise HistoryError(f"No {bar_size} history for {instrument.display_symbol}: "
                               f"connection lost ({e})") from e
        sub_id = int(bars.reqId)
        if keep_up_to_date:
            self._histories[sub_id] = bars
        return sub_id, await self._bar_table(bars, keep_last=keep_up_to_date)

    async def _bar_table(self, bars: Any, keep_last: bool):
        """The bar table of a ``BarDataList``, converted :data:`HISTORY_SLICE` bars at a time
        with the event loop running between slices (1M bars: ~100 slices of a few ms, no stall;
        ib_async's own decoding of the message is one callback before this and is not ours).
        Bars ib_async appends meanwhile (keepUpToDate) are converted too. Afterwards the list
        keeps only its last bar when ``keep_last`` (ib_async compares live updates with
        ``bars[-1]``; ``_on_bar_update`` reads it), else nothing: the bars are then held once,
        in the returned table's arrays."""
        cap = len(bars)
        times, ohlcv = np.empty(cap, dtype=np.int64), np.empty((5, cap), dtype=np.float64)
        done = 0
        while done < len(bars):
            if len(bars) > cap:             # live bars appended while converting
                cap = len(bars)
                times = np.concatenate([times[:done], np.empty(cap - done, dtype=np.int64)])
                ohlcv = np.concatenate([ohlcv[:, :done], np.empty((5, cap - done))], axis=1)
            stop = min(len(bars), done + HISTORY_SLICE)
            convert.bar_columns(bars, done, stop, times, ohlcv)
            if stop < len(bars):            # free the converted BarData now, a slice at a time
                bars[done:stop] = [None] * (stop - done)  # (1M at once: a ~100 ms stall)
            done = stop
            if done < len(bars):
                await asyncio.sleep(0)
        del bars[:-1 if keep_last else len(bars)]
        return convert.columns_to_frame(times[:done], ohlcv[:, :done]) if done else convert.empty_bars()

    def cancel_history(self, sub_id: int) -> None:
        """End a keepUpToDate subscription (IB cancelHistoricalData); unknown ids: no-op."""
        bars = self._histories.pop(sub_id, None)
        if bars is not None and self.ib.isConnected():
            self.ib.cancelHistoricalData(bars)

    def _on_bar_update(self, bars: Any, has_new_bar: bool) -> None:
        sub_id = getattr(bars, "reqId", None)
        if sub_id not in self._histories or not bars:
            return
        if len(bars) > 1:                   # a new live bar: the older ones are the chart's now
            del bars[:-1]
        self.barEvent.emit(sub_id, convert.bar_to_domain(bars[-1]), bool(has_new_bar))


__all__ = ["Session"]
