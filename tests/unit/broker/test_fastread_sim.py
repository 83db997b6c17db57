"""app.broker.fastread over a real socket: handshake, apiStart, quotes and a reconnect of
the same client against the simulated gateway (``app.sim``, in regular trading hours)."""

from __future__ import annotations

import pytest
from ib_async import IB, Stock

from app.broker import fastread
from app.domain import ConnectionState
from tests.integration.sim_support import (arun, gateway_fixture, next_client_id, sim_session,
                                           until)

pytestmark = pytest.mark.timeout(60)
gateway = gateway_fixture()


def test_handshake_api_start_and_quotes_through_the_replacement(gateway):
    async def go():
        ib = IB()
        assert fastread.install(ib.client)
        started = []
        ib.client.apiStart += lambda: started.append(True)
        for _ in range(2):                           # the second connect follows Client.reset()
            await ib.connectAsync("127.0.0.1", gateway.port, clientId=next_client_id(), timeout=5)
            try:
                client = ib.client
                assert client.isReady() and client.serverVersion() >= 157
                assert ib.managedAccounts() == [gateway.exchange.account_id]
                (contract,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
                ticker = ib.reqMktData(contract)
                await until(lambda: ticker.bid > 0 and ticker.ask > 0, 5, "AAPL bid/ask")
                stats = ib.client.connectionStats()
                assert stats.numMsgRecv > 10 and stats.numBytesRecv > 1000
                assert type(client._data) is bytearray and len(client._data) < 4096
            finally:
                ib.disconnect()
            assert client._data == b""
        assert started == [True, True]
        assert ib.client._onSocketHasData.__func__ is fastread.on_socket_has_data

    arun(go(), timeout=40)


def test_session_connects_with_the_replacement(gateway):
    session = sim_session(gateway)

    async def go():
        await session.connect()
        try:
            assert session.state is ConnectionState.CONNECTED
            assert session.accounts == [gateway.exchange.account_id]
            assert type(session.ib.client._data) is bytearray
        finally:
            session.disconnect()

    assert session.ib.client._onSocketHasData.__func__ is fastread.on_socket_has_data
    arun(go(), timeout=40)
