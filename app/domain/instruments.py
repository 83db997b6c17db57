"""Instruments (IB "contracts") as the terminal sees them."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable instrument, resolved against the gateway's contract details.

    Fields follow IB's ``Contract``/``ContractDetails`` names (IB API docs,
    "Contracts"): ``symbol`` ("AAPL", "EUR"), ``sec_type`` ("STK" or "CASH"),
    ``exchange`` ("SMART", "IDEALPRO"), ``currency`` ("USD"), ``primary_exchange``
    ("NASDAQ"), ``con_id`` (IB's contract id, 0 while unresolved), ``min_tick``
    (price increment in ``currency``), ``local_symbol`` ("EUR.USD" for FX) and
    ``long_name`` ("Apple Inc").
    """

    symbol: str
    sec_type: str = "STK"
    exchange: str = "SMART"
    currency: str = "USD"
    primary_exchange: str = ""
    con_id: int = 0
    min_tick: float = 0.01
    local_symbol: str = ""
    long_name: str = ""
    #: the exchange's time zone as IB names it (ContractDetails.timeZoneId, e.g. "US/Eastern"); "" unknown
    time_zone: str = ""
    #: IB ``Contract.multiplier``: shares (or units) per contract; 1 for stocks and FX, 100 for US
    #: equity options, 50 for ES. Notional, margin and P&L are price x quantity x multiplier
    multiplier: float = 1.0
    #: IB ``lastTradeDateOrContractMonth`` of an option or future ("20261218"; "" otherwise)
    expiry: str = ""
    #: an option's strike (instrument currency; 0 otherwise) and right ("C" / "P"; "" otherwise)
    strike: float = 0.0
    right: str = ""
    #: IB ``tradingClass`` ("AAPL", "SPXW", "ES"; "" when not known)
    trading_class: str = ""

    @property
    def is_fx(self) -> bool:
        """True for a currency pair (IB secType CASH): quantities in base-currency units
        (EUR of EUR.USD), traded on IDEALPRO."""
        return self.sec_type == "CASH"

    @property
    def is_option(self) -> bool:
        """True for an option (IB secType OPT): ``expiry``, ``strike``, ``right``, ``multiplier``."""
        return self.sec_type == "OPT"

    @property
    def is_future(self) -> bool:
        """True for a future (IB secType FUT): ``expiry`` (the contract month), ``multiplier``."""
        return self.sec_type == "FUT"

    @property
    def display_symbol(self) -> str:
        """The name a trader types and reads: "AAPL" for stocks, "EUR.USD" for FX, "AAPL
        20261218 200 C" for an option (underlying, expiry, strike, right), "ESZ6" (IB's local
        symbol) for a future, "/ES" for an unresolved front month."""
        if self.is_fx:
            return self.local_symbol or f"{self.symbol}.{self.currency}"
        if self.is_option:
            return f"{self.symbol} {self.expiry} {self.strike:g} {self.right}"
        if self.is_future:
            if self.local_symbol:
                return self.local_symbol
            return f"{self.symbol} {self.expiry}" if self.expiry else f"/{self.symbol}"
        return self.symbol

    @property
    def key(self) -> str:
        """A stable key: the conId when known, else the display symbol."""
        return str(self.con_id) if self.con_id else self.display_symbol

    def to_dict(self) -> dict:
        """The fields as a plain dict (JSON-ready: a layout file, a drag and drop)."""
        return asdict(self)

    @staticmethod
    def from_dict(data: dict) -> "Instrument":
        """An Instrument from :meth:`to_dict` output; unknown keys are ignored (a newer file).
        Raises ``ValueError`` when ``data`` is not a dict, has no symbol, or a field has the
        wrong type (``con_id`` not an integer, ``min_tick`` not a positive number)."""
        if not isinstance(data, dict) or not str(data.get("symbol") or "").strip():
            raise ValueError(f"not an instrument: {data!r}")
        known = {f.name for f in fields(Instrument)}
        kw = {k: v for k, v in data.items() if k in known}
        numbers = {"min_tick": 0.01, "multiplier": 1.0, "strike": 0.0}
        try:
            kw["con_id"] = int(kw.get("con_id") or 0)
            for k, default in numbers.items():
                kw[k] = float(kw.get(k) or default)
        except (TypeError, ValueError):
            raise ValueError(f"not an instrument: {data!r}") from None
        if not kw["min_tick"] > 0:
            raise ValueError(f"not an instrument (min_tick {kw['min_tick']!r}): {data!r}")
        if not kw["multiplier"] > 0:
            raise ValueError(f"not an instrument (multiplier {kw['multiplier']!r}): {data!r}")
        for k in known - {"con_id", *numbers}:
            if k in kw and not isinstance(kw[k], str):
                raise ValueError(f"not an instrument ({k} {kw[k]!r}): {data!r}")
        return Instrument(**kw)

    @staticmethod
    def parse(text: str) -> "Instrument":
        """Parse what a trader typed into an unresolved instrument.

        "aapl" -> STK AAPL SMART USD; "EUR.USD" or "EURUSD" (six letters with a
        known currency pair shape) -> CASH EUR IDEALPRO USD; "BRK.B" or IB's "BRK B" -> the
        class B stock; "ESZ6" (IB's local symbol of a future with a known root) -> FUT ES
        CME; "/ES" -> the front month of ES (``app.domain.futures``); "ES 202612" -> the ES
        contract of that month; "AAPL 20261218 240 C" (underlying, expiry YYYYMMDD, strike,
        C / P / CALL / PUT) -> the US equity option (SMART, USD, multiplier 100). "ESGR" or
        "ESZ" stay stocks. Every form :attr:`display_symbol` shows parses back to the same
        contract (a watchlist saves display symbols).

        Raises ``ValueError`` with a readable reason for empty or malformed text.
        """
        raw = " ".join(text.strip().upper().split())
        if not raw:
            raise ValueError("Enter a symbol, e.g. AAPL, EUR.USD or ESZ6")
        if " " in raw:
            return _parse_spaced(raw, text.strip())
        if "." in raw:
            base, _, quote = raw.partition(".")
            if len(base) == 3 and len(quote) == 3 and base.isalpha() and quote.isalpha():
                return Instrument(base, "CASH", "IDEALPRO", quote, local_symbol=f"{base}.{quote}")
            # class shares such as BRK.B are stocks
            if base.isalnum() and quote.isalnum() and len(raw) <= 12:
                return Instrument(raw.replace(".", " "), "STK")
            raise ValueError(f"'{text.strip()}' is not a valid symbol")
        from app.domain.futures import parse_future   # futures imports this module
        future = parse_future(raw)
        if future is not None:
            return future
        if not all(ch.isalnum() for ch in raw) or len(raw) > 12:
            raise ValueError(f"'{text.strip()}' is not a valid symbol: use letters and digits only")
        return Instrument(raw, "STK")


