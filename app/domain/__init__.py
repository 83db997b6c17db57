"""Plain domain types and pure functions shared by every layer.

Imports neither Qt nor ib_async. Prices are in the instrument's currency,
quantities in shares (stocks) or base-currency units (FX), times are
timezone-aware UTC ``datetime`` objects unless a name says otherwise.
"""

from app.domain.account import AccountKind, AccountPnL, AccountValue, Position, PositionPnL, account_kind, live_position
from app.domain.bars import BAR_SIZES, BAR_COLUMNS, Bar, bar_size_seconds, empty_bars
from app.domain.connection import ConnectionState
from app.domain.instruments import Instrument
from app.domain.market import Quote, TradePrint
from app.domain.options import GreeksTotal, OptionChain, OptionGreeks, greeks_totals, pair_by_strike
from app.domain.symbols import SymbolMatch
from app.domain.orders import (
    DONE_STATUSES,
    WORKING_STATUSES,
    Action,
    Execution,
    OrderRecord,
    OrderRequest,
    OrderStatus,
    OrderType,
    TimeInForce,
    OrderValidationError,
    WhatIf,
    round_to_tick,
    validate_order_request,
)

__all__ = [
    "AccountKind", "AccountPnL", "AccountValue", "Position", "PositionPnL", "account_kind", "live_position",
    "BAR_SIZES", "BAR_COLUMNS", "Bar", "bar_size_seconds", "empty_bars",
    "ConnectionState", "Instrument", "Quote", "TradePrint", "SymbolMatch",
    "GreeksTotal", "OptionChain", "OptionGreeks", "greeks_totals", "pair_by_strike",
    "DONE_STATUSES", "WORKING_STATUSES", "Action", "Execution", "OrderRecord",
    "OrderRequest", "OrderStatus", "OrderType", "TimeInForce", "OrderValidationError", "WhatIf",
    "round_to_tick", "validate_order_request",
]
