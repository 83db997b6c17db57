"""Alerts on a real Session (ib_async over a socket) against the simulated gateway: a quote
scripted on the gateway's own loop crosses an alert's level and the alert fires; the
alert's quote subscription is the Session's counted one (one reqMktData)."""

from __future__ import annotations

import asyncio

import pytest

from app.domain.alerts import Alert, AlertKind
from app.viewmodels.alerts import AlertsModel
from tests.integration.sim_support import make_gateway, sim_session, until

pytestmark = pytest.mark.timeout(60)


def _script_quote(gw, con_id: int, bid: float, ask: float, hold: float = 600.0) -> None:
    """Set the top of book of ``con_id`` on the gateway's loop, holding the random walk."""
    gateway, ex = gw.gateway, gw.exchange

    def go():
        ex.set_quote(con_id, max(gateway.clock(), ex.now), bid=bid, ask=ask, bid_size=100,
                     ask_size=100, last=round((bid + ask) / 2, 2), hold=hold)

    async def job():
        gateway.call_exchange(go)
    asyncio.run_coroutine_threadsafe(job(), gw.loop).result(5)


def test_a_scripted_quote_fires_a_price_alert(qapp, tmp_path):
    gw = make_gateway(seed=11)
    try:
        con = gw.exchange.lookup(symbol="IBM", sec_type="STK")[0].con_id
        _script_quote(gw, con, 100.00, 100.02)

        async def main():
            s = sim_session(gw)
            await s.connect()
            m = AlertsModel(s, path=tmp_path / "sim.alerts.json")
            fired = []
            m.fired.connect(lambda a, msg: fired.append(msg))
            try:
                ibm = await s.resolve("IBM")
                m.add(Alert(AlertKind.PRICE_ABOVE, ibm, level=150.0))
                m.add(Alert(AlertKind.PRICE_BELOW, ibm, level=50.0))
                await until(lambda: s.quote(ibm.key) is not None and s.quote(ibm.key).last, 10, "IBM quotes")
                assert fired == []
                assert len(s.ib.tickers()) == 1              # one reqMktData for two alerts
                _script_quote(gw, con, 150.10, 150.12)
                await until(lambda: fired, 10, "the alert firing")
                assert fired[0].startswith("IBM at 150.1") and "price above 150" in fired[0]
                assert m.log.rowCount() == 1
                assert not m.items()[0].enabled and m.items()[1].enabled
            finally:
                m.close()
                s.disconnect()
        asyncio.run(asyncio.wait_for(main(), 45))
    finally:
        gw.stop()
