"""Framing, handshake and field cursor of app.sim.wire."""

import struct

import pytest

from app.sim.wire import (Cursor, FieldError, FrameReader, ProtocolError, encode_fields, fmt_field,
                          fmt_size, parse_handshake, split_fields)


def test_encode_fields_frames_with_big_endian_length():
    msg = encode_fields(9, 1, 42)
    assert msg == struct.pack(">I", 7) + b"9\x001\x0042\x00"


def test_split_roundtrip_keeps_empty_fields():
    msg = encode_fields("a", "", None, True, False, 1.5)
    assert split_fields(msg[4:]) == ["a", "", "", "1", "0", "1.5"]


def test_unset_double_written_like_tws():
    assert fmt_field(1.7976931348623157e308) == "1.7976931348623157E308"
    assert fmt_size(100.0) == "100" and fmt_size(0.5) == "0.5"


def test_frame_reader_handles_partial_and_multiple_frames():
    data = encode_fields(1, 2) + encode_fields(3) + encode_fields(4, 5, 6)
    r = FrameReader()
    got = []
    for i in range(0, len(data), 3):       # dribble in 3-byte pieces
        got += r.feed(data[i:i + 3])
    assert [split_fields(p) for p in got] == [["1", "2"], ["3"], ["4", "5", "6"]]
    assert r.pending == 0


@pytest.mark.parametrize("length", [0, 100 * 1024 * 1024, 0xFFFFFFFF])
def test_frame_reader_rejects_bad_lengths(length):
    with pytest.raises(ProtocolError):
        FrameReader().feed(struct.pack(">I", length) + b"x")


def test_garbage_bytes_decode_without_exception():
    assert split_fields(b"\xff\xfe\x00abc\x00") == ["\ufffd\ufffd", "abc"]


def test_parse_handshake_ib_async_and_ibapi_forms():
    hs = parse_handshake(b"v157..178")
    assert (hs.min_version, hs.max_version, hs.options) == (157, 178, "")
    hs = parse_handshake(b"v100..222 +PACEAPI")
    assert (hs.min_version, hs.max_version, hs.options) == (100, 222, "+PACEAPI")
    assert parse_handshake(b"v176").max_version == 176


@pytest.mark.parametrize("bad", [b"", b"hello", b"vX..Y", b"v200..100", b"v0..0"])
def test_parse_handshake_rejects_garbage(bad):
    with pytest.raises(ProtocolError):
        parse_handshake(bad)


def test_cursor_typed_reads_and_unset_values():
    c = Cursor(["7", "", "1.7976931348623157E308", "2147483647", "1", "abc"])
    assert c.int("a") == 7
    assert c.float_or_none("b") is None
    assert c.float_or_none("c") is None
    assert c.int_or_none("d") is None
    assert c.bool("e") is True
    with pytest.raises(FieldError):
        c.int("f")
    with pytest.raises(FieldError):
        c.str("missing")
    assert c.opt_str("dflt") == "dflt"
