"""Fixtures of the conformance suite.

``gw``: one simulated gateway per test module (``GatewayThread`` on the real
``SimExchange``), started at a fixed regular-trading-hours instant (11:00 New York
on the last Wednesday) so sessions and order handling are the same whenever the
suite runs. ``client``: a connected driver, parametrized over the three independent
clients (``ibapi`` = official EClient/EWrapper, ``ib_async``, ``ib_insync`` = ib_insync
0.9.86 in a child process with its own venv, see ``ib_insync_driver.py``); each test gets
a fresh client id (ids are never reused within a gateway, as IB remembers them).

``market(gw)`` scripts quotes through the gateway's own event loop (no races with
the market pump), instead of waiting for random moves.
"""

from __future__ import annotations

import asyncio
import itertools
import os

import pytest

from tests.conformance.ib_async_driver import IbAsyncDriver
from tests.conformance.ib_insync_driver import IbInsyncDriver
from tests.conformance.ibapi_driver import IbapiDriver

CLIENTS = ("ibapi", "ib_async", "ib_insync")
_DRIVERS = {"ibapi": IbapiDriver, "ib_async": IbAsyncDriver, "ib_insync": IbInsyncDriver}
#: client ids: distinct per pytest-xdist worker, never reused within a process
_ids = itertools.count(200 + 1000 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or 0))


def next_client_id() -> int:
    return next(_ids)


def rth_start_time() -> float:
    """POSIX time (UTC) of 11:00 New York on the last Wednesday before today."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    d = dt.datetime.now(ny).date() - dt.timedelta(days=1)
    while d.weekday() != 2:
        d -= dt.timedelta(days=1)
    return dt.datetime(d.year, d.month, d.day, 11, 0, tzinfo=ny).timestamp()


#: server versions where a layout changes inside 157..178 (docs/simulator.md's table)
LAYOUT_VERSIONS = (157, 163, 173, 176, 178)


def ibapi_versions(spec: str | None) -> tuple[str, ...]:
    """The ``ibapi@<v>`` kinds to run: ``spec`` is ``IBDESK_CONFORMANCE_VERSIONS`` — unset or
    empty for :data:`LAYOUT_VERSIONS`, ``all`` for every version 157..178, or a comma list
    such as ``158,170``. ValueError names a version outside 157..178 or a word that is not
    a number."""
    if not spec or not spec.strip():
        versions = LAYOUT_VERSIONS
    elif spec.strip().lower() == "all":
        versions = tuple(range(157, 179))
    else:
        versions = []
        for word in spec.split(","):
            try:
                v = int(word)
            except ValueError:
                raise ValueError(f"IBDESK_CONFORMANCE_VERSIONS: {word.strip()!r} is not a server version") from None
            if not 157 <= v <= 178:
                raise ValueError(f"IBDESK_CONFORMANCE_VERSIONS: {v} is outside the gateway's 157..178")
            versions.append(v)
    return tuple(f"ibapi@{v}" for v in versions)


#: the official client forced to each server version where a layout changes (157..178), or
#: to the versions IBDESK_CONFORMANCE_VERSIONS names (``all``: every one; ~75 s for the 22 here)
IBAPI_VERSIONS = ibapi_versions(os.environ.get("IBDESK_CONFORMANCE_VERSIONS"))


def make_driver(kind: str):
    """A new, unconnected driver of client ``kind``: one of :data:`CLIENTS`, or
    ``ibapi@<version>`` (the official client offering exactly that server version); KeyError
    otherwise. ``ib_insync`` makes its venv on first use (InsyncEnvError with pip's output if
    it cannot)."""
    if kind.startswith("ibapi@"):
        d = IbapiDriver(version=int(kind.split("@", 1)[1]))
    else:
        d = _DRIVERS[kind]()
    _made.append(d)
    return d


#: every driver made during the current test (checked for decode problems at its end)
_made: list = []


@pytest.fixture(autouse=True)
def _every_driver_decodes_everything():
    """Fails a test when any driver it made (the ``client`` fixture's or its own through
    :func:`make_driver`: second clients, restarts, sessions) logged a decode failure."""
    _made.clear()
    yield
    made, _made[:] = list(_made), []
    problems = {d.name: p for d in made if (p := d.decode_problems())}
    assert not problems, f"clients could not decode gateway messages: {problems}"


class Market:
    """Scripted market moves and exchange queries run on the gateway's loop thread."""

    def __init__(self, gw):
        self.gw = gw
        self.ex = gw.exchange

    def run(self, fn, *a, **kw):
        """Call ``fn`` in the gateway thread through ``call_exchange`` (flushes the deferred
        commission reports) and return its result."""
        gateway = self.gw.gateway

        async def job():
            r = gateway.call_exchange(fn, *a, **kw)
            for c in list(gateway.connections):
                c.flush()
            return r
        return asyncio.run_coroutine_threadsafe(job(), self.gw.loop).result(5)

    def now(self) -> float:
        return self.gw.gateway.clock()

    def set_quote(self, con_id: int, bid: float, ask: float, bid_size: float = 500, ask_size: float = 500,
                  last: float | None = None, last_size: float | None = None, hold: float = 0.0) -> None:
        """Top of book at the simulated now (prices USD, sizes shares); matches orders. ``hold``:
        seconds (simulated) without random moves of this instrument, so an order placed next
        meets exactly this book."""
        self.run(lambda: self.ex.set_quote(con_id, max(self.now(), self.ex.now), bid=bid, ask=ask,
                                           bid_size=bid_size, ask_size=ask_size, last=last,
                                           last_size=last_size, hold=hold))

    def steps(self, *moves: dict) -> None:
        """Several set_quote moves atomically (no pump tick between them)."""
        def go():
            for m in moves:
                self.ex.set_quote(m.pop("con_id"), max(self.now(), self.ex.now), **m)
        self.run(go)

    def top(self, con_id: int):
        return self.run(self.ex.top, con_id)


