"""The API client layer: ``Session`` (one ib_async connection to TWS / IB Gateway)
and its errors. Translates ib_async objects into ``app.domain`` types; no Qt here."""

from app.broker.errors import HistoryError, NotConnectedError, UnknownSymbolError
from app.broker.session import Session

__all__ = ["Session", "UnknownSymbolError", "HistoryError", "NotConnectedError"]
