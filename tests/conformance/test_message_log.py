"""The API message log of one scenario (place LMT, modify, partial fill, cancel), kept as a
readable fixture: ``fixtures/lmt_modify_cancel.log``.

The scenario runs the official ibapi client against a fresh gateway (fixed client id, scripted
market); the gateway's ``message_log`` hook (``SimGateway.message_log``: direction, client id,
message name, fields) records every message. Times, permIds and execIds are masked so the
log is stable. Regenerate after an intended protocol change with
``CONFORMANCE_REGEN=1 pytest tests/conformance/test_message_log.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from tests.conformance.conftest import Market, rth_start_time
from tests.conformance.ibapi_driver import IbapiDriver
from tests.conformance.scenarios import q, stk

pytestmark = pytest.mark.timeout(60)

FIXTURE = Path(__file__).parent / "fixtures" / "lmt_modify_cancel.log"
CLIENT_ID = 9

_DATETIME = re.compile(r"^\d{8}[ -]\d{2}:\d{2}:\d{2}( [A-Za-z_/+\-0-9]+)?$")
_EPOCH = re.compile(r"^1\d{9}(\.\d+)?$")                 # POSIX seconds (2001..2286)
_EXEC_ID = re.compile(r"^[0-9a-f]{8}\.[0-9a-f]{8}\.\d{2}\.\d{2}$")
_PERM_ID = re.compile(r"^10\d{8}$")                        # the simulator's permIds (1_0xx_xxx_xxx)


def mask(field: str) -> str:
    """Replace a run-dependent field (date-time, POSIX time, execId, permId) by a placeholder."""
    if _DATETIME.match(field):
        return "<TIME>"
    if _PERM_ID.match(field):
        return "<PERMID>"
    if _EPOCH.match(field):
        return "<EPOCH>"
    if _EXEC_ID.match(field):
        return "<EXECID>"
    return field


def format_line(direction: str, client_id, name: str, fields: list[str]) -> str:
    """One message per line: ``-> 9 orderStatus 3|2|Submitted|...`` (fields joined by ``|``)."""
    return f"{direction} {client_id} {name} " + "|".join(mask(str(f)) for f in fields)


def record_scenario() -> list[str]:
    """Run the scenario on a fresh gateway and return its masked message log lines."""
    from app.sim.server import GatewayThread

    lines: list[str] = []
    lock = threading.Lock()

    def message_log(direction, client_id, name, fields):
        if client_id in (CLIENT_ID, None) and name not in ("handshake",):
            with lock:
                lines.append(format_line(direction, client_id, name, list(fields)))

    gw = GatewayThread(seed=7, start_time=rth_start_time())
    gw.gateway.message_log = message_log
    market = Market(gw)
    d = IbapiDriver()
    try:
        d.connect(gw.port, CLIENT_ID)
        spec = stk("IBM")
        con = gw.exchange.lookup(symbol="IBM", sec_type="STK")[0].con_id
        market.set_quote(con, **q(100.00, 100.02))
        order = {"action": "BUY", "totalQuantity": 300, "orderType": "LMT", "lmtPrice": 99.50, "orderRef": "fixture"}
        oid = d.place(spec, order)
        assert d.wait_status(oid, "Submitted")
        d.place(spec, dict(order, lmtPrice=99.60), order_id=oid)
        assert d.wait(lambda: (d.order_state(oid) or {}).get("lmtPrice") == 99.60)
        market.steps(dict(con_id=con, **q(99.58, 99.60, size=100)), dict(con_id=con, **q(100.00, 100.02)))
        assert d.wait(lambda: (d.order_state(oid) or {}).get("filled") == 100)
        assert d.wait(lambda: any(x["commission"] for x in d.executions(oid)))
        d.cancel(oid)
        assert d.wait_status(oid, "Cancelled") and d.wait_error(oid, 202)
        d.wait(lambda: False, 0.3)                      # let trailing messages arrive
    finally:
        d.disconnect()
        gw.stop()
    with lock:
        return list(lines)


def test_message_log_fixture_is_reproduced():
    lines = record_scenario()
    text = "\n".join(lines) + "\n"
    if os.environ.get("CONFORMANCE_REGEN") or not FIXTURE.exists():
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(text)
        pytest.skip(f"fixture (re)written: {FIXTURE}")
    expected = FIXTURE.read_text()
    assert text == expected, "message log differs from the fixture (CONFORMANCE_REGEN=1 to rewrite after review)"


def test_fixture_content_is_the_scenario():
    """The kept log shows the life cycle IB sends: Submitted, the modify, a partial fill with
    execDetails + commissionReport, then Cancelled and error 202."""
    if not FIXTURE.exists():
        pytest.skip("fixture not recorded yet")
    lines = FIXTURE.read_text().splitlines()
    names = [(ln.split(" ", 3)[0], ln.split(" ", 3)[2]) for ln in lines]
    assert ("<-", "placeOrder") in names and ("->", "execDetails") in names
    assert sum(1 for n in names if n == ("<-", "placeOrder")) == 2               # place + modify
    assert any(n[1] in ("commissionReport", "commissionAndFeesReport") for n in names)
    statuses = [ln.split("|")[2] for ln in lines if " orderStatus " in ln]
    assert "Submitted" in statuses and statuses[-1] == "Cancelled"
    assert any(" error " in ln and "|202|" in ln for ln in lines)
    assert all("<-" == ln[:2] or "->" == ln[:2] for ln in lines)
