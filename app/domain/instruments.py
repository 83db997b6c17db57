"""Instruments (IB "contracts") as the terminal sees them."""

from __future__ import annotations

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
        known currency pair shape) -> CASH EUR IDEALPRO USD; "ESZ6" (IB's local symbol of a
        future with a known root) -> FUT ES CME; "/ES" -> the front month of ES
        (``app.domain.futures``). "ESGR" or "ESZ" stay stocks.

        Raises ``ValueError`` with a readable reason for empty or malformed text.
        """
        raw = text.strip().upper()
        if not raw:
            raise ValueError("Enter a symbol, e.g. AAPL, EUR.USD or ESZ6")
        if any(ch.isspace() for ch in raw):
            raise ValueError(f"'{text.strip()}' is not a symbol: symbols contain no spaces")
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
