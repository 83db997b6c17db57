"""``Client._onSocketHasData`` must not copy the unread buffer once per message.

Each socket read can carry hundreds of messages (a busy market data stream
delivers 64-256 KB reads). Slicing every decoded message off the front of the
buffer copies the rest of the read per message: quadratic in the read size.
"""

import random
import struct

import ib_async as ibi
from ib_async.client import Client


def _frame(*fields: str) -> bytes:
    payload = "".join(f + "\0" for f in fields).encode()
    return struct.pack(">I", len(payload)) + payload


HANDSHAKE = (
    _frame("178", "20260123 10:30:00 EST")
    + _frame("15", "1", "DU123456")
    + _frame("9", "1", "100")
)


def _ticks(n: int) -> bytes:
    """``n`` tickPrice messages (bid, reqIds 1..500)."""
    rnd = random.Random(1)
    out = []
    for _ in range(n):
        reqId, price = str(rnd.randint(1, 500)), f"{100 + rnd.random():.2f}"
        out.append(_frame("1", "6", reqId, "1", price, "300", "0"))
    return b"".join(out)


class CopyCountingClient(Client):
    """Adds up the size of every buffer stored as the client's unread data."""

    copied = 0

    @property
    def _data(self):
        return self.__dict__["_data"]

    @_data.setter
    def _data(self, value):
        CopyCountingClient.copied += len(value)
        self.__dict__["_data"] = value


def _client(cls=Client):
    ib = ibi.IB()
    client = cls(ib.wrapper)
    fields = []
    client.decoder.interpret = fields.append
    return client, fields


def test_read_is_not_copied_once_per_message():
    ticks = _ticks(5000)
    client, fields = _client(CopyCountingClient)
    CopyCountingClient.copied = 0

    client._onSocketHasData(HANDSHAKE)
    client._onSocketHasData(ticks)  # one read of 5000 messages, ~135 KB

    assert len(fields) == 5002
    assert client.isReady()
    # slicing per message copies ~2500 times the read; one copy is the limit
    assert CopyCountingClient.copied <= len(HANDSHAKE) + len(ticks)


def test_same_messages_for_any_cut_of_the_stream():
    stream = HANDSHAKE + _ticks(2000) + _frame("4", "2", "-1", "2104", "farm OK")
    whole, expected = _client()
    whole._onSocketHasData(stream)

    for seed in range(5):
        rnd = random.Random(seed)
        client, fields = _client()
        i = 0
        while i < len(stream):
            k = rnd.choice((1, 3, 4, 5, rnd.randint(1, 3000)))
            client._onSocketHasData(stream[i : i + k])
            i += k
        assert fields == expected
        assert client._numMsgRecv == whole._numMsgRecv == 2004
        assert client._numBytesRecv == len(stream)
        assert len(client._data) == 0


def test_partial_message_is_kept_for_the_next_read():
    client, fields = _client()
    tick = _frame("1", "6", "7", "1", "150.25", "300", "0")
    client._onSocketHasData(HANDSHAKE + tick[:10])
    assert bytes(client._data) == tick[:10]
    client._onSocketHasData(tick[10:])
    assert fields[-1] == ["1", "6", "7", "1", "150.25", "300", "0"]
    assert len(client._data) == 0


def test_reset_by_a_handler_drops_the_rest_of_the_read():
    client, fields = _client()

    def interpret(msg):
        fields.append(msg)
        if len(fields) == 3:
            client.disconnect()

    client.decoder.interpret = interpret
    client._onSocketHasData(HANDSHAKE + _ticks(10))
    assert len(fields) == 3
    assert len(client._data) == 0
    # the next connection starts from an empty buffer
    client._onSocketHasData(HANDSHAKE + _ticks(2))
    assert len(fields) == 3 + 4
