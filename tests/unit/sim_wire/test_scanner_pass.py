"""Scanner and bulletin handlers of a client connection (app.sim.scanner_handlers): the first
list, the re-send only on a changed ranking (at most once a wall second), 165 when a live scan
runs empty, the cancel acknowledgement, bulletins of the day / new ones / after a cancel."""

from __future__ import annotations

from app.sim import decode as D
from app.sim.connection import ClientConnection
from app.sim.exchange import SimExchange
from app.sim.wire import FrameReader, split_fields
from tests.unit.sim.helpers import AAPL, T0
from tests.unit.sim_wire.test_market_pass import FakeGateway, FakeWriter


def _conn():
    ex = SimExchange(seed=7, now=T0)
    conn = ClientConnection(FakeGateway(ex), reader=None, writer=FakeWriter())
    conn.ready, conn.server_version = True, 176
    wall = [100.0]
    conn.clock = lambda: wall[0]
    return ex, conn, wall


def _sent(conn) -> list[list[str]]:
    """The messages queued or written (admin commands flush) since the last call."""
    data = b"".join(conn.writer.chunks) + bytes(conn.out)
    conn.writer.chunks.clear()
    out = [split_fields(p) for p in FrameReader().feed(data)]
    conn.out.clear()
    conn._sent_at.clear()
    return out


def _req(conn, *fields):
    conn.handle_payload("\0".join(str(f) for f in fields).encode() + b"\0")


def _scan_fields(rid, code, rows, filters="", cap_above=""):
    """reqScannerSubscription's fields; ``cap_above``: the ScannerSubscription field
    marketCapAbove (4th after the scan code)."""
    return [D.REQ_SCANNER_SUBSCRIPTION, rid, rows, "STK", "STK.US.MAJOR", code, "", "", "", cap_above] + \
        [""] * 9 + ["0", "", "", "", filters, ""]


def test_first_list_refresh_on_change_165_and_cancel():
    ex, conn, wall = _conn()
    _req(conn, *_scan_fields(5, "TOP_PERC_GAIN", 3))
    (msg,) = _sent(conn)
    assert msg[:3] == ["20", "3", "5"] and len(msg) == 4 + 16 * int(msg[3])
    conn.scanner_updates()
    assert _sent(conn) == []                                  # checked < 1 wall second ago
    top = ex.top(AAPL)
    px = round(top.close * 1.9, 2)
    ex.set_quote(AAPL, T0 + 1, bid=px - 0.01, ask=px + 0.01, last=px)
    wall[0] += 1.5
    conn.scanner_updates()
    (msg,) = _sent(conn)
    assert msg[:3] == ["20", "3", "5"] and msg[5] == str(AAPL)     # rank 0 is AAPL now
    wall[0] += 1.5
    conn.scanner_updates()
    assert _sent(conn) == []                                  # unchanged: nothing re-sent
    conn.scan_subs[5].scan = conn.scan_subs[5].scan.__class__("TOP_PERC_GAIN", 3, above_price=1e9)
    wall[0] += 1.5
    conn.scanner_updates()
    (msg,) = _sent(conn)
    assert msg[0] == "4" and msg[3] == "165" and "no items retrieved" in msg[4]
    _req(conn, D.CANCEL_SCANNER_SUBSCRIPTION, 1, 5)
    (msg,) = _sent(conn)
    assert msg[3] == "162" and msg[4].endswith("API scanner subscription cancelled: 5")
    assert not conn.scan_subs


def test_refusals():
    _, conn, _ = _conn()
    _req(conn, *_scan_fields(6, "BOGUS", 3))
    (msg,) = _sent(conn)
    assert msg[2:4] == ["6", "162"] and "Invalid scan code" in msg[4]
    _req(conn, *_scan_fields(7, "MOST_ACTIVE", 3, "marketCapAbove1e6=5;avgVolumeAbove=5;"))
    (msg,) = _sent(conn)
    assert msg[2:4] == ["7", "162"] and msg[4].endswith("Scanner filter avgVolumeAbove is disabled.")
    _req(conn, D.CANCEL_SCANNER_SUBSCRIPTION, 1, 99)           # nothing to cancel: no answer
    assert _sent(conn) == []
    _req(conn, D.REQ_SCANNER_PARAMETERS, 1)
    (msg,) = _sent(conn)
    assert msg[:2] == ["19", "1"] and "<ScanParameterResponse>" in msg[2]


def _symbols(msg):
    return [msg[6 + 16 * i] for i in range(int(msg[3]))]


def test_market_cap_filter_as_tag_and_as_field():
    from app.sim.market_cap import market_cap

    ex, conn, _ = _conn()
    _req(conn, *_scan_fields(8, "MOST_ACTIVE", 50, "marketCapAbove1e6=1000000;"))     # above $1T
    (msg,) = _sent(conn)
    big = _symbols(msg)
    caps = {c.symbol: market_cap(c.con_id, ex.top(c.con_id).last) for c in ex.contracts()}
    assert big and set(big) == {s for s, cap in caps.items() if cap and cap > 1e12}
    _req(conn, *_scan_fields(9, "MOST_ACTIVE", 50, cap_above="1e12"))                 # the field: USD
    (msg,) = _sent(conn)
    assert _symbols(msg) == big
    _req(conn, *_scan_fields(10, "MOST_ACTIVE", 50, "marketCapBelow1e6=1000000;"))
    (msg,) = _sent(conn)
    small = _symbols(msg)
    assert small and not set(small) & set(big) and "SPY" not in small and "QQQ" not in small


def test_bulletins_all_new_and_cancel():
    _, conn, _ = _conn()                                     # T0 = 10:00 NY on a Friday
    _req(conn, D.REQ_NEWS_BULLETINS, 1, 1)
    day = _sent(conn)
    assert [(m[0], m[2], m[3], m[5]) for m in day] == [("14", "1", "3", "ISLAND"), ("14", "2", "1", "")]
    board = conn.gw.bulletins
    board.add(2, "down", T0 + 5, "NYSE")
    assert conn.send_new_bulletins() == 1
    (msg,) = _sent(conn)
    assert msg[2:] == ["3", "2", "down", "NYSE"]
    _req(conn, D.CANCEL_NEWS_BULLETINS, 1)
    board.add(1, "later", T0 + 6)
    conn.scanner_updates()
    assert _sent(conn) == []
    _req(conn, D.REQ_NEWS_BULLETINS, 1, 0)                    # new ones only
    assert _sent(conn) == []
    board.add(1, "newest", T0 + 7)
    conn.scanner_updates()
    assert [m[4] for m in _sent(conn)] == ["newest"]


def test_admin_bulletin_command():
    from app.sim.control import AdminController

    _, conn, _ = _conn()
    gw = conn.gw
    gw.connections = {conn}
    gw.flush_deferred = lambda: None
    ctl = AdminController(gw)
    _req(conn, D.REQ_NEWS_BULLETINS, 1, 0)
    assert ctl.execute("bulletin 2 @NYSE NYSE is halted") == "OK bulletin 3 type 2 sent to 1 clients"
    (msg,) = _sent(conn)
    assert msg[2:] == ["3", "2", "NYSE is halted", "NYSE"]
    assert ctl.execute("bulletin 1 'quoted text'").startswith("OK bulletin 4")
    assert _sent(conn)[0][4:] == ["quoted text", ""]
    for bad in ("bulletin", "bulletin 1", "bulletin x text", "bulletin 4 text", "bulletin 1 @ARCA"):
        assert ctl.execute(bad).startswith("ERR"), bad
