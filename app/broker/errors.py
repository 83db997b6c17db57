"""Errors raised by the broker session (``app.broker.session.Session``).

Each carries IB's error code and text so the UI can show the gateway's own
words (IB API docs, "Message Codes").
"""

from __future__ import annotations

import asyncio


class UnknownSymbolError(LookupError):
    """reqContractDetails found no contract (IB error 200, "No security definition
    has been found for the request"). ``code`` is IB's code, ``str(e)`` readable."""

    def __init__(self, symbol: str, message: str, code: int = 200):
        super().__init__(f"Unknown symbol {symbol}: {message}" if message else f"Unknown symbol {symbol}")
        self.symbol = symbol
        self.code = code
        self.ib_message = message


class HistoryError(RuntimeError):
    """reqHistoricalData failed (IB error 162 "Historical Market Data Service error
    message", 200, 321, ... or a timeout / disconnect). ``code`` is IB's code
    (0 when the failure did not come from the gateway)."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.code = code


class NotConnectedError(ConnectionError):
    """A request needs a connected session (IB error 504 "Not connected")."""


def describe_connect_error(e: BaseException, endpoint: str, timeout: float, told: str = "") -> str:
    """A readable reason for a failed connect to ``endpoint`` ("host:port").

    ``told`` is what the gateway said while connecting (IB error 326 "client id
    already in use", or a socket closed during the handshake); it wins over the
    exception unless the exception is a timeout or a refused connection.
    """
    timeouts = (asyncio.TimeoutError, TimeoutError)
    if told and ("326" in told and "in use at" in told
                 or not isinstance(e, (*timeouts, ConnectionRefusedError))):
        return told
    if isinstance(e, ConnectionRefusedError):
        return (f"Connection refused by {endpoint}: is TWS / IB Gateway running with the API "
                "enabled on this port?")
    if isinstance(e, timeouts):
        return (f"No answer from {endpoint} within {timeout:g} s: is this a TWS / "
                "IB Gateway API port, and is the API enabled?")
    if isinstance(e, OSError):
        return f"Cannot connect to {endpoint}: {e.strerror or e}"
    return f"Cannot connect to {endpoint}: {e}"


__all__ = ["UnknownSymbolError", "HistoryError", "NotConnectedError", "describe_connect_error"]
