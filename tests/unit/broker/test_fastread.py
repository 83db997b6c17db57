"""app.broker.fastread: ib_async's socket reader without the per-message buffer copy.

Each test feeds the same reads to an ``ib_async`` Client with its own
``_onSocketHasData`` and to one with the replacement installed, through
``conn.hasData`` as the socket does, and compares everything ib_async exposes.
"""

from __future__ import annotations

import logging

import ib_async
import pytest
from ib_async import IB
from ib_async.client import Client

from app.broker import Session, fastread
from tests.conftest import require_shared
from tests.unit.broker.wire_streams import (HANDSHAKE, RECORDING, fixed_reads, frame,
                                            random_reads, recorded_stream, tick_stream)


class Probe:
    """An ``IB().client`` whose decoded messages and tcp hooks are recorded. Messages are
    still handled by ib_async's decoder, except quote ticks (tickPrice 1, tickSize 2: no
    reqMktData was made, ib_async would log an error for each)."""

    def __init__(self, fast: bool, client_cls=Client):
        self.ib = IB()
        if client_cls is not Client:
            self.ib.client = client_cls(self.ib.wrapper)
        self.client = self.ib.client
        self.installed = fastread.install(self.client) if fast else False
        self.fields: list[list[str]] = []
        self.hooks: list[str] = []
        self.api_start = 0
        interpret = self.client.decoder.interpret

        def record(fields):
            self.fields.append(list(fields))
            if fields[:1] not in (["1"], ["2"]):
                interpret(fields)

        self.client.decoder.interpret = record
        self.client._tcpDataArrived = lambda: self.hooks.append("arrived")
        self.client._tcpDataProcessed = lambda: self.hooks.append("processed")
        self.client.apiStart += self._on_api_start

    def _on_api_start(self):
        self.api_start += 1

    def feed(self, reads):
        for data in reads:
            self.client.conn.hasData.emit(data)
        return self

    def state(self) -> dict:
        c = self.client
        return dict(fields=self.fields, hooks=self.hooks, api_start=self.api_start,
                    rest=bytes(c._data), bytes=c._numBytesRecv, msgs=c._numMsgRecv,
                    version=c._serverVersion, ready=c._apiReady, has_id=c._hasReqId,
                    accounts=c._accounts, req_id=c._reqIdSeq, conn=c.connState,
                    values=len(self.ib.wrapper.accountValues))


def both(reads, **kw) -> tuple[dict, dict]:
    """(ib_async's state, the replacement's state) after the same ``reads``."""
    fast = Probe(True, **kw)
    assert fast.installed
    return Probe(False, **kw).feed(reads).state(), fast.feed(reads).state()


def stream() -> bytes:
    """The recorded TWS session, 3,000 quote ticks, a message with bytes that are not UTF-8,
    an empty message and the first half of a message still to come."""
    require_shared(RECORDING)
    partial = frame("1", "6", "7", "1", "150.25", "300", "0")
    return (recorded_stream() + tick_stream(3000) + frame("4", "2", "-1", "2104", b"bad \xff\xfe")
            + b"\0\0\0\0" + frame("5", "1") + partial[:9])


@pytest.mark.parametrize("seed", range(6))
def test_same_messages_and_state_as_ib_async_for_random_reads(seed):
    original, fast = both(random_reads(stream(), seed))
    assert len(original["fields"]) > 3000 and original["ready"] and original["values"] > 100
    assert original["rest"] and "bad \\xff\\xfe" in original["fields"][-3][-1]
    assert fast == original


@pytest.mark.parametrize("size", [4096, 16384, 65536, 262144, 10**7])
def test_same_messages_and_state_as_ib_async_for_fixed_reads(size):
    original, fast = both(fixed_reads(stream(), size))
    assert fast == original


def test_same_debug_log_as_ib_async(caplog):
    reads = random_reads(HANDSHAKE + tick_stream(50), seed=3)
    logs = []
    for fast in (False, True):
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="ib_async.client"):
            Probe(fast).feed(reads)
        logs.append([(r.levelname, r.getMessage()) for r in caplog.records
                     if r.name == "ib_async.client"])
    assert len(logs[0]) > 50 and logs[1] == logs[0]


def test_too_old_server_disconnects_as_ib_async_does():
    errors = {}
    reads = [frame("100", "20260123 10:30:00 EST") + frame("15", "1", "DU1"), frame("9", "1", "5")]
    for fast in (False, True):
        p = Probe(fast)
        errors[fast] = []
        p.client.apiError += errors[fast].append
        p.feed(reads)
        errors[fast].append(p.state())
    assert "version must be >= 972" in errors[False][0]
    assert errors[True] == errors[False]


