"""The handshake's version range (157..178) and what the gateway does outside it.

Inside the range every message is encoded for the negotiated version (the scenarios of
test_session / test_orders / test_account run with ibapi forced to 157, 163, 173, 176 and
178 through ``IBAPI_VERSIONS``); outside it the client is refused with IB's error 506
"Unsupported version" instead of being answered in a layout it cannot decode.
"""

from __future__ import annotations

import socket
import struct

import pytest

from tests.conformance.conftest import LAYOUT_VERSIONS, ibapi_versions, next_client_id
from tests.conformance.ibapi_driver import IbapiDriver


def _handshake(port: int, offer: bytes) -> list[list[str]]:
    """Send ``API\\0`` + ``offer`` and read frames until the gateway closes, its version reply
    (2 fields) arrives, or 1.5 s pass."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        s.sendall(b"API\0" + struct.pack(">I", len(offer)) + offer)
        s.settimeout(1.5)
        buf, frames = b"", []
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
                n = struct.unpack(">I", buf[:4])[0]
                frames.append([x.decode() for x in buf[4:4 + n].split(b"\0")[:-1]])
                buf = buf[4 + n:]
            if frames and len(frames[0]) == 2:
                break
        return frames
    finally:
        s.close()


@pytest.mark.parametrize("offer", [b"v100..156", b"v179..200", b"v100..100"])
def test_a_range_outside_157_to_178_is_refused_with_506(gw, offer):
    frames = _handshake(gw.port, offer)
    assert len(frames) == 1, frames            # no version reply: the socket is closed after
    (msg_id, version, req_id, code, text), = frames
    assert (msg_id, version, req_id, code) == ("4", "2", "-1", "506")
    assert text.startswith("Unsupported version") and "157..178" in text


@pytest.mark.parametrize("offer,chosen", [(b"v100..176", "176"), (b"v157..178", "178"),
                                          (b"v100..222 +PACEAPI", "178"), (b"v157..157", "157"),
                                          (b"v170..200", "178")])
def test_the_highest_common_version_is_chosen(gw, offer, chosen):
    (reply,) = _handshake(gw.port, offer)
    assert reply[0] == chosen and reply[1].endswith(" UTC")


def test_ibapi_offering_only_old_versions_gets_no_session(gw):
    d = IbapiDriver(timeout=1.5, version=150)
    with pytest.raises(TimeoutError):
        d.connect(gw.port, next_client_id())
    assert not d.is_connected()
    d.disconnect(wait=False)
    d.join()


def test_versions_to_run_are_chosen_by_the_environment():
    assert ibapi_versions(None) == ibapi_versions(" ") == tuple(f"ibapi@{v}" for v in LAYOUT_VERSIONS)
    every = ibapi_versions("all")
    assert len(every) == 22 and every[0] == "ibapi@157" and every[-1] == "ibapi@178"
    assert ibapi_versions("158, 170") == ("ibapi@158", "ibapi@170")
    with pytest.raises(ValueError, match="179 is outside"):
        ibapi_versions("178,179")
    with pytest.raises(ValueError, match="'v176' is not a server version"):
        ibapi_versions("v176")
