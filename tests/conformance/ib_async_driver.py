"""Conformance driver over ib_async 2.1 (the client the terminal uses).

``IbAsyncDriver`` runs an :class:`tests.conformance.iblike.Session` of ``ib_async`` (its
``IB`` on its own asyncio event loop in a daemon thread) in this process and offers the
synchronous, neutral request API of :class:`tests.conformance.iblike_driver.IbLikeDriver`
(same method names and result shapes as
:class:`tests.conformance.ibapi_driver.IbapiDriver`), built from ib_async's *decoded* objects
(Ticker, Trade, Fill, BarDataList, PnL ...). The same session code serves ib_insync in its
child process (``insync_child.py``). Every ``Wrapper`` callback ib_async's decoder makes is
also recorded as a :class:`~tests.conformance.ibapi_driver.Callback` with the decoded objects
as arguments (``log``, ``events()``), for requests whose result ib_async only keeps
transiently (tick-by-tick, account summary by reqId).

Units as in the ibapi driver: prices in instrument currency, sizes in shares,
intraday times POSIX seconds (UTC), daily bar times ``YYYYMMDD``.
"""

from __future__ import annotations

from typing import Any

import ib_async

from tests.conformance.iblike import Flavor, Session
from tests.conformance.iblike_driver import IbLikeDriver


def _dom_by_position(ticker: Any) -> tuple[list, list]:
    """ib_async keeps the book by position in ``domBidsDict``/``domAsksDict``; its
    ``domBids``/``domAsks`` lists are those dicts' values in insertion order, not by position."""
    return ([d for _, d in sorted(ticker.domBidsDict.items())],
            [d for _, d in sorted(ticker.domAsksDict.items())])


#: ib_async as a Session sees it: every ERROR of its decoder is a decode failure
FLAVOR = Flavor(ib_async, decode_loggers=("ib_async.Decoder",), dom_book=_dom_by_position)


class IbAsyncDriver(IbLikeDriver):
    """ib_async on its own event loop thread in this process; neutral request API for the
    scenarios. ``session``: the :class:`~tests.conformance.iblike.Session` (its ``ib``,
    ``call``, ``acall`` for raw access)."""

    name = "ib_async"

    def __init__(self, timeout: float = 3.0):
        super().__init__(timeout)
        self.session = Session(FLAVOR, f"{id(self):x}", timeout, record=None)

    def rpc(self, method: str, *a, **kw) -> Any:
        """Call the session method ``method`` directly (results stay plain, as from the child)."""
        return getattr(self.session, method)(*a, **kw)

    def decode_problems(self) -> list[str]:
        """ERROR logs of ib_async's decoder on this driver's loop thread (a message it could
        not decode, e.g. "Error handling fields"); kept after :meth:`disconnect`."""
        return self.session.decode_problems()

    def disconnect(self, wait: bool = True) -> None:
        """Disconnect, stop and close the event loop (``wait`` is accepted for symmetry with
        the other drivers; this disconnect is synchronous)."""
        self.session.close()

    def join(self, timeout: float = 2.0) -> None:
        """Nothing left to wait for after :meth:`disconnect`."""

    def is_connected(self) -> bool:
        """ib_async's isConnected."""
        return self.session.is_connected()
