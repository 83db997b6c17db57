"""Session.resolve of futures against ib_async's reqContractDetailsAsync (replaced by a
coroutine returning real ib_async objects)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest
from ib_async import ContractDetails, Future

from app.broker import Session
from app.broker.errors import UnknownSymbolError
from app.broker.session_futures import pick_details
from app.domain import Instrument


@pytest.fixture
def session():
    s = Session("127.0.0.1", 1, 1, connect_timeout=1.0)
    s._require_connected = lambda what: None       # noqa: SLF001 - no socket in a unit test
    return s


def _details(local, expiry, con_id):
    c = Future("ES", expiry, "CME", localSymbol=local, multiplier="50", currency="USD", tradingClass="ES")
    c.conId = con_id
    return ContractDetails(contract=c, minTick=0.25, longName="E-mini S&P 500", timeZoneId="US/Central")


def _answer(value, calls):
    async def request(contract):
        calls.append(contract)
        return value
    return request


def _ymd(d: date) -> str:
    return d.strftime("%Y%m%d")


def test_resolve_a_local_symbol_asks_for_it_on_its_exchange(session):
    calls = []
    session.ib.reqContractDetailsAsync = _answer([_details("ESZ6", "20261218", 1001)], calls)
    inst = asyncio.run(session.resolve("ESZ6"))
    (c,) = calls
    assert (c.secType, c.symbol, c.localSymbol, c.exchange, c.lastTradeDateOrContractMonth) == (
        "FUT", "ES", "ESZ6", "CME", "")
    assert (inst.display_symbol, inst.con_id, inst.multiplier, inst.min_tick, inst.expiry, inst.exchange) == (
        "ESZ6", 1001, 50.0, 0.25, "20261218", "CME")


def test_resolve_the_front_month_takes_the_nearest_listed_month_not_past(session):
    today = datetime.now(timezone.utc).date()
    past, soon, later = (_details("ESU6", _ymd(today - timedelta(days=1)), 1),
                         _details("ESZ6", _ymd(today), 2),
                         _details("ESH7", _ymd(today + timedelta(days=90)), 3))
    calls = []
    session.ib.reqContractDetailsAsync = _answer([later, past, soon], calls)
    inst = asyncio.run(session.resolve("/ES"))
    (c,) = calls
    assert (c.secType, c.symbol, c.exchange, c.localSymbol, c.lastTradeDateOrContractMonth) == (
        "FUT", "ES", "CME", "", "")
    assert (inst.con_id, inst.display_symbol) == (2, "ESZ6")


def test_resolve_the_front_month_when_every_month_is_past_is_an_unknown_symbol(session):
    today = datetime.now(timezone.utc).date()
    session.ib.reqContractDetailsAsync = _answer([_details("ESU6", _ymd(today - timedelta(days=1)), 1)], [])
    with pytest.raises(UnknownSymbolError, match="every listed contract month has expired"):
        asyncio.run(session.resolve("/ES"))


def test_pick_details_for_a_stock_keeps_the_matching_listing():
    from ib_async import Stock
    a, b = Stock("X", "SMART", "CAD", primaryExchange="TSE"), Stock("X", "SMART", "USD", primaryExchange="NYSE")
    da, db = ContractDetails(contract=a), ContractDetails(contract=b)
    assert pick_details(Instrument("X"), [da, db], date(2026, 1, 1)) is db
    assert pick_details(Instrument("X", primary_exchange="TSE", currency="CAD"), [db, da], date(2026, 1, 1)) is da
    assert pick_details(Instrument("X", currency="EUR"), [da, db], date(2026, 1, 1)) is da


def test_resolve_a_two_digit_year_sends_the_contract_month_too(session):
    calls = []
    session.ib.reqContractDetailsAsync = _answer([_details("ESZ6", "20261218", 1001)], calls)
    assert asyncio.run(session.resolve("ESZ26")).con_id == 1001
    (c,) = calls
    assert (c.localSymbol, c.lastTradeDateOrContractMonth, c.exchange) == ("ESZ6", "202612", "CME")
