"""Types shared by the simulated gateway's wire side and exchange side.

Times are POSIX seconds (UTC) as floats; prices in the instrument currency;
quantities in shares (FX: base-currency units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class SimError(Exception):
    """A request the gateway refuses, with IB's error code and text.

    The wire side sends it as an error message (msg id 4) for the request's
    reqId/orderId. Codes follow IB ("Message Codes" in the IB API docs), e.g.
    103 duplicate order id, 200 no security definition, 162 historical data
    error, 10147 order to cancel not found, 201 order rejected.
    """

    def __init__(self, code: int, text: str):
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


@dataclass(frozen=True, slots=True)
class SimContract:
    """Static definition of an instrument the gateway knows (IB ContractDetails fields)."""

    con_id: int
    symbol: str
    sec_type: str            # "STK" or "CASH"
    exchange: str            # "SMART" (stocks) or "IDEALPRO" (FX)
    primary_exchange: str    # "NASDAQ", "NYSE", "ARCA"; "" for FX
    currency: str
    local_symbol: str        # "AAPL", "EUR.USD"
    trading_class: str       # "NMS", "EUR.USD"
    min_tick: float          # 0.01 stocks, 0.00005 EUR.USD, 0.005 USD.JPY
    long_name: str
    industry: str = ""
    category: str = ""
    subcategory: str = ""
    time_zone_id: str = "US/Eastern"
    trading_hours: str = ""  # IB format "20260123:0400-20260123:2000;..."
    liquid_hours: str = ""
    valid_exchanges: str = "SMART"
    order_types: str = "LMT,MKT,STP,STP LMT,TRAIL,MOC,LOC,MIT,LIT"
    market_rule_ids: str = "26"
    price_magnifier: int = 1
    md_size_multiplier: int = 1
    stock_type: str = "COMMON"
    # options (issue 18); empty / 0 for stocks and FX
    last_trade_date: str = ""  # lastTradeDateOrContractMonth "20261218"
    strike: float = 0.0
    right: str = ""            # "C" | "P"
    multiplier: str = ""       # "100"
    under_con_id: int = 0
    under_symbol: str = ""
    under_sec_type: str = ""
    # futures (issue 18): contractMonth "202612" and the last trading time "08:30" (time zone
    # = time_zone_id) of the last trading day ``last_trade_date``
    contract_month: str = ""
    last_trade_time: str = ""

    @property
    def mult(self) -> float:
        """The contract multiplier as a number (1 when unset: stocks, FX)."""
        return float(self.multiplier) if self.multiplier else 1.0


@dataclass(slots=True)
class TopOfBook:
    """Current top of book and day statistics of one instrument (None = not yet known)."""

    bid: float
    ask: float
    last: float
    bid_size: float
    ask_size: float
    last_size: float
    volume: float            # day volume, shares
    high: float              # day high
    low: float               # day low
    open: float              # day open
    close: float             # previous session close
    time: float              # POSIX seconds of the last change


@dataclass(frozen=True, slots=True)
class SimBar:
    """One bar: ``time`` = POSIX seconds of the bar start (UTC)."""

    time: float
    open: float
    high: float
    low: float
    close: float
    volume: float
    wap: float
    count: int


@dataclass(slots=True)
class OrderTicket:
    """What a placeOrder message asked for (the fields the exchange acts on).

    ``lmt_price`` / ``aux_price`` are None when the client left them unset.
    ``raw`` keeps every parsed placeOrder field by ib_async ``Order`` attribute
    name, so the wire side can echo them back in openOrder.
    """

    action: str              # "BUY" | "SELL"
    total_qty: float
    order_type: str          # "MKT" | "LMT" | "STP" | "STP LMT"
    lmt_price: float | None = None
    aux_price: float | None = None
    tif: str = "DAY"         # "DAY" | "GTC" ("" from a client means DAY)
    outside_rth: bool = False
    account: str = ""
    order_ref: str = ""
    transmit: bool = True
    parent_id: int = 0
    oca_group: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    # added for issue 3 (IB Order attribute names in comments)
    trailing_percent: float | None = None   # trailingPercent (TRAIL / TRAIL LIMIT by percent)
    trail_stop_price: float | None = None   # trailStopPrice: initial stop of a TRAIL order
    lmt_price_offset: float | None = None   # lmtPriceOffset: TRAIL LIMIT limit = stop - offset (BUY: + offset)
    good_till_date: str = ""                # goodTillDate "YYYYMMDD HH:MM:SS [tz]" (GTD)
    oca_type: int = 0                       # ocaType 1 cancel w/ block, 2 reduce w/ block, 3 reduce non-block
    what_if: bool = False                   # whatIf: margin/commission preview, no order


@dataclass(slots=True)
class SimOrder:
    """An order as the gateway holds it; mutable, owned by the exchange side."""

    order_id: int
    client_id: int
    perm_id: int
    con_id: int
    ticket: OrderTicket
    status: str = "PendingSubmit"   # IB status names
    filled: float = 0.0
    remaining: float = 0.0
    avg_fill_price: float = 0.0
    last_fill_price: float = 0.0
    why_held: str = ""
    created: float = 0.0            # POSIX seconds
    triggered: bool = False         # STP / STP LMT: stop has been hit
    # added for issue 3
    trail_stop: float = 0.0         # TRAIL / TRAIL LIMIT: current stop price (moves with the market)
    held: bool = False              # transmit=False: stored, not worked, until a transmitting order of its group
    bound: bool = False             # a TWS manual order bound to API client 0 (negative orderId)

    @property
    def is_working(self) -> bool:
        return self.status in ("PendingSubmit", "PreSubmitted", "Submitted", "PendingCancel")


@dataclass(frozen=True, slots=True)
class SimFill:
    """One execution with its commission (IB execDetails + commissionReport)."""

    exec_id: str             # e.g. "0000e0d5.6552f1a3.01.01"
    time: float              # POSIX seconds
    order_id: int
    client_id: int
    perm_id: int
    con_id: int
    side: str                # "BOT" | "SLD"
    shares: float
    price: float
    cum_qty: float
    avg_price: float
    account: str
    commission: float
    commission_currency: str
    realized_pnl: float      # for the closing part of the fill, else 0.0
    order_ref: str = ""


@dataclass(frozen=True, slots=True)
class PositionSnapshot:
    """One portfolio line (IB position + updatePortfolio)."""

    account: str
    con_id: int
    position: float
    avg_cost: float          # per share, including commissions (IB convention)
    market_price: float
    market_value: float
    unrealized_pnl: float
    realized_pnl: float


# Events the exchange emits to its listeners (the wire side fans them out).

@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An order changed state (send openOrder + orderStatus to the owning client
    and to clients that asked for all orders)."""

    order: SimOrder


