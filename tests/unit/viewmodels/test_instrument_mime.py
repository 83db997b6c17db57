"""The instrument drag format without a view: round trip of every Instrument field, the
text/plain symbols, bad payloads (refused whole, never raised), symbol text parsing, and
the rows of the scanner and positions tables dragging out as their instruments (copy only)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, Qt

from app.domain import Instrument
from app.domain.scanner import ScanRow
from app.viewmodels.account import PositionsModel
from app.viewmodels.instrument_mime import (
    INSTRUMENT_MIME, MAX_TEXT_SYMBOLS, instrument_mime, instruments_from_mime, symbols_from_mime,
    symbols_from_text,
)
from app.viewmodels.scanner import ScanResultsModel
from tests.fakes import FakeSession

AAPL = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL", "APPLE INC",
                  "US/Eastern")
EURUSD = Instrument("EUR", "CASH", "IDEALPRO", "USD", "", 12087792, 0.00005, "EUR.USD",
                    "European Monetary Union Euro", "MET")


def _raw(payload: bytes) -> QMimeData:
    m = QMimeData()
    m.setData(INSTRUMENT_MIME, payload)
    return m


def test_round_trip_keeps_every_field_and_types_the_symbols(qapp):
    m = instrument_mime(AAPL)
    assert m.formats() == [INSTRUMENT_MIME, "text/plain"]
    assert instruments_from_mime(m) == [AAPL]
    assert m.text() == "AAPL"
    both = instrument_mime([EURUSD, AAPL])
    assert instruments_from_mime(both) == [EURUSD, AAPL]        # in order, floats exact
    assert both.text() == "EUR.USD\nAAPL"
    assert symbols_from_mime(both) == ["EUR.USD", "AAPL"]
    assert json.loads(bytes(m.data(INSTRUMENT_MIME)))[0]["con_id"] == 265598
    assert instrument_mime([]).formats() == []
    with pytest.raises(TypeError, match="not str"):
        instrument_mime(["AAPL"])


@pytest.mark.parametrize("payload", [
    b"", b"not json", b"\xff\xfe", b'{"symbol": "AAPL"}', b"[]", b'["AAPL"]', b"[1]",
    b'[{"sec_type": "STK"}]', b'[{"symbol": "  "}]', b'[{"symbol": 5}]',
    b'[{"symbol": "AAPL", "con_id": "265598"}]', b'[{"symbol": "AAPL", "con_id": -1}]',
    b'[{"symbol": "AAPL", "con_id": true}]', b'[{"symbol": "AAPL", "min_tick": 0}]',
    b'[{"symbol": "AAPL", "min_tick": "0.01"}]', b'[{"symbol": "AAPL"}, {"symbol": null}]',
    b'[{"symbol": "AAPL", "multiplier": 0}]', b'[{"symbol": "AAPL", "multiplier": "100"}]',
    b'[{"symbol": "AAPL", "strike": -1}]', b'[{"symbol": "AAPL", "strike": "200"}]',
])
def test_bad_payloads_give_no_instruments(qapp, payload):
    assert instruments_from_mime(_raw(payload)) == []


def test_missing_format_and_unknown_keys(qapp):
    assert instruments_from_mime(None) == []
    text_only = QMimeData()
    text_only.setText("AAPL")
    assert instruments_from_mime(text_only) == []
    # a newer version's extra field is ignored; missing fields take the defaults
    got = instruments_from_mime(_raw(b'[{"symbol": "MSFT", "con_id": 272093, "future": 1}]'))
    assert got == [Instrument("MSFT", con_id=272093)]


@pytest.mark.parametrize("text, symbols", [
    ("AAPL", ["AAPL"]), ("  aapl\n", ["AAPL"]), ("eur.usd", ["EUR.USD"]),
    ("AAPL, MSFT;spy\nNVDA\tAAPL", ["AAPL", "MSFT", "SPY", "NVDA"]),
    ("", []), (None, []), (" , ", []), ("Buy 100 AAPL now!", []), ("https://example.com/x", []),
    ("AAPL MSFT " * MAX_TEXT_SYMBOLS, []),
])
def test_symbols_from_text(text, symbols):
    assert symbols_from_text(text) == symbols


def test_scanner_and_position_rows_drag_as_their_instruments(qapp):
    scan = ScanResultsModel()
    scan.set_rows([ScanRow(0, "MSFT", 272093, primary_exchange="NASDAQ"),
                   ScanRow(1, "NVDA", 4815747, exchange="", currency="")])
    assert scan.flags(scan.index(0, 1)) & Qt.ItemFlag.ItemIsDragEnabled
    assert scan.supportedDragActions() == Qt.DropAction.CopyAction      # the row stays
    m = scan.mimeData([scan.index(1, c) for c in range(scan.columnCount())] + [scan.index(0, 0)])
    assert instruments_from_mime(m) == [Instrument("MSFT", primary_exchange="NASDAQ", con_id=272093),
                                        Instrument("NVDA", con_id=4815747)]
    assert m.text() == "MSFT\nNVDA"

    s = FakeSession()
    s.set_position("AAPL", 100, 180.0, 187.5)
    pos = PositionsModel(s)
    m = pos.mimeData([pos.index(0, 0)])
    assert instruments_from_mime(m) == [s.contracts["AAPL"]]
    assert pos.supportedDragActions() == Qt.DropAction.CopyAction
    assert pos.mimeData([]).formats() == []
    pos.close()


def test_an_option_drags_with_its_contract_fields(qapp):
    from app.domain import Instrument
    call = Instrument("AAPL", "OPT", con_id=9001, local_symbol="AAPL  261218C00200000", multiplier=100.0,
                      expiry="20261218", strike=200.0, right="C", trading_class="AAPL")
    m = instrument_mime(call)
    assert instruments_from_mime(m) == [call] and m.text() == "AAPL 20261218 200 C"
    assert instruments_from_mime(_raw(b'[{"symbol": "AAPL", "multiplier": 100, "strike": 0}]'))[0].multiplier == 100.0