def test_disconnect_inside_a_handler_drops_the_rest_of_the_read_as_ib_async_does():
    reads = [HANDSHAKE + tick_stream(20), tick_stream(5, seed=2), HANDSHAKE + tick_stream(3)]
    states = []
    for fast in (False, True):
        p = Probe(fast)
        seen = p.client.decoder.interpret

        def interpret(fields, p=p, seen=seen):
            seen(fields)
            if len(p.fields) == 12:
                p.client.disconnect()               # Client.reset(): a new, empty _data
        p.client.decoder.interpret = interpret
        states.append(p.feed(reads).state())
    assert len(states[0]["fields"]) == 12 + 5 + 2 + 3   # after the reset: a new handshake
    assert states[1] == states[0]


def test_error_in_a_message_consumes_it_as_ib_async_does():
    bad = frame("x", "1")                              # snooped before apiReady: int("x")
    reads = [frame("178", "20260123 10:30:00 EST") + bad + frame("15", "1", "DU1"),
             frame("9", "1", "5") + tick_stream(4)]
    states = []
    for fast in (False, True):
        p = Probe(fast)
        with pytest.raises(ValueError):
            p.client._onSocketHasData(reads[0])
        states.append(p.feed(reads[1:]).state())
    assert states[0]["ready"] and len(states[0]["fields"]) == 2 + 4
    assert states[1] == states[0]


class CopyCounting(Client):
    """A Client that adds up the size of every buffer stored as its unread data."""

    copied = 0

    @property
    def _data(self):
        return self.__dict__["_data"]

    @_data.setter
    def _data(self, value):
        CopyCounting.copied += len(value)
        self.__dict__["_data"] = value


@pytest.mark.parametrize("size", [16384, 262144])
def test_one_read_is_not_copied_once_per_message(size):
    """ib_async 2.1.0 stores a copy of the rest of the read after every message (n messages:
    ~n/2 read sizes copied); the replacement drops the consumed prefix once per read."""
    ticks = tick_stream(20000)
    reads = [HANDSHAKE] + fixed_reads(ticks, size)
    copied = {}
    for fast in (False, True):
        CopyCounting.copied = 0
        p = Probe(fast, client_cls=CopyCounting).feed(reads)
        assert p.client._numMsgRecv == 20003
        copied[fast] = CopyCounting.copied
    messages_per_read = size / (len(ticks) / 20000)
    assert copied[False] > messages_per_read / 4 * len(ticks)     # the quadratic original
    assert copied[True] <= len(HANDSHAKE)                        # no copy of a read at all


def test_consumed_bytes_are_dropped_after_each_read():
    p = Probe(True)
    half = frame("1", "6", "7", "1", "150.25", "300", "0")
    p.feed([HANDSHAKE + tick_stream(100) + half[:10]])
    assert type(p.client._data) is bytearray and bytes(p.client._data) == half[:10]
    p.feed([half[10:]])
    assert p.client._data == b"" and p.fields[-1] == ["1", "6", "7", "1", "150.25", "300", "0"]


def test_install_is_idempotent_and_replaces_the_socket_listener():
    p = Probe(True)
    assert fastread.install(p.client)
    p.feed([HANDSHAKE + tick_stream(10)])
    assert p.client._numMsgRecv == 13 and len(p.fields) == 12    # once each (+ handshake)
    assert p.client._onSocketHasData.__func__ is fastread.on_socket_has_data


def test_session_installs_the_reader():
    s = Session("127.0.0.1", 1, 1)
    assert s.ib.client.__dict__["_onSocketHasData"].__func__ is fastread.on_socket_has_data


class Overriding(Client):
    def _onSocketHasData(self, data):
        super()._onSocketHasData(data)


@pytest.mark.parametrize("change, reason", [
    (lambda mp, c: mp.setattr(ib_async, "__version_info__", (3, 0, 0)), "is not 2.x"),
    (lambda mp, c: mp.setattr(fastread, "ORIGINAL_SOURCE_SHA256", "0" * 64), "differs from 2.1.0"),
    (lambda mp, c: mp.delattr(c, "_numMsgRecv"), "lacks _numMsgRecv"),
    (lambda mp, c: c.conn.hasData.disconnect(c._onSocketHasData), "not connected"),
    (lambda mp, c: mp.setattr(fastread.inspect, "getsource", _no_source), "not readable"),
])
def test_falls_back_to_ib_async_when_it_is_not_the_expected_version(monkeypatch, caplog, change,
                                                                    reason):
    client = IB().client
    change(monkeypatch, client)
    with caplog.at_level(logging.WARNING, logger="ibdesk.broker.fastread"):
        assert not fastread.install(client)
    assert reason in caplog.text and "keeping ib_async's own socket reader" in caplog.text
    assert "_onSocketHasData" not in client.__dict__


def test_falls_back_for_a_client_class_with_its_own_reader(caplog):
    p = Probe(True, client_cls=Overriding)
    assert not p.installed and "Overriding overrides _onSocketHasData" in caplog.text
    p.feed([HANDSHAKE + tick_stream(10)])
    assert p.client._numMsgRecv == 13 and type(p.client._data) is bytes


def _no_source(obj):
    raise OSError("could not get source code")