def pytest_collection_finish(session):
    """Make the ib_insync venv before the first test when any ib_insync test was selected, so
    its one-time pip install is not counted in a test's timeout. A failure is only remembered
    here: each ib_insync test then fails with it (pip's output), the others run."""
    if any("ib_insync" in item.nodeid for item in session.items):
        from tests.conformance.insync_env import InsyncEnvError, ensure_python
        try:
            ensure_python()
        except InsyncEnvError:
            pass


#: disconnected drivers whose reader threads are joined at the end of the module
_lingering: list = []


@pytest.fixture(scope="module", autouse=True)
def _join_lingering_clients():
    yield
    while _lingering:
        _lingering.pop().join()


@pytest.fixture(scope="module")
def gw():
    from app.sim.server import GatewayThread

    g = GatewayThread(seed=7, start_time=rth_start_time())
    yield g
    g.stop()


@pytest.fixture(scope="module")
def market(gw) -> Market:
    return Market(gw)


#: modules whose scenarios also run with the official client forced to each version of
#: IBAPI_VERSIONS: connect/contract details, every order scenario, the account messages
VERSIONED_MODULES = {"test_session", "test_orders", "test_account"}


def pytest_generate_tests(metafunc):
    """``client`` runs over CLIENTS, and in VERSIONED_MODULES over IBAPI_VERSIONS too."""
    if "client" in metafunc.fixturenames:
        kinds = list(CLIENTS)
        if metafunc.module.__name__.rsplit(".", 1)[-1] in VERSIONED_MODULES:
            kinds += IBAPI_VERSIONS
        metafunc.parametrize("client", kinds, indirect=True)


def connected(kind: str, gw):
    """Generator body of a fixture: a driver of ``kind`` connected to ``gw`` with a fresh client
    id; at the end disconnected (joined at the module's end) and checked for decode failures."""
    d = make_driver(kind)
    d.connect(gw.port, next_client_id())
    yield d
    problems = d.decode_problems()
    d.disconnect(wait=False)
    _lingering.append(d)
    assert not problems, f"{d.name} could not decode gateway messages: {problems}"


@pytest.fixture
def client(request, gw):
    yield from connected(request.param, gw)