_CLASS_SHARE = re.compile(r"^[A-Z0-9]{1,6} [A-Z]$")                 # IB "BRK B"
_RIGHTS = {"C": "C", "CALL": "C", "P": "P", "PUT": "P"}


def _parse_spaced(raw: str, shown: str) -> Instrument:
    """:meth:`Instrument.parse` of text with spaces (``raw`` upper case, single spaces): a
    class share, a future by contract month or an option; ValueError otherwise."""
    parts = raw.split(" ")
    if _CLASS_SHARE.match(raw):
        return Instrument(raw, "STK")
    if len(parts) == 2 and parts[1].isdigit() and len(parts[1]) in (6, 8):
        from app.domain.futures import FUTURE_ROOTS     # futures imports this module
        if parts[0] in FUTURE_ROOTS:
            _check_date(parts[1], shown, "contract month YYYYMM or expiry YYYYMMDD")
            return Instrument(parts[0], "FUT", FUTURE_ROOTS[parts[0]], "USD", expiry=parts[1])
    if len(parts) != 4:
        raise ValueError(f"'{shown}' is not a symbol: symbols contain no spaces (an option is "
                         f"written AAPL 20261218 240 C)")
    under, expiry, strike_text, right = parts
    if not under.isalnum() or len(under) > 6:
        raise ValueError(f"'{shown}': the underlying '{under}' is not a symbol")
    if not (expiry.isdigit() and len(expiry) == 8):
        raise ValueError(f"'{shown}': the option's expiry YYYYMMDD, e.g. 20261218")
    _check_date(expiry, shown, "option's expiry YYYYMMDD, e.g. 20261218")
    try:
        strike = float(strike_text)
    except ValueError:
        strike = math.nan
    if not (math.isfinite(strike) and strike > 0):
        raise ValueError(f"'{shown}': the strike must be a positive price, e.g. 240 or 237.5")
    if right not in _RIGHTS:
        raise ValueError(f"'{shown}': the right C or P (CALL / PUT), not '{right}'")
    return Instrument(under, "OPT", "SMART", "USD", multiplier=100.0, expiry=expiry, strike=strike,
                      right=_RIGHTS[right])


def _check_date(digits: str, shown: str, what: str) -> None:
    """ValueError naming ``what`` unless ``digits`` (YYYYMM or YYYYMMDD) is a real date."""
    from datetime import date
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]) if len(digits) == 8 else 1)
    except ValueError:
        raise ValueError(f"'{shown}': the {what}") from None
