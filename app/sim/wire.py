"""Framing and field encoding of the TWS socket protocol (text protocol, server version <= 200).

A frame is a 4-byte big-endian length followed by that many bytes; the bytes
are fields, each terminated by NUL (``\\0``). The very first bytes a client
sends are the raw prefix ``API\\0`` followed by one framed handshake message
``v<min>..<max>[ <connectOptions>]``.

Source: ib_async ``connection.py`` / ``client.py`` (``_prefix``, ``send``) and
ibapi ``comm.py`` (``make_msg``, ``read_msg``, ``read_fields``).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

API_PREFIX = b"API\0"
#: Largest frame the gateway accepts from a client (bytes). Real requests are
#: well under 10 KB; anything larger is treated as a protocol violation.
MAX_FRAME = 1 << 20

UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INTEGER = 2**31 - 1


class ProtocolError(Exception):
    """A client sent bytes that violate the framing (bad length, bad prefix).

    The connection that produced them is closed; other clients are unaffected.
    """


class FieldError(ValueError):
    """A request's field is missing or cannot be parsed.

    ``code`` is the IB error code to answer with (320 "Error reading request"
    by default; see IB API "Message Codes").
    """

    def __init__(self, text: str, code: int = 320):
        super().__init__(text)
        self.code = code
        self.text = text


def frame(payload: bytes) -> bytes:
    """Prefix ``payload`` with its 4-byte big-endian length."""
    return struct.pack(">I", len(payload)) + payload


def fmt_field(value) -> str:
    """Render one value as IB does on the wire.

    ``None`` -> ``""``; bools -> ``"1"``/``"0"``; floats keep Python's ``repr``
    (``150.0``; use :func:`fmt_size` for share quantities); the unset double
    (and infinity) is written as ``1.7976931348623157E308`` like TWS, NaN as ``""``.
    """
    if value is None:
        return ""
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, float):
        if value == UNSET_DOUBLE or math.isinf(value):
            return "1.7976931348623157E308"
        if math.isnan(value):
            return ""
        return repr(value)
    return str(value)


def fmt_size(value: float | None) -> str:
    """Render a share quantity: integral values without a decimal point (IB's Decimal style)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def encode_fields(*fields) -> bytes:
    """Encode fields (already in order) into one framed message."""
    payload = "".join(fmt_field(f) + "\0" for f in fields).encode("utf-8", "replace")
    return frame(payload)


def split_fields(payload: bytes) -> list[str]:
    """Split a frame payload into its text fields.

    The trailing NUL terminator produces no extra field. Bytes that are not
    valid UTF-8 are replaced (so garbage yields fields, never an exception).
    """
    if not payload:
        return []
    parts = payload.split(b"\0")
    if parts and parts[-1] == b"":
        parts.pop()
    return [p.decode("utf-8", "replace") for p in parts]


class FrameReader:
    """Incremental frame splitter for bytes arriving from one client.

    ``feed(data)`` returns the complete payloads found so far. Raises
    :class:`ProtocolError` for a length of 0 or above ``max_frame``.
    """

    def __init__(self, max_frame: int = MAX_FRAME):
        self._buf = bytearray()
        self._max = max_frame

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        while len(self._buf) >= 4:
            (n,) = struct.unpack_from(">I", self._buf, 0)
            if n == 0 or n > self._max:
                raise ProtocolError(f"invalid frame length {n}")
            if len(self._buf) < 4 + n:
                break
            out.append(bytes(self._buf[4:4 + n]))
            del self._buf[:4 + n]
        return out

    @property
    def pending(self) -> int:
        """Bytes buffered but not yet forming a complete frame."""
        return len(self._buf)


@dataclass(frozen=True)
class Handshake:
    """The client's version range from ``v<min>..<max>[ options]``."""

    min_version: int
    max_version: int
    options: str = ""


def parse_handshake(payload: bytes) -> Handshake:
    """Parse the framed handshake message that follows ``API\\0``.

    Source: ib_async ``Client.connectAsync`` (``v157..178``) and ibapi
    ``EClient.connect`` (``v100..<max>`` plus optional connect options).
    Raises :class:`ProtocolError` if it is not of that form.
    """
    text = payload.rstrip(b"\0").decode("ascii", "replace")
    if not text.startswith("v"):
        raise ProtocolError(f"bad handshake {text[:40]!r}")
    rng, _, options = text[1:].partition(" ")
    lo, sep, hi = rng.partition("..")
    try:
        lo_v = int(lo)
        hi_v = int(hi) if sep else lo_v
    except ValueError:
        raise ProtocolError(f"bad handshake version range {text[:40]!r}") from None
    if lo_v > hi_v or lo_v <= 0:
        raise ProtocolError(f"bad handshake version range {text[:40]!r}")
    return Handshake(lo_v, hi_v, options.strip())


class Cursor:
    """Reads typed fields of one request in order (ib_async ``client.py`` order).

    Missing fields raise :class:`FieldError` for required reads; ``opt_*``
    reads return a default when the message ended. Unset numbers arrive as
    ``""``, ``1.7976931348623157E308`` or ``2147483647``; they read as None
    for the ``*_or_none`` variants.
    """

    def __init__(self, fields: list[str], start: int = 0):
        self.f = fields
        self.i = start

    @property
    def remaining(self) -> int:
        return len(self.f) - self.i

    def _next(self, what: str) -> str:
        if self.i >= len(self.f):
            raise FieldError(f"missing field {what!r} (field #{self.i})")
        v = self.f[self.i]
        self.i += 1
        return v

    def skip(self, n: int = 1) -> None:
        if self.i + n > len(self.f):
            raise FieldError(f"message truncated at field #{len(self.f)}")
        self.i += n

    def str(self, what: str = "str") -> str:
        return self._next(what)

    def int(self, what: str = "int", default: int = 0) -> int:
        v = self._next(what).strip()
        if v == "":
            return default
        try:
            return int(v)
        except ValueError:
            try:
                fv = float(v)
            except ValueError:
                raise FieldError(f"field {what!r} is not an integer: {v[:30]!r}") from None
            if not fv.is_integer():
                raise FieldError(f"field {what!r} is not an integer: {v[:30]!r}") from None
            return int(fv)

    def float(self, what: str = "float", default: float = 0.0) -> float:
        v = self._next(what).strip()
        if v == "":
            return default
        try:
            return float(v)
        except ValueError:
            raise FieldError(f"field {what!r} is not a number: {v[:30]!r}") from None

    def float_or_none(self, what: str = "float") -> float | None:
        v = self._next(what).strip()
        if v == "":
            return None
        try:
            x = float(v)
        except ValueError:
            raise FieldError(f"field {what!r} is not a number: {v[:30]!r}") from None
        if x >= UNSET_DOUBLE or math.isinf(x) or math.isnan(x):
            return None
        return x

    def int_or_none(self, what: str = "int") -> int | None:
        v = self._next(what).strip()
        if v == "":
            return None
        x = Cursor([v]).int(what)
        return None if x == UNSET_INTEGER else x

    def bool(self, what: str = "bool") -> bool:
        v = self._next(what).strip()
        if v in ("", "0", "false", "False"):
            return False
        if v in ("1", "true", "True"):
            return True
        try:
            return float(v) != 0
        except ValueError:
            raise FieldError(f"field {what!r} is not a boolean: {v[:30]!r}") from None

    def opt_str(self, default: str = "") -> str:
        return self._next("") if self.i < len(self.f) else default

    def opt_int(self, default: int = 0) -> int:
        return self.int("opt", default) if self.i < len(self.f) else default

    def opt_bool(self, default: bool = False) -> bool:
        return self.bool("opt") if self.i < len(self.f) else default
