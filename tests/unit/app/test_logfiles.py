"""Diagnosable after the fact (issue 11): a rotating, private log file per profile in the XDG
state folder with every connection event, gateway code and command outcome; stderr keeps only
warnings; the raw API message log is off by default and goes to its own file when on."""

from __future__ import annotations

import io
import logging
import os

import pytest

from app import logfiles
from app.logfiles import API_LOGGER, log_gateway_message, set_api_log, setup_logging, shutdown_logging
from tests.privacy_support import file_mode as mode


@pytest.fixture
def logs(tmp_path, monkeypatch):
    """setup_logging for profile "p1" under a tmp XDG_STATE_HOME, a loose umask, stderr captured."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    old_umask = os.umask(0o022)
    root = logging.getLogger()
    old_level = root.level
    err = io.StringIO()
    folder = setup_logging("p1", stderr=err)
    yield folder, err
    shutdown_logging()
    root.setLevel(old_level)
    os.umask(old_umask)


def _flush():
    for h in logging.getLogger().handlers + logging.getLogger(API_LOGGER).handlers:
        h.flush()


def test_log_file_per_profile_in_the_state_folder_is_private(logs, tmp_path):
    folder, _ = logs
    assert folder == tmp_path / "state" / "ibdesk" / "p1"
    log_file = folder / "ibdesk.log"
    assert log_file.exists()
    assert mode(log_file) == 0o600 and mode(folder) == 0o700 and mode(folder.parent) == 0o700


def test_connection_events_gateway_codes_and_command_outcomes_reach_the_file_not_stderr(logs, aloop):
    from app.commands import OrderCommands, PlaceOrder
    from app.domain import Action, OrderRequest, OrderType
    from tests.fakes import DEFAULT_CONTRACTS, FakeSession

    folder, err = logs
    logging.getLogger("ibdesk.broker").info("session Connection lost: socket closed")
    log_gateway_message(-1, 1100, "Connectivity between IB and TWS has been lost.")
    session = FakeSession()
    commands = OrderCommands(session, read_only=True)
    result = commands.execute(PlaceOrder(OrderRequest(DEFAULT_CONTRACTS[0], Action.BUY, 10, OrderType.LMT,
                                                      limit_price=100.0)))
    assert not result.ok
    ok = OrderCommands(session).execute(PlaceOrder(OrderRequest(DEFAULT_CONTRACTS[0], Action.BUY, 10,
                                                                OrderType.LMT, limit_price=100.0)))
    assert ok.ok
    logging.getLogger("ibdesk").warning("something the trader must see")
    _flush()
    text = (folder / "ibdesk.log").read_text()
    assert "Connection lost" in text
    assert "1100" in text and "Connectivity between IB and TWS" in text
    assert "rejected" in text and result.message in text
    assert ok.message in text
    # stderr: warnings only, as before
    assert "something the trader must see" in err.getvalue()
    assert "1100" not in err.getvalue() and "Connection lost" not in err.getvalue()


def test_api_message_log_is_off_by_default_and_private_when_on(logs):
    folder, _ = logs
    client = logging.getLogger(API_LOGGER)
    client.debug(">>> 3,1,0,AAPL,STK")
    _flush()
    assert not (folder / "api.log").exists()
    assert not client.isEnabledFor(logging.DEBUG)      # ib_async skips formatting while off
    assert ">>> 3,1" not in (folder / "ibdesk.log").read_text()

    assert set_api_log(True, folder)
    assert client.isEnabledFor(logging.DEBUG)
    client.debug(">>> 3,2,0,MSFT,STK")
    client.debug("<<< 9,1,7")
    _flush()
    api = (folder / "api.log").read_text()
    assert ">>> 3,2,0,MSFT,STK" in api and "<<< 9,1,7" in api
    assert mode(folder / "api.log") == 0o600
    assert "<<< 9,1,7" not in (folder / "ibdesk.log").read_text()   # not mixed into the main log

    assert not set_api_log(False, folder)
    client.debug(">>> 3,3,0,NVDA,STK")
    _flush()
    assert "NVDA" not in (folder / "api.log").read_text()


def test_ib_async_logs_raw_messages_on_the_api_logger():
    """The API log relies on ib_async writing every message on ``ib_async.client`` at DEBUG."""
    from ib_async import IB

    assert IB().client._logger.name == API_LOGGER


def test_rotated_files_stay_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(logfiles, "MAX_BYTES", 2000)
    old_umask = os.umask(0o022)
    root = logging.getLogger()
    old_level = root.level
    try:
        folder = setup_logging("p2", stderr=io.StringIO())
        for i in range(200):
            logging.getLogger("ibdesk.broker").info("event %d %s", i, "x" * 40)
        _flush()
        files = sorted(p.name for p in folder.iterdir())
        assert "ibdesk.log.1" in files and len(files) <= 1 + logfiles.BACKUP_COUNT
        assert all(mode(folder / f) == 0o600 for f in files)
    finally:
        shutdown_logging()
        root.setLevel(old_level)
        os.umask(old_umask)


def test_no_log_file_when_the_folder_cannot_be_made_falls_back_to_stderr(tmp_path, monkeypatch):
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    err = io.StringIO()
    root = logging.getLogger()
    old_level = root.level
    try:
        assert setup_logging("p3", stderr=err) is None
        assert "no log file" in err.getvalue()
    finally:
        shutdown_logging()
        root.setLevel(old_level)


def test_ib_async_messages_are_logged_at_the_level_of_their_ib_code(logs):
    """ib_async logs every IB error code at ERROR ("Error 202, reqId 17: Order Canceled"): a
    routine cancel is INFO in the file and absent from stderr, a farm notice too; a
    rejection stays an ERROR on stderr; a warning code is a WARNING."""
    from ib_async import IB
    folder, err = logs
    ib = IB()
    ib.wrapper.error(17, 202, "Order Canceled - reason:", "")
    ib.wrapper.error(-1, 2104, "Market data farm connection is OK:usfarm", "")
    ib.wrapper.error(18, 201, "Order rejected - reason: insufficient margin", "")
    ib.wrapper.error(-1, 1100, "Connectivity between IB and Trader Workstation has been lost.", "")
    _flush()
    text = (folder / "ibdesk.log").read_text()
    assert "INFO ib_async.wrapper: Error 202, reqId 17: Order Canceled" in text
    assert "ERROR ib_async.wrapper: Error 201, reqId 18: Order rejected" in text
    assert "WARNING ib_async.wrapper: Error 1100" in text
    assert "Error 202" not in err.getvalue() and "Error 2104" not in err.getvalue()
    assert "Error 201, reqId 18" in err.getvalue() and "Error 1100" in err.getvalue()


@pytest.mark.parametrize("code, level", [(202, "INFO"), (2104, "INFO"), (2158, "INFO"), (1102, "INFO"),
                                         (2100, "WARN"), (399, "WARN"), (1100, "WARN"),
                                         (201, "ERROR"), (200, "ERROR"), (110, "ERROR")])
def test_log_panel_shows_the_level_of_the_ib_code(qapp, code, level):
    """The Log dock classifies IB codes as the log file does: INFO, WARN or ERROR."""
    from app.ui.log_panel import LogPanel
    panel = LogPanel()
    panel.add_gateway_message(17, code, "text")
    _time, rest = panel.toPlainText().split("  ", 1)      # "09:31:02 ET  WARN   399 [id 17]: text"
    assert rest.split()[:3] == [level, f"{code}", "[id"]