@dataclass(frozen=True, slots=True)
class FillEvent:
    """A fill happened (send execDetails, then commissionReport)."""

    fill: SimFill


@dataclass(frozen=True, slots=True)
class PortfolioEvent:
    """Positions and/or account values changed (send position/updatePortfolio/
    updateAccountValue to subscribed clients)."""

    positions: tuple[PositionSnapshot, ...]
    account_values: tuple[tuple[str, str, str], ...]   # (tag, value, currency)


@dataclass(frozen=True, slots=True)
class OrderErrorEvent:
    """An asynchronous error or warning about one order (error msg, id 4)."""

    client_id: int
    order_id: int
    code: int
    text: str


# ---------------------------------------------------------------- issue 3 additions

@dataclass(frozen=True, slots=True)
class SimTrade:
    """One trade print (IB tick-by-tick Last/AllLast, historical ticks TRADES).

    ``time`` POSIX seconds UTC; ``price`` instrument currency; ``size`` shares;
    ``exchange`` the printing venue ("NASDAQ", "IDEALPRO"...); ``special_conditions``
    IB's condition codes ("" regular, "T" extended-hours trade, "O" opening print,
    "6" closing print).
    """

    time: float
    price: float
    size: float
    exchange: str = ""
    special_conditions: str = ""


@dataclass(frozen=True, slots=True)
class SimQuoteTick:
    """One top-of-book change (IB tick-by-tick BidAsk/MidPoint, historical ticks BID_ASK/MIDPOINT).

    ``time`` POSIX seconds UTC; prices instrument currency; sizes shares. For
    MIDPOINT ticks ``bid == ask == midpoint`` and sizes are 0.
    """

    time: float
    bid: float
    ask: float
    bid_size: float
    ask_size: float

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0


@dataclass(frozen=True, slots=True)
class SimOrderState:
    """What IB fills into OrderState for a whatIf order (all money in USD, as strings in IB's
    message but floats here; ``None`` = unknown, sent as IB's unset marker).

    Margins are the account's initial/maintenance margin and equity with loan value
    before the order, the change it causes and the total after it (IB "What-If" docs).
    ``commission`` / ``min_commission`` / ``max_commission`` are the estimated commission of
    the order in ``commission_currency``. ``status`` is "PreSubmitted" as TWS reports it.
    """

    status: str
    init_margin_before: float
    maint_margin_before: float
    equity_with_loan_before: float
    init_margin_change: float
    maint_margin_change: float
    equity_with_loan_change: float
    init_margin_after: float
    maint_margin_after: float
    equity_with_loan_after: float
    commission: float
    min_commission: float
    max_commission: float
    commission_currency: str = "USD"
    warning_text: str = ""
