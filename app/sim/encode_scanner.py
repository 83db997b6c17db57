"""Encode the market scanner and news bulletin messages (server versions 157..178).

Every function returns one framed message (bytes). None of these layouts changes inside
157..178 (ibapi ``server_versions``: the bulletins move to protobuf at 209,
``PROTOBUF_NEWS_DATA``, the scanner messages at 210, ``PROTOBUF_SCAN_DATA``), so the ``server_version`` arguments are accepted for
symmetry with the other encoders and not consulted. Each layout was written from the two
client decoders side by side:

* updateNewsBulletin (14): ib_async ``Decoder.handlers[14] = wrap("updateNewsBulletin",
  [int, int, str, str])`` (default ``skip=2``: msg id and a version field), ibapi
  ``IN.NEWS_BULLETINS: HandleInfo(wrap=EWrapper.updateNewsBulletin)`` (the signature
  interpreter skips msg id and version); ib_insync 0.9.86 the same as ib_async.
* scannerParameters (19): ib_async ``wrap("scannerParameters", [str])``, ibapi
  ``HandleInfo(wrap=EWrapper.scannerParameters)``: msg id, version, xml.
* scannerData (20): ib_async ``Decoder.scannerData`` (``_, _, reqId, n, *fields``: msg id and
  version), ibapi ``processScannerDataMsg`` (``decode(int)`` version, then reqId, count and 16
  fields per row); the rows end with scannerDataEnd in both clients, no separate message.
"""

from __future__ import annotations

from app.sim.types import SimContract
from app.sim.wire import encode_fields

# Incoming (server -> client) message ids, ibapi ``message.IN``.
NEWS_BULLETINS = 14
SCANNER_PARAMETERS = 19
SCANNER_DATA = 20

#: version fields TWS writes (ibapi ``EDecoder``/TWS: scannerData 3, the others 1)
SCANNER_DATA_VERSION = 3
NEWS_BULLETIN_VERSION = 1
SCANNER_PARAMETERS_VERSION = 1

#: IB's bulletin types (ibapi ``EWrapper.updateNewsBulletin`` docs: 1 regular news
#: bulletin, 2 exchange no longer available for trading, 3 exchange available again)
BULLETIN_REGULAR, BULLETIN_EXCHANGE_UNAVAILABLE, BULLETIN_EXCHANGE_AVAILABLE = 1, 2, 3

#: fields per scannerData row (ibapi ``processScannerDataMsg``)
SCANNER_ROW_FIELDS = 16


def news_bulletin(msg_id: int, msg_type: int, message: str, orig_exchange: str,
                  server_version: int = 178) -> bytes:
    """updateNewsBulletin (14), version 1: msgId, msgType (1 regular, 2 exchange unavailable,
    3 exchange available), message text, originating exchange ("" for a regular bulletin).
    6 fields with the msg id."""
    return encode_fields(NEWS_BULLETINS, NEWS_BULLETIN_VERSION, int(msg_id), int(msg_type),
                         message, orig_exchange)


def scanner_parameters(xml: str, server_version: int = 178) -> bytes:
    """scannerParameters (19), version 1: the XML document (``app.sim.scanner.parameters_xml``).
    3 fields with the msg id."""
    return encode_fields(SCANNER_PARAMETERS, SCANNER_PARAMETERS_VERSION, xml)


def scanner_data(req_id: int, rows: list[tuple[int, SimContract]],
                 server_version: int = 178) -> bytes:
    """scannerData (20), version 3: reqId, count, then per row rank (0 = first), conId, symbol,
    secType, lastTradeDateOrContractMonth, strike, right, exchange, currency, localSymbol,
    marketName (TWS writes the trading class, ``NMS`` for NASDAQ/NYSE stocks), tradingClass,
    distance, benchmark, projection, legsStr (the last four empty for stock scans, as TWS sends
    them). 4 + 16 * rows fields with the msg id; an empty list is a valid answer (count 0)."""
    f: list = [SCANNER_DATA, SCANNER_DATA_VERSION, int(req_id), len(rows)]
    for rank, c in rows:
        f += [int(rank), c.con_id, c.symbol, c.sec_type, "", 0.0, "", c.exchange, c.currency,
              c.local_symbol, c.trading_class, c.trading_class, "", "", "", ""]
    return encode_fields(*f)
