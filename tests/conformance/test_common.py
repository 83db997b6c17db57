"""Self-tests of the suite's client-neutral helpers (depth replay, time normalisation,
decode-failure detection, status subsequences, log masking)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conformance.common import apply_depth, bar_time
from tests.conformance.scenarios import ordered_subsequence
from tests.conformance.test_message_log import mask


def test_apply_depth_ib_semantics():
    ops = [(0, 0, 1, 10.0, 100), (0, 0, 1, 10.1, 50),      # insert at 0 shifts the old row down
           (1, 1, 1, 10.0, 70),                           # update row 1
           (0, 0, 0, 10.2, 30), (1, 0, 0, 10.3, 40),
           (0, 2, 0, 10.2, 0)]                            # delete row 0 of the asks
    bids, asks = apply_depth(ops)
    assert bids == [(10.1, 50.0), (10.0, 70.0)]
    assert asks == [(10.3, 40.0)]


@pytest.mark.parametrize("bad", [[(1, 0, 1, 1.0, 1)], [(0, 1, 1, 1.0, 1)], [(0, 2, 0, 1.0, 1)], [(0, 7, 0, 1.0, 1)]])
def test_apply_depth_rejects_impossible_operations(bad):
    with pytest.raises(AssertionError):
        apply_depth(bad)


def test_bar_time_forms():
    t = dt.datetime(2026, 11, 18, 14, 30, tzinfo=dt.timezone.utc)
    assert bar_time(str(int(t.timestamp()))) == t.timestamp()
    assert bar_time(t) == t.timestamp()
    assert bar_time("20261118") == "20261118"
    assert bar_time(dt.date(2026, 11, 18)) == "20261118"
    assert bar_time("20261118 09:30:00 US/Eastern") == t.timestamp()
    with pytest.raises(ValueError):
        bar_time("yesterday")


def test_ordered_subsequence():
    assert ordered_subsequence(["PreSubmitted", "Filled"], ["PendingSubmit", "PreSubmitted", "Submitted", "Filled"])
    assert not ordered_subsequence(["Filled", "PreSubmitted"], ["PreSubmitted", "Filled"])


def test_mask():
    assert mask("20261118 09:30:00 US/Eastern") == "<TIME>"
    assert mask("20261118-14:30:00") == "<TIME>"
    assert mask("1795012200") == "<EPOCH>"
    assert mask("1007000001") == "<PERMID>"
    assert mask("0000e0d5.6552f1a3.01.01") == "<EXECID>"
    assert mask("99.6") == "99.6" and mask("Submitted") == "Submitted"


def test_ib_async_decode_failure_is_detected(gw):
    """A message ib_async cannot decode shows up in decode_problems() (so the ``client``
    fixture's teardown check can fail)."""
    from tests.conformance.conftest import next_client_id
    from tests.conformance.ib_async_driver import IbAsyncDriver

    d = IbAsyncDriver()
    try:
        d.connect(gw.port, next_client_id())
        assert d.decode_problems() == []
        d.interpret(["3", "notanint", "Submitted"])                       # a broken orderStatus
        assert d.decode_problems()
    finally:
        d.disconnect()


def test_ibapi_decode_failure_is_detected(gw):
    from tests.conformance.conftest import next_client_id
    from tests.conformance.ibapi_driver import IbapiDriver

    d = IbapiDriver()
    try:
        d.connect(gw.port, next_client_id())
        assert d.decode_problems() == []
        d.app.error(-1, 0, 508, "Bad message")       # what ibapi's reader reports for a bad frame
        assert d.decode_problems()
    finally:
        d.disconnect()


def test_ib_insync_decode_failure_is_detected(gw):
    """The same for ib_insync in its child process: a broken message fed to its decoder shows
    up in decode_problems(), with the exception; IB error messages (here 10147) do not."""
    from tests.conformance.conftest import next_client_id
    from tests.conformance.ib_insync_driver import IbInsyncDriver

    d = IbInsyncDriver()
    try:
        d.connect(gw.port, next_client_id())
        d.cancel(999_999)                                                  # an error message, not a decode failure
        assert d.wait_error(999_999, 10147)
        assert d.decode_problems() == []
        d.interpret(["3", "notanint", "Submitted"])                       # a broken orderStatus
        (p,) = d.decode_problems()
        assert p.startswith("ib_insync.Decoder: Error for orderStatus") and "ValueError" in p, p
        with pytest.raises(NotImplementedError):
            d.rpc("no_such_request")
    finally:
        d.disconnect()
    assert d.decode_problems() == [p]                                     # kept after the session ended
