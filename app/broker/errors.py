"""Errors raised by the broker session (``app.broker.session.Session``).

Each carries IB's error code and text so the UI can show the gateway's own
words (IB API docs, "Message Codes").
"""

from __future__ import annotations

import asyncio
import logging
import re


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


#: IB message codes that report normal operation, not a problem (IB API docs "Message
#: Codes"): 202 confirms a cancel, 1102 connectivity restored with data kept, 2104 / 2106 /
#: 2107 / 2108 / 2119 / 2158 market-data / HMDS / sec-def farm connected, inactive or
#: connecting
INFO_CODES = frozenset({202, 1102, 2104, 2106, 2107, 2108, 2119, 2158})
#: codes that warn but do not fail a request: IB's "Warning Message Codes" 2100-2199, the
#: connectivity notices 1100 / 1101 / 1300, and the codes ib_async treats as warnings
#: (``Wrapper.error``: 105, 165, 329, 399, 404, 434, 492, 10167)
WARNING_CODES = (frozenset(range(2100, 2200)) - INFO_CODES) | frozenset(
    {105, 165, 329, 399, 404, 434, 492, 10167, 1100, 1101, 1300})


def message_level(code: int) -> int:
    """The ``logging`` level of an IB message code: INFO for :data:`INFO_CODES`, WARNING
    for :data:`WARNING_CODES`, ERROR for every other code (rejections, failed requests)."""
    if code in INFO_CODES:
        return logging.INFO
    if code in WARNING_CODES:
        return logging.WARNING
    return logging.ERROR


class IBMessageLevels(logging.Filter):
    """A filter for ib_async's ``ib_async.wrapper`` logger: its "Error 202, reqId 17: Order
    Canceled" lines get the level of their IB code (:func:`message_level`), so a routine
    cancel is INFO in the log file and not an ERROR on stderr. Other records pass unchanged."""

    _PATTERN = re.compile(r"^(?:Error|Warning) (-?\d+), reqId ")

    def filter(self, record: logging.LogRecord) -> bool:
        m = self._PATTERN.match(record.getMessage())
        if m:
            record.levelno = message_level(int(m.group(1)))
            record.levelname = logging.getLevelName(record.levelno)
        return True
