"""Session.option_chain / option_contracts against ib_async's request methods (replaced by
coroutines returning real ib_async objects, as the wrapper would build them)."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import ContractDetails, Option
from ib_async.objects import OptionChain as IBOptionChain
from ib_async.wrapper import RequestError

from app.broker import Session
from app.broker.errors import NotConnectedError, UnknownSymbolError
from app.domain import ConnectionState, Instrument

AAPL = Instrument("AAPL", "STK", "SMART", "USD", "NASDAQ", 265598, 0.01, "AAPL", "APPLE INC")


@pytest.fixture
def session():
    s = Session("127.0.0.1", 1, 1, connect_timeout=1.0)
    s._require_connected = lambda what: None       # noqa: SLF001 - no socket in a unit test
    return s


def run(coro):
    return asyncio.run(coro)


def _answer(value=None, error=None, calls=None):
    async def request(*args):
        if calls is not None:
            calls.append(args)
        if error is not None:
            raise error
        return value
    return request


def test_option_chain_picks_the_smart_chain_of_the_symbols_trading_class(session):
    calls = []
    session.ib.reqSecDefOptParamsAsync = _answer([
        IBOptionChain("CBOE", 265598, "AAPL", "100", ["20261218"], [200.0]),
        IBOptionChain("SMART", 265598, "AAPL7", "100", ["20261218"], [200.0]),   # adjusted class
        IBOptionChain("SMART", 265598, "AAPL", "100", ["20270115", "20261218"], [205.0, 195.0]),
    ], calls=calls)
    chain = run(session.option_chain(AAPL))
    assert calls == [("AAPL", "", "STK", 265598)]
    assert (chain.exchange, chain.trading_class, chain.multiplier) == ("SMART", "AAPL", 100.0)
    assert chain.expirations == ("20261218", "20270115") and chain.strikes == (195.0, 205.0)
    assert len(run(session.option_chains(AAPL))) == 3


def test_option_chain_without_the_symbols_class_takes_the_one_with_most_expirations(session):
    session.ib.reqSecDefOptParamsAsync = _answer([
        IBOptionChain("SMART", 416904, "SPX", "100", ["20261218"], [6000.0]),
        IBOptionChain("SMART", 416904, "SPXW", "100", ["20261207", "20261208", "20261218"], [6000.0]),
    ])
    spx = Instrument("SPXX", con_id=416904)
    assert run(session.option_chain(spx)).trading_class == "SPXW"


def test_option_chain_errors_carry_ibs_text(session):
    session.ib.reqSecDefOptParamsAsync = _answer([])
    with pytest.raises(UnknownSymbolError, match="IB lists no options on AAPL") as e:
        run(session.option_chain(AAPL))
    assert e.value.code == 200
    session.ib.reqSecDefOptParamsAsync = _answer(error=RequestError(5, 321, "Error validating request"))
    with pytest.raises(UnknownSymbolError, match="Error validating request") as e:
        run(session.option_chain(AAPL))
    assert e.value.code == 321
    session.ib.reqSecDefOptParamsAsync = _answer([IBOptionChain("CBOE", 265598, "AAPL", "100", ["20261218"], [200.0])])
    with pytest.raises(UnknownSymbolError, match="no options on AAPL at SMART \\(only at CBOE\\)"):
        run(session.option_chain(AAPL))


def test_option_chain_resolves_an_unresolved_underlying_first(session):
    async def resolve(inst):
        return AAPL
    session.resolve = resolve
    calls = []
    session.ib.reqSecDefOptParamsAsync = _answer([IBOptionChain("SMART", 265598, "AAPL", "100", ["20261218"],
                                                                [200.0])], calls=calls)
    assert run(session.option_chain(Instrument("AAPL"))).underlying.con_id == 265598
    assert calls == [("AAPL", "", "STK", 265598)]


def _details(strike, right, con_id):
    c = Option("AAPL", "20261218", strike, right, "SMART", "100", "USD", conId=con_id,
               localSymbol=f"AAPL  261218{right}{int(strike * 1000):08d}", tradingClass="AAPL")
    return ContractDetails(contract=c, minTick=0.01, longName="APPLE INC", timeZoneId="US/Eastern")


def test_option_contracts_one_request_for_the_whole_expiry(session):
    calls = []
    session.ib.reqContractDetailsAsync = _answer(
        [_details(205.0, "P", 4), _details(200.0, "P", 2), _details(200.0, "C", 1), _details(205.0, "C", 3)],
        calls=calls)
    opts = run(session.option_contracts(AAPL, "20261218"))
    (contract,), = calls
    assert (contract.secType, contract.symbol, contract.lastTradeDateOrContractMonth, contract.strike,
            contract.right, contract.exchange, contract.currency) == ("OPT", "AAPL", "20261218", 0.0, "", "SMART", "USD")
    assert [(o.strike, o.right, o.con_id) for o in opts] == [(200.0, "C", 1), (200.0, "P", 2), (205.0, "C", 3),
                                                            (205.0, "P", 4)]
    o = opts[0]
    assert (o.multiplier, o.min_tick, o.expiry, o.trading_class, o.local_symbol) == \
        (100.0, 0.01, "20261218", "AAPL", "AAPL  261218C00200000")
    assert o.display_symbol == "AAPL 20261218 200 C"
    assert session._instrument_of(Option(conId=3)).strike == 205.0      # noqa: SLF001 - known by conId now
    only = run(session.option_contracts(AAPL, "20261218", [205.0]))
    assert [(o.strike, o.right) for o in only] == [(205.0, "C"), (205.0, "P")]


def test_option_contracts_errors(session):
    with pytest.raises(ValueError, match="YYYYMMDD, got '2026-12-18'"):
        run(session.option_contracts(AAPL, "2026-12-18"))
    session.ib.reqContractDetailsAsync = _answer([])
    with pytest.raises(UnknownSymbolError, match="AAPL 20261219: No security definition") as e:
        run(session.option_contracts(AAPL, "20261219"))
    assert e.value.code == 200
    session.ib.reqContractDetailsAsync = _answer([_details(200.0, "C", 1)])
    with pytest.raises(UnknownSymbolError, match="No security definition"):
        run(session.option_contracts(AAPL, "20261218", [999.0]))
    session.ib.reqContractDetailsAsync = _answer(error=RequestError(7, 200, "No security definition has been found"))
    with pytest.raises(UnknownSymbolError, match="No security definition has been found"):
        run(session.option_contracts(AAPL, "20261218"))


def test_not_connected():
    s = Session("127.0.0.1", 1, 1, connect_timeout=1.0)
    with pytest.raises(NotConnectedError, match="option chain of AAPL"):
        run(s.option_chain(AAPL))
    with pytest.raises(NotConnectedError, match="options of AAPL 20261218"):
        run(s.option_contracts(AAPL, "20261218"))


def test_an_options_market_data_asks_for_its_open_interest(session):
    sent = []
    session.ib.reqMktData = lambda contract, generic, snapshot, regulatory: sent.append(
        (contract.secType, generic)) or object()
    session.ib.isConnected = lambda: True
    session._state = ConnectionState.CONNECTED                            # noqa: SLF001
    session.subscribe_quotes(Instrument("AAPL", "OPT", con_id=1, multiplier=100.0, expiry="20261218",
                                        strike=200.0, right="C"))
    session.subscribe_quotes(AAPL)
    assert sent == [("OPT", "101"), ("STK", "")]


def test_timeout_and_lost_connection_are_unknown_symbol_errors_with_code_0(session):
    async def slow(*args):
        await asyncio.sleep(5)
    session._connect_timeout = 0.01                                # noqa: SLF001
    session.ib.reqSecDefOptParamsAsync = slow
    with pytest.raises(UnknownSymbolError, match="no option chain within 0.01 s") as e:
        run(session.option_chain(AAPL))
    assert e.value.code == 0
    session.ib.reqContractDetailsAsync = _answer(error=ConnectionError("Socket disconnect"))
    with pytest.raises(UnknownSymbolError, match="connection lost \\(Socket disconnect\\)"):
        run(session.option_contracts(AAPL, "20261218"))
