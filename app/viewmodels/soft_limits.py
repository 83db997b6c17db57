"""Soft warnings of an order before it is sent, for the ticket and the confirmations.

A soft risk limit (``Limit.hard`` False) may be overridden by the trader: the
ticket shows it while the order is composed and the confirmation lists it, so
that Transmit is one decision (issue 14 item 4). :func:`soft_warnings` asks the
command layer (``OrderCommands.soft_failures``); :func:`warning_line` writes one
failure for people ("Price band: Limit 257.40 is 16.2 % above the ask 221.60 (band
5 %: 210.33 - 232.67)"), never with a rule id.

:func:`idealpro_note` is the FX note of the ticket: IDEALPRO's minimum order is
USD 25,000 or its equivalent; IB routes smaller FX orders to IDEAL, its odd-lot
venue, at wider spreads (IBKR Knowledge Base article 1285, "What if a forex
order is transmitted to the incorrect venue?"). Quantities of a CASH pair are in
base-currency units (EUR of EUR.USD), prices in the quote currency.
"""

from __future__ import annotations

import logging
import math

from app.commands import CommandRejected
from app.commands.risk import rule_title
from app.domain import Instrument

log = logging.getLogger(__name__)

#: IDEALPRO's minimum order value in USD (IBKR Knowledge Base article 1285)
IDEALPRO_MIN_USD = 25_000.0
#: a new FX ticket's quantity (base units) and quantity presets
FX_DEFAULT_QUANTITY = 25_000.0
FX_PRESETS: tuple[float, ...] = (25_000, 50_000, 100_000, 250_000, 1_000_000)


def soft_warnings(commands, cmd) -> list[CommandRejected]:
    """The soft risk-limit failures ``cmd`` meets now (``commands.soft_failures``); []
    when there are none, when a hard rule refuses it (that refusal is shown where the
    command is sent) or when ``commands`` cannot tell."""
    find = getattr(commands, "soft_failures", None)
    if find is None:
        return []
    try:
        return list(find(cmd))
    except CommandRejected:
        return []
    except Exception:  # noqa: BLE001 - a check that cannot run must not stop the order entry
        log.exception("soft_failures(%r) failed", cmd)
        return []


def warning_line(failure) -> str:
    """One soft failure for the trader: "Price band: Limit 257.40 is 16.2 % above ..."."""
    return f"{rule_title(getattr(failure, 'rule', ''))}: {getattr(failure, 'reason', failure)}"


def is_fx(instrument: Instrument | None) -> bool:
    """True for a cash FX pair (IB secType CASH, e.g. EUR.USD on IDEALPRO)."""
    return instrument is not None and instrument.is_fx


def usd_value(instrument: Instrument, quantity: float, price: float | None) -> float | None:
    """The USD value of ``quantity`` base units of FX pair ``instrument`` at ``price`` (quote
    currency per base unit): the quantity itself for USD.xxx, quantity x price for xxx.USD,
    None for a cross (no USD leg) or without a price."""
    if instrument.symbol == "USD":
        return float(quantity)
    if instrument.currency == "USD" and price:
        return float(quantity) * float(price)
    return None


def idealpro_note(instrument: Instrument | None, quantity, price: float | None) -> str:
    """Why an FX order is below IDEALPRO's minimum ("" when it is not, or for other
    instruments): "20,000 EUR is about 22,000 USD, below IDEALPRO's minimum of 25,000 USD:
    IB routes it to IDEAL as an odd lot (wider spread)". A cross without a USD leg is
    compared in base units."""
    if not is_fx(instrument) or not isinstance(quantity, (int, float)) or quantity <= 0:
        return ""
    value = usd_value(instrument, quantity, price)
    base = f"{quantity:,.0f} {instrument.symbol}"
    if value is None:
        if quantity >= IDEALPRO_MIN_USD:
            return ""
        what = f"{base} may be"
    elif value >= IDEALPRO_MIN_USD:
        return ""
    elif instrument.symbol == "USD":
        what = f"{base} is"
    else:
        what = f"{base} is about {math.floor(value):,} USD,"   # never rounded up to the minimum
    return (f"{what} below IDEALPRO's minimum of {IDEALPRO_MIN_USD:,.0f} USD: IB routes it to "
            "IDEAL as an odd lot (wider spread)")


__all__ = ["FX_DEFAULT_QUANTITY", "FX_PRESETS", "IDEALPRO_MIN_USD", "idealpro_note", "is_fx",
           "soft_warnings", "usd_value", "warning_line"]
