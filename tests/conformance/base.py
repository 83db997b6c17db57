"""Stdlib-only pieces of the conformance suite: IB's warning codes, :class:`ClientError`,
:class:`DecodeWatch`, :func:`poll`.

They live apart from :mod:`tests.conformance.common` (which re-exports them) because the
ib_insync client runs in a child process with its own venv (``insync_child.py``), which must
import nothing but the standard library and ib_insync: that child imports this module (and
``iblike.py``, which uses it) as a top-level module from the directory beside it.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

#: IB codes that are informational, not a failure of the request (IB "Message Codes":
#: 2100-2169 system/farm warnings, 10167 delayed data displayed, 399 order warning).
WARNING_CODES = frozenset(range(2100, 2170)) | {10167, 399, 10197, 10349}

#: the contract fields of a position line the drivers' ``position_contracts`` return (the
#: derivative fields of IB's position message: expiry, strike, right, multiplier)
POSITION_CONTRACT_KEYS = ("secType", "exchange", "currency", "lastTradeDateOrContractMonth", "strike", "right",
                          "multiplier", "localSymbol")


class ClientError(Exception):
    """The gateway answered a request with an error message (msg id 4): IB ``code`` and text."""

    def __init__(self, code: int, text: str = ""):
        super().__init__(f"{code}: {text}")
        self.code = int(code)
        self.text = text


def poll(pred: Callable[[], Any], timeout: float, interval: float = 0.02) -> bool:
    """Call ``pred()`` every ``interval`` s until it is truthy (True) or ``timeout`` s have
    passed (then its last value, as a bool)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(interval)
    return bool(pred())


class DecodeWatch(logging.Handler):
    """Collects ERROR log records that a client's decoder emits on the given thread: the
    evidence that a client failed to decode a gateway message (ib_async ``decoder``
    "Error handling fields", ibapi ``decoder`` "diff len fields and params" ...).

    ``loggers``: logger names to watch; ``thread_name``: only records from that thread;
    ``keep``: an optional further filter of the records; ``with_exception``: append the
    logged exception (type and message) to each problem, after the message cut at 300 chars.
    Call :meth:`close` to detach.
    """

    def __init__(self, loggers: tuple[str, ...], thread_name: str,
                 keep: Callable[[logging.LogRecord], bool] | None = None, with_exception: bool = False):
        super().__init__(logging.ERROR)
        self.thread_name = thread_name
        self.problems: list[str] = []
        self._keep = keep
        self._with_exception = with_exception
        self._loggers = [logging.getLogger(n) for n in loggers]
        for lg in self._loggers:
            lg.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if record.threadName != self.thread_name or (self._keep is not None and not self._keep(record)):
            return
        text = f"{record.name}: {record.getMessage()[:300]}"
        if self._with_exception and record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            text += f" -> {type(e).__name__}: {str(e)[:200]}"
        self.problems.append(text)

    def close(self) -> None:
        for lg in self._loggers:
            lg.removeHandler(self)
        super().close()
