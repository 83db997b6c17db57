"""Which of IB's contract details answers a resolve (used by ``Session.resolve``).

IB reqContractDetails answers a stock asked on SMART with one contract per listing, and a
``Future(symbol, exchange=...)`` without a month with every listed month: the front-month
shortcut ("/ES", ``app.domain.futures``) takes the nearest expiry not yet past.
Source: IB API docs "Contract Details", "Contracts" (Futures).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.broker import convert
from app.domain import Instrument
from app.domain.futures import front_month, is_front_month


def pick_details(inst: Instrument, details: list[Any], today: date) -> Any | None:
    """The ``ContractDetails`` of ``details`` (non-empty) that ``inst`` means.

    A front-month future: the one with the nearest ``lastTradeDateOrContractMonth`` on or
    after ``today`` (None when every listed month is past). Otherwise the first with
    ``inst``'s secType, currency and (when set) primary exchange, else the first.
    """
    if is_front_month(inst):
        by_id = {id(cd): cd for cd in details if cd.contract is not None}
        pairs = [(convert.contract_to_instrument(cd.contract), cd) for cd in by_id.values()]
        chosen = front_month([i for i, _ in pairs], today)
        return next((cd for i, cd in pairs if i is chosen), None)
    for cd in details:
        c = cd.contract
        if c is not None and c.secType == inst.sec_type and c.currency == inst.currency and (
                not inst.primary_exchange or c.primaryExchange == inst.primary_exchange):
            return cd
    return details[0]
