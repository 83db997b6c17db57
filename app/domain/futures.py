"""Futures as a trader types them: IB local symbols ("ESZ6") and the front-month shortcut ("/ES").

Pure functions (no Qt, no ib_async). IB names a US future by its *local symbol*: the root,
the month code (CME's F G H J K M N Q U V X Z for January .. December) and the last digit of
the year ("ESZ6" = E-mini S&P 500, December 2026; "CLF7" = crude oil, January 2027). The
terminal also accepts a two-digit year ("ESZ26"), sent to IB as "ESZ6" with the contract
month "202612".

The front-month shortcut is the root with a leading slash ("/ES", as many US brokers'
platforms write futures roots): it resolves to the contract with the nearest last trade
date not yet past (IB reqContractDetails for ``Future(symbol, exchange=...)`` lists every
listed month: :func:`front_month` picks one).

Only the roots of :data:`FUTURE_ROOTS` parse as futures, so stock symbols keep parsing as
stocks ("ESGR", "ESZ", "CLF" are stocks; "ESZ6" is a future).
Sources: CME Group contract specifications; IB API docs "Contracts" (Futures).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Iterable

from app.domain.instruments import Instrument

#: root -> IB exchange of the common US futures (IB ``Contract.exchange``)
FUTURE_ROOTS: dict[str, str] = {
    "ES": "CME", "NQ": "CME", "RTY": "CME", "MES": "CME", "MNQ": "CME",
    "YM": "CBOT", "ZN": "CBOT", "ZB": "CBOT",
    "CL": "NYMEX", "NG": "NYMEX",
    "GC": "COMEX", "SI": "COMEX",
}
#: futures month codes, January .. December
MONTH_CODES = "FGHJKMNQUVXZ"
#: the front-month shortcut's prefix ("/ES")
FRONT_MONTH_PREFIX = "/"

#: how to type a future, for a symbol field's tool tip
FUTURES_HINT = ("Futures: the local symbol (ESZ6 = E-mini S&P 500 December 2026; month codes "
                "F G H J K M N Q U V X Z) or / and the root for the front month (/ES, /CL, /GC)")

_LOCAL = re.compile(r"^([A-Z]{1,3})([FGHJKMNQUVXZ])(\d{1,2})$")


def parse_future(text: str) -> Instrument | None:
    """The unresolved future ``text`` names (upper case, no spaces), None when it is not one.

    "ESZ6" -> FUT ES CME, local symbol "ESZ6"; "ESZ26" -> local symbol "ESZ6" and contract
    month (IB ``lastTradeDateOrContractMonth``) "202612"; "/ES" -> the front month of ES
    (no local symbol, no expiry: :func:`is_front_month`). Raises ``ValueError`` for "/XYZ"
    with a root not in :data:`FUTURE_ROOTS` (the slash says the trader meant a future).
    """
    if text.startswith(FRONT_MONTH_PREFIX):
        root = text[len(FRONT_MONTH_PREFIX):]
        if root not in FUTURE_ROOTS:
            known = ", ".join(sorted(FUTURE_ROOTS))
            raise ValueError(f"'{text}' is not a known futures root; ibdesk knows {known}")
        return Instrument(root, "FUT", FUTURE_ROOTS[root], "USD")
    m = _LOCAL.match(text)
    if m is None or m.group(1) not in FUTURE_ROOTS:
        return None
    root, code, year = m.groups()
    expiry = ""
    if len(year) == 2:
        expiry = f"20{year}{MONTH_CODES.index(code) + 1:02d}"
    return Instrument(root, "FUT", FUTURE_ROOTS[root], "USD", local_symbol=f"{root}{code}{year[-1]}",
                      expiry=expiry)


def is_front_month(inst: Instrument) -> bool:
    """True for an unresolved front-month future (FUT with neither local symbol nor expiry)."""
    return inst.is_future and not inst.local_symbol and not inst.expiry


def front_month(contracts: Iterable[Instrument], today: date) -> Instrument | None:
    """The future with the nearest expiry on or after ``today`` (its last trade day still
    trades); None when every one is past. ``expiry`` is IB's "YYYYMMDD" (or "YYYYMM": the
    month's contracts count until the month ends)."""
    key = today.strftime("%Y%m%d")
    live = [c for c in contracts if c.is_future and _last_day(c.expiry) >= key]
    return min(live, key=lambda c: _last_day(c.expiry), default=None)


def _last_day(expiry: str) -> str:
    """A "YYYYMMDD" to compare with: "YYYYMM" -> the month's last possible day ("YYYYMM31")."""
    return expiry + "31" if len(expiry) == 6 else expiry
