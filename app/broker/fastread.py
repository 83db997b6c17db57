"""A linear-time socket reader for ib_async's ``Client`` (workaround, not a fork).

ib_async 2.1.0 ``Client._onSocketHasData`` appends each socket read to ``self._data``
and then, once per decoded message, does ``self._data = self._data[msgEnd:]``: the
whole unread rest of the buffer is copied for every message, so decoding one read of
``n`` messages costs O(n * read size) (measured here: 350k msg/s at 4 KB reads,
131k msg/s at 256 KB reads; ``tests/benchmarks/bench_decode.py``).

:func:`install` replaces that method on one ``Client`` instance by
:func:`on_socket_has_data`, which behaves the same (handshake, the ``_apiReady``
snooping of nextValidId / managedAccounts, ``_numBytesRecv`` / ``_numMsgRecv``,
``tcpDataArrived`` / ``tcpDataProcessed`` hooks, debug logging, disconnect on a too-old
server version, ``decoder.interpret`` per message, ``errors="backslashreplace"``) but
keeps ``_data`` as a ``bytearray``, walks it with an offset and drops the consumed
prefix once per read. The change offered upstream is in
``docs/upstream/ib_async-read-buffer/``.

The replacement was written against ib_async 2.1.0: :func:`install` checks the major
version, the source of ``Client._onSocketHasData`` (SHA-256) and the attributes it uses,
and keeps ib_async's own method (logging a warning) when any of them differs, so an
upgrade of ib_async cannot silently break the client.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import struct
import types
from typing import Any

log = logging.getLogger("ibdesk.broker.fastread")

#: ib_async major version the replacement was written against
WRITTEN_FOR_MAJOR = 2
#: SHA-256 of ``inspect.getsource(ib_async.client.Client._onSocketHasData)`` in ib_async 2.1.0
ORIGINAL_SOURCE_SHA256 = "ef7454cd7dcedaababd81cb7828be42af6a3b98210521489ea210924c70d3d65"
#: instance attributes of ``Client`` that :func:`on_socket_has_data` reads or writes
CLIENT_ATTRIBUTES = (
    "_logger", "_tcpDataArrived", "_tcpDataProcessed", "_data", "_numBytesRecv",
    "_numMsgRecv", "_serverVersion", "MinClientVersion", "_onSocketDisconnected", "decoder",
    "connState", "CONNECTED", "startApi", "wrapper", "_apiReady", "updateReqId", "_hasReqId",
    "_accounts", "apiStart", "conn",
)

_LENGTH = struct.Struct(">I")    # the 4-byte big-endian length prefix of every message


def on_socket_has_data(self: Any, data: bytes) -> None:
    """ib_async ``Client._onSocketHasData`` (2.1.0) without the per-message buffer copy.

    ``self`` is an ``ib_async.client.Client``; ``data`` one socket read (bytes). Each
    message is a 4-byte big-endian length then NUL-terminated fields (TWS API wire format).
    ``self._data`` holds a ``bytearray``: complete messages are decoded by offset and the
    consumed prefix is deleted once, when the read is done (or when a handler raises, as
    the original had consumed every message it started on). While a message is handled,
    ``self._data`` still holds the consumed messages of this read; if a handler resets
    the client (``Client.reset`` / ``disconnect`` assign a new ``_data``) the rest of the
    read is dropped, as ib_async drops it.
    """
    debug = self._logger.isEnabledFor(logging.DEBUG)
    if self._tcpDataArrived:
        self._tcpDataArrived()

    buf = self._data
    if type(buf) is not bytearray:            # b"" after Client.reset(), or a leftover
        buf = self._data = bytearray(buf)
    buf += data
    self._numBytesRecv += len(data)

    pos, end = 0, len(buf)
    try:
        while True:
            if self._data is not buf or end - pos <= 4:
                break

            # 4 byte prefix tells the message length
            msgEnd = pos + 4 + _LENGTH.unpack_from(buf, pos)[0]
            if end < msgEnd:
                # insufficient data for now
                break

            msg = buf[pos + 4:msgEnd].decode(errors="backslashreplace")
            pos = msgEnd
            fields = msg.split("\0")
            fields.pop()  # pop off last empty element
            self._numMsgRecv += 1

            if debug:
                self._logger.debug("<<< %s", ",".join(fields))

            if not self._serverVersion and len(fields) == 2:
                # this concludes the handshake
                version, _connTime = fields
                self._serverVersion = int(version)
                if self._serverVersion < self.MinClientVersion:
                    self._onSocketDisconnected("TWS/gateway version must be >= 972")
                    return
                self.decoder.serverVersion = self._serverVersion
                self.connState = self.CONNECTED
                self.startApi()
                self.wrapper.connectAck()
                self._logger.info(f"Logged on to server version {self._serverVersion}")
            else:
                if not self._apiReady:
                    # snoop for nextValidId and managedAccounts response,
                    # when both are in then the client is ready
                    msgId = int(fields[0])
                    if msgId == 9:
                        _, _, validId = fields
                        self.updateReqId(int(validId))
                        self._hasReqId = True
                    elif msgId == 15:
                        _, _, accts = fields
                        self._accounts = [a for a in accts.split(",") if a]
                    if self._hasReqId and self._accounts:
                        self._apiReady = True
                        self.apiStart.emit()

                # decode and handle the message
                self.decoder.interpret(fields)
    finally:
        if pos and self._data is buf:
            del buf[:pos]                     # once per read

    if self._tcpDataProcessed:
        self._tcpDataProcessed()


def _mismatch(client: Any) -> str:
    """Why :func:`on_socket_has_data` must not replace ``client``'s method ("" = it may)."""
    import ib_async
    from ib_async.client import Client

    version = getattr(ib_async, "__version__", "?")
    major = getattr(ib_async, "__version_info__", (None,))[0]
    if major != WRITTEN_FOR_MAJOR:
        return f"ib_async {version} is not {WRITTEN_FOR_MAJOR}.x"
    if not isinstance(client, Client):
        return f"{type(client).__name__} is not an ib_async Client"
    method = getattr(type(client), "_onSocketHasData", None)
    if method is not Client._onSocketHasData:
        return f"{type(client).__name__} overrides _onSocketHasData"
    try:
        source = inspect.getsource(method)
    except (OSError, TypeError) as exc:
        return f"the source of Client._onSocketHasData is not readable ({exc})"
    if hashlib.sha256(source.encode()).hexdigest() != ORIGINAL_SOURCE_SHA256:
        return f"Client._onSocketHasData of ib_async {version} differs from 2.1.0's"
    missing = [a for a in CLIENT_ATTRIBUTES if not hasattr(client, a)]
    if missing:
        return f"Client lacks {', '.join(missing)}"
    if not isinstance(client._data, (bytes, bytearray)):
        return f"Client._data is a {type(client._data).__name__}, not bytes"
    slots = getattr(getattr(client.conn.hasData, "_slots", None), "slots", None)
    if slots is None or not any(s.func is Client._onSocketHasData for s in slots):
        return "Client._onSocketHasData is not connected to conn.hasData"
    return ""


def install(client: Any) -> bool:
    """Make ``client`` (an ``ib_async.client.Client``, e.g. ``IB().client``) decode socket
    reads with :func:`on_socket_has_data`; call it before connecting.

    Returns True when installed (or already installed on ``client``); False, with a
    warning on the ``ibdesk.broker.fastread`` logger, when ib_async is not the version
    the replacement was written for (major version, the method's source, the attributes
    it uses, its connection to ``conn.hasData``): ib_async's own method then stays.
    """
    current = client.__dict__.get("_onSocketHasData")
    if getattr(current, "__func__", None) is on_socket_has_data:
        return True
    reason = _mismatch(client)
    if reason:
        log.warning("keeping ib_async's own socket reader (quadratic in the read size): %s",
                    reason)
        return False
    fast = types.MethodType(on_socket_has_data, client)
    client.conn.hasData -= client._onSocketHasData
    client._onSocketHasData = fast
    client.conn.hasData += fast
    return True
